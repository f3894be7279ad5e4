//! `ferry db …`: ferry's local PostgreSQL, and creating or dropping the configured database.

use ferry_engine::Error;
use ferry_engine::ops::{self, Context, LocalAction};

use crate::ExitStatus;
use crate::args::{DbArgs, DbCommand};
use crate::render::Output;

pub fn run(ctx: &Context, args: &DbArgs, out: Output) -> Result<ExitStatus, Error> {
    let action = match &args.command {
        DbCommand::Create => return database(out, ops::create_database(ctx)?),
        DbCommand::Drop { yes } => return database(out, ops::drop_database(ctx, *yes)?),
        DbCommand::Start => LocalAction::Start,
        DbCommand::Stop => LocalAction::Stop,
        DbCommand::Status => LocalAction::Status,
        DbCommand::Url => LocalAction::Url,
        DbCommand::Destroy { yes } => {
            if !yes {
                return Err(Error::NeedsConfirmation {
                    what: "`ferry db destroy` deletes the local cluster's data".to_owned(),
                });
            }
            LocalAction::Destroy
        }
    };
    let report = ops::local_cluster(ctx, action)?;
    if out.json {
        out.json(&report);
        return Ok(ExitStatus::Success);
    }
    match action {
        LocalAction::Url => out.result(report.url.as_deref().unwrap_or("")),
        LocalAction::Destroy => out.result("local PostgreSQL stopped and its data deleted"),
        LocalAction::Stop => out.result("local PostgreSQL stopped"),
        LocalAction::Start | LocalAction::Status => {
            let state = match (report.initialized, report.running) {
                (false, _) => "not created yet (`ferry db start` or any command creates it)",
                (true, false) => "stopped",
                (true, true) => "running",
            };
            out.result(&format!("local PostgreSQL: {state}"));
            out.result(&format!("version:  {}", report.major));
            out.result(&format!("data:     {}", report.data_dir.display()));
            if let Some(url) = &report.url {
                out.result(&format!("url:      {url}"));
            }
        }
    }
    Ok(ExitStatus::Success)
}

fn database(out: Output, report: ops::DatabaseReport) -> Result<ExitStatus, Error> {
    if out.json {
        out.json(&report);
    } else {
        let text = match report.outcome.as_str() {
            "created" => format!("created database {}", report.database),
            "exists" => format!("database {} already exists", report.database),
            "dropped" => format!("dropped database {}", report.database),
            _ => format!("database {} does not exist", report.database),
        };
        out.result(&text);
    }
    Ok(ExitStatus::Success)
}
