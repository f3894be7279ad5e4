//! Running migrations under the advisory lock.
//!
//! The rules this module keeps (DESIGN-NOTES, "Running a file" and "Locks and concurrency"):
//! - One session-level `pg_advisory_lock` per run, taken outside any transaction, so a
//!   `CREATE INDEX CONCURRENTLY` in a no-transaction file does not wait for ferry's own
//!   transaction. The applied set is read again after the lock is held.
//! - A transactional migration is `BEGIN`, each statement sent on its own (so a failure names
//!   its statement, and a killed client's backend rolls back instead of committing), then the
//!   tracking row and `COMMIT` in one message once the last statement has succeeded.
//!   `--single-transaction` writes the rows of all its migrations in one statement before its
//!   `COMMIT`, which also releases the migration lock (see
//!   [`Runner::apply_single_transaction`]).
//! - A no-transaction migration records its progress after every statement, so a failure or a
//!   killed runner leaves a `failed` / `running` row that the next `up` resumes from.
//! - Lock timeouts (55P03) and deadlocks (40P01) are retried with backoff.
//! - Session state set by one file (`search_path`, roles) is reset before the next.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::{Duration, Instant};

use postgres::Client;
use postgres::error::{DbError, ErrorPosition, SqlState};
use postgres::types::Type;
use serde::Serialize;

use crate::history::{BatchRow, HistoryEntry, RowState, RowWrite, Tracking};
use crate::log::{Direction, Event, Reporter};
use crate::plan::{Location, PlannedApply, PlannedRevert};
use crate::source::{Migration, MigrationSet, Script};

/// How a run behaves.
#[derive(Debug, Clone)]
pub struct RunSettings {
    /// How long to wait for another runner's lock.
    pub lock_wait: Duration,
    /// Retries of a migration that failed on a lock timeout or a deadlock.
    pub retries: u32,
    /// First backoff; doubled on each retry.
    pub retry_backoff: Duration,
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings {
            lock_wait: Duration::from_secs(60),
            retries: 3,
            retry_backoff: Duration::from_millis(500),
        }
    }
}

/// Set by Ctrl-C: the runner stops at the next statement boundary (the running statement is
/// cancelled on the server by the caller through [`postgres::CancelToken`]).
#[derive(Debug, Clone, Default)]
pub struct CancelFlag(Arc<AtomicBool>);

impl CancelFlag {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// A migration that ran.
#[derive(Debug, Clone, Serialize)]
pub struct Ran {
    pub version: String,
    pub name: String,
    pub direction: Direction,
    pub duration_ms: f64,
    pub statements: usize,
    pub transactional: bool,
}

/// Why a migration failed, with everything a person needs to act on it.
#[derive(Debug, Clone, Serialize)]
pub struct MigrationFailure {
    pub version: String,
    pub name: String,
    pub direction: Direction,
    pub file: PathBuf,
    /// 1-based index of the failing statement, and how many the file has.
    pub statement: usize,
    pub statements_total: usize,
    pub line: usize,
    pub column: usize,
    pub sqlstate: Option<String>,
    pub severity: Option<String>,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
    /// The server's CONTEXT (`PL/pgSQL function … line N at …`).
    pub context: Option<String>,
    pub schema: Option<String>,
    pub table: Option<String>,
    pub column_name: Option<String>,
    pub constraint: Option<String>,
    /// What the failure left behind, in words.
    pub state_left: String,
    pub cancelled: bool,
    #[serde(skip)]
    pub location: Option<Location>,
}

/// The outcome of a run that got as far as running migrations.
#[derive(Debug, Clone, Serialize, Default)]
pub struct RunOutcome {
    pub ran: Vec<Ran>,
    pub failure: Option<MigrationFailure>,
}

/// Errors that stop a run before or outside a migration.
/// Errors of taking the migration lock (a migration that fails is a [`MigrationFailure`]).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(
        "waited {waited:?} for the migration lock, held by {holder}; try again later or raise --lock-wait"
    )]
    LockTimeout { waited: Duration, holder: String },
    #[error("{context}: {source}")]
    Db {
        context: &'static str,
        #[source]
        source: postgres::Error,
    },
}

fn db(context: &'static str) -> impl FnOnce(postgres::Error) -> RunError {
    move |source| RunError::Db { context, source }
}

/// Holds the advisory lock on a session; released explicitly, or by the server when the session ends.
pub struct LockGuard {
    key: i64,
    state: LockState,
}

impl LockGuard {
    pub fn release(self, client: &mut Client) {
        // `--single-transaction` hands the lock over to its transaction, which released it on
        // COMMIT (see `Runner::apply_single_transaction`): nothing is left to release.
        let sql = match self.state.take() {
            LockState::HANDED_OVER => return,
            // Unlocking a lock the session does not hold would draw a WARNING.
            LockState::UNKNOWN => {
                "select pg_advisory_unlock($1) from pg_locks
                 where locktype = 'advisory' and pid = pg_backend_pid() and granted
                   and classid = (($1 >> 32) & 4294967295)::oid
                   and objid = ($1 & 4294967295)::oid and objsubid = 1"
            }
            _ => "select pg_advisory_unlock($1)",
        };
        let _ = client.query_typed(sql, &[(&self.key, Type::INT8)]);
    }
}

/// Whether a session holds the migration lock, shared by its [`LockGuard`] and its [`Runner`]
/// through [`Tracking`].
#[derive(Debug, Clone, Default)]
pub(crate) struct LockState(Arc<AtomicU8>);

impl LockState {
    const NOT_HELD: u8 = 0;
    const HELD: u8 = 1;
    /// Released inside the run's last transaction, whose end releases the transaction-level
    /// lock that replaced it.
    const HANDED_OVER: u8 = 2;
    /// Maybe released: a hand-over failed part-way.
    const UNKNOWN: u8 = 3;

    fn set(&self, state: u8) {
        self.0.store(state, Ordering::SeqCst);
    }

    fn get(&self) -> u8 {
        self.0.load(Ordering::SeqCst)
    }

    fn take(&self) -> u8 {
        self.0.swap(Self::NOT_HELD, Ordering::SeqCst)
    }
}

/// Takes the migration lock, polling so that a waiting runner can say who holds it.
pub fn acquire_lock(
    client: &mut Client,
    tracking: &Tracking,
    settings: &RunSettings,
    reporter: &Reporter,
    cancel: &CancelFlag,
) -> Result<LockGuard, RunError> {
    let key = tracking.lock_key();
    let started = Instant::now();
    let mut announced = false;
    let mut delay = Duration::from_millis(20);
    loop {
        let got: bool = client
            .query_typed_one("select pg_try_advisory_lock($1)", &[(&key, Type::INT8)])
            .map_err(db("taking the migration lock"))?
            .get(0);
        if got {
            reporter.emit(Event::LockAcquired {
                waited_ms: started.elapsed().as_millis() as u64,
            });
            tracking.lock.set(LockState::HELD);
            return Ok(LockGuard {
                key,
                state: tracking.lock.clone(),
            });
        }
        let holder = lock_holder(client, key).unwrap_or_else(|| "another session".to_owned());
        if started.elapsed() >= settings.lock_wait || cancel.is_cancelled() {
            return Err(RunError::LockTimeout {
                waited: started.elapsed(),
                holder,
            });
        }
        if !announced {
            reporter.emit(Event::LockWaiting { holder });
            announced = true;
        }
        std::thread::sleep(delay.min(settings.lock_wait.saturating_sub(started.elapsed())));
        delay = (delay * 2).min(Duration::from_millis(250));
    }
}

