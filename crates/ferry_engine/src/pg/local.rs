//! The project's own PostgreSQL: ferry's default database when nothing else is configured.
//!
//! Created on first use (a copy of the cached [`Template`], so no `initdb` per project),
//! started detached so it keeps running between ferry runs, and stopped only by
//! [`LocalCluster::stop`] or [`LocalCluster::destroy`]. It listens on a unix socket only,
//! trusts local connections as the `postgres` superuser, and keeps its defaults for
//! durability (unlike throwaway clusters: this data is meant to last).
//!
//! On disk:
//! - `<project>/.ferry/postgres.toml` records where the cluster is (data and socket
//!   directories, port, bin directory, major version), so later runs and `ferry db status`
//!   find it; `<project>/.ferry/postgres.lock` serialises initialisation and start, so
//!   concurrent first runs do not race `initdb` (the second waits, then finds it running).
//! - `<project>/.ferry/postgres/{data/, postgres.log, socket}` when the server's OS user
//!   can reach the project. As root the server runs as `postgres`, which cannot enter a
//!   project under `/root` (mode 700): then the cluster lives in
//!   `/var/tmp/ferry/<first 12 hex digits of sha256(canonical project path)>/` instead.
//!   If the socket path would be too long, the socket goes to `/tmp/ferry-sock-<hash>`.
//! - The port is derived from the same hash, in 20000–29999, skipping ports in use. It only
//!   names the socket file (`.s.PGSQL.<port>`): no TCP address is listened on.

use std::fs;
use std::io::ErrorKind;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::cluster::{data_major, postmaster_pid, stop_data_dir};
use super::template::open_lock;
use super::{
    Cluster, ClusterError, ConnInfo, PgBinaries, ShutdownMode, StartOptions, Template,
    can_traverse, hash_hex, machine_dir, make_server_dir, server_user, socket_dir_for,
};

/// The database ferry uses in the local cluster.
pub const LOCAL_DATABASE: &str = "postgres";
const PORT_RANGE: (u16, u16) = (20000, 29999);
/// The server log is rotated (once, to `postgres.log.old`) past this size at start.
const MAX_LOG_BYTES: u64 = 10 << 20;

/// The project's local cluster.
#[derive(Debug, Clone)]
pub struct LocalCluster {
    project_root: PathBuf,
}

/// Where the local cluster is and whether it runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LocalStatus {
    /// The data directory exists and holds a cluster.
    pub initialized: bool,
    /// The server runs and its socket accepts connections.
    pub running: bool,
    pub data_dir: PathBuf,
    pub socket_dir: PathBuf,
    pub port: u16,
    /// The postmaster's pid when running.
    pub pid: Option<i32>,
    /// The PostgreSQL major version of the data directory (before it exists: of the
    /// server binaries that will create it).
    pub major: u32,
    /// A socket URL for the `postgres` database ([`ConnInfo::url`]).
    pub url: String,
    /// This call created the cluster.
    pub initialized_now: bool,
    /// This call started the server.
    pub started_now: bool,
}

impl LocalStatus {
    /// Where the cluster listens.
    pub fn conn_info(&self) -> ConnInfo {
        ConnInfo::new(&self.socket_dir, self.port)
    }

    /// A driver configuration for `dbname` over the socket, as the `postgres` superuser.
    pub fn config(&self, dbname: &str) -> postgres::Config {
        self.conn_info().config(dbname)
    }
}

/// `<project>/.ferry/postgres.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Record {
    data_dir: PathBuf,
    socket_dir: PathBuf,
    port: u16,
    bin_dir: PathBuf,
    major: u32,
}

impl Record {
    fn base(&self) -> PathBuf {
        self.data_dir
            .parent()
            .map_or_else(|| self.data_dir.clone(), Path::to_path_buf)
    }

    fn log_file(&self) -> PathBuf {
        self.base().join("postgres.log")
    }

    fn conn_info(&self) -> ConnInfo {
        ConnInfo::new(&self.socket_dir, self.port)
    }
}

