//! Every clap type of the command line. Shared groups (target, output) are flattened into
//! the commands that need them.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// ferry: apply, roll back, verify and track PostgreSQL schema migrations.
///
/// With no database configured, ferry runs its own local PostgreSQL from the server binaries on
/// this machine. Where the database comes from, first match wins: --database-url, --env NAME
/// (ferry.toml environments), DATABASE_URL, DB_HOST/DB_PORT/DB_NAME/DB_USER/DB_PASSWORD,
/// PGHOST/PGPORT/PGDATABASE/PGUSER/PGPASSWORD (+ .pgpass), ferry.toml's database_url, and
/// finally ferry's own local PostgreSQL.
#[derive(Debug, Parser)]
#[command(name = "ferry", version, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Run as if ferry was started in DIR (where ferry.toml is looked for).
    #[arg(short = 'C', long = "project", global = true, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// Use this ferry.toml instead of searching for one.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The migrations folder (default: `dir` in ferry.toml, else `migrations`).
    #[arg(long, global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Connect to this database (postgres://user:password@host:port/db).
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// Use the environment NAME from ferry.toml.
    #[arg(long, global = true, value_name = "NAME", env = "FERRY_ENV")]
    pub env: Option<String>,
    /// Run on a throwaway local PostgreSQL, removed afterwards.
    #[arg(long, global = true)]
    pub ephemeral: bool,
    /// Retry connecting until the server answers, up to DURATION (e.g. 30s).
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_duration)]
    pub wait: Option<Duration>,
    /// How long to wait for another runner's migration lock (default 60s).
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_duration)]
    pub lock_wait: Option<Duration>,
    /// lock_timeout for migration statements (default 5s; 0 disables).
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_duration)]
    pub lock_timeout: Option<Duration>,
    /// Where run logs go (default .ferry/logs).
    #[arg(long, global = true, value_name = "DIR")]
    pub log_dir: Option<PathBuf>,
    /// Print one JSON document on stdout instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// Print only errors on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// When to use colour.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending migrations.
    Up(UpArgs),
    /// Roll back applied migrations (one by default).
    Down(DownArgs),
    /// Roll back the newest migration and apply it again.
    Redo(DryRunArgs),
    /// Show each migration's state.
    Status(StatusArgs),
    /// Show the history of applies, rollbacks, baselines, repairs and failures.
    History(HistoryArgs),
    /// Record every migration up to VERSION as applied, without running it.
    Baseline(BaselineArgs),
    /// Record a decision about a failed, edited or missing migration.
    Repair(RepairArgs),
    /// Roll back everything (or drop the managed schemas when a down script is missing).
    Reset(ResetArgs),
    /// Run the verify scripts of applied migrations, then the checks in checks/*.toml (exit 1
    /// on a failure); --snapshot writes checks pinning down the current schema.
    Verify(VerifyArgs),
    /// Prove on a throwaway database that every down script undoes its up.
    Test,
    /// Compare the database with the schema its applied migrations produce (exit 1 on drift).
    Drift(DriftArgs),
    /// Print the DDL that turns one schema into another (exit 1 when they differ).
    Diff(DiffArgs),
    /// Write the next migration from the desired schema in ferry.toml (`schema = …`).
    Generate(GenerateArgs),
    /// Write the next migration and its down script.
    New(NewArgs),
    /// Manage ferry's local PostgreSQL, or create/drop the configured database.
    Db(DbArgs),
    /// Replace the database's schema and data with a backup made by `up --backup`.
    Restore(RestoreArgs),
    /// Print the database's schema as canonical SQL (--json: the schema model).
    Dump,
}

