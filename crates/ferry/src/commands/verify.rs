//! `ferry verify`: the verify scripts of applied migrations, ✅ or ❌ each.

use ferry_engine::Error;
use ferry_engine::ops::{self, Context};

use crate::ExitStatus;
use crate::render::{Output, diagnostic};

pub fn run(ctx: &Context, out: Output) -> Result<ExitStatus, Error> {
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
        match &check.failure {
            None => out.result(&format!(
                "✅ {} {} ({})",
                check.id,
                check.name,
                check.file.display()
            )),
            Some(f) => {
                out.result(&format!("❌ {} {}: {}", check.id, check.name, f.message));
                out.error(&diagnostic::failure(&out, f));
            }
        }
    }
    let total = report.checks.len();
    if total == 0 {
        out.result("no verify scripts for the applied migrations");
    } else {
        out.result(&format!("{}/{total} passed", report.passed));
    }
    Ok(status)
}
