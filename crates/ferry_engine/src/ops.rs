//! One function per command: open the target, take the lock when changing anything, plan,
//! run, and return a report. The binary's `commands/<cmd>.rs` call these and render the result.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::config::Config;
use crate::error::Error;
use crate::history::{HistoryEntry, HistoryRow, RowState, RowWrite};
use crate::log::{Direction, Reporter};
use crate::plan::{
    self, DownTarget, MigrationStatus, PlannedApply, PlannedRevert, Problem, State, UpOptions,
};
use crate::runner::{self, MigrationFailure, Ran, RunSettings, Runner};
use crate::session::{self, Interrupt, Overrides, Session, TargetArgs};
use crate::source::{self, MigrationSet, Version};

/// The version of every JSON document ferry prints.
pub const SCHEMA_VERSION: u32 = 1;

/// What every command needs: the project, the target, and where events go.
pub struct Context {
    pub config: Config,
    pub target: TargetArgs,
    pub overrides: Overrides,
    pub reporter: Reporter,
    pub interrupt: Interrupt,
}

impl Context {
    /// The migrations folder (`--dir` over ferry.toml's `dir`).
    pub fn migrations_dir(&self) -> PathBuf {
        match &self.overrides.dir {
            Some(dir) => dir.clone(),
            None => self.config.migrations_dir(),
        }
    }

    /// The run-log folder (`--log-dir` over ferry.toml's `log_dir`).
    pub fn log_dir(&self) -> PathBuf {
        match &self.overrides.log_dir {
            Some(dir) => dir.clone(),
            None => self.config.log_dir(),
        }
    }

    pub(crate) fn migrations(&self) -> Result<MigrationSet, Error> {
        Ok(source::discover_as(
            &self.migrations_dir(),
            self.config.layout,
        )?)
    }

    fn open(&self, command: &str) -> Result<Session, Error> {
        session::open(
            &self.config,
            &self.target,
            &self.overrides,
            command,
            &self.reporter,
            &self.interrupt,
        )
    }

    pub(crate) fn settings(&self, session: &Session) -> RunSettings {
        let timeouts = self.config.timeouts(session.env_name.as_deref());
        RunSettings {
            lock_wait: self.overrides.lock_wait.unwrap_or(timeouts.lock_wait),
            retries: self.config.retries,
            ..RunSettings::default()
        }
    }

    /// Runs `f` holding the migration lock, released afterwards (also on error).
    fn locked<T>(
        &self,
        session: &mut Session,
        f: impl FnOnce(&mut Session, &RunSettings) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let settings = self.settings(session);
        let lock = runner::acquire_lock(
            &mut session.client,
            &session.tracking,
            &settings,
            &self.reporter,
            &self.interrupt.flag,
        )?;
        let result = f(session, &settings);
        lock.release(&mut session.client);
        result
    }

    pub(crate) fn runner<'s>(
        &'s self,
        session: &'s mut Session,
        settings: &'s RunSettings,
    ) -> Runner<'s> {
        Runner::new(
            &mut session.client,
            &session.tracking,
            &self.reporter,
            settings,
            &self.interrupt.flag,
        )
    }

    fn refuse_if_protected(&self, session: &Session, command: &str) -> Result<(), Error> {
        if session.protected {
            return Err(Error::Protected {
                env: session.env_name.clone().unwrap_or_default(),
                command: command.to_owned(),
            });
        }
        Ok(())
    }
}

/// `ferry status`.
#[derive(Debug, Serialize)]
pub struct StatusReport {
    pub schema_version: u32,
    pub target: String,
    /// The layout the migrations folder was read as (`native`, `flyway`, …).
    pub layout: source::Layout,
    pub migrations: Vec<MigrationStatus>,
    pub summary: StatusSummary,
}

#[derive(Debug, Serialize, Default)]
pub struct StatusSummary {
    pub applied: usize,
    pub pending: usize,
    pub missing: usize,
    pub changed: usize,
    /// Changed files whose edit is cosmetic only (accepted by `up`).
    pub changed_cosmetic: usize,
    pub failed: usize,
    /// The newest applied version.
    pub current: Option<String>,
}

impl StatusReport {
    /// Whether `status --exit-code` reports findings: pending, failed, missing, or changed in substance.
    pub fn has_findings(&self) -> bool {
        let s = &self.summary;
        s.pending + s.failed + s.missing + (s.changed - s.changed_cosmetic) > 0
    }
}

pub fn status(ctx: &Context) -> Result<StatusReport, Error> {
    let set = ctx.migrations()?;
    let mut session = ctx.open("status")?;
    let rows = session.applied()?;
    let migrations = plan::status(&set, &rows);
    let mut summary = StatusSummary::default();
    for m in &migrations {
        match m.state {
            State::Applied => summary.applied += 1,
            State::Pending => summary.pending += 1,
            State::Missing => summary.missing += 1,
            State::Changed => {
                summary.changed += 1;
                if m.change == Some(plan::Change::Cosmetic) {
                    summary.changed_cosmetic += 1;
                }
            }
            State::Failed => summary.failed += 1,
        }
        if matches!(m.state, State::Applied | State::Changed | State::Missing) && !m.repeatable {
            summary.current = Some(m.version.clone());
        }
    }
    Ok(StatusReport {
        layout: set.layout,
        schema_version: SCHEMA_VERSION,
        target: session.description.clone(),
        migrations,
        summary,
    })
}

/// One migration a mutating command will run (shown by `--dry-run`, and before running).
#[derive(Debug, Serialize, Clone)]
pub struct PlanItem {
    pub version: String,
    pub name: String,
    pub direction: Direction,
    pub transactional: bool,
    pub file: PathBuf,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resume_from_statement: Option<usize>,
    /// The exact SQL that will be sent (with `--dry-run`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sql: Option<String>,
}

