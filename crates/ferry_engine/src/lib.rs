//! ferry's library: everything that touches migration files or PostgreSQL.
//!
//! It never prints: every operation returns a report (see [`ops`]) or a typed
//! [`Error`], and the `ferry` binary renders them. Modules:
//! - [`config`]: ferry.toml discovery and settings; [`mod@env`]: every environment variable ferry reads.
//! - [`connect`]: where the database comes from (flags, environments, `DATABASE_URL`, `DB_*`, `PG*`), TLS, connecting.
//! - [`pg`]: PostgreSQL server binaries, the project's local cluster and throwaway clusters.
//! - [`source`]: migration files on disk, versions, directives, checksums.
//! - [`history`]: the tracking schema and its append-only history.
//! - [`plan`]: what a command will run, and the preflight checks that refuse before anything runs.
//! - [`runner`]: running a plan under the advisory lock.
//! - [`log`]: the per-run log file.
//! - [`redact`]: keeping secrets out of every output.
//! - [`session`]: opening the target for a command; [`ops`]: one function per command.
//! - [`checks`]: declarative checks (`checks/*.toml`, `[[check]]`) that `ferry verify` runs.
//! - [`roundtrip`]: `ferry test`, up → down → up proven on a throwaway database.
//! - [`backup`]: pg_dump before `up --backup`, and `ferry restore`.
//! - [`drift`]: the target against what its applied migrations produce; [`compare`]: models compared.
//! - [`diff`]: `ferry diff` and `ferry generate`; [`materialize`]: schema files and folders built on a throwaway database.

// Errors carry the server's full diagnostics (message, detail, hint, context, position) so
// they can be rendered at the edge; they are rare and on cold paths, so their size is fine.
#![allow(clippy::result_large_err)]

pub mod backup;
pub mod checks;
pub mod compare;
pub mod config;
pub mod connect;
pub mod diff;
pub mod drift;
pub mod env;
pub mod error;
pub mod history;
pub mod log;
pub mod materialize;
pub mod ops;
pub mod pg;
pub mod plan;
pub mod redact;
pub mod roundtrip;
pub mod runner;
pub mod session;
pub mod source;

pub use error::Error;
