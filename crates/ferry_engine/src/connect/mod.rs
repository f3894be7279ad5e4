//! Where the database comes from, and connecting to it.
//!
//! This module owns the precedence of connection sources ([`resolve`]), connection
//! strings, `.pgpass`, TLS modes, and turning connection failures into one-line
//! [`ConnectError`]s ([`connect`]). Precedence, highest first:
//!
//! 1. `--database-url`
//! 2. an environment of ferry.toml: `--env NAME`, else `FERRY_ENV`, else `default_env`
//! 3. `DATABASE_URL`
//! 4. the seeds' `DB_HOST`/`DB_PORT`/`DB_NAME`/`DB_USER`/`DB_PASSWORD` (any one set)
//! 5. libpq's `PGHOST`/`PGPORT`/`PGDATABASE`/`PGUSER`/`PGPASSWORD` (any one set)
//! 6. `database_url` in ferry.toml
//! 7. ferry's own local PostgreSQL, which the caller starts.
//!
//! Like libpq, every source but the local cluster takes a missing password from
//! `PGPASSWORD` and then from the password file, a missing `sslmode` from `PGSSLMODE`
//! (default `prefer`), a missing root certificate from `PGSSLROOTCERT`, a missing user
//! from the operating system, and a missing database name from the user name. A missing
//! host is `localhost` (libpq would use its compiled-in socket directory; name a socket
//! directory explicitly with `host=/var/run/postgresql`). Empty variables count as unset.

mod pgpass;
mod session;
mod url;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use postgres::config::Host;
use serde::Deserialize;

use crate::config::{Config, ConfigError, Environment};
use crate::env::EnvVars;

pub use pgpass::{PgpassLookup, lookup as lookup_pgpass};
pub use session::{ConnectOptions, NoticeFn, connect, connect_config};

/// TLS mode, as libpq names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SslMode {
    /// Never use TLS.
    Disable,
    /// Accepted for libpq compatibility; behaves like `prefer`.
    Allow,
    /// Use TLS when the server offers it, without verifying the certificate; fall back to
    /// plaintext when it does not.
    #[default]
    Prefer,
    /// Require TLS; verify the CA only when a root certificate is given (as libpq does).
    Require,
    /// Require TLS and a certificate signed by the root certificate (or a system root).
    VerifyCa,
    /// `verify-ca`, and the certificate must name the host.
    VerifyFull,
}

impl SslMode {
    /// The libpq spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SslMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(format!(
                    "invalid sslmode \"{other}\": use disable, allow, prefer, require, verify-ca or verify-full"
                ));
            }
        })
    }
}

/// How to secure the connection.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SslSettings {
    pub mode: SslMode,
    /// Root certificate (CA) file; `None` means the system's roots.
    pub root_cert: Option<PathBuf>,
}

impl SslSettings {
    /// Plaintext, for ferry's own clusters on a Unix socket or loopback.
    pub fn disabled() -> SslSettings {
        SslSettings {
            mode: SslMode::Disable,
            root_cert: None,
        }
    }
}

/// Where the target came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSource {
    /// `--database-url`.
    Flag,
    /// An `[environments.NAME]` of ferry.toml, chosen by `--env`, `FERRY_ENV` or `default_env`.
    Environment(String),
    /// The `DATABASE_URL` variable.
    DatabaseUrlVar,
    /// The seeds' `DB_*` variables.
    DbVars,
    /// libpq's `PG*` variables.
    PgVars,
    /// `database_url` in ferry.toml.
    ConfigDefault,
    /// ferry's own local PostgreSQL; the caller starts it and fills in the config.
    Local,
}

impl fmt::Display for TargetSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetSource::Flag => f.write_str("--database-url"),
            TargetSource::Environment(name) => write!(f, "environment \"{name}\" (ferry.toml)"),
            TargetSource::DatabaseUrlVar => f.write_str(EnvVars::DATABASE_URL),
            TargetSource::DbVars => f.write_str("DB_* variables"),
            TargetSource::PgVars => f.write_str("PG* variables"),
            TargetSource::ConfigDefault => f.write_str("database_url (ferry.toml)"),
            TargetSource::Local => f.write_str("ferry's local PostgreSQL"),
        }
    }
}

