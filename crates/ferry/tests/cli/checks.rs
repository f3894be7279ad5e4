//! `ferry verify` with declarative checks (`checks/*.toml`, `[[check]]` in ferry.toml): every
//! kind passing, then failing with a reason that names the object; behavioural RLS checks and
//! the roles they refuse; verify leaving no trace; `--snapshot`; `up --verify`.

use ferry_schema::{Catalog, ReadOptions};
use ferry_test_support::{TestDb, TestProject, fresh_db};

use super::{Run, ferry, public_tables, schema, tracked};

/// Roles are cluster-wide and shared by every test: created idempotently, never dropped.
const ROLES: &str = "
DO $$ BEGIN CREATE ROLE ferry_checks_user NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE ferry_checks_super SUPERUSER NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE ferry_checks_bypass BYPASSRLS NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
DO $$ BEGIN CREATE ROLE ferry_checks_owner NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;
";

const ALICE: &str = "00000000-0000-0000-0000-00000000000a";
const BOB: &str = "00000000-0000-0000-0000-00000000000b";

/// A schema with one of everything the checks look at: an enum, tables with identity, serial,
/// varchar, defaults and NOT NULL, a partial expression index, foreign keys with actions, a
/// check constraint, a trigger, a function, a view, row level security with policies, data.
const SCHEMA: &str = r#"
create type task_status as enum ('todo', 'doing', 'done');

create table accounts (
    id bigint generated always as identity primary key,
    email text not null unique,
    created_at timestamptz not null default now()
);

create table projects (
    id bigint generated always as identity primary key,
    owner uuid not null,
    name varchar(100) not null,
    status task_status not null default 'todo',
    deleted_at timestamptz
);
create index projects_name_idx on projects (lower(name)) where deleted_at is null;

create table tasks (
    id serial primary key,
    project_id bigint not null references projects (id) on delete cascade,
    account_id bigint references accounts (id) on delete set null,
    title text not null check (length(title) > 0)
);
create index tasks_project_idx on tasks (project_id);
create index tasks_account_idx on tasks (account_id);

create function trim_name() returns trigger language plpgsql as $$
begin
    new.name := trim(new.name);
    return new;
end
$$;
create trigger projects_trim_name before insert or update on projects
    for each row execute function trim_name();

create function account_count(p_min bigint) returns bigint language sql stable
    as $$ select count(*) from accounts where id >= p_min $$;

create view project_names as select id, name from projects where deleted_at is null;

alter table projects enable row level security;
create policy projects_select on projects for select to ferry_checks_user
    using (owner = current_setting('request.jwt.claim.sub', true)::uuid);
create policy projects_insert on projects for insert to ferry_checks_user
    with check (owner = current_setting('request.jwt.claim.sub', true)::uuid);
create policy projects_update on projects for update to ferry_checks_user
    using (owner = current_setting('request.jwt.claim.sub', true)::uuid);
grant select, insert, update, delete on projects to ferry_checks_user;

insert into accounts (email) values ('alice@example.com'), ('bob@example.com');
insert into projects (owner, name) values
    ('00000000-0000-0000-0000-00000000000a', 'alpha'),
    ('00000000-0000-0000-0000-00000000000a', 'beta'),
    ('00000000-0000-0000-0000-00000000000b', 'gamma');
insert into tasks (project_id, account_id, title) values (1, 1, 'write'), (3, 2, 'read');
"#;

