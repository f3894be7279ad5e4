//! `ferry down`: roll back applied migrations.

use ferry_engine::Error;
use ferry_engine::ops::{self, Context};
use ferry_engine::plan::DownTarget;

use crate::ExitStatus;
use crate::args::DownArgs;
use crate::render::{Output, run};

pub fn run(ctx: &Context, args: &DownArgs, out: Output) -> Result<ExitStatus, Error> {
    let target = if args.target.all {
        DownTarget::All
    } else if let Some(to) = &args.target.to {
        DownTarget::To(super::parse_version(to)?)
    } else {
        DownTarget::Steps(args.target.steps.unwrap_or(1))
    };
    let report = ops::down(ctx, &target, args.dry_run.dry_run)?;
    Ok(run::render(&out, &report))
}
