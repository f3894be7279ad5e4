//! `ferry dump`: the target's schema as canonical SQL, or (`--json`) the schema model.

use std::io::Write;

use ferry_engine::Error;
use ferry_engine::ops::{self, Context};
use serde::Serialize;

use crate::ExitStatus;
use crate::render::Output;

/// The `--json` document.
#[derive(Serialize)]
struct DumpJson<'a> {
    schema_version: u32,
    schema: &'a ferry_schema::Catalog,
}

pub fn run(ctx: &Context, out: Output) -> Result<ExitStatus, Error> {
    let catalog = ops::dump(ctx)?;
    if out.json {
        out.json(&DumpJson {
            schema_version: ops::SCHEMA_VERSION,
            schema: &catalog,
        });
    } else {
        // One write for the whole dump; secrets are masked like in every other output.
        let text = ferry_engine::redact::redact(&ferry_schema::dump(&catalog)).into_owned();
        let _ = std::io::stdout().lock().write_all(text.as_bytes());
    }
    Ok(ExitStatus::Success)
}
