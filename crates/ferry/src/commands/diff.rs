//! `ferry diff FROM TO`: the DDL that turns one schema into another.

use ferry_engine::Error;
use ferry_engine::diff;
use ferry_engine::ops::Context;

use crate::ExitStatus;
use crate::args::DiffArgs;
use crate::render::{Output, Style};

/// `N statement(s), K marked DESTRUCTIVE`, in warning colour when K > 0.
pub fn change_summary(out: &Output, statements: usize, destructive: usize, then: &str) -> String {
    let style = if destructive > 0 {
        Style::Warn
    } else {
        Style::Ok
    };
    out.paint(
        &format!("{statements} statement(s), {destructive} marked DESTRUCTIVE{then}"),
        style,
    )
}

pub fn run(ctx: &Context, args: &DiffArgs, out: Output) -> Result<ExitStatus, Error> {
    let report = diff::diff(ctx, &args.from, &args.to, &args.schemas)?;
    let status = if report.changes.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Findings
    };
    if out.json {
        out.json(&report);
        return Ok(status);
    }
    // The script itself is the result: `ferry diff A B > change.sql`, then `psql -1 -f`.
    out.result(report.sql.trim_end());
    for note in &report.notes {
        out.message(&format!("note: {note}"));
    }
    if report.changes.is_empty() {
        out.message(&out.paint("no changes", Style::Ok));
    } else {
        out.message(&change_summary(
            &out,
            report.changes.len(),
            report.destructive,
            "",
        ));
    }
    Ok(status)
}
