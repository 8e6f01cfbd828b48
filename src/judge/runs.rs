//! The start and the run judged apart. A wrapped job writes a `running`
//! record when it starts, so its start is judged against the fire plus a
//! short start grace (`stale`, did not start), and a run in progress
//! against its usual duration (`late`, running long). And a run missed
//! between two checks, which leaves only a gap in the history, is told
//! once as `late`. Pure, like the rest of the judge.

use chrono::{DateTime, Utc};

use super::schedule::{local, started, Due};
use super::{delay, usual, Judgement, Status};
use crate::history::Run;
use crate::record::{format_duration, Heartbeat};
use crate::schedule::{Schedule, Timing};

/// The longest default start grace, in seconds.
const START_GRACE_MAX_SECONDS: u64 = 15 * 60;

/// How long a skipped run is told after the run that followed it, in
/// seconds: longer than any checker's period, so that a checker running
/// every 5 to 15 minutes sees it once.
const SKIP_SHOWN_SECONDS: i64 = 3600;

/// The default start grace for fires `gap` seconds apart: the smaller of
/// [`START_GRACE_MAX_SECONDS`] and half the gap.
pub(crate) fn default_start_grace(gap: u64) -> u64 {
    START_GRACE_MAX_SECONDS.min(gap / 2)
}

/// When the run after a wrapped run that started at `began` must have
/// started: the next fire (after anacron's catch-up and a delay, when the
/// timing has them), with the start grace after it.
pub(crate) fn start_due(
    schedule: &Schedule,
    timing: &Timing,
    began: DateTime<Utc>,
    start_grace: Option<u64>,
) -> Option<Due> {
    let (fire, next) = delay::fires(schedule, timing, began)?;
    let gap = Schedule::gap(fire, next);
    Some(Due {
        due_at: delay::latest_start(next, timing)?,
        grace_seconds: start_grace.unwrap_or_else(|| default_start_grace(gap)),
    })
}

/// The reason a wrapped job is `stale` once its start grace has passed.
pub(crate) fn did_not_start(due: &Due, zone: chrono_tz::Tz) -> String {
    format!(
        "did not start: the run due at {} had not started {} later (start grace)",
        local(due.due_at, zone),
        format_duration(due.grace_seconds)
    )
}

/// Re-judges a run in progress by its usual duration: past
/// [`usual::RUNNING_LONG_MARGIN`] x the percentile of its recent
/// successful durations (and below its maximum, which the record's rule
/// already weighed), `late`, running long.
pub(crate) fn running_long(j: &mut Judgement, r: &Heartbeat, recent: &[Run], now: DateTime<Utc>) {
    if j.status != Status::Running {
        return;
    }
    let Some(usual) = usual::duration(recent) else {
        return;
    };
    let since = r.started_at.unwrap_or(r.timestamp);
    let elapsed = (now - since).num_seconds().max(0).unsigned_abs();
    let limit = usual.saturating_mul(usual::RUNNING_LONG_MARGIN);
    if elapsed > limit {
        j.status = Status::Late;
        j.reason = Some(format!(
            "running long: running for {}, usually {} ({}x that is {})",
            format_duration(elapsed),
            format_duration(usual),
            usual::RUNNING_LONG_MARGIN,
            format_duration(limit)
        ));
    }
}

/// The first fire with no run of the newest gap between two runs of the last
/// [`SKIP_SHOWN_SECONDS`] before `now`: a run missed and followed by
/// another. `newest` is the heartbeat's own run, which the history may
/// not hold yet. A run's fire comes from its start where known.
pub(crate) fn skipped(
    schedule: &Schedule,
    timing: &Timing,
    recent: &[Run],
    newest: &Run,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let window = now.checked_sub_signed(chrono::Duration::seconds(SKIP_SHOWN_SECONDS))?;
    let tail = recent.iter().rev().take_while(|r| r.timestamp >= window);
    // The run just before the window too: a skip before the first run in it.
    let from = recent.len().saturating_sub(tail.count() + 1);
    let in_history = matches!(recent.last(), Some(r) if r.timestamp >= newest.timestamp);
    let extra = (!in_history).then_some(newest);
    let runs: Vec<&Run> = recent[from..].iter().chain(extra).collect();
    let fire = |r: &Run| {
        let began = started(r.timestamp, r.duration_seconds);
        delay::fires(schedule, timing, began.unwrap_or(r.timestamp))
    };
    runs.windows(2)
        .filter(|pair| pair[1].timestamp >= window)
        .filter_map(|pair| {
            let ((_, expected), (fire, _)) = (fire(pair[0])?, fire(pair[1])?);
            (fire > expected).then_some(expected)
        })
        .next_back()
}

/// The reason for a skipped run: `missed the 03:00 run (2026-11-24 CET)`.
pub(crate) fn missed(fire: DateTime<Utc>, zone: chrono_tz::Tz) -> String {
    let at = fire.with_timezone(&zone);
    format!(
        "missed the {} run ({}), then ran again",
        at.format("%H:%M"),
        at.format("%Y-%m-%d %Z")
    )
}

#[cfg(test)]
mod tests;
