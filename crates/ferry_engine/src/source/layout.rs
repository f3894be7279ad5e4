//! Which tool's folder layout a migrations folder follows, read as it is (no renaming).
//!
//! | layout | files |
//! |---|---|
//! | `native` | `NNN_name.sql`, `NNN_name.down.sql`, `NNN_name.verify.sql`, `-- ferry:no-transaction` |
//! | `golang-migrate` | `N_name.up.sql`, `N_name.down.sql` |
//! | `sqlx` | the same, or a single `N_name.sql` (irreversible); `-- no-transaction` first line |
//! | `dbmate` | `N_name.sql` with `-- migrate:up [transaction:false]` and `-- migrate:down` sections |
//! | `flyway` | `V<version>__name.sql`, undo `U<version>__name.sql`, repeatable `R__name.sql`, `<script>.sql.conf` with `executeInTransaction=false`, in subfolders too |
//! | `diesel` | folders `<version>_name/` with `up.sql`, `down.sql`, `metadata.toml` (`run_in_transaction = false`) |
//!
//! Detection, when ferry.toml does not name a layout (`layout = "flyway"`):
//! - a `V1__x.sql` / `U1__x.sql` / `R__x.sql` / `*.sql.conf` file, or such a file in a
//!   subfolder: Flyway;
//! - a subfolder whose name starts with a digit and that holds `up.sql` or `down.sql`: diesel;
//! - `N_name.up.sql`: golang-migrate, or sqlx when a file starts with sqlx's
//!   `-- no-transaction` (one reader serves both: golang-migrate has no directive of its own);
//! - `N_name.sql` with a `-- migrate:up` line: dbmate;
//! - other `N_name.sql` files: native, or sqlx when one of them starts with `-- no-transaction`
//!   and nothing is native-only (no `.down.sql` / `.verify.sql` beside them, no dotted version).
//!
//! `NNN_name.down.sql` and `.verify.sql` belong to the migration they sit beside. Files of more
//! than one of these groups in one folder are an error that lists the files of each; an empty
//! folder is native.
//!
//! What each reader does with a `.sql` file its layout has no name for: native reports it (a
//! migration silently skipped is worse than one that does not run); the other readers skip
//! what their tool skips (a `schema.sql` beside golang-migrate, sqlx or dbmate files, a
//! `seed.sql` in a Flyway folder, files beside diesel's folders) and report what looks like a
//! misnamed migration (`1_x.sql` among golang-migrate files, `V1_init.sql` in a Flyway folder).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::Serialize;

use super::{SourceError, dbmate, diesel, flyway, native, numbered};

/// A migration folder layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// ferry's own.
    #[default]
    Native,
    GolangMigrate,
    Sqlx,
    Dbmate,
    Flyway,
    Diesel,
}

impl Layout {
    /// Every layout, in the order messages list them.
    pub const ALL: [Layout; 6] = [
        Layout::Native,
        Layout::GolangMigrate,
        Layout::Sqlx,
        Layout::Dbmate,
        Layout::Flyway,
        Layout::Diesel,
    ];

