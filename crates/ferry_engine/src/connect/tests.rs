use std::collections::HashMap;
use std::path::{Path, PathBuf};

use postgres::config::Host;

use super::*;

const TOML: &str = r#"
database_url = "postgres://cfg@config-default/cfgdb"

[environments.prod]
url = "postgres://${PROD_USER}:${PROD_PASSWORD}@db.example.com/app?sslmode=require"
sslmode = "verify-full"
sslrootcert = "certs/ca.pem"
protected = true
lock_timeout = "2s"
backup = false

[environments.staging]
host = "staging.internal"
port = "${STAGING_PORT:-6543}"
database = "app"
user = "deploy"
password = "${STAGING_PASSWORD}"
"#;

fn config() -> Config {
    Config::parse(
        PathBuf::from("/proj"),
        Some(PathBuf::from("/proj/ferry.toml")),
        TOML,
    )
    .unwrap()
}

fn vars_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name: &str| map.get(name).cloned()
}

fn resolve_with(
    config: &Config,
    req: TargetRequest,
    pairs: &[(&str, &str)],
) -> Result<Target, ConnectError> {
    resolve(config, &req, &vars_of(pairs))
}

fn host(target: &Target) -> String {
    match &target.config.get_hosts()[0] {
        Host::Tcp(h) => h.clone(),
        Host::Unix(p) => p.display().to_string(),
    }
}

/// Every source set at once; each row removes the winner of the previous one.
#[test]
fn precedence_table() {
    let config = config();
    let all = [
        ("FERRY_ENV", "prod"),
        ("PROD_USER", "produser"),
        ("PROD_PASSWORD", "prod-secret-pw"),
        ("DATABASE_URL", "postgres://u@from-database-url/db"),
        ("DB_HOST", "from-db-vars"),
        ("PGHOST", "from-pg-vars"),
    ];
    let flag = TargetRequest {
        database_url: Some("postgres://u@from-flag/db"),
        env: None,
    };
    let t = resolve_with(&config, flag, &all).unwrap();
    assert_eq!(t.source, TargetSource::Flag);
    assert_eq!(host(&t), "from-flag");

    let t = resolve_with(&config, TargetRequest::default(), &all).unwrap();
    assert_eq!(t.source, TargetSource::Environment("prod".into()));
    assert_eq!(host(&t), "db.example.com");
    assert!(t.protected);

    // --env wins over FERRY_ENV.
    let mut with_staging = all.to_vec();
    with_staging.push(("STAGING_PASSWORD", "staging-secret-pw"));
    let req = TargetRequest {
        database_url: None,
        env: Some("staging"),
    };
    let t = resolve_with(&config, req, &with_staging).unwrap();
    assert_eq!(t.source, TargetSource::Environment("staging".into()));

    let rest = &all[3..];
    let t = resolve_with(&config, TargetRequest::default(), rest).unwrap();
    assert_eq!(t.source, TargetSource::DatabaseUrlVar);
    assert_eq!(host(&t), "from-database-url");

    let t = resolve_with(&config, TargetRequest::default(), &all[4..]).unwrap();
    assert_eq!(t.source, TargetSource::DbVars);
    assert_eq!(host(&t), "from-db-vars");

    let t = resolve_with(&config, TargetRequest::default(), &all[5..]).unwrap();
    assert_eq!(t.source, TargetSource::PgVars);
    assert_eq!(host(&t), "from-pg-vars");

    let t = resolve_with(&config, TargetRequest::default(), &[]).unwrap();
    assert_eq!(t.source, TargetSource::ConfigDefault);
    assert_eq!(host(&t), "config-default");

    let bare = Config::defaults(PathBuf::from("/proj"));
    let t = resolve_with(&bare, TargetRequest::default(), &[]).unwrap();
    assert_eq!(t.source, TargetSource::Local);
    assert!(t.config.get_hosts().is_empty());
    assert_eq!(t.describe(), "ferry's local PostgreSQL");
}

#[test]
fn default_env_is_below_ferry_env_and_above_database_url() {
    let mut config = config();
    config.default_env = Some("staging".into());
    let vars = [
        ("DATABASE_URL", "postgres://u@from-database-url/db"),
        ("STAGING_PASSWORD", "staging-secret-pw"),
    ];
    let t = resolve_with(&config, TargetRequest::default(), &vars).unwrap();
    assert_eq!(t.source, TargetSource::Environment("staging".into()));
    assert_eq!(t.config.get_ports(), [6543]);
    assert_eq!(
        t.password_from,
        Some(PasswordSource::Environment("staging".into()))
    );
}

