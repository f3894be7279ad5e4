//! Where the body of a `DO` block or a `CREATE FUNCTION/PROCEDURE` starts, and in which language.
//!
//! PL/pgSQL errors arrive with a CONTEXT line such as `PL/pgSQL function inline_code_block line 5 at
//! RAISE`: line N counts within the body string, whose line 1 is the line on which the opening
//! delimiter stands (the body starts right after it). Knowing where the body starts maps that line to a
//! file line; knowing the routine's name maps errors of a function created earlier in the file and
//! called later. The checksum also uses this to treat SQL and PL/pgSQL bodies as code.

use serde::Serialize;

use crate::tokens::{self, Class, Token};

/// Which statement holds the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RoutineKind {
    Do,
    Function,
    Procedure,
}

/// The body of a routine-defining statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RoutineBody {
    pub kind: RoutineKind,
    /// The routine's unqualified name, folded as PostgreSQL folds it (lower case unless quoted);
    /// `None` for `DO`.
    pub name: Option<String>,
    /// The schema when the name is qualified.
    pub schema: Option<String>,
    /// Byte offset within the statement text right after the opening delimiter (`$tag$` or `'`).
    pub body_start: usize,
    /// The `LANGUAGE` given, folded to lower case (`plpgsql` for a `DO` without one); `None` when the
    /// statement names none.
    pub language: Option<String>,
}

/// A routine body found among a statement's tokens.
pub(crate) struct Found {
    pub kind: RoutineKind,
    pub name: Option<String>,
    pub schema: Option<String>,
    pub language: Option<String>,
    /// The string token holding the body.
    pub body: Token,
}

/// Finds the body of `CREATE [OR REPLACE] FUNCTION/PROCEDURE … AS '…'|$$…$$` or
/// `DO [LANGUAGE x] '…'|$$…$$` among `tokens` (one statement's tokens, comments allowed).
pub(crate) fn find(source: &str, tokens: &[Token]) -> Option<Found> {
    let code: Vec<&Token> = tokens::code(tokens).collect();
    let is = |i: usize, w: &str| code.get(i).is_some_and(|t| t.is(source, w));
    let is_body = |t: &Token| matches!(t.class, Class::String | Class::DollarString);
    let language_at = |i: usize| -> Option<String> {
        let t = code.get(i)?;
        if t.is_string() {
            tokens::string_content(t, source).map(|r| source[r].to_ascii_lowercase())
        } else {
            tokens::identifier_name(t, source)
        }
    };

    if is(0, "do") {
        let (body_at, language) = if is(1, "language") {
            (3, language_at(2))
        } else if is(2, "language") {
            (1, language_at(3))
        } else {
            (1, None)
        };
        let body = **code.get(body_at).filter(|t| is_body(t))?;
        return Some(Found {
            kind: RoutineKind::Do,
            name: None,
            schema: None,
            language: Some(language.unwrap_or_else(|| "plpgsql".to_owned())),
            body,
        });
    }

    if !is(0, "create") {
        return None;
    }
    let mut i = 1;
    if is(1, "or") && is(2, "replace") {
        i = 3;
    }
    let kind = if is(i, "function") {
        RoutineKind::Function
    } else if is(i, "procedure") {
        RoutineKind::Procedure
    } else {
        return None;
    };
    i += 1;
    let mut parts = vec![tokens::identifier_name(code.get(i)?, source)?];
    while code.get(i + 1).is_some_and(|t| t.is_punct(source, ".")) {
        i += 2;
        parts.push(tokens::identifier_name(code.get(i)?, source)?);
    }
    let name = parts.pop();
    let schema = parts.pop();

    let mut body = None;
    let mut language = None;
    let mut depth = 0usize;
    for k in i + 1..code.len() {
        let t = code[k];
        if t.is_punct(source, "(") {
            depth += 1;
        } else if t.is_punct(source, ")") {
            depth = depth.saturating_sub(1);
        } else if depth == 0 {
            if body.is_none() && t.is(source, "as") {
                body = code.get(k + 1).filter(|t| is_body(t)).map(|t| **t);
            } else if language.is_none() && t.is(source, "language") {
                language = language_at(k + 1);
            }
        }
    }
    Some(Found {
        kind,
        name,
        schema,
        language,
        body: body?,
    })
}

