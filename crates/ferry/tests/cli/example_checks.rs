//! The examples' declarative checks (examples/<name>/checks/*.toml): the seeds' own
//! validate/verify scripts, item for item. On each example after `up`, `ferry verify` passes
//! every check, and each seed's items are all there (counted by group, so a lost check fails).
//! Then things are broken by hand — a policy dropped, RLS disabled, an index dropped, a column
//! type changed, the initial data deleted, a trigger dropped, a policy that shows everyone's
//! rows — and exactly the right checks turn ❌, naming the object. And verify leaves no trace.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use ferry_test_support::{TestDb, TestProject, fresh_db};

use super::{Run, example_project, ferry, schema};

/// An example's migrations and its checks folder, copied into a new project.
fn example_with_checks(name: &str) -> TestProject {
    let project = example_project(name);
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
        .join("checks");
    for entry in
        std::fs::read_dir(&source).unwrap_or_else(|e| panic!("read {}: {e}", source.display()))
    {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_str().unwrap().to_owned();
        project.write(
            Path::new("checks").join(file),
            std::fs::read_to_string(&path).unwrap(),
        );
    }
    project
}

/// One line of `ferry verify --json` for a declarative check.
#[derive(Debug, Clone)]
struct Outcome {
    id: String,
    kind: String,
    /// What it checks, in words (the check's description, or generated).
    what: String,
    passed: bool,
    /// Why it failed.
    reason: String,
}

impl Outcome {
    /// What names the failing object: the reason of a check read from the catalog; for a
    /// `sql` or `behaviour` check, whose reason is about the query (`the assertion returned
    /// false`, `returned 2 rows, expected 1`), the ❌ line's `what: reason`.
    fn naming(&self) -> String {
        match self.kind.as_str() {
            "sql" | "behaviour" => format!("{}: {}", self.what, self.reason),
            _ => self.reason.clone(),
        }
    }
}

/// The declarative checks of a `ferry verify --json` run (the migrations' verify scripts,
/// kind `verify_script`, left out), in order.
fn declarative(run: &Run) -> Vec<Outcome> {
    let json = run.json();
    let checks = json["checks"]
        .as_array()
        .unwrap_or_else(|| panic!("no checks in {json}"));
    checks
        .iter()
        .filter(|c| c["kind"] != "verify_script")
        .map(|c| Outcome {
            id: c["id"].as_str().unwrap().to_owned(),
            kind: c["kind"].as_str().unwrap_or_default().to_owned(),
            what: c["what"].as_str().unwrap_or_default().to_owned(),
            passed: c["passed"].as_bool().unwrap(),
            reason: c["reason"].as_str().unwrap_or_default().to_owned(),
        })
        .collect()
}

/// `ferry verify --json`: the declarative checks, and whether the verify scripts passed.
fn verify(project: &TestProject, db: &TestDb) -> (Run, Vec<Outcome>) {
    let run = ferry(project, db, &["verify", "--json"]);
    assert!(
        run.code == 0 || run.code == 1,
        "verify: exit {}\nstdout:\n{}\nstderr:\n{}",
        run.code,
        run.stdout,
        run.stderr
    );
    let outcomes = declarative(&run);
    (run, outcomes)
}

/// The ids that failed.
fn failed(outcomes: &[Outcome]) -> BTreeSet<String> {
    outcomes
        .iter()
        .filter(|o| !o.passed)
        .map(|o| o.id.clone())
        .collect()
}

/// How many checks of each group (the id up to its first dot: `tables`, `policies`, …).
fn groups(outcomes: &[Outcome]) -> BTreeMap<String, usize> {
    let mut groups = BTreeMap::new();
    for o in outcomes {
        let group = o.id.split('.').next().unwrap().to_owned();
        *groups.entry(group).or_insert(0) += 1;
    }
    groups
}