/// Where the password came from, so that an authentication failure can say so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSource {
    /// The connection string given by this source.
    Url(TargetSource),
    /// A variable such as `DB_PASSWORD` or `PGPASSWORD`.
    Var(&'static str),
    /// `password` of an environment in ferry.toml.
    Environment(String),
    /// A line of the password file.
    Pgpass { file: PathBuf, line: usize },
}

impl fmt::Display for PasswordSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PasswordSource::Url(TargetSource::Environment(name)) => {
                write!(f, "the url of environment \"{name}\" in ferry.toml")
            }
            PasswordSource::Url(source) => write!(f, "the URL in {source}"),
            PasswordSource::Var(var) => f.write_str(var),
            PasswordSource::Environment(name) => {
                write!(f, "the password of environment \"{name}\" in ferry.toml")
            }
            PasswordSource::Pgpass { file, line } => {
                write!(f, "line {line} of the password file {}", file.display())
            }
        }
    }
}

/// The database a command works on, and how to reach it.
#[derive(Debug, Clone)]
pub struct Target {
    pub source: TargetSource,
    /// Host, port, database, user, password and the crate-level options. Empty for
    /// [`TargetSource::Local`] until the caller fills it in.
    pub config: postgres::Config,
    pub ssl: SslSettings,
    /// The environment blocks destructive commands (down, redo, reset, restore).
    pub protected: bool,
    /// The ferry.toml environment, when the source is one.
    pub env_name: Option<String>,
    /// Whether to back up before migrating (`backup` of the environment; `None`: not said).
    pub backup: Option<bool>,
    pub connect_timeout: Duration,
    /// `lock_timeout` for migration statements (the environment's, else ferry.toml's).
    pub lock_timeout: Duration,
    /// How long to wait for the migration advisory lock.
    pub lock_wait: Duration,
    /// `statement_timeout` for migration statements (zero: none).
    pub statement_timeout: Duration,
    pub password_from: Option<PasswordSource>,
    /// The variables that selected a [`TargetSource::DbVars`] or [`TargetSource::PgVars`]
    /// target (the ones that are set), for [`Target::describe`].
    pub source_vars: Vec<&'static str>,
    /// Things the user should know (an ignored password file, dropped URL parameters).
    pub warnings: Vec<String>,
}

impl Target {
    /// One line for stderr naming the source and the database, never the password:
    /// `DATABASE_URL → postgres://app@db.example.com:5432/app`.
    pub fn describe(&self) -> String {
        let label = match self.source {
            TargetSource::DbVars | TargetSource::PgVars if !self.source_vars.is_empty() => {
                self.source_vars.join("/")
            }
            _ => self.source.to_string(),
        };
        if self.config.get_hosts().is_empty() && self.config.get_hostaddrs().is_empty() {
            return label;
        }
        format!("{label} → {}", redacted_url(&self.config))
    }

    /// The ferry.toml-and-flags phrase for error messages: ` in DATABASE_URL`.
    fn via(&self) -> String {
        match &self.source {
            TargetSource::Local => String::new(),
            // The host and port may be defaults the variables did not set (only DB_PASSWORD,
            // say): name the variables that choose them.
            TargetSource::DbVars => {
                " in DB_HOST/DB_PORT (unset ones default to [db_env_defaults] in ferry.toml, else localhost:5432)".to_owned()
            }
            TargetSource::PgVars => " in PGHOST/PGPORT (unset ones default to localhost:5432)".to_owned(),
            source => format!(" in {source}"),
        }
    }
}

/// What the command line asked for.
#[derive(Debug, Clone, Copy, Default)]
pub struct TargetRequest<'a> {
    /// `--database-url`.
    pub database_url: Option<&'a str>,
    /// `--env`.
    pub env: Option<&'a str>,
}

