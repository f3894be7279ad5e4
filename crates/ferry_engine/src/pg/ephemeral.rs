//! Throwaway clusters: a copy of the cached [`Template`] in a temporary directory, started
//! attached with durability off, stopped and deleted on drop.
//!
//! Each lives in `<base>/ferry-<uid>/<pid>-<random>/` (`data/`, the socket, `postgres.log`),
//! where `<base>` is `/dev/shm` (memory) when it has room, else the temp directory.
//! The pid in the name lets a later start delete what a crashed process left behind: a
//! directory whose pid is dead is stale.

use std::fs;
use std::net::TcpListener;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::cluster::{postmaster_pid, stop_data_dir};
use super::sys;
use super::{
    Cluster, ClusterError, ConnInfo, InitOptions, PgBinaries, ShutdownMode, StartOptions, Template,
    can_traverse, make_server_dir, server_user,
};

/// How to set up an [`EphemeralCluster`] beyond the defaults (socket only, fast settings).
#[derive(Debug, Clone)]
pub struct EphemeralOptions {
    /// TCP addresses to listen on, such as `127.0.0.1`; `None`: the unix socket only.
    pub listen_addresses: Option<String>,
    /// The port; `None` picks a free TCP port on 127.0.0.1.
    pub port: Option<u16>,
    /// `pg_hba.conf` lines (put first) and `postgresql.conf` settings.
    pub init: InitOptions,
    /// `-c` settings on top of [`super::FAST_SETTINGS`].
    pub settings: Vec<(String, String)>,
    /// See [`StartOptions::die_with_parent`].
    pub die_with_parent: bool,
    pub timeout: Duration,
}

impl Default for EphemeralOptions {
    fn default() -> Self {
        EphemeralOptions {
            listen_addresses: None,
            port: None,
            init: InitOptions::default(),
            settings: Vec::new(),
            die_with_parent: false,
            timeout: Duration::from_secs(60),
        }
    }
}

/// A throwaway cluster, stopped (immediate shutdown) and deleted on drop.
#[derive(Debug)]
pub struct EphemeralCluster {
    cluster: Cluster,
    teardown: Teardown,
    template_created: bool,
    startup: Duration,
}

impl EphemeralCluster {
    /// Starts a throwaway cluster: socket only, fast settings, attached to this process.
    pub fn start(bins: &PgBinaries) -> Result<EphemeralCluster, ClusterError> {
        EphemeralCluster::start_with(bins, EphemeralOptions::default())
    }

    /// Starts a throwaway cluster configured by `opts`.
    pub fn start_with(
        bins: &PgBinaries,
        opts: EphemeralOptions,
    ) -> Result<EphemeralCluster, ClusterError> {
        let began = Instant::now();
        let user = server_user()?;
        let parent = parent_dir(user.as_ref().map(|u| (u.uid, u.gid)))?;
        // Where earlier processes may have left clusters (the choice of base can change).
        let me = sys::effective_uid();
        for base in [
            Path::new("/dev/shm"),
            &std::env::temp_dir(),
            Path::new("/tmp"),
        ] {
            clean_stale(&base.join(format!("ferry-{me}")));
        }
        let root = tempfile::Builder::new()
            .prefix(&format!("{}-", std::process::id()))
            .tempdir_in(&parent)
            .map_err(|e| ClusterError::io("create a directory in", &parent, e))?
            .keep();
        let teardown = Teardown {
            data_dir: root.join("data"),
            root: root.clone(),
            socket_dir: None,
        };
        // From here on, a failure removes what was made.
        let guard = FailureGuard(Some(teardown.clone()));
        make_server_dir(&root, user.as_ref(), 0o700)?;
        let template = Template::ensure(bins)?;
        template.copy_to(&teardown.data_dir)?;
        let mut cluster = Cluster::open(bins.clone(), &teardown.data_dir)?;
        cluster.configure(&opts.init)?;

        let mut attempt = 0;
        loop {
            attempt += 1;
            let port = match opts.port {
                Some(p) => p,
                None => free_port()?,
            };
            let mut start = StartOptions::new(&root, port, root.join("postgres.log")).fast();
            start.listen_addresses = opts.listen_addresses.clone();
            start.settings.extend(opts.settings.iter().cloned());
            start.die_with_parent = opts.die_with_parent;
            start.timeout = opts.timeout;
            match cluster.start(&start) {
                Ok(()) => break,
                // Another process took the free port between our check and the bind.
                Err(ClusterError::StartFailed { log_tail, .. })
                    if opts.port.is_none()
                        && attempt < 4
                        && log_tail.contains("could not bind") =>
                {
                    continue;
                }
                Err(e) => return Err(e),
            }
        }
        let mut teardown = teardown;
        let socket_dir = cluster.conn_info().map(|c| c.socket_dir);
        teardown.socket_dir = socket_dir.filter(|d| !d.starts_with(&root));
        std::mem::forget(guard);
        Ok(EphemeralCluster {
            cluster,
            teardown,
            template_created: template.created,
            startup: began.elapsed(),
        })
    }

    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    pub fn conn_info(&self) -> ConnInfo {
        self.cluster
            .conn_info()
            .expect("an ephemeral cluster runs until dropped")
    }