/// Describes the session holding the advisory lock: application name (which names the ferry
/// command, host and pid), user, client address, and what it is running.
fn lock_holder(client: &mut Client, key: i64) -> Option<String> {
    let row = client
        .query_opt(
            "select a.pid, coalesce(nullif(a.application_name, ''), 'unknown client'), a.usename::text,
                    coalesce(a.client_addr::text, 'local socket'), a.state,
                    extract(epoch from now() - a.xact_start)::float8
             from pg_locks l join pg_stat_activity a on a.pid = l.pid
             where l.locktype = 'advisory' and l.granted
               and l.database = (select oid from pg_database where datname = current_database())
               and l.classid = (($1::bigint >> 32) & 4294967295)::oid
               and l.objid = ($1::bigint & 4294967295)::oid and l.objsubid = 1
             limit 1",
            &[&key],
        )
        .ok()??;
    let pid: i32 = row.get(0);
    let app: String = row.get(1);
    let user: Option<String> = row.get(2);
    let addr: String = row.get(3);
    Some(format!(
        "pid {pid} ({app}, user {}, from {addr})",
        user.unwrap_or_default()
    ))
}

/// The SQL sent between two files so that session state set by one does not leak into the next
/// (pg_dump output calls `set_config('search_path', '', false)`, for one). `RESET ALL` returns
/// every setting to its session default, which includes what ferry set at connect time.
const RESET_SESSION: &str = "reset role; set session authorization default; reset all";

/// Runs migrations on one session that holds the lock.
pub struct Runner<'a> {
    pub client: &'a mut Client,
    pub tracking: &'a Tracking,
    pub reporter: &'a Reporter,
    pub settings: &'a RunSettings,
    pub cancel: &'a CancelFlag,
    /// `up --verify`: run each applied migration's verify script in the migration's own
    /// transaction, before its COMMIT, so that a failing one rolls the migration back (see
    /// [`Runner::verify_in_transaction`]).
    pub verify_scripts: bool,
    /// PL/pgSQL bodies of functions created so far in this run, to place errors raised inside them.
    bodies: HashMap<String, BodyPlace>,
    dirty_session: bool,
}

#[derive(Debug, Clone)]
struct BodyPlace {
    path: PathBuf,
    text: Arc<str>,
    body_start: usize,
}

/// One script to run, with its identity in the tracking table.
struct Job<'s> {
    migration: &'s Migration,
    /// `migration.version` as written, made once for the log line of every statement.
    version: String,
    script: &'s Script,
    direction: Direction,
    transactional: bool,
    /// The migration may have a tracking row already (see [`BatchRow::may_have_row`]).
    may_have_row: bool,
}

/// Where one statement failed; `error` is `None` when Ctrl-C stopped the run before it was sent.
struct StatementError {
    index: usize,
    error: Option<postgres::Error>,
    /// Characters of ferry's own SQL sent before the statement in the same query string:
    /// the server's error position counts them.
    prefix_chars: usize,
}