/// The example, applied on a fresh database: `up`, then `verify` passes everything (exit 0),
/// with `expected` checks per group and `total` in all.
fn applied(name: &str, expected: &[(&str, usize)], total: usize) -> (TestProject, TestDb) {
    let db = fresh_db();
    let project = example_with_checks(name);
    ferry(&project, &db, &["up"]).assert_code(0);

    let (run, outcomes) = verify(&project, &db);
    let failures: Vec<&Outcome> = outcomes.iter().filter(|o| !o.passed).collect();
    assert!(
        failures.is_empty(),
        "{name}: checks failed after up: {failures:#?}"
    );
    run.assert_code(0);
    let expected: BTreeMap<String, usize> =
        expected.iter().map(|(g, n)| (g.to_string(), *n)).collect();
    assert_eq!(groups(&outcomes), expected, "{name}: checks per group");
    assert_eq!(outcomes.len(), total, "{name}: checks in all");

    // The human output: one ✅ line per check, then the summary (verify scripts included).
    let all = run.json()["checks"].as_array().unwrap().len();
    let human = ferry(&project, &db, &["verify"]);
    human.assert_code(0);
    assert!(
        human.stdout.contains(&format!("{all}/{all} passed")),
        "{name}: {}",
        human.stdout
    );
    for o in &outcomes {
        assert!(
            human.stdout.contains(&format!("✅ {} ", o.id)),
            "{name}: no ✅ line for {}:\n{}",
            o.id,
            human.stdout
        );
    }
    assert!(!human.stdout.contains('❌'), "{name}: {}", human.stdout);
    (project, db)
}

/// Breaks the applied example with `sql` (as the superuser), then asserts that exactly the
/// checks `expected` fail, each with a reason naming every one of `objects`, and that all the
/// others pass.
#[track_caller]
fn break_and_expect(
    project: &TestProject,
    db: &TestDb,
    sql: &str,
    expected: &[&str],
    objects: &[&str],
) {
    db.execute(sql);
    let (run, outcomes) = verify(project, db);
    run.assert_code(1);
    let expected: BTreeSet<String> = expected.iter().map(|s| s.to_string()).collect();
    assert_eq!(failed(&outcomes), expected, "after `{sql}`: {outcomes:#?}");
    for o in outcomes.iter().filter(|o| !o.passed) {
        for object in objects {
            assert!(
                o.naming().contains(object),
                "after `{sql}`: the reason of {} should name {object}: {}",
                o.id,
                o.naming()
            );
        }
    }
    let human = ferry(project, db, &["verify"]);
    human.assert_code(1);
    for id in &expected {
        assert!(
            human.stdout.contains(&format!("❌ {id} ")),
            "no ❌ line for {id}:\n{}",
            human.stdout
        );
    }
}

// On each example after `up`, every check passes; the seed's items are all there --------------

#[test]
fn quickstart_checks_pass() {
    applied(
        "quickstart",
        &[
            ("constraints", 2),
            ("data", 3),
            ("enums", 1),
            ("extensions", 1),
            ("fk_indexes", 1),
            ("foreign_keys", 4),
            ("functions", 3),
            ("indexes", 7),
            ("policies", 2),
            ("rls", 2),
            ("rls_behaviour", 4),
            ("roles", 1),
            ("tables", 5),
            ("triggers", 5),
            ("views", 2),
        ],
        43,
    );
}

/// Seed 000's verify_data_integrity.sql and manual verification: 2 tables (17 and 9 columns),
/// the 8 S3 columns on 3 tables, 6 constraints, 10 indexes, 1 view, 1 function, 3 data checks.
#[test]
fn s3_storage_checks_pass() {
    applied(
        "s3-storage",
        &[
            ("columns", 3),
            ("constraints", 6),
            ("data", 3),
            ("functions", 1),
            ("indexes", 10),
            ("tables", 2),
            ("views", 1),
        ],
        26,
    );
}

/// Seed 001's post-migration checks and schema promises: 16 tables, uuid-ossp, 2 enums,
/// 20 foreign keys, every foreign key indexed, 13 named indexes, the updated_at function and
/// its 14 triggers, 2 views, 3 rows of default data.
#[test]
fn vertex_ar_checks_pass() {
    applied(
        "vertex-ar",
        &[
            ("data", 3),
            ("enums", 2),
            ("extensions", 1),
            ("fk_indexes", 1),
            ("foreign_keys", 20),
            ("functions", 1),
            ("indexes", 13),
            ("tables", 16),
            ("triggers", 14),
            ("views", 2),
        ],
        73,
    );
}

/// Seed 002's validate_schema.sql (11 tables, RLS on all of them and their policies, 10
/// critical indexes, 7 triggers, column types of the 11 tables, chunk tracking), its 3 manual
/// tests, and 20 behavioural RLS checks.
#[test]
fn pixcrawler_checks_pass() {
    applied(
        "pixcrawler",
        &[
            ("column_types", 11),
            ("crawl_jobs", 1),
            ("indexes", 10),
            ("manual_tests", 3),
            ("policies", 11),
            ("rls", 1),
            ("rls_behaviour", 20),
            ("tables", 11),
            ("triggers", 7),
        ],
        75,
    );
}

