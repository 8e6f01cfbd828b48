//! One cause, one alert: which judged jobs share a cause (cron is not
//! running, the host was down, a job they need is bad) and which gaps the
//! checker itself left. Pure: the rows come judged (the judge alone decides
//! a status), the facts come read (`store::host`, [`state`]); this only
//! groups them, so that a cause is told once with its jobs under it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::judge::{Judgement, Status};
use crate::record::{Content, Entry};
use crate::schedule::Expectation;
use crate::store::host::CronDaemon;

pub(crate) mod render;
pub(crate) mod run;
pub(crate) mod state;

/// What a run knows of the host and the checker besides the heartbeats.
#[derive(Debug, Clone)]
pub(crate) struct Facts<'a> {
    /// The instant judged at.
    pub now: DateTime<Utc>,
    /// The zone times are told in.
    pub zone: Tz,
    /// The stale factor: an interval job's grace is (factor - 1) x interval.
    pub factor: f64,
    /// The checking host: jobs of this host (or of no known host) are the
    /// ones its boot and its cron explain.
    pub host: &'a str,
    /// The cron daemon, when jobs are judged from this host's crontabs.
    /// when none runs.
    pub cron: Cron,
    /// Since when cron has been seen down (the checker's own record).
    pub cron_down_since: Option<DateTime<Utc>>,
    /// The last stretch cron was seen down, up to the run that saw it
    /// back (the checker's own record).
    pub cron_was_down: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// When the host booted.
    pub boot: Option<DateTime<Utc>>,
    /// The checker's earlier runs, oldest first.
    pub runs: &'a [DateTime<Utc>],
    /// The jobs each job needs, by the job's key (`host/job`, or `job`).
    pub needs: &'a HashMap<String, Vec<String>>,
}

/// What is known of the cron daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cron {
    /// Not looked at: no crontab of this host's is judged.
    Unknown,
    /// None runs.
    Down,
    /// This one runs.
    Running(CronDaemon),
}

impl Cron {
    /// Whether a daemon runs, when it was looked at.
    pub(crate) fn runs(&self) -> Option<bool> {
        match self {
            Cron::Unknown => None,
            Cron::Down => Some(false),
            Cron::Running(_) => Some(true),
        }
    }
}

/// The kinds of cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Kind {
    /// No cron daemon runs, so no crontab job does.
    CronDown,
    /// The host was off when runs fell due.
    HostDown,
    /// A job needed is bad.
    Blocked,
    /// The checker itself did not run for a while.
    CheckerGap,
}

/// One cause and the jobs it explains.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cause {
    /// What it is.
    pub kind: Kind,
    /// The one line that tells it.
    pub text: String,
    /// The rows it explains (indices into the judged jobs).
    pub jobs: Vec<usize>,
    /// Cron down: since when; host down, checker gap: the window.
    pub from: Option<DateTime<Utc>>,
    /// Host down, checker gap: the end of the window.
    pub to: Option<DateTime<Utc>>,
    /// Blocked: the row of the bad job at the root of the chain.
    pub by: Option<usize>,
    /// Host down: the runs that fell due while it was off.
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
    /// Whether a cron daemon runs, when crontabs are judged.
    pub cron_runs: Option<bool>,
    /// When the host booted, when known.
    pub boot: Option<DateTime<Utc>>,
}

impl Causes {
    /// Whether a cause alerts on its own, with no job under it yet: cron
    /// down is CRITICAL from the first run that sees it.
    pub(crate) fn critical(&self) -> bool {
        self.list.iter().any(|c| c.kind == Kind::CronDown)
    }
}

/// The `--needs` name of a job given to hb-write: a job name by the record's
/// rule.
pub(crate) fn parse_need(text: &str) -> Result<String, String> {
    crate::record::validate_job(text)
        .map(|()| text.to_owned())
        .map_err(|e| e.to_string())
}

