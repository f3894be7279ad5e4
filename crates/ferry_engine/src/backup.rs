//! Backups before migrating, and restoring them: `up --backup` and `ferry restore FILE`.
//!
//! A backup is a `pg_dump --format=custom` archive of the whole target database, written to
//! `<project>/.ferry/backups/<db>-<UTC time>-before-up.dump` (mode 0600, in a 0700 folder with a
//! `.gitignore`: it holds the data). pg_dump refuses servers of a newer major than its own, so
//! [`find_client`] picks, among the client binaries on this machine, the lowest major at least
//! the server's; Debian's `/usr/bin/pg_dump` is a Perl wrapper (pg_wrapper) choosing a version
//! by its own rules, so only real binaries count. The connection goes to the child through
//! libpq's environment variables (`PGHOST`, `PGPASSWORD`, …, see [`ConnParams`]), never its
//! command line, where `ps` would show the password.
//!
//! ## How a restore gives back exactly the database of the backup
//!
//! `pg_restore --clean --if-exists` drops only the objects that are *in the archive* before
//! recreating them. What the unwanted migration created after the backup (a new table in
//! `public`, a new schema, an extension) is not in the archive, so it would survive, and a
//! table the migration replaced under the same name would clash. So [`restore`] first empties
//! the database, and rebuilds it from the archive, **in one transaction**:
//!
//! 1. `BEGIN`, then [`PRELUDE`]: drop every schema that is not a system one (`pg_*`,
//!    `information_schema`) with `CASCADE`, which includes the project's schemas and ferry's
//!    tracking schema (a normal schema, in the archive like any other); the extensions made
//!    after `initdb` (pg_dump archives all of them), event triggers, publications and the large
//!    objects the user owns. `public` is recreated empty as a fresh database has it (owner, the
//!    default grants and comment), because pg_dump assumes it exists and only records how it
//!    differs from that default.
//! 2. The archive as SQL (`pg_restore --clean --if-exists --file=-`, streamed, never written
//!    to disk): `--clean --if-exists` still matters for objects outside schemas that the
//!    prelude keeps (casts, languages, foreign-data wrappers), which the archive recreates.
//!    Owners and grants are restored as they were (no `--no-owner`): the point is to get back
//!    exactly the database of before; a user that may not set an owner gets an error, not a
//!    silently different database.
//! 3. `COMMIT`, sent only once pg_restore has exited successfully.
//!
//! The SQL runs through `psql -v ON_ERROR_STOP=1` (from the same directory as pg_restore,
//! so the `\restrict` lines of recent releases are understood). Any error, a truncated or
//! unreadable archive, or ferry being killed leaves the database exactly as it was: the
//! transaction never commits. `pg_restore --single-transaction -d DB` cannot do this: its
//! transaction cannot include the prelude.
//!
//! Not covered: objects outside any schema created *after* the backup and not in it (a new
//! cast between built-in types, a new foreign server of a built-in wrapper, subscriptions,
//! `ALTER DEFAULT PRIVILEGES` for all schemas) survive the restore; roles and other cluster-wide
//! objects are not in a pg_dump archive at all.

use std::ffi::OsString;
use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use postgres::config::{Host, TargetSessionAttrs};
use serde::Serialize;

use crate::connect::{SslMode, SslSettings};
use crate::env::EnvVars;

/// The folder for backups, under the project root.
pub const DEFAULT_DIR: &str = ".ferry/backups";

/// Which client programs a job needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// `pg_dump`.
    Dump,
    /// `pg_restore`, and `psql` from the same directory.
    Restore,
}

impl Tool {
    /// The program whose version decides, and the programs that must sit next to it.
    fn programs(self) -> &'static [&'static str] {
        match self {
            Tool::Dump => &["pg_dump"],
            Tool::Restore => &["pg_restore", "psql"],
        }
    }

    /// The name of the program whose version decides.
    pub fn name(self) -> &'static str {
        self.programs()[0]
    }
}

/// A directory of PostgreSQL client programs, and their version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgClient {
    /// The directory, symlinks resolved.
    pub bin_dir: PathBuf,
    /// The major version: 16 for 16.4.
    pub major: u32,
    /// What `--version` reports, such as `16.4`.
    pub version: String,
}

