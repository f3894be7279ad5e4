//! One cluster on disk (a data directory) and its server process.
//!
//! The server is started by running `postgres` directly rather than `pg_ctl`: `pg_ctl -w`
//! polls every 100 ms, while polling `postmaster.pid` every 5 ms makes a throwaway start
//! take ≈60 ms instead of ≈115 ms. Readiness comes from the status line PostgreSQL writes
//! into `postmaster.pid` (the same one `pg_ctl` reads); shutdown is a signal to the
//! postmaster (<https://www.postgresql.org/docs/current/server-shutdown.html>).

use std::fs::{self, OpenOptions};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use super::sys::{self, ChildSetup};
use super::{
    ClusterError, ConnInfo, PgBinaries, SUPERUSER, ServerUser, can_traverse, describe, log_tail,
    make_server_dir, server_command, server_user, socket_dir_for,
};

/// How often readiness and shutdown are polled.
const POLL: Duration = Duration::from_millis(5);
/// How many log lines an error about a failed start quotes.
const LOG_TAIL_LINES: usize = 20;

/// What to write into a new cluster's configuration.
#[derive(Debug, Clone, Default)]
pub struct InitOptions {
    /// `pg_hba.conf` lines such as `host all all 127.0.0.1/32 scram-sha-256`. They go
    /// *before* initdb's own lines, which trust every local connection: the first matching
    /// line wins, so appended lines would never be reached.
    pub hba_lines: Vec<String>,
    /// Settings appended to `postgresql.conf` (later lines win over initdb's).
    pub settings: Vec<(String, String)>,
}

/// How [`Cluster::stop_with`] asks the server to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShutdownMode {
    /// SIGTERM: wait for clients to disconnect.
    Smart,
    /// SIGINT: disconnect clients, checkpoint, stop. What `pg_ctl stop` does.
    Fast,
    /// SIGQUIT: stop at once without a checkpoint; the next start recovers. For clusters
    /// that are about to be deleted.
    Immediate,
}

impl ShutdownMode {
    fn signal(self) -> i32 {
        match self {
            ShutdownMode::Smart => libc::SIGTERM,
            ShutdownMode::Fast => libc::SIGINT,
            ShutdownMode::Immediate => libc::SIGQUIT,
        }
    }
}

/// How to start a server.
#[derive(Debug, Clone)]
pub struct StartOptions {
    /// Where the unix socket goes. If `<dir>/.s.PGSQL.<port>` would be too long for a socket
    /// path, a short directory under `/tmp` derived from its hash is used instead
    /// ([`super::socket_dir_for`]); [`Cluster::conn_info`] says which.
    pub socket_dir: PathBuf,
    pub port: u16,
    /// TCP addresses to listen on (`127.0.0.1`); `None` listens on the socket only.
    pub listen_addresses: Option<String>,
    /// `-c name=value` settings, such as [`super::FAST_SETTINGS`].
    pub settings: Vec<(String, String)>,
    /// The server's stdout and stderr are appended here.
    pub log_file: PathBuf,
    /// Detached: the server gets its own session and outlives this process (the project's
    /// local cluster). Attached: it is this process's child and [`Cluster`]'s drop stops it.
    pub detach: bool,
    /// Linux: the kernel sends the server SIGQUIT (immediate shutdown) when the *thread*
    /// that started it exits, so it cannot outlive a crashed test binary. Start it from a
    /// thread that lives as long as the process.
    pub die_with_parent: bool,
    /// How long to wait for the server to accept connections.
    pub timeout: Duration,
}

impl StartOptions {
    /// Attached, socket only, no extra settings, a 60 s timeout.
    pub fn new(
        socket_dir: impl Into<PathBuf>,
        port: u16,
        log_file: impl Into<PathBuf>,
    ) -> StartOptions {
        StartOptions {
            socket_dir: socket_dir.into(),
            port,
            listen_addresses: None,
            settings: Vec::new(),
            log_file: log_file.into(),
            detach: false,
            die_with_parent: false,
            timeout: Duration::from_secs(60),
        }
    }

