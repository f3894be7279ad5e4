//! `ferry drift`: the target against the schema its applied migrations produce, replayed on a
//! throwaway cluster (or a scratch database on --dev-url).

use ferry_test_support::fresh_db;

use super::{ferry, quickstart_project};

#[test]
fn silent_on_an_untouched_database_and_catches_hand_made_changes() {
    let changes = [
        (
            "drop index tasks_open_due_idx",
            "-CREATE INDEX tasks_open_due_idx",
        ),
        (
            "alter table users add column nickname text",
            "+    nickname text",
        ),
        (
            "alter policy projects_by_account on projects using (true)",
            "projects_by_account",
        ),
        (
            "create or replace function set_updated_at() returns trigger language plpgsql as $fn$ begin return new; end; $fn$",
            "new.updated_at := now();",
        ),
    ];
    let project = quickstart_project();
    for (change, expected) in changes {
        let db = fresh_db();
        ferry(&project, &db, &["up"]).assert_code(0);
        let clean = ferry(&project, &db, &["drift"]);
        clean.assert_code(0);
        assert!(clean.stdout.contains("no drift"), "{}", clean.stdout);

        db.execute(change);
        let run = ferry(&project, &db, &["drift", "--json"]);
        run.assert_code(1);
        let json = run.json();
        assert_eq!(json["drifted"], true);
        assert_eq!(json["replayed"], 11);
        let diff = json["diff"].as_str().unwrap();
        assert!(diff.contains(expected), "{change}: {diff}");
    }
}

#[test]
fn replays_on_a_dev_url_scratch_database_and_drops_it() {
    let db = fresh_db();
    let dev = fresh_db();
    let project = quickstart_project();
    ferry(&project, &db, &["up"]).assert_code(0);
    let run = ferry(&project, &db, &["drift", "--dev-url", &dev.url(), "--json"]);
    run.assert_code(0);
    let json = run.json();
    assert_eq!(json["drifted"], false);
    assert!(
        json["replayed_on"].as_str().unwrap().contains("--dev-url"),
        "{json}"
    );
    let left =
        dev.query_strings("select datname from pg_database where datname like 'ferry_drift_%'");
    assert!(left.is_empty(), "the scratch database is dropped: {left:?}");
}

#[test]
fn a_missing_file_of_an_applied_migration_cannot_be_replayed() {
    let db = fresh_db();
    let project = quickstart_project();
    ferry(&project, &db, &["up"]).assert_code(0);
    for suffix in ["sql", "down.sql", "verify.sql"] {
        let file = format!("011_account_usage_function.{suffix}");
        std::fs::remove_file(project.migrations_dir().join(file)).unwrap();
    }
    let run = ferry(&project, &db, &["drift"]);
    run.assert_code(2);
    assert!(run.stderr.contains("migration 011"), "{}", run.stderr);
}