impl PgClient {
    /// The path of one program, such as `pg_dump`.
    pub fn program(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }
}

/// Why a backup or a restore could not be made.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// No client program new enough for the server (pg_dump refuses newer servers).
    #[error("{}", no_client_message(*.tool, *.server_major, .found, .searched))]
    NoPgDump {
        tool: Tool,
        server_major: u32,
        /// Every real program that was found, with its major version.
        found: Vec<(PathBuf, u32)>,
        /// Where it was looked for.
        searched: Vec<String>,
    },
    #[error("could not run {command}: {source}")]
    Spawn {
        command: String,
        #[source]
        source: io::Error,
    },
    /// pg_dump, pg_restore or psql failed; `stderr` is redacted.
    #[error("{what} failed ({status}): {stderr}")]
    Failed {
        what: String,
        status: String,
        stderr: String,
    },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "{} is not a backup pg_restore {version} can read: {detail} (a backup made by a newer pg_dump needs that version's pg_restore: install it or set FERRY_PG_BIN)",
        path.display()
    )]
    NotAnArchive {
        path: PathBuf,
        version: String,
        detail: String,
    },
    #[error("restore not confirmed: nothing was changed")]
    Declined,
    #[error(
        "a throwaway cluster (--ephemeral) is removed when ferry exits: there is nothing to {what}"
    )]
    Ephemeral { what: &'static str },
}

fn no_client_message(
    tool: Tool,
    server_major: u32,
    found: &[(PathBuf, u32)],
    searched: &[String],
) -> String {
    let name = tool.name();
    let mut text = format!(
        "no {name} of PostgreSQL {server_major} or newer on this machine (the server is PostgreSQL {server_major}, and {name} refuses servers newer than itself)"
    );
    if found.is_empty() {
        text.push_str(&format!(
            "; found no {name} (looked in: {})",
            searched.join(", ")
        ));
    } else {
        let list: Vec<String> = found
            .iter()
            .map(|(path, major)| format!("{major} at {}", path.display()))
            .collect();
        text.push_str(&format!("; found {name} {}", list.join(", ")));
    }
    if tool == Tool::Restore {
        text.push_str(" (psql must be next to pg_restore)");
    }
    text.push_str(&format!(
        "; install postgresql-client-{server_major}, or set FERRY_PG_BIN to the bin directory of PostgreSQL {server_major} or newer; nothing was run"
    ));
    text
}

/// Where the client programs are looked for, in order: `FERRY_PG_BIN` alone when it is set
/// (it was set on purpose, as for the server binaries), else `pg_config --bindir`, each
/// directory of `PATH`, `/usr/lib/postgresql/*/bin` (Debian, Ubuntu) and `/usr/pgsql-*/bin`
/// (RHEL). Returns the directories and a description of the search for error messages.
pub fn candidate_dirs() -> (Vec<PathBuf>, Vec<String>) {
    if let Some(dir) = std::env::var_os(EnvVars::FERRY_PG_BIN).filter(|v| !v.is_empty()) {
        let dir = PathBuf::from(dir);
        let searched = vec![format!("FERRY_PG_BIN={}", dir.display())];
        return (vec![dir], searched);
    }
    let mut dirs = Vec::new();
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        dirs.push(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    }
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    for (parent, prefix) in [("/usr/lib/postgresql", ""), ("/usr", "pgsql-")] {
        let mut versioned: Vec<(u32, PathBuf)> = fs::read_dir(parent)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                let version = name.strip_prefix(prefix)?;
                let major = version.split('.').next()?.parse().ok()?;
                Some((major, entry.path().join("bin")))
            })
            .collect();
        versioned.sort();
        dirs.extend(versioned.into_iter().map(|(_, dir)| dir));
    }
    let searched = vec![
        "pg_config --bindir".to_owned(),
        "PATH".to_owned(),
        "/usr/lib/postgresql/*/bin".to_owned(),
        "/usr/pgsql-*/bin".to_owned(),
    ];
    (dirs, searched)
}

