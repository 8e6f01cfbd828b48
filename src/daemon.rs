//! Heartbeats for a long-running process: its work loop calls
//! [`Daemon::tick`], and hb-check judges it like any cron job (see the crate
//! docs). A tick never panics nor blocks on the network, and returns a
//! heartbeat it could not write as a value the caller may log or ignore.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::ping::{self, Pinger};

pub use crate::ping::Style;
use crate::record::{cut, say, validate_job, Heartbeat, RunStatus, MESSAGE_MAX_BYTES};
use crate::record::{INTERVAL_MAX, INTERVAL_MIN};
use crate::store;

/// What one tick did.
#[derive(Debug)]
pub enum Beat {
    /// The heartbeat was written to this file.
    Written(PathBuf),
    /// The last heartbeat is recent enough; nothing was written.
    Recent,
    /// The heartbeat could not be written; the daemon goes on.
    NotWritten(Error),
}

/// A daemon's heartbeat: its job name, interval, directory and optional ping.
#[derive(Debug)]
pub struct Daemon {
    job: String,
    interval_seconds: u64,
    dir: Option<PathBuf>,
    last_write: Option<Instant>,
    pinger: Option<Pinger>,
    /// Why the last ping failed; a ping is under way while its thread
    /// holds the other reference.
    ping_error: Arc<Mutex<Option<String>>>,
}

impl Daemon {
    /// A heartbeat for `job` that hb-check expects every `interval` (whole
    /// seconds, 1 second to 400 days). Written to the default directory
    /// unless [`Daemon::dir`] says otherwise.
    pub fn new(job: &str, interval: Duration) -> Result<Daemon, Error> {
        validate_job(job)?;
        let seconds = interval.as_secs();
        if !(INTERVAL_MIN..=INTERVAL_MAX).contains(&seconds) {
            return Err(Error::InvalidInterval {
                value: format!("{interval:?}"),
                reason: format!("it must be from 1 second to {}", say(INTERVAL_MAX)),
            });
        }
        Ok(Daemon {
            job: job.to_owned(),
            interval_seconds: seconds,
            dir: None,
            last_write: None,
            pinger: None,
            ping_error: Arc::new(Mutex::new(None)),
        })
    }

    /// Writes the heartbeat to `dir` (created if missing).
    #[must_use]
    pub fn dir(mut self, dir: impl AsRef<Path>) -> Daemon {
        self.dir = Some(dir.as_ref().to_owned());
        self
    }

    /// Also pings `url` (Healthchecks or Uptime Kuma) with each written
    /// heartbeat.
    pub fn ping(mut self, url: &str, style: Style) -> Result<Daemon, Error> {
        let url = ping::parse_url(url)?;
        self.pinger = Some(Pinger::new(url, style));
        Ok(self)
    }

    /// Records that the loop came round: writes an `ok` heartbeat, at most
    /// once per tenth of the interval (at least a second apart), so a busy
    /// loop may tick as often as it likes.
    pub fn tick(&mut self) -> Beat {
        let min_gap = Duration::from_secs((self.interval_seconds / 10).max(1));
        if self.last_write.is_some_and(|at| at.elapsed() < min_gap) {
            return Beat::Recent;
        }
        self.beat(RunStatus::Ok, None)
    }

    /// Keeps this job's wrapped run in progress alive without ending it,
    /// for a process that runs under `hb-write --stall-after` and prints
    /// nothing: its `running` record is touched (progress now). `Err`
    /// says why there is nothing to keep alive (no run in progress).
    pub fn keepalive(&self) -> Result<PathBuf, Error> {
        let dirs = (self.dir.clone()).map_or_else(store::default_locations, |dir| vec![dir]);
        crate::write::wrap::keep_alive(&dirs, &self.job)
    }

    /// Records a failure at once (`fail` with `message`, at most 1 KiB):
    /// hb-check reports the daemon as failed until the next good tick.
    pub fn fail(&mut self, message: &str) -> Beat {
        let message = cut(message, MESSAGE_MAX_BYTES).to_owned();
        self.beat(RunStatus::Fail, Some(message))
    }

    /// Why the last ping failed, if it did.
    pub fn ping_error(&self) -> Option<String> {
        let error = self.ping_error.lock();
        error.unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn beat(&mut self, status: RunStatus, message: Option<String>) -> Beat {
        let record = Heartbeat {
            message,
            ..Heartbeat::new(&self.job, self.interval_seconds, status)
        };
        let written = match store::write(self.dir.as_deref(), &record) {
            Ok(path) => path,
            Err(err) => return Beat::NotWritten(err),
        };
        self.last_write = Some(Instant::now());
        // In a thread, unless the last is still under way: a slow server skips pings, never stalls.
        if let (Some(pinger), 1) = (self.pinger.clone(), Arc::strong_count(&self.ping_error)) {
            let ping = crate::write::ping_of(record);
            let error = Arc::clone(&self.ping_error);
            // A thread that cannot start drops its reference with the closure.
            let builder = std::thread::Builder::new().name("hb-ping".to_owned());
            let _ = builder.spawn(move || {
                let result = pinger.send(&ping, ping::BUDGET).map_err(|e| e.to_string());
                *error.lock().unwrap_or_else(PoisonError::into_inner) = result.err();
            });
        }
        Beat::Written(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_write_at_most_once_per_gap_and_failures_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut beat = Daemon::new("worker", Duration::from_secs(600))
            .unwrap()
            .dir(dir.path());
        assert!(matches!(beat.tick(), Beat::Written(_)));
        assert!(
            matches!(beat.tick(), Beat::Recent),
            "a minute apart at most"
        );
        assert!(matches!(beat.fail("queue down"), Beat::Written(_)));
        let text = std::fs::read(dir.path().join("worker.last")).unwrap();
        let record = Heartbeat::from_json(&text).unwrap();
        assert_eq!(record.status, RunStatus::Fail);
        assert_eq!(record.message.as_deref(), Some("queue down"));
        assert_eq!(record.interval_seconds, 600);
    }

    #[test]
    fn bad_names_and_intervals_are_refused_and_write_errors_returned() {
        assert!(Daemon::new("../x", Duration::from_secs(60)).is_err());
        assert!(Daemon::new("x", Duration::from_millis(500)).is_err());
        assert!(Daemon::new("x", Duration::from_secs(INTERVAL_MAX + 1)).is_err());
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a-file");
        std::fs::write(&file, "").unwrap();
        let mut beat = Daemon::new("x", Duration::from_secs(60))
            .unwrap()
            .dir(&file);
        assert!(matches!(beat.tick(), Beat::NotWritten(_)));
        assert!(Daemon::new("x", Duration::from_secs(60))
            .unwrap()
            .ping("ftp://nope", Style::Healthchecks)
            .is_err());
    }
}
