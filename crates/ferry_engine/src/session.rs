//! Opening the database a command works on.
//!
//! Resolves the target ([`crate::connect`]), starts ferry's own local PostgreSQL when nothing is
//! configured (or a throwaway one with `--ephemeral`), and connects with the settings every
//! migration session needs: `application_name` naming the command, host and pid (so a waiting
//! runner can say who holds the lock), and `lock_timeout` / `statement_timeout` sent at startup
//! so that they are the session's reset values and survive the `RESET ALL` between files.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use postgres::{CancelToken, Client, NoTls};

use crate::config::Config;
use crate::connect::{self, ConnectOptions, Target, TargetRequest, TargetSource};
use crate::error::Error;
use crate::history::{Actor, Tracking};
use crate::log::{Event, Reporter};
use crate::pg::{EphemeralCluster, LocalCluster, PgBinaries};

/// What the command line says about the target.
#[derive(Debug, Clone, Default)]
pub struct TargetArgs {
    pub database_url: Option<String>,
    pub env: Option<String>,
    /// Retry connecting until the server answers, up to this long.
    pub wait: Option<Duration>,
    /// Run on a throwaway cluster removed afterwards.
    pub ephemeral: bool,
}

/// Overrides of ferry.toml from the command line.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// What relative paths on the command line are relative to (`-C`, or the current
    /// directory).
    pub base_dir: PathBuf,
    pub dir: Option<PathBuf>,
    pub log_dir: Option<PathBuf>,
    pub lock_wait: Option<Duration>,
    pub lock_timeout: Option<Duration>,
}

/// An open connection to the target, with what a command needs around it.
pub struct Session {
    pub client: Client,
    /// One line naming the source and the database (no password).
    pub description: String,
    pub env_name: Option<String>,
    pub protected: bool,
    pub tracking: Tracking,
    /// Keeps a throwaway cluster alive for the session's life.
    _ephemeral: Option<EphemeralCluster>,
}

impl Session {
    /// A session on a connection opened elsewhere (a scratch database on a `--dev-url`).
    pub fn from_client(client: Client, description: String, tracking: Tracking) -> Session {
        Session {
            client,
            description,
            env_name: None,
            protected: false,
            tracking,
            _ephemeral: None,
        }
    }

    /// The major version of the server (`server_version_num` / 10000).
    pub fn server_major(&mut self) -> Result<u32, Error> {
        server_major(&mut self.client)
    }

    /// The rows of the tracking table (none when it does not exist yet).
    pub fn applied(&mut self) -> Result<Vec<crate::history::AppliedRow>, Error> {
        self.tracking
            .applied(&mut self.client)
            .map_err(Error::db("reading the tracking table"))
    }
}

/// Lets Ctrl-C cancel the statement that is running, from another thread.
#[derive(Clone, Default)]
pub struct Interrupt {
    pub flag: crate::runner::CancelFlag,
    token: Arc<Mutex<Option<CancelToken>>>,
}

impl Interrupt {
    /// Stops the run: sets the flag the runner checks between statements and asks the server to
    /// cancel the running one (the migration's transaction then rolls back).
    pub fn trigger(&self) {
        self.flag.cancel();
        let token = self.token.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if let Some(token) = token {
            let _ = token.cancel_query(NoTls);
        }
    }

    fn set_token(&self, token: CancelToken) {
        *self.token.lock().unwrap_or_else(|e| e.into_inner()) = Some(token);
    }
}

/// Where the target is, before connecting: resolved from flags, environment and ferry.toml.
pub fn resolve_target(config: &Config, args: &TargetArgs) -> Result<Option<Target>, Error> {
    if args.ephemeral {
        return Ok(None);
    }
    let request = TargetRequest {
        database_url: args.database_url.as_deref(),
        env: args.env.as_deref(),
    };
    let target = connect::resolve(config, &request, &connect::process_vars)?;
    Ok(match target.source {
        TargetSource::Local => None,
        _ => Some(target),
    })
}

/// Connects to the target for `command`.
pub fn open(
    config: &Config,
    args: &TargetArgs,
    overrides: &Overrides,
    command: &str,
    reporter: &Reporter,
    interrupt: &Interrupt,
) -> Result<Session, Error> {
    let env_name = args.env.clone();
    let target = resolve_target(config, args)?;
    let timeouts = config.timeouts(
        target
            .as_ref()
            .and_then(|t| t.env_name.as_deref())
            .or(env_name.as_deref()),
    );
    let lock_timeout = overrides.lock_timeout.unwrap_or(timeouts.lock_timeout);
    let mut startup = Vec::new();
    if !lock_timeout.is_zero() {
        startup.push((
            "lock_timeout".to_owned(),
            format!("{}ms", lock_timeout.as_millis()),
        ));
    }
    if !timeouts.statement_timeout.is_zero() {
        startup.push((
            "statement_timeout".to_owned(),
            format!("{}ms", timeouts.statement_timeout.as_millis()),
        ));
    }
    let actor = Actor::current();
    let application_name = truncate(
        &format!("ferry {command} @{} pid {}", actor.host, std::process::id()),
        63,
    );
    let notice_reporter = reporter.clone();
    let options = ConnectOptions {
        wait: args.wait,
        notice: Some(Box::new(move |notice: &postgres::error::DbError| {
            notice_reporter.emit(Event::Notice {
                severity: notice.severity().to_owned(),
                message: notice.message().to_owned(),
                detail: notice.detail().map(str::to_owned),
                hint: notice.hint().map(str::to_owned),
            });
        })),
        startup_settings: startup,
    };

    let (client, description, protected, env_name, ephemeral) = match target {
        Some(target) => {
            let description = target.describe();
            let client = connect::connect(&target, &application_name, options)?;
            (
                client,
                description,
                target.protected,
                target.env_name.clone(),
                None,
            )
        }
        None if args.ephemeral => {
            let bins = PgBinaries::find()?;
            let cluster = EphemeralCluster::start(&bins)?;
            let pg_config = cluster.config("postgres");
            let description = format!(
                "a throwaway PostgreSQL {} (--ephemeral) → {}",
                bins.major,
                connect::redacted_url(&pg_config)
            );
            let client = connect::connect_config(
                pg_config,
                &connect::SslSettings::disabled(),
                &application_name,
                options,
            )?;
            (client, description, false, None, Some(cluster))
        }
        None => {
            let local = LocalCluster::for_project(&config.root);
            let status = local.ensure_running()?;
            let pg_config = status.config("postgres");
            let description = format!(
                "ferry's local PostgreSQL {} (no database configured) → {}",
                status.major,
                connect::redacted_url(&pg_config)
            );
            let client = connect::connect_config(
                pg_config,
                &connect::SslSettings::disabled(),
                &application_name,
                options,
            )?;
            (client, description, false, None, None)
        }
    };
    interrupt.set_token(client.cancel_token());
    reporter.emit(Event::Target {
        description: description.clone(),
    });
    Ok(Session {
        client,
        description,
        env_name,
        protected,
        tracking: Tracking::new(&config.tracking_schema, actor),
        _ephemeral: ephemeral,
    })
}

fn truncate(text: &str, max: usize) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if out.len() + c.len_utf8() > max {
            break;
        }
        out.push(c);
    }
    out
}

/// The server's major version (`server_version_num` / 10000: 16 for 160004, 9 for 90624).
pub fn server_major(client: &mut Client) -> Result<u32, Error> {
    let row = client
        .query_one(
            "select current_setting('server_version_num')::int / 10000",
            &[],
        )
        .map_err(Error::db("reading the server version"))?;
    Ok(row.get::<_, i32>(0) as u32)
}
