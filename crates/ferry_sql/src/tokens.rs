//! Tokens: PostgreSQL's own lexer output, classified into the few kinds the rest of the crate needs.
//!
//! Everything that has to know where a string, a dollar quote, a comment or a quoted identifier starts
//! and ends asks this module, and this module asks PostgreSQL's scanner (through [`crate::ffi`]) — never
//! a regex. Token numbers change between PostgreSQL versions (Bison numbers them in declaration order),
//! so they are mapped to [`Class`] by name here and nowhere else.

use std::ops::Range;

use pg_query::protobuf::Token as T;

use crate::ffi::{self, RawToken};
use crate::lines::char_to_byte;

/// What kind of token, as far as splitting, checksums and secrets are concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    /// A keyword (reserved or not), written in any case.
    Keyword,
    /// An unquoted identifier.
    Ident,
    /// `"…"`.
    QuotedIdent,
    /// `U&"…"`.
    UnicodeIdent,
    /// `'…'`, `E'…'`, or adjacent literals joined across a newline.
    String,
    /// `$tag$…$tag$`.
    DollarString,
    /// `U&'…'`.
    UnicodeString,
    /// `B'…'`.
    BitString,
    /// `X'…'`.
    HexString,
    Integer,
    Float,
    /// `$1`.
    Param,
    /// Operators and punctuation.
    Operator,
    /// `-- …` and `/* … */`.
    Comment,
    /// A backslash outside any literal: psql would read it as a meta-command.
    Backslash,
}

/// A token with byte offsets into the text the caller passed to [`scan`] (offsets already shifted by
/// the `base` given there).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    pub start: usize,
    pub end: usize,
    pub class: Class,
}

impl Token {
    pub fn text<'a>(&self, source: &'a str) -> &'a str {
        &source[self.start..self.end]
    }

    /// Keywords and unquoted identifiers: the words whose case PostgreSQL folds.
    pub fn is_word(&self) -> bool {
        matches!(self.class, Class::Keyword | Class::Ident)
    }

    /// Whether this token is the word `word` (given in lower case), in any case.
    pub fn is(&self, source: &str, word: &str) -> bool {
        self.is_word() && self.text(source).eq_ignore_ascii_case(word)
    }

    /// Whether this token is exactly the punctuation `p` (`;`, `(`, …).
    pub fn is_punct(&self, source: &str, p: &str) -> bool {
        self.class == Class::Operator && self.text(source) == p
    }

    pub fn is_comment(&self) -> bool {
        self.class == Class::Comment
    }

    /// Any string constant, whatever its quoting.
    pub fn is_string(&self) -> bool {
        matches!(
            self.class,
            Class::String | Class::DollarString | Class::UnicodeString
        )
    }
}

/// A scanner failure, with the absolute byte offset PostgreSQL pointed at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ScanFailure {
    pub offset: usize,
    pub message: String,
}

fn classify(raw: &RawToken, text: &str) -> Class {
    const IDENT: i32 = T::Ident as i32;
    const UIDENT: i32 = T::Uident as i32;
    const SCONST: i32 = T::Sconst as i32;
    const USCONST: i32 = T::Usconst as i32;
    const BCONST: i32 = T::Bconst as i32;
    const XCONST: i32 = T::Xconst as i32;
    const ICONST: i32 = T::Iconst as i32;
    const FCONST: i32 = T::Fconst as i32;
    const PARAM: i32 = T::Param as i32;
    const SQL_COMMENT: i32 = T::SqlComment as i32;
    const C_COMMENT: i32 = T::CComment as i32;
    const BACKSLASH: i32 = T::Ascii92 as i32;
    if raw.keyword_kind != 0 {
        return Class::Keyword;
    }
    let first = text.as_bytes().get(raw.start).copied();
    match raw.token {
        IDENT if first == Some(b'"') => Class::QuotedIdent,
        IDENT => Class::Ident,
        UIDENT => Class::UnicodeIdent,
        SCONST if first == Some(b'$') => Class::DollarString,
        SCONST => Class::String,
        USCONST => Class::UnicodeString,
        BCONST => Class::BitString,
        XCONST => Class::HexString,
        ICONST => Class::Integer,
        FCONST => Class::Float,
        PARAM => Class::Param,
        SQL_COMMENT | C_COMMENT => Class::Comment,
        BACKSLASH => Class::Backslash,
        _ => Class::Operator,
    }
}

/// Scans `text` completely; offsets in the result are shifted by `base`.
pub(crate) fn scan(text: &str, base: usize) -> Result<Vec<Token>, ScanFailure> {
    match ffi::scan_tokens(text) {
        Ok(raw) => Ok(convert(&raw, text, base)),
        Err(e) => Err(ScanFailure {
            offset: base
                + e.cursor
                    .map_or(text.len(), |c| char_to_byte(text, c.saturating_sub(1))),
            message: e.message,
        }),
    }
}

