//! Rendering of up, down, redo and reset: the plan (with `--dry-run`, the exact SQL), what ran,
//! and a failure with its source line.

use ferry_engine::log::Direction;
use ferry_engine::ops::RunReport;

use super::{Output, Style, diagnostic};
use crate::ExitStatus;

pub fn render(out: &Output, report: &RunReport) -> ExitStatus {
    let status = if report.failure.is_some() {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    };
    if out.json {
        out.json(report);
        if let Some(f) = &report.failure {
            out.error(&diagnostic::failure(out, f));
        }
        return status;
    }
    if report.dry_run {
        if report.plan.is_empty() && report.dropped_schemas.is_empty() {
            out.result("nothing to do");
        }
        for item in &report.plan {
            let verb = match item.direction {
                Direction::Up => "apply",
                Direction::Down => "revert",
            };
            out.result(&format!(
                "-- {verb} {} {} ({}){}",
                item.version,
                item.name,
                item.file.display(),
                if item.transactional {
                    ""
                } else {
                    ", no transaction"
                }
            ));
            if let Some(sql) = &item.sql {
                out.result(sql);
            }
        }
        for schema in &report.dropped_schemas {
            out.result(&format!(
                "DROP SCHEMA \"{schema}\" CASCADE; -- and recreate it empty"
            ));
        }
        out.message("dry run: nothing was changed");
        return status;
    }
    if let Some(f) = &report.failure {
        out.error(&diagnostic::failure(out, f));
    }
    let ups = report
        .ran
        .iter()
        .filter(|r| r.direction == Direction::Up)
        .count();
    let downs = report.ran.len() - ups;
    let total_ms: f64 = report.ran.iter().map(|r| r.duration_ms).sum();
    let mut parts = Vec::new();
    if downs > 0 {
        parts.push(format!("reverted {downs} migration{}", plural(downs)));
    }
    if ups > 0 {
        parts.push(format!("applied {ups} migration{}", plural(ups)));
    }
    if !report.dropped_schemas.is_empty() {
        parts.push(format!(
            "dropped and recreated schemas {}",
            report.dropped_schemas.join(", ")
        ));
    }
    if parts.is_empty() && report.failure.is_none() {
        out.result(match report.command.as_str() {
            "up" => "nothing to apply: the database is up to date",
            _ => "nothing to revert",
        });
    } else if !parts.is_empty() {
        let line = format!("{} in {:.1} ms", parts.join(", "), total_ms);
        out.result(&if report.failure.is_some() {
            line
        } else {
            out.paint(&line, Style::Ok)
        });
    }
    status
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