/// Seed 003's schema description: 10 tables with their key features, 10 UUID primary keys,
/// the updated_at function and 10 triggers, 19 foreign keys, indexed foreign keys, 17 named
/// indexes, 3 uniqueness rules, the 512-dimension constraints and similarity function, the
/// member count trigger.
#[test]
fn mordeaux_checks_pass() {
    applied(
        "mordeaux",
        &[
            ("clusters", 1),
            ("embeddings", 1),
            ("fk_indexes", 1),
            ("foreign_keys", 19),
            ("functions", 2),
            ("indexes", 17),
            ("primary_keys", 10),
            ("tables", 10),
            ("triggers", 11),
            ("unique", 3),
        ],
        75,
    );
}

/// Seed 004's validate_001.sql, its total of 11 items: tables 3/3, RLS 3/3, policies 12/12,
/// indexes 7/7, triggers 4/4, functions 4/4, foreign keys 3/3, unique constraints 2/2, initial
/// data, all columns (3 tables), the session trigger; and 11 behavioural RLS checks.
#[test]
fn describe_it_checks_pass() {
    applied(
        "describe-it",
        &[
            ("columns", 3),
            ("data", 2),
            ("foreign_keys", 3),
            ("functions", 4),
            ("indexes", 7),
            ("policies", 12),
            ("rls", 3),
            ("rls_behaviour", 11),
            ("tables", 3),
            ("triggers", 4),
            ("unique", 2),
        ],
        54,
    );
}

// Breaks by hand: exactly the right checks turn ❌, naming the object ----------------------------

#[test]
fn a_dropped_policy_fails_its_check() {
    let (project, db) = applied_quietly("describe-it");
    break_and_expect(
        &project,
        &db,
        r#"drop policy "Users can delete own exports" on export_history"#,
        &["policies.export_history.delete"],
        &["Users can delete own exports"],
    );
}

#[test]
fn rls_disabled_on_a_table_fails_the_rls_check_and_the_behaviour() {
    let (project, db) = applied_quietly("pixcrawler");
    // The schema-wide check names the table; with RLS off, Alice also sees Bob's metrics.
    break_and_expect(
        &project,
        &db,
        "alter table usage_metrics disable row level security",
        &[
            "rls.all_tables",
            "rls_behaviour.usage_metrics.sees_own_rows_only",
        ],
        &["usage_metrics"],
    );
}

#[test]
fn rls_disabled_on_a_table_fails_its_own_rls_check() {
    let (project, db) = applied_quietly("describe-it");
    break_and_expect(
        &project,
        &db,
        "alter table user_api_keys disable row level security",
        &[
            "rls.user_api_keys",
            // Ana sees Ben's keys, and may change them.
            "rls_behaviour.user_api_keys.sees_own_rows_only",
            "rls_behaviour.user_api_keys.cannot_insert_for_another_user",
            "rls_behaviour.user_api_keys.cannot_give_own_row_away",
            "rls_behaviour.user_api_keys.cannot_update_another_users",
        ],
        &["user_api_keys"],
    );
}

#[test]
fn a_dropped_index_fails_its_check() {
    let (project, db) = applied_quietly("s3-storage");
    break_and_expect(
        &project,
        &db,
        "drop index idx_user_uploads_type",
        &["indexes.idx_user_uploads_type"],
        &["idx_user_uploads_type"],
    );
}

#[test]
fn a_dropped_foreign_key_index_fails_its_check_and_fk_indexes() {
    let (project, db) = applied_quietly("vertex-ar");
    break_and_expect(
        &project,
        &db,
        "drop index ix_projects_company_id",
        // ux_projects_company_slug (company_id, slug) still covers the foreign key.
        &["indexes.ix_projects_company_id"],
        &["ix_projects_company_id"],
    );
    break_and_expect(
        &project,
        &db,
        "drop index ix_clients_company_id",
        &["indexes.ix_projects_company_id", "fk_indexes.public"],
        &["company_id"],
    );
}

#[test]
fn a_changed_column_type_fails_its_check() {
    let (project, db) = applied_quietly("pixcrawler");
    break_and_expect(
        &project,
        &db,
        "alter table credit_transactions alter column amount type bigint",
        &["column_types.credit_transactions"],
        &["public.credit_transactions.amount", "bigint"],
    );
}

#[test]
fn deleted_initial_data_fails_its_check() {
    let (project, db) = applied_quietly("describe-it");
    break_and_expect(
        &project,
        &db,
        "delete from user_progress",
        &["data.user_progress_rows_ge_users"],
        &["user_progress"],
    );
}

