//! `up --backup` and `ferry restore`: a restore gives back the schema and data of before a
//! failed or unwanted change, objects the change created included.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use ferry_test_support::{PASSWORD, TestDb, TestProject, fresh_db};

use super::{Run, ferry, ferry_cmd, log_files, schema, tracked};

const USERS: &str = "create table users (id serial primary key, name text not null, email text);
insert into users (name, email) values ('ada', 'ada@example.com'), ('bob', 'bob@example.com'), ('cy', null);
";

const ORDERS: &str = "create extension hstore;
create table orders (id int primary key, user_id int not null references users, total numeric(10,2), meta hstore);
insert into orders values (1, 1, 5.00, 'a=>1'), (2, 1, 25.50, null), (3, 2, 99.99, 'b=>2');
create view big_orders as select * from orders where total > 10;
";

/// Changes schema and data: drops a column, deletes rows, adds tables, a schema, a function
/// and an extension.
const UNWANTED: &str = "alter table users drop column email;
create extension citext;
create table tags (tag citext);
delete from orders where total < 50;
update users set name = upper(name);
create table audit (id int primary key, what text);
insert into audit values (1, 'x');
create schema reporting;
create table reporting.daily (day date);
create function public.answer() returns int language sql as 'select 42';
";

/// Every row of the project's tables, for before/after comparisons.
fn data(db: &TestDb) -> Vec<Vec<Option<String>>> {
    db.query_strings(
        "select 'users', id, to_jsonb(u)::text from users u
         union all select 'orders', id, to_jsonb(o)::text from orders o
         order by 1, 2",
    )
}

/// The path after "backup written to " on stderr.
fn backup_path(run: &Run) -> PathBuf {
    let line = run
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("backup written to "))
        .unwrap_or_else(|| panic!("no backup line on stderr:\n{}", run.stderr));
    let (path, size) = line.rsplit_once(" (").expect("a size");
    assert!(size.ends_with(')'), "{line}");
    PathBuf::from(path)
}

fn backups(project: &TestProject) -> Vec<PathBuf> {
    let dir = project.path().join(".ferry/backups");
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "dump"))
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

fn restore(project: &TestProject, db: &TestDb, file: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["restore", file.to_str().unwrap()];
    args.extend_from_slice(extra);
    ferry(project, db, &args)
}

fn pending(project: &TestProject, db: &TestDb) -> Vec<String> {
    let status = ferry(project, db, &["status", "--json"]).json();
    status["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["state"] == "pending")
        .map(|m| m["version"].as_str().unwrap().to_owned())
        .collect()
}

/// Two applied migrations with data: what every test starts from.
fn applied_project(db: &TestDb) -> TestProject {
    let project = TestProject::new();
    project.write_migration("001_users.sql", USERS);
    project.write_migration("002_orders.sql", ORDERS);
    ferry(&project, db, &["up"]).assert_code(0);
    project
}

#[test]
fn backup_then_restore_gives_back_schema_and_data_of_before_an_unwanted_change() {
    let db = fresh_db();
    let project = applied_project(&db);
    let before_schema = schema(&db);
    let before_all = db.schema_dump("");
    let before_data = data(&db);
    let before_tracked = tracked(&db);

    project.write_migration("003_unwanted.sql", UNWANTED);
    let up = ferry(&project, &db, &["up", "--backup"]);
    up.assert_code(0);
    let file = backup_path(&up);
    assert!(file.is_file(), "{}", file.display());
    assert_eq!(backups(&project), vec![file.clone()]);
    assert!(
        file.starts_with(project.path().join(".ferry/backups")),
        "{}",
        file.display()
    );
    let name = file.file_name().unwrap().to_str().unwrap();
    assert!(
        name.starts_with(&format!("{}-", db.name())) && name.ends_with("-before-up.dump"),
        "{name}"
    );
    assert!(up.stdout.contains("applied 1 migration"), "{}", up.stdout);
    // The backup comes before the migration runs.
    let backup_at = up.stderr.find("backup written to").unwrap();
    let apply_at = up.stderr.find("applying 003").unwrap();
    assert!(backup_at < apply_at, "{}", up.stderr);
    assert_ne!(schema(&db), before_schema);
    assert_ne!(data(&db), before_data);

    let run = restore(&project, &db, &file, &["--yes"]);
    run.assert_code(0);
    assert!(run.stdout.contains("restored "), "{}", run.stdout);
    assert!(run.stdout.contains(&file.display().to_string()));

    assert_eq!(schema(&db), before_schema, "the project's schema is back");
    assert_eq!(
        db.schema_dump(""),
        before_all,
        "ferry's tracking schema is back too, and nothing the migration created is left"
    );
    assert_eq!(data(&db), before_data, "the rows are back");
    assert_eq!(tracked(&db), before_tracked);
    assert_eq!(pending(&project, &db), vec!["003"]);
    assert!(
        db.query_strings(
            "select 1 from pg_namespace where nspname = 'reporting'
             union all select 1 from pg_extension where extname = 'citext'"
        )
        .is_empty(),
        "what the change created is gone"
    );
    // The history says what happened.
    let history = ferry(&project, &db, &["history", "--json"]).json();
    let entries = history["entries"].as_array().unwrap();
    assert!(
        entries.iter().any(|e| e["action"] == "restore"),
        "{history}"
    );

    // The sequence continues where it was: a new row does not collide.
    db.execute("insert into users (name) values ('dee')");
    // And the change can be applied again.
    ferry(&project, &db, &["up"]).assert_code(0);
    assert!(pending(&project, &db).is_empty());
}

#[test]
fn backup_before_a_failed_migration_and_restore() {
    let db = fresh_db();
    let project = applied_project(&db);
    let before_schema = schema(&db);
    let before_data = data(&db);
    let before_tracked = tracked(&db);

    // Transactional: the failure rolls back by itself, and the backup is there anyway.
    project.write_migration(
        "003_fails.sql",
        "delete from orders;\nalter table users drop column email;\nselect 1/0;\n",
    );
    let up = ferry(&project, &db, &["up", "--backup", "--json"]);
    up.assert_code(2);
    let json = up.json();
    let file = PathBuf::from(json["backup"].as_str().expect("backup in the JSON report"));
    assert!(file.is_file());
    assert_eq!(schema(&db), before_schema);
    assert_eq!(data(&db), before_data);

    let run = ferry(
        &project,
        &db,
        &["restore", file.to_str().unwrap(), "--yes", "--json"],
    );
    run.assert_code(0);
    let report = run.json();
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["file"], file.to_str().unwrap());
    assert_eq!(report["archive"]["database"], db.name());
    assert_eq!(schema(&db), before_schema);
    assert_eq!(data(&db), before_data);
    assert_eq!(tracked(&db), before_tracked, "the failed row is gone");
    assert_eq!(pending(&project, &db), vec!["003"]);
}