/// The client programs for `tool` in each of `dirs` (real binaries only, each directory once).
pub fn discover(tool: Tool, dirs: &[PathBuf]) -> Vec<PgClient> {
    let mut seen = Vec::new();
    let mut clients = Vec::new();
    for dir in dirs {
        let Some(client) = client_in(tool, dir) else {
            continue;
        };
        if seen.contains(&client.bin_dir) {
            continue;
        }
        seen.push(client.bin_dir.clone());
        clients.push(client);
    }
    clients
}

/// The client in `dir`, when it holds every program of `tool` as a real binary.
fn client_in(tool: Tool, dir: &Path) -> Option<PgClient> {
    let main = fs::canonicalize(dir.join(tool.name())).ok()?;
    // A symlink to Debian's pg_wrapper resolves to a file of another name; the wrapper is a
    // script. Either way it is not a pg_dump of one known version.
    if main.file_name()? != tool.name() || is_script(&main) {
        return None;
    }
    let bin_dir = main.parent()?.to_path_buf();
    if !tool.programs().iter().all(|p| bin_dir.join(p).is_file()) {
        return None;
    }
    let out = Command::new(&main).arg("--version").output().ok()?;
    let (version, major) = parse_version(&String::from_utf8_lossy(&out.stdout))?;
    Some(PgClient {
        bin_dir,
        major,
        version,
    })
}

fn is_script(path: &Path) -> bool {
    let mut head = [0u8; 2];
    fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| &head == b"#!")
}

/// Parses `pg_dump (PostgreSQL) 16.4 (Debian 16.4-1)` into `("16.4", 16)`.
pub fn parse_version(output: &str) -> Option<(String, u32)> {
    let line = output.lines().next()?.trim();
    let rest = line.split_once("(PostgreSQL)").map(|(_, r)| r)?;
    let version = rest.split_whitespace().next()?;
    let digits: String = version.chars().take_while(|c| c.is_ascii_digit()).collect();
    Some((version.to_owned(), digits.parse().ok()?))
}

/// The client to use for a server of `server_major`: the lowest major at least the server's
/// (the closest to it), the first found among equals.
pub fn select(clients: &[PgClient], server_major: u32) -> Option<&PgClient> {
    clients
        .iter()
        .filter(|c| c.major >= server_major)
        .min_by_key(|c| c.major)
}

/// Finds the client programs for `tool` able to work with a server of `server_major`.
pub fn find_client(tool: Tool, server_major: u32) -> Result<PgClient, BackupError> {
    let (dirs, searched) = candidate_dirs();
    let clients = discover(tool, &dirs);
    match select(&clients, server_major) {
        Some(client) => Ok(client.clone()),
        None => Err(BackupError::NoPgDump {
            tool,
            server_major,
            found: clients
                .iter()
                .map(|c| (c.program(tool.name()), c.major))
                .collect(),
            searched,
        }),
    }
}

/// How a client program reaches the target: libpq's variables, taken from the driver's
/// configuration. `Debug` never shows the password.
#[derive(Clone, Default)]
pub struct ConnParams {
    /// Host names, IP addresses or Unix-socket directories.
    pub hosts: Vec<String>,
    pub hostaddrs: Vec<String>,
    pub ports: Vec<u16>,
    pub user: Option<String>,
    pub dbname: Option<String>,
    password: Option<Vec<u8>>,
    pub ssl: SslSettings,
    pub connect_timeout: Option<Duration>,
    pub read_write: bool,
}

impl std::fmt::Debug for ConnParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnParams")
            .field("hosts", &self.hosts)
            .field("hostaddrs", &self.hostaddrs)
            .field("ports", &self.ports)
            .field("user", &self.user)
            .field("dbname", &self.dbname)
            .field(
                "password",
                &self.password.as_ref().map(|_| crate::redact::MASK),
            )
            .field("ssl", &self.ssl)
            .finish()
    }
}

