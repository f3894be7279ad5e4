//! The tracking schema: the state of each migration and an append-only history.
//!
//! `"<schema>".migrations` holds one row per migration that ferry applied, baselined, or that
//! failed without a transaction to roll it back; `"<schema>".history` records every apply,
//! rollback, baseline, repair and failure (who, when, how long, from which host) and is never
//! updated or deleted. `"<schema>".meta` holds the version of these tables, so that later
//! releases can upgrade them. The schema name is configurable and always quoted.

use std::time::Duration;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use postgres::types::{ToSql, Type};
use postgres::{GenericClient, Statement};
use serde::Serialize;

/// The version of the tracking tables this release writes.
pub const TABLES_VERSION: i32 = 1;

/// The types of [`Tracking::record`]'s parameters, `$1` to `$20`.
const RECORD_TYPES: [&str; 20] = [
    "text", "text", "text", "text", "text", "text", "text", "boolean", "integer", "integer",
    "text", "boolean", "text", "text", "bigint", "text", "text", "text", "bigint", "text",
];

/// One row of the migrations table.
#[derive(Debug, Clone, Serialize)]
pub struct AppliedRow {
    /// Canonical version key (`1`, `1.10`).
    pub version: String,
    /// The version as written in the file name when it was applied.
    pub version_text: String,
    pub name: String,
    pub script: String,
    pub checksum: String,
    pub checksum_bytes: String,
    pub state: RowState,
    pub transactional: bool,
    /// For a no-transaction migration: how many statements completed.
    pub statements_done: Option<i32>,
    pub statements_total: Option<i32>,
    pub error: Option<String>,
    pub applied_at: String,
    pub applied_by: String,
    pub host: Option<String>,
    pub duration_ms: Option<i64>,
    pub baselined: bool,
}

/// The state recorded for a migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowState {
    Applied,
    /// A no-transaction migration that stopped on an error.
    Failed,
    /// A no-transaction migration in progress, or whose runner died.
    Running,
}

impl RowState {
    fn parse(text: &str) -> RowState {
        match text {
            "applied" => RowState::Applied,
            "failed" => RowState::Failed,
            _ => RowState::Running,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RowState::Applied => "applied",
            RowState::Failed => "failed",
            RowState::Running => "running",
        }
    }
}

/// One row of the history table.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryRow {
    pub id: i64,
    pub at: String,
    pub action: String,
    pub version: Option<String>,
    pub name: Option<String>,
    pub checksum: Option<String>,
    pub db_user: String,
    pub os_user: Option<String>,
    pub host: Option<String>,
    pub duration_ms: Option<i64>,
    pub ferry_version: Option<String>,
    pub detail: Option<String>,
}

/// Who runs ferry, for the history.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub os_user: String,
    pub host: String,
}

impl Actor {
    /// The current OS user and host name.
    pub fn current() -> Actor {
        Actor {
            os_user: whoami::username().unwrap_or_else(|_| "unknown".to_owned()),
            host: whoami::hostname().unwrap_or_else(|_| "unknown".to_owned()),
        }
    }
}

/// An entry to append to the history.
#[derive(Debug, Clone, Default)]
pub struct HistoryEntry<'a> {
    pub action: &'a str,
    pub version: Option<&'a str>,
    pub version_text: Option<&'a str>,
    pub name: Option<&'a str>,
    pub checksum: Option<&'a str>,
    pub duration: Option<Duration>,
    pub detail: Option<&'a str>,
}

/// One migration of a `--single-transaction` batch, for [`Tracking::record_batch`].
#[derive(Debug, Clone)]
pub struct BatchRow<'a> {
    pub migration: &'a crate::source::Migration,
    pub duration_ms: i64,
    /// The migration may have a row already, which is then updated: so the plan says of a
    /// repeatable migration that changed and of a failed one resumed. A pending migration has
    /// no row otherwise, and its row is inserted without the upsert's cost.
    pub may_have_row: bool,
}

/// A migration's state to write.
#[derive(Debug, Clone)]
pub struct RowWrite<'a> {
    pub version: &'a str,
    pub version_text: &'a str,
    pub name: &'a str,
    pub script: &'a str,
    pub checksum: &'a str,
    pub checksum_bytes: &'a str,
    pub state: RowState,
    pub transactional: bool,
    pub statements_done: Option<i32>,
    pub statements_total: Option<i32>,
    pub error: Option<&'a str>,
    pub duration: Option<Duration>,
    pub baselined: bool,
}

