//! A job's runs against its schedule's fires (anacron's days and catch-up,
//! delays, a wrapped job's start, skipped runs) and what it usually does (its
//! lag, its duration): a high percentile of the newest runs, so one slow night
//! neither pushes the next deadline out (hiding a death) nor sets the measure.

use chrono::{DateTime, Timelike, Utc};

use super::schedule::{span, started};
use crate::history::Run;
use crate::schedule::{timing::CatchUp, Schedule, Timing};

/// How many of the newest runs the usual lag and duration are taken from.
pub(crate) const USUAL_RUNS: usize = 20;

/// The 90th percentile of them: up to two slow runs of twenty stay outliers.
pub(crate) const USUAL_PERCENTILE: usize = 90;

/// A run is `late (running long)` past this many times its usual duration.
pub(crate) const RUNNING_LONG_MARGIN: u64 = 2;

/// The fewest finished runs with a duration the running-long rule needs.
pub(crate) const RUNNING_LONG_MIN_RUNS: usize = 5;

/// The nearest-rank [`USUAL_PERCENTILE`] of `values` (which it sorts).
pub(crate) fn percentile(values: &mut [u64]) -> Option<u64> {
    values.sort_unstable();
    let rank = (values.len() * USUAL_PERCENTILE).div_ceil(100);
    values.get(rank.checked_sub(1)?).copied()
}

/// The usual lag (fire to report) of the newest [`USUAL_RUNS`] runs, `reported`'s as `last_lag`.
pub(crate) fn usual_lag(
    schedule: &Schedule,
    timing: &Timing,
    runs: &[Run],
    reported: DateTime<Utc>,
    last_lag: u64,
) -> u64 {
    let in_history = runs.last().is_some_and(|r| r.timestamp == reported);
    let older = runs.iter().rev().skip(usize::from(in_history));
    let mut lags: Vec<u64> = older
        .take(USUAL_RUNS - 1)
        .filter_map(|r| {
            let at = started(r.timestamp, r.duration_seconds).unwrap_or(r.timestamp);
            // Without anacron's period, the fire alone (not the next one).
            let fire = match timing.period {
                None => schedule.latest_at_or_before(at)?,
                Some(_) => fires(schedule, timing, at)?.0,
            };
            Some((r.timestamp - fire).num_seconds().max(0).unsigned_abs())
        })
        .chain([last_lag])
        .collect();
    percentile(&mut lags).unwrap_or(last_lag)
}

/// The usual duration of a success (whole seconds, at least 1), from [`RUNNING_LONG_MIN_RUNS`].
pub(crate) fn duration(runs: &[Run]) -> Option<u64> {
    let mut durations: Vec<u64> = runs
        .iter()
        .rev()
        .filter(|r| r.status == crate::record::RunStatus::Ok)
        .filter_map(|r| r.duration_seconds)
        .filter(|d| d.is_finite() && *d >= 0.0)
        .take(USUAL_RUNS)
        .map(|d| (d.ceil() as u64).max(1))
        .collect();
    (durations.len() >= RUNNING_LONG_MIN_RUNS).then(|| percentile(&mut durations))?
}

/// The fire a run started at `at` belongs to, and the next. Anacron counts days: its own
/// day's fire (even one it came before, catching up at boot), the next the period's days on.
pub(crate) fn fires(
    schedule: &Schedule,
    timing: &Timing,
    at: DateTime<Utc>,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let Some(period) = timing.period else {
        let fire = schedule.latest_at_or_before(at)?;
        return Some((fire, schedule.next_after(fire)?));
    };
    let zone = schedule.zone();
    let day = at.with_timezone(&zone).date_naive();
    let fire = match schedule.latest_at_or_before(at) {
        Some(f) if f.with_timezone(&zone).date_naive() == day => f,
        _ => schedule.next_after(at)?,
    };
    let next = (0..period.days_after(day)).try_fold(fire, |t, _| schedule.next_after(t))?;
    Some((fire, next))
}

/// The latest start of a run due at `next` (or anacron's catch-up after a boot), plus the delay.
pub(crate) fn latest_start(next: DateTime<Utc>, timing: &Timing) -> Option<DateTime<Utc>> {
    let start = match timing.catch_up.as_ref().filter(|c| c.booted > next) {
        Some(c) => start_after_boot(c)?,
        None => next,
    };
    start.checked_add_signed(span(timing.delay)?)
}

/// anacron's first start after the boot: the boot within its hours, else its next hourly start.
pub(super) fn start_after_boot(c: &CatchUp) -> Option<DateTime<Utc>> {
    let hour = c.booted.with_timezone(&c.starts.zone()).hour();
    let at_boot = (c.hours.0..c.hours.1).contains(&hour).then_some(c.booted);
    at_boot.or_else(|| c.starts.next_after(c.booted))
}

/// How long a skipped run is told: longer than a checker's period (5 to 15 minutes), seen once.
const SKIP_SHOWN_SECONDS: i64 = 3600;

/// The default start grace for fires `gap` seconds apart.
pub(crate) fn default_start_grace(gap: u64) -> u64 {
    (15 * 60).min(gap / 2)
}

/// The first fire missed between two runs of the last [`SKIP_SHOWN_SECONDS`] (the newest gap,
/// fires by start where known); `newest`, the heartbeat's own run, may not be in the history.
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
        fires(schedule, timing, began.unwrap_or(r.timestamp))
    };
    runs.windows(2)
        .filter(|pair| pair[1].timestamp >= window)
        .filter_map(|pair| {
            let ((_, expected), (fire, _)) = (fire(pair[0])?, fire(pair[1])?);
            (fire > expected).then_some(expected)
        })
        .next_back()
}

#[cfg(test)]
mod tests;
