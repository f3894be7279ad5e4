//! Syntax checks with PostgreSQL's real grammar, with the error position the server would give.
//!
//! Used to report every syntax error of a migration before anything runs. The position is what the
//! server puts in the `P` field of an ErrorResponse: a 1-based *character* index into the statement
//! text (<https://www.postgresql.org/docs/current/protocol-error-fields.html>). Convert it with
//! [`crate::char_to_byte`] (after subtracting 1), then add the statement's offset in the file.
//!
//! Limits: this is the raw grammar of the bundled PostgreSQL (18). It does not look up names or
//! types, does not check PL/pgSQL bodies, and accepts PostgreSQL 18 syntax an older server rejects.

use thiserror::Error;

use crate::ffi;

/// A syntax error as the server would report it.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct SyntaxError {
    /// PostgreSQL's message, e.g. `syntax error at or near "frm"`.
    pub message: String,
    /// 1-based character position within the checked text; `None` when the error has no position.
    pub cursor: Option<usize>,
}

impl SyntaxError {
    /// The byte offset in `sql` (the text that was checked) the error points at.
    pub fn byte_offset(&self, sql: &str) -> Option<usize> {
        self.cursor
            .map(|c| crate::char_to_byte(sql, c.saturating_sub(1)))
    }
}

/// Parses one statement's text (or several) with PostgreSQL's grammar.
///
/// Thread-safe; concurrent calls are serialised because libpg_query redirects the process's stderr
/// while it parses (see [`crate::ffi`]).
pub fn check_syntax(sql: &str) -> Result<(), SyntaxError> {
    ffi::parse(sql).map_err(|e| SyntaxError {
        message: e.message,
        cursor: e.cursor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_statements_pass() {
        for sql in [
            "select 1",
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a) WHERE b",
            "DROP INDEX CONCURRENTLY IF EXISTS i",
            "DO LANGUAGE plpgsql $do$ BEGIN PERFORM 1; END $do$",
            "CREATE MATERIALIZED VIEW v AS SELECT 1 WITH NO DATA",
            "",
            "-- only a comment",
        ] {
            assert_eq!(check_syntax(sql), Ok(()), "{sql}");
        }
    }

    #[test]
    fn positions_are_one_based_characters_like_the_server() {
        // Checked against PostgreSQL 15 (`ERROR: syntax error at or near "t"`, `LINE 1: select 1 frm t`
        // with the caret under `t`: position 14). `frm` itself is a column alias.
        let err = check_syntax("select 1 frm t").unwrap_err();
        assert_eq!(err.message, "syntax error at or near \"t\"");
        assert_eq!(err.cursor, Some(14));
        assert_eq!(err.byte_offset("select 1 frm t"), Some(13));

        // Multibyte text before the error counts as one position per character.
        let sql = "select 'héllo ☃', 1 frm t";
        let err = check_syntax(sql).unwrap_err();
        assert_eq!(err.cursor, Some(25));
        assert_eq!(&sql[err.byte_offset(sql).unwrap()..], "t");

        // Over several lines, as in a file.
        let sql = "create table t (\n  a int,\n  b int,\n  c inte ger\n)";
        let err = check_syntax(sql).unwrap_err();
        assert_eq!(err.message, "syntax error at or near \"ger\"");
        assert_eq!(err.cursor, Some(45)); // what PostgreSQL 15 reports
        assert_eq!(&sql[err.byte_offset(sql).unwrap()..][..3], "ger");
    }

    #[test]
    fn end_of_input_and_scanner_errors() {
        let err = check_syntax("select 1 +").unwrap_err();
        assert_eq!(err.message, "syntax error at end of input");
        assert_eq!(err.cursor, Some(11));
        let err = check_syntax("select 'abc").unwrap_err();
        assert!(err.message.starts_with("unterminated quoted string"));
        assert_eq!(err.cursor, Some(8));
    }
}
