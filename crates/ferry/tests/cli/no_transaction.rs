//! No-transaction migrations: failure recorded with the statements that ran, the INVALID index
//! a failed CREATE INDEX CONCURRENTLY leaves, resuming, repair; and lock-timeout retries.

use std::time::Duration;

use ferry_test_support::{TestProject, fresh_db};

use super::{ferry, tracked};

#[test]
fn failed_concurrent_index_is_recorded_then_resumed_after_cleanup() {
    let db = fresh_db();
    let project = TestProject::new();
    project.write_migration("001_emails.sql", "create table emails (id int, address text);\ninsert into emails values (1, 'a@x'), (2, 'a@x');\n");
    project.write_migration(
        "002_unique_email.sql",
        "-- ferry:no-transaction\ncreate index concurrently emails_id_idx on emails (id);\ncreate unique index concurrently emails_address_key on emails (address);\ncreate index concurrently emails_lower_idx on emails (lower(address));\n",
    );
    let run = ferry(&project, &db, &["up"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("002_unique_email.sql:3:1"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("statements 1-1 of 3 ran and remain"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("INVALID index public.emails_address_key"),
        "{}",
        run.stderr
    );
    assert_eq!(tracked(&db)[1], ("002".to_owned(), "failed".to_owned()));
    let status = ferry(&project, &db, &["status", "--json"]).json();
    assert_eq!(status["migrations"][1]["state"], "failed");
    assert_eq!(status["migrations"][1]["statements_done"], 1);

    // Resuming while the INVALID index is there is refused, naming it.
    let run = ferry(&project, &db, &["up"]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("DROP INDEX CONCURRENTLY public.emails_address_key"),
        "{}",
        run.stderr
    );

    db.execute("drop index emails_address_key");
    db.execute("delete from emails where id = 2");
    let run = ferry(&project, &db, &["up"]);
    run.assert_code(0);
    assert!(
        run.stderr.contains("resuming at statement 2"),
        "{}",
        run.stderr
    );
    assert_eq!(tracked(&db)[1], ("002".to_owned(), "applied".to_owned()));
    let valid = db.query_strings("select count(*) from pg_index i join pg_class c on c.oid = i.indexrelid where c.relname like 'emails_%' and i.indisvalid");
    assert_eq!(
        valid[0][0].as_deref(),
        Some("3"),
        "the first index was not built twice"
    );
}

#[test]
fn repair_records_a_failed_migration_as_pending() {
    let db = fresh_db();
    let project = TestProject::new();
    project.write_migration(
        "001_a.sql",
        "-- ferry:no-transaction\ncreate table a (id int);\ninsert into missing values (1);\n",
    );
    ferry(&project, &db, &["up"]).assert_code(2);
    ferry(&project, &db, &["repair"]).assert_code(1);
    db.execute("drop table a");
    ferry(
        &project,
        &db,
        &["repair", "1", "--pending", "--reason", "cleaned up by hand"],
    )
    .assert_code(0);
    assert!(tracked(&db).is_empty());
    project.write_migration(
        "001_a.sql",
        "-- ferry:no-transaction\ncreate table a (id int);\n",
    );
    ferry(&project, &db, &["up"]).assert_code(0);
    let history = db.query_strings("select action from ferry.history order by id");
    let actions: Vec<_> = history.iter().map(|r| r[0].clone().unwrap()).collect();
    assert_eq!(actions, ["start", "fail", "repair", "start", "apply"]);
}

#[test]
fn lock_timeout_is_retried_with_backoff() {
    let db = fresh_db();
    let project = TestProject::new();
    db.execute("create table busy (id int)");
    project.write_migration("001_alter.sql", "alter table busy add column note text;\n");
    // Another session holds a lock on the table for a while.
    let holder_url = db.url();
    let holder = std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&holder_url, postgres::NoTls).unwrap();
        let mut tx = client.transaction().unwrap();
        tx.batch_execute("lock table busy in access share mode")
            .unwrap();
        std::thread::sleep(Duration::from_millis(900));
        tx.commit().unwrap();
    });
    std::thread::sleep(Duration::from_millis(200));
    let run = ferry(&project, &db, &["up", "--lock-timeout", "150ms"]);
    holder.join().unwrap();
    run.assert_code(0);
    assert!(run.stderr.contains("retry 1"), "{}", run.stderr);
    assert!(run.stderr.contains("55P03"), "{}", run.stderr);
    assert_eq!(tracked(&db).len(), 1);
}
