//! The DDL that turns one schema model into another.
//!
//! [`diff`] compares two [`Catalog`]s and returns the [`Change`]s that turn `from` into `to`,
//! in an order PostgreSQL accepts inside one transaction (`psql -1`):
//!
//! 1. **Drops**, dependents first (`drops`): policies, triggers, views (dependents before
//!    what they read), foreign keys, constraints and indexes, partitions detached, sequence
//!    ownership released, columns (and defaults that name a function about to go),
//!    functions, and every dropped table in one `DROP TABLE a, b` (PostgreSQL drops them
//!    together whatever the keys and policies between them). Comments and privileges go
//!    with their objects.
//! 2. **Creates and in-place changes** (`objects`, `tables`), dependencies first, in the
//!    order of a canonical dump:
//!    schemas, extensions, types, sequences, functions, tables and their columns, then the
//!    late drops (types, sequences, extensions, schemas nothing uses any more), constraints,
//!    views, foreign keys, indexes, triggers, row level security, comments, privileges.
//!
//! What PostgreSQL can change in place is changed in place: `ALTER COLUMN … TYPE`, defaults,
//! NOT NULL, identity, `ALTER TYPE … ADD VALUE`, domain constraints, `ALTER POLICY`,
//! `VALIDATE CONSTRAINT`, `CREATE OR REPLACE FUNCTION`, partitions detached and attached.
//! What it cannot is dropped and created again (a view whose query changed, an index whose
//! definition changed, an enum that lost a value), together with whatever depends on it:
//! such objects are found by `rebuild`, which works out the closure before anything is
//! written. Renames are never guessed: a renamed column is a dropped column and a new one,
//! and the drop is marked destructive.
//!
//! The algorithm works on a copy of `from` (`base`): every drop removes the object, and what
//! hangs on it (comments, privileges, indexes), from `base`; the second pass then compares
//! what is left with `to`, so an object dropped to be rebuilt is simply created again.

mod drops;
mod objects;
mod rebuild;
mod tables;

use std::collections::BTreeSet;
use std::fmt::Write;

use serde::Serialize;

use crate::dump::literal;
pub(crate) use crate::dump::{ident as id, qualified as q};
use crate::model::*;

/// How the diff is written.
#[derive(Debug, Clone)]
pub struct DiffOptions {
    /// The major version of the server the DDL will run on (the `from` side's): some
    /// in-place changes are newer than others (`ALTER COLUMN … SET EXPRESSION` is 17).
    pub server_major: u32,
}

impl Default for DiffOptions {
    fn default() -> Self {
        DiffOptions { server_major: 12 }
    }
}

/// One DDL statement of a diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub phase: Phase,
    pub action: Action,
    /// What it changes: `table public.users`, `column public.users.email`, `index public.users_email`.
    pub object: String,
    /// The statement, ending with `;`.
    pub sql: String,
    /// Why the statement may lose data, when it may.
    pub destructive: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Drop,
    Alter,
    Rename,
    Grant,
    Revoke,
    Comment,
}

/// Where a statement goes: the order of the output, and a heading for each group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    DropPolicies,
    DropTriggers,
    DropViews,
    DropForeignKeys,
    DropConstraints,
    DetachPartitions,
    DisownSequences,
    DropColumns,
    DropFunctionsUsingTables,
    DropTables,
    DropFunctions,
    DropSequences,
    CreateSchemas,
    CreateExtensions,
    Types,
    Sequences,
    Functions,
    CreateTables,
    AlterTables,
    DropTypes,
    DropExtensions,
    DropSchemas,
    Constraints,
    FunctionsUsingTables,
    Views,
    ForeignKeys,
    Indexes,
    SequenceOwnership,
    Triggers,
    RowLevelSecurity,
    Comments,
    Privileges,
}

