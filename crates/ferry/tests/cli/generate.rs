//! `ferry generate NAME`: the next migration from the desired schema (ferry.toml's
//! `schema =`). Applied, it leaves nothing for drift, diff or generate to find; its down
//! script brings back the schema from before.

use ferry_schema::{Catalog, ReadOptions};
use ferry_test_support::{TestDb, TestProject, fresh_db};

use super::{ferry, ferry_in};

fn model(db: &TestDb) -> Catalog {
    ferry_schema::read(&mut db.client(), &ReadOptions::default()).expect("read the model")
}

const V1: &str = "create type status as enum ('open', 'done');
create table projects (id bigint generated always as identity primary key, name text not null);
create table tasks (
    id bigint generated always as identity primary key,
    project_id bigint not null references projects (id),
    title text not null,
    status status not null default 'open'
);
";

const V2: &str = "create type status as enum ('open', 'doing', 'done');
create table projects (id bigint generated always as identity primary key, name text not null unique);
create table tasks (
    id bigint generated always as identity primary key,
    project_id bigint not null references projects (id) on delete cascade,
    title varchar(200) not null,
    status status not null default 'open',
    due date
);
create index tasks_open on tasks (project_id) where status <> 'done';
create view open_tasks as select id, title from tasks where status <> 'done';
comment on table tasks is 'work to do';
";

fn project() -> TestProject {
    let project = TestProject::new();
    project.write("ferry.toml", "schema = \"schema.sql\"\n");
    project
}

#[test]
fn generated_migrations_apply_and_leave_nothing_to_find() {
    let project = project();
    let db = fresh_db();

    // From nothing to V1: the first migration.
    project.write("schema.sql", V1);
    let run = ferry(&project, &db, &["generate", "init"]);
    run.assert_code(0);
    assert!(run.stdout.contains("created "), "{}", run.stdout);
    assert!(project.migrations_dir().join("001_init.sql").is_file());
    assert!(project.migrations_dir().join("001_init.down.sql").is_file());
    ferry(&project, &db, &["up"]).assert_code(0);
    let v1 = model(&db);

    // V1 to V2, as a second migration.
    project.write("schema.sql", V2);
    let run = ferry(&project, &db, &["generate", "tasks_due_dates", "--json"]);
    run.assert_code(0);
    let json = run.json();
    // text → varchar(200) may refuse long titles: the one statement marked.
    assert_eq!(json["destructive"], 1, "{json}");
    let up =
        std::fs::read_to_string(project.migrations_dir().join("002_tasks_due_dates.sql")).unwrap();
    for expected in [
        "ALTER TYPE public.status ADD VALUE 'doing' AFTER 'open';",
        "ALTER TABLE public.tasks ALTER COLUMN title TYPE character varying(200)",
        "ALTER TABLE public.tasks ADD COLUMN due date;",
        "CREATE VIEW public.open_tasks AS",
        "COMMENT ON TABLE public.tasks IS 'work to do';",
    ] {
        assert!(up.contains(expected), "missing {expected:?} in\n{up}");
    }
    ferry(&project, &db, &["up"]).assert_code(0);

    // Applied: drift is silent, the migrations and the schema have no difference, and
    // generating again finds nothing.
    ferry(&project, &db, &["drift"]).assert_code(0);
    let run = ferry(&project, &db, &["diff", "migrations", "schema.sql"]);
    run.assert_code(0);
    let run = ferry(&project, &db, &["generate", "again"]);
    run.assert_code(0);
    assert!(run.stdout.contains("no changes"), "{}", run.stdout);
    assert!(!project.migrations_dir().join("003_again.sql").exists());
    let v2 = model(&db);
    let desired = fresh_db();
    desired.execute(V2);
    assert_eq!(v2, model(&desired));

    // Its down script brings back V1.
    ferry(&project, &db, &["down"]).assert_code(0);
    assert_eq!(model(&db), v1);
}

#[test]
fn dry_run_writes_nothing_and_a_missing_schema_is_explained() {
    let project = project();
    project.write("schema.sql", V1);
    let run = ferry_in(project.path(), &["generate", "init", "--dry-run"]);
    run.assert_code(0);
    assert!(run.stdout.contains("-- would create "), "{}", run.stdout);
    assert!(
        run.stdout.contains("CREATE TABLE public.tasks"),
        "{}",
        run.stdout
    );
    assert!(!project.migrations_dir().join("001_init.sql").exists());

    let bare = TestProject::new();
    bare.write("ferry.toml", "");
    let run = ferry_in(bare.path(), &["generate", "init"]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("ferry generate needs the desired schema: add `schema = \"schema.sql\"`"),
        "{}",
        run.stderr
    );
}