#[test]
fn empty_variables_count_as_unset() {
    let t = resolve_with(
        &config(),
        TargetRequest::default(),
        &[("FERRY_ENV", ""), ("DATABASE_URL", ""), ("DB_HOST", "")],
    )
    .unwrap();
    assert_eq!(t.source, TargetSource::ConfigDefault);
}

#[test]
fn db_vars_defaults_and_overrides() {
    let bare = Config::defaults(PathBuf::from("/proj"));
    let t = resolve_with(&bare, TargetRequest::default(), &[("DB_NAME", "seeds")]).unwrap();
    assert_eq!(t.source, TargetSource::DbVars);
    assert_eq!(host(&t), "localhost");
    assert_eq!(t.config.get_ports(), [5432]);
    assert_eq!(t.config.get_dbname(), Some("seeds"));
    assert_eq!(t.config.get_user(), Some("postgres"));
    assert_eq!(
        t.describe(),
        "DB_NAME → postgres://postgres@localhost:5432/seeds"
    );

    let custom = Config::parse(
        PathBuf::from("/proj"),
        None,
        "[db_env_defaults]\nhost = \"db\"\nport = 6000\nname = \"appdb\"\nuser = \"app\"\n",
    )
    .unwrap();
    let t = resolve_with(&custom, TargetRequest::default(), &[("DB_USER", "me")]).unwrap();
    assert_eq!(host(&t), "db");
    assert_eq!(t.config.get_ports(), [6000]);
    assert_eq!(t.config.get_dbname(), Some("appdb"));
    assert_eq!(t.config.get_user(), Some("me"));

    let err = resolve_with(&bare, TargetRequest::default(), &[("DB_PORT", "abc")]).unwrap_err();
    assert!(err.to_string().contains("DB_PORT=\"abc\""), "{err}");
}

#[test]
fn only_db_password_selects_db_vars() {
    let bare = Config::defaults(PathBuf::from("/proj"));
    let t = resolve_with(
        &bare,
        TargetRequest::default(),
        &[("DB_PASSWORD", "db-only-secret"), ("PGHOST", "ignored")],
    )
    .unwrap();
    assert_eq!(t.source, TargetSource::DbVars);
    assert_eq!(host(&t), "localhost");
    assert_eq!(t.config.get_password(), Some(&b"db-only-secret"[..]));
    assert_eq!(t.password_from, Some(PasswordSource::Var("DB_PASSWORD")));
    assert_eq!(
        t.describe(),
        "DB_PASSWORD → postgres://postgres@localhost:5432/postgres"
    );
    assert_eq!(crate::redact::redact("x db-only-secret"), "x ********");
}

#[test]
fn pg_vars_use_libpq_defaults() {
    let bare = Config::defaults(PathBuf::from("/proj"));
    let t = resolve_with(
        &bare,
        TargetRequest::default(),
        &[("PGHOST", "/var/run/postgresql"), ("PGPORT", "5433")],
    )
    .unwrap();
    assert_eq!(t.source, TargetSource::PgVars);
    assert_eq!(
        t.config.get_hosts(),
        [Host::Unix("/var/run/postgresql".into())]
    );
    let os_user = whoami::username().unwrap();
    assert_eq!(t.config.get_user(), Some(os_user.as_str()));
    assert_eq!(t.config.get_dbname(), Some(os_user.as_str()));
    assert!(t.describe().starts_with("PGHOST/PGPORT → postgres://"));
    assert!(
        t.describe()
            .ends_with("?host=/var/run/postgresql&port=5433"),
        "{}",
        t.describe()
    );

    let t = resolve_with(
        &bare,
        TargetRequest::default(),
        &[("PGPASSWORD", "pg-only-secret"), ("PGUSER", "carol")],
    )
    .unwrap();
    assert_eq!(host(&t), "localhost");
    assert_eq!(t.config.get_dbname(), Some("carol"));
    assert_eq!(t.password_from, Some(PasswordSource::Var("PGPASSWORD")));
}

#[test]
fn environment_expansion_and_settings() {
    let config = config();
    let req = TargetRequest {
        database_url: None,
        env: Some("prod"),
    };
    let t = resolve_with(
        &config,
        req,
        &[("PROD_USER", "app"), ("PROD_PASSWORD", "prod-pw-2")],
    )
    .unwrap();
    assert_eq!(t.config.get_user(), Some("app"));
    assert_eq!(t.config.get_password(), Some(&b"prod-pw-2"[..]));
    // The environment's sslmode wins over the URL's.
    assert_eq!(t.ssl.mode, SslMode::VerifyFull);
    assert_eq!(t.ssl.root_cert, Some(PathBuf::from("/proj/certs/ca.pem")));
    assert_eq!(t.lock_timeout, std::time::Duration::from_secs(2));
    assert_eq!(t.lock_wait, std::time::Duration::from_secs(60));
    assert_eq!(t.backup, Some(false));
    assert_eq!(t.env_name.as_deref(), Some("prod"));
    assert_eq!(
        t.describe(),
        "environment \"prod\" (ferry.toml) → postgres://app@db.example.com:5432/app"
    );

    let err = resolve_with(&config, req, &[("PROD_USER", "app")]).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("${PROD_PASSWORD}"), "{text}");
    assert!(text.contains("environments.prod.url"), "{text}");
    assert!(text.contains("/proj/ferry.toml"), "{text}");
}

