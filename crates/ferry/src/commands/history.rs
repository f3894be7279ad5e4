//! `ferry history`: every apply, rollback, baseline, repair and failure.

use ferry_engine::Error;
use ferry_engine::ops::{self, Context};

use crate::ExitStatus;
use crate::args::HistoryArgs;
use crate::render::{Output, table};

pub fn run(ctx: &Context, args: &HistoryArgs, out: Output) -> Result<ExitStatus, Error> {
    let report = ops::history(ctx, args.limit)?;
    if out.json {
        out.json(&report);
        return Ok(ExitStatus::Success);
    }
    if report.entries.is_empty() {
        out.result("no history yet");
        return Ok(ExitStatus::Success);
    }
    let rows: Vec<Vec<String>> = report
        .entries
        .iter()
        .map(|e| {
            vec![
                e.at.clone(),
                e.action.clone(),
                e.version.clone().unwrap_or_default(),
                e.name.clone().unwrap_or_default(),
                format!(
                    "{}@{}",
                    e.os_user.clone().unwrap_or_default(),
                    e.host.clone().unwrap_or_default()
                ),
                e.duration_ms.map(|d| format!("{d} ms")).unwrap_or_default(),
                e.detail.clone().unwrap_or_default(),
            ]
        })
        .collect();
    out.result(&table(
        &[
            "at (UTC)", "action", "version", "name", "by", "took", "detail",
        ],
        &rows,
    ));
    Ok(ExitStatus::Success)
}