impl LocalCluster {
    pub fn for_project(project_root: &Path) -> LocalCluster {
        LocalCluster {
            project_root: project_root.to_path_buf(),
        }
    }

    fn ferry_dir(&self) -> PathBuf {
        self.project_root.join(".ferry")
    }

    fn record_path(&self) -> PathBuf {
        self.ferry_dir().join("postgres.toml")
    }

    /// Initialises the cluster on first use and starts it if it is stopped. The server
    /// keeps running after ferry exits.
    pub fn ensure_running(&self) -> Result<LocalStatus, ClusterError> {
        let _lock = self.lock()?;
        let user = server_user()?;
        let (mut record, bins) = match self.read_record()? {
            Some(record) => {
                // The recorded installation, unless it has gone (an upgrade): then search.
                let bins = PgBinaries::at(&record.bin_dir).or_else(|_| PgBinaries::find())?;
                (record, bins)
            }
            None => {
                let bins = PgBinaries::find()?;
                (self.plan(&bins)?, bins)
            }
        };
        let mut cluster = Cluster::open(bins.clone(), &record.data_dir)?;
        let mut initialized_now = false;
        if cluster.is_initialized() {
            if let Some(cluster_major) = cluster.data_major()
                && cluster_major != bins.major
            {
                return Err(ClusterError::VersionMismatch {
                    data_dir: record.data_dir.clone(),
                    cluster_major,
                    bin_dir: bins.bin_dir.clone(),
                    bin_major: bins.major,
                });
            }
        } else {
            make_server_dir(&record.base(), user.as_ref(), 0o700)?;
            if record.data_dir.exists() {
                // Left half-made by an interrupted first run (it has no PG_VERSION).
                fs::remove_dir_all(&record.data_dir)
                    .map_err(|e| ClusterError::io("remove", &record.data_dir, e))?;
            }
            Template::ensure(&bins)?.copy_to(&record.data_dir)?;
            initialized_now = true;
        }
        record.bin_dir = bins.bin_dir.clone();
        record.major = bins.major;
        self.write_record(&record)?;

        let mut started_now = false;
        if cluster.pid().is_some() {
            // Running; it may still be starting (or recovering after a crash).
            cluster.wait_until_ready(Duration::from_secs(60))?;
        } else {
            rotate_log(&record.log_file());
            let mut opts = StartOptions::new(&record.socket_dir, record.port, record.log_file());
            opts.detach = true;
            cluster.start(&opts)?;
            started_now = true;
        }
        let mut status = self.status_of(&record);
        status.initialized_now = initialized_now;
        status.started_now = started_now;
        Ok(status)
    }

    /// The same as [`LocalCluster::ensure_running`]: starting initialises on first use.
    pub fn start(&self) -> Result<LocalStatus, ClusterError> {
        self.ensure_running()
    }

    /// Stops the server (fast shutdown) and waits for it; `Ok(false)` if it was not running.
    pub fn stop(&self) -> Result<bool, ClusterError> {
        let _lock = self.lock()?;
        match self.read_record()? {
            Some(record) => stop_data_dir(
                &record.data_dir,
                ShutdownMode::Fast,
                Duration::from_secs(60),
                None,
            ),
            None => Ok(false),
        }
    }

    /// Where the cluster is (or would be created) and whether it runs. Creates no cluster.
    pub fn status(&self) -> Result<LocalStatus, ClusterError> {
        let record = match self.read_record()? {
            Some(record) => record,
            None => {
                let bins = PgBinaries::find()?;
                self.plan(&bins)?
            }
        };
        Ok(self.status_of(&record))
    }

    /// A socket URL for the `postgres` database ([`LocalStatus::url`]).
    pub fn url(&self) -> Result<String, ClusterError> {
        Ok(self.status()?.url)
    }