    /// The name used in ferry.toml and in output: `native`, `golang-migrate`, `sqlx`,
    /// `dbmate`, `flyway`, `diesel`.
    pub fn name(self) -> &'static str {
        match self {
            Layout::Native => "native",
            Layout::GolangMigrate => "golang-migrate",
            Layout::Sqlx => "sqlx",
            Layout::Dbmate => "dbmate",
            Layout::Flyway => "flyway",
            Layout::Diesel => "diesel",
        }
    }

    /// The layout of this name (exactly as [`Layout::name`] spells it).
    pub fn from_name(name: &str) -> Option<Layout> {
        Layout::ALL.into_iter().find(|l| l.name() == name)
    }

    fn names() -> String {
        Layout::ALL.map(Layout::name).join(", ")
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a string is not a layout name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown layout `{0}`; expected one of {names}", names = Layout::names())]
pub struct UnknownLayout(pub String);

impl FromStr for Layout {
    type Err = UnknownLayout;

    fn from_str(s: &str) -> Result<Layout, UnknownLayout> {
        Layout::from_name(s).ok_or_else(|| UnknownLayout(s.to_owned()))
    }
}

impl<'de> serde::Deserialize<'de> for Layout {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Layout, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The entries of a migrations folder, with the files already read (detection reads some
/// files' contents; the reader then takes them instead of reading them again).
pub(crate) struct Scan {
    pub dir: PathBuf,
    /// Regular files directly in the folder, sorted.
    pub files: Vec<PathBuf>,
    /// Folders directly in the folder, sorted; hidden ones (`.git`) left out.
    pub dirs: Vec<PathBuf>,
    cache: HashMap<PathBuf, Vec<u8>>,
}

impl Scan {
    pub fn new(dir: &Path) -> Result<Scan, SourceError> {
        let (files, dirs) = match list(dir) {
            Err(SourceError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                return Err(SourceError::MissingDir {
                    path: dir.to_owned(),
                });
            }
            other => other?,
        };
        Ok(Scan {
            dir: dir.to_owned(),
            files,
            dirs,
            cache: HashMap::new(),
        })
    }

    /// The contents of `path`, read once.
    pub fn read(&mut self, path: &Path) -> Result<Vec<u8>, SourceError> {
        match self.cache.remove(path) {
            Some(bytes) => Ok(bytes),
            None => super::read_bytes(path),
        }
    }

    /// The contents of `path`, kept for [`Scan::read`].
    fn peek(&mut self, path: &Path) -> Result<&[u8], SourceError> {
        if !self.cache.contains_key(path) {
            let bytes = super::read_bytes(path)?;
            self.cache.insert(path.to_owned(), bytes);
        }
        Ok(&self.cache[path])
    }

    /// `path` relative to the migrations folder, for names and messages.
    pub fn relative(&self, path: &Path) -> PathBuf {
        path.strip_prefix(&self.dir).unwrap_or(path).to_path_buf()
    }
}

/// The regular files and the non-hidden folders directly in `dir`, each sorted.
pub(crate) fn list(dir: &Path) -> Result<(Vec<PathBuf>, Vec<PathBuf>), SourceError> {
    let io = |source| SourceError::Io {
        path: dir.to_owned(),
        source,
    };
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.is_file() {
            files.push(path);
        } else if path.is_dir()
            && !path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        {
            dirs.push(path);
        }
    }
    files.sort();
    dirs.sort();
    Ok((files, dirs))
}

/// The groups of files detection tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Family {
    Plain,
    UpDown,
    Dbmate,
    Flyway,
    Diesel,
}

impl Family {
    fn label(self) -> &'static str {
        match self {
            Family::Plain => "native",
            Family::UpDown => "golang-migrate/sqlx",
            Family::Dbmate => "dbmate",
            Family::Flyway => "flyway",
            Family::Diesel => "diesel",
        }
    }
}

