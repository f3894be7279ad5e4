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
    tell_apart_equal_numbers(&mut migrations);
    Ok(migrations)
}

/// diesel's versions are strings (`-` removed) and it orders them as strings, so
/// `00000000000000_diesel_initial_setup` and `000000000000000_forbid_diesel_cli` (Lemmy) are two
/// versions to diesel, although they are the same number to ferry. Among versions that are
/// equal as numbers but differ as diesel strings, the first in diesel's order keeps its version
/// and each next one gets one more part (`0` → `0.1`, `0.2`, …), which keeps diesel's order and
/// sorts before the next number. Equal diesel strings stay duplicates (an error, as in diesel).
fn tell_apart_equal_numbers(migrations: &mut [Migration]) {
    let diesel_text = |m: &Migration| m.version.as_str().replace('-', "");
    migrations.sort_by(|a, b| {
        a.version
            .cmp(&b.version)
            .then_with(|| diesel_text(a).cmp(&diesel_text(b)))
    });
    let mut start = 0;
    while start < migrations.len() {
        let end = start
            + migrations[start..]
                .iter()
                .take_while(|m| m.version == migrations[start].version)
                .count();
        let mut extra = 0u64;
        for i in start + 1..end {
            if diesel_text(&migrations[i]) == diesel_text(&migrations[i - 1]) {
                continue;
            }
            extra += 1;
            // The shared number without its trailing zero parts, then the extra part.
            let mut parts = migrations[start].version.parts().to_vec();
            while parts.len() > 1 && parts.last() == Some(&0) {
                parts.pop();
            }
            parts.push(extra);
            let text = migrations[i].version.as_str().to_owned();
            migrations[i].version = Version::from_parts(&text, parts);
        }
        start = end;
    }
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

    fn migration(version: &str) -> Migration {
        let script = Script::from_text(
            Path::new("up.sql"),
            format!("{version}/up.sql"),
            "select 1;".to_owned(),
        )
        .unwrap();
        Migration {
            up: script,
            down: None,
            verify: None,
            version: parse_version(version).unwrap(),
            name: String::new(),
        }
    }

    #[test]
    fn versions_equal_as_numbers_but_not_as_diesel_strings_are_told_apart() {
        // Lemmy: `000000000000000_forbid_diesel_cli` beside `00000000000000_diesel_initial_setup`.
        let mut set = vec![
            migration("2019-02-26-002946"),
            migration("000000000000000"),
            migration("00000000000000"),
        ];
        tell_apart_equal_numbers(&mut set);
        let texts: Vec<&str> = set.iter().map(|m| m.version.as_str()).collect();
        assert_eq!(
            texts,
            ["00000000000000", "000000000000000", "2019-02-26-002946"]
        );
        assert_eq!(set[0].version.key(), "0");
        assert_eq!(set[1].version.key(), "0.1");
        assert!(set[0].version < set[1].version && set[1].version < set[2].version);
        // The same diesel version spelled twice stays a duplicate.
        let mut same = vec![migration("2019-02-26-002946"), migration("20190226002946")];
        tell_apart_equal_numbers(&mut same);
        assert_eq!(same[0].version, same[1].version);
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