/// One check of every kind, all passing on [`SCHEMA`]; aliases and bare names on purpose.
fn every_kind() -> String {
    format!(
        r#"
[[check]]
id = "tables.accounts"
kind = "table"
table = "accounts"
columns = {{ id = "int8", email = "text", created_at = "timestamptz" }}
not_null = ["email", "created_at"]
defaults = {{ created_at = "now()" }}

[[check]]
id = "tables.projects"
kind = "table"
table = "public.projects"
columns = {{ name = "varchar(100)", status = "task_status", owner = "uuid" }}
defaults = {{ status = "'todo'" }}

[[check]]
id = "indexes.projects_name"
kind = "index"
table = "public.projects"
name = "projects_name_idx"
columns = ["lower(name)"]
unique = false
where = "deleted_at IS NULL"

[[check]]
id = "indexes.accounts_email"
kind = "index"
table = "accounts"
columns = ["email"]
unique = true

[[check]]
id = "constraints.tasks_project_fk"
kind = "constraint"
table = "public.tasks"
type = "foreign_key"
columns = ["project_id"]
references = "public.projects"
on_delete = "cascade"
name = "tasks_project_id_fkey"

[[check]]
id = "constraints.tasks_pk"
kind = "constraint"
table = "tasks"
type = "primary_key"
columns = ["id"]

[[check]]
id = "constraints.tasks_title"
kind = "constraint"
table = "tasks"
type = "check"
name = "tasks_title_check"

[[check]]
id = "triggers.projects_trim_name"
kind = "trigger"
table = "public.projects"
name = "projects_trim_name"

[[check]]
id = "functions.account_count"
kind = "function"
name = "public.account_count"
args = "bigint"

[[check]]
id = "views.project_names"
kind = "view"
name = "project_names"
materialized = false

[[check]]
id = "extensions.plpgsql"
kind = "extension"
name = "plpgsql"

[[check]]
id = "enums.task_status"
kind = "enum"
name = "public.task_status"
values = ["todo", "doing", "done"]

[[check]]
id = "rls.projects"
kind = "rls"
table = "public.projects"

[[check]]
id = "policies.projects"
kind = "policies"
table = "public.projects"
count = 3

[[check]]
id = "policies.projects_select"
kind = "policies"
table = "public.projects"
name = "projects_select"
command = "select"

[[check]]
id = "fk_indexes.public"
kind = "fk_indexes"
schema = "public"

[[check]]
id = "data.accounts"
kind = "sql"
sql = "select count(*) >= 2 from accounts"

[[check]]
id = "rls.alice_sees_own_projects"
kind = "behaviour"
role = "ferry_checks_user"
settings = {{ "request.jwt.claim.sub" = "{ALICE}" }}
sql = "select * from projects"
rows = 2

[[check]]
id = "rls.alice_cannot_insert_for_bob"
kind = "behaviour"
role = "ferry_checks_user"
settings = {{ "request.jwt.claim.sub" = "{ALICE}" }}
sql = "insert into projects (owner, name, status) values ('{BOB}', 'stolen', 'todo')"
denied = true

[[check]]
id = "rls.alice_cannot_update_bobs"
kind = "behaviour"
role = "ferry_checks_user"
settings = {{ "request.jwt.claim.sub" = "{ALICE}" }}
sql = "update projects set name = 'mine' where owner = '{BOB}'"
affected = 0
"#
    )
}

/// The roles, then [`SCHEMA`] as migration 001, applied; [`every_kind`] in checks/schema.toml.
fn project_with_checks(db: &TestDb) -> TestProject {
    db.execute(ROLES);
    let project = TestProject::new();
    project.write_migration("001_schema.sql", SCHEMA);
    project.write("checks/schema.toml", every_kind());
    ferry(&project, db, &["up"]).assert_code(0);
    project
}

/// The JSON result of the check `id` in a `verify --json` document.
fn result<'a>(json: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {json:#}"))
}

#[track_caller]
fn assert_fails(run: &Run, id: &str, reason: &str) {
    let json = run.json();
    let check = result(&json, id);
    assert_eq!(check["passed"], false, "{id} should fail: {check:#}");
    let actual = check["reason"].as_str().unwrap_or_default();
    assert!(
        actual.contains(reason),
        "{id}: reason {actual:?} should contain {reason:?}"
    );
}

