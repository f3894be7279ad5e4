//! What a statement is, read from its leading words: its [`StatementKind`], a short tag for logs
//! ([`statement_tag`]) and the index a `CREATE INDEX` creates ([`created_index_name`]).
//!
//! This reads tokens, not a parse tree: it must work on statements the grammar of the bundled
//! PostgreSQL version rejects or that are still being split, and it only needs the first few words.
//! The no-transaction list follows PostgreSQL's callers of `PreventInTransactionBlock`
//! (<https://www.postgresql.org/docs/current/sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY> and
//! the "cannot be executed inside a transaction block" notes of each command's page).

use crate::split::{StatementKind, TransactionControl};
use crate::tokens::{self, Class, Token};

/// The non-comment tokens of one statement, with word helpers.
struct Words<'a> {
    source: &'a str,
    code: Vec<&'a Token>,
}

impl<'a> Words<'a> {
    fn new(source: &'a str, tokens: &'a [Token]) -> Self {
        Words {
            source,
            code: tokens::code(tokens).collect(),
        }
    }

    /// Whether token `i` is the word `word` (lower case).
    fn is(&self, i: usize, word: &str) -> bool {
        self.code.get(i).is_some_and(|t| t.is(self.source, word))
    }

    fn is_any(&self, i: usize, words: &[&str]) -> bool {
        words.iter().any(|w| self.is(i, w))
    }

    /// Whether the words starting at `i` are `words`.
    fn seq(&self, i: usize, words: &[&str]) -> bool {
        words.iter().enumerate().all(|(k, w)| self.is(i + k, w))
    }

    fn punct(&self, i: usize, p: &str) -> bool {
        self.code.get(i).is_some_and(|t| t.is_punct(self.source, p))
    }

    /// Token `i` as a lower-case word, if it is a word.
    fn word(&self, i: usize) -> Option<String> {
        self.code
            .get(i)
            .filter(|t| t.is_word())
            .map(|t| t.text(self.source).to_ascii_lowercase())
    }

    /// Index of the token after the parenthesised group opening at `i` (or `i` when there is none).
    fn skip_parens(&self, i: usize) -> usize {
        if !self.punct(i, "(") {
            return i;
        }
        let mut depth = 0usize;
        for (k, t) in self.code.iter().enumerate().skip(i) {
            if t.is_punct(self.source, "(") {
                depth += 1;
            } else if t.is_punct(self.source, ")") {
                depth -= 1;
                if depth == 0 {
                    return k + 1;
                }
            }
        }
        self.code.len()
    }

    /// Indices of tokens outside parentheses, starting at `from`.
    fn top_level(&self, from: usize) -> impl Iterator<Item = usize> + '_ {
        let mut depth = 0usize;
        (from..self.code.len()).filter(move |&k| {
            let t = self.code[k];
            if t.is_punct(self.source, "(") {
                depth += 1;
                false
            } else if t.is_punct(self.source, ")") {
                depth = depth.saturating_sub(1);
                false
            } else {
                depth == 0
            }
        })
    }

    /// Whether the words `words` appear consecutively outside parentheses, from `from` on.
    fn has_seq(&self, from: usize, words: &[&str]) -> bool {
        self.top_level(from).any(|k| self.seq(k, words))
    }
}

