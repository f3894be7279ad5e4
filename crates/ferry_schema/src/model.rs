//! The schema model: every object ferry knows how to read, as plain data.
//!
//! Names are stored as the server spells them (unquoted); SQL fragments (types, defaults,
//! constraint and index definitions, view and function text) are what the server's own
//! deparsers return with an empty `search_path`, so every name in them is schema-qualified.
//! Every list is sorted (by schema, then name; columns by position), so two databases with
//! the same schema give equal models however they were built.

use serde::{Deserialize, Serialize};

/// Everything in a database outside the system schemas, ferry's tracking schema and
/// extension-owned objects.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalog {
    pub schemas: Vec<SchemaDef>,
    pub extensions: Vec<Extension>,
    pub enums: Vec<EnumType>,
    pub domains: Vec<Domain>,
    pub composites: Vec<CompositeType>,
    pub sequences: Vec<Sequence>,
    pub tables: Vec<Table>,
    pub views: Vec<View>,
    pub functions: Vec<Function>,
    pub comments: Vec<Comment>,
    pub grants: Vec<Privilege>,
    /// Privileges the object's default would give but which were revoked
    /// (e.g. `REVOKE EXECUTE ON FUNCTION … FROM PUBLIC`).
    pub revokes: Vec<Privilege>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaDef {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    pub name: String,
    pub schema: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnumType {
    pub schema: String,
    pub name: String,
    /// In sort order.
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Domain {
    pub schema: String,
    pub name: String,
    /// `format_type` of the base type with its typmod.
    pub data_type: String,
    /// Qualified collation, when not the base type's default.
    pub collation: Option<String>,
    pub default: Option<String>,
    pub not_null: bool,
    pub constraints: Vec<NamedConstraint>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedConstraint {
    pub name: String,
    /// `pg_get_constraintdef`.
    pub definition: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompositeType {
    pub schema: String,
    pub name: String,
    pub attributes: Vec<Attribute>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribute {
    pub name: String,
    pub data_type: String,
    pub collation: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sequence {
    pub schema: String,
    pub name: String,
    pub data_type: String,
    pub start: i64,
    pub increment: i64,
    pub min: i64,
    pub max: i64,
    pub cache: i64,
    pub cycle: bool,
    /// `OWNED BY`: the table (qualified, quoted) and column.
    pub owned_by: Option<OwnedBy>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnedBy {
    pub schema: String,
    pub table: String,
    pub column: String,
}

/// Options of an identity column's sequence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentitySequence {
    pub schema: String,
    pub name: String,
    pub start: i64,
    pub increment: i64,
    pub min: i64,
    pub max: i64,
    pub cache: i64,
    pub cycle: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Identity {
    Always,
    ByDefault,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Generated {
    Stored,
    /// PostgreSQL 18's virtual generated columns.
    Virtual,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    /// `format_type(atttypid, atttypmod)`: exact type with its typmod.
    pub data_type: String,
    pub not_null: bool,
    /// The default expression, or the generation expression of a generated column.
    pub default: Option<String>,
    pub identity: Option<Identity>,
    pub identity_sequence: Option<IdentitySequence>,
    pub generated: Option<Generated>,
    /// Qualified, quoted collation when not the type's default.
    pub collation: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConstraintKind {
    PrimaryKey,
    Unique,
    ForeignKey,
    Check,
    Exclusion,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Constraint {
    pub name: String,
    pub kind: ConstraintKind,
    /// `pg_get_constraintdef`: columns, actions, `DEFERRABLE`, `NOT VALID`.
    pub definition: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    pub name: String,
    /// `pg_get_indexdef`: method, uniqueness, expressions, opclasses, `INCLUDE`, predicate.
    pub definition: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trigger {
    pub name: String,
    /// `pg_get_triggerdef`.
    pub definition: String,
    pub enabled: TriggerEnabled,
}

/// `pg_trigger.tgenabled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerEnabled {
    Origin,
    Disabled,
    Replica,
    Always,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub name: String,
    pub permissive: bool,
    /// `ALL`, `SELECT`, `INSERT`, `UPDATE` or `DELETE`.
    pub command: String,
    /// Quoted role names, sorted; `PUBLIC` for everyone.
    pub roles: Vec<String>,
    pub using: Option<String>,
    pub with_check: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partition {
    pub parent_schema: String,
    pub parent: String,
    /// `pg_get_expr(relpartbound)`: `FOR VALUES …` or `DEFAULT`.
    pub bound: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    pub schema: String,
    pub name: String,
    pub unlogged: bool,
    /// Storage parameters (`fillfactor=70`), sorted.
    pub options: Vec<String>,
    /// In position order.
    pub columns: Vec<Column>,
    /// `pg_get_partkeydef` of a partitioned table.
    pub partition_by: Option<String>,
    pub partition_of: Option<Partition>,
    /// Sorted by name; inherited (partition-cloned) constraints are left out.
    pub constraints: Vec<Constraint>,
    /// Indexes not backing a constraint, sorted by name.
    pub indexes: Vec<Index>,
    pub triggers: Vec<Trigger>,
    pub rls_enabled: bool,
    pub rls_forced: bool,
    pub policies: Vec<Policy>,
}

impl Table {
    /// A table with no columns and nothing on it.
    pub fn empty(schema: &str, name: &str) -> Table {
        Table {
            schema: schema.to_owned(),
            name: name.to_owned(),
            unlogged: false,
            options: Vec::new(),
            columns: Vec::new(),
            partition_by: None,
            partition_of: None,
            constraints: Vec::new(),
            indexes: Vec::new(),
            triggers: Vec::new(),
            rls_enabled: false,
            rls_forced: false,
            policies: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct View {
    pub schema: String,
    pub name: String,
    pub materialized: bool,
    /// View options (`security_barrier=true`, `check_option=local`), sorted.
    pub options: Vec<String>,
    /// `pg_get_viewdef`, without the final semicolon.
    pub definition: String,
    /// Other views and materialized views this one reads (qualified, quoted), sorted.
    pub depends_on: Vec<String>,
    /// Indexes of a materialized view, sorted by name.
    pub indexes: Vec<Index>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Function {
    pub schema: String,
    pub name: String,
    /// `pg_get_function_identity_arguments`.
    pub identity_arguments: String,
    pub procedure: bool,
    /// `pg_get_functiondef`, ending in a newline, without a semicolon.
    pub definition: String,
    /// Whether its signature or body refers to a table or view (so it is created after them).
    pub uses_relations: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    /// The object as `COMMENT ON` names it: `TABLE public.users`, `COLUMN public.users.id`.
    pub object: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Privilege {
    /// The object as `GRANT` names it: `TABLE public.users`, `SCHEMA app`.
    pub object: String,
    /// A quoted role name, or `PUBLIC`.
    pub grantee: String,
    /// `SELECT`, `USAGE`, `EXECUTE`, …
    pub privilege: String,
    pub grantable: bool,
}
