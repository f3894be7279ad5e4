//! Each bad input gives its clear error and exit code, and leaves the database as it was.

use ferry_test_support::{TestProject, fresh_db};

use super::{Run, ferry, ferry_cmd, schema, tracked};

fn project_with_two() -> TestProject {
    let project = TestProject::new();
    project.write_migration(
        "001_users.sql",
        "create table users (id int primary key, email text);\n",
    );
    project.write_migration("001_users.down.sql", "drop table users;\n");
    project.write_migration(
        "002_posts.sql",
        "create table posts (id int primary key, user_id int references users);\n",
    );
    project.write_migration("002_posts.down.sql", "drop table posts;\n");
    project
}

#[test]
fn duplicate_version_is_refused_naming_both_files() {
    let db = fresh_db();
    let project = project_with_two();
    project.write_migration("2_other.sql", "create table other (id int);");
    let before = schema(&db);
    let run = ferry(&project, &db, &["up"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("version 2 is used by 2 files"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("002_posts.sql") && run.stderr.contains("2_other.sql"));
    assert_eq!(schema(&db), before);
    let json = ferry(&project, &db, &["up", "--json"]);
    json.assert_code(2);
    assert_eq!(json.json()["error"]["kind"], "refused");
}

#[test]
fn changed_applied_file_is_refused_but_a_cosmetic_edit_is_accepted() {
    let db = fresh_db();
    let project = project_with_two();
    ferry(&project, &db, &["up"]).assert_code(0);

    // Re-indent, change keyword case, add a comment, switch to CRLF: cosmetic.
    project.write_migration(
        "001_users.sql",
        "-- the users\r\nCREATE TABLE users (\r\n    id    int PRIMARY KEY,\r\n    email text\r\n);\r\n",
    );
    project.write_migration("003_more.sql", "create table more (id int);");
    let run = ferry(&project, &db, &["up"]);
    run.assert_code(0);
    let status = ferry(&project, &db, &["status", "--json", "--exit-code"]);
    status.assert_code(0);
    let json = status.json();
    assert_eq!(json["migrations"][0]["state"], "changed");
    assert_eq!(json["migrations"][0]["change"], "cosmetic");

    // A changed identifier is a real change.
    project.write_migration(
        "001_users.sql",
        "create table users (id int primary key, mail text);\n",
    );
    project.write_migration("004_again.sql", "create table again (id int);");
    let before = schema(&db);
    let run = ferry(&project, &db, &["up"]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("migration 001 was changed after it was applied"),
        "{}",
        run.stderr
    );
    assert_eq!(schema(&db), before);
    let status = ferry(&project, &db, &["status", "--exit-code"]);
    status.assert_code(1);
    assert!(status.stdout.contains("changed"), "{}", status.stdout);
}

#[test]
fn out_of_order_file_is_refused_unless_allowed() {
    let db = fresh_db();
    let project = TestProject::new();
    project.write_migration("001_a.sql", "create table a (id int);");
    project.write_migration("003_c.sql", "create table c (id int);");
    ferry(&project, &db, &["up"]).assert_code(0);
    project.write_migration("002_b.sql", "create table b (id int);");
    let before = schema(&db);
    let run = ferry(&project, &db, &["up"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("pending migration 002"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--allow-out-of-order"));
    assert_eq!(schema(&db), before);
    ferry(&project, &db, &["up", "--allow-out-of-order"]).assert_code(0);
    assert_eq!(tracked(&db).len(), 3);
}

#[test]
fn missing_file_of_an_applied_migration_is_refused_unless_ignored() {
    let db = fresh_db();
    let project = project_with_two();
    ferry(&project, &db, &["up"]).assert_code(0);
    std::fs::remove_file(project.migrations_dir().join("002_posts.sql")).unwrap();
    std::fs::remove_file(project.migrations_dir().join("002_posts.down.sql")).unwrap();
    project.write_migration("003_c.sql", "create table c (id int);");
    let run = ferry(&project, &db, &["up"]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("migration 002 (posts) is applied but its file is missing"),
        "{}",
        run.stderr
    );
    let status = ferry(&project, &db, &["status", "--json"]).json();
    assert_eq!(status["migrations"][1]["state"], "missing");
    ferry(&project, &db, &["up", "--ignore-missing"]).assert_code(0);
}

#[test]
fn down_without_a_down_script_is_refused() {
    let db = fresh_db();
    let project = project_with_two();
    project.write_migration("003_c.sql", "create table c (id int);");
    ferry(&project, &db, &["up"]).assert_code(0);
    let before = schema(&db);
    let run = ferry(&project, &db, &["down", "--all"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("migration 003 has no down script"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("003_c.down.sql"));
    assert_eq!(schema(&db), before, "nothing reverted before refusing");
    assert_eq!(tracked(&db).len(), 3);
}

#[test]
fn syntax_error_names_its_exact_line_and_column() {
    let db = fresh_db();
    let project = project_with_two();
    project.write_migration(
        "003_bad.sql",
        "-- add a column\ncreate table ok (id int);\n\nalter table users\n    add column nickname text not nul;\n",
    );
    let before = schema(&db);
    let run = ferry(&project, &db, &["up"]);
    run.assert_code(2);
    assert!(run.stderr.contains("003_bad.sql:5:34"), "{}", run.stderr);
    assert!(
        run.stderr.contains("syntax error at or near \"nul\""),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("    add column nickname text not nul;"),
        "the source line is shown"
    );
    assert_eq!(
        schema(&db),
        before,
        "refused before anything ran, 001 and 002 included"
    );
    let json = ferry(&project, &db, &["up", "--json"]).json();
    assert_eq!(json["error"]["problems"][0]["line"], 5);
    assert_eq!(json["error"]["problems"][0]["column"], 34);
}

#[test]
fn multibyte_text_before_a_server_error_keeps_the_column_right() {
    let db = fresh_db();
    let project = TestProject::new();
    // The parser accepts this; the server rejects the unknown column. Its position counts
    // characters: `é` and `✓` are several bytes each.
    project.write_migration(
        "001_x.sql",
        "create table t (id int, note text);\ninsert into t (id, note) values (1, 'é✓'), (2, nonexistent);\n",
    );
    let run = ferry(&project, &db, &["up"]);
    run.assert_code(2);
    assert!(run.stderr.contains("001_x.sql:2:48"), "{}", run.stderr);
    assert!(run.stderr.contains("42703"), "{}", run.stderr);
}

#[test]
fn runtime_error_on_the_third_statement_rolls_back_the_file() {
    let db = fresh_db();
    let project = TestProject::new();
    project.write_migration("001_ok.sql", "create table kept (id int);");
    project.write_migration(
        "002_dup.sql",
        "create table t (id int primary key);\ninsert into t values (1);\n\ninsert into t values (1);\n",
    );
    let run = ferry(&project, &db, &["up", "--json"]);
    run.assert_code(2);
    let json = run.json();
    let failure = &json["failure"];
    assert_eq!(failure["statement"], 3);
    assert_eq!(failure["line"], 4);
    assert_eq!(failure["column"], 1);
    assert_eq!(failure["sqlstate"], "23505");
    assert_eq!(failure["detail"], "Key (id)=(1) already exists.");
    assert_eq!(
        json["ran"][0]["version"], "001",
        "what ran before stays applied"
    );
    assert!(run.stderr.contains("002_dup.sql:4:1"), "{}", run.stderr);
    assert_eq!(
        super::public_tables(&db),
        ["public.kept"],
        "nothing of 002 remains"
    );
    assert_eq!(tracked(&db), [("001".to_owned(), "applied".to_owned())]);
    let status = ferry(&project, &db, &["status", "--json"]).json();
    assert_eq!(
        status["migrations"][1]["state"], "pending",
        "a failed migration is never applied"
    );
}

#[test]
fn error_inside_plpgsql_points_at_the_body_line() {
    let db = fresh_db();
    let project = TestProject::new();
    project.write_migration(
        "001_fn.sql",
        "create function check_it(n int) returns void language plpgsql as $$\nbegin\n  if n > 1 then\n    raise exception 'too big: %', n using hint = 'use 1';\n  end if;\nend\n$$;\n\nselect check_it(5);\n",
    );
    let run = ferry(&project, &db, &["up"]);
    run.assert_code(2);
    assert!(run.stderr.contains("001_fn.sql:4:5"), "{}", run.stderr);
    assert!(run.stderr.contains("too big: 5"));
    assert!(run.stderr.contains("hint: use 1"));
    assert!(
        run.stderr
            .contains("PL/pgSQL function check_it(integer) line 4 at RAISE")
    );
}

#[test]
fn psql_meta_command_is_rejected_before_anything_runs() {
    let db = fresh_db();
    let project = TestProject::new();
    project.write_migration("001_a.sql", "create table a (id int);");
    project.write_migration(
        "002_b.sql",
        "create table b (id int);\n\\connect other\ncreate table c (id int);\n",
    );
    let before = schema(&db);
    let run = ferry(&project, &db, &["up"]);
    run.assert_code(2);
    assert!(run.stderr.contains("002_b.sql:2:1"), "{}", run.stderr);
    assert!(
        run.stderr.contains("psql meta-command `\\connect`"),
        "{}",
        run.stderr
    );
    assert_eq!(schema(&db), before);
}

#[test]
fn non_utf8_file_is_named_with_its_line() {
    let db = fresh_db();
    let project = TestProject::new();
    project.write(
        "migrations/001_a.sql",
        b"create table a (id int);\ninsert into a values ('\xe9');\n".as_slice(),
    );
    let before = schema(&db);
    let run = ferry(&project, &db, &["up"]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("001_a.sql:2:24: file is not valid UTF-8"),
        "{}",
        run.stderr
    );
    assert_eq!(schema(&db), before);
}

#[test]
fn transaction_control_inside_a_transactional_file_is_refused() {
    let db = fresh_db();
    let project = TestProject::new();
    // One outer BEGIN/COMMIT pair is the file's own transaction; savepoints are fine.
    project.write_migration(
        "001_a.sql",
        "BEGIN;\ncreate table a (id int);\nsavepoint s1;\ninsert into a values (1);\nrelease savepoint s1;\nCOMMIT;\n",
    );
    ferry(&project, &db, &["up"]).assert_code(0);
    assert_eq!(
        tracked(&db).len(),
        1,
        "the tracking row was written in the same transaction"
    );
    // A COMMIT in the middle would end ferry's transaction early: refused.
    project.write_migration(
        "002_b.sql",
        "create table b (id int);\ncommit;\ncreate table c (id int);\n",
    );
    let run = ferry(&project, &db, &["up"]);
    run.assert_code(2);
    assert!(run.stderr.contains("002_b.sql:2:1"), "{}", run.stderr);
    assert!(
        run.stderr.contains("ferry commits each migration itself"),
        "{}",
        run.stderr
    );
}

#[test]
fn unreachable_server_is_one_clear_line() {
    let project = TestProject::new();
    project.write_migration("001_a.sql", "select 1;");
    // Nothing listens on port 1.
    let mut cmd = ferry_cmd(project.path());
    let run = Run::from(
        cmd.args([
            "--database-url",
            "postgres://app:pw-not-shown@127.0.0.1:1/app",
            "up",
        ])
        .output()
        .unwrap(),
    );
    run.assert_code(2);
    assert!(run.stderr.contains("127.0.0.1:1"), "{}", run.stderr);
    assert!(
        run.stderr.to_lowercase().contains("refused"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"));
    assert!(!run.stderr.contains("pw-not-shown") && !run.stdout.contains("pw-not-shown"));
}

#[test]
fn wrong_password_is_one_clear_line() {
    let db = fresh_db();
    let project = TestProject::new();
    project.write_migration("001_a.sql", "select 1;");
    let url = db
        .tcp_url_with_password()
        .replace(ferry_test_support::PASSWORD, "wrong-secret-123");
    let run = super::ferry_in(project.path(), &["--database-url", &url, "up"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("password authentication failed"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("wrong-secret-123") && !run.stdout.contains("wrong-secret-123"));
}

#[test]
fn unknown_database_suggests_creating_it() {
    let db = fresh_db();
    let project = TestProject::new();
    project.write_migration("001_a.sql", "select 1;");
    let url = db.url().replace(db.name(), "no_such_db");
    let mut cmd = ferry_cmd(project.path());
    let run = Run::from(
        cmd.args(["--database-url", &url, "status"])
            .output()
            .unwrap(),
    );
    run.assert_code(2);
    assert!(run.stderr.contains("no_such_db"), "{}", run.stderr);
    assert!(run.stderr.contains("does not exist"), "{}", run.stderr);
}

#[test]
fn down_all_stops_at_the_first_failing_down_and_keeps_what_was_reverted() {
    let db = fresh_db();
    let project = project_with_two();
    project.write_migration("003_c.sql", "create table c (id int);");
    project.write_migration("003_c.down.sql", "drop table c;");
    ferry(&project, &db, &["up"]).assert_code(0);
    // 002's down now fails: the table it drops is referenced by a view.
    db.execute("create view posts_view as select * from posts");
    let run = ferry(&project, &db, &["down", "--all", "--json"]);
    run.assert_code(2);
    let json = run.json();
    assert_eq!(json["ran"][0]["version"], "003");
    assert_eq!(json["failure"]["version"], "002");
    assert_eq!(json["failure"]["sqlstate"], "2BP01");
    assert!(
        run.stderr.contains("rollback of migration 002"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("002_posts.down.sql:1:1"),
        "{}",
        run.stderr
    );
    assert_eq!(
        tracked(&db),
        [
            ("001".to_owned(), "applied".to_owned()),
            ("002".to_owned(), "applied".to_owned())
        ]
    );
}

#[test]
fn unknown_host_is_one_clear_line() {
    let project = TestProject::new();
    project.write_migration("001_a.sql", "select 1;");
    let mut cmd = ferry_cmd(project.path());
    let run = Run::from(
        cmd.args([
            "--database-url",
            "postgres://app@no-such-host.invalid/app",
            "status",
        ])
        .output()
        .unwrap(),
    );
    run.assert_code(2);
    assert!(
        run.stderr.contains("no-such-host.invalid"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
}

#[test]
fn server_position_of_a_first_statement_sent_with_begin_is_exact() {
    let db = fresh_db();
    let project = TestProject::new();
    // 001 runs DML, so 002 is preceded by a session reset and BEGIN in the same message.
    project.write_migration(
        "001_data.sql",
        "create table t (id int, note text);\ninsert into t values (1, 'x');\n",
    );
    project.write_migration(
        "002_bad.sql",
        "-- first statement fails\nselect 'é✓', id, nonexistent\n  from t;\n",
    );
    let run = ferry(&project, &db, &["up", "--json"]);
    run.assert_code(2);
    let failure = &run.json()["failure"];
    assert_eq!(failure["sqlstate"], "42703");
    assert_eq!(failure["statement"], 1);
    assert_eq!(
        (failure["line"].as_u64(), failure["column"].as_u64()),
        (Some(2), Some(18))
    );
    assert_eq!(tracked(&db).len(), 1);

    // The same as the very first statement of a --single-transaction batch.
    let db = fresh_db();
    std::fs::remove_file(project.migrations_dir().join("001_data.sql")).unwrap();
    db.execute("create table t (id int)");
    let run = ferry(&project, &db, &["up", "--single-transaction", "--json"]);
    run.assert_code(2);
    let failure = &run.json()["failure"];
    assert_eq!(
        (failure["line"].as_u64(), failure["column"].as_u64()),
        (Some(2), Some(18))
    );
}
