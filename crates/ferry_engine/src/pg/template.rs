//! A cached, initialised data directory per machine, PostgreSQL installation and server
//! user, copied instead of running `initdb` for every new cluster.
//!
//! `initdb` takes ≈0.8 s; `cp -a` of its result ≈0.07 s. The template lives in
//! `/var/tmp/ferry/template-<major>-<hash>` ([`super::machine_dir`]) where the hash covers
//! the bin directory and the server's uid. It is built once under a file lock into a
//! temporary name and renamed into place, so a directory with the final name is always
//! complete and concurrent first users wait rather than race. It is never started.

use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{
    Cluster, ClusterError, InitOptions, PgBinaries, describe, hash_hex, machine_dir, server_uid,
    server_user,
};

/// The template data directory for one PostgreSQL installation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// The initialised data directory to copy.
    pub path: PathBuf,
    /// Whether this call ran `initdb` to create it (false: it was cached).
    pub created: bool,
}

impl Template {
    /// Where the template for `bins` lives (whether or not it exists yet).
    pub fn path_for(bins: &PgBinaries) -> Result<PathBuf, ClusterError> {
        let uid = server_uid(server_user()?.as_ref());
        let mut key = bins.bin_dir.as_os_str().as_encoded_bytes().to_vec();
        key.extend_from_slice(format!("\0{uid}").as_bytes());
        Ok(machine_dir()?.join(format!("template-{}-{}", bins.major, hash_hex(&key, 12))))
    }

    /// The template for `bins`, created with `initdb` if it does not exist yet.
    pub fn ensure(bins: &PgBinaries) -> Result<Template, ClusterError> {
        let path = Template::path_for(bins)?;
        let uid = server_uid(server_user()?.as_ref());
        if is_valid(&path, uid) {
            return Ok(Template {
                path,
                created: false,
            });
        }
        let lock_path = PathBuf::from(format!("{}.lock", path.display()));
        let lock = open_lock(&lock_path)?;
        lock.lock()
            .map_err(|e| ClusterError::io("lock", &lock_path, e))?;
        // Someone else may have built it while we waited.
        if is_valid(&path, uid) {
            return Ok(Template {
                path,
                created: false,
            });
        }
        // Under the lock nobody else builds this template: any leftover is from a crash.
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        if let (Some(parent), Some(name)) = (path.parent(), name) {
            for entry in fs::read_dir(parent).into_iter().flatten().flatten() {
                let entry_name = entry.file_name().to_string_lossy().into_owned();
                if entry_name.starts_with(&format!("{name}.tmp-")) {
                    let _ = fs::remove_dir_all(entry.path());
                }
            }
        }
        if fs::symlink_metadata(&path).is_ok() {
            // Incomplete or not ours: PostgreSQL would run its configuration, so never reuse it.
            fs::remove_dir_all(&path)
                .or_else(|_| fs::remove_file(&path))
                .map_err(|e| ClusterError::io("remove the unusable template", &path, e))?;
        }
        let tmp = PathBuf::from(format!("{}.tmp-{}", path.display(), std::process::id()));
        Cluster::init(bins.clone(), &tmp, &InitOptions::default())?;
        fs::rename(&tmp, &path).map_err(|e| ClusterError::io("rename the template", &tmp, e))?;
        Ok(Template {
            path,
            created: true,
        })
    }

    /// Copies the template to `dest` (which must not exist) with `cp -a`, keeping owners
    /// and modes, so `dest` is a ready data directory for the same server user.
    pub fn copy_to(&self, dest: &Path) -> Result<(), ClusterError> {
        let mut cmd = Command::new("cp");
        cmd.arg("-a").arg(&self.path).arg(dest);
        let out = cmd.output().map_err(|e| ClusterError::Spawn {
            command: describe(&cmd),
            source: e,
        })?;
        if !out.status.success() {
            return Err(ClusterError::io(
                "copy the template data directory to",
                dest,
                std::io::Error::other(format!(
                    "`{}` failed: {}",
                    describe(&cmd),
                    String::from_utf8_lossy(&out.stderr).trim()
                )),
            ));
        }
        Ok(())
    }
}

/// A complete template owned by the server's uid (a directory someone else made under the
/// shared name is never used: PostgreSQL would run whatever its configuration says).
fn is_valid(path: &Path, uid: u32) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.is_dir() && m.uid() == uid)
        && path.join("PG_VERSION").is_file()
        && path.join("global/pg_control").is_file()
}

/// Opens (creating) a lock file; read-only if another user created it (flock needs no write).
pub(crate) fn open_lock(path: &Path) -> Result<File, ClusterError> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .or_else(|_| File::open(path))
        .map_err(|e| ClusterError::io("open the lock file", path, e))
}
