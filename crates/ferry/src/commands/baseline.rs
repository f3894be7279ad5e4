//! `ferry baseline VERSION`: adopt a database built before ferry tracked it.

use ferry_engine::Error;
use ferry_engine::ops::{self, Context};

use crate::ExitStatus;
use crate::args::BaselineArgs;
use crate::render::Output;

pub fn run(ctx: &Context, args: &BaselineArgs, out: Output) -> Result<ExitStatus, Error> {
    let version = super::parse_version(&args.version)?;
    let report = ops::baseline(ctx, &version, args.dry_run.dry_run)?;
    if out.json {
        out.json(&report);
        return Ok(ExitStatus::Success);
    }
    for change in &report.changes {
        out.result(&format!(
            "{} {}: {}",
            change.version, change.name, change.action
        ));
    }
    let verb = if report.dry_run {
        "would record"
    } else {
        "recorded"
    };
    out.result(&format!(
        "{verb} {} migration{} as applied (baseline {})",
        report.changes.len(),
        if report.changes.len() == 1 { "" } else { "s" },
        args.version
    ));
    Ok(ExitStatus::Success)
}
