//! Judging jobs: status, age, ratio and reason for each. One function, [`judge`], decides a job's
//! status from everything known about it (a [`Job`], the policy, the instant); [`rows`] builds the
//! set of rows in one pass. Pure: the caller passes what it read.

use std::fmt;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::history::{consecutive_failures, Recent, Run};
use crate::pause::Pause;
use crate::record::{Content, Entry, Heartbeat, RunStatus};
use crate::schedule::Expectation;

mod heartbeat;
pub(crate) mod rows;
mod runs;
pub(crate) mod schedule;
pub(crate) mod timer;

pub(crate) use rows::{rows, summary};

/// The verdict on one job. Declared worst first, so the derived order sorts the worst to the top.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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
        const WORDS: [&str; 9] = [
            "invalid", "stale", "missing", "failed", "failing", "late", "running", "paused", "ok",
        ];
        WORDS[self as usize]
    }

    /// Whether the status raises an alert (`late` and `failing` only warn, `paused` is quiet).
    pub fn is_alert(self) -> bool {
        self <= Status::Failed
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
    /// A job alerts as `failed` from this many failed runs in a row; fewer
    /// are `failing` (`--alert-after`, at least 1).
    pub alert_after: u32,
    /// How scheduled jobs are judged.
    pub rules: schedule::Rules,
}

impl Policy {
    /// hb-check's policy without options, at `now`: stale past twice the interval, `failed` from
    /// the first failed run, a schedule in a record judged with its default grace in UTC.
    pub fn at(now: DateTime<Utc>) -> Policy {
        Policy {
            now,
            factor: 2.0,
            default_interval: None,
            alert_after: 1,
            rules: schedule::Rules::default(),
        }
    }
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
    /// What the job's schedule expects, when one is known (boxed: most
    /// jobs have none, and a scan keeps a row per heartbeat).
    pub expected: Option<Box<schedule::Timetable>>,
    /// Other heartbeat files of the same host and job, in other directories,
    /// which lost to this one (see `dedup`).
    pub duplicates: Vec<PathBuf>,
}

impl Judgement {
    /// A job named with `--expect` that has no heartbeat.
    pub fn missing(job: &str) -> Judgement {
        let reason = "expected, but no heartbeat has ever been written";
        Judgement::bare(job, Status::Missing, Some(reason.to_owned()))
    }

    /// The one full literal: no status is a default one.
    pub(crate) fn bare(job: &str, status: Status, reason: Option<String>) -> Judgement {
        Judgement {
            job: job.to_owned(),
            host: None,
            status,
            timestamp: None,
            age_seconds: None,
            interval_seconds: None,
            ratio: None,
            reason,
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

/// One job to judge, with everything known about it.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Job<'a> {
    pub name: &'a str,
    /// `None` for a job a crontab line or `--expect` names that has none.
    pub entry: Option<&'a Entry>,
    /// For a job in a user's area, only a line of that user's.
    pub crontab: Option<&'a Expectation>,
    /// Oldest first, where [`needs_history`] asks for them.
    pub recent: &'a [Run],
    pub pause: Option<&'a Pause>,
    /// For a `running` record of this host: whether its wrapper still runs.
    pub wrapper_alive: Option<bool>,
}

impl<'a> Job<'a> {
    pub(crate) fn of(entry: &'a Entry) -> Job<'a> {
        Job {
            name: &entry.job,
            entry: Some(entry),
            ..Job::default()
        }
    }
}

/// Judges one heartbeat record on its own, as hb-check judges a heartbeat
/// file with no crontab line, history or pause beside it: the judgement
/// for a program that keeps its records itself.
///
/// ```
/// use chrono::{Duration, Utc};
/// use cron_heartbeat::{judge_record, Heartbeat, Policy, RunStatus, Status};
///
/// let beat = Heartbeat::new("backup", 3600, RunStatus::Ok);
/// let now = beat.timestamp;
/// assert_eq!(judge_record(&beat, &Policy::at(now)).status, Status::Ok);
/// let later = Policy::at(now + Duration::hours(3));
/// assert_eq!(judge_record(&beat, &later).status, Status::Stale);
/// let failed = Heartbeat::new("backup", 3600, RunStatus::Fail);
/// assert_eq!(judge_record(&failed, &Policy::at(Utc::now())).status, Status::Failed);
/// ```
pub fn judge_record(record: &Heartbeat, policy: &Policy) -> Judgement {
    let entry = Entry {
        path: PathBuf::from(format!("{}.last", record.job)),
        job: record.job.clone(),
        subdir: None,
        content: Ok(Content::Record(record.clone())),
    };
    judge(&Job::of(&entry), policy)
}

/// Judges one job: its heartbeat (or none), schedule, threshold, pause, in that order.
pub(crate) fn judge(job: &Job, policy: &Policy) -> Judgement {
    let mut j = match (job.entry, job.crontab) {
        (Some(entry), _) => heartbeat::by_record(job, entry, policy),
        (None, Some(line)) => schedule::never_run(line, policy),
        (None, None) => Judgement::missing(job.name),
    };
    apply_overrides(&mut j, job.pause, policy.alert_after, job.recent);
    j
}

/// `--alert-after` on a `failed` job, then the `pause` over any status, saying what it hides.
fn apply_overrides(j: &mut Judgement, pause: Option<&Pause>, alert_after: u32, recent: &[Run]) {
    if j.status == Status::Failed && alert_after > 1 {
        let newest = j.timestamp.filter(|_| !recent.is_empty());
        let known = (j.consecutive_failures)
            .or_else(|| newest.map(|t| consecutive_failures(t, recent)))
            .map(|n| n.max(1));
        j.consecutive_failures = known;
        let failures = known.unwrap_or(1);
        let s = if failures == 1 { "" } else { "s" };
        let reason = j.reason.get_or_insert_with(String::new);
        reason.push_str(&format!("; {failures} failed run{s} in a row"));
        if failures < alert_after {
            j.status = Status::Failing;
            reason.push_str(&format!(", alerting after {alert_after}"));
        }
    }
    if let Some(pause) = pause {
        let otherwise = match (&j.status, &j.reason) {
            (Status::Ok, _) | (_, None) => format!("otherwise {}", j.status),
            (status, Some(reason)) => format!("otherwise {status}: {reason}"),
        };
        j.reason = Some(format!("{} ({otherwise})", pause.describe()));
        j.status = Status::Paused;
        j.pause = Some(Box::new(pause.clone()));
    }
}

fn failure(code: Option<i32>) -> String {
    let code = code.map_or(String::new(), |c| format!(" (exit code {c})"));
    format!("the last run reported failure{code}")
}

/// Whether `entry` is judged with its recent runs: usual duration, usual lag or failure count.
pub(crate) fn needs_history(entry: &Entry, crontab: Option<&Expectation>, policy: &Policy) -> bool {
    let Ok(Content::Record(r)) = &entry.content else {
        return false;
    };
    let scheduled = r.schedule.is_some() || crontab.is_some_and(|c| c.schedule.is_some());
    let uncounted =
        r.status == RunStatus::Fail && r.consecutive_failures.is_none() && policy.alert_after > 1;
    r.status == RunStatus::Running || (scheduled && !policy.rules.by_interval) || uncounted
}

#[cfg(test)]
mod simulation;
#[cfg(test)]
mod tests;
