//! `sql` and `behaviour` checks: queries run on the target, each in its own transaction that is
//! rolled back, whatever happens.
//!
//! A behavioural check is the real test of a row level security policy: it switches to the
//! role with `SET LOCAL ROLE`, sets the settings with `set_config(name, value, true)` (both end
//! with the transaction), runs the query and counts what comes back. Row level security does not
//! apply to superusers, to roles with BYPASSRLS, or to a table's owner unless the table says
//! `FORCE ROW LEVEL SECURITY` (<https://www.postgresql.org/docs/current/ddl-rowsecurity.html>):
//! a check run as one of them would pass whatever the policies say, so it is refused, failing
//! with the reason. The tables the query reads are those its plan scans (`EXPLAIN (VERBOSE,
//! FORMAT JSON)`, which also covers the tables the policies' own subqueries read).

use postgres::error::SqlState;
use postgres::types::{FromSql, Type};
use postgres::{Client, SimpleQueryMessage, Transaction};

use super::schema::Verdict;
use super::{BehaviourCheck, Spec, SqlCheck};
use crate::error::db_message;
use crate::history::quote_ident;

/// Runs one `sql` or `behaviour` check in a transaction that is rolled back.
pub(super) fn evaluate(client: &mut Client, spec: &Spec) -> Verdict {
    let mut tx = client
        .transaction()
        .map_err(|e| format!("cannot start a transaction: {}", db_message(&e)))?;
    let verdict = match spec {
        Spec::Sql(c) => assertion(&mut tx, c),
        Spec::Behaviour(c) => behaviour(&mut tx, c),
        _ => Err("not a SQL check".to_owned()),
    };
    // Nothing a check did stays; a broken connection shows in the next check's reason.
    let _ = tx.rollback();
    verdict
}

fn assertion(tx: &mut Transaction<'_>, c: &SqlCheck) -> Verdict {
    let rows = tx
        .query(c.sql.as_str(), &[])
        .map_err(|e| format!("the query failed: {}", db_message(&e)))?;
    match rows.as_slice() {
        [] => Err("the query returned no rows; it must return one boolean".to_owned()),
        [row] if row.len() == 1 => {
            let ty = row.columns()[0].type_();
            if *ty != Type::BOOL {
                return Err(format!(
                    "the query returned a value of type {}; it must return a boolean",
                    ty.name()
                ));
            }
            match row.get::<_, Option<bool>>(0) {
                Some(true) => Ok(()),
                Some(false) => Err("the assertion returned false".to_owned()),
                None => Err("the assertion returned NULL".to_owned()),
            }
        }
        [row] => Err(format!(
            "the query returned {} columns; it must return one boolean",
            row.len()
        )),
        rows => Err(format!(
            "the query returned {} rows; it must return one boolean",
            rows.len()
        )),
    }
}

fn behaviour(tx: &mut Transaction<'_>, c: &BehaviourCheck) -> Verdict {
    let role = &c.role;
    if let Some(setup) = &c.setup {
        tx.batch_execute(setup)
            .map_err(|e| format!("the setup failed: {}", db_message(&e)))?;
    }
    let found = tx
        .query_opt(
            "select rolsuper, rolbypassrls from pg_catalog.pg_roles where rolname = $1",
            &[role],
        )
        .map_err(|e| format!("cannot look up role {role}: {}", db_message(&e)))?;
    let Some(found) = found else {
        return Err(format!(
            "role {role} does not exist; create it first (roles are cluster-wide: create it idempotently, in a DO block that ignores duplicate_object)"
        ));
    };
    if found.get::<_, bool>(0) {
        return Err(format!(
            "refusing to run as {role}: it is a superuser, and superusers bypass row level security, so the check would pass whatever the policies say; use a role without SUPERUSER"
        ));
    }
    if found.get::<_, bool>(1) {
        return Err(format!(
            "refusing to run as {role}: it has BYPASSRLS, so row level security does not apply to it; use a role without BYPASSRLS"
        ));
    }
    tx.batch_execute(&format!("set local role {}", quote_ident(role)))
        .map_err(|e| format!("cannot switch to role {role}: {}", db_message(&e)))?;
    for (name, value) in c.setting_values() {
        tx.execute(
            "select pg_catalog.set_config($1, $2, true)",
            &[&name, &value],
        )
        .map_err(|e| format!("cannot set {name}: {}", db_message(&e)))?;
    }
    let owned = owned_without_force(tx, role, &c.sql)?;
    if !owned.is_empty() {
        let (them, it) = if owned.len() == 1 {
            ("it", "its")
        } else {
            ("they", "their")
        };
        return Err(format!(
            "refusing to run as {role}: it owns {}, and {it} row level security is not forced, so {them} would not apply to the owner; run as a role that does not own the table, or ALTER TABLE … FORCE ROW LEVEL SECURITY",
            owned.join(", ")
        ));
    }
    match tx.simple_query(&c.sql) {
        Ok(messages) => {
            let mut rows = 0u64;
            let mut affected = 0u64;
            for message in &messages {
                match message {
                    SimpleQueryMessage::Row(_) => rows += 1,
                    SimpleQueryMessage::CommandComplete(n) => affected = *n,
                    _ => {}
                }
            }
            let plural = |n: u64| if n == 1 { "row" } else { "rows" };
            if c.denied == Some(true) {
                return Err(format!(
                    "as {role}, the query was allowed ({rows} {} returned, {affected} affected); expected it to be denied (42501)",
                    plural(rows)
                ));
            }
            if let Some(wanted) = c.rows
                && rows != wanted
            {
                return Err(format!(
                    "as {role}, the query returned {rows} {}, expected {wanted}",
                    plural(rows)
                ));
            }
            if let Some(wanted) = c.affected
                && affected != wanted
            {
                return Err(format!(
                    "as {role}, the query affected {affected} {}, expected {wanted}",
                    plural(affected)
                ));
            }
            Ok(())
        }
        Err(e) if e.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE) => {
            if c.denied == Some(true) {
                Ok(())
            } else {
                Err(format!(
                    "as {role}, the query was denied: {}",
                    db_message(&e)
                ))
            }
        }
        Err(e) => Err(format!("as {role}, the query failed: {}", db_message(&e))),
    }
}

