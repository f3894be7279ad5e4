//! PostgreSQL server binaries, the project's local cluster and throwaway clusters.
//!
//! - [`PgBinaries`] finds `initdb`/`postgres` on this machine (`FERRY_PG_BIN`, `pg_config`,
//!   `PATH`, `/usr/lib/postgresql/*/bin`).
//! - [`Cluster`] is one data directory and, once started, its server process: `initdb`,
//!   start (attached to this process, or detached so it outlives ferry), stop, connection info.
//! - [`LocalCluster`] is the project's own PostgreSQL, ferry's default database: created on
//!   first use, left running between runs, recorded in `<project>/.ferry/postgres.toml`.
//! - [`EphemeralCluster`] is a throwaway server in a temporary directory (in memory, under
//!   `/dev/shm`, when there is room), removed on drop; it copies a cached, already-initialised
//!   [`Template`] instead of running `initdb` (≈0.15 s for copy and start against ≈0.8 s for
//!   `initdb` alone).
//!
//! initdb and postgres refuse to run as root. As root, ferry runs them as the `postgres` OS
//! user ([`server_user`]) and gives that user the data and socket directories; then every
//! directory above them must be traversable by it, which is why the local cluster of a
//! project under `/root` lives in `/var/tmp/ferry/` instead.
//!
//! Nothing here prints; failures are [`ClusterError`]s whose messages say what to do next.

mod binaries;
mod cluster;
mod conninfo;
mod ephemeral;
mod local;
mod sys;
mod template;

use std::fs;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

pub use binaries::{FERRY_PG_BIN, PgBinaries};
pub use cluster::{Cluster, InitOptions, ShutdownMode, StartOptions};
pub use conninfo::ConnInfo;
pub use ephemeral::{EphemeralCluster, EphemeralOptions, Teardown};
pub use local::{LOCAL_DATABASE, LocalCluster, LocalStatus};
pub use template::Template;

/// The database superuser every ferry-made cluster has (`initdb -U postgres`).
pub const SUPERUSER: &str = "postgres";

/// Settings for throwaway clusters: durability off (a crash loses the cluster, which is
/// fine for data that is thrown away anyway) and no autovacuum workers competing with tests.
/// See <https://www.postgresql.org/docs/current/non-durability.html>.
pub const FAST_SETTINGS: &[(&str, &str)] = &[
    ("fsync", "off"),
    ("synchronous_commit", "off"),
    ("full_page_writes", "off"),
    ("autovacuum", "off"),
];

/// The longest socket path ferry uses: `sun_path` holds 108 bytes including the NUL, and
/// PostgreSQL appends `/.s.PGSQL.<port>` (plus `.lock`) to the directory.
pub const MAX_SOCKET_PATH: usize = 100;

/// Everything that can go wrong finding binaries or creating, starting and stopping clusters.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClusterError {
    #[error(
        "no PostgreSQL server binaries found (looked in: {}); install them with `apt-get install postgresql`, or set FERRY_PG_BIN to the directory that holds initdb and postgres",
        searched.join("; ")
    )]
    BinariesNotFound { searched: Vec<String> },

    #[error(
        "{} is not a PostgreSQL bin directory ({reason}); point FERRY_PG_BIN at the directory that holds initdb and postgres (`pg_config --bindir` prints it)",
        dir.display()
    )]
    NotABinDir { dir: PathBuf, reason: String },

    #[error("could not read the PostgreSQL version from `{command}`: {detail}")]
    Version { command: String, detail: String },

    #[error(
        "ferry runs as root, and initdb and postgres refuse to run as root, but there is no `postgres` OS user to run them as; create one with `useradd --system --user-group postgres`"
    )]
    NoServerUser,

    #[error("could not {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error(
        "could not run `{command}`: {source}; check that the PostgreSQL binaries are installed and executable"
    )]
    Spawn {
        command: String,
        #[source]
        source: io::Error,
    },

    #[error("initdb failed for {}:\n{output}\nfix the problem above and retry", data_dir.display())]
    Initdb { data_dir: PathBuf, output: String },

    #[error(
        "PostgreSQL in {} did not start: {reason}; last lines of the server log {}:\n{log_tail}",
        data_dir.display(),
        log_file.display()
    )]
    StartFailed {
        data_dir: PathBuf,
        reason: String,
        log_file: PathBuf,
        log_tail: String,
    },

    #[error("PostgreSQL in {} did not stop: {detail}", data_dir.display())]
    StopFailed { data_dir: PathBuf, detail: String },

    #[error(
        "{} holds a PostgreSQL {cluster_major} cluster but the server binaries in {} are PostgreSQL {bin_major}; install PostgreSQL {cluster_major} and set FERRY_PG_BIN to its bin directory, or delete {} to start over (its data is lost)",
        data_dir.display(),
        bin_dir.display(),
        data_dir.display()
    )]
    VersionMismatch {
        data_dir: PathBuf,
        cluster_major: u32,
        bin_dir: PathBuf,
        bin_major: u32,
    },

    #[error("{} is not a valid ferry cluster record: {detail}; fix it, or delete it and ferry writes a new one", path.display())]
    StateFile { path: PathBuf, detail: String },

    #[error(
        "no free port for PostgreSQL between {from} and {to}; stop some of the servers using them and retry"
    )]
    NoFreePort { from: u16, to: u16 },

    #[error(
        "{} cannot be reached by the OS user `{user}` that runs the server (every directory above it must be searchable by that user); choose a directory elsewhere, such as under /var/tmp",
        path.display()
    )]
    Unreachable { path: PathBuf, user: String },

    #[error("could not connect to PostgreSQL at {target}: {source}")]
    Connect {
        target: String,
        #[source]
        source: postgres::Error,
    },
}

