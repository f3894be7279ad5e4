//! Reading a live database's catalog into the [`Catalog`] model.
//!
//! The queries live in `src/queries/*.sql`; each starts from the `ns` CTE of
//! `namespaces.sql`, which leaves out `pg_catalog`, `information_schema`, toast and temporary
//! schemas, the tracking schema and schemas an extension created. Objects an extension owns
//! (`pg_depend.deptype = 'e'`, the `ext_member` CTE of the same file) are left out too: the
//! extension itself stands for them.
//!
//! Everything is read in one repeatable-read, read-only transaction with an empty
//! `search_path`, so that what the server's deparsers return (`format_type`, `pg_get_expr`,
//! `pg_get_constraintdef`, `pg_get_indexdef`, `pg_get_viewdef`, `pg_get_functiondef`,
//! `pg_get_triggerdef`) names every object with its schema, whoever reads it.
//!
//! # Covered
//! Schemas, extensions (name and schema), enums, domains (with their check constraints),
//! composite types, sequences (with `OWNED BY`), tables (unlogged, storage parameters,
//! columns with exact types, defaults, identity and its sequence options, stored and virtual
//! generated columns, collations, NOT NULL), partitioned tables and partitions, constraints
//! (primary key, unique, foreign key, check, exclusion, with `DEFERRABLE` and `NOT VALID`),
//! indexes not backing a constraint, views and materialized views, functions and
//! procedures, triggers and their enabled state, row level security (enabled, forced) and
//! policies, comments, and privileges on tables, views, sequences, functions, schemas and
//! types (against each object's default ACL).
//!
//! # Not covered yet: an error naming the object ([`Error::UnsupportedObject`])
//! Range and base types, rules, foreign tables, foreign data wrappers and servers, table
//! inheritance (other than partitions), typed tables, column privileges, triggers on views,
//! aggregates, window functions, statistics objects, operators, operator classes and
//! families, collations, conversions, text search configurations and dictionaries, casts,
//! event triggers, publications, procedural languages, access methods, default privileges.
//!
//! Not in the model at all (not schema, or decided elsewhere): owners, sequence values,
//! whether a materialized view is populated, column statistics targets and storage.
//!
//! # PostgreSQL 12 to 18
//! The same queries run on every major from 12 on (`scripts/test.sh` runs the round-trip
//! tests on 12, the machine's server and 18). Where the catalog differs:
//! - A partition's clone of its parent's row trigger has `tgparentid` from 13 on and is
//!   internal before; on every major it depends on the parent trigger with deptype `P`,
//!   which is how `triggers.sql` leaves clones out.
//! - NOT NULL is a column's `not_null` (`attnotnull`). From 18 it is also a named
//!   `pg_constraint` row (contype `n`; domains' from 17), which `constraints.sql` leaves out
//!   and whose name the model does not keep: there is none before 18, and a table or column
//!   renamed on 18 keeps the old generated name. 18's NOT VALID and NO INHERIT not-null
//!   constraints, which `not_null` cannot express, are unsupported objects.
//! - 18's virtual generated columns are [`Generated::Virtual`]; its `NOT ENFORCED`
//!   constraints and 14's `BEGIN ATOMIC` bodies come through the deparsers' text.

use std::collections::BTreeMap;

use postgres::{Client, IsolationLevel, Row};

use crate::Error;
use crate::model::*;

const NAMESPACES: &str = include_str!("queries/namespaces.sql");

/// What to read.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// ferry's tracking schema, left out of the model.
    pub tracking_schema: String,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            tracking_schema: "ferry".to_owned(),
        }
    }
}

struct Reader<'a> {
    tx: postgres::Transaction<'a>,
    tracking_schema: String,
}

impl Reader<'_> {
    fn query(&mut self, what: &'static str, sql: &str) -> Result<Vec<Row>, Error> {
        let text = format!("{NAMESPACES}{sql}");
        self.tx
            .query(&text, &[&self.tracking_schema])
            .map_err(|source| Error::Db { what, source })
    }
}

