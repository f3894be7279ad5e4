//! Migration files on disk: finding them, their versions, directives and checksums.
//!
//! The native layout is a folder of `NNN_name.sql` (up), with optional `NNN_name.down.sql` and
//! `NNN_name.verify.sql` beside it; the folders of golang-migrate, sqlx, dbmate, Flyway and
//! diesel are read as they are (see [`layout`]). Files are read whole and checked for UTF-8
//! here; splitting into statements and the token checksum are computed lazily (a no-op
//! `status` over thousands of files only needs the byte checksum when nothing changed).

mod dbmate;
mod diesel;
mod flyway;
pub mod layout;
mod native;
mod numbered;
pub mod version;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use ferry_sql::{Checksum, SplitError, Statement};
use serde::Serialize;
use sha2::{Digest, Sha256};

pub use layout::Layout;
pub use version::{Version, VersionError};

/// Why the migration folder cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(
        "migrations folder {path} does not exist (create it, or point --dir / `dir` in ferry.toml at it)"
    )]
    MissingDir { path: PathBuf },
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path}:{line}:{column}: file is not valid UTF-8 (byte {byte} is not part of a UTF-8 character); save it as UTF-8"
    )]
    NotUtf8 {
        path: PathBuf,
        byte: usize,
        line: usize,
        column: usize,
    },
    #[error("{path}: not a migration file name; expected {expected}")]
    BadName { path: PathBuf, expected: String },
    #[error("{path}: {source}")]
    BadVersion {
        path: PathBuf,
        #[source]
        source: VersionError,
    },
    #[error("{path}: {kind} script has no up migration beside it (expected {expected})")]
    Orphan {
        path: PathBuf,
        kind: &'static str,
        expected: String,
    },
    #[error("{path}:{line}: unknown directive `{directive}` (known: ferry:no-transaction)")]
    UnknownDirective {
        path: PathBuf,
        line: usize,
        directive: String,
    },
    /// A file that follows its layout's naming but not its format (a dbmate file without
    /// `-- migrate:up`, a Flyway `.sql.conf` or diesel `metadata.toml` that cannot be read).
    #[error("{}: {message}", display_at(.path, *.line))]
    Malformed {
        path: PathBuf,
        /// 1-based line, 0 when the problem is the whole file.
        line: usize,
        message: String,
    },
    /// Files of more than one layout in one folder.
    #[error("{}", mixed_message(.dir, .layouts))]
    MixedLayouts {
        dir: PathBuf,
        /// Each layout found, with its files (relative to `dir`).
        layouts: Vec<(String, Vec<PathBuf>)>,
    },
}

fn display_at(path: &Path, line: usize) -> String {
    if line == 0 {
        path.display().to_string()
    } else {
        format!("{}:{line}", path.display())
    }
}

fn mixed_message(dir: &Path, layouts: &[(String, Vec<PathBuf>)]) -> String {
    const SHOWN: usize = 8;
    let parts: Vec<String> = layouts
        .iter()
        .map(|(layout, files)| {
            let mut names: Vec<String> = files
                .iter()
                .take(SHOWN)
                .map(|f| f.display().to_string())
                .collect();
            if files.len() > SHOWN {
                names.push(format!("and {} more", files.len() - SHOWN));
            }
            format!("{layout}: {}", names.join(", "))
        })
        .collect();
    format!(
        "migrations folder {} mixes layouts ({}); keep one layout per folder (move or rename the others), or choose one with `layout = \"…\"` in ferry.toml",
        dir.display(),
        parts.join("; ")
    )
}

/// Settings a file gives itself in its leading comment block.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Directives {
    /// `-- ferry:no-transaction`: run statement by statement outside a transaction.
    pub no_transaction: bool,
}

/// One SQL file: its text, checksums and (lazily) its statements.
#[derive(Debug)]
pub struct Script {
    pub path: PathBuf,
    /// How the script is named in the tracking table and in messages: the file name, or for a
    /// layout with a folder per migration (diesel) the path inside the migrations folder.
    pub name: String,
    pub text: Arc<str>,
    pub directives: Directives,
    /// The file may switch the session's identity (`SET ROLE`, `SET SESSION AUTHORIZATION`,
    /// also inside a DO block), so ferry must switch back before writing its own tables.
    pub may_change_identity: bool,
    /// The text mentions `set_config`, which can change session settings.
    mentions_set_config: bool,
    /// The text holds a word of the statements PostgreSQL refuses inside a transaction.
    may_need_no_transaction: bool,
    directive_lines: Vec<String>,
    bytes_checksum: String,
    tokens_checksum: OnceLock<Checksum>,
    statements: OnceLock<Result<Vec<Statement>, SplitError>>,
}

