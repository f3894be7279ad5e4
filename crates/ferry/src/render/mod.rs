//! Human and JSON renderings of the engine's reports, and diagnostics with source snippets.
//!
//! Results go to stdout, progress and messages to stderr. Every string passes through
//! [`ferry_engine::redact::redact`] on its way out, so no password is ever printed.

pub mod diagnostic;
pub mod events;
pub mod run;

use std::io::Write;

use serde::Serialize;

/// Output settings shared by every command.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub json: bool,
    pub quiet: bool,
    pub color: bool,
}

impl Output {
    /// Writes a result line to stdout.
    pub fn result(&self, text: &str) {
        let mut line = ferry_engine::redact::redact(text).into_owned();
        line.push('\n');
        let _ = std::io::stdout().lock().write_all(line.as_bytes());
    }

    /// Writes a message to stderr (hidden by --quiet).
    pub fn message(&self, text: &str) {
        if !self.quiet {
            self.error(text);
        }
    }

    /// Writes an error to stderr, always.
    pub fn error(&self, text: &str) {
        // One write per line: stderr is unbuffered, and `writeln!` would write twice.
        let mut line = ferry_engine::redact::redact(text).into_owned();
        line.push('\n');
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }

    /// Prints `value` as the one JSON document on stdout.
    pub fn json<T: Serialize>(&self, value: &T) {
        let text = serde_json::to_string_pretty(value).unwrap_or_else(|e| {
            format!("{{\"schema_version\":1,\"error\":{{\"message\":\"cannot serialise: {e}\"}}}}")
        });
        self.result(&text);
    }

    pub fn paint(&self, text: &str, style: Style) -> String {
        if !self.color {
            return text.to_owned();
        }
        let code = match style {
            Style::Ok => "32",
            Style::Warn => "33",
            Style::Error => "31;1",
            Style::Dim => "2",
            Style::Bold => "1",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Style {
    Ok,
    Warn,
    Error,
    Dim,
    Bold,
}

/// A simple left-aligned table (no dependency needed for this much).
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if i < widths.len() {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
    }
    let mut out = String::new();
    let line = |cells: Vec<&str>, out: &mut String| {
        let last = cells.len().saturating_sub(1);
        for (i, cell) in cells.iter().enumerate() {
            out.push_str(cell);
            if i < last {
                let pad = widths[i] - cell.chars().count() + 2;
                out.push_str(&" ".repeat(pad));
            }
        }
        out.push('\n');
    };
    line(headers.to_vec(), &mut out);
    for row in rows {
        line(row.iter().map(String::as_str).collect(), &mut out);
    }
    out.pop();
    out
}
