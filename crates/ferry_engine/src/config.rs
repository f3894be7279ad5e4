//! ferry.toml: finding it, reading it, and the project settings it holds.
//!
//! This module owns the file format (every key, its default, and how durations are
//! written), the project root (the directory of ferry.toml, or the start directory when
//! there is none), loading the project's `.env`, and `${VAR}` expansion. It does not decide
//! which database to use: [`crate::connect::resolve`] does, from a [`Config`].
//!
//! Durations are written as PostgreSQL writes them (`500ms`, `5s`, `1min`, `1h`, `1d`, with
//! an optional space and fractions such as `1.5s`) or in humantime's style (`1m 30s`,
//! `2 minutes`). A plain number, as a TOML integer or a string, is milliseconds, as it is
//! for PostgreSQL's `lock_timeout`; `0` disables a timeout.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::connect::SslMode;

/// The name of ferry's configuration file.
pub const FILE_NAME: &str = "ferry.toml";

/// The name of the optional dotenv file in the project root.
pub const DOTENV_FILE_NAME: &str = ".env";

impl ConfigError {
    /// A TOML file that does not parse into what it must hold, at the error's line and
    /// column; `hint` follows a message about an unknown key.
    pub(crate) fn from_toml(path: &Path, text: &str, err: &toml::de::Error, hint: &str) -> Self {
        let (line, column) = err
            .span()
            .map(|span| line_col(text, span.start))
            .unwrap_or((1, 1));
        let mut message = err.message().trim_end().to_owned();
        if message.starts_with("unknown field") {
            message.push_str("; ");
            message.push_str(hint);
        }
        ConfigError::Invalid {
            path: path.to_owned(),
            line,
            column,
            message,
        }
    }
}

/// Errors from finding, reading or interpreting ferry.toml (and `.env`).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file given with `--config` does not exist.
    #[error("config file {} does not exist; check the path given to --config", path.display())]
    NotFound { path: PathBuf },

    /// ferry.toml or `.env` exists but could not be read.
    #[error("could not read {}: {source}; check that the file is readable", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A TOML syntax error, an unknown key or a value of the wrong kind.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },

    /// A line of `.env` that dotenvy cannot parse. The line itself is not shown, because
    /// `.env` files hold secrets.
    #[error(
        "{}:{line}: this line cannot be parsed; write KEY=value, quoting values that contain spaces or #",
        path.display()
    )]
    DotEnv { path: PathBuf, line: usize },

    /// `${VAR}` names a variable that is not set and has no default.
    #[error(
        "{key} in {file} uses ${{{var}}}, which is not set; set {var} in the environment or in .env, or give a default with ${{{var}:-value}}"
    )]
    UnsetVar {
        var: String,
        key: String,
        file: String,
    },

    /// A `${…}` that cannot be expanded (unterminated, or not a variable name).
    #[error("{key} in {file}: {problem} in `{value}`; write ${{NAME}} or ${{NAME:-default}}")]
    BadExpansion {
        key: String,
        file: String,
        value: String,
        problem: String,
    },
}