/// Where the body of a `CREATE [OR REPLACE] FUNCTION/PROCEDURE` (`AS $$…$$` or `AS '…'`) or a
/// `DO [LANGUAGE x] $$…$$` starts within `statement_sql`. `None` for other statements and for
/// SQL-standard bodies (`BEGIN ATOMIC … END`, `RETURN …`), which are not strings.
pub fn routine_body(statement_sql: &str) -> Option<RoutineBody> {
    // The runner asks this of every statement it sends: answer the common case (a statement
    // that is neither DO nor CREATE … FUNCTION/PROCEDURE) without running the scanner.
    if !may_hold_routine(statement_sql) {
        return None;
    }
    let (tokens, _) = tokens::scan_prefix(statement_sql, 0);
    let found = find(statement_sql, &tokens)?;
    let content = tokens::string_content(&found.body, statement_sql)?;
    Some(RoutineBody {
        kind: found.kind,
        name: found.name,
        schema: found.schema,
        body_start: content.start,
        language: found.language,
    })
}

/// Whether `sql` (starting at its first token, as the splitter gives it) may be a DO block or
/// a CREATE [OR REPLACE] FUNCTION/PROCEDURE. Errs on the side of yes: a leading comment makes
/// the caller run the real scanner.
fn may_hold_routine(sql: &str) -> bool {
    let mut words = sql
        .split(|c: char| c.is_whitespace() || c == '(')
        .filter(|w| !w.is_empty());
    let Some(first) = words.next() else {
        return false;
    };
    if first.starts_with("--") || first.starts_with("/*") {
        return true;
    }
    if first.eq_ignore_ascii_case("do") {
        return true;
    }
    if !first.eq_ignore_ascii_case("create") {
        return false;
    }
    // CREATE [OR REPLACE] FUNCTION / PROCEDURE: the kind is within the next three words.
    words
        .take(3)
        .any(|w| w.eq_ignore_ascii_case("function") || w.eq_ignore_ascii_case("procedure"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefilter_keeps_every_routine() {
        assert!(may_hold_routine(
            "create or replace function f() returns int as $$ select 1 $$ language sql"
        ));
        assert!(may_hold_routine(
            "CREATE PROCEDURE p() LANGUAGE plpgsql AS $$ begin end $$"
        ));
        assert!(may_hold_routine("do $$ begin end $$"));
        assert!(!may_hold_routine("create table t (id int)"));
        assert!(!may_hold_routine("create index i on t (a)"));
        assert!(!may_hold_routine(
            "insert into t values ('create function')"
        ));
        assert!(routine_body("create table function_calls (id int)").is_none());
    }

    #[test]
    fn do_blocks() {
        let sql = "DO $body$\nBEGIN\n  RAISE 'x';\nEND\n$body$";
        let body = routine_body(sql).unwrap();
        assert_eq!(body.kind, RoutineKind::Do);
        assert_eq!(body.name, None);
        assert_eq!(body.body_start, 9);
        assert_eq!(body.language.as_deref(), Some("plpgsql"));
        let sql = "do language PLPGSQL $$ begin end $$";
        assert_eq!(routine_body(sql).unwrap().body_start, 22);
        let sql = "do 'begin end' language plpgsql";
        let body = routine_body(sql).unwrap();
        assert_eq!(body.body_start, 4);
        assert_eq!(body.language.as_deref(), Some("plpgsql"));
    }

    #[test]
    fn functions_and_procedures() {
        let sql = "CREATE OR REPLACE FUNCTION App.\"Do_It\"(a text DEFAULT 'x', b int)\nRETURNS TABLE (x int) AS $fn$\nBEGIN\nEND\n$fn$ LANGUAGE plpgsql";
        let body = routine_body(sql).unwrap();
        assert_eq!(body.kind, RoutineKind::Function);
        assert_eq!(body.schema.as_deref(), Some("app"));
        assert_eq!(body.name.as_deref(), Some("Do_It"));
        assert_eq!(&sql[body.body_start..][..6], "\nBEGIN");
        assert_eq!(body.language.as_deref(), Some("plpgsql"));

        let sql = "create procedure p() language sql as 'insert into t values (1)'";
        let body = routine_body(sql).unwrap();
        assert_eq!(body.kind, RoutineKind::Procedure);
        assert_eq!(body.name.as_deref(), Some("p"));
        assert_eq!(body.schema, None);
        assert_eq!(&sql[body.body_start..][..6], "insert");
        assert_eq!(body.language.as_deref(), Some("sql"));

        let sql = "create function f() returns int language 'SQL' return 1";
        assert_eq!(routine_body(sql), None);
        assert_eq!(routine_body("create table t (a int)"), None);
        assert_eq!(routine_body("select 1"), None);
    }
}