#[test]
fn every_kind_passes_then_each_break_fails_naming_the_object() {
    let db = fresh_db();
    let project = project_with_checks(&db);

    let run = ferry(&project, &db, &["verify"]);
    run.assert_code(0);
    assert!(run.stdout.contains("20/20 passed"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("✅ tables.accounts table public.accounts with 3 columns\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "✅ rls.alice_sees_own_projects as ferry_checks_user: select * from projects → 2 rows\n"
        ),
        "{}",
        run.stdout
    );

    let run = ferry(&project, &db, &["verify", "--json"]);
    run.assert_code(0);
    let json = run.json();
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["passed"], 20);
    let kinds: std::collections::BTreeSet<&str> = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.len(), 13, "every kind: {kinds:?}");
    let check = result(&json, "indexes.projects_name");
    assert_eq!(check["passed"], true);
    assert!(check["reason"].is_null());
    assert_eq!(check["source"], "checks/schema.toml:17");

    // Break each thing by hand.
    db.execute(
        "alter table accounts alter column email type varchar(200);
         alter table projects alter column status drop default;
         drop index projects_name_idx;
         alter table accounts drop constraint accounts_email_key;
         alter table tasks drop constraint tasks_project_id_fkey,
             add constraint tasks_project_id_fkey foreign key (project_id) references projects (id) on delete restrict;
         alter table tasks drop constraint tasks_title_check;
         alter table tasks drop constraint tasks_pkey;
         alter table projects disable trigger projects_trim_name;
         drop function account_count(bigint);
         create function account_count(p_min integer) returns bigint language sql as $$ select 1::bigint $$;
         drop view project_names;
         create materialized view project_names as select id, name from projects;
         drop policy projects_select on projects;
         alter table projects disable row level security;
         drop index tasks_account_idx;
         delete from tasks; delete from accounts;",
    );
    db.execute("alter type task_status add value 'blocked'");

    let run = ferry(&project, &db, &["verify", "--json"]);
    run.assert_code(1);
    assert_eq!(run.json()["passed"], 1, "only the extension still passes");
    for (id, reason) in [
        (
            "tables.accounts",
            "column public.accounts.email is character varying(200), expected text",
        ),
        (
            "tables.projects",
            "column public.projects.status has no default, expected 'todo'",
        ),
        (
            "indexes.projects_name",
            "no index named projects_name_idx on public.projects",
        ),
        (
            "indexes.accounts_email",
            "no index on public.accounts (email); its indexes: accounts_pkey (id) unique",
        ),
        (
            "constraints.tasks_project_fk",
            "foreign key tasks_project_id_fkey on public.tasks is ON DELETE RESTRICT, expected ON DELETE CASCADE",
        ),
        ("constraints.tasks_pk", "public.tasks has no primary key"),
        (
            "constraints.tasks_title",
            "no constraint named tasks_title_check on public.tasks",
        ),
        (
            "triggers.projects_trim_name",
            "trigger projects_trim_name on public.projects is disabled",
        ),
        (
            "functions.account_count",
            "function public.account_count takes (p_min integer), expected (bigint)",
        ),
        (
            "views.project_names",
            "public.project_names is a materialized view, expected a plain view",
        ),
        (
            "enums.task_status",
            "enum public.task_status has values (todo, doing, done, blocked), expected (todo, doing, done)",
        ),
        (
            "rls.projects",
            "row level security is not enabled on public.projects",
        ),
        (
            "policies.projects",
            "public.projects has 2 policies: projects_insert (INSERT), projects_update (UPDATE); expected exactly 3",
        ),
        (
            "policies.projects_select",
            "policy projects_select on public.projects does not exist",
        ),
        (
            "fk_indexes.public",
            "no index covers foreign key tasks_account_id_fkey on public.tasks (account_id)",
        ),
        ("data.accounts", "the assertion returned false"),
        (
            "rls.alice_sees_own_projects",
            "as ferry_checks_user, the query returned 3 rows, expected 2",
        ),
        (
            "rls.alice_cannot_insert_for_bob",
            "the query was allowed (0 rows returned, 1 affected); expected it to be denied",
        ),
        (
            "rls.alice_cannot_update_bobs",
            "as ferry_checks_user, the query affected 1 row, expected 0",
        ),
    ] {
        assert_fails(&run, id, reason);
    }

    let human = ferry(&project, &db, &["verify"]);
    human.assert_code(1);
    assert!(
        human.stdout.contains("❌ triggers.projects_trim_name trigger projects_trim_name on public.projects enabled: trigger projects_trim_name on public.projects is disabled\n"),
        "{}",
        human.stdout
    );
    assert!(human.stdout.ends_with("1/20 passed\n"), "{}", human.stdout);
}

#[test]
fn a_policy_that_shows_other_users_rows_is_caught() {
    let db = fresh_db();
    let project = project_with_checks(&db);
    ferry(&project, &db, &["verify"]).assert_code(0);

    // The classic mistake: a SELECT policy that forgets to compare the owner.
    db.execute(
        "drop policy projects_select on projects;
         create policy projects_select on projects for select to ferry_checks_user using (true);",
    );
    let run = ferry(&project, &db, &["verify", "--json"]);
    run.assert_code(1);
    assert_fails(
        &run,
        "rls.alice_sees_own_projects",
        "as ferry_checks_user, the query returned 3 rows, expected 2",
    );
    let json = run.json();
    assert_eq!(json["failed"], 1, "the model still looks right: {json:#}");
    let human = ferry(&project, &db, &["verify"]);
    assert!(
        human.stdout.contains("❌ rls.alice_sees_own_projects as ferry_checks_user: select * from projects → 2 rows: as ferry_checks_user, the query returned 3 rows, expected 2\n"),
        "{}",
        human.stdout
    );
}

