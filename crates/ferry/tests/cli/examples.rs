//! The five seed examples (examples/<name>): each one goes up, verifies, reports every
//! migration applied, goes all the way down to the empty schema and up again to the same
//! schema. For the Supabase-style examples, RLS is tried as a real `authenticated` user.

use ferry_test_support::{TestDb, TestProject, fresh_db};

use super::{example_project, ferry, schema, tracked};

/// Counts the example's files: (migrations, verify scripts).
fn counts(project: &TestProject) -> (usize, usize) {
    let names: Vec<String> = std::fs::read_dir(project.migrations_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_str().unwrap().to_owned())
        .collect();
    let verify = names.iter().filter(|n| n.ends_with(".verify.sql")).count();
    let down = names.iter().filter(|n| n.ends_with(".down.sql")).count();
    (names.len() - verify - down, verify)
}

/// up → verify → status → down --all (back to the empty schema) → up (same schema again).
/// Returns the database with the example applied.
fn round_trip(name: &str, migrations: usize, verify_scripts: usize) -> TestDb {
    let db = fresh_db();
    let project = example_project(name);
    assert_eq!(
        counts(&project),
        (migrations, verify_scripts),
        "{name}: migrations and verify scripts on disk"
    );
    let empty = schema(&db);

    let up = ferry(&project, &db, &["up"]);
    up.assert_code(0);
    let applied = schema(&db);
    assert_ne!(applied, empty, "{name}: up changed nothing");

    let verify = ferry(&project, &db, &["verify"]);
    verify.assert_code(0);
    let passed = format!("{verify_scripts}/{verify_scripts} passed");
    assert!(
        verify.stdout.contains(&passed),
        "{name}: expected {passed}\nstdout:\n{}\nstderr:\n{}",
        verify.stdout,
        verify.stderr
    );
    assert!(
        verify.stderr.contains("NOTICE: ✅"),
        "{name}: the checks report ✅: {}",
        verify.stderr
    );

    let status = ferry(&project, &db, &["status", "--json", "--exit-code"]);
    status.assert_code(0);
    let json = status.json();
    let listed = json["migrations"].as_array().unwrap();
    assert_eq!(listed.len(), migrations, "{name}: {json}");
    assert!(
        listed.iter().all(|m| m["state"] == "applied"),
        "{name}: {json}"
    );

    let down = ferry(&project, &db, &["down", "--all"]);
    down.assert_code(0);
    assert_eq!(
        schema(&db),
        empty,
        "{name}: down --all must give back the empty schema"
    );
    assert!(tracked(&db).is_empty());

    ferry(&project, &db, &["up"]).assert_code(0);
    assert_eq!(
        schema(&db),
        applied,
        "{name}: up again gives the same schema"
    );
    assert_eq!(tracked(&db).len(), migrations);
    db
}

/// Runs `sql` (each statement separately) as `authenticated` with `request.jwt.claim.sub` =
/// `user`, in one transaction that is rolled back; returns the rows of the last statement
/// (the simple query protocol: every value as text) and how many rows each statement touched.
fn as_user(db: &TestDb, user: &str, statements: &[&str]) -> (Vec<Vec<Option<String>>>, Vec<u64>) {
    let mut client = db.client();
    let mut tx = client.transaction().unwrap();
    tx.batch_execute(&format!(
        "select set_config('request.jwt.claim.sub', '{user}', true); set local role authenticated;"
    ))
    .unwrap();
    let mut rows = Vec::new();
    let mut affected = Vec::new();
    for sql in statements {
        let mut last_rows = Vec::new();
        let mut count = 0;
        for message in tx
            .simple_query(sql)
            .unwrap_or_else(|e| panic!("{sql} as {user}: {e}"))
        {
            match message {
                postgres::SimpleQueryMessage::Row(row) => last_rows.push(
                    (0..row.len())
                        .map(|i| row.get(i).map(str::to_owned))
                        .collect(),
                ),
                postgres::SimpleQueryMessage::CommandComplete(n) => count = n,
                _ => {}
            }
        }
        rows = last_rows;
        affected.push(count);
    }
    tx.rollback().unwrap();
    (rows, affected)
}

