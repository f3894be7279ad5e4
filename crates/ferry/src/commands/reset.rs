//! `ferry reset`: roll back everything, or drop the managed schemas when a down is missing.

use ferry_engine::Error;
use ferry_engine::ops::{self, Context};

use crate::ExitStatus;
use crate::args::ResetArgs;
use crate::render::{Output, run};

pub fn run(ctx: &Context, args: &ResetArgs, out: Output) -> Result<ExitStatus, Error> {
    let report = ops::reset(ctx, args.yes, args.dry_run.dry_run)?;
    Ok(run::render(&out, &report))
}
