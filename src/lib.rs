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

#![deny(missing_docs)]

pub mod changes;
pub mod check;
pub mod cli;
pub mod error;
pub mod escape;
pub mod exit_code;
pub mod expect;
pub mod history;
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
