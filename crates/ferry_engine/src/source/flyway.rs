//! Flyway: `V<version>__name.sql` (versioned), `U<version>__name.sql` (its undo, ferry's down),
//! `R__name.sql` (repeatable), in the folder and its subfolders. A version's parts are
//! separated by `.` or `_` (`V1_10` = 1.10, after `V1_9`; `1` = `1.0` = `001`). A
//! `<script>.sql.conf` beside a script with `executeInTransaction=false` runs it outside a
//! transaction; as Flyway does on PostgreSQL, a script holding a statement that cannot run in a
//! transaction (`CREATE INDEX CONCURRENTLY`) runs outside one by itself.
//!
//! Other `.sql` files are skipped, as Flyway skips them, except callbacks (`afterMigrate.sql`,
//! which Flyway would run and ferry does not: an error) and names that look like a migration's
//! but are not Flyway's (`V1_init.sql`, `002_b.sql`: an error).
//!
//! Repeatable migrations are applied after the versioned ones, in name order, whenever their
//! file changed (any byte), each in its own transaction unless its `.sql.conf` says otherwise,
//! also with `--to` and inside `--single-transaction` (see [`crate::plan::plan_up`]). They are
//! tracked in the same table as the versioned ones under the key `R:name` (version written
//! `R`). `down` never reverts them (Flyway's undo does not either); `down --all` and `reset`,
//! once everything else is rolled back, forget their rows, so the next `up` applies them again
//! and builds the same schema as the first `up`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::layout::{Scan, list};
use super::{Migration, Script, SourceError, Version};

const EXPECTED: &str = "V<version>__name.sql, U<version>__name.sql or R__name.sql";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prefix {
    Versioned,
    Undo,
    Repeatable,
}

struct NameParts<'a> {
    prefix: Prefix,
    version: &'a str,
    name: &'a str,
}

fn parse_name(file_name: &str) -> Option<NameParts<'_>> {
    let stem = file_name.strip_suffix(".sql")?;
    let (prefix, rest) = match stem.split_at_checked(1)? {
        ("V", rest) => (Prefix::Versioned, rest),
        ("U", rest) => (Prefix::Undo, rest),
        ("R", rest) => (Prefix::Repeatable, rest),
        _ => return None,
    };
    if prefix == Prefix::Repeatable {
        let name = rest.strip_prefix("__")?;
        return Some(NameParts {
            prefix,
            version: "",
            name,
        });
    }
    let (version, name) = rest.split_once("__")?;
    if !version.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    Some(NameParts {
        prefix,
        version,
        name,
    })
}

/// Whether a file that is not a Flyway script looks like a migration meant to run: a prefix
/// letter followed by a digit or `_` (`V1_init.sql`, `v2__x.sql`, `R_views.sql`), or another
/// layout's numbered name (`002_b.sql`).
fn near_miss(file_name: &str) -> bool {
    let mut chars = file_name.chars();
    match chars.next() {
        Some(c) if c.is_ascii_digit() => true,
        Some('V' | 'U' | 'R' | 'v' | 'u' | 'r') => {
            chars.next().is_some_and(|c| c.is_ascii_digit() || c == '_')
        }
        _ => false,
    }
}

/// Flyway's SQL callbacks (`afterMigrate.sql`, `beforeEachMigrate__grants.sql`, …).
fn is_callback(file_name: &str) -> bool {
    let Some(stem) = file_name.strip_suffix(".sql") else {
        return false;
    };
    let event = stem.split("__").next().unwrap_or(stem);
    let camel = |rest: &str| rest.starts_with(|c: char| c.is_ascii_uppercase());
    event
        .strip_prefix("before")
        .or_else(|| event.strip_prefix("after"))
        .is_some_and(camel)
        || event == "createSchema"
}

/// Whether a file name is one of Flyway's (script, `.sql.conf` or callback).
pub(crate) fn is_flyway_file(file_name: &str) -> bool {
    parse_name(file_name).is_some() || file_name.ends_with(".sql.conf") || is_callback(file_name)
}

/// The Flyway files in `dir` and its subfolders (detection).
pub(crate) fn files_below(dir: &Path) -> Result<Vec<PathBuf>, SourceError> {
    let mut found = Vec::new();
    for path in walk(dir)? {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if is_flyway_file(&name) {
            found.push(path);
        }
    }
    Ok(found)
}

/// Every regular file in `dir` and its non-hidden subfolders, sorted by path.
fn walk(dir: &Path) -> Result<Vec<PathBuf>, SourceError> {
    let (mut files, dirs) = list(dir)?;
    for sub in dirs {
        files.extend(walk(&sub)?);
    }
    files.sort();
    Ok(files)
}

/// Reads a `.sql.conf`: `key=value` lines, `#` comments. Whether it says
/// `executeInTransaction=false`.
fn no_transaction_in_conf(path: &Path, text: &str) -> Result<bool, SourceError> {
    let mut no_transaction = false;
    for (index, line) in text.lines().enumerate() {
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(SourceError::Malformed {
                path: path.to_owned(),
                line: index + 1,
                message: format!("`{line}` is not `key=value`"),
            });
        };
        if key.trim() == "executeInTransaction" {
            match value.trim() {
                "false" => no_transaction = true,
                "true" => no_transaction = false,
                other => {
                    return Err(SourceError::Malformed {
                        path: path.to_owned(),
                        line: index + 1,
                        message: format!("executeInTransaction is `{other}`; write true or false"),
                    });
                }
            }
        }
    }
    Ok(no_transaction)
}

