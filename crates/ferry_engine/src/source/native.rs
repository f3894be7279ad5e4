//! ferry's own layout: `NNN_name.sql` (up), with optional `NNN_name.down.sql` and
//! `NNN_name.verify.sql` beside it. Versions are numbers separated by `.` (`001`, `1.10`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::layout::Scan;
use super::{Migration, Script, SourceError, Version};

/// What the native layout expects, for messages.
pub(crate) const EXPECTED: &str = "NNN_name.sql, NNN_name.down.sql or NNN_name.verify.sql";

/// What a file name in the native layout says.
pub(crate) struct NameParts<'a> {
    pub version: &'a str,
    pub name: &'a str,
    pub kind: ScriptKind,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum ScriptKind {
    Up,
    Down,
    Verify,
}

pub(crate) fn parse_name(file_name: &str) -> Option<NameParts<'_>> {
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

/// A native version: numbers separated by `.`.
pub(crate) fn parse_version(text: &str) -> Result<Version, super::VersionError> {
    Version::parse_with(text, &['.'])
}

/// Reads the native layout. Files that do not end in `.sql` are ignored (a README may live
/// there), and so are folders.
pub(crate) fn read(scan: &mut Scan) -> Result<Vec<Migration>, SourceError> {
    let paths: Vec<PathBuf> = scan
        .files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .cloned()
        .collect();

    // Group by (version as written, name) so NNN_a.sql and NNN_a.down.sql pair up; `001_a.sql`
    // beside `1_a.sql` are two migrations with one version, reported as duplicates.
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
            return Err(SourceError::BadName {
                path,
                expected: EXPECTED.to_owned(),
            });
        };
        let version = parse_version(parts.version).map_err(|source| SourceError::BadVersion {
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
        let mut read = |path: &PathBuf| -> Result<Script, SourceError> {
            Script::from_bytes(path, scan.read(path)?)
        };
        migrations.push(Migration {
            up: read(&up)?,
            down: parts.down.as_ref().map(&mut read).transpose()?,
            verify: parts.verify.as_ref().map(&mut read).transpose()?,
            version: parts.version,
            name: parts.name,
        });
    }
    Ok(migrations)
}