impl ConnParams {
    pub fn new(config: &postgres::Config, ssl: &SslSettings) -> ConnParams {
        ConnParams {
            hosts: config
                .get_hosts()
                .iter()
                .map(|h| match h {
                    Host::Tcp(name) => name.clone(),
                    Host::Unix(dir) => dir.display().to_string(),
                })
                .collect(),
            hostaddrs: config
                .get_hostaddrs()
                .iter()
                .map(|a| a.to_string())
                .collect(),
            ports: config.get_ports().to_vec(),
            user: config.get_user().map(str::to_owned),
            dbname: config.get_dbname().map(str::to_owned),
            password: config.get_password().map(<[u8]>::to_vec),
            ssl: ssl.clone(),
            connect_timeout: config.get_connect_timeout().copied(),
            read_write: config.get_target_session_attrs() == TargetSessionAttrs::ReadWrite,
        }
    }

    /// The database name, for file names and messages.
    pub fn database(&self) -> &str {
        self.dbname.as_deref().unwrap_or("postgres")
    }

    /// The libpq variables for a client of `major`.
    pub fn env(&self, major: u32) -> Vec<(&'static str, OsString)> {
        let join = |items: &[String]| OsString::from(items.join(","));
        let mut vars = Vec::new();
        if !self.hosts.is_empty() {
            vars.push((EnvVars::PGHOST, join(&self.hosts)));
        }
        if !self.hostaddrs.is_empty() {
            vars.push(("PGHOSTADDR", join(&self.hostaddrs)));
        }
        if !self.ports.is_empty() {
            let ports: Vec<String> = self.ports.iter().map(u16::to_string).collect();
            vars.push((EnvVars::PGPORT, join(&ports)));
        }
        if let Some(user) = &self.user {
            vars.push((EnvVars::PGUSER, user.into()));
        }
        if let Some(db) = &self.dbname {
            vars.push((EnvVars::PGDATABASE, db.into()));
        }
        if let Some(password) = &self.password {
            vars.push((EnvVars::PGPASSWORD, OsString::from_vec(password.clone())));
        }
        vars.push((EnvVars::PGSSLMODE, self.ssl.mode.as_str().into()));
        match &self.ssl.root_cert {
            Some(cert) => vars.push((EnvVars::PGSSLROOTCERT, cert.into())),
            // ferry verifies against the system's roots without a root certificate; libpq
            // says so with `sslrootcert=system` (PostgreSQL 16 and newer).
            None if matches!(self.ssl.mode, SslMode::VerifyCa | SslMode::VerifyFull)
                && major >= 16 =>
            {
                vars.push((EnvVars::PGSSLROOTCERT, "system".into()))
            }
            None => {}
        }
        if let Some(timeout) = self.connect_timeout {
            vars.push((
                EnvVars::PGCONNECT_TIMEOUT,
                timeout.as_secs().max(2).to_string().into(),
            ));
        }
        if self.read_write {
            vars.push(("PGTARGETSESSIONATTRS", "read-write".into()));
        }
        vars.push((EnvVars::PGAPPNAME, "ferry backup".into()));
        vars
    }

    /// A command for `program` reaching the target: every `PG*` variable of ferry's own
    /// environment removed (a `PGSERVICE` or `PGOPTIONS` must not redirect it), ours set.
    pub fn command(&self, program: &Path, major: u32) -> Command {
        let mut cmd = Command::new(program);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("PG") {
                cmd.env_remove(key);
            }
        }
        cmd.envs(self.env(major));
        cmd
    }
}

/// How the client programs reach the target of `args`, and the `backup` setting of its
/// environment (`None` when it has none). Resolved the way [`crate::session::open`] does; for
/// ferry's local PostgreSQL, its running cluster.
pub fn target_params(
    config: &crate::config::Config,
    args: &crate::session::TargetArgs,
    what: &'static str,
) -> Result<(ConnParams, Option<bool>), crate::Error> {
    if args.ephemeral {
        return Err(BackupError::Ephemeral { what }.into());
    }
    Ok(match crate::session::resolve_target(config, args)? {
        Some(target) => (ConnParams::new(&target.config, &target.ssl), target.backup),
        None => {
            let status = crate::pg::LocalCluster::for_project(&config.root).status()?;
            (
                ConnParams::new(&status.config("postgres"), &SslSettings::disabled()),
                None,
            )
        }
    })
}

