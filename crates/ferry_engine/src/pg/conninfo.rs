//! How to reach a cluster ferry runs: its socket directory, port and superuser.

use std::path::{Path, PathBuf};

use super::SUPERUSER;

/// Where a running cluster listens. The unix socket is always there; TCP only when the
/// cluster was started with `listen_addresses`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnInfo {
    /// The directory holding the socket file `.s.PGSQL.<port>`.
    pub socket_dir: PathBuf,
    pub port: u16,
    /// The superuser, `postgres` (initdb `-U postgres`, trust authentication on the socket).
    pub user: String,
    /// The TCP address the server also listens on, if any (such as `127.0.0.1`).
    pub tcp_host: Option<String>,
}

impl ConnInfo {
    pub fn new(socket_dir: impl Into<PathBuf>, port: u16) -> ConnInfo {
        ConnInfo {
            socket_dir: socket_dir.into(),
            port,
            user: SUPERUSER.to_owned(),
            tcp_host: None,
        }
    }

    /// The socket file itself.
    pub fn socket_path(&self) -> PathBuf {
        self.socket_dir.join(format!(".s.PGSQL.{}", self.port))
    }

    /// A driver configuration for `dbname` over the unix socket, as the superuser.
    pub fn config(&self, dbname: &str) -> postgres::Config {
        let mut config = postgres::Config::new();
        config
            .host_path(&self.socket_dir)
            .port(self.port)
            .user(&self.user)
            .dbname(dbname)
            .application_name("ferry");
        config
    }

    /// A URL for `dbname` over the unix socket:
    /// `postgres://postgres@/DB?host=/socket/dir&port=PORT`.
    ///
    /// The socket directory goes in the `host` parameter with the authority's host left
    /// empty. `postgres://postgres@localhost:PORT/DB?host=/dir` would read the same to libpq
    /// (the parameter overrides the authority), but the Rust driver adds both hosts and tries
    /// `localhost` over TCP first, which could reach a different server on that port.
    pub fn url(&self, dbname: &str) -> String {
        format!(
            "postgres://{}@/{}?host={}&port={}",
            encode(&self.user),
            encode(dbname),
            encode_path(&self.socket_dir),
            self.port
        )
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub(crate) fn encode(s: &str) -> String {
    encode_bytes(s.as_bytes(), b"")
}

/// Percent-encodes a path, keeping its `/` separators readable.
fn encode_path(path: &Path) -> String {
    encode_bytes(path.as_os_str().as_encoded_bytes(), b"/")
}

fn encode_bytes(bytes: &[u8], keep: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || keep.contains(&b) {
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
    fn url_round_trips_through_the_driver() {
        let info = ConnInfo::new("/tmp/ferry-0/123-abc", 25432);
        let url = info.url("postgres");
        assert_eq!(
            url,
            "postgres://postgres@/postgres?host=/tmp/ferry-0/123-abc&port=25432"
        );
        let parsed: postgres::Config = url.parse().unwrap();
        assert_eq!(
            parsed.get_hosts(),
            &[Host::Unix(PathBuf::from("/tmp/ferry-0/123-abc"))]
        );
        assert_eq!(parsed.get_ports(), &[25432]);
        assert_eq!(parsed.get_user(), Some("postgres"));
        assert_eq!(parsed.get_dbname(), Some("postgres"));
    }

    #[test]
    fn awkward_paths_and_names_are_encoded() {
        let info = ConnInfo::new("/tmp/my dir,with&odd=chars?é", 5432);
        let url = info.url("app db");
        assert!(
            url.contains("host=/tmp/my%20dir%2Cwith%26odd%3Dchars%3F%C3%A9"),
            "{url}"
        );
        let parsed: postgres::Config = url.parse().unwrap();
        assert_eq!(
            parsed.get_hosts(),
            &[Host::Unix(PathBuf::from("/tmp/my dir,with&odd=chars?é"))]
        );
        assert_eq!(parsed.get_dbname(), Some("app db"));
    }

    #[test]
    fn config_uses_the_socket() {
        let info = ConnInfo::new("/tmp/s", 5433);
        let config = info.config("app");
        assert_eq!(config.get_hosts(), &[Host::Unix(PathBuf::from("/tmp/s"))]);
        assert_eq!(config.get_ports(), &[5433]);
        assert_eq!(info.socket_path(), Path::new("/tmp/s/.s.PGSQL.5433"));
    }
}