    /// Stops the server and deletes the cluster with its data. `Ok(false)` if there was none.
    pub fn destroy(&self) -> Result<bool, ClusterError> {
        let _lock = self.lock()?;
        let Some(record) = self.read_record()? else {
            return Ok(false);
        };
        stop_data_dir(
            &record.data_dir,
            ShutdownMode::Fast,
            Duration::from_secs(60),
            None,
        )?;
        let data = &record.data_dir;
        // Only delete what is recognisably a cluster: the record may have been edited.
        if data.join("PG_VERSION").is_file() || data.join("global").is_dir() {
            fs::remove_dir_all(data).map_err(|e| ClusterError::io("remove", data, e))?;
        }
        let base = record.base();
        for log in ["postgres.log", "postgres.log.old"] {
            let _ = fs::remove_file(base.join(log));
        }
        let _ = fs::remove_dir(&base);
        if record.socket_dir != base {
            let _ = fs::remove_dir(&record.socket_dir);
        }
        let path = self.record_path();
        fs::remove_file(&path).map_err(|e| ClusterError::io("remove", &path, e))?;
        Ok(true)
    }

    fn status_of(&self, record: &Record) -> LocalStatus {
        let pid = postmaster_pid(&record.data_dir);
        let conn = record.conn_info();
        LocalStatus {
            initialized: record.data_dir.join("PG_VERSION").is_file(),
            running: pid.is_some() && UnixStream::connect(conn.socket_path()).is_ok(),
            data_dir: record.data_dir.clone(),
            socket_dir: record.socket_dir.clone(),
            port: record.port,
            pid,
            major: data_major(&record.data_dir).unwrap_or(record.major),
            url: conn.url(LOCAL_DATABASE),
            initialized_now: false,
            started_now: false,
        }
    }

    /// Where a new cluster goes for this project.
    fn plan(&self, bins: &PgBinaries) -> Result<Record, ClusterError> {
        let root = fs::canonicalize(&self.project_root)
            .map_err(|e| ClusterError::io("find the project directory", &self.project_root, e))?;
        let hash = project_hash(&root);
        let user = server_user()?;
        let base = choose_base(
            &root.join(".ferry"),
            &hash,
            user.as_ref().map(|u| (u.uid, u.gid)),
            &machine_dir,
        )?;
        let (socket_dir, port) = pick_port(&base, &hash)?;
        Ok(Record {
            data_dir: base.join("data"),
            socket_dir,
            port,
            bin_dir: bins.bin_dir.clone(),
            major: bins.major,
        })
    }

    /// Takes `<project>/.ferry/postgres.lock`, creating `.ferry` (and its `.gitignore`).
    fn lock(&self) -> Result<fs::File, ClusterError> {
        let dir = self.ferry_dir();
        if !self.project_root.is_dir() {
            return Err(ClusterError::io(
                "find the project directory",
                &self.project_root,
                std::io::Error::from(ErrorKind::NotFound),
            ));
        }
        fs::create_dir_all(&dir).map_err(|e| ClusterError::io("create directory", &dir, e))?;
        let ignore = dir.join(".gitignore");
        if !ignore.exists() {
            // Machine-specific paths and a database: never for version control.
            let _ = fs::write(
                &ignore,
                "# Written by ferry: the local PostgreSQL cluster.\npostgres/\npostgres.toml\npostgres.lock\n",
            );
        }
        let path = dir.join("postgres.lock");
        let file = open_lock(&path)?;
        file.lock()
            .map_err(|e| ClusterError::io("lock", &path, e))?;
        Ok(file)
    }

