//! `ferry drift`: does the target's schema still match what its applied migrations produce?
//!
//! The migrations the target records as applied are replayed, from their files, on a
//! throwaway cluster (or, with `--dev-url`, in a scratch database created on that server and
//! dropped afterwards); the two schema models are compared. Equal: exit 0. Different: the
//! canonical dumps' unified diff and exit 1 — the seeds' "schema drift detected", as a command
//! a CI job can run. A replay only stands for the target when the server can build the same
//! schema: a target on a newer major than the local server binaries, or using extensions the
//! replay server cannot install, is refused with the reason, and `--dev-url` names a server
//! that can.

use serde::Serialize;

use crate::compare::{dump_diff, same_schema};
use crate::connect::{self, ConnectOptions, TargetRequest};
use crate::error::Error;
use crate::history::{Actor, RowState, Tracking, quote_ident};
use crate::ops::{Context, SCHEMA_VERSION};
use crate::plan::{PlannedApply, Problem};
use crate::session::{self, Session, TargetArgs};

/// What `ferry drift` found.
#[derive(Debug, Serialize)]
pub struct DriftReport {
    pub schema_version: u32,
    pub target: String,
    /// Where the migrations were replayed.
    pub replayed_on: String,
    /// How many applied migrations were replayed.
    pub replayed: usize,
    pub drifted: bool,
    /// Unified diff of the canonical dumps: what the migrations produce (`-`) against the target (`+`).
    pub diff: Option<String>,
    pub notes: Vec<String>,
}

/// Compares the target with the schema its applied migrations produce.
pub fn drift(ctx: &Context, dev_url: Option<&str>) -> Result<DriftReport, Error> {
    let set = ctx.migrations()?;
    let mut target = session::open(
        &ctx.config,
        &ctx.target,
        &ctx.overrides,
        "drift",
        &ctx.reporter,
        &ctx.interrupt,
    )?;
    let options = ferry_schema::ReadOptions {
        tracking_schema: ctx.config.tracking_schema.clone(),
    };
    let rows = target.applied()?;
    let actual = ferry_schema::read(&mut target.client, &options)?;
    let target_major = target.server_major()?;

    // The applied migrations, from their files, in version order.
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    let mut plan = Vec::new();
    for row in &rows {
        let file = set
            .migrations
            .iter()
            .position(|m| m.version.key() == row.version);
        match (row.state, file) {
            (RowState::Applied, Some(index)) => plan.push(PlannedApply {
                index,
                resume_from: None,
            }),
            (RowState::Applied, None) if row.baselined => notes.push(format!(
                "baseline marker {} has no file: what the database held before it is not replayed",
                row.version_text
            )),
            (RowState::Applied, None) => problems.push(Problem::MissingFile {
                version: row.version_text.clone(),
                name: row.name.clone(),
            }),
            (_, _) => problems.push(Problem::FailedMissing {
                version: row.version_text.clone(),
                name: row.name.clone(),
            }),
        }
    }
    if !problems.is_empty() {
        return Err(Error::Refused(problems));
    }
    plan.sort_by(|a, b| {
        set.migrations[a.index]
            .version
            .cmp(&set.migrations[b.index].version)
    });

    let mut replay = Replay::open(ctx, dev_url, target_major)?;
    let result = (|| -> Result<DriftReport, Error> {
        let session = &mut replay.session;
        check_extensions(session, &actual)?;
        session.tracking.ensure(&mut session.client)?;
        let settings = ctx.settings(session);
        let outcome = ctx.runner(session, &settings).apply(&set, &plan);
        if let Some(failure) = outcome.failure {
            return Err(Error::Usage(format!(
                "replaying the applied migrations failed at {} ({}): {} — the migrations no longer build the schema they built on the target",
                failure.version, failure.name, failure.message
            )));
        }
        let expected = ferry_schema::read(&mut session.client, &options)?;
        let same = same_schema(&expected, &actual, &mut notes, "the target");
        Ok(DriftReport {
            schema_version: SCHEMA_VERSION,
            target: target.description.clone(),
            replayed_on: session.description.clone(),
            replayed: plan.len(),
            drifted: !same,
            diff: (!same).then(|| {
                dump_diff(
                    &expected,
                    &actual,
                    ("what the migrations produce", "the target"),
                )
            }),
            notes,
        })
    })();
    replay.close();
    result
}

/// Refuses a replay that cannot stand for the target because an extension is missing.
fn check_extensions(session: &mut Session, actual: &ferry_schema::Catalog) -> Result<(), Error> {
    for extension in &actual.extensions {
        let available: bool = session
            .client
            .query_one(
                "select exists (select 1 from pg_available_extensions where name = $1)",
                &[&extension.name],
            )
            .map_err(Error::db("looking up the replay server's extensions"))?
            .get(0);
        if !available {
            return Err(Error::Usage(format!(
                "the target uses extension {}, which the replay server ({}) cannot install: pass --dev-url with a PostgreSQL server that has it",
                extension.name, session.description
            )));
        }
    }
    Ok(())
}

/// Where the replay runs: a throwaway cluster, or a scratch database on `--dev-url`.
struct Replay {
    session: Session,
    /// For `--dev-url`: how to drop the scratch database afterwards.
    scratch: Option<(connect::Target, String)>,
}

impl Replay {
    fn open(ctx: &Context, dev_url: Option<&str>, target_major: u32) -> Result<Replay, Error> {
        let Some(url) = dev_url else {
            let bins = crate::pg::PgBinaries::find()?;
            if bins.major < target_major {
                return Err(Error::Usage(format!(
                    "the target runs PostgreSQL {target_major} but the local server binaries are {}: a replay there cannot stand for the target; pass --dev-url with a PostgreSQL {target_major} server (ferry creates and drops a scratch database there)",
                    bins.major
                )));
            }
            let throwaway = TargetArgs {
                ephemeral: true,
                ..TargetArgs::default()
            };
            let session = session::open(
                &ctx.config,
                &throwaway,
                &ctx.overrides,
                "drift",
                &ctx.reporter,
                &ctx.interrupt,
            )?;
            return Ok(Replay {
                session,
                scratch: None,
            });
        };
        let request = TargetRequest {
            database_url: Some(url),
            env: None,
        };
        let server = connect::resolve(&ctx.config, &request, &connect::process_vars)?;
        let name = format!("ferry_drift_{}", std::process::id());
        let mut admin = connect::connect(&server, "ferry drift", ConnectOptions::default())?;
        // Two messages: neither statement runs inside a transaction block.
        for sql in ["drop database if exists", "create database"] {
            admin
                .batch_execute(&format!("{sql} {}", quote_ident(&name)))
                .map_err(Error::db("creating the scratch database on --dev-url"))?;
        }
        let mut scratch = server.clone();
        scratch.config.dbname(&name);
        let client = connect::connect(&scratch, "ferry drift", ConnectOptions::default())?;
        let description = format!("a scratch database {name} on --dev-url");
        Ok(Replay {
            session: Session::from_client(
                client,
                description,
                Tracking::new(&ctx.config.tracking_schema, Actor::current()),
            ),
            scratch: Some((server, name)),
        })
    }

    /// Drops the scratch database (the throwaway cluster goes with its session).
    fn close(self) {
        let Replay { session, scratch } = self;
        drop(session);
        if let Some((server, name)) = scratch
            && let Ok(mut admin) =
                connect::connect(&server, "ferry drift", ConnectOptions::default())
        {
            let _ = admin.batch_execute(&format!(
                "drop database if exists {} with (force)",
                quote_ident(&name)
            ));
        }
    }
}
