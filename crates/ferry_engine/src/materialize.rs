//! Where a schema model comes from: a live database, or SQL that ferry builds in a throwaway
//! database to read its model.
//!
//! `ferry diff FROM TO` and `ferry generate` compare schemas that may not exist anywhere yet:
//! a schema file, a folder of schema files, a migrations folder in any layout. Those are
//! applied with ferry's own runner (so a failing statement is reported at file:line:col
//! like any migration) in a database of a throwaway cluster, which is started once for
//! every side that needs it and removed when the command ends.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::connect::{self, ConnectOptions, TargetRequest};
use crate::error::Error;
use crate::history::{Actor, Tracking, quote_ident};
use crate::log::{Event, Reporter, RunLog};
use crate::ops::Context;
use crate::pg::{EphemeralCluster, PgBinaries};
use crate::plan::PlannedApply;
use crate::runner::Runner;
use crate::session::Session;
use crate::source::{self, Layout, Migration, MigrationSet, Script, Version};

/// One side of a comparison.
#[derive(Debug)]
pub enum SchemaSource {
    /// A live database (`postgres://…`), read as it is.
    Database(String),
    /// SQL files applied in order: a schema file, or a folder of them (sorted by path).
    /// `label` is the path as the user wrote it.
    SqlFiles { label: String, files: Vec<PathBuf> },
    /// A migrations folder in any layout ferry reads, as read: every up script, in
    /// version order.
    Migrations { label: String, set: MigrationSet },
}

impl SchemaSource {
    /// Reads a command-line argument: a URL, a `.sql` file, a migrations folder, or a folder
    /// of schema files (one whose `.sql` files are not named as migrations). A relative
    /// path is relative to `base`; a folder is read as `layout` (ferry.toml's), or detected.
    pub fn parse(text: &str, base: &Path, layout: Option<Layout>) -> Result<SchemaSource, Error> {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return Ok(SchemaSource::Database(text.to_owned()));
        }
        let path = base.join(text);
        let label = text.to_owned();
        if path.is_file() {
            return Ok(SchemaSource::SqlFiles {
                files: vec![path],
                label,
            });
        }
        if path.is_dir() {
            return Ok(match source::discover_as(&path, layout) {
                Ok(set) if !set.migrations.is_empty() => SchemaSource::Migrations { label, set },
                _ => SchemaSource::SqlFiles {
                    files: sql_files(&path)?,
                    label,
                },
            });
        }
        Err(Error::Usage(format!(
            "{text}: not a database URL (postgres://…), a .sql file or a folder"
        )))
    }

    /// The desired schema of ferry.toml's `schema =`: a file, or a folder of SQL files
    /// applied in path order.
    pub fn schema_files(path: &Path, label: &str) -> Result<SchemaSource, Error> {
        let label = label.to_owned();
        if path.is_dir() {
            Ok(SchemaSource::SqlFiles {
                files: sql_files(path)?,
                label,
            })
        } else if path.is_file() {
            Ok(SchemaSource::SqlFiles {
                files: vec![path.to_owned()],
                label,
            })
        } else {
            Err(Error::Usage(format!(
                "{}: the schema file or folder does not exist",
                path.display()
            )))
        }
    }

    pub fn describe(&self) -> String {
        match self {
            SchemaSource::Database(url) => crate::redact::redact(url).into_owned(),
            SchemaSource::SqlFiles { label, .. } => label.clone(),
            SchemaSource::Migrations { label, .. } => format!("the migrations in {label}"),
        }
    }
}

/// Every `.sql` file under `dir`, sorted by path (`01_tables.sql`, `02_views.sql`, …).
fn sql_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|source| Error::Io {
            path: dir.clone(),
            source,
        })?;
        for entry in entries {
            let path = entry
                .map_err(|source| Error::Io {
                    path: dir.clone(),
                    source,
                })?
                .path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "sql") {
                files.push(path);
            }
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(Error::Usage(format!(
            "{}: the folder holds no .sql files",
            dir.display()
        )));
    }
    Ok(files)
}

/// A model read from a source, and where it was read.
pub struct Side {
    pub model: ferry_schema::Catalog,
    /// The server the model was read on (or built on).
    pub server_major: u32,
    pub description: String,
}

