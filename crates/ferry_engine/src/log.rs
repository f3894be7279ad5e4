//! The per-run log file and the live events of a run.
//!
//! Every mutating run writes `<log_dir>/<UTC time>-<command>-<pid>.log` with the statements it
//! sent, their timings, the server's notices and the outcome. Every line goes through
//! [`crate::redact`], so no password reaches the file. The same events go to an [`Observer`]
//! (the CLI shows them on stderr as they happen).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;

/// Something that happened during a run, in the order it happened.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// Which database this run uses (source and redacted URL).
    Target {
        description: String,
    },
    /// Another runner holds the migration lock.
    LockWaiting {
        holder: String,
    },
    LockAcquired {
        waited_ms: u64,
    },
    MigrationStarted {
        direction: Direction,
        version: String,
        name: String,
        transactional: bool,
        /// 0-based statement a failed no-transaction migration resumes from.
        resume_from: Option<usize>,
    },
    /// A server notice (`RAISE NOTICE`, warnings), live.
    Notice {
        severity: String,
        message: String,
        detail: Option<String>,
        hint: Option<String>,
    },
    Retrying {
        version: String,
        attempt: u32,
        sqlstate: String,
        message: String,
        wait_ms: u64,
    },
    MigrationFinished {
        direction: Direction,
        version: String,
        name: String,
        duration_ms: f64,
    },
    MigrationFailed {
        direction: Direction,
        version: String,
        name: String,
        message: String,
    },
    /// A backup was written before migrating (`up --backup`).
    Backup {
        path: PathBuf,
        bytes: u64,
    },
}

/// Up or down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Up,
    Down,
}

/// How far behind the run the log file may be.
pub const FLUSH_EVERY: Duration = Duration::from_millis(100);

/// Receives events as they happen. Notices arrive on the connection's thread, hence `Send + Sync`.
pub type Observer = Arc<dyn Fn(&Event) + Send + Sync>;

/// An observer that ignores everything.
pub fn silent() -> Observer {
    Arc::new(|_| {})
}

/// The log file of one run. Cloning shares the file.
///
/// Writing a line only queues it, with the time it happened: formatting, redaction and the
/// write to the file happen in a background thread every [`FLUSH_EVERY`] (and in
/// [`RunLog::flush`], and when the last clone is dropped). The runner logs two lines per
/// statement and one per event, between a statement's reply and the next statement: done there,
/// that work (and a `write` per migration) added straight to the run's wall time. The log of a
/// killed run still names any statement that ran longer than [`FLUSH_EVERY`].
pub struct RunLog {
    shared: Option<Arc<Shared>>,
}

struct Shared {
    path: PathBuf,
    started: Instant,
    /// Lines not formatted yet, in order.
    queue: Mutex<Vec<Queued>>,
    /// Held while a batch is taken from the queue and written, so that batches reach the file
    /// in order.
    file: Mutex<BufWriter<File>>,
    /// Live `RunLog` handles: the last one to go writes what is left, on its own thread (the
    /// background thread may not get to run again before the process exits).
    handles: AtomicUsize,
}

struct Queued {
    at: Instant,
    record: Record,
}

enum Record {
    Text(String),
    /// A statement about to be sent: `text[range]` of its script.
    Statement {
        version: String,
        index: usize,
        text: Arc<str>,
        range: Range<usize>,
    },
    Timing {
        what: &'static str,
        duration: Duration,
    },
    Event(Event),
}

impl std::fmt::Debug for RunLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunLog")
            .field("path", &self.path())
            .finish()
    }
}

impl Clone for RunLog {
    fn clone(&self) -> RunLog {
        if let Some(shared) = &self.shared {
            shared.handles.fetch_add(1, Ordering::SeqCst);
        }
        RunLog {
            shared: self.shared.clone(),
        }
    }
}