    pub fn port(&self) -> u16 {
        self.conn_info().port
    }

    pub fn socket_dir(&self) -> PathBuf {
        self.conn_info().socket_dir
    }

    /// The temporary directory holding everything; deleted on drop.
    pub fn root_dir(&self) -> &Path {
        &self.teardown.root
    }

    pub fn data_dir(&self) -> &Path {
        self.cluster.data_dir()
    }

    /// A socket URL for `dbname` ([`ConnInfo::url`]).
    pub fn url(&self, dbname: &str) -> String {
        self.conn_info().url(dbname)
    }

    pub fn config(&self, dbname: &str) -> postgres::Config {
        self.conn_info().config(dbname)
    }

    /// Connects to `dbname` as the superuser.
    pub fn connect(&self, dbname: &str) -> Result<postgres::Client, ClusterError> {
        self.cluster.connect(dbname)
    }

    /// Whether starting this cluster had to build the template first (ran `initdb`).
    pub fn template_created(&self) -> bool {
        self.template_created
    }

    /// How long [`EphemeralCluster::start`] took.
    pub fn startup_time(&self) -> Duration {
        self.startup
    }

    /// What drop does, as a value that can run without the cluster: for a cluster kept in
    /// a `static`, whose drop never runs, an exit hook can call [`Teardown::run`].
    pub fn teardown(&self) -> Teardown {
        self.teardown.clone()
    }
}

impl Drop for EphemeralCluster {
    fn drop(&mut self) {
        let _ = self
            .cluster
            .stop_with(ShutdownMode::Immediate, Duration::from_secs(10));
        self.teardown.remove_dirs();
    }
}

/// Stops an ephemeral cluster's server and deletes its directories.
#[derive(Debug, Clone)]
pub struct Teardown {
    data_dir: PathBuf,
    root: PathBuf,
    /// A socket directory outside `root` (when `root` was too long for a socket path).
    socket_dir: Option<PathBuf>,
}

impl Teardown {
    /// Immediate shutdown, then delete. Safe to call more than once.
    pub fn run(&self) {
        let _ = stop_data_dir(
            &self.data_dir,
            ShutdownMode::Immediate,
            Duration::from_secs(10),
            None,
        );
        self.remove_dirs();
    }

    fn remove_dirs(&self) {
        let _ = fs::remove_dir_all(&self.root);
        if let Some(dir) = &self.socket_dir {
            let _ = fs::remove_dir_all(dir);
        }
    }
}

/// Runs the teardown if start fails half-way.
struct FailureGuard(Option<Teardown>);

impl Drop for FailureGuard {
    fn drop(&mut self) {
        if let Some(t) = self.0.take() {
            t.run();
        }
    }
}

/// A throwaway cluster's data never needs to reach a disk, so memory is the best place:
/// measured on the development machine, copying the template takes ≈0.1 s into tmpfs against
/// 0.5–1.5 s onto ext4, and `CREATE DATABASE` speeds up likewise. `/dev/shm` is used when it
/// has room to spare (Docker gives containers only 64 MB there).
const MIN_SHM_BYTES: u64 = 1 << 30;

