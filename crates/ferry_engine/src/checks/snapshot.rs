//! `ferry verify --snapshot`: checks that pin down the schema as it is now, as a starting point
//! for a project's own `checks/`.
//!
//! Written from the same reads the checks use, so the file passes on the database it was taken
//! from: extensions, enums, then per table its columns (types, NOT NULL, defaults), row level
//! security, policies (how many, and each by name and command), constraints, indexes and
//! triggers, then views and functions. Ids are `<kind>.<schema>.<name>` (constraints, policies
//! and triggers add the table; functions their arguments), so they are unique and stable.

use std::fmt::Write;

use ferry_schema::model::TriggerEnabled;
use postgres::Client;

use super::schema::{self, Loaded};

/// A written snapshot.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The check file, TOML.
    pub text: String,
    /// How many checks it holds.
    pub checks: usize,
}

/// Reads the schema on `client` and writes checks for it. `about` (the target, no password)
/// goes into the header comment.
pub fn snapshot(
    client: &mut Client,
    tracking_schema: &str,
    about: &str,
) -> Result<Snapshot, crate::Error> {
    let facts = schema::load(client, tracking_schema)?;
    Ok(render(&facts, about))
}

enum Val<'a> {
    Str(&'a str),
    Bool(bool),
    Int(usize),
    List(Vec<String>),
    Map(Vec<(String, String)>),
}

struct Writer {
    out: String,
    checks: usize,
}

impl Writer {
    fn comment(&mut self, text: &str) {
        let _ = writeln!(self.out, "# {text}");
    }

