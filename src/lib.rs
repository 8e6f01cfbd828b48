//! cron-heartbeat makes a silently failing cron job impossible to miss.
//!
//! A job that finishes writes a small JSON heartbeat (`hb-write`); a checker
//! judges every heartbeat against the job's interval (`hb-check`); a report
//! shows the state of all jobs (`night-watch`).
//!
//! Data flows one way: [`record`] (the format, pure) and [`store`] (files)
//! feed [`judge`] (pure), whose verdicts the renderers in [`report`] and the
//! binaries turn into output and exit codes ([`exit_code`]). hb-check can
//! also keep one alert issue per host in a Gitea, Forgejo or GitHub repo
//! ([`tracker`]).
//!
//! `hb-write JOB INTERVAL -- CMD` runs the job itself ([`wrap`], over
//! [`supervise`]): a `running` record first, then exit code, duration and
//! the tail of the output, with optional pings ([`ping`]).
//!
//! # Heartbeats from a daemon
//!
//! A long-running worker is not a cron job, but hb-check can watch it all
//! the same: tick from the loop that does the work, so that the heartbeat
//! stops when the work stops (a wedged thread keeps the process alive and
//! silent). [`daemon::Daemon`] writes at most one heartbeat per tenth of the
//! interval, pings from a background thread, and never fails the caller:
//!
//! ```
//! use std::time::Duration;
//! use cron_heartbeat::daemon::{Beat, Daemon};
//!
//! let dir = tempfile::tempdir()?;
//! let mut heartbeat = Daemon::new("queue-worker", Duration::from_secs(60))?.dir(dir.path());
//! for _job in 0..3 {
//!     // ... take a job from the queue and do it ...
//!     if let Beat::NotWritten(err) = heartbeat.tick() {
//!         eprintln!("queue-worker: {err}"); // and keep working
//!     }
//! }
//! heartbeat.fail("the queue is unreachable");
//! let record = std::fs::read_to_string(dir.path().join("queue-worker.last"))?;
//! assert!(record.contains(r#""status":"fail""#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! `hb-check` then reports `queue-worker` as stale when the loop stops
//! ticking for more than factor x 60 s. See `examples/daemon.rs`.

#![deny(missing_docs)]

pub mod changes;
pub mod check;
pub mod cli;
pub mod daemon;
pub mod error;
pub mod escape;
pub mod exit_code;
pub mod expect;
pub mod history;
pub(crate) mod http;
pub mod judge;
pub mod metrics;
pub mod pause;
pub mod ping;
pub mod record;
pub mod report;
pub mod run;
pub mod schedule;
pub mod store;
pub mod supervise;
pub mod tracker;
pub mod watch;
pub mod wrap;
pub mod write;

pub use error::Error;
pub use judge::{Judgement, Policy, Status};
pub use record::{Heartbeat, RunStatus};

/// This machine's host name, as heartbeats and alerts name it: the first
/// of the kernel's host name, `/etc/hostname` and `$HOSTNAME` that is a
/// host name by [`record::validate_host`], else `localhost`.
pub fn hostname() -> String {
    let read = |path: &str| {
        std::fs::read(path)
            .ok()
            .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_owned())
    };
    [
        read("/proc/sys/kernel/hostname"),
        read("/etc/hostname"),
        std::env::var("HOSTNAME").ok(),
    ]
    .into_iter()
    .flatten()
    .find(|name| record::validate_host(name).is_ok())
    .unwrap_or_else(|| "localhost".to_owned())
}
