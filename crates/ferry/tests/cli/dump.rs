//! `ferry dump`: the schema as canonical SQL. For every example: apply it, dump, replay the
//! dump into an empty database, dump again: byte-identical.

use ferry_test_support::{TestProject, fresh_db};

use super::{example_project, ferry};

fn assert_dump_replays_byte_identical(name: &str) {
    let db = fresh_db();
    let project = example_project(name);
    ferry(&project, &db, &["up"]).assert_code(0);
    let first = ferry(&project, &db, &["dump"]);
    first.assert_code(0);
    assert!(
        !first.stdout.contains("ferry.migrations"),
        "{name}: the tracking schema is in the dump"
    );

    let replayed = fresh_db();
    replayed
        .client()
        .batch_execute(&first.stdout)
        .unwrap_or_else(|e| panic!("{name}: replaying the dump failed: {e:?}\n{}", first.stdout));
    let empty = TestProject::new();
    let second = ferry(&empty, &replayed, &["dump"]);
    second.assert_code(0);
    if first.stdout != second.stdout {
        let a: Vec<&str> = first.stdout.lines().collect();
        let b: Vec<&str> = second.stdout.lines().collect();
        let only_a: Vec<&&str> = a.iter().filter(|l| !b.contains(l)).collect();
        let only_b: Vec<&&str> = b.iter().filter(|l| !a.contains(l)).collect();
        panic!(
            "{name}: the dump of the replayed database differs\nonly in the first: {only_a:#?}\nonly in the second: {only_b:#?}"
        );
    }

    let a = ferry(&project, &db, &["dump", "--json"])
        .assert_code(0)
        .json();
    let b = ferry(&empty, &replayed, &["dump", "--json"])
        .assert_code(0)
        .json();
    assert_eq!(a["schema_version"], 1);
    assert_eq!(a, b, "{name}: the models differ");
}

#[test]
fn quickstart_dump_replays_byte_identical() {
    assert_dump_replays_byte_identical("quickstart");
}

#[test]
fn s3_storage_dump_replays_byte_identical() {
    assert_dump_replays_byte_identical("s3-storage");
}

#[test]
fn vertex_ar_dump_replays_byte_identical() {
    assert_dump_replays_byte_identical("vertex-ar");
}

#[test]
fn pixcrawler_dump_replays_byte_identical() {
    assert_dump_replays_byte_identical("pixcrawler");
}

#[test]
fn mordeaux_dump_replays_byte_identical() {
    assert_dump_replays_byte_identical("mordeaux");
}

#[test]
fn describe_it_dump_replays_byte_identical() {
    assert_dump_replays_byte_identical("describe-it");
}

#[test]
fn json_gives_the_model() {
    let db = fresh_db();
    db.execute("CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL)");
    let project = TestProject::new();
    let doc = ferry(&project, &db, &["dump", "--json"])
        .assert_code(0)
        .json();
    assert_eq!(doc["schema_version"], 1);
    let table = &doc["schema"]["tables"][0];
    assert_eq!(table["name"], "items");
    assert_eq!(table["columns"][1]["data_type"], "text");
    assert_eq!(table["columns"][1]["not_null"], true);
    assert_eq!(table["constraints"][0]["kind"], "primary_key");
}

#[test]
fn an_unsupported_object_fails_naming_it() {
    let db = fresh_db();
    db.execute("CREATE TABLE t (v int); CREATE RULE keep AS ON DELETE TO t DO INSTEAD NOTHING");
    let project = TestProject::new();
    let run = ferry(&project, &db, &["dump"]);
    run.assert_code(2);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(
        run.stderr.contains("rule keep on public.t"),
        "{}",
        run.stderr
    );
    let json = ferry(&project, &db, &["dump", "--json"])
        .assert_code(2)
        .json();
    assert_eq!(json["error"]["kind"], "unsupported_object");
}