impl Phase {
    fn title(self) -> &'static str {
        match self {
            Phase::DropPolicies => "policies dropped",
            Phase::DropTriggers => "triggers dropped",
            Phase::DropViews => "views dropped",
            Phase::DropForeignKeys => "foreign keys dropped",
            Phase::DropConstraints => "constraints and indexes dropped",
            Phase::DetachPartitions => "partitions detached",
            Phase::DisownSequences => "sequence ownership released",
            Phase::DropColumns => "columns dropped, and defaults naming what is dropped",
            Phase::DropFunctionsUsingTables => "functions using tables dropped",
            Phase::DropTables => "tables dropped",
            Phase::DropFunctions => "functions dropped",
            Phase::CreateSchemas => "schemas",
            Phase::CreateExtensions => "extensions",
            Phase::Types => "types",
            Phase::Sequences => "sequences",
            Phase::Functions => "functions",
            Phase::CreateTables => "tables",
            Phase::AlterTables => "tables altered",
            Phase::DropTypes => "types dropped",
            Phase::DropSequences => "sequences dropped",
            Phase::DropExtensions => "extensions dropped",
            Phase::DropSchemas => "schemas dropped",
            Phase::Constraints => "constraints",
            Phase::FunctionsUsingTables => "functions using tables",
            Phase::Views => "views",
            Phase::ForeignKeys => "foreign keys",
            Phase::Indexes => "indexes",
            Phase::SequenceOwnership => "sequence ownership",
            Phase::Triggers => "triggers",
            Phase::RowLevelSecurity => "row level security",
            Phase::Comments => "comments",
            Phase::Privileges => "privileges",
        }
    }
}

/// The statements that turn `from` into `to`, in the order they must run.
pub fn diff(from: &Catalog, to: &Catalog, options: &DiffOptions) -> Vec<Change> {
    let mut plan = Plan {
        base: from.clone(),
        to,
        options,
        changes: Vec::new(),
        renamed_types: BTreeSet::new(),
        auto_dropped_sequences: BTreeSet::new(),
        attach_ready: BTreeSet::new(),
    };
    let rebuilds = rebuild::find(from, to, options);
    plan.drops(&rebuilds);
    plan.creates_and_alters();
    let mut changes = plan.changes;
    // Stable: within a phase, the order in which they were planned.
    changes.sort_by_key(|c| c.phase);
    changes
}

/// The changes as one SQL script, grouped by phase, each destructive statement marked.
pub fn render(changes: &[Change]) -> String {
    let mut out = String::new();
    if changes.is_empty() {
        out.push_str("-- ferry diff: no changes\n");
        return out;
    }
    out.push_str("-- ferry diff\n");
    if changes
        .iter()
        .any(|c| matches!(c.phase, Phase::Functions | Phase::FunctionsUsingTables))
    {
        // As pg_dump does: a body is checked when it runs, not when the function is created
        // (it may name a table created further down).
        out.push_str("SET LOCAL check_function_bodies = false;\n");
    }
    let mut phase = None;
    for change in changes {
        if phase != Some(change.phase) {
            phase = Some(change.phase);
            let _ = write!(out, "\n-- {}\n", change.phase.title());
        }
        if let Some(why) = &change.destructive {
            let _ = writeln!(out, "-- DESTRUCTIVE: {why}");
        }
        out.push_str(&change.sql);
        out.push('\n');
    }
    out
}

/// How many of the changes may lose data.
pub fn destructive_count(changes: &[Change]) -> usize {
    changes.iter().filter(|c| c.destructive.is_some()).count()
}

/// The diff being built: `base` is `from` as the statements so far leave it.
pub(crate) struct Plan<'a> {
    pub(crate) base: Catalog,
    pub(crate) to: &'a Catalog,
    pub(crate) options: &'a DiffOptions,
    pub(crate) changes: Vec<Change>,
    /// Types renamed out of the way to be created again (`public.mood__ferry_old`), so a
    /// column of the old type is converted through text.
    pub(crate) renamed_types: BTreeSet<String>,
    /// Sequences a dropped table or column takes with it (`OWNED BY`).
    pub(crate) auto_dropped_sequences: BTreeSet<(String, String)>,
    /// CHECK constraints (schema, table, name) a table to be attached as a partition
    /// already has, as its new parent does: ATTACH requires them and adopts them.
    pub(crate) attach_ready: BTreeSet<(String, String, String)>,
}

