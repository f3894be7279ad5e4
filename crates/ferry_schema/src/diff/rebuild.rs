//! What must be dropped and created again, rather than changed in place, and everything that
//! depends on it.
//!
//! Some changes PostgreSQL cannot make in place: a view whose query changed, an index or a
//! constraint whose definition changed, a function whose signature or result changed, an
//! enum that lost a value, a table whose partition key changed. And some in-place changes
//! are refused while something depends on the object: a column's type cannot change under a
//! view or a policy that reads it, a function cannot be dropped under a trigger that calls
//! it. This module works out the whole set first, as a fixpoint over "mentions": every
//! deparsed definition in the model names objects with their schema, so a view that names
//! `public.users`, or a trigger that names `public.touch(`, depends on them. Mentions may
//! over-approximate (rebuilding a view that did not need it is harmless and leaves the same
//! schema); they never miss a qualified reference.

use std::collections::{BTreeMap, BTreeSet};

use super::{DiffOptions, call_prefix, id, mentions, q};
use crate::model::*;

pub(crate) type Key2 = (String, String);
pub(crate) type Key3 = (String, String, String);

/// Everything that is dropped and created again, and the facts the plan needs about it.
#[derive(Debug, Default)]
pub(crate) struct Rebuilds {
    /// Tables dropped and created again (their partition key changed, or their parent was).
    pub tables: BTreeSet<Key2>,
    /// Tables (qualified) whose columns are dropped, re-created or change type: whatever
    /// reads them (views, policies, triggers) is rebuilt.
    pub changed_tables: BTreeSet<String>,
    /// Tables (qualified) with a column whose type changes: foreign keys from and to them
    /// are rebuilt (their two sides may be briefly incompatible).
    pub retyped_tables: BTreeSet<String>,
    /// The retyped columns (quoted) of each table in `retyped_tables`.
    pub retyped_columns: BTreeMap<String, BTreeSet<String>>,
    pub views: BTreeSet<Key2>,
    /// Functions by (schema, name, identity arguments).
    pub functions: BTreeSet<Key3>,
    /// Enums and domains renamed out of the way and created again.
    pub types: BTreeSet<Key2>,
    /// Constraints by (schema, table, name).
    pub constraints: BTreeSet<Key3>,
    /// Indexes by (schema, index name).
    pub indexes: BTreeSet<Key2>,
    pub triggers: BTreeSet<Key3>,
    pub policies: BTreeSet<Key3>,
    /// Columns dropped and added again (a generated expression that cannot change in place).
    pub columns: BTreeSet<Key3>,
    /// `public.f(` of every function dropped (removed or rebuilt).
    pub dropped_calls: BTreeSet<String>,
    /// Qualified names of every view dropped (removed or rebuilt).
    pub dropped_views: BTreeSet<String>,
    /// Qualified names of rebuilt types.
    pub type_names: BTreeSet<String>,
}