/// Two new users in auth.users (their ids, as text).
fn two_users(db: &TestDb) -> (String, String) {
    let rows = db.query_strings(
        "insert into auth.users (email, raw_user_meta_data) values \
         ('ana@example.test', '{\"full_name\": \"Ana\"}'), ('ben@example.test', null) \
         returning id",
    );
    let id = |i: usize| rows[i][0].clone().unwrap();
    (id(0), id(1))
}

#[test]
fn s3_storage_round_trip() {
    let db = round_trip("s3-storage", 4, 3);
    // The data preparation logged every existing file with its status.
    let rows = db.query_strings(
        "select migration_status, count(*) from s3_migration_log group by 1 order by 1",
    );
    let statuses: Vec<(String, String)> = rows
        .into_iter()
        .map(|r| (r[0].clone().unwrap(), r[1].clone().unwrap()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("failed".to_owned(), "1".to_owned()),
            ("migrated".to_owned(), "1".to_owned()),
            ("pending".to_owned(), "3".to_owned()),
            ("skipped".to_owned(), "3".to_owned()),
        ]
    );
}

#[test]
fn vertex_ar_round_trip() {
    let db = round_trip("vertex-ar", 1, 1);
    let tables = db.query_strings("select count(*) from pg_tables where schemaname = 'public'");
    assert_eq!(tables[0][0].as_deref(), Some("16"));
    let admin = db.query_strings(
        "select hashed_password like '$2_$12$%' from users where email = 'admin@vertexar.com'",
    );
    assert_eq!(
        admin[0][0].as_deref(),
        Some("t"),
        "the admin password is a bcrypt hash"
    );
}

#[test]
fn mordeaux_round_trip() {
    let db = round_trip("mordeaux", 10, 10);
    // Embeddings are real[] of exactly 512 dimensions.
    let err = db
        .client()
        .batch_execute(
            "with t as (insert into tenants (name, slug) values ('t', 't') returning id), \
                  c as (insert into content (tenant_id, storage_key, sha256) \
                        select id, 'k', repeat('a', 64) from t returning id, tenant_id), \
                  f as (insert into faces (tenant_id, content_id, bbox, confidence) \
                        select tenant_id, id, '{\"x\":0,\"y\":0,\"w\":1,\"h\":1}', 0.5 from c \
                        returning id, tenant_id) \
             insert into embeddings (tenant_id, face_id, embedding) \
             select tenant_id, id, array_fill(0.5::real, array[3]) from f",
        )
        .unwrap_err();
    assert_eq!(
        err.as_db_error().and_then(|e| e.constraint()),
        Some("embeddings_embedding_dimension"),
        "{err:?}"
    );
}

