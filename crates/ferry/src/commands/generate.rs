//! `ferry generate NAME`: the next migration, from the desired schema in ferry.toml.

use ferry_engine::Error;
use ferry_engine::diff;
use ferry_engine::ops::Context;

use crate::ExitStatus;
use crate::args::GenerateArgs;
use crate::render::Output;

pub fn run(ctx: &Context, args: &GenerateArgs, out: Output) -> Result<ExitStatus, Error> {
    let report = diff::generate(ctx, &args.name, args.dry_run.dry_run)?;
    if out.json {
        out.json(&report);
        return Ok(ExitStatus::Success);
    }
    for note in &report.notes {
        out.result(note);
    }
    if report.dry_run && !report.changes.is_empty() {
        for (path, text) in report
            .created
            .iter()
            .zip([&report.up_sql, &report.down_sql])
        {
            out.result(&format!("-- would create {}", path.display()));
            out.result(text.trim_end());
        }
        return Ok(ExitStatus::Success);
    }
    for path in &report.created {
        out.result(&format!("created {}", path.display()));
    }
    if !report.changes.is_empty() {
        out.message(&super::diff::change_summary(
            &out,
            report.changes.len(),
            report.destructive,
            ": review the files, then `ferry up`",
        ));
    }
    Ok(ExitStatus::Success)
}