/// The throwaway cluster that file and folder sources are built on, started on first use.
#[derive(Default)]
pub struct Scratch {
    cluster: Option<EphemeralCluster>,
    databases: usize,
}

impl Scratch {
    /// Reads the model of `source`, building it first when it is SQL.
    pub fn read(&mut self, ctx: &Context, source: &SchemaSource) -> Result<Side, Error> {
        let options = ferry_schema::ReadOptions {
            tracking_schema: ctx.config.tracking_schema.clone(),
        };
        match source {
            SchemaSource::Database(url) => {
                let request = TargetRequest {
                    database_url: Some(url),
                    env: None,
                };
                let target = connect::resolve(&ctx.config, &request, &connect::process_vars)?;
                let mut client =
                    connect::connect(&target, "ferry diff", ConnectOptions::default())?;
                let model = ferry_schema::read(&mut client, &options)?;
                let server_major = crate::session::server_major(&mut client)?;
                Ok(Side {
                    model,
                    server_major,
                    description: target.describe(),
                })
            }
            SchemaSource::SqlFiles { files, .. } => {
                let set = MigrationSet {
                    dir: files[0].parent().map(Path::to_owned).unwrap_or_default(),
                    migrations: files
                        .iter()
                        .enumerate()
                        .map(|(i, file)| {
                            Ok(Migration {
                                version: Version::parse(&(i + 1).to_string())
                                    .expect("a number is a version"),
                                name: file.display().to_string(),
                                up: Script::read(file)?,
                                down: None,
                                verify: None,
                            })
                        })
                        .collect::<Result<_, source::SourceError>>()?,
                    ..MigrationSet::default()
                };
                self.build(ctx, &source.describe(), &set)
            }
            SchemaSource::Migrations { set, .. } => self.build(ctx, &source.describe(), set),
        }
    }

    /// Applies every migration of `set` in a new database of the throwaway cluster and
    /// reads its model; `what` names the source in messages.
    pub fn build(&mut self, ctx: &Context, what: &str, set: &MigrationSet) -> Result<Side, Error> {
        let options = ferry_schema::ReadOptions {
            tracking_schema: ctx.config.tracking_schema.clone(),
        };
        if let Some((version, paths)) = set.duplicates.first() {
            return Err(Error::Usage(format!(
                "{what}: version {version} is used by more than one file ({})",
                paths
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let bins = PgBinaries::find()?;
        let major = bins.major;
        if self.cluster.is_none() {
            self.cluster = Some(EphemeralCluster::start(&bins)?);
        }
        let cluster = self.cluster.as_ref().expect("started above");
        self.databases += 1;
        let name = format!("ferry_side_{}", self.databases);
        let mut admin = cluster.connect("postgres")?;
        admin
            .batch_execute(&format!("create database {}", quote_ident(&name)))
            .map_err(Error::db("creating a database on the throwaway cluster"))?;
        let client = connect::connect_config(
            cluster.config(&name),
            &connect::SslSettings::disabled(),
            "ferry diff",
            ConnectOptions::default(),
        )?;
        let description = format!("{what} (built on a throwaway PostgreSQL {major})");
        let mut session = Session::from_client(
            client,
            description.clone(),
            Tracking::new(&ctx.config.tracking_schema, Actor::current()),
        );
        session.tracking.ensure(&mut session.client)?;
        let settings = ctx.settings(&session);
        let plan: Vec<PlannedApply> = (0..set.migrations.len())
            .map(|index| PlannedApply {
                index,
                resume_from: None,
            })
            .collect();
        // Building a side is not a migration run: no progress lines, no run log.
        let quiet = Reporter::new(Arc::new(|_: &Event| {}), RunLog::disabled());
        let outcome = Runner::new(
            &mut session.client,
            &session.tracking,
            &quiet,
            &settings,
            &ctx.interrupt.flag,
        )
        .apply(set, &plan);
        if let Some(failure) = outcome.failure {
            return Err(Error::Build {
                what: what.to_owned(),
                failure: Box::new(failure),
            });
        }
        let model = ferry_schema::read(&mut session.client, &options)?;
        Ok(Side {
            model,
            server_major: major,
            description,
        })
    }
}
