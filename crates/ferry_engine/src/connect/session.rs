//! Opening a connection: TLS per sslmode, startup settings, `--wait`, and classifying
//! failures into [`ConnectError`]s.

use std::io;
use std::path::Path;
use std::time::{Duration, Instant};

use postgres::config::Host;
use postgres::error::{DbError, SqlState};
use postgres::{Client, NoTls};
use postgres_native_tls::MakeTlsConnector;

use super::{ConnectError, PasswordSource, SslMode, SslSettings, Target, server_label};

/// How often `--wait` retries.
const WAIT_POLL: Duration = Duration::from_millis(200);

/// A callback for server notices (`RAISE NOTICE`), called as they arrive.
pub type NoticeFn = Box<dyn Fn(&DbError) + Send + Sync>;

/// Options of one connection.
#[derive(Default)]
pub struct ConnectOptions {
    /// `--wait`: retry while the server is not up yet (connection refused, no socket
    /// file, 57P03 "the database system is starting up") for up to this long.
    pub wait: Option<Duration>,
    /// Receives notices live; without it they are dropped.
    pub notice: Option<NoticeFn>,
    /// Settings sent at startup as `options=-c k=v`, so they are the session's reset
    /// values (`RESET ALL` and `DISCARD ALL` come back to them).
    pub startup_settings: Vec<(String, String)>,
}

impl std::fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("wait", &self.wait)
            .field("notice", &self.notice.as_ref().map(|_| "<fn>"))
            .field("startup_settings", &self.startup_settings)
            .finish()
    }
}

/// Connects to `target`. `application_name` is used unless the target sets one.
pub fn connect(
    target: &Target,
    application_name: &str,
    options: ConnectOptions,
) -> Result<Client, ConnectError> {
    let mut config = target.config.clone();
    if !target.connect_timeout.is_zero() {
        config.connect_timeout(target.connect_timeout);
    }
    let context = Context {
        via: target.via(),
        password_from: target.password_from.clone(),
    };
    open(config, &target.ssl, application_name, options, &context)
}

/// Connects with a configuration built elsewhere (such as ferry's local cluster).
pub fn connect_config(
    config: postgres::Config,
    ssl: &SslSettings,
    application_name: &str,
    options: ConnectOptions,
) -> Result<Client, ConnectError> {
    let context = Context {
        via: String::new(),
        password_from: None,
    };
    open(config, ssl, application_name, options, &context)
}

/// What error messages say about where the target came from.
struct Context {
    via: String,
    password_from: Option<PasswordSource>,
}

fn open(
    mut config: postgres::Config,
    ssl: &SslSettings,
    application_name: &str,
    options: ConnectOptions,
    context: &Context,
) -> Result<Client, ConnectError> {
    if config.get_application_name().is_none() {
        config.application_name(application_name);
    }
    if !options.startup_settings.is_empty() {
        let mut startup = config.get_options().unwrap_or_default().to_owned();
        for (name, value) in &options.startup_settings {
            if !startup.is_empty() {
                startup.push(' ');
            }
            startup.push_str("-c ");
            startup.push_str(&escape_option(&format!("{name}={value}")));
        }
        config.options(&startup);
    }
    match options.notice {
        Some(notice) => {
            config.notice_callback(move |n| notice(&n));
        }
        // The crate's default sends notices to the `log` crate; ferry reports them itself.
        None => {
            config.notice_callback(|_| {});
        }
    }
    // PostgreSQL has no TLS over Unix sockets and libpq ignores sslmode there; the crate
    // would ask for it and fail under `require`.
    let all_sockets = !config.get_hosts().is_empty()
        && config
            .get_hosts()
            .iter()
            .all(|h| !matches!(h, Host::Tcp(_)))
        && config.get_hostaddrs().is_empty();
    let mode = if all_sockets {
        SslMode::Disable
    } else {
        ssl.mode
    };
    config.ssl_mode(match mode {
        SslMode::Disable => postgres::config::SslMode::Disable,
        SslMode::Allow | SslMode::Prefer => postgres::config::SslMode::Prefer,
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
            postgres::config::SslMode::Require
        }
    });
    let tls = tls_connector(mode, ssl.root_cert.as_deref()).map_err(|(detail, hint)| {
        ConnectError::Tls {
            server: server_label(&config),
            mode,
            detail,
            hint,
        }
    })?;

    let deadline = options.wait.map(|wait| Instant::now() + wait);
    loop {
        let result = match &tls {
            None => config.connect(NoTls),
            Some(tls) => config.connect(tls.clone()),
        };
        match result {
            Ok(client) => return Ok(client),
            Err(err) => {
                if let Some(deadline) = deadline
                    && is_not_up_yet(&err)
                    && Instant::now() + WAIT_POLL < deadline
                {
                    std::thread::sleep(WAIT_POLL);
                    continue;
                }
                return Err(classify(&err, &config, mode, context));
            }
        }
    }
}

