//! Judging heartbeats: status, age, ratio and reason for each job. Pure: the
//! caller passes the scan and the current time.

use std::fmt;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::history::Recent;
use crate::pause::Pause;
use crate::record::{format_duration, Content, Entry, RunStatus};

mod overrides;
mod rows;

pub use overrides::{apply, Context};
pub use rows::{add_missing, dedup, host_of, is_expected, judge_all, sort, summary};
pub mod schedule;

/// A timestamp further ahead of the checker's clock than this is invalid: a
/// clock-skewed heartbeat would otherwise hide a dead job.
pub const FUTURE_TOLERANCE_SECONDS: i64 = 300;

/// The verdict on one job. Declared worst first, so the derived order sorts
/// the worst to the top.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The heartbeat cannot be read or used.
    Invalid,
    /// Silent for more than factor x interval.
    Stale,
    /// Expected with `--expect`, but no heartbeat exists.
    Missing,
    /// The last run reported failure.
    Failed,
    /// The last runs failed, fewer in a row than `--alert-after`: a warning.
    Failing,
    /// Past its interval, within factor x interval.
    Late,
    /// Running under the wrapper, within its maximum runtime.
    Running,
    /// Paused (`hb-write --pause`) until a time not yet reached: never
    /// alerts, whatever the heartbeat says.
    Paused,
    /// On schedule.
    Ok,
}

impl Status {
    /// Every status, worst first.
    pub const ALL: [Status; 9] = [
        Status::Invalid,
        Status::Stale,
        Status::Missing,
        Status::Failed,
        Status::Failing,
        Status::Late,
        Status::Running,
        Status::Paused,
        Status::Ok,
    ];

    /// The lowercase word for the status.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Invalid => "invalid",
            Status::Stale => "stale",
            Status::Missing => "missing",
            Status::Failed => "failed",
            Status::Failing => "failing",
            Status::Late => "late",
            Status::Running => "running",
            Status::Paused => "paused",
            Status::Ok => "ok",
        }
    }

    /// Whether the status raises an alert (`late` and `failing` only warn,
    /// `paused` is quiet).
    pub fn is_alert(self) -> bool {
        !matches!(
            self,
            Status::Ok | Status::Late | Status::Failing | Status::Running | Status::Paused
        )
    }

    /// Whether the job is fine: ok, or running within its maximum. (A
    /// paused job is quiet, not fine: reports still list it.)
    pub fn is_healthy(self) -> bool {
        matches!(self, Status::Ok | Status::Running)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the judgement depends on besides the heartbeats.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// The instant to judge at.
    pub now: DateTime<Utc>,
    /// A job is stale past `factor` x its interval; greater than 1.
    pub factor: f64,
    /// The interval of an empty heartbeat file (a plain `touch`), if any.
    pub default_interval: Option<u64>,
}

/// The judgement of one job.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    /// The job.
    pub job: String,
    /// The host the heartbeat came from, when known.
    pub host: Option<String>,
    /// The verdict.
    pub status: Status,
    /// When the last heartbeat was written.
    pub timestamp: Option<DateTime<Utc>>,
    /// Seconds since the last heartbeat (never negative).
    pub age_seconds: Option<u64>,
    /// The expected interval, in seconds.
    pub interval_seconds: Option<u64>,
    /// Age divided by interval.
    pub ratio: Option<f64>,
    /// Why the job is not ok; `None` when it is.
    pub reason: Option<String>,
    /// The heartbeat file.
    pub path: Option<PathBuf>,
    /// The exit code the last run reported.
    pub exit_code: Option<i32>,
    /// The message the last run left.
    pub message: Option<String>,
    /// The pause in force, for a `paused` job.
    pub pause: Option<Box<Pause>>,
    /// How many runs in a row failed, for a `failed` or `failing` job.
    pub consecutive_failures: Option<u32>,
    /// The recent runs from the job's history, when the report read it.
    pub recent: Option<Box<Recent>>,
    /// What the job's schedule expects, when one is known. Boxed: most
    /// jobs have none, and a row per heartbeat is kept for a whole scan.
    pub expected: Option<Box<schedule::Expected>>,
    /// Other heartbeat files of the same host and job, in other directories,
    /// which lost to this one (see [`dedup`]).
    pub duplicates: Vec<PathBuf>,
}

