//! Connection strings: `postgres://` / `postgresql://` URLs and libpq key=value strings.
//!
//! The `postgres` crate parses both forms, but it rejects parameters it does not know
//! (`sslrootcert`, `passfile`, ORM extras such as `schema`) and the `verify-ca` and
//! `verify-full` ssl modes. So the parameters ferry handles itself are taken out first, the
//! ones nobody handles are dropped with a warning, and the rest goes to the crate.

use std::str::FromStr;

use super::SslMode;

/// Parameters the `postgres` crate itself accepts.
const CRATE_PARAMS: &[&str] = &[
    "user",
    "password",
    "dbname",
    "options",
    "application_name",
    "sslnegotiation",
    "host",
    "hostaddr",
    "port",
    "connect_timeout",
    "tcp_user_timeout",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_retries",
    "target_session_attrs",
    "channel_binding",
    "load_balance_hosts",
];

/// A connection string split into what the crate understands and what ferry handles.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub config: postgres::Config,
    pub sslmode: Option<SslMode>,
    pub sslrootcert: Option<String>,
    pub passfile: Option<String>,
    /// Parameters that were dropped because ferry does not use them.
    pub ignored: Vec<String>,
}

/// Whether `s` is a URL rather than a key=value string.
pub(crate) fn is_url(s: &str) -> bool {
    s.starts_with("postgres://") || s.starts_with("postgresql://")
}

/// Registers the password in `s` (if any) with [`crate::redact`], before anything can fail
/// and echo the string.
pub(crate) fn register_password(s: &str) {
    if is_url(s) {
        let after = &s[s.find("://").map(|i| i + 3).unwrap_or(0)..];
        let authority_end = after.find(['/', '?']).unwrap_or(after.len());
        let authority = &after[..authority_end];
        if let Some(at) = authority.rfind('@')
            && let Some((_, password)) = authority[..at].split_once(':')
        {
            crate::redact::register(password);
            crate::redact::register(&percent_decode(password));
        }
        if let Some((_, query)) = after.split_once('?') {
            for pair in query.split('&') {
                if let Some((k, v)) = pair.split_once('=')
                    && percent_decode(k) == "password"
                {
                    crate::redact::register(v);
                    crate::redact::register(&percent_decode(v));
                }
            }
        }
    } else if let Ok(pairs) = tokenize_kv(s) {
        for (k, v) in pairs {
            if k == "password" {
                crate::redact::register(&v);
            }
        }
    } else if let Some(i) = s.find("password") {
        // Unparseable: mask whatever follows `password=` up to the next space.
        let rest = s[i + "password".len()..].trim_start();
        if let Some(value) = rest.strip_prefix('=') {
            let value = value.trim_start();
            let value = value.split_whitespace().next().unwrap_or("");
            crate::redact::register(value.trim_matches('\''));
        }
    }
}

/// Returns `s` for display: URL passwords and any `password=` value masked.
pub(crate) fn masked(s: &str) -> String {
    register_password(s);
    crate::redact::redact(s).into_owned()
}

/// Parses a URL or key=value string; the error is the reason, without the string.
pub(crate) fn parse(s: &str) -> Result<Parsed, String> {
    register_password(s);
    if s.trim().is_empty() {
        return Err("it is empty".into());
    }
    let mut sslmode = None;
    let mut sslrootcert = None;
    let mut passfile = None;
    let mut ignored = Vec::new();
    let mut take = |key: &str, value: &str| -> Result<bool, String> {
        match key {
            "sslmode" => {
                sslmode = Some(SslMode::from_str(value)?);
                Ok(true)
            }
            "sslrootcert" => {
                sslrootcert = Some(value.to_owned());
                Ok(true)
            }
            "passfile" => {
                passfile = Some(value.to_owned());
                Ok(true)
            }
            key if CRATE_PARAMS.contains(&key) => Ok(false),
            key => {
                ignored.push(key.to_owned());
                Ok(true)
            }
        }
    };
    let for_crate = if is_url(s) {
        let after = &s[s.find("://").map(|i| i + 3).unwrap_or(0)..];
        let authority = &after[..after.find(['/', '?']).unwrap_or(after.len())];
        if authority.matches('@').count() > 1 {
            return Err(
                "it has more than one `@` before the host; percent-encode `@` in the user name or password as %40"
                    .into(),
            );
        }
        let (base, query) = match s.split_once('?') {
            Some((base, query)) => (base, Some(query)),
            None => (s, None),
        };
        let mut kept = Vec::new();
        for pair in query.into_iter().flat_map(|q| q.split('&')) {
            if pair.is_empty() {
                continue;
            }
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            if !take(&percent_decode(key), &percent_decode(value))? {
                kept.push(pair);
            }
        }
        if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        }
    } else {
        let mut kept = Vec::new();
        for (key, value) in tokenize_kv(s)? {
            if !take(&key, &value)? {
                kept.push(format!("{key}={}", quote_kv(&value)));
            }
        }
        kept.join(" ")
    };
    let config = postgres::Config::from_str(&for_crate).map_err(|e| {
        use std::error::Error as _;
        match e.source() {
            Some(cause) => cause.to_string(),
            None => e.to_string(),
        }
    })?;
    Ok(Parsed {
        config,
        sslmode,
        sslrootcert,
        passfile,
        ignored,
    })
}

