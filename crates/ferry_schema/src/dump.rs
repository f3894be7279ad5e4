//! The model written as canonical SQL.
//!
//! Canonical: the text depends only on the model, never on how the schema was built. Every
//! list in the model is already sorted; this module fixes the formatting and the order of
//! sections, chosen so that the text replays into an empty database:
//!
//! 1. session settings (`check_function_bodies = false`, an empty `search_path`, as pg_dump
//!    does: function bodies are not checked at creation, and every name is qualified),
//! 2. schemas, extensions, enums, domains, composite types, sequences,
//! 3. functions and procedures whose signature does not name a table or view (so that column
//!    defaults, generated columns and checks can call them),
//! 4. tables, each partition after its parent (columns in position order, no constraints),
//! 5. constraints other than foreign keys (a view may group by a primary key and select the
//!    table's other columns), the other functions, then views in dependency order,
//! 6. foreign keys, indexes, `OWNED BY`, triggers, row level security and
//!    policies, comments, revoked and granted privileges.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use crate::model::*;

/// The model as SQL text.
pub fn dump(catalog: &Catalog) -> String {
    let mut out = String::new();
    out.push_str("-- ferry dump\n");
    out.push_str("SET check_function_bodies = false;\n");
    out.push_str("SELECT pg_catalog.set_config('search_path', '', false);\n");

    let section = |out: &mut String, title: &str, lines: Vec<String>| {
        if lines.is_empty() {
            return;
        }
        let _ = write!(out, "\n-- {title}\n");
        for line in lines {
            out.push_str(&line);
            out.push('\n');
        }
    };

    section(
        &mut out,
        "schemas",
        catalog
            .schemas
            .iter()
            .map(|s| format!("CREATE SCHEMA IF NOT EXISTS {};", ident(&s.name)))
            .collect(),
    );
    section(
        &mut out,
        "extensions",
        catalog
            .extensions
            .iter()
            .map(|e| {
                format!(
                    "CREATE EXTENSION IF NOT EXISTS {} WITH SCHEMA {};",
                    ident(&e.name),
                    ident(&e.schema)
                )
            })
            .collect(),
    );
    section(
        &mut out,
        "enums",
        catalog
            .enums
            .iter()
            .map(|e| {
                let values: Vec<String> = e.values.iter().map(|v| literal(v)).collect();
                format!(
                    "CREATE TYPE {} AS ENUM ({});",
                    qualified(&e.schema, &e.name),
                    values.join(", ")
                )
            })
            .collect(),
    );
    section(
        &mut out,
        "domains",
        catalog.domains.iter().map(domain).collect(),
    );
    section(
        &mut out,
        "composite types",
        catalog.composites.iter().map(composite).collect(),
    );
    section(
        &mut out,
        "sequences",
        catalog
            .sequences
            .iter()
            .map(|s| {
                format!(
                    "CREATE SEQUENCE {} AS {} {};",
                    qualified(&s.schema, &s.name),
                    s.data_type,
                    sequence_options(s.start, s.increment, s.min, s.max, s.cache, s.cycle)
                )
            })
            .collect(),
    );
    section(
        &mut out,
        "functions",
        catalog
            .functions
            .iter()
            .filter(|f| !f.uses_relations)
            .map(function)
            .collect(),
    );
    section(
        &mut out,
        "tables",
        tables_in_order(&catalog.tables)
            .into_iter()
            .flat_map(|t| {
                let parent = t.partition_of.as_ref().and_then(|p| {
                    catalog
                        .tables
                        .iter()
                        .find(|x| x.schema == p.parent_schema && x.name == p.parent)
                });
                std::iter::once(table(t)).chain(partition_overrides(t, parent))
            })
            .collect(),
    );
    let mut constraints = Vec::new();
    let mut foreign_keys = Vec::new();
    for t in &catalog.tables {
        for c in &t.constraints {
            let line = format!(
                "ALTER TABLE {} ADD CONSTRAINT {} {};",
                qualified(&t.schema, &t.name),
                ident(&c.name),
                c.definition
            );
            if c.kind == ConstraintKind::ForeignKey {
                foreign_keys.push(line);
            } else {
                constraints.push(line);
            }
        }
    }
    // Before views: a view may group by a primary key and select its other columns.
    section(&mut out, "constraints", constraints);
    section(
        &mut out,
        "functions using tables",
        catalog
            .functions
            .iter()
            .filter(|f| f.uses_relations)
            .map(function)
            .collect(),
    );
    section(
        &mut out,
        "views",
        views_in_order(&catalog.views)
            .into_iter()
            .map(view)
            .collect(),
    );

    section(&mut out, "foreign keys", foreign_keys);

    let indexes = catalog
        .tables
        .iter()
        .flat_map(|t| &t.indexes)
        .chain(catalog.views.iter().flat_map(|v| &v.indexes))
        .map(|i| format!("{};", i.definition))
        .collect();
    section(&mut out, "indexes", indexes);

    section(
        &mut out,
        "sequence ownership",
        catalog
            .sequences
            .iter()
            .filter_map(|s| {
                let o = s.owned_by.as_ref()?;
                Some(format!(
                    "ALTER SEQUENCE {} OWNED BY {}.{};",
                    qualified(&s.schema, &s.name),
                    qualified(&o.schema, &o.table),
                    ident(&o.column)
                ))
            })
            .collect(),
    );

    let mut triggers = Vec::new();
    for t in &catalog.tables {
        for tr in &t.triggers {
            triggers.push(format!("{};", tr.definition));
            let state = match tr.enabled {
                TriggerEnabled::Origin => None,
                TriggerEnabled::Disabled => Some("DISABLE"),
                TriggerEnabled::Replica => Some("ENABLE REPLICA"),
                TriggerEnabled::Always => Some("ENABLE ALWAYS"),
            };
            if let Some(state) = state {
                triggers.push(format!(
                    "ALTER TABLE {} {state} TRIGGER {};",
                    qualified(&t.schema, &t.name),
                    ident(&tr.name)
                ));
            }
        }
    }
    section(&mut out, "triggers", triggers);

    let mut security = Vec::new();
    for t in &catalog.tables {
        let name = qualified(&t.schema, &t.name);
        if t.rls_enabled {
            security.push(format!("ALTER TABLE {name} ENABLE ROW LEVEL SECURITY;"));
        }
        if t.rls_forced {
            security.push(format!("ALTER TABLE {name} FORCE ROW LEVEL SECURITY;"));
        }
        for p in &t.policies {
            security.push(policy(&name, p));
        }
    }
    section(&mut out, "row level security", security);

    section(
        &mut out,
        "comments",
        catalog
            .comments
            .iter()
            .map(|c| format!("COMMENT ON {} IS {};", c.object, literal(&c.text)))
            .collect(),
    );
    section(
        &mut out,
        "privileges",
        catalog
            .revokes
            .iter()
            .map(|p| format!("REVOKE {} ON {} FROM {};", p.privilege, p.object, p.grantee))
            .chain(catalog.grants.iter().map(|p| {
                format!(
                    "GRANT {} ON {} TO {}{};",
                    p.privilege,
                    p.object,
                    p.grantee,
                    if p.grantable {
                        " WITH GRANT OPTION"
                    } else {
                        ""
                    }
                )
            }))
            .collect(),
    );
    out
}