/// A backup that was written.
#[derive(Debug, Clone, Serialize)]
pub struct Backup {
    pub path: PathBuf,
    pub bytes: u64,
}

/// The pg_dump command writing the archive `file`.
pub fn dump_command(pg_dump: &PgClient, conn: &ConnParams, file: &Path) -> Command {
    let mut cmd = conn.command(&pg_dump.program("pg_dump"), pg_dump.major);
    cmd.arg("--format=custom")
        .arg("--no-password")
        .arg(format!("--file={}", file.display()));
    cmd
}

/// Creates `dir` (0700) when missing; in ferry's own folder, with a `.gitignore` that keeps
/// the backups out of version control.
pub fn prepare_dir(dir: &Path, gitignore: bool) -> Result<(), BackupError> {
    let io_err = |source| BackupError::Io {
        path: dir.to_owned(),
        source,
    };
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io_err)?;
    let ignore = dir.join(".gitignore");
    if gitignore && !ignore.exists() {
        fs::write(
            &ignore,
            "# Written by ferry: backups hold the database's data.\n*\n",
        )
        .map_err(io_err)?;
    }
    Ok(())
}

/// The file name of a backup: `<db>-<UTC time>-before-up.dump`.
pub fn file_name(database: &str, at: SystemTime, suffix: u32) -> String {
    let db: String = database
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let stamp = humantime::format_rfc3339_seconds(at)
        .to_string()
        .replace([':', '-'], "");
    match suffix {
        0 | 1 => format!("{db}-{stamp}-before-up.dump"),
        n => format!("{db}-{stamp}-{n}-before-up.dump"),
    }
}

/// Runs pg_dump into a new file of `dir` (which must exist) and returns it. On failure the
/// partial file is removed and the error carries pg_dump's message (redacted).
pub fn create_backup(
    pg_dump: &PgClient,
    conn: &ConnParams,
    dir: &Path,
) -> Result<Backup, BackupError> {
    let now = SystemTime::now();
    let (path, file) = (1..)
        .map(|n| dir.join(file_name(conn.database(), now, n)))
        .find_map(|path| {
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
            {
                Ok(file) => Some(Ok((path, file))),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => None,
                Err(source) => Some(Err(BackupError::Io { path, source })),
            }
        })
        .expect("a free file name")?;
    drop(file);
    let mut cmd = dump_command(pg_dump, conn, &path);
    let result = run(&mut cmd, "pg_dump");
    if let Err(e) = result {
        let _ = fs::remove_file(&path);
        return Err(e);
    }
    let bytes = fs::metadata(&path)
        .map_err(|source| BackupError::Io {
            path: path.clone(),
            source,
        })?
        .len();
    Ok(Backup { path, bytes })
}

/// Runs `cmd` to completion; a failure becomes [`BackupError::Failed`] with its stderr.
fn run(cmd: &mut Command, what: &str) -> Result<String, BackupError> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|source| BackupError::Spawn {
            command: describe(cmd),
            source,
        })?;
    if !out.status.success() {
        return Err(failed(what, &out.status, &out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn failed(what: &str, status: &std::process::ExitStatus, stderr: &[u8]) -> BackupError {
    let text = String::from_utf8_lossy(stderr);
    BackupError::Failed {
        what: what.to_owned(),
        status: status.to_string(),
        stderr: crate::redact::redact(text.trim()).into_owned(),
    }
}

/// A command line for messages: the program and its arguments (never the environment).
pub fn describe(cmd: &Command) -> String {
    let mut text = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    crate::redact::redact(&text).into_owned()
}

/// What `pg_restore --list` says about an archive.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ArchiveInfo {
    /// The database it was taken from.
    pub database: Option<String>,
    /// When it was taken, as pg_dump wrote it.
    pub created: Option<String>,
    /// The server version it was taken from.
    pub server_version: Option<String>,
}

/// Checks that `file` is an archive `pg_restore` can read, and reads its header.
pub fn inspect(pg_restore: &PgClient, file: &Path) -> Result<ArchiveInfo, BackupError> {
    let mut cmd = Command::new(pg_restore.program("pg_restore"));
    cmd.arg("--list").arg(file);
    let text = run(&mut cmd, "pg_restore --list").map_err(|e| match e {
        BackupError::Failed { stderr, .. } => BackupError::NotAnArchive {
            path: file.to_owned(),
            version: pg_restore.version.clone(),
            detail: stderr,
        },
        other => other,
    })?;
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.trim_start_matches(';').trim().strip_prefix(name))
            .map(|v| v.trim().to_owned())
    };
    Ok(ArchiveInfo {
        database: field("dbname:"),
        created: field("Archive created at"),
        server_version: field("Dumped from database version:"),
    })
}

