//! `ferry status`: each migration's state.

use ferry_engine::Error;
use ferry_engine::ops::{self, Context};
use ferry_engine::plan::{Change, State};

use crate::ExitStatus;
use crate::args::StatusArgs;
use crate::render::{Output, Style, table};

pub fn run(ctx: &Context, args: &StatusArgs, out: Output) -> Result<ExitStatus, Error> {
    let report = ops::status(ctx)?;
    let status = if args.exit_code && report.has_findings() {
        ExitStatus::Findings
    } else {
        ExitStatus::Success
    };
    if out.json {
        out.json(&report);
        return Ok(status);
    }
    if report.migrations.is_empty() {
        out.result("no migrations");
        return Ok(status);
    }
    let rows: Vec<Vec<String>> = report
        .migrations
        .iter()
        .map(|m| {
            let state = match (m.state, m.change) {
                (State::Changed, Some(Change::Cosmetic)) => "changed (cosmetic only)".to_owned(),
                (State::Changed, _) => "changed".to_owned(),
                (State::Applied, _) if m.baselined => "applied (baseline)".to_owned(),
                (state, _) => serde_json::to_value(state)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
            };
            let style = match m.state {
                State::Applied => Style::Ok,
                State::Pending => Style::Bold,
                State::Changed if m.change == Some(Change::Cosmetic) => Style::Dim,
                _ => Style::Error,
            };
            let mut note = String::new();
            if let Some(e) = &m.error {
                note = format!(
                    "stopped at statement {} of {}: {e}",
                    m.statements_done.unwrap_or(0) + 1,
                    m.statements_total.unwrap_or(0)
                );
            } else if m.duplicate {
                note = "two files share this version".to_owned();
            } else if m.repeatable && m.state == State::Pending && m.applied_at.is_some() {
                note = "repeatable, changed: the next up applies it again".to_owned();
            } else if m.repeatable {
                note = "repeatable".to_owned();
            }
            vec![
                m.version.clone(),
                m.name.clone(),
                out.paint(&state, style),
                m.applied_at.clone().unwrap_or_default(),
                note,
            ]
        })
        .collect();
    out.result(&table(
        &["version", "name", "state", "applied at", ""],
        &rows,
    ));
    let s = &report.summary;
    let mut summary = format!("{} applied, {} pending", s.applied, s.pending);
    for (n, what) in [
        (s.changed, "changed"),
        (s.missing, "missing"),
        (s.failed, "failed"),
    ] {
        if n > 0 {
            summary.push_str(&format!(", {n} {what}"));
        }
    }
    if let Some(current) = &s.current {
        summary.push_str(&format!("; current version {current}"));
    }
    if report.layout != ferry_engine::source::Layout::Native {
        summary.push_str(&format!(" ({} layout)", report.layout));
    }
    out.result(&summary);
    Ok(status)
}
