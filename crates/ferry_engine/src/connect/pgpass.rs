//! The libpq password file (`~/.pgpass` or `PGPASSFILE`), read the way libpq reads it.
//!
//! Each line is `hostname:port:database:username:password`; `*` as a whole field matches
//! anything, `\:` and `\\` escape a colon and a backslash, `#` starts a comment line, and
//! the first matching line wins. The file is ignored unless it is a regular file that
//! only its owner can read (mode 0600 or stricter), as libpq does, because a password
//! file others can read has leaked already.

use std::path::{Path, PathBuf};

/// Socket directories that libpq treats as "localhost" when matching the file.
const DEFAULT_SOCKET_DIRS: &[&str] = &["/var/run/postgresql", "/run/postgresql", "/tmp"];

/// The outcome of looking a connection up in a password file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PgpassLookup {
    /// The file does not exist.
    Missing,
    /// The file exists but was not read; the reason is a sentence for a warning.
    Ignored(String),
    /// No line matches.
    NoMatch,
    /// The first matching line.
    Found {
        password: String,
        file: PathBuf,
        line: usize,
    },
}

/// Looks up the password for `host:port:database:user` in `file`. A Unix-socket `host`
/// (a directory) also matches `localhost` lines when it is a default socket directory.
pub fn lookup(file: &Path, host: &str, port: u16, database: &str, user: &str) -> PgpassLookup {
    let meta = match std::fs::metadata(file) {
        Ok(meta) => meta,
        Err(_) => return PgpassLookup::Missing,
    };
    if !meta.is_file() {
        return PgpassLookup::Ignored(format!(
            "ignored password file {}: it is not a regular file",
            file.display()
        ));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return PgpassLookup::Ignored(format!(
                "ignored password file {}: its permissions {mode:04o} let others read it; run `chmod 0600 {}`",
                file.display(),
                file.display()
            ));
        }
    }
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(err) => {
            return PgpassLookup::Ignored(format!(
                "ignored password file {}: {err}",
                file.display()
            ));
        }
    };
    let mut hosts = vec![host];
    if DEFAULT_SOCKET_DIRS.contains(&host) {
        hosts.push("localhost");
    }
    let port = port.to_string();
    match hosts
        .iter()
        .find_map(|h| find(&text, h, &port, database, user))
    {
        Some((password, line)) => PgpassLookup::Found {
            password,
            file: file.to_path_buf(),
            line,
        },
        None => PgpassLookup::NoMatch,
    }
}

/// The password and 1-based line number of the first line of `text` that matches.
pub(crate) fn find(
    text: &str,
    host: &str,
    port: &str,
    database: &str,
    user: &str,
) -> Option<(String, usize)> {
    for (index, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields = split_fields(line);
        if fields.len() < 5 {
            continue;
        }
        let wanted = [host, port, database, user];
        let matches = fields[..4]
            .iter()
            .zip(wanted)
            .all(|((value, wildcard), want)| *wildcard || value == want);
        if matches {
            return Some((fields[4].0.clone(), index + 1));
        }
    }
    None
}

/// Splits a line at unescaped colons into (unescaped value, is the field exactly `*`).
fn split_fields(line: &str) -> Vec<(String, bool)> {
    let mut fields = Vec::new();
    let mut value = String::new();
    let mut raw_star = true;
    let mut raw_len = 0;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ':' => {
                fields.push((std::mem::take(&mut value), raw_star && raw_len == 1));
                raw_star = true;
                raw_len = 0;
                continue;
            }
            '\\' => {
                value.extend(chars.next());
                raw_star = false;
            }
            c => {
                value.push(c);
                raw_star &= c == '*';
            }
        }
        raw_len += 1;
    }
    fields.push((value, raw_star && raw_len == 1));
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "\
# comment
db.example.com:5432:app:alice:alice-pw
*:5432:*:bob:bob\\:pw\\\\x
localhost:*:*:*:local-pw
\\*:1:2:3:star-pw
short:line
weird\\:host:5432:app:carol:carol-pw
";

    #[test]
    fn matches_first_line_with_wildcards_and_escapes() {
        assert_eq!(
            find(FILE, "db.example.com", "5432", "app", "alice"),
            Some(("alice-pw".into(), 2))
        );
        assert_eq!(
            find(FILE, "anything", "5432", "other", "bob"),
            Some(("bob:pw\\x".into(), 3))
        );
        assert_eq!(
            find(FILE, "localhost", "6000", "x", "y"),
            Some(("local-pw".into(), 4))
        );
        assert_eq!(find(FILE, "db.example.com", "5433", "app", "alice"), None);
        // `\*` is a literal star, not a wildcard.
        assert_eq!(find(FILE, "h", "1", "2", "3"), None);
        assert_eq!(find(FILE, "*", "1", "2", "3"), Some(("star-pw".into(), 5)));
        assert_eq!(
            find(FILE, "weird:host", "5432", "app", "carol"),
            Some(("carol-pw".into(), 7))
        );
    }

    #[cfg(unix)]
    #[test]
    fn permissions_rule() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pgpass");
        std::fs::write(&path, FILE).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let got = lookup(&path, "db.example.com", 5432, "app", "alice");
        assert!(
            matches!(&got, PgpassLookup::Ignored(reason) if reason.contains("0644") && reason.contains("chmod 0600")),
            "{got:?}"
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(
            lookup(&path, "db.example.com", 5432, "app", "alice"),
            PgpassLookup::Found {
                password: "alice-pw".into(),
                file: path.clone(),
                line: 2
            }
        );
        // The default socket directory matches `localhost` lines.
        assert!(matches!(
            lookup(&path, "/var/run/postgresql", 5432, "app", "zed"),
            PgpassLookup::Found { line: 4, .. }
        ));
        assert_eq!(
            lookup(&dir.path().join("none"), "h", 1, "d", "u"),
            PgpassLookup::Missing
        );
    }
}