/// Quotes a value for a libpq key=value string.
pub(crate) fn quote_kv(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if c == '\'' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// Splits a libpq key=value string into pairs (values unquoted and unescaped).
fn tokenize_kv(s: &str) -> Result<Vec<(String, String)>, String> {
    let mut pairs = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Ok(pairs);
        }
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| !c.is_whitespace() && *c != '=') {
            key.push(c);
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next() != Some('=') {
            return Err(format!("expected `=` after `{key}`"));
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next() {
                    Some('\'') => break,
                    Some('\\') => value.extend(chars.next()),
                    Some(c) => value.push(c),
                    None => return Err(format!("unterminated quoted value for `{key}`")),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    value.extend(chars.next());
                } else {
                    value.push(c);
                }
            }
            if value.is_empty() {
                return Err(format!("missing value for `{key}`"));
            }
        }
        pairs.push((key, value));
    }
}

/// Decodes `%XX` escapes (invalid ones are kept as they are).
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Encodes the characters that would end a URL's user, host or database part.
pub(crate) fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use postgres::config::Host;

    #[test]
    fn url_with_ferry_params() {
        let p = parse(
            "postgresql://app:url-test-pw-1@db.example.com:6432/app?sslmode=verify-full&sslrootcert=ca.pem&schema=public&application_name=x&connect_timeout=3",
        )
        .unwrap();
        assert_eq!(p.sslmode, Some(SslMode::VerifyFull));
        assert_eq!(p.sslrootcert.as_deref(), Some("ca.pem"));
        assert_eq!(p.ignored, ["schema"]);
        assert_eq!(p.config.get_user(), Some("app"));
        assert_eq!(p.config.get_password(), Some(&b"url-test-pw-1"[..]));
        assert_eq!(p.config.get_dbname(), Some("app"));
        assert_eq!(p.config.get_ports(), [6432]);
        assert_eq!(p.config.get_application_name(), Some("x"));
        assert_eq!(
            p.config.get_connect_timeout(),
            Some(&std::time::Duration::from_secs(3))
        );
    }

    #[test]
    fn socket_hosts() {
        let p = parse("postgres://bob@%2Fvar%2Frun%2Fpostgresql/app").unwrap();
        assert_eq!(
            p.config.get_hosts(),
            [Host::Unix("/var/run/postgresql".into())]
        );
        let p = parse("postgres:///app?host=/tmp/sock&port=5433").unwrap();
        assert_eq!(p.config.get_hosts(), [Host::Unix("/tmp/sock".into())]);
        assert_eq!(p.config.get_ports(), [5433]);
    }

    #[test]
    fn key_value_strings() {
        let p = parse(
            "host=/tmp dbname='my db' user=bob password='kv-test-it\\'s-1' sslmode=verify-ca sslrootcert=/ca.pem",
        )
        .unwrap();
        assert_eq!(p.sslmode, Some(SslMode::VerifyCa));
        assert_eq!(p.sslrootcert.as_deref(), Some("/ca.pem"));
        assert_eq!(p.config.get_dbname(), Some("my db"));
        assert_eq!(p.config.get_password(), Some(&b"kv-test-it's-1"[..]));
        assert_eq!(p.config.get_hosts(), [Host::Unix("/tmp".into())]);
    }

    #[test]
    fn errors() {
        assert!(parse("").is_err());
        assert!(
            parse("postgres://h/db?sslmode=bogus")
                .unwrap_err()
                .contains("verify-full")
        );
        assert!(parse("postgres://h:notaport/db").is_err());
        assert!(parse("host=x dbname").is_err());
        assert!(parse("host='x").is_err());
        assert!(parse("postgres://u:a@b@h/db").unwrap_err().contains("%40"));
        assert!(parse("postgres://u:a%40b@h/db").is_ok());
    }

    #[test]
    fn masks_kv_password() {
        let m = masked("host=h password=kv-secret-1 user=u");
        assert!(!m.contains("kv-secret-1"), "{m}");
        let m = masked("host=h password= 'zq-unterminated-secret rest");
        assert!(!m.contains("zq-unterminated-secret"), "{m}");
    }

    #[test]
    fn percent_coding() {
        assert_eq!(percent_decode("a%2Fb%zz%4"), "a/b%zz%4");
        assert_eq!(percent_encode("a b@c"), "a%20b%40c");
    }
}