/// The result of up, down, redo and reset.
#[derive(Debug, Serialize)]
pub struct RunReport {
    pub schema_version: u32,
    pub command: String,
    pub target: String,
    pub dry_run: bool,
    pub plan: Vec<PlanItem>,
    pub ran: Vec<Ran>,
    pub failure: Option<MigrationFailure>,
    /// Schemas `reset` dropped because a down script was missing.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dropped_schemas: Vec<String>,
    /// The backup `up --backup` wrote before applying.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup: Option<PathBuf>,
    pub log_file: Option<PathBuf>,
}

impl RunReport {
    fn new(ctx: &Context, command: &str, session: &Session, dry_run: bool) -> RunReport {
        RunReport {
            schema_version: SCHEMA_VERSION,
            command: command.to_owned(),
            target: session.description.clone(),
            dry_run,
            plan: Vec::new(),
            ran: Vec::new(),
            failure: None,
            dropped_schemas: Vec::new(),
            backup: None,
            log_file: ctx.reporter.log.path(),
        }
    }

    fn absorb(&mut self, outcome: runner::RunOutcome) {
        self.ran.extend(outcome.ran);
        if outcome.failure.is_some() {
            self.failure = outcome.failure;
        }
    }
}

fn plan_item(
    set: &MigrationSet,
    index: usize,
    direction: Direction,
    resume_from: Option<usize>,
    with_sql: bool,
    tracking_schema: &str,
) -> PlanItem {
    let m = &set.migrations[index];
    let script = match direction {
        Direction::Up => &m.up,
        Direction::Down => m.down.as_ref().expect("planned reverts have a down script"),
    };
    let transactional = !script.directives.no_transaction;
    let sql = with_sql.then(|| {
        let mut text = String::new();
        if transactional {
            text.push_str("BEGIN;\n");
        }
        if let Ok(statements) = script.statements() {
            for stmt in statements.iter().skip(resume_from.unwrap_or(0)) {
                text.push_str(&script.text[stmt.range.clone()]);
                match &stmt.copy_data {
                    Some(data) => {
                        text.push_str(";\n");
                        text.push_str(&script.text[data.clone()]);
                        text.push_str("\\.\n");
                    }
                    None => text.push_str(";\n"),
                }
            }
        }
        let verb = match direction {
            Direction::Up => "records",
            Direction::Down => "removes",
        };
        text.push_str(&format!(
            "-- ferry {verb} version {} in \"{tracking_schema}\".migrations\n",
            m.version
        ));
        if transactional {
            text.push_str("COMMIT;\n");
        }
        crate::redact::redact(&text).into_owned()
    });
    PlanItem {
        version: m.version.to_string(),
        name: m.name.clone(),
        direction,
        transactional,
        file: script.path.clone(),
        resume_from_statement: resume_from.map(|r| r + 1),
        sql,
    }
}

/// Options of `ferry up`.
#[derive(Debug, Clone, Default)]
pub struct UpArgs {
    pub options: UpOptions,
    pub dry_run: bool,
    /// `--backup` (`Some(true)`), `--no-backup` (`Some(false)`), else the environment's `backup`.
    pub backup: Option<bool>,
    /// Where backups go (default `.ferry/backups` in the project root).
    pub backup_dir: Option<PathBuf>,
    /// `--verify`: each migration's verify script runs in its transaction, before COMMIT.
    pub verify: bool,
}

/// `ferry up`.
pub fn up(ctx: &Context, args: &UpArgs) -> Result<RunReport, Error> {
    let set = ctx.migrations()?;
    let mut session = ctx.open("up")?;
    let mut report = RunReport::new(ctx, "up", &session, args.dry_run);
    let schema = session.tracking.schema().to_owned();
    if args.dry_run {
        let rows = session.applied()?;
        let planned = plan::plan_up(&set, &rows, &args.options).map_err(Error::Refused)?;
        report.plan = planned
            .iter()
            .map(|p| plan_item(&set, p.index, Direction::Up, p.resume_from, true, &schema))
            .collect();
        return Ok(report);
    }
    // A backup that cannot be made stops the run before anything runs, even the tracking tables.
    let backup = match backup_params(ctx, args)? {
        Some(conn) => {
            let major = session.server_major()?;
            let pg_dump = crate::backup::find_client(crate::backup::Tool::Dump, major)?;
            Some((conn, pg_dump, major))
        }
        None => None,
    };
    ctx.locked(&mut session, |session, settings| {
        session.tracking.ensure(&mut session.client)?;
        // Read again under the lock: a runner that waited must not apply what the holder just did.
        let rows = session.applied()?;
        let planned = plan::plan_up(&set, &rows, &args.options).map_err(Error::Refused)?;
        check_resumable(session, &set, &planned)?;
        report.plan = planned
            .iter()
            .map(|p| plan_item(&set, p.index, Direction::Up, p.resume_from, false, &schema))
            .collect();
        if planned.is_empty() {
            return Ok(());
        }
        if let Some((conn, pg_dump, major)) = &backup {
            let (dir, ours) = match &args.backup_dir {
                Some(dir) => (ctx.config.root.join(dir), false),
                None => (ctx.config.root.join(crate::backup::DEFAULT_DIR), true),
            };
            crate::backup::prepare_dir(&dir, ours)?;
            ctx.reporter.log.line(&format!(
                "backup: pg_dump {} from {} (the server is PostgreSQL {major}) into {}",
                pg_dump.version,
                pg_dump.bin_dir.display(),
                dir.display()
            ));
            let made = crate::backup::create_backup(pg_dump, conn, &dir)?;
            ctx.reporter.emit(crate::log::Event::Backup {
                path: made.path.clone(),
                bytes: made.bytes,
            });
            report.backup = Some(made.path);
        }
        let mut runner = ctx.runner(session, settings);
        runner.verify_scripts = args.verify;
        let outcome = if args.options.single_transaction {
            runner.apply_single_transaction(&set, &planned)
        } else {
            runner.apply(&set, &planned)
        };
        report.absorb(outcome);
        Ok(())
    })?;
    Ok(report)
}

