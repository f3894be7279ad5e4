//! Temporary project directories.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use ferry_engine::pg::LocalCluster;

/// A temporary project directory, deleted on drop. If something started the project's
/// local PostgreSQL (`.ferry/postgres.toml` exists), drop destroys that cluster too, so a
/// test that runs ferry without a database leaves no server behind.
#[derive(Debug)]
pub struct TestProject {
    dir: tempfile::TempDir,
}

impl TestProject {
    /// An empty project directory. It is made world-searchable (0755) so that, as root, the
    /// `postgres` OS user can reach a local cluster inside it.
    pub fn new() -> TestProject {
        let dir = tempfile::Builder::new()
            .prefix("ferry-project-")
            .tempdir()
            .expect("create a temporary project directory");
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755))
            .expect("open up the temporary project directory");
        TestProject { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `<project>/migrations`.
    pub fn migrations_dir(&self) -> PathBuf {
        self.path().join("migrations")
    }

    /// Writes `contents` to `rel_path` inside the project, creating directories; returns
    /// the full path.
    pub fn write(&self, rel_path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path().join(rel_path);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .unwrap_or_else(|e| panic!("create {}: {e}", parent.display()));
        }
        fs::write(&path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        path
    }

    /// Writes `migrations/<file_name>`; returns the full path.
    pub fn write_migration(&self, file_name: &str, sql: &str) -> PathBuf {
        self.write(Path::new("migrations").join(file_name), sql)
    }
}

impl Default for TestProject {
    fn default() -> Self {
        TestProject::new()
    }
}

impl Drop for TestProject {
    fn drop(&mut self) {
        if self.path().join(".ferry/postgres.toml").exists() {
            let _ = LocalCluster::for_project(self.path()).destroy();
        }
    }
}
