//! A run's progress (`--stall-after`): while the command prints, the
//! `running` record is rewritten with the time it last did, at most once
//! every [`PROGRESS_EVERY`], so a chatty job costs a bounded number of
//! writes and a silent one none.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use chrono::Utc;

use crate::record::Heartbeat;
use crate::Error;

/// The least time between two progress writes; `--stall-after` is at
/// least twice it, so one missed write never reads as a stall.
pub(crate) const PROGRESS_EVERY: Duration = Duration::from_secs(5);

/// The thread that records progress, until [`Progress::stop`].
pub(super) struct Progress {
    pub(super) bytes: Arc<AtomicU64>,
    done: Arc<AtomicBool>,
    thread: thread::JoinHandle<()>,
}

impl Progress {
    /// Starts recording the progress of the run `running` tells of.
    pub(super) fn start(dir: &Path, running: Heartbeat) -> Progress {
        let bytes = Arc::new(AtomicU64::new(0));
        let done = Arc::new(AtomicBool::new(false));
        let (seen, stop, dir): (_, _, PathBuf) =
            (Arc::clone(&bytes), Arc::clone(&done), dir.into());
        let thread = thread::spawn(move || {
            let mut written = 0;
            let mut next = Instant::now() + PROGRESS_EVERY;
            while !stop.load(Ordering::SeqCst) {
                thread::park_timeout(next.saturating_duration_since(Instant::now()));
                if Instant::now() < next {
                    continue;
                }
                next = Instant::now() + PROGRESS_EVERY;
                let now = seen.load(Ordering::Relaxed);
                if now != written && !stop.load(Ordering::SeqCst) {
                    written = now;
                    let record = Heartbeat {
                        progress_at: Some(Utc::now()),
                        ..running.clone()
                    };
                    super::write(&dir, &record);
                }
            }
        });
        Progress {
            bytes,
            done,
            thread,
        }
    }

    /// Stops the thread before the final record is written.
    pub(super) fn stop(self) {
        self.done.store(true, Ordering::SeqCst);
        self.thread.thread().unpark();
        let _ = self.thread.join();
    }
}

/// Keeps the run of `job` in progress alive (`hb-write --keepalive`,
/// [`crate::Daemon::keepalive`]): its `running` record, in the first of
/// `dirs` that holds one, is touched (its modification time set to now,
/// which the scan reads as progress). Its content is never rewritten, so
/// a keepalive racing the wrapper's final record cannot undo it. `Err`
/// says, on one line, why there is nothing to keep alive.
pub(crate) fn keep_alive(dirs: &[PathBuf], job: &str) -> Result<PathBuf, Error> {
    let found = dirs.iter().find_map(|dir| {
        let bytes = crate::store::read_small(&crate::store::heartbeat_path(dir, job))?;
        Some((dir, Heartbeat::from_json(&bytes).ok()?))
    });
    let Some((dir, record)) = found else {
        return Err(Error::rule(format!(
            "no heartbeat of job `{job}` to keep alive"
        )));
    };
    if record.status != crate::record::RunStatus::Running {
        return Err(Error::rule(format!(
            "job `{job}` has no run in progress to keep alive (its record says `{}`)",
            record.status
        )));
    }
    let path = crate::store::heartbeat_path(dir, job);
    crate::store::touch(&path).map_err(|source| Error::Write {
        job: job.to_owned(),
        path: path.clone(),
        source,
    })?;
    Ok(path)
}
