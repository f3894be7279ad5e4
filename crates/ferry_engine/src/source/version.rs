//! Migration versions: sequences of integers, compared as such.
//!
//! `001` is `[1]`, `1.10` is `[1, 10]` and sorts after `1.9`, a timestamp `20240101120000` is one
//! number. Trailing zero parts do not count (`1` = `1.0` = `001`), so any spelling of an equal
//! version finds it. Versions are never compared as strings (DESIGN-NOTES: "Versions and checksums").

use std::cmp::Ordering;
use std::fmt;

use serde::Serialize;

/// A migration version as written in its file name, with its numeric parts.
#[derive(Debug, Clone)]
pub struct Version {
    text: String,
    parts: Vec<u64>,
    /// The name of a repeatable migration, which has no number.
    repeatable: Option<String>,
}

/// Why a string is not a version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    #[error("version is empty")]
    Empty,
    #[error(
        "version `{0}` has a part that is not a number (versions are numbers separated by `.`, such as 001 or 1.10; `_` and `-` also separate parts where a layout allows them)"
    )]
    NotNumeric(String),
    #[error("version `{0}` has a part too large for a 64-bit number")]
    TooLarge(String),
}

impl Version {
    /// Parses a version given by a person (`--to`, `baseline`): `001`, `1.10`,
    /// `20240101120000`, and the spellings of the other layouts, Flyway's `1_10` and diesel's
    /// `2019-02-26-002946`. Parts are separated by `.`, `_` or `-`.
    pub fn parse(text: &str) -> Result<Version, VersionError> {
        Self::parse_with(text, &['.', '_', '-'])
    }

    /// Parses with the given part separators (Flyway accepts `_` as well as `.`).
    pub fn parse_with(text: &str, separators: &[char]) -> Result<Version, VersionError> {
        if text.is_empty() {
            return Err(VersionError::Empty);
        }
        let mut parts = Vec::new();
        for part in text.split(|c| separators.contains(&c)) {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(VersionError::NotNumeric(text.to_owned()));
            }
            parts.push(
                part.parse::<u64>()
                    .map_err(|_| VersionError::TooLarge(text.to_owned()))?,
            );
        }
        Ok(Version {
            text: text.to_owned(),
            parts,
            repeatable: None,
        })
    }

    /// A version made of `parts`, written `text` (a layout that spells versions its own way).
    pub(crate) fn from_parts(text: &str, parts: Vec<u64>) -> Version {
        Version {
            text: text.to_owned(),
            parts,
            repeatable: None,
        }
    }

    /// The version of the repeatable migration `name`: written `R`, after every numbered
    /// version, ordered by name among repeatables.
    pub fn repeatable(name: &str) -> Version {
        Version {
            text: "R".to_owned(),
            parts: Vec::new(),
            repeatable: Some(name.to_owned()),
        }
    }

    /// Whether this is a repeatable migration's version.
    pub fn is_repeatable(&self) -> bool {
        self.repeatable.is_some()
    }

    /// The version as written (`001`).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The numeric parts, as written (trailing zeros kept).
    pub fn parts(&self) -> &[u64] {
        &self.parts
    }

    /// The canonical spelling, equal for equal versions: parts without leading zeros and
    /// without trailing zero parts, joined by `.` (`001` → `1`, `1.10.0` → `1.10`, `0` → `0`).
    /// This is the key of the tracking table; a repeatable migration's is `R:name`.
    pub fn key(&self) -> String {
        if let Some(name) = &self.repeatable {
            return format!("R:{name}");
        }
        let significant = self.significant();
        if significant.is_empty() {
            return "0".to_owned();
        }
        significant
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(".")
    }

    fn significant(&self) -> &[u64] {
        let end = self
            .parts
            .iter()
            .rposition(|&p| p != 0)
            .map_or(0, |i| i + 1);
        &self.parts[..end]
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.repeatable == other.repeatable && self.significant() == other.significant()
    }
}

impl Eq for Version {}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        match (&self.repeatable, &other.repeatable) {
            (None, None) => self.significant().cmp(other.significant()),
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(a), Some(b)) => a.cmp(b),
        }
    }
}

impl std::hash::Hash for Version {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.repeatable.hash(state);
        self.significant().hash(state);
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn compares_numerically_not_as_strings() {
        assert!(v("1.9") < v("1.10"));
        assert!(v("9") < v("10"));
        assert!(v("009") < v("010"));
        assert!(v("2") > v("1.999"));
        assert!(v("20240101120000") > v("999"));
    }

    #[test]
    fn equal_spellings_are_equal() {
        assert_eq!(v("1"), v("001"));
        assert_eq!(v("1"), v("1.0"));
        assert_eq!(v("1.0.0").key(), "1");
        assert_eq!(v("001").key(), "1");
        assert_eq!(v("000").key(), "0");
        assert_eq!(v("1.10").key(), "1.10");
        assert_eq!(v("001").as_str(), "001");
    }

    #[test]
    fn flyway_separators() {
        let a = Version::parse_with("1_9", &['.', '_']).unwrap();
        let b = Version::parse_with("1_10", &['.', '_']).unwrap();
        assert!(a < b);
        assert_eq!(b.key(), "1.10");
    }

    #[test]
    fn other_tools_spellings() {
        assert_eq!(v("1_10"), v("1.10"));
        assert_eq!(v("2019-02-26-002946").parts(), [2019, 2, 26, 2946]);
        assert_eq!(v("2019-02-26-002946").as_str(), "2019-02-26-002946");
    }

    #[test]
    fn repeatables_sort_after_numbers_by_name() {
        let a = Version::repeatable("a_views");
        let b = Version::repeatable("b_grants");
        assert!(v("99999999999999") < a);
        assert!(a < b);
        assert_ne!(a, v("0"));
        assert_eq!(a, Version::repeatable("a_views"));
        assert_eq!(a.key(), "R:a_views");
        assert_eq!(a.as_str(), "R");
    }

    #[test]
    fn rejects_non_numbers() {
        assert_eq!(Version::parse(""), Err(VersionError::Empty));
        assert!(matches!(
            Version::parse("1a"),
            Err(VersionError::NotNumeric(_))
        ));
        assert!(matches!(
            Version::parse("1..2"),
            Err(VersionError::NotNumeric(_))
        ));
        assert!(matches!(
            Version::parse("99999999999999999999999"),
            Err(VersionError::TooLarge(_))
        ));
    }
}