/// Access to the tracking tables of one schema.
#[derive(Debug, Clone)]
pub struct Tracking {
    schema: String,
    quoted: String,
    actor: Actor,
    /// The statements written for every migration, prepared once per session: preparing costs a
    /// round trip each time, and a run of 500 migrations writes 500 rows.
    record_statement: OnceLock<Statement>,
    progress_statement: OnceLock<Statement>,
    /// The name of the SQL-level prepared statement of [`Tracking::record_sql`].
    record_sql_name: OnceLock<String>,
    /// Whether the session holds the migration lock (see [`crate::runner::acquire_lock`]).
    pub(crate) lock: crate::runner::LockState,
}

impl Tracking {
    pub fn new(schema: &str, actor: Actor) -> Tracking {
        Tracking {
            schema: schema.to_owned(),
            quoted: quote_ident(schema),
            actor,
            record_statement: OnceLock::new(),
            progress_statement: OnceLock::new(),
            record_sql_name: OnceLock::new(),
            lock: crate::runner::LockState::default(),
        }
    }

    /// The schema name, unquoted.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// The key of the advisory lock that serialises runners on this database, derived from the
    /// tracking schema's name so two projects with different schemas in one database do not
    /// block each other.
    pub fn lock_key(&self) -> i64 {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(format!("ferry:migrations:{}", self.schema).as_bytes());
        i64::from_be_bytes(digest[..8].try_into().expect("8 bytes"))
    }

    /// Whether the tracking tables exist (read-only commands never create them).
    ///
    /// The queries of this module that run once per command name their parameters' types
    /// (`query_typed`): one round trip each, where an untyped query takes a prepare, an execute
    /// and a close.
    pub fn exists(&self, client: &mut impl GenericClient) -> Result<bool, postgres::Error> {
        let row = client.query_typed_one(
            "select to_regclass(format('%I.%I', $1::text, 'migrations')) is not null",
            &[(&self.schema, Type::TEXT)],
        )?;
        Ok(row.get(0))
    }

    /// Creates the tracking tables when missing, and upgrades them when an older release made them.
    /// Runs under the advisory lock.
    pub fn ensure(&self, client: &mut impl GenericClient) -> Result<(), TrackingError> {
        if self.exists(client)? {
            let version = self.tables_version(client)?;
            if version > TABLES_VERSION {
                return Err(TrackingError::NewerTables {
                    schema: self.schema.clone(),
                    found: version,
                    supported: TABLES_VERSION,
                });
            }
            return Ok(());
        }
        let s = &self.quoted;
        client.batch_execute(&format!(
            "create schema if not exists {s};
             create table {s}.meta (
                 key text primary key,
                 value text not null
             );
             insert into {s}.meta values ('tables_version', '{TABLES_VERSION}');
             create table {s}.migrations (
                 version text primary key,
                 version_text text not null,
                 name text not null,
                 script text not null,
                 checksum text not null,
                 checksum_bytes text not null,
                 state text not null check (state in ('applied', 'failed', 'running')),
                 transactional boolean not null,
                 statements_done integer,
                 statements_total integer,
                 error text,
                 baselined boolean not null default false,
                 applied_at timestamptz not null default now(),
                 applied_by text not null default current_user,
                 os_user text,
                 host text,
                 duration_ms bigint,
                 ferry_version text
             );
             create table {s}.history (
                 id bigint generated always as identity primary key,
                 at timestamptz not null default clock_timestamp(),
                 action text not null,
                 version text,
                 version_text text,
                 name text,
                 checksum text,
                 db_user text not null default current_user,
                 os_user text,
                 host text,
                 duration_ms bigint,
                 ferry_version text,
                 detail text
             );
             comment on schema {s} is 'ferry: migration tracking. Do not edit by hand; use ferry repair.';"
        ))?;
        Ok(())
    }

    fn tables_version(&self, client: &mut impl GenericClient) -> Result<i32, postgres::Error> {
        let row = client.query_typed_opt(
            &format!(
                "select value from {}.meta where key = 'tables_version'",
                self.quoted
            ),
            &[],
        )?;
        Ok(row
            .and_then(|r| r.get::<_, String>(0).parse().ok())
            .unwrap_or(1))
    }