impl Drop for RunLog {
    fn drop(&mut self) {
        if let Some(shared) = &self.shared
            && shared.handles.fetch_sub(1, Ordering::SeqCst) == 1
        {
            shared.write_queued();
        }
    }
}

impl RunLog {
    /// A log that writes nothing (read-only commands, dry runs).
    pub fn disabled() -> RunLog {
        RunLog { shared: None }
    }

    /// Creates `<dir>/<time>-<command>-<pid>.log`.
    pub fn create(dir: &Path, command: &str) -> std::io::Result<RunLog> {
        std::fs::create_dir_all(dir)?;
        let stamp = humantime::format_rfc3339_seconds(SystemTime::now())
            .to_string()
            .replace([':', '-'], "");
        let path = dir.join(format!("{stamp}-{command}-{}.log", std::process::id()));
        let file = File::options().create(true).append(true).open(&path)?;
        let shared = Arc::new(Shared {
            path,
            started: Instant::now(),
            queue: Mutex::new(Vec::new()),
            file: Mutex::new(BufWriter::new(file)),
            handles: AtomicUsize::new(1),
        });
        let weak = Arc::downgrade(&shared);
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(FLUSH_EVERY);
                let Some(shared) = weak.upgrade() else { break };
                shared.write_queued();
            }
        });
        let log = RunLog {
            shared: Some(shared),
        };
        log.line(&format!(
            "ferry {} {command} started at {}",
            env!("CARGO_PKG_VERSION"),
            humantime::format_rfc3339_millis(SystemTime::now())
        ));
        Ok(log)
    }

    /// The file's path, when logging.
    pub fn path(&self) -> Option<PathBuf> {
        self.shared.as_ref().map(|s| s.path.clone())
    }

    /// Whether lines go anywhere: callers can skip building a line that would be dropped.
    pub fn enabled(&self) -> bool {
        self.shared.is_some()
    }

    fn push(&self, record: Record) {
        if let Some(shared) = &self.shared {
            let queued = Queued {
                at: Instant::now(),
                record,
            };
            shared
                .queue
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(queued);
        }
    }

    /// Appends one line (redacted), prefixed with the time since the run started.
    pub fn line(&self, text: &str) {
        if self.enabled() {
            self.push(Record::Text(text.to_owned()));
        }
    }

    /// Logs statement `index` (0-based) of a script about to be sent: `text[range]`.
    pub fn statement(&self, version: &str, index: usize, text: &Arc<str>, range: Range<usize>) {
        if self.enabled() {
            self.push(Record::Statement {
                version: version.to_owned(),
                index,
                text: text.clone(),
                range,
            });
        }
    }

    /// Logs a duration.
    pub fn timing(&self, what: &'static str, duration: Duration) {
        self.push(Record::Timing { what, duration });
    }

    /// Logs an event as one JSON line.
    fn event(&self, event: Event) {
        self.push(Record::Event(event));
    }

    /// Writes every queued line to the file now.
    pub fn flush(&self) {
        if let Some(shared) = &self.shared {
            shared.write_queued();
        }
    }
}

impl Shared {
    /// Formats, redacts and writes what is queued, then flushes the file.
    fn write_queued(&self) {
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        let queued = std::mem::take(&mut *self.queue.lock().unwrap_or_else(|e| e.into_inner()));
        if queued.is_empty() {
            return;
        }
        let mut out = String::new();
        for q in queued {
            let elapsed = q.at.saturating_duration_since(self.started);
            let text = match q.record {
                Record::Text(text) => text,
                Record::Statement {
                    version,
                    index,
                    text,
                    range,
                } => format!("{version} statement {}:\n{}", index + 1, &text[range]),
                Record::Timing { what, duration } => {
                    format!("{what} ({:.1} ms)", duration.as_secs_f64() * 1000.0)
                }
                Record::Event(event) => match serde_json::to_string(&event) {
                    Ok(json) => json,
                    Err(_) => continue,
                },
            };
            push_line(&mut out, elapsed, &crate::redact::redact(&text));
        }
        // A log that cannot be written must not stop a migration half-way.
        let _ = file.write_all(out.as_bytes());
        let _ = file.flush();
    }
}

