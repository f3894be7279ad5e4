//! The kinds read from the catalog: tables, indexes, constraints, triggers, functions, views,
//! extensions, enums, row level security, policies and foreign-key indexes.
//!
//! The schema model ([`ferry_schema::read`]) is read once per run. Index key columns and
//! predicates, and foreign keys' columns, referenced tables and actions, come from `pg_index`
//! and `pg_constraint` directly (the model keeps them only inside definition strings), read with
//! the session's own `search_path`, so names in `public` come out unqualified, as a check file
//! writes them.

use ferry_schema::Catalog;
use ferry_schema::model::{Table, TriggerEnabled};
use postgres::Client;

use super::names::{
    display_name, find_by, find_qualified, same_expression, same_name, same_type, split_name,
};
use super::{
    ConstraintCheck, ConstraintType, EnumCheck, ExtensionCheck, FkAction, FkIndexesCheck,
    FunctionCheck, IndexCheck, PoliciesCheck, RlsCheck, Spec, TableCheck, TriggerCheck, ViewCheck,
};

/// `Err` holds the reason a check failed.
pub(super) type Verdict = Result<(), String>;

/// One index, from `pg_index` (constraint-backing indexes included).
#[derive(Debug, Clone)]
pub(super) struct IndexInfo {
    pub schema: String,
    pub table: String,
    pub name: String,
    pub unique: bool,
    pub valid: bool,
    /// Key columns or expressions as `pg_get_indexdef(index, n, false)` prints them, in order.
    pub keys: Vec<String>,
    /// The key columns' names, `""` for an expression.
    pub key_columns: Vec<String>,
    /// `pg_get_expr(indpred)` of a partial index.
    pub predicate: Option<String>,
}

/// One table constraint, from `pg_constraint`.
#[derive(Debug, Clone)]
pub(super) struct ConstraintInfo {
    pub schema: String,
    pub table: String,
    pub name: String,
    pub kind: ConstraintType,
    /// `conkey`, as column names in order.
    pub columns: Vec<String>,
    /// The referenced table of a foreign key: (schema, name).
    pub references: Option<(String, String)>,
    pub on_delete: Option<FkAction>,
    pub on_update: Option<FkAction>,
}

/// What the model-based kinds read, loaded on first use.
pub(super) struct Facts {
    tracking_schema: String,
    loaded: Option<Result<Loaded, String>>,
}

pub(super) struct Loaded {
    pub catalog: Catalog,
    pub indexes: Vec<IndexInfo>,
    pub constraints: Vec<ConstraintInfo>,
}

const INDEXES: &str = "
select n.nspname::text, t.relname::text, i.relname::text, x.indisunique, x.indisvalid,
       array(select pg_catalog.pg_get_indexdef(x.indexrelid, k, false)
             from pg_catalog.generate_series(1, x.indnkeyatts::int) k order by k),
       array(select coalesce(a.attname::text, '')
             from pg_catalog.generate_series(0, x.indnkeyatts - 1) k
             left join pg_catalog.pg_attribute a on a.attrelid = x.indrelid and a.attnum = x.indkey[k]
             order by k),
       pg_catalog.pg_get_expr(x.indpred, x.indrelid)
from pg_catalog.pg_index x
join pg_catalog.pg_class i on i.oid = x.indexrelid
join pg_catalog.pg_class t on t.oid = x.indrelid
join pg_catalog.pg_namespace n on n.oid = t.relnamespace
where n.nspname not in ('pg_catalog', 'information_schema') and n.nspname <> $1
  and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp\\_%'
order by 1, 2, 3";

const CONSTRAINTS: &str = "
select n.nspname::text, c.relname::text, con.conname::text, con.contype::text,
       array(select a.attname::text
             from pg_catalog.unnest(con.conkey) with ordinality k(attnum, ord)
             join pg_catalog.pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.attnum
             order by k.ord),
       rn.nspname::text, rc.relname::text, con.confdeltype::text, con.confupdtype::text
from pg_catalog.pg_constraint con
join pg_catalog.pg_class c on c.oid = con.conrelid
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
left join pg_catalog.pg_class rc on rc.oid = con.confrelid
left join pg_catalog.pg_namespace rn on rn.oid = rc.relnamespace
where con.contype in ('p', 'u', 'f', 'c', 'x')
  and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname <> $1
  and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp\\_%'
order by 1, 2, 3";