/// The project settings: ferry.toml with every default applied.
#[derive(Debug, Clone)]
pub struct Config {
    /// The project root: the directory of ferry.toml, or the start directory without one.
    /// Relative paths in the settings are relative to it.
    pub root: PathBuf,
    /// The ferry.toml that was read, if any.
    pub file: Option<PathBuf>,
    /// The `.env` that was loaded into the process environment, if any.
    pub dotenv_file: Option<PathBuf>,
    /// The migrations folder as written (default `migrations`); see [`Config::migrations_dir`].
    pub dir: PathBuf,
    /// The folder's layout (`layout = "flyway"`); `None`: detected from the files.
    pub layout: Option<crate::source::Layout>,
    /// The project's default target, unexpanded (it may hold `${VAR}`).
    pub database_url: Option<String>,
    /// Schema of ferry's own tables (default `ferry`).
    pub tracking_schema: String,
    /// The desired schema, the source of truth `ferry generate` writes migrations towards:
    /// a SQL file or a folder of them (`schema = "schema.sql"`), as written.
    pub schema: Option<PathBuf>,
    /// Schemas the project's migrations create and own (default `["public"]`). `ferry reset`
    /// drops and recreates them, with the tracking schema, when a down script is missing.
    pub managed_schemas: Vec<String>,
    /// `lock_timeout` for migration statements (default 5s; zero disables).
    pub lock_timeout: Duration,
    /// How long a runner waits for the migration advisory lock (default 60s).
    pub lock_wait: Duration,
    /// `statement_timeout` for migration statements (default zero: disabled).
    pub statement_timeout: Duration,
    /// How long to wait for the server to accept a connection (default 10s).
    pub connect_timeout: Duration,
    /// The run-log folder as written (default `.ferry/logs`); see [`Config::log_dir`].
    pub log_dir: PathBuf,
    /// Retries of a statement that hit a lock timeout (55P03) or deadlock (40P01).
    pub retries: u32,
    /// The environment used when neither `--env` nor `FERRY_ENV` is given.
    pub default_env: Option<String>,
    /// Defaults for the `DB_*` variables.
    pub db_env_defaults: DbEnvDefaults,
    /// The `[environments.NAME]` tables, by name.
    pub environments: BTreeMap<String, Environment>,
    /// The line of each `[environments.NAME]` header, for error messages.
    pub environment_lines: BTreeMap<String, usize>,
    /// The `[[check]]` tables, as written: [`crate::checks`] reads them when `ferry verify`
    /// runs, so a mistake in one fails `verify`, not every command.
    pub checks: Vec<InlineCheck>,
}

/// One `[[check]]` table of ferry.toml, unparsed (see [`crate::checks`] for its keys).
#[derive(Debug, Clone, PartialEq)]
pub struct InlineCheck {
    /// The line of its `[[check]]` header (or of its inline table), for error messages.
    pub line: usize,
    pub table: toml::Table,
}

/// `[db_env_defaults]`: what unset `DB_*` variables stand for when any of them is set.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DbEnvDefaults {
    /// Default for `DB_HOST` (default `localhost`).
    pub host: String,
    /// Default for `DB_PORT` (default 5432).
    pub port: u16,
    /// Default for `DB_NAME` (default `postgres`).
    pub name: String,
    /// Default for `DB_USER` (default `postgres`).
    pub user: String,
}

impl Default for DbEnvDefaults {
    fn default() -> Self {
        DbEnvDefaults {
            host: "localhost".into(),
            port: 5432,
            name: "postgres".into(),
            user: "postgres".into(),
        }
    }
}

/// One `[environments.NAME]` table. String values may hold `${VAR}`; they are expanded
/// when the environment is selected, so an unused environment needs no variables.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// A connection URL or key=value string. The parts below, when given, override it.
    pub url: Option<String>,
    /// Host name, IP address or Unix-socket directory.
    pub host: Option<String>,
    /// Port, as a number or a string (so that it can be `"${PORT}"`).
    #[serde(default, deserialize_with = "de_opt_port")]
    pub port: Option<String>,
    /// Database name.
    pub database: Option<String>,
    /// User name.
    pub user: Option<String>,
    /// Password (better given as `${VAR}` than written in the file).
    pub password: Option<String>,
    /// TLS mode; it wins over an `sslmode` in the URL.
    pub sslmode: Option<SslMode>,
    /// Root certificate file, relative to the project root.
    pub sslrootcert: Option<String>,
    /// Blocks destructive commands (down, redo, reset, restore).
    #[serde(default)]
    pub protected: bool,
    /// Overrides the top-level `lock_timeout`.
    #[serde(default, deserialize_with = "de_opt_duration")]
    pub lock_timeout: Option<Duration>,
    /// Overrides the top-level `lock_wait`.
    #[serde(default, deserialize_with = "de_opt_duration")]
    pub lock_wait: Option<Duration>,
    /// Overrides the top-level `statement_timeout`.
    #[serde(default, deserialize_with = "de_opt_duration")]
    pub statement_timeout: Option<Duration>,
    /// Overrides the top-level `connect_timeout`.
    #[serde(default, deserialize_with = "de_opt_duration")]
    pub connect_timeout: Option<Duration>,
    /// Whether to back up before migrating this environment (`None`: the command decides).
    pub backup: Option<bool>,
}

/// The timeouts in effect for one environment (or for none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub lock_timeout: Duration,
    pub lock_wait: Duration,
    pub statement_timeout: Duration,
    pub connect_timeout: Duration,
}