pub(crate) fn composite(t: &CompositeType) -> String {
    let attributes: Vec<String> = t
        .attributes
        .iter()
        .map(|a| format!("    {} {}", ident(&a.name), attribute_type(a)))
        .collect();
    format!(
        "CREATE TYPE {} AS (\n{}\n);",
        qualified(&t.schema, &t.name),
        attributes.join(",\n")
    )
}

/// An attribute's type, with its collation when it has one.
pub(crate) fn attribute_type(a: &Attribute) -> String {
    match &a.collation {
        Some(c) => format!("{} COLLATE {c}", a.data_type),
        None => a.data_type.clone(),
    }
}

pub(crate) fn domain(d: &Domain) -> String {
    let mut text = format!(
        "CREATE DOMAIN {} AS {}",
        qualified(&d.schema, &d.name),
        d.data_type
    );
    if let Some(c) = &d.collation {
        let _ = write!(text, " COLLATE {c}");
    }
    if let Some(default) = &d.default {
        let _ = write!(text, " DEFAULT {default}");
    }
    if d.not_null {
        text.push_str(" NOT NULL");
    }
    for c in &d.constraints {
        let _ = write!(text, "\n    CONSTRAINT {} {}", ident(&c.name), c.definition);
    }
    text.push(';');
    text
}

