//! `ferry test`: proves that every migration's down script undoes its up, on a throwaway
//! database.
//!
//! The migrations are applied one by one on a throwaway cluster (never the configured
//! target), with the schema model read after each; then reverted one by one, each down
//! checked to bring back exactly the model from before its up; then applied again, checked to
//! reach the same final model. The first migration whose down does not restore the schema is
//! named, with the difference between the two canonical dumps. A difference in column order
//! alone is a note, not a failure: a column dropped and added again lands at the end, and
//! nothing but `SELECT *` can tell.

use serde::Serialize;

use crate::compare::{dump_diff, same_schema as compare};
use crate::error::Error;
use crate::log::Direction;
use crate::ops::{Context, SCHEMA_VERSION};
use crate::plan::{PlannedApply, PlannedRevert};
use crate::runner::MigrationFailure;
use crate::session::{self, Session, TargetArgs};

/// What `ferry test` found.
#[derive(Debug, Serialize)]
pub struct TestReport {
    pub schema_version: u32,
    pub target: String,
    /// Every step that ran, in order.
    pub steps: Vec<TestStep>,
    /// Round trips that do not hold; empty when the test passes.
    pub findings: Vec<TestFinding>,
    /// Column-order-only differences (not failures).
    pub notes: Vec<String>,
    /// A migration that failed to run at all.
    pub failure: Option<MigrationFailure>,
    /// Repeatable migrations are left out: they are never reverted.
    pub skipped_repeatables: usize,
}

#[derive(Debug, Serialize)]
pub struct TestStep {
    pub version: String,
    pub name: String,
    pub direction: Direction,
    /// For a down: whether it brought back the model from before the up.
    pub restored: Option<bool>,
}

/// A round trip that does not hold.
#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TestFinding {
    /// The down script does not bring back the schema from before the up.
    DownDoesNotRestore {
        version: String,
        name: String,
        /// Unified diff of the canonical dumps: before the up (`-`) against after the down (`+`).
        diff: String,
    },
    /// The migration has no down script, so nothing below it can be tested.
    NoDownScript { version: String, name: String },
    /// Applying every migration again does not reach the same schema as the first time.
    ReapplyDiffers { diff: String },
}

impl TestReport {
    pub fn passed(&self) -> bool {
        self.findings.is_empty() && self.failure.is_none()
    }
}

/// Runs the round trip of the project's migrations on a throwaway cluster.
pub fn test(ctx: &Context) -> Result<TestReport, Error> {
    let set = ctx.migrations()?;
    let throwaway = TargetArgs {
        ephemeral: true,
        ..TargetArgs::default()
    };
    let mut session = session::open(
        &ctx.config,
        &throwaway,
        &ctx.overrides,
        "test",
        &ctx.reporter,
        &ctx.interrupt,
    )?;
    session.tracking.ensure(&mut session.client)?;
    let settings = ctx.settings(&session);
    let options = ferry_schema::ReadOptions {
        tracking_schema: ctx.config.tracking_schema.clone(),
    };
    let read = |session: &mut Session| ferry_schema::read(&mut session.client, &options);

    let versioned: Vec<usize> = (0..set.migrations.len())
        .filter(|&i| !set.migrations[i].version.is_repeatable())
        .collect();
    let mut report = TestReport {
        schema_version: SCHEMA_VERSION,
        target: session.description.clone(),
        steps: Vec::new(),
        findings: Vec::new(),
        notes: Vec::new(),
        failure: None,
        skipped_repeatables: set.migrations.len() - versioned.len(),
    };

    // Up, one by one: the model before each migration is models[k].
    let mut models = vec![read(&mut session)?];
    for &index in &versioned {
        let outcome = ctx.runner(&mut session, &settings).apply(
            &set,
            &[PlannedApply {
                index,
                resume_from: None,
            }],
        );
        if let Some(failure) = outcome.failure {
            report.failure = Some(failure);
            return Ok(report);
        }
        report.steps.push(step(&set, index, Direction::Up, None));
        models.push(read(&mut session)?);
    }

    // Down, one by one, each checked against the model before its up.
    for (k, &index) in versioned.iter().enumerate().rev() {
        let m = &set.migrations[index];
        if m.down.is_none() {
            report.findings.push(TestFinding::NoDownScript {
                version: m.version.to_string(),
                name: m.name.clone(),
            });
            return Ok(report);
        }
        let outcome = ctx
            .runner(&mut session, &settings)
            .revert(&set, &[PlannedRevert { index }]);
        if let Some(failure) = outcome.failure {
            report.failure = Some(failure);
            return Ok(report);
        }
        let after = read(&mut session)?;
        let restored = compare(
            &models[k],
            &after,
            &mut report.notes,
            &m.version.to_string(),
        );
        report
            .steps
            .push(step(&set, index, Direction::Down, Some(restored)));
        if !restored {
            report.findings.push(TestFinding::DownDoesNotRestore {
                version: m.version.to_string(),
                name: m.name.clone(),
                diff: dump_diff(&models[k], &after, ("before the up", "after the down")),
            });
            // What runs below this point starts from a different schema: stop here.
            return Ok(report);
        }
    }

    // Up again, all at once: the same final model.
    let plan: Vec<PlannedApply> = versioned
        .iter()
        .map(|&index| PlannedApply {
            index,
            resume_from: None,
        })
        .collect();
    let outcome = ctx.runner(&mut session, &settings).apply(&set, &plan);
    if let Some(failure) = outcome.failure {
        report.failure = Some(failure);
        return Ok(report);
    }
    for &index in &versioned {
        report.steps.push(step(&set, index, Direction::Up, None));
    }
    let again = read(&mut session)?;
    let last = models.last().expect("the empty model is always there");
    if !compare(last, &again, &mut report.notes, "the final schema") {
        report.findings.push(TestFinding::ReapplyDiffers {
            diff: dump_diff(last, &again, ("the first up", "the second up")),
        });
    }
    Ok(report)
}

fn step(
    set: &crate::source::MigrationSet,
    index: usize,
    direction: Direction,
    restored: Option<bool>,
) -> TestStep {
    let m = &set.migrations[index];
    TestStep {
        version: m.version.to_string(),
        name: m.name.clone(),
        direction,
        restored,
    }
}
