//! `ferry verify`: the verify scripts of applied migrations, then the declarative checks, ✅ or
//! ❌ each; `--snapshot` writes checks pinning down the current schema.

use ferry_engine::Error;
use ferry_engine::ops::{self, Context, SnapshotArgs};

use crate::ExitStatus;
use crate::args::VerifyArgs;
use crate::render::{Output, diagnostic};

pub fn run(ctx: &Context, args: &VerifyArgs, out: Output) -> Result<ExitStatus, Error> {
    if args.snapshot {
        return snapshot(ctx, args, out);
    }
    let report = ops::verify(ctx)?;
    let status = if report.failed > 0 {
        ExitStatus::Findings
    } else {
        ExitStatus::Success
    };
    if out.json {
        out.json(&report);
        return Ok(status);
    }
    for check in &report.checks {
        match (&check.failure, &check.file, &check.reason) {
            // A verify script: its file, and on failure the error placed in it.
            (None, Some(file), _) => out.result(&format!(
                "✅ {} {} ({})",
                check.id,
                check.what,
                file.display()
            )),
            (Some(f), _, _) => {
                out.result(&format!("❌ {} {}: {}", check.id, check.what, f.message));
                out.error(&diagnostic::failure(&out, f));
            }
            (None, None, None) => out.result(&format!("✅ {} {}", check.id, check.what)),
            (None, None, Some(reason)) => {
                out.result(&format!("❌ {} {}: {reason}", check.id, check.what))
            }
        }
    }
    let total = report.checks.len();
    if total == 0 {
        out.result("no verify scripts for the applied migrations, and no checks");
    } else {
        out.result(&format!("{}/{total} passed", report.passed));
    }
    Ok(status)
}

fn snapshot(ctx: &Context, args: &VerifyArgs, out: Output) -> Result<ExitStatus, Error> {
    let report = ops::verify_snapshot(
        ctx,
        &SnapshotArgs {
            output: args.output.clone(),
            force: args.force,
        },
    )?;
    if out.json {
        out.json(&report);
    } else if let Some(text) = &report.text {
        out.result(text.trim_end());
    } else if let Some(file) = &report.file {
        out.result(&format!(
            "wrote {} checks to {}",
            report.checks,
            file.display()
        ));
    }
    Ok(ExitStatus::Success)
}