    fn read_record(&self) -> Result<Option<Record>, ClusterError> {
        let path = self.record_path();
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(ClusterError::io("read", &path, e)),
        };
        let record: Record = toml::from_str(&text).map_err(|e| ClusterError::StateFile {
            path,
            detail: e.to_string().trim().to_owned(),
        })?;
        Ok(Some(self.rebase(record)))
    }

    /// A record of an in-project cluster written at another path (the project was moved
    /// or copied) points at the data that moved with it: `<project>/.ferry/postgres`.
    fn rebase(&self, mut record: Record) -> Record {
        let Ok(root) = fs::canonicalize(&self.project_root) else {
            return record;
        };
        let in_project = record.data_dir.ends_with(".ferry/postgres/data");
        if in_project && !record.data_dir.starts_with(&root) {
            let base = root.join(".ferry/postgres");
            record.socket_dir = socket_dir_for(&base, record.port);
            record.data_dir = base.join("data");
        }
        record
    }

    fn write_record(&self, record: &Record) -> Result<(), ClusterError> {
        let path = self.record_path();
        let body = toml::to_string(record).map_err(|e| ClusterError::StateFile {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        let text = format!(
            "# Written by ferry: where this project's local PostgreSQL lives (`ferry db status`).\n{body}"
        );
        if fs::read_to_string(&path).is_ok_and(|old| old == text) {
            return Ok(());
        }
        let tmp = path.with_extension("toml.tmp");
        fs::write(&tmp, text).map_err(|e| ClusterError::io("write", &tmp, e))?;
        fs::rename(&tmp, &path).map_err(|e| ClusterError::io("write", &path, e))
    }
}

/// The first 12 hex digits of sha256 of the canonical project path.
fn project_hash(canonical_root: &Path) -> String {
    hash_hex(canonical_root.as_os_str().as_encoded_bytes(), 12)
}

/// `<project>/.ferry/postgres` when the server user (`server`: uid, gid; `None` when it is
/// us) can search every directory down to `.ferry`, else `<machine dir>/<hash>`.
fn choose_base(
    ferry_dir: &Path,
    hash: &str,
    server: Option<(u32, u32)>,
    machine_dir: &dyn Fn() -> Result<PathBuf, ClusterError>,
) -> Result<PathBuf, ClusterError> {
    let reachable = match server {
        Some((uid, gid)) => can_traverse(ferry_dir, uid, gid),
        None => true,
    };
    if reachable {
        Ok(ferry_dir.join("postgres"))
    } else {
        Ok(machine_dir()?.join(hash))
    }
}

/// The first port from the hash-derived one (in 20000–29999) whose socket file does not
/// exist and that nothing listens on at 127.0.0.1, and the socket directory for it.
fn pick_port(base: &Path, hash: &str) -> Result<(PathBuf, u16), ClusterError> {
    let (from, to) = PORT_RANGE;
    let span = u32::from(to - from) + 1;
    let start = u32::from_str_radix(&hash[..8], 16).unwrap_or(0) % span;
    for i in 0..200 {
        let port = from + ((start + i) % span) as u16;
        let socket_dir = socket_dir_for(base, port);
        let socket = socket_dir.join(format!(".s.PGSQL.{port}"));
        if socket.exists() {
            continue;
        }
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return Ok((socket_dir, port));
        }
    }
    Err(ClusterError::NoFreePort { from, to })
}