    /// Adds [`super::FAST_SETTINGS`].
    pub fn fast(mut self) -> StartOptions {
        self.settings.extend(
            super::FAST_SETTINGS
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        self
    }
}

/// The lines of `postmaster.pid` that ferry reads.
/// See <https://www.postgresql.org/docs/current/storage-file-layout.html>.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PidFile {
    pub pid: i32,
    pub port: Option<u16>,
    pub socket_dir: Option<PathBuf>,
    pub listen: Option<String>,
    /// `starting`, `stopping`, `ready` or `standby` (PostgreSQL 10 and later).
    pub status: Option<String>,
}

impl PidFile {
    pub(crate) fn parse(text: &str) -> Option<PidFile> {
        let lines: Vec<&str> = text.lines().collect();
        let pid = lines.first()?.trim().parse().ok()?;
        let field = |i: usize| {
            lines
                .get(i)
                .map(|l| l.trim())
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
        };
        Some(PidFile {
            pid,
            port: field(3).and_then(|p| p.parse().ok()),
            socket_dir: field(4).map(PathBuf::from),
            listen: field(5),
            status: field(7),
        })
    }

    fn read(data_dir: &Path) -> Option<PidFile> {
        PidFile::parse(&fs::read_to_string(data_dir.join("postmaster.pid")).ok()?)
    }
}

/// A data directory and, when started, its server.
#[derive(Debug)]
pub struct Cluster {
    bins: PgBinaries,
    data_dir: PathBuf,
    user: Option<ServerUser>,
    /// The server this value started attached; stopped on drop.
    child: Mutex<Option<Child>>,
    conn: Option<ConnInfo>,
    log_file: Option<PathBuf>,
}

impl Cluster {
    /// A cluster at `data_dir`, which may or may not exist or run yet.
    pub fn open(bins: PgBinaries, data_dir: impl Into<PathBuf>) -> Result<Cluster, ClusterError> {
        let data_dir = absolute(data_dir.into())?;
        Ok(Cluster {
            bins,
            user: server_user()?,
            data_dir,
            child: Mutex::new(None),
            conn: None,
            log_file: None,
        })
    }

    /// Runs `initdb -D data_dir -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8`
    /// (`--locale=C` where C.UTF-8 is missing) as the server user, then writes `opts`.
    /// `data_dir` must not exist or be empty.
    pub fn init(
        bins: PgBinaries,
        data_dir: impl Into<PathBuf>,
        opts: &InitOptions,
    ) -> Result<Cluster, ClusterError> {
        let cluster = Cluster::open(bins, data_dir)?;
        cluster.run_initdb()?;
        cluster.configure(opts)?;
        Ok(cluster)
    }

    fn run_initdb(&self) -> Result<(), ClusterError> {
        let dir = &self.data_dir;
        if fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some()) {
            return Err(ClusterError::Initdb {
                data_dir: dir.clone(),
                output: "the directory is not empty".to_owned(),
            });
        }
        self.check_reachable(dir.parent().unwrap_or(dir))?;
        let mut last_output = String::new();
        for locale in ["C.UTF-8", "C"] {
            make_server_dir(dir, self.user.as_ref(), 0o700)?;
            let mut cmd = server_command(&self.bins.tool("initdb"), self.user.as_ref());
            cmd.arg("-D")
                .arg(dir)
                .args(["-U", SUPERUSER, "-A", "trust", "--no-sync", "-E", "UTF8"])
                .arg(format!("--locale={locale}"));
            if self.bins.major >= 14 {
                cmd.arg("--no-instructions");
            }
            let out = cmd.output().map_err(|e| ClusterError::Spawn {
                command: describe(&cmd),
                source: e,
            })?;
            if out.status.success() {
                return Ok(());
            }
            last_output = format!(
                "$ {}\n{}{}",
                describe(&cmd),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            // Retry with the plain C locale (no C.UTF-8 on older glibc); clean up first.
            let _ = fs::remove_dir_all(dir);
        }
        Err(ClusterError::Initdb {
            data_dir: dir.clone(),
            output: last_output.trim_end().to_owned(),
        })
    }

