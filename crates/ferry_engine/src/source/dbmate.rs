//! dbmate: one file per migration, `<version>_name.sql` (the version is the leading digits),
//! with a `-- migrate:up` section and an optional `-- migrate:down` section. Options follow
//! the marker: `-- migrate:up transaction:false` runs that section outside a transaction.
//! As dbmate does, `.sql` files whose name does not start with a digit are skipped.
//!
//! Each section becomes a [`Script`] whose text is the whole file with the other section
//! blanked (every byte replaced by a space, line breaks kept), so byte offsets, lines and
//! columns in messages are the file's own; the token checksum covers only the section's SQL
//! (an edit to the down section changes the up script's bytes only: a cosmetic change).

use std::path::{Path, PathBuf};

use super::layout::Scan;
use super::{Migration, Script, SourceError, Version};

const EXPECTED: &str = "<version>_name.sql (the version is digits) with `-- migrate:up` and `-- migrate:down` sections";

/// A `-- migrate:up` / `-- migrate:down` line: the marker at the start of a line, then
/// nothing or whitespace-separated `key:value` options.
fn marker<'a>(line: &'a str, which: &str) -> Option<&'a str> {
    let rest = line.strip_prefix("--")?.trim_start();
    let rest = rest.strip_prefix("migrate:")?.strip_prefix(which)?;
    if rest.is_empty() || rest.starts_with(char::is_whitespace) {
        Some(rest.trim())
    } else {
        None
    }
}

/// Whether a file has a `-- migrate:up` line (detection). A BOM before the first line is
/// no part of it, as [`sections`] reads it.
pub(crate) fn has_up_marker(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let text = String::from_utf8_lossy(bytes);
    text.contains("migrate:up") && text.lines().any(|l| marker(l, "up").is_some())
}

/// The sections of a dbmate file.
#[derive(Debug)]
struct Sections {
    /// Byte range of the up section (from the file's start: what precedes the marker is
    /// comments only), and whether it runs in a transaction.
    up: (std::ops::Range<usize>, bool),
    down: Option<(std::ops::Range<usize>, bool)>,
}

fn transactional(options: &str) -> bool {
    !options.split_whitespace().any(|o| {
        o.split_once(':')
            .is_some_and(|(k, v)| k == "transaction" && v == "false")
    })
}

fn sections(path: &Path, text: &str) -> Result<Sections, SourceError> {
    let malformed = |line: usize, message: &str| SourceError::Malformed {
        path: path.to_owned(),
        line,
        message: message.to_owned(),
    };
    let mut up: Option<bool> = None;
    let mut down: Option<(usize, bool)> = None;
    let mut early_down: Option<usize> = None;
    let mut first_statement: Option<usize> = None;
    let mut offset = 0;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let content = line.trim_end_matches(['\n', '\r']);
        let content = if index == 0 {
            content.strip_prefix('\u{feff}').unwrap_or(content)
        } else {
            content
        };
        if up.is_none() {
            if let Some(options) = marker(content, "up") {
                up = Some(transactional(options));
            } else if marker(content, "down").is_some() {
                early_down.get_or_insert(index + 1);
            } else if first_statement.is_none()
                && !content.trim().is_empty()
                && !content.trim_start().starts_with("--")
            {
                first_statement = Some(index + 1);
            }
        } else if down.is_none()
            && let Some(options) = marker(content, "down")
        {
            down = Some((offset, transactional(options)));
        }
        offset += line.len();
    }
    let Some(up_transactional) = up else {
        return Err(malformed(
            0,
            "no `-- migrate:up` line: a dbmate migration starts its up section with it",
        ));
    };
    if let Some(line) = early_down {
        return Err(malformed(
            line,
            "`-- migrate:down` comes before `-- migrate:up`; dbmate requires the up section first",
        ));
    }
    if let Some(line) = first_statement {
        return Err(malformed(
            line,
            "SQL before `-- migrate:up`: dbmate runs only what is in the up and down sections; move it into one",
        ));
    }
    let up_end = down.map_or(text.len(), |d| d.0);
    Ok(Sections {
        up: (0..up_end, up_transactional),
        down: down.map(|(start, t)| (start..text.len(), t)),
    })
}

