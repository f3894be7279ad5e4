//! Errors with the source line and a caret, through annotate-snippets, and their JSON form.

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use ferry_engine::plan::{Location, Problem};
use ferry_engine::runner::MigrationFailure;
use serde::Serialize;

use super::Output;

fn renderer(out: &Output) -> Renderer {
    if out.color {
        Renderer::styled()
    } else {
        Renderer::plain()
    }
}

/// The byte span to underline at `location`: the token starting there (at least one character).
fn span(location: &Location) -> std::ops::Range<usize> {
    let text = &location.text;
    let start = location.offset.min(text.len());
    let rest = &text[start..];
    let len = rest
        .char_indices()
        .find(|(_, c)| c.is_whitespace() || matches!(c, ';' | ',' | '(' | ')'))
        .map(|(i, _)| i)
        .unwrap_or(rest.len());
    let len = if len == 0 {
        rest.chars().next().map_or(0, char::len_utf8)
    } else {
        len
    };
    start..start + len
}

/// Renders a migration that failed while running.
pub fn failure(out: &Output, f: &MigrationFailure) -> String {
    let direction = match f.direction {
        ferry_engine::log::Direction::Up => "migration",
        ferry_engine::log::Direction::Down => "rollback of migration",
    };
    let title = if f.statement > 0 {
        format!(
            "{direction} {} ({}) failed at statement {} of {}: {}",
            f.version, f.name, f.statement, f.statements_total, f.message
        )
    } else {
        format!(
            "{direction} {} ({}) failed: {}",
            f.version, f.name, f.message
        )
    };
    // The SQLSTATE is the diagnostic's id (`error[23505]`).
    let mut notes: Vec<String> = Vec::new();
    if let Some(d) = &f.detail {
        notes.push(format!("detail: {d}"));
    }
    if let Some(h) = &f.hint {
        notes.push(format!("hint: {h}"));
    }
    if let Some(c) = &f.context {
        notes.push(format!("context: {}", c.replace('\n', "\n         ")));
    }
    if let Some(c) = &f.constraint {
        notes.push(format!("constraint: {c}"));
    }
    if !f.state_left.is_empty() {
        notes.push(format!("state: {}", f.state_left));
    }
    render(
        out,
        &title,
        f.location.as_ref(),
        f.sqlstate.as_deref(),
        &notes,
    )
}

/// Renders one refusal.
pub fn problem(out: &Output, p: &Problem) -> String {
    match p.location() {
        Some(location) => {
            // The message repeats file:line:col; the snippet header carries it instead.
            let message = p.message();
            let (line, col) = location.line_col();
            let prefix = format!("{}:{line}:{col}: ", location.path.display());
            let title = message.strip_prefix(&prefix).unwrap_or(&message).to_owned();
            render(out, &title, Some(location), None, &[])
        }
        None => render(out, &p.message(), None, None, &[]),
    }
}

fn render(
    out: &Output,
    title: &str,
    location: Option<&Location>,
    code: Option<&str>,
    notes: &[String],
) -> String {
    let title = ferry_engine::redact::redact(title).into_owned();
    let mut title_el = Level::ERROR.primary_title(title.as_str());
    if let Some(code) = code {
        title_el = title_el.id(code);
    }
    let path;
    let text;
    let group = match location {
        Some(location) => {
            path = location.path.display().to_string();
            text = ferry_engine::redact::redact(&location.text).into_owned();
            // Redaction can change lengths before the offset: point within the redacted text.
            let located = Location {
                path: location.path.clone(),
                text: text.as_str().into(),
                offset: shift(&location.text, &text, location.offset),
            };
            let (line, col) = located.line_col();
            let label = format!("line {line}, column {col}");
            title_el.element(
                Snippet::source(text.as_str())
                    .path(path.as_str())
                    .fold(true)
                    .annotation(AnnotationKind::Primary.span(span(&located)).label(label)),
            )
        }
        None => Group::with_title(title_el),
    };
    let notes: Vec<String> = notes
        .iter()
        .map(|n| ferry_engine::redact::redact(n).into_owned())
        .collect();
    let mut group = group;
    for note in &notes {
        group = group.element(Level::NOTE.message(note.as_str()));
    }
    renderer(out).render(&[group])
}

/// Maps a byte offset in `before` to the same place in `after` (the redacted text), assuming
/// redaction only replaced runs of characters.
fn shift(before: &str, after: &str, offset: usize) -> usize {
    if before.len() == after.len() {
        return offset.min(after.len());
    }
    let prefix = ferry_engine::redact::redact(&before[..offset.min(before.len())]);
    prefix.len().min(after.len())
}

/// The JSON form of an error.
#[derive(Debug, Serialize)]
pub struct JsonError {
    pub schema_version: u32,
    pub error: JsonErrorBody,
}

#[derive(Debug, Serialize)]
pub struct JsonErrorBody {
    pub kind: String,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<JsonProblem>,
}

#[derive(Debug, Serialize)]
pub struct JsonProblem {
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
}

impl JsonProblem {
    pub fn from_problem(p: &Problem) -> JsonProblem {
        let location = p.location();
        let (line, column) = location.map(Location::line_col).unzip();
        JsonProblem {
            message: p.message(),
            file: location.map(|l| l.path.display().to_string()),
            line,
            column,
        }
    }
}
