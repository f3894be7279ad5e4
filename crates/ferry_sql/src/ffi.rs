//! The hand-declared libpg_query C API: the scanner and the parser, with the error *position*.
//!
//! The pg_query crate's Rust API drops the `cursorpos` of a `PgQueryError` (`Error::Parse(String)`,
//! `Error::Scan(String)`), and ferry's whole point is to name the line and column of an error. So this
//! module declares the two C entry points it needs itself and copies the C structs by hand from
//! `libpg_query/pg_query.h` as vendored in pg_query 18.1.0 — which is why the workspace pins
//! `pg_query = "=18.1.0"`: a new version must be re-checked against its header before the pin moves.
//! The static library itself is linked by the pg_query crate's build script.
//!
//! Thread safety: libpg_query keeps its memory contexts and PostgreSQL's globals in thread-local
//! storage, so calls from several threads are fine — except that `pg_query_parse` redirects the
//! process-wide file descriptor 2 (stderr) into a pipe while it runs (to capture parser warnings) and
//! restores it afterwards. Two parses racing would restore each other's pipe as stderr, so every parse
//! here holds [`PARSE_LOCK`]. `pg_query_scan_tokens` does not touch stderr and needs no lock.

// Unsafe is confined to this module: it is an FFI boundary, and each block below states the C
// contract it relies on.
#![allow(unsafe_code)]

use std::ffi::{CStr, CString, c_char, c_int};
use std::sync::Mutex;

/// `PgQueryError` from pg_query.h.
#[repr(C)]
struct PgQueryError {
    message: *mut c_char,
    funcname: *mut c_char,
    filename: *mut c_char,
    lineno: c_int,
    /// 1-based *character* index into the input (0 when the error has no position).
    cursorpos: c_int,
    context: *mut c_char,
}

/// `PgQueryParseResult` from pg_query.h.
#[repr(C)]
struct PgQueryParseResult {
    parse_tree: *mut c_char,
    stderr_buffer: *mut c_char,
    error: *mut PgQueryError,
}

/// `PgQueryScanToken` from pg_query.h. The two enums (`PgQueryToken`, `PgQueryKeywordKind`) are plain
/// C enums, which are `int`-sized on every platform libpg_query supports.
#[repr(C)]
#[derive(Clone, Copy)]
struct PgQueryScanToken {
    /// Byte offset of the token in the input.
    start: c_int,
    /// Byte offset just past the token.
    end: c_int,
    token: c_int,
    keyword_kind: c_int,
}

/// `PgQueryScanTokensResult` from pg_query.h.
#[repr(C)]
struct PgQueryScanTokensResult {
    tokens: *mut PgQueryScanToken,
    n_tokens: c_int,
    error: *mut PgQueryError,
}

unsafe extern "C" {
    fn pg_query_parse(input: *const c_char) -> PgQueryParseResult;
    fn pg_query_free_parse_result(result: PgQueryParseResult);
    fn pg_query_scan_tokens(input: *const c_char) -> PgQueryScanTokensResult;
    fn pg_query_free_scan_tokens_result(result: PgQueryScanTokensResult);
}

/// Serialises `pg_query_parse` calls: see the module docs (stderr is redirected process-wide).
static PARSE_LOCK: Mutex<()> = Mutex::new(());

/// One token as the C scanner returns it; offsets are bytes into the scanned text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RawToken {
    pub start: usize,
    pub end: usize,
    /// PostgreSQL's token number (`pg_query::protobuf::Token`).
    pub token: i32,
    /// `pg_query::protobuf::KeywordKind`: 0 for a non-keyword.
    pub keyword_kind: i32,
}

/// An error from libpg_query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CError {
    pub message: String,
    /// 1-based character position in the input, as the server reports it; `None` when absent.
    pub cursor: Option<usize>,
}

/// PostgreSQL reads the query as a C string, so a NUL byte cannot be passed on. Report it the way the
/// C library reports its own errors: a message and a 1-based character position.
fn nul_error(text: &str, nul_byte: usize) -> CError {
    CError {
        message: "invalid byte sequence: the text contains a NUL byte (0x00)".to_owned(),
        cursor: Some(text[..nul_byte].chars().count() + 1),
    }
}

fn to_c_string(text: &str) -> Result<CString, CError> {
    CString::new(text).map_err(|e| nul_error(text, e.nul_position()))
}