#[test]
fn unknown_environment_lists_defined_ones() {
    let config = config();
    let req = TargetRequest {
        database_url: None,
        env: Some("prdo"),
    };
    let text = resolve_with(&config, req, &[]).unwrap_err().to_string();
    assert!(text.contains("\"prdo\""), "{text}");
    assert!(text.contains("--env"), "{text}");
    assert!(text.contains("prod, staging"), "{text}");

    let text = resolve_with(&config, TargetRequest::default(), &[("FERRY_ENV", "qa")])
        .unwrap_err()
        .to_string();
    assert!(text.contains("FERRY_ENV"), "{text}");

    let bare = Config::defaults(PathBuf::from("/proj"));
    let text = resolve_with(&bare, req, &[]).unwrap_err().to_string();
    assert!(text.contains("defines no environments"), "{text}");
}

#[test]
fn bad_environments() {
    let conflict = Config::parse(
        PathBuf::from("/proj"),
        None,
        "[environments.x]\nurl = \"postgres://h/db\"\nhost = \"other\"\n",
    )
    .unwrap();
    let req = TargetRequest {
        database_url: None,
        env: Some("x"),
    };
    let err = resolve_with(&conflict, req, &[]).unwrap_err();
    assert!(matches!(err, ConnectError::BadEnvironment { .. }), "{err}");
    assert!(err.to_string().contains("ferry.toml:1:"), "{err}");
    let empty = Config::parse(
        PathBuf::from("/proj"),
        None,
        "[environments.x]\nprotected = true\n",
    )
    .unwrap();
    let err = resolve_with(&empty, req, &[]).unwrap_err();
    assert!(err.to_string().contains("add url ="), "{err}");
}

#[test]
fn url_with_verify_full_parses() {
    let bare = Config::defaults(PathBuf::from("/proj"));
    let t = resolve_with(
        &bare,
        TargetRequest::default(),
        &[(
            "DATABASE_URL",
            "postgresql://app@db.example.com/app?sslmode=verify-full&sslrootcert=/etc/ca.pem&schema=public",
        )],
    )
    .unwrap();
    assert_eq!(t.ssl.mode, SslMode::VerifyFull);
    assert_eq!(t.ssl.root_cert, Some(PathBuf::from("/etc/ca.pem")));
    assert_eq!(t.warnings.len(), 1, "{:?}", t.warnings);
    assert!(t.warnings[0].contains("`schema`"));

    // PGSSLMODE is the default for a URL without sslmode; sslrootcert=system is the system roots.
    let t = resolve_with(
        &bare,
        TargetRequest::default(),
        &[
            ("DATABASE_URL", "postgres://app@db/app?sslrootcert=system"),
            ("PGSSLMODE", "verify-ca"),
        ],
    )
    .unwrap();
    assert_eq!(t.ssl.mode, SslMode::VerifyCa);
    assert_eq!(t.ssl.root_cert, None);
}

#[test]
fn describe_never_shows_the_password() {
    let req = TargetRequest {
        database_url: Some("postgres://bob:describe-secret-pw@db.example.com:6000/app"),
        env: None,
    };
    let t = resolve_with(&Config::defaults(PathBuf::from("/proj")), req, &[]).unwrap();
    let line = t.describe();
    assert_eq!(
        line,
        "--database-url → postgres://bob@db.example.com:6000/app"
    );
    assert!(!format!("{t:?}").contains("describe-secret-pw"));
    assert_eq!(
        t.password_from,
        Some(PasswordSource::Url(TargetSource::Flag))
    );
}

