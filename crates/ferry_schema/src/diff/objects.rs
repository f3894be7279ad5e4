//! The second pass for everything but tables: schemas, extensions, types, sequences,
//! functions, views, comments and privileges — created, changed in place, or dropped once
//! nothing uses them.

use std::collections::{BTreeMap, BTreeSet};

use super::rebuild::{Key2, function_key};
use super::{Action, Phase, Plan, function_object, id, q, quote_list};
use crate::dump::{self, literal, sequence_options, views_in_order};
use crate::model::*;

impl Plan<'_> {
    pub(crate) fn creates_and_alters(&mut self) {
        self.schemas_and_extensions();
        self.enums();
        self.domains();
        self.composites();
        self.sequences();
        self.functions();
        self.tables();
        self.views();
        self.late_drops();
        self.comments();
        self.privileges();
    }

    fn schemas_and_extensions(&mut self) {
        let to = self.to;
        for s in &to.schemas {
            if !self.base.schemas.iter().any(|b| b.name == s.name) {
                self.push(
                    Phase::CreateSchemas,
                    Action::Create,
                    format!("schema {}", id(&s.name)),
                    format!("CREATE SCHEMA {};", id(&s.name)),
                );
            }
        }
        for e in &to.extensions {
            match self.base.extensions.iter().find(|b| b.name == e.name) {
                None => self.push(
                    Phase::CreateExtensions,
                    Action::Create,
                    format!("extension {}", id(&e.name)),
                    format!(
                        "CREATE EXTENSION IF NOT EXISTS {} WITH SCHEMA {};",
                        id(&e.name),
                        id(&e.schema)
                    ),
                ),
                Some(b) if b.schema != e.schema => self.push(
                    Phase::CreateExtensions,
                    Action::Alter,
                    format!("extension {}", id(&e.name)),
                    format!(
                        "ALTER EXTENSION {} SET SCHEMA {};",
                        id(&e.name),
                        id(&e.schema)
                    ),
                ),
                Some(_) => {}
            }
        }
    }

    fn enums(&mut self) {
        let to = self.to;
        for e in &to.enums {
            let name = q(&e.schema, &e.name);
            let Some(old) = self
                .base
                .enums
                .iter()
                .find(|b| b.schema == e.schema && b.name == e.name)
            else {
                self.push(
                    Phase::Types,
                    Action::Create,
                    format!("type {name}"),
                    format!("CREATE TYPE {name} AS ENUM ({});", quote_list(&e.values)),
                );
                continue;
            };
            // In place: each new value next to its neighbour in the new order.
            let mut current = old.values.clone();
            let mut statements = Vec::new();
            for (i, value) in e.values.iter().enumerate() {
                if current.contains(value) {
                    continue;
                }
                let (sql, at) = if i > 0 {
                    let previous = &e.values[i - 1];
                    let at = current
                        .iter()
                        .position(|v| v == previous)
                        .map_or(0, |p| p + 1);
                    (
                        format!(
                            "ALTER TYPE {name} ADD VALUE {} AFTER {};",
                            literal(value),
                            literal(previous)
                        ),
                        at,
                    )
                } else if let Some(first) = current.first() {
                    (
                        format!(
                            "ALTER TYPE {name} ADD VALUE {} BEFORE {};",
                            literal(value),
                            literal(first)
                        ),
                        0,
                    )
                } else {
                    (
                        format!("ALTER TYPE {name} ADD VALUE {};", literal(value)),
                        0,
                    )
                };
                current.insert(at, value.clone());
                statements.push(sql);
            }
            for sql in statements {
                self.push(Phase::Types, Action::Alter, format!("type {name}"), sql);
            }
        }
    }

    fn domains(&mut self) {
        let to = self.to;
        for d in &to.domains {
            let name = q(&d.schema, &d.name);
            let object = format!("domain {name}");
            let Some(old) = self
                .base
                .domains
                .iter()
                .find(|b| b.schema == d.schema && b.name == d.name)
                .cloned()
            else {
                self.push(Phase::Types, Action::Create, object, dump::domain(d));
                continue;
            };
            let mut statements = Vec::new();
            if old.default != d.default {
                statements.push(match &d.default {
                    Some(default) => format!("ALTER DOMAIN {name} SET DEFAULT {default};"),
                    None => format!("ALTER DOMAIN {name} DROP DEFAULT;"),
                });
            }
            if old.not_null != d.not_null {
                statements.push(format!(
                    "ALTER DOMAIN {name} {} NOT NULL;",
                    if d.not_null { "SET" } else { "DROP" }
                ));
            }
            for c in &old.constraints {
                let new = d.constraints.iter().find(|n| n.name == c.name);
                if new.is_none_or(|n| {
                    !super::rebuild::same_or_validated(&c.definition, &n.definition)
                }) {
                    statements.push(format!(
                        "ALTER DOMAIN {name} DROP CONSTRAINT {};",
                        id(&c.name)
                    ));
                    self.forget(&format!("CONSTRAINT {} ON DOMAIN {name}", id(&c.name)));
                }
            }
            for c in &d.constraints {
                match old.constraints.iter().find(|o| o.name == c.name) {
                    Some(o) if o.definition == c.definition => {}
                    Some(o) if super::rebuild::same_or_validated(&o.definition, &c.definition) => {
                        statements.push(format!(
                            "ALTER DOMAIN {name} VALIDATE CONSTRAINT {};",
                            id(&c.name)
                        ));
                    }
                    _ => statements.push(format!(
                        "ALTER DOMAIN {name} ADD CONSTRAINT {} {};",
                        id(&c.name),
                        c.definition
                    )),
                }
            }
            for sql in statements {
                self.push(Phase::Types, Action::Alter, object.clone(), sql);
            }
        }
    }

    fn composites(&mut self) {
        let to = self.to;
        for t in &to.composites {
            let name = q(&t.schema, &t.name);
            let object = format!("type {name}");
            let Some(old) = self
                .base
                .composites
                .iter()
                .find(|b| b.schema == t.schema && b.name == t.name)
                .cloned()
            else {
                self.push(Phase::Types, Action::Create, object, dump::composite(t));
                continue;
            };
            for a in &old.attributes {
                if !t.attributes.iter().any(|n| n.name == a.name) {
                    self.push_destructive(
                        Phase::Types,
                        Action::Alter,
                        object.clone(),
                        format!("ALTER TYPE {name} DROP ATTRIBUTE {};", id(&a.name)),
                        format!("drops attribute {} of {name}", id(&a.name)),
                    );
                    self.forget(&format!("COLUMN {name}.{}", id(&a.name)));
                }
            }
            for a in &t.attributes {
                let typed = dump::attribute_type(a);
                match old.attributes.iter().find(|o| o.name == a.name) {
                    None => self.push(
                        Phase::Types,
                        Action::Alter,
                        object.clone(),
                        format!("ALTER TYPE {name} ADD ATTRIBUTE {} {typed};", id(&a.name)),
                    ),
                    Some(o) if o.data_type != a.data_type || o.collation != a.collation => self
                        .push(
                            Phase::Types,
                            Action::Alter,
                            object.clone(),
                            format!(
                                "ALTER TYPE {name} ALTER ATTRIBUTE {} TYPE {typed};",
                                id(&a.name)
                            ),
                        ),
                    Some(_) => {}
                }
            }
        }
    }

    fn sequences(&mut self) {
        let to = self.to;
        for s in &to.sequences {
            let name = q(&s.schema, &s.name);
            let options = sequence_options(s.start, s.increment, s.min, s.max, s.cache, s.cycle);
            match self
                .base
                .sequences
                .iter()
                .find(|b| b.schema == s.schema && b.name == s.name)
            {
                None => self.push(
                    Phase::Sequences,
                    Action::Create,
                    format!("sequence {name}"),
                    format!("CREATE SEQUENCE {name} AS {} {options};", s.data_type),
                ),
                Some(old) => {
                    let same = old.data_type == s.data_type
                        && old.start == s.start
                        && old.increment == s.increment
                        && old.min == s.min
                        && old.max == s.max
                        && old.cache == s.cache
                        && old.cycle == s.cycle;
                    if !same && (old.increment > 0) != (s.increment > 0) {
                        // The current value lies outside the new bounds: start again.
                        self.push_destructive(
                            Phase::Sequences,
                            Action::Alter,
                            format!("sequence {name}"),
                            format!(
                                "ALTER SEQUENCE {name} AS {} {options} RESTART;",
                                s.data_type
                            ),
                            format!("restarts {name} at {}: its position is lost", s.start),
                        );
                    } else if !same {
                        self.push(
                            Phase::Sequences,
                            Action::Alter,
                            format!("sequence {name}"),
                            format!("ALTER SEQUENCE {name} AS {} {options};", s.data_type),
                        );
                    }
                }
            }
            let old_owner = self
                .base
                .sequences
                .iter()
                .find(|b| b.schema == s.schema && b.name == s.name)
                .and_then(|b| b.owned_by.clone());
            if s.owned_by != old_owner
                && let Some(o) = &s.owned_by
            {
                self.push(
                    Phase::SequenceOwnership,
                    Action::Alter,
                    format!("sequence {name}"),
                    format!(
                        "ALTER SEQUENCE {name} OWNED BY {}.{};",
                        q(&o.schema, &o.table),
                        id(&o.column)
                    ),
                );
            }
        }
    }

    fn functions(&mut self) {
        let to = self.to;
        let base: BTreeMap<_, _> = self
            .base
            .functions
            .iter()
            .map(|f| (function_key(f), f.definition.clone()))
            .collect();
        for f in &to.functions {
            let changed = match base.get(&function_key(f)) {
                None => Some(Action::Create),
                Some(definition) if definition != &f.definition => Some(Action::Alter),
                Some(_) => None,
            };
            if let Some(action) = changed {
                let phase = if f.uses_relations {
                    Phase::FunctionsUsingTables
                } else {
                    Phase::Functions
                };
                self.push(
                    phase,
                    action,
                    lower_kind(&function_object(f)),
                    dump::function(f),
                );
            }
        }
    }

    fn views(&mut self) {
        let to = self.to;
        for v in views_in_order(&to.views) {
            let name = q(&v.schema, &v.name);
            let kind = if v.materialized {
                "materialized view"
            } else {
                "view"
            };
            let old = self
                .base
                .views
                .iter()
                .find(|b| b.schema == v.schema && b.name == v.name)
                .cloned();
            if old.is_none() {
                let mut sql = dump::view(v);
                // A materialized view created by a migration is filled, as CREATE does.
                if let Some(stripped) = sql.strip_suffix("\nWITH NO DATA;") {
                    sql = format!("{stripped};");
                }
                self.push(Phase::Views, Action::Create, format!("{kind} {name}"), sql);
            }
            for i in &v.indexes {
                if !old
                    .as_ref()
                    .is_some_and(|o| o.indexes.iter().any(|x| x.name == i.name))
                {
                    self.push(
                        Phase::Indexes,
                        Action::Create,
                        format!("index {}", q(&v.schema, &i.name)),
                        format!("{};", i.definition),
                    );
                }
            }
        }
    }

    /// Types, extensions and schemas that `to` no longer has: after the tables
    /// stopped using them. Composite types first, then domains (which may be over an enum),
    /// then enums.
    fn late_drops(&mut self) {
        let to = self.to;
        let keys = |list: &mut dyn Iterator<Item = (&String, &String)>| -> BTreeSet<Key2> {
            list.map(|(s, n)| (s.clone(), n.clone())).collect()
        };
        let kept_composites = keys(&mut to.composites.iter().map(|x| (&x.schema, &x.name)));
        let kept_domains = keys(&mut to.domains.iter().map(|x| (&x.schema, &x.name)));
        let kept_enums = keys(&mut to.enums.iter().map(|x| (&x.schema, &x.name)));
        let base = &self.base;
        let gone = |kept: &BTreeSet<Key2>, list: &mut dyn Iterator<Item = (&String, &String)>| {
            list.filter(|(s, n)| !kept.contains(&((*s).clone(), (*n).clone())))
                .map(|(s, n)| q(s, n))
                .collect::<Vec<String>>()
        };
        let mut drops: Vec<(Phase, &str, String)> = Vec::new();
        for name in gone(
            &kept_composites,
            &mut base.composites.iter().map(|x| (&x.schema, &x.name)),
        ) {
            drops.push((Phase::DropTypes, "TYPE", name));
        }
        for name in gone(
            &kept_domains,
            &mut base.domains.iter().map(|x| (&x.schema, &x.name)),
        ) {
            drops.push((Phase::DropTypes, "DOMAIN", name));
        }
        for name in gone(
            &kept_enums,
            &mut base.enums.iter().map(|x| (&x.schema, &x.name)),
        ) {
            drops.push((Phase::DropTypes, "TYPE", name));
        }
        for s in &base.schemas {
            if !to.schemas.iter().any(|x| x.name == s.name) {
                drops.push((Phase::DropSchemas, "SCHEMA", id(&s.name)));
            }
        }
        let extensions: Vec<String> = base
            .extensions
            .iter()
            .filter(|e| !to.extensions.iter().any(|x| x.name == e.name))
            .map(|e| id(&e.name))
            .collect();
        for (phase, kind, name) in drops {
            let object = format!("{kind} {name}");
            self.forget(&object);
            self.push(
                phase,
                Action::Drop,
                lower_kind(&object),
                format!("DROP {object};"),
            );
        }
        for name in extensions {
            self.push_destructive(
                Phase::DropExtensions,
                Action::Drop,
                format!("extension {name}"),
                format!("DROP EXTENSION {name};"),
                format!("drops extension {name} and everything it created"),
            );
        }
    }

    fn comments(&mut self) {
        let to = self.to;
        let base: BTreeMap<&str, &str> = self
            .base
            .comments
            .iter()
            .map(|c| (c.object.as_str(), c.text.as_str()))
            .collect();
        let mut statements = Vec::new();
        for c in &to.comments {
            if base.get(c.object.as_str()) != Some(&c.text.as_str()) {
                statements.push((
                    c.object.clone(),
                    format!("COMMENT ON {} IS {};", c.object, literal(&c.text)),
                ));
            }
        }
        for c in &self.base.comments {
            if !to.comments.iter().any(|n| n.object == c.object) {
                statements.push((
                    c.object.clone(),
                    format!("COMMENT ON {} IS NULL;", c.object),
                ));
            }
        }
        for (object, sql) in statements {
            self.push(Phase::Comments, Action::Comment, lower_kind(&object), sql);
        }
    }

    fn privileges(&mut self) {
        let to = self.to;
        let key = |p: &Privilege| (p.object.clone(), p.grantee.clone(), p.privilege.clone());
        let base_grants: BTreeMap<_, bool> = self
            .base
            .grants
            .iter()
            .map(|p| (key(p), p.grantable))
            .collect();
        let to_grants: BTreeMap<_, bool> =
            to.grants.iter().map(|p| (key(p), p.grantable)).collect();
        let base_revokes: Vec<_> = self.base.revokes.iter().map(key).collect();
        let to_revokes: Vec<_> = to.revokes.iter().map(key).collect();
        let mut statements = Vec::new();
        for k @ (object, grantee, privilege) in &to_revokes {
            if !base_revokes.contains(k) {
                statements.push((
                    Action::Revoke,
                    object.clone(),
                    format!("REVOKE {privilege} ON {object} FROM {grantee};"),
                ));
            }
        }
        for k @ (object, grantee, privilege) in &base_revokes {
            if !to_revokes.contains(k) {
                statements.push((
                    Action::Grant,
                    object.clone(),
                    format!("GRANT {privilege} ON {object} TO {grantee};"),
                ));
            }
        }
        for ((object, grantee, privilege), grantable) in &base_grants {
            match to_grants.get(&(object.clone(), grantee.clone(), privilege.clone())) {
                None => statements.push((
                    Action::Revoke,
                    object.clone(),
                    format!("REVOKE {privilege} ON {object} FROM {grantee};"),
                )),
                Some(false) if *grantable => statements.push((
                    Action::Revoke,
                    object.clone(),
                    format!("REVOKE GRANT OPTION FOR {privilege} ON {object} FROM {grantee};"),
                )),
                Some(_) => {}
            }
        }
        for ((object, grantee, privilege), grantable) in &to_grants {
            let old = base_grants.get(&(object.clone(), grantee.clone(), privilege.clone()));
            if old.is_none() || (*grantable && old == Some(&false)) {
                let mut sql = format!("GRANT {privilege} ON {object} TO {grantee}");
                if *grantable {
                    sql.push_str(" WITH GRANT OPTION");
                }
                sql.push(';');
                statements.push((Action::Grant, object.clone(), sql));
            }
        }
        for (action, object, sql) in statements {
            self.push(Phase::Privileges, action, lower_kind(&object), sql);
        }
    }
}

/// `TABLE public.users` as `table public.users`.
pub(crate) fn lower_kind(object: &str) -> String {
    for kind in [
        "MATERIALIZED VIEW ",
        "COLUMN ",
        "CONSTRAINT ",
        "TRIGGER ",
        "POLICY ",
        "TABLE ",
        "VIEW ",
        "SEQUENCE ",
        "INDEX ",
        "TYPE ",
        "DOMAIN ",
        "FUNCTION ",
        "PROCEDURE ",
        "SCHEMA ",
    ] {
        if let Some(rest) = object.strip_prefix(kind) {
            // `CONSTRAINT c ON public.t` as `constraint c on public.t`.
            let rest = match kind {
                "CONSTRAINT " | "TRIGGER " | "POLICY " => rest.replacen(" ON ", " on ", 1),
                _ => rest.to_owned(),
            };
            return format!("{}{rest}", kind.to_lowercase());
        }
    }
    object.to_owned()
}
