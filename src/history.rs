//! Run history: the line format of `<job>.history` and what is computed from it (failures in a
//! row, the strip of recent runs). Pure: the file lives in [`crate::store`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::record::{rfc3339_any, rfc3339_seconds, Heartbeat, RunStatus};

/// The most runs a history keeps: the newest ones.
pub(crate) const HISTORY_MAX: usize = 200;

pub(crate) const STRIP_LEN: usize = 14;

/// One finished run: one line of `<job>.history`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Run {
    #[serde(serialize_with = "rfc3339_seconds", deserialize_with = "rfc3339_any")]
    pub timestamp: DateTime<Utc>,
    pub status: RunStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<f64>,
    /// A retried run's attempts, oldest first (the last is the run's).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attempts: Vec<Tried>,
}

/// One attempt of a retried run (`hb-write --retry`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Tried {
    pub ok: bool,
    pub exit_code: i32,
    pub duration_seconds: f64,
}

impl Run {
    pub(crate) fn of(record: &Heartbeat) -> Run {
        Run {
            timestamp: record.timestamp,
            status: record.status,
            exit_code: record.exit_code,
            duration_seconds: record.duration_seconds,
            attempts: Vec::new(),
        }
    }

    /// One line's run; `None` for a torn or foreign line, which readers skip.
    pub(crate) fn from_line(line: &[u8]) -> Option<Run> {
        let mut run: Run = serde_json::from_slice(line).ok()?;
        // A duration that no run can have is dropped, not trusted.
        run.duration_seconds = run.duration_seconds.filter(|d| d.is_finite() && *d >= 0.0);
        Some(run)
    }
}

/// The newest [`HISTORY_MAX`] runs of a history file, oldest first.
pub(crate) fn parse(bytes: &[u8]) -> Vec<Run> {
    let lines = bytes.split(|b| *b == b'\n');
    let mut runs: Vec<Run> = lines.filter_map(Run::from_line).collect();
    runs.drain(..runs.len().saturating_sub(HISTORY_MAX));
    runs
}

/// The failures in a row behind a failed heartbeat of `timestamp`: those
/// ending `runs`, and its own when not their newest (its line was not written).
pub(crate) fn consecutive_failures(timestamp: DateTime<Utc>, runs: &[Run]) -> u32 {
    let own = runs.last().is_none_or(|r| r.timestamp != timestamp);
    let fails = |r: &&Run| r.status == RunStatus::Fail;
    let failed = runs.iter().rev().take_while(fails);
    u32::try_from(failed.count() + usize::from(own)).unwrap_or(u32::MAX)
}

/// One place in the strip of recent runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mark {
    /// A run that reported success.
    Ok,
    /// A run that reported failure.
    Fail,
    /// A run that was due and never came.
    Missed,
}

impl Mark {
    /// `+`, `x` or `?`, or for a UTF-8 terminal (`unicode`) `✓`, `✗` or `·`.
    pub fn symbol(self, unicode: bool) -> char {
        let ascii_and_utf8 = match self {
            Mark::Ok => ['+', '✓'],
            Mark::Fail => ['x', '✗'],
            Mark::Missed => ['?', '·'],
        };
        ascii_and_utf8[usize::from(unicode)]
    }
}

/// The recent runs of one job, as the report shows them.
#[derive(Debug, Clone, PartialEq)]
pub struct Recent {
    /// The last [`STRIP_LEN`] runs, oldest first, runs due that never came included.
    pub marks: Vec<Mark>,
    /// The share of the marks that are successful runs, from 0 to 1; `None` without marks.
    pub success_rate: Option<f64>,
    /// The median duration in seconds of the strip's runs that recorded one.
    pub median_duration: Option<f64>,
}

impl Recent {
    /// The strip in ASCII (`++x?+`) or Unicode.
    pub fn strip(&self, unicode: bool) -> String {
        self.marks.iter().map(|m| m.symbol(unicode)).collect()
    }
}

