//! Finding the PostgreSQL server binaries (`initdb`, `postgres`) and their version.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{ClusterError, describe};

/// The environment variable that names a PostgreSQL bin directory, overriding the search.
pub const FERRY_PG_BIN: &str = "FERRY_PG_BIN";

/// A directory holding the PostgreSQL server binaries, and their version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgBinaries {
    /// The directory holding `initdb`, `postgres` and `pg_ctl`, symlinks resolved.
    pub bin_dir: PathBuf,
    /// The major version: 15 for 15.14.
    pub major: u32,
    /// The version `postgres --version` reports, such as `15.14`.
    pub version: String,
}

impl PgBinaries {
    /// Finds the server binaries, trying in order: `FERRY_PG_BIN`, `pg_config --bindir`,
    /// `initdb` on `PATH`, then the highest `/usr/lib/postgresql/<major>/bin` (Debian,
    /// Ubuntu) or `/usr/pgsql-<major>/bin` (RHEL). A `FERRY_PG_BIN` that does not hold the
    /// binaries is an error rather than skipped: it was set on purpose.
    pub fn find() -> Result<PgBinaries, ClusterError> {
        if let Some(dir) = env::var_os(FERRY_PG_BIN).filter(|v| !v.is_empty()) {
            return PgBinaries::at(Path::new(&dir));
        }
        let mut searched = Vec::new();

        match Command::new("pg_config").arg("--bindir").output() {
            Ok(out) if out.status.success() => {
                let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
                if has_server_binaries(&dir) {
                    return PgBinaries::at(&dir);
                }
                searched.push(format!(
                    "`pg_config --bindir` ({}, no initdb and postgres there)",
                    dir.display()
                ));
            }
            _ => searched.push("`pg_config --bindir` (no pg_config on PATH)".to_owned()),
        }

        if let Some(initdb) = find_on_path("initdb") {
            let resolved = fs::canonicalize(&initdb).unwrap_or(initdb);
            if let Some(dir) = resolved.parent().filter(|d| has_server_binaries(d)) {
                return PgBinaries::at(dir);
            }
        }
        searched.push("initdb on PATH".to_owned());

        for pattern in ["/usr/lib/postgresql", "/usr/pgsql-"] {
            if let Some(dir) = highest_versioned_bin_dir(pattern) {
                return PgBinaries::at(&dir);
            }
        }
        searched.push("/usr/lib/postgresql/*/bin".to_owned());
        searched.push("/usr/pgsql-*/bin".to_owned());
        Err(ClusterError::BinariesNotFound { searched })
    }

    /// The binaries in `dir`, which must hold `initdb` and `postgres`.
    pub fn at(dir: &Path) -> Result<PgBinaries, ClusterError> {
        let bin_dir = fs::canonicalize(dir).map_err(|e| ClusterError::NotABinDir {
            dir: dir.to_path_buf(),
            reason: e.to_string(),
        })?;
        for tool in ["initdb", "postgres"] {
            if !bin_dir.join(tool).is_file() {
                return Err(ClusterError::NotABinDir {
                    dir: dir.to_path_buf(),
                    reason: format!("no {tool} in it"),
                });
            }
        }
        let mut cmd = Command::new(bin_dir.join("postgres"));
        cmd.arg("--version");
        let out = cmd.output().map_err(|e| ClusterError::Spawn {
            command: describe(&cmd),
            source: e,
        })?;
        let text = String::from_utf8_lossy(&out.stdout);
        let (version, major) = parse_version(&text).ok_or_else(|| ClusterError::Version {
            command: describe(&cmd),
            detail: format!("unexpected output {:?}", text.trim()),
        })?;
        Ok(PgBinaries {
            bin_dir,
            major,
            version,
        })
    }

    /// The path of one of the binaries, such as `pg_ctl` or `pg_dump`.
    pub fn tool(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }
}

