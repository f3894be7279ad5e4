//! `ferry test`: up → down → up on a throwaway cluster, each down checked against the schema
//! from before its up.

use ferry_test_support::TestProject;

use super::{Run, example_project, ferry_cmd};

fn ferry_test(project: &TestProject) -> Run {
    let mut cmd = ferry_cmd(project.path());
    Run::from(cmd.args(["test", "--json"]).output().unwrap())
}

#[test]
fn passes_on_every_example() {
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut names: Vec<String> = std::fs::read_dir(&examples)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| examples.join(n).join("migrations").is_dir())
        .collect();
    names.sort();
    assert!(names.len() >= 6, "{names:?}");
    for name in names {
        let project = example_project(&name);
        let run = ferry_test(&project);
        run.assert_code(0);
        let json = run.json();
        assert!(
            json["findings"].as_array().unwrap().is_empty(),
            "{name}: {json}"
        );
        let downs = json["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["direction"] == "down")
            .count();
        assert!(downs > 0, "{name}");
    }
}

#[test]
fn names_the_migration_whose_down_forgets_an_index() {
    let project = TestProject::new();
    project.write_migration(
        "001_users.sql",
        "create table users (id int primary key, email text);",
    );
    project.write_migration("001_users.down.sql", "drop table users;");
    project.write_migration(
        "002_indexes.sql",
        "create index users_email_idx on users (email);\ncreate index users_lower_email_idx on users (lower(email));",
    );
    // Forgets the second index.
    project.write_migration("002_indexes.down.sql", "drop index users_email_idx;");
    project.write_migration("003_posts.sql", "create table posts (id int primary key);");
    project.write_migration("003_posts.down.sql", "drop table posts;");
    let run = ferry_test(&project);
    run.assert_code(1);
    let json = run.json();
    let finding = &json["findings"][0];
    assert_eq!(finding["kind"], "down_does_not_restore");
    assert_eq!(finding["version"], "002");
    let diff = finding["diff"].as_str().unwrap();
    assert!(
        diff.contains("+CREATE INDEX users_lower_email_idx"),
        "{diff}"
    );

    let human = super::ferry_in(project.path(), &["test"]);
    human.assert_code(1);
    assert!(
        human.stdout.contains("down 003 posts: ✅ schema restored"),
        "{}",
        human.stdout
    );
    assert!(
        human
            .stdout
            .contains("the down script of 002 (indexes) does not bring back"),
        "{}",
        human.stdout
    );
}

#[test]
fn a_missing_down_script_is_a_finding_and_a_failing_up_a_failure() {
    let project = TestProject::new();
    project.write_migration("001_a.sql", "create table a (id int);");
    project.write_migration("001_a.down.sql", "drop table a;");
    project.write_migration("002_b.sql", "create table b (id int);");
    let run = ferry_test(&project);
    run.assert_code(1);
    assert_eq!(run.json()["findings"][0]["kind"], "no_down_script");
    assert_eq!(run.json()["findings"][0]["version"], "002");

    project.write_migration("003_c.sql", "select * from nowhere;");
    let run = ferry_test(&project);
    run.assert_code(2);
    assert_eq!(run.json()["failure"]["version"], "003");
}
