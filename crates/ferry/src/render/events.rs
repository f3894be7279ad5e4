//! Live progress on stderr: which database, lock waits, each migration as it runs, server notices.

use std::sync::Arc;

use ferry_engine::log::{Direction, Event, Observer};

use super::{Output, Style};

/// An observer that prints events on stderr as they happen.
pub fn observer(out: Output) -> Observer {
    Arc::new(move |event: &Event| print(&out, event))
}

fn print(out: &Output, event: &Event) {
    match event {
        Event::Target { description } => {
            out.message(&out.paint(&format!("using {description}"), Style::Dim))
        }
        Event::LockWaiting { holder } => {
            out.message(&format!("waiting for the migration lock, held by {holder}"))
        }
        Event::LockAcquired { waited_ms } if *waited_ms > 100 => out.message(&format!(
            "got the migration lock after {:.1}s",
            *waited_ms as f64 / 1000.0
        )),
        Event::LockAcquired { .. } => {}
        Event::MigrationStarted {
            direction,
            version,
            name,
            transactional,
            resume_from,
        } => {
            let verb = match direction {
                Direction::Up => "applying",
                Direction::Down => "reverting",
            };
            let mut line = format!("{verb} {version} {name}");
            if !transactional {
                line.push_str(" (no transaction)");
            }
            if let Some(from) = resume_from {
                line.push_str(&format!(", resuming at statement {}", from + 1));
            }
            out.message(&line);
        }
        Event::Notice {
            severity,
            message,
            detail,
            hint,
        } => {
            // Server text may span lines (DROP … CASCADE lists every object): keep it indented.
            let indent = |text: &str, by: &str| text.replace('\n', &format!("\n{by}"));
            out.message(&format!("  {severity}: {}", indent(message, "    ")));
            if let Some(d) = detail {
                out.message(&format!("    DETAIL: {}", indent(d, "            ")));
            }
            if let Some(h) = hint {
                out.message(&format!("    HINT: {}", indent(h, "          ")));
            }
        }
        Event::Retrying {
            version,
            attempt,
            sqlstate,
            message,
            wait_ms,
        } => out.message(&out.paint(
            &format!(
                "  {version}: {message} ({sqlstate}); retry {attempt} in {:.1}s",
                *wait_ms as f64 / 1000.0
            ),
            Style::Warn,
        )),
        Event::MigrationFinished {
            direction,
            version,
            name,
            duration_ms,
        } => {
            let verb = match direction {
                Direction::Up => "applied",
                Direction::Down => "reverted",
            };
            out.message(&out.paint(
                &format!("  {verb} {version} {name} in {duration_ms:.1} ms"),
                Style::Ok,
            ));
        }
        Event::MigrationFailed { .. } => {}
        Event::Backup { path, bytes } => out.message(&format!(
            "backup written to {} ({})",
            path.display(),
            ferry_engine::backup::human_size(*bytes)
        )),
    }
}
