//! `ferry diff FROM TO` and `ferry generate NAME`: the DDL between two schemas.
//!
//! Each side is read into a model (a live database as it is; SQL files and migrations
//! folders built on a throwaway cluster, see [`crate::materialize`]) and
//! [`ferry_schema::diff`] writes the statements that turn one into the other.
//! `generate` compares what the project's migrations produce with the desired schema named
//! in ferry.toml (`schema = …`) and writes the difference as the next migration, with the
//! reverse difference as its down script.

use std::path::PathBuf;

use ferry_schema::diff::{Change, DiffOptions};
use serde::Serialize;

use crate::error::Error;
use crate::materialize::{SchemaSource, Scratch, Side};
use crate::ops::{Context, SCHEMA_VERSION};
use crate::source::{self, Layout};

/// What `ferry diff` found.
#[derive(Debug, Serialize)]
pub struct DiffReport {
    pub schema_version: u32,
    pub from: String,
    pub to: String,
    /// The statements, in the order they run.
    pub changes: Vec<Change>,
    /// How many statements may lose data.
    pub destructive: usize,
    /// Everything as one script, each destructive statement marked.
    pub sql: String,
    pub notes: Vec<String>,
}

/// The DDL that turns `from` into `to` (each a URL, a SQL file or folder, or a migrations
/// folder), limited to `schemas` when any are given.
pub fn diff(ctx: &Context, from: &str, to: &str, schemas: &[String]) -> Result<DiffReport, Error> {
    let base = &ctx.overrides.base_dir;
    let from = SchemaSource::parse(from, base, ctx.config.layout)?;
    let to = SchemaSource::parse(to, base, ctx.config.layout)?;
    let (a, b) = match (&from, &to) {
        // Two live databases: read at the same time.
        (SchemaSource::Database(_), SchemaSource::Database(_)) => std::thread::scope(|s| {
            let a = s.spawn(|| Scratch::default().read(ctx, &from));
            let b = Scratch::default().read(ctx, &to);
            (a.join().expect("reading FROM panicked"), b)
        }),
        _ => {
            let mut scratch = Scratch::default();
            let a = scratch.read(ctx, &from);
            (a, scratch.read(ctx, &to))
        }
    };
    Ok(compare(a?, b?, schemas))
}

fn compare(mut a: Side, mut b: Side, schemas: &[String]) -> DiffReport {
    if !schemas.is_empty() {
        a.model.retain_schemas(schemas);
        b.model.retain_schemas(schemas);
    }
    let changes = ferry_schema::diff::diff(
        &a.model,
        &b.model,
        &DiffOptions {
            server_major: a.server_major,
        },
    );
    let mut notes = Vec::new();
    if changes.is_empty() && a.model != b.model {
        notes.push(
            "the same columns in another order: a diff cannot reorder columns (a column dropped and added again lands at the end)"
                .to_owned(),
        );
    }
    let sql = script(&changes, &a.description, &b.description);
    DiffReport {
        schema_version: SCHEMA_VERSION,
        from: a.description,
        to: b.description,
        destructive: ferry_schema::diff::destructive_count(&changes),
        changes,
        sql,
        notes,
    }
}

/// The rendered changes, with where they come from and go to under the first line.
fn script(changes: &[Change], from: &str, to: &str) -> String {
    let text = ferry_schema::diff::render(changes);
    let (first, rest) = text.split_once('\n').unwrap_or((&text, ""));
    format!("{first}\n-- from: {from}\n-- to:   {to}\n{rest}")
}

/// What `ferry generate` wrote.
#[derive(Debug, Serialize)]
pub struct GenerateReport {
    pub schema_version: u32,
    /// The desired schema (ferry.toml's `schema`).
    pub schema: String,
    /// The up script's statements; empty when the migrations already produce the schema.
    pub changes: Vec<Change>,
    pub destructive: usize,
    /// The files written (with `--dry-run`: that would be written); none when nothing changed.
    pub created: Vec<PathBuf>,
    pub dry_run: bool,
    pub up_sql: String,
    pub down_sql: String,
    pub notes: Vec<String>,
}

/// Writes the next migration: what turns the migrations' schema into the desired one.
pub fn generate(ctx: &Context, name: &str, dry_run: bool) -> Result<GenerateReport, Error> {
    let Some(schema) = &ctx.config.schema else {
        return Err(Error::Usage(
            "ferry generate needs the desired schema: add `schema = \"schema.sql\"` (a SQL file, or a folder of them) to ferry.toml".to_owned(),
        ));
    };
    let desired = SchemaSource::schema_files(
        &ctx.config.project_path(schema),
        &schema.display().to_string(),
    )?;
    let (dir, set) = crate::ops::next_migration(ctx, name)?;

    let mut scratch = Scratch::default();
    let what = format!("the migrations in {}", ctx.config.dir.display());
    let current = scratch.build(ctx, &what, &set)?;
    let wanted = scratch.read(ctx, &desired)?;
    let options = DiffOptions {
        server_major: current.server_major,
    };
    let up = ferry_schema::diff::diff(&current.model, &wanted.model, &options);
    let down = ferry_schema::diff::diff(&wanted.model, &current.model, &options);
    let mut notes = Vec::new();
    let schema_text = desired.describe();
    if up.is_empty() {
        notes.push(format!(
            "no changes: the migrations already produce the schema in {schema_text}"
        ));
        return Ok(GenerateReport {
            schema_version: SCHEMA_VERSION,
            schema: schema_text,
            changes: up,
            destructive: 0,
            created: Vec::new(),
            dry_run,
            up_sql: String::new(),
            down_sql: String::new(),
            notes,
        });
    }
    let destructive = ferry_schema::diff::destructive_count(&up);
    let header = format!(
        "-- {name}\n-- Written by `ferry generate` from {schema_text}: {} statement(s), {destructive} marked DESTRUCTIVE. Review before applying.\n",
        up.len()
    );
    let up_sql = format!("{header}{}", body(&up));
    let down_sql = format!(
        "-- Reverts {name}: written by `ferry generate`, the difference the other way.\n{}",
        body(&down)
    );
    let now = crate::ops::now_digits();
    let files: Vec<(PathBuf, String)> = match set.layout {
        Layout::Dbmate => {
            let (file, _) = source::next_file_names(&set, name, &now);
            vec![(
                PathBuf::from(file),
                format!("-- migrate:up\n{up_sql}\n-- migrate:down\n{down_sql}"),
            )]
        }
        _ => {
            let (up_file, down_file) = source::next_file_names(&set, name, &now);
            vec![
                (PathBuf::from(up_file), up_sql.clone()),
                (PathBuf::from(down_file), down_sql.clone()),
            ]
        }
    };
    let created = crate::ops::write_new_files(&dir, files, dry_run)?;
    Ok(GenerateReport {
        schema_version: SCHEMA_VERSION,
        schema: schema_text,
        changes: up,
        destructive,
        created,
        dry_run,
        up_sql,
        down_sql,
        notes,
    })
}

/// The rendered changes without the `-- ferry diff` line.
fn body(changes: &[Change]) -> String {
    let text = ferry_schema::diff::render(changes);
    match text.split_once('\n') {
        Some((_, rest)) => rest.to_owned(),
        None => text,
    }
}