    /// Every row of the migrations table (empty when the tables do not exist yet).
    pub fn applied(
        &self,
        client: &mut impl GenericClient,
    ) -> Result<Vec<AppliedRow>, postgres::Error> {
        if !self.exists(client)? {
            return Ok(Vec::new());
        }
        let rows = client.query_typed(
            &format!(
                "select version, version_text, name, script, checksum, checksum_bytes, state,
                        transactional, statements_done, statements_total, error,
                        to_char(applied_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),
                        applied_by, host, duration_ms, baselined
                 from {}.migrations",
                self.quoted
            ),
            &[],
        )?;
        Ok(rows
            .into_iter()
            .map(|r| AppliedRow {
                version: r.get(0),
                version_text: r.get(1),
                name: r.get(2),
                script: r.get(3),
                checksum: r.get(4),
                checksum_bytes: r.get(5),
                state: RowState::parse(r.get(6)),
                transactional: r.get(7),
                statements_done: r.get(8),
                statements_total: r.get(9),
                error: r.get(10),
                applied_at: r.get(11),
                applied_by: r.get(12),
                host: r.get(13),
                duration_ms: r.get(14),
                baselined: r.get(15),
            })
            .collect())
    }

    /// Upserts a migration's row and appends a history entry in one statement (one round trip,
    /// inside the migration's own transaction when it has one).
    pub fn record(
        &self,
        client: &mut impl GenericClient,
        row: &RowWrite<'_>,
        entry: &HistoryEntry<'_>,
    ) -> Result<(), postgres::Error> {
        let duration_ms = row.duration.map(|d| d.as_millis() as i64);
        let entry_ms = entry.duration.map(|d| d.as_millis() as i64);
        let version = env!("CARGO_PKG_VERSION");
        let params: [&(dyn ToSql + Sync); 20] = [
            &row.version,
            &row.version_text,
            &row.name,
            &row.script,
            &row.checksum,
            &row.checksum_bytes,
            &row.state.as_str(),
            &row.transactional,
            &row.statements_done,
            &row.statements_total,
            &row.error,
            &row.baselined,
            &self.actor.os_user,
            &self.actor.host,
            &duration_ms,
            &version,
            &entry.action,
            &entry.detail,
            &entry_ms,
            &entry.checksum,
        ];
        let statement = prepared(client, &self.record_statement, || self.record_query(true))?;
        client.execute(&statement, &params)?;
        Ok(())
    }