/// Empties the database before the archive is loaded, in the restore's transaction; see the
/// module documentation. `IF EXISTS` everywhere: a cascade may already have dropped an object
/// the loop reaches later.
pub const PRELUDE: &str = r#"SET client_min_messages = warning;
DO $ferry_restore$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT evtname FROM pg_catalog.pg_event_trigger LOOP
        EXECUTE format('DROP EVENT TRIGGER IF EXISTS %I CASCADE', r.evtname);
    END LOOP;
    FOR r IN SELECT pubname FROM pg_catalog.pg_publication LOOP
        EXECUTE format('DROP PUBLICATION IF EXISTS %I CASCADE', r.pubname);
    END LOOP;
    -- pg_dump archives every extension but those of initdb (plpgsql).
    FOR r IN SELECT extname FROM pg_catalog.pg_extension WHERE oid >= 16384 LOOP
        EXECUTE format('DROP EXTENSION IF EXISTS %I CASCADE', r.extname);
    END LOOP;
    PERFORM pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata
        WHERE pg_catalog.pg_has_role(lomowner, 'USAGE');
    FOR r IN SELECT nspname, pg_catalog.pg_get_userbyid(nspowner) AS owner
             FROM pg_catalog.pg_namespace
             WHERE nspname !~ '^pg_' AND nspname <> 'information_schema' LOOP
        EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', r.nspname);
        IF r.nspname = 'public' THEN
            -- As a new database has it: pg_dump records only how public differs from this.
            IF pg_catalog.current_setting('server_version_num')::int >= 150000 THEN
                CREATE SCHEMA public AUTHORIZATION pg_database_owner;
                GRANT USAGE ON SCHEMA public TO PUBLIC;
            ELSE
                EXECUTE format('CREATE SCHEMA public AUTHORIZATION %I', r.owner);
                GRANT CREATE, USAGE ON SCHEMA public TO PUBLIC;
            END IF;
            COMMENT ON SCHEMA public IS 'standard public schema';
        END IF;
    END LOOP;
END
$ferry_restore$;
"#;

/// The pg_restore command printing the archive as SQL on stdout.
pub fn restore_script_command(pg_restore: &PgClient, file: &Path) -> Command {
    let mut cmd = Command::new(pg_restore.program("pg_restore"));
    cmd.args(["--clean", "--if-exists", "--file=-"]).arg(file);
    cmd
}

/// The psql command running SQL from stdin against the target, stopping at the first error.
pub fn psql_command(client: &PgClient, conn: &ConnParams) -> Command {
    let mut cmd = conn.command(&client.program("psql"), client.major);
    cmd.args([
        "--no-psqlrc",
        "--quiet",
        "--no-password",
        "--set=ON_ERROR_STOP=1",
        "--file=-",
    ]);
    cmd
}