/// Copies a `PgQueryError` into Rust.
///
/// # Safety
/// `error` must be a valid, non-null pointer to a `PgQueryError` from libpg_query.
unsafe fn copy_error(error: *const PgQueryError) -> CError {
    // SAFETY: the caller guarantees `error` is valid; libpg_query always sets `message` to a
    // NUL-terminated strdup'ed string (or leaves it null, which we guard against).
    unsafe {
        let message = if (*error).message.is_null() {
            String::from("unknown error")
        } else {
            CStr::from_ptr((*error).message)
                .to_string_lossy()
                .into_owned()
        };
        let cursor = usize::try_from((*error).cursorpos).ok().filter(|&c| c > 0);
        CError { message, cursor }
    }
}

/// Runs PostgreSQL's lexer over `text`, comments included.
pub(crate) fn scan_tokens(text: &str) -> Result<Vec<RawToken>, CError> {
    let input = to_c_string(text)?;
    // SAFETY: `input` is a valid NUL-terminated string that outlives the call. The result owns
    // malloc'ed memory that we read (tokens: `n_tokens` elements, or null when there are none) and
    // then release exactly once with the matching free function.
    unsafe {
        let result = pg_query_scan_tokens(input.as_ptr());
        let out = if !result.error.is_null() {
            Err(copy_error(result.error))
        } else if result.tokens.is_null() || result.n_tokens <= 0 {
            Ok(Vec::new())
        } else {
            let n = usize::try_from(result.n_tokens).unwrap_or(0);
            let tokens = std::slice::from_raw_parts(result.tokens, n);
            Ok(tokens
                .iter()
                .map(|t| RawToken {
                    start: usize::try_from(t.start).unwrap_or(0),
                    end: usize::try_from(t.end).unwrap_or(0),
                    token: t.token,
                    keyword_kind: t.keyword_kind,
                })
                .collect())
        };
        pg_query_free_scan_tokens_result(result);
        out
    }
}

/// Parses `text` with PostgreSQL's raw grammar; the tree itself is thrown away.
pub(crate) fn parse(text: &str) -> Result<(), CError> {
    let input = to_c_string(text)?;
    let _guard = PARSE_LOCK
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    // SAFETY: `input` is a valid NUL-terminated string that outlives the call; the result is read
    // (only its `error`) and then freed exactly once with the matching free function.
    unsafe {
        let result = pg_query_parse(input.as_ptr());
        let out = if result.error.is_null() {
            Ok(())
        } else {
            Err(copy_error(result.error))
        };
        pg_query_free_parse_result(result);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pg_query::protobuf::Token;

    #[test]
    fn scan_gives_byte_offsets_and_token_numbers() {
        let tokens = scan_tokens("SELECT 'a;b' -- c\n;").unwrap();
        let kinds: Vec<i32> = tokens.iter().map(|t| t.token).collect();
        assert_eq!(
            kinds,
            vec![
                Token::Select as i32,
                Token::Sconst as i32,
                Token::SqlComment as i32,
                Token::Ascii59 as i32
            ]
        );
        assert_eq!((tokens[1].start, tokens[1].end), (7, 12));
        assert_ne!(tokens[0].keyword_kind, 0);
        assert_eq!(tokens[1].keyword_kind, 0);
    }

    #[test]
    fn scan_error_has_a_character_position() {
        // "é" is two bytes: the quote is character 10, byte 11 (1-based).
        let err = scan_tokens("select 'é', 'open").unwrap_err();
        assert!(
            err.message.starts_with("unterminated quoted string"),
            "{err:?}"
        );
        assert_eq!(err.cursor, Some(13));
    }

    #[test]
    fn parse_error_has_a_character_position() {
        let err = parse("select 1 frm t").unwrap_err();
        assert_eq!(err.message, "syntax error at or near \"t\"");
        assert_eq!(err.cursor, Some(14));
        assert_eq!(parse("select 1"), Ok(()));
    }

    #[test]
    fn nul_bytes_are_reported_not_truncated() {
        let err = parse("select 'ü\0'").unwrap_err();
        assert_eq!(err.cursor, Some(10));
        assert!(scan_tokens("a\0").is_err());
    }

    #[test]
    fn parallel_calls_are_safe() {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                std::thread::spawn(move || {
                    for _ in 0..200 {
                        assert!(parse(&format!("select {i} from t where")).is_err());
                        assert!(parse(&format!("select {i}")).is_ok());
                        assert_eq!(scan_tokens("select 1;").unwrap().len(), 3);
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
    }
}
