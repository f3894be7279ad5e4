//! Declarative checks: what `ferry verify` checks besides the migrations' verify scripts.
//!
//! Checks live in `checks/*.toml` under the project root (files read in name order) and as
//! `[[check]]` tables in ferry.toml (read first). Every check has a stable, unique `id` and a
//! `kind`; the other keys depend on the kind (unknown keys are errors, so a typo never turns a
//! check into one that passes):
//!
//! | kind | keys | passes when |
//! |---|---|---|
//! | `table` | `table`, `columns = { name = "type" }`, `not_null = [..]`, `defaults = { name = "expr" }` | the table exists, with those columns, types, NOT NULLs and defaults |
//! | `index` | `table`, `columns = [..]`, `name`, `unique`, `where` | an index on the table has those key columns in order, name, uniqueness and predicate |
//! | `constraint` | `table`, `type`, `columns`, `references`, `on_delete`, `on_update`, `name` | a constraint of that type (`primary_key`, `unique`, `foreign_key`, `check`, `exclusion`) matches |
//! | `trigger` | `table`, `name`, `enabled` (default `true`) | the trigger exists and is enabled (or disabled) |
//! | `function` | `name`, `args` | a function or procedure with that name (and identity arguments) exists |
//! | `view` | `name`, `materialized` | the view exists (and is, or is not, materialized) |
//! | `extension` | `name` | the extension is installed |
//! | `enum` | `name`, `values` | the enum has exactly these values, in this order |
//! | `rls` | `table` or `schema`, `forced` | row level security is enabled (and forced) on the table, or on every table of the schema |
//! | `policies` | `table`, `count` / `at_least` / `name` (+ `command`) | the table has exactly / at least N policies, or the named policy (for that command) |
//! | `fk_indexes` | `schema` or `table` | every foreign key has a valid, non-partial index whose leading columns are its columns |
//! | `sql` | `sql` | the query returns one row holding `true` |
//! | `behaviour` | `role`, `settings`, `setup`, `sql`, `rows` / `affected` / `denied` | run as `role` with `settings`, the query returns N rows, changes N rows, or is denied (SQLSTATE 42501) |
//!
//! Every check also takes an optional `description`, shown instead of the generated one.
//!
//! Object names are schema-qualified (`public.users`) or bare (then `public`); a name that
//! matches nothing as written is tried lowercased, as PostgreSQL folds unquoted names. Types
//! are compared as `format_type` prints them, aliases normalised (`int4`, `varchar(255)`,
//! `timestamptz`, …, see [`names::normalize_type`]); expressions (defaults, index columns and
//! predicates) are compared token by token, ignoring case, parentheses, casts and a `public.`
//! qualification (see [`names::normalize_expression`]).
//!
//! Model-based kinds read the schema model ([`ferry_schema::read`]) once, plus the details of
//! indexes and constraints from `pg_index` and `pg_constraint`; nothing ever greps SQL. `sql`
//! and `behaviour` checks each run in their own transaction, which is rolled back: verifying
//! changes no data (sequence positions aside). A behavioural check switches with `SET LOCAL
//! ROLE` and refuses, failing with the reason, to run as a role that would bypass row level
//! security: a superuser, a role with BYPASSRLS, or the owner of a table the query reads whose
//! row level security is not forced ([PostgreSQL: row security policies]).
//!
//! [PostgreSQL: row security policies]: https://www.postgresql.org/docs/current/ddl-rowsecurity.html

mod names;
mod schema;
mod snapshot;
mod sql;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use postgres::Client;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::config::{Config, ConfigError, line_col};

pub use snapshot::{Snapshot, snapshot};

/// The folder of check files, under the project root.
pub const DIR: &str = "checks";

/// One declarative check, as read from its file.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub id: String,
    /// Where it is written: `checks/rls.toml:12` (relative to the project root).
    pub source: String,
    /// Shown instead of the generated description.
    pub description: Option<String>,
    pub spec: Spec,
}

/// What a check checks: one variant per `kind`.
#[derive(Debug, Clone, PartialEq)]
pub enum Spec {
    Table(TableCheck),
    Index(IndexCheck),
    Constraint(ConstraintCheck),
    Trigger(TriggerCheck),
    Function(FunctionCheck),
    View(ViewCheck),
    Extension(ExtensionCheck),
    Enum(EnumCheck),
    Rls(RlsCheck),
    Policies(PoliciesCheck),
    FkIndexes(FkIndexesCheck),
    Sql(SqlCheck),
    Behaviour(BehaviourCheck),
}