pub(crate) fn find(from: &Catalog, to: &Catalog, options: &DiffOptions) -> Rebuilds {
    let mut r = Rebuilds::default();
    let to_tables: BTreeMap<Key2, &Table> = to
        .tables
        .iter()
        .map(|t| ((t.schema.clone(), t.name.clone()), t))
        .collect();

    // Types: an enum that lost or reordered a value; a domain over another base type.
    let to_enums: BTreeMap<Key2, &EnumType> = to
        .enums
        .iter()
        .map(|e| ((e.schema.clone(), e.name.clone()), e))
        .collect();
    for e in &from.enums {
        if let Some(new) = to_enums.get(&(e.schema.clone(), e.name.clone()))
            && !is_subsequence(&e.values, &new.values)
        {
            r.types.insert((e.schema.clone(), e.name.clone()));
        }
    }
    let to_domains: BTreeMap<Key2, &Domain> = to
        .domains
        .iter()
        .map(|d| ((d.schema.clone(), d.name.clone()), d))
        .collect();
    loop {
        let names: BTreeSet<String> = r.types.iter().map(|(s, n)| q(s, n)).collect();
        let mut grew = false;
        for d in &from.domains {
            let key = (d.schema.clone(), d.name.clone());
            if r.types.contains(&key) {
                continue;
            }
            let Some(new) = to_domains.get(&key) else {
                continue;
            };
            if new.data_type != d.data_type
                || new.collation != d.collation
                || names.iter().any(|n| mentions(&d.data_type, n))
            {
                r.types.insert(key);
                grew = true;
            }
        }
        // A composite type a table column uses cannot change its attributes in place.
        for c in &from.composites {
            let key = (c.schema.clone(), c.name.clone());
            let name = q(&c.schema, &c.name);
            if r.types.contains(&key) {
                continue;
            }
            let Some(new) = to
                .composites
                .iter()
                .find(|n| n.schema == c.schema && n.name == c.name)
            else {
                continue;
            };
            let changed = new.attributes != c.attributes
                || c.attributes
                    .iter()
                    .any(|a| names.iter().any(|n| mentions(&a.data_type, n)));
            let used = from
                .tables
                .iter()
                .flat_map(|t| &t.columns)
                .any(|col| mentions(&col.data_type, &name));
            if changed && used {
                r.types.insert(key);
                grew = true;
            }
        }
        if !grew {
            break;
        }
    }
    r.type_names = r.types.iter().map(|(s, n)| q(s, n)).collect();

    // Tables whose partition key changed, or a column of it changes type (PostgreSQL
    // refuses both in place), are rebuilt, and so are their partitions.
    for t in &from.tables {
        let Some(new) = to_tables.get(&(t.schema.clone(), t.name.clone())) else {
            continue;
        };
        let key_retyped = t.partition_by.as_deref().is_some_and(|key| {
            t.columns.iter().any(|c| {
                mentions_word(key, &id(&c.name))
                    && new.columns.iter().any(|n| {
                        n.name == c.name
                            && (n.data_type != c.data_type
                                || r.type_names.iter().any(|ty| mentions(&c.data_type, ty)))
                    })
            })
        });
        if new.partition_by != t.partition_by || key_retyped {
            r.tables.insert((t.schema.clone(), t.name.clone()));
        }
    }
    loop {
        let mut grew = false;
        for t in &from.tables {
            let key = (t.schema.clone(), t.name.clone());
            if let Some(p) = &t.partition_of
                && r.tables
                    .contains(&(p.parent_schema.clone(), p.parent.clone()))
                && to_tables.contains_key(&key)
                && r.tables.insert(key)
            {
                grew = true;
            }
        }
        if !grew {
            break;
        }
    }

    // Columns that change type, go away or are added again.
    for t in &from.tables {
        let key = (t.schema.clone(), t.name.clone());
        let name = q(&t.schema, &t.name);
        if r.tables.contains(&key) {
            r.changed_tables.insert(name);
            continue;
        }
        let Some(new) = to_tables.get(&key) else {
            continue;
        };
        for c in &t.columns {
            match new.columns.iter().find(|n| n.name == c.name) {
                None => {
                    r.changed_tables.insert(name.clone());
                }
                Some(n) => {
                    if n.data_type != c.data_type
                        || n.collation != c.collation
                        || r.type_names.iter().any(|ty| mentions(&c.data_type, ty))
                    {
                        r.changed_tables.insert(name.clone());
                        r.retyped_tables.insert(name.clone());
                        r.retyped_columns
                            .entry(name.clone())
                            .or_default()
                            .insert(id(&c.name));
                    }
                    if must_recreate_column(c, n, options.server_major) {
                        r.columns
                            .insert((t.schema.clone(), t.name.clone(), c.name.clone()));
                        r.changed_tables.insert(name.clone());
                    }
                }
            }
        }
        // A generated column reading a column whose type changes is added again after it.
        let retyped: Vec<String> = t
            .columns
            .iter()
            .filter(|c| {
                new.columns.iter().any(|n| {
                    n.name == c.name
                        && (n.data_type != c.data_type
                            || n.collation != c.collation
                            || r.type_names.iter().any(|ty| mentions(&c.data_type, ty)))
                })
            })
            .map(|c| id(&c.name))
            .collect();
        for c in &t.columns {
            if c.generated.is_some()
                && let Some(expr) = &c.default
                && retyped.iter().any(|col| mentions_word(expr, col))
                && new.columns.iter().any(|n| n.name == c.name)
            {
                r.columns
                    .insert((t.schema.clone(), t.name.clone(), c.name.clone()));
            }
        }
    }

    // Functions whose signature or result changed cannot be replaced.
    let to_functions: BTreeMap<Key3, &Function> =
        to.functions.iter().map(|f| (function_key(f), f)).collect();
    for f in &from.functions {
        match to_functions.get(&function_key(f)) {
            None => {
                r.dropped_calls.insert(call_prefix(f));
            }
            Some(new) => {
                if header(&f.definition) != header(&new.definition)
                    || f.procedure != new.procedure
                    || r.type_names
                        .iter()
                        .any(|n| mentions(header(&f.definition), n))
                {
                    r.functions.insert(function_key(f));
                    r.dropped_calls.insert(call_prefix(f));
                }
            }
        }
    }

    // Views: changed, or reading something dropped, rebuilt or retyped; and functions whose
    // signature names a rebuilt relation. One feeds the other: iterate to a fixpoint.
    let to_views: BTreeMap<Key2, &View> = to
        .views
        .iter()
        .map(|v| ((v.schema.clone(), v.name.clone()), v))
        .collect();
    for v in &from.views {
        if !to_views.contains_key(&(v.schema.clone(), v.name.clone())) {
            r.dropped_views.insert(q(&v.schema, &v.name));
        }
    }
    loop {
        let mut grew = false;
        for v in &from.views {
            let key = (v.schema.clone(), v.name.clone());
            if r.views.contains(&key) {
                continue;
            }
            let Some(new) = to_views.get(&key) else {
                continue;
            };
            let changed = new.definition != v.definition
                || new.options != v.options
                || new.materialized != v.materialized
                || v.depends_on.iter().any(|d| r.dropped_views.contains(d))
                || reads_any(&v.definition, &r);
            if changed {
                r.views.insert(key);
                r.dropped_views.insert(q(&v.schema, &v.name));
                grew = true;
            }
        }
        for f in &from.functions {
            let key = function_key(f);
            if !f.uses_relations || r.functions.contains(&key) || !to_functions.contains_key(&key) {
                continue;
            }
            let head = header(&f.definition);
            if r.dropped_views.iter().any(|v| mentions(head, v))
                || r.tables
                    .iter()
                    .any(|(s, n)| mentions(&f.definition, &q(s, n)))
            {
                r.functions.insert(key);
                r.dropped_calls.insert(call_prefix(f));
                grew = true;
            }
        }
        if !grew {
            break;
        }
    }

    // What hangs on tables that stay: constraints, indexes, triggers, policies.
    let to_indexes: BTreeMap<Key2, &Index> = to
        .tables
        .iter()
        .flat_map(|t| t.indexes.iter().map(move |i| (t.schema.clone(), i)))
        .chain(
            to.views
                .iter()
                .flat_map(|v| v.indexes.iter().map(move |i| (v.schema.clone(), i))),
        )
        .map(|(s, i)| ((s, i.name.clone()), i))
        .collect();
    let mut keys_changed: BTreeSet<String> = BTreeSet::new();
    for t in &from.tables {
        let tkey = (t.schema.clone(), t.name.clone());
        let tname = q(&t.schema, &t.name);
        let Some(new) = to_tables.get(&tkey) else {
            continue;
        };
        if r.tables.contains(&tkey) {
            continue;
        }
        let recreated: Vec<String> = t
            .columns
            .iter()
            .filter(|c| {
                r.columns
                    .contains(&(t.schema.clone(), t.name.clone(), c.name.clone()))
            })
            .map(|c| id(&c.name))
            .collect();
        let uses_recreated = |sql: &str| recreated.iter().any(|c| mentions_word(sql, c.as_str()));
        for c in t
            .constraints
            .iter()
            .filter(|c| c.kind != ConstraintKind::ForeignKey)
        {
            let stays = new
                .constraints
                .iter()
                .find(|n| n.name == c.name && n.kind == c.kind);
            // Only a primary key or unique constraint can back a foreign key.
            let backs_keys = matches!(c.kind, ConstraintKind::PrimaryKey | ConstraintKind::Unique);
            let rebuild = match stays {
                None => {
                    if backs_keys {
                        keys_changed.insert(tname.clone());
                    }
                    false
                }
                Some(n) => {
                    !same_or_validated(&c.definition, &n.definition)
                        || r.mentions_dropped(&c.definition)
                        || uses_recreated(&c.definition)
                }
            };
            if rebuild {
                if backs_keys {
                    keys_changed.insert(tname.clone());
                }
                r.constraints
                    .insert((t.schema.clone(), t.name.clone(), c.name.clone()));
            }
        }
        for i in &t.indexes {
            // Only a unique index can back a foreign key.
            let unique = i.definition.starts_with("CREATE UNIQUE INDEX ");
            match to_indexes.get(&(t.schema.clone(), i.name.clone())) {
                None => {
                    if unique {
                        keys_changed.insert(tname.clone());
                    }
                }
                Some(n) => {
                    if n.definition != i.definition
                        || r.mentions_dropped(&i.definition)
                        || uses_recreated(&i.definition)
                    {
                        if unique {
                            keys_changed.insert(tname.clone());
                        }
                        r.indexes.insert((t.schema.clone(), i.name.clone()));
                    }
                }
            }
        }
        let table_changed = r.changed_tables.contains(&tname);
        for tr in &t.triggers {
            if let Some(n) = new.triggers.iter().find(|n| n.name == tr.name)
                && (n.definition != tr.definition
                    || table_changed
                    || r.mentions_dropped(&tr.definition))
            {
                r.triggers
                    .insert((t.schema.clone(), t.name.clone(), tr.name.clone()));
            }
        }
        for p in &t.policies {
            if let Some(n) = new.policies.iter().find(|n| n.name == p.name) {
                let text = format!(
                    "{} {}",
                    p.using.as_deref().unwrap_or(""),
                    p.with_check.as_deref().unwrap_or("")
                );
                let incompatible = n.command != p.command
                    || n.permissive != p.permissive
                    || (p.using.is_some() && n.using.is_none())
                    || (p.with_check.is_some() && n.with_check.is_none());
                if incompatible || table_changed || reads_any(&text, &r) {
                    r.policies
                        .insert((t.schema.clone(), t.name.clone(), p.name.clone()));
                }
            }
        }
    }
    for v in &from.views {
        if r.views.contains(&(v.schema.clone(), v.name.clone())) {
            continue;
        }
        for i in &v.indexes {
            if let Some(n) = to_indexes.get(&(v.schema.clone(), i.name.clone()))
                && (n.definition != i.definition || r.mentions_dropped(&i.definition))
            {
                r.indexes.insert((v.schema.clone(), i.name.clone()));
            }
        }
    }

    // Foreign keys: changed, referencing a table whose keys change or that is rebuilt, or
    // with a column on either side whose type changes (the two sides may be briefly
    // incompatible).
    let mut unstable: BTreeSet<String> = keys_changed;
    unstable.extend(r.tables.iter().map(|(s, n)| q(s, n)));
    let no_columns = BTreeSet::new();
    for t in &from.tables {
        let tkey = (t.schema.clone(), t.name.clone());
        let Some(new) = to_tables.get(&tkey) else {
            continue;
        };
        if r.tables.contains(&tkey) {
            continue;
        }
        let tname = q(&t.schema, &t.name);
        for c in t
            .constraints
            .iter()
            .filter(|c| c.kind == ConstraintKind::ForeignKey)
        {
            let Some(n) = new
                .constraints
                .iter()
                .find(|n| n.name == c.name && n.kind == c.kind)
            else {
                continue;
            };
            let referenced = references(&c.definition);
            let (own_columns, referenced_columns) = key_columns(&c.definition);
            let own_retyped = r.retyped_columns.get(&tname).unwrap_or(&no_columns);
            let referenced_retyped = referenced
                .and_then(|rt| r.retyped_columns.get(rt))
                .unwrap_or(&no_columns);
            if !same_or_validated(&c.definition, &n.definition)
                || own_columns.iter().any(|col| own_retyped.contains(col))
                || referenced_columns
                    .iter()
                    .any(|col| referenced_retyped.contains(col))
                || referenced.is_some_and(|rt| unstable.contains(rt))
            {
                r.constraints
                    .insert((t.schema.clone(), t.name.clone(), c.name.clone()));
            }
        }
    }
    r
}

