//! A run's causes once its jobs are judged: the facts (cron, boot, its own last runs), the rows
//! grouped, and its record kept in `<lock>.runs` (JSON, replaced under the lock): the checker's
//! period, its last sign of life before a boot and since when cron is down.

use chrono::{DateTime, Utc};

use super::{explain, Causes, Cron, Facts};
use crate::judge::{Judgement, Policy, Status};
use crate::record::{rfc3339_any, rfc3339_seconds};
use crate::store;

/// Cron's key among the change engine's (job, status) pairs: no job name holds a space.
pub(crate) const CRON_KEY: &str = "cron daemon";

/// The fields of a judged run (`survey::Judged`) the causes are drawn from.
pub(crate) struct Run<'a> {
    pub booted: Option<DateTime<Utc>>,
    pub jobs: &'a [Judgement],
    pub policy: &'a Policy,
    pub needs: &'a std::collections::HashMap<String, Vec<String>>,
    /// Whether the jobs come from this host's own crontabs.
    pub live_crontabs: bool,
    pub host: &'a str,
    /// Judged at `--now`: not one of the checker's runs, its record neither read nor kept.
    pub forensic: bool,
}

/// Groups `run`'s rows by cause and records the run beside `lock`: an
/// unreadable record counts as none, an unwritable one is the error returned.
pub(crate) fn assess(run: &Run, lock: &std::path::Path) -> (Causes, Result<(), crate::Error>) {
    if run.forensic {
        return (alone(run), Ok(()));
    }
    let path = store::beside(lock, ".runs");
    let before = (store::read_small(&path).and_then(|b| Runs::parse(&b))).unwrap_or_default();
    let causes = with_record(run, &before);
    let next = before.after(run.policy.now, causes.cron_runs);
    let kept = store::write_file(&path, &crate::record::json_line(&next));
    (causes, kept)
}

/// The causes without the checker's record: night-watch's report, which is no check.
pub(crate) fn alone(run: &Run) -> Causes {
    with_record(run, &Runs::default())
}

fn with_record(run: &Run, before: &Runs) -> Causes {
    let look = run.live_crontabs && store::host::processes_visible();
    let cron = match look.then(store::host::cron_daemon) {
        None => Cron::Unknown,
        Some(None) => Cron::Down,
        Some(Some(daemon)) => Cron::Running(daemon),
    };
    let runs: Vec<_> = before.runs.iter().map(|s| s.0).collect();
    let facts = Facts {
        now: run.policy.now,
        zone: run.policy.rules.zone,
        factor: run.policy.factor,
        host: run.host,
        cron,
        cron_down_since: before.cron_down_since.map(|s| s.0),
        cron_was_down: before.cron_was_down.map(|(from, to)| (from.0, to.0)),
        boot: run.booted,
        runs: &runs,
        needs: run.needs,
    };
    explain(run.jobs, &facts)
}

/// Cron's (job, status) pair: `stale` while it does not run, `ok` while it does (news both ways).
pub(crate) fn pairs(causes: &Causes) -> Option<(String, Status)> {
    let status = |runs| if runs { Status::Ok } else { Status::Stale };
    Some((CRON_KEY.to_owned(), status(causes.cron_runs?)))
}

const VERSION: u32 = 1;

/// How many runs are kept: enough for a median period.
pub(crate) const RUNS_KEPT: usize = 8;

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Runs {
    pub version: u32,
    /// The instants of its last runs, oldest first.
    pub runs: Vec<Stamp>,
    /// The last run that found a cron daemon running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron_up_at: Option<Stamp>,
    /// While no cron daemon runs: the last run that found one, else the first that found none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron_down_since: Option<Stamp>,
    /// The last stretch cron was seen down: first run that found none, run that saw it back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron_was_down: Option<(Stamp, Stamp)>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub(crate) struct Stamp(
    #[serde(serialize_with = "rfc3339_seconds", deserialize_with = "rfc3339_any")] pub DateTime<Utc>,
);

impl Runs {
    /// `None` for anything unusable: the run starts anew, as a first would.
    pub(crate) fn parse(bytes: &[u8]) -> Option<Runs> {
        let runs: Runs = serde_json::from_slice(bytes).ok()?;
        (runs.version == VERSION).then_some(runs)
    }

    /// The record after a run at `now` that found cron running or not (`None`: not looked
    /// at); a run at or before the last (a clock set back, `--now` past) changes nothing.
    pub(crate) fn after(&self, now: DateTime<Utc>, cron_runs: Option<bool>) -> Runs {
        if self.runs.last().is_some_and(|last| last.0 >= now) {
            return self.clone();
        }
        let kept = &self.runs[self.runs.len().saturating_sub(RUNS_KEPT - 1)..];
        let runs = kept.iter().copied().chain([Stamp(now)]).collect();
        let cron_down_since = (cron_runs == Some(false))
            .then(|| (self.cron_down_since.or(self.cron_up_at)).unwrap_or(Stamp(now)));
        let up = cron_runs == Some(true);
        let cron_up_at = up.then_some(Stamp(now)).or(self.cron_up_at);
        let cron_was_down = (self.cron_down_since.filter(|_| up))
            .map(|from| (from, Stamp(now)))
            .or(self.cron_was_down);
        Runs {
            version: VERSION,
            runs,
            cron_up_at,
            cron_down_since,
            cron_was_down,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(minutes: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + minutes * 60, 0).unwrap()
    }

    #[test]
    fn runs_are_kept_in_order_and_bounded_and_cron_down_keeps_its_start() {
        let mut runs = Runs::default();
        for m in 0..20 {
            runs = runs.after(at(m * 15), Some(m < 10));
        }
        assert_eq!(runs.runs.len(), RUNS_KEPT);
        assert_eq!(runs.runs.last(), Some(&Stamp(at(19 * 15))));
        assert_eq!(
            runs.cron_down_since,
            Some(Stamp(at(9 * 15))),
            "last seen up"
        );
        assert_eq!(
            runs.after(at(0), Some(true)),
            runs,
            "a run in the past is none"
        );
        let back = runs.after(at(20 * 15), Some(true));
        assert_eq!(back.cron_down_since, None);
        let down = Some((Stamp(at(9 * 15)), Stamp(at(20 * 15))));
        assert_eq!(back.cron_was_down, down);
        assert_eq!(back.after(at(21 * 15), Some(true)).cron_was_down, down);
        let line = crate::record::json_line(&runs);
        assert_eq!(Runs::parse(&line), Some(runs));
        assert_eq!(Runs::parse(b"{\"version\":9,\"runs\":[]}"), None);
    }
}