impl ClusterError {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        ClusterError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

/// The OS user that runs initdb and postgres when ferry itself runs as root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerUser {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

/// The OS user to run the server as: `None` when ferry is not root (the server runs as the
/// current user); the `postgres` user when it is; an error when it is root and there is none.
pub fn server_user() -> Result<Option<ServerUser>, ClusterError> {
    if sys::effective_uid() != 0 {
        return Ok(None);
    }
    match sys::user_by_name(SUPERUSER) {
        Some(p) => Ok(Some(ServerUser {
            name: p.name,
            uid: p.uid,
            gid: p.gid,
        })),
        None => Err(ClusterError::NoServerUser),
    }
}

/// The uid the server runs as: the server user's, or ours.
pub(crate) fn server_uid(user: Option<&ServerUser>) -> u32 {
    user.map_or_else(sys::effective_uid, |u| u.uid)
}

/// A command for a server binary, run as `user` when given. The working directory is `/` so
/// the child never depends on being able to enter ours (`/root/...` is closed to `postgres`).
pub(crate) fn server_command(program: &Path, user: Option<&ServerUser>) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir("/");
    if let Some(u) = user {
        // std drops supplementary groups (setgroups(0)) before setuid when it changes the uid.
        cmd.uid(u.uid).gid(u.gid);
    }
    cmd
}

/// `cmd` as a shell-like string for error messages.
pub(crate) fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        s.push(' ');
        s.push_str(&arg.to_string_lossy());
    }
    s
}

/// The first `len` hex digits of the SHA-256 of `data`.
pub(crate) fn hash_hex(data: &[u8], len: usize) -> String {
    let digest = Sha256::digest(data);
    let mut out = String::with_capacity(64);
    for byte in digest.iter() {
        out.push_str(&format!("{byte:02x}"));
    }
    out.truncate(len);
    out
}

/// Whether a process running as `uid`/`gid` (and no supplementary groups) may search every
/// directory from `/` down to `path` inclusive, judged by the mode bits (ACLs are not read).
pub(crate) fn can_traverse(path: &Path, uid: u32, gid: u32) -> bool {
    if uid == 0 {
        return true;
    }
    path.ancestors().all(|dir| match fs::metadata(dir) {
        Ok(m) => allows(&m, uid, gid, 0o1),
        // A missing directory will be created by us, with a mode we choose.
        Err(e) => e.kind() == io::ErrorKind::NotFound,
    })
}

/// Whether mode bits `want` (octal 1 = x, 2 = w, 4 = r) are granted to `uid`/`gid` on `m`.
fn allows(m: &fs::Metadata, uid: u32, gid: u32, want: u32) -> bool {
    let mode = m.mode();
    let bits = if m.uid() == uid {
        (mode >> 6) & 0o7
    } else if m.gid() == gid {
        (mode >> 3) & 0o7
    } else {
        mode & 0o7
    };
    bits & want == want
}

/// Creates `dir` (and missing parents, with default modes), sets its mode to `mode` and
/// hands it to the server user.
pub(crate) fn make_server_dir(
    dir: &Path,
    user: Option<&ServerUser>,
    mode: u32,
) -> Result<(), ClusterError> {
    if let Some(parent) = dir.parent() {
        fs::create_dir_all(parent).map_err(|e| ClusterError::io("create directory", parent, e))?;
    }
    match fs::DirBuilder::new().mode(mode).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => {}
        Err(e) => return Err(ClusterError::io("create directory", dir, e)),
    }
    fs::set_permissions(dir, fs::Permissions::from_mode(mode))
        .map_err(|e| ClusterError::io("set the permissions of", dir, e))?;
    if let Some(u) = user {
        std::os::unix::fs::chown(dir, Some(u.uid), Some(u.gid))
            .map_err(|e| ClusterError::io("give the server user", dir, e))?;
    }
    Ok(())
}

