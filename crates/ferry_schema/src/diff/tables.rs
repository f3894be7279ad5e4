//! The second pass for tables: new tables created, the others altered in place (storage,
//! partitions, columns), then what hangs on every table (constraints, indexes, triggers,
//! row level security, policies).

use std::fmt::Write;

use super::rebuild::{must_recreate_column, same_or_validated};
use super::{Action, Phase, Plan, id, mentions, q};
use crate::dump::{self, sequence_options, tables_in_order};
use crate::model::*;

impl Plan<'_> {
    pub(crate) fn tables(&mut self) {
        let to = self.to;
        for t in tables_in_order(&to.tables) {
            let old = super::drops::to_table(&self.base, &t.schema, &t.name).cloned();
            match &old {
                None => {
                    let parent = t.partition_of.as_ref().and_then(|p| {
                        to.tables
                            .iter()
                            .find(|x| x.schema == p.parent_schema && x.name == p.parent)
                    });
                    let object = format!("table {}", q(&t.schema, &t.name));
                    self.push(
                        Phase::CreateTables,
                        Action::Create,
                        object.clone(),
                        dump::table(t),
                    );
                    for sql in dump::partition_overrides(t, parent) {
                        self.push(Phase::CreateTables, Action::Alter, object.clone(), sql);
                    }
                }
                Some(old) => self.alter_table(old, t),
            }
            self.table_parts(old.as_ref(), t);
        }
    }

    fn alter_table(&mut self, old: &Table, new: &Table) {
        let name = q(&new.schema, &new.name);
        let object = format!("table {name}");
        let mut statements = Vec::new();
        if old.unlogged != new.unlogged {
            statements.push(format!(
                "ALTER TABLE {name} SET {};",
                if new.unlogged { "UNLOGGED" } else { "LOGGED" }
            ));
        }
        let key = |o: &str| o.split_once('=').map_or(o, |(k, _)| k).to_owned();
        let set: Vec<&String> = new
            .options
            .iter()
            .filter(|o| !old.options.contains(o))
            .collect();
        let reset: Vec<String> = old
            .options
            .iter()
            .map(|o| key(o))
            .filter(|k| !new.options.iter().any(|n| &key(n) == k))
            .collect();
        if !reset.is_empty() {
            statements.push(format!("ALTER TABLE {name} RESET ({});", reset.join(", ")));
        }
        if !set.is_empty() {
            let set: Vec<&str> = set.iter().map(|s| s.as_str()).collect();
            statements.push(format!("ALTER TABLE {name} SET ({});", set.join(", ")));
        }
        for sql in statements {
            self.push(Phase::AlterTables, Action::Alter, object.clone(), sql);
        }

        // A column of a partition is its parent's column, but for its own NOT NULL and
        // default (a change on the parent reaches its partitions: repeating it is a no-op).
        if old.partition_of.is_some() && new.partition_of.is_some() {
            for column in &new.columns {
                if let Some(before) = old.columns.iter().find(|c| c.name == column.name) {
                    for sql in dump::not_null_and_default_changes(&name, before, column) {
                        self.push(Phase::AlterTables, Action::Alter, object.clone(), sql);
                    }
                }
            }
        } else {
            for column in &new.columns {
                match old.columns.iter().find(|c| c.name == column.name) {
                    Some(before) => self.alter_column(&name, before, column),
                    None => self.push(
                        Phase::AlterTables,
                        Action::Alter,
                        format!("column {name}.{}", id(&column.name)),
                        format!(
                            "ALTER TABLE {name} ADD COLUMN {};",
                            dump::column(column).trim_start()
                        ),
                    ),
                }
            }
        }
        if old.partition_of.is_none()
            && let Some(p) = &new.partition_of
        {
            for c in super::parent_checks(self.to, new) {
                let ready = (new.schema.clone(), new.name.clone(), c.name.clone());
                if !self.attach_ready.contains(&ready) {
                    self.push(
                        Phase::AlterTables,
                        Action::Alter,
                        object.clone(),
                        format!(
                            "ALTER TABLE {name} ADD CONSTRAINT {} {};",
                            id(&c.name),
                            c.definition
                        ),
                    );
                }
            }
            self.push(
                Phase::AlterTables,
                Action::Alter,
                object,
                format!(
                    "ALTER TABLE {} ATTACH PARTITION {name} {};",
                    q(&p.parent_schema, &p.parent),
                    p.bound
                ),
            );
        }
    }

    fn alter_column(&mut self, table: &str, old: &Column, new: &Column) {
        let column = id(&new.name);
        let object = format!("column {table}.{column}");
        let alter = format!("ALTER TABLE {table} ALTER COLUMN {column}");
        let mut plain = Vec::new();
        let mut destructive = None;

        let retyped = old.data_type != new.data_type || old.collation != new.collation;
        let defaults_differ =
            old.generated.is_none() && new.generated.is_none() && old.default != new.default;
        let default_dropped = old.generated.is_none()
            && old.default.is_some()
            && (defaults_differ || retyped || new.generated.is_some());
        if default_dropped {
            plain.push(format!("{alter} DROP DEFAULT;"));
        }
        if old.identity.is_some() && new.identity.is_none() {
            plain.push(format!("{alter} DROP IDENTITY;"));
        }
        if old.generated == Some(Generated::Stored) && new.generated.is_none() {
            plain.push(format!("{alter} DROP EXPRESSION;"));
        }
        if retyped {
            let mut sql = format!("{alter} TYPE {}", new.data_type);
            if let Some(c) = &new.collation {
                let _ = write!(sql, " COLLATE {c}");
            }
            // No cast joins two enums (or a renamed-away type and its successor): go
            // through text.
            let is_enum = |ty: &str| {
                let ty = ty.trim_end_matches("[]");
                self.base
                    .enums
                    .iter()
                    .chain(&self.to.enums)
                    .any(|e| q(&e.schema, &e.name) == ty)
            };
            let through_text = self
                .renamed_types
                .iter()
                .any(|t| mentions(&old.data_type, t))
                || is_enum(&old.data_type)
                || is_enum(&new.data_type);
            if through_text {
                let text = if new.data_type.ends_with("[]") {
                    "text[]"
                } else {
                    "text"
                };
                let _ = write!(sql, " USING {column}::{text}::{}", new.data_type);
            } else if !lossless(&old.data_type, &new.data_type) {
                let _ = write!(sql, " USING {column}::{}", new.data_type);
            }
            sql.push(';');
            if lossless(&old.data_type, &new.data_type) || through_text {
                plain.push(sql);
            } else {
                destructive = Some((
                    sql,
                    format!(
                        "changes {table}.{column} from {} to {}: values that do not fit are changed or refused",
                        old.data_type, new.data_type
                    ),
                ));
            }
        }
        let mut after = Vec::new();
        if old.not_null != new.not_null && !(new.identity.is_some() && old.identity.is_some()) {
            after.push(format!(
                "{alter} {} NOT NULL;",
                if new.not_null { "SET" } else { "DROP" }
            ));
        }
        match (old.identity, new.identity) {
            (None, Some(kind)) => {
                let mut sql = format!("{alter} ADD GENERATED {} AS IDENTITY", identity_kind(kind));
                if let Some(s) = &new.identity_sequence {
                    let _ = write!(
                        sql,
                        " (SEQUENCE NAME {} {})",
                        q(&s.schema, &s.name),
                        sequence_options(s.start, s.increment, s.min, s.max, s.cache, s.cycle)
                    );
                }
                sql.push(';');
                after.push(sql);
                // An existing column's values stay: the identity starts after them.
                if new
                    .identity_sequence
                    .as_ref()
                    .is_none_or(|s| s.increment > 0)
                {
                    after.push(format!(
                        "SELECT pg_catalog.setval(pg_catalog.pg_get_serial_sequence({}, {}), coalesce(max({column}), 0) + 1, false) FROM {table};",
                        crate::dump::literal(table),
                        crate::dump::literal(&new.name)
                    ));
                }
            }
            (Some(a), Some(b)) => {
                if a != b {
                    after.push(format!("{alter} SET GENERATED {};", identity_kind(b)));
                }
                if let (Some(x), Some(y)) = (&old.identity_sequence, &new.identity_sequence) {
                    if x.name != y.name && x.schema == y.schema {
                        after.push(format!(
                            "ALTER SEQUENCE {} RENAME TO {};",
                            q(&x.schema, &x.name),
                            id(&y.name)
                        ));
                    }
                    let same = x.start == y.start
                        && x.increment == y.increment
                        && x.min == y.min
                        && x.max == y.max
                        && x.cache == y.cache
                        && x.cycle == y.cycle;
                    if !same || retyped {
                        after.push(format!(
                            "{alter} SET INCREMENT BY {} SET MINVALUE {} SET MAXVALUE {} SET START WITH {} SET CACHE {} SET {};",
                            y.increment,
                            y.min,
                            y.max,
                            y.start,
                            y.cache,
                            if y.cycle { "CYCLE" } else { "NO CYCLE" }
                        ));
                    }
                }
            }
            _ => {}
        }
        if new.generated.is_none()
            && let Some(default) = &new.default
            && (default_dropped || old.default.as_ref() != Some(default))
        {
            after.push(format!("{alter} SET DEFAULT {default};"));
        }
        if let (Some(_), Some(_)) = (old.generated, new.generated)
            && old.default != new.default
            && !must_recreate_column(old, new, self.options.server_major)
            && let Some(expr) = &new.default
        {
            after.push(format!("{alter} SET EXPRESSION AS ({expr});"));
        }

        for sql in plain {
            self.push(Phase::AlterTables, Action::Alter, object.clone(), sql);
        }
        if let Some((sql, why)) = destructive {
            self.push_destructive(Phase::AlterTables, Action::Alter, object.clone(), sql, why);
        }
        for sql in after {
            self.push(Phase::AlterTables, Action::Alter, object.clone(), sql);
        }
    }

    /// Constraints, indexes, triggers, row level security and policies of a table in `to`,
    /// against what `base` still has (nothing, for a new table).
    fn table_parts(&mut self, old: Option<&Table>, new: &Table) {
        let name = q(&new.schema, &new.name);
        let empty = Table::empty(&new.schema, &new.name);
        let old = old.unwrap_or(&empty);
        for c in &new.constraints {
            let phase = if c.kind == ConstraintKind::ForeignKey {
                Phase::ForeignKeys
            } else {
                Phase::Constraints
            };
            let object = format!("constraint {} on {name}", id(&c.name));
            match old.constraints.iter().find(|o| o.name == c.name) {
                Some(o) if o.definition == c.definition => {}
                Some(o) if same_or_validated(&o.definition, &c.definition) => self.push(
                    phase,
                    Action::Alter,
                    object,
                    format!("ALTER TABLE {name} VALIDATE CONSTRAINT {};", id(&c.name)),
                ),
                _ => self.push(
                    phase,
                    Action::Create,
                    object,
                    format!(
                        "ALTER TABLE {name} ADD CONSTRAINT {} {};",
                        id(&c.name),
                        c.definition
                    ),
                ),
            }
        }
        for i in &new.indexes {
            if !old.indexes.iter().any(|o| o.name == i.name) {
                self.push(
                    Phase::Indexes,
                    Action::Create,
                    format!("index {}", q(&new.schema, &i.name)),
                    format!("{};", i.definition),
                );
            }
        }
        for tr in &new.triggers {
            let object = format!("trigger {} on {name}", id(&tr.name));
            let before = old.triggers.iter().find(|o| o.name == tr.name);
            if before.is_none() {
                self.push(
                    Phase::Triggers,
                    Action::Create,
                    object.clone(),
                    format!("{};", tr.definition),
                );
            }
            let was = before.map_or(TriggerEnabled::Origin, |b| b.enabled);
            if was != tr.enabled {
                let state = match tr.enabled {
                    TriggerEnabled::Origin => "ENABLE",
                    TriggerEnabled::Disabled => "DISABLE",
                    TriggerEnabled::Replica => "ENABLE REPLICA",
                    TriggerEnabled::Always => "ENABLE ALWAYS",
                };
                self.push(
                    Phase::Triggers,
                    Action::Alter,
                    object,
                    format!("ALTER TABLE {name} {state} TRIGGER {};", id(&tr.name)),
                );
            }
        }
        let object = format!("table {name}");
        if old.rls_enabled != new.rls_enabled {
            self.push(
                Phase::RowLevelSecurity,
                Action::Alter,
                object.clone(),
                format!(
                    "ALTER TABLE {name} {} ROW LEVEL SECURITY;",
                    if new.rls_enabled { "ENABLE" } else { "DISABLE" }
                ),
            );
        }
        if old.rls_forced != new.rls_forced {
            self.push(
                Phase::RowLevelSecurity,
                Action::Alter,
                object,
                format!(
                    "ALTER TABLE {name} {} ROW LEVEL SECURITY;",
                    if new.rls_forced { "FORCE" } else { "NO FORCE" }
                ),
            );
        }
        for p in &new.policies {
            let object = format!("policy {} on {name}", id(&p.name));
            match old.policies.iter().find(|o| o.name == p.name) {
                None => self.push(
                    Phase::RowLevelSecurity,
                    Action::Create,
                    object,
                    dump::policy(&name, p),
                ),
                Some(o) if o != p => {
                    let sql = format!(
                        "ALTER POLICY {} ON {name} TO {}{};",
                        id(&p.name),
                        p.roles.join(", "),
                        dump::policy_expressions(p)
                    );
                    self.push(Phase::RowLevelSecurity, Action::Alter, object, sql);
                }
                Some(_) => {}
            }
        }
    }
}

