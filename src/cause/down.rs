//! Downtime as a cause (cron down now or before, the host off): this host's silent jobs due in it.

use chrono::{DateTime, Utc};

use super::{add, when, Causes, Cron, Facts, Kind};
use crate::judge::{Judgement, Status};

/// Whether a row is this host's, or hostless (a crontab's or `--expect`'s).
fn local(j: &Judgement, host: &str) -> bool {
    j.host.as_deref().is_none_or(|h| h == host)
}

/// What cron's downtime can explain: a crontab line's row.
fn from_crontab(j: &Judgement) -> bool {
    (j.expected.as_ref()).is_some_and(|e| e.source.starts_with("crontab "))
}

/// What a downtime can explain: the job did not run (a failed run did).
fn silent(status: Status) -> bool {
    matches!(status, Status::Stale | Status::Missing)
}

/// Cron not running: its own cause, with the silent crontab jobs under it.
pub(super) fn cron_down(jobs: &[Judgement], facts: &Facts, causes: &mut Causes) {
    if facts.cron != Cron::Down {
        return;
    }
    let mut depend: Vec<usize> = (0..jobs.len())
        .filter(|&i| local(&jobs[i], facts.host) && from_crontab(&jobs[i]))
        .collect();
    let since = facts.cron_down_since.unwrap_or(facts.now);
    let (at, count) = (when(since, facts.now, facts.zone), depend.len());
    let (s, v) = if count == 1 { ("", "s") } else { ("s", "") };
    let text = format!("cron is not running (since {at}, {count} job{s} depend{v} on it)");
    depend.retain(|&i| silent(jobs[i].status));
    add(causes, Kind::CronDown, text, depend).from = Some(since);
}

/// A downtime of cron or the host from `from` (when known) to `to`: the cause of this host's
/// unexplained silent rows (a crontab's, for cron) due in it, until their interval and grace.
fn downtime(
    jobs: &[Judgement],
    facts: &Facts,
    causes: &mut Causes,
    kind: Kind,
    (from, to): (Option<DateTime<Utc>>, DateTime<Utc>),
) {
    let (what, take): (&str, fn(&Judgement) -> bool) = match kind {
        Kind::HostDown => ("host was down", |_| true),
        _ => ("cron was not running", from_crontab),
    };
    let mut explained = Vec::new();
    let mut missed = 0u64;
    let up_for = u64::try_from((facts.now - to).num_seconds()).unwrap_or(0);
    for (i, j) in jobs.iter().enumerate() {
        if causes.of_job[i].is_some() || !silent(j.status) || !local(j, facts.host) || !take(j) {
            continue;
        }
        // Due by schedule, else last heartbeat + interval; grace by schedule, else by the factor.
        let (expected, interval) = (j.expected.as_ref(), j.interval_seconds.unwrap_or(0));
        let by_interval = || Some(crate::judge::timer::plus(j.timestamp?, j.interval_seconds?));
        let Some(due) = expected.and_then(|e| e.due_at).or_else(by_interval) else {
            continue;
        };
        let by_factor = || ((facts.factor - 1.0).max(0.0) * interval as f64) as u64;
        let grace = (expected.and_then(|e| e.grace_seconds)).unwrap_or_else(by_factor);
        let in_window = from.is_none_or(|from| due >= from) && due <= to;
        if in_window && up_for <= interval.saturating_add(grace) {
            let gone = u64::try_from((to - due).num_seconds()).unwrap_or(0);
            missed += 1 + gone.checked_div(interval).unwrap_or(0);
            explained.push(i);
        }
    }
    if explained.is_empty() {
        return;
    }
    let mut names: Vec<&str> = explained.iter().map(|&i| jobs[i].job.as_str()).collect();
    names.dedup();
    let more = if names.len() > 5 { ", ..." } else { "" };
    names.truncate(5);
    // `01:10-06:02` or `until 06:02`, each end dated unless today, the end too when the window
    // spans days: `2026-12-06 23:10-2026-12-07 06:02`.
    let (zone, now) = (facts.zone, facts.now);
    let day = |t: DateTime<Utc>| t.with_timezone(&zone).date_naive();
    let window = match from {
        Some(from) => {
            let to_day = if day(from) == day(to) { now } else { from };
            format!("{}-{}", when(from, now, zone), when(to, to_day, zone))
        }
        None => format!("until {}", when(to, now, zone)),
    };
    let (names, s) = (names.join(", "), if missed == 1 { "" } else { "s" });
    let text = format!("{what} {window}: {missed} run{s} missed ({names}{more})");
    let cause = add(causes, kind, text, explained);
    (cause.from, cause.to, cause.missed) = (from, Some(to), missed);
}

/// Cron down, then back: the crontab jobs due meanwhile, until they have had their chance since.
pub(super) fn cron_was_down(jobs: &[Judgement], facts: &Facts, causes: &mut Causes) {
    // The run that first finds cron back closes the stretch itself.
    let stretch = (facts.cron_down_since.map(|from| (from, facts.now))).or(facts.cron_was_down);
    let (Cron::Running(daemon), Some((from, seen_up))) = (&facts.cron, stretch) else {
        return;
    };
    let to = (daemon.since.filter(|&s| s >= from && s <= seen_up)).unwrap_or(seen_up);
    downtime(jobs, facts, causes, Kind::CronDown, (Some(from), to));
}

/// The host was down: the silent jobs due between the last sign of life and the boot.
pub(super) fn host_down(jobs: &[Judgement], facts: &Facts, causes: &mut Causes) {
    // A boot after the instant judged at (`--now` in the past) says nothing of it.
    let Some(boot) = facts.boot.filter(|&b| b <= facts.now) else {
        return;
    };
    // The last sign of life: the checker's last run, or a heartbeat of this host.
    let heartbeats = (jobs.iter().filter(|j| local(j, facts.host))).filter_map(|j| j.timestamp);
    let down_from = (facts.runs.iter().copied().chain(heartbeats))
        .filter(|&t| t < boot)
        .max();
    downtime(jobs, facts, causes, Kind::HostDown, (down_from, boot));
}
