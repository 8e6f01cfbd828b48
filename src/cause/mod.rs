//! One cause, one alert: which judged jobs share a cause (cron is not
//! running, the host was down, a job they need is bad) and which gaps the
//! checker itself left. Pure: the rows come judged (the judge alone decides
//! a status), the facts come read (`store::host`, [`state`]); this only
//! groups them, so that a cause is told once with its jobs under it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::judge::Judgement;
use crate::store::host::CronDaemon;

mod down;
mod needs;
pub(crate) mod render;
pub(crate) mod run;
pub(crate) mod state;

pub(crate) use needs::note_needs;

/// What a run knows of the host and the checker besides the heartbeats;
/// `cron_down_since`, `cron_was_down` and `runs` (oldest first) come from
/// the checker's own record ([`state`]).
#[derive(Debug, Clone)]
pub(crate) struct Facts<'a> {
    pub now: DateTime<Utc>,
    pub zone: Tz,
    /// The stale factor: an interval job's grace is (factor - 1) x interval.
    pub factor: f64,
    /// The checking host: its boot and its cron explain its own jobs (and
    /// those of no known host).
    pub host: &'a str,
    pub cron: Cron,
    pub cron_down_since: Option<DateTime<Utc>>,
    /// The last stretch cron was seen down, up to the run that saw it back.
    pub cron_was_down: Option<(DateTime<Utc>, DateTime<Utc>)>,
    pub boot: Option<DateTime<Utc>>,
    pub runs: &'a [DateTime<Utc>],
    /// The jobs each job needs, by [`key`].
    pub needs: &'a HashMap<String, Vec<String>>,
}

/// What is known of the cron daemon (`Unknown`: not looked at, no crontab
/// of this host's is judged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cron {
    Unknown,
    Down,
    Running(CronDaemon),
}

/// The kinds of cause: no cron daemon runs, the host was off when runs fell
/// due, a job needed is bad, the checker itself did not run for a while.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Kind {
    CronDown,
    HostDown,
    Blocked,
    CheckerGap,
}

/// One cause, told in one line (`text`), and the rows it explains.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cause {
    pub kind: Kind,
    pub text: String,
    pub jobs: Vec<usize>,
    /// Cron down: since when; a downtime or checker gap: its window.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Blocked: the row of the bad job at the root of the chain.
    pub by: Option<usize>,
    /// A downtime: the runs that fell due in it.
    pub missed: u64,
}

/// The causes of a run and, for each row, the cause that explains it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Causes {
    /// Cron first, then the host, the checker, and each bad job needed.
    pub list: Vec<Cause>,
    /// For each row: the index in `list` of its cause, if any.
    pub of_job: Vec<Option<usize>>,
    /// For each blocked row: the row of the job it needs that is bad.
    pub blocked_by: Vec<Option<usize>>,
    /// Whether a cron daemon runs (when looked at), for the gauges.
    pub cron_runs: Option<bool>,
    pub boot: Option<DateTime<Utc>>,
}

impl Causes {
    /// Whether a cause alerts on its own, with no job under it yet: cron
    /// down is CRITICAL from the first run that sees it.
    pub(crate) fn critical(&self) -> bool {
        self.list.iter().any(|c| c.kind == Kind::CronDown)
    }
}

pub(crate) use crate::record::MAX_NEEDS;

/// The `--needs` name of a job given to hb-write: a job name.
pub(crate) fn parse_need(text: &str) -> Result<String, crate::Error> {
    crate::record::validate_job(text).map(|()| text.to_owned())
}

/// The key a job's needs are kept by: `host/job`, or `job` when no host is
/// known (as the change engine keys them).
pub(crate) fn key(host: Option<&str>, job: &str) -> String {
    host.map_or_else(|| job.to_owned(), |host| format!("{host}/{job}"))
}

/// `t` as a person reads it in `zone`: `02:13` on the day of `now`, else
/// with its date.
pub(crate) fn when(t: DateTime<Utc>, now: DateTime<Utc>, zone: Tz) -> String {
    let (t, now) = (t.with_timezone(&zone), now.with_timezone(&zone));
    let today = t.date_naive() == now.date_naive();
    let format = if today { "%H:%M" } else { "%Y-%m-%d %H:%M" };
    t.format(format).to_string()
}

/// Groups the judged `jobs` (rows as the judge gave them) by cause.
pub(crate) fn explain(jobs: &[Judgement], facts: &Facts) -> Causes {
    let looked = facts.cron != Cron::Unknown;
    let mut causes = Causes {
        list: Vec::new(),
        of_job: vec![None; jobs.len()],
        blocked_by: vec![None; jobs.len()],
        cron_runs: looked.then_some(matches!(facts.cron, Cron::Running(_))),
        boot: facts.boot,
    };
    down::cron_down(jobs, facts, &mut causes);
    down::host_down(jobs, facts, &mut causes);
    down::cron_was_down(jobs, facts, &mut causes);
    checker_gap(facts, &mut causes);
    needs::blocked(jobs, facts, &mut causes);
    causes
}

/// Adds a cause that explains the rows `jobs`; the caller fills in the
/// rest.
fn add(causes: &mut Causes, kind: Kind, text: String, jobs: Vec<usize>) -> &mut Cause {
    let at = causes.list.len();
    for &row in &jobs {
        causes.of_job[row] = Some(at);
    }
    causes.list.push(Cause {
        kind,
        text,
        jobs,
        from: None,
        to: None,
        by: None,
        missed: 0,
    });
    &mut causes.list[at]
}

/// The checker's own gap: its last run is longer ago than twice its usual
/// period (the median of its recorded runs' spacing, from three runs on).
fn checker_gap(facts: &Facts, causes: &mut Causes) {
    let [.., before, last] = facts.runs else {
        return;
    };
    let spaced = |w: &[DateTime<Utc>]| (w[1] - w[0]).num_seconds();
    let mut spacing: Vec<i64> = facts.runs.windows(2).map(spaced).collect();
    spacing.sort_unstable();
    let period = spacing[spacing.len() / 2];
    let gap = (facts.now - *last).num_seconds();
    // A boot since the last run is the gap's cause, told as the host's.
    let booted = facts.boot.is_some_and(|b| b > *last && b <= facts.now);
    if spacing.len() < 2 || before > last || period <= 0 || gap <= 2 * period || booted {
        return;
    }
    let (from, to) = (
        when(*last, facts.now, facts.zone),
        when(facts.now, facts.now, facts.zone),
    );
    let text = format!(
        "hb-check did not run from {from} to {to}: judgements in that window were not made"
    );
    let gap = add(causes, Kind::CheckerGap, text, Vec::new());
    (gap.from, gap.to) = (Some(*last), Some(facts.now));
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod week_tests;