/// Detects the layout of the scanned folder (rules in the module documentation).
pub(crate) fn detect(scan: &mut Scan) -> Result<Layout, SourceError> {
    let mut families: BTreeMap<Family, Vec<PathBuf>> = BTreeMap::new();
    // Down and verify scripts join the family of the up script they sit beside.
    let mut companions: Vec<(PathBuf, String, String)> = Vec::new();
    let mut up_family: HashMap<(String, String), Family> = HashMap::new();
    let mut sqlx_directive = (false, false); // (in up/down files, in plain files)
    let mut native_only = false;

    for path in scan.files.clone() {
        let file_name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if flyway::is_flyway_file(&file_name) {
            families.entry(Family::Flyway).or_default().push(path);
            continue;
        }
        if !file_name.ends_with(".sql") {
            continue;
        }
        if let Some(parts) = numbered::parse_name(&file_name) {
            let key = (parts.version.to_owned(), parts.name.to_owned());
            match parts.kind {
                numbered::Kind::Up => {
                    if numbered::has_sqlx_directive(scan.peek(&path)?) {
                        sqlx_directive.0 = true;
                    }
                    up_family.insert(key, Family::UpDown);
                    families.entry(Family::UpDown).or_default().push(path);
                }
                numbered::Kind::Plain => {
                    let bytes = scan.peek(&path)?;
                    let family = if dbmate::has_up_marker(bytes) {
                        Family::Dbmate
                    } else {
                        if numbered::has_sqlx_directive(bytes) {
                            sqlx_directive.1 = true;
                        }
                        Family::Plain
                    };
                    up_family.insert(key, family);
                    families.entry(family).or_default().push(path);
                }
                numbered::Kind::Down | numbered::Kind::Verify => {
                    companions.push((path, key.0, key.1));
                }
            }
            continue;
        }
        if let Some(parts) = native::parse_name(&file_name) {
            // A dotted version (`1.2_x.sql`): only ferry's own layout has those.
            native_only = true;
            let key = (parts.version.to_owned(), parts.name.to_owned());
            if parts.kind == native::ScriptKind::Up {
                up_family.insert(key, Family::Plain);
                families.entry(Family::Plain).or_default().push(path);
            } else {
                companions.push((path, key.0, key.1));
            }
        }
        // Any other `.sql` file is reported by the reader of the detected layout.
    }
    for (path, version, name) in companions {
        let family = match up_family.get(&(version, name)) {
            Some(Family::UpDown) => Family::UpDown,
            Some(_) => {
                native_only = true;
                Family::Plain
            }
            // An orphan: the reader reports it, in whichever layout has one-file-per-script.
            None if families.contains_key(&Family::UpDown)
                && !families.contains_key(&Family::Plain) =>
            {
                Family::UpDown
            }
            None => Family::Plain,
        };
        families.entry(family).or_default().push(path);
    }
    for dir in scan.dirs.clone() {
        if diesel::is_migration_dir(&dir) {
            families.entry(Family::Diesel).or_default().push(dir);
        } else {
            let found = flyway::files_below(&dir)?;
            if !found.is_empty() {
                families.entry(Family::Flyway).or_default().extend(found);
            }
        }
    }

    if families.len() > 1 {
        return Err(SourceError::MixedLayouts {
            dir: scan.dir.clone(),
            layouts: families
                .into_iter()
                .map(|(family, mut files)| {
                    files.sort();
                    let files = files.iter().map(|f| scan.relative(f)).collect();
                    (family.label().to_owned(), files)
                })
                .collect(),
        });
    }
    Ok(match families.keys().next() {
        None | Some(Family::Plain) if sqlx_directive.1 && !native_only => Layout::Sqlx,
        None | Some(Family::Plain) => Layout::Native,
        Some(Family::UpDown) if sqlx_directive.0 => Layout::Sqlx,
        Some(Family::UpDown) => Layout::GolangMigrate,
        Some(Family::Dbmate) => Layout::Dbmate,
        Some(Family::Flyway) => Layout::Flyway,
        Some(Family::Diesel) => Layout::Diesel,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn detected(files: &[(&str, &str)]) -> Result<Layout, SourceError> {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            write(dir.path(), name, text);
        }
        let mut scan = Scan::new(dir.path()).unwrap();
        detect(&mut scan)
    }

    #[test]
    fn names_round_trip() {
        for layout in Layout::ALL {
            assert_eq!(layout.name().parse::<Layout>(), Ok(layout));
        }
        let err = "flyaway".parse::<Layout>().unwrap_err().to_string();
        assert!(err.contains("`flyaway`"), "{err}");
        assert!(err.contains("golang-migrate"), "{err}");
    }

    #[test]
    fn detects_each_layout() {
        assert_eq!(detected(&[]).unwrap(), Layout::Native);
        assert_eq!(
            detected(&[("001_a.sql", "select 1;"), ("README.md", "x")]).unwrap(),
            Layout::Native
        );
        assert_eq!(
            detected(&[("001_a.sql", "select 1;"), ("001_a.down.sql", "select 1;")]).unwrap(),
            Layout::Native
        );
        assert_eq!(
            detected(&[("1_a.sql", "-- no-transaction\nselect 1;")]).unwrap(),
            Layout::Sqlx
        );
        // Native-only features win over a comment that reads like sqlx's directive.
        assert_eq!(
            detected(&[
                ("1_a.sql", "-- no-transaction\nselect 1;"),
                ("1_a.down.sql", "select 1;")
            ])
            .unwrap(),
            Layout::Native
        );
        assert_eq!(
            detected(&[("1_a.up.sql", "select 1;"), ("1_a.down.sql", "select 1;")]).unwrap(),
            Layout::GolangMigrate
        );
        assert_eq!(
            detected(&[
                ("1_a.up.sql", "select 1;"),
                ("2_b.up.sql", "-- no-transaction\nselect 1;")
            ])
            .unwrap(),
            Layout::Sqlx
        );
        assert_eq!(
            detected(&[(
                "20200101000000_a.sql",
                "-- migrate:up\nselect 1;\n-- migrate:down\n"
            )])
            .unwrap(),
            Layout::Dbmate
        );
        assert_eq!(
            detected(&[("V1__a.sql", "select 1;"), ("R__b.sql", "select 1;")]).unwrap(),
            Layout::Flyway
        );
        assert_eq!(
            detected(&[("release1/V1_1__a.sql", "select 1;")]).unwrap(),
            Layout::Flyway
        );
        assert_eq!(
            detected(&[
                ("2019-02-26-002946_users/up.sql", "select 1;"),
                ("2019-02-26-002946_users/down.sql", "select 1;"),
                (".keep", "")
            ])
            .unwrap(),
            Layout::Diesel
        );
    }

    #[test]
    fn mixed_folder_lists_the_files_of_each_layout() {
        let err = detected(&[
            ("V1__a.sql", "select 1;"),
            ("002_b.up.sql", "select 1;"),
            ("002_b.down.sql", "select 1;"),
        ])
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("golang-migrate/sqlx: 002_b.down.sql, 002_b.up.sql"),
            "{text}"
        );
        assert!(text.contains("flyway: V1__a.sql"), "{text}");
        assert!(text.contains("layout = "), "{text}");

        let err = detected(&[
            ("001_a.sql", "-- migrate:up\nselect 1;\n"),
            ("002_b.sql", "select 1;"),
        ])
        .unwrap_err()
        .to_string();
        assert!(err.contains("dbmate: 001_a.sql"), "{err}");
        assert!(err.contains("native: 002_b.sql"), "{err}");
    }
}
