//! `ferry up`: apply pending migrations.

use ferry_engine::Error;
use ferry_engine::ops::{self, Context, UpArgs as EngineUpArgs};
use ferry_engine::plan::UpOptions;

use crate::ExitStatus;
use crate::args::UpArgs;
use crate::render::{Output, run};

pub fn run(ctx: &Context, args: &UpArgs, out: Output) -> Result<ExitStatus, Error> {
    let to = args.to.as_deref().map(super::parse_version).transpose()?;
    let report = ops::up(
        ctx,
        &EngineUpArgs {
            options: UpOptions {
                to,
                allow_out_of_order: args.allow_out_of_order,
                ignore_missing: args.ignore_missing,
                single_transaction: args.single_transaction,
            },
            dry_run: args.dry_run.dry_run,
            backup: match (args.backup, args.no_backup) {
                (true, _) => Some(true),
                (_, true) => Some(false),
                _ => None,
            },
            backup_dir: args
                .backup_dir
                .as_deref()
                .map(|d| std::path::absolute(d).unwrap_or_else(|_| d.to_owned())),
            verify: args.verify,
        },
    )?;
    Ok(run::render(&out, &report))
}