/// Refuses to resume a failed no-transaction migration while the INVALID index its failed
/// `CREATE INDEX CONCURRENTLY` left is still there: the re-run would trip over it.
fn check_resumable(
    session: &mut Session,
    set: &MigrationSet,
    planned: &[PlannedApply],
) -> Result<(), Error> {
    for p in planned {
        if let Some(from) = p.resume_from {
            let m = &set.migrations[p.index];
            if let Some(index) = runner::invalid_index_left(&mut session.client, &m.up, from) {
                return Err(Error::Refused(vec![Problem::InvalidIndex {
                    version: m.version.to_string(),
                    index,
                }]));
            }
        }
    }
    Ok(())
}

/// `ferry down`.
pub fn down(ctx: &Context, target: &DownTarget, dry_run: bool) -> Result<RunReport, Error> {
    revert_command(ctx, "down", target, dry_run)
}

fn revert_command(
    ctx: &Context,
    command: &str,
    target: &DownTarget,
    dry_run: bool,
) -> Result<RunReport, Error> {
    let set = ctx.migrations()?;
    let mut session = ctx.open(command)?;
    let mut report = RunReport::new(ctx, command, &session, dry_run);
    let schema = session.tracking.schema().to_owned();
    if dry_run {
        let rows = session.applied()?;
        let planned = plan::plan_down(&set, &rows, target).map_err(Error::Refused)?;
        report.plan = planned
            .iter()
            .map(|p| plan_item(&set, p.index, Direction::Down, None, true, &schema))
            .collect();
        return Ok(report);
    }
    ctx.refuse_if_protected(&session, command)?;
    ctx.locked(&mut session, |session, settings| {
        let rows = session.applied()?;
        let planned = plan::plan_down(&set, &rows, target).map_err(Error::Refused)?;
        report.plan = planned
            .iter()
            .map(|p| plan_item(&set, p.index, Direction::Down, None, false, &schema))
            .collect();
        if !planned.is_empty() {
            let mut runner = ctx.runner(session, settings);
            report.absorb(runner.revert(&set, &planned));
        }
        if matches!(target, DownTarget::All) && report.ran.len() == planned.len() {
            forget_repeatables(ctx, session, &rows)?;
        }
        Ok(())
    })?;
    Ok(report)
}

/// After everything was rolled back (`down --all`, `reset`): repeatable migrations are never
/// reverted, so their rows are forgotten and the next `up` applies them again after the
/// versioned ones, leaving the same schema as the first `up`.
fn forget_repeatables(
    ctx: &Context,
    session: &mut Session,
    rows: &[crate::history::AppliedRow],
) -> Result<(), Error> {
    if !rows.iter().any(|r| r.version.starts_with("R:")) {
        return Ok(());
    }
    let forgotten = session
        .tracking
        .forget_repeatables(
            &mut session.client,
            "everything was rolled back: the next up applies this repeatable migration again",
        )
        .map_err(Error::db("forgetting the repeatable migrations"))?;
    if forgotten > 0 {
        ctx.reporter.log.line(&format!(
            "forgot {forgotten} repeatable migrations: the next up applies them again"
        ));
    }
    Ok(())
}

/// `ferry redo`: the newest applied migration down, then up again, under one lock.
pub fn redo(ctx: &Context, dry_run: bool) -> Result<RunReport, Error> {
    let set = ctx.migrations()?;
    let mut session = ctx.open("redo")?;
    let mut report = RunReport::new(ctx, "redo", &session, dry_run);
    let schema = session.tracking.schema().to_owned();
    // The newest applied migration, checked like any other script about to run.
    let plan = |session: &mut Session| -> Result<Option<PlannedRevert>, Error> {
        let rows = session.applied()?;
        let reverts =
            plan::plan_down(&set, &rows, &DownTarget::Steps(1)).map_err(Error::Refused)?;
        let Some(revert) = reverts.into_iter().next() else {
            return Ok(None);
        };
        let m = &set.migrations[revert.index];
        if let Some(row) = rows.iter().find(|r| r.version == m.version.key())
            && plan::compare(m, row) == Some(plan::Change::Substantive)
        {
            // Redo exists to re-run an edited migration: accept the edit, but say so.
            ctx.reporter.log.line(&format!(
                "redo: {} changed since it was applied; the new text is applied",
                m.up.path.display()
            ));
        }
        let mut problems = Vec::new();
        plan::check_script(m, &mut problems);
        if !problems.is_empty() {
            return Err(Error::Refused(problems));
        }
        Ok(Some(revert))
    };
    let items = |index: usize, with_sql: bool| {
        vec![
            plan_item(&set, index, Direction::Down, None, with_sql, &schema),
            plan_item(&set, index, Direction::Up, None, with_sql, &schema),
        ]
    };
    if dry_run {
        if let Some(revert) = plan(&mut session)? {
            report.plan = items(revert.index, true);
        }
        return Ok(report);
    }
    ctx.refuse_if_protected(&session, "redo")?;
    ctx.locked(&mut session, |session, settings| {
        let Some(revert) = plan(session)? else {
            return Ok(());
        };
        report.plan = items(revert.index, false);
        let mut runner = ctx.runner(session, settings);
        let outcome = runner.revert(&set, std::slice::from_ref(&revert));
        let failed = outcome.failure.is_some();
        report.absorb(outcome);
        if !failed {
            let apply = PlannedApply {
                index: revert.index,
                resume_from: None,
            };
            report.absorb(runner.apply(&set, &[apply]));
        }
        Ok(())
    })?;
    Ok(report)
}

