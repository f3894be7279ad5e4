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
    static NEXT: AtomicU32 = AtomicU32::new(1);
    let name = format!(
        "t_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let mut admin = cluster().admin_client();
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap_or_else(|e| panic!("CREATE DATABASE {name} failed: {e}"));
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
        if let Ok(mut admin) = cluster().config("postgres").connect(postgres::NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// pg_dump of the server's own installation (same major), else the one on `PATH`.
fn pg_dump() -> PathBuf {
    let own = cluster().bins().tool("pg_dump");
    if own.is_file() {
        own
    } else {
        PathBuf::from("pg_dump")
    }
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
    fn dump_noise_is_removed() {
        let dump = "--\n-- PostgreSQL database dump\n--\n\\restrict abc\n\nSET statement_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', false);\n\nCREATE TABLE public.t (\n    id integer\n);\n\n\\unrestrict abc\n";
        assert_eq!(
            clean_dump(dump),
            "CREATE TABLE public.t (\n    id integer\n);\n"
        );
    }
}