/// ferry.toml as written; `None` means "use the default".
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    dir: Option<PathBuf>,
    layout: Option<crate::source::Layout>,
    database_url: Option<String>,
    tracking_schema: Option<String>,
    schema: Option<PathBuf>,
    managed_schemas: Option<Vec<String>>,
    #[serde(default, deserialize_with = "de_opt_duration")]
    lock_timeout: Option<Duration>,
    #[serde(default, deserialize_with = "de_opt_duration")]
    lock_wait: Option<Duration>,
    #[serde(default, deserialize_with = "de_opt_duration")]
    statement_timeout: Option<Duration>,
    #[serde(default, deserialize_with = "de_opt_duration")]
    connect_timeout: Option<Duration>,
    log_dir: Option<PathBuf>,
    retries: Option<u32>,
    default_env: Option<String>,
    #[serde(default)]
    db_env_defaults: DbEnvDefaults,
    #[serde(default)]
    environments: BTreeMap<String, Environment>,
    /// `[[check]]`: declarative checks, read by [`crate::checks`].
    #[serde(default)]
    check: Vec<toml::Spanned<toml::Table>>,
}

impl Config {
    /// Finds and reads the project's settings, then loads the project's `.env`.
    ///
    /// With `explicit` (from `--config`, relative to `start_dir`), that file is read and
    /// must exist. Otherwise ferry.toml is searched for in `start_dir` and its parents; the
    /// project root is the directory it is found in, or `start_dir` when there is none
    /// (and every setting is at its default).
    ///
    /// `.env` in the project root is loaded into the process environment without
    /// overriding variables that are already set, so call this before starting threads.
    pub fn discover(start_dir: &Path, explicit: Option<&Path>) -> Result<Config, ConfigError> {
        let start = std::path::absolute(start_dir).unwrap_or_else(|_| start_dir.to_path_buf());
        let file = match explicit {
            Some(path) => {
                let path = start.join(path);
                if !path.is_file() {
                    return Err(ConfigError::NotFound { path });
                }
                Some(path)
            }
            None => start
                .ancestors()
                .map(|dir| dir.join(FILE_NAME))
                .find(|candidate| candidate.is_file()),
        };
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
                    path: path.clone(),
                    source,
                })?;
                let root = path
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| start.clone());
                Config::parse(root, Some(path), &text)?
            }
            None => Config::defaults(start),
        };
        config.dotenv_file = load_dotenv(&config.root)?;
        Ok(config)
    }

    /// Settings with every default, for a project without ferry.toml.
    pub fn defaults(root: PathBuf) -> Config {
        Config::from_raw(root, None, RawConfig::default(), BTreeMap::new())
    }

    /// Interprets `text` as the ferry.toml at `file` (which names it in errors) for the
    /// project rooted at `root`. Does not touch `.env`.
    pub fn parse(root: PathBuf, file: Option<PathBuf>, text: &str) -> Result<Config, ConfigError> {
        let display_path = file.clone().unwrap_or_else(|| PathBuf::from(FILE_NAME));
        let mut raw: RawConfig = toml::from_str(text).map_err(|err| {
            ConfigError::from_toml(
                &display_path,
                text,
                &err,
                "remove the key or fix its spelling",
            )
        })?;
        let lines = environment_header_lines(text);
        let checks = std::mem::take(&mut raw.check)
            .into_iter()
            .map(|check| InlineCheck {
                line: line_col(text, check.span().start).0,
                table: check.into_inner(),
            })
            .collect();
        let mut config = Config::from_raw(root, file, raw, lines);
        config.checks = checks;
        Ok(config)
    }

    fn from_raw(
        root: PathBuf,
        file: Option<PathBuf>,
        raw: RawConfig,
        environment_lines: BTreeMap<String, usize>,
    ) -> Config {
        Config {
            root,
            file,
            dotenv_file: None,
            dir: raw.dir.unwrap_or_else(|| PathBuf::from("migrations")),
            layout: raw.layout,
            database_url: raw.database_url,
            tracking_schema: raw.tracking_schema.unwrap_or_else(|| "ferry".into()),
            schema: raw.schema,
            managed_schemas: raw
                .managed_schemas
                .unwrap_or_else(|| vec!["public".to_owned()]),
            lock_timeout: raw.lock_timeout.unwrap_or(Duration::from_secs(5)),
            lock_wait: raw.lock_wait.unwrap_or(Duration::from_secs(60)),
            statement_timeout: raw.statement_timeout.unwrap_or(Duration::ZERO),
            connect_timeout: raw.connect_timeout.unwrap_or(Duration::from_secs(10)),
            log_dir: raw.log_dir.unwrap_or_else(|| PathBuf::from(".ferry/logs")),
            retries: raw.retries.unwrap_or(3),
            default_env: raw.default_env,
            db_env_defaults: raw.db_env_defaults,
            environments: raw.environments,
            environment_lines,
            checks: Vec::new(),
        }
    }

    /// The migrations folder (`dir`, relative to the project root).
    pub fn migrations_dir(&self) -> PathBuf {
        self.root.join(&self.dir)
    }

    /// The run-log folder (`log_dir`, relative to the project root).
    pub fn log_dir(&self) -> PathBuf {
        self.root.join(&self.log_dir)
    }

    /// Resolves a path written in ferry.toml (such as `sslrootcert`) against the root.
    pub fn project_path(&self, path: impl AsRef<Path>) -> PathBuf {
        self.root.join(path)
    }

    /// The names of the `[environments.*]` tables, sorted.
    pub fn environment_names(&self) -> Vec<&str> {
        self.environments.keys().map(String::as_str).collect()
    }

    /// The timeouts for environment `env` (its overrides over the top-level settings), or
    /// the top-level ones for `None` or an unknown name.
    pub fn timeouts(&self, env: Option<&str>) -> Timeouts {
        let overrides = env.and_then(|name| self.environments.get(name));
        let pick = |over: Option<Duration>, base: Duration| over.unwrap_or(base);
        Timeouts {
            lock_timeout: pick(overrides.and_then(|e| e.lock_timeout), self.lock_timeout),
            lock_wait: pick(overrides.and_then(|e| e.lock_wait), self.lock_wait),
            statement_timeout: pick(
                overrides.and_then(|e| e.statement_timeout),
                self.statement_timeout,
            ),
            connect_timeout: pick(
                overrides.and_then(|e| e.connect_timeout),
                self.connect_timeout,
            ),
        }
    }

    /// How this configuration names itself in messages: the ferry.toml path, or
    /// `ferry.toml` when there is none.
    pub fn file_label(&self) -> String {
        match &self.file {
            Some(path) => path.display().to_string(),
            None => FILE_NAME.to_owned(),
        }
    }

    /// Expands `${VAR}` and `${VAR:-default}` in `value`, the setting `key` of this file.
    pub fn expand(
        &self,
        key: &str,
        value: &str,
        vars: &dyn Fn(&str) -> Option<String>,
    ) -> Result<String, ConfigError> {
        expand_vars(value, key, &self.file_label(), vars)
    }
}