impl Rebuilds {
    /// Whether a definition names a function or type that is dropped.
    pub(crate) fn mentions_dropped(&self, sql: &str) -> bool {
        self.dropped_calls.iter().any(|c| mentions(sql, c))
            || self.type_names.iter().any(|n| mentions(sql, n))
    }
}

/// Whether an expression reads something that is dropped, rebuilt or retyped.
fn reads_any(sql: &str, r: &Rebuilds) -> bool {
    r.mentions_dropped(sql)
        || r.changed_tables.iter().any(|t| mentions(sql, t))
        || r.dropped_views.iter().any(|v| mentions(sql, v))
}

/// Whether `old` and `new` are the same constraint, or `new` is `old` validated.
pub(crate) fn same_or_validated(old: &str, new: &str) -> bool {
    old == new || old.strip_suffix(" NOT VALID") == Some(new)
}

/// The referenced table of a foreign key definition (`… REFERENCES public.users(id) …`).
pub(crate) fn references(definition: &str) -> Option<&str> {
    let rest = &definition[definition.find("REFERENCES ")? + "REFERENCES ".len()..];
    let mut in_quotes = false;
    for (i, ch) in rest.char_indices() {
        match ch {
            '"' => in_quotes = !in_quotes,
            '(' | ' ' if !in_quotes => return Some(&rest[..i]),
            _ => {}
        }
    }
    Some(rest)
}