/// Escapes a value for the startup `options` string, where spaces separate arguments.
fn escape_option(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '\\' || c.is_whitespace() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The TLS connector for `mode`, or `None` for plaintext; the error is (detail, hint).
fn tls_connector(
    mode: SslMode,
    root_cert: Option<&Path>,
) -> Result<Option<MakeTlsConnector>, (String, String)> {
    let mut builder = native_tls::TlsConnector::builder();
    match mode {
        SslMode::Disable => return Ok(None),
        // libpq: prefer encrypts without verifying; require verifies the CA only when a
        // root certificate is given.
        SslMode::Allow | SslMode::Prefer => {
            builder.danger_accept_invalid_certs(true);
            builder.danger_accept_invalid_hostnames(true);
        }
        SslMode::Require => match root_cert {
            Some(path) => {
                add_root_certs(&mut builder, path)?;
                builder.danger_accept_invalid_hostnames(true);
            }
            None => {
                builder.danger_accept_invalid_certs(true);
                builder.danger_accept_invalid_hostnames(true);
            }
        },
        SslMode::VerifyCa | SslMode::VerifyFull => {
            if let Some(path) = root_cert {
                add_root_certs(&mut builder, path)?;
            }
            if mode == SslMode::VerifyCa {
                builder.danger_accept_invalid_hostnames(true);
            }
        }
    }
    let connector = builder.build().map_err(|e| {
        (
            format!("could not set up TLS: {e}"),
            "check the system's TLS libraries".to_owned(),
        )
    })?;
    Ok(Some(MakeTlsConnector::new(connector)))
}

/// Trusts only the certificates in `path` (PEM, possibly several, or DER).
fn add_root_certs(
    builder: &mut native_tls::TlsConnectorBuilder,
    path: &Path,
) -> Result<(), (String, String)> {
    let hint = || "check sslrootcert: it must be the CA certificate file (PEM)".to_owned();
    let bytes = std::fs::read(path).map_err(|e| {
        (
            format!("could not read sslrootcert {}: {e}", path.display()),
            hint(),
        )
    })?;
    let text = String::from_utf8_lossy(&bytes);
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    let mut certs = Vec::new();
    if text.contains(BEGIN) {
        for block in text.split(BEGIN).skip(1) {
            let pem = format!("{BEGIN}{block}");
            certs.push(native_tls::Certificate::from_pem(pem.as_bytes()));
        }
    } else {
        certs.push(native_tls::Certificate::from_der(&bytes));
    }
    for cert in certs {
        let cert = cert.map_err(|e| {
            (
                format!("sslrootcert {} is not a certificate: {e}", path.display()),
                hint(),
            )
        })?;
        builder.add_root_certificate(cert);
    }
    builder.disable_built_in_roots(true);
    Ok(())
}

/// The first `io::Error` in the error's source chain.
fn io_error(err: &postgres::Error) -> Option<&io::Error> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(err);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<io::Error>() {
            return Some(io);
        }
        source = e.source();
    }
    None
}

