//! golang-migrate and sqlx: `N_name.up.sql` / `N_name.down.sql`, and sqlx's single
//! `N_name.sql` (irreversible). One reader serves both, with the union of their options:
//! - sqlx's `-- no-transaction` at the top of a file runs it outside a transaction;
//! - golang-migrate sends a file as one query, so a file holding a statement PostgreSQL
//!   refuses in a transaction (`CREATE INDEX CONCURRENTLY`) and no BEGIN/COMMIT of its own runs
//!   outside one; one outer `BEGIN; … COMMIT;` pair is the file's own transaction (as in
//!   every layout), and any other transaction control is refused before anything runs.
//!
//! `N_name.verify.sql` beside them is ferry's verify script. Versions are whole numbers. A
//! `.sql` file whose name does not start with a digit (a `schema.sql` dump) is skipped, as
//! both tools skip it; one that does but is not named as above is an error.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::layout::{Layout, Scan};
use super::{Migration, Script, SourceError, Version};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    Up,
    Down,
    Verify,
    /// sqlx's single-file (irreversible) migration; also what ferry's and dbmate's look like.
    Plain,
}

pub(crate) struct NameParts<'a> {
    pub version: &'a str,
    pub name: &'a str,
    pub kind: Kind,
}

/// Reads `N_name.up.sql`, `N_name.down.sql`, `N_name.verify.sql`, `N_name.sql` (`N` digits).
pub(crate) fn parse_name(file_name: &str) -> Option<NameParts<'_>> {
    let stem = file_name.strip_suffix(".sql")?;
    let (stem, kind) = if let Some(s) = stem.strip_suffix(".up") {
        (s, Kind::Up)
    } else if let Some(s) = stem.strip_suffix(".down") {
        (s, Kind::Down)
    } else if let Some(s) = stem.strip_suffix(".verify") {
        (s, Kind::Verify)
    } else {
        (stem, Kind::Plain)
    };
    let digits = stem.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let (version, rest) = stem.split_at(digits);
    let name = match rest.strip_prefix('_') {
        Some(name) => name,
        None if rest.is_empty() => "",
        None => return None,
    };
    Some(NameParts {
        version,
        name,
        kind,
    })
}

/// Whether a file starts with sqlx's `-- no-transaction` (its first line; a BOM and blank
/// lines before it are allowed).
pub(crate) fn has_sqlx_directive(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let rest = &bytes[start..];
    rest.strip_prefix(b"-- no-transaction")
        .is_some_and(|after| after.first().is_none_or(u8::is_ascii_whitespace))
}

fn expected(layout: Layout) -> String {
    match layout {
        Layout::Sqlx => "N_name.sql, or N_name.up.sql and N_name.down.sql (N a number)".to_owned(),
        _ => "N_name.up.sql and N_name.down.sql (N a number)".to_owned(),
    }
}

/// Reads the folder as golang-migrate or sqlx (`layout` names it in messages; a single
/// `N_name.sql` is sqlx's, refused as golang-migrate).
pub(crate) fn read(scan: &mut Scan, layout: Layout) -> Result<Vec<Migration>, SourceError> {
    // Scripts pair by version as written, as golang-migrate pairs them (the names of an up and
    // its down may differ); `1_a.up.sql` beside `01_b.up.sql` are two migrations with one
    // version, reported as duplicates.
    #[derive(Default)]
    struct Parts {
        up: Vec<(PathBuf, String)>,
        down: Option<(PathBuf, String)>,
        verify: Option<(PathBuf, String)>,
    }
    let mut groups: BTreeMap<String, Parts> = BTreeMap::new();
    let paths: Vec<PathBuf> = scan
        .files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "sql") && super::starts_with_digit(p))
        .cloned()
        .collect();
    for path in paths {
        let file_name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let parts = parse_name(&file_name)
            .filter(|p| p.kind != Kind::Plain || layout == Layout::Sqlx)
            .ok_or_else(|| SourceError::BadName {
                path: path.clone(),
                expected: expected(layout),
            })?;
        let group = groups.entry(parts.version.to_owned()).or_default();
        let entry = (path.clone(), parts.name.to_owned());
        let slot = match parts.kind {
            Kind::Up | Kind::Plain => {
                group.up.push(entry);
                continue;
            }
            Kind::Down => &mut group.down,
            Kind::Verify => &mut group.verify,
        };
        if let Some((other, _)) = slot {
            return Err(SourceError::Malformed {
                path,
                line: 0,
                message: format!(
                    "version {} has a second {} script, {}; keep one",
                    parts.version,
                    if parts.kind == Kind::Down {
                        "down"
                    } else {
                        "verify"
                    },
                    other.display()
                ),
            });
        }
        *slot = Some(entry);
    }

    let mut migrations = Vec::new();
    for (version_text, mut parts) in groups {
        let (up, name) = match parts.up.len() {
            1 => parts.up.remove(0),
            0 => {
                let ((path, name), kind) = match (parts.down, parts.verify) {
                    (Some(p), _) => (p, "down"),
                    (None, Some(p)) => (p, "verify"),
                    (None, None) => unreachable!("a group has at least one file"),
                };
                return Err(SourceError::Orphan {
                    path,
                    kind,
                    expected: format!("{version_text}_{name}.up.sql"),
                });
            }
            _ => {
                let (second, _) = &parts.up[1];
                return Err(SourceError::Malformed {
                    path: second.clone(),
                    line: 0,
                    message: format!(
                        "version {version_text} has two up scripts, this one and {}; keep one",
                        parts.up[0].0.display()
                    ),
                });
            }
        };
        let version =
            Version::parse_with(&version_text, &[]).map_err(|source| SourceError::BadVersion {
                path: up.clone(),
                source,
            })?;
        let mut read = |path: &PathBuf| -> Result<Script, SourceError> {
            let bytes = scan.read(path)?;
            let sqlx_no_transaction = has_sqlx_directive(&bytes);
            let script = Script::from_bytes(path, bytes)?;
            let script = if sqlx_no_transaction {
                script.without_transaction()
            } else {
                script
            };
            Ok(script.without_transaction_when_required())
        };
        migrations.push(Migration {
            up: read(&up)?,
            down: parts.down.as_ref().map(|(p, _)| read(p)).transpose()?,
            verify: parts.verify.as_ref().map(|(p, _)| read(p)).transpose()?,
            version,
            name,
        });
    }
    Ok(migrations)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let p = parse_name("000001_create_users.up.sql").unwrap();
        assert_eq!(
            (p.version, p.name, p.kind),
            ("000001", "create_users", Kind::Up)
        );
        let p = parse_name("20240101120000_x.down.sql").unwrap();
        assert_eq!((p.version, p.kind), ("20240101120000", Kind::Down));
        let p = parse_name("3.sql").unwrap();
        assert_eq!((p.version, p.name, p.kind), ("3", "", Kind::Plain));
        assert!(parse_name("1a_x.up.sql").is_none());
        assert!(parse_name("V1__x.sql").is_none());
        assert!(parse_name("1.2_x.sql").is_none());
    }

    #[test]
    fn sqlx_directive_is_the_first_line() {
        assert!(has_sqlx_directive(b"-- no-transaction\nselect 1;"));
        assert!(has_sqlx_directive(
            b"\xef\xbb\xbf\n-- no-transaction\r\nselect 1;"
        ));
        assert!(!has_sqlx_directive(b"select 1;\n-- no-transaction\n"));
        assert!(!has_sqlx_directive(b"-- no-transactions\n"));
    }
}
