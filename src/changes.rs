//! `hb-check --changes-only`: print the verdict only when the set of (job,
//! status) pairs differs from the last printed one, and again every remind
//! period while something is bad. The state is one small JSON file beside
//! the run lock, written atomically; a lost or corrupt state means "print".

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::judge::{Judgement, Status};
use crate::record::{rfc3339_any, rfc3339_seconds};

/// The state file's format version.
pub const STATE_VERSION: u32 = 1;

/// The state file beside the run lock: the lock's path with `.state`
/// appended.
pub fn state_path(lock: &Path) -> PathBuf {
    let mut name = lock.as_os_str().to_owned();
    name.push(".state");
    PathBuf::from(name)
}

/// What the last printed run saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// [`STATE_VERSION`].
    pub version: u32,
    /// When the verdict was last printed.
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

/// The (job, status) pairs of a run, sorted.
pub fn pairs(jobs: &[Judgement]) -> Vec<(String, Status)> {
    let mut all: Vec<(String, Status)> = jobs
        .iter()
        .map(|j| {
            let key = match &j.host {
                Some(host) => format!("{host}/{}", j.job),
                None => j.job.clone(),
            };
            (key, j.status)
        })
        .collect();
    all.sort();
    all
}

/// Whether a status keeps hb-check's text output quiet.
fn quiet(status: Status) -> bool {
    status.is_healthy() || status == Status::Paused
}

/// What this run prints.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// Whether to print the verdict.
    pub print: bool,
    /// Jobs that were bad at the last printed run and are not now: the job
    /// key, what it was, and what it is (`None`: no longer reported).
    pub recovered: Vec<(String, Status, Option<Status>)>,
}

/// Decides whether this run prints: when there is no usable last state,
/// when the pairs differ from it, when something is bad and `remind`
/// seconds have passed since the last print, or when the clock went back.
pub fn decide(
    last: Option<&State>,
    now_pairs: &[(String, Status)],
    now: DateTime<Utc>,
    remind: u64,
) -> Decision {
    let Some(last) = last else {
        return Decision {
            print: true,
            recovered: Vec::new(),
        };
    };
    let bad = now_pairs.iter().any(|(_, s)| !quiet(*s));
    let since = (now - last.printed_at).num_seconds();
    let remind = i64::try_from(remind).unwrap_or(i64::MAX);
    let print = last.jobs != now_pairs || since < 0 || (bad && since >= remind);
    let recovered = if print {
        last.jobs
            .iter()
            .filter(|(_, was)| !quiet(*was))
            .filter_map(|(key, was)| {
                let now = now_pairs.iter().find(|(k, _)| k == key).map(|(_, s)| *s);
                match now {
                    Some(s) if !quiet(s) => None,
                    other => Some((key.clone(), *was, other)),
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    Decision { print, recovered }
}

/// The lines that say which jobs recovered since the last printed run:
/// `backup ok: recovered (was stale)`.
pub fn recovered_lines(decision: &Decision) -> String {
    let mut out = String::new();
    for (key, was, now) in &decision.recovered {
        let key = crate::escape::terminal(key);
        match now {
            Some(Status::Paused) => out.push_str(&format!("{key} paused (was {was})\n")),
            Some(now) => out.push_str(&format!("{key} {now}: recovered (was {was})\n")),
            None => out.push_str(&format!("{key} gone: no longer reported (was {was})\n")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + seconds, 0).unwrap()
    }

    fn state(printed: i64, jobs: &[(&str, Status)]) -> State {
        State {
            version: STATE_VERSION,
            printed_at: at(printed),
            jobs: jobs.iter().map(|(k, s)| ((*k).to_owned(), *s)).collect(),
        }
    }

    #[test]
    fn unchanged_runs_stay_quiet_until_the_reminder() {
        let bad = [("backup".to_owned(), Status::Stale)];
        let last = state(0, &[("backup", Status::Stale)]);
        assert!(decide(None, &bad, at(0), 86_400).print, "no state prints");
        assert!(!decide(Some(&last), &bad, at(900), 86_400).print);
        assert!(
            decide(Some(&last), &bad, at(86_400), 86_400).print,
            "remind"
        );
        assert!(
            decide(Some(&last), &bad, at(-60), 86_400).print,
            "clock back"
        );
        let fine = [("backup".to_owned(), Status::Ok)];
        let last_ok = state(0, &[("backup", Status::Ok)]);
        assert!(
            !decide(Some(&last_ok), &fine, at(900_000), 86_400).print,
            "nothing bad, no reminder"
        );
    }

    #[test]
    fn a_change_prints_and_names_the_recovered() {
        let last = state(
            0,
            &[
                ("a", Status::Stale),
                ("b", Status::Failed),
                ("c", Status::Late),
            ],
        );
        let now = [("a".to_owned(), Status::Ok), ("c".to_owned(), Status::Late)];
        let d = decide(Some(&last), &now, at(60), 86_400);
        assert!(d.print);
        assert_eq!(
            recovered_lines(&d),
            "a ok: recovered (was stale)\nb gone: no longer reported (was failed)\n"
        );
    }

    #[test]
    fn state_round_trips_and_garbage_is_none() {
        let s = state(0, &[("web1/a", Status::Paused)]);
        assert_eq!(State::parse(&s.to_json_line()), Some(s));
        assert_eq!(State::parse(b"{"), None);
        assert_eq!(
            State::parse(b"{\"version\":2,\"printed_at\":\"2027-01-15T08:00:00Z\",\"jobs\":[]}"),
            None
        );
        assert_eq!(
            state_path(Path::new("/run/hb/hb-check.web1.lock")),
            Path::new("/run/hb/hb-check.web1.lock.state")
        );
    }
}