    /// Writes `opts` into `pg_hba.conf` (first) and `postgresql.conf` (last).
    pub fn configure(&self, opts: &InitOptions) -> Result<(), ClusterError> {
        if !opts.hba_lines.is_empty() {
            let path = self.data_dir.join("pg_hba.conf");
            let old = fs::read_to_string(&path).map_err(|e| ClusterError::io("read", &path, e))?;
            let mut new =
                String::from("# Added by ferry; first, because the first matching line wins.\n");
            for line in &opts.hba_lines {
                new.push_str(line.trim());
                new.push('\n');
            }
            new.push('\n');
            new.push_str(&old);
            fs::write(&path, new).map_err(|e| ClusterError::io("write", &path, e))?;
        }
        if !opts.settings.is_empty() {
            let path = self.data_dir.join("postgresql.conf");
            let mut text =
                fs::read_to_string(&path).map_err(|e| ClusterError::io("read", &path, e))?;
            text.push_str("\n# Added by ferry\n");
            for (name, value) in &opts.settings {
                text.push_str(&format!("{name} = '{}'\n", value.replace('\'', "''")));
            }
            fs::write(&path, text).map_err(|e| ClusterError::io("write", &path, e))?;
        }
        Ok(())
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn bins(&self) -> &PgBinaries {
        &self.bins
    }

    /// The OS user the server runs as (`None`: the current user).
    pub fn server_user(&self) -> Option<&ServerUser> {
        self.user.as_ref()
    }

    /// The log file of the last start by this value.
    pub fn log_file(&self) -> Option<&Path> {
        self.log_file.as_deref()
    }

    /// Whether `initdb` has run here (`PG_VERSION` exists).
    pub fn is_initialized(&self) -> bool {
        self.data_dir.join("PG_VERSION").is_file()
    }

    /// The major version the data directory was created by, from `PG_VERSION`.
    pub fn data_major(&self) -> Option<u32> {
        data_major(&self.data_dir)
    }

    /// Starts the server and waits until it accepts connections.
    pub fn start(&mut self, opts: &StartOptions) -> Result<(), ClusterError> {
        if let Some(pid) = self.pid() {
            return Err(self.start_failed(
                format!("it is already running (pid {pid}); stop it first"),
                &opts.log_file,
            ));
        }
        let socket_dir = socket_dir_for(&absolute(opts.socket_dir.clone())?, opts.port);
        if !socket_dir.exists() {
            make_server_dir(&socket_dir, self.user.as_ref(), 0o700)?;
        }
        self.check_reachable(&socket_dir)?;
        let log_file = absolute(opts.log_file.clone())?;
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_file)
            .map_err(|e| ClusterError::io("open the server log", &log_file, e))?;
        let log2 = log
            .try_clone()
            .map_err(|e| ClusterError::io("open the server log", &log_file, e))?;

        let mut cmd = server_command(&self.bins.tool("postgres"), self.user.as_ref());
        cmd.arg("-D")
            .arg(&self.data_dir)
            .arg("-p")
            .arg(opts.port.to_string());
        let listen = opts.listen_addresses.clone().unwrap_or_default();
        let mut settings = vec![
            ("unix_socket_directories".to_owned(), quote_dir(&socket_dir)),
            ("listen_addresses".to_owned(), listen.clone()),
        ];
        settings.extend(opts.settings.iter().cloned());
        for (name, value) in settings {
            cmd.arg("-c").arg(format!("{name}={value}"));
        }
        cmd.stdin(Stdio::null()).stdout(log).stderr(log2);
        sys::configure_child(
            &mut cmd,
            ChildSetup {
                new_session: opts.detach,
                parent_death_signal: opts.die_with_parent.then_some(libc::SIGQUIT),
            },
        );
        let mut child = cmd.spawn().map_err(|e| ClusterError::Spawn {
            command: describe(&cmd),
            source: e,
        })?;
        self.log_file = Some(log_file.clone());

        let started = Instant::now();
        let pid = child.id() as i32;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(self.start_failed(format!("the server exited ({status})"), &log_file));
            }
            if let Some(pf) = PidFile::read(&self.data_dir)
                && pf.pid == pid
                && is_ready(&pf, &socket_dir, opts.port, self.bins.major)
            {
                break;
            }
            if started.elapsed() > opts.timeout {
                let _ = sys::send_signal(pid, libc::SIGQUIT);
                let _ = child.wait();
                return Err(self.start_failed(
                    format!(
                        "it did not accept connections within {} s",
                        opts.timeout.as_secs()
                    ),
                    &log_file,
                ));
            }
            thread::sleep(POLL);
        }

        let mut conn = ConnInfo::new(socket_dir, opts.port);
        conn.tcp_host = listen
            .split(',')
            .map(str::trim)
            .find(|a| !a.is_empty())
            .map(|a| {
                if a == "*" {
                    "127.0.0.1".to_owned()
                } else {
                    a.to_owned()
                }
            });
        self.conn = Some(conn);
        if opts.detach {
            // Reap it if it stops while we still run, so it leaves no zombie; the thread
            // does not keep ferry alive, and the server outlives ferry.
            thread::spawn(move || {
                let _ = child.wait();
            });
        } else {
            *self.child.lock().unwrap_or_else(|e| e.into_inner()) = Some(child);
        }
        Ok(())
    }

    fn start_failed(&self, reason: String, log_file: &Path) -> ClusterError {
        ClusterError::StartFailed {
            data_dir: self.data_dir.clone(),
            reason,
            log_file: log_file.to_path_buf(),
            log_tail: log_tail(log_file, LOG_TAIL_LINES),
        }
    }

    fn check_reachable(&self, path: &Path) -> Result<(), ClusterError> {
        if let Some(u) = &self.user
            && !can_traverse(path, u.uid, u.gid)
        {
            return Err(ClusterError::Unreachable {
                path: path.to_path_buf(),
                user: u.name.clone(),
            });
        }
        Ok(())
    }

    /// The postmaster's pid if one runs for this data directory: `postmaster.pid` names a
    /// live `postgres` process. A child this value started and that has exited is reaped.
    pub fn pid(&self) -> Option<i32> {
        if let Some(child) = self
            .child
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_mut()
            && let Ok(Some(_)) = child.try_wait()
        {
            return None;
        }
        postmaster_pid(&self.data_dir)
    }

    /// Whether the server runs and its socket accepts connections.
    pub fn is_running(&self) -> bool {
        self.pid().is_some()
            && self
                .conn_info()
                .is_some_and(|c| UnixStream::connect(c.socket_path()).is_ok())
    }

    /// Where the running server listens: from the start by this value, else from
    /// `postmaster.pid` (a server started by an earlier ferry).
    pub fn conn_info(&self) -> Option<ConnInfo> {
        if let Some(conn) = &self.conn {
            return Some(conn.clone());
        }
        let pf = PidFile::read(&self.data_dir)?;
        let mut conn = ConnInfo::new(pf.socket_dir?, pf.port?);
        conn.tcp_host = pf.listen;
        Some(conn)
    }

    /// A driver configuration for `dbname` on the running server.
    pub fn config(&self, dbname: &str) -> Option<postgres::Config> {
        self.conn_info().map(|c| c.config(dbname))
    }

    /// A socket URL for `dbname` on the running server ([`ConnInfo::url`]).
    pub fn url(&self, dbname: &str) -> Option<String> {
        self.conn_info().map(|c| c.url(dbname))
    }

    /// Connects to `dbname` as the superuser.
    pub fn connect(&self, dbname: &str) -> Result<postgres::Client, ClusterError> {
        let conn = self.conn_info().ok_or_else(|| ClusterError::StartFailed {
            data_dir: self.data_dir.clone(),
            reason: "it is not running".to_owned(),
            log_file: self.log_file.clone().unwrap_or_default(),
            log_tail: String::new(),
        })?;
        conn.config(dbname)
            .connect(postgres::NoTls)
            .map_err(|e| ClusterError::Connect {
                target: conn.url(dbname),
                source: e,
            })
    }

    /// Waits until a server that is already starting (started by another process) is ready.
    pub fn wait_until_ready(&self, timeout: Duration) -> Result<(), ClusterError> {
        let started = Instant::now();
        loop {
            match PidFile::read(&self.data_dir) {
                Some(pf) if sys::process_alive(pf.pid) => {
                    if let (Some(dir), Some(port)) = (&pf.socket_dir, pf.port)
                        && is_ready(&pf, dir, port, self.bins.major)
                    {
                        return Ok(());
                    }
                }
                _ => {
                    let log = self.log_file.clone().unwrap_or_default();
                    return Err(self.start_failed("the server is not running".to_owned(), &log));
                }
            }
            if started.elapsed() > timeout {
                let log = self.log_file.clone().unwrap_or_default();
                return Err(self.start_failed(
                    format!("it did not become ready within {} s", timeout.as_secs()),
                    &log,
                ));
            }
            thread::sleep(POLL);
        }
    }

    /// Stops the server (fast shutdown) and waits until it has exited. `Ok(false)` when it
    /// was not running.
    pub fn stop(&mut self) -> Result<bool, ClusterError> {
        self.stop_with(ShutdownMode::Fast, Duration::from_secs(60))
    }

    /// Stops the server with `mode`; after `timeout` escalates to an immediate shutdown.
    pub fn stop_with(
        &mut self,
        mode: ShutdownMode,
        timeout: Duration,
    ) -> Result<bool, ClusterError> {
        let child = self
            .child
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        let stopped = stop_data_dir(&self.data_dir, mode, timeout, child)?;
        self.conn = None;
        Ok(stopped)
    }
}

