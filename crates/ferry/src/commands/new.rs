//! `ferry new NAME`: write the next migration and its down script.

use ferry_engine::Error;
use ferry_engine::ops::{self, Context};

use crate::ExitStatus;
use crate::args::NewArgs;
use crate::render::Output;

pub fn run(ctx: &Context, args: &NewArgs, out: Output) -> Result<ExitStatus, Error> {
    let report = ops::new_migration(ctx, &args.name)?;
    if out.json {
        out.json(&report);
    } else {
        for path in &report.created {
            out.result(&format!("created {}", path.display()));
        }
    }
    Ok(ExitStatus::Success)
}