/// `text` with every byte outside `keep` replaced by a space, line breaks kept.
fn blank_outside(text: &str, keep: &std::ops::Range<usize>) -> String {
    let bytes: Vec<u8> = text
        .bytes()
        .enumerate()
        .map(|(i, b)| {
            if keep.contains(&i) || b == b'\n' {
                b
            } else {
                b' '
            }
        })
        .collect();
    // Only whole multi-byte characters are replaced (sections are whole lines), and by ASCII.
    String::from_utf8(bytes).expect("blanking keeps UTF-8")
}

/// Splits `20151129054053_create_users.sql` into its version and name.
fn parse_name(file_name: &str) -> Option<(&str, &str)> {
    let stem = file_name.strip_suffix(".sql")?;
    let digits = stem.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let (version, rest) = stem.split_at(digits);
    let name = rest.strip_prefix(['_', '-']).unwrap_or(rest);
    Some((version, name))
}

pub(crate) fn read(scan: &mut Scan) -> Result<Vec<Migration>, SourceError> {
    let paths: Vec<PathBuf> = scan
        .files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "sql") && super::starts_with_digit(p))
        .cloned()
        .collect();
    let mut migrations = Vec::new();
    for path in paths {
        let file_name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let Some((version_text, name)) = parse_name(&file_name) else {
            return Err(SourceError::BadName {
                path,
                expected: EXPECTED.to_owned(),
            });
        };
        let version =
            Version::parse_with(version_text, &[]).map_err(|source| SourceError::BadVersion {
                path: path.clone(),
                source,
            })?;
        let text = super::decode(&path, scan.read(&path)?)?;
        let sections = sections(&path, &text)?;
        let script = |(range, transactional): &(std::ops::Range<usize>, bool)| {
            let script = Script::from_text(&path, file_name.clone(), blank_outside(&text, range))?;
            Ok::<_, SourceError>(if *transactional {
                script
            } else {
                script.without_transaction()
            })
        };
        migrations.push(Migration {
            up: script(&sections.up)?,
            down: sections.down.as_ref().map(script).transpose()?,
            verify: None,
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
    fn a_bom_before_the_up_marker_is_still_dbmate() {
        // Editors on Windows save `\u{feff}-- migrate:up`; read as native, the down section
        // would run as part of up.
        assert!(has_up_marker(
            b"\xef\xbb\xbf-- migrate:up\r\ncreate table t (id int);\r\n-- migrate:down\r\n"
        ));
        assert!(!has_up_marker(b"\xef\xbb\xbfcreate table t (id int);\n"));
    }

    #[test]
    fn markers_and_options() {
        assert_eq!(marker("-- migrate:up", "up"), Some(""));
        assert_eq!(
            marker("--migrate:up transaction:false", "up"),
            Some("transaction:false")
        );
        assert_eq!(marker("-- migrate:upgrade", "up"), None);
        assert_eq!(marker("  -- migrate:up", "up"), None);
        assert!(!transactional("transaction:false"));
        assert!(transactional("foo:bar"));
    }

    #[test]
    fn sections_keep_the_files_offsets() {
        let path = Path::new("1_a.sql");
        let text = "-- header\n-- migrate:up transaction:false\ncreate table a (id int);\n\n-- migrate:down\ndrop table a;\n";
        let s = sections(path, text).unwrap();
        assert!(!s.up.1);
        let (down, down_transactional) = s.down.unwrap();
        assert!(down_transactional);
        let up_text = blank_outside(text, &s.up.0);
        assert_eq!(up_text.len(), text.len());
        assert!(up_text.contains("create table a"));
        assert!(!up_text.contains("drop table"));
        assert_eq!(up_text.lines().count(), text.lines().count());
        let down_text = blank_outside(text, &down);
        assert!(down_text.starts_with("         \n"));
        assert_eq!(down_text.find("drop table"), text.find("drop table"));
    }

    #[test]
    fn malformed_files() {
        let path = Path::new("1_a.sql");
        let err = sections(path, "create table a (id int);\n").unwrap_err();
        assert!(err.to_string().contains("no `-- migrate:up`"), "{err}");
        let err = sections(path, "select 1;\n-- migrate:up\nselect 2;\n").unwrap_err();
        assert!(
            err.to_string().starts_with("1_a.sql:1: SQL before"),
            "{err}"
        );
        let err = sections(
            path,
            "-- migrate:down\nselect 1;\n-- migrate:up\nselect 2;\n",
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("1_a.sql:1: "), "{err}");
        let s = sections(path, "-- migrate:up\nselect 1;\n").unwrap();
        assert!(s.down.is_none());
    }
}
