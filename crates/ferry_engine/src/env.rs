//! Every environment variable ferry reads, named and documented in one place.
//!
//! Code elsewhere refers to these constants instead of string literals, so that this file
//! is the complete list (`grep EnvVars::` finds every reader). Library code that resolves
//! settings takes a `vars` lookup function rather than reading the process environment,
//! so tests can inject variables; [`crate::connect::process_vars`] is the real one.

/// Namespace for the names of the environment variables ferry reads.
pub struct EnvVars;

impl EnvVars {
    /// A connection URL (`postgres://user:password@host:port/database`) or libpq key=value
    /// string. Selects the database when neither `--database-url` nor an environment
    /// (`--env`, [`EnvVars::FERRY_ENV`], `default_env` in ferry.toml) is given.
    pub const DATABASE_URL: &'static str = "DATABASE_URL";

    /// Host of the database the project's seed scripts use. Setting any of the `DB_*`
    /// variables selects them as the target (below `DATABASE_URL`); unset ones default to
    /// `[db_env_defaults]` in ferry.toml, then `localhost`, `5432`, `postgres`, `postgres`.
    pub const DB_HOST: &'static str = "DB_HOST";

    /// Port for the `DB_*` target (see [`EnvVars::DB_HOST`]).
    pub const DB_PORT: &'static str = "DB_PORT";

    /// Database name for the `DB_*` target (see [`EnvVars::DB_HOST`]).
    pub const DB_NAME: &'static str = "DB_NAME";

    /// User for the `DB_*` target (see [`EnvVars::DB_HOST`]).
    pub const DB_USER: &'static str = "DB_USER";

    /// Password for the `DB_*` target. Setting only this one still selects the `DB_*`
    /// target, with the other parts at their defaults.
    pub const DB_PASSWORD: &'static str = "DB_PASSWORD";

    /// libpq's host (name, IP address, or a Unix-socket directory starting with `/`).
    /// Setting any of `PGHOST`, `PGPORT`, `PGDATABASE`, `PGUSER`, `PGPASSWORD` selects the
    /// libpq variables as the target (below the `DB_*` variables).
    pub const PGHOST: &'static str = "PGHOST";

    /// libpq's port (default 5432).
    pub const PGPORT: &'static str = "PGPORT";

    /// libpq's database name (default: the user name).
    pub const PGDATABASE: &'static str = "PGDATABASE";

    /// libpq's user name (default: the operating-system user).
    pub const PGUSER: &'static str = "PGUSER";

    /// libpq's password. Also used, as libpq does, for a URL target that has no password.
    pub const PGPASSWORD: &'static str = "PGPASSWORD";

    /// Path of the password file (default `~/.pgpass`). Consulted for every target that
    /// has no password; ignored unless its mode is 0600 or stricter, as libpq does.
    pub const PGPASSFILE: &'static str = "PGPASSFILE";

    /// Default `sslmode` for every target that does not set one: `disable`, `allow`,
    /// `prefer` (the default), `require`, `verify-ca` or `verify-full`.
    pub const PGSSLMODE: &'static str = "PGSSLMODE";

    /// Default root certificate (CA) file for every target that does not set one.
    pub const PGSSLROOTCERT: &'static str = "PGSSLROOTCERT";

    /// Default connect timeout in seconds, as libpq reads it (ferry.toml's
    /// `connect_timeout` wins over it; the built-in default is 10 seconds).
    pub const PGCONNECT_TIMEOUT: &'static str = "PGCONNECT_TIMEOUT";

    /// `application_name` reported to the server, instead of ferry's own.
    pub const PGAPPNAME: &'static str = "PGAPPNAME";

    /// Directory holding the PostgreSQL server binaries (`initdb`, `postgres`, `pg_ctl`,
    /// `pg_dump`) used for ferry's local and throwaway clusters.
    pub const FERRY_PG_BIN: &'static str = "FERRY_PG_BIN";

    /// Name of the ferry.toml environment to use, like `--env` (which wins over it); it
    /// wins over `default_env` in ferry.toml.
    pub const FERRY_ENV: &'static str = "FERRY_ENV";

    /// When set to a non-empty value, output has no colour (<https://no-color.org>).
    pub const NO_COLOR: &'static str = "NO_COLOR";

    /// When set to a non-empty value, output is coloured even when not a terminal.
    pub const FORCE_COLOR: &'static str = "FORCE_COLOR";

    /// The user's home directory, for `~/.pgpass`.
    pub const HOME: &'static str = "HOME";
}