/// `<base>/ferry-<uid>`, where `<base>` is `/dev/shm` when it has room, else the temp dir if
/// the server user can reach it, else `/tmp` (as root, `TMPDIR` may well be under `/root`).
fn parent_dir(server: Option<(u32, u32)>) -> Result<PathBuf, ClusterError> {
    let reachable = |dir: &Path| server.is_none_or(|(uid, gid)| can_traverse(dir, uid, gid));
    let shm = Path::new("/dev/shm");
    let base = if cfg!(target_os = "linux")
        && shm.is_dir()
        && reachable(shm)
        && sys::available_bytes(shm).is_some_and(|free| free >= MIN_SHM_BYTES)
    {
        shm.to_path_buf()
    } else {
        let tmp = std::env::temp_dir();
        if reachable(&tmp) {
            tmp
        } else {
            PathBuf::from("/tmp")
        }
    };
    let me = sys::effective_uid();
    let dir = base.join(format!("ferry-{me}"));
    match fs::DirBuilder::new().mode(0o755).create(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(ClusterError::io("create directory", &dir, e)),
    }
    let meta =
        fs::symlink_metadata(&dir).map_err(|e| ClusterError::io("inspect directory", &dir, e))?;
    if !meta.is_dir() || meta.uid() != me {
        return Err(ClusterError::io(
            "use directory",
            &dir,
            std::io::Error::other(format!(
                "it is not a directory owned by uid {me}; remove it and retry"
            )),
        ));
    }
    Ok(dir)
}

/// Deletes the clusters in `parent` whose owning process (the pid in the name) is gone,
/// stopping any server still running in them first.
fn clean_stale(parent: &Path) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .split_once('-')
            .and_then(|(pid, _)| pid.parse::<i32>().ok())
        else {
            continue;
        };
        if pid as u32 == std::process::id() || sys::process_alive(pid) {
            continue;
        }
        let data_dir = entry.path().join("data");
        if postmaster_pid(&data_dir).is_some() {
            let _ = stop_data_dir(
                &data_dir,
                ShutdownMode::Immediate,
                Duration::from_secs(5),
                None,
            );
        }
        let _ = fs::remove_dir_all(entry.path());
    }
}

/// A TCP port nothing listens on at 127.0.0.1 right now.
pub(crate) fn free_port() -> Result<u16, ClusterError> {
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .map_err(|e| ClusterError::io("find a free port on", "127.0.0.1", e))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| ClusterError::io("find a free port on", "127.0.0.1", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bins() -> PgBinaries {
        PgBinaries::find().expect("PostgreSQL server binaries")
    }

    #[test]
    fn starts_queries_and_cleans_up() {
        let bins = bins();
        let eph = EphemeralCluster::start(&bins).unwrap();
        let root = eph.root_dir().to_path_buf();
        let mut client = eph.connect("postgres").unwrap();
        let row = client.query_one("SHOW fsync", &[]).unwrap();
        assert_eq!(row.get::<_, String>(0), "off");
        let mut by_url: postgres::Client = eph
            .url("postgres")
            .parse::<postgres::Config>()
            .unwrap()
            .connect(postgres::NoTls)
            .unwrap();
        let one: i32 = by_url.query_one("SELECT 1", &[]).unwrap().get(0);
        assert_eq!(one, 1);
        assert!(eph.cluster().is_running());
        drop(client);
        drop(by_url);
        drop(eph);
        assert!(!root.exists(), "{} is removed on drop", root.display());
    }

    #[test]
    fn the_template_is_reused() {
        let bins = bins();
        let first = Template::ensure(&bins).unwrap();
        let second = Template::ensure(&bins).unwrap();
        assert!(!second.created);
        assert_eq!(first.path, second.path);
        let eph = EphemeralCluster::start(&bins).unwrap();
        assert!(!eph.template_created());
        assert_eq!(
            fs::metadata(&first.path).unwrap().ino(),
            fs::metadata(&second.path).unwrap().ino()
        );
    }

    #[test]
    fn stale_clusters_of_dead_processes_are_removed() {
        let user = server_user().unwrap();
        let parent = parent_dir(user.as_ref().map(|u| (u.uid, u.gid))).unwrap();
        // pid 2^22 + 1 is above Linux's pid_max limit, so no process has it.
        let stale = parent.join("4194305-ferrytest");
        fs::create_dir_all(stale.join("data")).unwrap();
        clean_stale(&parent);
        assert!(!stale.exists());
    }
}