/// Replaces the target database's schema and data with the archive `file`, all or nothing;
/// see the module documentation.
pub fn restore(pg_restore: &PgClient, conn: &ConnParams, file: &Path) -> Result<(), BackupError> {
    let mut script_cmd = restore_script_command(pg_restore, file);
    let mut script = script_cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| BackupError::Spawn {
            command: describe(&script_cmd),
            source,
        })?;
    let mut psql_cmd = psql_command(pg_restore, conn);
    let mut psql = match psql_cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(source) => {
            let _ = script.kill();
            let _ = script.wait();
            return Err(BackupError::Spawn {
                command: describe(&psql_cmd),
                source,
            });
        }
    };
    let script_err = drain(script.stderr.take());
    let psql_err = drain(psql.stderr.take());
    let mut input = psql.stdin.take().expect("piped stdin");
    let mut output = script.stdout.take().expect("piped stdout");
    let sent = input
        .write_all(b"BEGIN;\n")
        .and_then(|()| input.write_all(PRELUDE.as_bytes()))
        .and_then(|()| io::copy(&mut output, &mut input).map(drop));
    // Unblocks pg_restore if psql stopped reading (an error): it gets a broken pipe.
    drop(output);
    let script_status = script.wait();
    let script_ok = matches!(&script_status, Ok(s) if s.success());
    if sent.is_ok() && script_ok {
        // The whole archive went through: only now may the transaction commit.
        let _ = input.write_all(b"\nCOMMIT;\n");
    }
    // Without COMMIT, psql ends at end of input and the server rolls everything back.
    drop(input);
    let psql_status = psql.wait().map_err(|source| BackupError::Spawn {
        command: describe(&psql_cmd),
        source,
    })?;
    let script_err = script_err.join().unwrap_or_default();
    let psql_err = psql_err.join().unwrap_or_default();
    if !psql_status.success() {
        return Err(failed("restoring with psql", &psql_status, &psql_err));
    }
    match script_status {
        Ok(status) if status.success() => {}
        Ok(status) => return Err(failed("pg_restore", &status, &script_err)),
        Err(source) => {
            return Err(BackupError::Spawn {
                command: describe(&script_cmd),
                source,
            });
        }
    }
    if let Err(source) = sent {
        return Err(BackupError::Spawn {
            command: describe(&psql_cmd),
            source,
        });
    }
    Ok(())
}

/// Reads a child's stderr on a thread, so that neither pipe fills up and blocks the child.
fn drain(stream: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut s) = stream {
            let _ = s.read_to_end(&mut buf);
        }
        buf
    })
}