/// Appends `text` to `out`: its first line after the time since the run started, the others
/// indented under it.
fn push_line(out: &mut String, elapsed: Duration, text: &str) {
    use std::fmt::Write as _;
    for (i, line) in text.lines().enumerate() {
        if i == 0 {
            let _ = writeln!(out, "[{:>9.3}s] {line}", elapsed.as_secs_f64());
        } else {
            let _ = writeln!(out, "             {line}");
        }
    }
}

/// Sends events to the observer and the log.
#[derive(Clone)]
pub struct Reporter {
    pub observer: Observer,
    pub log: RunLog,
}

impl Reporter {
    pub fn new(observer: Observer, log: RunLog) -> Reporter {
        Reporter { observer, log }
    }

    /// Shows `event` to the observer and queues it for the log. The events of the rare kinds
    /// (which database, the lock, retries, failures) are written to the file at once; a
    /// migration's start and finish, and notices, follow within [`FLUSH_EVERY`].
    pub fn emit(&self, event: Event) {
        (self.observer)(&event);
        if !self.log.enabled() {
            return;
        }
        match event {
            Event::Notice {
                severity,
                message,
                detail,
                hint,
            } => {
                let mut line = format!("{severity}: {message}");
                if let Some(d) = detail {
                    line.push_str(&format!("\nDETAIL: {d}"));
                }
                if let Some(h) = hint {
                    line.push_str(&format!("\nHINT: {h}"));
                }
                self.log.push(Record::Text(line));
            }
            event @ (Event::MigrationStarted { .. } | Event::MigrationFinished { .. }) => {
                self.log.event(event);
            }
            event => {
                self.log.event(event);
                self.log.flush();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queued_lines_reach_the_file_in_order_when_the_last_handle_goes() {
        let dir = tempfile::tempdir().unwrap();
        let log = RunLog::create(dir.path(), "up").unwrap();
        let path = log.path().unwrap();
        let text: Arc<str> = Arc::from("-- header\ncreate table t (id int);\nselect 1;");
        crate::redact::register("s3cr3t-in-the-log");
        log.statement("0001", 0, &text, 10..34);
        log.timing("ok", Duration::from_micros(1500));
        let reporter = Reporter::new(silent(), log.clone());
        reporter.emit(Event::MigrationFinished {
            direction: Direction::Up,
            version: "0001".to_owned(),
            name: "t".to_owned(),
            duration_ms: 1.5,
        });
        reporter.emit(Event::Notice {
            severity: "NOTICE".to_owned(),
            message: "two\nlines".to_owned(),
            detail: None,
            hint: Some("password s3cr3t-in-the-log".to_owned()),
        });
        drop(log);
        log_line_after_drop(&reporter);
        drop(reporter);
        let written = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = written.lines().map(|l| &l[l.len().min(13)..]).collect();
        assert!(lines[0].starts_with("ferry "), "{written}");
        assert_eq!(
            lines[1..],
            [
                "0001 statement 1:",
                "create table t (id int);",
                "ok (1.5 ms)",
                r#"{"event":"migration_finished","direction":"up","version":"0001","name":"t","duration_ms":1.5}"#,
                "NOTICE: two",
                "lines",
                "HINT: password ********",
                "last line",
            ],
            "{written}"
        );
    }

    fn log_line_after_drop(reporter: &Reporter) {
        reporter.log.line("last line");
    }

    #[test]
    fn a_disabled_log_takes_nothing() {
        let log = RunLog::disabled();
        assert!(!log.enabled());
        log.line("nothing");
        log.timing("ok", Duration::ZERO);
        log.flush();
        assert_eq!(log.path(), None);
    }
}
