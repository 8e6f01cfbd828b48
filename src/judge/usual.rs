//! What a job usually does, from its recent runs: how long after its fire
//! it reports (its lag) and how long a run takes. Each is a high
//! percentile of the newest runs, so that one slow night moves neither:
//! it does not push the next deadline out (hiding a death) and the next
//! normal run is not measured against it. Pure.

use chrono::{DateTime, Utc};

use super::schedule::{fire_of, started};
use crate::history::Run;
use crate::record::RunStatus;
use crate::schedule::{Schedule, Timing};

/// How many of the newest runs the usual lag and duration are taken from.
pub(crate) const USUAL_RUNS: usize = 20;

/// The percentile taken of them: the 90th, so that up to two slow runs of
/// twenty stay outliers.
pub(crate) const USUAL_PERCENTILE: usize = 90;

/// How much longer than its usual duration a run may take before it is
/// `late (running long)`.
pub(crate) const RUNNING_LONG_MARGIN: u64 = 2;

/// The fewest finished runs with a duration the running-long rule needs.
pub(crate) const RUNNING_LONG_MIN_RUNS: usize = 5;

/// The nearest-rank [`USUAL_PERCENTILE`] of `values` (which it sorts);
/// `None` when there are none.
pub(crate) fn percentile(values: &mut [u64]) -> Option<u64> {
    values.sort_unstable();
    let rank = (values.len() * USUAL_PERCENTILE).div_ceil(100);
    values.get(rank.checked_sub(1)?).copied()
}

/// The lags (seconds from fire to report) of the newest [`USUAL_RUNS`]
/// runs, the heartbeat written at `reported` included when the history
/// does not hold it yet, with the lag of that heartbeat's own run.
pub(crate) fn lags(
    schedule: &Schedule,
    timing: &Timing,
    runs: &[Run],
    reported: DateTime<Utc>,
    last_lag: u64,
) -> Vec<u64> {
    let in_history = runs.last().is_some_and(|r| r.timestamp == reported);
    let older = runs.iter().rev().skip(usize::from(in_history));
    let mut lags: Vec<u64> = older
        .take(USUAL_RUNS - 1)
        .filter_map(|r| {
            let began = started(r.timestamp, r.duration_seconds);
            let fire = fire_of(schedule, timing, r.timestamp, began)?;
            Some((r.timestamp - fire).num_seconds().max(0).unsigned_abs())
        })
        .collect();
    lags.push(last_lag);
    lags
}

/// The usual duration of a successful run: the percentile of the newest
/// [`USUAL_RUNS`] successful durations, when at least
/// [`RUNNING_LONG_MIN_RUNS`] are known, in whole seconds (at least 1).
pub(crate) fn duration(runs: &[Run]) -> Option<u64> {
    let mut durations: Vec<u64> = runs
        .iter()
        .rev()
        .filter(|r| r.status == RunStatus::Ok)
        .filter_map(|r| r.duration_seconds)
        .filter(|d| d.is_finite() && *d >= 0.0)
        .take(USUAL_RUNS)
        .map(|d| (d.ceil() as u64).max(1))
        .collect();
    if durations.len() < RUNNING_LONG_MIN_RUNS {
        return None;
    }
    percentile(&mut durations)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_percentile_leaves_the_slowest_tenth_out() {
        assert_eq!(percentile(&mut []), None);
        assert_eq!(percentile(&mut [7]), Some(7));
        // Twenty runs, two of them slow: the 18th value.
        let mut twenty: Vec<u64> = (1..=18).chain([500, 900]).collect();
        assert_eq!(percentile(&mut twenty), Some(18));
        // Ten runs, one slow: the 9th.
        let mut ten: Vec<u64> = (1..=9).chain([10_000]).collect();
        assert_eq!(percentile(&mut ten), Some(9));
    }

    fn run(at: i64, status: RunStatus, duration: f64) -> Run {
        Run {
            timestamp: DateTime::from_timestamp(1_800_000_000 + at, 0).unwrap(),
            status,
            exit_code: None,
            duration_seconds: Some(duration),
            attempts: Vec::new(),
        }
    }

    #[test]
    fn the_usual_duration_needs_five_successes_and_ignores_failures() {
        let four: Vec<Run> = (0..4).map(|i| run(i, RunStatus::Ok, 60.0)).collect();
        assert_eq!(duration(&four), None);
        let mut runs: Vec<Run> = (0..9).map(|i| run(i, RunStatus::Ok, 60.0)).collect();
        runs.push(run(9, RunStatus::Ok, 7200.0));
        runs.push(run(10, RunStatus::Fail, 90_000.0));
        assert_eq!(duration(&runs), Some(60));
    }
}
