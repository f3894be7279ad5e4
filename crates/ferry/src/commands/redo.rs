//! `ferry redo`: roll back the newest migration and apply it again.

use ferry_engine::Error;
use ferry_engine::ops::{self, Context};

use crate::ExitStatus;
use crate::args::DryRunArgs;
use crate::render::{Output, run};

pub fn run(ctx: &Context, args: &DryRunArgs, out: Output) -> Result<ExitStatus, Error> {
    let report = ops::redo(ctx, args.dry_run)?;
    Ok(run::render(&out, &report))
}