#[test]
fn restore_undoes_a_half_applied_no_transaction_migration() {
    let db = fresh_db();
    let project = applied_project(&db);
    let before_schema = schema(&db);
    let before_data = data(&db);
    let before_tracked = tracked(&db);

    project.write_migration(
        "003_half.sql",
        "-- ferry:no-transaction\ndelete from orders where total < 50;\ncreate table scratch (id int);\nalter table users drop column email;\nselect 1/0;\n",
    );
    let up = ferry(&project, &db, &["up", "--backup"]);
    up.assert_code(2);
    let file = backup_path(&up);
    assert_ne!(schema(&db), before_schema, "the first statements stayed");
    assert_ne!(data(&db), before_data);

    restore(&project, &db, &file, &["-y"]).assert_code(0);
    assert_eq!(schema(&db), before_schema);
    assert_eq!(data(&db), before_data);
    assert_eq!(tracked(&db), before_tracked);
    assert_eq!(pending(&project, &db), vec!["003"]);
}

#[test]
fn restore_needs_confirmation_without_a_terminal() {
    let db = fresh_db();
    let project = applied_project(&db);
    project.write_migration("003_unwanted.sql", UNWANTED);
    let file = backup_path(ferry(&project, &db, &["up", "--backup"]).assert_code(0));
    let after = schema(&db);

    let mut cmd = ferry_cmd(project.path());
    cmd.arg("--database-url")
        .arg(db.url())
        .args(["restore", file.to_str().unwrap()])
        .stdin(Stdio::null());
    let run = Run::from(cmd.output().unwrap());
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("`ferry restore` replaces the schema and data of")
            && run.stderr.contains("refusing without --yes"),
        "{}",
        run.stderr
    );
    assert_eq!(schema(&db), after, "nothing was restored");

    let json = ferry(
        &project,
        &db,
        &["restore", file.to_str().unwrap(), "--json"],
    );
    json.assert_code(2);
    assert_eq!(json.json()["error"]["kind"], "needs_confirmation");

    // A file that is not a backup is refused before the question.
    let junk = project.write("junk.dump", "not an archive");
    let run = ferry(&project, &db, &["restore", junk.to_str().unwrap(), "--yes"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("is not a backup pg_restore"),
        "{}",
        run.stderr
    );
    assert_eq!(schema(&db), after);

    // A truncated backup fails part-way: the restore's one transaction never commits.
    let bytes = std::fs::read(&file).unwrap();
    let cut = project.write("cut.dump", &bytes[..bytes.len() * 3 / 4]);
    let run = ferry(&project, &db, &["restore", cut.to_str().unwrap(), "--yes"]);
    run.assert_code(2);
    assert_eq!(schema(&db), after, "{}", run.stderr);
}

