//! Splitting a migration file into statements, the way psql would send them.
//!
//! Owns statement boundaries, COPY … FROM stdin data blocks and the detection of psql meta-commands.
//! The lexing is PostgreSQL's own scanner ([`crate::tokens`]); on top of its tokens this module applies
//! psql's rules (`src/bin/psql/psqlscan.l`): a `;` ends a statement unless it is inside parentheses
//! (`CREATE RULE … DO (INSERT …; INSERT …)`) or inside the `BEGIN ATOMIC … END` body of a
//! `CREATE FUNCTION/PROCEDURE` (psql's BEGIN/CASE/END counting heuristic, copied as is).
//!
//! COPY data is not SQL — it may hold `'`, `$$`, `/*` or `;` anywhere — so after a
//! `COPY … FROM stdin;` the data up to its `\.` line is cut out and scanning starts again after it.
//! To keep that linear for pg_dump files with hundreds of COPY blocks, each scan is bounded by the next
//! `\.` line (which can only be a COPY terminator or an error); only when that bound cuts something
//! (a `\.` line inside a dollar quote, say) is the rest of the file scanned again unbounded.

use std::ops::Range;

use serde::Serialize;
use thiserror::Error;

use crate::describe;
use crate::tokens::{self, Class, ScanFailure, Token};

const BOM: &str = "\u{feff}";

/// One statement of a file, located by byte ranges into the original text (BOM included).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Statement {
    /// Byte range in the source of the text to send to the server: from the statement's first token
    /// (leading whitespace and comments excluded) to the end of its last token (the terminating `;`
    /// excluded).
    pub range: Range<usize>,
    /// For `COPY … FROM STDIN`: byte range of the data that follows (from the line after the COPY
    /// statement up to, not including, the terminating `\.` line). The data is sent with the COPY
    /// protocol, not as SQL.
    pub copy_data: Option<Range<usize>>,
    pub kind: StatementKind,
}

impl Statement {
    /// The SQL to send: `&source[self.range.clone()]`.
    pub fn text<'a>(&self, source: &'a str) -> &'a str {
        &source[self.range.clone()]
    }

    /// The COPY data, if any: `&source[copy_data]`.
    pub fn copy_data<'a>(&self, source: &'a str) -> Option<&'a str> {
        self.copy_data.clone().map(|r| &source[r])
    }
}

/// What the runner has to know about a statement before sending it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StatementKind {
    /// BEGIN / START TRANSACTION / COMMIT / END / ROLLBACK / ABORT / SAVEPOINT / RELEASE /
    /// PREPARE TRANSACTION / COMMIT PREPARED / ROLLBACK PREPARED.
    TransactionControl(TransactionControl),
    /// Statements PostgreSQL refuses inside a transaction block (those that call
    /// `PreventInTransactionBlock`): CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY,
    /// REINDEX SCHEMA/SYSTEM/DATABASE, VACUUM, CREATE/DROP DATABASE, CREATE/DROP TABLESPACE,
    /// ALTER SYSTEM, ALTER DATABASE … SET TABLESPACE, CLUSTER without a table, DISCARD ALL,
    /// ALTER TABLE … DETACH PARTITION … CONCURRENTLY, CREATE SUBSCRIPTION (unless
    /// `connect`/`create_slot = false`), DROP SUBSCRIPTION and the ALTER SUBSCRIPTION forms that
    /// refresh. (`ALTER TYPE … ADD VALUE` is not listed: only PostgreSQL < 12 refuses it.)
    NoTransaction,
    /// `COPY … FROM STDIN`: [`Statement::copy_data`] holds the data.
    CopyFromStdin,
    Other,
}

/// The transaction-control statements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TransactionControl {
    /// BEGIN, START TRANSACTION.
    Begin,
    /// COMMIT, END.
    Commit,
    /// ROLLBACK, ABORT.
    Rollback,
    Savepoint,
    /// RELEASE [SAVEPOINT].
    Release,
    /// ROLLBACK [WORK | TRANSACTION] TO [SAVEPOINT].
    RollbackTo,
    /// PREPARE TRANSACTION.
    Prepare,
    CommitPrepared,
    RollbackPrepared,
}