/// The tables with row level security enabled but not forced that `role` owns (or has the
/// privileges of the owner of) among those `sql` reads: for them, the check would not test
/// the policies. When the query cannot be planned (it would fail the same way when run, unless
/// it is a statement EXPLAIN does not take), every such table in the database counts.
fn owned_without_force(
    tx: &mut Transaction<'_>,
    role: &str,
    sql: &str,
) -> Result<Vec<String>, String> {
    let relations = planned_relations(tx, sql);
    let (schemas, names): (Vec<String>, Vec<String>) = match &relations {
        Planned::Relations(list) => list.iter().cloned().unzip(),
        Planned::Denied => return Ok(Vec::new()),
        Planned::Unknown => (Vec::new(), Vec::new()),
    };
    let every = matches!(relations, Planned::Unknown);
    let rows = tx
        .query(
            "select n.nspname || '.' || c.relname
             from pg_catalog.pg_class c
             join pg_catalog.pg_namespace n on n.oid = c.relnamespace
             where c.relrowsecurity and not c.relforcerowsecurity
               and pg_catalog.pg_has_role($1, c.relowner, 'USAGE')
               and n.nspname not in ('pg_catalog', 'information_schema')
               and ($4 or exists (
                   select from pg_catalog.generate_subscripts($2::text[], 1) i
                   where ($2::text[])[i] = n.nspname and ($3::text[])[i] = c.relname))
             order by 1",
            &[&role, &schemas, &names, &every],
        )
        .map_err(|e| format!("cannot read the owners of the tables: {}", db_message(&e)))?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

enum Planned {
    /// (schema, table) of every relation the plan scans or modifies.
    Relations(Vec<(String, String)>),
    /// The role may not run it at all (42501): nothing can bypass anything.
    Denied,
    /// EXPLAIN does not take it, or it does not parse.
    Unknown,
}

/// The relations `sql`'s plan touches, from `EXPLAIN (VERBOSE, FORMAT JSON)` under a savepoint
/// (so a failure leaves the transaction usable).
fn planned_relations(tx: &mut Transaction<'_>, sql: &str) -> Planned {
    let Ok(mut savepoint) = tx.savepoint("ferry_check_plan") else {
        return Planned::Unknown;
    };
    let text = format!(
        "explain (verbose, format json) {}",
        sql.trim().trim_end_matches(';')
    );
    let plan = savepoint.query_one(text.as_str(), &[]);
    let planned = match plan {
        Ok(row) => match serde_json::from_str(&row.get::<_, JsonText>(0).0) {
            Ok(json) => {
                let mut found = Vec::new();
                collect_relations(&json, &mut found);
                found.sort();
                found.dedup();
                Planned::Relations(found)
            }
            Err(_) => Planned::Unknown,
        },
        Err(e) if e.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE) => Planned::Denied,
        Err(_) => Planned::Unknown,
    };
    let _ = savepoint.rollback();
    planned
}

fn collect_relations(value: &serde_json::Value, found: &mut Vec<(String, String)>) {
    match value {
        serde_json::Value::Object(map) => {
            if let (
                Some(serde_json::Value::String(name)),
                Some(serde_json::Value::String(schema)),
            ) = (map.get("Relation Name"), map.get("Schema"))
            {
                found.push((schema.clone(), name.clone()));
            }
            for v in map.values() {
                collect_relations(v, found);
            }
        }
        serde_json::Value::Array(items) => {
            for v in items {
                collect_relations(v, found);
            }
        }
        _ => {}
    }
}

/// A `json` value as text (the driver decodes `json` only with a feature ferry does not need).
struct JsonText(String);

impl<'a> FromSql<'a> for JsonText {
    fn from_sql(
        _: &Type,
        raw: &'a [u8],
    ) -> Result<JsonText, Box<dyn std::error::Error + Sync + Send>> {
        Ok(JsonText(std::str::from_utf8(raw)?.to_owned()))
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::JSON || *ty == Type::TEXT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relations_are_collected_from_every_plan_node() {
        let plan: serde_json::Value = serde_json::from_str(
            r#"[{"Plan": {"Node Type": "Seq Scan", "Relation Name": "projects", "Schema": "public",
                 "Plans": [{"Node Type": "Index Scan", "Relation Name": "members", "Schema": "app"}]}}]"#,
        )
        .unwrap();
        let mut found = Vec::new();
        collect_relations(&plan, &mut found);
        assert_eq!(
            found,
            [
                ("public".to_owned(), "projects".to_owned()),
                ("app".to_owned(), "members".to_owned())
            ]
        );
    }
}