/// Expands `${VAR}` and `${VAR:-default}` in `value` with `vars`. `key` and `file` name the
/// setting in errors. `${VAR:-default}` uses the default when VAR is unset or empty, as the
/// shell does; a `$` not followed by `{` is kept as it is.
pub fn expand_vars(
    value: &str,
    key: &str,
    file: &str,
    vars: &dyn Fn(&str) -> Option<String>,
) -> Result<String, ConfigError> {
    let bad = |problem: &str| ConfigError::BadExpansion {
        key: key.to_owned(),
        file: file.to_owned(),
        value: crate::redact::redact(value).into_owned(),
        problem: problem.to_owned(),
    };
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}').ok_or_else(|| bad("unterminated ${"))?;
        let inner = &after[..end];
        let (name, default) = match inner.find(":-") {
            Some(i) => (&inner[..i], Some(&inner[i + 2..])),
            None => (inner, None),
        };
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(bad(&format!("`{name}` is not a variable name")));
        }
        match (vars(name), default) {
            (Some(v), Some(d)) if v.is_empty() => out.push_str(d),
            (Some(v), _) => out.push_str(&v),
            (None, Some(d)) => out.push_str(d),
            (None, None) => {
                return Err(ConfigError::UnsetVar {
                    var: name.to_owned(),
                    key: key.to_owned(),
                    file: file.to_owned(),
                });
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Parses a duration: PostgreSQL style (`500ms`, `5s`, `1.5min`, `2h`, `1d`, `100us`), a
/// plain number of milliseconds (`0` disables), or humantime (`1m 30s`, `2 minutes`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let s = text.trim();
    let invalid = || {
        format!(
            "invalid duration \"{text}\": write a number with a unit such as \"500ms\", \"5s\", \"1min\", \"1h\" (a plain number is milliseconds, \"0\" disables)"
        )
    };
    if s.is_empty() {
        return Err(invalid());
    }
    let number_end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(number_end);
    let unit = unit.trim_start();
    let nanos_per_unit: Option<f64> = match unit {
        "" => Some(1e6),
        "us" => Some(1e3),
        "ms" => Some(1e6),
        "s" => Some(1e9),
        "min" => Some(60e9),
        "h" => Some(3600e9),
        "d" => Some(86400e9),
        _ => None,
    };
    if let (Some(per), Ok(n)) = (nanos_per_unit, number.parse::<f64>()) {
        let nanos = (n * per).round();
        if nanos.is_finite() && nanos >= 0.0 && nanos < u64::MAX as f64 {
            return Ok(Duration::from_nanos(nanos as u64));
        }
        return Err(invalid());
    }
    humantime::parse_duration(s).map_err(|_| invalid())
}

/// Loads `root/.env` into the process environment without overriding set variables.
fn load_dotenv(root: &Path) -> Result<Option<PathBuf>, ConfigError> {
    let path = root.join(DOTENV_FILE_NAME);
    if !path.is_file() {
        return Ok(None);
    }
    match dotenvy::from_path(&path) {
        Ok(()) => Ok(Some(path)),
        Err(dotenvy::Error::LineParse(line_text, _)) => {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let first = line_text.lines().next().unwrap_or("");
            let line = text
                .lines()
                .position(|l| l == first)
                .map(|i| i + 1)
                .unwrap_or(1);
            Err(ConfigError::DotEnv { path, line })
        }
        Err(dotenvy::Error::Io(source)) => Err(ConfigError::Read { path, source }),
        Err(other) => Err(ConfigError::Read {
            path,
            source: std::io::Error::other(other.to_string()),
        }),
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    (line, before[line_start..].chars().count() + 1)
}

/// The line of each `[environments.NAME]` header (best effort: plain and quoted names).
fn environment_header_lines(text: &str) -> BTreeMap<String, usize> {
    let mut lines = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        let Some(inner) = line
            .strip_prefix('[')
            .and_then(|l| l.split(']').next())
            .map(str::trim)
        else {
            continue;
        };
        if let Some(name) = inner.strip_prefix("environments.") {
            let name = name.trim().trim_matches(|c| c == '"' || c == '\'');
            lines.entry(name.to_owned()).or_insert(i + 1);
        }
    }
    lines
}

fn de_opt_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    struct DurationVisitor;
    impl Visitor<'_> for DurationVisitor {
        type Value = Duration;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(
                "a duration such as \"5s\", \"500ms\", \"1min\" or a number of milliseconds",
            )
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Duration, E> {
            u64::try_from(v)
                .map(Duration::from_millis)
                .map_err(|_| E::custom(format!("invalid duration {v}: it must not be negative")))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Duration, E> {
            Ok(Duration::from_millis(v))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
            parse_duration(v).map_err(E::custom)
        }
    }
    d.deserialize_any(DurationVisitor).map(Some)
}