/// Checks that `bytes` are UTF-8, naming the line and column of the first bad byte.
pub(crate) fn decode(path: &Path, bytes: Vec<u8>) -> Result<String, SourceError> {
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(err) => {
            let byte = err.utf8_error().valid_up_to();
            let bytes = err.as_bytes();
            let before = String::from_utf8_lossy(&bytes[..byte]);
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            Err(SourceError::NotUtf8 {
                path: path.to_owned(),
                byte,
                line,
                column,
            })
        }
    }
}

/// Reads a whole file.
pub(crate) fn read_bytes(path: &Path) -> Result<Vec<u8>, SourceError> {
    std::fs::read(path).map_err(|source| SourceError::Io {
        path: path.to_owned(),
        source,
    })
}

/// Whether a file's name starts with a digit (other tools skip the files that do not).
pub(crate) fn starts_with_digit(path: &Path) -> bool {
    path.file_name().is_some_and(|n| {
        n.to_string_lossy()
            .starts_with(|c: char| c.is_ascii_digit())
    })
}

fn file_name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

impl Script {
    /// Reads a script, checking it is UTF-8 and reading its directives.
    pub fn read(path: &Path) -> Result<Script, SourceError> {
        Self::from_bytes(path, read_bytes(path)?)
    }

    /// Builds a script from bytes read elsewhere.
    pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> Result<Script, SourceError> {
        let text = decode(path, bytes)?;
        Self::from_text(path, file_name_of(path), text)
    }

    /// Builds a script from text already checked to be UTF-8, named `name` in the tracking
    /// table. The text's byte offsets must be the file's, so that positions are the file's.
    pub(crate) fn from_text(
        path: &Path,
        name: String,
        text: String,
    ) -> Result<Script, SourceError> {
        let (directives, directive_lines) = read_directives(path, &text)?;
        // One lowercased copy answers every cheap question about the text.
        let lower = text.to_ascii_lowercase();
        register_secrets(&text, &lower);
        let may_change_identity = lower.contains("role") || lower.contains("authorization");
        let mentions_set_config = lower.contains("set_config");
        let may_need_no_transaction = NO_TRANSACTION_WORDS.iter().any(|w| lower.contains(w));
        let bytes_checksum = format!("b1:{}", hex(&Sha256::digest(text.as_bytes())));
        Ok(Script {
            path: path.to_owned(),
            name,
            text: text.into(),
            directives,
            may_change_identity,
            mentions_set_config,
            may_need_no_transaction,
            directive_lines,
            bytes_checksum,
            tokens_checksum: OnceLock::new(),
            statements: OnceLock::new(),
        })
    }

    /// Runs the script outside a transaction because its layout's own option says so (sqlx
    /// `-- no-transaction`, dbmate `transaction:false`, Flyway `executeInTransaction=false`,
    /// diesel `run_in_transaction = false`). The checksum counts it as `-- ferry:no-transaction`,
    /// so the same SQL run the same way has the same checksum in every layout.
    pub(crate) fn without_transaction(mut self) -> Script {
        self.directives.no_transaction = true;
        if !self.directive_lines.iter().any(|l| l == NO_TRANSACTION) {
            self.directive_lines.push(NO_TRANSACTION.to_owned());
            self.tokens_checksum = OnceLock::new();
        }
        self
    }

    /// For the layouts whose tools run such a file outside a transaction by themselves
    /// (golang-migrate sends a file as one query; Flyway detects these statements): a file
    /// that holds a statement PostgreSQL refuses inside a transaction (`CREATE INDEX
    /// CONCURRENTLY`, `VACUUM`, …) and no BEGIN/COMMIT pair of its own runs without one.
    pub(crate) fn without_transaction_when_required(self) -> Script {
        if self.directives.no_transaction || !self.may_need_no_transaction {
            return self;
        }
        let required = match self.all_statements() {
            Ok(all) => {
                !outer_transaction(all)
                    && all
                        .iter()
                        .any(|s| matches!(s.kind, ferry_sql::StatementKind::NoTransaction))
            }
            Err(_) => false,
        };
        if required {
            self.without_transaction()
        } else {
            self
        }
    }

    /// sha256 of the raw bytes: equal means nothing at all changed.
    pub fn bytes_checksum(&self) -> &str {
        &self.bytes_checksum
    }

    /// The checksum over the SQL's tokens and the directives: changes only when the SQL does.
    pub fn checksum(&self) -> &str {
        &self
            .tokens_checksum
            .get_or_init(|| {
                let lines: Vec<&str> = self.directive_lines.iter().map(String::as_str).collect();
                ferry_sql::checksum(&self.text, &lines)
            })
            .tokens
    }

