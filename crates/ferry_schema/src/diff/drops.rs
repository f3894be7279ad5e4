//! The first pass: everything that goes, or is rebuilt, is dropped, dependents first, and
//! removed from `base`.

use std::collections::BTreeSet;

use super::rebuild::{Key2, Rebuilds, function_key};
use super::{Action, Phase, Plan, function_object, id, mentions, q};
use crate::dump::views_in_order;
use crate::model::*;

impl Plan<'_> {
    pub(crate) fn drops(&mut self, r: &Rebuilds) {
        let to = self.to;
        let to_tables: BTreeSet<Key2> = to
            .tables
            .iter()
            .map(|t| (t.schema.clone(), t.name.clone()))
            .collect();
        let dropped_tables: BTreeSet<Key2> = self
            .base
            .tables
            .iter()
            .map(|t| (t.schema.clone(), t.name.clone()))
            .filter(|k| !to_tables.contains(k) || r.tables.contains(k))
            .collect();
        let to_views: BTreeSet<Key2> = to
            .views
            .iter()
            .map(|v| (v.schema.clone(), v.name.clone()))
            .collect();

        self.drop_policies_and_triggers(r, &dropped_tables);
        self.drop_views(r, &to_views);
        self.drop_keys_and_indexes(r, &dropped_tables);
        self.detach_partitions(&dropped_tables);
        self.disown_sequences();
        self.drop_columns(r, &dropped_tables);
        self.drop_functions(r);
        self.drop_tables(&dropped_tables);
        self.drop_sequences();
        self.rename_rebuilt_types(r);
    }

    fn drop_policies_and_triggers(&mut self, r: &Rebuilds, dropped_tables: &BTreeSet<Key2>) {
        let to = self.to;
        let mut policies = Vec::new();
        let mut triggers = Vec::new();
        for t in &mut self.base.tables {
            let key = (t.schema.clone(), t.name.clone());
            let new = to_table(to, &t.schema, &t.name);
            let table_dropped = dropped_tables.contains(&key);
            let name = q(&t.schema, &t.name);
            // A dropped table's policies go first too: they may read a view or call a
            // function that is dropped before the table.
            t.policies.retain(|p| {
                let keep = !table_dropped
                    && new.is_some_and(|n| n.policies.iter().any(|x| x.name == p.name))
                    && !r
                        .policies
                        .contains(&(t.schema.clone(), t.name.clone(), p.name.clone()));
                if !keep {
                    policies.push((
                        format!("POLICY {} ON {name}", id(&p.name)),
                        format!("DROP POLICY {} ON {name};", id(&p.name)),
                    ));
                }
                keep
            });
            if table_dropped {
                continue;
            }
            t.triggers.retain(|tr| {
                let keep = new.is_some_and(|n| n.triggers.iter().any(|x| x.name == tr.name))
                    && !r
                        .triggers
                        .contains(&(t.schema.clone(), t.name.clone(), tr.name.clone()));
                if !keep {
                    triggers.push((
                        format!("TRIGGER {} ON {name}", id(&tr.name)),
                        format!("DROP TRIGGER {} ON {name};", id(&tr.name)),
                    ));
                }
                keep
            });
        }
        for (object, sql) in policies {
            self.forget(&object);
            self.push(
                Phase::DropPolicies,
                Action::Drop,
                super::objects::lower_kind(&object),
                sql,
            );
        }
        for (object, sql) in triggers {
            self.forget(&object);
            self.push(
                Phase::DropTriggers,
                Action::Drop,
                super::objects::lower_kind(&object),
                sql,
            );
        }
    }

    fn drop_views(&mut self, r: &Rebuilds, to_views: &BTreeSet<Key2>) {
        let order: Vec<View> = views_in_order(&self.base.views)
            .into_iter()
            .rev()
            .filter(|v| {
                let key = (v.schema.clone(), v.name.clone());
                !to_views.contains(&key) || r.views.contains(&key)
            })
            .cloned()
            .collect();
        for v in order {
            let kind = if v.materialized {
                "MATERIALIZED VIEW"
            } else {
                "VIEW"
            };
            let name = q(&v.schema, &v.name);
            let indexes: Vec<String> = v.indexes.iter().map(|i| i.name.clone()).collect();
            self.forget_relation(&v.schema, &v.name, &indexes);
            self.base
                .views
                .retain(|x| !(x.schema == v.schema && x.name == v.name));
            self.push(
                Phase::DropViews,
                Action::Drop,
                format!("{} {name}", kind.to_lowercase()),
                format!("DROP {kind} {name};"),
            );
        }
    }

    fn drop_keys_and_indexes(&mut self, r: &Rebuilds, dropped_tables: &BTreeSet<Key2>) {
        let to = self.to;
        let surviving: BTreeSet<String> = self
            .base
            .tables
            .iter()
            .filter(|t| !dropped_tables.contains(&(t.schema.clone(), t.name.clone())))
            .map(|t| q(&t.schema, &t.name))
            .collect();
        let mut foreign_keys = Vec::new();
        let mut others = Vec::new();
        let mut indexes = Vec::new();
        let mut attach_ready = Vec::new();
        let to_indexes = index_names(to);
        for t in &mut self.base.tables {
            let key = (t.schema.clone(), t.name.clone());
            let name = q(&t.schema, &t.name);
            let table_dropped = dropped_tables.contains(&key);
            let new = to_table(to, &t.schema, &t.name);
            // A table about to become a partition keeps the CHECK constraints its new
            // parent has: ATTACH requires them, then counts them as the parent's.
            let attaching =
                new.is_some_and(|n| n.partition_of.is_some() && n.partition_of != t.partition_of);
            let parent_checks = match new {
                Some(n) if attaching && !table_dropped => super::parent_checks(to, n),
                _ => Vec::new(),
            };
            t.constraints.retain(|c| {
                if parent_checks
                    .iter()
                    .any(|p| p.name == c.name && p.definition == c.definition)
                {
                    attach_ready.push((t.schema.clone(), t.name.clone(), c.name.clone()));
                    return false;
                }
                let keep = if table_dropped {
                    // A foreign key from a dropped table to one that stays would hold that
                    // table's key in place while it is changed: drop it first.
                    !(c.kind == ConstraintKind::ForeignKey
                        && super::rebuild::references(&c.definition)
                            .is_some_and(|rt| surviving.contains(rt)))
                } else {
                    new.is_some_and(|n| {
                        n.constraints
                            .iter()
                            .any(|x| x.name == c.name && x.kind == c.kind)
                    }) && !r.constraints.contains(&(
                        t.schema.clone(),
                        t.name.clone(),
                        c.name.clone(),
                    ))
                };
                if !keep {
                    let entry = (
                        format!("CONSTRAINT {} ON {name}", id(&c.name)),
                        format!("ALTER TABLE {name} DROP CONSTRAINT {};", id(&c.name)),
                    );
                    if c.kind == ConstraintKind::ForeignKey {
                        foreign_keys.push(entry);
                    } else {
                        others.push(entry);
                    }
                }
                keep
            });
            if table_dropped {
                continue;
            }
            t.indexes.retain(|i| {
                let keep = to_indexes.contains(&(t.schema.clone(), i.name.clone()))
                    && !r.indexes.contains(&(t.schema.clone(), i.name.clone()));
                if !keep {
                    indexes.push(q(&t.schema, &i.name));
                }
                keep
            });
        }
        for v in &mut self.base.views {
            v.indexes.retain(|i| {
                let keep = to_indexes.contains(&(v.schema.clone(), i.name.clone()))
                    && !r.indexes.contains(&(v.schema.clone(), i.name.clone()));
                if !keep {
                    indexes.push(q(&v.schema, &i.name));
                }
                keep
            });
        }
        for (object, sql) in foreign_keys {
            self.forget(&object);
            self.push(
                Phase::DropForeignKeys,
                Action::Drop,
                super::objects::lower_kind(&object),
                sql,
            );
        }
        for (object, sql) in others {
            self.forget(&object);
            self.push(
                Phase::DropConstraints,
                Action::Drop,
                super::objects::lower_kind(&object),
                sql,
            );
        }
        for name in indexes {
            self.forget(&format!("INDEX {name}"));
            self.push(
                Phase::DropConstraints,
                Action::Drop,
                format!("index {name}"),
                format!("DROP INDEX {name};"),
            );
        }
    }

    /// Partitions that leave their parent (or move, or change bounds) are detached first:
    /// dropping a parent would take them along.
    fn detach_partitions(&mut self, dropped_tables: &BTreeSet<Key2>) {
        let to = self.to;
        let mut detach = Vec::new();
        for t in &mut self.base.tables {
            if dropped_tables.contains(&(t.schema.clone(), t.name.clone())) {
                continue;
            }
            let Some(p) = &t.partition_of else { continue };
            let new = to_table(to, &t.schema, &t.name);
            if new.is_some_and(|n| n.partition_of.as_ref() != Some(p)) {
                let name = q(&t.schema, &t.name);
                detach.push((
                    format!("table {name}"),
                    detach_statement(&q(&p.parent_schema, &p.parent), &t.schema, &name),
                ));
                t.partition_of = None;
            }
        }
        for (object, sql) in detach {
            self.push(Phase::DetachPartitions, Action::Alter, object, sql);
        }
    }

    /// A sequence whose owner changes is released first: dropping its old column would take
    /// it along.
    fn disown_sequences(&mut self) {
        let to = self.to;
        let mut released = Vec::new();
        for s in &mut self.base.sequences {
            let Some(new) = to
                .sequences
                .iter()
                .find(|n| n.schema == s.schema && n.name == s.name)
            else {
                continue;
            };
            if s.owned_by.is_some() && new.owned_by != s.owned_by {
                s.owned_by = None;
                released.push(q(&s.schema, &s.name));
            }
        }
        for name in released {
            self.push(
                Phase::DisownSequences,
                Action::Alter,
                format!("sequence {name}"),
                format!("ALTER SEQUENCE {name} OWNED BY NONE;"),
            );
        }
    }

    /// Columns that go (or are added again), and defaults that call a function or name a
    /// type that is dropped: before the functions and types go.
    fn drop_columns(&mut self, r: &Rebuilds, dropped_tables: &BTreeSet<Key2>) {
        let to = self.to;
        // Sequences that go: a default calling nextval on one is dropped first (a serial
        // column becoming an identity column frees the sequence's name this way).
        let gone_sequences: Vec<String> = self
            .base
            .sequences
            .iter()
            .filter(|s| {
                !to.sequences
                    .iter()
                    .any(|n| n.schema == s.schema && n.name == s.name)
            })
            .map(|s| q(&s.schema, &s.name))
            .collect();
        let mut statements = Vec::new();
        let mut gone_columns = Vec::new();
        for t in &mut self.base.tables {
            let key = (t.schema.clone(), t.name.clone());
            if dropped_tables.contains(&key) {
                continue;
            }
            let Some(new) = to_table(to, &t.schema, &t.name) else {
                continue;
            };
            let name = q(&t.schema, &t.name);
            let partition = t.partition_of.is_some();
            t.columns.retain_mut(|c| {
                let ckey = (t.schema.clone(), t.name.clone(), c.name.clone());
                let stays = new.columns.iter().any(|n| n.name == c.name);
                if (!stays || r.columns.contains(&ckey)) && !partition {
                    let why = if stays {
                        format!(
                            "drops column {name}.{} to add it again with its new definition: its values are lost",
                            id(&c.name)
                        )
                    } else {
                        format!(
                            "drops column {name}.{} and its values (a renamed column is a drop and an add: ferry never guesses renames)",
                            id(&c.name)
                        )
                    };
                    statements.push((
                        format!("column {name}.{}", id(&c.name)),
                        format!("ALTER TABLE {name} DROP COLUMN {};", id(&c.name)),
                        Some(why),
                    ));
                    let identity = c
                        .identity_sequence
                        .as_ref()
                        .map(|s| (s.schema.clone(), s.name.clone()));
                    gone_columns.push((
                        t.schema.clone(),
                        t.name.clone(),
                        c.name.clone(),
                        identity,
                    ));
                    return false;
                }
                let new_column = new.columns.iter().find(|n| n.name == c.name);
                if c.identity.is_some() && new_column.is_some_and(|n| n.identity.is_none()) {
                    // Early, so that a sequence of the same name can be created meanwhile.
                    statements.push((
                        format!("column {name}.{}", id(&c.name)),
                        format!(
                            "ALTER TABLE {name} ALTER COLUMN {} DROP IDENTITY;",
                            id(&c.name)
                        ),
                        None,
                    ));
                    c.identity = None;
                    c.identity_sequence = None;
                }
                if c.generated.is_none()
                    && let Some(default) = &c.default
                    && (r.mentions_dropped(default)
                        || gone_sequences.iter().any(|s| mentions(default, s)))
                {
                    statements.push((
                        format!("column {name}.{}", id(&c.name)),
                        format!(
                            "ALTER TABLE {name} ALTER COLUMN {} DROP DEFAULT;",
                            id(&c.name)
                        ),
                        None,
                    ));
                    c.default = None;
                }
                true
            });
        }
        for (schema, table, column, identity) in gone_columns {
            self.forget(&format!("COLUMN {}.{}", q(&schema, &table), id(&column)));
            let owned: Vec<(String, String)> = self
                .base
                .sequences
                .iter()
                .filter(|s| {
                    s.owned_by.as_ref().is_some_and(|o| {
                        o.schema == schema && o.table == table && o.column == column
                    })
                })
                .map(|s| (s.schema.clone(), s.name.clone()))
                .chain(identity)
                .collect();
            self.sequences_dropped_with_owner(owned);
        }
        for (object, sql, why) in statements {
            match why {
                Some(why) => {
                    self.push_destructive(Phase::DropColumns, Action::Drop, object, sql, why)
                }
                None => self.push(Phase::DropColumns, Action::Alter, object, sql),
            }
        }
    }

    fn drop_functions(&mut self, r: &Rebuilds) {
        let to = self.to;
        let mut dropped = Vec::new();
        self.base.functions.retain(|f| {
            let key = function_key(f);
            let stays = to.functions.iter().any(|n| function_key(n) == key);
            let keep = stays && !r.functions.contains(&key);
            if !keep {
                dropped.push(f.clone());
            }
            keep
        });
        for f in dropped {
            let object = function_object(&f);
            self.forget(&object);
            let phase = if f.uses_relations {
                Phase::DropFunctionsUsingTables
            } else {
                Phase::DropFunctions
            };
            self.push(
                phase,
                Action::Drop,
                super::objects::lower_kind(&object),
                format!("DROP {object};"),
            );
        }
    }

    /// Sequences `to` no longer has, once no default calls them (a sequence owned by a
    /// dropped table or column went with it).
    fn drop_sequences(&mut self) {
        let to = self.to;
        let gone: Vec<String> = self
            .base
            .sequences
            .iter()
            .filter(|s| {
                !self
                    .auto_dropped_sequences
                    .contains(&(s.schema.clone(), s.name.clone()))
                    && !to
                        .sequences
                        .iter()
                        .any(|n| n.schema == s.schema && n.name == s.name)
            })
            .map(|s| q(&s.schema, &s.name))
            .collect();
        self.base.sequences.retain(|s| {
            to.sequences
                .iter()
                .any(|n| n.schema == s.schema && n.name == s.name)
        });
        for name in gone {
            let object = format!("SEQUENCE {name}");
            self.forget(&object);
            self.push(
                Phase::DropSequences,
                Action::Drop,
                format!("sequence {name}"),
                format!("DROP {object};"),
            );
        }
    }

    /// Sequences a dropped table or column takes along (`OWNED BY`, identity): never
    /// dropped on their own, and their privileges and comments go with them.
    fn sequences_dropped_with_owner(&mut self, sequences: Vec<(String, String)>) {
        for (schema, name) in sequences {
            self.forget(&format!("SEQUENCE {}", q(&schema, &name)));
            self.auto_dropped_sequences.insert((schema, name));
        }
    }

    /// One statement for every table that goes: PostgreSQL drops them together, whatever
    /// the foreign keys and policies between them.
    fn drop_tables(&mut self, dropped_tables: &BTreeSet<Key2>) {
        if dropped_tables.is_empty() {
            return;
        }
        let mut names = Vec::new();
        let tables: Vec<Table> = self
            .base
            .tables
            .iter()
            .filter(|t| dropped_tables.contains(&(t.schema.clone(), t.name.clone())))
            .cloned()
            .collect();
        for t in &tables {
            // A partition goes with its parent.
            let with_parent = t.partition_of.as_ref().is_some_and(|p| {
                dropped_tables.contains(&(p.parent_schema.clone(), p.parent.clone()))
            });
            if !with_parent {
                names.push(q(&t.schema, &t.name));
            }
            let indexes: Vec<String> = t.indexes.iter().map(|i| i.name.clone()).collect();
            self.forget_relation(&t.schema, &t.name, &indexes);
            let owned: Vec<(String, String)> = self
                .base
                .sequences
                .iter()
                .filter(|s| {
                    s.owned_by
                        .as_ref()
                        .is_some_and(|o| o.schema == t.schema && o.table == t.name)
                })
                .map(|s| (s.schema.clone(), s.name.clone()))
                .chain(t.columns.iter().filter_map(|c| {
                    c.identity_sequence
                        .as_ref()
                        .map(|s| (s.schema.clone(), s.name.clone()))
                }))
                .collect();
            self.sequences_dropped_with_owner(owned);
        }
        self.base
            .tables
            .retain(|t| !dropped_tables.contains(&(t.schema.clone(), t.name.clone())));
        let rebuilt: Vec<&String> = names
            .iter()
            .filter(|n| self.to.tables.iter().any(|t| &&q(&t.schema, &t.name) == n))
            .collect();
        let why = if rebuilt.is_empty() {
            format!("drops {} and every row in them", names.join(", "))
        } else {
            format!(
                "drops {} and every row in them ({} created again: a partition key cannot change in place)",
                names.join(", "),
                rebuilt
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let object = names
            .iter()
            .map(|n| format!("table {n}"))
            .collect::<Vec<_>>()
            .join(", ");
        self.push_destructive(
            Phase::DropTables,
            Action::Drop,
            object,
            format!("DROP TABLE {};", names.join(", ")),
            why,
        );
    }

    /// An enum that loses a value, or a domain over another type, is renamed out of the way;
    /// the new one is created under the name, columns are converted to it through text, and
    /// the old one is dropped once nothing uses it.
    fn rename_rebuilt_types(&mut self, r: &Rebuilds) {
        for (schema, name) in &r.types {
            let old = q(schema, name);
            let renamed_name = format!("{name}__ferry_old");
            let renamed = q(schema, &renamed_name);
            let is_domain = self
                .base
                .domains
                .iter()
                .any(|d| &d.schema == schema && &d.name == name);
            let kind = if is_domain { "DOMAIN" } else { "TYPE" };
            self.forget(&format!("{kind} {old}"));
            let on_domain = format!(" ON DOMAIN {old}");
            self.base
                .comments
                .retain(|c| !c.object.ends_with(&on_domain));
            for e in &mut self.base.enums {
                if &e.schema == schema && &e.name == name {
                    e.name = renamed_name.clone();
                }
            }
            for c in &mut self.base.composites {
                if &c.schema == schema && &c.name == name {
                    c.name = renamed_name.clone();
                }
            }
            for d in &mut self.base.domains {
                if &d.schema == schema && &d.name == name {
                    d.name = renamed_name.clone();
                }
                d.data_type = rename_in(&d.data_type, &old, &renamed);
            }
            for t in &mut self.base.tables {
                for c in &mut t.columns {
                    c.data_type = rename_in(&c.data_type, &old, &renamed);
                    if let Some(default) = &c.default {
                        c.default = Some(rename_in(default, &old, &renamed));
                    }
                }
            }
            for t in &mut self.base.composites {
                for a in &mut t.attributes {
                    a.data_type = rename_in(&a.data_type, &old, &renamed);
                }
            }
            self.renamed_types.insert(renamed.clone());
            self.push(
                Phase::Types,
                Action::Rename,
                format!("{} {old}", kind.to_lowercase()),
                format!("ALTER {kind} {old} RENAME TO {};", id(&renamed_name)),
            );
        }
    }
}

/// DETACH PARTITION, and then what the partition took from its parent — constraints
/// (keys, checks, foreign keys) and indexes — dropped: detached, it would keep them as its own,
/// under names only the database knows. What the table has of its own is created afterwards.
fn detach_statement(parent: &str, schema: &str, table: &str) -> String {
    let regclass = crate::dump::literal(table);
    // Inside the format() literals below.
    let (table_in_literal, schema_in_literal) =
        (table.replace('\'', "''"), id(schema).replace('\'', "''"));
    format!(
        "DO $ferry$
DECLARE
    inherited_constraints text[] := ARRAY(
        SELECT conname FROM pg_catalog.pg_constraint
        WHERE conrelid = {regclass}::regclass AND contype <> 'n'
          AND (conparentid <> 0 OR NOT conislocal));
    inherited_indexes text[] := ARRAY(
        SELECT c.relname FROM pg_catalog.pg_index i
        JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid = {regclass}::regclass AND c.relispartition
          AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k WHERE k.conindid = i.indexrelid));
    name text;
BEGIN
    ALTER TABLE {parent} DETACH PARTITION {table};
    FOREACH name IN ARRAY inherited_constraints LOOP
        EXECUTE pg_catalog.format('ALTER TABLE {table_in_literal} DROP CONSTRAINT IF EXISTS %I', name);
    END LOOP;
    FOREACH name IN ARRAY inherited_indexes LOOP
        EXECUTE pg_catalog.format('DROP INDEX IF EXISTS {schema_in_literal}.%I', name);
    END LOOP;
END
$ferry$;"
    )
}

