//! The engine's error: everything that stops a command (as opposed to findings, which are reports).

use std::path::PathBuf;
use std::time::Duration;

use crate::plan::Problem;

/// Why a command could not do its job. Findings (pending migrations, failed checks) are not
/// errors: they are reports. A migration that failed while running is a report too
/// ([`crate::runner::RunOutcome::failure`]), because what ran before it matters.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Connect(#[from] crate::connect::ConnectError),
    #[error(transparent)]
    Cluster(#[from] crate::pg::ClusterError),
    #[error(transparent)]
    Source(#[from] crate::source::SourceError),
    #[error(transparent)]
    Tracking(#[from] crate::history::TrackingError),
    /// Reading the schema model (an object kind the model does not cover is an error naming it).
    #[error(transparent)]
    Schema(#[from] ferry_schema::Error),
    #[error(transparent)]
    Backup(#[from] crate::backup::BackupError),
    /// Checks that refuse the command before anything runs; every problem is listed.
    #[error("{}", refused_summary(.0))]
    Refused(Vec<Problem>),
    #[error(
        "waited {:.1}s for the migration lock, held by {holder}; try again later or raise --lock-wait",
        waited.as_secs_f64()
    )]
    LockTimeout { waited: Duration, holder: String },
    #[error(
        "environment \"{env}\" is protected: `ferry {command}` is refused there (remove `protected = true` from ferry.toml to allow it)"
    )]
    Protected { env: String, command: String },
    #[error("{what}: refusing without --yes")]
    NeedsConfirmation { what: String },
    #[error("{context}: {}", crate::error::db_message(source))]
    Db {
        context: String,
        #[source]
        source: postgres::Error,
    },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Usage(String),
    /// Building a schema from SQL on a throwaway database failed (`ferry diff`, `generate`).
    #[error("building {what} failed: {}", failure.message)]
    Build {
        what: String,
        failure: Box<crate::runner::MigrationFailure>,
    },
}

fn refused_summary(problems: &[Problem]) -> String {
    match problems.len() {
        1 => problems[0].message(),
        n => format!("{n} problems must be fixed before anything runs"),
    }
}

/// A server error rendered with its SQLSTATE (the driver's own Display says only "db error").
pub fn db_message(error: &postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => {
            let mut text = format!("{} ({})", db.message(), db.code().code());
            if let Some(detail) = db.detail() {
                text.push_str(&format!("; {detail}"));
            }
            if let Some(hint) = db.hint() {
                text.push_str(&format!("; hint: {hint}"));
            }
            text
        }
        None => {
            let mut text = error.to_string();
            let mut source = std::error::Error::source(error);
            while let Some(s) = source {
                text.push_str(&format!(": {s}"));
                source = s.source();
            }
            text
        }
    }
}

impl Error {
    pub fn db(context: impl Into<String>) -> impl FnOnce(postgres::Error) -> Error {
        let context = context.into();
        move |source| Error::Db { context, source }
    }
}

impl From<crate::runner::RunError> for Error {
    fn from(err: crate::runner::RunError) -> Error {
        use crate::runner::RunError;
        match err {
            RunError::LockTimeout { waited, holder } => Error::LockTimeout { waited, holder },
            RunError::Db { context, source } => Error::Db {
                context: context.to_owned(),
                source,
            },
        }
    }
}