/// Errors resolving a target or connecting to it. Messages never contain a password.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    Config(#[from] ConfigError),

    /// `--env`, `FERRY_ENV` or `default_env` names an environment ferry.toml does not define.
    #[error("unknown environment \"{name}\" (from {origin}); {}", defined_list(.defined))]
    UnknownEnv {
        name: String,
        origin: String,
        defined: Vec<String>,
    },

    /// An environment that cannot describe a database.
    #[error("environment \"{name}\" in {file}: {problem}")]
    BadEnvironment {
        name: String,
        file: String,
        problem: String,
    },

    /// A connection string that cannot be parsed; `url` has its password masked.
    #[error(
        "invalid connection string in {origin}: {url}: {reason}; write postgres://user:password@host:port/database or key=value pairs such as host=… dbname=…"
    )]
    BadUrl {
        origin: String,
        url: String,
        reason: String,
    },

    /// A variable with a value of the wrong kind (such as a non-numeric port).
    #[error("{var}=\"{value}\" is not valid: {reason}")]
    BadVar {
        var: String,
        value: String,
        reason: String,
    },

    /// Nothing listens at the address (or the socket file does not exist).
    #[error(
        "could not connect to {server} (database \"{database}\", user \"{user}\"): {detail}; is the server running? check the host and port{via}"
    )]
    Refused {
        server: String,
        database: String,
        user: String,
        detail: String,
        via: String,
    },

    /// The host name does not resolve.
    #[error("could not resolve host \"{host}\" ({detail}); check the host name{via}")]
    UnknownHost {
        host: String,
        detail: String,
        via: String,
    },

    /// The server did not answer within the connect timeout.
    #[error(
        "timed out after {} connecting to {server}; check the host, port and firewall{via}, or raise connect_timeout",
        humantime::format_duration(*.after)
    )]
    Timeout {
        server: String,
        after: Duration,
        via: String,
    },

    /// The server refused the credentials (28P01, 28000) or wanted a password none gave.
    #[error(
        "{detail} (server {server}, database \"{database}\"); {}",
        auth_hint(.detail, .password_from.as_deref())
    )]
    AuthFailed {
        server: String,
        user: String,
        database: String,
        /// The server's words, or ferry's when no password was given.
        detail: String,
        /// `None` when no source gave a password (boxed to keep the error small).
        password_from: Option<Box<PasswordSource>>,
    },

    /// 3D000.
    #[error("database \"{database}\" does not exist on {server}; create it with `ferry db create`")]
    DatabaseMissing { server: String, database: String },

    /// The TLS requirements could not be met.
    #[error("TLS with {server} failed (sslmode={mode}): {detail}; {hint}")]
    Tls {
        server: String,
        mode: SslMode,
        detail: String,
        hint: String,
    },

    /// Anything else, with the server's words.
    #[error("could not connect to {server} (database \"{database}\", user \"{user}\"): {detail}")]
    Other {
        server: String,
        database: String,
        user: String,
        detail: String,
        /// The SQLSTATE, when the server sent one.
        code: Option<String>,
    },
}

fn auth_hint(detail: &str, password_from: Option<&PasswordSource>) -> String {
    if detail.contains("pg_hba.conf") {
        return "the server's pg_hba.conf does not allow this connection; ask its administrator or connect as another user".into();
    }
    match password_from {
        Some(source) => format!("the password came from {source}; check it"),
        None => "no password was given; give one in the URL, DB_PASSWORD, PGPASSWORD or the password file (~/.pgpass)".into(),
    }
}

fn defined_list(defined: &[String]) -> String {
    if defined.is_empty() {
        "ferry.toml defines no environments; add an [environments.NAME] table".to_owned()
    } else {
        format!("ferry.toml defines: {}", defined.join(", "))
    }
}