impl Judgement {
    fn invalid(entry: &Entry, reason: String) -> Judgement {
        Judgement {
            job: entry.job.clone(),
            host: entry.subdir.clone(),
            status: Status::Invalid,
            timestamp: None,
            age_seconds: None,
            interval_seconds: None,
            ratio: None,
            reason: Some(reason),
            path: Some(entry.path.clone()),
            exit_code: None,
            message: None,
            pause: None,
            consecutive_failures: None,
            recent: None,
            expected: None,
            duplicates: Vec::new(),
        }
    }

    /// A job named with `--expect` that has no heartbeat.
    pub fn missing(job: &str) -> Judgement {
        Judgement {
            job: job.to_owned(),
            host: None,
            status: Status::Missing,
            timestamp: None,
            age_seconds: None,
            interval_seconds: None,
            ratio: None,
            reason: Some("expected, but no heartbeat has ever been written".to_owned()),
            path: None,
            exit_code: None,
            message: None,
            pause: None,
            consecutive_failures: None,
            recent: None,
            expected: None,
            duplicates: Vec::new(),
        }
    }
}

/// What the caller found out about a job besides its heartbeat, for the
/// judge to weigh: the judge itself looks at no process and no file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Facts {
    /// For a `running` record written on this host: whether the wrapper
    /// that wrote it still runs. `None` when it cannot be known (another
    /// host's run, or no run in progress).
    pub wrapper_alive: Option<bool>,
}

/// Judges one scanned heartbeat.
pub fn judge(entry: &Entry, facts: Facts, policy: &Policy) -> Judgement {
    let content = match &entry.content {
        Ok(content) => content,
        Err(reason) => return Judgement::invalid(entry, reason.clone()),
    };
    if let Content::Record(r) = content {
        if r.status == RunStatus::Running {
            return judge_running(entry, r, facts, policy);
        }
    }
    let (timestamp, interval, run, host, exit_code, message) = match content {
        Content::Record(r) => (
            r.timestamp,
            r.interval_seconds,
            r.status,
            Some(r.host.clone()),
            r.exit_code,
            r.message.clone(),
        ),
        Content::Empty { modified } => match policy.default_interval {
            Some(interval) => (*modified, interval, RunStatus::Ok, None, None, None),
            None => {
                return Judgement::invalid(
                    entry,
                    "the file is empty; give --default-interval to judge empty files by their modification time".to_owned(),
                )
            }
        },
    };
    let age = (policy.now - timestamp).num_seconds();
    if age < -FUTURE_TOLERANCE_SECONDS {
        return Judgement::invalid(
            entry,
            format!(
                "the timestamp {} is {} in the future; check the clock of the host that wrote it",
                timestamp.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                format_duration(age.unsigned_abs())
            ),
        );
    }
    let age = age.max(0) as u64;
    let ratio = age as f64 / interval as f64;
    let (status, mut reason) = classify(age, interval, policy.factor, run);
    if let (Status::Failed, Some(code), Some(reason)) = (status, exit_code, reason.as_mut()) {
        reason.push_str(&format!(" (exit code {code})"));
    }
    Judgement {
        job: entry.job.clone(),
        host: entry.subdir.clone().or(host),
        status,
        timestamp: Some(timestamp),
        age_seconds: Some(age),
        interval_seconds: Some(interval),
        ratio: Some(ratio),
        reason,
        path: Some(entry.path.clone()),
        exit_code,
        message,
        pause: None,
        // Where the writer counted them (the wrapper does), the record says
        // how many runs in a row failed.
        consecutive_failures: match content {
            Content::Record(r) if r.status == RunStatus::Fail => r.consecutive_failures,
            _ => None,
        },
        recent: None,
        expected: None,
        duplicates: Vec::new(),
    }
}

