//! Judging a systemd timer and its service as a job named `timer:NAME`; the
//! caller (`timers`) reads systemd and passes what it found as a [`Timer`].

use chrono::{DateTime, Utc};

use super::{schedule, Judgement, Policy, Status};
use crate::record::format_duration;
use crate::schedule::Schedule;

/// Everything read about one timer and its service.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Timer {
    /// The job name: `timer:NAME`, or `USER/timer:NAME` for a user's timer.
    pub job: String,
    /// `certbot.timer`, and the unit it triggers, `certbot.service`.
    pub unit: String,
    pub service: String,
    /// systemd's `UnitFileState` (`enabled`, `disabled`, `masked`, ...).
    pub file_state: String,
    /// Whether the timer is active (waiting for its next trigger).
    pub active: bool,
    /// Whether the timer's conditions held when it was last started.
    pub condition_met: bool,
    /// The schedule as systemd normalised it (`OnCalendar=...; ...`).
    pub schedule: String,
    pub last_trigger: Option<DateTime<Utc>>,
    /// The next trigger before the randomized delay (from the last one, if stopped).
    pub next_fire: Option<DateTime<Utc>>,
    /// The usual time between two triggers, in seconds, when known.
    pub period: Option<u64>,
    /// `RandomizedDelaySec=` and `AccuracySec=`, in seconds.
    pub randomized_delay: u64,
    pub accuracy: u64,
    pub run: Run,
    /// The service's last journal lines, when it failed.
    pub journal: Option<String>,
    /// The heartbeat job names its service writes (see [`merge`]).
    pub aliases: Vec<String>,
}

/// The service's last or current run.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Run {
    /// Whether it runs now (activating, active, deactivating, reloading).
    pub running: bool,
    /// systemd's `Result` of its last run (`success`, `exit-code`, ...).
    pub result: String,
    pub exit: Option<Exit>,
    /// `RuntimeMaxSec=`, in seconds, when finite.
    pub runtime_max: Option<u64>,
    pub started: Option<DateTime<Utc>>,
    pub ended: Option<DateTime<Utc>>,
}

/// How a service's main process ended: its exit status, or the killing signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    Status(i32),
    Signal(i32),
}

/// Why a timer is not judged (told with `--verbose`): disabled, masked, or stopped, not due here.
pub(crate) fn not_judged(timer: &Timer) -> Option<String> {
    let state = timer.file_state.as_str();
    if state.starts_with("masked") || state == "disabled" {
        return Some(state.to_owned());
    }
    if !timer.active && !timer.condition_met {
        return Some("its conditions do not hold on this host".to_owned());
    }
    let unstarted = !timer.active && !state.starts_with("enabled") && timer.last_trigger.is_none();
    unstarted.then(|| format!("{state}, not started"))
}

/// Judges one timer; `max_runtime` is hb-check's `--max-runtime`.
pub(crate) fn judge(timer: &Timer, policy: &Policy, max_runtime: Option<u64>) -> Judgement {
    let grace = (policy.rules.grace)
        .unwrap_or_else(|| schedule::default_grace(timer.period.unwrap_or(u64::MAX)).max(1));
    let slack = timer.randomized_delay.saturating_add(timer.accuracy);
    let due_at = timer.next_fire.map(|fire| plus(fire, slack));
    let (status, reason) = verdict(timer, policy, grace, due_at, max_runtime);
    let timestamp = timer.run.ended.or(timer.last_trigger);
    let age_seconds = timestamp.map(|t| Schedule::gap(t, policy.now));
    Judgement {
        timestamp,
        age_seconds,
        interval_seconds: timer.period,
        ratio: (age_seconds.zip(timer.period.filter(|p| *p > 0)))
            .map(|(age, p)| age as f64 / p as f64),
        exit_code: match timer.run.exit {
            Some(Exit::Status(code)) => Some(code),
            _ => None,
        },
        message: timer.journal.clone().filter(|_| status == Status::Failed),
        expected: Some(Box::new(schedule::Timetable {
            schedule: timer.schedule.clone(),
            zone: chrono_tz::Tz::UTC,
            source: format!("systemd {}", timer.unit),
            due_at,
            grace_seconds: Some(grace),
            judged_at: policy.now,
        })),
        ..Judgement::bare(&timer.job, status, reason)
    }
}