#[test]
fn behaviour_checks_refuse_roles_that_bypass_row_level_security() {
    let db = fresh_db();
    db.execute(ROLES);
    let project = TestProject::new();
    project.write_migration(
        "001_notes.sql",
        "create table notes (id int primary key, owner text not null);
         alter table notes enable row level security;
         create policy notes_own on notes using (owner = current_user);
         insert into notes values (1, 'ferry_checks_owner'), (2, 'someone_else');
         grant select on notes to public;
         alter table notes owner to ferry_checks_owner;",
    );
    ferry(&project, &db, &["up"]).assert_code(0);
    let check = |id: &str, role: &str| {
        format!(
            "[[check]]\nid = \"{id}\"\nkind = \"behaviour\"\nrole = \"{role}\"\nsql = \"select * from notes\"\nrows = 1\n\n"
        )
    };
    project.write(
        "checks/roles.toml",
        [
            check("as_super", "ferry_checks_super"),
            check("as_bypass", "ferry_checks_bypass"),
            check("as_owner", "ferry_checks_owner"),
        ]
        .concat(),
    );
    let run = ferry(&project, &db, &["verify", "--json"]);
    run.assert_code(1);
    assert_fails(
        &run,
        "as_super",
        "refusing to run as ferry_checks_super: it is a superuser, and superusers bypass row level security",
    );
    assert_fails(
        &run,
        "as_bypass",
        "refusing to run as ferry_checks_bypass: it has BYPASSRLS",
    );
    assert_fails(
        &run,
        "as_owner",
        "refusing to run as ferry_checks_owner: it owns public.notes, and its row level security is not forced",
    );

    // Forced, the policy applies to the owner too: the check runs, and passes.
    db.execute("alter table notes force row level security");
    let run = ferry(&project, &db, &["verify", "--json"]);
    let json = run.json();
    assert_eq!(result(&json, "as_owner")["passed"], true, "{json:#}");
    assert_eq!(json["failed"], 2);
}

