//! What a command will run, and the checks that refuse before anything runs.
//!
//! The plan joins the files on disk with the rows of the tracking table. Every refusal is
//! collected (not just the first), so one run tells the user everything to fix.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use crate::history::{AppliedRow, RowState};
use crate::source::{Migration, MigrationSet, Version};

/// A migration's state, as `status` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Applied,
    Pending,
    /// Applied, but its file is gone.
    Missing,
    /// Applied, and its file differs from what was applied.
    Changed,
    /// A no-transaction migration that stopped part-way.
    Failed,
}

/// How a changed file differs from what was applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Whitespace, comments, keyword case or line endings only: accepted.
    Cosmetic,
    /// The SQL itself changed.
    Substantive,
}

/// One line of `status`.
#[derive(Debug, Clone, Serialize)]
pub struct MigrationStatus {
    /// The version as written (the file name's, or the tracking row's when the file is gone).
    pub version: String,
    pub name: String,
    pub state: State,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<Change>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    pub transactional: bool,
    pub has_down: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<i64>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub baselined: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statements_done: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statements_total: Option<i32>,
    /// Two files share this version.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub duplicate: bool,
    /// A repeatable migration (Flyway's `R__name.sql`): `pending` when new or changed since it
    /// was applied, never `changed`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub repeatable: bool,
    #[serde(skip)]
    pub(crate) key: VersionKey,
}

/// A version for ordering rows whose file may be gone: numbered versions by their parts, then
/// repeatable migrations (key `R:name`) by name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct VersionKey {
    repeatable: Option<String>,
    parts: Vec<u64>,
}

impl VersionKey {
    fn from_key(key: &str) -> VersionKey {
        match repeatable_name(key) {
            Some(name) => VersionKey {
                repeatable: Some(name.to_owned()),
                parts: Vec::new(),
            },
            None => VersionKey {
                repeatable: None,
                parts: key.split('.').map(|p| p.parse().unwrap_or(0)).collect(),
            },
        }
    }

    fn of(version: &Version) -> VersionKey {
        VersionKey::from_key(&version.key())
    }
}

/// The name of the repeatable migration a tracking key (`R:name`) stands for.
fn repeatable_name(key: &str) -> Option<&str> {
    key.strip_prefix("R:")
}

/// Whether a tracking row is a repeatable migration's.
fn is_repeatable_row(row: &AppliedRow) -> bool {
    repeatable_name(&row.version).is_some()
}

/// Whether the file of an applied migration still matches what was applied.
///
/// A repeatable migration is applied again whenever its file changed at all, as Flyway does:
/// use [`needs_reapply`] for those.
pub fn compare(migration: &Migration, row: &AppliedRow) -> Option<Change> {
    if migration.up.bytes_checksum() == row.checksum_bytes {
        return None;
    }
    if migration.up.checksum() == row.checksum {
        Some(Change::Cosmetic)
    } else {
        Some(Change::Substantive)
    }
}

/// Whether a repeatable migration applied as `row` is to be applied again: its file changed
/// since (any byte: repeatable scripts are written to be re-run, so re-running costs nothing).
pub fn needs_reapply(migration: &Migration, row: &AppliedRow) -> bool {
    migration.up.bytes_checksum() != row.checksum_bytes
}

