//! Checksums that change only when the SQL does.
//!
//! A migration that was applied must not change; but re-indenting it, fixing a comment, switching it
//! to CRLF or upper-casing its keywords changes nothing the server sees, and a checksum over raw bytes
//! would call that a modification. The token checksum hashes PostgreSQL's scanner tokens instead:
//! comments and whitespace are left out; keywords and unquoted identifiers are folded to lower case as
//! PostgreSQL folds them (ASCII only, like `downcase_identifier`); quoted identifiers, literals and
//! numbers are kept exactly, except that CRLF becomes LF inside them, so a change of line endings never
//! changes the checksum. Dollar-quoted bodies of SQL and PL/pgSQL routines (CREATE FUNCTION,
//! CREATE PROCEDURE, DO) are code, so their tokens are hashed the same way; COPY data is data and is
//! hashed as bytes (CRLF → LF too: COPY FROM accepts either line ending).
//!
//! The encoding is versioned ([`CHECKSUM_ALGORITHM`], the `t1:` prefix): any change to what is hashed
//! or how must bump it, or every applied migration would suddenly look modified.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::routine;
use crate::split::Script;
use crate::tokens::{self, Class, Token};

/// Version of the token checksum encoding (the `1` in `t1:`).
pub const CHECKSUM_ALGORITHM: u32 = 1;

/// The two checksums of a migration file.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Checksum {
    /// `t1:` + sha256 hex over the directives and the tokens; `t1b:` + sha256 hex over the directives
    /// and the raw bytes when the file cannot be scanned.
    pub tokens: String,
    /// `b1:` + sha256 hex of the raw bytes.
    pub bytes: String,
}

/// Computes both checksums of `source`; `directives` (e.g. `no-transaction`) are part of the token
/// checksum, in order, since they change how the file runs while living in comments.
pub fn checksum(source: &str, directives: &[&str]) -> Checksum {
    let bytes = format!("b1:{}", hex(&Sha256::digest(source.as_bytes())));
    let script = Script::scan(source);
    let mut hasher = Hasher(Sha256::new());
    for directive in directives {
        hasher.field(b'D', directive.as_bytes());
    }
    if script.error.is_some() {
        hasher.field(b'R', source.as_bytes());
        return Checksum {
            tokens: format!("t1b:{}", hex(&hasher.0.finalize())),
            bytes,
        };
    }
    for stmt in &script.statements {
        hasher.0.update(b"S");
        let stmt_tokens = &script.tokens[stmt.tokens.clone()];
        let body = routine::find(source, stmt_tokens)
            .filter(|found| {
                found.body.class == Class::DollarString
                    && found
                        .language
                        .as_deref()
                        .is_none_or(|l| l == "sql" || l == "plpgsql")
            })
            .map(|found| found.body);
        for token in tokens::code(stmt_tokens) {
            if Some(*token) == body {
                hash_body(&mut hasher, source, token);
            } else {
                hash_token(&mut hasher, source, token);
            }
        }
        if let Some(data) = &stmt.statement.copy_data {
            hasher.field(b'C', normalise_newlines(&source[data.clone()]).as_bytes());
        }
    }
    Checksum {
        tokens: format!("t1:{}", hex(&hasher.0.finalize())),
        bytes,
    }
}

/// Writes length-prefixed, tagged fields, so no two token sequences hash the same input.
struct Hasher(Sha256);

impl Hasher {
    fn field(&mut self, tag: u8, data: &[u8]) {
        self.0.update([tag]);
        self.0.update((data.len() as u64).to_le_bytes());
        self.0.update(data);
    }
}

fn hash_token(hasher: &mut Hasher, source: &str, token: &Token) {
    let text = token.text(source);
    let tag = match token.class {
        // One tag for both: whether a word is a keyword depends on the PostgreSQL version.
        Class::Keyword | Class::Ident => {
            hasher.field(b'w', text.to_ascii_lowercase().as_bytes());
            return;
        }
        Class::QuotedIdent => b'q',
        Class::UnicodeIdent => b'Q',
        Class::String | Class::DollarString => b's',
        Class::UnicodeString => b'u',
        Class::BitString => b'b',
        Class::HexString => b'x',
        Class::Integer => b'i',
        Class::Float => b'f',
        Class::Param => b'p',
        Class::Operator | Class::Backslash => b'o',
        Class::Comment => return,
    };
    hasher.field(tag, normalise_newlines(text).as_bytes());
}

/// A routine body is code: hash its tokens (one level deep: strings inside it are data). A body that
/// does not scan is hashed as text.
fn hash_body(hasher: &mut Hasher, source: &str, token: &Token) {
    let Some(content) = tokens::string_content(token, source) else {
        hash_token(hasher, source, token);
        return;
    };
    let body = &source[content.clone()];
    match tokens::scan(body, content.start) {
        Ok(body_tokens) => {
            hasher.0.update(b"{");
            for t in tokens::code(&body_tokens) {
                hash_token(hasher, source, t);
            }
            hasher.0.update(b"}");
        }
        Err(_) => hasher.field(b'B', normalise_newlines(body).as_bytes()),
    }
}