/// `ferry history`.
#[derive(Debug, Serialize)]
pub struct HistoryReport {
    pub schema_version: u32,
    pub target: String,
    pub entries: Vec<HistoryRow>,
}

pub fn history(ctx: &Context, limit: Option<i64>) -> Result<HistoryReport, Error> {
    let mut session = ctx.open("history")?;
    let entries = session
        .tracking
        .history(&mut session.client, limit)
        .map_err(Error::db("reading the history"))?;
    Ok(HistoryReport {
        schema_version: SCHEMA_VERSION,
        target: session.description.clone(),
        entries,
    })
}

/// `ferry baseline` and `ferry repair`: what was recorded.
#[derive(Debug, Serialize)]
pub struct RecordReport {
    pub schema_version: u32,
    pub command: String,
    pub target: String,
    pub dry_run: bool,
    /// One line per change to the tracking table.
    pub changes: Vec<RecordChange>,
    /// For `repair` without a decision: what needs one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub needs_decision: Vec<MigrationStatus>,
}

#[derive(Debug, Serialize)]
pub struct RecordChange {
    pub version: String,
    pub name: String,
    pub action: String,
}

/// `ferry baseline V`: records every migration up to V as applied without running it, for a
/// database that was built before ferry tracked it.
pub fn baseline(ctx: &Context, version: &Version, dry_run: bool) -> Result<RecordReport, Error> {
    let set = ctx.migrations()?;
    let mut session = ctx.open("baseline")?;
    let mut report = RecordReport {
        schema_version: SCHEMA_VERSION,
        command: "baseline".to_owned(),
        target: session.description.clone(),
        dry_run,
        changes: Vec::new(),
        needs_decision: Vec::new(),
    };
    ctx.locked(&mut session, |session, _| {
        if !dry_run {
            session.tracking.ensure(&mut session.client)?;
        }
        let rows = session.applied()?;
        if !rows.is_empty() {
            return Err(Error::Refused(vec![Problem::AlreadyTracked {
                count: rows.len(),
            }]));
        }
        let covered: Vec<_> = set
            .migrations
            .iter()
            .filter(|m| &m.version <= version)
            .collect();
        let has_file = covered.iter().any(|m| &m.version == version);
        for m in &covered {
            report.changes.push(RecordChange {
                version: m.version.to_string(),
                name: m.name.clone(),
                action: "baseline".to_owned(),
            });
        }
        if !has_file {
            report.changes.push(RecordChange {
                version: version.to_string(),
                name: "baseline".to_owned(),
                action: "baseline".to_owned(),
            });
        }
        if dry_run {
            return Ok(());
        }
        let mut tx = session
            .client
            .transaction()
            .map_err(Error::db("starting the baseline"))?;
        for m in &covered {
            let detail = format!("baseline at {version}");
            session
                .tracking
                .record_file(&mut tx, m, "baseline", &detail, true)
                .map_err(Error::db("recording the baseline"))?;
        }
        if !has_file {
            let key = version.key();
            let text = version.to_string();
            session
                .tracking
                .record(
                    &mut tx,
                    &RowWrite {
                        version: &key,
                        version_text: &text,
                        name: "baseline",
                        script: "",
                        checksum: "",
                        checksum_bytes: "",
                        state: RowState::Applied,
                        transactional: true,
                        statements_done: None,
                        statements_total: None,
                        error: None,
                        duration: None,
                        baselined: true,
                    },
                    &HistoryEntry {
                        action: "baseline",
                        version: Some(&key),
                        version_text: Some(&text),
                        name: Some("baseline"),
                        detail: Some("baseline marker (no file has this version)"),
                        ..HistoryEntry::default()
                    },
                )
                .map_err(Error::db("recording the baseline"))?;
        }
        tx.commit().map_err(Error::db("recording the baseline"))?;
        Ok(())
    })?;
    Ok(report)
}

/// A decision `ferry repair` records.
#[derive(Debug, Clone)]
pub enum RepairAction {
    /// Show what needs a decision; change nothing.
    Report,
    /// A failed no-transaction migration is to be taken as applied (its remaining statements were done by hand).
    MarkApplied(Version),
    /// A failed migration is to be run again from its first statement (what it did was cleaned up).
    MarkPending(Version),
    /// An applied migration whose file was edited: record the file's current checksum.
    AcceptChecksum(Version),
    /// An applied migration whose file is gone: forget it.
    Forget(Version),
}

