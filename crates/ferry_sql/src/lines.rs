//! Byte offsets ↔ lines and columns, and the server's character positions → bytes.
//!
//! Everything in ferry is located by byte offset into the file; people read lines and columns. Lines
//! and columns are 1-based and columns count characters (not bytes), as editors do. PostgreSQL reports
//! an error position as a 1-based *character* index into the query string it received
//! (<https://www.postgresql.org/docs/current/protocol-error-fields.html>, field `P`), hence
//! [`char_to_byte`].

use serde::Serialize;

const BOM: &str = "\u{feff}";

/// A 1-based line and a 1-based column counted in characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// The start of every line of a text, for repeated byte → line/column lookups.
///
/// Lines end at `\n`; a `\r` before it belongs to the line ending, not to the text. A UTF-8 byte order
/// mark at the very start is not counted as a column: editors do not show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineIndex {
    /// Byte offset of the start of each line; `starts[0] == 0`.
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { starts }
    }

    /// Number of lines (a text ending in `\n` has an empty last line).
    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// The line and column of byte offset `byte` in `text` (the text this index was built from).
    /// An offset inside a multi-byte character counts as that character; offsets past the end are
    /// clamped to the end.
    pub fn position(&self, text: &str, byte: usize) -> Position {
        let byte = floor_char_boundary(text, byte.min(text.len()));
        let line = self.starts.partition_point(|&s| s <= byte); // ≥ 1 since starts[0] == 0
        let mut start = self.starts[line - 1];
        if start == 0 && text.starts_with(BOM) && byte >= BOM.len() {
            start = BOM.len();
        }
        Position {
            line,
            column: text[start..byte].chars().count() + 1,
        }
    }

    /// Byte offset where 1-based `line` starts; lines past the end map to the end of `text`'s last
    /// line start (use [`LineIndex::line_count`] to stay in range).
    pub fn line_start(&self, line: usize) -> usize {
        let i = line.clamp(1, self.starts.len()) - 1;
        self.starts[i]
    }

    /// The text of 1-based `line`, without its line ending (`\n` or `\r\n`). Empty for lines out of range.
    pub fn line_text<'a>(&self, text: &'a str, line: usize) -> &'a str {
        if line == 0 || line > self.starts.len() {
            return "";
        }
        let start = self.starts[line - 1].min(text.len());
        let end = self
            .starts
            .get(line)
            .map_or(text.len(), |&next| next - 1)
            .min(text.len());
        let s = &text[start..end];
        s.strip_suffix('\r').unwrap_or(s)
    }
}

/// The byte offset in `text` of the 0-based character index `chars`, clamped to `text.len()`.
///
/// The server's positions are 1-based characters: subtract 1 before calling.
pub fn char_to_byte(text: &str, chars: usize) -> usize {
    text.char_indices()
        .nth(chars)
        .map_or(text.len(), |(byte, _)| byte)
}

fn floor_char_boundary(text: &str, mut byte: usize) -> usize {
    while !text.is_char_boundary(byte) {
        byte -= 1;
    }
    byte
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters() {
        let text = "ab\nçé x\r\n\nlast";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_count(), 4);
        assert_eq!(idx.position(text, 0), Position { line: 1, column: 1 });
        assert_eq!(idx.position(text, 2), Position { line: 1, column: 3 });
        assert_eq!(idx.position(text, 3), Position { line: 2, column: 1 });
        let x = text.find('x').unwrap();
        assert_eq!(idx.position(text, x), Position { line: 2, column: 4 });
        // Inside "é": counts as the "é".
        assert_eq!(idx.position(text, 6), Position { line: 2, column: 2 });
        assert_eq!(idx.position(text, 999), Position { line: 4, column: 5 });
        assert_eq!(idx.line_text(text, 2), "çé x");
        assert_eq!(idx.line_text(text, 3), "");
        assert_eq!(idx.line_text(text, 4), "last");
        assert_eq!(idx.line_text(text, 5), "");
        assert_eq!(idx.line_start(2), 3);
        assert_eq!(idx.line_start(4), text.find("last").unwrap());
    }

    #[test]
    fn bom_is_not_a_column() {
        let text = "\u{feff}select x;";
        let idx = LineIndex::new(text);
        assert_eq!(idx.position(text, 3), Position { line: 1, column: 1 });
        assert_eq!(idx.position(text, 10), Position { line: 1, column: 8 });
        assert_eq!(idx.line_text(text, 1), text);
    }

    #[test]
    fn char_to_byte_maps_server_positions() {
        let sql = "select 'ü', frm";
        // The server says position 13 (1-based chars) for "frm".
        assert_eq!(char_to_byte(sql, 13 - 1), sql.find("frm").unwrap());
        assert_eq!(char_to_byte(sql, 0), 0);
        assert_eq!(char_to_byte(sql, 1000), sql.len());
        assert_eq!(char_to_byte("", 0), 0);
    }
}
