//! Test harness: one throwaway PostgreSQL server per test binary, a fresh database per
//! test, temporary projects.
//!
//! ```no_run
//! let db = ferry_test_support::fresh_db();
//! db.execute("CREATE TABLE t (id int)");
//! assert_eq!(db.table_names(), ["public.t"]);
//! // Dropping `db` drops the database.
//! ```
//!
//! # How it works, and why
//! - **One server per test process.** `cargo test` runs every test of a binary as a
//!   thread of one process, so the first test that calls [`cluster`] or [`fresh_db`] starts
//!   a server (a [`ferry_engine::pg::EphemeralCluster`]: a copy of the cached template data
//!   directory, ≈0.13 s instead of ≈0.8 s for `initdb`) and every later test reuses it.
//! - **A database per test.** [`fresh_db`] runs `CREATE DATABASE t_<pid>_<n>` (≈35 ms,
//!   copying `template1`), so tests are isolated from each other yet share the server.
//!   [`TestDb`]'s drop removes it (`DROP DATABASE … WITH (FORCE)`).
//! - **Durability off** (`fsync`, `synchronous_commit`, `full_page_writes`, autovacuum):
//!   nothing here needs to survive a crash.
//! - **Reachable two ways.** The server listens on a unix socket in a short temporary
//!   directory (trusted, user `postgres`, no password: [`TestDb::url`]) and on TCP at
//!   127.0.0.1 on a free port, where `pg_hba.conf` requires scram-sha-256: the login
//!   superuser [`PASSWORD_ROLE`] with [`PASSWORD`] is for tests of password handling
//!   ([`TestDb::tcp_url_with_password`]). `max_connections` is 100, enough for 8 concurrent
//!   runners per test and many tests at once.
//! - **It never outlives the tests.** A `static` is never dropped, so the server is (1)
//!   spawned from a dedicated thread that parks forever, with `PR_SET_PDEATHSIG` set to
//!   SIGQUIT: the kernel stops it when that thread ends, which is when the process ends,
//!   however it ends (panic, abort, SIGKILL); (2) stopped and its directory deleted by an
//!   `atexit` hook when the process exits normally; and (3) should both fail, the next
//!   start deletes directories whose owning process is dead (`/dev/shm/ferry-<uid>/<pid>-…`, or
//!   the temp directory when `/dev/shm` is small).
//! - **As root** (CI, containers) the server runs as the `postgres` OS user, which owns
//!   its directories; see [`ferry_engine::pg`].
//! - **Which PostgreSQL.** The machine's server binaries ([`ferry_engine::pg::PgBinaries::find`]),
//!   or those in the directory [`FERRY_TEST_PG_BIN`] names: `scripts/test.sh` runs the
//!   catalog tests once more on each other major `scripts/setup.sh` installs. Those ship
//!   the server only, so a test meant to run there must not need pg_dump or psql
//!   ([`TestDb::schema_dump`] panics, saying why, when the only pg_dump there is is older
//!   than the server); [`TestCluster::major`] tells a test which major it runs on.
//!
//! # cargo test and cargo-nextest
//! Both work. `cargo test` is fastest: one server per test binary. cargo-nextest runs each
//! test in its own process, so there every test starts (and tears down) its own server,
//! ≈0.15 s more per test.

mod cluster;
mod db;
mod project;
mod sys;

pub use cluster::{FERRY_TEST_PG_BIN, PASSWORD, PASSWORD_ROLE, TestCluster, cluster};
pub use db::{TestDb, copy_of, fresh_db};
pub use project::TestProject;