/// `ferry repair`: records a decision about a failed, changed or missing migration, in the
/// history with the reason given — never a blind force.
pub fn repair(
    ctx: &Context,
    action: &RepairAction,
    reason: Option<&str>,
    dry_run: bool,
) -> Result<RecordReport, Error> {
    let set = ctx.migrations()?;
    let mut session = ctx.open("repair")?;
    let mut report = RecordReport {
        schema_version: SCHEMA_VERSION,
        command: "repair".to_owned(),
        target: session.description.clone(),
        dry_run,
        changes: Vec::new(),
        needs_decision: Vec::new(),
    };
    ctx.locked(&mut session, |session, _| {
        let rows = session.applied()?;
        let statuses = plan::status(&set, &rows);
        let find_row = |v: &Version| rows.iter().find(|r| r.version == v.key());
        let no_such = |v: &Version, what: &str| {
            Error::Usage(format!(
                "migration {v} is not {what}, so there is nothing to repair"
            ))
        };
        let with_reason = |what: &str| match reason {
            Some(r) => format!("{what}; reason: {r}"),
            None => what.to_owned(),
        };
        match action {
            RepairAction::Report => {
                report.needs_decision = statuses
                    .into_iter()
                    .filter(|s| {
                        matches!(s.state, State::Failed | State::Missing)
                            || (s.state == State::Changed
                                && s.change == Some(plan::Change::Substantive))
                    })
                    .collect();
                return Ok(());
            }
            RepairAction::MarkApplied(v) => {
                let row = find_row(v)
                    .filter(|r| r.state != RowState::Applied)
                    .ok_or_else(|| no_such(v, "failed"))?;
                let m = set.find(v).ok_or_else(|| no_such(v, "on disk"))?;
                report.changes.push(RecordChange {
                    version: row.version_text.clone(),
                    name: row.name.clone(),
                    action: "marked applied".to_owned(),
                });
                if dry_run {
                    return Ok(());
                }
                session
                    .tracking
                    .record_file(
                        &mut session.client,
                        m,
                        "repair",
                        &with_reason("failed migration marked applied"),
                        false,
                    )
                    .map_err(Error::db("recording the repair"))?;
            }
            RepairAction::MarkPending(v) => {
                let row = find_row(v)
                    .filter(|r| r.state != RowState::Applied)
                    .ok_or_else(|| no_such(v, "failed"))?;
                report.changes.push(RecordChange {
                    version: row.version_text.clone(),
                    name: row.name.clone(),
                    action: "marked pending".to_owned(),
                });
                if dry_run {
                    return Ok(());
                }
                session
                    .tracking
                    .forget(
                        &mut session.client,
                        &row.version,
                        &HistoryEntry {
                            action: "repair",
                            version_text: Some(&row.version_text),
                            name: Some(&row.name),
                            detail: Some(&with_reason(
                                "failed migration marked pending: the next up runs it from the start",
                            )),
                            ..HistoryEntry::default()
                        },
                    )
                    .map_err(Error::db("recording the repair"))?;
            }
            RepairAction::AcceptChecksum(v) => {
                let row = find_row(v)
                    .filter(|r| r.state == RowState::Applied)
                    .ok_or_else(|| no_such(v, "applied"))?;
                let m = set.find(v).ok_or_else(|| no_such(v, "on disk"))?;
                report.changes.push(RecordChange {
                    version: row.version_text.clone(),
                    name: row.name.clone(),
                    action: format!("accepted checksum {}", m.up.checksum()),
                });
                if dry_run {
                    return Ok(());
                }
                let what = format!("accepted the edited file (was {})", row.checksum);
                session
                    .tracking
                    .record_file(&mut session.client, m, "repair", &with_reason(&what), row.baselined)
                    .map_err(Error::db("recording the repair"))?;
            }
            RepairAction::Forget(v) => {
                let row = find_row(v).ok_or_else(|| no_such(v, "recorded"))?;
                if set.find(v).is_some() {
                    return Err(Error::Usage(format!(
                        "migration {v} still has its file; `--forget` is for migrations whose file is gone (use `ferry down` to revert it)"
                    )));
                }
                report.changes.push(RecordChange {
                    version: row.version_text.clone(),
                    name: row.name.clone(),
                    action: "forgotten".to_owned(),
                });
                if dry_run {
                    return Ok(());
                }
                session
                    .tracking
                    .forget(
                        &mut session.client,
                        &row.version,
                        &HistoryEntry {
                            action: "repair",
                            version_text: Some(&row.version_text),
                            name: Some(&row.name),
                            detail: Some(&with_reason("forgot a migration whose file is gone")),
                            ..HistoryEntry::default()
                        },
                    )
                    .map_err(Error::db("recording the repair"))?;
            }
        }
        Ok(())
    })?;
    Ok(report)
}

/// `ferry reset`: every migration down, or, when a down script is missing, the managed
/// schemas dropped (and recreated empty with their owner and grants) with the tracking schema.
pub fn reset(ctx: &Context, yes: bool, dry_run: bool) -> Result<RunReport, Error> {
    let set = ctx.migrations()?;
    let mut session = ctx.open("reset")?;
    if !dry_run {
        ctx.refuse_if_protected(&session, "reset")?;
        if !yes {
            return Err(Error::NeedsConfirmation {
                what: format!(
                    "`ferry reset` reverts every migration on {}",
                    session.description
                ),
            });
        }
    }
    let mut report = RunReport::new(ctx, "reset", &session, dry_run);
    let schema = session.tracking.schema().to_owned();
    ctx.locked(&mut session, |session, settings| {
        let rows = session.applied()?;
        match plan::plan_down(&set, &rows, &DownTarget::All) {
            Ok(planned) => {
                report.plan = planned
                    .iter()
                    .map(|p| plan_item(&set, p.index, Direction::Down, None, dry_run, &schema))
                    .collect();
                if dry_run {
                    return Ok(());
                }
                if !planned.is_empty() {
                    let mut runner = ctx.runner(session, settings);
                    report.absorb(runner.revert(&set, &planned));
                }
                if report.ran.len() == planned.len() {
                    forget_repeatables(ctx, session, &rows)?;
                }
            }
            Err(_) => {
                let mut schemas = ctx.config.managed_schemas.clone();
                schemas.push(schema.clone());
                report.dropped_schemas = schemas.clone();
                if dry_run {
                    return Ok(());
                }
                drop_schemas(session, &schemas, &schema)?;
            }
        }
        Ok(())
    })?;
    Ok(report)
}

