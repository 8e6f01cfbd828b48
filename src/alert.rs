//! What changed since the last delivered run, and whether a reminder is due: the one engine behind
//! `--changes-only`, `--notify` and the alert issue, with one definition of bad
//! ([`Status::is_alert`]). Pure: the caller reads the previous state, delivers, then commits the
//! state this returns.

use chrono::{DateTime, Utc};

use crate::judge::Status;
use crate::record::{rfc3339_any, rfc3339_seconds};

/// Jobs by key (`host/job` or `job`) and their status.
pub(crate) type Jobs = std::collections::BTreeMap<String, Status>;

pub(crate) const STATE_VERSION: u32 = 1;

/// What the last delivered run saw: `--changes-only`'s state file, as in version 1.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct State {
    pub version: u32,
    #[serde(serialize_with = "rfc3339_seconds", deserialize_with = "rfc3339_any")]
    pub printed_at: DateTime<Utc>,
    /// Every job (`host/job` when the host is known) and its status, sorted.
    pub jobs: Vec<(String, Status)>,
}

impl State {
    /// `None` for anything unusable.
    pub(crate) fn parse(bytes: &[u8]) -> Option<State> {
        let state: State = serde_json::from_slice(bytes).ok()?;
        (state.version == STATE_VERSION).then_some(state)
    }
}

/// How the alerting jobs of two runs differ.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Diff {
    pub went_bad: Vec<(String, Status)>,
    /// Jobs that alert in both, with another status: (job, was, now).
    pub changed: Vec<(String, Status, Status)>,
    /// Jobs that alerted before and do not now, with the status they had.
    pub left: Vec<(String, Status)>,
}

/// The alerting jobs among `jobs`; of two with one key, the first counts.
pub(crate) fn alerting<K: Into<String>>(jobs: impl IntoIterator<Item = (K, Status)>) -> Jobs {
    let mut bad = Jobs::new();
    for (key, status) in jobs.into_iter().filter(|(_, s)| s.is_alert()) {
        bad.entry(key.into()).or_insert(status);
    }
    bad
}

pub(crate) fn diff(before: &Jobs, now: &Jobs) -> Diff {
    let mut d = Diff::default();
    for (job, &status) in now {
        match before.get(job) {
            None => d.went_bad.push((job.clone(), status)),
            Some(&was) if was != status => d.changed.push((job.clone(), was, status)),
            Some(_) => {}
        }
    }
    let gone = before.iter().filter(|(job, _)| !now.contains_key(*job));
    d.left = gone.map(|(job, &was)| (job.clone(), was)).collect();
    d
}

/// The reminder period due `now` while `still_bad` alert: period `n` starts
/// at `anchor + n x every`, so none is due before a whole period nor with the
/// clock before `anchor`. `every` 0 reminds each run (numbered by seconds).
pub(crate) fn reminder_due(
    still_bad: &Jobs,
    anchor: DateTime<Utc>,
    now: DateTime<Utc>,
    every: u64,
) -> Option<u64> {
    let age = u64::try_from((now - anchor).num_seconds()).ok()?;
    let period = age.checked_div(every).unwrap_or(age.max(1));
    (period >= 1 && !still_bad.is_empty()).then_some(period)
}

/// What this run means for delivery.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Assessment {
    /// No usable previous state, some job's status changed, a reminder is
    /// due, or the clock went back.
    pub deliver: bool,
    pub diff: Diff,
    pub still_bad: Jobs,
    pub remind_due: bool,
    /// The state to commit once this run is delivered.
    pub next: State,
}

/// This run's `jobs` against the `previous` state, reminding every `remind` seconds.
pub(crate) fn assess(
    previous: Option<&State>,
    mut jobs: Vec<(String, Status)>,
    now: DateTime<Utc>,
    remind: u64,
) -> Assessment {
    jobs.sort();
    let still_bad = alerting(jobs.iter().map(|(k, s)| (k, *s)));
    let next = State {
        version: STATE_VERSION,
        printed_at: now,
        jobs,
    };
    let due = |p: &State| reminder_due(&still_bad, p.printed_at, now, remind).is_some();
    let remind_due = previous.is_some_and(due);
    let clock_back = |p: &State| (now - p.printed_at).num_seconds() < 0;
    let changed = |p: &State| p.jobs != next.jobs || clock_back(p) || remind_due;
    let before = |p: &State| alerting(p.jobs.iter().map(|(k, s)| (k, *s)));
    Assessment {
        deliver: previous.is_none_or(changed),
        diff: previous.map_or_else(Diff::default, |p| diff(&before(p), &still_bad)),
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
    fn a_reminder_is_due_per_whole_period_while_something_alerts() {
        let day = 86_400;
        let bad: Jobs = [("b".to_owned(), Status::Stale)].into();
        assert_eq!(reminder_due(&bad, at(0), at(0), day), None);
        assert_eq!(reminder_due(&bad, at(0), at(86_399), day), None);
        assert_eq!(reminder_due(&bad, at(0), at(86_400), day), Some(1));
        assert_eq!(reminder_due(&bad, at(0), at(3 * 86_400 - 1), day), Some(2));
        assert_eq!(reminder_due(&bad, at(100), at(0), day), None, "clock back");
        assert_eq!(reminder_due(&Jobs::new(), at(0), at(86_400), day), None);
        assert_eq!(reminder_due(&bad, at(0), at(0), 0), Some(1), "every run");
        assert_eq!(reminder_due(&bad, at(0), at(5), 0), Some(5));
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
        assert_eq!(
            State::parse(&crate::record::json_line(&remind.next)),
            Some(remind.next)
        );
    }
}
