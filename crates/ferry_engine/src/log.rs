//! The per-run log file and the live events of a run.
//!
//! Every mutating run writes `<log_dir>/<UTC time>-<command>-<pid>.log` with the statements it
//! sent, their timings, the server's notices and the outcome. Every line goes through
//! [`crate::redact`], so no password reaches the file. The same events go to an [`Observer`]
//! (the CLI shows them on stderr as they happen).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
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
#[derive(Clone)]
pub struct RunLog {
    inner: Arc<Mutex<Option<LogFile>>>,
}

struct LogFile {
    /// Buffered: a run writes several lines per statement. A background thread flushes it every
    /// [`FLUSH_EVERY`], and it is flushed at the end of each migration and of the run, so the
    /// log of a killed run still names any statement that ran longer than that.
    file: BufWriter<File>,
    path: PathBuf,
    started: Instant,
}

impl std::fmt::Debug for RunLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunLog")
            .field("path", &self.path())
            .finish()
    }
}

impl RunLog {
    /// A log that writes nothing (read-only commands, dry runs).
    pub fn disabled() -> RunLog {
        RunLog {
            inner: Arc::new(Mutex::new(None)),
        }
    }

    /// Creates `<dir>/<time>-<command>-<pid>.log`.
    pub fn create(dir: &Path, command: &str) -> std::io::Result<RunLog> {
        std::fs::create_dir_all(dir)?;
        let stamp = humantime::format_rfc3339_seconds(SystemTime::now())
            .to_string()
            .replace([':', '-'], "");
        let path = dir.join(format!("{stamp}-{command}-{}.log", std::process::id()));
        let file = File::options().create(true).append(true).open(&path)?;
        let log = RunLog {
            inner: Arc::new(Mutex::new(Some(LogFile {
                file: BufWriter::new(file),
                path,
                started: Instant::now(),
            }))),
        };
        // Off the critical path: a write per statement would cost a syscall between round trips.
        let weak = Arc::downgrade(&log.inner);
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(FLUSH_EVERY);
                let Some(inner) = weak.upgrade() else { break };
                if let Some(log) = inner.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
                    let _ = log.file.flush();
                }
            }
        });
        log.line(&format!(
            "ferry {} {command} started at {}",
            env!("CARGO_PKG_VERSION"),
            humantime::format_rfc3339_millis(SystemTime::now())
        ));
        Ok(log)
    }

    /// The file's path, when logging.
    pub fn path(&self) -> Option<PathBuf> {
        self.lock().as_ref().map(|l| l.path.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<LogFile>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends one line (redacted), prefixed with the time since the run started.
    pub fn line(&self, text: &str) {
        let mut guard = self.lock();
        if let Some(log) = guard.as_mut() {
            let elapsed = log.started.elapsed();
            let text = crate::redact::redact(text);
            let mut out = String::with_capacity(text.len() + 16);
            for (i, line) in text.lines().enumerate() {
                if i == 0 {
                    out.push_str(&format!("[{:>9.3}s] {line}\n", elapsed.as_secs_f64()));
                } else {
                    out.push_str(&format!("             {line}\n"));
                }
            }
            // A log that cannot be written must not stop a migration half-way.
            let _ = log.file.write_all(out.as_bytes());
        }
    }

    /// Logs a statement about to be sent.
    pub fn statement(&self, version: &str, index: usize, sql: &str) {
        if self.lock().is_some() {
            self.line(&format!("{version} statement {}:\n{sql}", index + 1));
        }
    }

    /// Writes buffered lines to the file.
    pub fn flush(&self) {
        if let Some(log) = self.lock().as_mut() {
            let _ = log.file.flush();
        }
    }

    /// Logs a duration.
    pub fn timing(&self, what: &str, duration: Duration) {
        self.line(&format!(
            "{what} ({:.1} ms)",
            duration.as_secs_f64() * 1000.0
        ));
    }
}

impl Drop for LogFile {
    fn drop(&mut self) {
        let _ = self.file.flush();
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

    pub fn emit(&self, event: Event) {
        match &event {
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
                self.log.line(&line);
            }
            other => {
                if let Ok(json) = serde_json::to_string(other) {
                    self.log.line(&json);
                }
                if !matches!(other, Event::MigrationStarted { .. }) {
                    self.log.flush();
                }
            }
        }
        (self.observer)(&event);
    }
}