/// The error and its causes, joined with ": ", with secrets masked.
fn chain(err: &postgres::Error) -> String {
    let mut parts = Vec::new();
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        let text = e.to_string();
        if !parts.iter().any(|p: &String| p.contains(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    crate::redact::redact(&parts.join(": ")).into_owned()
}

/// Whether the failure means "the server is not accepting connections yet".
fn is_not_up_yet(err: &postgres::Error) -> bool {
    if let Some(db) = err.as_db_error() {
        return *db.code() == SqlState::CANNOT_CONNECT_NOW;
    }
    if err.is_closed() {
        return true;
    }
    io_error(err).is_some_and(|io| {
        matches!(
            io.kind(),
            io::ErrorKind::ConnectionRefused
                | io::ErrorKind::NotFound
                | io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::UnexpectedEof
                | io::ErrorKind::BrokenPipe
                | io::ErrorKind::TimedOut
        )
    })
}

fn is_dns_failure(io: &io::Error) -> bool {
    let text = io.to_string();
    text.contains("failed to lookup address")
        || text.contains("could not resolve any addresses")
        || text.contains("Name or service not known")
        || text.contains("nodename nor servname")
}

fn classify(
    err: &postgres::Error,
    config: &postgres::Config,
    mode: SslMode,
    context: &Context,
) -> ConnectError {
    let server = server_label(config);
    let database = config.get_dbname().unwrap_or_default().to_owned();
    let user = config.get_user().unwrap_or_default().to_owned();
    let via = context.via.clone();

    if let Some(db) = err.as_db_error() {
        let detail = crate::redact::redact(db.message()).into_owned();
        let code = db.code();
        if *code == SqlState::INVALID_PASSWORD
            || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION
        {
            return ConnectError::AuthFailed {
                server,
                user,
                database,
                detail,
                password_from: context.password_from.clone().map(Box::new),
            };
        }
        if *code == SqlState::INVALID_CATALOG_NAME {
            return ConnectError::DatabaseMissing { server, database };
        }
        return ConnectError::Other {
            server,
            database,
            user,
            detail: format!("{detail} (SQLSTATE {})", code.code()),
            code: Some(code.code().to_owned()),
        };
    }

    if let Some(io) = io_error(err) {
        match io.kind() {
            io::ErrorKind::ConnectionRefused => {
                return ConnectError::Refused {
                    server,
                    database,
                    user,
                    detail: "connection refused".into(),
                    via,
                };
            }
            io::ErrorKind::NotFound
                if !config.get_hosts().iter().all(|h| matches!(h, Host::Tcp(_))) =>
            {
                return ConnectError::Refused {
                    server,
                    database,
                    user,
                    detail: "no such socket file".into(),
                    via,
                };
            }
            io::ErrorKind::TimedOut => {
                return ConnectError::Timeout {
                    server,
                    after: config
                        .get_connect_timeout()
                        .copied()
                        .unwrap_or(Duration::ZERO),
                    via,
                };
            }
            _ if is_dns_failure(io) => {
                let host = config
                    .get_hosts()
                    .iter()
                    .find_map(|h| match h {
                        Host::Tcp(name) => Some(name.clone()),
                        #[cfg(unix)]
                        Host::Unix(_) => None,
                    })
                    .unwrap_or_default();
                let detail = io.to_string();
                let detail = detail
                    .strip_prefix("failed to lookup address information: ")
                    .unwrap_or(&detail);
                return ConnectError::UnknownHost {
                    host,
                    detail: crate::redact::redact(detail).into_owned(),
                    via,
                };
            }
            _ => {}
        }
    }

    let top = err.to_string();
    if top.starts_with("error performing TLS handshake") {
        let detail = std::error::Error::source(err)
            .map(|e| crate::redact::redact(&e.to_string()).into_owned())
            .unwrap_or_else(|| top.clone());
        let hint = if detail.contains("does not support TLS") {
            "the server does not accept TLS connections; use sslmode=prefer or disable, or enable ssl on the server".to_owned()
        } else if detail.contains("mismatch") {
            "the server's certificate does not name this host; connect with the host name in the certificate, or use sslmode=verify-ca".to_owned()
        } else if detail.contains("verify failed") {
            "the server's certificate is not signed by a trusted CA; set sslrootcert to the CA certificate".to_owned()
        } else {
            "check sslrootcert (the CA certificate) and that the server's certificate names the host".to_owned()
        };
        return ConnectError::Tls {
            server,
            mode,
            detail,
            hint,
        };
    }
    if top == "invalid configuration"
        && std::error::Error::source(err).is_some_and(|e| e.to_string() == "password missing")
    {
        return ConnectError::AuthFailed {
            server,
            user: user.clone(),
            database,
            detail: format!("the server asked for a password for user \"{user}\""),
            password_from: None,
        };
    }
    ConnectError::Other {
        server,
        database,
        user,
        detail: chain(err),
        code: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fail(
        config: postgres::Config,
        ssl: &SslSettings,
        app: &str,
        options: ConnectOptions,
    ) -> ConnectError {
        match connect_config(config, ssl, app, options) {
            Ok(_) => panic!("connected"),
            Err(err) => err,
        }
    }

    #[test]
    fn escapes_startup_options() {
        assert_eq!(escape_option("search_path=a, b"), "search_path=a,\\ b");
        assert_eq!(escape_option("x=c:\\d"), "x=c:\\\\d");
    }

    #[test]
    fn refused_on_a_closed_port() {
        // Bind and drop a listener so the port is (almost certainly) closed.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut config = postgres::Config::new();
        config
            .host("127.0.0.1")
            .port(port)
            .user("bob")
            .dbname("app")
            .password("refused-test-secret");
        let ssl = SslSettings::default();
        let err = fail(config, &ssl, "ferry-test", ConnectOptions::default());
        assert!(matches!(err, ConnectError::Refused { .. }), "{err:?}");
        let text = err.to_string();
        assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
        assert!(
            text.contains("\"app\"") && text.contains("\"bob\""),
            "{text}"
        );
        assert!(!text.contains("refused-test-secret"), "{text}");
    }

    #[test]
    fn wait_gives_up_with_the_last_error() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut config = postgres::Config::new();
        config
            .host("127.0.0.1")
            .port(port)
            .user("bob")
            .dbname("app");
        let options = ConnectOptions {
            wait: Some(Duration::from_millis(700)),
            ..ConnectOptions::default()
        };
        let started = Instant::now();
        let err = fail(config, &SslSettings::default(), "ferry-test", options);
        assert!(
            started.elapsed() >= Duration::from_millis(400),
            "{:?}",
            started.elapsed()
        );
        assert!(matches!(err, ConnectError::Refused { .. }), "{err:?}");
    }

    #[test]
    fn missing_socket_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = postgres::Config::new();
        config
            .host_path(dir.path())
            .port(5432)
            .user("bob")
            .dbname("app");
        let err = fail(
            config,
            &SslSettings::default(),
            "ferry-test",
            ConnectOptions::default(),
        );
        assert!(matches!(err, ConnectError::Refused { .. }), "{err:?}");
        assert!(err.to_string().contains(".s.PGSQL.5432"), "{err}");
    }

    #[test]
    fn unknown_host() {
        let mut config = postgres::Config::new();
        config
            .host("nonexistent.invalid")
            .port(5432)
            .user("bob")
            .dbname("app");
        let err = fail(
            config,
            &SslSettings::default(),
            "ferry-test",
            ConnectOptions::default(),
        );
        assert!(matches!(err, ConnectError::UnknownHost { .. }), "{err:?}");
        assert!(err.to_string().contains("nonexistent.invalid"), "{err}");
    }

    #[test]
    fn unreadable_root_cert_is_a_tls_error() {
        let mut config = postgres::Config::new();
        config.host("127.0.0.1").port(1).user("bob").dbname("app");
        let ssl = SslSettings {
            mode: SslMode::VerifyFull,
            root_cert: Some("/nonexistent/ca.pem".into()),
        };
        let err = fail(config, &ssl, "ferry-test", ConnectOptions::default());
        assert!(matches!(err, ConnectError::Tls { .. }), "{err:?}");
        assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
    }
}
