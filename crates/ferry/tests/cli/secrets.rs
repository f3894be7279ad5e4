//! No password from a URL, DB_PASSWORD or a migration's CREATE ROLE … PASSWORD reaches stdout,
//! stderr or the log files.

use ferry_test_support::{PASSWORD, PASSWORD_ROLE, TestProject, cluster, fresh_db};

use super::{Run, ferry_cmd, log_files};

fn assert_absent(secret: &str, run: &Run, project: &TestProject) {
    assert!(
        !run.stdout.contains(secret),
        "stdout has the secret:\n{}",
        run.stdout
    );
    assert!(
        !run.stderr.contains(secret),
        "stderr has the secret:\n{}",
        run.stderr
    );
    let logs = log_files(project);
    assert!(!logs.is_empty(), "mutating runs write a log");
    for log in logs {
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(
            !text.contains(secret),
            "{} has the secret:\n{text}",
            log.display()
        );
    }
}

#[test]
fn url_password_never_appears() {
    let db = fresh_db();
    let project = TestProject::new();
    project.write_migration("001_a.sql", "create table a (id int);");
    project.write_migration("002_b.sql", "create table b (id int);\nselect * from nope;");
    let url = db.tcp_url_with_password();
    assert!(url.contains(PASSWORD));
    for args in [
        &["up"][..],
        &["status", "--json"],
        &["up", "--json"],
        &["history"],
    ] {
        let mut cmd = ferry_cmd(project.path());
        let run = Run::from(
            cmd.arg("--database-url")
                .arg(&url)
                .args(args)
                .output()
                .unwrap(),
        );
        assert!(run.code == 0 || run.code == 2, "{run:?}");
        assert!(
            run.stderr.contains(PASSWORD_ROLE)
                || run.stdout.contains(PASSWORD_ROLE)
                || args[0] == "history"
        );
        assert_absent(PASSWORD, &run, &project);
    }
}

#[test]
fn db_password_variable_is_used_and_never_shown() {
    let db = fresh_db();
    let project = TestProject::new();
    project.write_migration("001_a.sql", "create table a (id int);");
    let mut cmd = ferry_cmd(project.path());
    let run = Run::from(
        cmd.env("DB_HOST", "127.0.0.1")
            .env("DB_PORT", cluster().port().to_string())
            .env("DB_NAME", db.name())
            .env("DB_USER", PASSWORD_ROLE)
            .env("DB_PASSWORD", PASSWORD)
            .arg("up")
            .output()
            .unwrap(),
    );
    run.assert_code(0);
    assert!(
        run.stderr.contains("DB_HOST"),
        "the source is named: {}",
        run.stderr
    );
    assert_absent(PASSWORD, &run, &project);
    assert_eq!(super::public_tables(&db), ["public.a"]);

    let mut cmd = ferry_cmd(project.path());
    let run = Run::from(
        cmd.env("DB_HOST", "127.0.0.1")
            .env("DB_PORT", cluster().port().to_string())
            .env("DB_NAME", db.name())
            .env("DB_USER", PASSWORD_ROLE)
            .env("DB_PASSWORD", "not-the-password-987")
            .arg("up")
            .output()
            .unwrap(),
    );
    run.assert_code(2);
    assert!(
        run.stderr.contains("password authentication failed"),
        "{}",
        run.stderr
    );
    assert_absent("not-the-password-987", &run, &project);
}

#[test]
fn create_role_password_in_a_migration_never_appears() {
    let db = fresh_db();
    let project = TestProject::new();
    let role = format!("app_{}", db.name());
    project.write_migration(
        "001_role.sql",
        &format!("create role {role} login password 'Sup3r-Secret-Role-PW';\n"),
    );
    // The dry run shows the SQL, with the password masked.
    let mut cmd = ferry_cmd(project.path());
    let dry = Run::from(
        cmd.arg("--database-url")
            .arg(db.url())
            .args(["up", "--dry-run"])
            .output()
            .unwrap(),
    );
    dry.assert_code(0);
    assert!(
        dry.stdout
            .contains(&format!("create role {role} login password '")),
        "{}",
        dry.stdout
    );
    // The applied statement goes to the log, masked.
    let mut cmd = ferry_cmd(project.path());
    let up = Run::from(
        cmd.arg("--database-url")
            .arg(db.url())
            .arg("up")
            .output()
            .unwrap(),
    );
    up.assert_code(0);
    assert_absent("Sup3r-Secret-Role-PW", &up, &project);
    assert_absent("Sup3r-Secret-Role-PW", &dry, &project);

    // A failing statement on a line holding another password: the snippet is masked.
    project.write_migration(
        "002_bad.sql",
        &format!("alter role {role} password 'An0ther-Secret-PW' nologin bogus;\n"),
    );
    let mut cmd = ferry_cmd(project.path());
    let run = Run::from(
        cmd.arg("--database-url")
            .arg(db.url())
            .arg("up")
            .output()
            .unwrap(),
    );
    run.assert_code(2);
    assert!(run.stderr.contains("002_bad.sql:1"), "{}", run.stderr);
    assert!(run.stderr.contains("password '********'"), "{}", run.stderr);
    assert_absent("Sup3r-Secret-Role-PW", &run, &project);
    assert_absent("An0ther-Secret-PW", &run, &project);
    let admin = db.query_strings(&format!("select 1 from pg_roles where rolname = '{role}'"));
    assert_eq!(admin.len(), 1);
    db.execute(&format!("drop role {role}"));
}