#[test]
fn a_dropped_trigger_fails_its_check() {
    let (project, db) = applied_quietly("mordeaux");
    break_and_expect(
        &project,
        &db,
        "drop trigger update_alerts_updated_at on alerts",
        &["triggers.update_alerts_updated_at"],
        &["update_alerts_updated_at"],
    );
}

// A policy that lets a user see another user's rows: only the behaviour can tell ---------------

#[test]
fn a_policy_showing_other_users_rows_is_caught_by_the_behaviour() {
    let (project, db) = applied_quietly("pixcrawler");
    // Same name, same command: every declarative check still passes.
    break_and_expect(
        &project,
        &db,
        r#"drop policy "Users can view own projects" on projects;
           create policy "Users can view own projects" on projects
               for select to authenticated using (true)"#,
        &["manual_tests.rls_sees_only_own_projects"],
        &["projects", "returned 2 rows, expected 1"],
    );

    let (project, db) = applied_quietly("describe-it");
    break_and_expect(
        &project,
        &db,
        r#"drop policy "Users can view own API keys" on user_api_keys;
           create policy "Users can view own API keys" on user_api_keys
               for select to authenticated using (true)"#,
        &["rls_behaviour.user_api_keys.sees_own_rows_only"],
        &["user_api_keys", "returned 2 rows, expected 1"],
    );
}

// verify leaves no trace --------------------------------------------------------------------

/// `ferry verify` (verify scripts and checks, many of which write in their setup) leaves the
/// schema and the data as they were; the declarative checks, run without the verify scripts,
/// do not even move a sequence (their rows have explicit ids; the pixcrawler verify script's
/// test projects take theirs from the sequence).
#[test]
fn verify_leaves_no_trace() {
    for (name, tables) in [
        (
            "pixcrawler",
            &[
                "auth.users",
                "public.profiles",
                "public.projects",
                "public.credit_accounts",
                "public.credit_transactions",
            ][..],
        ),
        (
            "describe-it",
            &[
                "auth.users",
                "public.sessions",
                "public.user_progress",
                "public.user_api_keys",
                "public.export_history",
            ][..],
        ),
    ] {
        let (project, db) = applied_quietly(name);
        let before_dump = dump(&project, &db);
        let before_schema = schema(&db);
        let before_rows: Vec<_> = tables.iter().map(|t| rows(&db, t)).collect();

        let (run, outcomes) = verify(&project, &db);
        run.assert_code(0);
        assert!(outcomes.iter().any(|o| o.kind == "behaviour"));

        assert_eq!(dump(&project, &db), before_dump, "{name}: ferry dump");
        assert_eq!(schema(&db), before_schema, "{name}: pg_dump");
        for (table, before) in tables.iter().zip(&before_rows) {
            assert_eq!(&rows(&db, table), before, "{name}: rows of {table}");
        }

        // The checks alone.
        for entry in std::fs::read_dir(project.migrations_dir()).unwrap() {
            let path = entry.unwrap().path();
            if path.to_str().unwrap().ends_with(".verify.sql") {
                std::fs::remove_file(path).unwrap();
            }
        }
        let before_sequences = sequences(&db);
        let (run, outcomes) = verify(&project, &db);
        run.assert_code(0);
        assert!(!outcomes.is_empty());
        assert_eq!(
            sequences(&db),
            before_sequences,
            "{name}: no sequence moves"
        );
        for (table, before) in tables.iter().zip(&before_rows) {
            assert_eq!(&rows(&db, table), before, "{name}: rows of {table}");
        }
    }
}

/// The example, applied, with its checks (not run).
fn applied_quietly(name: &str) -> (TestProject, TestDb) {
    let db = fresh_db();
    let project = example_with_checks(name);
    ferry(&project, &db, &["up"]).assert_code(0);
    (project, db)
}

/// `ferry dump`: the schema as canonical SQL.
fn dump(project: &TestProject, db: &TestDb) -> String {
    let run = ferry(project, db, &["dump"]);
    run.assert_code(0);
    run.stdout
}

/// Every row of `table`, as text, in a stable order.
fn rows(db: &TestDb, table: &str) -> Vec<String> {
    db.query_strings(&format!("select t::text from {table} t order by 1"))
        .into_iter()
        .map(|r| r[0].clone().unwrap_or_default())
        .collect()
}

/// Every sequence of the database and where it stands.
fn sequences(db: &TestDb) -> Vec<Vec<Option<String>>> {
    db.query_strings(
        "select schemaname, sequencename, last_value from pg_sequences \
         where schemaname <> 'ferry' order by 1, 2",
    )
}