impl Drop for Cluster {
    /// Stops a server this value started attached; a detached one keeps running.
    fn drop(&mut self) {
        let child = self
            .child
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if child.is_some() {
            let _ = stop_data_dir(
                &self.data_dir,
                ShutdownMode::Immediate,
                Duration::from_secs(10),
                child,
            );
        }
    }
}

/// Stops the server of `data_dir`, if one runs, and waits for it to exit; `child` is its
/// process handle when we started it (so it gets reaped). Usable without a [`Cluster`],
/// e.g. from an exit hook.
pub(crate) fn stop_data_dir(
    data_dir: &Path,
    mode: ShutdownMode,
    timeout: Duration,
    mut child: Option<Child>,
) -> Result<bool, ClusterError> {
    let pid = match (&mut child, postmaster_pid(data_dir)) {
        (_, Some(pid)) => pid,
        (Some(c), None) => {
            let _ = c.try_wait();
            return Ok(false);
        }
        (None, None) => return Ok(false),
    };
    let gone = |child: &mut Option<Child>| match child {
        Some(c) if c.id() as i32 == pid => matches!(c.try_wait(), Ok(Some(_))),
        _ => !sys::process_alive(pid) || !data_dir.join("postmaster.pid").exists(),
    };
    let mut signal = mode.signal();
    let mut deadline = Instant::now() + timeout;
    loop {
        match sys::send_signal(pid, signal) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(libc::ESRCH) => break,
            Err(e) => {
                return Err(ClusterError::StopFailed {
                    data_dir: data_dir.to_path_buf(),
                    detail: format!(
                        "could not signal its postmaster (pid {pid}): {e}; stop it as the user that started it"
                    ),
                });
            }
        }
        while !gone(&mut child) && Instant::now() < deadline {
            thread::sleep(POLL);
        }
        if gone(&mut child) {
            break;
        }
        if signal == libc::SIGQUIT {
            return Err(ClusterError::StopFailed {
                data_dir: data_dir.to_path_buf(),
                detail: format!(
                    "its postmaster (pid {pid}) still runs after an immediate shutdown; kill it with `kill -9 {pid}`"
                ),
            });
        }
        signal = libc::SIGQUIT;
        deadline = Instant::now() + Duration::from_secs(10);
    }
    if let Some(mut c) = child {
        let _ = c.wait();
    }
    // The postmaster removes postmaster.pid as it exits; wait for that so a new start
    // right after this one does not find it.
    let until = Instant::now() + Duration::from_secs(2);
    while data_dir.join("postmaster.pid").exists()
        && postmaster_pid(data_dir).is_some()
        && Instant::now() < until
    {
        thread::sleep(POLL);
    }
    Ok(true)
}