fn normalise_newlines(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains("\r\n") {
        text.replace("\r\n", "\n").into()
    } else {
        text.into()
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "-- migration
CREATE TABLE app.users (
    id bigint PRIMARY KEY,
    \"Name\" text NOT NULL DEFAULT 'a b',
    n numeric DEFAULT 1.5
);
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    x int := 1;
BEGIN
    -- keep it simple
    RAISE NOTICE 'a';
    RETURN NEW;
END
$$;
COPY app.users (id, \"Name\") FROM stdin;
1\tx
\\.
";

    fn same(a: &str, b: &str) {
        let (ca, cb) = (checksum(a, &[]), checksum(b, &[]));
        assert_eq!(ca.tokens, cb.tokens, "tokens should match:\n{a}\n---\n{b}");
        if a != b {
            assert_ne!(ca.bytes, cb.bytes);
        }
    }

    fn different(a: &str, b: &str) {
        assert_ne!(
            checksum(a, &[]).tokens,
            checksum(b, &[]).tokens,
            "tokens should differ:\n{a}\n---\n{b}"
        );
    }

    #[test]
    fn format() {
        let c = checksum(BASE, &[]);
        assert!(
            c.tokens.starts_with("t1:") && c.tokens.len() == 3 + 64,
            "{}",
            c.tokens
        );
        assert!(c.bytes.starts_with("b1:") && c.bytes.len() == 3 + 64);
        assert_eq!(
            checksum("", &[]).bytes,
            "b1:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn cosmetic_edits_keep_the_token_checksum() {
        // Re-indent, including inside the PL/pgSQL body.
        same(BASE, &BASE.replace("    ", "\t").replace("\n);", " );"));
        // Comment edits, inside and outside the body.
        same(
            BASE,
            &BASE.replace("-- migration", "/* v2 */ -- migration!"),
        );
        same(
            BASE,
            &BASE.replace("-- keep it simple", "-- keep it really simple"),
        );
        // CRLF ↔ LF, including inside literals, the body and the COPY data.
        same(BASE, &BASE.replace('\n', "\r\n"));
        same(
            &BASE.replace("'a b'", "'a\nb'"),
            &BASE.replace('\n', "\r\n").replace("'a b'", "'a\r\nb'"),
        );
        // Keyword and unquoted identifier case.
        same(
            BASE,
            &BASE.replace("CREATE TABLE app.users", "create table APP.Users"),
        );
        same(BASE, &BASE.replace("RETURN NEW", "return new"));
        // A BOM.
        same(BASE, &format!("\u{feff}{BASE}"));
        // Trailing `;` and empty statements.
        same("select 1", "select 1;;\n");
    }

    #[test]
    fn real_edits_change_the_token_checksum() {
        different(BASE, &BASE.replace("app.users (", "app.members ("));
        different(BASE, &BASE.replace("'a b'", "'a  b'"));
        different(BASE, &BASE.replace("'a b'", "'A b'"));
        different(BASE, &BASE.replace("PRIMARY KEY", "UNIQUE"));
        different(BASE, &BASE.replace("\"Name\"", "\"name\""));
        different(BASE, &BASE.replace("1.5", "1.50"));
        different(BASE, &BASE.replace("x int := 1", "x int := 2"));
        different(BASE, &BASE.replace("NOTICE 'a'", "NOTICE 'b'"));
        different(BASE, &BASE.replace("1\tx", "1\ty"));
        different(BASE, &BASE.replace("1\tx", "1  x"));
        different("select 1; select 2", "select 1 select 2");
        different("select 'a''b'", "select 'a' 'b'");
        assert_ne!(
            checksum(BASE, &["no-transaction"]).tokens,
            checksum(BASE, &[]).tokens
        );
        assert_ne!(
            checksum(BASE, &["a", "b"]).tokens,
            checksum(BASE, &["ab"]).tokens
        );
    }

    #[test]
    fn bodies_in_other_languages_are_data() {
        let py =
            "create function f() returns int language plpython3u as $$\nif x:\n    return 1\n$$";
        different(py, &py.replace("    return", "  return"));
        let single = "create function f() returns int language plpgsql as 'begin return 1; end'";
        different(single, &single.replace("return 1", "return  1"));
        // A body that does not scan is hashed as text.
        let broken = "do $$\nselect 'x\n$$";
        different(broken, &broken.replace("select", "select "));
        same(broken, &broken.replace('\n', "\r\n"));
    }

    #[test]
    fn unscannable_files_fall_back_to_bytes() {
        let c = checksum("select 'oops", &[]);
        assert!(c.tokens.starts_with("t1b:"));
        assert_ne!(
            checksum("select 'oops", &[]).tokens,
            checksum("select  'oops", &[]).tokens
        );
    }
}
