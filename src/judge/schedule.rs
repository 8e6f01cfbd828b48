//! Judging by the schedule: a job is due at the fire after its last heartbeat's,
//! plus its usual lag, and `stale` once that and a grace have passed.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::{runs, Job, Judgement, Policy, Status};
use crate::history::Run;
use crate::record::{format_duration, Content, Entry, RunStatus, INTERVAL_MAX};
use crate::schedule::{Expectation, Schedule, Timing};

/// The schedule side of the policy; by default each schedule's own grace,
/// a record's schedule in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Rules {
    /// The grace after the due time; `None` for the default, the smaller of
    /// an hour and half the gap between two fires.
    pub grace: Option<u64>,
    /// The grace after its fire by which a wrapped job must have started;
    /// `None` for the default, the smaller of 15 minutes and half the gap.
    pub start_grace: Option<u64>,
    /// Judge every job by its interval, as if no schedule were known.
    pub by_interval: bool,
    /// The zone of a schedule that comes with a heartbeat record.
    pub zone: Tz,
}

/// What a job is expected to do by its schedule, as shown with its verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct Timetable {
    /// The schedule as written.
    pub schedule: String,
    /// The zone its fires are computed in.
    pub zone: Tz,
    /// Where the expectation comes from: `crontab FILE:LINE` or `record`.
    pub source: String,
    /// When the next run must have reported, lag included; `None` when
    /// the job is judged by interval.
    pub due_at: Option<DateTime<Utc>>,
    /// The grace after `due_at`, in seconds.
    pub grace_seconds: Option<u64>,
    /// The instant the job was judged at.
    pub judged_at: DateTime<Utc>,
}

/// The due time after a heartbeat at `reported` (started at `started`), and the grace after it,
/// by the next fire as `timing` places it: a `wrapped` job started by then, a plain one
/// reported, plus its usual lag.
pub(crate) fn due(
    schedule: &Schedule,
    reported: DateTime<Utc>,
    started: Option<DateTime<Utc>>,
    recent: &[Run],
    rules: &Rules,
    timing: &Timing,
    wrapped: bool,
) -> Option<(DateTime<Utc>, u64)> {
    let (fire, next) = runs::fires(schedule, timing, started.unwrap_or(reported))?;
    let gap = Schedule::gap(fire, next);
    let start = runs::latest_start(next, timing)?;
    if wrapped {
        return Some((
            start,
            (rules.start_grace).unwrap_or_else(|| runs::default_start_grace(gap)),
        ));
    }
    // A catch-up run (booted between fire and report) lags from anacron's start.
    let from = (timing.catch_up.as_ref())
        .filter(|c| c.booted > fire && c.booted <= reported)
        .and_then(runs::start_after_boot)
        .map_or(fire, |start| start.min(reported));
    let last_lag = (reported - from).num_seconds().max(0).unsigned_abs();
    // A lag is never a whole gap or more: a run that late belongs to the next fire.
    let lag = runs::usual_lag(schedule, timing, recent, reported, last_lag);
    let lag = span(lag.min(gap.saturating_sub(1)))?;
    let due_at = next.checked_add_signed(lag)?.max(start);
    Some((due_at, rules.grace.unwrap_or_else(|| default_grace(gap))))
}

/// `seconds` as a signed span, when it is one chrono can hold.
pub(super) fn span(seconds: u64) -> Option<chrono::Duration> {
    chrono::Duration::try_seconds(i64::try_from(seconds).ok()?)
}

pub(crate) fn default_grace(gap: u64) -> u64 {
    3600.min(gap / 2)
}

/// `2026-11-22 03:10 CET`: a time in the schedule's zone.
pub(crate) fn local(t: DateTime<Utc>, zone: Tz) -> String {
    format!("{}", t.with_timezone(&zone).format("%Y-%m-%d %H:%M %Z"))
}

/// When a run started: `duration` seconds before it reported, if plausible.
pub(crate) fn started(reported: DateTime<Utc>, duration: Option<f64>) -> Option<DateTime<Utc>> {
    let seconds = duration.filter(|d| d.is_finite() && *d >= 0.0 && *d < f64::from(i32::MAX))?;
    reported.checked_sub_signed(chrono::Duration::milliseconds((seconds * 1000.0) as i64))
}