fn has_server_binaries(dir: &Path) -> bool {
    dir.join("initdb").is_file() && dir.join("postgres").is_file()
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// The `bin` directory of the highest version under `/usr/lib/postgresql/<v>/bin`
/// (`prefix` a directory) or `/usr/pgsql-<v>/bin` (`prefix` ending in `-`).
fn highest_versioned_bin_dir(prefix: &str) -> Option<PathBuf> {
    let (parent, name_prefix) = if prefix.ends_with('-') {
        let p = Path::new(prefix);
        (
            p.parent()?.to_path_buf(),
            p.file_name()?.to_string_lossy().into_owned(),
        )
    } else {
        (PathBuf::from(prefix), String::new())
    };
    let mut best: Option<(Vec<u32>, PathBuf)> = None;
    for entry in fs::read_dir(&parent).ok()?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(version) = name.strip_prefix(&name_prefix) else {
            continue;
        };
        let Some(key) = version_key(version) else {
            continue;
        };
        let bin = entry.path().join("bin");
        if has_server_binaries(&bin) && best.as_ref().is_none_or(|(k, _)| key > *k) {
            best = Some((key, bin));
        }
    }
    best.map(|(_, dir)| dir)
}

/// `"15"` → `[15]`, `"9.6"` → `[9, 6]`; `None` for names that are not versions.
fn version_key(s: &str) -> Option<Vec<u32>> {
    s.split('.').map(|p| p.parse().ok()).collect()
}

/// Parses `postgres (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)` into `("15.14", 15)`.
/// Development versions (`17devel`, `16beta2`, `18rc1`) keep their suffix in the version.
/// Before PostgreSQL 10 the major was two numbers (9.6); its first number is returned.
pub(crate) fn parse_version(output: &str) -> Option<(String, u32)> {
    let line = output.lines().next()?.trim();
    let rest = line
        .split_once("(PostgreSQL)")
        .map(|(_, r)| r)
        .unwrap_or(line);
    let version = rest.split_whitespace().next()?;
    let digits: String = version.chars().take_while(|c| c.is_ascii_digit()).collect();
    let major = digits.parse().ok()?;
    Some((version.to_owned(), major))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions() {
        assert_eq!(
            parse_version("postgres (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)\n"),
            Some(("15.14".to_owned(), 15))
        );
        assert_eq!(
            parse_version("postgres (PostgreSQL) 17devel"),
            Some(("17devel".to_owned(), 17))
        );
        assert_eq!(
            parse_version("postgres (PostgreSQL) 9.6.24"),
            Some(("9.6.24".to_owned(), 9))
        );
        assert_eq!(
            parse_version("postgres (PostgreSQL) 16beta2").unwrap().1,
            16
        );
        assert_eq!(parse_version(""), None);
        assert_eq!(parse_version("postgres (PostgreSQL) banana"), None);
    }

    #[test]
    fn version_keys_order_numerically() {
        assert!(version_key("15").unwrap() > version_key("9.6").unwrap());
        assert!(version_key("16").unwrap() > version_key("15").unwrap());
        assert_eq!(version_key("common"), None);
    }

    #[test]
    fn finds_the_machine_binaries() {
        // This machine has PostgreSQL installed (the test suite needs it anyway).
        let bins = PgBinaries::find().expect("PostgreSQL server binaries");
        assert!(bins.bin_dir.join("initdb").is_file());
        assert!(bins.major >= 10, "{bins:?}");
        assert!(bins.version.starts_with(&bins.major.to_string()));
        assert_eq!(PgBinaries::at(&bins.bin_dir).unwrap(), bins);
    }

    #[test]
    fn a_wrong_dir_says_what_is_missing() {
        let tmp = tempfile::tempdir().unwrap();
        let err = PgBinaries::at(tmp.path()).unwrap_err().to_string();
        assert!(err.contains("no initdb in it"), "{err}");
        assert!(err.contains("FERRY_PG_BIN"), "{err}");
    }
}