impl Plan<'_> {
    pub(crate) fn push(&mut self, phase: Phase, action: Action, object: String, sql: String) {
        self.changes.push(Change {
            phase,
            action,
            object,
            sql,
            destructive: None,
        });
    }

    pub(crate) fn push_destructive(
        &mut self,
        phase: Phase,
        action: Action,
        object: String,
        sql: String,
        why: String,
    ) {
        self.changes.push(Change {
            phase,
            action,
            object,
            sql,
            destructive: Some(why),
        });
    }

    /// Removes from `base` the comments and privileges of an object that is dropped (they go
    /// with it), so that the last pass neither revokes nor uncomments what no longer exists.
    pub(crate) fn forget(&mut self, object: &str) {
        self.base.comments.retain(|c| c.object != object);
        self.base.grants.retain(|p| p.object != object);
        self.base.revokes.retain(|p| p.object != object);
    }

    /// Forgets everything that hangs on a table or view: its comments, its columns' and
    /// constraints' comments, its privileges, its indexes' comments.
    pub(crate) fn forget_relation(&mut self, schema: &str, name: &str, indexes: &[String]) {
        let name = q(schema, name);
        let column_prefix = format!("COLUMN {name}.");
        let on_suffix = format!(" ON {name}");
        let whole = [
            format!("TABLE {name}"),
            format!("VIEW {name}"),
            format!("MATERIALIZED VIEW {name}"),
        ];
        self.base.comments.retain(|c| {
            !(c.object.starts_with(&column_prefix)
                || c.object.ends_with(&on_suffix)
                || whole.contains(&c.object))
        });
        for index in indexes {
            self.forget(&format!("INDEX {}", q(schema, index)));
        }
        self.forget(&whole[0]);
    }
}

/// Whether `sql` names `name` (a qualified, quoted name such as `public.users`) as a whole
/// name: not as the start of a longer one (`public.users_archive`) or the end of one.
pub(crate) fn mentions(sql: &str, name: &str) -> bool {
    let bytes = sql.as_bytes();
    let mut from = 0;
    while let Some(at) = sql[from..].find(name) {
        let start = from + at;
        let end = start + name.len();
        let before_ok = start == 0 || !is_name_byte(bytes[start - 1]);
        let after_ok = end == bytes.len() || !is_name_byte(bytes[end]) || name.ends_with('(');
        if before_ok && after_ok {
            return true;
        }
        from = start + 1;
    }
    false
}

pub(crate) fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b == b'.' || b == b'"' || b >= 0x80
}

/// The CHECK constraints of the table's parent in `catalog`, when it is a partition: a
/// partition has each of them (ATTACH requires it, PARTITION OF copies them).
pub(crate) fn parent_checks<'c>(catalog: &'c Catalog, table: &Table) -> Vec<&'c Constraint> {
    let Some(p) = &table.partition_of else {
        return Vec::new();
    };
    catalog
        .tables
        .iter()
        .find(|t| t.schema == p.parent_schema && t.name == p.parent)
        .map(|parent| {
            parent
                .constraints
                .iter()
                .filter(|c| c.kind == ConstraintKind::Check)
                .collect()
        })
        .unwrap_or_default()
}

/// `public.f(` — how a call of a function is written in a deparsed expression.
pub(crate) fn call_prefix(f: &Function) -> String {
    format!("{}(", q(&f.schema, &f.name))
}

/// How `COMMENT ON` and `GRANT` name a function.
pub(crate) fn function_object(f: &Function) -> String {
    format!(
        "{} {}({})",
        if f.procedure { "PROCEDURE" } else { "FUNCTION" },
        q(&f.schema, &f.name),
        f.identity_arguments
    )
}

pub(crate) fn quote_list(values: &[String]) -> String {
    values
        .iter()
        .map(|v| literal(v))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_whole_names_only() {
        assert!(mentions("SELECT id FROM public.users u", "public.users"));
        assert!(mentions("(public.users)", "public.users"));
        assert!(!mentions("FROM public.users_archive", "public.users"));
        assert!(!mentions("FROM xpublic.users", "public.users"));
        assert!(!mentions("FROM other.public.users", "public.users"));
        assert!(mentions("'a'::public.mood", "public.mood"));
        assert!(mentions("'{}'::public.mood[]", "public.mood"));
        assert!(mentions("EXECUTE FUNCTION public.touch()", "public.touch("));
        assert!(!mentions(
            "EXECUTE FUNCTION public.touch_all()",
            "public.touch("
        ));
    }

    #[test]
    fn nothing_to_do_renders_as_such() {
        assert_eq!(render(&[]), "-- ferry diff: no changes\n");
        let same = diff(
            &Catalog::default(),
            &Catalog::default(),
            &DiffOptions::default(),
        );
        assert!(same.is_empty());
    }
}