impl<'a> Runner<'a> {
    pub fn new(
        client: &'a mut Client,
        tracking: &'a Tracking,
        reporter: &'a Reporter,
        settings: &'a RunSettings,
        cancel: &'a CancelFlag,
    ) -> Runner<'a> {
        Runner {
            client,
            tracking,
            reporter,
            settings,
            cancel,
            verify_scripts: false,
            bodies: HashMap::new(),
            dirty_session: false,
        }
    }

    /// Applies the planned migrations, each in its own transaction unless it says otherwise.
    /// Stops at the first failure; what ran before it stays applied.
    pub fn apply(&mut self, set: &MigrationSet, plan: &[PlannedApply]) -> RunOutcome {
        with_checksums_ahead(set, plan, || self.apply_each(set, plan))
    }

    fn apply_each(&mut self, set: &MigrationSet, plan: &[PlannedApply]) -> RunOutcome {
        let mut outcome = RunOutcome::default();
        for step in plan {
            let m = &set.migrations[step.index];
            if self.cancel.is_cancelled() {
                break;
            }
            let job = Job {
                migration: m,
                version: m.version.to_string(),
                script: &m.up,
                direction: Direction::Up,
                transactional: m.transactional(),
                may_have_row: m.is_repeatable() || step.resume_from.is_some(),
            };
            let result = if job.transactional {
                self.run_transactional(&job)
            } else {
                self.run_without_transaction(&job, step.resume_from.unwrap_or(0))
            };
            match result {
                Ok(ran) => outcome.ran.push(ran),
                Err(failure) => {
                    outcome.failure = Some(*failure);
                    break;
                }
            }
        }
        outcome
    }

    /// Applies every planned migration in one transaction (`--single-transaction`): all or nothing.
    ///
    /// When the session holds the migration lock, the COMMIT releases it: the transaction takes
    /// the same lock at transaction level and releases the session-level one just before
    /// committing, so no other runner gets in before the commit, and the [`LockGuard`] then has
    /// nothing left to do. A statement after the COMMIT of a large transaction costs the server
    /// several milliseconds (its caches are rebuilt after the transaction's invalidations);
    /// ending the run at the COMMIT saves that. The caller must not rely on holding the lock
    /// after this returns.
    pub fn apply_single_transaction(
        &mut self,
        set: &MigrationSet,
        plan: &[PlannedApply],
    ) -> RunOutcome {
        with_checksums_ahead(set, plan, || self.apply_all(set, plan))
    }

    fn apply_all(&mut self, set: &MigrationSet, plan: &[PlannedApply]) -> RunOutcome {
        let mut outcome = RunOutcome::default();
        let mut begin = Some("begin".to_owned());
        for step in plan {
            let m = &set.migrations[step.index];
            let job = Job {
                migration: m,
                version: m.version.to_string(),
                script: &m.up,
                direction: Direction::Up,
                transactional: true,
                may_have_row: m.is_repeatable() || step.resume_from.is_some(),
            };
            self.announce(&job, None);
            match self.run_in_open_transaction(&job, begin.take()) {
                Ok((ran, _)) => {
                    self.finished(&job, &ran);
                    outcome.ran.push(ran);
                }
                Err(failure) => {
                    let _ = self.client.batch_execute("rollback");
                    let mut failure = *failure;
                    failure.state_left = format!(
                        "rolled back: --single-transaction undid all {} migrations of this run",
                        plan.len()
                    );
                    self.record_failure_entry(&job, &failure);
                    self.failed(&job, &failure);
                    outcome.ran.clear();
                    outcome.failure = Some(failure);
                    return outcome;
                }
            }
        }
        // The tracking rows of the whole batch in one statement, in the same transaction.
        let rows: Vec<BatchRow<'_>> = plan
            .iter()
            .zip(&outcome.ran)
            .map(|(step, ran)| {
                let migration = &set.migrations[step.index];
                BatchRow {
                    migration,
                    duration_ms: ran.duration_ms.round() as i64,
                    may_have_row: migration.is_repeatable() || step.resume_from.is_some(),
                }
            })
            .collect();
        let changes_identity = rows.iter().any(|r| r.migration.up.may_change_identity);
        let written = if changes_identity {
            self.client
                .batch_execute("reset role; set session authorization default")
        } else {
            Ok(())
        }
        .and_then(|()| self.tracking.record_batch(self.client, &rows));
        let last = &set.migrations[plan[plan.len() - 1].index];
        let hand_over = self.tracking.lock.get() == LockState::HELD;
        let commit = if hand_over {
            let key = self.tracking.lock_key();
            format!("select pg_advisory_xact_lock({key}), pg_advisory_unlock({key}); commit")
        } else {
            "commit".to_owned()
        };
        match written.and_then(|()| self.client.batch_execute(&commit)) {
            Ok(()) if hand_over => self.tracking.lock.set(LockState::HANDED_OVER),
            Ok(()) => {}
            Err(e) => {
                if hand_over {
                    // Whether the session-level lock was released before the error is not
                    // known: the guard releases it only if it is still held.
                    self.tracking.lock.set(LockState::UNKNOWN);
                }
                let _ = self.client.batch_execute("rollback");
                let failure = self.bare_failure(last, e);
                outcome.ran.clear();
                outcome.failure = Some(failure);
            }
        }
        outcome
    }

    /// Reverts the planned migrations, newest first, each in its own transaction. Stops at the
    /// first failing down; what was reverted before it stays reverted.
    pub fn revert(&mut self, set: &MigrationSet, plan: &[PlannedRevert]) -> RunOutcome {
        let mut outcome = RunOutcome::default();
        for step in plan {
            if self.cancel.is_cancelled() {
                break;
            }
            let m = &set.migrations[step.index];
            let down = m.down.as_ref().expect("planned reverts have a down script");
            let job = Job {
                migration: m,
                version: m.version.to_string(),
                script: down,
                direction: Direction::Down,
                transactional: !down.directives.no_transaction,
                may_have_row: true,
            };
            let result = if job.transactional {
                self.run_transactional(&job)
            } else {
                self.run_without_transaction(&job, 0)
            };
            match result {
                Ok(ran) => outcome.ran.push(ran),
                Err(failure) => {
                    outcome.failure = Some(*failure);
                    break;
                }
            }
        }
        outcome
    }

    /// After a lock timeout (55P03) or a deadlock (40P01), waits with exponential backoff and
    /// says so; `false` when the failure is of another kind or the retries are used up.
    fn backoff(&self, job: &Job<'_>, failure: &MigrationFailure, attempt: &mut u32) -> bool {
        let retryable = matches!(failure.sqlstate.as_deref(), Some("55P03" | "40P01"));
        if !retryable || failure.cancelled || *attempt >= self.settings.retries {
            return false;
        }
        *attempt += 1;
        let wait = self.settings.retry_backoff * 2u32.pow(*attempt - 1);
        self.reporter.emit(Event::Retrying {
            version: job.version.clone(),
            attempt: *attempt,
            sqlstate: failure.sqlstate.clone().unwrap_or_default(),
            message: failure.message.clone(),
            wait_ms: wait.as_millis() as u64,
        });
        std::thread::sleep(wait);
        true
    }

    /// Runs a verify script in a transaction that is rolled back: it passes unless it raises.
    pub fn check(&mut self, migration: &Migration, script: &Script) -> Option<MigrationFailure> {
        let job = Job {
            migration,
            version: migration.version.to_string(),
            script,
            direction: Direction::Up,
            transactional: true,
            may_have_row: true,
        };
        let statements = match script.statements() {
            Ok(s) => s,
            Err(e) => return Some(self.split_failure(&job, e)),
        };
        let begin = self.begin_sql(script);
        if let Err(e) = self.client.batch_execute(&begin) {
            return Some(self.bare_failure(migration, e));
        }
        let mut failure = None;
        for index in 0..statements.len() {
            if let Err(e) = self.run_statement(&job, index, None) {
                let mut f = self.statement_failure(&job, e);
                f.state_left = "verify scripts run in a transaction that is rolled back".to_owned();
                failure = Some(f);
                break;
            }
        }
        let _ = self.client.batch_execute("rollback");
        failure
    }

    /// The SQL that opens a migration's transaction: `BEGIN`, after a session reset when an
    /// earlier file may have changed the session (see [`Script::leaves_session_clean`]). It is
    /// sent together with the file's first statement (see [`Runner::run_statement`]).
    fn begin_sql(&mut self, script: &Script) -> String {
        let dirty = std::mem::replace(&mut self.dirty_session, !script.leaves_session_clean());
        if dirty {
            format!("{RESET_SESSION}; begin")
        } else {
            "begin".to_owned()
        }
    }

    /// Resets the session when an earlier file may have changed it (see
    /// [`Script::leaves_session_clean`]), before running `script`.
    fn reset_session(&mut self, script: &Script) -> Result<(), postgres::Error> {
        if std::mem::replace(&mut self.dirty_session, !script.leaves_session_clean()) {
            self.client.batch_execute(RESET_SESSION)?;
        }
        Ok(())
    }

    /// One transactional script with retries on lock timeouts and deadlocks.
    fn run_transactional(&mut self, job: &Job<'_>) -> Result<Ran, Box<MigrationFailure>> {
        if job.direction == Direction::Up {
            // Once per session, outside any transaction; without it the tracking row is
            // written on its own before COMMIT.
            let _ = self.tracking.prepare_record_sql(self.client);
        }
        let mut attempt = 0;
        loop {
            self.announce(job, None);
            let started = Instant::now();
            let begin = self.begin_sql(job.script);
            let result =
                self.run_in_open_transaction(job, Some(begin))
                    .and_then(|(ran, duration)| {
                        self.track_and_commit(job, ran.statements, duration)
                            .map(|()| ran)
                            .map_err(|e| Box::new(self.bare_failure(job.migration, e)))
                    });
            match result {
                Ok(mut ran) => {
                    ran.duration_ms = ms(started.elapsed());
                    self.finished(job, &ran);
                    return Ok(ran);
                }
                Err(failure) => {
                    let _ = self.client.batch_execute("rollback");
                    if self.backoff(job, &failure, &mut attempt) {
                        continue;
                    }
                    let mut failure = *failure;
                    failure.state_left = match job.direction {
                        Direction::Up => format!(
                            "rolled back: nothing of migration {} remains, and it is still pending",
                            job.migration.version
                        ),
                        Direction::Down => format!(
                            "rolled back: migration {} is still applied",
                            job.migration.version
                        ),
                    };
                    self.record_failure_entry(job, &failure);
                    self.failed(job, &failure);
                    return Err(Box::new(failure));
                }
            }
        }
    }

    /// Writes a transactional migration's tracking row and commits its transaction. Going up,
    /// both travel in one message (see [`Tracking::record_sql`]); a failure of either is a
    /// failure of the migration, whose transaction is then rolled back.
    fn track_and_commit(
        &mut self,
        job: &Job<'_>,
        statements: usize,
        duration: Duration,
    ) -> Result<(), postgres::Error> {
        if job.direction == Direction::Up {
            let key = job.migration.version.key();
            let m = job.migration;
            let script = m.up.file_name();
            let row = RowWrite {
                version: &key,
                version_text: &job.version,
                name: &m.name,
                script: &script,
                checksum: m.up.checksum(),
                checksum_bytes: m.up.bytes_checksum(),
                state: RowState::Applied,
                transactional: true,
                statements_done: None,
                statements_total: None,
                error: None,
                duration: Some(duration),
                baselined: false,
            };
            let entry = HistoryEntry {
                action: "apply",
                version: Some(&key),
                version_text: Some(&job.version),
                name: Some(&m.name),
                checksum: Some(m.up.checksum()),
                duration: Some(duration),
                detail: None,
            };
            if let Some(write) = self.tracking.record_sql(&row, &entry, job.may_have_row) {
                // The file may have switched roles: ferry writes its tables as the session's
                // own user (see `Runner::as_ferry`).
                let sql = if job.script.may_change_identity {
                    format!("reset role; set session authorization default; {write}; commit")
                } else {
                    format!("{write}; commit")
                };
                return self.client.batch_execute(&sql);
            }
        }
        self.write_tracking(job, RowState::Applied, statements, None, duration)?;
        self.client.batch_execute("commit")
    }

    /// Runs a script's statements inside an already open transaction (`begin`, when the
    /// transaction is not open yet, is sent with the first statement). Returns how long they
    /// took too.
    fn run_in_open_transaction(
        &mut self,
        job: &Job<'_>,
        mut begin: Option<String>,
    ) -> Result<(Ran, Duration), Box<MigrationFailure>> {
        let started = Instant::now();
        let statements = job
            .script
            .statements()
            .map_err(|e| Box::new(self.split_failure(job, e)))?;
        for index in 0..statements.len() {
            if let Err(e) = self.run_statement(job, index, begin.take().as_deref()) {
                return Err(Box::new(self.statement_failure(job, e)));
            }
        }
        if let Some(begin) = begin {
            // A file without statements still gets its transaction and tracking row.
            if let Err(e) = self.client.batch_execute(&begin) {
                return Err(Box::new(self.bare_failure(job.migration, e)));
            }
        }
        self.verify_in_transaction(job)?;
        let duration = started.elapsed();
        let ran = Ran {
            version: job.version.clone(),
            name: job.migration.name.clone(),
            direction: job.direction,
            duration_ms: ms(duration),
            statements: statements.len(),
            transactional: job.transactional,
        };
        Ok((ran, duration))
    }

    /// `up --verify`: the migration's verify script, run in the migration's still open
    /// transaction after its statements and before its tracking row and COMMIT, so that it sees
    /// what the migration did and its failure rolls the migration back. A verify script passes
    /// unless it raises. Nothing to do going down, without `--verify`, or without a script.
    fn verify_in_transaction(&mut self, job: &Job<'_>) -> Result<(), Box<MigrationFailure>> {
        if !self.verify_scripts || job.direction != Direction::Up {
            return Ok(());
        }
        let Some(verify) = job.migration.verify.as_ref() else {
            return Ok(());
        };
        let verify_job = Job {
            migration: job.migration,
            version: job.version.clone(),
            script: verify,
            direction: Direction::Up,
            transactional: true,
            may_have_row: job.may_have_row,
        };
        let statements = verify
            .statements()
            .map_err(|e| Box::new(self.split_failure(&verify_job, e)))?;
        if !verify.leaves_session_clean() {
            self.dirty_session = true;
        }
        for index in 0..statements.len() {
            if let Err(e) = self.run_statement(&verify_job, index, None) {
                let mut failure = self.statement_failure(&verify_job, e);
                failure.message = format!("verify script failed: {}", failure.message);
                return Err(Box::new(failure));
            }
        }
        Ok(())
    }

    /// `up --verify` after a no-transaction migration ran: its verify script, in a transaction
    /// that is rolled back. What the migration did cannot be undone, so a failure records the
    /// migration as failed, with every statement done.
    fn verify_after_no_transaction(
        &mut self,
        job: &Job<'_>,
        total: usize,
        started: Instant,
    ) -> Result<(), Box<MigrationFailure>> {
        if !self.verify_scripts || job.direction != Direction::Up {
            return Ok(());
        }
        let Some(verify) = job.migration.verify.as_ref() else {
            return Ok(());
        };
        let Some(mut failure) = self.check(job.migration, verify) else {
            return Ok(());
        };
        failure.message = format!("verify script failed: {}", failure.message);
        failure.state_left = format!(
            "no-transaction migration: all {total} statements ran and remain (they cannot be rolled back); its verify script failed, so it is recorded as failed: fix the database and run `ferry up --verify` again (only the verify script runs), or decide with `ferry repair {} --applied|--pending`",
            job.migration.version
        );
        let message = format!(
            "{}{}",
            failure
                .sqlstate
                .as_deref()
                .map(|s| format!("{s}: "))
                .unwrap_or_default(),
            failure.message
        );
        let _ = self.write_tracking(
            job,
            RowState::Failed,
            total,
            Some(&message),
            started.elapsed(),
        );
        self.failed(job, &failure);
        Err(Box::new(failure))
    }

    /// A no-transaction script: statement by statement, progress recorded after each, resumed
    /// from `from` (0-based) after an earlier failure.
    fn run_without_transaction(
        &mut self,
        job: &Job<'_>,
        from: usize,
    ) -> Result<Ran, Box<MigrationFailure>> {
        let started = Instant::now();
        self.announce(job, (from > 0).then_some(from));
        let statements = match job.script.statements() {
            Ok(s) => s,
            Err(e) => return Err(Box::new(self.split_failure(job, e))),
        };
        let total = statements.len();
        if let Err(e) = self.reset_session(job.script) {
            return Err(Box::new(self.bare_failure(job.migration, e)));
        }
        if job.direction == Direction::Up {
            let running = self.write_tracking(job, RowState::Running, from, None, Duration::ZERO);
            if let Err(e) = running {
                return Err(Box::new(self.bare_failure(job.migration, e)));
            }
        }
        let mut index = from;
        let mut attempt = 0;
        while index < total {
            match self.run_statement(job, index, None) {
                Ok(()) => {
                    index += 1;
                    attempt = 0;
                    if job.direction == Direction::Up {
                        let key = job.migration.version.key();
                        let tracking = self.tracking;
                        let written = self.as_ferry(job.script, false, |client| {
                            tracking.progress(client, &key, index as i32)
                        });
                        if let Err(e) = written {
                            return Err(Box::new(self.bare_failure(job.migration, e)));
                        }
                    }
                }
                Err(err) => {
                    let mut failure = self.statement_failure(job, err);
                    if self.backoff(job, &failure, &mut attempt) {
                        continue;
                    }
                    failure.state_left = self.no_transaction_state_left(job, index, total);
                    if job.direction == Direction::Up {
                        let message = format!(
                            "{}{}",
                            failure
                                .sqlstate
                                .as_deref()
                                .map(|s| format!("{s}: "))
                                .unwrap_or_default(),
                            failure.message
                        );
                        let _ = self.write_tracking(
                            job,
                            RowState::Failed,
                            index,
                            Some(&message),
                            started.elapsed(),
                        );
                    } else {
                        self.record_failure_entry(job, &failure);
                    }
                    self.failed(job, &failure);
                    return Err(Box::new(failure));
                }
            }
        }
        self.verify_after_no_transaction(job, total, started)?;
        let duration = started.elapsed();
        let done = self.write_tracking(job, RowState::Applied, total, None, duration);
        if let Err(e) = done {
            return Err(Box::new(self.bare_failure(job.migration, e)));
        }
        let ran = Ran {
            version: job.version.clone(),
            name: job.migration.name.clone(),
            direction: job.direction,
            duration_ms: ms(duration),
            statements: total,
            transactional: false,
        };
        self.finished(job, &ran);
        Ok(ran)
    }

    fn no_transaction_state_left(&mut self, job: &Job<'_>, index: usize, total: usize) -> String {
        let mut text = if index == 0 {
            format!("no-transaction migration: statement 1 of {total} failed, nothing of it ran")
        } else {
            format!(
                "no-transaction migration: statements 1-{index} of {total} ran and remain; statement {} failed",
                index + 1
            )
        };
        if job.direction == Direction::Up {
            text.push_str(&format!(
                "; recorded as failed, and the next `ferry up` resumes from statement {} (or decide with `ferry repair {} --applied|--pending`)",
                index + 1,
                job.migration.version
            ));
        }
        if let Some(invalid) = invalid_index_left(self.client, job.script, index) {
            text.push_str(&format!(
                "; it left the INVALID index {invalid}: drop it with `DROP INDEX CONCURRENTLY {invalid};` before running again"
            ));
        }
        text
    }

    /// Sends statement `index` of the script and waits for its result. `prefix` (ferry's
    /// `BEGIN`, possibly after a session reset) travels in the same query string, which saves
    /// a round trip per migration; it never contains COMMIT, so a killed client's backend still
    /// rolls back. A COPY cannot share its message: the prefix goes first, alone.
    fn run_statement(
        &mut self,
        job: &Job<'_>,
        index: usize,
        prefix: Option<&str>,
    ) -> Result<(), StatementError> {
        if self.cancel.is_cancelled() {
            return Err(StatementError {
                index,
                error: None,
                prefix_chars: 0,
            });
        }
        let statements = job.script.statements().expect("split before running");
        let stmt = &statements[index];
        let sql = &job.script.text[stmt.range.clone()];
        self.reporter
            .log
            .statement(&job.version, index, &job.script.text, stmt.range.clone());
        let started = Instant::now();
        let mut prefix_chars = 0;
        let result = match (&stmt.copy_data, prefix) {
            (Some(data), prefix) => prefix
                .map_or(Ok(()), |p| self.client.batch_execute(p))
                .and_then(|()| self.copy_in(sql, &job.script.text.as_bytes()[data.clone()])),
            (None, Some(prefix)) => {
                let joined = format!("{prefix};\n");
                prefix_chars = joined.chars().count();
                self.client.batch_execute(&(joined + sql))
            }
            (None, None) => self.client.batch_execute(sql),
        };
        result.map_err(|error| StatementError {
            index,
            error: Some(error),
            prefix_chars,
        })?;
        let elapsed = started.elapsed();
        if let Some(body) = ferry_sql::routine_body(sql)
            && let Some(name) = body.name
        {
            self.bodies.insert(
                name,
                BodyPlace {
                    path: job.script.path.clone(),
                    text: job.script.text.clone(),
                    body_start: stmt.range.start + body.body_start,
                },
            );
        }
        self.reporter.log.timing("ok", elapsed);
        Ok(())
    }

    fn copy_in(&mut self, sql: &str, data: &[u8]) -> Result<(), postgres::Error> {
        use std::io::Write;
        let mut writer = self.client.copy_in(sql)?;
        if let Err(io) = writer.write_all(data) {
            // The server reports the real reason when the copy is finished or aborted.
            drop(io);
        }
        writer.finish().map(|_| ())
    }

    fn write_tracking(
        &mut self,
        job: &Job<'_>,
        state: RowState,
        statements_done: usize,
        error: Option<&str>,
        duration: Duration,
    ) -> Result<(), postgres::Error> {
        let restore = !job.transactional;
        let script = job.script;
        let tracking = self.tracking;
        self.as_ferry(script, restore, |client| {
            Self::write_tracking_as_ferry(
                client,
                tracking,
                job,
                state,
                statements_done,
                error,
                duration,
            )
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn write_tracking_as_ferry(
        client: &mut Client,
        tracking: &Tracking,
        job: &Job<'_>,
        state: RowState,
        statements_done: usize,
        error: Option<&str>,
        duration: Duration,
    ) -> Result<(), postgres::Error> {
        let m = job.migration;
        let key = m.version.key();
        let version_text = m.version.to_string();
        match job.direction {
            Direction::Up => {
                let total = job.script.statements().map(|s| s.len()).unwrap_or(0);
                let action = match state {
                    RowState::Applied => "apply",
                    RowState::Failed => "fail",
                    RowState::Running => "start",
                };
                let row = RowWrite {
                    version: &key,
                    version_text: &version_text,
                    name: &m.name,
                    script: &m.up.file_name(),
                    checksum: m.up.checksum(),
                    checksum_bytes: m.up.bytes_checksum(),
                    state,
                    transactional: job.transactional,
                    statements_done: (!job.transactional).then_some(statements_done as i32),
                    statements_total: (!job.transactional).then_some(total as i32),
                    error,
                    duration: Some(duration),
                    baselined: false,
                };
                let entry = HistoryEntry {
                    action,
                    version: Some(&key),
                    version_text: Some(&version_text),
                    name: Some(&m.name),
                    checksum: Some(m.up.checksum()),
                    duration: Some(duration),
                    detail: error,
                };
                tracking.record(client, &row, &entry)
            }
            Direction::Down => {
                let entry = HistoryEntry {
                    action: "rollback",
                    version: Some(&key),
                    version_text: Some(&version_text),
                    name: Some(&m.name),
                    checksum: Some(job.script.checksum()),
                    duration: Some(duration),
                    detail: None,
                };
                tracking.forget(client, &key, &entry)
            }
        }
    }

    /// Runs `write` (a write to ferry's own tables) as the session's own user. A file that
    /// may have switched roles gets `RESET ROLE` first; in a no-transaction file (`restore`),
    /// the file's identity is put back afterwards for its remaining statements.
    fn as_ferry<T>(
        &mut self,
        script: &Script,
        restore: bool,
        write: impl FnOnce(&mut Client) -> Result<T, postgres::Error>,
    ) -> Result<T, postgres::Error> {
        if !script.may_change_identity {
            return write(self.client);
        }
        let row = self
            .client
            .query_one("select current_user::text, session_user::text", &[])?;
        let (current, session): (String, String) = (row.get(0), row.get(1));
        self.client
            .batch_execute("reset role; set session authorization default")?;
        let result = write(self.client);
        if restore {
            self.client.batch_execute(&format!(
                "set session authorization {}; set role {}",
                crate::history::quote_ident(&session),
                crate::history::quote_ident(&current)
            ))?;
        }
        result
    }

    /// Appends a `fail` entry to the history (outside the rolled-back transaction).
    fn record_failure_entry(&mut self, job: &Job<'_>, failure: &MigrationFailure) {
        let key = job.migration.version.key();
        let version_text = job.migration.version.to_string();
        let detail = format!(
            "{} statement {}: {}{}",
            match job.direction {
                Direction::Up => "up",
                Direction::Down => "down",
            },
            failure.statement,
            failure
                .sqlstate
                .as_deref()
                .map(|s| format!("{s}: "))
                .unwrap_or_default(),
            failure.message
        );
        let entry = HistoryEntry {
            action: "fail",
            version: Some(&key),
            version_text: Some(&version_text),
            name: Some(&job.migration.name),
            checksum: Some(job.script.checksum()),
            duration: None,
            detail: Some(&detail),
        };
        let tracking = self.tracking;
        let _ = self.as_ferry(job.script, false, |client| tracking.append(client, &entry));
    }

    fn announce(&self, job: &Job<'_>, resume_from: Option<usize>) {
        self.reporter.emit(Event::MigrationStarted {
            direction: job.direction,
            version: job.version.clone(),
            name: job.migration.name.clone(),
            transactional: job.transactional,
            resume_from,
        });
    }

    fn finished(&self, job: &Job<'_>, ran: &Ran) {
        self.reporter.emit(Event::MigrationFinished {
            direction: job.direction,
            version: ran.version.clone(),
            name: ran.name.clone(),
            duration_ms: ran.duration_ms,
        });
    }

    fn failed(&self, job: &Job<'_>, failure: &MigrationFailure) {
        self.reporter.emit(Event::MigrationFailed {
            direction: job.direction,
            version: job.version.clone(),
            name: job.migration.name.clone(),
            message: failure.message.clone(),
        });
    }

    fn split_failure(&self, job: &Job<'_>, err: &ferry_sql::SplitError) -> MigrationFailure {
        let location = Location {
            path: job.script.path.clone(),
            text: job.script.text.clone(),
            offset: crate::plan::split_error_offset(err),
        };
        let (line, column) = location.line_col();
        MigrationFailure {
            version: job.version.clone(),
            name: job.migration.name.clone(),
            direction: job.direction,
            file: job.script.path.clone(),
            statement: 0,
            statements_total: 0,
            line,
            column,
            sqlstate: None,
            severity: None,
            message: crate::plan::split_error_message(err),
            detail: None,
            hint: None,
            context: None,
            schema: None,
            table: None,
            column_name: None,
            constraint: None,
            state_left: "nothing ran".to_owned(),
            cancelled: false,
            location: Some(location),
        }
    }

    /// A failure outside any statement (BEGIN, COMMIT, the tracking write).
    fn bare_failure(&self, m: &Migration, error: postgres::Error) -> MigrationFailure {
        let db = error.as_db_error();
        MigrationFailure {
            version: m.version.to_string(),
            name: m.name.clone(),
            direction: Direction::Up,
            file: m.up.path.clone(),
            statement: 0,
            statements_total: 0,
            line: 0,
            column: 0,
            sqlstate: error.code().map(|c| c.code().to_owned()),
            severity: db.map(|d| d.severity().to_owned()),
            message: db
                .map(|d| d.message().to_owned())
                .unwrap_or_else(|| error.to_string()),
            detail: db.and_then(|d| d.detail().map(str::to_owned)),
            hint: db.and_then(|d| d.hint().map(str::to_owned)),
            context: db.and_then(|d| d.where_().map(str::to_owned)),
            schema: None,
            table: None,
            column_name: None,
            constraint: None,
            state_left: "the transaction was rolled back".to_owned(),
            cancelled: false,
            location: None,
        }
    }

    /// Builds the failure for statement `err.index`, placing it at `file:line:col`.
    fn statement_failure(&self, job: &Job<'_>, err: StatementError) -> MigrationFailure {
        let statements = job.script.statements().expect("split before running");
        let stmt = &statements[err.index];
        let sql = &job.script.text[stmt.range.clone()];
        let db = err.error.as_ref().and_then(|e| e.as_db_error());
        let code = err.error.as_ref().and_then(|e| e.code());
        let cancelled =
            self.cancel.is_cancelled() && (code == Some(&SqlState::QUERY_CANCELED) || db.is_none());
        let mut location = Location {
            path: job.script.path.clone(),
            text: job.script.text.clone(),
            offset: stmt.range.start,
        };
        if let Some(db) = db
            && let Some(place) =
                self.place_error(job.script, stmt.range.start, sql, err.prefix_chars, db)
        {
            location = place;
        }
        let (line, column) = location.line_col();
        let message = match (db, &err.error) {
            (Some(d), _) => d.message().to_owned(),
            (None, _) if cancelled => "cancelled by the user (Ctrl-C)".to_owned(),
            (None, Some(e)) => connection_failure_message(e),
            (None, None) => "cancelled by the user (Ctrl-C)".to_owned(),
        };
        MigrationFailure {
            version: job.version.clone(),
            name: job.migration.name.clone(),
            direction: job.direction,
            file: location.path.clone(),
            statement: err.index + 1,
            statements_total: statements.len(),
            line,
            column,
            sqlstate: code.map(|c| c.code().to_owned()),
            severity: db.map(|d| d.severity().to_owned()),
            message,
            detail: db.and_then(|d| d.detail().map(str::to_owned)),
            hint: db
                .and_then(|d| d.hint().map(str::to_owned))
                .or_else(|| hint_for(code, stmt, job.transactional)),
            context: db.and_then(|d| d.where_().map(str::to_owned)),
            schema: db.and_then(|d| d.schema().map(str::to_owned)),
            table: db.and_then(|d| d.table().map(str::to_owned)),
            column_name: db.and_then(|d| d.column().map(str::to_owned)),
            constraint: db.and_then(|d| d.constraint().map(str::to_owned)),
            state_left: String::new(),
            cancelled,
            location: Some(location),
        }
    }

    /// Places a server error in the file: its position inside the statement (characters, not
    /// bytes), or the PL/pgSQL line from its CONTEXT, or `None` for the statement's first token.
    fn place_error(
        &self,
        script: &Script,
        stmt_start: usize,
        sql: &str,
        prefix_chars: usize,
        db: &DbError,
    ) -> Option<Location> {
        if let Some(ErrorPosition::Original(pos)) = db.position() {
            let chars = (*pos as usize)
                .saturating_sub(1)
                .saturating_sub(prefix_chars);
            let offset = stmt_start + ferry_sql::char_to_byte(sql, chars);
            return Some(Location {
                path: script.path.clone(),
                text: script.text.clone(),
                offset,
            });
        }
        let context = db.where_()?;
        for line in context.lines() {
            let Some((function, body_line)) = parse_plpgsql_context(line) else {
                continue;
            };
            let place = if function == "inline_code_block" {
                let body = ferry_sql::routine_body(sql)?;
                BodyPlace {
                    path: script.path.clone(),
                    text: script.text.clone(),
                    body_start: stmt_start + body.body_start,
                }
            } else {
                let name = function_simple_name(function);
                match self.bodies.get(&name) {
                    Some(p) => p.clone(),
                    None => continue,
                }
            };
            let index = ferry_sql::LineIndex::new(&place.text);
            let first = index.position(&place.text, place.body_start).line;
            let target = first + body_line - 1;
            let start = index.line_start(target);
            let line_text = index.line_text(&place.text, target);
            let indent = line_text.len() - line_text.trim_start().len();
            // Line 1 of the body starts right after the opening `$$`, not at the line's start.
            let offset = if body_line == 1 {
                place.body_start
                    + (place.text[place.body_start..].len()
                        - place.text[place.body_start..]
                            .trim_start_matches([' ', '\t'])
                            .len())
            } else {
                start + indent
            };
            return Some(Location {
                path: place.path,
                text: place.text,
                offset,
            });
        }
        None
    }
}

/// Reads `PL/pgSQL function NAME line N at …` (also `SQL function … statement N` is skipped).
fn parse_plpgsql_context(line: &str) -> Option<(&str, usize)> {
    let rest = line.trim().strip_prefix("PL/pgSQL function ")?;
    let at = rest.rfind(" line ")?;
    let function = &rest[..at];
    let after = &rest[at + " line ".len()..];
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    Some((function, digits.parse().ok()?))
}

/// `public.my_func(integer, text)` → `my_func` (as PostgreSQL folded it).
fn function_simple_name(function: &str) -> String {
    let without_args = function.split('(').next().unwrap_or(function);
    let last = without_args.rsplit('.').next().unwrap_or(without_args);
    last.trim_matches('"').to_owned()
}

fn hint_for(
    code: Option<&SqlState>,
    stmt: &ferry_sql::Statement,
    transactional: bool,
) -> Option<String> {
    if code == Some(&SqlState::ACTIVE_SQL_TRANSACTION)
        && transactional
        && matches!(stmt.kind, ferry_sql::StatementKind::NoTransaction)
    {
        return Some(
            "this statement cannot run inside a transaction: put it in its own migration whose first line is `-- ferry:no-transaction`".to_owned(),
        );
    }
    if code == Some(&SqlState::LOCK_NOT_AVAILABLE) {
        return Some(
            "the statement waited longer than lock_timeout for a lock another session holds; retry when the table is quieter, or raise lock_timeout in ferry.toml".to_owned(),
        );
    }
    None
}

fn connection_failure_message(error: &postgres::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    crate::redact::redact(&text).into_owned()
}

/// Runs `run` while another thread computes the token checksums of the planned migrations, in
/// plan order. Each is needed for the migration's tracking row; computed on the runner's thread
/// (PostgreSQL's scanner over the whole file), it would sit between a statement's reply and the
/// next statement and add to the run's wall time. The thread stops when `run` returns.
fn with_checksums_ahead<T>(
    set: &MigrationSet,
    plan: &[PlannedApply],
    run: impl FnOnce() -> T,
) -> T {
    // Not worth a thread for a few files.
    if plan.len() < 4 {
        return run();
    }
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for step in plan {
                if done.load(Ordering::Relaxed) {
                    break;
                }
                set.migrations[step.index].up.checksum();
            }
        });
        let result = run();
        done.store(true, Ordering::Relaxed);
        result
    })
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0 * 10.0).round() / 10.0
}