fn identity_kind(kind: Identity) -> &'static str {
    match kind {
        Identity::Always => "ALWAYS",
        Identity::ByDefault => "BY DEFAULT",
    }
}

/// Whether every value of type `old` is kept by `new` (a wider type of the same kind).
fn lossless(old: &str, new: &str) -> bool {
    if new == "text" {
        return true;
    }
    let rank = |t: &str| match t {
        "smallint" => Some(1),
        "integer" => Some(2),
        "bigint" => Some(3),
        "numeric" => Some(4),
        _ => None,
    };
    if let (Some(a), Some(b)) = (rank(old), rank(new)) {
        return a <= b;
    }
    if old == "real" && new == "double precision" {
        return true;
    }
    let typmod = |t: &str, base: &str| -> Option<Option<Vec<i64>>> {
        let rest = t.strip_prefix(base)?;
        if rest.is_empty() {
            return Some(None);
        }
        let inner = rest.strip_prefix('(')?.strip_suffix(')')?;
        Some(Some(
            inner
                .split(',')
                .map(|n| n.trim().parse().ok())
                .collect::<Option<Vec<i64>>>()?,
        ))
    };
    for base in ["character varying", "bit varying"] {
        if let (Some(a), Some(b)) = (typmod(old, base), typmod(new, base)) {
            return match (a, b) {
                (_, None) => true,
                (None, Some(_)) => false,
                (Some(a), Some(b)) => b[0] >= a[0],
            };
        }
    }
    if old == "text" && new == "character varying" {
        return true;
    }
    if let (Some(a), Some(b)) = (typmod(old, "numeric"), typmod(new, "numeric")) {
        return match (a, b) {
            (_, None) => true,
            (None, Some(_)) => false,
            (Some(a), Some(b)) => {
                let scale = |v: &Vec<i64>| v.get(1).copied().unwrap_or(0);
                scale(&b) == scale(&a) && b[0] >= a[0]
            }
        };
    }
    false
}

#[cfg(test)]
mod tests {
    use super::lossless;

    #[test]
    fn widening_keeps_every_value() {
        assert!(lossless("character varying(10)", "character varying(20)"));
        assert!(lossless("character varying(10)", "text"));
        assert!(lossless("character varying(10)", "character varying"));
        assert!(!lossless("character varying(20)", "character varying(10)"));
        assert!(lossless("integer", "bigint"));
        assert!(!lossless("bigint", "integer"));
        assert!(lossless("numeric(10,2)", "numeric(12,2)"));
        assert!(!lossless("numeric(10,2)", "numeric(12,0)"));
        assert!(lossless("numeric(10,2)", "numeric"));
        assert!(!lossless("text", "integer"));
        assert!(lossless("real", "double precision"));
    }
}
