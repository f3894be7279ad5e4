//! `ferry diff FROM TO` end to end: the script it prints, applied with `psql -1`, turns
//! FROM into TO. For every example, each consecutive pair of migration states in both
//! directions, and empty ↔ full; then sources other than URLs, `--schema` and `--json`.

use std::path::Path;
use std::process::Command;

use ferry_schema::{Catalog, ReadOptions};
use ferry_test_support::{TestDb, TestProject, copy_of, fresh_db};

use super::{example_project, ferry, ferry_in};

/// The model, with columns in name order: a column a diff adds lands at the end.
fn model(db: &TestDb) -> Catalog {
    let mut catalog =
        ferry_schema::read(&mut db.client(), &ReadOptions::default()).expect("read the model");
    for t in &mut catalog.tables {
        t.columns.sort_by(|a, b| a.name.cmp(&b.name));
    }
    catalog
}

/// Runs `sql` with `psql -X -q -1 -v ON_ERROR_STOP=1`, as a person applying the diff would.
fn psql_1(db: &TestDb, sql: &str, dir: &Path) {
    let file = dir.join("change.sql");
    std::fs::write(&file, sql).unwrap();
    let out = Command::new("psql")
        .args(["-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-f"])
        .arg(&file)
        .arg(db.url())
        .output()
        .expect("run psql");
    assert!(
        out.status.success(),
        "psql -1 failed: {}\n{sql}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `ferry diff from to` applied with psql to a copy of `from` reaches `to`'s model, and a
/// second diff finds nothing.
fn assert_diff_reaches(project: &TestProject, from: &TestDb, to: &TestDb, what: &str) {
    let run = ferry(project, from, &["diff", &from.url(), &to.url()]);
    assert!(
        run.code == 0 || run.code == 1,
        "{what}: ferry diff failed\n{}",
        run.stderr
    );
    let target = model(to);
    let copy = copy_of(from);
    psql_1(&copy, &run.stdout, project.path());
    let reached = model(&copy);
    assert!(
        reached == target,
        "{what}: the diff did not reach the target\n{}\n--- reached:\n{}\n--- target:\n{}",
        run.stdout,
        ferry_schema::dump(&reached),
        ferry_schema::dump(&target)
    );
    let again = ferry(project, &copy, &["diff", &copy.url(), &to.url()]);
    assert!(
        again.code == 0,
        "{what}: a second diff is not empty:\n{}",
        again.stdout
    );
}

/// Every state of an example's migrations, and the diffs between them.
fn states_round_trip(example: &str) {
    let project = example_project(example);
    let versions: Vec<String> = {
        let db = fresh_db();
        let status = ferry(&project, &db, &["status", "--json"]).json();
        status["migrations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["version"].as_str().unwrap().to_owned())
            .collect()
    };
    let mut states = vec![fresh_db()];
    for version in &versions {
        let db = fresh_db();
        ferry(&project, &db, &["up", "--to", version]).assert_code(0);
        states.push(db);
    }
    for k in 0..versions.len() {
        let (a, b) = (&states[k], &states[k + 1]);
        assert_diff_reaches(&project, a, b, &format!("{example}: up to {}", versions[k]));
        assert_diff_reaches(
            &project,
            b,
            a,
            &format!("{example}: back from {}", versions[k]),
        );
    }
    let (empty, full) = (&states[0], states.last().unwrap());
    assert_diff_reaches(&project, empty, full, &format!("{example}: empty to full"));
    assert_diff_reaches(&project, full, empty, &format!("{example}: full to empty"));
}

#[test]
fn quickstart_states_round_trip() {
    states_round_trip("quickstart");
}

#[test]
fn mordeaux_states_round_trip() {
    states_round_trip("mordeaux");
}

#[test]
fn s3_storage_states_round_trip() {
    states_round_trip("s3-storage");
}

#[test]
fn pixcrawler_describe_it_and_vertex_ar_states_round_trip() {
    states_round_trip("pixcrawler");
    states_round_trip("describe-it");
    states_round_trip("vertex-ar");
}

#[test]
fn files_and_folders_are_built_on_a_throwaway_database() {
    let project = TestProject::new();
    project.write("ferry.toml", "");
    project.write_migration("001_users.sql", "create table users (id int primary key);");
    project.write_migration("002_email.sql", "alter table users add column email text;");
    project.write(
        "schema/01_tables.sql",
        "create table users (id int primary key, email text not null);\n",
    );
    project.write(
        "schema/02_index.sql",
        "create index users_email on users (email);\n",
    );
    let dir = project.path();
    let run = ferry_in(dir, &["diff", "migrations", "schema"]);
    run.assert_code(1);
    assert!(
        run.stdout
            .contains("ALTER TABLE public.users ALTER COLUMN email SET NOT NULL;"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("CREATE INDEX users_email ON public.users USING btree (email);"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("-- from: the migrations in migrations (built on a throwaway PostgreSQL"),
        "{}",
        run.stdout
    );

    // The same schema both ways: nothing to do, exit 0.
    project.write(
        "same.sql",
        "create table users (id int primary key, email text);\n",
    );
    let run = ferry_in(dir, &["diff", "migrations", "same.sql"]);
    run.assert_code(0);
    assert!(run.stdout.contains("no changes"), "{}", run.stdout);

    // A database against a file.
    let db = fresh_db();
    db.execute("create table users (id int primary key)");
    let run = ferry_in(dir, &["diff", &db.url(), "same.sql", "--json"]);
    run.assert_code(1);
    let json = run.json();
    let changes = json["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{json}");
    assert_eq!(changes[0]["object"], "column public.users.email");
    assert_eq!(changes[0]["action"], "alter");
    assert_eq!(
        changes[0]["sql"],
        "ALTER TABLE public.users ADD COLUMN email text;"
    );
    assert_eq!(json["destructive"], 0);
}

#[test]
fn schema_narrows_the_comparison() {
    let project = TestProject::new();
    project.write("ferry.toml", "");
    project.write(
        "a.sql",
        "create schema app; create table app.t (id int); create table public.x (id int);",
    );
    project.write(
        "b.sql",
        "create schema app; create table app.t (id bigint);",
    );
    let run = ferry_in(
        project.path(),
        &["diff", "a.sql", "b.sql", "--schema", "app"],
    );
    run.assert_code(1);
    assert!(
        run.stdout
            .contains("ALTER TABLE app.t ALTER COLUMN id TYPE bigint;"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("public.x"), "{}", run.stdout);
}

#[test]
fn a_failing_schema_file_is_named_at_its_line_and_column() {
    let project = TestProject::new();
    project.write("ferry.toml", "");
    project.write("good.sql", "create table t (id int);\n");
    project.write(
        "bad.sql",
        "create table t (id int);\n\ncreate index t_x on t (missing);\n",
    );
    let run = ferry_in(project.path(), &["diff", "good.sql", "bad.sql"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("building bad.sql failed"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("bad.sql:3:1"), "{}", run.stderr);
    assert!(
        run.stderr.contains("column \"missing\" does not exist"),
        "{}",
        run.stderr
    );

    let run = ferry_in(project.path(), &["diff", "good.sql", "nowhere.sql"]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("nowhere.sql: not a database URL (postgres://…), a .sql file or a folder"),
        "{}",
        run.stderr
    );
}

#[test]
fn destructive_statements_are_marked() {
    let project = TestProject::new();
    project.write("ferry.toml", "");
    project.write(
        "a.sql",
        "create table t (id int, old text); create table gone (id int);",
    );
    project.write("b.sql", "create table t (id int, new text);");
    let run = ferry_in(project.path(), &["diff", "a.sql", "b.sql"]);
    run.assert_code(1);
    assert!(
        run.stdout.contains(
            "-- DESTRUCTIVE: drops public.gone and every row in them\nDROP TABLE public.gone;"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("-- DESTRUCTIVE: drops column public.t.old"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("3 statement(s), 2 marked DESTRUCTIVE"),
        "{}",
        run.stderr
    );
}
