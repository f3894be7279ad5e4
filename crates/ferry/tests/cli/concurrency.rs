//! Runners racing each other, and a runner killed mid-migration.

use std::process::Stdio;
use std::time::{Duration, Instant};

use ferry_test_support::{TestProject, fresh_db};

use super::{Run, ferry, ferry_cmd, tracked};

#[test]
fn eight_runners_at_once_apply_each_migration_exactly_once() {
    let db = fresh_db();
    let project = TestProject::new();
    for i in 1..=50 {
        project.write_migration(
            &format!("{i:03}_table_{i}.sql"),
            &format!("create table t_{i} (id bigint primary key, v text);\ncreate index t_{i}_v_idx on t_{i} (v);\n"),
        );
    }
    let children: Vec<_> = (0..8)
        .map(|_| super::spawn_ferry(project.path(), &["--database-url", &db.url(), "up"]))
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let run = Run::from(out);
        run.assert_code(0);
    }
    assert_eq!(tracked(&db).len(), 50);
    let applies = db.query_strings("select version, count(*) from ferry.history where action = 'apply' group by version having count(*) <> 1");
    assert!(applies.is_empty(), "applied more than once: {applies:?}");
    let count = db.query_strings("select count(*) from ferry.history where action = 'apply'");
    assert_eq!(count[0][0].as_deref(), Some("50"));
}

#[test]
fn a_waiting_runner_says_who_holds_the_lock() {
    let db = fresh_db();
    let project = TestProject::new();
    project.write_migration(
        "001_slow.sql",
        "create table slow (id int);\nselect pg_sleep(1.5);\n",
    );
    let first = super::spawn_ferry(project.path(), &["--database-url", &db.url(), "up"]);
    wait_for_query(&db, "pg_sleep");
    let second = ferry(&project, &db, &["up", "--lock-wait", "10s"]);
    second.assert_code(0);
    assert!(
        second
            .stderr
            .contains("waiting for the migration lock, held by pid"),
        "{}",
        second.stderr
    );
    assert!(
        second.stderr.contains("ferry up"),
        "names the holder's command: {}",
        second.stderr
    );
    assert!(
        second.stdout.contains("nothing to apply"),
        "{}",
        second.stdout
    );
    Run::from(first.wait_with_output().unwrap()).assert_code(0);

    // With a short --lock-wait the second runner gives up with exit 2.
    project.write_migration("002_slow.sql", "select pg_sleep(1.5);\n");
    let first = super::spawn_ferry(project.path(), &["--database-url", &db.url(), "up"]);
    wait_for_query(&db, "pg_sleep");
    let second = ferry(&project, &db, &["up", "--lock-wait", "200ms"]);
    second.assert_code(2);
    assert!(
        second.stderr.contains("for the migration lock"),
        "{}",
        second.stderr
    );
    Run::from(first.wait_with_output().unwrap()).assert_code(0);
}

#[test]
fn kill_9_during_a_long_migration_leaves_nothing_and_the_next_up_applies_it() {
    let db = fresh_db();
    let project = TestProject::new();
    project.write_migration("001_first.sql", "create table first (id int);");
    project.write_migration(
        "002_long.sql",
        "create table long_one (id int);\ninsert into long_one values (1);\nselect pg_sleep(2);\ncreate table long_two (id int);\n",
    );
    let mut child = ferry_cmd(project.path())
        .args(["--database-url", &db.url(), "up"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_query(&db, "pg_sleep");
    std::thread::sleep(Duration::from_millis(300));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // The killed run's log already names the statement that was running.
    let logs: Vec<String> = super::log_files(&project)
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    assert!(
        logs.iter().any(|l| l.contains("select pg_sleep(2)")),
        "{logs:?}"
    );

    // The orphaned backend finishes its statement, finds the client gone and rolls back.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !db
        .query_strings("select pid from pg_stat_activity where datname = current_database() and query like '%pg_sleep%' and pid <> pg_backend_pid()")
        .is_empty()
    {
        assert!(Instant::now() < deadline, "the orphaned backend did not end");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        super::public_tables(&db),
        ["public.first"],
        "nothing of 002 remains"
    );
    assert_eq!(tracked(&db), [("001".to_owned(), "applied".to_owned())]);

    ferry(&project, &db, &["up"]).assert_code(0);
    assert_eq!(
        super::public_tables(&db),
        ["public.first", "public.long_one", "public.long_two"]
    );
    let rows = db.query_strings("select count(*) from long_one");
    assert_eq!(rows[0][0].as_deref(), Some("1"));
}

/// Waits until some session runs a query containing `needle`.
pub fn wait_for_query(db: &ferry_test_support::TestDb, needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let rows = db.query_strings(&format!(
            "select pid from pg_stat_activity where datname = current_database() and state = 'active' and query like '%{needle}%' and pid <> pg_backend_pid()"
        ));
        if !rows.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "no session started {needle}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn ctrl_c_cancels_the_statement_rolls_back_and_says_what_is_left() {
    let db = fresh_db();
    let project = TestProject::new();
    project.write_migration("001_first.sql", "create table first (id int);");
    project.write_migration(
        "002_slow.sql",
        "create table slow (id int);\nselect pg_sleep(30);\n",
    );
    let child = super::spawn_ferry(project.path(), &["--database-url", &db.url(), "up"]);
    wait_for_query(&db, "pg_sleep");
    let started = Instant::now();
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let run = Run::from(child.wait_with_output().unwrap());
    run.assert_code(2);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the statement was cancelled, not waited for"
    );
    assert!(run.stderr.contains("interrupted"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("rolled back: nothing of migration 002 remains"),
        "{}",
        run.stderr
    );
    assert_eq!(super::public_tables(&db), ["public.first"]);
    assert_eq!(tracked(&db), [("001".to_owned(), "applied".to_owned())]);
}