/// The pid in `postmaster.pid` if it names a live postmaster.
pub(crate) fn postmaster_pid(data_dir: &Path) -> Option<i32> {
    let pf = PidFile::read(data_dir)?;
    if !sys::process_alive(pf.pid) {
        return None;
    }
    // A stale file can name a pid since reused by an unrelated process: on Linux, check
    // that it is a postgres (its command name is `postgres`, or `postmaster`).
    if let Ok(comm) = fs::read_to_string(format!("/proc/{}/comm", pf.pid))
        && !comm.trim().starts_with("post")
    {
        return None;
    }
    Some(pf.pid)
}

/// The major version in `<data_dir>/PG_VERSION`.
pub(crate) fn data_major(data_dir: &Path) -> Option<u32> {
    let text = fs::read_to_string(data_dir.join("PG_VERSION")).ok()?;
    text.trim().split('.').next()?.parse().ok()
}

/// Whether the server accepts connections. From PostgreSQL 10 on, the postmaster writes
/// `ready` into `postmaster.pid` once it does (what `pg_ctl -w` waits for); an accepting
/// socket alone is not enough, the server refuses connections while it starts up. Older
/// servers have no status line, so there a real connection is tried.
fn is_ready(pf: &PidFile, socket_dir: &Path, port: u16, major: u32) -> bool {
    if major >= 10 {
        return pf.status.as_deref() == Some("ready");
    }
    ConnInfo::new(socket_dir, port)
        .config("postgres")
        .connect(postgres::NoTls)
        .is_ok()
}