/// Why a file could not be split. Every variant carries the byte offset (into the original text) of
/// what is wrong, so it can be shown at its line and column before anything runs.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum SplitError {
    /// A psql meta-command (`\i file.sql`, `\set x 1`, `\connect db`, `\restrict key`…): psql
    /// interprets it, the server cannot. `offset` is the backslash; `command` is e.g. `\i`.
    #[error(
        "psql meta-command `{command}` at byte {offset}: ferry sends SQL to the server, not to psql; replace it with SQL or remove it"
    )]
    MetaCommand { offset: usize, command: String },
    /// A `COPY … FROM stdin` whose data has no terminating `\.` line. `offset` is the COPY statement.
    #[error("COPY … FROM stdin at byte {offset} has no `\\.` line ending its data")]
    UnterminatedCopy { offset: usize },
    /// A literal, quoted identifier or comment that never ends. `offset` is where it starts.
    #[error("unterminated {what} starting at byte {offset}")]
    Unterminated { offset: usize, what: &'static str },
    /// Any other error of PostgreSQL's scanner (e.g. "trailing junk after numeric literal").
    #[error("{message} (at byte {offset})")]
    Scan { offset: usize, message: String },
}

impl SplitError {
    /// The byte offset the error points at.
    pub fn offset(&self) -> usize {
        match self {
            SplitError::MetaCommand { offset, .. }
            | SplitError::UnterminatedCopy { offset }
            | SplitError::Unterminated { offset, .. }
            | SplitError::Scan { offset, .. } => *offset,
        }
    }
}

/// Splits a whole migration file.
///
/// Uses PostgreSQL's scanner, so dollar quotes with any tag, nested block comments, `E''` strings,
/// `U&''` strings and quoted identifiers hide their semicolons. A UTF-8 BOM is skipped (ranges stay
/// relative to the original text). Empty statements (`;;`) and comment-only files give nothing.
/// `COPY … FROM stdin;` is followed by raw data lines up to a line that is exactly `\.`; that data is
/// cut out before the rest is scanned. A psql meta-command (a backslash outside strings, dollar
/// quotes, comments and COPY data — usually at the start of a line) is an error: psql treats every
/// such backslash as the start of one.
pub fn split(source: &str) -> Result<Vec<Statement>, SplitError> {
    let script = Script::scan(source);
    match script.error {
        Some(e) => Err(e),
        None => Ok(script.statements.into_iter().map(|s| s.statement).collect()),
    }
}

/// A scanned file: its tokens and its statements (and, on failure, what was found before it).
pub(crate) struct Script {
    /// Every token outside COPY data, comments included, in order.
    pub tokens: Vec<Token>,
    pub statements: Vec<ScannedStatement>,
    pub error: Option<SplitError>,
}

pub(crate) struct ScannedStatement {
    pub statement: Statement,
    /// Indices into [`Script::tokens`]: from the statement's first to its last non-comment token.
    pub tokens: Range<usize>,
}

/// How the walk over one scanned chunk ended.
enum ChunkEnd {
    /// A COPY … FROM stdin block was cut out; scanning resumes at `restart`.
    Copy {
        restart: usize,
    },
    /// All tokens were used; the file is done.
    Done,
    Error(SplitError),
}

struct Chunk {
    tokens: Vec<Token>,
    /// Token ranges are relative to `tokens`.
    statements: Vec<ScannedStatement>,
    end: ChunkEnd,
}

impl Script {
    pub fn scan(source: &str) -> Script {
        let mut script = Script {
            tokens: Vec::new(),
            statements: Vec::new(),
            error: None,
        };
        let mut pos = if source.starts_with(BOM) {
            BOM.len()
        } else {
            0
        };
        while pos < source.len() {
            let bound = terminator_line(source, pos).map_or(source.len(), |line| line.start);
            let mut chunk = walk_chunk(source, pos, bound);
            if bound < source.len() && !matches!(chunk.end, ChunkEnd::Copy { .. }) {
                // The bound was not a COPY terminator reached through a COPY statement: scan the rest
                // whole, so a `\.` line inside a literal or comment does not cut it.
                chunk = walk_chunk(source, pos, source.len());
            }
            let offset = script.tokens.len();
            script.tokens.extend(chunk.tokens);
            script
                .statements
                .extend(chunk.statements.into_iter().map(|mut s| {
                    s.tokens = s.tokens.start + offset..s.tokens.end + offset;
                    s
                }));
            match chunk.end {
                ChunkEnd::Copy { restart } => pos = restart,
                ChunkEnd::Done => break,
                ChunkEnd::Error(e) => {
                    script.error = Some(e);
                    break;
                }
            }
        }
        script
    }
}