pub(crate) fn read(scan: &mut Scan) -> Result<Vec<Migration>, SourceError> {
    let mut files = scan.files.clone();
    for dir in scan.dirs.clone() {
        files.extend(walk(&dir)?);
    }
    let mut confs: HashMap<PathBuf, PathBuf> = HashMap::new();
    let mut scripts: Vec<(PathBuf, Prefix, String, String)> = Vec::new();
    for path in files {
        let file_name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if let Some(script) = file_name.strip_suffix(".conf")
            && script.ends_with(".sql")
        {
            confs.insert(path.with_file_name(script), path);
            continue;
        }
        if !file_name.ends_with(".sql") {
            continue;
        }
        if is_callback(&file_name) {
            return Err(SourceError::Malformed {
                path,
                line: 0,
                message: "a Flyway callback: ferry runs migrations only; move what it does into a migration (a repeatable R__name.sql runs after every up that changes it) and delete it".to_owned(),
            });
        }
        let Some(parts) = parse_name(&file_name) else {
            if !near_miss(&file_name) {
                // Flyway skips it too (a `seed.sql`); `V1_init.sql` is a typo, reported.
                continue;
            }
            return Err(SourceError::BadName {
                path,
                expected: EXPECTED.to_owned(),
            });
        };
        let (prefix, version, name) = (
            parts.prefix,
            parts.version.to_owned(),
            parts.name.to_owned(),
        );
        scripts.push((path, prefix, version, name));
    }

    let mut read = |path: &Path, scan: &mut Scan| -> Result<Script, SourceError> {
        let name = scan.relative(path).to_string_lossy().into_owned();
        let text = super::decode(path, scan.read(path)?)?;
        let mut script = Script::from_text(path, name, text)?;
        if let Some(conf) = confs.remove(path) {
            let text = super::decode(&conf, scan.read(&conf)?)?;
            if no_transaction_in_conf(&conf, &text)? {
                script = script.without_transaction();
            }
        }
        Ok(script.without_transaction_when_required())
    };

    let parse = |path: &Path, text: &str| {
        Version::parse_with(text, &['.', '_']).map_err(|source| SourceError::BadVersion {
            path: path.to_owned(),
            source,
        })
    };
    let mut migrations = Vec::new();
    let mut undos = Vec::new();
    for (path, prefix, version, name) in scripts {
        match prefix {
            Prefix::Versioned => migrations.push(Migration {
                version: parse(&path, &version)?,
                up: read(&path, scan)?,
                down: None,
                verify: None,
                name,
            }),
            Prefix::Repeatable => migrations.push(Migration {
                version: Version::repeatable(&name),
                up: read(&path, scan)?,
                down: None,
                verify: None,
                name,
            }),
            Prefix::Undo => undos.push((parse(&path, &version)?, path)),
        }
    }
    for (version, path) in undos {
        let Some(m) = migrations
            .iter_mut()
            .find(|m| m.version == version && m.down.is_none())
        else {
            let file_name = path.file_name().unwrap_or_default().to_string_lossy();
            return Err(SourceError::Orphan {
                expected: format!("V{}", file_name.strip_prefix('U').unwrap_or(&file_name)),
                path,
                kind: "undo",
            });
        };
        m.down = Some(read(&path, scan)?);
    }
    if let Some((script, conf)) = confs.into_iter().next() {
        return Err(SourceError::Orphan {
            path: conf,
            kind: "config",
            expected: script.display().to_string(),
        });
    }
    Ok(migrations)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let p = parse_name("V1_10__add_email.sql").unwrap();
        assert_eq!(
            (p.prefix, p.version, p.name),
            (Prefix::Versioned, "1_10", "add_email")
        );
        let p = parse_name("U2.1__x.sql").unwrap();
        assert_eq!((p.prefix, p.version), (Prefix::Undo, "2.1"));
        let p = parse_name("R__views.sql").unwrap();
        assert_eq!((p.prefix, p.name), (Prefix::Repeatable, "views"));
        assert!(parse_name("V1_init.sql").is_none());
        assert!(parse_name("Vx__init.sql").is_none());
        assert!(parse_name("R_views.sql").is_none());
        assert!(is_callback("afterMigrate.sql"));
        assert!(is_callback("beforeEachMigrate__grants.sql"));
        assert!(!is_callback("aftermath.sql"));
        assert!(is_flyway_file("V1__a.sql.conf"));
    }

    #[test]
    fn conf_files() {
        let p = Path::new("V1__a.sql.conf");
        assert!(no_transaction_in_conf(p, "# comment\nexecuteInTransaction=false\n").unwrap());
        assert!(!no_transaction_in_conf(p, "encoding=UTF-8\n").unwrap());
        assert!(no_transaction_in_conf(p, "executeInTransaction = maybe\n").is_err());
    }
}