/// The last `lines` lines of a log file, or a note saying why there are none.
pub(crate) fn log_tail(path: &Path, lines: usize) -> String {
    let Ok(mut file) = fs::File::open(path) else {
        return "(no server log was written)".to_owned();
    };
    // Only the end matters; a long-lived log can be large.
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = file.seek(SeekFrom::Start(len.saturating_sub(16 * 1024)));
    let mut buf = Vec::new();
    let _ = file.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf);
    let all: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    if all.is_empty() {
        return "(the server log is empty)".to_owned();
    }
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// ferry's per-machine directory for cached templates and clusters that cannot live in
/// their project: `/var/tmp/ferry` (survives reboots, unlike `/tmp`), shared by all users
/// like `/tmp` itself (mode 1777). If someone else owns it, `/var/tmp/ferry-<uid>`.
pub(crate) fn machine_dir() -> Result<PathBuf, ClusterError> {
    let shared = PathBuf::from("/var/tmp/ferry");
    let me = sys::effective_uid();
    if !shared.exists() {
        match fs::DirBuilder::new().mode(0o1777).create(&shared) {
            Ok(()) => {
                let _ = fs::set_permissions(&shared, fs::Permissions::from_mode(0o1777));
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(ClusterError::io("create directory", &shared, e)),
        }
    }
    if let Ok(m) = fs::symlink_metadata(&shared) {
        let sticky_shared = m.uid() == 0 && m.mode() & 0o1000 != 0;
        if m.is_dir() && (m.uid() == me || sticky_shared) {
            return Ok(shared);
        }
    }
    let own = PathBuf::from(format!("/var/tmp/ferry-{me}"));
    match fs::DirBuilder::new().mode(0o755).create(&own) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(ClusterError::io("create directory", &own, e)),
    }
    Ok(own)
}

/// The socket directory to use for `preferred`: itself when `<dir>/.s.PGSQL.<port>.lock`
/// fits in [`MAX_SOCKET_PATH`] bytes, else `/tmp/ferry-sock-<hash of preferred>`.
pub fn socket_dir_for(preferred: &Path, port: u16) -> PathBuf {
    let socket = preferred.join(format!(".s.PGSQL.{port}.lock"));
    if socket.as_os_str().len() <= MAX_SOCKET_PATH {
        preferred.to_path_buf()
    } else {
        let hash = hash_hex(preferred.as_os_str().as_encoded_bytes(), 12);
        PathBuf::from(format!("/tmp/ferry-sock-{hash}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_stable_hex() {
        assert_eq!(hash_hex(b"abc", 12), "ba7816bf8f01");
        assert_eq!(hash_hex(b"abc", 64).len(), 64);
    }

    #[test]
    fn long_socket_dirs_are_shortened() {
        let short = Path::new("/tmp/ferry-0/123-abc");
        assert_eq!(socket_dir_for(short, 5432), short);
        let long = PathBuf::from(format!("/home/{}/project/.ferry/postgres", "x".repeat(80)));
        let dir = socket_dir_for(&long, 25432);
        assert!(
            dir.to_string_lossy().starts_with("/tmp/ferry-sock-"),
            "{dir:?}"
        );
        assert_eq!(
            dir,
            socket_dir_for(&long, 25432),
            "derived from a hash, so stable"
        );
        assert!(dir.join(".s.PGSQL.25432.lock").as_os_str().len() <= MAX_SOCKET_PATH);
    }

    #[test]
    fn traversal_follows_mode_bits() {
        let tmp = tempfile::tempdir().unwrap();
        let closed = tmp.path().join("closed");
        let inner = closed.join("project");
        fs::create_dir_all(&inner).unwrap();
        fs::set_permissions(&closed, fs::Permissions::from_mode(0o700)).unwrap();
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o755)).unwrap();
        // A stranger (uid/gid nobody owns here) cannot get through a 0700 directory …
        assert!(!can_traverse(&inner, 54321, 54321));
        assert!(can_traverse(tmp.path(), 54321, 54321));
        // … but can once it is opened up, and root always can.
        fs::set_permissions(&closed, fs::Permissions::from_mode(0o711)).unwrap();
        assert!(can_traverse(&inner, 54321, 54321));
        assert!(can_traverse(&inner, 0, 0));
    }
}