/// Drops and recreates the managed schemas, keeping each one's owner and grants, in one transaction.
fn drop_schemas(session: &mut Session, schemas: &[String], tracking: &str) -> Result<(), Error> {
    let mut tx = session
        .client
        .transaction()
        .map_err(Error::db("starting the reset"))?;
    for name in schemas {
        let quoted = crate::history::quote_ident(name);
        let row = tx
            .query_opt(
                "select pg_get_userbyid(nspowner)::text,
                        coalesce((select string_agg(format('grant %s on schema %I to %s', a.privilege_type, n.nspname,
                                    case when a.grantee = 0 then 'public' else quote_ident(pg_get_userbyid(a.grantee)) end), '; ')
                                  from aclexplode(n.nspacl) a where a.grantee <> n.nspowner), '')
                 from pg_namespace n where nspname = $1",
                &[name],
            )
            .map_err(Error::db("reading the schema's owner and grants"))?;
        tx.batch_execute(&format!("drop schema if exists {quoted} cascade"))
            .map_err(Error::db(format!("dropping schema {name}")))?;
        if name == tracking {
            continue;
        }
        if let Some(row) = row {
            let owner: String = row.get(0);
            let grants: String = row.get(1);
            tx.batch_execute(&format!(
                "create schema {quoted} authorization {}",
                crate::history::quote_ident(&owner)
            ))
            .map_err(Error::db(format!("recreating schema {name}")))?;
            if !grants.is_empty() {
                tx.batch_execute(&grants)
                    .map_err(Error::db(format!("restoring the grants on schema {name}")))?;
            }
        }
    }
    tx.commit().map_err(Error::db("committing the reset"))?;
    Ok(())
}

/// `ferry verify`: the verify script of every applied migration, then every declarative check
/// ([`crate::checks`]), each in a transaction that is rolled back, so verifying never changes
/// data. A failed check is a finding in the report, not an error.
#[derive(Debug, Serialize)]
pub struct VerifyReport {
    pub schema_version: u32,
    pub target: String,
    /// Verify scripts first (in migration order), then checks (ferry.toml's, then `checks/*.toml`).
    pub checks: Vec<CheckResult>,
    pub passed: usize,
    pub failed: usize,
}

/// One verify script or declarative check.
#[derive(Debug, Serialize)]
pub struct CheckResult {
    /// Stable id: `verify:<version>` for a verify script, else the check's `id`.
    pub id: String,
    /// `verify_script`, or the check's kind (`table`, `index`, …, `behaviour`).
    pub kind: String,
    /// What it checks, in words (a verify script: its migration's name).
    pub what: String,
    pub passed: bool,
    /// Why it failed, naming the object; `null` when it passed.
    pub reason: Option<String>,
    /// Where it is written: the verify script's file, or `checks/<file>.toml:<line>`.
    pub source: String,
    /// A verify script's migration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    /// A failed verify script's error, with its place in the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<MigrationFailure>,
}

pub fn verify(ctx: &Context) -> Result<VerifyReport, Error> {
    // A mistake in a check file stops the command before it connects.
    let declared = crate::checks::load(&ctx.config)?;
    let set = ctx.migrations()?;
    let mut session = ctx.open("verify")?;
    let rows = session.applied()?;
    let mut checks = Vec::new();
    let settings = ctx.settings(&session);
    let mut runner = ctx.runner(&mut session, &settings);
    for m in &set.migrations {
        let applied = rows
            .iter()
            .any(|r| r.version == m.version.key() && r.state == RowState::Applied);
        let Some(script) = m.verify.as_ref().filter(|_| applied) else {
            continue;
        };
        let failure = runner.check(m, script);
        checks.push(CheckResult {
            id: format!("verify:{}", m.version),
            kind: "verify_script".to_owned(),
            what: m.name.clone(),
            passed: failure.is_none(),
            reason: failure.as_ref().map(|f| f.message.clone()),
            source: script.path.display().to_string(),
            version: Some(m.version.to_string()),
            name: Some(m.name.clone()),
            file: Some(script.path.clone()),
            failure,
        });
    }
    let stop = || ctx.interrupt.flag.is_cancelled();
    let outcomes = crate::checks::run(
        &mut session.client,
        &declared,
        &ctx.config.tracking_schema,
        &stop,
    );
    checks.extend(outcomes.into_iter().map(|o| CheckResult {
        id: o.id,
        kind: o.kind.to_owned(),
        what: o.what,
        passed: o.passed,
        reason: o.reason,
        source: o.source,
        version: None,
        name: None,
        file: None,
        failure: None,
    }));
    let passed = checks.iter().filter(|c| c.passed).count();
    Ok(VerifyReport {
        schema_version: SCHEMA_VERSION,
        target: session.description.clone(),
        failed: checks.len() - passed,
        passed,
        checks,
    })
}

/// `ferry verify --snapshot`: where the checks went.
#[derive(Debug, Serialize)]
pub struct SnapshotReport {
    pub schema_version: u32,
    pub target: String,
    /// The file written; `None` with `--output -`.
    pub file: Option<PathBuf>,
    /// How many checks it holds.
    pub checks: usize,
    /// The checks, when written to stdout (`--output -`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// Options of `ferry verify --snapshot`.
#[derive(Debug, Clone, Default)]
pub struct SnapshotArgs {
    /// Where to write (default `checks/snapshot.toml` in the project root); `-`: stdout.
    pub output: Option<PathBuf>,
    /// Replace the file when it exists.
    pub force: bool,
}

/// Writes checks that pin down the target's current schema ([`crate::checks::snapshot`]).
/// An existing file is replaced only with `force`.
pub fn verify_snapshot(ctx: &Context, args: &SnapshotArgs) -> Result<SnapshotReport, Error> {
    let to_stdout = args.output.as_deref() == Some(Path::new("-"));
    let file = match &args.output {
        _ if to_stdout => None,
        Some(path) => Some(ctx.overrides.base_dir.join(path)),
        None => Some(
            ctx.config
                .root
                .join(crate::checks::DIR)
                .join("snapshot.toml"),
        ),
    };
    if let Some(file) = &file
        && file.exists()
        && !args.force
    {
        return Err(Error::Usage(format!(
            "{} already exists; pass --force to replace it, or --output FILE to write elsewhere",
            file.display()
        )));
    }
    let mut session = ctx.open("verify")?;
    let snapshot = crate::checks::snapshot(
        &mut session.client,
        &ctx.config.tracking_schema,
        &session.description,
    )?;
    if let Some(file) = &file {
        let io = |source| Error::Io {
            path: file.clone(),
            source,
        };
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        std::fs::write(file, &snapshot.text).map_err(io)?;
    }
    Ok(SnapshotReport {
        schema_version: SCHEMA_VERSION,
        target: session.description.clone(),
        file,
        checks: snapshot.checks,
        text: to_stdout.then_some(snapshot.text),
    })
}

/// `ferry new NAME`.
#[derive(Debug, Serialize)]
pub struct NewReport {
    pub schema_version: u32,
    pub created: Vec<PathBuf>,
}

pub fn new_migration(ctx: &Context, name: &str) -> Result<NewReport, Error> {
    let (dir, set) = next_migration(ctx, name)?;
    let files = source::new_migration_files(&set, name, &now_digits());
    let created = write_new_files(&dir, files, false)?;
    Ok(NewReport {
        schema_version: SCHEMA_VERSION,
        created,
    })
}

/// For a new migration named `name`: the migrations folder (created when missing) and what
/// it holds. A name without letters or digits is refused.
pub(crate) fn next_migration(ctx: &Context, name: &str) -> Result<(PathBuf, MigrationSet), Error> {
    if name.trim().is_empty() || !name.chars().any(char::is_alphanumeric) {
        return Err(Error::Usage(format!(
            "migration name {name:?} has no letters or digits; use a name such as add_users_email"
        )));
    }
    let dir = ctx.migrations_dir();
    std::fs::create_dir_all(&dir).map_err(|source| Error::Io {
        path: dir.clone(),
        source,
    })?;
    let set = source::discover_as(&dir, ctx.config.layout)?;
    Ok((dir, set))
}

/// The current UTC time as digits, `YYYYMMDDHHMMSS`: timestamp versions.
pub(crate) fn now_digits() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now())
        .to_string()
        .chars()
        .filter(char::is_ascii_digit)
        .collect()
}