/// The runs missed in a silence of `gap` seconds: due times passed by more than half an
/// `interval`, but the last, which the later run answers (a daily job that skipped one night
/// missed one run; one half a day late missed none).
fn missed_in(gap: i64, interval: u64) -> usize {
    let interval = interval.max(1) as f64;
    let open = gap.max(0) as f64 / interval - 0.5;
    // Bounded: the strip never shows more than STRIP_LEN marks.
    (open.ceil() - 1.0).clamp(0.0, STRIP_LEN as f64) as usize
}

/// The strip as of `now`, with the runs that never came if the interval is known.
pub(crate) fn recent(runs: &[Run], interval: Option<u64>, now: DateTime<Utc>) -> Recent {
    let mut marks = Vec::with_capacity(STRIP_LEN);
    let mut durations = Vec::new();
    let mut later = now;
    // A run in progress is no finished run (its line was never due).
    for run in runs.iter().rev().filter(|r| r.status != RunStatus::Running) {
        if let Some(interval) = interval {
            let missed = missed_in((later - run.timestamp).num_seconds(), interval);
            marks.extend(std::iter::repeat_n(Mark::Missed, missed));
        }
        if marks.len() >= STRIP_LEN {
            break;
        }
        marks.push(match run.status {
            RunStatus::Ok | RunStatus::Running => Mark::Ok,
            RunStatus::Fail => Mark::Fail,
        });
        durations.extend(run.duration_seconds);
        later = run.timestamp;
    }
    marks.truncate(STRIP_LEN);
    marks.reverse();
    let ok = marks.iter().filter(|m| **m == Mark::Ok).count();
    let success_rate = (!marks.is_empty()).then(|| ok as f64 / marks.len() as f64);
    Recent {
        marks,
        success_rate,
        median_duration: median(&mut durations),
    }
}

