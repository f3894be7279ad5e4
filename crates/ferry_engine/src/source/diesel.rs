//! diesel: a folder per migration, `<version>_name/` holding `up.sql`, an optional `down.sql`
//! and an optional `metadata.toml` (`run_in_transaction = false` runs both outside a
//! transaction); `verify.sql` beside them is ferry's verify script.
//!
//! diesel's version is the folder name's text before the first `_`, with `-` removed. ferry
//! keeps it as written (`2019-02-26-002946`) and orders by its parts, [2019, 2, 26, 2946];
//! a version written without dashes in diesel's 14-digit form (`20190226002946`,
//! `00000000000000_diesel_initial_setup`) has the same parts, so both spellings sort together.

use std::path::{Path, PathBuf};

use super::layout::Scan;
use super::{Migration, Script, SourceError, Version};

const EXPECTED: &str = "folders <version>_name holding up.sql and down.sql";

/// Whether `dir` looks like a diesel migration folder (detection).
pub(crate) fn is_migration_dir(dir: &Path) -> bool {
    let starts_with_digit = dir.file_name().is_some_and(|n| {
        n.to_string_lossy()
            .starts_with(|c: char| c.is_ascii_digit())
    });
    starts_with_digit && (dir.join("up.sql").is_file() || dir.join("down.sql").is_file())
}

/// A diesel version: dashed (`2019-02-26-002946`), diesel's 14 digits (`20190226002946`,
/// split as the dashed form is), or a plain number.
pub(crate) fn parse_version(text: &str) -> Result<Version, super::VersionError> {
    if text.contains('-') {
        return Version::parse_with(text, &['-']);
    }
    let plain = Version::parse_with(text, &[])?;
    if text.len() == 14 {
        let part = |r: std::ops::Range<usize>| text[r].parse::<u64>().expect("digits");
        return Ok(Version::from_parts(
            text,
            vec![part(0..4), part(4..6), part(6..8), part(8..14)],
        ));
    }
    Ok(plain)
}

/// Reads `metadata.toml`: whether it says `run_in_transaction = false`.
fn no_transaction_in_metadata(path: &Path, text: &str) -> Result<bool, SourceError> {
    let table: toml::Table = toml::from_str(text).map_err(|err| {
        let line = err.span().map_or(0, |s| {
            text[..s.start.min(text.len())].matches('\n').count() + 1
        });
        SourceError::Malformed {
            path: path.to_owned(),
            line,
            message: err.message().trim_end().to_owned(),
        }
    })?;
    match table.get("run_in_transaction") {
        None => Ok(false),
        Some(toml::Value::Boolean(b)) => Ok(!b),
        Some(other) => Err(SourceError::Malformed {
            path: path.to_owned(),
            line: 0,
            message: format!("run_in_transaction is {other}; write true or false"),
        }),
    }
}

pub(crate) fn read(scan: &mut Scan) -> Result<Vec<Migration>, SourceError> {
    // Files beside the folders are skipped, as diesel skips them.
    let mut migrations = Vec::new();
    for dir in scan.dirs.clone() {
        let up = dir.join("up.sql");
        let down = dir.join("down.sql");
        let verify = dir.join("verify.sql");
        let metadata = dir.join("metadata.toml");
        if !up.is_file() {
            if down.is_file() {
                return Err(SourceError::Orphan {
                    path: down,
                    kind: "down",
                    expected: up.display().to_string(),
                });
            }
            // Not a migration (diesel would refuse it; ferry leaves unrelated folders alone).
            continue;
        }
        let folder = dir
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let (version_text, name) = folder.split_once('_').unwrap_or((&folder, ""));
        if !version_text.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(SourceError::BadName {
                path: dir.clone(),
                expected: EXPECTED.to_owned(),
            });
        }
        let version = parse_version(version_text).map_err(|source| SourceError::BadVersion {
            path: dir.clone(),
            source,
        })?;
        let no_transaction = if metadata.is_file() {
            let text = super::decode(&metadata, super::read_bytes(&metadata)?)?;
            no_transaction_in_metadata(&metadata, &text)?
        } else {
            false
        };
        let read = |path: &PathBuf| -> Result<Option<Script>, SourceError> {
            if !path.is_file() {
                return Ok(None);
            }
            let name = format!(
                "{folder}/{}",
                path.file_name().unwrap_or_default().to_string_lossy()
            );
            let text = super::decode(path, super::read_bytes(path)?)?;
            let script = Script::from_text(path, name, text)?;
            Ok(Some(if no_transaction {
                script.without_transaction()
            } else {
                script
            }))
        };
        migrations.push(Migration {
            up: read(&up)?.expect("up.sql is a file"),
            down: read(&down)?,
            verify: read(&verify)?,
            version,
            name: name.to_owned(),
        });
    }
    Ok(migrations)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        let dashed = parse_version("2019-02-26-002946").unwrap();
        assert_eq!(dashed.parts(), [2019, 2, 26, 2946]);
        assert_eq!(dashed.as_str(), "2019-02-26-002946");
        assert_eq!(parse_version("20190226002946").unwrap(), dashed);
        assert!(
            parse_version("2019-02-26-002946").unwrap()
                < parse_version("2019-03-01-000000").unwrap()
        );
        assert_eq!(parse_version("00000000000000").unwrap().key(), "0");
        assert_eq!(parse_version("7").unwrap().parts(), [7]);
        assert!(parse_version("2019-02-x").is_err());
    }

    #[test]
    fn metadata() {
        let p = Path::new("metadata.toml");
        assert!(no_transaction_in_metadata(p, "run_in_transaction = false\n").unwrap());
        assert!(!no_transaction_in_metadata(p, "run_in_transaction = true\n").unwrap());
        assert!(!no_transaction_in_metadata(p, "").unwrap());
        assert!(no_transaction_in_metadata(p, "run_in_transaction = \"no\"\n").is_err());
        assert!(no_transaction_in_metadata(p, "run_in_transaction = \n").is_err());
    }
}