/// A directory for `unix_socket_directories`: a comma-separated list in which a name with
/// spaces or commas is double-quoted (and `"` doubled).
fn quote_dir(dir: &Path) -> String {
    let s = dir.to_string_lossy();
    if s.contains([',', ' ', '"', '\t']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.into_owned()
    }
}

fn absolute(path: PathBuf) -> Result<PathBuf, ClusterError> {
    std::path::absolute(&path).map_err(|e| ClusterError::io("resolve", &path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_postmaster_pid() {
        let text = "4242\n/var/tmp/ferry/abc/data\n1700000000\n25432\n/tmp/ferry-0/1-x\n\n  5432001    131072\nready   \n";
        let pf = PidFile::parse(text).unwrap();
        assert_eq!(pf.pid, 4242);
        assert_eq!(pf.port, Some(25432));
        assert_eq!(pf.socket_dir, Some(PathBuf::from("/tmp/ferry-0/1-x")));
        assert_eq!(pf.listen, None);
        assert_eq!(pf.status.as_deref(), Some("ready"));
        assert_eq!(PidFile::parse("garbage"), None);
    }

    #[test]
    fn quotes_socket_dirs_with_separators() {
        assert_eq!(quote_dir(Path::new("/tmp/a")), "/tmp/a");
        assert_eq!(quote_dir(Path::new("/tmp/a b,c")), "\"/tmp/a b,c\"");
    }
}