pub(crate) fn sequence_options(
    start: i64,
    increment: i64,
    min: i64,
    max: i64,
    cache: i64,
    cycle: bool,
) -> String {
    format!(
        "START WITH {start} INCREMENT BY {increment} MINVALUE {min} MAXVALUE {max} CACHE {cache} {}",
        if cycle { "CYCLE" } else { "NO CYCLE" }
    )
}

pub(crate) fn function(f: &Function) -> String {
    format!("{};", f.definition.trim_end())
}

pub(crate) fn column(c: &Column) -> String {
    let mut text = format!("    {} {}", ident(&c.name), c.data_type);
    if let Some(collation) = &c.collation {
        let _ = write!(text, " COLLATE {collation}");
    }
    match (c.generated, &c.default) {
        (Some(Generated::Stored), Some(expr)) => {
            let _ = write!(text, " GENERATED ALWAYS AS ({expr}) STORED");
        }
        (Some(Generated::Virtual), Some(expr)) => {
            let _ = write!(text, " GENERATED ALWAYS AS ({expr}) VIRTUAL");
        }
        (_, Some(default)) => {
            let _ = write!(text, " DEFAULT {default}");
        }
        _ => {}
    }
    if let Some(identity) = c.identity {
        let kind = match identity {
            Identity::Always => "ALWAYS",
            Identity::ByDefault => "BY DEFAULT",
        };
        let _ = write!(text, " GENERATED {kind} AS IDENTITY");
        if let Some(s) = &c.identity_sequence {
            let _ = write!(
                text,
                " (SEQUENCE NAME {} {})",
                qualified(&s.schema, &s.name),
                sequence_options(s.start, s.increment, s.min, s.max, s.cache, s.cycle)
            );
        }
    }
    if c.not_null {
        text.push_str(" NOT NULL");
    }
    text
}

pub(crate) fn table(t: &Table) -> String {
    let name = qualified(&t.schema, &t.name);
    let unlogged = if t.unlogged { "UNLOGGED " } else { "" };
    let mut text = match &t.partition_of {
        Some(p) => format!(
            "CREATE {unlogged}TABLE {name} PARTITION OF {} {}",
            qualified(&p.parent_schema, &p.parent),
            p.bound
        ),
        None if t.columns.is_empty() => format!("CREATE {unlogged}TABLE {name} ()"),
        None => {
            let columns: Vec<String> = t.columns.iter().map(column).collect();
            format!(
                "CREATE {unlogged}TABLE {name} (\n{}\n)",
                columns.join(",\n")
            )
        }
    };
    if let Some(key) = &t.partition_by {
        let _ = write!(text, " PARTITION BY {key}");
    }
    if !t.options.is_empty() {
        let _ = write!(text, " WITH ({})", t.options.join(", "));
    }
    text.push(';');
    text
}

/// What a partition sets on its columns beyond what it copies from its parent when it is
/// created (`PARTITION OF` copies NOT NULL and defaults): its own NOT NULL, its own default.
pub(crate) fn partition_overrides(t: &Table, parent: Option<&Table>) -> Vec<String> {
    let (Some(_), Some(parent)) = (&t.partition_of, parent) else {
        return Vec::new();
    };
    let name = qualified(&t.schema, &t.name);
    t.columns
        .iter()
        .filter_map(|c| Some((c, parent.columns.iter().find(|p| p.name == c.name)?)))
        .flat_map(|(c, p)| not_null_and_default_changes(&name, p, c))
        .collect()
}

/// `ALTER COLUMN … SET/DROP NOT NULL` and `SET/DROP DEFAULT` that turn column `from` of
/// `table` into `to`, where they differ.
pub(crate) fn not_null_and_default_changes(table: &str, from: &Column, to: &Column) -> Vec<String> {
    let alter = format!("ALTER TABLE {table} ALTER COLUMN {}", ident(&to.name));
    let mut out = Vec::new();
    if from.not_null != to.not_null {
        let verb = if to.not_null { "SET" } else { "DROP" };
        out.push(format!("{alter} {verb} NOT NULL;"));
    }
    if to.generated.is_none() && from.default != to.default {
        out.push(match &to.default {
            Some(default) => format!("{alter} SET DEFAULT {default};"),
            None => format!("{alter} DROP DEFAULT;"),
        });
    }
    out
}