/// Scans `text` and, when the scanner fails, also returns the tokens *before* the failure (by scanning
/// the text up to the failure position again): the caller may find that a COPY statement or a psql
/// meta-command there explains the failure (COPY data is not SQL; `\echo it's` has an odd quote).
pub(crate) fn scan_prefix(text: &str, base: usize) -> (Vec<Token>, Option<ScanFailure>) {
    match scan(text, base) {
        Ok(tokens) => (tokens, None),
        Err(failure) => {
            let cut = failure.offset - base;
            let tokens = if cut > 0 && cut < text.len() {
                // The failure points at the start of a token, so the prefix scans cleanly; if it
                // somehow does not, there are just no tokens to offer.
                scan(&text[..cut], base).unwrap_or_default()
            } else {
                Vec::new()
            };
            (tokens, Some(failure))
        }
    }
}

fn convert(raw: &[RawToken], text: &str, base: usize) -> Vec<Token> {
    raw.iter()
        .filter(|r| r.end >= r.start && r.end <= text.len())
        .map(|r| Token {
            start: base + r.start,
            end: base + r.end,
            class: classify(r, text),
        })
        .collect()
}

/// The content of a string constant token: the text between its delimiters, escapes as written.
/// Returns `None` for a token that is not a string constant.
pub(crate) fn string_content(token: &Token, source: &str) -> Option<Range<usize>> {
    let text = token.text(source);
    let (open, close) = match token.class {
        Class::DollarString => {
            let tag_len = text[1..].find('$')? + 2;
            (tag_len, tag_len)
        }
        Class::UnicodeString => (3, 1), // U&'…'
        Class::String => {
            // '…', E'…', e'…'; adjacent literals joined across a newline keep their inner quotes.
            let open = text.find('\'')? + 1;
            (open, 1)
        }
        _ => return None,
    };
    if open + close > text.len() {
        return None;
    }
    Some(token.start + open..token.end - close)
}

/// Folds an identifier token as PostgreSQL does: unquoted → ASCII lower case (PostgreSQL's
/// `downcase_identifier` leaves non-ASCII bytes alone in UTF-8 databases); quoted → as written, with
/// `""` unescaped. Returns `None` for anything else.
pub(crate) fn identifier_name(token: &Token, source: &str) -> Option<String> {
    let text = token.text(source);
    match token.class {
        Class::Keyword | Class::Ident => Some(text.to_ascii_lowercase()),
        Class::QuotedIdent => Some(text[1..text.len() - 1].replace("\"\"", "\"")),
        Class::UnicodeIdent => Some(text.to_owned()),
        _ => None,
    }
}

/// The tokens of `tokens` that are not comments.
pub(crate) fn code(tokens: &[Token]) -> impl Iterator<Item = &Token> + Clone {
    tokens.iter().filter(|t| !t.is_comment())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes(sql: &str) -> Vec<(Class, &str)> {
        scan(sql, 0)
            .unwrap()
            .into_iter()
            .map(|t| (t.class, t.text(sql)))
            .collect()
    }

    #[test]
    fn classifies_every_kind() {
        use Class::*;
        let sql = r#"SELECT foo, "Q;q", U&"d\0061t", 'a;b', E'it\'s', $x$ $$ ; $x$, U&'t', B'01', X'ff', 1, 1.5, $1, ::, \ -- c
/* a /* b */ c */"#;
        let got: Vec<Class> = classes(sql)
            .into_iter()
            .map(|(c, _)| c)
            .filter(|c| *c != Operator)
            .collect();
        assert_eq!(
            got,
            vec![
                Keyword,
                Ident,
                QuotedIdent,
                UnicodeIdent,
                String,
                String,
                DollarString,
                UnicodeString,
                BitString,
                HexString,
                Integer,
                Float,
                Param,
                Backslash,
                Comment,
                Comment
            ]
        );
    }

    #[test]
    fn token_text_covers_whole_literals() {
        let sql = r#"x 'a;b' E'it\'s; x' "q;q" $body$ a $$ b $body$ U&'d\0061t;a' UESCAPE '!'"#;
        let texts: Vec<&str> = classes(sql).into_iter().map(|(_, t)| t).collect();
        assert_eq!(
            texts,
            vec![
                "x",
                "'a;b'",
                r"E'it\'s; x'",
                r#""q;q""#,
                "$body$ a $$ b $body$",
                r"U&'d\0061t;a'",
                "UESCAPE",
                "'!'"
            ]
        );
    }

    #[test]
    fn string_content_strips_delimiters() {
        let sql = r"'ab' E'c\'d' $t$ef$t$ U&'gh' $$$$";
        let tokens = scan(sql, 0).unwrap();
        let contents: Vec<&str> = tokens
            .iter()
            .map(|t| &sql[string_content(t, sql).unwrap()])
            .collect();
        assert_eq!(contents, vec!["ab", r"c\'d", "ef", "gh", ""]);
    }

    #[test]
    fn identifiers_fold_like_postgres() {
        let sql = r#"FooBär "FooBar" "a""b""#;
        let tokens = scan(sql, 0).unwrap();
        let names: Vec<String> = tokens
            .iter()
            .map(|t| identifier_name(t, sql).unwrap())
            .collect();
        assert_eq!(names, vec!["foobär", "FooBar", "a\"b"]);
    }

    #[test]
    fn failure_offsets_are_bytes_and_prefix_tokens_are_kept() {
        let sql = "select 'é'; \\echo it's";
        let (tokens, failure) = scan_prefix(sql, 10);
        let failure = failure.unwrap();
        assert_eq!(failure.offset, 10 + sql.find("'s").unwrap());
        assert!(tokens.iter().any(|t| t.class == Class::Backslash));
    }
}