/// Joins files and tracking rows into one list, ordered by version (repeatable migrations
/// last, by name).
pub fn status(set: &MigrationSet, rows: &[AppliedRow]) -> Vec<MigrationStatus> {
    let by_key: HashMap<&str, &AppliedRow> = rows.iter().map(|r| (r.version.as_str(), r)).collect();
    let duplicate_keys: Vec<String> = set.duplicates.iter().map(|(v, _)| v.key()).collect();
    let mut out = Vec::with_capacity(set.migrations.len());
    let mut seen = std::collections::HashSet::new();
    for m in &set.migrations {
        let key = m.version.key();
        let row = by_key.get(key.as_str()).copied();
        let duplicate = duplicate_keys.contains(&key);
        // With duplicates, the row belongs to the file it was applied from.
        let row = row.filter(|r| !duplicate || r.script == m.up.file_name());
        seen.insert(key.clone());
        let (state, change) = match row {
            None => (State::Pending, None),
            Some(r) if r.state != RowState::Applied => (State::Failed, None),
            Some(r) if m.is_repeatable() && needs_reapply(m, r) => (State::Pending, None),
            Some(_) if m.is_repeatable() => (State::Applied, None),
            Some(r) => match compare(m, r) {
                None => (State::Applied, None),
                Some(change) => (State::Changed, Some(change)),
            },
        };
        out.push(MigrationStatus {
            version: m.version.as_str().to_owned(),
            name: m.name.clone(),
            state,
            change,
            file: Some(m.up.path.clone()),
            transactional: m.transactional(),
            has_down: m.down.is_some(),
            applied_at: row.map(|r| r.applied_at.clone()),
            applied_by: row.map(|r| r.applied_by.clone()),
            duration_ms: row.and_then(|r| r.duration_ms),
            baselined: row.is_some_and(|r| r.baselined),
            error: row.and_then(|r| r.error.clone()),
            statements_done: row.and_then(|r| r.statements_done),
            statements_total: row.and_then(|r| r.statements_total),
            duplicate,
            repeatable: m.is_repeatable(),
            key: VersionKey::of(&m.version),
        });
    }
    for r in rows {
        if seen.contains(&r.version) {
            continue;
        }
        out.push(MigrationStatus {
            version: r.version_text.clone(),
            name: r.name.clone(),
            state: if r.state == RowState::Applied && r.baselined {
                State::Applied
            } else if r.state == RowState::Applied {
                State::Missing
            } else {
                State::Failed
            },
            change: None,
            file: None,
            transactional: r.transactional,
            has_down: false,
            applied_at: Some(r.applied_at.clone()),
            applied_by: Some(r.applied_by.clone()),
            duration_ms: r.duration_ms,
            baselined: r.baselined,
            error: r.error.clone(),
            statements_done: r.statements_done,
            statements_total: r.statements_total,
            duplicate: false,
            repeatable: is_repeatable_row(r),
            key: VersionKey::from_key(&r.version),
        });
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out
}

/// A place in a file, for messages with a source line and a caret.
#[derive(Debug, Clone)]
pub struct Location {
    pub path: PathBuf,
    pub text: Arc<str>,
    /// Byte offset in `text`.
    pub offset: usize,
}

impl Location {
    /// 1-based line and character column.
    pub fn line_col(&self) -> (usize, usize) {
        let p = ferry_sql::LineIndex::new(&self.text).position(&self.text, self.offset);
        (p.line, p.column)
    }
}

/// One reason a command refuses to run.
#[derive(Debug, Clone)]
pub enum Problem {
    DuplicateVersion {
        version: String,
        paths: Vec<PathBuf>,
    },
    ChangedAfterApply {
        version: String,
        path: PathBuf,
    },
    OutOfOrder {
        version: String,
        path: PathBuf,
        newest_applied: String,
    },
    MissingFile {
        version: String,
        name: String,
    },
    NoDownScript {
        version: String,
        /// Where the down script would be, in the folder's layout.
        expected: String,
    },
    NoTransactionInSingleTransaction {
        path: PathBuf,
    },
    Baselined {
        version: String,
    },
    FailedChanged {
        version: String,
        path: PathBuf,
    },
    FailedMissing {
        version: String,
        name: String,
    },
    UnknownTarget {
        version: String,
    },
    /// A psql meta-command, unterminated COPY or scanner error.
    Unsplittable {
        location: Location,
        message: String,
    },
    /// Rejected by PostgreSQL's parser before anything ran.
    Syntax {
        location: Location,
        message: String,
    },
    /// Transaction control inside a file that ferry wraps in a transaction.
    TransactionControl {
        location: Location,
        statement: String,
    },
    /// A failed `CREATE INDEX CONCURRENTLY` left an INVALID index that resuming would trip over.
    InvalidIndex {
        version: String,
        index: String,
    },
    /// `baseline` on a database whose tracking table already has rows.
    AlreadyTracked {
        count: usize,
    },
}

impl Problem {
    /// One line saying what is wrong and what to do.
    pub fn message(&self) -> String {
        match self {
            Problem::DuplicateVersion { version, paths } => format!(
                "version {version} is used by {} files: {}; renumber all but one",
                paths.len(),
                paths
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Problem::ChangedAfterApply { version, path } => format!(
                "migration {version} was changed after it was applied ({}): restore the applied text and put the change in a new migration, or accept the edit with `ferry repair --accept-checksum {version}`",
                path.display()
            ),
            Problem::OutOfOrder {
                version,
                path,
                newest_applied,
            } => format!(
                "pending migration {version} ({}) is older than the newest applied migration {newest_applied}: renumber it after {newest_applied}, or run with --allow-out-of-order",
                path.display()
            ),
            Problem::MissingFile { version, name } => format!(
                "migration {version} ({name}) is applied but its file is missing: restore it, run with --ignore-missing, or record its removal with `ferry repair --forget {version}`"
            ),
            Problem::NoDownScript { version, expected } => format!(
                "migration {version} has no down script ({expected} is missing), so it cannot be rolled back"
            ),
            Problem::NoTransactionInSingleTransaction { path } => format!(
                "{} says -- ferry:no-transaction, so the batch cannot run as one transaction: drop --single-transaction",
                path.display()
            ),
            Problem::Baselined { version } => format!(
                "migration {version} was recorded by `ferry baseline`, not applied by ferry: it cannot be rolled back"
            ),
            Problem::FailedChanged { version, path } => format!(
                "migration {version} failed part-way and {} changed since: decide with `ferry repair {version} --pending` (run it again from the start) or `--applied`",
                path.display()
            ),
            Problem::FailedMissing { version, name } => format!(
                "migration {version} ({name}) failed part-way and its file is missing: restore it or record a decision with `ferry repair {version} --pending`"
            ),
            Problem::UnknownTarget { version } => {
                format!("no migration has version {version}")
            }
            Problem::Unsplittable { location, message } | Problem::Syntax { location, message } => {
                let (line, col) = location.line_col();
                format!("{}:{line}:{col}: {message}", location.path.display())
            }
            Problem::InvalidIndex { version, index } => format!(
                "migration {version} failed in CREATE INDEX CONCURRENTLY and left the INVALID index {index}: drop it with `DROP INDEX CONCURRENTLY {index};`, then run `ferry up` again to resume (or record a decision with `ferry repair {version} --applied|--pending`)"
            ),
            Problem::AlreadyTracked { count } => format!(
                "the database already records {count} migrations, so there is nothing to baseline: baseline is for a database that ferry has not tracked yet"
            ),
            Problem::TransactionControl {
                location,
                statement,
            } => {
                let (line, col) = location.line_col();
                format!(
                    "{}:{line}:{col}: {statement} inside a migration that ferry runs in a transaction: remove it (ferry commits each migration itself), or add `-- ferry:no-transaction` at the top of the file",
                    location.path.display()
                )
            }
        }
    }

    /// The source location, when the problem has one (rendered with a caret).
    pub fn location(&self) -> Option<&Location> {
        match self {
            Problem::Unsplittable { location, .. }
            | Problem::Syntax { location, .. }
            | Problem::TransactionControl { location, .. } => Some(location),
            _ => None,
        }
    }
}

/// Options of `up`.
#[derive(Debug, Clone, Default)]
pub struct UpOptions {
    pub to: Option<Version>,
    pub allow_out_of_order: bool,
    pub ignore_missing: bool,
    pub single_transaction: bool,
}

/// One migration to apply.
#[derive(Debug, Clone)]
pub struct PlannedApply {
    /// Index into `MigrationSet::migrations`.
    pub index: usize,
    /// For a failed no-transaction migration: the 0-based statement to resume from.
    pub resume_from: Option<usize>,
}

/// Plans `up`: the pending migrations up to `--to`, or the problems that refuse it.
pub fn plan_up(
    set: &MigrationSet,
    rows: &[AppliedRow],
    opts: &UpOptions,
) -> Result<Vec<PlannedApply>, Vec<Problem>> {
    let mut problems = Vec::new();
    for (version, paths) in &set.duplicates {
        problems.push(Problem::DuplicateVersion {
            version: version.to_string(),
            paths: paths.clone(),
        });
    }
    // `--to` in any spelling of a version on disk.
    let to = opts.to.as_ref().map(|to| set.resolve(to));
    if let Some(to) = &to
        && set.find(to).is_none()
        && !rows.iter().any(|r| r.version == to.key())
    {
        problems.push(Problem::UnknownTarget {
            version: to.to_string(),
        });
    }
    let by_key: HashMap<&str, &AppliedRow> = rows.iter().map(|r| (r.version.as_str(), r)).collect();
    let on_disk: std::collections::HashSet<String> =
        set.migrations.iter().map(|m| m.version.key()).collect();

    let newest_applied = rows
        .iter()
        .filter(|r| r.state == RowState::Applied && !is_repeatable_row(r))
        .max_by_key(|r| VersionKey::from_key(&r.version));

    for r in rows {
        // A repeatable migration whose file is gone is not run again; nothing depends on it
        // (`status` shows it as missing, `down --all` forgets it).
        if on_disk.contains(&r.version) || (is_repeatable_row(r) && r.state == RowState::Applied) {
            continue;
        }
        if r.state != RowState::Applied {
            problems.push(Problem::FailedMissing {
                version: r.version_text.clone(),
                name: r.name.clone(),
            });
        } else if !opts.ignore_missing && !r.baselined {
            problems.push(Problem::MissingFile {
                version: r.version_text.clone(),
                name: r.name.clone(),
            });
        }
    }

    let mut planned = Vec::new();
    for (index, m) in set.migrations.iter().enumerate() {
        let key = m.version.key();
        if m.is_repeatable() {
            // After the versioned ones (the sort below), whenever new or changed, also with
            // `--to` (as Flyway does); a failed no-transaction one resumes where it stopped
            // unless its file changed, then it runs again from the start.
            let resume_from = match by_key.get(key.as_str()) {
                Some(row) if row.state == RowState::Applied => {
                    if !needs_reapply(m, row) {
                        continue;
                    }
                    None
                }
                Some(row) if m.up.checksum() == row.checksum => {
                    Some(row.statements_done.unwrap_or(0).max(0) as usize)
                }
                _ => None,
            };
            planned.push(PlannedApply { index, resume_from });
            continue;
        }
        match by_key.get(key.as_str()) {
            Some(row) if row.state == RowState::Applied => {
                if compare(m, row) == Some(Change::Substantive) {
                    problems.push(Problem::ChangedAfterApply {
                        version: m.version.to_string(),
                        path: m.up.path.clone(),
                    });
                }
            }
            Some(row) => {
                // Failed or interrupted no-transaction migration: resume where it stopped.
                if m.up.checksum() != row.checksum {
                    problems.push(Problem::FailedChanged {
                        version: m.version.to_string(),
                        path: m.up.path.clone(),
                    });
                } else {
                    planned.push(PlannedApply {
                        index,
                        resume_from: Some(row.statements_done.unwrap_or(0).max(0) as usize),
                    });
                }
            }
            None => {
                if to.as_ref().is_some_and(|to| &m.version > to) {
                    continue;
                }
                if let Some(newest) = newest_applied {
                    let newest_key = VersionKey::from_key(&newest.version);
                    if VersionKey::of(&m.version) < newest_key && !opts.allow_out_of_order {
                        problems.push(Problem::OutOfOrder {
                            version: m.version.to_string(),
                            path: m.up.path.clone(),
                            newest_applied: newest.version_text.clone(),
                        });
                        continue;
                    }
                }
                planned.push(PlannedApply {
                    index,
                    resume_from: None,
                });
            }
        }
    }
    // A failed migration is resumed before anything newer runs.
    planned.sort_by_key(|p| VersionKey::of(&set.migrations[p.index].version));

    for p in &planned {
        let m = &set.migrations[p.index];
        check_script(m, &mut problems);
        if opts.single_transaction && !m.transactional() {
            problems.push(Problem::NoTransactionInSingleTransaction {
                path: m.up.path.clone(),
            });
        }
    }
    if problems.is_empty() {
        Ok(planned)
    } else {
        Err(problems)
    }
}

/// Splits and parses a script that is about to run, so that meta-commands, syntax errors and
/// transaction control inside a transactional file refuse the run before anything runs.
pub fn check_script(m: &Migration, problems: &mut Vec<Problem>) {
    check_one(&m.up, m.transactional(), problems);
}

pub(crate) fn check_one(
    script: &crate::source::Script,
    transactional: bool,
    problems: &mut Vec<Problem>,
) {
    let location = |offset| Location {
        path: script.path.clone(),
        text: script.text.clone(),
        offset,
    };
    let statements = match script.statements() {
        Ok(s) => s,
        Err(err) => {
            problems.push(Problem::Unsplittable {
                location: location(split_error_offset(err)),
                message: split_error_message(err),
            });
            return;
        }
    };
    for stmt in statements {
        let sql = &script.text[stmt.range.clone()];
        if let Err(err) = ferry_sql::check_syntax(sql) {
            let offset = stmt.range.start
                + err
                    .cursor
                    .map(|c| ferry_sql::char_to_byte(sql, c.saturating_sub(1)))
                    .unwrap_or(0);
            problems.push(Problem::Syntax {
                location: location(offset),
                message: err.message.clone(),
            });
            // One syntax error per file: later ones are often caused by the first.
            return;
        }
        // Savepoints work inside ferry's transaction; starting or ending one does not.
        use ferry_sql::TransactionControl as T;
        if transactional
            && let ferry_sql::StatementKind::TransactionControl(
                T::Begin
                | T::Commit
                | T::Rollback
                | T::Prepare
                | T::CommitPrepared
                | T::RollbackPrepared,
            ) = stmt.kind
        {
            problems.push(Problem::TransactionControl {
                location: location(stmt.range.start),
                statement: ferry_sql::statement_tag(sql),
            });
        }
    }
}

pub(crate) fn split_error_offset(err: &ferry_sql::SplitError) -> usize {
    use ferry_sql::SplitError::*;
    match err {
        MetaCommand { offset, .. }
        | UnterminatedCopy { offset }
        | Unterminated { offset, .. }
        | Scan { offset, .. } => *offset,
    }
}

pub(crate) fn split_error_message(err: &ferry_sql::SplitError) -> String {
    use ferry_sql::SplitError::*;
    match err {
        MetaCommand { command, .. } if command == "\\restrict" || command == "\\unrestrict" => {
            format!(
                "psql meta-command `{command}` is not SQL: pg_dump 15.14 and later write \\restrict / \\unrestrict lines to protect psql; ferry runs no meta-commands, so delete both lines"
            )
        }
        MetaCommand { command, .. } => format!(
            "psql meta-command `{command}` is not SQL: ferry sends SQL to the server, not to psql; replace it with SQL or remove it"
        ),
        UnterminatedCopy { .. } => {
            "COPY … FROM stdin has no terminating `\\.` line after its data".to_owned()
        }
        Unterminated { what, .. } => format!("unterminated {what}"),
        Scan { message, .. } => message.clone(),
    }
}

/// How far `down` goes.
#[derive(Debug, Clone)]
pub enum DownTarget {
    Steps(usize),
    /// Leave this version applied, revert everything above it.
    To(Version),
    All,
}

/// One migration to revert.
#[derive(Debug, Clone)]
pub struct PlannedRevert {
    pub index: usize,
}

/// Plans `down`: the applied migrations to revert, newest first.
pub fn plan_down(
    set: &MigrationSet,
    rows: &[AppliedRow],
    target: &DownTarget,
) -> Result<Vec<PlannedRevert>, Vec<Problem>> {
    let mut problems = Vec::new();
    // Repeatable migrations are never reverted (`down --all` forgets them instead).
    let mut applied: Vec<&AppliedRow> = rows.iter().filter(|r| !is_repeatable_row(r)).collect();
    applied.sort_by_key(|r| std::cmp::Reverse(VersionKey::from_key(&r.version)));
    let chosen: Vec<&AppliedRow> = match target {
        DownTarget::Steps(n) => applied.into_iter().take(*n).collect(),
        DownTarget::All => applied,
        DownTarget::To(v) => {
            let v = &set.resolve(v);
            if set.find(v).is_none() && !rows.iter().any(|r| r.version == v.key()) {
                return Err(vec![Problem::UnknownTarget {
                    version: v.to_string(),
                }]);
            }
            let key = VersionKey::of(v);
            applied
                .into_iter()
                .filter(|r| VersionKey::from_key(&r.version) > key)
                .collect()
        }
    };
    let mut planned = Vec::new();
    for row in chosen {
        if row.baselined {
            problems.push(Problem::Baselined {
                version: row.version_text.clone(),
            });
            continue;
        }
        let found = set
            .migrations
            .iter()
            .enumerate()
            .find(|(_, m)| m.version.key() == row.version);
        match found {
            None => problems.push(Problem::MissingFile {
                version: row.version_text.clone(),
                name: row.name.clone(),
            }),
            Some((index, m)) => match &m.down {
                None => problems.push(Problem::NoDownScript {
                    version: m.version.to_string(),
                    expected: set.expected_down(m),
                }),
                Some(down) => {
                    check_one(down, !down.directives.no_transaction, &mut problems);
                    planned.push(PlannedRevert { index });
                }
            },
        }
    }
    if problems.is_empty() {
        Ok(planned)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flyway_set(dir: &std::path::Path, view: &str) -> MigrationSet {
        for (name, text) in [
            ("V1__a.sql", "create table a (id int);"),
            ("U1__a.sql", "drop table a;"),
            ("V2__b.sql", "create table b (id int);"),
            ("R__views.sql", view),
        ] {
            std::fs::write(dir.join(name), text).unwrap();
        }
        crate::source::discover(dir).unwrap()
    }

    fn row(m: &Migration) -> AppliedRow {
        AppliedRow {
            version: m.version.key(),
            version_text: m.version.to_string(),
            name: m.name.clone(),
            script: m.up.file_name(),
            checksum: m.up.checksum().to_owned(),
            checksum_bytes: m.up.bytes_checksum().to_owned(),
            state: RowState::Applied,
            transactional: true,
            statements_done: None,
            statements_total: None,
            error: None,
            applied_at: "2025-01-01T00:00:00.000Z".to_owned(),
            applied_by: "me".to_owned(),
            host: None,
            duration_ms: None,
            baselined: false,
        }
    }

    fn planned_versions(set: &MigrationSet, rows: &[AppliedRow]) -> Vec<String> {
        plan_up(set, rows, &UpOptions::default())
            .unwrap()
            .iter()
            .map(|p| set.migrations[p.index].version.key())
            .collect()
    }

    #[test]
    fn repeatables_run_after_the_versioned_ones_when_changed() {
        let dir = tempfile::tempdir().unwrap();
        let set = flyway_set(dir.path(), "create or replace view v as select 1;");
        assert_eq!(planned_versions(&set, &[]), ["1", "2", "R:views"]);

        // Applied and unchanged: nothing to do; status says applied.
        let rows: Vec<AppliedRow> = set.migrations.iter().map(row).collect();
        assert!(planned_versions(&set, &rows).is_empty());
        let s = status(&set, &rows);
        assert_eq!(s.last().unwrap().state, State::Applied);
        assert!(s.last().unwrap().repeatable);

        // Edited (even cosmetically): pending, never `changed`, and planned after a new V.
        let old_views = rows.last().unwrap().clone();
        let edited = flyway_set(dir.path(), "-- v2\ncreate or replace view v as select 1;");
        let rows = vec![row(&edited.migrations[0]), old_views.clone()];
        assert_eq!(planned_versions(&edited, &rows), ["2", "R:views"]);
        let s = status(&edited, &rows);
        assert_eq!(
            s.iter().map(|m| m.state).collect::<Vec<_>>(),
            [State::Applied, State::Pending, State::Pending]
        );

        // `--to` stops the versioned ones, not the repeatable (as Flyway).
        let to = UpOptions {
            to: Some(Version::parse("1").unwrap()),
            ..UpOptions::default()
        };
        let planned = plan_up(&edited, &[], &to).unwrap();
        assert_eq!(planned.len(), 2);

        // Down never reverts a repeatable; the newest versioned one goes first.
        let rows = vec![
            row(&edited.migrations[0]),
            row(&edited.migrations[1]),
            old_views,
        ];
        let down = plan_down(&edited, &rows, &DownTarget::Steps(1));
        let Err(problems) = down else {
            panic!("V2 has no undo")
        };
        assert!(
            problems[0].message().contains("U2__b.sql is missing"),
            "{}",
            problems[0].message()
        );
        let down = plan_down(&edited, &rows[..1], &DownTarget::All).unwrap();
        assert_eq!(down.len(), 1);
    }

    #[test]
    fn version_keys_order_repeatables_last() {
        let keys = ["R:b", "10", "R:a", "9", "1.10", "1.9"];
        let mut sorted: Vec<VersionKey> = keys.iter().map(|k| VersionKey::from_key(k)).collect();
        sorted.sort();
        let back: Vec<String> = sorted
            .iter()
            .map(|k| match &k.repeatable {
                Some(name) => format!("R:{name}"),
                None => k
                    .parts
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join("."),
            })
            .collect();
        assert_eq!(back, ["1.9", "1.10", "9", "10", "R:a", "R:b"]);
    }
}
