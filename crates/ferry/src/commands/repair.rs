//! `ferry repair`: record a decision about a failed, edited or missing migration.

use ferry_engine::Error;
use ferry_engine::ops::{self, Context, RepairAction};

use crate::ExitStatus;
use crate::args::RepairArgs;
use crate::render::Output;

pub fn run(ctx: &Context, args: &RepairArgs, out: Output) -> Result<ExitStatus, Error> {
    let action = if let Some(v) = &args.accept_checksum {
        RepairAction::AcceptChecksum(super::parse_version(v)?)
    } else if let Some(v) = &args.forget {
        RepairAction::Forget(super::parse_version(v)?)
    } else if let Some(v) = &args.version {
        let version = super::parse_version(v)?;
        if args.applied {
            RepairAction::MarkApplied(version)
        } else if args.pending {
            RepairAction::MarkPending(version)
        } else {
            return Err(Error::Usage(format!(
                "say what to record for migration {v}: --applied (its remaining work was done by hand) or --pending (run it again from the start)"
            )));
        }
    } else {
        RepairAction::Report
    };
    let report = ops::repair(ctx, &action, args.reason.as_deref(), args.dry_run.dry_run)?;
    let findings = !report.needs_decision.is_empty();
    if out.json {
        out.json(&report);
    } else if matches!(action, RepairAction::Report) {
        if !findings {
            out.result("nothing needs repair");
        }
        for m in &report.needs_decision {
            let hint = match m.state {
                ferry_engine::plan::State::Failed => format!(
                    "failed part-way: `ferry up` resumes it; or `ferry repair {0} --applied` / `ferry repair {0} --pending`",
                    m.version
                ),
                ferry_engine::plan::State::Missing => format!(
                    "file missing: restore it, or `ferry repair --forget {}`",
                    m.version
                ),
                _ => format!(
                    "file edited after it was applied: revert the edit, or `ferry repair --accept-checksum {}`",
                    m.version
                ),
            };
            out.result(&format!("{} {}: {hint}", m.version, m.name));
        }
    } else {
        for change in &report.changes {
            let verb = if report.dry_run {
                "would record"
            } else {
                "recorded"
            };
            out.result(&format!(
                "{verb}: {} {} {}",
                change.version, change.name, change.action
            ));
        }
    }
    Ok(if findings {
        ExitStatus::Findings
    } else {
        ExitStatus::Success
    })
}