/// Reads a variable from the process environment (`None` when unset or not UTF-8).
pub fn process_vars(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Decides which database to use; see the module documentation for the precedence.
/// `vars` looks variables up (use [`process_vars`]); nothing here reads the process
/// environment directly. Every password found is registered with [`crate::redact`].
pub fn resolve(
    config: &Config,
    req: &TargetRequest,
    vars: &dyn Fn(&str) -> Option<String>,
) -> Result<Target, ConnectError> {
    let var = |name: &str| vars(name).filter(|v| !v.is_empty());

    if let Some(url) = req.database_url {
        let parsed = parse_url(url, "--database-url")?;
        return finish(config, vars, TargetSource::Flag, parsed, None);
    }

    let chosen_env = match (req.env, var(EnvVars::FERRY_ENV), &config.default_env) {
        (Some(name), _, _) => Some((name.to_owned(), "--env".to_owned())),
        (None, Some(name), _) => Some((name, EnvVars::FERRY_ENV.to_owned())),
        (None, None, Some(name)) => Some((
            name.clone(),
            format!("default_env in {}", config.file_label()),
        )),
        (None, None, None) => None,
    };
    if let Some((name, origin)) = chosen_env {
        let Some(env) = config.environments.get(&name) else {
            return Err(ConnectError::UnknownEnv {
                name,
                origin,
                defined: config.environments.keys().cloned().collect(),
            });
        };
        return from_environment(config, vars, &name, env);
    }

    if let Some(url) = var(EnvVars::DATABASE_URL) {
        let parsed = parse_url(&url, EnvVars::DATABASE_URL)?;
        return finish(config, vars, TargetSource::DatabaseUrlVar, parsed, None);
    }

    if let Some(target) = from_db_vars(config, vars)? {
        return Ok(target);
    }
    if let Some(target) = from_pg_vars(config, vars)? {
        return Ok(target);
    }

    if let Some(url) = &config.database_url {
        let url = config.expand("database_url", url, vars)?;
        let parsed = parse_url(&url, &format!("database_url in {}", config.file_label()))?;
        return finish(config, vars, TargetSource::ConfigDefault, parsed, None);
    }

    let timeouts = config.timeouts(None);
    Ok(Target {
        source: TargetSource::Local,
        config: postgres::Config::new(),
        ssl: SslSettings::disabled(),
        protected: false,
        env_name: None,
        backup: None,
        connect_timeout: timeouts.connect_timeout,
        lock_timeout: timeouts.lock_timeout,
        lock_wait: timeouts.lock_wait,
        statement_timeout: timeouts.statement_timeout,
        password_from: None,
        source_vars: Vec::new(),
        warnings: Vec::new(),
    })
}

/// What a source produced before the shared defaults are applied.
struct Partial {
    config: postgres::Config,
    sslmode: Option<SslMode>,
    sslrootcert: Option<PathBuf>,
    passfile: Option<PathBuf>,
    password_from: Option<PasswordSource>,
    env_name: Option<String>,
    protected: bool,
    backup: Option<bool>,
    source_vars: Vec<&'static str>,
    warnings: Vec<String>,
}

impl Partial {
    fn new(config: postgres::Config) -> Partial {
        Partial {
            config,
            sslmode: None,
            sslrootcert: None,
            passfile: None,
            password_from: None,
            env_name: None,
            protected: false,
            backup: None,
            source_vars: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

fn parse_url(url: &str, origin: &str) -> Result<Partial, ConnectError> {
    let parsed = url::parse(url).map_err(|reason| ConnectError::BadUrl {
        origin: origin.to_owned(),
        url: url::masked(url),
        reason: crate::redact::redact(&reason).into_owned(),
    })?;
    let mut partial = Partial::new(parsed.config);
    partial.sslmode = parsed.sslmode;
    partial.sslrootcert = parsed.sslrootcert.map(PathBuf::from);
    partial.passfile = parsed.passfile.map(PathBuf::from);
    for key in parsed.ignored {
        partial.warnings.push(format!(
            "ignored the parameter `{key}` of the connection string in {origin}: ferry does not use it"
        ));
    }
    Ok(partial)
}

fn from_environment(
    config: &Config,
    vars: &dyn Fn(&str) -> Option<String>,
    name: &str,
    env: &Environment,
) -> Result<Target, ConnectError> {
    let key = |k: &str| format!("environments.{name}.{k}");
    let expand = |k: &str, v: &Option<String>| -> Result<Option<String>, ConnectError> {
        v.as_deref()
            .map(|v| config.expand(&key(k), v, vars))
            .transpose()
            .map_err(ConnectError::from)
    };
    let bad = |problem: String| ConnectError::BadEnvironment {
        name: name.to_owned(),
        file: match config.environment_lines.get(name) {
            Some(line) => format!("{}:{line}", config.file_label()),
            None => config.file_label(),
        },
        problem,
    };
    if env.url.is_some() && (env.host.is_some() || env.port.is_some()) {
        return Err(bad(
            "it sets both url and host/port; give the address once (database, user and password may override the url's)".into(),
        ));
    }
    if env.url.is_none() && env.host.is_none() && env.port.is_none() && env.database.is_none() {
        return Err(bad(
            "it has no url and no host, port or database; add url = \"postgres://user@host:5432/database\"".into(),
        ));
    }
    let source = TargetSource::Environment(name.to_owned());
    let mut partial = match expand("url", &env.url)? {
        Some(url) => parse_url(&url, &format!("{} in {}", key("url"), config.file_label()))?,
        None => Partial::new(postgres::Config::new()),
    };
    if let Some(host) = expand("host", &env.host)? {
        partial.config.host(&host);
    }
    if let Some(port) = expand("port", &env.port)? {
        let port = port
            .parse::<u16>()
            .map_err(|_| bad(format!("port \"{port}\" is not a port number; use 1-65535")))?;
        partial.config.port(port);
    }
    if let Some(database) = expand("database", &env.database)? {
        partial.config.dbname(&database);
    }
    if let Some(user) = expand("user", &env.user)? {
        partial.config.user(&user);
    }
    if let Some(password) = expand("password", &env.password)? {
        crate::redact::register(&password);
        partial.config.password(password);
        partial.password_from = Some(PasswordSource::Environment(name.to_owned()));
    }
    if let Some(mode) = env.sslmode {
        partial.sslmode = Some(mode);
    }
    if let Some(cert) = expand("sslrootcert", &env.sslrootcert)? {
        partial.sslrootcert = Some(if cert == "system" {
            PathBuf::from(cert)
        } else {
            config.project_path(cert)
        });
    }
    partial.env_name = Some(name.to_owned());
    partial.protected = env.protected;
    partial.backup = env.backup;
    finish(config, vars, source, partial, Some(name))
}

fn from_db_vars(
    config: &Config,
    vars: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Target>, ConnectError> {
    let var = |name: &str| vars(name).filter(|v| !v.is_empty());
    let names = [
        EnvVars::DB_HOST,
        EnvVars::DB_PORT,
        EnvVars::DB_NAME,
        EnvVars::DB_USER,
        EnvVars::DB_PASSWORD,
    ];
    let set: Vec<&'static str> = names.into_iter().filter(|n| var(n).is_some()).collect();
    if set.is_empty() {
        return Ok(None);
    }
    let defaults = &config.db_env_defaults;
    let mut pg = postgres::Config::new();
    pg.host(&var(EnvVars::DB_HOST).unwrap_or_else(|| defaults.host.clone()));
    pg.port(match var(EnvVars::DB_PORT) {
        Some(port) => parse_port(EnvVars::DB_PORT, &port)?,
        None => defaults.port,
    });
    pg.dbname(&var(EnvVars::DB_NAME).unwrap_or_else(|| defaults.name.clone()));
    pg.user(&var(EnvVars::DB_USER).unwrap_or_else(|| defaults.user.clone()));
    let mut partial = Partial::new(pg);
    if let Some(password) = var(EnvVars::DB_PASSWORD) {
        crate::redact::register(&password);
        partial.config.password(password);
        partial.password_from = Some(PasswordSource::Var(EnvVars::DB_PASSWORD));
    }
    partial.source_vars = set;
    finish(config, vars, TargetSource::DbVars, partial, None).map(Some)
}

fn from_pg_vars(
    config: &Config,
    vars: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Target>, ConnectError> {
    let var = |name: &str| vars(name).filter(|v| !v.is_empty());
    let names = [
        EnvVars::PGHOST,
        EnvVars::PGPORT,
        EnvVars::PGDATABASE,
        EnvVars::PGUSER,
        EnvVars::PGPASSWORD,
    ];
    let set: Vec<&'static str> = names.into_iter().filter(|n| var(n).is_some()).collect();
    if set.is_empty() {
        return Ok(None);
    }
    let mut pg = postgres::Config::new();
    // libpq accepts comma-separated lists of hosts and ports.
    if let Some(hosts) = var(EnvVars::PGHOST) {
        for host in hosts.split(',') {
            pg.host(host);
        }
    }
    if let Some(ports) = var(EnvVars::PGPORT) {
        for port in ports.split(',') {
            pg.port(parse_port(EnvVars::PGPORT, port)?);
        }
    }
    if let Some(database) = var(EnvVars::PGDATABASE) {
        pg.dbname(&database);
    }
    if let Some(user) = var(EnvVars::PGUSER) {
        pg.user(&user);
    }
    let mut partial = Partial::new(pg);
    partial.source_vars = set;
    // PGPASSWORD itself is applied by `finish`, as for every source.
    finish(config, vars, TargetSource::PgVars, partial, None).map(Some)
}

fn parse_port(var: &str, value: &str) -> Result<u16, ConnectError> {
    value
        .trim()
        .parse::<u16>()
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| ConnectError::BadVar {
            var: var.to_owned(),
            value: value.to_owned(),
            reason: "it is not a port number; use 1-65535".into(),
        })
}

/// Applies the defaults every source shares (see the module documentation).
fn finish(
    config: &Config,
    vars: &dyn Fn(&str) -> Option<String>,
    source: TargetSource,
    mut p: Partial,
    env_name: Option<&str>,
) -> Result<Target, ConnectError> {
    let var = |name: &str| vars(name).filter(|v| !v.is_empty());
    let pg = &mut p.config;

    if let Some(password) = pg.get_password() {
        crate::redact::register(&String::from_utf8_lossy(password));
        if p.password_from.is_none() {
            p.password_from = Some(PasswordSource::Url(source.clone()));
        }
    }
    if pg.get_hosts().is_empty() && pg.get_hostaddrs().is_empty() {
        pg.host("localhost");
    }
    if pg.get_ports().is_empty() {
        pg.port(5432);
    }
    if pg.get_user().is_none() {
        // The postgres crate does the same when connecting; doing it here lets
        // `.pgpass` and `describe` see the user.
        if let Ok(user) = whoami::username() {
            pg.user(&user);
        }
    }
    if pg.get_dbname().is_none()
        && let Some(user) = pg.get_user().map(str::to_owned)
    {
        pg.dbname(&user);
    }
    if pg.get_application_name().is_none()
        && let Some(name) = var(EnvVars::PGAPPNAME)
    {
        pg.application_name(&name);
    }

    if pg.get_password().is_none()
        && let Some(password) = var(EnvVars::PGPASSWORD)
    {
        crate::redact::register(&password);
        pg.password(password);
        p.password_from = Some(PasswordSource::Var(EnvVars::PGPASSWORD));
    }
    if pg.get_password().is_none() {
        let file = p
            .passfile
            .clone()
            .or_else(|| var(EnvVars::PGPASSFILE).map(PathBuf::from))
            .or_else(|| var(EnvVars::HOME).map(|home| PathBuf::from(home).join(".pgpass")));
        if let Some(file) = file {
            let host = match (pg.get_hosts().first(), pg.get_hostaddrs().first()) {
                (Some(Host::Tcp(host)), _) => host.clone(),
                #[cfg(unix)]
                (Some(Host::Unix(dir)), _) => dir.display().to_string(),
                (None, Some(addr)) => addr.to_string(),
                (None, None) => "localhost".to_owned(),
            };
            let port = pg.get_ports().first().copied().unwrap_or(5432);
            let database = pg.get_dbname().unwrap_or_default().to_owned();
            let user = pg.get_user().unwrap_or_default().to_owned();
            match pgpass::lookup(&file, &host, port, &database, &user) {
                PgpassLookup::Found {
                    password,
                    file,
                    line,
                } => {
                    crate::redact::register(&password);
                    pg.password(password);
                    p.password_from = Some(PasswordSource::Pgpass { file, line });
                }
                PgpassLookup::Ignored(reason) => p.warnings.push(reason),
                PgpassLookup::Missing | PgpassLookup::NoMatch => {}
            }
        }
    }

    let mode = match p.sslmode {
        Some(mode) => mode,
        None => match var(EnvVars::PGSSLMODE) {
            Some(mode) => SslMode::from_str(&mode).map_err(|reason| ConnectError::BadVar {
                var: EnvVars::PGSSLMODE.to_owned(),
                value: mode,
                reason,
            })?,
            None => SslMode::Prefer,
        },
    };
    let root_cert = p
        .sslrootcert
        .or_else(|| var(EnvVars::PGSSLROOTCERT).map(PathBuf::from))
        // libpq's `sslrootcert=system` means the system's roots, which `None` stands for.
        .filter(|path| path.as_os_str() != "system");

    let timeouts = config.timeouts(env_name);
    let connect_timeout = match (pg.get_connect_timeout(), var(EnvVars::PGCONNECT_TIMEOUT)) {
        (Some(timeout), _) => *timeout,
        (None, Some(secs)) => secs
            .trim()
            .parse::<u64>()
            .map(Duration::from_secs)
            .map_err(|_| ConnectError::BadVar {
                var: EnvVars::PGCONNECT_TIMEOUT.to_owned(),
                value: secs.clone(),
                reason: "it is not a number of seconds".into(),
            })?,
        (None, None) => timeouts.connect_timeout,
    };
    if !connect_timeout.is_zero() {
        pg.connect_timeout(connect_timeout);
    }

    Ok(Target {
        source,
        config: p.config,
        ssl: SslSettings { mode, root_cert },
        protected: p.protected,
        env_name: p.env_name,
        backup: p.backup,
        connect_timeout,
        lock_timeout: timeouts.lock_timeout,
        lock_wait: timeouts.lock_wait,
        statement_timeout: timeouts.statement_timeout,
        password_from: p.password_from,
        source_vars: p.source_vars,
        warnings: p.warnings,
    })
}

/// `postgres://user@host:port/database` for `config`, without the password. Socket
/// directories are shown as `?host=/dir` (with `&port=N` when it is not 5432).
pub fn redacted_url(config: &postgres::Config) -> String {
    let ports = config.get_ports();
    let port_of = |i: usize| {
        ports
            .get(i)
            .or_else(|| ports.first())
            .copied()
            .unwrap_or(5432)
    };
    let mut authority = Vec::new();
    let mut query = Vec::new();
    for (i, host) in config.get_hosts().iter().enumerate() {
        match host {
            Host::Tcp(name) if name.contains(':') => {
                authority.push(format!("[{name}]:{}", port_of(i)));
            }
            Host::Tcp(name) => authority.push(format!("{name}:{}", port_of(i))),
            #[cfg(unix)]
            Host::Unix(dir) => {
                query.push(format!("host={}", dir.display()));
                if port_of(i) != 5432 {
                    query.push(format!("port={}", port_of(i)));
                }
            }
        }
    }
    if config.get_hosts().is_empty() {
        for (i, addr) in config.get_hostaddrs().iter().enumerate() {
            match addr {
                std::net::IpAddr::V6(v6) => authority.push(format!("[{v6}]:{}", port_of(i))),
                std::net::IpAddr::V4(v4) => authority.push(format!("{v4}:{}", port_of(i))),
            }
        }
    }
    let mut out = String::from("postgres://");
    if let Some(user) = config.get_user() {
        out.push_str(&url::percent_encode(user));
        out.push('@');
    }
    out.push_str(&authority.join(","));
    out.push('/');
    if let Some(db) = config.get_dbname() {
        out.push_str(&url::percent_encode(db));
    }
    if !query.is_empty() {
        out.push('?');
        out.push_str(&query.join("&"));
    }
    out
}

/// `host:port` (or `socket /dir/.s.PGSQL.port`) of every host, for error messages.
pub(crate) fn server_label(config: &postgres::Config) -> String {
    let ports = config.get_ports();
    let port_of = |i: usize| {
        ports
            .get(i)
            .or_else(|| ports.first())
            .copied()
            .unwrap_or(5432)
    };
    let mut labels: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, host)| match host {
            Host::Tcp(name) if name.contains(':') => format!("[{name}]:{}", port_of(i)),
            Host::Tcp(name) => format!("{name}:{}", port_of(i)),
            #[cfg(unix)]
            Host::Unix(dir) => format!(
                "socket {}",
                dir.join(format!(".s.PGSQL.{}", port_of(i))).display()
            ),
        })
        .collect();
    if labels.is_empty() {
        labels = config
            .get_hostaddrs()
            .iter()
            .enumerate()
            .map(|(i, addr)| format!("{addr}:{}", port_of(i)))
            .collect();
    }
    if labels.is_empty() {
        "localhost:5432".to_owned()
    } else {
        labels.join(", ")
    }
}

#[cfg(test)]
mod tests;