/// The kind of a statement, from its tokens (comments allowed).
pub(crate) fn kind(source: &str, tokens: &[Token]) -> StatementKind {
    use StatementKind::{CopyFromStdin, NoTransaction, Other};
    use TransactionControl::*;
    let w = Words::new(source, tokens);
    let Some(first) = w.word(0) else {
        return Other;
    };
    let tc = StatementKind::TransactionControl;
    match first.as_str() {
        "begin" => tc(Begin),
        "start" if w.is(1, "transaction") => tc(Begin),
        "commit" if w.is(1, "prepared") => tc(CommitPrepared),
        "commit" | "end" => tc(Commit),
        "abort" => tc(Rollback),
        "rollback" if w.is(1, "prepared") => tc(RollbackPrepared),
        "rollback" => {
            let i = if w.is_any(1, &["work", "transaction"]) {
                2
            } else {
                1
            };
            if w.is(i, "to") {
                tc(RollbackTo)
            } else {
                tc(Rollback)
            }
        }
        "savepoint" => tc(Savepoint),
        "release" => tc(Release),
        "prepare" if w.is(1, "transaction") => tc(Prepare),
        "copy" if w.has_seq(1, &["from", "stdin"]) => CopyFromStdin,
        "create" => {
            let i = if w.is(1, "unique") { 2 } else { 1 };
            // CREATE SUBSCRIPTION refuses a transaction block only when it creates a replication
            // slot, which needs a connection: both are on by default.
            let subscription_in_tx = w.is(1, "subscription")
                && (option_off(&w, "create_slot") || option_off(&w, "connect"));
            if w.seq(i, &["index", "concurrently"])
                || w.is_any(1, &["database", "tablespace"])
                || (w.is(1, "subscription") && !subscription_in_tx)
            {
                NoTransaction
            } else {
                Other
            }
        }
        "drop" => {
            if w.seq(1, &["index", "concurrently"])
                || w.is_any(1, &["database", "tablespace", "subscription"])
            {
                NoTransaction
            } else {
                Other
            }
        }
        "reindex" => {
            // REINDEX [ ( option, … ) ] { INDEX | TABLE | SCHEMA | DATABASE | SYSTEM } [ CONCURRENTLY ] name
            let after_options = w.skip_parens(1);
            let options_concurrently = (2..after_options).any(|k| w.is(k, "concurrently"))
                && !option_off(&w, "concurrently");
            if options_concurrently
                || w.is(after_options + 1, "concurrently")
                || w.is_any(after_options, &["schema", "system", "database"])
            {
                NoTransaction
            } else {
                Other
            }
        }
        "vacuum" => NoTransaction,
        "alter" => {
            let no_tx = w.is(1, "system")
                || (w.is(1, "database") && w.seq(3, &["set", "tablespace"]))
                || (w.is(1, "subscription")
                    && (w.seq(3, &["refresh", "publication"])
                        || (w.is_any(3, &["set", "add", "drop"])
                            && w.is(4, "publication")
                            && !option_off(&w, "refresh"))))
                || (w.is(1, "table")
                    && w.has_seq(2, &["detach", "partition"])
                    && w.top_level(2).any(|k| w.is(k, "concurrently")));
            if no_tx { NoTransaction } else { Other }
        }
        "cluster" => {
            // CLUSTER [VERBOSE] | CLUSTER ( options ): no table, so every table is clustered.
            let i = w.skip_parens(1);
            let i = if w.is(i, "verbose") { i + 1 } else { i };
            if i >= w.code.len() {
                NoTransaction
            } else {
                Other
            }
        }
        "discard" if w.is(1, "all") => NoTransaction,
        _ => Other,
    }
}

/// Whether the statement's `WITH (…)` options turn `option` off (`option = false`, `option false`,
/// `off`, `0`).
fn option_off(w: &Words<'_>, option: &str) -> bool {
    let off = |k: usize| {
        w.is_any(k, &["false", "off"]) || w.code.get(k).is_some_and(|t| t.text(w.source) == "0")
    };
    (0..w.code.len())
        .any(|k| w.is(k, option) && (off(k + 1) || (w.punct(k + 1, "=") && off(k + 2))))
}

/// Multi-word object types, longest first within each leading word.
const OBJECTS: &[&[&str]] = &[
    &["foreign", "data", "wrapper"],
    &["text", "search", "parser"],
    &["text", "search", "dictionary"],
    &["text", "search", "template"],
    &["text", "search", "configuration"],
    &["materialized", "view"],
    &["foreign", "table"],
    &["event", "trigger"],
    &["user", "mapping"],
    &["operator", "class"],
    &["operator", "family"],
    &["access", "method"],
    &["default", "privileges"],
    &["large", "object"],
];