pub(crate) fn view(v: &View) -> String {
    let kind = if v.materialized {
        "MATERIALIZED VIEW"
    } else {
        "VIEW"
    };
    let mut text = format!("CREATE {kind} {}", qualified(&v.schema, &v.name));
    if !v.options.is_empty() {
        let _ = write!(text, " WITH ({})", v.options.join(", "));
    }
    let _ = write!(text, " AS\n{}", v.definition);
    if v.materialized {
        text.push_str("\nWITH NO DATA");
    }
    text.push(';');
    text
}

pub(crate) fn policy(table: &str, p: &Policy) -> String {
    let mut text = format!(
        "CREATE POLICY {} ON {table} AS {} FOR {} TO {}",
        ident(&p.name),
        if p.permissive {
            "PERMISSIVE"
        } else {
            "RESTRICTIVE"
        },
        p.command,
        p.roles.join(", ")
    );
    text.push_str(&policy_expressions(p));
    text.push(';');
    text
}

/// A policy's ` USING (…) WITH CHECK (…)`, each when it has one.
pub(crate) fn policy_expressions(p: &Policy) -> String {
    let mut text = String::new();
    if let Some(using) = &p.using {
        let _ = write!(text, " USING ({using})");
    }
    if let Some(check) = &p.with_check {
        let _ = write!(text, " WITH CHECK ({check})");
    }
    text
}

/// Tables in model order, except that a partition comes after its parent.
pub(crate) fn tables_in_order(tables: &[Table]) -> Vec<&Table> {
    let mut done: BTreeSet<(&str, &str)> = BTreeSet::new();
    let mut order = Vec::with_capacity(tables.len());
    let mut left: Vec<&Table> = tables.iter().collect();
    while !left.is_empty() {
        let before = left.len();
        left.retain(|t| {
            let ready = match &t.partition_of {
                None => true,
                Some(p) => done.contains(&(p.parent_schema.as_str(), p.parent.as_str())),
            };
            if ready {
                done.insert((&t.schema, &t.name));
                order.push(*t);
            }
            !ready
        });
        if left.len() == before {
            // A parent outside the model: keep the rest in model order.
            order.append(&mut left);
        }
    }
    order
}

/// Views in dependency order (Kahn's algorithm, ties in model order, i.e. by schema and name).
pub(crate) fn views_in_order(views: &[View]) -> Vec<&View> {
    let names: Vec<String> = views
        .iter()
        .map(|v| qualified(&v.schema, &v.name))
        .collect();
    let index: BTreeMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let mut waiting: Vec<usize> = views
        .iter()
        .map(|v| {
            v.depends_on
                .iter()
                .filter(|d| index.contains_key(d.as_str()))
                .count()
        })
        .collect();
    let mut ready: BTreeSet<usize> = (0..views.len()).filter(|&i| waiting[i] == 0).collect();
    let mut emitted = vec![false; views.len()];
    let mut order = Vec::with_capacity(views.len());
    while let Some(i) = ready.pop_first() {
        emitted[i] = true;
        order.push(&views[i]);
        for (j, v) in views.iter().enumerate() {
            if !emitted[j] && v.depends_on.iter().any(|d| d == &names[i]) {
                waiting[j] -= 1;
                if waiting[j] == 0 {
                    ready.insert(j);
                }
            }
        }
    }
    // A cycle cannot be built in PostgreSQL; should one show up, keep model order.
    order.extend(
        views
            .iter()
            .enumerate()
            .filter(|(i, _)| !emitted[*i])
            .map(|(_, v)| v),
    );
    order
}

/// `schema.name`, each part quoted when needed.
pub fn qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", ident(schema), ident(name))
}

