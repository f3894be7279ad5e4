//! ferry's own local PostgreSQL: with no database configured, `up` just works.

use ferry_test_support::TestProject;

use super::{Run, ferry_cmd};

#[test]
fn with_no_database_configured_ferry_runs_its_own_postgres() {
    let project = TestProject::new();
    project.write_migration("001_a.sql", "create table a (id int);");
    project.write_migration("001_a.down.sql", "drop table a;");
    let up = super::ferry_in(project.path(), &["up"]);
    let cleanup = || {
        let _ = ferry_cmd(project.path())
            .args(["db", "destroy", "--yes"])
            .output();
    };
    if up.code != 0 {
        cleanup();
    }
    up.assert_code(0);
    assert!(
        up.stderr.contains("ferry's local PostgreSQL"),
        "{}",
        up.stderr
    );

    let status = super::ferry_in(project.path(), &["status", "--json"]);
    let db = super::ferry_in(project.path(), &["db", "status", "--json"]);
    let url = super::ferry_in(project.path(), &["db", "url"]);
    let stop = super::ferry_in(project.path(), &["db", "stop"]);
    let stopped = super::ferry_in(project.path(), &["db", "status", "--json"]);
    // Any command starts it again, with the data kept.
    let again = super::ferry_in(project.path(), &["status", "--json"]);
    cleanup();

    status.assert_code(0);
    assert_eq!(status.json()["migrations"][0]["state"], "applied");
    assert_eq!(db.json()["running"], true);
    assert!(url.stdout.starts_with("postgres://"), "{}", url.stdout);
    stop.assert_code(0);
    assert_eq!(stopped.json()["running"], false);
    again.assert_code(0);
    assert_eq!(again.json()["migrations"][0]["state"], "applied");
}

#[test]
fn ephemeral_runs_on_a_throwaway_cluster() {
    let project = TestProject::new();
    project.write_migration("001_a.sql", "create table a (id int);");
    let run = super::ferry_in(project.path(), &["--ephemeral", "up"]);
    run.assert_code(0);
    assert!(run.stderr.contains("throwaway"), "{}", run.stderr);
    assert!(
        !project.path().join(".ferry/postgres.toml").exists(),
        "no local cluster was created"
    );
}

#[test]
fn concurrent_first_runs_share_one_local_cluster_and_wait_works() {
    let project = TestProject::new();
    project.write_migration("001_a.sql", "create table a (id int);");
    let children: Vec<_> = (0..3)
        .map(|_| super::spawn_ferry(project.path(), &["status", "--json"]))
        .collect();
    let runs: Vec<Run> = children
        .into_iter()
        .map(|c| Run::from(c.wait_with_output().unwrap()))
        .collect();
    let url = super::ferry_in(project.path(), &["db", "url"]);
    let stop = super::ferry_in(project.path(), &["db", "stop"]);
    // A client that waits for the server: started while it is down, it connects once the
    // server is back.
    let url_text = url.stdout.trim().to_owned();
    let waiting = super::spawn_ferry(
        project.path(),
        &[
            "--database-url",
            &url_text,
            "--wait",
            "20s",
            "status",
            "--json",
        ],
    );
    std::thread::sleep(std::time::Duration::from_millis(700));
    let start = super::ferry_in(project.path(), &["db", "start"]);
    let waited = Run::from(waiting.wait_with_output().unwrap());
    let _ = ferry_cmd(project.path())
        .args(["db", "destroy", "--yes"])
        .output();

    for run in &runs {
        run.assert_code(0);
        assert_eq!(run.json()["migrations"][0]["state"], "pending");
    }
    stop.assert_code(0);
    start.assert_code(0);
    waited.assert_code(0);
    assert_eq!(waited.json()["migrations"][0]["state"], "pending");
}
