//! `ferry drift`: the target against the schema its applied migrations produce.

use ferry_engine::Error;
use ferry_engine::drift;
use ferry_engine::ops::Context;

use crate::ExitStatus;
use crate::args::DriftArgs;
use crate::render::{Output, Style};

pub fn run(ctx: &Context, args: &DriftArgs, out: Output) -> Result<ExitStatus, Error> {
    let report = drift::drift(ctx, args.dev_url.as_deref())?;
    let status = if report.drifted {
        ExitStatus::Findings
    } else {
        ExitStatus::Success
    };
    if out.json {
        out.json(&report);
        return Ok(status);
    }
    for note in &report.notes {
        out.result(&format!("note: {note}"));
    }
    match &report.diff {
        Some(diff) => {
            out.result(&out.paint(
                &format!(
                    "schema drift: the database differs from what its {} applied migrations produce (replayed on {}):",
                    report.replayed, report.replayed_on
                ),
                Style::Error,
            ));
            out.result(diff.trim_end());
        }
        None => out.result(&out.paint(
            &format!(
                "no drift: the database matches its {} applied migrations",
                report.replayed
            ),
            Style::Ok,
        )),
    }
    Ok(status)
}