#[test]
fn restore_is_refused_on_a_protected_environment() {
    let db = fresh_db();
    let project = applied_project(&db);
    project.write_migration("003_unwanted.sql", UNWANTED);
    let file = backup_path(ferry(&project, &db, &["up", "--backup"]).assert_code(0));
    project.write(
        "ferry.toml",
        format!(
            "[environments.prod]\nurl = \"{}\"\nprotected = true\n",
            db.url()
        ),
    );
    let mut cmd = ferry_cmd(project.path());
    cmd.args(["--env", "prod", "restore", file.to_str().unwrap(), "--yes"]);
    let run = Run::from(cmd.output().unwrap());
    run.assert_code(2);
    assert!(
        run.stderr.contains("is protected") && run.stderr.contains("ferry restore"),
        "{}",
        run.stderr
    );
    assert!(pending(&project, &db).is_empty());
}

#[test]
fn an_environment_with_backup_true_backs_up_without_the_flag() {
    let db = fresh_db();
    let project = applied_project(&db);
    project.write(
        "ferry.toml",
        format!(
            "[environments.staging]\nurl = \"{}\"\nbackup = true\n",
            db.url()
        ),
    );
    let env_up = |extra: &[&str]| {
        let mut cmd = ferry_cmd(project.path());
        cmd.args(["--env", "staging", "up"]).args(extra);
        Run::from(cmd.output().unwrap())
    };

    // Nothing to apply: no backup.
    env_up(&[]).assert_code(0);
    assert!(backups(&project).is_empty());

    project.write_migration("003_audit.sql", "create table audit (id int);");
    let run = env_up(&[]);
    run.assert_code(0);
    let file = backup_path(&run);
    assert_eq!(backups(&project), vec![file]);
    assert!(
        project.path().join(".ferry/backups/.gitignore").is_file(),
        "backups hold data: never committed"
    );

    project.write_migration("004_more.sql", "create table more (id int);");
    let run = env_up(&["--no-backup"]);
    run.assert_code(0);
    assert!(!run.stderr.contains("backup written"), "{}", run.stderr);
    assert_eq!(backups(&project).len(), 1, "--no-backup wins");

    // --backup-dir puts it elsewhere.
    project.write_migration("005_last.sql", "create table last (id int);");
    let elsewhere = project.path().join("elsewhere");
    let run = ferry(
        &project,
        &db,
        &[
            "up",
            "--backup",
            "--backup-dir",
            elsewhere.to_str().unwrap(),
        ],
    );
    run.assert_code(0);
    assert!(backup_path(&run).starts_with(&elsewhere));
}

#[test]
fn no_pg_dump_new_enough_is_an_error_before_anything_runs() {
    let db = fresh_db();
    let project = TestProject::new();
    project.write_migration("001_users.sql", USERS);
    let empty = tempfile::tempdir().unwrap();
    let before = db.schema_dump("");

    let mut cmd = ferry_cmd(project.path());
    cmd.env("FERRY_PG_BIN", empty.path())
        .arg("--database-url")
        .arg(db.url())
        .args(["up", "--backup"]);
    let run = Run::from(cmd.output().unwrap());
    run.assert_code(2);
    assert!(
        run.stderr.contains("no pg_dump of PostgreSQL")
            && run.stderr.contains("found no pg_dump")
            && run.stderr.contains("FERRY_PG_BIN=")
            && run.stderr.contains("install postgresql-client-"),
        "{}",
        run.stderr
    );
    assert_eq!(db.schema_dump(""), before, "not even the tracking tables");

    let mut cmd = ferry_cmd(project.path());
    cmd.env("FERRY_PG_BIN", empty.path())
        .arg("--database-url")
        .arg(db.url())
        .args(["up", "--backup", "--json"]);
    let run = Run::from(cmd.output().unwrap());
    run.assert_code(2);
    assert_eq!(run.json()["error"]["kind"], "backup");
}

#[test]
fn the_password_never_appears_around_a_backup_and_restore() {
    let db = fresh_db();
    let project = TestProject::new();
    project.write_migration("001_users.sql", USERS);
    project.write_migration("002_orders.sql", ORDERS);
    let url = db.tcp_url_with_password();
    let run_with = |args: &[&str]| {
        let mut cmd = ferry_cmd(project.path());
        cmd.arg("--database-url").arg(&url).args(args);
        Run::from(cmd.output().unwrap())
    };
    run_with(&["up", "--to", "1"]).assert_code(0);
    let users = "select to_jsonb(u)::text from users u order by id";
    let before = (db.table_names(), db.query_strings(users));
    let up = run_with(&["up", "--backup"]);
    up.assert_code(0);
    let file = backup_path(&up);
    let restore = run_with(&["restore", file.to_str().unwrap(), "--yes"]);
    restore.assert_code(0);
    assert_eq!((db.table_names(), db.query_strings(users)), before);
    for run in [&up, &restore] {
        assert!(!run.stdout.contains(PASSWORD), "{}", run.stdout);
        assert!(!run.stderr.contains(PASSWORD), "{}", run.stderr);
    }
    let logs = log_files(&project);
    assert!(logs.len() >= 3);
    for log in logs {
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(!text.contains(PASSWORD), "{}:\n{text}", log.display());
    }
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&file).unwrap().permissions());
    assert_eq!(
        mode & 0o077,
        0,
        "only the owner may read a backup: {mode:o}"
    );
}