fn rotate_log(log: &Path) {
    if fs::metadata(log).is_ok_and(|m| m.len() > MAX_LOG_BYTES) {
        let _ = fs::rename(log, log.with_extension("log.old"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;
    use std::sync::{Arc, Barrier};

    /// Destroys the project's cluster even when the test panics.
    struct Destroy(LocalCluster);

    impl Drop for Destroy {
        fn drop(&mut self) {
            let _ = self.0.destroy();
        }
    }

    /// A temporary project directory the `postgres` OS user can enter.
    fn open_project() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        dir
    }

    #[test]
    fn ensure_running_twice_then_stop_start_and_destroy() {
        let project = open_project();
        let local = LocalCluster::for_project(project.path());
        let _guard = Destroy(local.clone());

        let before = local.status().unwrap();
        assert!(!before.initialized && !before.running);
        assert!((20000..=29999).contains(&before.port));

        let first = local.ensure_running().unwrap();
        assert!(first.initialized_now && first.started_now);
        assert!(first.running && first.initialized);
        assert_eq!(first.port, before.port, "status predicted the port");
        let canonical = fs::canonicalize(project.path()).unwrap();
        assert_eq!(first.data_dir, canonical.join(".ferry/postgres/data"));
        assert!(canonical.join(".ferry/postgres.toml").is_file());

        let second = local.ensure_running().unwrap();
        assert!(!second.initialized_now && !second.started_now, "a no-op");
        assert_eq!(second.pid, first.pid);

        let mut client = local
            .status()
            .unwrap()
            .config(LOCAL_DATABASE)
            .connect(postgres::NoTls)
            .unwrap();
        client.batch_execute("CREATE TABLE kept (id int)").unwrap();
        drop(client);
        let mut by_url = local
            .url()
            .unwrap()
            .parse::<postgres::Config>()
            .unwrap()
            .connect(postgres::NoTls)
            .unwrap();
        by_url.query_one("SELECT 1", &[]).unwrap();
        drop(by_url);

        // A later run (a new value, as in a new process) finds it through the record.
        let status = LocalCluster::for_project(project.path()).status().unwrap();
        assert!(status.running);
        assert_eq!(status.major, PgBinaries::find().unwrap().major);

        assert!(local.stop().unwrap());
        let stopped = local.status().unwrap();
        assert!(stopped.initialized && !stopped.running && stopped.pid.is_none());
        assert!(!local.stop().unwrap(), "stopping twice is fine");

        let again = local.ensure_running().unwrap();
        assert!(!again.initialized_now && again.started_now);
        let mut client = local
            .status()
            .unwrap()
            .config(LOCAL_DATABASE)
            .connect(postgres::NoTls)
            .unwrap();
        client.query_one("SELECT count(*) FROM kept", &[]).unwrap();
        drop(client);

        assert!(local.destroy().unwrap());
        let gone = local.status().unwrap();
        assert!(!gone.initialized && !gone.running);
        assert!(!first.data_dir.exists());
        assert!(!local.destroy().unwrap());
    }

    #[test]
    fn concurrent_first_runs_initialise_once() {
        let project = open_project();
        let local = LocalCluster::for_project(project.path());
        let _guard = Destroy(local.clone());
        let barrier = Arc::new(Barrier::new(2));
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let barrier = Arc::clone(&barrier);
                let root = project.path().to_path_buf();
                std::thread::spawn(move || {
                    barrier.wait();
                    LocalCluster::for_project(&root).ensure_running()
                })
            })
            .collect();
        let results: Vec<LocalStatus> = handles
            .into_iter()
            .map(|h| h.join().unwrap().unwrap())
            .collect();
        assert_eq!(results.iter().filter(|s| s.initialized_now).count(), 1);
        assert_eq!(results.iter().filter(|s| s.started_now).count(), 1);
        assert!(results.iter().all(|s| s.running));
        assert_eq!(results[0].pid, results[1].pid);
    }

    #[test]
    fn an_unreachable_project_falls_back_to_the_machine_dir() {
        let tmp = tempfile::tempdir().unwrap();
        let closed = tmp.path().join("home");
        let ferry_dir = closed.join("project/.ferry");
        fs::create_dir_all(&ferry_dir).unwrap();
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o755)).unwrap();
        fs::set_permissions(&closed, fs::Permissions::from_mode(0o700)).unwrap();
        let machine = || Ok(PathBuf::from("/var/tmp/ferry"));
        let stranger = Some((54321, 54321));

        let base = choose_base(&ferry_dir, "0123456789ab", stranger, &machine).unwrap();
        assert_eq!(base, Path::new("/var/tmp/ferry/0123456789ab"));

        fs::set_permissions(&closed, fs::Permissions::from_mode(0o755)).unwrap();
        let base = choose_base(&ferry_dir, "0123456789ab", stranger, &machine).unwrap();
        assert_eq!(base, ferry_dir.join("postgres"));
        // Not root: the server runs as us, so the project is always the place.
        let base = choose_base(&ferry_dir, "0123456789ab", None, &machine).unwrap();
        assert_eq!(base, ferry_dir.join("postgres"));
    }

    #[test]
    fn as_root_a_closed_project_runs_from_var_tmp() {
        if server_user().unwrap().is_none() {
            return; // Not root: there is no fallback to exercise.
        }
        // A 0700 root-owned directory, like /root: `postgres` cannot enter it.
        let project = tempfile::tempdir().unwrap();
        fs::set_permissions(project.path(), fs::Permissions::from_mode(0o700)).unwrap();
        let local = LocalCluster::for_project(project.path());
        let _guard = Destroy(local.clone());
        let status = local.ensure_running().unwrap();
        let hash = project_hash(&fs::canonicalize(project.path()).unwrap());
        assert_eq!(
            status.data_dir,
            machine_dir().unwrap().join(&hash).join("data")
        );
        assert!(status.running);
        assert!(local.destroy().unwrap());
        assert!(!machine_dir().unwrap().join(&hash).exists());
    }

    #[test]
    fn ports_come_from_the_hash_and_stay_in_range() {
        let tmp = tempfile::tempdir().unwrap();
        let (dir, port) = pick_port(tmp.path(), "00000000abcd").unwrap();
        assert_eq!(port, 20000);
        assert_eq!(dir, tmp.path());
        let (_, port) = pick_port(tmp.path(), "ffffffffabcd").unwrap();
        assert!((20000..=29999).contains(&port));
        // A socket file in the way moves to the next port.
        fs::write(tmp.path().join(".s.PGSQL.20000"), "").unwrap();
        let (_, port) = pick_port(tmp.path(), "00000000abcd").unwrap();
        assert_eq!(port, 20001);
    }

    #[test]
    fn a_cluster_of_another_major_is_refused() {
        let project = open_project();
        let bins = PgBinaries::find().unwrap();
        let data_dir = project.path().join("elsewhere/data");
        fs::create_dir_all(&data_dir).unwrap();
        fs::write(data_dir.join("PG_VERSION"), "11\n").unwrap();
        let local = LocalCluster::for_project(project.path());
        fs::create_dir_all(project.path().join(".ferry")).unwrap();
        local
            .write_record(&Record {
                data_dir: data_dir.clone(),
                socket_dir: project.path().join("elsewhere"),
                port: 20000,
                bin_dir: bins.bin_dir.clone(),
                major: 11,
            })
            .unwrap();
        let err = local.ensure_running().unwrap_err();
        assert!(
            matches!(
                err,
                ClusterError::VersionMismatch {
                    cluster_major: 11,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("install PostgreSQL 11"), "{err}");
    }

    #[test]
    fn a_moved_project_finds_its_cluster_in_its_new_place() {
        let project = open_project();
        let ferry_dir = project.path().join(".ferry");
        fs::create_dir_all(&ferry_dir).unwrap();
        let local = LocalCluster::for_project(project.path());
        let old = Record {
            data_dir: PathBuf::from("/somewhere/else/.ferry/postgres/data"),
            socket_dir: PathBuf::from("/somewhere/else/.ferry/postgres"),
            port: 23456,
            bin_dir: PathBuf::from("/usr/lib/postgresql/15/bin"),
            major: 15,
        };
        local.write_record(&old).unwrap();
        let root = fs::canonicalize(project.path()).unwrap();
        let record = local.read_record().unwrap().unwrap();
        assert_eq!(record.data_dir, root.join(".ferry/postgres/data"));
        assert_eq!(record.socket_dir, root.join(".ferry/postgres"));
        assert_eq!(record.port, 23456);

        // A cluster outside the project (the root fallback) stays where it is.
        let outside = Record {
            data_dir: PathBuf::from("/var/tmp/ferry/0123456789ab/data"),
            socket_dir: PathBuf::from("/var/tmp/ferry/0123456789ab"),
            ..old
        };
        local.write_record(&outside).unwrap();
        assert_eq!(local.read_record().unwrap().unwrap(), outside);
    }

    #[test]
    fn a_broken_record_says_which_file() {
        let project = open_project();
        fs::create_dir_all(project.path().join(".ferry")).unwrap();
        fs::write(project.path().join(".ferry/postgres.toml"), "port = 'x'").unwrap();
        let err = LocalCluster::for_project(project.path())
            .status()
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("postgres.toml is not a valid ferry cluster record"),
            "{err}"
        );
    }
}