fn de_opt_port<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct PortVisitor;
    impl Visitor<'_> for PortVisitor {
        type Value = String;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a port number or a string such as \"${DB_PORT}\"")
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
            u16::try_from(v)
                .map(|p| p.to_string())
                .map_err(|_| E::custom(format!("invalid port {v}: use 1-65535")))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
            u16::try_from(v)
                .map(|p| p.to_string())
                .map_err(|_| E::custom(format!("invalid port {v}: use 1-65535")))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
            Ok(v.to_owned())
        }
    }
    d.deserialize_any(PortVisitor).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(
            PathBuf::from("/proj"),
            Some(PathBuf::from("/proj/ferry.toml")),
            text,
        )
    }

    #[test]
    fn defaults_without_a_file() {
        let c = Config::defaults(PathBuf::from("/proj"));
        assert_eq!(c.migrations_dir(), PathBuf::from("/proj/migrations"));
        assert_eq!(c.log_dir(), PathBuf::from("/proj/.ferry/logs"));
        assert_eq!(c.tracking_schema, "ferry");
        assert_eq!(c.managed_schemas, ["public"]);
        assert_eq!(c.lock_timeout, Duration::from_secs(5));
        assert_eq!(c.lock_wait, Duration::from_secs(60));
        assert_eq!(c.statement_timeout, Duration::ZERO);
        assert_eq!(c.connect_timeout, Duration::from_secs(10));
        assert_eq!(c.retries, 3);
        assert_eq!(c.db_env_defaults, DbEnvDefaults::default());
    }

    #[test]
    fn full_file() {
        let c = parse(
            r#"
dir = "db/migrations"
database_url = "postgres://localhost/app"
tracking_schema = "ferry_meta"
managed_schemas = ["app", "audit"]
lock_timeout = "2s"
lock_wait = "1min"
statement_timeout = 0
connect_timeout = "1m 30s"
log_dir = "logs"
retries = 5
default_env = "dev"

[db_env_defaults]
host = "db"
port = 6543

[environments.dev]
url = "postgres://localhost/dev"

[environments.prod]
host = "db.example.com"
port = "${PORT}"
sslmode = "verify-full"
sslrootcert = "certs/ca.pem"
protected = true
lock_timeout = "500ms"
backup = false
"#,
        )
        .unwrap();
        assert_eq!(c.migrations_dir(), PathBuf::from("/proj/db/migrations"));
        assert_eq!(c.tracking_schema, "ferry_meta");
        assert_eq!(c.managed_schemas, ["app", "audit"]);
        assert_eq!(c.lock_wait, Duration::from_secs(60));
        assert_eq!(c.connect_timeout, Duration::from_secs(90));
        assert_eq!(c.retries, 5);
        assert_eq!(c.db_env_defaults.host, "db");
        assert_eq!(c.db_env_defaults.port, 6543);
        assert_eq!(c.db_env_defaults.user, "postgres");
        let prod = &c.environments["prod"];
        assert_eq!(prod.sslmode, Some(SslMode::VerifyFull));
        assert_eq!(prod.port.as_deref(), Some("${PORT}"));
        assert!(prod.protected);
        assert_eq!(prod.backup, Some(false));
        assert_eq!(c.environment_names(), ["dev", "prod"]);
        assert_eq!(c.environment_lines["prod"], 21);
        let t = c.timeouts(Some("prod"));
        assert_eq!(t.lock_timeout, Duration::from_millis(500));
        assert_eq!(t.lock_wait, Duration::from_secs(60));
        assert_eq!(c.timeouts(None).lock_timeout, Duration::from_secs(2));
    }

    #[test]
    fn unknown_key_names_key_file_and_line() {
        let err = parse("dir = \"m\"\nlock_timeot = \"5s\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("/proj/ferry.toml:2:1: "), "{err}");
        assert!(err.contains("lock_timeot"), "{err}");
        assert!(err.contains("fix its spelling"), "{err}");

        let err = parse("[environments.prod]\nurl = \"x\"\nprotect = true\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("/proj/ferry.toml:3:1: "), "{err}");
        assert!(err.contains("protect"), "{err}");
    }

    #[test]
    fn check_tables_are_kept_unparsed_with_their_lines() {
        let c = parse(
            "dir = \"m\"\n\n[[check]]\nid = \"a\"\nkind = \"whatever\"\n\n[[check]]\nid = \"b\"\n",
        )
        .unwrap();
        let lines: Vec<usize> = c.checks.iter().map(|k| k.line).collect();
        assert_eq!(lines, [3, 7]);
        assert_eq!(c.checks[0].table["kind"].as_str(), Some("whatever"));
        assert!(parse("dir = \"m\"\n").unwrap().checks.is_empty());
    }

    #[test]
    fn layout_key() {
        use crate::source::Layout;
        assert_eq!(parse("").unwrap().layout, None);
        let c = parse("layout = \"golang-migrate\"\n").unwrap();
        assert_eq!(c.layout, Some(Layout::GolangMigrate));
        let err = parse("dir = \"m\"\nlayout = \"liquibase\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("/proj/ferry.toml:2:"), "{err}");
        assert!(err.contains("unknown layout `liquibase`"), "{err}");
        assert!(err.contains("flyway"), "{err}");
    }

    #[test]
    fn syntax_error_names_line_and_column() {
        let err = parse("dir = \"m\"\nretries = = 3\n").unwrap_err();
        let ConfigError::Invalid { line, column, .. } = &err else {
            panic!("{err}")
        };
        assert_eq!((*line, *column), (2, 11), "{err}");
    }

    #[test]
    fn bad_values_are_errors() {
        let err = parse("lock_timeout = \"5 parsecs\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains(":1:"), "{err}");
        assert!(err.contains("invalid duration"), "{err}");
        let err = parse("[environments.x]\nsslmode = \"strict\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains(":2:"), "{err}");
        assert!(err.contains("verify-full"), "{err}");
    }

    #[test]
    fn durations() {
        let ms = Duration::from_millis;
        assert_eq!(parse_duration("5s"), Ok(ms(5000)));
        assert_eq!(parse_duration("500ms"), Ok(ms(500)));
        assert_eq!(parse_duration("500 ms"), Ok(ms(500)));
        assert_eq!(parse_duration("2min"), Ok(ms(120_000)));
        assert_eq!(parse_duration("1h"), Ok(ms(3_600_000)));
        assert_eq!(parse_duration("1d"), Ok(ms(86_400_000)));
        assert_eq!(parse_duration("1.5s"), Ok(ms(1500)));
        assert_eq!(parse_duration("250"), Ok(ms(250)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("1m 30s"), Ok(ms(90_000)));
        assert_eq!(parse_duration("2 minutes"), Ok(ms(120_000)));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("-5s").is_err());
        assert!(parse_duration("5 parsecs").is_err());
    }

    #[test]
    fn expansion() {
        let vars = |name: &str| match name {
            "USER_A" => Some("alice".to_owned()),
            "EMPTY" => Some(String::new()),
            _ => None,
        };
        let ex = |v: &str| expand_vars(v, "environments.prod.url", "ferry.toml", &vars);
        assert_eq!(
            ex("postgres://${USER_A}@h/db").unwrap(),
            "postgres://alice@h/db"
        );
        assert_eq!(ex("${MISSING:-x}-${USER_A:-y}").unwrap(), "x-alice");
        assert_eq!(ex("${EMPTY:-fallback}").unwrap(), "fallback");
        assert_eq!(ex("${EMPTY}").unwrap(), "");
        assert_eq!(ex("cost $5 and $HOME").unwrap(), "cost $5 and $HOME");
        let err = ex("postgres://${PROD_USER}@h").unwrap_err().to_string();
        assert!(err.contains("${PROD_USER}"), "{err}");
        assert!(err.contains("environments.prod.url"), "{err}");
        assert!(err.contains("not set"), "{err}");
        assert!(matches!(
            ex("${OOPS"),
            Err(ConfigError::BadExpansion { .. })
        ));
        assert!(matches!(ex("${9X}"), Err(ConfigError::BadExpansion { .. })));
    }

    #[test]
    fn discover_walks_up_and_loads_dotenv() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::write(root.join(FILE_NAME), "dir = \"sql\"\n").unwrap();
        std::fs::write(
            root.join(DOTENV_FILE_NAME),
            "FERRY_CONFIG_TEST_DOTENV_VAR=from-dotenv\n",
        )
        .unwrap();
        let nested = root.join("a/b");
        std::fs::create_dir_all(&nested).unwrap();
        let c = Config::discover(&nested, None).unwrap();
        let root = std::path::absolute(root).unwrap();
        assert_eq!(c.root, root);
        assert_eq!(c.file, Some(root.join(FILE_NAME)));
        assert_eq!(c.migrations_dir(), root.join("sql"));
        assert_eq!(c.dotenv_file, Some(root.join(DOTENV_FILE_NAME)));
        assert_eq!(
            std::env::var("FERRY_CONFIG_TEST_DOTENV_VAR").as_deref(),
            Ok("from-dotenv")
        );
    }

    #[test]
    fn discover_explicit_and_missing() {
        let tmp = tempfile::tempdir().unwrap();
        let root = std::path::absolute(tmp.path()).unwrap();
        std::fs::create_dir_all(root.join("conf")).unwrap();
        std::fs::write(root.join("conf/other.toml"), "retries = 1\n").unwrap();
        let c = Config::discover(&root, Some(Path::new("conf/other.toml"))).unwrap();
        assert_eq!(c.root, root.join("conf"));
        assert_eq!(c.retries, 1);
        let err = Config::discover(&root, Some(Path::new("nope.toml"))).unwrap_err();
        assert!(matches!(err, ConfigError::NotFound { .. }), "{err}");
    }
}