/// The columns of a foreign key definition, `FOREIGN KEY (a, b) REFERENCES t(x, y) …`: its
/// own and the referenced ones, as written (quoted when needed).
fn key_columns(definition: &str) -> (Vec<String>, Vec<String>) {
    let list = |text: &str| -> Vec<String> {
        let Some(open) = text.find('(') else {
            return Vec::new();
        };
        let Some(close) = text[open..].find(')') else {
            return Vec::new();
        };
        text[open + 1..open + close]
            .split(", ")
            .map(|c| c.trim().to_owned())
            .collect()
    };
    match definition.find(" REFERENCES ") {
        Some(at) => (list(&definition[..at]), list(&definition[at..])),
        None => (list(definition), Vec::new()),
    }
}

/// A column name (quoted as in definitions) as a whole word.
fn mentions_word(sql: &str, word: &str) -> bool {
    let bytes = sql.as_bytes();
    let mut from = 0;
    while let Some(at) = sql[from..].find(word) {
        let start = from + at;
        let end = start + word.len();
        let ok = |b: u8| !(b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b == b'"');
        if (start == 0 || ok(bytes[start - 1])) && (end == bytes.len() || ok(bytes[end])) {
            return true;
        }
        from = start + 1;
    }
    false
}

pub(crate) fn function_key(f: &Function) -> Key3 {
    (
        f.schema.clone(),
        f.name.clone(),
        f.identity_arguments.clone(),
    )
}