/// An identifier as PostgreSQL's `quote_ident` writes it: bare when it is lower case
/// letters, digits, `_` and `$` (not first) and not a keyword that needs quoting.
pub fn ident(name: &str) -> String {
    let mut chars = name.chars();
    let plain = matches!(chars.next(), Some('a'..='z' | '_'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_' | '$'))
        && KEYWORDS.binary_search(&name).is_err();
    if plain {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// A string literal (standard_conforming_strings is on in every supported server).
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// Reserved, type/function-name and column-name keywords: the ones `quote_ident` quotes.
/// Sorted, for binary search. https://www.postgresql.org/docs/current/sql-keywords-appendix.html
const KEYWORDS: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "between",
    "bigint",
    "binary",
    "bit",
    "boolean",
    "both",
    "case",
    "cast",
    "char",
    "character",
    "check",
    "coalesce",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "dec",
    "decimal",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "exists",
    "extract",
    "false",
    "fetch",
    "float",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "greatest",
    "group",
    "grouping",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "inout",
    "int",
    "integer",
    "intersect",
    "interval",
    "into",
    "is",
    "isnull",
    "join",
    "json",
    "json_array",
    "json_arrayagg",
    "json_exists",
    "json_object",
    "json_objectagg",
    "json_query",
    "json_scalar",
    "json_serialize",
    "json_table",
    "json_value",
    "lateral",
    "leading",
    "least",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "merge_action",
    "national",
    "natural",
    "nchar",
    "none",
    "normalize",
    "not",
    "notnull",
    "null",
    "nullif",
    "numeric",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "out",
    "outer",
    "overlaps",
    "overlay",
    "placing",
    "position",
    "precision",
    "primary",
    "real",
    "references",
    "returning",
    "right",
    "row",
    "select",
    "session_user",
    "setof",
    "similar",
    "smallint",
    "some",
    "substring",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "then",
    "time",
    "timestamp",
    "to",
    "trailing",
    "treat",
    "trim",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "values",
    "varchar",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
    "xmlattributes",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlnamespaces",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "xmltable",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, data_type: &str) -> Column {
        Column {
            name: name.to_owned(),
            data_type: data_type.to_owned(),
            not_null: false,
            default: None,
            identity: None,
            identity_sequence: None,
            generated: None,
            collation: None,
        }
    }

    fn tbl(name: &str, columns: Vec<Column>) -> Table {
        Table {
            columns,
            ..Table::empty("public", name)
        }
    }

    fn view_named(name: &str, depends_on: &[&str]) -> View {
        View {
            schema: "public".to_owned(),
            name: name.to_owned(),
            materialized: false,
            options: Vec::new(),
            definition: " SELECT 1".to_owned(),
            depends_on: depends_on.iter().map(|s| s.to_string()).collect(),
            indexes: Vec::new(),
        }
    }

    #[test]
    fn keywords_are_sorted() {
        let mut sorted = KEYWORDS.to_vec();
        sorted.sort();
        assert_eq!(sorted, KEYWORDS);
    }

    #[test]
    fn identifiers_are_quoted_like_quote_ident() {
        assert_eq!(ident("users"), "users");
        assert_eq!(ident("user"), "\"user\"");
        assert_eq!(ident("Users"), "\"Users\"");
        assert_eq!(ident("a b"), "\"a b\"");
        assert_eq!(ident("1st"), "\"1st\"");
        assert_eq!(ident("we\"ird"), "\"we\"\"ird\"");
        assert_eq!(ident("x$1"), "x$1");
        assert_eq!(literal("it's"), "'it''s'");
    }

    #[test]
    fn an_empty_model_is_only_the_settings() {
        assert_eq!(
            dump(&Catalog::default()),
            "-- ferry dump\nSET check_function_bodies = false;\nSELECT pg_catalog.set_config('search_path', '', false);\n"
        );
    }

    #[test]
    fn columns_keep_their_order_and_every_property() {
        let mut id = col("id", "bigint");
        id.not_null = true;
        id.identity = Some(Identity::Always);
        id.identity_sequence = Some(IdentitySequence {
            schema: "public".to_owned(),
            name: "t_id_seq".to_owned(),
            start: 1,
            increment: 1,
            min: 1,
            max: i64::MAX,
            cache: 1,
            cycle: false,
        });
        let mut name = col("name", "character varying(20)");
        name.collation = Some("pg_catalog.\"C\"".to_owned());
        name.default = Some("'x'::character varying".to_owned());
        let mut total = col("total", "numeric(10,2)");
        total.generated = Some(Generated::Stored);
        total.default = Some("(id * 2)".to_owned());
        let mut t = tbl("t", vec![name, id, total]);
        t.options = vec!["fillfactor=70".to_owned()];
        assert_eq!(
            table(&t),
            "CREATE TABLE public.t (\n    name character varying(20) COLLATE pg_catalog.\"C\" DEFAULT 'x'::character varying,\n    id bigint GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME public.t_id_seq START WITH 1 INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 CACHE 1 NO CYCLE) NOT NULL,\n    total numeric(10,2) GENERATED ALWAYS AS ((id * 2)) STORED\n) WITH (fillfactor=70);"
        );
    }

    #[test]
    fn partitions_follow_their_parent_and_foreign_keys_come_last() {
        let mut parent = tbl("z_parent", vec![col("at", "date")]);
        parent.partition_by = Some("RANGE (at)".to_owned());
        parent.constraints = vec![
            Constraint {
                name: "a_fk".to_owned(),
                kind: ConstraintKind::ForeignKey,
                definition: "FOREIGN KEY (at) REFERENCES public.x(at)".to_owned(),
            },
            Constraint {
                name: "b_check".to_owned(),
                kind: ConstraintKind::Check,
                definition: "CHECK ((at > '2000-01-01'::date))".to_owned(),
            },
        ];
        let mut child = tbl("a_child", vec![col("at", "date")]);
        child.partition_of = Some(Partition {
            parent_schema: "public".to_owned(),
            parent: "z_parent".to_owned(),
            bound: "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')".to_owned(),
        });
        let catalog = Catalog {
            tables: vec![child, parent],
            ..Catalog::default()
        };
        let text = dump(&catalog);
        let parent_at = text.find("CREATE TABLE public.z_parent").unwrap();
        let child_at = text
            .find("CREATE TABLE public.a_child PARTITION OF public.z_parent FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');")
            .unwrap();
        assert!(parent_at < child_at, "{text}");
        assert!(text.contains("\n) PARTITION BY RANGE (at);\n"), "{text}");
        let check_at = text.find("ADD CONSTRAINT b_check").unwrap();
        let fk_at = text.find("ADD CONSTRAINT a_fk").unwrap();
        assert!(check_at < fk_at, "{text}");
    }

    #[test]
    fn views_come_after_the_views_they_read() {
        let views = vec![
            view_named("a", &["public.c"]),
            view_named("b", &[]),
            view_named("c", &["public.b"]),
        ];
        let order: Vec<&str> = views_in_order(&views)
            .iter()
            .map(|v| v.name.as_str())
            .collect();
        assert_eq!(order, ["b", "c", "a"]);
    }

    #[test]
    fn policies_triggers_comments_and_privileges() {
        let mut t = tbl("notes", vec![col("owner", "text")]);
        t.rls_enabled = true;
        t.rls_forced = true;
        t.policies = vec![Policy {
            name: "own".to_owned(),
            permissive: false,
            command: "SELECT".to_owned(),
            roles: vec!["PUBLIC".to_owned()],
            using: Some("(owner = CURRENT_USER)".to_owned()),
            with_check: None,
        }];
        t.triggers = vec![Trigger {
            name: "audit".to_owned(),
            definition: "CREATE TRIGGER audit AFTER INSERT ON public.notes FOR EACH ROW EXECUTE FUNCTION public.audit()".to_owned(),
            enabled: TriggerEnabled::Disabled,
        }];
        let catalog = Catalog {
            tables: vec![t],
            comments: vec![Comment {
                object: "TABLE public.notes".to_owned(),
                text: "it's notes".to_owned(),
            }],
            grants: vec![Privilege {
                object: "TABLE public.notes".to_owned(),
                grantee: "app".to_owned(),
                privilege: "SELECT".to_owned(),
                grantable: true,
            }],
            revokes: vec![Privilege {
                object: "SCHEMA public".to_owned(),
                grantee: "PUBLIC".to_owned(),
                privilege: "CREATE".to_owned(),
                grantable: false,
            }],
            ..Catalog::default()
        };
        let text = dump(&catalog);
        let tail = &text[text.find("-- triggers").unwrap()..];
        assert_eq!(
            tail,
            "-- triggers
CREATE TRIGGER audit AFTER INSERT ON public.notes FOR EACH ROW EXECUTE FUNCTION public.audit();
ALTER TABLE public.notes DISABLE TRIGGER audit;

-- row level security
ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.notes FORCE ROW LEVEL SECURITY;
CREATE POLICY own ON public.notes AS RESTRICTIVE FOR SELECT TO PUBLIC USING ((owner = CURRENT_USER));

-- comments
COMMENT ON TABLE public.notes IS 'it''s notes';

-- privileges
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT SELECT ON TABLE public.notes TO app WITH GRANT OPTION;
"
        );
    }
}