#[derive(Debug, Args)]
pub struct DryRunArgs {
    /// Show the plan and the exact SQL; change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct UpArgs {
    /// Apply up to and including this version.
    #[arg(long, value_name = "VERSION")]
    pub to: Option<String>,
    /// Apply every pending migration in one transaction: all or nothing.
    #[arg(long)]
    pub single_transaction: bool,
    /// Apply pending migrations older than the newest applied one.
    #[arg(long)]
    pub allow_out_of_order: bool,
    /// Go on although applied migrations have no file any more.
    #[arg(long)]
    pub ignore_missing: bool,
    /// Run pg_dump before applying (default: `backup` of the environment in ferry.toml).
    #[arg(long, conflicts_with = "no_backup")]
    pub backup: bool,
    /// Do not back up, even when the environment says `backup = true`.
    #[arg(long)]
    pub no_backup: bool,
    /// Where backups go (default .ferry/backups in the project).
    #[arg(long, value_name = "DIR")]
    pub backup_dir: Option<PathBuf>,
    /// Run each migration's verify script in its transaction, before COMMIT: a failing one
    /// rolls the migration back (a no-transaction migration is recorded as failed).
    #[arg(long)]
    pub verify: bool,
    #[command(flatten)]
    pub dry_run: DryRunArgs,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Write checks that pin down the current schema (tables, columns, indexes, constraints,
    /// policies, …) instead of verifying.
    #[arg(long)]
    pub snapshot: bool,
    /// Where --snapshot writes (default checks/snapshot.toml; `-` for stdout).
    #[arg(long, value_name = "FILE", requires = "snapshot")]
    pub output: Option<PathBuf>,
    /// Replace the --snapshot file when it exists.
    #[arg(long, requires = "snapshot")]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup file (`up --backup` prints where it wrote it).
    pub file: PathBuf,
    /// Confirm: the database's current schema and data are replaced.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Args)]
#[group(multiple = false)]
pub struct DownTargetArgs {
    /// Roll back this many migrations.
    #[arg(long, value_name = "N")]
    pub steps: Option<usize>,
    /// Roll back every migration above this version (it stays applied).
    #[arg(long, value_name = "VERSION")]
    pub to: Option<String>,
    /// Roll back every migration; stops at the first failing down script.
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct DownArgs {
    #[command(flatten)]
    pub target: DownTargetArgs,
    #[command(flatten)]
    pub dry_run: DryRunArgs,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Exit 1 when migrations are pending, failed, missing or changed.
    #[arg(long)]
    pub exit_code: bool,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Show only the newest N entries.
    #[arg(long, value_name = "N")]
    pub limit: Option<i64>,
}

#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// The newest version the database already has.
    pub version: String,
    #[command(flatten)]
    pub dry_run: DryRunArgs,
}

#[derive(Debug, Args)]
pub struct RepairArgs {
    /// The failed migration to decide about (with --applied or --pending).
    pub version: Option<String>,
    /// The failed migration's remaining work was done by hand: record it as applied.
    #[arg(long, requires = "version", conflicts_with = "pending")]
    pub applied: bool,
    /// What the failed migration did was cleaned up: run it again from the start.
    #[arg(long, requires = "version")]
    pub pending: bool,
    /// Accept the edited file of an applied migration (records its new checksum).
    #[arg(long, value_name = "VERSION", conflicts_with_all = ["version", "forget"])]
    pub accept_checksum: Option<String>,
    /// Forget an applied migration whose file is gone.
    #[arg(long, value_name = "VERSION", conflicts_with = "version")]
    pub forget: Option<String>,
    /// Why: recorded in the history.
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    #[command(flatten)]
    pub dry_run: DryRunArgs,
}

#[derive(Debug, Args)]
pub struct ResetArgs {
    /// Confirm: reset reverts everything.
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub dry_run: DryRunArgs,
}

#[derive(Debug, Args)]
pub struct DriftArgs {
    /// Replay the migrations in a scratch database on this server instead of a throwaway
    /// local one (for a target whose major version or extensions the local server lacks).
    #[arg(long, value_name = "URL")]
    pub dev_url: Option<String>,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The schema to start from: a database URL (postgres://…), a .sql file, a folder of
    /// .sql files, or a migrations folder in any layout ferry reads.
    pub from: String,
    /// The schema to reach, in any of the same forms.
    pub to: String,
    /// Compare only these schemas (repeat the flag for several).
    #[arg(long = "schema", value_name = "NAME")]
    pub schemas: Vec<String>,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// What the migration does, e.g. add_users_email.
    pub name: String,
    #[command(flatten)]
    pub dry_run: DryRunArgs,
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// What the migration does, e.g. add_users_email.
    pub name: String,
}

#[derive(Debug, Args)]
pub struct DbArgs {
    #[command(subcommand)]
    pub command: DbCommand,
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Start ferry's local PostgreSQL for this project.
    Start,
    /// Stop it.
    Stop,
    /// Show whether it runs, where its data is and how to connect.
    Status,
    /// Print its connection URL.
    Url,
    /// Stop it and delete its data.
    Destroy {
        /// Confirm: the data is deleted.
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Create the configured database.
    Create,
    /// Drop the configured database.
    Drop {
        /// Confirm: the database and its data are deleted.
        #[arg(long, short = 'y')]
        yes: bool,
    },
}

/// Accepts `30s`, `500ms`, `2min`, `1h`, or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    ferry_engine::config::parse_duration(text)
}
