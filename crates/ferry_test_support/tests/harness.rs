//! The harness itself: isolation, authentication, dumps, the template cache, projects.

use std::fs;

use ferry_engine::pg::{EphemeralCluster, Template};
use ferry_test_support::{PASSWORD, PASSWORD_ROLE, TestProject, cluster, fresh_db};

#[test]
fn fresh_databases_are_distinct_and_isolated() {
    let a = fresh_db();
    let b = fresh_db();
    assert_ne!(a.name(), b.name());
    a.execute("CREATE TABLE only_in_a (id int); INSERT INTO only_in_a VALUES (1)");
    assert_eq!(a.table_names(), ["public.only_in_a"]);
    assert!(b.table_names().is_empty());
    assert_eq!(
        a.query_strings("SELECT id, NULL FROM only_in_a"),
        [[Some("1".to_owned()), None]]
    );

    let name = a.name().to_owned();
    drop(a);
    let left = b.query_strings(&format!(
        "SELECT count(*) FROM pg_database WHERE datname = '{name}'"
    ));
    assert_eq!(left, [[Some("0".to_owned())]], "dropped with the TestDb");
}

#[test]
fn the_socket_url_needs_no_password() {
    let db = fresh_db();
    let mut client = db
        .url()
        .parse::<postgres::Config>()
        .unwrap()
        .connect(postgres::NoTls)
        .unwrap();
    let user: String = client.query_one("SELECT current_user", &[]).unwrap().get(0);
    assert_eq!(user, "postgres");
}

#[test]
fn password_login_over_tcp() {
    let db = fresh_db();
    let url = db.tcp_url_with_password();
    assert!(url.starts_with(&format!("postgres://{PASSWORD_ROLE}:{PASSWORD}@127.0.0.1:")));
    let mut client = url
        .parse::<postgres::Config>()
        .unwrap()
        .connect(postgres::NoTls)
        .unwrap();
    let row = client
        .query_one(
            "SELECT current_user, current_database(), inet_server_addr()::text",
            &[],
        )
        .unwrap();
    assert_eq!(row.get::<_, String>(0), PASSWORD_ROLE);
    assert_eq!(row.get::<_, String>(1), db.name());
    assert_eq!(row.get::<_, String>(2), "127.0.0.1/32");

    let wrong = url.replace(PASSWORD, "wrong-password");
    let err = wrong
        .parse::<postgres::Config>()
        .unwrap()
        .connect(postgres::NoTls)
        .err()
        .expect("a wrong password is refused");
    assert_eq!(
        err.code(),
        Some(&postgres::error::SqlState::INVALID_PASSWORD),
        "{err}"
    );
    assert_eq!(err.code().unwrap().code(), "28P01");
}

#[test]
fn schema_dump_leaves_out_the_excluded_schema() {
    let db = fresh_db();
    db.execute(
        "CREATE SCHEMA app; CREATE TABLE app.users (id bigint PRIMARY KEY, email text NOT NULL);
         CREATE SCHEMA ferry; CREATE TABLE ferry.history (version text);",
    );
    let dump = db.schema_dump("ferry");
    assert!(dump.contains("CREATE TABLE app.users"), "{dump}");
    assert!(!dump.contains("ferry"), "{dump}");
    assert!(!dump.contains("SET "), "{dump}");
    assert!(
        !dump
            .lines()
            .any(|l| l.starts_with("--") || l.trim().is_empty()),
        "{dump}"
    );

    let everything = db.schema_dump("");
    assert!(
        everything.contains("CREATE TABLE ferry.history"),
        "{everything}"
    );

    // The same DDL in another database dumps the same.
    let other = fresh_db();
    other.execute(
        "CREATE SCHEMA app; CREATE TABLE app.users (id bigint PRIMARY KEY, email text NOT NULL);",
    );
    assert_eq!(other.schema_dump("ferry"), dump);
}

#[test]
fn the_template_cache_is_reused_on_a_second_start() {
    let bins = cluster().bins().clone();
    let template = Template::ensure(&bins).unwrap();
    let inode = fs::metadata(&template.path).unwrap().modified().unwrap();
    let first = EphemeralCluster::start(&bins).unwrap();
    let second = EphemeralCluster::start(&bins).unwrap();
    assert!(!first.template_created() && !second.template_created());
    assert_ne!(first.root_dir(), second.root_dir());
    assert_eq!(
        fs::metadata(&template.path).unwrap().modified().unwrap(),
        inode,
        "the template was not rebuilt"
    );
    let root = second.root_dir().to_path_buf();
    drop(second);
    assert!(!root.exists());
    first.connect("postgres").unwrap();
}

#[test]
fn the_shared_server_is_the_same_for_every_test() {
    let a = cluster();
    let b = cluster();
    assert!(std::ptr::eq(a, b));
    assert!(
        a.socket_dir()
            .join(format!(".s.PGSQL.{}", a.port()))
            .exists()
    );
    let mut admin = a.admin_client();
    let max: String = admin.query_one("SHOW max_connections", &[]).unwrap().get(0);
    assert_eq!(max, "100");
    let fsync: String = admin.query_one("SHOW fsync", &[]).unwrap().get(0);
    assert_eq!(fsync, "off");
}

#[test]
fn projects_hold_files() {
    let project = TestProject::new();
    let path = project.write_migration("001_init.sql", "CREATE TABLE t (id int);");
    assert_eq!(path, project.migrations_dir().join("001_init.sql"));
    let config = project.write("ferry.toml", "[database]\n");
    assert_eq!(fs::read_to_string(config).unwrap(), "[database]\n");
    let dir = project.path().to_path_buf();
    drop(project);
    assert!(!dir.exists());
}
