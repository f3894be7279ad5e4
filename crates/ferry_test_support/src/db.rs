//! A fresh database per test.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use postgres::SimpleQueryMessage;

use crate::cluster::cluster;

/// A database of its own on the shared server, dropped (`WITH (FORCE)`) on drop.
#[derive(Debug)]
pub struct TestDb {
    name: String,
}

/// Creates an empty database `t_<pid>_<n>` (a copy of `template1`) on the shared server.
///
/// # Panics
/// If the server cannot be started or the database cannot be created.
pub fn fresh_db() -> TestDb {
    create_db("")
}

/// Creates a database that is a copy of `template` (schema and data). Nothing may be
/// connected to `template` meanwhile.
///
/// # Panics
/// If the database cannot be created.
pub fn copy_of(template: &TestDb) -> TestDb {
    create_db(&format!(" TEMPLATE {}", template.name))
}

fn create_db(options: &str) -> TestDb {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    let name = format!(
        "t_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let mut admin = cluster().admin_client();
    admin
        .batch_execute(&format!("CREATE DATABASE {name}{options}"))
        .unwrap_or_else(|e| panic!("CREATE DATABASE {name}{options} failed: {e}"));
    TestDb { name }
}

impl TestDb {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A socket URL for this database, as `postgres` without a password.
    pub fn url(&self) -> String {
        cluster().url(&self.name)
    }

    /// A TCP URL (127.0.0.1) as [`crate::PASSWORD_ROLE`] with [`crate::PASSWORD`].
    pub fn tcp_url_with_password(&self) -> String {
        cluster().tcp_url_with_password(&self.name)
    }

    /// A driver configuration over the socket, as `postgres` without a password.
    pub fn config(&self) -> postgres::Config {
        cluster().config(&self.name)
    }

    /// A new connection.
    pub fn client(&self) -> postgres::Client {
        self.config()
            .connect(postgres::NoTls)
            .unwrap_or_else(|e| panic!("could not connect to {}: {e}", self.name))
    }

    /// Runs `sql` (one or more statements, simple query protocol); panics on error.
    pub fn execute(&self, sql: &str) {
        self.client()
            .batch_execute(sql)
            .unwrap_or_else(|e| panic!("{sql}\nfailed: {e}"));
    }

    /// The rows `sql` returns, every value as text (`None` for NULL), through the simple
    /// query protocol. With several statements, the rows of all of them in order.
    pub fn query_strings(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        let messages = self
            .client()
            .simple_query(sql)
            .unwrap_or_else(|e| panic!("{sql}\nfailed: {e}"));
        messages
            .into_iter()
            .filter_map(|m| match m {
                SimpleQueryMessage::Row(row) => Some(
                    (0..row.len())
                        .map(|i| row.get(i).map(str::to_owned))
                        .collect(),
                ),
                _ => None,
            })
            .collect()
    }

    /// The tables (ordinary and partitioned) outside the system schemas, as
    /// `schema.table`, sorted.
    pub fn table_names(&self) -> Vec<String> {
        self.query_strings(
            "SELECT n.nspname || '.' || c.relname FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'p') \
               AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
               AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%' \
             ORDER BY 1",
        )
        .into_iter()
        .filter_map(|mut row| row.pop().flatten())
        .collect()
    }

    /// The schema as `pg_dump --schema-only --no-owner --no-privileges` prints it, without
    /// `exclude_schema` (`""`: exclude nothing), and without what varies between runs or
    /// carries no schema: comments, blank lines, the `SET`/`set_config` preamble and the
    /// `\restrict` guard lines of newer pg_dump releases. For comparing two databases.
    pub fn schema_dump(&self, exclude_schema: &str) -> String {
        let c = cluster();
        let mut cmd = Command::new(pg_dump());
        cmd.args(["--schema-only", "--no-owner", "--no-privileges"]);
        if !exclude_schema.is_empty() {
            cmd.arg(format!("--exclude-schema={exclude_schema}"));
        }
        cmd.arg("-h")
            .arg(c.socket_dir())
            .arg("-p")
            .arg(c.port().to_string())
            .args(["-U", "postgres", "-d", &self.name]);
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("could not run pg_dump: {e}"));
        assert!(
            out.status.success(),
            "pg_dump failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        clean_dump(&String::from_utf8_lossy(&out.stdout))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Ok(mut admin) = cluster().config("postgres").connect(postgres::NoTls) else {
            return;
        };
        let name = &self.name;
        if cluster().major() >= 13 {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            return;
        }
        // Before PostgreSQL 13 there is no `WITH (FORCE)`: end the sessions, and retry
        // while they are still on their way out. (Two calls: one simple query holding both
        // would be one transaction, where DROP DATABASE cannot run.)
        for _ in 0..50 {
            let _ = admin.batch_execute(&format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
            ));
            if admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
                .is_ok()
            {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

/// pg_dump of the server's own installation (same major), else the one on `PATH` if it is
/// as new as the server (pg_dump refuses newer servers).
///
/// # Panics
/// If neither is there: the test needs a pg_dump the server binaries in use do not have
/// (the PostgreSQL majors `FERRY_TEST_PG_BIN` points at ship no client tools).
fn pg_dump() -> PathBuf {
    let bins = cluster().bins();
    let own = bins.tool("pg_dump");
    if own.is_file() {
        return own;
    }
    let on_path = Command::new("pg_dump").arg("--version").output().ok();
    let path_major = on_path
        .as_ref()
        .filter(|out| out.status.success())
        .and_then(|out| major_of(&String::from_utf8_lossy(&out.stdout)));
    match path_major {
        Some(major) if major >= bins.major => PathBuf::from("pg_dump"),
        _ => panic!(
            "this test needs pg_dump {} or newer: {} has none and the pg_dump on PATH is {}; \
             compare schemas with ferry_schema's model instead, or run the test without \
             FERRY_TEST_PG_BIN",
            bins.major,
            bins.bin_dir.display(),
            path_major.map_or_else(|| "missing".to_owned(), |m| format!("version {m}")),
        ),
    }
}

/// `pg_dump (PostgreSQL) 15.14 (Debian …)` → 15.
fn major_of(version_output: &str) -> Option<u32> {
    let (_, rest) = version_output.split_once("(PostgreSQL)")?;
    let digits: String = rest
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

fn clean_dump(dump: &str) -> String {
    let mut out = String::new();
    for line in dump.lines() {
        let trimmed = line.trim();
        let skip = trimmed.is_empty()
            || trimmed.starts_with("--")
            || trimmed.starts_with("\\restrict")
            || trimmed.starts_with("\\unrestrict")
            || line.starts_with("SET ")
            || line.starts_with("SELECT pg_catalog.set_config(");
        if !skip {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pg_dump_majors_are_read() {
        assert_eq!(
            major_of("pg_dump (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)\n"),
            Some(15)
        );
        assert_eq!(major_of("pg_dump (PostgreSQL) 18beta1"), Some(18));
        assert_eq!(major_of("something else"), None);
    }

    #[test]
    fn dump_noise_is_removed() {
        let dump = "--\n-- PostgreSQL database dump\n--\n\\restrict abc\n\nSET statement_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', false);\n\nCREATE TABLE public.t (\n    id integer\n);\n\n\\unrestrict abc\n";
        assert_eq!(
            clean_dump(dump),
            "CREATE TABLE public.t (\n    id integer\n);\n"
        );
    }
}