impl Facts {
    pub(super) fn new(tracking_schema: &str) -> Facts {
        Facts {
            tracking_schema: tracking_schema.to_owned(),
            loaded: None,
        }
    }

    /// The model and the index and constraint details, read on first use; the reason they
    /// could not be read otherwise (every model-based check then fails with it).
    pub(super) fn get(&mut self, client: &mut Client) -> Result<&Loaded, String> {
        if self.loaded.is_none() {
            let loaded = load(client, &self.tracking_schema).map_err(|e| match e {
                crate::Error::Schema(e) => format!("cannot read the schema model: {e}"),
                other => other.to_string(),
            });
            self.loaded = Some(loaded);
        }
        match self.loaded.as_ref().expect("loaded above") {
            Ok(loaded) => Ok(loaded),
            Err(reason) => Err(reason.clone()),
        }
    }
}

/// Reads the schema model, then the index and constraint details.
pub(super) fn load(client: &mut Client, tracking_schema: &str) -> Result<Loaded, crate::Error> {
    let options = ferry_schema::ReadOptions {
        tracking_schema: tracking_schema.to_owned(),
    };
    let catalog = ferry_schema::read(client, &options)?;
    let db = crate::Error::db("reading indexes and constraints");
    let mut tx = client
        .build_transaction()
        .read_only(true)
        .start()
        .map_err(crate::Error::db("reading indexes and constraints"))?;
    let indexes = tx
        .query(INDEXES, &[&tracking_schema])
        .map_err(crate::Error::db("reading indexes"))?
        .iter()
        .map(|row| IndexInfo {
            schema: row.get(0),
            table: row.get(1),
            name: row.get(2),
            unique: row.get(3),
            valid: row.get(4),
            keys: row.get(5),
            key_columns: row.get(6),
            predicate: row.get(7),
        })
        .collect();
    let action = |code: String| code.chars().next().and_then(FkAction::from_code);
    let constraints = tx
        .query(CONSTRAINTS, &[&tracking_schema])
        .map_err(crate::Error::db("reading constraints"))?
        .iter()
        .filter_map(|row| {
            let kind = ConstraintType::from_code(row.get::<_, String>(3).chars().next()?)?;
            let foreign = kind == ConstraintType::ForeignKey;
            Some(ConstraintInfo {
                schema: row.get(0),
                table: row.get(1),
                name: row.get(2),
                kind,
                columns: row.get(4),
                references: row
                    .get::<_, Option<String>>(5)
                    .map(|schema| (schema, row.get(6))),
                on_delete: if foreign { action(row.get(7)) } else { None },
                on_update: if foreign { action(row.get(8)) } else { None },
            })
        })
        .collect();
    tx.rollback().map_err(db)?;
    Ok(Loaded {
        catalog,
        indexes,
        constraints,
    })
}

/// Runs one model-based check.
pub(super) fn evaluate(facts: &mut Facts, client: &mut Client, spec: &Spec) -> Verdict {
    let facts = facts.get(client)?;
    let catalog = &facts.catalog;
    match spec {
        Spec::Table(c) => table(catalog, c),
        Spec::Index(c) => index(facts, c),
        Spec::Constraint(c) => constraint(facts, c),
        Spec::Trigger(c) => trigger(catalog, c),
        Spec::Function(c) => function(catalog, c),
        Spec::View(c) => view(catalog, c),
        Spec::Extension(c) => extension(catalog, c),
        Spec::Enum(c) => enumeration(catalog, c),
        Spec::Rls(c) => rls(catalog, c),
        Spec::Policies(c) => policies(catalog, c),
        Spec::FkIndexes(c) => fk_indexes(facts, c),
        Spec::Sql(_) | Spec::Behaviour(_) => Err("not a model-based check".to_owned()),
    }
}

fn qualified(schema: &str, name: &str) -> String {
    format!("{schema}.{name}")
}

/// The table `name`, or why there is none (a view of that name is said so).
fn find_table<'a>(catalog: &'a Catalog, name: &str) -> Result<&'a Table, String> {
    if let Some(table) = find_qualified(&catalog.tables, name, |t| (&t.schema, &t.name)) {
        return Ok(table);
    }
    if let Some(view) = find_qualified(&catalog.views, name, |v| (&v.schema, &v.name)) {
        let kind = if view.materialized {
            "a materialized view"
        } else {
            "a view"
        };
        return Err(format!(
            "{} is {kind}, not a table",
            qualified(&view.schema, &view.name)
        ));
    }
    Err(format!("table {} does not exist", display_name(name)))
}

