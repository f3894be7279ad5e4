//! ferry_sql: everything ferry knows about SQL text, and the only crate that names `pg_query`.
//!
//! - [`split`]: a migration file → statements with byte ranges, COPY data and kinds; psql
//!   meta-commands are errors found before anything runs.
//! - [`check_syntax`]: PostgreSQL's grammar, with the error position the server would report.
//! - [`LineIndex`], [`char_to_byte`]: byte offsets ↔ lines and columns.
//! - [`checksum`]: a checksum over tokens that ignores cosmetic edits, and one over bytes.
//! - [`password_literals`]: passwords written in SQL, to keep them out of output.
//! - [`routine_body`], [`statement_tag`], [`created_index_name`]: facts about one statement.
//!
//! The lexing is always PostgreSQL's own scanner (libpg_query, via the pinned pg_query crate), never
//! regexes: dollar quotes, nested comments, `E''` and `U&''` strings and quoted identifiers all hide
//! semicolons and backslashes. This crate never prints and never talks to a server.

mod checksum;
mod describe;
mod ffi;
mod lines;
mod routine;
mod secrets;
mod split;
mod syntax;
mod tokens;

pub use checksum::{CHECKSUM_ALGORITHM, Checksum, checksum};
pub use describe::{created_index_name, statement_tag};
pub use lines::{LineIndex, Position, char_to_byte};
pub use routine::{RoutineBody, RoutineKind, routine_body};
pub use secrets::password_literals;
pub use split::{SplitError, Statement, StatementKind, TransactionControl, split};
pub use syntax::{SyntaxError, check_syntax};

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write;
    use std::time::Instant;

    /// A file like the ones the research measured: tables, indexes, views, functions, DML, grants.
    fn big_file(statements: usize) -> String {
        let mut s = String::from("-- generated\n");
        for i in 0..statements / 8 {
            let _ = write!(
                s,
                "CREATE TABLE t{i} (id bigint PRIMARY KEY, name text NOT NULL DEFAULT 'x;y', at timestamptz);
CREATE INDEX t{i}_name ON t{i} (name) WHERE name <> '';
CREATE VIEW v{i} AS SELECT id, upper(name) AS n FROM t{i} /* ; */;
CREATE FUNCTION f{i}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  -- a comment; with a semicolon
  NEW.at := now();
  RAISE NOTICE 'row %; ok', NEW.id;
  RETURN NEW;
END
$fn$;
INSERT INTO t{i} (id, name) VALUES (1, 'a'), (2, E'b\\'c');
UPDATE t{i} SET name = \"name\" || '!' WHERE id = 1;
GRANT SELECT ON t{i} TO PUBLIC;
COMMENT ON TABLE t{i} IS 'table {i}';
"
            );
        }
        s
    }

    #[test]
    fn large_files_are_fast() {
        let source = big_file(2000);
        let start = Instant::now();
        let stmts = split(&source).unwrap();
        let sum = checksum(&source, &[]);
        let elapsed = start.elapsed();
        assert_eq!(stmts.len(), 2000);
        assert!(sum.tokens.starts_with("t1:"));
        // ~10 ms in release; debug builds are several times slower, and CI machines are busy.
        assert!(elapsed.as_secs_f64() < 5.0, "took {elapsed:?}");
    }

    #[test]
    fn many_copy_blocks_stay_linear() {
        let mut source = String::new();
        for i in 0..2000 {
            let _ = writeln!(source, "COPY t{i} (a, b) FROM stdin;");
            for r in 0..20 {
                let _ = writeln!(source, "{r}\tvalue; 'with' $$ /* odd {r}");
            }
            source.push_str("\\.\n\n");
        }
        let start = Instant::now();
        let stmts = split(&source).unwrap();
        let elapsed = start.elapsed();
        assert_eq!(stmts.len(), 2000);
        assert!(stmts.iter().all(|s| s.kind == StatementKind::CopyFromStdin));
        assert!(elapsed.as_secs_f64() < 5.0, "took {elapsed:?}");
    }

    #[test]
    fn statements_map_to_lines() {
        let source =
            "\u{feff}-- header\r\nselect 1;\r\n\r\n  insert into t\r\n  values ('é', 2);\r\n";
        let index = LineIndex::new(source);
        let stmts = split(source).unwrap();
        let starts: Vec<Position> = stmts
            .iter()
            .map(|s| index.position(source, s.range.start))
            .collect();
        assert_eq!(
            starts,
            vec![
                Position { line: 2, column: 1 },
                Position { line: 4, column: 3 }
            ]
        );
        // A server error position inside the second statement → file line and column.
        let sql = stmts[1].text(source);
        let server_position = 31; // 1-based characters: the `2`
        let byte = stmts[1].range.start + char_to_byte(sql, server_position - 1);
        assert_eq!(&source[byte..byte + 1], "2");
        assert_eq!(
            index.position(source, byte),
            Position {
                line: 5,
                column: 16
            }
        );
        assert_eq!(index.line_text(source, 5), "  values ('é', 2);");
    }
}