/// psql's per-statement lexer state: parentheses and the BEGIN … END depth of a
/// `CREATE [OR REPLACE] FUNCTION/PROCEDURE … BEGIN ATOMIC … END` body.
#[derive(Default)]
struct Depth {
    parens: usize,
    begins: usize,
    /// First letters of the first four words when they are create/or/replace/function/procedure.
    leading: [u8; 4],
    words: usize,
}

impl Depth {
    fn update(&mut self, source: &str, token: &Token) {
        match token.text(source) {
            "(" if token.class == Class::Operator => self.parens += 1,
            ")" if token.class == Class::Operator => self.parens = self.parens.saturating_sub(1),
            _ => {}
        }
        if !token.is_word() {
            return;
        }
        let word = token.text(source);
        if self.words < self.leading.len()
            && ["create", "function", "procedure", "or", "replace"]
                .iter()
                .any(|w| word.eq_ignore_ascii_case(w))
        {
            self.leading[self.words] = word.as_bytes()[0].to_ascii_lowercase();
        }
        self.words += 1;
        let l = self.leading;
        let routine = l[0] == b'c'
            && (l[1] == b'f'
                || l[1] == b'p'
                || (l[1] == b'o' && l[2] == b'r' && matches!(l[3], b'f' | b'p')));
        if routine && self.parens == 0 {
            if word.eq_ignore_ascii_case("begin") {
                self.begins += 1;
            } else if word.eq_ignore_ascii_case("case") {
                // CASE also ends with END; only tracked inside a BEGIN, as psql does.
                if self.begins >= 1 {
                    self.begins += 1;
                }
            } else if word.eq_ignore_ascii_case("end") {
                self.begins = self.begins.saturating_sub(1);
            }
        }
    }

    fn at_top(&self) -> bool {
        self.parens == 0 && self.begins == 0
    }
}

/// Scans `source[pos..bound]` and cuts it into statements, stopping after the first
/// COPY … FROM stdin statement (whose data is then located) or at the first error.
fn walk_chunk(source: &str, pos: usize, bound: usize) -> Chunk {
    let (scanned, failure) = tokens::scan_prefix(&source[pos..bound], pos);
    let mut chunk = Chunk {
        tokens: Vec::with_capacity(scanned.len()),
        statements: Vec::new(),
        end: ChunkEnd::Done,
    };
    let mut first: Option<usize> = None;
    let mut last = 0;
    let mut depth = Depth::default();
    let mut iter = scanned.into_iter();
    while let Some(token) = iter.next() {
        if token.class == Class::Backslash {
            chunk.end = ChunkEnd::Error(meta_command(source, token.start));
            return chunk;
        }
        let index = chunk.tokens.len();
        chunk.tokens.push(token);
        if token.is_comment() {
            continue;
        }
        if token.is_punct(source, ";") && depth.at_top() {
            depth = Depth::default();
            let Some(start) = first.take() else {
                continue; // an empty statement
            };
            let statement = finish(source, &chunk.tokens, start..last + 1);
            if statement.statement.kind != StatementKind::CopyFromStdin {
                chunk.statements.push(statement);
                continue;
            }
            // COPY … FROM stdin; the data starts on the next line.
            let data_start = source[token.end..]
                .find('\n')
                .map_or(source.len(), |i| token.end + i + 1);
            if let Some(extra) = iter.find(|t| t.start < data_start && !t.is_comment()) {
                chunk.end = ChunkEnd::Error(SplitError::Scan {
                    offset: extra.start,
                    message:
                        "COPY … FROM stdin must end its line: its data starts on the next line"
                            .to_owned(),
                });
                return chunk;
            }
            let copy_start = statement.statement.range.start;
            let Some(terminator) = terminator_line(source, data_start) else {
                chunk.end = ChunkEnd::Error(SplitError::UnterminatedCopy { offset: copy_start });
                return chunk;
            };
            let mut statement = statement;
            statement.statement.copy_data = Some(data_start..terminator.start);
            chunk.statements.push(statement);
            chunk.end = ChunkEnd::Copy {
                restart: terminator.end,
            };
            return chunk;
        }
        if first.is_none() {
            first = Some(index);
        }
        last = index;
        depth.update(source, &token);
    }
    if let Some(failure) = failure {
        chunk.end = ChunkEnd::Error(scan_error(failure));
        return chunk;
    }
    if let Some(start) = first {
        // The last statement has no `;`.
        let statement = finish(source, &chunk.tokens, start..last + 1);
        if statement.statement.kind == StatementKind::CopyFromStdin {
            chunk.end = ChunkEnd::Error(SplitError::UnterminatedCopy {
                offset: statement.statement.range.start,
            });
            return chunk;
        }
        chunk.statements.push(statement);
    }
    chunk
}