/// Keeps the jobs row `j` needs, from its record and its crontab line, by
/// the row's key.
pub(crate) fn note_needs(
    needs: &mut HashMap<String, Vec<String>>,
    j: &Judgement,
    entry: &Entry,
    line: Option<&Expectation>,
) {
    let mut all = match &entry.content {
        Ok(Content::Record(r)) => r.needs.clone(),
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

/// The key a job's needs are kept by: `host/job`, or `job` when no host is
/// known (as the change engine keys them).
pub(crate) fn key(host: Option<&str>, job: &str) -> String {
    match host {
        Some(host) => format!("{host}/{job}"),
        None => job.to_owned(),
    }
}

/// `t` as a person reads it in `zone`: `02:13` on the day of `now`, else
/// with its date.
pub(crate) fn when(t: DateTime<Utc>, now: DateTime<Utc>, zone: Tz) -> String {
    let (t, now) = (t.with_timezone(&zone), now.with_timezone(&zone));
    let format = if t.date_naive() == now.date_naive() {
        "%H:%M"
    } else {
        "%Y-%m-%d %H:%M"
    };
    t.format(format).to_string()
}

/// Whether a row is about this host: its own heartbeat, or a job with no
/// heartbeat (a crontab's or `--expect`'s, judged here).
fn local(j: &Judgement, host: &str) -> bool {
    j.host.as_deref().is_none_or(|h| h == host)
}

/// Whether the row's job was judged by a crontab line of this host.
fn from_crontab(j: &Judgement) -> bool {
    j.expected
        .as_ref()
        .is_some_and(|e| e.source.starts_with("crontab "))
}

/// Whether a status says the job did not run: what a stopped cron or a
/// host that was off can explain (a failed run did run).
fn silent(status: Status) -> bool {
    matches!(status, Status::Stale | Status::Missing)
}

/// The grace after a job's due time, in seconds: its schedule's, else
/// (factor - 1) x its interval.
fn grace(j: &Judgement, factor: f64) -> u64 {
    let by_interval = || {
        let interval = j.interval_seconds.unwrap_or(0) as f64;
        ((factor - 1.0).max(0.0) * interval) as u64
    };
    (j.expected.as_ref())
        .and_then(|e| e.grace_seconds)
        .unwrap_or_else(by_interval)
}

/// When the run the job missed fell due: its schedule's due time, else its
/// last heartbeat plus its interval.
fn missed_at(j: &Judgement) -> Option<DateTime<Utc>> {
    let by_interval = || {
        let interval = i64::try_from(j.interval_seconds?).ok()?;
        j.timestamp?
            .checked_add_signed(chrono::Duration::try_seconds(interval)?)
    };
    j.expected
        .as_ref()
        .and_then(|e| e.due_at)
        .or_else(by_interval)
}

/// Groups the judged `jobs` (rows as the judge gave them) by cause.
pub(crate) fn explain(jobs: &[Judgement], facts: &Facts) -> Causes {
    let mut causes = Causes {
        list: Vec::new(),
        of_job: vec![None; jobs.len()],
        blocked_by: vec![None; jobs.len()],
        ..Causes::default()
    };
    cron_down(jobs, facts, &mut causes);
    host_down(jobs, facts, &mut causes);
    cron_was_down(jobs, facts, &mut causes);
    checker_gap(facts, &mut causes);
    blocked(jobs, facts, &mut causes);
    causes
}

/// Adds `cause`, and marks its rows as explained.
fn add(causes: &mut Causes, cause: Cause) {
    let at = causes.list.len();
    for &row in &cause.jobs {
        causes.of_job[row] = Some(at);
    }
    causes.list.push(cause);
}

/// Cron not running: its own cause, with the silent crontab jobs under it.
fn cron_down(jobs: &[Judgement], facts: &Facts, causes: &mut Causes) {
    if facts.cron != Cron::Down {
        return;
    }
    let depend: Vec<usize> = (0..jobs.len())
        .filter(|&i| local(&jobs[i], facts.host) && from_crontab(&jobs[i]))
        .collect();
    let since = facts.cron_down_since.unwrap_or(facts.now);
    let count = depend.len();
    let text = format!(
        "cron is not running (since {}, {count} job{} depend{} on it)",
        when(since, facts.now, facts.zone),
        if count == 1 { "" } else { "s" },
        if count == 1 { "s" } else { "" },
    );
    let stopped = depend
        .into_iter()
        .filter(|&i| silent(jobs[i].status))
        .collect();
    add(
        causes,
        Cause {
            kind: Kind::CronDown,
            text,
            jobs: stopped,
            from: Some(since),
            to: None,
            by: None,
            missed: 0,
        },
    );
}

/// The silent rows (of this host, not yet explained, that `take`) whose
/// run fell due in the window `from` (when known) to `to`, while `now` is
/// not past `to` by more than their interval and grace; and the runs they
/// missed in it.
fn missed_in(
    jobs: &[Judgement],
    facts: &Facts,
    causes: &Causes,
    take: &dyn Fn(&Judgement) -> bool,
    (from, to): (Option<DateTime<Utc>>, DateTime<Utc>),
) -> (Vec<usize>, u64) {
    let mut explained = Vec::new();
    let mut missed = 0u64;
    let up_for = u64::try_from((facts.now - to).num_seconds()).unwrap_or(0);
    for (i, j) in jobs.iter().enumerate() {
        if causes.of_job[i].is_some() || !silent(j.status) || !local(j, facts.host) || !take(j) {
            continue;
        }
        let Some(due) = missed_at(j) else { continue };
        let interval = j.interval_seconds.unwrap_or(0);
        let in_window = from.is_none_or(|from| due >= from) && due <= to;
        if in_window && up_for <= interval.saturating_add(grace(j, facts.factor)) {
            let gone = u64::try_from((to - due).num_seconds()).unwrap_or(0);
            missed += 1 + gone.checked_div(interval).unwrap_or(0);
            explained.push(i);
        }
    }
    (explained, missed)
}

/// `names` of the rows, the first five and `...`.
fn some_names(jobs: &[Judgement], rows: &[usize]) -> String {
    let mut names: Vec<&str> = rows.iter().map(|&i| jobs[i].job.as_str()).collect();
    names.dedup();
    let more = if names.len() > 5 { ", ..." } else { "" };
    names.truncate(5);
    format!("{}{more}", names.join(", "))
}

/// A window as a line tells it: `01:10-06:02`, or `until 06:02`.
fn window(facts: &Facts, from: Option<DateTime<Utc>>, to: DateTime<Utc>) -> String {
    let to = when(to, facts.now, facts.zone);
    match from {
        Some(from) => format!("{}-{to}", when(from, facts.now, facts.zone)),
        None => format!("until {to}"),
    }
}

/// Cron was down and runs again: the crontab jobs whose run fell due while
/// it was down go under one line until they have had their chance since.
fn cron_was_down(jobs: &[Judgement], facts: &Facts, causes: &mut Causes) {
    // The run that first finds cron back closes the stretch itself.
    let stretch = match facts.cron_down_since {
        Some(from) => Some((from, facts.now)),
        None => facts.cron_was_down,
    };
    let (Cron::Running(daemon), Some((from, seen_up))) = (&facts.cron, stretch) else {
        return;
    };
    let to = daemon
        .since
        .filter(|&s| s >= from && s <= seen_up)
        .unwrap_or(seen_up);
    let (rows, missed) = missed_in(jobs, facts, causes, &from_crontab, (Some(from), to));
    if rows.is_empty() {
        return;
    }
    let text = format!(
        "cron was not running {}: {missed} run{} missed ({})",
        window(facts, Some(from), to),
        if missed == 1 { "" } else { "s" },
        some_names(jobs, &rows)
    );
    add(
        causes,
        Cause {
            kind: Kind::CronDown,
            text,
            jobs: rows,
            from: Some(from),
            to: Some(to),
            by: None,
            missed,
        },
    );
}

/// The host was down: the silent jobs whose run fell due between the last
/// sign of life before the boot and the boot, while the host has not been
/// up past their interval and grace since.
fn host_down(jobs: &[Judgement], facts: &Facts, causes: &mut Causes) {
    // A boot after the instant judged at (`--now` in the past) says
    // nothing of that instant.
    let Some(boot) = facts.boot.filter(|&b| b <= facts.now) else {
        return;
    };
    // The last sign of life before the boot: the checker's last run, or a
    // heartbeat of this host.
    let heartbeats = jobs
        .iter()
        .filter(|j| local(j, facts.host))
        .filter_map(|j| j.timestamp);
    let down_from = facts
        .runs
        .iter()
        .copied()
        .chain(heartbeats)
        .filter(|&t| t < boot)
        .max();
    let (rows, missed) = missed_in(jobs, facts, causes, &|_| true, (down_from, boot));
    if rows.is_empty() {
        return;
    }
    let text = format!(
        "host was down {}: {missed} run{} missed ({})",
        window(facts, down_from, boot),
        if missed == 1 { "" } else { "s" },
        some_names(jobs, &rows)
    );
    add(
        causes,
        Cause {
            kind: Kind::HostDown,
            text,
            jobs: rows,
            from: down_from,
            to: Some(boot),
            by: None,
            missed,
        },
    );
}

/// The checker's own gap: its last run is longer ago than twice its usual
/// period (the median of its recorded runs' spacing, from three runs on).
fn checker_gap(facts: &Facts, causes: &mut Causes) {
    let [.., before, last] = facts.runs else {
        return;
    };
    let mut spacing: Vec<i64> = facts
        .runs
        .windows(2)
        .map(|w| (w[1] - w[0]).num_seconds())
        .collect();
    if spacing.len() < 2 || *before > *last {
        return;
    }
    spacing.sort_unstable();
    let period = spacing[spacing.len() / 2];
    let gap = (facts.now - *last).num_seconds();
    // A boot since the last run is the gap's cause, told as the host's.
    let booted = facts.boot.is_some_and(|b| b > *last && b <= facts.now);
    if period <= 0 || gap <= 2 * period || booted {
        return;
    }
    add(
        causes,
        Cause {
            kind: Kind::CheckerGap,
            text: format!(
                "hb-check did not run from {} to {}: judgements in that window were not made",
                when(*last, facts.now, facts.zone),
                when(facts.now, facts.now, facts.zone)
            ),
            jobs: Vec::new(),
            from: Some(*last),
            to: Some(facts.now),
            by: None,
            missed: 0,
        },
    );
}

/// Jobs blocked by a bad job they need: each bad job that needs a bad job
/// (of its host) goes under the bad job at the root of its chain.
fn blocked(jobs: &[Judgement], facts: &Facts, causes: &mut Causes) {
    let rows: HashMap<String, usize> = (jobs.iter().enumerate())
        .map(|(i, j)| (key(j.host.as_deref(), &j.job), i))
        .collect();
    // The bad job a bad row needs, if any.
    let bad_parent = |i: usize| -> Option<usize> {
        let j = &jobs[i];
        if !j.status.is_alert() {
            return None;
        }
        let needs = facts.needs.get(&key(j.host.as_deref(), &j.job))?;
        needs
            .iter()
            .filter_map(|n| rows.get(&key(j.host.as_deref(), n)).copied())
            .find(|&p| p != i && jobs[p].status.is_alert())
    };
    let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
    for i in 0..jobs.len() {
        if causes.of_job[i].is_some() {
            continue;
        }
        let Some(parent) = bad_parent(i) else {
            continue;
        };
        // Up the chain to its root; a chain that goes round (a lint
        // error) blocks nothing.
        let mut root = parent;
        let mut seen = vec![i, parent];
        let mut round = false;
        while let Some(up) = bad_parent(root) {
            round = seen.contains(&up);
            if round {
                break;
            }
            seen.push(up);
            root = up;
        }
        if round {
            continue;
        }
        causes.blocked_by[i] = Some(parent);
        match groups.iter_mut().find(|(r, _)| *r == root) {
            Some((_, rows)) => rows.push(i),
            None => groups.push((root, vec![i])),
        }
    }
    for (root, rows) in groups {
        let name = key(jobs[root].host.as_deref(), &jobs[root].job);
        add(
            causes,
            Cause {
                kind: Kind::Blocked,
                text: format!(
                    "{name} {}: {} job(s) need it",
                    jobs[root].status,
                    rows.len()
                ),
                jobs: rows,
                from: None,
                to: None,
                by: Some(root),
                missed: 0,
            },
        );
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod week_tests;