/// A short description of a statement for logs, from its first keywords, in upper case:
/// `CREATE TABLE`, `CREATE INDEX CONCURRENTLY`, `ALTER MATERIALIZED VIEW`, `INSERT`,
/// `ROLLBACK TO SAVEPOINT`… (`WITH … INSERT` gives `INSERT`). Empty for a statement without words.
pub fn statement_tag(sql: &str) -> String {
    let (tokens, _) = tokens::scan_prefix(sql, 0);
    let mut w = Words::new(sql, &tokens);
    // `(SELECT …) UNION …`: the opening parentheses say nothing.
    let leading = w.code.iter().take_while(|t| t.is_punct(sql, "(")).count();
    w.code.drain(..leading);
    let Some(first) = w.word(0) else {
        return String::new();
    };
    let mut parts: Vec<String> = vec![first.clone()];
    match first.as_str() {
        "create" | "alter" | "drop" => {
            let mut i = 1;
            loop {
                if w.seq(i, &["or", "replace"]) {
                    i += 2;
                } else if w.is_any(
                    i,
                    &[
                        "unique",
                        "temp",
                        "temporary",
                        "unlogged",
                        "global",
                        "local",
                        "trusted",
                        "procedural",
                        "recursive",
                        "constraint",
                    ],
                ) || (first == "create" && w.seq(i, &["default", "conversion"]))
                {
                    i += 1;
                } else {
                    break;
                }
            }
            if let Some(object) = OBJECTS.iter().find(|o| w.seq(i, o)) {
                parts.extend(object.iter().map(|s| (*s).to_owned()));
                i += object.len();
            } else if let Some(word) = w.word(i) {
                parts.push(word);
                i += 1;
            }
            if parts.last().is_some_and(|p| p == "index") && w.is(i, "concurrently") {
                parts.push("concurrently".to_owned());
            }
        }
        "start" if w.is(1, "transaction") => parts.push("transaction".into()),
        "commit" | "rollback" if w.is(1, "prepared") => parts.push("prepared".into()),
        "rollback" => {
            let i = if w.is_any(1, &["work", "transaction"]) {
                2
            } else {
                1
            };
            if w.is(i, "to") {
                parts.extend(["to".into(), "savepoint".into()]);
            }
        }
        "prepare" if w.is(1, "transaction") => parts.push("transaction".into()),
        "security" if w.is(1, "label") => parts.push("label".into()),
        "import" if w.seq(1, &["foreign", "schema"]) => {
            parts.extend(["foreign".into(), "schema".into()]);
        }
        "refresh" if w.seq(1, &["materialized", "view"]) => {
            parts.extend(["materialized".into(), "view".into()]);
            if w.is(3, "concurrently") {
                parts.push("concurrently".into());
            }
        }
        "reindex" => {
            let after_options = w.skip_parens(1);
            if (1..w.code.len()).any(|k| w.is(k, "concurrently")) {
                parts.push("concurrently".into());
            } else if let Some(word) = w.word(after_options) {
                parts.push(word);
            }
        }
        "with" => {
            let verbs = ["select", "insert", "update", "delete", "merge", "values"];
            if let Some(verb) = w
                .top_level(1)
                .find_map(|k| w.word(k).filter(|v| verbs.contains(&v.as_str())))
            {
                parts = vec![verb];
            }
        }
        _ => {}
    }
    parts.join(" ").to_ascii_uppercase()
}

/// The index a `CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] name ON [ONLY] table …` creates:
/// `(schema, name)`, both folded as PostgreSQL folds them.
///
/// An index name cannot be schema-qualified: the index lives in its table's schema, so `schema` is
/// the table's schema when the table name is qualified, and `None` when it is resolved through
/// `search_path`. Returns `None` for other statements and for `CREATE INDEX ON t …` (the server picks
/// the name).
pub fn created_index_name(sql: &str) -> Option<(Option<String>, String)> {
    let (tokens, _) = tokens::scan_prefix(sql, 0);
    let w = Words::new(sql, &tokens);
    if !w.is(0, "create") {
        return None;
    }
    let mut i = if w.is(1, "unique") { 2 } else { 1 };
    if !w.is(i, "index") {
        return None;
    }
    i += 1;
    if w.is(i, "concurrently") {
        i += 1;
    }
    if w.seq(i, &["if", "not", "exists"]) {
        i += 3;
    }
    if w.is(i, "on") {
        return None;
    }
    let name = name_of(&w, i)?;
    i += 1;
    if !w.is(i, "on") {
        return None;
    }
    i += 1;
    if w.is(i, "only") {
        i += 1;
    }
    // table, schema.table or catalog.schema.table
    let mut parts = vec![name_of(&w, i)?];
    while w.punct(i + 1, ".") {
        i += 2;
        parts.push(name_of(&w, i)?);
    }
    let schema = (parts.len() >= 2).then(|| parts[parts.len() - 2].clone());
    Some((schema, name))
}