/// The INVALID index a failed `CREATE INDEX CONCURRENTLY` at statement `index` left behind.
pub fn invalid_index_left(client: &mut Client, script: &Script, index: usize) -> Option<String> {
    let statements = script.statements().ok()?;
    let sql = &script.text[statements.get(index)?.range.clone()];
    let (schema, name) = ferry_sql::created_index_name(sql)?;
    let row = client
        .query_opt(
            "select format('%I.%I', n.nspname, c.relname)
             from pg_index i join pg_class c on c.oid = i.indexrelid
             join pg_namespace n on n.oid = c.relnamespace
             where not i.indisvalid and c.relname = $1
               and ($2::text is null or n.nspname = $2)
               and ($2::text is not null or pg_table_is_visible(c.oid))",
            &[&name, &schema],
        )
        .ok()??;
    Some(row.get(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_plpgsql_context() {
        assert_eq!(
            parse_plpgsql_context("PL/pgSQL function inline_code_block line 5 at RAISE"),
            Some(("inline_code_block", 5))
        );
        assert_eq!(
            parse_plpgsql_context("PL/pgSQL function public.f(integer) line 12 at SQL statement"),
            Some(("public.f(integer)", 12))
        );
        assert_eq!(parse_plpgsql_context("SQL statement \"select 1\""), None);
        assert_eq!(function_simple_name("public.f(integer)"), "f");
        assert_eq!(function_simple_name("\"Weird\"(text)"), "Weird");
    }

    use std::sync::Mutex;

    use crate::history::Actor;
    use crate::log::{Reporter, RunLog, silent};
    use crate::plan::UpOptions;
    use ferry_test_support::{TestDb, TestProject, fresh_db};

    /// A connection that keeps the server's notices (a stray WARNING would land here).
    fn client_with_notices(db: &TestDb) -> (Client, Arc<Mutex<Vec<String>>>) {
        let notices = Arc::new(Mutex::new(Vec::new()));
        let sink = notices.clone();
        let mut config = db.config();
        config.notice_callback(move |n| {
            sink.lock()
                .unwrap()
                .push(format!("{}: {}", n.severity(), n.message()))
        });
        (config.connect(postgres::NoTls).unwrap(), notices)
    }

    /// Whether another session could take the migration lock now (and gives it back).
    fn lock_is_free(db: &TestDb, key: i64) -> bool {
        let mut other = db.client();
        let got: bool = other
            .query_one("select pg_try_advisory_lock($1)", &[&key])
            .unwrap()
            .get(0);
        if got {
            other
                .execute("select pg_advisory_unlock($1)", &[&key])
                .unwrap();
        }
        got
    }

    fn project(files: &[(&str, &str)]) -> (TestProject, MigrationSet) {
        let project = TestProject::new();
        for (name, sql) in files {
            project.write_migration(name, sql);
        }
        let set = crate::source::discover(&project.migrations_dir()).unwrap();
        (project, set)
    }

    /// Takes the lock, plans `up --single-transaction` and runs it on `client`.
    fn single_transaction_run(
        client: &mut Client,
        tracking: &Tracking,
        set: &MigrationSet,
    ) -> (LockGuard, RunOutcome) {
        let reporter = Reporter::new(silent(), RunLog::disabled());
        let settings = RunSettings::default();
        let cancel = CancelFlag::default();
        tracking.ensure(client).unwrap();
        let lock = acquire_lock(client, tracking, &settings, &reporter, &cancel).unwrap();
        let rows = tracking.applied(client).unwrap();
        let options = UpOptions {
            single_transaction: true,
            ..UpOptions::default()
        };
        let planned = crate::plan::plan_up(set, &rows, &options).unwrap();
        let outcome = Runner::new(client, tracking, &reporter, &settings, &cancel)
            .apply_single_transaction(set, &planned);
        (lock, outcome)
    }

    #[test]
    fn single_transaction_commit_releases_the_migration_lock() {
        let db = fresh_db();
        let files: Vec<(String, String)> = (1..=6)
            .map(|i| {
                (
                    format!("{i:03}_t{i}.sql"),
                    format!("create table t{i} (id int);\ncreate index on t{i} (id);\n"),
                )
            })
            .collect();
        let files: Vec<(&str, &str)> = files
            .iter()
            .map(|(n, s)| (n.as_str(), s.as_str()))
            .collect();
        let (_project, set) = project(&files);
        let (mut client, notices) = client_with_notices(&db);
        let tracking = Tracking::new("ferry", Actor::default());
        let (lock, outcome) = single_transaction_run(&mut client, &tracking, &set);
        assert!(outcome.failure.is_none(), "{:?}", outcome.failure);
        assert_eq!(outcome.ran.len(), 6);
        // Committed, and the lock went with the COMMIT while the session is still open.
        assert!(lock_is_free(&db, tracking.lock_key()));
        lock.release(&mut client);
        let applied: i64 = client
            .query_one(
                "select count(*) from ferry.migrations where state = 'applied'",
                &[],
            )
            .unwrap()
            .get(0);
        assert_eq!(applied, 6);
        let held: i64 = client
            .query_one(
                "select count(*) from pg_locks where locktype = 'advisory' and pid = pg_backend_pid()",
                &[],
            )
            .unwrap()
            .get(0);
        assert_eq!(held, 0);
        // Nothing was unlocked twice (that would be a WARNING).
        assert!(notices.lock().unwrap().is_empty(), "{notices:?}");
        // The session can take the lock again and release it the ordinary way.
        let reporter = Reporter::new(silent(), RunLog::disabled());
        let again = acquire_lock(
            &mut client,
            &tracking,
            &RunSettings::default(),
            &reporter,
            &CancelFlag::default(),
        )
        .unwrap();
        assert!(!lock_is_free(&db, tracking.lock_key()));
        again.release(&mut client);
        assert!(lock_is_free(&db, tracking.lock_key()));
        assert!(notices.lock().unwrap().is_empty(), "{notices:?}");
    }

    #[test]
    fn single_transaction_failure_keeps_the_lock_until_released() {
        let db = fresh_db();
        let (_project, set) = project(&[
            ("001_a.sql", "create table a (id int);"),
            (
                "002_b.sql",
                "create table b (id int);\ninsert into b values ('x');",
            ),
            ("003_c.sql", "create table c (id int);"),
            ("004_d.sql", "create table d (id int);"),
        ]);
        let (mut client, notices) = client_with_notices(&db);
        let tracking = Tracking::new("ferry", Actor::default());
        let (lock, outcome) = single_transaction_run(&mut client, &tracking, &set);
        let failure = outcome.failure.expect("002 fails");
        assert_eq!(failure.version, "002");
        assert_eq!((failure.statement, failure.line), (2, 2));
        assert_eq!(failure.sqlstate.as_deref(), Some("22P02"));
        assert!(outcome.ran.is_empty());
        assert!(!lock_is_free(&db, tracking.lock_key()));
        lock.release(&mut client);
        assert!(lock_is_free(&db, tracking.lock_key()));
        assert!(notices.lock().unwrap().is_empty(), "{notices:?}");
        let tables = db.table_names();
        assert!(tables.iter().all(|t| t.starts_with("ferry.")), "{tables:?}");
    }

    #[test]
    fn tracking_rows_travel_with_the_commit_whatever_the_files_did() {
        let db = fresh_db();
        let role = format!("r_{}", db.name());
        db.execute(&format!(
            "create role {role}; grant create on schema public to {role}"
        ));
        let as_role = format!("set role {role};\ncreate table d (id int);");
        let (_project, set) = project(&[
            ("001_it's_a_back\\slash.sql", "create table a (id int);"),
            (
                "002_strings.sql",
                "set standard_conforming_strings = off;\ncreate table b (id int);",
            ),
            (
                "003_dump.sql",
                "select pg_catalog.set_config('search_path', '', false);\ncreate table public.c (id int);",
            ),
            ("004_as_role.sql", &as_role),
            ("005_e.sql", "create table e (id int);"),
        ]);
        let (mut client, notices) = client_with_notices(&db);
        let tracking = Tracking::new("ferry", Actor::default());
        let reporter = Reporter::new(silent(), RunLog::disabled());
        let settings = RunSettings::default();
        let cancel = CancelFlag::default();
        tracking.ensure(&mut client).unwrap();
        let rows = tracking.applied(&mut client).unwrap();
        let planned = crate::plan::plan_up(&set, &rows, &UpOptions::default()).unwrap();
        let outcome = Runner::new(&mut client, &tracking, &reporter, &settings, &cancel)
            .apply(&set, &planned);
        assert!(outcome.failure.is_none(), "{:?}", outcome.failure);
        let rows = tracking.applied(&mut client).unwrap();
        let mut names: Vec<(String, String, String)> = rows
            .iter()
            .map(|r| (r.version.clone(), r.name.clone(), r.applied_by.clone()))
            .collect();
        names.sort();
        let names: Vec<(&str, &str, &str)> = names
            .iter()
            .map(|(v, n, by)| (v.as_str(), n.as_str(), by.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("1", "it's_a_back\\slash", "postgres"),
                ("2", "strings", "postgres"),
                ("3", "dump", "postgres"),
                ("4", "as_role", "postgres"),
                ("5", "e", "postgres"),
            ]
        );
        for (r, m) in rows.iter().zip(&set.migrations) {
            assert_eq!(r.checksum, m.up.checksum());
            assert_eq!(r.checksum_bytes, m.up.bytes_checksum());
            assert!(r.transactional && r.state == RowState::Applied);
        }
        let history: i64 = client
            .query_one(
                "select count(*) from ferry.history where action = 'apply' and checksum is not null",
                &[],
            )
            .unwrap()
            .get(0);
        assert_eq!(history, 5);
        // Written through the statement prepared once for the session.
        let prepared: i64 = client
            .query_one(
                "select count(*) from pg_prepared_statements where name like 'ferry_record_%'",
                &[],
            )
            .unwrap()
            .get(0);
        assert_eq!(prepared, 2);
        assert!(notices.lock().unwrap().is_empty(), "{notices:?}");
        db.execute(&format!(
            "drop table d; revoke create on schema public from {role}; drop role {role}"
        ));
    }

    #[test]
    fn a_lock_in_doubt_is_released_only_if_held() {
        let db = fresh_db();
        let (mut client, notices) = client_with_notices(&db);
        let tracking = Tracking::new("ferry", Actor::default());
        let reporter = Reporter::new(silent(), RunLog::disabled());
        let settings = RunSettings::default();
        let cancel = CancelFlag::default();
        // Held: released.
        let lock = acquire_lock(&mut client, &tracking, &settings, &reporter, &cancel).unwrap();
        tracking.lock.set(LockState::UNKNOWN);
        lock.release(&mut client);
        assert!(lock_is_free(&db, tracking.lock_key()));
        // Not held any more: nothing to do, and no WARNING.
        let lock = acquire_lock(&mut client, &tracking, &settings, &reporter, &cancel).unwrap();
        client
            .execute("select pg_advisory_unlock($1)", &[&tracking.lock_key()])
            .unwrap();
        tracking.lock.set(LockState::UNKNOWN);
        lock.release(&mut client);
        assert!(notices.lock().unwrap().is_empty(), "{notices:?}");
    }
}