    fn check(&mut self, id: &str, kind: &str, fields: &[(&str, Val<'_>)]) {
        self.checks += 1;
        let _ = writeln!(self.out, "[[check]]");
        let _ = writeln!(self.out, "id = {}", quote(id));
        let _ = writeln!(self.out, "kind = {}", quote(kind));
        for (key, value) in fields {
            let text = match value {
                Val::Str(s) => quote(s),
                Val::Bool(b) => b.to_string(),
                Val::Int(n) => n.to_string(),
                Val::List(items) => format!(
                    "[{}]",
                    items
                        .iter()
                        .map(|i| quote(i))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                Val::Map(pairs) => format!(
                    "{{ {} }}",
                    pairs
                        .iter()
                        .map(|(k, v)| format!("{} = {}", key_of(k), quote(v)))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            let _ = writeln!(self.out, "{key} = {text}");
        }
        self.out.push('\n');
    }
}

fn render(facts: &Loaded, about: &str) -> Snapshot {
    let catalog = &facts.catalog;
    let mut w = Writer {
        out: String::new(),
        checks: 0,
    };
    let _ = writeln!(
        w.out,
        "# The schema of {about}, pinned down by `ferry verify --snapshot`.\n\
         # A starting point: edit, split or delete these checks freely; ids must stay unique.\n"
    );

    if !catalog.extensions.is_empty() {
        w.comment("extensions");
    }
    for e in &catalog.extensions {
        w.check(
            &format!("extension.{}", e.name),
            "extension",
            &[("name", Val::Str(&e.name))],
        );
    }
    if !catalog.enums.is_empty() {
        w.comment("enums");
    }
    for e in &catalog.enums {
        let name = qualify(&e.schema, &e.name);
        w.check(
            &format!("enum.{}.{}", e.schema, e.name),
            "enum",
            &[
                ("name", Val::Str(&name)),
                ("values", Val::List(e.values.clone())),
            ],
        );
    }

    for t in &catalog.tables {
        let table = qualify(&t.schema, &t.name);
        let id = format!("{}.{}", t.schema, t.name);
        w.comment(&format!("table {}.{}", t.schema, t.name));
        let mut fields = vec![("table", Val::Str(&table))];
        if !t.columns.is_empty() {
            fields.push((
                "columns",
                Val::Map(
                    t.columns
                        .iter()
                        .map(|c| (c.name.clone(), c.data_type.clone()))
                        .collect(),
                ),
            ));
        }
        let not_null: Vec<String> = t
            .columns
            .iter()
            .filter(|c| c.not_null)
            .map(|c| c.name.clone())
            .collect();
        if !not_null.is_empty() {
            fields.push(("not_null", Val::List(not_null)));
        }
        let defaults: Vec<(String, String)> = t
            .columns
            .iter()
            .filter_map(|c| c.default.clone().map(|d| (c.name.clone(), d)))
            .collect();
        if !defaults.is_empty() {
            fields.push(("defaults", Val::Map(defaults)));
        }
        w.check(&format!("table.{id}"), "table", &fields);

        if t.rls_enabled {
            let mut fields = vec![("table", Val::Str(&table))];
            if t.rls_forced {
                fields.push(("forced", Val::Bool(true)));
            }
            w.check(&format!("rls.{id}"), "rls", &fields);
        }
        if !t.policies.is_empty() {
            w.check(
                &format!("policies.{id}"),
                "policies",
                &[
                    ("table", Val::Str(&table)),
                    ("count", Val::Int(t.policies.len())),
                ],
            );
            for p in &t.policies {
                let command = p.command.to_lowercase();
                w.check(
                    &format!("policy.{id}.{}", p.name),
                    "policies",
                    &[
                        ("table", Val::Str(&table)),
                        ("name", Val::Str(&p.name)),
                        ("command", Val::Str(&command)),
                    ],
                );
            }
        }
        for c in &t.constraints {
            let Some(info) = facts
                .constraints
                .iter()
                .find(|k| k.schema == t.schema && k.table == t.name && k.name == c.name)
            else {
                continue;
            };
            let mut fields = vec![
                ("table", Val::Str(&table)),
                ("type", Val::Str(info.kind.key())),
                ("name", Val::Str(&c.name)),
            ];
            if !info.columns.is_empty() {
                fields.push(("columns", Val::List(info.columns.clone())));
            }
            let references = info.references.as_ref().map(|(s, n)| qualify(s, n));
            if let Some(references) = &references {
                fields.push(("references", Val::Str(references)));
            }
            if let Some(action) = info.on_delete {
                fields.push(("on_delete", Val::Str(action.key())));
            }
            if let Some(action) = info.on_update {
                fields.push(("on_update", Val::Str(action.key())));
            }
            w.check(
                &format!("constraint.{id}.{}", c.name),
                "constraint",
                &fields,
            );
        }
        for i in &t.indexes {
            let Some(info) = facts
                .indexes
                .iter()
                .find(|x| x.schema == t.schema && x.table == t.name && x.name == i.name)
            else {
                continue;
            };
            index_check(&mut w, &table, &t.schema, info);
        }
        for tr in &t.triggers {
            let enabled = matches!(tr.enabled, TriggerEnabled::Origin | TriggerEnabled::Always);
            w.check(
                &format!("trigger.{id}.{}", tr.name),
                "trigger",
                &[
                    ("table", Val::Str(&table)),
                    ("name", Val::Str(&tr.name)),
                    ("enabled", Val::Bool(enabled)),
                ],
            );
        }
    }

    if !catalog.views.is_empty() {
        w.comment("views");
    }
    for v in &catalog.views {
        let name = qualify(&v.schema, &v.name);
        w.check(
            &format!("view.{}.{}", v.schema, v.name),
            "view",
            &[
                ("name", Val::Str(&name)),
                ("materialized", Val::Bool(v.materialized)),
            ],
        );
        for i in &v.indexes {
            if let Some(info) = facts
                .indexes
                .iter()
                .find(|x| x.schema == v.schema && x.table == v.name && x.name == i.name)
            {
                index_check(&mut w, &name, &v.schema, info);
            }
        }
    }
    if !catalog.functions.is_empty() {
        w.comment("functions and procedures");
    }
    for f in &catalog.functions {
        let name = qualify(&f.schema, &f.name);
        w.check(
            &format!("function.{}.{}({})", f.schema, f.name, f.identity_arguments),
            "function",
            &[
                ("name", Val::Str(&name)),
                ("args", Val::Str(&f.identity_arguments)),
            ],
        );
    }
    Snapshot {
        text: w.out,
        checks: w.checks,
    }
}

fn index_check(w: &mut Writer, table: &str, schema: &str, info: &schema::IndexInfo) {
    let mut fields = vec![
        ("table", Val::Str(table)),
        ("name", Val::Str(&info.name)),
        ("columns", Val::List(info.keys.clone())),
        ("unique", Val::Bool(info.unique)),
    ];
    if let Some(predicate) = &info.predicate {
        fields.push(("where", Val::Str(predicate)));
    }
    w.check(&format!("index.{schema}.{}", info.name), "index", &fields);
}

/// `schema.name`, each part quoted when it is not a plain lowercase name.
fn qualify(schema: &str, name: &str) -> String {
    fn part(p: &str) -> String {
        let plain = p
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
            && p.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if plain {
            p.to_owned()
        } else {
            format!("\"{}\"", p.replace('"', "\"\""))
        }
    }
    format!("{}.{}", part(schema), part(name))
}

/// A TOML basic string.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A TOML key: bare when it can be, else quoted.
fn key_of(key: &str) -> String {
    if !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        key.to_owned()
    } else {
        quote(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_keys_are_valid_toml() {
        let text = format!(
            "a = {}\n{} = 1\nb = {}\n",
            quote("it's \"x\"\\\n\u{1}"),
            key_of("we ird.key"),
            quote("plain")
        );
        let table: toml::Table = toml::from_str(&text).unwrap();
        assert_eq!(table["a"].as_str(), Some("it's \"x\"\\\n\u{1}"));
        assert_eq!(table["we ird.key"].as_integer(), Some(1));
        assert_eq!(key_of("created_at"), "created_at");
        assert_eq!(qualify("public", "users"), "public.users");
        assert_eq!(qualify("public", "My Table"), "public.\"My Table\"");
        assert_eq!(
            super::super::names::split_name(&qualify("App", "a.b")),
            ("App".to_owned(), "a.b".to_owned())
        );
    }
}