/// Reads the schema of the database `client` is connected to.
pub fn read(client: &mut Client, options: &ReadOptions) -> Result<Catalog, Error> {
    let mut tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .map_err(|source| Error::Db {
            what: "starting a transaction",
            source,
        })?;
    // Every name the deparsers print comes out schema-qualified.
    tx.batch_execute("SET LOCAL search_path = ''")
        .map_err(|source| Error::Db {
            what: "setting search_path",
            source,
        })?;
    let mut r = Reader {
        tx,
        tracking_schema: options.tracking_schema.clone(),
    };

    if let Some(row) = r
        .query(
            "unsupported objects",
            include_str!("queries/unsupported.sql"),
        )?
        .first()
    {
        return Err(Error::UnsupportedObject {
            kind: row.get(0),
            name: row.get(1),
        });
    }

    let mut catalog = Catalog {
        schemas: r
            .query("schemas", include_str!("queries/schemas.sql"))?
            .iter()
            .map(|row| SchemaDef { name: row.get(0) })
            .collect(),
        extensions: r
            .query("extensions", include_str!("queries/extensions.sql"))?
            .iter()
            .map(|row| Extension {
                name: row.get(0),
                schema: row.get(1),
            })
            .collect(),
        enums: r
            .query("enums", include_str!("queries/enums.sql"))?
            .iter()
            .map(|row| EnumType {
                schema: row.get(0),
                name: row.get(1),
                values: row.get(2),
            })
            .collect(),
        domains: r
            .query("domains", include_str!("queries/domains.sql"))?
            .iter()
            .map(|row| {
                let names: Vec<String> = row.get(6);
                let defs: Vec<String> = row.get(7);
                Domain {
                    schema: row.get(0),
                    name: row.get(1),
                    data_type: row.get(2),
                    collation: row.get(3),
                    default: row.get(4),
                    not_null: row.get(5),
                    constraints: names
                        .into_iter()
                        .zip(defs)
                        .map(|(name, definition)| NamedConstraint {
                            name,
                            definition: normalize_expression(&definition),
                        })
                        .collect(),
                }
            })
            .collect(),
        ..Catalog::default()
    };

    for row in r.query("composite types", include_str!("queries/composites.sql"))? {
        let (schema, name): (String, String) = (row.get(0), row.get(1));
        let attribute = Attribute {
            name: row.get(2),
            data_type: row.get(3),
            collation: row.get(4),
        };
        match catalog.composites.last_mut() {
            Some(t) if t.schema == schema && t.name == name => t.attributes.push(attribute),
            _ => catalog.composites.push(CompositeType {
                schema,
                name,
                attributes: vec![attribute],
            }),
        }
    }

    catalog.sequences = r
        .query("sequences", include_str!("queries/sequences.sql"))?
        .iter()
        .map(|row| Sequence {
            schema: row.get(0),
            name: row.get(1),
            data_type: row.get(2),
            start: row.get(3),
            increment: row.get(4),
            min: row.get(5),
            max: row.get(6),
            cache: row.get(7),
            cycle: row.get(8),
            owned_by: row.get::<_, Option<String>>(9).map(|schema| OwnedBy {
                schema,
                table: row.get(10),
                column: row.get(11),
            }),
        })
        .collect();

    // Tables, keyed by (schema, name) while their parts are attached.
    let mut tables: BTreeMap<(String, String), Table> = BTreeMap::new();
    for row in r.query("tables", include_str!("queries/tables.sql"))? {
        let key: (String, String) = (row.get(0), row.get(1));
        let mut options: Vec<String> = row.get(3);
        options.sort();
        let table = Table {
            schema: key.0.clone(),
            name: key.1.clone(),
            unlogged: row.get(2),
            options,
            columns: Vec::new(),
            partition_by: row.get(4),
            partition_of: row
                .get::<_, Option<String>>(5)
                .map(|parent_schema| Partition {
                    parent_schema,
                    parent: row.get(6),
                    bound: row.get(7),
                }),
            constraints: Vec::new(),
            indexes: Vec::new(),
            triggers: Vec::new(),
            rls_enabled: row.get(8),
            rls_forced: row.get(9),
            policies: Vec::new(),
        };
        tables.insert(key, table);
    }
    // The query leaves the order to us (see columns.sql): by table, then position. Byte order
    // of the names is the server's `COLLATE "C"`.
    let rows = r.query("columns", include_str!("queries/columns.sql"))?;
    let mut ordered: Vec<(&str, &str, i16, &Row)> = rows
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(17), row))
        .collect();
    ordered.sort_unstable_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));
    for (schema, name, _, row) in ordered {
        let Some(table) = tables.get_mut(&(schema.to_owned(), name.to_owned())) else {
            continue;
        };
        let identity: String = row.get(6);
        let generated: String = row.get(7);
        table.columns.push(Column {
            name: row.get(2),
            data_type: row.get(3),
            not_null: row.get(4),
            default: row
                .get::<_, Option<String>>(5)
                .map(|d| normalize_expression(&d)),
            identity: match identity.as_str() {
                "a" => Some(Identity::Always),
                "d" => Some(Identity::ByDefault),
                _ => None,
            },
            identity_sequence: row
                .get::<_, Option<String>>(9)
                .map(|schema| IdentitySequence {
                    schema,
                    name: row.get(10),
                    start: row.get(11),
                    increment: row.get(12),
                    min: row.get(13),
                    max: row.get(14),
                    cache: row.get(15),
                    cycle: row.get(16),
                }),
            generated: match generated.as_str() {
                "s" => Some(Generated::Stored),
                "v" => Some(Generated::Virtual),
                _ => None,
            },
            collation: row.get(8),
        });
    }
    for row in r.query("constraints", include_str!("queries/constraints.sql"))? {
        let Some(table) = tables.get_mut(&(row.get(0), row.get(1))) else {
            continue;
        };
        let kind = match row.get::<_, String>(3).as_str() {
            "p" => ConstraintKind::PrimaryKey,
            "u" => ConstraintKind::Unique,
            "f" => ConstraintKind::ForeignKey,
            "c" => ConstraintKind::Check,
            _ => ConstraintKind::Exclusion,
        };
        table.constraints.push(Constraint {
            name: row.get(2),
            kind,
            definition: normalize_expression(&row.get::<_, String>(4)),
        });
    }
    let mut matview_indexes: BTreeMap<(String, String), Vec<Index>> = BTreeMap::new();
    for row in r.query("indexes", include_str!("queries/indexes.sql"))? {
        let key: (String, String) = (row.get(0), row.get(1));
        let index = Index {
            name: row.get(2),
            definition: normalize_expression(&row.get::<_, String>(3)),
        };
        match tables.get_mut(&key) {
            Some(table) => table.indexes.push(index),
            None => matview_indexes.entry(key).or_default().push(index),
        }
    }
    for row in r.query("triggers", include_str!("queries/triggers.sql"))? {
        let Some(table) = tables.get_mut(&(row.get(0), row.get(1))) else {
            continue;
        };
        let enabled = match row.get::<_, String>(4).as_str() {
            "D" => TriggerEnabled::Disabled,
            "R" => TriggerEnabled::Replica,
            "A" => TriggerEnabled::Always,
            _ => TriggerEnabled::Origin,
        };
        table.triggers.push(Trigger {
            name: row.get(2),
            definition: row.get(3),
            enabled,
        });
    }
    for row in r.query("policies", include_str!("queries/policies.sql"))? {
        let Some(table) = tables.get_mut(&(row.get(0), row.get(1))) else {
            continue;
        };
        let command = match row.get::<_, String>(4).as_str() {
            "r" => "SELECT",
            "a" => "INSERT",
            "w" => "UPDATE",
            "d" => "DELETE",
            _ => "ALL",
        };
        table.policies.push(Policy {
            name: row.get(2),
            permissive: row.get(3),
            command: command.to_owned(),
            roles: row.get(5),
            using: row
                .get::<_, Option<String>>(6)
                .map(|e| normalize_expression(&e)),
            with_check: row
                .get::<_, Option<String>>(7)
                .map(|e| normalize_expression(&e)),
        });
    }
    catalog.tables = tables.into_values().collect();

    catalog.views = r
        .query("views", include_str!("queries/views.sql"))?
        .iter()
        .map(|row| {
            let schema: String = row.get(0);
            let name: String = row.get(1);
            let mut options: Vec<String> = row.get(3);
            options.sort();
            let definition: String = row.get(4);
            let indexes = matview_indexes
                .remove(&(schema.clone(), name.clone()))
                .unwrap_or_default();
            View {
                schema,
                name,
                materialized: row.get(2),
                options,
                definition: normalize_expression(definition.trim().trim_end_matches(';')),
                depends_on: row.get(5),
                indexes,
            }
        })
        .collect();

    catalog.functions = r
        .query("functions", include_str!("queries/functions.sql"))?
        .iter()
        .map(|row| Function {
            schema: row.get(0),
            name: row.get(1),
            identity_arguments: row.get(2),
            procedure: row.get(3),
            definition: row.get(4),
            uses_relations: row.get(5),
        })
        .collect();

    catalog.comments = r
        .query("comments", include_str!("queries/comments.sql"))?
        .iter()
        .map(|row| Comment {
            object: row.get(0),
            text: row.get(1),
        })
        .collect();

    for row in r.query("privileges", include_str!("queries/grants.sql"))? {
        let privilege = Privilege {
            object: row.get(0),
            grantee: row.get(1),
            privilege: row.get(2),
            grantable: row.get(3),
        };
        if row.get::<_, bool>(4) {
            catalog.revokes.push(privilege);
        } else {
            catalog.grants.push(privilege);
        }
    }

    r.tx.commit().map_err(|source| Error::Db {
        what: "ending the transaction",
        source,
    })?;
    Ok(catalog)
}