/// Re-judges a readable heartbeat (the record's verdict `j`) by its schedule, when one is known.
pub(super) fn refine(mut j: Judgement, job: &Job, entry: &Entry, policy: &Policy) -> Judgement {
    let (rules, recent) = (&policy.rules, job.recent);
    let (newest, began, record_schedule, wrapped) = match &entry.content {
        Err(_) => return j,
        Ok(Content::Record(r)) => (
            Run::of(r),
            (r.started_at).or_else(|| started(r.timestamp, r.duration_seconds)),
            r.schedule.as_deref(),
            // The wrapper says when the run started.
            r.started_at.is_some(),
        ),
        Ok(Content::Empty { modified }) => {
            let run = Run {
                timestamp: *modified,
                status: RunStatus::Ok,
                exit_code: None,
                duration_seconds: None,
                attempts: Vec::new(),
            };
            (run, None, None, false)
        }
    };
    let line = job.crontab.and_then(|c| Some((c.schedule.clone()?, c)));
    let (schedule, source, timing) = match (line, record_schedule) {
        (Some((s, c)), _) => (s, format!("crontab {}", c.source), c.timing.clone()),
        (None, Some(text)) => match Schedule::parse(text, rules.zone) {
            Ok(s) => (s, "record".to_owned(), Timing::default()),
            Err(reason) => {
                j.status = Status::Invalid;
                j.reason = Some(format!("the record's schedule is unusable: {reason}"));
                return j;
            }
        },
        (None, None) => return j,
    };
    // A running job is judged by its maximum runtime: neither missed nor due.
    let (run, at) = (newest.status, newest.timestamp);
    let judged = !rules.by_interval && run != RunStatus::Running;
    let due =
        (judged.then(|| due(&schedule, at, began, recent, rules, &timing, wrapped))).flatten();
    j.expected = Some(Box::new(Timetable {
        schedule: schedule.text().to_owned(),
        zone: schedule.zone(),
        source,
        due_at: due.map(|d| d.0),
        grace_seconds: due.map(|d| d.1),
        judged_at: policy.now,
    }));
    let Some((due_at, grace)) = due else { return j };
    let failed = match &entry.content {
        Ok(Content::Record(r)) if run == RunStatus::Fail => Some(r),
        _ => None,
    };
    let zone = schedule.zone();
    (j.status, j.reason) = if policy.now > super::timer::plus(due_at, grace) {
        let (at, grace) = (local(due_at, zone), format_duration(grace));
        let reason = if wrapped {
            format!(
                "did not start: the run due at {at} had not started {grace} later (start grace)"
            )
        } else {
            format!("the run due at {at} was missed (grace {grace})")
        };
        (Status::Stale, Some(reason))
    } else if let Some(r) = failed {
        (Status::Failed, Some(super::heartbeat::failed_reason(r)))
    } else if let Some(fire) = runs::skipped(&schedule, &timing, recent, &newest, policy.now) {
        let fire = fire.with_timezone(&zone);
        let (time, day) = (fire.format("%H:%M"), fire.format("%Y-%m-%d %Z"));
        let reason = format!("missed the {time} run ({day}), then ran again");
        (Status::Late, Some(reason))
    } else {
        (Status::Ok, None)
    };
    j
}

/// The one job name a crontab line answers to ([`crate::record::user_job`]): no other user's.
pub(crate) fn judged_name(e: &Expectation) -> String {
    crate::record::user_job(e.user.as_deref(), &e.job)
}

/// The row of a job a crontab runs that has never written a heartbeat.
pub(super) fn never_run(e: &Expectation, policy: &Policy) -> Judgement {
    let rules = &policy.rules;
    let mut j = Judgement::missing(&judged_name(e));
    j.interval_seconds = Some(e.interval);
    let source = format!("crontab {}", e.source);
    // A line of unknown age is taken to be as old as the longest interval.
    let oldest = span(INTERVAL_MAX).and_then(|d| policy.now.checked_sub_signed(d));
    let since = e.since.or(oldest).unwrap_or(policy.now);
    let schedule = e.schedule.as_ref().filter(|_| !rules.by_interval);
    let (first, grace) = if let Some(s) = schedule {
        let fire = s.next_after(since);
        let gap = fire.and_then(|f| s.next_after(f).map(|n| Schedule::gap(f, n)));
        let grace = rules.grace.unwrap_or(default_grace(gap.unwrap_or(0)));
        (fire.and_then(|f| runs::latest_start(f, &e.timing)), grace)
    } else {
        // @reboot, or by interval: due factor x interval after the line appeared.
        let wait = (policy.factor * e.interval as f64) as u64;
        (Some(super::timer::plus(since, wait)), 0)
    };
    let missed = first.is_some_and(|f| policy.now > super::timer::plus(f, grace));
    // A job that never ran shows its latest missed run, not its first.
    let first = match schedule.filter(|_| missed) {
        Some(s) => span(grace)
            .and_then(|g| policy.now.checked_sub_signed(g))
            .and_then(|t| s.latest_at_or_before(t))
            .max(first),
        None => first,
    };
    j.reason = missed.then(|| format!("{source} runs it, but no heartbeat has ever been written"));
    j.status = if missed { Status::Missing } else { Status::Ok };
    j.expected = e.schedule.as_ref().map(|s| {
        Box::new(Timetable {
            schedule: s.text().to_owned(),
            zone: s.zone(),
            source,
            due_at: schedule.and(first),
            grace_seconds: schedule.map(|_| grace),
            judged_at: policy.now,
        })
    });
    j
}

#[cfg(test)]
mod tests;
