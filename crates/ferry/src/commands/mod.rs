//! One file per subcommand: arguments → engine call → rendering. This module builds the shared
//! context, installs the Ctrl-C handler and renders errors.

mod baseline;
mod db;
mod diff;
mod down;
mod drift;
mod dump;
mod generate;
mod history;
mod new;
mod redo;
mod repair;
mod reset;
mod restore;
mod status;
mod test;
mod up;
mod verify;

use std::path::PathBuf;

use ferry_engine::Error;
use ferry_engine::config::Config;
use ferry_engine::log::{Reporter, RunLog};
use ferry_engine::ops::Context;
use ferry_engine::session::{Interrupt, Overrides, TargetArgs};
use ferry_engine::source::Version;

use crate::ExitStatus;
use crate::args::{Cli, Command, GlobalArgs};
use crate::render::diagnostic::{self, JsonError, JsonErrorBody, JsonProblem};
use crate::render::{Output, events};

pub fn run(cli: Cli, out: Output) -> ExitStatus {
    let result = match &cli.command {
        Command::Up(args) => with_context(&cli.global, out, "up", !args.dry_run.dry_run, |ctx| {
            up::run(ctx, args, out)
        }),
        Command::Down(args) => {
            with_context(&cli.global, out, "down", !args.dry_run.dry_run, |ctx| {
                down::run(ctx, args, out)
            })
        }
        Command::Redo(args) => with_context(&cli.global, out, "redo", !args.dry_run, |ctx| {
            redo::run(ctx, args, out)
        }),
        Command::Status(args) => with_context(&cli.global, out, "status", false, |ctx| {
            status::run(ctx, args, out)
        }),
        Command::History(args) => with_context(&cli.global, out, "history", false, |ctx| {
            history::run(ctx, args, out)
        }),
        Command::Baseline(args) => {
            with_context(&cli.global, out, "baseline", !args.dry_run.dry_run, |ctx| {
                baseline::run(ctx, args, out)
            })
        }
        Command::Repair(args) => {
            with_context(&cli.global, out, "repair", !args.dry_run.dry_run, |ctx| {
                repair::run(ctx, args, out)
            })
        }
        Command::Reset(args) => {
            with_context(&cli.global, out, "reset", !args.dry_run.dry_run, |ctx| {
                reset::run(ctx, args, out)
            })
        }
        Command::Drift(args) => with_context(&cli.global, out, "drift", false, |ctx| {
            drift::run(ctx, args, out)
        }),
        Command::Test => with_context(&cli.global, out, "test", false, |ctx| test::run(ctx, out)),
        Command::Verify(args) => with_context(&cli.global, out, "verify", false, |ctx| {
            verify::run(ctx, args, out)
        }),
        Command::Diff(args) => with_context(&cli.global, out, "diff", false, |ctx| {
            diff::run(ctx, args, out)
        }),
        Command::Generate(args) => with_context(&cli.global, out, "generate", false, |ctx| {
            generate::run(ctx, args, out)
        }),
        Command::New(args) => with_context(&cli.global, out, "new", false, |ctx| {
            new::run(ctx, args, out)
        }),
        Command::Db(args) => {
            with_context(&cli.global, out, "db", false, |ctx| db::run(ctx, args, out))
        }
        Command::Restore(args) => with_context(&cli.global, out, "restore", true, |ctx| {
            restore::run(ctx, args, out)
        }),
        Command::Dump => with_context(&cli.global, out, "dump", false, |ctx| dump::run(ctx, out)),
    };
    let status = match result {
        Ok(status) => status,
        Err(err) => {
            report_error(out, &err);
            ExitStatus::Failure
        }
    };
    if status == ExitStatus::Failure
        && let Some(path) = LOG_PATH.with(|p| p.borrow_mut().take())
    {
        out.message(&format!("log: {}", path.display()));
    }
    status
}

thread_local! {
    /// The run log of this command, named after an error is printed.
    static LOG_PATH: std::cell::RefCell<Option<PathBuf>> = const { std::cell::RefCell::new(None) };
}

