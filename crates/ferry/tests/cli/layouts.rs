//! Other tools' folder layouts read as they are: golang-migrate, sqlx, dbmate, Flyway (with
//! repeatable migrations) and diesel; detection, `layout =` in ferry.toml, mixed folders; and
//! every example in examples/ converted to each layout, round-tripped like the native one.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use ferry_test_support::{TestDb, TestProject, fresh_db};
use serde_json::Value;

use super::{Run, ferry, schema};

/// `status --json`'s migrations: (version, state, transactional).
fn statuses(project: &TestProject, db: &TestDb) -> Vec<(String, String, bool)> {
    let json = ferry(project, db, &["status", "--json"]).json();
    json["migrations"]
        .as_array()
        .unwrap_or_else(|| panic!("{json}"))
        .iter()
        .map(|m| {
            (
                m["version"].as_str().unwrap().to_owned(),
                m["state"].as_str().unwrap().to_owned(),
                m["transactional"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn layout_of(project: &TestProject, db: &TestDb) -> String {
    let json = ferry(project, db, &["status", "--json"]).json();
    json["layout"].as_str().unwrap_or_default().to_owned()
}

/// The versions of `history --json` entries with this action, oldest first.
fn history(project: &TestProject, db: &TestDb, action: &str) -> Vec<String> {
    let json = ferry(project, db, &["history", "--json"]).json();
    json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == action)
        .map(|e| {
            let version = e["version"].as_str().unwrap_or_default();
            if version == "R" {
                format!("R:{}", e["name"].as_str().unwrap_or_default())
            } else {
                version.to_owned()
            }
        })
        .collect()
}

#[track_caller]
fn assert_contains(run: &Run, text: &str) {
    assert!(
        run.stderr.contains(text) || run.stdout.contains(text),
        "expected {text:?}\nstdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
}

#[test]
fn golang_migrate_outer_transaction_concurrent_index_and_refused_commit() {
    let db = fresh_db();
    let project = TestProject::new();
    let empty = schema(&db);
    project.write_migration(
        "000001_create_users.up.sql",
        "BEGIN;\ncreate table users (id int primary key, email text);\ninsert into users values (1, 'a@x');\nCOMMIT;\n",
    );
    project.write_migration("000001_create_users.down.sql", "drop table users;\n");
    // golang-migrate sends a file as one query, so an index built concurrently works alone.
    project.write_migration(
        "000002_index_email.up.sql",
        "create index concurrently users_email_idx on users (email);\n",
    );
    project.write_migration(
        "000002_index_email.down.sql",
        "drop index concurrently users_email_idx;\n",
    );
    ferry(&project, &db, &["up"]).assert_code(0);
    assert_eq!(layout_of(&project, &db), "golang-migrate");
    assert_eq!(
        statuses(&project, &db),
        [
            ("000001".to_owned(), "applied".to_owned(), true),
            ("000002".to_owned(), "applied".to_owned(), false),
        ]
    );

    // Any other transaction control is refused before anything runs, naming its line.
    project.write_migration(
        "000003_two_steps.up.sql",
        "create table a (id int);\ncommit;\ncreate table b (id int);\n",
    );
    let run = ferry(&project, &db, &["up"]);
    run.assert_code(2);
    assert_contains(&run, "000003_two_steps.up.sql:2:1");
    assert_contains(&run, "COMMIT");
    assert!(!super::public_tables(&db).contains(&"public.a".to_owned()));
    std::fs::remove_file(project.migrations_dir().join("000003_two_steps.up.sql")).unwrap();

    ferry(&project, &db, &["down", "--all"]).assert_code(0);
    assert_eq!(schema(&db), empty);
}

#[test]
fn sqlx_single_files_and_no_transaction() {
    let db = fresh_db();
    let project = TestProject::new();
    project.write_migration(
        "20240101000001_users.sql",
        "create table users (id int, email text);\n",
    );
    project.write_migration(
        "20240101000002_index.sql",
        "-- no-transaction\ncreate index concurrently users_email_idx on users (email);\n",
    );
    project.write_migration(
        "20240101000003_more.sql",
        "-- no-transaction\ncreate table more (id int);\ncreate table more2 (id int);\n",
    );
    ferry(&project, &db, &["up"]).assert_code(0);
    assert_eq!(layout_of(&project, &db), "sqlx");
    let s = statuses(&project, &db);
    assert_eq!(
        s.iter().map(|m| m.2).collect::<Vec<_>>(),
        [true, false, false]
    );
    assert!(s.iter().all(|m| m.1 == "applied"), "{s:?}");
    // A single-file sqlx migration is irreversible.
    let run = ferry(&project, &db, &["down"]);
    run.assert_code(2);
    assert_contains(&run, "has no down script");
    assert_contains(&run, "20240101000003_more.down.sql");
}

#[test]
fn dbmate_sections_transaction_false_and_file_positions() {
    let db = fresh_db();
    let project = TestProject::new();
    let empty = schema(&db);
    project.write_migration(
        "20240101000000_users.sql",
        "-- migrate:up\ncreate table users (id int, email text);\n\n-- migrate:down\ndrop table users;\n",
    );
    project.write_migration(
        "20240102000000_index.sql",
        "-- migrate:up transaction:false\ncreate index concurrently users_email_idx on users (email);\n\n-- migrate:down transaction:false\ndrop index concurrently users_email_idx;\n",
    );
    project.write_migration(
        "20240103000000_no_down.sql",
        "-- migrate:up\ncreate table notes (id int);\n",
    );
    ferry(&project, &db, &["up"]).assert_code(0);
    assert_eq!(layout_of(&project, &db), "dbmate");
    let json = ferry(&project, &db, &["status", "--json"]).json();
    let m = json["migrations"].as_array().unwrap();
    assert_eq!(m[0]["version"], "20240101000000");
    assert_eq!(m[0]["name"], "users");
    assert_eq!(m[1]["transactional"], false);
    assert_eq!(m[2]["has_down"], false);

    // An edit to the down section leaves the up section's SQL alone: cosmetic.
    project.write_migration(
        "20240101000000_users.sql",
        "-- migrate:up\ncreate table users (id int, email text);\n\n-- migrate:down\ndrop table if exists users;\n",
    );
    let status = ferry(&project, &db, &["status", "--json", "--exit-code"]);
    status.assert_code(0);
    assert_eq!(status.json()["migrations"][0]["change"], "cosmetic");

    // An error in the up section is reported at the file's own line and column.
    project.write_migration(
        "20240104000000_broken.sql",
        "-- a comment\n-- migrate:up\ncreate table t (id int);\nselect * from no_such_table;\n-- migrate:down\ndrop table t;\n",
    );
    let run = ferry(&project, &db, &["up"]);
    run.assert_code(2);
    assert_contains(&run, "20240104000000_broken.sql:4:15");
    std::fs::remove_file(project.migrations_dir().join("20240104000000_broken.sql")).unwrap();

    // The newest has no down section: down refuses it, naming the section.
    let run = ferry(&project, &db, &["down", "--all"]);
    run.assert_code(2);
    assert_contains(&run, "`-- migrate:down` section");
    db.execute("drop table notes");
    std::fs::remove_file(project.migrations_dir().join("20240103000000_no_down.sql")).unwrap();
    ferry(
        &project,
        &db,
        &["repair", "--forget", "20240103000000", "--reason", "gone"],
    )
    .assert_code(0);
    ferry(&project, &db, &["down", "--all"]).assert_code(0);
    assert_eq!(schema(&db), empty);
}

/// A Flyway folder: `V1`, `V1_9`, `V1_10`, `V1_11` and a repeatable view.
fn flyway_project() -> TestProject {
    let project = TestProject::new();
    project.write_migration(
        "V1__log.sql",
        "create table log (id serial primary key, step text);\n",
    );
    project.write_migration("U1__log.sql", "drop table log cascade;\n");
    for (version, step) in [("1_9", "nine"), ("1_10", "ten"), ("1_11", "eleven")] {
        project.write_migration(
            &format!("V{version}__{step}.sql"),
            &format!("insert into log (step) values ('{step}');\n"),
        );
        project.write_migration(
            &format!("U{version}__{step}.sql"),
            &format!("delete from log where step = '{step}';\n"),
        );
    }
    project.write_migration(
        "R__log_view.sql",
        "create or replace view log_steps as select step from log;\ninsert into log (step) values ('repeatable');\n",
    );
    project
}

fn log_steps(db: &TestDb) -> Vec<String> {
    db.query_strings("select step from log order by id")
        .into_iter()
        .map(|r| r[0].clone().unwrap())
        .collect()
}

#[test]
fn flyway_numeric_order_undo_and_repeatables() {
    let db = fresh_db();
    let project = flyway_project();
    let empty = schema(&db);
    ferry(&project, &db, &["up"]).assert_code(0);
    assert_eq!(layout_of(&project, &db), "flyway");
    assert_eq!(
        log_steps(&db),
        ["nine", "ten", "eleven", "repeatable"],
        "numeric order by segment, the repeatable after the versioned ones"
    );
    assert_eq!(
        history(&project, &db, "apply"),
        ["1", "1_9", "1_10", "1_11", "R:log_view"]
    );
    let s = statuses(&project, &db);
    assert_eq!(
        s.iter().map(|m| m.0.as_str()).collect::<Vec<_>>(),
        ["1", "1_9", "1_10", "1_11", "R"]
    );
    assert!(s.iter().all(|m| m.1 == "applied"), "{s:?}");
    ferry(&project, &db, &["status", "--exit-code"]).assert_code(0);

    // Unchanged: not run again. Edited: pending, run again after the versioned ones.
    ferry(&project, &db, &["up"]).assert_code(0);
    assert_eq!(log_steps(&db).len(), 4);
    project.write_migration(
        "R__log_view.sql",
        "create or replace view log_steps as select step, id from log;\ninsert into log (step) values ('repeatable');\n",
    );
    project.write_migration(
        "V2__twelve.sql",
        "insert into log (step) values ('twelve');\n",
    );
    project.write_migration("U2__twelve.sql", "delete from log where step = 'twelve';\n");
    let status = ferry(&project, &db, &["status", "--json", "--exit-code"]);
    status.assert_code(1);
    let json = status.json();
    let last = json["migrations"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["state"], "pending", "{json}");
    assert_eq!(last["repeatable"], true, "{json}");
    assert_eq!(json["summary"]["current"], "1_11", "{json}");
    ferry(&project, &db, &["up"]).assert_code(0);
    assert_eq!(
        log_steps(&db),
        [
            "nine",
            "ten",
            "eleven",
            "repeatable",
            "twelve",
            "repeatable"
        ]
    );

    // down uses the U scripts and never reverts the repeatable.
    ferry(&project, &db, &["down"]).assert_code(0);
    assert_eq!(log_steps(&db).last().unwrap(), "repeatable");
    ferry(&project, &db, &["down", "--to", "1.10"]).assert_code(0);
    assert_eq!(history(&project, &db, "rollback"), ["2", "1_11"]);

    // down --all forgets the repeatable too, so up builds the same schema again.
    let applied = {
        ferry(&project, &db, &["up"]).assert_code(0);
        schema(&db)
    };
    ferry(&project, &db, &["down", "--all"]).assert_code(0);
    assert_eq!(schema(&db), empty);
    let s = statuses(&project, &db);
    assert!(s.iter().all(|m| m.1 == "pending"), "{s:?}");
    ferry(&project, &db, &["up"]).assert_code(0);
    assert_eq!(schema(&db), applied);

    // A repeatable whose file is gone is reported missing until the decision is recorded.
    std::fs::remove_file(project.migrations_dir().join("R__log_view.sql")).unwrap();
    ferry(&project, &db, &["status", "--exit-code"]).assert_code(1);
    ferry(
        &project,
        &db,
        &[
            "repair",
            "--forget",
            "R__log_view.sql",
            "--reason",
            "view moved",
        ],
    )
    .assert_code(0);
    ferry(&project, &db, &["status", "--exit-code"]).assert_code(0);
}

#[test]
fn flyway_to_any_spelling_single_transaction_and_conf() {
    let db = fresh_db();
    let project = flyway_project();
    ferry(&project, &db, &["up", "--to", "1.10"]).assert_code(0);
    let s = statuses(&project, &db);
    let states: Vec<&str> = s.iter().map(|m| m.1.as_str()).collect();
    assert_eq!(
        states,
        ["applied", "applied", "applied", "pending", "applied"]
    );

    // --single-transaction includes the edited repeatable, after the pending versioned one.
    project.write_migration(
        "R__log_view.sql",
        "create or replace view log_steps as select step, id from log;\n",
    );
    ferry(&project, &db, &["up", "--single-transaction"]).assert_code(0);
    assert!(statuses(&project, &db).iter().all(|m| m.1 == "applied"));
    let applies = history(&project, &db, "apply");
    assert_eq!(&applies[applies.len() - 2..], ["1_11", "R:log_view"]);

    // executeInTransaction=false in the script's .sql.conf.
    project.write_migration("V3__no_tx.sql", "create table plain (id int);\n");
    project.write_migration(
        "V3__no_tx.sql.conf",
        "# Flyway script config\nexecuteInTransaction=false\n",
    );
    ferry(&project, &db, &["up"]).assert_code(0);
    let s = statuses(&project, &db);
    assert_eq!(s[4], ("3".to_owned(), "applied".to_owned(), false));

    // `1` = `1.0` = `001`: two files with one version are refused.
    project.write_migration("V4__a.sql", "select 1;\n");
    project.write_migration("V4.0__b.sql", "select 1;\n");
    let run = ferry(&project, &db, &["up"]);
    run.assert_code(2);
    assert_contains(&run, "V4__a.sql");
    assert_contains(&run, "V4.0__b.sql");
}

#[test]
fn diesel_dashed_timestamps_metadata_and_versions_as_written() {
    let db = fresh_db();
    let project = TestProject::new();
    let empty = schema(&db);
    let write = |folder: &str, file: &str, text: &str| {
        project.write(format!("migrations/{folder}/{file}"), text);
    };
    write(
        "00000000000000_diesel_initial_setup",
        "up.sql",
        "create or replace function diesel_set_updated_at() returns trigger as $$\nbegin\n  new.updated_at := current_timestamp;\n  return new;\nend;\n$$ language plpgsql;\n",
    );
    write(
        "00000000000000_diesel_initial_setup",
        "down.sql",
        "drop function if exists diesel_set_updated_at();\n",
    );
    write(
        "2019-10-01-000000_add_email",
        "up.sql",
        "alter table users add column email text;\n",
    );
    write(
        "2019-10-01-000000_add_email",
        "down.sql",
        "alter table users drop column email;\n",
    );
    write(
        "2019-02-26-002946_create_users",
        "up.sql",
        "create table users (id serial primary key, updated_at timestamptz);\n",
    );
    write(
        "2019-02-26-002946_create_users",
        "down.sql",
        "drop table users;\n",
    );
    write(
        "2019-10-02-101500_index_email",
        "up.sql",
        "create index concurrently users_email_idx on users (email);\n",
    );
    write(
        "2019-10-02-101500_index_email",
        "down.sql",
        "drop index concurrently users_email_idx;\n",
    );
    write(
        "2019-10-02-101500_index_email",
        "metadata.toml",
        "run_in_transaction = false\n",
    );
    project.write("migrations/.keep", "");

    ferry(&project, &db, &["up", "--to", "20190226002946"]).assert_code(0);
    ferry(&project, &db, &["up"]).assert_code(0);
    assert_eq!(layout_of(&project, &db), "diesel");
    let json = ferry(&project, &db, &["status", "--json"]).json();
    let m = json["migrations"].as_array().unwrap();
    let versions: Vec<&str> = m.iter().map(|m| m["version"].as_str().unwrap()).collect();
    assert_eq!(
        versions,
        [
            "00000000000000",
            "2019-02-26-002946",
            "2019-10-01-000000",
            "2019-10-02-101500"
        ]
    );
    assert_eq!(m[1]["name"], "create_users");
    assert_eq!(m[3]["transactional"], false);
    assert!(m.iter().all(|m| m["state"] == "applied"), "{json}");

    ferry(&project, &db, &["down", "--to", "2019-02-26-002946"]).assert_code(0);
    assert_eq!(
        history(&project, &db, "rollback"),
        ["2019-10-02-101500", "2019-10-01-000000"]
    );
    ferry(&project, &db, &["down", "--all"]).assert_code(0);
    assert_eq!(schema(&db), empty);
}

#[test]
fn mixed_folder_is_an_error_listing_the_files() {
    let db = fresh_db();
    let project = TestProject::new();
    project.write_migration("V1__a.sql", "select 1;\n");
    project.write_migration("002_b.up.sql", "select 1;\n");
    project.write_migration("002_b.down.sql", "select 1;\n");
    let run = ferry(&project, &db, &["status"]);
    run.assert_code(2);
    assert_contains(&run, "mixes layouts");
    assert_contains(&run, "flyway: V1__a.sql");
    assert_contains(&run, "002_b.down.sql, 002_b.up.sql");
}

#[test]
fn layout_in_ferry_toml_is_forced() {
    let db = fresh_db();
    let project = TestProject::new();
    project.write_migration("V1__a.sql", "create table a (id int);\n");
    project.write("ferry.toml", "layout = \"flyway\"\n");
    ferry(&project, &db, &["up"]).assert_code(0);
    assert_eq!(layout_of(&project, &db), "flyway");

    // A file of another layout in a forced folder names what the layout expects.
    project.write_migration("002_b.sql", "select 1;\n");
    let run = ferry(&project, &db, &["status"]);
    run.assert_code(2);
    assert_contains(
        &run,
        "002_b.sql: not a migration file name; expected V<version>__name.sql",
    );

    project.write("ferry.toml", "layout = \"liquibase\"\n");
    let run = ferry(&project, &db, &["status"]);
    run.assert_code(2);
    assert_contains(&run, "unknown layout `liquibase`");
}

// ---------------------------------------------------------------------------------------------
// Every example, converted to each layout.

/// The layouts an example is converted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Native,
    GolangMigrate,
    Sqlx,
    Dbmate,
    Flyway,
    Diesel,
}

/// One native migration of an example.
struct NativeMigration {
    version: String,
    name: String,
    up: String,
    down: Option<String>,
    verify: Option<String>,
}

/// examples/<name> for every example with a migrations folder.
fn examples() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("migrations").is_dir())
        .collect();
    found.sort();
    assert!(!found.is_empty(), "no examples in {}", root.display());
    found
}

/// Reads a native migrations folder.
fn read_native(dir: &Path) -> Vec<NativeMigration> {
    let mut files: HashMap<String, String> = HashMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if name.ends_with(".sql") {
            files.insert(name, std::fs::read_to_string(&path).unwrap());
        }
    }
    let mut ups: Vec<&String> = files
        .keys()
        .filter(|n| !n.ends_with(".down.sql") && !n.ends_with(".verify.sql"))
        .collect();
    ups.sort();
    ups.into_iter()
        .map(|file| {
            let stem = file.strip_suffix(".sql").unwrap();
            let (version, name) = stem.split_once('_').unwrap_or((stem, "migration"));
            NativeMigration {
                version: version.to_owned(),
                name: name.to_owned(),
                up: files[file].clone(),
                down: files.get(&format!("{stem}.down.sql")).cloned(),
                verify: files.get(&format!("{stem}.verify.sql")).cloned(),
            }
        })
        .collect()
}

/// Whether the script says `-- ferry:no-transaction`, and its text without that line.
fn take_directive(sql: &str) -> (bool, String) {
    let mut found = false;
    let mut out = String::with_capacity(sql.len());
    for line in sql.split_inclusive('\n') {
        if line.trim() == "-- ferry:no-transaction" {
            found = true;
        } else {
            out.push_str(line);
        }
    }
    (found, out)
}

/// Writes `migrations` into `project/migrations` in the `target` layout, carrying
/// `-- ferry:no-transaction` into the layout's own option (golang-migrate has none, so the
/// directive stays: ferry's own works in every layout). Verify scripts are kept where the
/// layout has a place for them (native, golang-migrate, sqlx, diesel). Returns how many verify
/// scripts were written.
fn write_converted(project: &TestProject, migrations: &[NativeMigration], target: Target) -> usize {
    let mut verify_scripts = 0;
    for m in migrations {
        let (v, n) = (&m.version, &m.name);
        let (up_no_tx, up) = take_directive(&m.up);
        let down = m.down.as_deref().map(take_directive);
        let mut verify = |path: String| {
            if let Some(text) = &m.verify {
                project.write_migration(&path, text);
                verify_scripts += 1;
            }
        };
        match target {
            Target::Native => {
                project.write_migration(&format!("{v}_{n}.sql"), &m.up);
                if let Some(down) = &m.down {
                    project.write_migration(&format!("{v}_{n}.down.sql"), down);
                }
                verify(format!("{v}_{n}.verify.sql"));
            }
            Target::GolangMigrate => {
                project.write_migration(&format!("{v}_{n}.up.sql"), &m.up);
                if let Some(down) = &m.down {
                    project.write_migration(&format!("{v}_{n}.down.sql"), down);
                }
                verify(format!("{v}_{n}.verify.sql"));
            }
            Target::Sqlx => {
                let sqlx = |no_tx: bool, text: &str| {
                    if no_tx {
                        format!("-- no-transaction\n{text}")
                    } else {
                        text.to_owned()
                    }
                };
                project.write_migration(&format!("{v}_{n}.up.sql"), &sqlx(up_no_tx, &up));
                if let Some((no_tx, down)) = &down {
                    project.write_migration(&format!("{v}_{n}.down.sql"), &sqlx(*no_tx, down));
                }
                verify(format!("{v}_{n}.verify.sql"));
            }
            Target::Dbmate => {
                let option = |no_tx: bool| if no_tx { " transaction:false" } else { "" };
                let mut text = format!("-- migrate:up{}\n{up}\n", option(up_no_tx));
                if let Some((no_tx, down)) = &down {
                    text.push_str(&format!("-- migrate:down{}\n{down}\n", option(*no_tx)));
                }
                project.write_migration(&format!("{v}_{n}.sql"), &text);
            }
            Target::Flyway => {
                let conf = "executeInTransaction=false\n";
                project.write_migration(&format!("V{v}__{n}.sql"), &up);
                if up_no_tx {
                    project.write_migration(&format!("V{v}__{n}.sql.conf"), conf);
                }
                if let Some((no_tx, down)) = &down {
                    project.write_migration(&format!("U{v}__{n}.sql"), down);
                    if *no_tx {
                        project.write_migration(&format!("U{v}__{n}.sql.conf"), conf);
                    }
                }
            }
            Target::Diesel => {
                let folder = format!("{v}_{n}");
                // metadata.toml covers both scripts; a down that alone says no-transaction
                // keeps ferry's directive.
                let down_only_no_tx = down.as_ref().is_some_and(|d| d.0) && !up_no_tx;
                project.write_migration(&format!("{folder}/up.sql"), &up);
                if up_no_tx {
                    project.write_migration(
                        &format!("{folder}/metadata.toml"),
                        "run_in_transaction = false\n",
                    );
                }
                if let Some((_, down_text)) = &down {
                    let text = if down_only_no_tx {
                        m.down.clone().unwrap()
                    } else {
                        down_text.clone()
                    };
                    project.write_migration(&format!("{folder}/down.sql"), &text);
                }
                verify(format!("{folder}/verify.sql"));
            }
        }
    }
    verify_scripts
}

/// Each example's schema after a native `up`, computed once per test binary.
fn native_schema(example: &Path) -> String {
    static CACHE: OnceLock<Mutex<HashMap<PathBuf, String>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(found) = cache.lock().unwrap().get(example) {
        return found.clone();
    }
    let db = fresh_db();
    let project = TestProject::new();
    write_converted(
        &project,
        &read_native(&example.join("migrations")),
        Target::Native,
    );
    ferry(&project, &db, &["up"]).assert_code(0);
    let applied = schema(&db);
    cache
        .lock()
        .unwrap()
        .insert(example.to_owned(), applied.clone());
    applied
}

/// up on an empty database, every verify script passes, status all applied, `down --all` back
/// to the empty schema, up again to the same schema, which is the native layout's.
fn round_trip_converted(target: Target, layout_names: &[&str]) {
    for example in examples() {
        let label = format!("{} as {target:?}", example.display());
        let migrations = read_native(&example.join("migrations"));
        let db = fresh_db();
        let project = TestProject::new();
        let verify_scripts = write_converted(&project, &migrations, target);
        let empty = schema(&db);

        ferry(&project, &db, &["up"]).assert_code(0);
        let applied = schema(&db);
        assert_ne!(applied, empty, "{label}: up changed nothing");
        if target != Target::Native {
            assert_eq!(
                applied,
                native_schema(&example),
                "{label}: the same schema as the native folder"
            );
        }

        if verify_scripts > 0 {
            let verify = ferry(&project, &db, &["verify"]);
            verify.assert_code(0);
            let passed = format!("{verify_scripts}/{verify_scripts} passed");
            assert!(
                verify.stdout.contains(&passed),
                "{label}: {}",
                verify.stdout
            );
        }

        let status = ferry(&project, &db, &["status", "--json", "--exit-code"]);
        status.assert_code(0);
        let json: Value = status.json();
        assert!(
            layout_names.contains(&json["layout"].as_str().unwrap_or_default()),
            "{label}: {json}"
        );
        let listed = json["migrations"].as_array().unwrap();
        assert_eq!(listed.len(), migrations.len(), "{label}: {json}");
        assert!(
            listed.iter().all(|m| m["state"] == "applied"),
            "{label}: {json}"
        );
        let versions: Vec<&str> = listed
            .iter()
            .map(|m| m["version"].as_str().unwrap())
            .collect();
        let written: Vec<&str> = migrations.iter().map(|m| m.version.as_str()).collect();
        assert_eq!(versions, written, "{label}: versions as written, in order");

        ferry(&project, &db, &["down", "--all"]).assert_code(0);
        assert_eq!(
            schema(&db),
            empty,
            "{label}: down --all gives back the empty schema"
        );
        ferry(&project, &db, &["up"]).assert_code(0);
        assert_eq!(
            schema(&db),
            applied,
            "{label}: up again gives the same schema"
        );
    }
}

#[test]
fn examples_as_native() {
    round_trip_converted(Target::Native, &["native"]);
}

#[test]
fn examples_as_golang_migrate() {
    round_trip_converted(Target::GolangMigrate, &["golang-migrate"]);
}

#[test]
fn examples_as_sqlx() {
    // Without a no-transaction migration a sqlx folder is golang-migrate's, file for file.
    round_trip_converted(Target::Sqlx, &["sqlx", "golang-migrate"]);
}

#[test]
fn examples_as_dbmate() {
    round_trip_converted(Target::Dbmate, &["dbmate"]);
}

#[test]
fn examples_as_flyway() {
    round_trip_converted(Target::Flyway, &["flyway"]);
}

#[test]
fn examples_as_diesel() {
    round_trip_converted(Target::Diesel, &["diesel"]);
}