#[test]
fn missing_objects_roles_and_bad_sql_fail_with_a_reason_never_a_crash() {
    let db = fresh_db();
    let project = project_with_checks(&db);
    project.write(
        "checks/missing.toml",
        r#"
[[check]]
id = "m.table"
kind = "table"
table = "public.nope"

[[check]]
id = "m.column"
kind = "table"
table = "accounts"
columns = { nickname = "text" }

[[check]]
id = "m.index_table"
kind = "index"
table = "nope"
columns = ["x"]

[[check]]
id = "m.view_is_table"
kind = "view"
name = "accounts"

[[check]]
id = "m.table_is_view"
kind = "table"
table = "project_names"

[[check]]
id = "m.trigger"
kind = "trigger"
table = "accounts"
name = "nope"

[[check]]
id = "m.function"
kind = "function"
name = "app.nope"

[[check]]
id = "m.extension"
kind = "extension"
name = "hstore"

[[check]]
id = "m.enum"
kind = "enum"
name = "mood"
values = ["ok"]

[[check]]
id = "m.schema"
kind = "rls"
schema = "nope"

[[check]]
id = "m.policy_table"
kind = "policies"
table = "nope"
at_least = 1

[[check]]
id = "m.sql_error"
kind = "sql"
sql = "select count(*) > 0 from nope"

[[check]]
id = "m.sql_not_boolean"
kind = "sql"
sql = "select count(*) from accounts"

[[check]]
id = "m.sql_syntax"
kind = "sql"
sql = "selec 1"

[[check]]
id = "m.role"
kind = "behaviour"
role = "ferry_checks_nobody"
sql = "select 1"
rows = 1

[[check]]
id = "m.behaviour_table"
kind = "behaviour"
role = "ferry_checks_user"
sql = "select * from nope"
rows = 0

[[check]]
id = "m.denied_but_expected_rows"
kind = "behaviour"
role = "ferry_checks_user"
sql = "select * from accounts"
rows = 2

[[check]]
id = "m.setup"
kind = "behaviour"
role = "ferry_checks_user"
setup = "insert into nope values (1)"
sql = "select 1"
rows = 1
"#,
    );
    let run = ferry(&project, &db, &["verify", "--json"]);
    run.assert_code(1);
    for (id, reason) in [
        ("m.table", "table public.nope does not exist"),
        ("m.column", "column public.accounts.nickname does not exist"),
        ("m.index_table", "table public.nope does not exist"),
        ("m.view_is_table", "public.accounts is a table, not a view"),
        (
            "m.table_is_view",
            "public.project_names is a view, not a table",
        ),
        (
            "m.trigger",
            "trigger nope on public.accounts does not exist",
        ),
        ("m.function", "function app.nope does not exist"),
        ("m.extension", "extension hstore is not installed"),
        ("m.enum", "enum public.mood does not exist"),
        ("m.schema", "schema nope does not exist"),
        ("m.policy_table", "table public.nope does not exist"),
        (
            "m.sql_error",
            "the query failed: relation \"nope\" does not exist (42P01)",
        ),
        (
            "m.sql_not_boolean",
            "the query returned a value of type int8; it must return a boolean",
        ),
        ("m.sql_syntax", "syntax error"),
        ("m.role", "role ferry_checks_nobody does not exist"),
        (
            "m.behaviour_table",
            "as ferry_checks_user, the query failed: relation \"nope\" does not exist",
        ),
        (
            "m.denied_but_expected_rows",
            "as ferry_checks_user, the query was denied: permission denied for table accounts (42501)",
        ),
        (
            "m.setup",
            "the setup failed: relation \"nope\" does not exist",
        ),
    ] {
        assert_fails(&run, id, reason);
    }
    assert_eq!(run.json()["passed"], 20, "the other checks still pass");
}