    /// The statement of [`Tracking::record`]: the history entry and the row's upsert, with
    /// the 20 parameters in the order of [`RECORD_TYPES`]. Without `upsert`, the row is
    /// inserted: `on conflict … do update` costs the server about 0.1 ms per execution, most
    /// of the tracking write, and a migration that has no row yet does not need it.
    fn record_query(&self, upsert: bool) -> String {
        let s = &self.quoted;
        let insert = format!(
            "with h as (
                 insert into {s}.history (action, version, version_text, name, checksum, os_user, host, duration_ms, ferry_version, detail)
                 values ($17, $1, $2, $3, $20, $13, $14, $19, $16, $18)
             )
             insert into {s}.migrations as m (version, version_text, name, script, checksum, checksum_bytes, state,
                 transactional, statements_done, statements_total, error, baselined, os_user, host, duration_ms, ferry_version)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
        );
        if !upsert {
            return insert;
        }
        insert
            + "
             on conflict (version) do update set
                 version_text = excluded.version_text, name = excluded.name, script = excluded.script,
                 checksum = excluded.checksum, checksum_bytes = excluded.checksum_bytes, state = excluded.state,
                 transactional = excluded.transactional, statements_done = excluded.statements_done,
                 statements_total = excluded.statements_total, error = excluded.error, baselined = excluded.baselined,
                 applied_at = now(), applied_by = current_user, os_user = excluded.os_user, host = excluded.host,
                 duration_ms = excluded.duration_ms, ferry_version = excluded.ferry_version"
    }

    /// Prepares [`Tracking::record`]'s statement, and its variant without the upsert, with SQL
    /// `PREPARE`, once per session, for [`Tracking::record_sql`]. A prepared statement
    /// outlives the transaction it was made in, even one rolled back.
    pub fn prepare_record_sql(
        &self,
        client: &mut impl GenericClient,
    ) -> Result<(), postgres::Error> {
        if self.record_sql_name.get().is_some() {
            return Ok(());
        }
        // Unique per `Tracking`, in case two of them ever share a connection.
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!("ferry_record_{}", NEXT.fetch_add(1, Ordering::Relaxed));
        let types = RECORD_TYPES.join(", ");
        client.batch_execute(&format!(
            "prepare {name} ({types}) as {};
             prepare {name}_new ({types}) as {}",
            self.record_query(true),
            self.record_query(false)
        ))?;
        let _ = self.record_sql_name.set(name);
        Ok(())
    }

    /// The SQL of [`Tracking::record`] as a simple query (`EXECUTE` of the statement that
    /// [`Tracking::prepare_record_sql`] prepared, its parameters as literals), so that it can
    /// travel in one message with the COMMIT of the migration's transaction: a round trip less
    /// per migration. `None` until prepared. Unless `may_have_row`, the row is inserted without
    /// the upsert (it fails if the row exists after all).
    pub fn record_sql(
        &self,
        row: &RowWrite<'_>,
        entry: &HistoryEntry<'_>,
        may_have_row: bool,
    ) -> Option<String> {
        let name = self.record_sql_name.get()?;
        let suffix = if may_have_row { "" } else { "_new" };
        let text = |v: &str| literal(v);
        let opt_text = |v: Option<&str>| v.map_or_else(|| "null".to_owned(), literal);
        let opt_num = |v: Option<i64>| v.map_or_else(|| "null".to_owned(), |n| n.to_string());
        let params = [
            text(row.version),
            text(row.version_text),
            text(row.name),
            text(row.script),
            text(row.checksum),
            text(row.checksum_bytes),
            text(row.state.as_str()),
            row.transactional.to_string(),
            opt_num(row.statements_done.map(i64::from)),
            opt_num(row.statements_total.map(i64::from)),
            opt_text(row.error),
            row.baselined.to_string(),
            text(&self.actor.os_user),
            text(&self.actor.host),
            opt_num(row.duration.map(|d| d.as_millis() as i64)),
            text(env!("CARGO_PKG_VERSION")),
            text(entry.action),
            opt_text(entry.detail),
            opt_num(entry.duration.map(|d| d.as_millis() as i64)),
            opt_text(entry.checksum),
        ];
        Some(format!("execute {name}{suffix}({})", params.join(", ")))
    }

    /// Records a migration file as applied without running it (baseline, repair decisions):
    /// its current checksums, with a history entry of `action` and `detail`.
    pub fn record_file(
        &self,
        client: &mut impl GenericClient,
        m: &crate::source::Migration,
        action: &str,
        detail: &str,
        baselined: bool,
    ) -> Result<(), postgres::Error> {
        let key = m.version.key();
        let text = m.version.to_string();
        let file = m.up.file_name();
        let total = (!m.transactional())
            .then(|| m.up.statements().map(|s| s.len() as i32).ok())
            .flatten();
        let row = RowWrite {
            version: &key,
            version_text: &text,
            name: &m.name,
            script: &file,
            checksum: m.up.checksum(),
            checksum_bytes: m.up.bytes_checksum(),
            state: RowState::Applied,
            transactional: m.transactional(),
            statements_done: total,
            statements_total: total,
            error: None,
            duration: None,
            baselined,
        };
        let entry = HistoryEntry {
            action,
            version: Some(&key),
            version_text: Some(&text),
            name: Some(&m.name),
            checksum: Some(m.up.checksum()),
            detail: Some(detail),
            ..HistoryEntry::default()
        };
        self.record(client, &row, &entry)
    }

    /// Records a batch of transactional migrations as applied, in one statement (the rows of
    /// `--single-transaction`, written inside its transaction just before COMMIT).
    pub fn record_batch(
        &self,
        client: &mut impl GenericClient,
        rows: &[BatchRow<'_>],
    ) -> Result<(), postgres::Error> {
        let mut keys = Vec::with_capacity(rows.len());
        let mut texts = Vec::with_capacity(rows.len());
        let mut names = Vec::with_capacity(rows.len());
        let mut scripts = Vec::with_capacity(rows.len());
        let mut checksums = Vec::with_capacity(rows.len());
        let mut bytes = Vec::with_capacity(rows.len());
        let mut durations = Vec::with_capacity(rows.len());
        for row in rows {
            let m = row.migration;
            keys.push(m.version.key());
            texts.push(m.version.to_string());
            names.push(m.name.clone());
            scripts.push(m.up.file_name());
            checksums.push(m.up.checksum().to_owned());
            bytes.push(m.up.bytes_checksum().to_owned());
            durations.push(row.duration_ms);
        }
        let s = &self.quoted;
        let ferry_version = env!("CARGO_PKG_VERSION");
        // `on conflict` costs the server a few milliseconds for 500 rows: only when needed.
        let upsert = if rows.iter().any(|r| r.may_have_row) {
            "on conflict (version) do update set
                 version_text = excluded.version_text, name = excluded.name, script = excluded.script,
                 checksum = excluded.checksum, checksum_bytes = excluded.checksum_bytes, state = excluded.state,
                 transactional = excluded.transactional, statements_done = null, statements_total = null,
                 error = null, baselined = false, applied_at = now(), applied_by = current_user,
                 os_user = excluded.os_user, host = excluded.host, duration_ms = excluded.duration_ms,
                 ferry_version = excluded.ferry_version"
        } else {
            ""
        };
        client.execute_typed(
            &format!(
                "with b as (
                     select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[])
                         with ordinality as u(version, version_text, name, script, checksum, checksum_bytes, duration_ms, n)
                 ), h as (
                     insert into {s}.history (action, version, version_text, name, checksum, os_user, host, duration_ms, ferry_version)
                     select 'apply', version, version_text, name, checksum, $8, $9, duration_ms, $10 from b order by n
                 )
                 insert into {s}.migrations as m (version, version_text, name, script, checksum, checksum_bytes, state,
                     transactional, baselined, os_user, host, duration_ms, ferry_version)
                 select version, version_text, name, script, checksum, checksum_bytes, 'applied', true, false, $8, $9, duration_ms, $10
                 from b
                 {upsert}"
            ),
            &[
                (&keys, Type::TEXT_ARRAY),
                (&texts, Type::TEXT_ARRAY),
                (&names, Type::TEXT_ARRAY),
                (&scripts, Type::TEXT_ARRAY),
                (&checksums, Type::TEXT_ARRAY),
                (&bytes, Type::TEXT_ARRAY),
                (&durations, Type::INT8_ARRAY),
                (&self.actor.os_user, Type::TEXT),
                (&self.actor.host, Type::TEXT),
                (&ferry_version, Type::TEXT),
            ],
        )?;
        Ok(())
    }

    /// Updates the progress of a no-transaction migration after each statement.
    pub fn progress(
        &self,
        client: &mut impl GenericClient,
        version: &str,
        statements_done: i32,
    ) -> Result<(), postgres::Error> {
        let statement = prepared(client, &self.progress_statement, || {
            format!(
                "update {}.migrations set statements_done = $2 where version = $1",
                self.quoted
            )
        })?;
        client.execute(&statement, &[&version, &statements_done])?;
        Ok(())
    }

    /// Deletes a migration's row (after a rollback, or `repair`) and appends a history entry.
    pub fn forget(
        &self,
        client: &mut impl GenericClient,
        version: &str,
        entry: &HistoryEntry<'_>,
    ) -> Result<(), postgres::Error> {
        let s = &self.quoted;
        let entry_ms = entry.duration.map(|d| d.as_millis() as i64);
        let ferry_version = env!("CARGO_PKG_VERSION");
        client.execute(
            &format!(
                "with d as (delete from {s}.migrations where version = $1)
                 insert into {s}.history (action, version, version_text, name, checksum, os_user, host, duration_ms, ferry_version, detail)
                 values ($2, $1, $3, $4, $5, $6, $7, $8, $9, $10)"
            ),
            &[
                &version,
                &entry.action,
                &entry.version_text,
                &entry.name,
                &entry.checksum,
                &self.actor.os_user,
                &self.actor.host,
                &entry_ms,
                &ferry_version,
                &entry.detail,
            ],
        )?;
        Ok(())
    }

    /// Deletes the rows of every repeatable migration (keys `R:name`), each with a `forget`
    /// history entry saying `detail`: after `down --all`, the next `up` applies them again.
    /// Returns how many there were.
    pub fn forget_repeatables(
        &self,
        client: &mut impl GenericClient,
        detail: &str,
    ) -> Result<u64, postgres::Error> {
        let s = &self.quoted;
        let ferry_version = env!("CARGO_PKG_VERSION");
        client.execute(
            &format!(
                "with d as (
                     delete from {s}.migrations where version like 'R:%'
                     returning version, version_text, name, checksum
                 )
                 insert into {s}.history (action, version, version_text, name, checksum, os_user, host, ferry_version, detail)
                 select 'forget', version, version_text, name, checksum, $1, $2, $3, $4 from d order by version"
            ),
            &[&self.actor.os_user, &self.actor.host, &ferry_version, &detail],
        )
    }

    /// Appends a history entry only (a failed transactional migration leaves no row).
    pub fn append(
        &self,
        client: &mut impl GenericClient,
        entry: &HistoryEntry<'_>,
    ) -> Result<(), postgres::Error> {
        let s = &self.quoted;
        let entry_ms = entry.duration.map(|d| d.as_millis() as i64);
        let ferry_version = env!("CARGO_PKG_VERSION");
        client.execute(
            &format!(
                "insert into {s}.history (action, version, version_text, name, checksum, os_user, host, duration_ms, ferry_version, detail)
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
            ),
            &[
                &entry.action,
                &entry.version,
                &entry.version_text,
                &entry.name,
                &entry.checksum,
                &self.actor.os_user,
                &self.actor.host,
                &entry_ms,
                &ferry_version,
                &entry.detail,
            ],
        )?;
        Ok(())
    }

    /// The history, oldest first; `limit` keeps the newest entries.
    pub fn history(
        &self,
        client: &mut impl GenericClient,
        limit: Option<i64>,
    ) -> Result<Vec<HistoryRow>, postgres::Error> {
        if !self.exists(client)? {
            return Ok(Vec::new());
        }
        let rows = client.query_typed(
            &format!(
                "select * from (
                     select id, to_char(at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), action,
                            version_text, name, checksum, db_user, os_user, host, duration_ms, ferry_version, detail
                     from {}.history order by id desc limit $1
                 ) h order by id",
                self.quoted
            ),
            &[(&limit.unwrap_or(i64::MAX), Type::INT8)],
        )?;
        Ok(rows
            .into_iter()
            .map(|r| HistoryRow {
                id: r.get(0),
                at: r.get(1),
                action: r.get(2),
                version: r.get(3),
                name: r.get(4),
                checksum: r.get(5),
                db_user: r.get(6),
                os_user: r.get(7),
                host: r.get(8),
                duration_ms: r.get(9),
                ferry_version: r.get(10),
                detail: r.get(11),
            })
            .collect())
    }

    /// Drops the tracking schema (used by `reset` when it drops the managed schemas).
    pub fn drop_sql(&self) -> String {
        format!("drop schema if exists {} cascade", self.quoted)
    }
}

