//! cron-heartbeat makes a silently failing cron job impossible to miss.
//!
//! A job that finishes writes a small JSON heartbeat (`hb-write`); a checker
//! judges every heartbeat against the job's interval (`hb-check`); a report
//! shows the state of all jobs (`night-watch`).
//!
//! # The house
//!
//! Data flows one way, from the files a job leaves to the output a person
//! reads:
//!
//! ```text
//!  hb-write (bin) -> write (wrap), supervise -> record -> store -> <dir>/<job>.last,
//!                    (run a command, ping)    (format)  (files)   .history, .pause
//!                                                                      |
//!  crontabs -> schedule --> expect ---------------------------+        v
//!                          (expectations, lint)               +--> store (scan)
//!                                                             |        |
//!  pauses, histories, wrapper alive -> survey (context)       +--> judge (pure)
//!                                                                      |
//!                      alert: what changed, which jobs still alert, is a reminder due
//!                         |                |                                |
//!                      tracker          changes               report, metrics
//!                   (alert issue)  (--changes-only)   (text, Markdown, HTML, JSON, Prometheus)
//!                                                                      |
//!                 check (hb-check), watch (night-watch) -> exit_code, output
//! ```
//!
//! - [`record`]: the v1 heartbeat and its serde form, names, intervals and
//!   durations (one parser per kind of value); pure. `pause` and
//!   `history` are the pause and run-history formats.
//! - [`store`]: every file read or written: heartbeats, histories, pauses,
//!   the run lock, the directory rule and users' areas; every small file
//!   (crontabs and the tracker token too) is read by its one bounded,
//!   non-blocking reader.
//! - `schedule` and `expect`: crontabs as cron reads them (with the
//!   scripts they and anacron run through run-parts), and the
//!   expectations and lint a run draws from them.
//! - `judge`: one pure function from everything known about a job to its
//!   [`Status`], age, due time and reason; one pass for the set. Knows no
//!   files and no forge.
//! - `alert`: the one change engine, for `changes` (`hb-check
//!   --changes-only`), the `tracker`'s alert issue (one per host, on Gitea,
//!   Forgejo or GitHub) and `notify`'s `--notify` destinations (webhooks,
//!   ntfy, chat, commands; their HTTP over `http`, their state in `store`).
//! - `report` and `metrics`: renderers from judged jobs to bytes.
//! - [`check`], [`watch`] and [`mod@write`]: the run of each binary,
//!   arguments to exit code ([`exit_code`]); `survey` is what they share
//!   (find the directories, scan, judge), [`cli`] the options they share
//!   (parsing only, no I/O); `src/bin/` only parses and calls them.
//!   `hb-write JOB INTERVAL -- CMD` runs the job itself (`write::wrap`, over
//!   `supervise`): a `running` record first, then exit code, duration and the
//!   tail of the output, with optional pings (`ping`).
//! - `timers`: systemd's timers and their services, read with bounded
//!   runs of `systemctl` and judged by `judge::timer` as jobs named
//!   `timer:NAME` (`--systemd`, `--user-timers`).
//! - `process`: one bounded run of a command (a deadline, capped output,
//!   its process group killed), for `exec:` destinations and systemd's
//!   tools.
//! - `fleet`: the same job across many hosts' directories: groups of
//!   hosts in the same bad status and the `--quorum` rules, computed once
//!   from the judged rows for every renderer.
//! - `adopt`: `hb-check --adopt`, which rewrites unmonitored crontab
//!   lines into hb-write's wrapper form (over `schedule` and [`store`]).
//! - `error` is the library's one error type and [`escape`] renders
//!   untrusted text inert.
//!
//! Imports point one way: the runs and [`cli`] -> (notify | tracker |
//! changes | metrics | report | expect | ping | timers) -> fleet -> alert ->
//! judge -> schedule -> store -> (pause | history) -> record -> error ->
//! escape; the tracker and metrics borrow report's helpers. The integration
//! test `tests/it/layers.rs` reads every `crate::` path in `src/` and fails
//! naming any circle.
//!
//! # The library
//!
//! Modules are private and items `pub(crate)` unless a library user needs
//! them (`unreachable_pub` warns otherwise). What is public:
//!
//! - the record: [`Heartbeat`], [`RunStatus`], [`record::format_duration`];
//! - writing a heartbeat: [`store::write`] (and
//!   [`store::is_temporary_name`], the files a reader of a heartbeat
//!   directory skips);
//! - the daemon API: [`daemon`];
//! - judging for embedders: [`judge_record`] by a [`Policy`] to a
//!   [`Judgement`] with its [`Status`]; [`Error`] (a failed tracker request
//!   carries a [`TrackerError`]);
//! - each binary's arguments and run: [`check`], [`watch`], [`mod@write`]
//!   (`Args`, `PROGRAM`, `run`), [`cli::parse`] and the [`exit_code`]s;
//! - [`escape`]'s checks of untrusted text, which the tests share.
//!
//! A run can be called with arguments of one's own:
//!
//! ```
//! use clap::Parser;
//! use cron_heartbeat::{check, exit_code::Check, store, Heartbeat, RunStatus};
//!
//! let dir = tempfile::tempdir()?;
//! store::write(Some(dir.path()), &Heartbeat::new("backup", 86_400, RunStatus::Ok))?;
//! let lock = dir.path().join("check.lock");
//! let args = check::Args::try_parse_from([
//!     "hb-check".as_ref(),
//!     "--dir".as_ref(),
//!     dir.path().as_os_str(),
//!     "--lock-file".as_ref(),
//!     lock.as_os_str(),
//! ])?;
//! assert_eq!(check::run(&args), Check::Ok);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
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

mod adopt;
mod alert;
mod cause;
mod changes;
pub mod check;
pub mod cli;
pub mod daemon;
mod error;
pub mod escape;
pub mod exit_code;
mod expect;
mod fleet;
mod history;
mod http;
mod judge;
mod metrics;
mod notify;
mod pause;
mod ping;
mod process;
pub mod record;
mod report;
mod schedule;
pub mod store;
mod supervise;
mod survey;
mod timers;
mod tracker;
pub mod watch;
pub mod write;

#[cfg(test)]
mod properties_tests;

pub use error::{Error, TrackerError};
pub use judge::{judge_record, Judgement, Policy, Status};
pub use record::{Heartbeat, RunStatus};

/// This machine's host name, as heartbeats and alerts name it: the first
/// of the kernel's host name, `/etc/hostname` and `$HOSTNAME` that is a
/// host name by `record::validate_host`, else `localhost`.
pub fn hostname() -> String {
    // Bounded and non-blocking: a FIFO or a huge file there stops no run.
    let read = |path: &str| {
        let (bytes, _) =
            store::open::read_regular(path.as_ref(), store::open::Links::Follow, 4096).ok()?;
        Some(String::from_utf8(bytes).ok()?.trim().to_owned())
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
