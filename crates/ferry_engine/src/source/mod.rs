//! Migration files on disk: finding them, their versions, directives and checksums.
//!
//! The native layout is a folder of `NNN_name.sql` (up), with optional `NNN_name.down.sql` and
//! `NNN_name.verify.sql` beside it. Files are read whole and checked for UTF-8 here; splitting
//! into statements and the token checksum are computed lazily (a no-op `status` over thousands
//! of files only needs the byte checksum when nothing changed).

pub mod version;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use ferry_sql::{Checksum, SplitError, Statement};
use serde::Serialize;
use sha2::{Digest, Sha256};

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
    #[error(
        "{path}: not a migration file name; expected NNN_name.sql, NNN_name.down.sql or NNN_name.verify.sql"
    )]
    BadName { path: PathBuf },
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
    pub text: Arc<str>,
    pub directives: Directives,
    /// The file may switch the session's identity (`SET ROLE`, `SET SESSION AUTHORIZATION`,
    /// also inside a DO block), so ferry must switch back before writing its own tables.
    pub may_change_identity: bool,
    directive_lines: Vec<String>,
    bytes_checksum: String,
    tokens_checksum: OnceLock<Checksum>,
    statements: OnceLock<Result<Vec<Statement>, SplitError>>,
}

impl Script {
    /// Reads a script, checking it is UTF-8 and reading its directives.
    pub fn read(path: &Path) -> Result<Script, SourceError> {
        let bytes = std::fs::read(path).map_err(|source| SourceError::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::from_bytes(path, bytes)
    }

    /// Builds a script from bytes read elsewhere.
    pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> Result<Script, SourceError> {
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(err) => {
                let byte = err.utf8_error().valid_up_to();
                let bytes = err.as_bytes();
                let before = String::from_utf8_lossy(&bytes[..byte]);
                let line = before.matches('\n').count() + 1;
                let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                return Err(SourceError::NotUtf8 {
                    path: path.to_owned(),
                    byte,
                    line,
                    column,
                });
            }
        };
        let (directives, directive_lines) = read_directives(path, &text)?;
        register_secrets(&text);
        let lower = text.to_ascii_lowercase();
        let may_change_identity = lower.contains("role") || lower.contains("authorization");
        let bytes_checksum = format!("b1:{}", hex(&Sha256::digest(text.as_bytes())));
        Ok(Script {
            path: path.to_owned(),
            text: text.into(),
            directives,
            may_change_identity,
            directive_lines,
            bytes_checksum,
            tokens_checksum: OnceLock::new(),
            statements: OnceLock::new(),
        })
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
        if self.may_change_identity || self.text.to_ascii_lowercase().contains("set_config") {
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

    /// The file name, for messages.
    pub fn file_name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// Registers the passwords a script sets (`CREATE ROLE … PASSWORD '…'`, user mappings,
/// subscriptions) as secrets, so they never reach output or logs. Scanning is skipped for the
/// files that cannot hold one.
fn register_secrets(text: &str) {
    let lower = text.to_ascii_lowercase();
    // (Lowercased again by the caller; files are small and this runs once per file.)
    if !lower.contains("password") && !lower.contains("connection") {
        return;
    }
    for range in ferry_sql::password_literals(text) {
        crate::redact::register(&text[range]);
    }
}

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
}

/// All migrations of a folder, sorted by version. Two files with one version are both kept
/// here (`duplicates` lists them) so that `status` can show them and `up` can refuse.
#[derive(Debug, Default)]
pub struct MigrationSet {
    pub dir: PathBuf,
    pub migrations: Vec<Migration>,
    pub duplicates: Vec<(Version, Vec<PathBuf>)>,
}

impl MigrationSet {
    /// The migration with this version (any spelling of an equal version).
    pub fn find(&self, version: &Version) -> Option<&Migration> {
        self.migrations.iter().find(|m| &m.version == version)
    }

    /// The highest version on disk.
    pub fn latest(&self) -> Option<&Migration> {
        self.migrations.last()
    }
}

/// What a file name in the native layout says.
struct NameParts<'a> {
    version: &'a str,
    name: &'a str,
    kind: ScriptKind,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ScriptKind {
    Up,
    Down,
    Verify,
}

fn parse_name(file_name: &str) -> Option<NameParts<'_>> {
    let stem = file_name.strip_suffix(".sql")?;
    let (stem, kind) = if let Some(s) = stem.strip_suffix(".down") {
        (s, ScriptKind::Down)
    } else if let Some(s) = stem.strip_suffix(".verify") {
        (s, ScriptKind::Verify)
    } else {
        (stem, ScriptKind::Up)
    };
    let (version, name) = match stem.split_once('_') {
        Some((v, n)) => (v, n),
        None => (stem, ""),
    };
    if version.is_empty() || !version.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    Some(NameParts {
        version,
        name,
        kind,
    })
}

/// Reads the native layout from `dir`. Files that do not end in `.sql` are ignored (a README
/// may live there); a `.sql` file that does not follow the naming scheme is an error, because a
/// migration that is silently skipped is worse than one that does not run.
pub fn discover(dir: &Path) -> Result<MigrationSet, SourceError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Err(SourceError::MissingDir {
                path: dir.to_owned(),
            });
        }
        Err(source) => {
            return Err(SourceError::Io {
                path: dir.to_owned(),
                source,
            });
        }
    };
    let mut paths = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| SourceError::Io {
            path: dir.to_owned(),
            source,
        })?;
        let path = entry.path();
        if path.is_file() && path.extension().is_some_and(|e| e == "sql") {
            paths.push(path);
        }
    }
    paths.sort();

    // Group by (version as written, name) so NNN_a.sql and NNN_a.down.sql pair up; `001_a.sql`
    // beside `1_a.sql` are two migrations with one version, reported as duplicates below.
    struct Parts {
        version: Version,
        name: String,
        up: Option<PathBuf>,
        down: Option<PathBuf>,
        verify: Option<PathBuf>,
    }
    let mut groups: BTreeMap<(String, String), Parts> = BTreeMap::new();
    for path in paths {
        let file_name = path.file_name().unwrap_or_default().to_string_lossy();
        let Some(parts) = parse_name(&file_name) else {
            return Err(SourceError::BadName { path });
        };
        let version = Version::parse(parts.version).map_err(|source| SourceError::BadVersion {
            path: path.clone(),
            source,
        })?;
        let group = groups
            .entry((parts.version.to_owned(), parts.name.to_owned()))
            .or_insert_with(|| Parts {
                version,
                name: parts.name.to_owned(),
                up: None,
                down: None,
                verify: None,
            });
        let slot = match parts.kind {
            ScriptKind::Up => &mut group.up,
            ScriptKind::Down => &mut group.down,
            ScriptKind::Verify => &mut group.verify,
        };
        *slot = Some(path);
    }

    let mut migrations = Vec::new();
    for parts in groups.into_values() {
        let Some(up) = parts.up else {
            let (path, kind) = match (parts.down, parts.verify) {
                (Some(p), _) => (p, "down"),
                (None, Some(p)) => (p, "verify"),
                (None, None) => unreachable!("a group has at least one file"),
            };
            let expected = format!("{}_{}.sql", parts.version, parts.name);
            return Err(SourceError::Orphan {
                path,
                kind,
                expected,
            });
        };
        migrations.push(Migration {
            up: Script::read(&up)?,
            down: parts.down.as_deref().map(Script::read).transpose()?,
            verify: parts.verify.as_deref().map(Script::read).transpose()?,
            version: parts.version,
            name: parts.name,
        });
    }
    migrations.sort_by(|a, b| a.version.cmp(&b.version).then(a.name.cmp(&b.name)));

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
    Ok(MigrationSet {
        dir: dir.to_owned(),
        migrations,
        duplicates,
    })
}

/// The next migration's file names for `ferry new NAME`, following the folder's numbering:
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
        None => "001".to_owned(),
        Some(last) => {
            let text = last.version.as_str();
            if text.len() >= 12 && last.version.parts().len() == 1 {
                // A timestamp-numbered folder continues with timestamps.
                let now: u64 = now_timestamp.parse().unwrap_or(0);
                let next = now.max(last.version.parts()[0] + 1);
                next.to_string()
            } else {
                let parts = last.version.parts();
                let first = parts.first().copied().unwrap_or(0) + 1;
                let width = text.split('.').next().map_or(3, str::len);
                format!("{first:0width$}")
            }
        }
    };
    (
        format!("{version}_{slug}.sql"),
        format!("{version}_{slug}.down.sql"),
    )
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
    }
}