/// The statement cached in `cell`, prepared on first use. A session prepares it once; the
/// cache lives in the session's [`Tracking`], so it is never used on another connection.
fn prepared(
    client: &mut impl GenericClient,
    cell: &OnceLock<Statement>,
    sql: impl FnOnce() -> String,
) -> Result<Statement, postgres::Error> {
    if let Some(statement) = cell.get() {
        return Ok(statement.clone());
    }
    let statement = client.prepare(&sql())?;
    Ok(cell.get_or_init(|| statement).clone())
}

/// Why the tracking tables cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TrackingError {
    #[error(
        "the tracking tables in schema \"{schema}\" are version {found}, newer than this ferry understands ({supported}); upgrade ferry"
    )]
    NewerTables {
        schema: String,
        found: i32,
        supported: i32,
    },
    #[error(transparent)]
    Db(#[from] postgres::Error),
}

/// A string literal that means the same whatever `standard_conforming_strings` says: an
/// escape string (`E'…'`) with backslashes and quotes doubled.
fn literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 3);
    out.push_str("E'");
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("''"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Quotes an identifier as PostgreSQL's `quote_ident` would, always (names chosen by users may
/// be keywords or mixed case).
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_mean_the_same_under_any_string_setting() {
        assert_eq!(literal("plain"), "E'plain'");
        assert_eq!(literal(r"it's a \ back"), r"E'it''s a \\ back'");
        assert_eq!(literal(""), "E''");
    }

    #[test]
    fn quotes_identifiers() {
        assert_eq!(quote_ident("ferry"), "\"ferry\"");
        assert_eq!(quote_ident("we\"ird"), "\"we\"\"ird\"");
    }

    #[test]
    fn lock_key_depends_on_schema() {
        let a = Tracking::new("ferry", Actor::default()).lock_key();
        let b = Tracking::new("other", Actor::default()).lock_key();
        assert_ne!(a, b);
        assert_eq!(a, Tracking::new("ferry", Actor::default()).lock_key());
    }
}
