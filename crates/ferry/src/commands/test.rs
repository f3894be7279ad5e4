//! `ferry test`: up → down → up on a throwaway database, each down checked against the schema
//! from before its up.

use ferry_engine::Error;
use ferry_engine::log::Direction;
use ferry_engine::ops::Context;
use ferry_engine::roundtrip::{self, TestFinding};

use crate::ExitStatus;
use crate::render::{Output, diagnostic};

pub fn run(ctx: &Context, out: Output) -> Result<ExitStatus, Error> {
    let report = roundtrip::test(ctx)?;
    let status = if report.failure.is_some() {
        ExitStatus::Failure
    } else if report.passed() {
        ExitStatus::Success
    } else {
        ExitStatus::Findings
    };
    if out.json {
        out.json(&report);
        return Ok(status);
    }
    for step in &report.steps {
        let line = match (step.direction, step.restored) {
            (Direction::Up, _) => format!("up   {} {}", step.version, step.name),
            (Direction::Down, Some(true)) => {
                format!("down {} {}: ✅ schema restored", step.version, step.name)
            }
            (Direction::Down, _) => {
                format!(
                    "down {} {}: ❌ schema not restored",
                    step.version, step.name
                )
            }
        };
        out.result(&line);
    }
    for note in &report.notes {
        out.result(&format!("note: {note}"));
    }
    for finding in &report.findings {
        match finding {
            TestFinding::DownDoesNotRestore { version, name, diff } => {
                out.result(&format!(
                    "❌ the down script of {version} ({name}) does not bring back the schema from before its up:"
                ));
                out.result(diff.trim_end());
            }
            TestFinding::NoDownScript { version, name } => out.result(&format!(
                "❌ {version} ({name}) has no down script: its round trip, and every one below it, cannot be tested"
            )),
            TestFinding::ReapplyDiffers { diff } => {
                out.result("❌ applying every migration again gives another schema than the first time:");
                out.result(diff.trim_end());
            }
        }
    }
    if let Some(f) = &report.failure {
        out.error(&diagnostic::failure(&out, f));
    }
    if report.skipped_repeatables > 0 {
        out.message(&format!(
            "{} repeatable migration(s) left out: they are never reverted",
            report.skipped_repeatables
        ));
    }
    if report.passed() {
        let downs = report
            .steps
            .iter()
            .filter(|s| s.direction == Direction::Down)
            .count();
        out.result(&format!(
            "round trip passed: {downs} down script(s) each restored the schema, and applying again gave the same schema"
        ));
    }
    Ok(status)
}
