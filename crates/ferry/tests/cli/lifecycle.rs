//! Up, status, verify, down, redo, baseline, repair, reset on a realistic folder.

use ferry_test_support::{TestProject, fresh_db};

use super::{ferry, quickstart_project, schema, tracked};

#[test]
fn up_status_down_all_and_up_again_round_trip() {
    let db = fresh_db();
    let project = quickstart_project();
    let empty = schema(&db);

    let run = ferry(&project, &db, &["up"]);
    run.assert_code(0);
    assert!(
        run.stdout.contains("applied 11 migrations"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("using --database-url"),
        "one line names the source: {}",
        run.stderr
    );
    let applied = schema(&db);
    assert_ne!(applied, empty);
    assert!(
        applied.contains("CREATE POLICY tasks_by_account"),
        "{applied}"
    );

    let status = ferry(&project, &db, &["status", "--json", "--exit-code"]);
    status.assert_code(0);
    let json = status.json();
    assert_eq!(json["schema_version"], 1);
    let migrations = json["migrations"].as_array().unwrap();
    assert_eq!(migrations.len(), 11);
    assert!(migrations.iter().all(|m| m["state"] == "applied"), "{json}");
    assert_eq!(migrations[0]["version"], "001");
    assert_eq!(migrations[7]["transactional"], false);

    // COPY data arrived intact (tabs, `;` and a backslash inside it).
    let rows = db.query_strings("select name from accounts order by id");
    assert_eq!(rows[0][0].as_deref(), Some("Acme; Inc."));

    let verify = ferry(&project, &db, &["verify"]);
    verify.assert_code(0);
    assert!(verify.stdout.contains("4/4 passed"), "{}", verify.stdout);
    assert!(
        verify
            .stderr
            .contains("NOTICE: RLS enabled on projects and tasks"),
        "{}",
        verify.stderr
    );

    let down = ferry(&project, &db, &["down", "--all"]);
    down.assert_code(0);
    assert!(
        down.stdout.contains("reverted 11 migrations"),
        "{}",
        down.stdout
    );
    assert_eq!(
        schema(&db),
        empty,
        "down --all must give back the empty schema"
    );
    assert!(tracked(&db).is_empty());

    ferry(&project, &db, &["up"]).assert_code(0);
    assert_eq!(schema(&db), applied, "up again gives the same schema");

    let history = ferry(&project, &db, &["history", "--json"]).json();
    let actions: Vec<&str> = history["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions.iter().filter(|a| **a == "apply").count(), 22);
    assert_eq!(actions.iter().filter(|a| **a == "rollback").count(), 11);
}

#[test]
fn up_to_down_steps_and_to() {
    let db = fresh_db();
    let project = quickstart_project();
    ferry(&project, &db, &["up", "--to", "4"]).assert_code(0);
    assert_eq!(tracked(&db).len(), 4, "--to accepts any spelling of 004");
    ferry(&project, &db, &["down"]).assert_code(0);
    assert_eq!(tracked(&db).last().unwrap().0, "003");
    ferry(&project, &db, &["up"]).assert_code(0);
    ferry(&project, &db, &["down", "--steps", "2"]).assert_code(0);
    assert_eq!(tracked(&db).last().unwrap().0, "009");
    ferry(&project, &db, &["down", "--to", "005"]).assert_code(0);
    assert_eq!(
        tracked(&db).last().unwrap().0,
        "005",
        "--to leaves V applied"
    );
}

#[test]
fn dry_run_prints_the_sql_and_changes_nothing() {
    let db = fresh_db();
    let project = quickstart_project();
    let before = schema(&db);
    let run = ferry(&project, &db, &["up", "--dry-run"]);
    run.assert_code(0);
    assert!(
        run.stdout.contains("create table accounts"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("BEGIN;"));
    assert!(
        run.stdout.contains("Acme; Inc.\tteam"),
        "COPY data is shown"
    );
    assert_eq!(schema(&db), before);
    let exists = db.query_strings("select to_regnamespace('ferry') is not null");
    assert_eq!(
        exists[0][0].as_deref(),
        Some("f"),
        "a dry run creates no tracking tables"
    );

    ferry(&project, &db, &["up"]).assert_code(0);
    let json = ferry(&project, &db, &["down", "--dry-run", "--json"]).json();
    assert_eq!(json["dry_run"], true);
    assert_eq!(json["plan"][0]["version"], "011");
    assert!(
        json["plan"][0]["sql"]
            .as_str()
            .unwrap()
            .contains("drop function account_usage")
    );
    assert_eq!(tracked(&db).len(), 11);
}

#[test]
fn redo_reapplies_the_newest() {
    let db = fresh_db();
    let project = quickstart_project();
    ferry(&project, &db, &["up"]).assert_code(0);
    let run = ferry(&project, &db, &["redo"]);
    run.assert_code(0);
    assert!(
        run.stdout
            .contains("reverted 1 migration, applied 1 migration"),
        "{}",
        run.stdout
    );
    assert_eq!(tracked(&db).len(), 11);
}

#[test]
fn single_transaction_is_all_or_nothing() {
    let db = fresh_db();
    let project = TestProject::new();
    project.write_migration("001_a.sql", "create table a (id int);");
    project.write_migration("002_b.sql", "create table b (id int);");
    project.write_migration(
        "003_c.sql",
        "create table c (id int);\ninsert into nope values (1);",
    );
    let before = schema(&db);
    let run = ferry(&project, &db, &["up", "--single-transaction"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("--single-transaction undid all 3"),
        "{}",
        run.stderr
    );
    assert_eq!(schema(&db), before);
    assert!(tracked(&db).is_empty());

    project.write_migration("003_c.sql", "create table c (id int);");
    project.write_migration(
        "004_d.sql",
        "-- ferry:no-transaction\ncreate index concurrently d_idx on c (id);",
    );
    let run = ferry(&project, &db, &["up", "--single-transaction"]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("004_d.sql says -- ferry:no-transaction"),
        "{}",
        run.stderr
    );
    assert!(tracked(&db).is_empty(), "refused before anything ran");

    // Without the no-transaction file it applies, and records every migration.
    std::fs::remove_file(project.migrations_dir().join("004_d.sql")).unwrap();
    let run = ferry(&project, &db, &["up", "--single-transaction"]);
    run.assert_code(0);
    assert!(run.stderr.contains("applied 003 c"), "{}", run.stderr);
    assert_eq!(tracked(&db).len(), 3);
    let history = db
        .query_strings("select version_text from ferry.history where action = 'apply' order by id");
    let versions: Vec<_> = history.iter().map(|r| r[0].clone().unwrap()).collect();
    assert_eq!(versions, ["001", "002", "003"]);
    ferry(&project, &db, &["status", "--exit-code"]).assert_code(0);
}

#[test]
fn session_state_does_not_leak_between_files() {
    let db = fresh_db();
    let project = TestProject::new();
    // pg_dump output empties search_path for the session.
    project.write_migration(
        "001_dump.sql",
        "SELECT pg_catalog.set_config('search_path', '', false);\nCREATE TABLE public.a (id int);",
    );
    project.write_migration("002_next.sql", "create table b (id int);");
    // A role switch must not leak either.
    let role = format!("r_{}", db.name());
    db.execute(&format!(
        "create role {role}; grant create on schema public to {role}"
    ));
    project.write_migration(
        "003_as_role.sql",
        &format!("set role {role};\ncreate table c (id int);"),
    );
    project.write_migration("004_after.sql", "create table d (id int);");
    ferry(&project, &db, &["up"]).assert_code(0);
    assert_eq!(
        super::public_tables(&db),
        ["public.a", "public.b", "public.c", "public.d"]
    );
    let owners = db.query_strings("select tablename::text, tableowner::text from pg_tables where schemaname = 'public' order by 1");
    assert_eq!(owners[2][1].as_deref(), Some(role.as_str()));
    assert_eq!(
        owners[3][1].as_deref(),
        Some("postgres"),
        "004 ran as the session user again"
    );
    db.execute(&format!(
        "drop table c; revoke create on schema public from {role}; drop role {role}"
    ));
}

#[test]
fn baseline_repair_and_reset() {
    let db = fresh_db();
    let project = TestProject::new();
    db.execute("create table legacy (id int)");
    project.write_migration("001_legacy.sql", "create table legacy (id int);");
    project.write_migration("002_new.sql", "create table newer (id int);");

    let run = ferry(&project, &db, &["baseline", "1"]);
    run.assert_code(0);
    assert_eq!(tracked(&db), [("001".to_owned(), "applied".to_owned())]);
    let status = ferry(&project, &db, &["status", "--json"]).json();
    assert_eq!(status["migrations"][0]["baselined"], true);
    assert_eq!(status["migrations"][1]["state"], "pending");
    ferry(&project, &db, &["baseline", "1"]).assert_code(2);
    ferry(&project, &db, &["up"]).assert_code(0);

    // An edited applied file is refused until the edit is accepted with a reason.
    project.write_migration("002_new.sql", "create table newer (id bigint);");
    project.write_migration("003_more.sql", "create table more (id int);");
    let run = ferry(&project, &db, &["up"]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("migration 002 was changed after it was applied"),
        "{}",
        run.stderr
    );
    ferry(&project, &db, &["repair"]).assert_code(1);
    ferry(
        &project,
        &db,
        &[
            "repair",
            "--accept-checksum",
            "2",
            "--reason",
            "widened on purpose",
        ],
    )
    .assert_code(0);
    ferry(&project, &db, &["up"]).assert_code(0);
    let history = ferry(&project, &db, &["history", "--json"]).json();
    let details: Vec<String> = history["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["detail"].as_str().map(str::to_owned))
        .collect();
    assert!(
        details.iter().any(|d| d.contains("widened on purpose")),
        "{details:?}"
    );

    // No down scripts: reset needs --yes, then drops the managed schemas.
    ferry(&project, &db, &["reset"]).assert_code(2);
    ferry(&project, &db, &["reset", "--yes"]).assert_code(0);
    assert!(
        super::public_tables(&db).is_empty(),
        "{:?}",
        super::public_tables(&db)
    );
    ferry(&project, &db, &["up"]).assert_code(0);
    assert_eq!(tracked(&db).len(), 3);
}

#[test]
fn new_follows_the_folder_numbering() {
    let project = TestProject::new();
    project.write_migration("0009_x.sql", "select 1;");
    let mut cmd = super::ferry_cmd(project.path());
    let out = cmd.args(["new", "Add users email"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(
        project
            .migrations_dir()
            .join("0010_add_users_email.sql")
            .exists()
    );
    assert!(
        project
            .migrations_dir()
            .join("0010_add_users_email.down.sql")
            .exists()
    );
}

#[test]
fn protected_environment_refuses_down() {
    let db = fresh_db();
    let project = TestProject::new();
    project.write(
        "ferry.toml",
        format!(
            "[environments.prod]\nurl = \"{}\"\nprotected = true\n",
            db.url()
        ),
    );
    project.write_migration("001_a.sql", "create table a (id int);");
    project.write_migration("001_a.down.sql", "drop table a;");
    let up = super::ferry_in(project.path(), &["--env", "prod", "up"]);
    up.assert_code(0);
    assert!(up.stderr.contains("prod"), "{}", up.stderr);
    let down = super::ferry_in(project.path(), &["--env", "prod", "down"]);
    down.assert_code(2);
    assert!(down.stderr.contains("protected"), "{}", down.stderr);
    assert_eq!(tracked(&db).len(), 1);
}

/// A migration written by someone else's tool: pg_dump's own output (SET statements,
/// set_config, COPY blocks, sequences, functions, ALTER TABLE ONLY) applies as it is, once
/// its `\restrict` lines, which ferry refuses with a hint, are deleted.
#[test]
fn a_pg_dump_file_applies_as_a_migration() {
    let source = fresh_db();
    let project = quickstart_project();
    ferry(&project, &source, &["up"]).assert_code(0);
    let dump = std::process::Command::new("pg_dump")
        .args([
            "--no-owner",
            "--no-privileges",
            "--exclude-schema=ferry",
            "-d",
            &source.url(),
        ])
        .output()
        .unwrap();
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    let dump = String::from_utf8(dump.stdout).unwrap();
    assert!(dump.contains("COPY public.accounts"), "{dump}");

    let target = fresh_db();
    let copy = TestProject::new();
    // The app_user role and pgcrypto are created by 001 on the source; the dump needs them.
    copy.write_migration("001_baseline_dump.sql", &dump);
    if dump.contains("\\restrict") {
        let run = ferry(&copy, &target, &["up"]);
        run.assert_code(2);
        assert!(run.stderr.contains("delete both lines"), "{}", run.stderr);
        let cleaned: String = dump
            .lines()
            .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
            .map(|l| format!("{l}\n"))
            .collect();
        copy.write_migration("001_baseline_dump.sql", &cleaned);
    }
    ferry(&copy, &target, &["up"]).assert_code(0);
    assert_eq!(schema(&target), schema(&source));
    let rows = target.query_strings("select full_name from users order by email");
    assert_eq!(rows.len(), 3);
    assert!(
        rows.iter()
            .any(|r| r[0].as_deref() == Some("Linus \\ Backslash"))
    );
}

#[test]
fn db_create_and_drop_the_configured_database() {
    let db = fresh_db();
    let project = TestProject::new();
    project.write_migration("001_a.sql", "create table a (id int);");
    let name = format!("{}_created", db.name());
    let url = db.url().replace(db.name(), &name);
    let run = |args: &[&str]| {
        let mut cmd = super::ferry_cmd(project.path());
        super::Run::from(
            cmd.arg("--database-url")
                .arg(&url)
                .args(args)
                .output()
                .unwrap(),
        )
    };
    run(&["status"]).assert_code(2);
    let created = run(&["db", "create"]);
    created.assert_code(0);
    assert!(
        created.stdout.contains(&format!("created database {name}")),
        "{}",
        created.stdout
    );
    run(&["db", "create"]).assert_code(0);
    run(&["up"]).assert_code(0);
    run(&["db", "drop"]).assert_code(2);
    let dropped = run(&["db", "drop", "--yes", "--json"]);
    dropped.assert_code(0);
    assert_eq!(dropped.json()["outcome"], "dropped");
    run(&["status"]).assert_code(2);
}

#[test]
fn environments_expand_variables_from_dotenv() {
    let db = fresh_db();
    let project = TestProject::new();
    project.write_migration("001_a.sql", "create table a (id int);");
    project.write(
        "ferry.toml",
        "default_env = \"dev\"\n[environments.dev]\nurl = \"${FERRY_TEST_URL}\"\n[environments.other]\nurl = \"${UNSET_VARIABLE_FOR_FERRY}\"\n",
    );
    project.write(".env", format!("FERRY_TEST_URL={}\n", db.url()));
    let run = super::ferry_in(project.path(), &["up"]);
    run.assert_code(0);
    assert!(run.stderr.contains("environment \"dev\""), "{}", run.stderr);
    assert_eq!(tracked(&db).len(), 1);
    let run = super::ferry_in(project.path(), &["--env", "other", "status"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("UNSET_VARIABLE_FOR_FERRY"),
        "{}",
        run.stderr
    );
    let run = super::ferry_in(project.path(), &["--env", "nope", "status"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("dev") && run.stderr.contains("other"),
        "lists the defined ones: {}",
        run.stderr
    );
}

#[test]
fn the_run_log_has_statements_timings_notices_and_outcome() {
    let db = fresh_db();
    let project = TestProject::new();
    project.write_migration(
        "001_a.sql",
        "create table logged (id int);\ndo $$ begin raise notice 'hello from 001'; end $$;\n",
    );
    ferry(&project, &db, &["up"]).assert_code(0);
    let logs = super::log_files(&project);
    assert_eq!(logs.len(), 1, "{logs:?}");
    let text = std::fs::read_to_string(&logs[0]).unwrap();
    assert!(text.contains("create table logged (id int)"), "{text}");
    assert!(text.contains("ok ("), "{text}");
    assert!(text.contains("NOTICE: hello from 001"), "{text}");
    assert!(text.contains("migration_finished"), "{text}");
    assert!(text.contains("outcome: Success"), "{text}");
    // Read-only commands write no log.
    ferry(&project, &db, &["status"]).assert_code(0);
    assert_eq!(super::log_files(&project).len(), 1);
}

#[test]
fn new_writes_the_folders_own_layout() {
    let db = fresh_db();
    // dbmate: one file with both sections.
    let project = TestProject::new();
    project.write_migration(
        "20240101120000_create_a.sql",
        "-- migrate:up\ncreate table a (id int);\n\n-- migrate:down\ndrop table a;\n",
    );
    let run = super::ferry_in(project.path(), &["new", "add b", "--json"]);
    run.assert_code(0);
    let created = run.json()["created"].as_array().unwrap().clone();
    assert_eq!(created.len(), 1, "{created:?}");
    let text = std::fs::read_to_string(created[0].as_str().unwrap()).unwrap();
    assert!(
        text.contains("-- migrate:up") && text.contains("-- migrate:down"),
        "{text}"
    );
    ferry(&project, &db, &["up"]).assert_code(0);
    ferry(&project, &db, &["down", "--all"]).assert_code(0);

    // diesel: a folder with up.sql and down.sql, named with a dashed timestamp.
    let project = TestProject::new();
    project.write(
        "migrations/2019-02-26-002946_create_a/up.sql",
        "create table a (id int);",
    );
    project.write(
        "migrations/2019-02-26-002946_create_a/down.sql",
        "drop table a;",
    );
    let run = super::ferry_in(project.path(), &["new", "add b", "--json"]);
    run.assert_code(0);
    let created: Vec<String> = run.json()["created"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect();
    assert!(
        created[0].ends_with("_add_b/up.sql") && created[1].ends_with("_add_b/down.sql"),
        "{created:?}"
    );
    let folder = std::path::Path::new(&created[0])
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert_eq!(folder.len(), "2019-02-26-002946_add_b".len(), "{folder}");
    let db = fresh_db();
    ferry(&project, &db, &["up"]).assert_code(0);
}
