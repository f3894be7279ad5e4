//! `ferry restore FILE`: replace the database's schema and data with a backup of `up --backup`.

use std::io::{BufRead, IsTerminal, Write};

use ferry_engine::Error;
use ferry_engine::backup::human_size;
use ferry_engine::ops::{self, Context, RestoreArgs as EngineRestoreArgs};

use crate::ExitStatus;
use crate::args::RestoreArgs;
use crate::render::{Output, Style};

pub fn run(ctx: &Context, args: &RestoreArgs, out: Output) -> Result<ExitStatus, Error> {
    // Asked only when a person can answer: stdin and stderr on a terminal.
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let report = ops::restore(
        ctx,
        &EngineRestoreArgs {
            file: args.file.clone(),
            yes: args.yes,
        },
        interactive.then_some(&ask as &dyn Fn(&str) -> bool),
    )?;
    if out.json {
        out.json(&report);
        return Ok(ExitStatus::Success);
    }
    let mut line = format!(
        "restored {} ({}) into {} in {:.1} s",
        report.file.display(),
        human_size(report.bytes),
        report.target,
        report.duration_ms / 1000.0
    );
    if let Some(created) = &report.archive.created {
        line.push_str(&format!("; the database is as it was at {created}"));
    }
    out.result(&out.paint(&line, Style::Ok));
    Ok(ExitStatus::Success)
}

/// Asks `question [y/N]` on stderr and reads the answer from stdin.
fn ask(question: &str) -> bool {
    let prompt = ferry_engine::redact::redact(&format!("{question} [y/N] ")).into_owned();
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(prompt.as_bytes());
    let _ = stderr.flush();
    drop(stderr);
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim().to_lowercase().as_str(), "y" | "yes")
}
