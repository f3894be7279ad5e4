//! CLI tests: the real `ferry` binary against a real PostgreSQL (one server per test binary,
//! a fresh database per test; see ferry_test_support). One integration test binary.

mod backup;
mod checks;
mod concurrency;
mod diff;
mod drift;
mod dump;
mod errors;
mod example_checks;
mod examples;
mod generate;
mod layouts;
mod lifecycle;
mod local;
mod no_transaction;
mod realworld;
mod roundtrip;
mod secrets;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ferry_test_support::{TestDb, TestProject};

/// Variables that choose a database: cleared so the machine's environment cannot leak in.
const TARGET_VARS: &[&str] = &[
    "DATABASE_URL",
    "DB_HOST",
    "DB_PORT",
    "DB_NAME",
    "DB_USER",
    "DB_PASSWORD",
    "PGHOST",
    "PGPORT",
    "PGDATABASE",
    "PGUSER",
    "PGPASSWORD",
    "PGPASSFILE",
    "FERRY_ENV",
];

/// The result of one ferry run.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code, code,
            "expected exit {code}, got {}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }
}

pub fn ferry_bin() -> &'static str {
    env!("CARGO_BIN_EXE_ferry")
}

/// A command for `ferry` in `project`, with no target variables from the environment.
pub fn ferry_cmd(project: &Path) -> Command {
    let mut cmd = Command::new(ferry_bin());
    cmd.arg("-C").arg(project).arg("--color").arg("never");
    for var in TARGET_VARS {
        cmd.env_remove(var);
    }
    cmd.env("NO_COLOR", "1");
    cmd
}

/// Runs `ferry ARGS` in `project` with no target flag: the target comes from the project's
/// ferry.toml, or ferry's own local PostgreSQL.
pub fn ferry_in(project: &Path, args: &[&str]) -> Run {
    Run::from(ferry_cmd(project).args(args).output().expect("run ferry"))
}

/// Starts `ferry ARGS` in `project` without waiting, its output captured.
pub fn spawn_ferry(project: &Path, args: &[&str]) -> std::process::Child {
    ferry_cmd(project)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start ferry")
}

/// Runs `ferry --database-url <db> ARGS` in `project`.
pub fn ferry(project: &TestProject, db: &TestDb, args: &[&str]) -> Run {
    let mut cmd = ferry_cmd(project.path());
    cmd.arg("--database-url").arg(db.url()).args(args);
    Run::from(cmd.output().expect("run ferry"))
}

/// `examples/<name>/migrations`, copied into a new project.
pub fn example_project(name: &str) -> TestProject {
    let project = TestProject::new();
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
        .join("migrations");
    for entry in
        std::fs::read_dir(&source).unwrap_or_else(|e| panic!("read {}: {e}", source.display()))
    {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_str().unwrap().to_owned();
        project.write_migration(&file, &std::fs::read_to_string(&path).unwrap());
    }
    project
}

/// The quickstart example's migrations, copied into a new project.
pub fn quickstart_project() -> TestProject {
    example_project("quickstart")
}

/// The schema without ferry's own tracking schema, for before/after comparisons.
pub fn schema(db: &TestDb) -> String {
    db.schema_dump("ferry")
}

/// The tables outside ferry's tracking schema.
pub fn public_tables(db: &TestDb) -> Vec<String> {
    db.table_names()
        .into_iter()
        .filter(|t| !t.starts_with("ferry."))
        .collect()
}

/// Every log file the project's runs wrote.
pub fn log_files(project: &TestProject) -> Vec<PathBuf> {
    let dir = project.path().join(".ferry/logs");
    match std::fs::read_dir(dir) {
        Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

/// Rows of the tracking table: (version, state).
pub fn tracked(db: &TestDb) -> Vec<(String, String)> {
    db.query_strings("select version_text, state from ferry.migrations order by version like 'R:%', case when version not like 'R:%' then string_to_array(version, '.')::numeric[] end, version")
        .into_iter()
        .map(|r| (r[0].clone().unwrap(), r[1].clone().unwrap()))
        .collect()
}