    /// The statements of the file, split with PostgreSQL's scanner.
    ///
    /// These are the statements ferry sends. A transactional file wrapped in one outer
    /// `BEGIN; … COMMIT;` pair (as hand-written scripts often are) is the file's own
    /// transaction: ferry runs what is between them inside its transaction, with the
    /// tracking row, and leaves the pair out.
    pub fn statements(&self) -> Result<&[Statement], &SplitError> {
        let all = self.all_statements()?;
        if !self.directives.no_transaction && outer_transaction(all) {
            return Ok(&all[1..all.len() - 1]);
        }
        Ok(all)
    }

    /// Every statement of the file, outer BEGIN/COMMIT included.
    pub fn all_statements(&self) -> Result<&[Statement], &SplitError> {
        self.statements
            .get_or_init(|| ferry_sql::split(&self.text))
            .as_ref()
            .map(Vec::as_slice)
    }

    /// Whether running this file cannot have changed the session's settings or identity, so
    /// the next file needs no `RESET`: every statement is plain DDL (CREATE, ALTER, DROP,
    /// COMMENT, GRANT, REVOKE), and nothing in it names a role or calls `set_config`. DML,
    /// SELECT, DO, CALL and SET may run code that changes the session; those files are reset
    /// after.
    pub fn leaves_session_clean(&self) -> bool {
        if self.may_change_identity || self.mentions_set_config {
            return false;
        }
        let Ok(statements) = self.statements() else {
            return false;
        };
        statements.iter().all(|stmt| {
            let first = self.text[stmt.range.clone()]
                .split(|c: char| !c.is_ascii_alphabetic())
                .next()
                .unwrap_or("");
            ["create", "alter", "drop", "comment", "grant", "revoke"]
                .iter()
                .any(|k| first.eq_ignore_ascii_case(k))
        })
    }

    /// The script's name for the tracking table and messages (see [`Script::name`]).
    pub fn file_name(&self) -> String {
        self.name.clone()
    }
}

/// Registers the passwords a script sets (`CREATE ROLE … PASSWORD '…'`, user mappings,
/// subscriptions) as secrets, so they never reach output or logs. Scanning is skipped for the
/// files that cannot hold one.
fn register_secrets(text: &str, lower: &str) {
    if !lower.contains("password") && !lower.contains("connection") {
        return;
    }
    for range in ferry_sql::password_literals(text) {
        crate::redact::register(&text[range]);
    }
}

const NO_TRANSACTION: &str = "ferry:no-transaction";

/// Words of the statements that cannot run in a transaction: a cheap look, so that most files
/// are not split when the folder is read.
const NO_TRANSACTION_WORDS: &[&str] = &[
    "concurrently",
    "vacuum",
    "database",
    "tablespace",
    "system",
    "reindex",
    "discard",
    "cluster",
    "subscription",
];

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// Whether `statements` are `BEGIN`, then no other BEGIN/COMMIT/ROLLBACK, then `COMMIT`.
fn outer_transaction(statements: &[Statement]) -> bool {
    use ferry_sql::{StatementKind::TransactionControl as Tc, TransactionControl as T};
    let [first, middle @ .., last] = statements else {
        return false;
    };
    matches!(first.kind, Tc(T::Begin))
        && matches!(last.kind, Tc(T::Commit))
        && !middle.iter().any(|s| {
            matches!(
                s.kind,
                Tc(T::Begin
                    | T::Commit
                    | T::Rollback
                    | T::Prepare
                    | T::CommitPrepared
                    | T::RollbackPrepared)
            )
        })
}

/// Reads `-- ferry:…` directives from the leading comment block (comments and blank lines
/// before the first statement). A `ferry:` word that is not a known directive is an error, so a
/// typo never silently runs a file inside a transaction.
fn read_directives(path: &Path, text: &str) -> Result<(Directives, Vec<String>), SourceError> {
    let mut directives = Directives::default();
    let mut lines = Vec::new();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let Some(comment) = line.strip_prefix("--") else {
            break;
        };
        let comment = comment.trim();
        let Some(directive) = comment.strip_prefix("ferry:") else {
            continue;
        };
        let directive = directive.trim();
        match directive {
            "no-transaction" => directives.no_transaction = true,
            _ => {
                return Err(SourceError::UnknownDirective {
                    path: path.to_owned(),
                    line: index + 1,
                    directive: format!("ferry:{directive}"),
                });
            }
        }
        lines.push(format!("ferry:{directive}"));
    }
    Ok((directives, lines))
}

/// One migration: its up script and the optional down and verify scripts.
#[derive(Debug)]
pub struct Migration {
    pub version: Version,
    pub name: String,
    pub up: Script,
    pub down: Option<Script>,
    pub verify: Option<Script>,
}