/// Judges a `running` record: `stale` when the run is hung (past its
/// maximum runtime, recorded, else factor x interval) or its wrapper is
/// gone; else as bad as the last finished run it carries (`failed` while
/// that failed), and `running` only when that run was ok or there is none.
fn judge_running(
    entry: &Entry,
    r: &crate::record::Heartbeat,
    facts: Facts,
    policy: &Policy,
) -> Judgement {
    let since = r.started_at.unwrap_or(r.timestamp);
    let elapsed = (policy.now - since).num_seconds();
    if elapsed < -FUTURE_TOLERANCE_SECONDS {
        return Judgement::invalid(
            entry,
            format!(
                "the run started {} in the future; check the clock of the host that wrote it",
                format_duration(elapsed.unsigned_abs())
            ),
        );
    }
    let elapsed = elapsed.max(0) as u64;
    let max = r
        .max_runtime_seconds
        .unwrap_or((policy.factor * r.interval_seconds as f64) as u64);
    // A record from before `last` was kept says a failure by its count.
    let last_failed = match &r.last {
        Some(last) => last.status == RunStatus::Fail,
        None => r.consecutive_failures.is_some_and(|n| n > 0),
    };
    let last = r.last.as_ref();
    let run = Run {
        elapsed,
        max,
        since,
        wrapper_alive: facts.wrapper_alive,
        last_failed,
        last_exit_code: last.and_then(|l| l.exit_code),
    };
    let (status, reason) = classify_running(&run);
    let age = (policy.now - r.timestamp).num_seconds().max(0) as u64;
    Judgement {
        job: entry.job.clone(),
        host: entry.subdir.clone().or(Some(r.host.clone())),
        status,
        timestamp: Some(r.timestamp),
        age_seconds: Some(age),
        interval_seconds: Some(r.interval_seconds),
        ratio: Some(age as f64 / r.interval_seconds as f64),
        reason: Some(reason),
        path: Some(entry.path.clone()),
        exit_code: last.and_then(|l| l.exit_code),
        message: last.and_then(|l| l.message.clone()).or(r.message.clone()),
        pause: None,
        // Unknown counts one, as for a finished failed run.
        consecutive_failures: last_failed.then(|| {
            last.and_then(|l| l.consecutive_failures)
                .or(r.consecutive_failures)
                .unwrap_or(1)
                .max(1)
        }),
        recent: None,
        expected: None,
        duplicates: Vec::new(),
    }
}

/// A run in progress, as [`classify_running`] weighs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    /// Seconds since the run started.
    pub elapsed: u64,
    /// Its maximum runtime, in seconds.
    pub max: u64,
    /// When it started.
    pub since: DateTime<Utc>,
    /// Whether its wrapper still runs, when known.
    pub wrapper_alive: Option<bool>,
    /// Whether the last finished run before it failed.
    pub last_failed: bool,
    /// That run's exit code, when known.
    pub last_exit_code: Option<i32>,
}

/// The status rule for a run in progress: `stale` when hung past its
/// maximum or when its wrapper is gone, `failed` while the run before it
/// had failed, else `running`.
pub fn classify_running(run: &Run) -> (Status, String) {
    let running = format_duration(run.elapsed);
    let max_text = format_duration(run.max);
    if run.elapsed > run.max {
        let reason = format!("running for {running}, longer than its maximum of {max_text}: hung?");
        (Status::Stale, reason)
    } else if run.wrapper_alive == Some(false) {
        let reason = format!(
            "wrapper gone: the run started {running} ago and its wrapper no longer runs on this host"
        );
        (Status::Stale, reason)
    } else if run.last_failed {
        let code = run
            .last_exit_code
            .map_or(String::new(), |code| format!(" (exit code {code})"));
        let since = schedule::local(run.since, chrono_tz::Tz::UTC);
        let reason = format!("the last run reported failure{code}; running again since {since}");
        (Status::Failed, reason)
    } else {
        let reason = format!("running for {running}, within its maximum of {max_text}");
        (Status::Running, reason)
    }
}

/// The status rule for a readable heartbeat, with its reason.
pub fn classify(age: u64, interval: u64, factor: f64, run: RunStatus) -> (Status, Option<String>) {
    let silent = format_duration(age);
    let every = format_duration(interval);
    if age as f64 > factor * interval as f64 {
        let reason = format!("silent for {silent}, more than {factor}x its interval of {every}");
        (Status::Stale, Some(reason))
    } else if run == RunStatus::Fail {
        (
            Status::Failed,
            Some("the last run reported failure".to_owned()),
        )
    } else if age > interval {
        let reason = format!("last seen {silent} ago, past its interval of {every}");
        (Status::Late, Some(reason))
    } else {
        (Status::Ok, None)
    }
}

#[cfg(test)]
mod tests;