/// Every index of `catalog`, by (schema, name).
fn index_names(catalog: &Catalog) -> BTreeSet<Key2> {
    catalog
        .tables
        .iter()
        .flat_map(|t| {
            t.indexes
                .iter()
                .map(move |i| (t.schema.clone(), i.name.clone()))
        })
        .chain(catalog.views.iter().flat_map(|v| {
            v.indexes
                .iter()
                .map(move |i| (v.schema.clone(), i.name.clone()))
        }))
        .collect()
}

/// The table `schema.name` of `catalog` (tables are sorted by schema, then name).
pub(crate) fn to_table<'c>(catalog: &'c Catalog, schema: &str, name: &str) -> Option<&'c Table> {
    catalog
        .tables
        .binary_search_by(|t| (t.schema.as_str(), t.name.as_str()).cmp(&(schema, name)))
        .ok()
        .map(|i| &catalog.tables[i])
        .or_else(|| {
            catalog
                .tables
                .iter()
                .find(|t| t.schema == schema && t.name == name)
        })
}

/// `old` replaced by `new` wherever it is a whole name.
fn rename_in(text: &str, old: &str, new: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len() + 16);
    let mut done = 0;
    while let Some(at) = text[done..].find(old) {
        let start = done + at;
        let end = start + old.len();
        let whole = (start == 0 || !super::is_name_byte(bytes[start - 1]))
            && (end == bytes.len() || !super::is_name_byte(bytes[end]));
        out.push_str(&text[done..start]);
        out.push_str(if whole { new } else { old });
        done = end;
    }
    out.push_str(&text[done..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_replace_whole_names() {
        assert_eq!(
            rename_in("'a'::public.mood", "public.mood", "public.mood__ferry_old"),
            "'a'::public.mood__ferry_old"
        );
        assert_eq!(
            rename_in("public.mood[]", "public.mood", "public.x"),
            "public.x[]"
        );
        assert_eq!(
            rename_in("public.moods", "public.mood", "public.x"),
            "public.moods"
        );
    }
}
