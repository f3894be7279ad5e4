//! Shapes met in real projects' migration folders (written by others, in other tools'
//! layouts), each reduced to a few lines of our own that reproduce what ferry got wrong.

use ferry_test_support::{TestProject, fresh_db};

use super::{ferry, public_tables, tracked};

/// Lemmy's diesel folder holds `00000000000000_diesel_initial_setup` and
/// `000000000000000_forbid_diesel_cli`: one number, two versions to diesel (which compares
/// them as strings). ferry refused the folder as a duplicate version.
#[test]
fn diesel_versions_equal_as_numbers_but_not_as_strings() {
    let db = fresh_db();
    let project = TestProject::new();
    project.write_migration(
        "00000000000000_diesel_initial_setup/up.sql",
        "create table setup (id int);\n",
    );
    project.write_migration(
        "00000000000000_diesel_initial_setup/down.sql",
        "drop table setup;\n",
    );
    project.write_migration(
        "000000000000000_forbid_diesel_cli/up.sql",
        "DO $$\nBEGIN\n    RAISE NOTICE 'use the server';\nEND\n$$;\n",
    );
    project.write_migration(
        "2019-02-26-002946_create_user/up.sql",
        "create table user_ (id int);\n",
    );
    project.write_migration(
        "2019-02-26-002946_create_user/down.sql",
        "drop table user_;\n",
    );

    // The version as status shows it names that migration, not its numeric twin.
    ferry(&project, &db, &["up", "--to", "000000000000000"]).assert_code(0);
    assert_eq!(
        tracked(&db),
        [
            ("00000000000000".to_owned(), "applied".to_owned()),
            ("000000000000000".to_owned(), "applied".to_owned()),
        ]
    );
    ferry(&project, &db, &["up"]).assert_code(0);
    let json = ferry(&project, &db, &["status", "--json"]).json();
    let versions: Vec<&str> = json["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["version"].as_str().unwrap())
        .collect();
    assert_eq!(
        versions,
        ["00000000000000", "000000000000000", "2019-02-26-002946"],
        "{json}"
    );
    assert_eq!(json["summary"]["applied"], 3, "{json}");
    assert_eq!(json["layout"], "diesel", "{json}");
}

/// A dbmate file saved with a BOM (Windows editors) was read as a native migration: its
/// `-- migrate:down` section ran as part of up, and errors said "statement 2 of 3".
#[test]
fn dbmate_file_with_a_bom_keeps_its_sections() {
    let db = fresh_db();
    let project = TestProject::new();
    project.write_migration(
        "20240101000000_users.sql",
        "\u{feff}-- migrate:up\r\nCREATE TABLE users (id int);\r\n\r\n-- migrate:down\r\nDROP TABLE users;\r\n",
    );
    project.write_migration(
        "20240102000000_posts.sql",
        "-- migrate:up\nCREATE TABLE posts (id int);\nSELECT nosuchcol FROM users;\n-- migrate:down\nDROP TABLE posts;\n",
    );
    let run = ferry(&project, &db, &["up", "--to", "20240101000000"]);
    run.assert_code(0);
    // Up ran the up section only: the table is there.
    assert_eq!(public_tables(&db), ["public.users"]);
    let json = ferry(&project, &db, &["status", "--json"]).json();
    assert_eq!(json["layout"], "dbmate", "{json}");
    // The failing statement is counted within its own section.
    let run = ferry(&project, &db, &["up"]);
    run.assert_code(2);
    assert!(run.stderr.contains("statement 2 of 2"), "{}", run.stderr);
    ferry(&project, &db, &["down"]).assert_code(0);
    assert!(public_tables(&db).is_empty(), "{:?}", public_tables(&db));
}