/// `12.3 MiB`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(dir: &str, major: u32) -> PgClient {
        PgClient {
            bin_dir: PathBuf::from(dir),
            major,
            version: format!("{major}.1"),
        }
    }

    #[test]
    fn selects_the_lowest_major_at_least_the_servers() {
        let clients = [
            client("/a/17", 17),
            client("/b/15", 15),
            client("/c/16", 16),
            client("/d/16", 16),
        ];
        assert_eq!(select(&clients, 16).unwrap().bin_dir, Path::new("/c/16"));
        assert_eq!(select(&clients, 15).unwrap().bin_dir, Path::new("/b/15"));
        assert_eq!(select(&clients, 12).unwrap().bin_dir, Path::new("/b/15"));
        assert_eq!(select(&clients, 17).unwrap().bin_dir, Path::new("/a/17"));
        assert!(select(&clients, 18).is_none());
        assert!(select(&[], 15).is_none());
    }

    #[test]
    fn too_old_clients_give_an_error_that_says_what_to_install() {
        let err = BackupError::NoPgDump {
            tool: Tool::Dump,
            server_major: 17,
            found: vec![(PathBuf::from("/usr/lib/postgresql/15/bin/pg_dump"), 15)],
            searched: vec!["PATH".to_owned()],
        }
        .to_string();
        assert!(err.contains("the server is PostgreSQL 17"), "{err}");
        assert!(
            err.contains("found pg_dump 15 at /usr/lib/postgresql/15/bin/pg_dump"),
            "{err}"
        );
        assert!(err.contains("postgresql-client-17"), "{err}");
        assert!(err.contains("FERRY_PG_BIN"), "{err}");
        let none = BackupError::NoPgDump {
            tool: Tool::Restore,
            server_major: 16,
            found: vec![],
            searched: vec!["FERRY_PG_BIN=/empty".to_owned()],
        }
        .to_string();
        assert!(
            none.contains("found no pg_restore (looked in: FERRY_PG_BIN=/empty)"),
            "{none}"
        );
    }

    #[test]
    fn discovery_skips_wrappers_and_empty_dirs() {
        let tmp = tempfile::tempdir().unwrap();
        let wrapper = tmp.path().join("wrapper");
        fs::create_dir(&wrapper).unwrap();
        fs::write(
            wrapper.join("pg_dump"),
            "#!/usr/bin/perl\nprint 'pg_dump (PostgreSQL) 99.0';\n",
        )
        .unwrap();
        let empty = tmp.path().join("empty");
        fs::create_dir(&empty).unwrap();
        assert!(discover(Tool::Dump, &[wrapper, empty]).is_empty());
    }

    #[test]
    fn discovery_finds_the_machine_clients() {
        // The test suite needs PostgreSQL; its bin directory holds the clients too.
        let bins = crate::pg::PgBinaries::find().expect("PostgreSQL binaries");
        let found = discover(Tool::Restore, &[bins.bin_dir.clone(), bins.bin_dir.clone()]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].major, bins.major);
    }

    #[test]
    fn parses_client_versions() {
        assert_eq!(
            parse_version("pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n"),
            Some(("15.18".to_owned(), 15))
        );
        assert_eq!(
            parse_version("pg_restore (PostgreSQL) 18beta1"),
            Some(("18beta1".to_owned(), 18))
        );
        assert_eq!(parse_version("perl wrapper"), None);
    }

    #[test]
    fn the_password_goes_through_the_environment_never_the_command_line() {
        let config: postgres::Config =
            "host=/run/pg,db.example.com port=5433 user=app dbname=shop password=s3cret-pw"
                .parse()
                .unwrap();
        let conn = ConnParams::new(
            &config,
            &SslSettings {
                mode: SslMode::VerifyFull,
                root_cert: Some(PathBuf::from("/etc/ca.pem")),
            },
        );
        assert!(!format!("{conn:?}").contains("s3cret-pw"));
        let cmd = dump_command(
            &client("/usr/lib/postgresql/16/bin", 16),
            &conn,
            Path::new("/b/x.dump"),
        );
        let args: Vec<String> = cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args,
            ["--format=custom", "--no-password", "--file=/b/x.dump"]
        );
        assert!(!describe(&cmd).contains("s3cret-pw"));
        let env: Vec<(String, Option<String>)> = cmd
            .get_envs()
            .map(|(k, v)| {
                (
                    k.to_string_lossy().into_owned(),
                    v.map(|v| v.to_string_lossy().into_owned()),
                )
            })
            .collect();
        let get = |name: &str| {
            env.iter()
                .rev()
                .find(|(k, _)| k == name)
                .and_then(|(_, v)| v.clone())
        };
        assert_eq!(get("PGPASSWORD").as_deref(), Some("s3cret-pw"));
        assert_eq!(get("PGHOST").as_deref(), Some("/run/pg,db.example.com"));
        assert_eq!(get("PGPORT").as_deref(), Some("5433"));
        assert_eq!(get("PGUSER").as_deref(), Some("app"));
        assert_eq!(get("PGDATABASE").as_deref(), Some("shop"));
        assert_eq!(get("PGSSLMODE").as_deref(), Some("verify-full"));
        assert_eq!(get("PGSSLROOTCERT").as_deref(), Some("/etc/ca.pem"));
        let psql = psql_command(&client("/x", 16), &conn);
        assert!(
            psql.get_args()
                .all(|a| !a.to_string_lossy().contains("s3cret-pw"))
        );
    }

    #[test]
    fn system_roots_are_named_for_new_clients_only() {
        let config: postgres::Config = "host=db user=app".parse().unwrap();
        let ssl = SslSettings {
            mode: SslMode::VerifyFull,
            root_cert: None,
        };
        let conn = ConnParams::new(&config, &ssl);
        let root = |major| {
            conn.env(major)
                .into_iter()
                .find(|(k, _)| *k == "PGSSLROOTCERT")
                .map(|(_, v)| v)
        };
        assert_eq!(root(16), Some(OsString::from("system")));
        assert_eq!(root(15), None);
    }

    #[test]
    fn file_names_are_safe_and_sortable() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            file_name("shop", at, 1),
            "shop-20231114T221320Z-before-up.dump"
        );
        assert_eq!(
            file_name("we/ird db", at, 2),
            "we_ird_db-20231114T221320Z-2-before-up.dump"
        );
        assert_eq!(human_size(512), "512 bytes");
        assert_eq!(human_size(1536), "1.5 KiB");
    }
}
