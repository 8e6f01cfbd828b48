//! One cause, one alert: which judged jobs share a cause (cron not running,
//! the host down, a bad job they need) and which gaps the checker left. Pure:
//! rows come judged, facts come read (`store::host`, [`run`]); this only
//! groups them, so that a cause is told once with its jobs under it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::judge::Judgement;

mod down;
pub(crate) mod render;
pub(crate) mod run;

/// What a run knows besides heartbeats; cron's stretches and `runs` (oldest first) from [`run`].
#[derive(Debug, Clone)]
pub(crate) struct Facts<'a> {
    pub now: DateTime<Utc>,
    pub zone: Tz,
    pub factor: f64,
    /// The checking host: its boot and cron explain its own and hostless jobs.
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

/// The cron daemon (`Unknown`: not looked at, no crontab of this host's judged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cron {
    Unknown,
    Down,
    Running(crate::store::host::CronDaemon),
}

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
    /// For each row: its cause's index in `list`.
    pub of_job: Vec<Option<usize>>,
    /// For each blocked row: the row of the job it needs that is bad.
    pub blocked_by: Vec<Option<usize>>,
    /// Whether a cron daemon runs (when looked at), for the gauges.
    pub cron_runs: Option<bool>,
    pub boot: Option<DateTime<Utc>>,
}

impl Causes {
    /// Whether a cause of `kind` is found: cron down alerts with no job under it (CRITICAL from
    /// the first run); a checker's gap is news no job's status carries.
    pub(crate) fn has(&self, kind: Kind) -> bool {
        self.list.iter().any(|c| c.kind == kind)
    }
}

/// The `--needs` name of a job given to hb-write: a job name.
pub(crate) fn parse_need(text: &str) -> Result<String, crate::Error> {
    crate::record::validate_job(text).map(|()| text.to_owned())
}

/// The key a job's needs are kept by, as the change engine keys them.
pub(crate) fn key(host: Option<&str>, job: &str) -> String {
    crate::report::content::job_name(host, job, true)
}

/// `t` in `zone`: `02:13` on the day of `now`, else with its date.
pub(crate) fn when(t: DateTime<Utc>, now: DateTime<Utc>, zone: Tz) -> String {
    let (t, now) = (t.with_timezone(&zone), now.with_timezone(&zone));
    let today = t.date_naive() == now.date_naive();
    let format = if today { "%H:%M" } else { "%Y-%m-%d %H:%M" };
    t.format(format).to_string()
}

/// Groups the judged `jobs` (rows as the judge gave them) by cause.
pub(crate) fn explain(jobs: &[Judgement], facts: &Facts) -> Causes {
    let mut causes = Causes {
        list: Vec::new(),
        of_job: vec![None; jobs.len()],
        blocked_by: vec![None; jobs.len()],
        cron_runs: (facts.cron != Cron::Unknown).then_some(matches!(facts.cron, Cron::Running(_))),
        boot: facts.boot,
    };
    down::cron_down(jobs, facts, &mut causes);
    down::host_down(jobs, facts, &mut causes);
    down::cron_was_down(jobs, facts, &mut causes);
    checker_gap(facts, &mut causes);
    blocked(jobs, facts, &mut causes);
    causes
}

/// Adds a cause over the rows `jobs`; the caller sets its other fields.
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

/// The checker's own gap: its last run over twice its usual period ago (median spacing, 3+ runs).
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
    let from = when(*last, facts.now, facts.zone);
    let to = when(facts.now, facts.now, facts.zone);
    let text = format!(
        "hb-check did not run from {from} to {to}: judgements in that window were not made"
    );
    let gap = add(causes, Kind::CheckerGap, text, Vec::new());
    (gap.from, gap.to) = (Some(*last), Some(facts.now));
}

/// Keeps the jobs row `j` needs (its record's and its crontab line's).
pub(crate) fn note_needs(
    needs: &mut HashMap<String, Vec<String>>,
    j: &Judgement,
    entry: &crate::record::Entry,
    line: Option<&crate::schedule::Expectation>,
) {
    let mut all = match &entry.content {
        Ok(crate::record::Content::Record(r)) => r.needs.clone(),
        _ => Vec::new(),
    };
    for n in line.map_or(&[][..], |l| &l.needs[..]) {
        if !all.contains(n) {
            all.push(n.clone());
        }
    }
    if !all.is_empty() {
        needs.insert(key(j.host.as_deref(), &j.job), all);
    }
}

/// Each bad job that needs a bad job of its host goes under its chain's root.
fn blocked(jobs: &[Judgement], facts: &Facts, causes: &mut Causes) {
    if facts.needs.is_empty() {
        return;
    }
    // Only a bad row can block: a map of every row costs a key per heartbeat.
    let rows: HashMap<String, usize> = (jobs.iter().enumerate())
        .filter(|(_, j)| j.status.is_alert())
        .map(|(i, j)| (key(j.host.as_deref(), &j.job), i))
        .collect();
    let bad_parent = |i: usize| -> Option<usize> {
        let j = Some(&jobs[i]).filter(|j| j.status.is_alert())?;
        let needs = facts.needs.get(&key(j.host.as_deref(), &j.job))?;
        (needs.iter())
            .filter_map(|n| rows.get(&key(j.host.as_deref(), n)).copied())
            .find(|&p| p != i && jobs[p].status.is_alert())
    };
    // Each parent and chain root found once per row however long the chains:
    // a chain that goes round (a lint error), or leads into one, blocks nothing.
    let parents: Vec<Option<usize>> = (0..jobs.len()).map(bad_parent).collect();
    let mut roots: Vec<Root> = vec![Root::Unknown; jobs.len()];
    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..jobs.len() {
        let parent = parents[i].filter(|_| causes.of_job[i].is_none());
        let Some(root) = parent.and_then(|_| root_of(i, &parents, &mut roots)) else {
            continue;
        };
        causes.blocked_by[i] = parent;
        groups.entry(root).or_default().push(i);
    }
    // In the order of each group's first row.
    let mut groups: Vec<_> = groups.into_iter().collect();
    groups.sort_unstable_by_key(|(_, rows)| rows[0]);
    for (root, rows) in groups {
        let name = key(jobs[root].host.as_deref(), &jobs[root].job);
        let (status, count) = (jobs[root].status, rows.len());
        let text = format!("{name} {status}: {count} job(s) need it");
        add(causes, Kind::Blocked, text, rows).by = Some(root);
    }
}

/// Where a row's chain of bad parents ends, as far as known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Root {
    Unknown,
    /// On the chain being walked now: meeting it again closes a circle.
    Walking,
    /// The chain ends at this row; `None`: it goes round.
    Known(Option<usize>),
}

/// The row atop `i`'s chain; each row is walked once, all on the way learn it.
fn root_of(i: usize, parents: &[Option<usize>], roots: &mut [Root]) -> Option<usize> {
    let (mut path, mut at) = (Vec::new(), i);
    let root = loop {
        match roots[at] {
            Root::Known(root) => break root,
            Root::Walking => break None,
            Root::Unknown => {
                roots[at] = Root::Walking;
                path.push(at);
                match parents[at] {
                    Some(up) => at = up,
                    None => break Some(at),
                }
            }
        }
    };
    for row in path {
        roots[row] = Root::Known(root);
    }
    root
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod week_tests;