#[test]
fn pixcrawler_round_trip_and_row_level_security() {
    let db = round_trip("pixcrawler", 2, 2);
    let (ana, ben) = two_users(&db);

    // on_auth_user_created: profile, 100 credits and preferences for each new user.
    let setup = db.query_strings(&format!(
        "select (select count(*) from profiles where id in ('{ana}', '{ben}')), \
                (select sum(current_balance) from credit_accounts where user_id in ('{ana}', '{ben}')), \
                (select count(*) from notification_preferences where user_id in ('{ana}', '{ben}'))"
    ));
    assert_eq!(
        setup[0],
        [Some("2".into()), Some("200".into()), Some("2".into())]
    );

    db.execute(&format!(
        "insert into projects (name, user_id) values ('Ana''s dataset', '{ana}'), ('Ben''s dataset', '{ben}')"
    ));

    let (rows, affected) = as_user(
        &db,
        &ana,
        &[
            &format!("update projects set name = 'hijacked' where user_id = '{ben}'"),
            &format!("update projects set name = 'Ana renamed' where user_id = '{ana}'"),
            "select count(*) from profiles",
            "select name from projects order by id",
        ],
    );
    assert_eq!(affected[0], 0, "Ana cannot update Ben's project");
    assert_eq!(affected[1], 1, "Ana can update her own project");
    assert_eq!(
        rows,
        [[Some("Ana renamed".to_owned())]],
        "Ana sees only her project"
    );

    let (rows, _) = as_user(&db, &ana, &["select count(*) from profiles"]);
    assert_eq!(rows, [[Some("1".to_owned())]], "Ana sees only her profile");

    // Inserting a project for someone else is refused by the policy's WITH CHECK.
    let mut client = db.client();
    let mut tx = client.transaction().unwrap();
    tx.batch_execute(&format!(
        "select set_config('request.jwt.claim.sub', '{ana}', true); set local role authenticated;"
    ))
    .unwrap();
    let err = tx
        .batch_execute(&format!(
            "insert into projects (name, user_id) values ('sneaky', '{ben}')"
        ))
        .unwrap_err();
    let message = err.as_db_error().map(|e| e.message().to_owned());
    assert!(
        message
            .as_deref()
            .is_some_and(|m| m.contains("row-level security")),
        "{err:?}"
    );
    drop(tx);

    let names = db.query_strings("select name from projects order by id");
    assert_eq!(
        names,
        [
            [Some("Ana's dataset".to_owned())],
            [Some("Ben's dataset".to_owned())]
        ],
        "nothing changed outside the rolled-back transactions"
    );
}

#[test]
fn describe_it_round_trip_and_row_level_security() {
    let db = round_trip("describe-it", 2, 2);
    let (ana, ben) = two_users(&db);
    db.execute(&format!(
        "insert into user_progress (user_id, experience_points) values ('{ana}', 10), ('{ben}', 20); \
         insert into user_api_keys (user_id, openai_api_key_encrypted) values ('{ana}', 'enc:ana'), ('{ben}', 'enc:ben');"
    ));

    let (rows, affected) = as_user(
        &db,
        &ana,
        &[
            &format!("update user_progress set experience_points = 0 where user_id = '{ben}'"),
            &format!("delete from user_api_keys where user_id = '{ben}'"),
            &format!("update user_progress set experience_points = 11 where user_id = '{ana}'"),
            "select k.openai_api_key_encrypted, p.experience_points \
             from user_api_keys k join user_progress p using (user_id)",
        ],
    );
    assert_eq!(affected[0], 0, "Ana cannot update Ben's progress");
    assert_eq!(affected[1], 0, "Ana cannot delete Ben's API keys");
    assert_eq!(affected[2], 1, "Ana can update her own progress");
    assert_eq!(
        rows,
        [[Some("enc:ana".to_owned()), Some("11".to_owned())]],
        "Ana sees only her own API keys and progress"
    );

    let (rows, _) = as_user(&db, &ben, &["select count(*) from user_progress"]);
    assert_eq!(
        rows,
        [[Some("1".to_owned())]],
        "Ben sees only his progress row"
    );

    // Completing a session as the user goes through RLS on sessions and the trigger.
    db.execute(&format!(
        "insert into sessions (user_id, questions_answered, questions_correct) values ('{ben}', 4, 3)"
    ));
    let mut client = db.client();
    let mut tx = client.transaction().unwrap();
    tx.batch_execute(&format!(
        "select set_config('request.jwt.claim.sub', '{ben}', true); set local role authenticated; \
         update sessions set status = 'completed', completed_at = now(), duration_minutes = 12;"
    ))
    .unwrap();
    let row = tx
        .query_one(
            "select completed_sessions, correct_answers, total_study_time_minutes from user_progress",
            &[],
        )
        .unwrap();
    let values: (i32, i32, i32) = (row.get(0), row.get(1), row.get(2));
    assert_eq!(values, (1, 3, 12));
    tx.rollback().unwrap();

    let untouched = db.query_strings(&format!(
        "select experience_points from user_progress where user_id = '{ben}'"
    ));
    assert_eq!(untouched, [[Some("20".to_owned())]]);
}