/// Writes new migration files under `dir` (paths relative to it), refusing before writing
/// anything when one exists already; with `dry_run`, only checks. Returns the full paths.
pub(crate) fn write_new_files(
    dir: &Path,
    files: Vec<(PathBuf, String)>,
    dry_run: bool,
) -> Result<Vec<PathBuf>, Error> {
    for (path, _) in &files {
        let path = dir.join(path);
        if path.exists() {
            return Err(Error::Usage(format!("{} already exists", path.display())));
        }
    }
    let mut created = Vec::new();
    for (path, text) in files {
        let path = dir.join(path);
        if !dry_run {
            let io = |source| Error::Io {
                path: path.clone(),
                source,
            };
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(io)?;
            }
            std::fs::write(&path, text).map_err(io)?;
        }
        created.push(path);
    }
    Ok(created)
}

/// `ferry db start | stop | status | url | destroy`: ferry's local PostgreSQL for this project.
#[derive(Debug, Clone, Copy)]
pub enum LocalAction {
    Start,
    Stop,
    Status,
    Url,
    Destroy,
}

/// What `ferry db …` reports about the local cluster.
#[derive(Debug, Serialize)]
pub struct LocalReport {
    pub schema_version: u32,
    pub action: String,
    pub initialized: bool,
    pub running: bool,
    pub data_dir: PathBuf,
    pub socket_dir: PathBuf,
    pub port: u16,
    pub major: u32,
    /// The connection URL, while it runs.
    pub url: Option<String>,
}

pub fn local_cluster(ctx: &Context, action: LocalAction) -> Result<LocalReport, Error> {
    let local = crate::pg::LocalCluster::for_project(&ctx.config.root);
    let name = format!("{action:?}").to_lowercase();
    match action {
        LocalAction::Start | LocalAction::Url => {
            local.ensure_running()?;
        }
        LocalAction::Stop => {
            local.stop()?;
        }
        LocalAction::Destroy => {
            local.destroy()?;
        }
        LocalAction::Status => {}
    }
    let status = local.status()?;
    Ok(LocalReport {
        schema_version: SCHEMA_VERSION,
        action: name,
        initialized: status.initialized,
        running: status.running,
        url: status.running.then(|| status.url.clone()),
        data_dir: status.data_dir,
        socket_dir: status.socket_dir,
        port: status.port,
        major: status.major,
    })
}

/// `ferry db create | drop`: the configured target's database.
#[derive(Debug, Serialize)]
pub struct DatabaseReport {
    pub schema_version: u32,
    pub database: String,
    /// `created`, `exists`, `dropped` or `absent`.
    pub outcome: String,
}

pub fn create_database(ctx: &Context) -> Result<DatabaseReport, Error> {
    database_command(ctx, true)
}

pub fn drop_database(ctx: &Context, yes: bool) -> Result<DatabaseReport, Error> {
    if !yes {
        return Err(Error::NeedsConfirmation {
            what: "`ferry db drop` deletes the database and all its data".to_owned(),
        });
    }
    database_command(ctx, false)
}

fn database_command(ctx: &Context, create: bool) -> Result<DatabaseReport, Error> {
    let Some(mut target) = session::resolve_target(&ctx.config, &ctx.target)? else {
        return Err(Error::Usage(
            "no database is configured: ferry's local PostgreSQL uses its default database `postgres`, which always exists (configure a target with --database-url, --env or DATABASE_URL)".to_owned(),
        ));
    };
    if !create && target.protected {
        return Err(Error::Protected {
            env: target.env_name.clone().unwrap_or_default(),
            command: "db drop".to_owned(),
        });
    }
    let database = target
        .config
        .get_dbname()
        .map(str::to_owned)
        .ok_or_else(|| Error::Usage("the target names no database".to_owned()))?;
    // Connect to the maintenance database of the same server.
    let maintenance = if database == "postgres" {
        "template1"
    } else {
        "postgres"
    };
    target.config.dbname(maintenance);
    let mut client = crate::connect::connect(
        &target,
        "ferry db",
        crate::connect::ConnectOptions {
            wait: ctx.target.wait,
            ..Default::default()
        },
    )?;
    let exists: bool = client
        .query_one(
            "select exists (select 1 from pg_database where datname = $1)",
            &[&database],
        )
        .map_err(Error::db("looking up the database"))?
        .get(0);
    let quoted = crate::history::quote_ident(&database);
    let outcome = match (create, exists) {
        (true, true) => "exists",
        (true, false) => {
            client
                .batch_execute(&format!("create database {quoted}"))
                .map_err(Error::db(format!("creating database {database}")))?;
            "created"
        }
        (false, false) => "absent",
        (false, true) => {
            client
                .batch_execute(&format!("drop database {quoted}"))
                .map_err(Error::db(format!("dropping database {database}")))?;
            "dropped"
        }
    };
    Ok(DatabaseReport {
        schema_version: SCHEMA_VERSION,
        database,
        outcome: outcome.to_owned(),
    })
}