fn finish(source: &str, tokens: &[Token], range: Range<usize>) -> ScannedStatement {
    let stmt_tokens = &tokens[range.clone()];
    let kind = describe::kind(source, stmt_tokens);
    ScannedStatement {
        statement: Statement {
            range: stmt_tokens[0].start..stmt_tokens[stmt_tokens.len() - 1].end,
            copy_data: None,
            kind,
        },
        tokens: range,
    }
}

/// The line that ends COPY data — exactly `\.` (or `\.\r`) — at or after line start `from`.
/// Returns its range including its line ending.
pub(crate) fn terminator_line(source: &str, from: usize) -> Option<Range<usize>> {
    let bytes = source.as_bytes();
    let mut line = from;
    while line < bytes.len() {
        let newline = memchr_newline(bytes, line);
        let content_end = newline.unwrap_or(bytes.len());
        let content = &bytes[line..content_end];
        if content == b"\\." || content == b"\\.\r" {
            return Some(line..newline.map_or(bytes.len(), |n| n + 1));
        }
        line = newline? + 1;
    }
    None
}

fn memchr_newline(bytes: &[u8], from: usize) -> Option<usize> {
    bytes[from..]
        .iter()
        .position(|&b| b == b'\n')
        .map(|i| from + i)
}

/// The meta-command starting with the backslash at `offset`: `\` and its name (`\i`, `\set`, `\\`).
fn meta_command(source: &str, offset: usize) -> SplitError {
    let rest = &source[offset + 1..];
    let name_len = if rest.starts_with('\\') {
        1
    } else {
        rest.find(|c: char| c.is_whitespace() || c == '\\')
            .unwrap_or(rest.len())
    };
    SplitError::MetaCommand {
        offset,
        command: source[offset..offset + 1 + name_len].to_owned(),
    }
}