/// Rewrites the one deparsed form we know is not a fixed point of PostgreSQL's
/// parse → deparse: `col IN ('a', 'b')` on a `varchar` column is stored as a cast of a
/// `varchar[]` array and printed as `(ARRAY['a'::character varying, …])::text[]`, which parses
/// back as an array of casts, printed `ARRAY[('a'::character varying)::text, …]`. The second
/// form is stable, so the model holds it: the dump of a database and the dump of its replay
/// are then the same. (pg_dump output has the same drift.)
pub fn normalize_expression(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("(ARRAY['") {
        out.push_str(&rest[..at]);
        match rewrite_array_cast(&rest[at..]) {
            Some((rewritten, used)) => {
                out.push_str(&rewritten);
                rest = &rest[at + used..];
            }
            None => {
                out.push_str("(ARRAY[");
                rest = &rest[at + "(ARRAY[".len()..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// `(ARRAY['x'::T, …])::U[]` at the start of `text` → (`ARRAY[('x'::T)::U, …]`, bytes used).
fn rewrite_array_cast(text: &str) -> Option<(String, usize)> {
    let bytes = text.as_bytes();
    let mut i = "(ARRAY[".len();
    let mut elements = Vec::new();
    loop {
        // A string literal, '' escapes included.
        if bytes.get(i) != Some(&b'\'') {
            return None;
        }
        let start = i;
        i += 1;
        loop {
            match bytes.get(i)? {
                b'\'' if bytes.get(i + 1) == Some(&b'\'') => i += 2,
                b'\'' => {
                    i += 1;
                    break;
                }
                _ => i += 1,
            }
        }
        if !text[i..].starts_with("::") {
            return None;
        }
        let type_end = text[i..].find([',', ']'])? + i;
        let element = &text[start..type_end];
        if element[i - start..].contains(['(', '\'']) {
            return None;
        }
        elements.push(element);
        i = type_end;
        if text[i..].starts_with(", ") {
            i += 2;
        } else if text[i..].starts_with("])::") {
            i += "])::".len();
            break;
        } else {
            return None;
        }
    }
    let target_end = text[i..].find("[]")? + i;
    let target = &text[i..target_end];
    if target.is_empty() || !target.chars().all(|c| c.is_ascii_lowercase() || c == ' ') {
        return None;
    }
    let parts: Vec<String> = elements
        .iter()
        .map(|e| format!("({e})::{target}"))
        .collect();
    Some((format!("ARRAY[{}]", parts.join(", ")), target_end + 2))
}

#[cfg(test)]
mod tests {
    use super::normalize_expression;

    #[test]
    fn varchar_in_lists_take_their_stable_form() {
        assert_eq!(
            normalize_expression(
                "CHECK (((status)::text = ANY ((ARRAY['a'::character varying, 'it''s'::character varying])::text[])))"
            ),
            "CHECK (((status)::text = ANY (ARRAY[('a'::character varying)::text, ('it''s'::character varying)::text])))"
        );
        let stable = "CHECK (((status)::text = ANY (ARRAY[('a'::character varying)::text])))";
        assert_eq!(normalize_expression(stable), stable);
        let other = "CHECK ((x = ANY (ARRAY['a'::text, 'b'::text])))";
        assert_eq!(normalize_expression(other), other);
    }
}