impl Migration {
    /// Whether the up script runs inside a transaction.
    pub fn transactional(&self) -> bool {
        !self.up.directives.no_transaction
    }

    /// Whether this is a repeatable migration (Flyway's `R__name.sql`): applied after the
    /// versioned ones whenever its file changed, never reverted.
    pub fn is_repeatable(&self) -> bool {
        self.version.is_repeatable()
    }
}

/// All migrations of a folder, sorted by version, repeatable migrations last (by name). Two
/// files with one version are both kept here (`duplicates` lists them) so that `status` can
/// show them and `up` can refuse.
#[derive(Debug, Default)]
pub struct MigrationSet {
    pub dir: PathBuf,
    /// The layout the folder was read as.
    pub layout: Layout,
    pub migrations: Vec<Migration>,
    pub duplicates: Vec<(Version, Vec<PathBuf>)>,
}

impl MigrationSet {
    /// The migration with this version (any spelling of an equal version).
    pub fn find(&self, version: &Version) -> Option<&Migration> {
        self.migrations.iter().find(|m| &m.version == version)
    }

    /// The version of the migration that `version` names, in the folder's own spelling: an
    /// equal version, or for diesel, whose versions are their digits (diesel removes the
    /// dashes), the version with the same digits (`20190226002946` names
    /// `2019-02-26-002946`). A version no migration has is returned as given.
    pub fn resolve(&self, version: &Version) -> Version {
        // Spelled as a file writes it: that file's version, even where two are equal as
        // numbers (diesel's `00000000000000` and `000000000000000`, see diesel.rs).
        if let Some(m) = self
            .migrations
            .iter()
            .find(|m| !m.is_repeatable() && m.version.as_str() == version.as_str())
        {
            return m.version.clone();
        }
        if let Some(m) = self.find(version) {
            return m.version.clone();
        }
        if self.layout == Layout::Diesel {
            let digits = |v: &Version| -> String {
                v.as_str().chars().filter(char::is_ascii_digit).collect()
            };
            let wanted = digits(version);
            if let Some(m) = self
                .migrations
                .iter()
                .find(|m| !m.is_repeatable() && digits(&m.version) == wanted)
            {
                return m.version.clone();
            }
        }
        version.clone()
    }

    /// The highest version on disk (repeatable migrations have none).
    pub fn latest(&self) -> Option<&Migration> {
        self.migrations.iter().rev().find(|m| !m.is_repeatable())
    }

    /// Where the down script of `m` would be, for the message that says it is missing.
    pub fn expected_down(&self, m: &Migration) -> String {
        let up = &m.up.path;
        let file = file_name_of(up);
        let sibling = |name: String| up.with_file_name(name).display().to_string();
        match self.layout {
            Layout::Native => {
                let stem = file.strip_suffix(".sql").unwrap_or(&file);
                sibling(format!("{stem}.down.sql"))
            }
            Layout::GolangMigrate | Layout::Sqlx => {
                let stem = file.strip_suffix(".sql").unwrap_or(&file);
                let stem = stem.strip_suffix(".up").unwrap_or(stem);
                sibling(format!("{stem}.down.sql"))
            }
            Layout::Dbmate => format!("a `-- migrate:down` section in {}", up.display()),
            Layout::Flyway => match file.strip_prefix('V') {
                Some(rest) => sibling(format!("U{rest}")),
                None => format!("an undo script for {}", up.display()),
            },
            Layout::Diesel => sibling("down.sql".to_owned()),
        }
    }
}

/// Reads the migrations folder `dir`, detecting its layout from its file names and contents
/// (see [`layout`]). Files that are no part of any layout (a README) are ignored; a `.sql`
/// file that does not follow the layout's naming is an error, because a migration that is
/// silently skipped is worse than one that does not run.
pub fn discover(dir: &Path) -> Result<MigrationSet, SourceError> {
    discover_as(dir, None)
}

/// Reads `dir` as `layout` (ferry.toml's `layout`), or as the detected layout when `None`.
pub fn discover_as(dir: &Path, layout: Option<Layout>) -> Result<MigrationSet, SourceError> {
    let mut scan = layout::Scan::new(dir)?;
    let layout = match layout {
        Some(layout) => layout,
        None => layout::detect(&mut scan)?,
    };
    let migrations = match layout {
        Layout::Native => native::read(&mut scan)?,
        Layout::GolangMigrate | Layout::Sqlx => numbered::read(&mut scan, layout)?,
        Layout::Dbmate => dbmate::read(&mut scan)?,
        Layout::Flyway => flyway::read(&mut scan)?,
        Layout::Diesel => diesel::read(&mut scan)?,
    };
    Ok(finish(dir, layout, migrations))
}