/// The connection for `up`'s backup, when one is asked for (`--backup`, or `backup = true` in
/// the environment, unless `--no-backup`).
fn backup_params(ctx: &Context, args: &UpArgs) -> Result<Option<crate::backup::ConnParams>, Error> {
    if args.backup == Some(false) {
        return Ok(None);
    }
    if args.backup.is_none() && ctx.target.ephemeral {
        return Ok(None);
    }
    let (conn, env_backup) = crate::backup::target_params(&ctx.config, &ctx.target, "back up")?;
    Ok(args.backup.or(env_backup).unwrap_or(false).then_some(conn))
}

/// Options of `ferry restore`.
#[derive(Debug, Clone, Default)]
pub struct RestoreArgs {
    /// The archive `up --backup` wrote (any `pg_dump --format=custom` archive).
    pub file: PathBuf,
    /// Confirmed on the command line (`--yes`).
    pub yes: bool,
}

/// `ferry restore`.
#[derive(Debug, Serialize)]
pub struct RestoreReport {
    pub schema_version: u32,
    pub target: String,
    pub file: PathBuf,
    pub bytes: u64,
    /// What the archive's header says: database, when, server version.
    pub archive: crate::backup::ArchiveInfo,
    /// The pg_restore that was used, such as `16.4`.
    pub pg_restore_version: String,
    pub duration_ms: f64,
    pub log_file: Option<PathBuf>,
}

/// `ferry restore FILE`: replaces the target's schema and data with a backup, in one
/// transaction, under the migration lock (see [`crate::backup`] for how). Refused on a
/// protected environment. Without `yes`, `confirm` is asked the question (the CLI asks on a
/// terminal); without either, it refuses with [`Error::NeedsConfirmation`].
pub fn restore(
    ctx: &Context,
    args: &RestoreArgs,
    confirm: Option<&dyn Fn(&str) -> bool>,
) -> Result<RestoreReport, Error> {
    use crate::backup::{self, BackupError, Tool};
    let file = std::path::absolute(&args.file).unwrap_or_else(|_| args.file.clone());
    let bytes = std::fs::metadata(&file)
        .map_err(|source| Error::Io {
            path: file.clone(),
            source,
        })?
        .len();
    let mut session = ctx.open("restore")?;
    let (conn, _) = backup::target_params(&ctx.config, &ctx.target, "restore into")?;
    ctx.refuse_if_protected(&session, "restore")?;
    let major = session.server_major()?;
    let pg_restore = backup::find_client(Tool::Restore, major)?;
    let archive = backup::inspect(&pg_restore, &file)?;
    if !args.yes {
        let question = format!(
            "restore {} into {}? this replaces the database's current schema and data",
            file.display(),
            session.description
        );
        match confirm {
            None => {
                return Err(Error::NeedsConfirmation {
                    what: format!(
                        "`ferry restore` replaces the schema and data of {} with {}",
                        session.description,
                        file.display()
                    ),
                });
            }
            Some(ask) if !ask(&question) => return Err(BackupError::Declined.into()),
            Some(_) => {}
        }
    }
    let started = std::time::Instant::now();
    ctx.locked(&mut session, |session, _| {
        ctx.reporter.log.line(&format!(
            "restore: {} | {} (PostgreSQL {} for a server of {major})",
            backup::describe(&backup::restore_script_command(&pg_restore, &file)),
            backup::describe(&backup::psql_command(&pg_restore, &conn)),
            pg_restore.version
        ));
        backup::restore(&pg_restore, &conn, &file)?;
        ctx.reporter.log.line("restore: committed");
        // The history came back as it was at the backup; say there what happened since.
        if session
            .tracking
            .exists(&mut session.client)
            .unwrap_or(false)
        {
            let detail = format!(
                "restored {} (taken {})",
                file.display(),
                archive.created.as_deref().unwrap_or("at an unknown time")
            );
            let entry = HistoryEntry {
                action: "restore",
                detail: Some(&detail),
                duration: Some(started.elapsed()),
                ..HistoryEntry::default()
            };
            if let Err(e) = session.tracking.append(&mut session.client, &entry) {
                ctx.reporter.log.line(&format!(
                    "restore: could not record it in the history: {}",
                    crate::error::db_message(&e)
                ));
            }
        }
        Ok(())
    })?;
    Ok(RestoreReport {
        schema_version: SCHEMA_VERSION,
        target: session.description.clone(),
        file,
        bytes,
        archive,
        pg_restore_version: pg_restore.version.clone(),
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        log_file: ctx.reporter.log.path(),
    })
}

/// `ferry dump`: the target's schema model, without ferry's tracking schema.
pub fn dump(ctx: &Context) -> Result<ferry_schema::Catalog, Error> {
    let mut session = ctx.open("dump")?;
    let options = ferry_schema::ReadOptions {
        tracking_schema: ctx.config.tracking_schema.clone(),
    };
    Ok(ferry_schema::read(&mut session.client, &options)?)
}