/// The kinds, as written in `kind = "…"`.
pub const KINDS: &[&str] = &[
    "table",
    "index",
    "constraint",
    "trigger",
    "function",
    "view",
    "extension",
    "enum",
    "rls",
    "policies",
    "fk_indexes",
    "sql",
    "behaviour",
];

impl Spec {
    /// The kind as written in the file (`fk_indexes`, `behaviour`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Spec::Table(_) => "table",
            Spec::Index(_) => "index",
            Spec::Constraint(_) => "constraint",
            Spec::Trigger(_) => "trigger",
            Spec::Function(_) => "function",
            Spec::View(_) => "view",
            Spec::Extension(_) => "extension",
            Spec::Enum(_) => "enum",
            Spec::Rls(_) => "rls",
            Spec::Policies(_) => "policies",
            Spec::FkIndexes(_) => "fk_indexes",
            Spec::Sql(_) => "sql",
            Spec::Behaviour(_) => "behaviour",
        }
    }

    /// Whether the check reads the schema model (as opposed to running SQL).
    fn reads_model(&self) -> bool {
        !matches!(self, Spec::Sql(_) | Spec::Behaviour(_))
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableCheck {
    pub table: String,
    /// Column → type as `format_type` prints it (aliases accepted).
    pub columns: Option<BTreeMap<String, String>>,
    pub not_null: Option<Vec<String>>,
    /// Column → default expression as `pg_get_expr` prints it.
    pub defaults: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexCheck {
    pub table: String,
    /// Key columns or expressions, in order.
    pub columns: Option<Vec<String>>,
    pub name: Option<String>,
    pub unique: Option<bool>,
    /// The partial index's predicate.
    #[serde(rename = "where")]
    pub predicate: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConstraintType {
    PrimaryKey,
    Unique,
    ForeignKey,
    Check,
    Exclusion,
}

impl ConstraintType {
    fn from_code(code: char) -> Option<ConstraintType> {
        Some(match code {
            'p' => ConstraintType::PrimaryKey,
            'u' => ConstraintType::Unique,
            'f' => ConstraintType::ForeignKey,
            'c' => ConstraintType::Check,
            'x' => ConstraintType::Exclusion,
            _ => return None,
        })
    }

    /// As written in a check file.
    pub fn key(self) -> &'static str {
        match self {
            ConstraintType::PrimaryKey => "primary_key",
            ConstraintType::Unique => "unique",
            ConstraintType::ForeignKey => "foreign_key",
            ConstraintType::Check => "check",
            ConstraintType::Exclusion => "exclusion",
        }
    }

    /// In words: `primary key`, `foreign key`, `check constraint`, …
    pub fn words(self) -> &'static str {
        match self {
            ConstraintType::PrimaryKey => "primary key",
            ConstraintType::Unique => "unique constraint",
            ConstraintType::ForeignKey => "foreign key",
            ConstraintType::Check => "check constraint",
            ConstraintType::Exclusion => "exclusion constraint",
        }
    }
}

/// A foreign key's `ON DELETE` / `ON UPDATE` action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FkAction {
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

impl FkAction {
    /// `pg_constraint.confdeltype` / `confupdtype`.
    fn from_code(code: char) -> Option<FkAction> {
        Some(match code {
            'a' => FkAction::NoAction,
            'r' => FkAction::Restrict,
            'c' => FkAction::Cascade,
            'n' => FkAction::SetNull,
            'd' => FkAction::SetDefault,
            _ => return None,
        })
    }

    pub fn key(self) -> &'static str {
        match self {
            FkAction::NoAction => "no_action",
            FkAction::Restrict => "restrict",
            FkAction::Cascade => "cascade",
            FkAction::SetNull => "set_null",
            FkAction::SetDefault => "set_default",
        }
    }

    /// As SQL writes it: `NO ACTION`, `SET NULL`, …
    pub fn sql(self) -> &'static str {
        match self {
            FkAction::NoAction => "NO ACTION",
            FkAction::Restrict => "RESTRICT",
            FkAction::Cascade => "CASCADE",
            FkAction::SetNull => "SET NULL",
            FkAction::SetDefault => "SET DEFAULT",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConstraintCheck {
    pub table: String,
    #[serde(rename = "type")]
    pub constraint_type: ConstraintType,
    pub columns: Option<Vec<String>>,
    /// The referenced table (foreign keys).
    pub references: Option<String>,
    pub on_delete: Option<FkAction>,
    pub on_update: Option<FkAction>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriggerCheck {
    pub table: String,
    pub name: String,
    /// `true` (the default): enabled; `false`: disabled.
    pub enabled: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionCheck {
    pub name: String,
    /// Identity arguments as `pg_get_function_identity_arguments` prints them (names optional).
    pub args: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViewCheck {
    pub name: String,
    pub materialized: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtensionCheck {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumCheck {
    pub name: String,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RlsCheck {
    pub table: Option<String>,
    pub schema: Option<String>,
    /// `true`: FORCE ROW LEVEL SECURITY too.
    pub forced: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoliciesCheck {
    pub table: String,
    pub count: Option<u64>,
    pub at_least: Option<u64>,
    pub name: Option<String>,
    /// `select`, `insert`, `update`, `delete` or `all`.
    pub command: Option<PolicyCommand>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyCommand {
    Select,
    Insert,
    Update,
    Delete,
    All,
}

impl PolicyCommand {
    /// As the model holds it (`SELECT`, …, `ALL`).
    pub fn sql(self) -> &'static str {
        match self {
            PolicyCommand::Select => "SELECT",
            PolicyCommand::Insert => "INSERT",
            PolicyCommand::Update => "UPDATE",
            PolicyCommand::Delete => "DELETE",
            PolicyCommand::All => "ALL",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FkIndexesCheck {
    pub schema: Option<String>,
    pub table: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SqlCheck {
    pub sql: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BehaviourCheck {
    pub role: String,
    /// `set_config(name, value, true)` for each, after `SET LOCAL ROLE`.
    #[serde(default)]
    pub settings: BTreeMap<String, toml::Value>,
    /// Run first, as the connecting user.
    pub setup: Option<String>,
    pub sql: String,
    pub rows: Option<u64>,
    pub affected: Option<u64>,
    pub denied: Option<bool>,
}

impl BehaviourCheck {
    /// The settings as text (`true`, `42` and strings alike).
    fn setting_values(&self) -> Vec<(String, String)> {
        self.settings
            .iter()
            .map(|(name, value)| {
                let text = match value {
                    toml::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (name.clone(), text)
            })
            .collect()
    }
}

/// Reads every check of the project: `[[check]]` in ferry.toml, then `checks/*.toml` in name
/// order. A file that cannot be read, an unknown key, a missing id or kind, or an id used twice
/// is an error naming the file and line.
pub fn load(config: &Config) -> Result<Vec<Check>, ConfigError> {
    let mut checks = Vec::new();
    if let Some(file) = &config.file {
        let label = relative_label(&config.root, file);
        for inline in &config.checks {
            checks.push(parse_check(
                inline.table.clone(),
                file,
                &label,
                inline.line,
            )?);
        }
    }
    let dir = config.root.join(DIR);
    for path in check_files(&dir)? {
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        let label = relative_label(&config.root, &path);
        checks.extend(parse_file(&text, &path, &label)?);
    }
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for check in &checks {
        if let Some(first) = seen.insert(&check.id, &check.source) {
            let (path, line) = split_label(&config.root, &check.source);
            return Err(ConfigError::Invalid {
                path,
                line,
                column: 1,
                message: format!(
                    "check id \"{}\" is used twice, here and at {first}; give each check its own id",
                    check.id
                ),
            });
        }
    }
    Ok(checks)
}

/// `checks/*.toml`, sorted by name; none when the folder does not exist.
fn check_files(dir: &Path) -> Result<Vec<PathBuf>, ConfigError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(ConfigError::Read {
                path: dir.to_owned(),
                source,
            });
        }
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| ConfigError::Read {
            path: dir.to_owned(),
            source,
        })?;
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "toml") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// The checks of one `checks/*.toml` file (`label` names it in sources).
pub fn parse_file(text: &str, path: &Path, label: &str) -> Result<Vec<Check>, ConfigError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct CheckFile {
        #[serde(default)]
        check: Vec<toml::Spanned<toml::Table>>,
    }
    let file: CheckFile = toml::from_str(text).map_err(|err| {
        ConfigError::from_toml(
            path,
            text,
            &err,
            "a checks file holds only [[check]] tables",
        )
    })?;
    file.check
        .into_iter()
        .map(|spanned| {
            let line = line_col(text, spanned.span().start).0;
            parse_check(spanned.into_inner(), path, label, line)
        })
        .collect()
}

/// One `[[check]]` table → a [`Check`].
fn parse_check(
    mut table: toml::Table,
    path: &Path,
    label: &str,
    line: usize,
) -> Result<Check, ConfigError> {
    let invalid = |message: String| ConfigError::Invalid {
        path: path.to_owned(),
        line,
        column: 1,
        message,
    };
    let id = match table.remove("id") {
        Some(toml::Value::String(id)) if !id.trim().is_empty() => id,
        Some(toml::Value::String(_)) | None => {
            return Err(invalid(
                "this check has no id; give it a stable, unique `id = \"…\"`".to_owned(),
            ));
        }
        Some(other) => {
            return Err(invalid(format!(
                "the check's id must be a string, not {}",
                other.type_str()
            )));
        }
    };
    let about = format!("check \"{id}\"");
    let description = match table.remove("description") {
        None => None,
        Some(toml::Value::String(s)) => Some(s),
        Some(other) => {
            return Err(invalid(format!(
                "{about}: description must be a string, not {}",
                other.type_str()
            )));
        }
    };
    let kind = match table.remove("kind") {
        Some(toml::Value::String(kind)) => kind,
        _ => {
            return Err(invalid(format!(
                "{about} has no kind; write kind = one of {}",
                KINDS.join(", ")
            )));
        }
    };
    fn typed<T: DeserializeOwned>(table: toml::Table) -> Result<T, String> {
        toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| e.message().trim_end().to_owned())
    }
    let spec = match kind.as_str() {
        "table" => typed(table).map(Spec::Table),
        "index" => typed(table).map(Spec::Index),
        "constraint" => typed(table).map(Spec::Constraint),
        "trigger" => typed(table).map(Spec::Trigger),
        "function" => typed(table).map(Spec::Function),
        "view" => typed(table).map(Spec::View),
        "extension" => typed(table).map(Spec::Extension),
        "enum" => typed(table).map(Spec::Enum),
        "rls" => typed(table).map(Spec::Rls),
        "policies" => typed(table).map(Spec::Policies),
        "fk_indexes" => typed(table).map(Spec::FkIndexes),
        "sql" => typed(table).map(Spec::Sql),
        "behaviour" | "behavior" => typed(table).map(Spec::Behaviour),
        other => Err(format!(
            "unknown kind \"{other}\"; write one of {}",
            KINDS.join(", ")
        )),
    }
    .map_err(|message| invalid(format!("{about}: {message}")))?;
    validate(&spec).map_err(|message| invalid(format!("{about}: {message}")))?;
    Ok(Check {
        id,
        source: format!("{label}:{line}"),
        description,
        spec,
    })
}

/// What serde cannot say: keys that go together or exclude each other.
fn validate(spec: &Spec) -> Result<(), String> {
    match spec {
        Spec::Index(c) if c.columns.is_none() && c.name.is_none() => {
            Err("an index check needs `columns` or `name`".to_owned())
        }
        Spec::Constraint(c)
            if c.constraint_type != ConstraintType::ForeignKey
                && (c.references.is_some() || c.on_delete.is_some() || c.on_update.is_some()) =>
        {
            Err("`references`, `on_delete` and `on_update` are for type = \"foreign_key\"".to_owned())
        }
        Spec::Rls(c) if c.table.is_some() == c.schema.is_some() => {
            Err("an rls check needs either `table` or `schema`".to_owned())
        }
        Spec::FkIndexes(c) if c.table.is_some() == c.schema.is_some() => {
            Err("an fk_indexes check needs either `schema` or `table`".to_owned())
        }
        Spec::Policies(c)
            if c.count.is_none()
                && c.at_least.is_none()
                && c.name.is_none()
                && c.command.is_none() =>
        {
            Err("a policies check needs `count`, `at_least`, or `name` (with an optional `command`)".to_owned())
        }
        Spec::Behaviour(c) => {
            let expectations =
                [c.rows.is_some(), c.affected.is_some(), c.denied.is_some()]
                    .iter()
                    .filter(|x| **x)
                    .count();
            if expectations != 1 {
                Err("a behaviour check needs exactly one of `rows = N`, `affected = N` or `denied = true`".to_owned())
            } else {
                Ok(())
            }
        }
        _ => Ok(()),
    }
}

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub id: String,
    pub kind: &'static str,
    /// What was checked, in words (`table public.users`, or the check's description).
    pub what: String,
    pub source: String,
    pub passed: bool,
    /// Why it failed, naming the object.
    pub reason: Option<String>,
}

/// Runs every check on `client`, in order. Model-based checks share one read of the schema
/// model; `sql` and `behaviour` checks each run in a transaction that is rolled back. A check
/// that cannot run (a missing object, a role that does not exist, bad SQL) fails with the
/// reason; this never returns an error. `stop` is asked between checks (Ctrl-C).
pub fn run(
    client: &mut Client,
    checks: &[Check],
    tracking_schema: &str,
    stop: &dyn Fn() -> bool,
) -> Vec<Outcome> {
    let mut facts = schema::Facts::new(tracking_schema);
    let mut outcomes = Vec::new();
    for check in checks {
        if stop() {
            break;
        }
        let verdict = if check.spec.reads_model() {
            schema::evaluate(&mut facts, client, &check.spec)
        } else {
            sql::evaluate(client, &check.spec)
        };
        outcomes.push(Outcome {
            id: check.id.clone(),
            kind: check.spec.kind(),
            what: check
                .description
                .clone()
                .unwrap_or_else(|| describe(&check.spec)),
            source: check.source.clone(),
            passed: verdict.is_ok(),
            reason: verdict.err(),
        });
    }
    outcomes
}

/// What a check checks, in words.
pub fn describe(spec: &Spec) -> String {
    use names::display_name as n;
    match spec {
        Spec::Table(c) => {
            let mut text = format!("table {}", n(&c.table));
            if let Some(columns) = &c.columns {
                text.push_str(&format!(" with {}", plural(columns.len(), "column")));
            }
            text
        }
        Spec::Index(c) => {
            let mut text = String::new();
            if c.unique == Some(true) {
                text.push_str("unique ");
            }
            text.push_str("index");
            if let Some(name) = &c.name {
                text.push_str(&format!(" {name}"));
            }
            text.push_str(&format!(" on {}", n(&c.table)));
            if let Some(columns) = &c.columns {
                text.push_str(&format!(" ({})", columns.join(", ")));
            }
            if let Some(predicate) = &c.predicate {
                text.push_str(&format!(" where {predicate}"));
            }
            text
        }
        Spec::Constraint(c) => {
            let mut text = c.constraint_type.words().to_owned();
            if let Some(name) = &c.name {
                text.push_str(&format!(" {name}"));
            }
            text.push_str(&format!(" on {}", n(&c.table)));
            if let Some(columns) = &c.columns {
                text.push_str(&format!(" ({})", columns.join(", ")));
            }
            if let Some(references) = &c.references {
                text.push_str(&format!(" → {}", n(references)));
            }
            if let Some(action) = c.on_delete {
                text.push_str(&format!(" on delete {}", action.sql().to_lowercase()));
            }
            if let Some(action) = c.on_update {
                text.push_str(&format!(" on update {}", action.sql().to_lowercase()));
            }
            text
        }
        Spec::Trigger(c) => {
            let state = if c.enabled == Some(false) {
                "disabled"
            } else {
                "enabled"
            };
            format!("trigger {} on {} {state}", c.name, n(&c.table))
        }
        Spec::Function(c) => match &c.args {
            Some(args) => format!("function {}({args})", n(&c.name)),
            None => format!("function {}", n(&c.name)),
        },
        Spec::View(c) => match c.materialized {
            Some(true) => format!("materialized view {}", n(&c.name)),
            _ => format!("view {}", n(&c.name)),
        },
        Spec::Extension(c) => format!("extension {}", c.name),
        Spec::Enum(c) => format!("enum {} ({})", n(&c.name), c.values.join(", ")),
        Spec::Rls(c) => {
            let forced = if c.forced == Some(true) {
                " (forced)"
            } else {
                ""
            };
            match (&c.table, &c.schema) {
                (Some(table), _) => format!("row level security on {}{forced}", n(table)),
                (None, Some(schema)) => {
                    format!("row level security on every table of schema {schema}{forced}")
                }
                (None, None) => "row level security".to_owned(),
            }
        }
        Spec::Policies(c) => {
            let mut parts = Vec::new();
            if let Some(count) = c.count {
                parts.push(plural(count as usize, "policy"));
            }
            if let Some(at_least) = c.at_least {
                parts.push(format!("at least {}", plural(at_least as usize, "policy")));
            }
            match (&c.name, c.command) {
                (Some(name), Some(command)) => {
                    parts.push(format!("policy {name} for {}", command.sql()))
                }
                (Some(name), None) => parts.push(format!("policy {name}")),
                (None, Some(command)) => parts.push(format!("a policy for {}", command.sql())),
                (None, None) => {}
            }
            format!("{} on {}", parts.join(", "), n(&c.table))
        }
        Spec::FkIndexes(c) => match (&c.table, &c.schema) {
            (Some(table), _) => format!("every foreign key of {} has an index", n(table)),
            (None, Some(schema)) => {
                format!("every foreign key in schema {schema} has an index")
            }
            (None, None) => "every foreign key has an index".to_owned(),
        },
        Spec::Sql(c) => format!("sql: {}", abbreviate(&c.sql)),
        Spec::Behaviour(c) => {
            let expect = match (c.rows, c.affected, c.denied) {
                (Some(rows), _, _) => plural(rows as usize, "row"),
                (_, Some(affected), _) => format!("{} affected", plural(affected as usize, "row")),
                (_, _, Some(true)) => "denied".to_owned(),
                _ => "allowed".to_owned(),
            };
            format!("as {}: {} → {expect}", c.role, abbreviate(&c.sql))
        }
    }
}

fn plural(n: usize, noun: &str) -> String {
    match (n, noun) {
        (1, _) => format!("1 {noun}"),
        (_, "policy") => format!("{n} policies"),
        _ => format!("{n} {noun}s"),
    }
}

/// One line of SQL, at most 60 characters.
fn abbreviate(sql: &str) -> String {
    let line = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    let line = line.trim_end_matches(';');
    if line.chars().count() <= 60 {
        line.to_owned()
    } else {
        let cut: String = line.chars().take(57).collect();
        format!("{}…", cut.trim_end())
    }
}

/// `path` relative to the project root, for sources (`checks/rls.toml`).
fn relative_label(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// A source label (`checks/a.toml:3`) back into a full path and a line.
fn split_label(root: &Path, label: &str) -> (PathBuf, usize) {
    match label.rsplit_once(':') {
        Some((path, line)) => (root.join(path), line.parse().unwrap_or(1)),
        None => (root.join(label), 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<Check>, String> {
        parse_file(text, Path::new("/p/checks/a.toml"), "checks/a.toml").map_err(|e| e.to_string())
    }

    #[test]
    fn every_kind_of_the_spec_parses() {
        let checks = parse(
            r#"
[[check]]
id = "tables.users"
kind = "table"
table = "public.users"
columns = { id = "bigint", email = "text" }
not_null = ["email"]
defaults = { created_at = "now()" }

[[check]]
id = "indexes.users_email"
kind = "index"
table = "public.users"
columns = ["email"]
name = "users_email_idx"
unique = true
where = "deleted_at IS NULL"

[[check]]
id = "constraints.tasks_project_fk"
kind = "constraint"
table = "public.tasks"
type = "foreign_key"
columns = ["project_id"]
references = "public.projects"
on_delete = "cascade"
name = "tasks_project_id_fkey"

[[check]]
id = "triggers.users_updated_at"
kind = "trigger"
table = "public.users"
name = "users_set_updated_at"
enabled = true

[[check]]
id = "functions.account_usage"
kind = "function"
name = "public.account_usage"
args = "bigint"

[[check]]
id = "views.project_progress"
kind = "view"
name = "public.project_progress"
materialized = false

[[check]]
id = "extensions.pgcrypto"
kind = "extension"
name = "pgcrypto"

[[check]]
id = "enums.task_status"
kind = "enum"
name = "public.task_status"
values = ["todo", "doing", "done"]

[[check]]
id = "rls.all_public"
kind = "rls"
schema = "public"
forced = false

[[check]]
id = "policies.projects"
kind = "policies"
table = "public.projects"
count = 4

[[check]]
id = "fk_indexes.public"
kind = "fk_indexes"
schema = "public"

[[check]]
id = "data.progress_rows"
kind = "sql"
sql = "select count(*) >= (select count(*) from users) from user_progress"

[[check]]
id = "rls.alice_sees_own_projects"
kind = "behaviour"
role = "authenticated"
settings = { "request.jwt.claim.sub" = "00000000-0000-0000-0000-000000000001" }
setup = "insert into projects default values"
sql = "select * from projects"
rows = 2
"#,
        )
        .unwrap();
        let kinds: Vec<&str> = checks.iter().map(|c| c.spec.kind()).collect();
        assert_eq!(kinds, KINDS);
        assert_eq!(checks[0].source, "checks/a.toml:2");
        assert_eq!(checks[1].source, "checks/a.toml:10");
        let Spec::Constraint(fk) = &checks[2].spec else {
            panic!()
        };
        assert_eq!(fk.on_delete, Some(FkAction::Cascade));
        assert_eq!(
            describe(&checks[2].spec),
            "foreign key tasks_project_id_fkey on public.tasks (project_id) → public.projects on delete cascade"
        );
        assert_eq!(
            describe(&checks[12].spec),
            "as authenticated: select * from projects → 2 rows"
        );
    }

    #[test]
    fn mistakes_name_the_file_line_and_check() {
        let err = parse(
            "[[check]]\nid = \"t\"\nkind = \"table\"\ntable = \"u\"\ncolums = { id = \"int\" }\n",
        )
        .unwrap_err();
        assert!(
            err.starts_with("/p/checks/a.toml:1:1: check \"t\": unknown field `colums`"),
            "{err}"
        );

        let err = parse("\n[[check]]\nkind = \"table\"\ntable = \"u\"\n").unwrap_err();
        assert!(err.contains("a.toml:2:1: this check has no id"), "{err}");

        let err = parse("[[check]]\nid = \"x\"\nkind = \"tabel\"\n").unwrap_err();
        assert!(err.contains("unknown kind \"tabel\""), "{err}");

        let err = parse("[[check]]\nid = \"x\"\nkind = \"constraint\"\ntable = \"t\"\ntype = \"foreign_key\"\non_delete = \"cascde\"\n").unwrap_err();
        assert!(err.contains("cascde"), "{err}");

        let err = parse(
            "[[check]]\nid = \"x\"\nkind = \"behaviour\"\nrole = \"r\"\nsql = \"select 1\"\n",
        )
        .unwrap_err();
        assert!(err.contains("exactly one of"), "{err}");

        let err = parse("[[check]]\nid = \"x\"\nkind = \"rls\"\n").unwrap_err();
        assert!(err.contains("either `table` or `schema`"), "{err}");

        let err = parse("title = \"x\"\n").unwrap_err();
        assert!(err.contains("only [[check]] tables"), "{err}");
    }

    #[test]
    fn duplicate_ids_name_both_places() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(
            root.path().join("ferry.toml"),
            "[[check]]\nid = \"same\"\nkind = \"extension\"\nname = \"plpgsql\"\n",
        )
        .unwrap();
        std::fs::create_dir(root.path().join("checks")).unwrap();
        std::fs::write(
            root.path().join("checks/b.toml"),
            "# b\n[[check]]\nid = \"other\"\nkind = \"extension\"\nname = \"x\"\n\n[[check]]\nid = \"same\"\nkind = \"view\"\nname = \"v\"\n",
        )
        .unwrap();
        let config = Config::discover(root.path(), None).unwrap();
        let err = load(&config).unwrap_err().to_string();
        assert!(
            err.contains(
                "checks/b.toml:7:1: check id \"same\" is used twice, here and at ferry.toml:1"
            ),
            "{err}"
        );

        std::fs::write(
            root.path().join("checks/b.toml"),
            "[[check]]\nid = \"other\"\nkind = \"extension\"\nname = \"x\"\n",
        )
        .unwrap();
        let checks = load(&config).unwrap();
        let ids: Vec<&str> = checks.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["same", "other"], "ferry.toml first, then the files");
        assert_eq!(checks[1].source, "checks/b.toml:1");
    }

    #[test]
    fn long_sql_is_abbreviated_on_one_line() {
        assert_eq!(abbreviate("select 1;\n"), "select 1");
        let long = format!("select {}", "x, ".repeat(40));
        let short = abbreviate(&long);
        assert!(
            short.ends_with('…') && short.chars().count() <= 60,
            "{short}"
        );
    }
}