/// Sorts the migrations and lists the versions that more than one has.
fn finish(dir: &Path, layout: Layout, mut migrations: Vec<Migration>) -> MigrationSet {
    migrations.sort_by(|a, b| {
        a.version
            .cmp(&b.version)
            .then(a.name.cmp(&b.name))
            .then(a.up.path.cmp(&b.up.path))
    });
    let mut duplicates: Vec<(Version, Vec<PathBuf>)> = Vec::new();
    for pair in migrations.windows(2) {
        if pair[0].version == pair[1].version {
            match duplicates.last_mut() {
                Some((v, paths)) if *v == pair[0].version => paths.push(pair[1].up.path.clone()),
                _ => duplicates.push((
                    pair[0].version.clone(),
                    vec![pair[0].up.path.clone(), pair[1].up.path.clone()],
                )),
            }
        }
    }
    MigrationSet {
        dir: dir.to_owned(),
        layout,
        migrations,
        duplicates,
    }
}

/// The next migration's file names for `ferry new NAME` (up, down), in the folder's layout
/// (native, golang-migrate, sqlx, Flyway) and following its numbering:
/// the same width of zero padding (`007` → `008`), a timestamp when the folder uses
/// timestamps, `001` for an empty folder.
pub fn next_file_names(set: &MigrationSet, name: &str, now_timestamp: &str) -> (String, String) {
    let slug: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect::<String>()
        .split('_')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("_");
    let version = match set.latest() {
        None if set.layout == Layout::Flyway => "1".to_owned(),
        None => "001".to_owned(),
        Some(last) => {
            let text = last.version.as_str();
            if set.layout == Layout::Diesel
                && last.version.parts().len() == 4
                && now_timestamp.len() >= 14
            {
                // diesel's `YYYY-MM-DD-HHMMSS`, from the current time.
                let t = now_timestamp;
                format!("{}-{}-{}-{}", &t[..4], &t[4..6], &t[6..8], &t[8..14])
            } else if text.len() >= 12 && last.version.parts().len() == 1 {
                // A timestamp-numbered folder continues with timestamps.
                let now: u64 = now_timestamp.parse().unwrap_or(0);
                let next = now.max(last.version.parts()[0] + 1);
                next.to_string()
            } else {
                let parts = last.version.parts();
                let first = parts.first().copied().unwrap_or(0) + 1;
                let width = text.split(['.', '_', '-']).next().map_or(3, str::len);
                format!("{first:0width$}")
            }
        }
    };
    match set.layout {
        Layout::GolangMigrate | Layout::Sqlx => (
            format!("{version}_{slug}.up.sql"),
            format!("{version}_{slug}.down.sql"),
        ),
        Layout::Flyway => (
            format!("V{version}__{slug}.sql"),
            format!("U{version}__{slug}.sql"),
        ),
        Layout::Diesel => (
            format!("{version}_{slug}/up.sql"),
            format!("{version}_{slug}/down.sql"),
        ),
        // dbmate keeps both sections in one file: see `new_migration_files`.
        Layout::Native | Layout::Dbmate => (
            format!("{version}_{slug}.sql"),
            format!("{version}_{slug}.down.sql"),
        ),
    }
}