/// The median of `values` (the mean of the middle two for an even count).
pub(crate) fn median(values: &mut [f64]) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    let upper = *values.get(mid)?;
    Some(if values.len().is_multiple_of(2) {
        f64::midpoint(values[mid - 1], upper)
    } else {
        upper
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + seconds, 0).unwrap()
    }

    fn run(seconds: i64, status: RunStatus, duration: Option<f64>) -> Run {
        Run {
            timestamp: at(seconds),
            status,
            exit_code: None,
            duration_seconds: duration,
            attempts: Vec::new(),
        }
    }

    #[test]
    fn lines_round_trip_and_corrupt_ones_are_skipped() {
        let r = Run {
            exit_code: Some(3),
            ..run(0, RunStatus::Fail, Some(1.5))
        };
        let line = crate::record::json_line(&r);
        assert_eq!(
            String::from_utf8(line.clone()).unwrap(),
            "{\"timestamp\":\"2027-01-15T08:00:00Z\",\"status\":\"fail\",\"exit_code\":3,\"duration_seconds\":1.5}\n"
        );
        let mut file = line.clone();
        file.extend_from_slice(b"{\"timestamp\":\"2027-01-15T08:0\n");
        file.extend_from_slice(b"garbage\n\n");
        file.extend_from_slice(
            b"{\"timestamp\":\"2027-01-15T08:00:00Z\",\"status\":\"ok\",\"duration_seconds\":-4}\n",
        );
        file.extend_from_slice(&line[..line.len() - 1]);
        let runs = parse(&file);
        assert_eq!(runs.len(), 3);
        assert_eq!(runs[0], r);
        assert_eq!(
            runs[1].duration_seconds, None,
            "a negative duration is dropped"
        );
        assert_eq!(runs[2], r, "a last line without a newline still counts");
    }

    #[test]
    fn parse_keeps_the_newest_two_hundred() {
        let mut file = Vec::new();
        for i in 0..250 {
            file.extend(crate::record::json_line(&run(i, RunStatus::Ok, None)));
        }
        let runs = parse(&file);
        assert_eq!(runs.len(), HISTORY_MAX);
        assert_eq!(runs[0].timestamp, at(50));
        assert_eq!(runs[199].timestamp, at(249));
    }

    #[test]
    fn failures_are_counted_back_to_the_last_success() {
        use RunStatus::{Fail, Ok};
        let runs: Vec<Run> = [Fail, Ok, Fail, Fail]
            .iter()
            .enumerate()
            .map(|(i, s)| run(i as i64 * 60, *s, None))
            .collect();
        assert_eq!(consecutive_failures(at(180), &runs), 2);
        assert_eq!(consecutive_failures(at(60), &runs[..2]), 0);
        assert_eq!(consecutive_failures(at(0), &[]), 1);
        assert_eq!(
            consecutive_failures(at(240), &runs),
            3,
            "a heartbeat newer than the history adds its own failure"
        );
    }

    #[test]
    fn the_strip_shows_runs_and_missed_ones_oldest_first() {
        use RunStatus::{Fail, Ok};
        // Hourly job: ok, fail, (two missed: a 3 h gap), ok, ok.
        let runs = [
            run(0, Ok, Some(10.0)),
            run(3600, Fail, Some(30.0)),
            run(3 * 3600 + 3600, Ok, Some(20.0)),
            run(5 * 3600, Ok, None),
        ];
        let r = recent(&runs, Some(3600), at(5 * 3600 + 60));
        assert_eq!(r.strip(false), "+x??++");
        assert_eq!(r.strip(true), "✓✗··✓✓");
        assert_eq!(r.success_rate, Some(3.0 / 6.0));
        assert_eq!(r.median_duration, Some(20.0));
        // Without an interval nothing counts as missed.
        let r = recent(&runs, None, at(5 * 3600 + 60));
        assert_eq!(r.strip(false), "+x++");
        assert_eq!(r.success_rate, Some(0.75));
    }

    #[test]
    fn a_late_run_is_not_a_missed_one_but_silence_since_is() {
        use RunStatus::Ok;
        let runs = [run(0, Ok, None), run(5400, Ok, None)];
        // Half an hour late on an hourly job: late, not missed.
        assert_eq!(recent(&runs, Some(3600), at(5400)).strip(false), "++");
        // Two hours apart: the run between never came.
        let skipped = [run(0, Ok, None), run(7200, Ok, None)];
        assert_eq!(recent(&skipped, Some(3600), at(7200)).strip(false), "+?+");
        // Silent for 3.5 h since the newest run: the runs due 1 h and 2 h
        // after it never came; the one due 3 h after is only 30 min late.
        let r = recent(&runs, Some(3600), at(5400 + 12_600));
        assert_eq!(r.strip(false), "++??");
        assert_eq!(r.median_duration, None);
    }

    #[test]
    fn the_strip_is_bounded_and_keeps_the_newest() {
        let mut runs: Vec<Run> = (0..40)
            .map(|i| {
                let status = if i % 2 == 0 {
                    RunStatus::Ok
                } else {
                    RunStatus::Fail
                };
                run(i * 60, status, Some(i as f64))
            })
            .collect();
        let r = recent(&runs, Some(60), at(39 * 60));
        assert_eq!(r.marks.len(), STRIP_LEN);
        assert_eq!(r.strip(false), "+x+x+x+x+x+x+x");
        assert_eq!(r.success_rate, Some(0.5));
        // The median of 26..=39 is 32.5.
        assert_eq!(r.median_duration, Some(32.5));
        // A silence of years is at most a full strip of `?`.
        runs.truncate(1);
        let r = recent(&runs, Some(60), at(400 * 86_400));
        assert_eq!(r.strip(false), "?".repeat(STRIP_LEN));
        assert_eq!(r.success_rate, Some(0.0));
        assert_eq!(recent(&[], Some(60), at(0)).success_rate, None);
    }
}