/// Builds the context (ferry.toml, target flags, log, live events, Ctrl-C) and runs `f`.
fn with_context(
    global: &GlobalArgs,
    out: Output,
    command: &str,
    mutating: bool,
    f: impl FnOnce(&Context) -> Result<ExitStatus, Error>,
) -> Result<ExitStatus, Error> {
    let start = match &global.project {
        Some(dir) => dir.clone(),
        None => std::env::current_dir().map_err(|source| Error::Io {
            path: PathBuf::from("."),
            source,
        })?,
    };
    let config = Config::discover(&start, global.config.as_deref())?;
    let overrides = Overrides {
        base_dir: start.clone(),
        dir: global.dir.as_ref().map(|d| absolute(&start, d)),
        log_dir: global.log_dir.as_ref().map(|d| absolute(&start, d)),
        lock_wait: global.lock_wait,
        lock_timeout: global.lock_timeout,
    };
    let log_dir = overrides
        .log_dir
        .clone()
        .unwrap_or_else(|| config.log_dir());
    let log = if mutating {
        RunLog::create(&log_dir, command).map_err(|source| Error::Io {
            path: log_dir.clone(),
            source,
        })?
    } else {
        RunLog::disabled()
    };
    let ctx = Context {
        config,
        target: TargetArgs {
            database_url: global.database_url.clone(),
            env: global.env.clone(),
            wait: global.wait,
            ephemeral: global.ephemeral,
        },
        overrides,
        reporter: Reporter::new(events::observer(out), log.clone()),
        interrupt: Interrupt::default(),
    };
    install_ctrl_c(&ctx.interrupt, out);
    let result = f(&ctx);
    match &result {
        Ok(status) => log.line(&format!("outcome: {status:?}")),
        Err(err) => log.line(&format!("error: {err}")),
    }
    LOG_PATH.with(|p| *p.borrow_mut() = log.path());
    result
}

fn absolute(start: &std::path::Path, path: &std::path::Path) -> PathBuf {
    if path.is_absolute() {
        path.to_owned()
    } else {
        start.join(path)
    }
}

/// The first Ctrl-C cancels the running statement (its transaction rolls back) and stops the
/// run; the command then reports what state is left. A second Ctrl-C exits at once.
fn install_ctrl_c(interrupt: &Interrupt, out: Output) {
    let interrupt = interrupt.clone();
    let pressed = std::sync::atomic::AtomicBool::new(false);
    let _ = ctrlc::set_handler(move || {
        if pressed.swap(true, std::sync::atomic::Ordering::SeqCst) {
            std::process::exit(130);
        }
        out.error("interrupted: cancelling the running statement (Ctrl-C again to quit at once)");
        interrupt.trigger();
    });
}

/// Parses a version given on the command line.
/// A repeatable migration is named by its file, `R__name.sql` (or `R:name`, its key).
pub fn parse_version(text: &str) -> Result<Version, Error> {
    if let Some(name) = text.strip_prefix("R__").or_else(|| text.strip_prefix("R:")) {
        return Ok(Version::repeatable(name.trim_end_matches(".sql")));
    }
    Version::parse(text).map_err(|e| Error::Usage(format!("{e}")))
}

/// Renders an error: human on stderr, or the JSON document on stdout.
pub fn report_error(out: Output, err: &Error) {
    if out.json {
        let problems = match err {
            Error::Refused(problems) => problems.iter().map(JsonProblem::from_problem).collect(),
            _ => Vec::new(),
        };
        out.json(&JsonError {
            schema_version: ferry_engine::ops::SCHEMA_VERSION,
            error: JsonErrorBody {
                kind: error_kind(err).to_owned(),
                message: err.to_string(),
                problems,
            },
        });
    }
    match err {
        Error::Refused(problems) => {
            for p in problems {
                out.error(&diagnostic::problem(&out, p));
            }
            if problems.len() > 1 {
                out.error(&format!(
                    "error: {} problems; nothing was run",
                    problems.len()
                ));
            } else {
                out.error("nothing was run");
            }
        }
        Error::Build { what, failure } => {
            out.error(&format!("error: building {what} failed"));
            out.error(&diagnostic::failure(&out, failure));
        }
        other => {
            let mut text = format!("error: {other}");
            let mut source = std::error::Error::source(other);
            // Our own messages already include their cause; show only causes they lack.
            while let Some(s) = source {
                let s_text = s.to_string();
                if !text.contains(&s_text) {
                    text.push_str(&format!("\n  caused by: {s_text}"));
                }
                source = s.source();
            }
            out.error(&text);
        }
    }
}

fn error_kind(err: &Error) -> &'static str {
    match err {
        Error::Config(_) => "config",
        Error::Connect(_) => "connect",
        Error::Cluster(_) => "local_postgres",
        Error::Source(_) => "migration_files",
        Error::Tracking(_) => "tracking",
        Error::Schema(ferry_schema::Error::UnsupportedObject { .. }) => "unsupported_object",
        Error::Schema(_) => "schema",
        Error::Refused(_) => "refused",
        Error::LockTimeout { .. } => "lock_timeout",
        Error::Protected { .. } => "protected",
        Error::NeedsConfirmation { .. } => "needs_confirmation",
        Error::Db { .. } => "database",
        Error::Io { .. } => "io",
        Error::Usage(_) => "usage",
        Error::Backup(_) => "backup",
        Error::Build { .. } => "build",
        _ => "other",
    }
}
