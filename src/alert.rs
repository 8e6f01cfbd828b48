//! What changed since the last delivered run, and whether a reminder is
//! due: the one engine behind `hb-check --changes-only` and the alert
//! issue. Pure: the caller reads the previous state, delivers, and then
//! commits the state this returns.
//!
//! One definition of an alerting status, the judge's
//! ([`Status::is_alert`]): a job is bad when it alerts, it went bad when it
//! alerts now and did not before, and it recovered (or is paused) when it
//! alerted before and does not now.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::judge::Status;
use crate::record::{rfc3339_any, rfc3339_seconds};

/// Jobs by key (`host/job` or `job`) and their status.
pub type Jobs = BTreeMap<String, Status>;

/// The state file's format version.
pub const STATE_VERSION: u32 = 1;

/// What the last delivered run saw. The on-disk form of `--changes-only`'s
/// state, unchanged since its first version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// [`STATE_VERSION`].
    pub version: u32,
    /// When the last run was delivered.
    #[serde(serialize_with = "rfc3339_seconds", deserialize_with = "rfc3339_any")]
    pub printed_at: DateTime<Utc>,
    /// Every job (`host/job` when the host is known) and its status, sorted.
    pub jobs: Vec<(String, Status)>,
}

impl State {
    /// Parses a state file; `None` for anything unusable.
    pub fn parse(bytes: &[u8]) -> Option<State> {
        let state: State = serde_json::from_slice(bytes).ok()?;
        (state.version == STATE_VERSION).then_some(state)
    }

    /// The state as one line of JSON.
    pub fn to_json_line(&self) -> Vec<u8> {
        crate::record::json_line(self)
    }
}

/// How the alerting jobs of two runs differ.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diff {
    /// Jobs that alert now and did not before, with their status.
    pub went_bad: Vec<(String, Status)>,
    /// Jobs that alert in both, with another status: (job, was, now).
    pub changed: Vec<(String, Status, Status)>,
    /// Jobs that alerted before and do not now, with the status they had.
    pub left: Vec<(String, Status)>,
}

/// The alerting jobs among `jobs`.
pub fn alerting<'a>(jobs: impl IntoIterator<Item = (&'a String, &'a Status)>) -> Jobs {
    jobs.into_iter()
        .filter(|(_, s)| s.is_alert())
        .map(|(k, s)| (k.clone(), *s))
        .collect()
}

/// How the alerting jobs `now` differ from those `before` (both as given
/// by [`alerting`]).
pub fn diff(before: &Jobs, now: &Jobs) -> Diff {
    let went_bad = now
        .iter()
        .filter(|(job, _)| !before.contains_key(*job))
        .map(|(j, s)| (j.clone(), *s))
        .collect();
    let changed = now
        .iter()
        .filter_map(|(job, s)| {
            let was = before.get(job)?;
            (was != s).then(|| (job.clone(), *was, *s))
        })
        .collect();
    let left = before
        .iter()
        .filter(|(job, _)| !now.contains_key(*job))
        .map(|(j, s)| (j.clone(), *s))
        .collect();
    Diff {
        went_bad,
        changed,
        left,
    }
}

/// What this run means for delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    /// Whether to deliver this run: there is no usable previous state, some
    /// job's status changed, a reminder is due, or the clock went back.
    pub deliver: bool,
    /// How the alerting jobs changed since the previous state.
    pub diff: Diff,
    /// The jobs that alert now.
    pub still_bad: Jobs,
    /// Whether a reminder is due: something alerts and `remind` seconds
    /// have passed since the last delivery.
    pub remind_due: bool,
    /// The state to commit once this run is delivered.
    pub next: State,
}

/// Weighs this run's `jobs` (key and status, as judged at `now`) against
/// the `previous` state, with a reminder every `remind` seconds.
pub fn assess(
    previous: Option<&State>,
    mut jobs: Vec<(String, Status)>,
    now: DateTime<Utc>,
    remind: u64,
) -> Assessment {
    jobs.sort();
    let still_bad = alerting(jobs.iter().map(|(k, s)| (k, s)));
    let next = State {
        version: STATE_VERSION,
        printed_at: now,
        jobs,
    };
    let Some(previous) = previous else {
        return Assessment {
            deliver: true,
            diff: Diff::default(),
            remind_due: false,
            still_bad,
            next,
        };
    };
    let since = (now - previous.printed_at).num_seconds();
    let remind = i64::try_from(remind).unwrap_or(i64::MAX);
    let remind_due = !still_bad.is_empty() && since >= remind;
    let before = alerting(previous.jobs.iter().map(|(k, s)| (k, s)));
    Assessment {
        deliver: previous.jobs != next.jobs || since < 0 || remind_due,
        diff: diff(&before, &still_bad),
        still_bad,
        remind_due,
        next,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + seconds, 0).unwrap()
    }

    fn jobs(pairs: &[(&str, Status)]) -> Vec<(String, Status)> {
        pairs.iter().map(|(k, s)| ((*k).to_owned(), *s)).collect()
    }

    #[test]
    fn one_run_against_the_last_gives_changes_reminder_and_next_state() {
        let first = assess(None, jobs(&[("b", Status::Stale)]), at(0), 3600);
        assert!(first.deliver && !first.remind_due);
        let last = first.next;
        let same = assess(Some(&last), jobs(&[("b", Status::Stale)]), at(60), 3600);
        assert!(!same.deliver, "{same:?}");
        let due = assess(Some(&last), jobs(&[("b", Status::Stale)]), at(3600), 3600);
        assert!(due.deliver && due.remind_due);
        let now = jobs(&[("a", Status::Missing), ("b", Status::Failed)]);
        let d = assess(Some(&last), now, at(60), 3600).diff;
        assert_eq!(d.went_bad, [("a".to_owned(), Status::Missing)]);
        assert_eq!(d.changed, [("b".to_owned(), Status::Stale, Status::Failed)]);
        let fixed = assess(Some(&last), jobs(&[("b", Status::Ok)]), at(60), 3600);
        assert_eq!(fixed.diff.left, [("b".to_owned(), Status::Stale)]);
        assert!(fixed.still_bad.is_empty());
        assert!(
            assess(Some(&last), jobs(&[("b", Status::Stale)]), at(-1), 3600).deliver,
            "clock back"
        );
    }

    #[test]
    fn warnings_change_the_output_but_neither_alert_nor_remind() {
        let last = assess(None, jobs(&[("b", Status::Late)]), at(0), 60).next;
        let later = assess(Some(&last), jobs(&[("b", Status::Late)]), at(600), 60);
        assert!(!later.deliver && !later.remind_due);
        let failing = assess(Some(&last), jobs(&[("b", Status::Failing)]), at(1), 60);
        assert!(failing.deliver, "a new status is news");
        assert_eq!(failing.diff, Diff::default(), "but no alert");
    }

    #[test]
    fn a_state_file_of_the_earlier_version_reads_the_same() {
        // Written by hb-check before this module existed.
        let old = br#"{"version":1,"printed_at":"2027-01-15T08:00:00Z","jobs":[["web1/backup","stale"],["web1/rotate","ok"]]}"#;
        let last = State::parse(old).unwrap();
        let now = jobs(&[("web1/backup", Status::Stale), ("web1/rotate", Status::Ok)]);
        let quiet = assess(Some(&last), now.clone(), at(60), 86_400);
        assert!(!quiet.deliver, "no spurious mail");
        let remind = assess(Some(&last), now, at(86_400), 86_400);
        assert!(remind.deliver && remind.remind_due, "no lost alert");
        assert_eq!(State::parse(&remind.next.to_json_line()), Some(remind.next));
    }
}