/// A table or materialized view that can carry indexes: (schema, name).
fn find_relation(catalog: &Catalog, name: &str) -> Result<(String, String), String> {
    if let Some(t) = find_qualified(&catalog.tables, name, |t| (&t.schema, &t.name)) {
        return Ok((t.schema.clone(), t.name.clone()));
    }
    if let Some(v) = find_qualified(&catalog.views, name, |v| (&v.schema, &v.name))
        && v.materialized
    {
        return Ok((v.schema.clone(), v.name.clone()));
    }
    find_table(catalog, name).map(|t| (t.schema.clone(), t.name.clone()))
}

fn table(catalog: &Catalog, c: &TableCheck) -> Verdict {
    let t = find_table(catalog, &c.table)?;
    let name = qualified(&t.schema, &t.name);
    let mut problems = Vec::new();
    let mut missing = Vec::new();
    let mut column = |wanted: &str| {
        let found = find_by(&t.columns, wanted, |c| &c.name);
        if found.is_none() && !missing.iter().any(|m: &String| m == wanted) {
            missing.push(wanted.to_owned());
        }
        found
    };
    let mut found_columns = Vec::new();
    for (wanted, data_type) in c.columns.iter().flatten() {
        if let Some(col) = column(wanted) {
            found_columns.push(wanted);
            if !same_type(data_type, &col.data_type) {
                problems.push(format!(
                    "column {name}.{} is {}, expected {data_type}",
                    col.name, col.data_type
                ));
            }
        }
    }
    for wanted in c.not_null.iter().flatten() {
        if let Some(col) = column(wanted)
            && !col.not_null
        {
            problems.push(format!(
                "column {name}.{} is nullable, expected NOT NULL",
                col.name
            ));
        }
    }
    for (wanted, default) in c.defaults.iter().flatten() {
        if let Some(col) = column(wanted) {
            match &col.default {
                None => problems.push(format!(
                    "column {name}.{} has no default, expected {default}",
                    col.name
                )),
                Some(actual) if !same_expression(default, actual) => problems.push(format!(
                    "column {name}.{} defaults to {actual}, expected {default}",
                    col.name
                )),
                Some(_) => {}
            }
        }
    }
    let mut reasons: Vec<String> = missing
        .iter()
        .map(|m| format!("column {name}.{m} does not exist"))
        .collect();
    reasons.extend(problems);
    if reasons.is_empty() {
        Ok(())
    } else {
        Err(reasons.join("; "))
    }
}

/// `name (a, b)` for messages.
fn describe_index(index: &IndexInfo) -> String {
    let mut text = format!("{} ({})", index.name, index.keys.join(", "));
    if index.unique {
        text.push_str(" unique");
    }
    if let Some(p) = &index.predicate {
        text.push_str(&format!(" where {p}"));
    }
    text
}

fn list_or_none(items: Vec<String>, none: &str) -> String {
    if items.is_empty() {
        none.to_owned()
    } else {
        items.join(", ")
    }
}