fn name_of(w: &Words<'_>, i: usize) -> Option<String> {
    let token = w.code.get(i)?;
    if token.class == Class::Keyword && token.text(w.source).eq_ignore_ascii_case("on") {
        return None;
    }
    tokens::identifier_name(token, w.source)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags() {
        for (sql, tag) in [
            ("create table t (a int)", "CREATE TABLE"),
            (
                "CREATE UNIQUE INDEX CONCURRENTLY i ON t (a)",
                "CREATE INDEX CONCURRENTLY",
            ),
            ("create index i on t (a)", "CREATE INDEX"),
            ("drop index concurrently i", "DROP INDEX CONCURRENTLY"),
            ("CREATE OR REPLACE FUNCTION f() …", "CREATE FUNCTION"),
            ("create temp table t ()", "CREATE TABLE"),
            (
                "create materialized view v as select 1",
                "CREATE MATERIALIZED VIEW",
            ),
            (
                "alter default privileges grant select on tables to r",
                "ALTER DEFAULT PRIVILEGES",
            ),
            (
                "create foreign data wrapper w",
                "CREATE FOREIGN DATA WRAPPER",
            ),
            (
                "create text search configuration c (copy = english)",
                "CREATE TEXT SEARCH CONFIGURATION",
            ),
            (
                "create constraint trigger t after insert on t for each row execute function f()",
                "CREATE TRIGGER",
            ),
            ("-- c\ninsert into t values (1)", "INSERT"),
            (
                "with x as (select 1) insert into t select * from x",
                "INSERT",
            ),
            ("with x as (select 1) select * from x", "SELECT"),
            ("(select 1) union (select 2)", "SELECT"),
            ("start transaction", "START TRANSACTION"),
            ("rollback to s", "ROLLBACK TO SAVEPOINT"),
            ("commit prepared 'x'", "COMMIT PREPARED"),
            ("reindex (verbose) table t", "REINDEX TABLE"),
            ("reindex index concurrently i", "REINDEX CONCURRENTLY"),
            (
                "refresh materialized view concurrently v",
                "REFRESH MATERIALIZED VIEW CONCURRENTLY",
            ),
            ("grant select on t to r", "GRANT"),
            ("do $$ begin end $$", "DO"),
            ("-- nothing", ""),
            ("select 'unterminated", "SELECT"),
        ] {
            assert_eq!(statement_tag(sql), tag, "{sql}");
        }
    }

    #[test]
    fn index_names() {
        let some =
            |schema: Option<&str>, name: &str| Some((schema.map(str::to_owned), name.to_owned()));
        assert_eq!(
            created_index_name("create index i on t (a)"),
            some(None, "i")
        );
        assert_eq!(
            created_index_name(
                "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS Idx ON ONLY app.T (a)"
            ),
            some(Some("app"), "idx")
        );
        assert_eq!(
            created_index_name(r#"create index concurrently "My Idx" on "S"."t" using gin (a)"#),
            some(Some("S"), "My Idx")
        );
        assert_eq!(created_index_name("create index on t (a)"), None);
        assert_eq!(
            created_index_name("create index concurrently on t (a)"),
            None
        );
        assert_eq!(created_index_name("create table i (a int)"), None);
        assert_eq!(
            created_index_name("create index i on db.s.t (a)"),
            some(Some("s"), "i")
        );
    }
}