#[test]
fn malformed_url_masks_the_password() {
    let bare = Config::defaults(PathBuf::from("/proj"));
    for url in [
        "postgres://bob:malformed-secret@db:notaport/app",
        "host=db password=malformed-kv-secret port=x",
    ] {
        let err =
            resolve_with(&bare, TargetRequest::default(), &[("DATABASE_URL", url)]).unwrap_err();
        assert!(matches!(err, ConnectError::BadUrl { .. }), "{err:?}");
        let text = err.to_string();
        assert!(text.contains("DATABASE_URL"), "{text}");
        assert!(text.contains("port"), "{text}");
        assert!(!text.contains("malformed-secret"), "{text}");
        assert!(!text.contains("malformed-kv-secret"), "{text}");
    }
    let err = resolve_with(
        &bare,
        TargetRequest::default(),
        &[("DATABASE_URL", "postgres://h/db?sslmode=verify-none")],
    )
    .unwrap_err();
    assert!(err.to_string().contains("invalid sslmode"), "{err}");
}

#[cfg(unix)]
fn write_pgpass(dir: &Path, text: &str, mode: u32) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("pgpass");
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

#[cfg(unix)]
#[test]
fn pgpass_fills_a_missing_password() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_pgpass(
        dir.path(),
        "db.example.com:*:app:bob:pgpass-secret-1\n",
        0o600,
    );
    let file_str = file.to_str().unwrap();
    let bare = Config::defaults(PathBuf::from("/proj"));
    let vars = [
        ("DATABASE_URL", "postgres://bob@db.example.com/app"),
        ("PGPASSFILE", file_str),
    ];
    let t = resolve_with(&bare, TargetRequest::default(), &vars).unwrap();
    assert_eq!(t.config.get_password(), Some(&b"pgpass-secret-1"[..]));
    assert_eq!(
        t.password_from,
        Some(PasswordSource::Pgpass {
            file: file.clone(),
            line: 1
        })
    );

    // A password in the source wins over the file.
    let vars = [
        ("DATABASE_URL", "postgres://bob:url-pw-1@db.example.com/app"),
        ("PGPASSFILE", file_str),
    ];
    let t = resolve_with(&bare, TargetRequest::default(), &vars).unwrap();
    assert_eq!(t.config.get_password(), Some(&b"url-pw-1"[..]));

    // DB_* and HOME/.pgpass.
    let home = tempfile::tempdir().unwrap();
    write_pgpass(
        home.path(),
        "localhost:5432:postgres:postgres:home-pw-1\n",
        0o600,
    );
    std::fs::rename(home.path().join("pgpass"), home.path().join(".pgpass")).unwrap();
    let vars = [
        ("DB_HOST", "localhost"),
        ("HOME", home.path().to_str().unwrap()),
    ];
    let t = resolve_with(&bare, TargetRequest::default(), &vars).unwrap();
    assert_eq!(t.config.get_password(), Some(&b"home-pw-1"[..]));

    // Too open: ignored, with a warning.
    let open = write_pgpass(dir.path(), "*:*:*:*:open-secret-1\n", 0o644);
    let vars = [
        ("DATABASE_URL", "postgres://bob@db.example.com/app"),
        ("PGPASSFILE", open.to_str().unwrap()),
    ];
    let t = resolve_with(&bare, TargetRequest::default(), &vars).unwrap();
    assert_eq!(t.config.get_password(), None);
    assert!(
        t.warnings.iter().any(|w| w.contains("chmod 0600")),
        "{:?}",
        t.warnings
    );
}

#[test]
fn connect_timeout_precedence() {
    let bare = Config::defaults(PathBuf::from("/proj"));
    let url = [("DATABASE_URL", "postgres://h/db")];
    let t = resolve_with(&bare, TargetRequest::default(), &url).unwrap();
    assert_eq!(t.connect_timeout, std::time::Duration::from_secs(10));
    let t = resolve_with(
        &bare,
        TargetRequest::default(),
        &[
            ("DATABASE_URL", "postgres://h/db"),
            ("PGCONNECT_TIMEOUT", "3"),
        ],
    )
    .unwrap();
    assert_eq!(t.connect_timeout, std::time::Duration::from_secs(3));
    let t = resolve_with(
        &bare,
        TargetRequest::default(),
        &[
            ("DATABASE_URL", "postgres://h/db?connect_timeout=7"),
            ("PGCONNECT_TIMEOUT", "3"),
        ],
    )
    .unwrap();
    assert_eq!(t.connect_timeout, std::time::Duration::from_secs(7));
}

#[test]
fn redacted_url_forms() {
    let mut c = postgres::Config::new();
    c.host("::1").port(5432).user("a b").dbname("db");
    assert_eq!(redacted_url(&c), "postgres://a%20b@[::1]:5432/db");
    let mut c = postgres::Config::new();
    c.host("/tmp").user("u").dbname("d").password("x");
    assert_eq!(redacted_url(&c), "postgres://u@/d?host=/tmp");
    let mut c = postgres::Config::new();
    c.host("h1").host("h2").port(1).port(2);
    assert_eq!(redacted_url(&c), "postgres://h1:1,h2:2/");
}