fn scan_error(failure: ScanFailure) -> SplitError {
    let what = [
        ("unterminated quoted string", "string"),
        ("unterminated bit string literal", "string"),
        ("unterminated hexadecimal string literal", "string"),
        ("unterminated quoted identifier", "quoted identifier"),
        ("unterminated dollar-quoted string", "dollar-quoted string"),
        ("unterminated /* comment", "comment"),
    ]
    .iter()
    .find(|(prefix, _)| failure.message.starts_with(prefix))
    .map(|(_, what)| *what);
    match what {
        Some(what) => SplitError::Unterminated {
            offset: failure.offset,
            what,
        },
        None => SplitError::Scan {
            offset: failure.offset,
            message: failure.message,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use StatementKind::*;

    fn texts(source: &str) -> Vec<&str> {
        split(source)
            .unwrap()
            .iter()
            .map(|s| s.text(source))
            .collect()
    }

    #[test]
    fn hidden_semicolons() {
        let source = r#"-- c; omment
CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  RAISE NOTICE 'a;b';
END $$;
/* a /* b; */ c; */
DO $body$ BEGIN PERFORM 1; PERFORM $$;$$; END $body$;
SELECT E'it\'s; x', U&'d\0061t;a' UESCAPE '!', "q;q", 'x;y';
SELECT $fn$ $x$ ; $x$ $fn$"#;
        assert_eq!(
            texts(source),
            vec![
                "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n  RAISE NOTICE 'a;b';\nEND $$",
                "DO $body$ BEGIN PERFORM 1; PERFORM $$;$$; END $body$",
                r#"SELECT E'it\'s; x', U&'d\0061t;a' UESCAPE '!', "q;q", 'x;y'"#,
                "SELECT $fn$ $x$ ; $x$ $fn$",
            ]
        );
    }

    #[test]
    fn ranges_exclude_leading_comments_and_the_semicolon() {
        let source = "  /* lead */ -- more\n  select 1 /* inner */ + 2 ;  -- trailing\n";
        let stmts = split(source).unwrap();
        assert_eq!(stmts.len(), 1);
        assert_eq!(stmts[0].text(source), "select 1 /* inner */ + 2");
        assert_eq!(stmts[0].kind, Other);
        assert_eq!(stmts[0].copy_data, None);
    }

    #[test]
    fn bom_crlf_no_trailing_semicolon_and_empty_statements() {
        let source = "\u{feff}select 1;\r\n;;\r\n-- x\r\nselect\r\n  2\r\n";
        let stmts = split(source).unwrap();
        assert_eq!(stmts[0].range, 3..11);
        assert_eq!(texts(source), vec!["select 1", "select\r\n  2"]);
        assert_eq!(texts("-- only\n/* comments */\n"), Vec::<&str>::new());
        assert_eq!(texts(""), Vec::<&str>::new());
        assert_eq!(texts("\u{feff}"), Vec::<&str>::new());
        assert_eq!(texts(";;"), Vec::<&str>::new());
    }

    #[test]
    fn parentheses_and_begin_atomic_keep_semicolons() {
        let source = "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));
CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql
BEGIN ATOMIC
  SELECT CASE WHEN true THEN 1 END;
  SELECT 2;
END;
CREATE PROCEDURE p() BEGIN ATOMIC INSERT INTO t VALUES (1); END;
SELECT CASE WHEN true THEN 1 END;
BEGIN;
END;";
        let got = texts(source);
        assert_eq!(got.len(), 6, "{got:#?}");
        assert!(got[1].ends_with("SELECT 2;\nEND"));
        assert_eq!(got[4], "BEGIN");
        assert_eq!(got[5], "END");
    }

    const PG_DUMP: &str = "--
-- PostgreSQL database dump
--

SET statement_timeout = 0;

COPY public.items (id, name, note) FROM stdin;
1\tsemi;colon\t\\N
2\tback\\\\slash $$ not a quote\t'odd
3\t/* not a comment\t-- nor this
\\.


--
-- Data for Name: other
--

COPY public.other (id) FROM stdin;
7
\\.
SELECT pg_catalog.setval('public.items_id_seq', 3, true);
";

    #[test]
    fn copy_blocks_as_pg_dump_writes_them() {
        let stmts = split(PG_DUMP).unwrap();
        let kinds: Vec<StatementKind> = stmts.iter().map(|s| s.kind).collect();
        assert_eq!(kinds, vec![Other, CopyFromStdin, CopyFromStdin, Other]);
        assert_eq!(
            stmts[1].text(PG_DUMP),
            "COPY public.items (id, name, note) FROM stdin"
        );
        assert_eq!(
            stmts[1].copy_data(PG_DUMP).unwrap(),
            "1\tsemi;colon\t\\N\n2\tback\\\\slash $$ not a quote\t'odd\n3\t/* not a comment\t-- nor this\n"
        );
        assert_eq!(stmts[2].copy_data(PG_DUMP).unwrap(), "7\n");
        assert!(
            stmts[3]
                .text(PG_DUMP)
                .starts_with("SELECT pg_catalog.setval")
        );
    }

    #[test]
    fn copy_variants() {
        let source = "copy t from STDIN with (format csv);\r\na,\"b;\r\n\\.\r\ncopy t(a) FROM stdin;\n\\.\nselect 1";
        let stmts = split(source).unwrap();
        assert_eq!(stmts.len(), 3);
        assert_eq!(stmts[0].copy_data(source), Some("a,\"b;\r\n"));
        assert_eq!(stmts[1].copy_data(source), Some(""));
        assert_eq!(stmts[2].text(source), "select 1");
        // Data at the end of the file, terminator without newline.
        let source = "copy t from stdin; -- fine\nx\n\\.";
        assert_eq!(split(source).unwrap()[0].copy_data(source), Some("x\n"));
        // COPY TO STDOUT and COPY FROM a file have no data.
        assert_eq!(
            split("copy t to stdout; copy t from '/f'").unwrap()[0].kind,
            Other
        );
    }

    #[test]
    fn copy_errors() {
        let source = "select 1;\ncopy t from stdin;\n1\n2\n";
        assert_eq!(
            split(source),
            Err(SplitError::UnterminatedCopy { offset: 10 })
        );
        assert_eq!(
            split("copy t from stdin"),
            Err(SplitError::UnterminatedCopy { offset: 0 })
        );
        let source = "copy t from stdin; select 1;\n\\.\n";
        assert!(matches!(
            split(source),
            Err(SplitError::Scan { offset: 19, .. })
        ));
        // A `\.` line that is not after a COPY is a meta-command.
        let source = "select 1;\n\\.\n";
        assert_eq!(
            split(source),
            Err(SplitError::MetaCommand {
                offset: 10,
                command: "\\.".into()
            })
        );
    }

    #[test]
    fn terminator_inside_a_dollar_quote_is_not_a_bound() {
        let source = "select $$\n\\.\n$$;\ncopy t from stdin;\nx\n\\.\nselect 2;";
        let stmts = split(source).unwrap();
        assert_eq!(stmts.len(), 3);
        assert_eq!(stmts[0].text(source), "select $$\n\\.\n$$");
        assert_eq!(stmts[1].copy_data(source), Some("x\n"));
    }

    #[test]
    fn meta_commands_are_errors_with_offsets() {
        for (source, offset, command) in [
            ("\\i file.sql\n", 0, "\\i"),
            ("select 1;\n  \t\\set x 1\n", 13, "\\set"),
            ("\\restrict abc123\nselect 1;", 0, "\\restrict"),
            ("select 1;\n\\connect db\n", 10, "\\connect"),
            ("select 1;\n\\echo it's\n", 10, "\\echo"),
            ("select 1 \\gset\n", 9, "\\gset"),
            ("\\\\", 0, "\\\\"),
            ("copy t from stdin;\n\\i x\n\\.\n\\i y\n", 27, "\\i"),
        ] {
            assert_eq!(
                split(source),
                Err(SplitError::MetaCommand {
                    offset,
                    command: command.into()
                }),
                "{source:?}"
            );
        }
    }

    #[test]
    fn backslashes_in_literals_and_comments_are_not_meta_commands() {
        let source = "select '\n\\i x';\nselect $$\n\\i x\n$$;\n/*\n\\i x\n*/\n-- \\i x\nselect E'\\\\', \"\\i\";\ncopy t from stdin;\n\\i data\n\\.\n";
        assert_eq!(split(source).unwrap().len(), 4);
    }

    #[test]
    fn unterminated_things() {
        for (source, offset, what) in [
            ("select 1; select 'abc", 17, "string"),
            ("select \"abc", 7, "quoted identifier"),
            ("select $x$ abc $$", 7, "dollar-quoted string"),
            ("select 1; /* a /* b */", 10, "comment"),
            ("select E'\\'", 7, "string"),
            ("select 'é', 'x", 13, "string"),
        ] {
            assert_eq!(
                split(source),
                Err(SplitError::Unterminated { offset, what }),
                "{source:?}"
            );
        }
        assert!(matches!(
            split("select 1abc"),
            Err(SplitError::Scan { offset: 7, .. })
        ));
        assert!(matches!(
            split("select 1;\0"),
            Err(SplitError::Scan { offset: 9, .. })
        ));
    }

    #[test]
    fn transaction_control_and_no_transaction_kinds() {
        use super::TransactionControl::*;
        let source = "BEGIN; START TRANSACTION ISOLATION LEVEL SERIALIZABLE; COMMIT; END; ROLLBACK; ABORT;
SAVEPOINT s; RELEASE SAVEPOINT s; ROLLBACK TO SAVEPOINT s; ROLLBACK WORK TO s; PREPARE TRANSACTION 'x';
COMMIT PREPARED 'x'; ROLLBACK PREPARED 'x'; commit and chain;
CREATE INDEX CONCURRENTLY i ON t (a); create unique index concurrently if not exists i on t (a);
DROP INDEX CONCURRENTLY IF EXISTS i; REINDEX INDEX CONCURRENTLY i; REINDEX (VERBOSE, CONCURRENTLY) TABLE t;
REINDEX DATABASE d; VACUUM; VACUUM (ANALYZE) t; CREATE DATABASE d; DROP DATABASE d;
CREATE TABLESPACE s LOCATION '/x'; DROP TABLESPACE s; ALTER SYSTEM SET work_mem = '1MB';
ALTER DATABASE d SET TABLESPACE s; CLUSTER; CLUSTER VERBOSE; DISCARD ALL;
ALTER TABLE t DETACH PARTITION p CONCURRENTLY; CREATE SUBSCRIPTION s CONNECTION 'x' PUBLICATION p;
ALTER SUBSCRIPTION s REFRESH PUBLICATION; ALTER SUBSCRIPTION s SET PUBLICATION p; DROP SUBSCRIPTION s;
CREATE INDEX i ON t (a); REINDEX TABLE t; ANALYZE t; CLUSTER t USING i; ALTER DATABASE d SET work_mem = 1;
PREPARE q AS SELECT 1; DISCARD PLANS; ALTER TABLE t DETACH PARTITION p; DROP INDEX i; CREATE TABLE begin_t (a int);
CREATE SUBSCRIPTION s CONNECTION 'x' PUBLICATION p WITH (connect = false);
ALTER SUBSCRIPTION s SET PUBLICATION p WITH (refresh = false); REINDEX (CONCURRENTLY false) TABLE t;";
        let kinds: Vec<StatementKind> = split(source).unwrap().iter().map(|s| s.kind).collect();
        let tc = StatementKind::TransactionControl;
        let mut expected = vec![
            tc(Begin),
            tc(Begin),
            tc(Commit),
            tc(Commit),
            tc(Rollback),
            tc(Rollback),
            tc(Savepoint),
            tc(Release),
            tc(RollbackTo),
            tc(RollbackTo),
            tc(Prepare),
            tc(CommitPrepared),
            tc(RollbackPrepared),
            tc(Commit),
        ];
        expected.extend([NoTransaction; 22]);
        expected.extend([Other; 13]);
        assert_eq!(kinds, expected);
    }

    /// Property-style: any mix of tricky statements, joined with `;` and assorted separators, splits
    /// back into exactly those statements.
    #[test]
    fn generated_scripts_split_back() {
        let pieces = [
            "select 1",
            "select 'a;b'",
            "select $$;$$",
            "select $t$ $$ ; $t$",
            "select \"x;y\" from t",
            "select E'\\';'",
            "select U&'d\\0061t;a' UESCAPE '!'",
            "insert into t values (1, 'x;y')",
            "create function f() returns int language sql begin atomic select 1; end",
            "select 1 /* a; /* b; */ */ + 2",
            "do $$ begin perform 1; end $$",
        ];
        let separators = [";\n", ";", " ;\r\n-- c;\n", ";\n/* ; */\n\n", ";;\t"];
        // A small deterministic generator (no dependency on a random crate).
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        for _ in 0..50 {
            let count = 1 + next(40);
            let chosen: Vec<&str> = (0..count).map(|_| pieces[next(pieces.len())]).collect();
            let mut source = String::new();
            for piece in &chosen {
                source.push_str(piece);
                source.push_str(separators[next(separators.len())]);
            }
            assert_eq!(texts(&source), chosen, "{source}");
        }
    }
}
