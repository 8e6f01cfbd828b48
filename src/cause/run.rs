//! What a run does about causes once its jobs are judged: gather the facts
//! (cron, boot time, its own last runs), group the rows, keep its record.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Utc};

use super::state::Runs;
use super::{explain, Causes, Cron, Facts, Kind};

use crate::judge::{Judgement, Policy, Status};
use crate::store;

/// The key that stands for cron itself among the (job, status) pairs the
/// change engine weighs: a job name holds no space, so no job has it.
pub(crate) const CRON_KEY: &str = "cron daemon";

/// What a check run knows that the causes are drawn from (a judged run's
/// fields, see `survey::Judged`).
pub(crate) struct Run<'a> {
    pub booted: Option<DateTime<Utc>>,
    pub jobs: &'a [Judgement],
    pub policy: &'a Policy,
    pub needs: &'a HashMap<String, Vec<String>>,
    /// Whether the jobs come from this host's own crontabs.
    pub live_crontabs: bool,
    pub host: &'a str,
    /// Judged as of a given instant (`--now`): not one of the checker's
    /// runs, so its record is neither read nor kept.
    pub forensic: bool,
}

/// Groups the rows of `run` by cause, as of its policy's instant, and
/// records this run (and whether cron ran) beside the lock `lock_path`. A
/// record that cannot be read counts as none; one that cannot be written
/// is the error beside the grouping.
pub(crate) fn assess(run: &Run, lock_path: &Path) -> (Causes, Result<(), crate::Error>) {
    if run.forensic {
        return (alone(run), Ok(()));
    }
    let path = store::beside(lock_path, ".runs");
    let before = store::read_small(&path)
        .and_then(|b| Runs::parse(&b))
        .unwrap_or_default();
    let causes = with_record(run, &before);
    let next = before.after(run.policy.now, causes.cron_runs);
    let kept = store::write_file(&path, &crate::record::json_line(&next));
    (causes, kept)
}

/// Groups the rows of `run` by cause with no record of the checker's runs:
/// night-watch's report, which is no check.
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

/// The (job, status) pair the causes add to a run's for the change engine:
/// cron itself, `stale` while it does not run and `ok` while it does, so
/// that `--changes-only` tells cron stopping and coming back.
pub(crate) fn pairs(causes: &Causes) -> Option<(String, Status)> {
    let status = |runs| if runs { Status::Ok } else { Status::Stale };
    causes
        .cron_runs
        .map(|runs| (CRON_KEY.to_owned(), status(runs)))
}

/// Whether the run has news that no job's status carries: a gap of the
/// checker's, told once.
pub(crate) fn news(causes: &Causes) -> bool {
    causes.list.iter().any(|c| c.kind == Kind::CheckerGap)
}