/// `pg_get_functiondef` up to its `LANGUAGE` line: the signature with argument names and
/// defaults, and the result. What `CREATE OR REPLACE` cannot change.
pub(crate) fn header(definition: &str) -> &str {
    match definition.find("\n LANGUAGE ") {
        Some(at) => &definition[..at],
        None => definition,
    }
}

/// Whether `old` keeps its values in the same order within `new` (values may be added
/// anywhere, in place, with `ALTER TYPE … ADD VALUE`).
fn is_subsequence(old: &[String], new: &[String]) -> bool {
    let mut it = new.iter();
    old.iter().all(|v| it.any(|n| n == v))
}

/// A generated column whose expression cannot change in place: it is dropped and added.
pub(crate) fn must_recreate_column(old: &Column, new: &Column, major: u32) -> bool {
    match (old.generated, new.generated) {
        (None, None) => false,
        // A column becoming generated, or a virtual one becoming plain (no DROP EXPRESSION).
        (None, Some(_)) | (Some(Generated::Virtual), None) => true,
        (Some(Generated::Stored), None) => major < 13,
        (Some(a), Some(b)) => {
            a != b || (old.default != new.default && (major < 17 || a == Generated::Virtual))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_values_added_anywhere_are_in_place() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(is_subsequence(&v(&["a", "c"]), &v(&["a", "b", "c"])));
        assert!(!is_subsequence(&v(&["a", "c"]), &v(&["c", "a"])));
        assert!(!is_subsequence(&v(&["a", "c"]), &v(&["a"])));
    }

    #[test]
    fn referenced_tables_are_read_from_the_definition() {
        assert_eq!(
            references("FOREIGN KEY (a) REFERENCES public.users(id) ON DELETE CASCADE"),
            Some("public.users")
        );
        assert_eq!(
            references("FOREIGN KEY (a) REFERENCES \"Odd Schema\".\"A (b)\"(id)"),
            Some("\"Odd Schema\".\"A (b)\"")
        );
        assert!(same_or_validated(
            "CHECK ((a > 0)) NOT VALID",
            "CHECK ((a > 0))"
        ));
        assert!(!same_or_validated(
            "CHECK ((a > 0))",
            "CHECK ((a > 0)) NOT VALID"
        ));
    }

    #[test]
    fn foreign_key_columns_are_read_from_the_definition() {
        assert_eq!(
            key_columns("FOREIGN KEY (a, \"B\") REFERENCES public.t(x, y) ON DELETE CASCADE"),
            (
                vec!["a".to_owned(), "\"B\"".to_owned()],
                vec!["x".to_owned(), "y".to_owned()]
            )
        );
    }

    #[test]
    fn headers_stop_at_the_language() {
        let def = "CREATE OR REPLACE FUNCTION public.f(a integer)\n RETURNS integer\n LANGUAGE sql\nAS $function$select a$function$\n";
        assert_eq!(
            header(def),
            "CREATE OR REPLACE FUNCTION public.f(a integer)\n RETURNS integer"
        );
    }
}