#[test]
fn check_file_mistakes_and_duplicate_ids_are_errors_naming_file_and_line() {
    let db = fresh_db();
    let project = TestProject::new();
    project.write_migration("001_t.sql", "create table t (id int);\n");
    project.write(
        "ferry.toml",
        "[[check]]\nid = \"t.exists\"\nkind = \"table\"\ntable = \"t\"\n",
    );
    project.write(
        "checks/a.toml",
        "[[check]]\nid = \"t.int\"\nkind = \"table\"\ntable = \"t\"\ncolumns = { id = \"int4\" }\n",
    );
    ferry(&project, &db, &["up"]).assert_code(0);
    let run = ferry(&project, &db, &["verify"]);
    run.assert_code(0);
    assert!(
        run.stdout.contains(
            "✅ t.exists table public.t\n✅ t.int table public.t with 1 column\n2/2 passed\n"
        ),
        "ferry.toml's checks first: {}",
        run.stdout
    );

    project.write(
        "checks/b.toml",
        "# again\n\n[[check]]\nid = \"t.exists\"\nkind = \"view\"\nname = \"t\"\n",
    );
    let run = ferry(&project, &db, &["verify"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains(
            "checks/b.toml:3:1: check id \"t.exists\" is used twice, here and at ferry.toml:1"
        ),
        "{}",
        run.stderr
    );
    let run = ferry(&project, &db, &["verify", "--json"]);
    run.assert_code(2);
    assert_eq!(run.json()["error"]["kind"], "config");

    project.write(
        "checks/b.toml",
        "[[check]]\nid = \"typo\"\nkind = \"index\"\ntable = \"t\"\ncolumn = [\"id\"]\n",
    );
    let run = ferry(&project, &db, &["verify"]);
    run.assert_code(2);
    assert!(
        run.stderr
            .contains("checks/b.toml:1:1: check \"typo\": unknown field `column`"),
        "{}",
        run.stderr
    );
}

/// The schema model and every table's rows, in a comparable form.
fn state(db: &TestDb) -> (Catalog, Vec<Vec<Vec<Option<String>>>>) {
    let catalog =
        ferry_schema::read(&mut db.client(), &ReadOptions::default()).expect("read the model");
    let rows = ["accounts", "projects", "tasks"]
        .iter()
        .map(|t| db.query_strings(&format!("select * from {t} order by 1")))
        .collect();
    (catalog, rows)
}

#[test]
fn verify_leaves_no_trace_in_data_or_catalog() {
    let db = fresh_db();
    let project = project_with_checks(&db);
    project.write(
        "checks/writes.toml",
        format!(
            r#"
[[check]]
id = "writes.setup_and_insert"
kind = "behaviour"
role = "ferry_checks_user"
settings = {{ "request.jwt.claim.sub" = "{ALICE}" }}
setup = "insert into accounts (email) values ('carol@example.com'); create table scratch (id int)"
sql = "insert into projects (owner, name) values ('{ALICE}', 'new')"
affected = 1

[[check]]
id = "writes.delete_in_sql"
kind = "sql"
sql = "with gone as (delete from tasks returning 1) select count(*) = 2 from gone"

[[check]]
id = "writes.session_setting"
kind = "sql"
sql = "select pg_catalog.set_config('search_path', 'nowhere', false) = 'nowhere'"

[[check]]
id = "writes.session_setting_rolled_back"
kind = "sql"
sql = "select count(*) >= 0 from accounts"
"#
        ),
    );
    let before = state(&db);
    let run = ferry(&project, &db, &["verify"]);
    run.assert_code(0);
    assert!(run.stdout.contains("24/24 passed"), "{}", run.stdout);
    let after = state(&db);
    assert_eq!(before.0, after.0, "the catalog is unchanged");
    assert_eq!(before.1, after.1, "the data is unchanged");
    assert_eq!(
        db.query_strings("select count(*) from pg_class where relname = 'scratch'")[0][0]
            .as_deref(),
        Some("0")
    );
}

#[test]
fn snapshot_writes_checks_that_pass_at_once() {
    let db = fresh_db();
    let project = project_with_checks(&db);
    std::fs::remove_file(project.path().join("checks/schema.toml")).unwrap();

    let run = ferry(&project, &db, &["verify", "--snapshot"]);
    run.assert_code(0);
    assert!(
        run.stdout.contains("checks to ") && run.stdout.contains("checks/snapshot.toml"),
        "{}",
        run.stdout
    );
    let text = std::fs::read_to_string(project.path().join("checks/snapshot.toml")).unwrap();
    for pinned in [
        "id = \"table.public.projects\"",
        "columns = { id = \"bigint\", owner = \"uuid\", name = \"character varying(100)\", status = \"public.task_status\", deleted_at = \"timestamp with time zone\" }",
        "id = \"index.public.projects_name_idx\"",
        "where = \"(deleted_at IS NULL)\"",
        "id = \"constraint.public.tasks.tasks_project_id_fkey\"",
        "on_delete = \"cascade\"",
        "id = \"policies.public.projects\"\nkind = \"policies\"\ntable = \"public.projects\"\ncount = 3",
        "id = \"policy.public.projects.projects_select\"",
        "id = \"rls.public.projects\"",
        "id = \"enum.public.task_status\"",
        "id = \"extension.plpgsql\"",
        "id = \"view.public.project_names\"",
        "id = \"function.public.account_count(p_min bigint)\"",
        "id = \"trigger.public.projects.projects_trim_name\"",
    ] {
        assert!(text.contains(pinned), "{pinned}\nnot in:\n{text}");
    }

    let run = ferry(&project, &db, &["verify", "--json"]);
    run.assert_code(0);
    let json = run.json();
    assert_eq!(json["failed"], 0, "{json:#}");
    let count = json["checks"].as_array().unwrap().len();
    assert!(count > 20, "{count} checks");

    // It pins things down: a dropped index turns its check ❌.
    db.execute("drop index tasks_project_idx");
    let run = ferry(&project, &db, &["verify", "--json"]);
    run.assert_code(1);
    assert_fails(
        &run,
        "index.public.tasks_project_idx",
        "no index named tasks_project_idx on public.tasks",
    );

    // Not replaced without --force; --output - prints it.
    let run = ferry(&project, &db, &["verify", "--snapshot"]);
    run.assert_code(2);
    assert!(run.stderr.contains("pass --force"), "{}", run.stderr);
    ferry(&project, &db, &["verify", "--snapshot", "--force"]).assert_code(0);
    ferry(&project, &db, &["verify"]).assert_code(0);
    let run = ferry(&project, &db, &["verify", "--snapshot", "--output", "-"]);
    run.assert_code(0);
    assert!(
        run.stdout.starts_with("# The schema of ") && run.stdout.contains("[[check]]"),
        "{}",
        run.stdout
    );
}

const TOO_FEW_ITEMS: &str = "do $$ begin
  if (select count(*) from items) < 2 then
    raise exception 'items has % rows, expected at least 2', (select count(*) from items);
  end if;
end $$;
";

#[test]
fn up_verify_rolls_back_a_migration_whose_verify_script_fails() {
    let db = fresh_db();
    let project = TestProject::new();
    project.write_migration(
        "001_items.sql",
        "create table items (id int primary key, name text);\n",
    );
    project.write_migration("001_items.verify.sql", "select count(*) from items;\n");
    project.write_migration(
        "002_fill.sql",
        "alter table items add column price int;\ninsert into items values (1, 'a', 5);\n",
    );
    project.write_migration("002_fill.verify.sql", TOO_FEW_ITEMS);

    // --single-transaction: the failing verify undoes the whole run.
    let run = ferry(&project, &db, &["up", "--single-transaction", "--verify"]);
    run.assert_code(2);
    assert!(tracked(&db).is_empty(), "{:?}", tracked(&db));
    assert!(public_tables(&db).is_empty());

    ferry(&project, &db, &["up", "--to", "1", "--verify"]).assert_code(0);
    let schema_before = schema(&db);
    let tracked_before = tracked(&db);
    assert_eq!(tracked_before, [("001".to_owned(), "applied".to_owned())]);

    let run = ferry(&project, &db, &["up", "--verify"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("002_fill.verify.sql:3:5")
            && run
                .stderr
                .contains("verify script failed: items has 1 rows, expected at least 2")
            && run.stderr.contains("nothing of migration 002 remains"),
        "{}",
        run.stderr
    );
    assert_eq!(schema(&db), schema_before, "the schema is as it was");
    assert_eq!(
        tracked(&db),
        tracked_before,
        "the tracking table is as it was"
    );
    assert_eq!(
        db.query_strings("select count(*) from items")[0][0].as_deref(),
        Some("0")
    );
    let json = ferry(&project, &db, &["up", "--verify", "--json"]).json();
    assert_eq!(json["failure"]["version"], "002", "{json:#}");
    assert!(json["ran"].as_array().unwrap().is_empty());

    // The verify script sees the migration's uncommitted work: a passing one lets it commit.
    project.write_migration(
        "002_fill.verify.sql",
        "do $$ begin if (select count(*) from items where price = 5) <> 1 then raise exception 'no price'; end if; end $$;\n",
    );
    ferry(&project, &db, &["up", "--verify"]).assert_code(0);
    assert_eq!(tracked(&db).len(), 2);
    assert_eq!(
        db.query_strings("select count(*) from items")[0][0].as_deref(),
        Some("1")
    );
}

#[test]
fn up_verify_records_a_no_transaction_migration_as_failed() {
    let db = fresh_db();
    let project = TestProject::new();
    project.write_migration("001_items.sql", "create table items (id int);\n");
    project.write_migration(
        "002_index.sql",
        "-- ferry:no-transaction\ncreate index concurrently items_id_idx on items (id);\n",
    );
    project.write_migration(
        "002_index.verify.sql",
        "do $$ begin raise exception 'not good enough'; end $$;\n",
    );
    let run = ferry(&project, &db, &["up", "--verify"]);
    run.assert_code(2);
    assert!(
        run.stderr.contains("verify script failed: not good enough")
            && run.stderr.contains("cannot be rolled back")
            && run.stderr.contains("recorded as failed"),
        "{}",
        run.stderr
    );
    assert_eq!(
        tracked(&db),
        [
            ("001".to_owned(), "applied".to_owned()),
            ("002".to_owned(), "failed".to_owned())
        ]
    );
    assert_eq!(
        db.query_strings("select count(*) from pg_indexes where indexname = 'items_id_idx'")[0][0]
            .as_deref(),
        Some("1"),
        "what ran stays"
    );

    // Fixed, `up --verify` runs only the verify script and records the migration applied.
    project.write_migration("002_index.verify.sql", "select 1;\n");
    ferry(&project, &db, &["up", "--verify"]).assert_code(0);
    assert_eq!(tracked(&db)[1], ("002".to_owned(), "applied".to_owned()));
}