/// The files `ferry new NAME` writes, relative to the migrations folder, with their starting
/// text, in the folder's own layout: an up and a down file (dbmate: one file with both
/// sections; diesel: a folder with up.sql and down.sql).
pub fn new_migration_files(
    set: &MigrationSet,
    name: &str,
    now_timestamp: &str,
) -> Vec<(PathBuf, String)> {
    let (up, down) = next_file_names(set, name, now_timestamp);
    let up_text = format!(
        "-- {name}\n-- Runs in one transaction with its tracking row. For statements that cannot run in a\n-- transaction (CREATE INDEX CONCURRENTLY), put `-- ferry:no-transaction` on the first line.\n\n"
    );
    let down_text = format!("-- Reverts {up}: undo its changes in reverse order.\n\n");
    match set.layout {
        Layout::Dbmate => vec![(
            PathBuf::from(up),
            format!("-- migrate:up\n-- {name}\n\n\n-- migrate:down\n\n"),
        )],
        _ => vec![
            (PathBuf::from(up), up_text),
            (PathBuf::from(down), down_text),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::write(dir.join(name), text).unwrap();
    }

    #[test]
    fn discovers_pairs_in_numeric_order() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "010_ten.sql", "select 10;");
        write(dir.path(), "9_nine.sql", "select 9;");
        write(dir.path(), "9_nine.down.sql", "select -9;");
        write(dir.path(), "9_nine.verify.sql", "select 1;");
        write(dir.path(), "README.md", "not sql");
        let set = discover(dir.path()).unwrap();
        let versions: Vec<_> = set.migrations.iter().map(|m| m.version.as_str()).collect();
        assert_eq!(versions, ["9", "010"]);
        assert!(set.migrations[0].down.is_some());
        assert!(set.migrations[0].verify.is_some());
        assert!(set.migrations[1].down.is_none());
        assert!(set.duplicates.is_empty());
    }

    #[test]
    fn reports_duplicates_and_bad_names() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "001_a.sql", "select 1;");
        write(dir.path(), "1_b.sql", "select 1;");
        let set = discover(dir.path()).unwrap();
        assert_eq!(set.duplicates.len(), 1);
        assert_eq!(set.duplicates[0].1.len(), 2);

        write(dir.path(), "seed.sql", "select 1;");
        assert!(matches!(
            discover(dir.path()),
            Err(SourceError::BadName { .. })
        ));
    }

    #[test]
    fn orphan_down_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "002_x.down.sql", "select 1;");
        let err = discover(dir.path()).unwrap_err();
        assert!(err.to_string().contains("002_x.sql"), "{err}");
    }

    #[test]
    fn non_utf8_names_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("001_a.sql"), b"select 1;\nselect '\xff';\n").unwrap();
        match discover(dir.path()) {
            Err(SourceError::NotUtf8 { line, column, .. }) => assert_eq!((line, column), (2, 9)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn directives_in_leading_block_only() {
        let path = Path::new("x.sql");
        let s = Script::from_bytes(
            path,
            b"-- create the index\n-- ferry:no-transaction\ncreate index concurrently i on t (a);\n"
                .to_vec(),
        )
        .unwrap();
        assert!(s.directives.no_transaction);
        let s = Script::from_bytes(path, b"select 1;\n-- ferry:no-transaction\n".to_vec()).unwrap();
        assert!(!s.directives.no_transaction);
        let err =
            Script::from_bytes(path, b"-- ferry:no-transactoin\nselect 1;".to_vec()).unwrap_err();
        assert!(matches!(err, SourceError::UnknownDirective { line: 1, .. }));
    }

    #[test]
    fn an_outer_begin_commit_pair_is_the_files_own_transaction() {
        let path = Path::new("x.sql");
        let s = Script::from_bytes(
            path,
            b"BEGIN;\ncreate table a (id int);\nsavepoint s;\ninsert into a values (1);\nCOMMIT;\n"
                .to_vec(),
        )
        .unwrap();
        let statements = s.statements().unwrap();
        assert_eq!(statements.len(), 3);
        assert_eq!(
            &s.text[statements[0].range.clone()],
            "create table a (id int)"
        );
        assert_eq!(s.all_statements().unwrap().len(), 5);
        // Two transactions in one file are not one outer pair.
        let s = Script::from_bytes(
            path,
            b"begin;\nselect 1;\ncommit;\nbegin;\nselect 2;\ncommit;\n".to_vec(),
        )
        .unwrap();
        assert_eq!(s.statements().unwrap().len(), 6);
    }

    fn write_all(dir: &Path, files: &[(&str, &str)]) {
        for (name, text) in files {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
    }

    fn versions(set: &MigrationSet) -> Vec<&str> {
        set.migrations.iter().map(|m| m.version.as_str()).collect()
    }

    #[test]
    fn golang_migrate_and_sqlx() {
        let dir = tempfile::tempdir().unwrap();
        write_all(
            dir.path(),
            &[
                (
                    "000002_index.up.sql",
                    "create index concurrently i on t (a);",
                ),
                ("000002_index.down.sql", "drop index concurrently i;"),
                (
                    "000001_t.up.sql",
                    "BEGIN;\ncreate table t (a int);\nCOMMIT;\n",
                ),
                ("000001_t.down.sql", "drop table t;"),
                ("000001_t.verify.sql", "select 1;"),
                // golang-migrate skips what it cannot parse; so does ferry, unless numbered.
                ("schema.sql", "create table t (a int);"),
                (
                    "000010_x.up.sql",
                    "begin; create index concurrently j on t (a); commit;",
                ),
            ],
        );
        let set = discover(dir.path()).unwrap();
        assert_eq!(set.layout, Layout::GolangMigrate);
        assert_eq!(versions(&set), ["000001", "000002", "000010"]);
        let [t, index, x] = &set.migrations[..] else {
            panic!()
        };
        assert_eq!(t.name, "t");
        assert!(t.transactional() && t.verify.is_some());
        assert_eq!(t.up.statements().unwrap().len(), 1);
        // Alone, a statement that cannot run in a transaction runs without one, as
        // golang-migrate sends it; inside the file's own BEGIN/COMMIT it stays (and fails).
        assert!(!index.transactional());
        assert!(index.down.as_ref().unwrap().directives.no_transaction);
        assert!(x.transactional());
        assert!(set.expected_down(t).ends_with("000001_t.down.sql"));

        // As golang-migrate does, an up and a down pair by version, whatever their names.
        write_all(
            dir.path(),
            &[
                ("000003_b.up.sql", "select 1;"),
                ("000003_c.down.sql", "select 1;"),
            ],
        );
        let set = discover(dir.path()).unwrap();
        assert_eq!(set.migrations[2].name, "b");
        assert!(set.migrations[2].down.is_some());
        write_all(dir.path(), &[("000003_d.up.sql", "select 1;")]);
        let err = discover(dir.path()).unwrap_err().to_string();
        assert!(err.contains("two up scripts"), "{err}");
        std::fs::remove_file(dir.path().join("000003_d.up.sql")).unwrap();

        std::fs::remove_file(dir.path().join("000001_t.up.sql")).unwrap();
        let err = discover(dir.path()).unwrap_err().to_string();
        assert!(err.contains("expected 000001_t.up.sql"), "{err}");

        let dir = tempfile::tempdir().unwrap();
        write_all(
            dir.path(),
            &[
                ("1_a.sql", "-- no-transaction\ncreate table a (id int);"),
                ("2_b.sql", "create table b (id int);"),
            ],
        );
        let set = discover(dir.path()).unwrap();
        assert_eq!(set.layout, Layout::Sqlx);
        assert!(!set.migrations[0].transactional());
        assert!(set.migrations[1].transactional());
        assert!(set.migrations[1].down.is_none());
        assert!(
            set.expected_down(&set.migrations[1])
                .ends_with("2_b.down.sql")
        );
        // The same SQL, run the same way, has the same checksum as ferry's own directive.
        let native = Script::from_bytes(
            Path::new("x.sql"),
            b"-- ferry:no-transaction\ncreate table a (id int);".to_vec(),
        )
        .unwrap();
        assert_eq!(set.migrations[0].up.checksum(), native.checksum());
        // Forced golang-migrate has no single-file migrations.
        let err = discover_as(dir.path(), Some(Layout::GolangMigrate))
            .unwrap_err()
            .to_string();
        assert!(err.contains("expected N_name.up.sql"), "{err}");
    }

    #[test]
    fn dbmate_sections() {
        let dir = tempfile::tempdir().unwrap();
        let text = "-- migrate:up\ncreate table a (id int);\n-- migrate:down\ndrop table a;\n";
        write_all(
            dir.path(),
            &[
                ("20240101000000_a.sql", text),
                (
                    "20240102000000_b.sql",
                    "-- migrate:up transaction:false\ncreate index concurrently i on a (id);\n",
                ),
            ],
        );
        let set = discover(dir.path()).unwrap();
        assert_eq!(set.layout, Layout::Dbmate);
        let a = &set.migrations[0];
        assert_eq!(
            (a.version.as_str(), a.name.as_str()),
            ("20240101000000", "a")
        );
        let up = a.up.statements().unwrap();
        assert_eq!(up.len(), 1);
        assert_eq!(up[0].range.start, text.find("create").unwrap());
        let down = a.down.as_ref().unwrap();
        assert_eq!(
            down.statements().unwrap()[0].range.start,
            text.find("drop").unwrap()
        );
        assert_eq!(down.file_name(), "20240101000000_a.sql");
        assert!(!set.migrations[1].transactional());
        assert!(set.migrations[1].down.is_none());
        assert!(
            set.expected_down(&set.migrations[1])
                .contains("migrate:down")
        );
        // Forced dbmate: a file without sections is named.
        write_all(dir.path(), &[("20240103000000_c.sql", "select 1;")]);
        let err = discover_as(dir.path(), Some(Layout::Dbmate))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("20240103000000_c.sql: no `-- migrate:up`"),
            "{err}"
        );
    }

    #[test]
    fn flyway_order_undo_repeatables_and_conf() {
        let dir = tempfile::tempdir().unwrap();
        write_all(
            dir.path(),
            &[
                ("V1_10__ten.sql", "select 10;"),
                ("V1_9__nine.sql", "select 9;"),
                ("V1_11__eleven.sql", "select 11;"),
                ("U1_10__ten.sql", "select -10;"),
                ("R__b_grants.sql", "select 'b';"),
                ("R__a_views.sql", "select 'a';"),
                ("release2/V2__two.sql", "create table two (id int);"),
                ("release2/V2__two.sql.conf", "executeInTransaction=false\n"),
                ("README.md", "notes"),
                ("seed.sql", "insert into two values (1);"),
            ],
        );
        let set = discover(dir.path()).unwrap();
        assert_eq!(set.layout, Layout::Flyway);
        assert_eq!(versions(&set), ["1_9", "1_10", "1_11", "2", "R", "R"]);
        let names: Vec<&str> = set.migrations.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names[4..], ["a_views", "b_grants"]);
        assert!(set.migrations[1].down.is_some());
        assert!(set.migrations[2].down.is_none());
        assert!(
            set.expected_down(&set.migrations[2])
                .ends_with("U1_11__eleven.sql")
        );
        assert!(!set.migrations[3].transactional());
        assert_eq!(set.migrations[3].up.file_name(), "release2/V2__two.sql");
        assert!(set.migrations[4].is_repeatable());
        assert_eq!(set.latest().unwrap().version.as_str(), "2");
        let to = Version::parse("1.10").unwrap();
        assert_eq!(set.find(&to).unwrap().name, "ten");

        write_all(dir.path(), &[("U3__x.sql", "select 1;")]);
        let err = discover(dir.path()).unwrap_err().to_string();
        assert!(err.contains("expected V3__x.sql"), "{err}");
        std::fs::remove_file(dir.path().join("U3__x.sql")).unwrap();
        write_all(dir.path(), &[("afterMigrate.sql", "select 1;")]);
        let err = discover(dir.path()).unwrap_err().to_string();
        assert!(err.contains("Flyway callback"), "{err}");
        std::fs::remove_file(dir.path().join("afterMigrate.sql")).unwrap();
        write_all(dir.path(), &[("V4_init.sql", "select 1;")]);
        let err = discover(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("V4_init.sql: not a migration file name; expected V<version>__name.sql"),
            "{err}"
        );
    }

    #[test]
    fn diesel_folders() {
        let dir = tempfile::tempdir().unwrap();
        write_all(
            dir.path(),
            &[
                ("2019-10-01-000000_add_email/up.sql", "select 2;"),
                ("2019-10-01-000000_add_email/down.sql", "select -2;"),
                (
                    "2019-10-01-000000_add_email/metadata.toml",
                    "run_in_transaction = false\n",
                ),
                ("2019-02-26-002946_create_users/up.sql", "select 1;"),
                ("00000000000000_diesel_initial_setup/up.sql", "select 0;"),
                ("00000000000000_diesel_initial_setup/down.sql", "select 0;"),
                (".keep", ""),
            ],
        );
        let set = discover(dir.path()).unwrap();
        assert_eq!(set.layout, Layout::Diesel);
        assert_eq!(
            versions(&set),
            ["00000000000000", "2019-02-26-002946", "2019-10-01-000000"]
        );
        let users = &set.migrations[1];
        assert_eq!(users.name, "create_users");
        assert_eq!(
            users.up.file_name(),
            "2019-02-26-002946_create_users/up.sql"
        );
        assert!(users.down.is_none());
        assert!(
            set.expected_down(users)
                .ends_with("2019-02-26-002946_create_users/down.sql")
        );
        let email = &set.migrations[2];
        assert!(!email.transactional());
        assert!(email.down.as_ref().unwrap().directives.no_transaction);
        // diesel's own spelling of a version (dashes removed) names the folder's.
        let v = set.resolve(&Version::parse("20190226002946").unwrap());
        assert_eq!(v.as_str(), "2019-02-26-002946");
    }

    #[test]
    fn next_names_follow_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let empty = discover(dir.path()).unwrap();
        assert_eq!(
            next_file_names(&empty, "Create users", "20250101000000").0,
            "001_create_users.sql"
        );
        write(dir.path(), "0007_x.sql", "select 1;");
        let set = discover(dir.path()).unwrap();
        let (up, down) = next_file_names(&set, "add-email", "20250101000000");
        assert_eq!(up, "0008_add_email.sql");
        assert_eq!(down, "0008_add_email.down.sql");
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "20240101120000_x.sql", "select 1;");
        let set = discover(dir.path()).unwrap();
        assert_eq!(
            next_file_names(&set, "y", "20250101000000").0,
            "20250101000000_y.sql"
        );
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "V1_10__x.sql", "select 1;");
        write(dir.path(), "R__views.sql", "select 1;");
        let set = discover(dir.path()).unwrap();
        assert_eq!(
            next_file_names(&set, "y", "20250101000000"),
            ("V2__y.sql".to_owned(), "U2__y.sql".to_owned())
        );
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "000041_x.up.sql", "select 1;");
        let set = discover(dir.path()).unwrap();
        assert_eq!(
            next_file_names(&set, "y", "20250101000000"),
            ("000042_y.up.sql".to_owned(), "000042_y.down.sql".to_owned())
        );
    }
}
