//! ferry's schema model: what a PostgreSQL database holds, read from its catalog, and that
//! model written back as canonical SQL.
//!
//! - [`model`]: the typed model ([`Catalog`]), serialisable, comparable with `==`.
//! - [`catalog`]: reading a live database into the model (queries in `src/queries/*.sql`).
//! - [`dump`]: the model as canonical SQL that replays into an empty database.
//! - [`diff`]: the DDL that turns one model into another.
//!
//! Never prints; errors are [`Error`].

// Errors carry the server's error; they are rare and on cold paths.
#![allow(clippy::result_large_err)]

pub mod catalog;
pub mod diff;
pub mod dump;
pub mod model;
pub mod scope;

pub use catalog::{ReadOptions, read};
pub use dump::dump;
pub use model::Catalog;

/// Why the catalog could not be read into the model.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database holds an object the model does not cover yet: rather than leave it out of
    /// the model (and of every dump and comparison), ferry stops and names it.
    #[error(
        "the database holds {kind} {name}, which ferry's schema model does not cover yet; remove it or manage it outside ferry's schema commands"
    )]
    UnsupportedObject { kind: String, name: String },
    #[error("reading the catalog ({what}): {}", db_message(source))]
    Db {
        what: &'static str,
        #[source]
        source: postgres::Error,
    },
}

fn db_message(error: &postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => error.to_string(),
    }
}