fn verdict(
    timer: &Timer,
    policy: &Policy,
    grace: u64,
    due_at: Option<DateTime<Utc>>,
    max_runtime: Option<u64>,
) -> (Status, Option<String>) {
    let (run, now, service) = (&timer.run, policy.now, &timer.service);
    if run.running {
        // The shortest of RuntimeMaxSec=, --max-runtime, and factor x the
        // period (a run that outlasts it keeps the next from starting).
        let by_period = timer.period.map(|p| (p as f64 * policy.factor) as u64);
        let limits = [run.runtime_max, max_runtime, by_period];
        let max = limits.into_iter().flatten().min();
        let ran = run.started.map(|s| Schedule::gap(s, now));
        if let Some((ran, max)) = ran.zip(max).filter(|(ran, max)| ran > max) {
            let (ran, max) = (format_duration(ran), format_duration(max));
            let why = format!("{service} has run for {ran}, past its maximum runtime of {max}");
            return (Status::Stale, Some(why));
        }
        return (Status::Running, None);
    }
    if !run.result.is_empty() && run.result != "success" {
        let how = match run.exit {
            Some(Exit::Status(code)) => format!(", exit status {code}"),
            Some(Exit::Signal(signal)) => format!(", killed by signal {signal}"),
            None => String::new(),
        };
        let when = (run.ended).map_or(String::new(), |t| format!(" at {}", stamp(t)));
        let why = format!("{service} failed ({}{how}){when}", run.result);
        return (Status::Failed, Some(why));
    }
    let overdue = due_at.filter(|due| now > plus(*due, grace)).map(stamp);
    let why = match (overdue, timer.last_trigger.map(stamp), timer.active) {
        (_, None, false) => "timer stopped: enabled, but stopped, and it never ran".to_owned(),
        (None, _, _) => return (Status::Ok, None),
        (Some(due), Some(last), false) => {
            format!("timer stopped: its next trigger after the last run ({last}) was due by {due}")
        }
        (Some(due), None, true) => {
            format!("enabled, and it never ran; its first trigger was due by {due}")
        }
        (Some(due), Some(last), true) => {
            format!("a trigger was due by {due}; the last was at {last}")
        }
    };
    // A timer that never triggered its service is missing; one that did, stale.
    let status = (timer.last_trigger).map_or(Status::Missing, |_| Status::Stale);
    (status, Some(why))
}

/// Adds timers: each joins its service's job row of this host (worse verdict wins), else a row.
pub(crate) fn merge(rows: &mut Vec<Judgement>, timers: Vec<(Judgement, Vec<String>)>, local: &str) {
    for (timer, aliases) in timers {
        let mut matched = false;
        for row in rows.iter_mut() {
            if aliases.contains(&row.job) && super::rows::host_of(row, local) == local {
                matched = true;
                if timer.status < row.status {
                    row.status = timer.status;
                    row.reason.clone_from(&timer.reason);
                    row.message = timer.message.clone().or(row.message.take());
                }
            }
        }
        if !matched {
            rows.push(timer);
        }
    }
}

/// `t` plus `secs` seconds, at most the latest instant.
pub(crate) fn plus(t: DateTime<Utc>, secs: u64) -> DateTime<Utc> {
    let later = schedule::span(secs).and_then(|d| t.checked_add_signed(d));
    later.unwrap_or(DateTime::<Utc>::MAX_UTC)
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

#[cfg(test)]
#[path = "timer_tests.rs"]
mod tests;