fn index(facts: &super::schema::Loaded, c: &IndexCheck) -> Verdict {
    let (schema, table) = find_relation(&facts.catalog, &c.table)?;
    let on = qualified(&schema, &table);
    let all: Vec<&IndexInfo> = facts
        .indexes
        .iter()
        .filter(|i| i.schema == schema && i.table == table)
        .collect();
    let existing = || {
        format!(
            "its indexes: {}",
            list_or_none(all.iter().map(|i| describe_index(i)).collect(), "none")
        )
    };
    let mut candidates = all.clone();
    if let Some(name) = &c.name {
        match find_by(all.iter().copied(), name, |i| &i.name) {
            Some(index) => candidates = vec![index],
            None => return Err(format!("no index named {name} on {on}; {}", existing())),
        }
    }
    if let Some(columns) = &c.columns {
        let wanted = columns.join(", ");
        let matches = |i: &IndexInfo| {
            i.keys.len() == columns.len()
                && i.keys
                    .iter()
                    .zip(columns)
                    .all(|(key, col)| same_expression(col, key))
        };
        let kept: Vec<&IndexInfo> = candidates.iter().copied().filter(|i| matches(i)).collect();
        if kept.is_empty() {
            return Err(match (&c.name, candidates.as_slice()) {
                (Some(_), [one]) => format!(
                    "index {} on {on} is on ({}), expected ({wanted})",
                    one.name,
                    one.keys.join(", ")
                ),
                _ => format!("no index on {on} ({wanted}); {}", existing()),
            });
        }
        candidates = kept;
    }
    if let Some(unique) = c.unique {
        let kept: Vec<&IndexInfo> = candidates
            .iter()
            .copied()
            .filter(|i| i.unique == unique)
            .collect();
        if kept.is_empty() {
            let names = candidates
                .iter()
                .map(|i| i.name.clone())
                .collect::<Vec<_>>();
            let expected = if unique { "unique" } else { "not unique" };
            let actual = if unique { "not unique" } else { "unique" };
            return Err(format!(
                "index {} on {on} is {actual}, expected {expected}",
                names.join(", ")
            ));
        }
        candidates = kept;
    }
    if let Some(predicate) = &c.predicate {
        let kept: Vec<&IndexInfo> = candidates
            .iter()
            .copied()
            .filter(|i| {
                i.predicate
                    .as_deref()
                    .is_some_and(|p| same_expression(predicate, p))
            })
            .collect();
        if kept.is_empty() {
            let found = candidates
                .iter()
                .map(|i| match &i.predicate {
                    Some(p) => format!("index {} on {on} is partial WHERE {p}", i.name),
                    None => format!("index {} on {on} is not partial", i.name),
                })
                .collect::<Vec<_>>();
            return Err(format!("{}, expected WHERE {predicate}", found.join("; ")));
        }
        candidates = kept;
    }
    if candidates.iter().any(|i| i.valid) {
        Ok(())
    } else {
        Err(format!(
            "index {} on {on} is INVALID (a failed CREATE INDEX CONCURRENTLY left it): drop it and create it again",
            candidates
                .iter()
                .map(|i| i.name.clone())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    }
}

fn describe_constraint(con: &ConstraintInfo) -> String {
    let mut text = format!("{} {}", con.kind.words(), con.name);
    if !con.columns.is_empty() {
        text.push_str(&format!(" ({})", con.columns.join(", ")));
    }
    if let Some((schema, table)) = &con.references {
        text.push_str(&format!(" → {schema}.{table}"));
    }
    text
}

fn same_columns(written: &[String], actual: &[String]) -> bool {
    written.len() == actual.len() && written.iter().zip(actual).all(|(w, a)| same_name(w, a))
}

fn constraint(facts: &Loaded, c: &ConstraintCheck) -> Verdict {
    let t = find_table(&facts.catalog, &c.table)?;
    let on = qualified(&t.schema, &t.name);
    let all: Vec<&ConstraintInfo> = facts
        .constraints
        .iter()
        .filter(|k| k.schema == t.schema && k.table == t.name)
        .collect();
    let existing = || {
        format!(
            "its constraints: {}",
            list_or_none(all.iter().map(|k| describe_constraint(k)).collect(), "none")
        )
    };
    let kind = c.constraint_type;
    let mut candidates = all.clone();
    if let Some(name) = &c.name {
        match find_by(all.iter().copied(), name, |k| &k.name) {
            Some(found) if found.kind == kind => candidates = vec![found],
            Some(found) => {
                return Err(format!(
                    "constraint {} on {on} is a {}, expected a {}",
                    found.name,
                    found.kind.words(),
                    kind.words()
                ));
            }
            None => {
                return Err(format!(
                    "no constraint named {name} on {on}; {}",
                    existing()
                ));
            }
        }
    } else {
        candidates.retain(|k| k.kind == kind);
        if candidates.is_empty() {
            return Err(format!("{on} has no {}; {}", kind.words(), existing()));
        }
    }
    let single = |candidates: &[&ConstraintInfo]| match candidates {
        [one] => Some(one.name.clone()),
        _ => None,
    };
    if let Some(columns) = &c.columns {
        let wanted = columns.join(", ");
        let kept: Vec<&ConstraintInfo> = candidates
            .iter()
            .copied()
            .filter(|k| same_columns(columns, &k.columns))
            .collect();
        if kept.is_empty() {
            return Err(match single(&candidates) {
                Some(name) if c.name.is_some() => format!(
                    "{} {name} on {on} is on ({}), expected ({wanted})",
                    kind.words(),
                    candidates[0].columns.join(", ")
                ),
                _ => format!("{on} has no {} on ({wanted}); {}", kind.words(), existing()),
            });
        }
        candidates = kept;
    }
    if let Some(references) = &c.references {
        let (schema, table) = split_name(references);
        let kept: Vec<&ConstraintInfo> = candidates
            .iter()
            .copied()
            .filter(|k| {
                k.references
                    .as_ref()
                    .is_some_and(|(s, t)| same_name(&schema, s) && same_name(&table, t))
            })
            .collect();
        if kept.is_empty() {
            let found = candidates
                .iter()
                .map(|k| {
                    let (s, t) = k.references.clone().unwrap_or_default();
                    format!("foreign key {} on {on} references {s}.{t}", k.name)
                })
                .collect::<Vec<_>>();
            return Err(format!(
                "{}, expected {}",
                found.join("; "),
                display_name(references)
            ));
        }
        candidates = kept;
    }
    for (action, wanted, what) in [
        (c.on_delete, true, "ON DELETE"),
        (c.on_update, false, "ON UPDATE"),
    ] {
        let Some(action) = action else { continue };
        let of = |k: &ConstraintInfo| if wanted { k.on_delete } else { k.on_update };
        let kept: Vec<&ConstraintInfo> = candidates
            .iter()
            .copied()
            .filter(|k| of(k) == Some(action))
            .collect();
        if kept.is_empty() {
            let found = candidates
                .iter()
                .map(|k| {
                    format!(
                        "foreign key {} on {on} is {what} {}",
                        k.name,
                        of(k).map_or("?", FkAction::sql)
                    )
                })
                .collect::<Vec<_>>();
            return Err(format!(
                "{}, expected {what} {}",
                found.join("; "),
                action.sql()
            ));
        }
        candidates = kept;
    }
    Ok(())
}

fn trigger(catalog: &Catalog, c: &TriggerCheck) -> Verdict {
    let t = find_table(catalog, &c.table)?;
    let on = qualified(&t.schema, &t.name);
    let Some(trigger) = find_by(&t.triggers, &c.name, |tr| &tr.name) else {
        let names = t.triggers.iter().map(|tr| tr.name.clone()).collect();
        return Err(format!(
            "trigger {} on {on} does not exist; its triggers: {}",
            c.name,
            list_or_none(names, "none")
        ));
    };
    let enabled = matches!(
        trigger.enabled,
        TriggerEnabled::Origin | TriggerEnabled::Always
    );
    let wanted = c.enabled.unwrap_or(true);
    match (wanted, enabled) {
        (true, false) if trigger.enabled == TriggerEnabled::Replica => Err(format!(
            "trigger {} on {on} fires only on replicas (ENABLE REPLICA), expected enabled",
            trigger.name
        )),
        (true, false) => Err(format!("trigger {} on {on} is disabled", trigger.name)),
        (false, true) => Err(format!(
            "trigger {} on {on} is enabled, expected disabled",
            trigger.name
        )),
        _ => Ok(()),
    }
}

/// Splits identity arguments at top-level commas.
fn split_args(text: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut depth = 0;
    let mut current = String::new();
    for c in text.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            ',' if depth == 0 => {
                args.push(current.trim().to_owned());
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.trim().is_empty() {
        args.push(current.trim().to_owned());
    }
    args
}

/// The ways one argument can be read: `name type` or `type`, with its mode left off.
fn argument_readings(arg: &str) -> Vec<String> {
    let mut words: Vec<&str> = arg.split_whitespace().collect();
    if words.len() > 1
        && matches!(
            words[0].to_lowercase().as_str(),
            "in" | "out" | "inout" | "variadic"
        )
    {
        words.remove(0);
    }
    let mut readings = vec![words.join(" ")];
    if words.len() > 1 {
        readings.push(words[1..].join(" "));
    }
    readings
}

fn same_arguments(written: &str, identity: &str) -> bool {
    let (written, identity) = (split_args(written), split_args(identity));
    written.len() == identity.len()
        && written.iter().zip(&identity).all(|(w, a)| {
            let actual = argument_readings(a);
            argument_readings(w)
                .iter()
                .any(|w| actual.iter().any(|a| same_type(w, a)))
        })
}

fn function(catalog: &Catalog, c: &FunctionCheck) -> Verdict {
    let (schema, name) = split_name(&c.name);
    let mut overloads: Vec<_> = catalog
        .functions
        .iter()
        .filter(|f| f.schema == schema && f.name == name)
        .collect();
    if overloads.is_empty() {
        let (schema, name) = (schema.to_lowercase(), name.to_lowercase());
        overloads = catalog
            .functions
            .iter()
            .filter(|f| f.schema == schema && f.name == name)
            .collect();
    }
    let Some(first) = overloads.first() else {
        return Err(format!("function {} does not exist", display_name(&c.name)));
    };
    let Some(args) = &c.args else { return Ok(()) };
    if overloads
        .iter()
        .any(|f| same_arguments(args, &f.identity_arguments))
    {
        return Ok(());
    }
    let found = overloads
        .iter()
        .map(|f| format!("({})", f.identity_arguments))
        .collect::<Vec<_>>();
    Err(format!(
        "function {} takes {}, expected ({args})",
        qualified(&first.schema, &first.name),
        found.join(" or ")
    ))
}

fn view(catalog: &Catalog, c: &ViewCheck) -> Verdict {
    let Some(v) = find_qualified(&catalog.views, &c.name, |v| (&v.schema, &v.name)) else {
        if let Some(t) = find_qualified(&catalog.tables, &c.name, |t| (&t.schema, &t.name)) {
            return Err(format!(
                "{} is a table, not a view",
                qualified(&t.schema, &t.name)
            ));
        }
        return Err(format!("view {} does not exist", display_name(&c.name)));
    };
    let name = qualified(&v.schema, &v.name);
    match c.materialized {
        Some(true) if !v.materialized => Err(format!(
            "view {name} is not materialized, expected a materialized view"
        )),
        Some(false) if v.materialized => Err(format!(
            "{name} is a materialized view, expected a plain view"
        )),
        _ => Ok(()),
    }
}

fn extension(catalog: &Catalog, c: &ExtensionCheck) -> Verdict {
    match find_by(&catalog.extensions, &c.name, |e| &e.name) {
        Some(_) => Ok(()),
        None => Err(format!("extension {} is not installed", c.name)),
    }
}

fn enumeration(catalog: &Catalog, c: &EnumCheck) -> Verdict {
    let Some(e) = find_qualified(&catalog.enums, &c.name, |e| (&e.schema, &e.name)) else {
        return Err(format!("enum {} does not exist", display_name(&c.name)));
    };
    if e.values == c.values {
        return Ok(());
    }
    Err(format!(
        "enum {} has values ({}), expected ({})",
        qualified(&e.schema, &e.name),
        e.values.join(", "),
        c.values.join(", ")
    ))
}

fn rls(catalog: &Catalog, c: &RlsCheck) -> Verdict {
    let forced = c.forced == Some(true);
    let tables: Vec<&Table> = match (&c.table, &c.schema) {
        (Some(name), _) => vec![find_table(catalog, name)?],
        (None, Some(schema)) => {
            let Some(s) = find_by(&catalog.schemas, schema, |s| &s.name) else {
                return Err(format!("schema {schema} does not exist"));
            };
            let tables: Vec<&Table> = catalog
                .tables
                .iter()
                .filter(|t| t.schema == s.name)
                .collect();
            if tables.is_empty() {
                return Err(format!("schema {} has no tables", s.name));
            }
            tables
        }
        (None, None) => return Err("an rls check needs `table` or `schema`".to_owned()),
    };
    let disabled: Vec<String> = tables
        .iter()
        .filter(|t| !t.rls_enabled)
        .map(|t| qualified(&t.schema, &t.name))
        .collect();
    let unforced: Vec<String> = tables
        .iter()
        .filter(|t| forced && t.rls_enabled && !t.rls_forced)
        .map(|t| qualified(&t.schema, &t.name))
        .collect();
    let mut reasons = Vec::new();
    if !disabled.is_empty() {
        reasons.push(format!(
            "row level security is not enabled on {}",
            disabled.join(", ")
        ));
    }
    if !unforced.is_empty() {
        reasons.push(format!(
            "row level security is enabled but not forced on {}",
            unforced.join(", ")
        ));
    }
    if reasons.is_empty() {
        Ok(())
    } else {
        Err(reasons.join("; "))
    }
}

fn policies(catalog: &Catalog, c: &PoliciesCheck) -> Verdict {
    let t = find_table(catalog, &c.table)?;
    let on = qualified(&t.schema, &t.name);
    let listed = || {
        list_or_none(
            t.policies
                .iter()
                .map(|p| format!("{} ({})", p.name, p.command))
                .collect(),
            "none",
        )
    };
    let count = t.policies.len() as u64;
    let mut reasons = Vec::new();
    let has = |n: u64| match n {
        1 => "1 policy".to_owned(),
        n => format!("{n} policies"),
    };
    if let Some(wanted) = c.count
        && count != wanted
    {
        reasons.push(format!(
            "{on} has {}: {}; expected exactly {wanted}",
            has(count),
            listed()
        ));
    }
    if let Some(wanted) = c.at_least
        && count < wanted
    {
        reasons.push(format!(
            "{on} has {}: {}; expected at least {wanted}",
            has(count),
            listed()
        ));
    }
    match (&c.name, c.command) {
        (Some(name), command) => match find_by(&t.policies, name, |p| &p.name) {
            None => reasons.push(format!(
                "policy {name} on {on} does not exist; its policies: {}",
                listed()
            )),
            Some(p) => {
                if let Some(command) = command
                    && p.command != command.sql()
                {
                    reasons.push(format!(
                        "policy {} on {on} is for {}, expected {}",
                        p.name,
                        p.command,
                        command.sql()
                    ));
                }
            }
        },
        (None, Some(command)) => {
            if !t.policies.iter().any(|p| p.command == command.sql()) {
                reasons.push(format!(
                    "{on} has no policy for {}; its policies: {}",
                    command.sql(),
                    listed()
                ));
            }
        }
        (None, None) => {}
    }
    if reasons.is_empty() {
        Ok(())
    } else {
        Err(reasons.join("; "))
    }
}

fn fk_indexes(facts: &Loaded, c: &FkIndexesCheck) -> Verdict {
    let catalog = &facts.catalog;
    let (schema, table) = match (&c.table, &c.schema) {
        (Some(name), _) => {
            let t = find_table(catalog, name)?;
            (t.schema.clone(), Some(t.name.clone()))
        }
        (None, Some(schema)) => match find_by(&catalog.schemas, schema, |s| &s.name) {
            Some(s) => (s.name.clone(), None),
            None => return Err(format!("schema {schema} does not exist")),
        },
        (None, None) => return Err("an fk_indexes check needs `schema` or `table`".to_owned()),
    };
    let mut uncovered = Vec::new();
    for fk in facts.constraints.iter().filter(|k| {
        k.kind == ConstraintType::ForeignKey
            && k.schema == schema
            && table.as_ref().is_none_or(|t| *t == k.table)
    }) {
        let covered = facts.indexes.iter().any(|i| {
            i.schema == fk.schema
                && i.table == fk.table
                && i.valid
                && i.predicate.is_none()
                && i.key_columns.len() >= fk.columns.len()
                && fk
                    .columns
                    .iter()
                    .all(|col| i.key_columns[..fk.columns.len()].contains(col))
        });
        if !covered {
            uncovered.push(format!(
                "{} on {} ({})",
                fk.name,
                qualified(&fk.schema, &fk.table),
                fk.columns.join(", ")
            ));
        }
    }
    match uncovered.len() {
        0 => Ok(()),
        1 => Err(format!(
            "no index covers foreign key {}: create an index on those columns",
            uncovered[0]
        )),
        _ => Err(format!(
            "no index covers foreign keys {}: create an index on each one's columns",
            uncovered.join("; ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_arguments_compare_with_or_without_names() {
        assert!(same_arguments("bigint", "p_account bigint"));
        assert!(same_arguments(
            "bigint, timestamptz",
            "p_account bigint, p_since timestamp with time zone"
        ));
        assert!(same_arguments("p_account bigint", "p_account bigint"));
        assert!(same_arguments("", ""));
        assert!(same_arguments("character varying", "character varying"));
        assert!(!same_arguments("varchar(10)[]", "x character varying[]"));
        assert!(same_arguments("varchar[]", "x character varying[]"));
        assert!(!same_arguments("bigint", "text"));
        assert!(!same_arguments("bigint", "a bigint, b bigint"));
        assert!(same_arguments("VARIADIC text[]", "VARIADIC parts text[]"));
        assert_eq!(
            split_args("a numeric(10,2), b text"),
            ["a numeric(10,2)", "b text"]
        );
    }
}
