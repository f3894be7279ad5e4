//! The `ferry` binary: parse the command line, run the command, render, exit.
//!
//! Exit codes: 0 success, 1 findings of a read-only command (`status --exit-code`, failed
//! verify checks), 2 any refusal or failure.

// Engine errors carry full server diagnostics; they are rare, so their size does not matter.
#![allow(clippy::result_large_err)]

mod args;
mod commands;
mod render;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, ColorChoice};
use crate::render::Output;

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    Success,
    /// Findings: something a read-only command reports.
    Findings,
    /// A refusal or a failure.
    Failure,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> ExitCode {
        match status {
            ExitStatus::Success => ExitCode::SUCCESS,
            ExitStatus::Findings => ExitCode::from(1),
            ExitStatus::Failure => ExitCode::from(2),
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() { 2 } else { 0 };
            let _ = err.print();
            return ExitCode::from(code);
        }
    };
    let out = Output {
        json: cli.global.json,
        quiet: cli.global.quiet,
        color: use_color(cli.global.color),
    };
    commands::run(cli, out).into()
}

/// `--color` > `NO_COLOR` > `FORCE_COLOR` > whether stderr is a terminal.
fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if std::env::var_os(ferry_engine::env::EnvVars::NO_COLOR).is_some_and(|v| !v.is_empty())
            {
                false
            } else if std::env::var_os(ferry_engine::env::EnvVars::FORCE_COLOR)
                .is_some_and(|v| !v.is_empty())
            {
                true
            } else {
                std::io::stderr().is_terminal()
                    && std::env::var("TERM").map_or(true, |t| t != "dumb")
            }
        }
    }
}
