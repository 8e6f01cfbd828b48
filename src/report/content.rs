//! The words and numbers every format shares, unescaped (each renderer
//! escapes for its medium) but for [`subject`], which is printed as it is.

use chrono::{DateTime, Utc};

use crate::history::Mark;
use crate::judge::{summary, Judgement, Status};
use crate::record::format_duration;

pub(crate) const NONE: &str = "-";

/// One cell of the panel, formatted but not escaped.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell<'a> {
    /// Text from heartbeat files, or made of it: escaped by the renderer.
    Text(std::borrow::Cow<'a, str>),
    Status(Status),
    /// Nothing in it needs escaping.
    Number(String),
    /// The recent runs' strip, oldest first; empty without a history.
    Strip(&'a [Mark]),
}

/// The panel's headings and rows; `host`, `due` and the runs' columns only where some job has one.
pub(crate) fn panel<'a>(jobs: &'a [Judgement]) -> (Vec<&'static str>, Vec<Vec<Cell<'a>>>) {
    let hosts = several_hosts(jobs);
    let with_due = jobs.iter().any(|j| due(j).is_some());
    let with_runs = jobs.iter().any(|j| j.recent.is_some());
    let mut headings = if hosts { vec!["host"] } else { vec![] };
    headings.extend(["job", "status", "age", "interval", "ratio"]);
    headings.extend(with_due.then_some("due"));
    if with_runs {
        headings.extend(["last runs", "success", "median"]);
    }
    let columns = headings.len();
    let row = |j: &'a Judgement| {
        let mut cells = Vec::with_capacity(columns);
        cells.extend(hosts.then(|| Cell::Text(j.host.as_deref().unwrap_or(NONE).into())));
        cells.extend([Cell::Text(j.job.as_str().into()), Cell::Status(j.status)]);
        let age = or_none(j.age_seconds.map(format_duration));
        let interval = or_none(j.interval_seconds.map(format_duration));
        cells.extend([age, interval, format_ratio(j.ratio)].map(Cell::Number));
        cells.extend(with_due.then(|| Cell::Text(or_none(due(j)).into())));
        if with_runs {
            let recent = j.recent.as_deref();
            cells.push(Cell::Strip(recent.map_or(&[], |r| &r.marks)));
            let rate = recent.and_then(|r| r.success_rate).map(format_rate);
            let median = recent.and_then(|r| r.median_duration).map(format_seconds);
            cells.extend([or_none(rate), or_none(median)].map(Cell::Number));
        }
        cells
    };
    (headings, jobs.iter().map(row).collect())
}

/// When a job is due by its schedule, in the schedule's zone.
pub(crate) fn due(j: &Judgement) -> Option<String> {
    let expected = j.expected.as_ref()?;
    let due = expected.due_at?.with_timezone(&expected.zone);
    let today = expected.judged_at.with_timezone(&expected.zone);
    let when = match (due.date_naive() - today.date_naive()).num_days().abs() {
        0 => due.format("%H:%M"),
        1..=6 => due.format("%a %H:%M"),
        _ => due.format("%Y-%m-%d %H:%M"),
    };
    let missed = matches!(j.status, Status::Stale | Status::Missing);
    Some(format!("{when}{}", if missed { ", missed" } else { "" }))
}

/// A status's colour as an index into each palette: alerting, warning, running, paused, ok.
pub(crate) fn tone(status: Status) -> usize {
    match status {
        Status::Invalid | Status::Stale | Status::Missing | Status::Failed => 0,
        Status::Failing | Status::Late => 1,
        Status::Running => 2,
        Status::Paused => 3,
        Status::Ok => 4,
    }
}

pub(crate) fn is_numeric(heading: &str) -> bool {
    matches!(heading, "age" | "interval" | "ratio" | "success" | "median")
}

/// The strip of recent runs (`++x?` or `✓✓✗·`); `-` when empty.
pub(crate) fn strip(marks: &[Mark], unicode: bool) -> String {
    let strip: String = marks.iter().map(|m| m.symbol(unicode)).collect();
    or_none((!strip.is_empty()).then_some(strip))
}

fn format_rate(rate: f64) -> String {
    format!("{:.0}%", (rate * 100.0).clamp(0.0, 100.0))
}

/// `2.5s` under ten seconds, else as [`format_duration`].
fn format_seconds(seconds: f64) -> String {
    if seconds < 9.95 {
        format!("{seconds:.1}s")
    } else {
        // Bounded: a duration read from a file can be any finite number.
        format_duration(seconds.round().min(u64::MAX as f64) as u64)
    }
}

pub(crate) fn several_hosts(jobs: &[Judgement]) -> bool {
    let mut hosts = jobs.iter().filter_map(|j| j.host.as_deref());
    hosts.next().is_some_and(|first| hosts.any(|h| h != first))
}

/// `jobs` in order, each group of `fleet` one entry where its first row stands.
pub(crate) fn entries<'a>(
    jobs: impl IntoIterator<Item = &'a Judgement>,
    fleet: &'a crate::fleet::Fleet,
) -> impl Iterator<Item = (&'a Judgement, Option<&'a crate::fleet::Group>)> {
    let mut told = vec![false; fleet.groups.len()];
    jobs.into_iter()
        .filter_map(move |j| match fleet.group_of(j) {
            Some(g) if std::mem::replace(&mut told[g], true) => None,
            g => Some((j, g.map(|g| &fleet.groups[g]))),
        })
}

/// A job's one name in all a run prints: `host/job` with [`several_hosts`].
pub(crate) fn job_name(host: Option<&str>, job: &str, several_hosts: bool) -> String {
    match (host, several_hosts) {
        (Some(host), true) => format!("{host}/{job}"),
        _ => job.to_owned(),
    }
}

/// A ratio such as `2.6x`.
pub(crate) fn format_ratio(ratio: Option<f64>) -> String {
    or_none(ratio.map(|r| format!("{:.1}x", super::round_ratio(r, 1))))
}

pub(crate) fn or_none(text: Option<String>) -> String {
    text.unwrap_or_else(|| NONE.to_owned())
}

/// `2026-11-22 03:00 UTC`.
pub(crate) fn format_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The nonzero counts, worst first: `1 stale, 1 late, 10 ok`.
fn counts(jobs: &[Judgement]) -> String {
    let nonzero = summary(jobs).into_iter().filter(|(_, n)| *n > 0);
    let counts: Vec<String> = nonzero.map(|(status, n)| format!("{n} {status}")).collect();
    counts.join(", ")
}

/// `1 job`, `2 jobs`.
pub(crate) fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// `12 jobs: 1 stale, 1 late, 10 ok`, or `no heartbeats found`.
pub(crate) fn summary_line(jobs: &[Judgement]) -> String {
    match jobs.len() {
        0 => "no heartbeats found".to_owned(),
        n => format!("{}: {}", count(n, "job"), counts(jobs)),
    }
}

/// A header line may not pass 998 characters (RFC 5322), and a path in
/// the subject has no space to fold at; the body says it all anyway.
pub(crate) const SUBJECT_MAX: usize = 200;

/// `text` made safe ([`crate::escape::terminal`]), cut to `max` (at least 4) with `...`.
pub(crate) fn cut(text: &str, max: usize) -> String {
    let line = crate::escape::terminal(text);
    match line.char_indices().nth(max.max(4) - 3) {
        Some((at, _)) if line.chars().count() > max.max(4) => format!("{}...", &line[..at]),
        _ => line.into_owned(),
    }
}

/// The mail subject, such as `night-watch web1: 1 stale, 10 ok`, [`cut`].
pub(crate) fn subject(host: &str, jobs: &[Judgement]) -> String {
    let all_ok = jobs.iter().all(|j| j.status.is_healthy());
    let line = match jobs.len() {
        0 => format!("night-watch {host}: no heartbeats found"),
        1 if all_ok => format!("night-watch {host}: the 1 job is ok"),
        n if all_ok => format!("night-watch {host}: all {n} jobs ok"),
        _ => format!("night-watch {host}: {}", counts(jobs)),
    };
    cut(&line, SUBJECT_MAX)
}

/// A job's message without a script's trailing newline (else shown as `\u{a}`).
pub(crate) fn message(job: &Judgement) -> Option<&str> {
    let text = job.message.as_deref()?.trim_end();
    (!text.is_empty()).then_some(text)
}

pub(crate) fn details(job: &Judgement, now: DateTime<Utc>) -> [(&'static str, String); 5] {
    let last_seen = match job.timestamp {
        Some(t) => {
            let ago = (now - t).num_seconds().max(0).unsigned_abs();
            format!("{} ({} ago)", format_time(t), format_duration(ago))
        }
        None if job.status == Status::Missing => "never".to_owned(),
        None => NONE.to_owned(),
    };
    let file = job.path.as_ref().map(|p| p.to_string_lossy().into_owned());
    [
        ("last seen", last_seen),
        ("reason", or_none(job.reason.clone())),
        ("message", or_none(message(job).map(str::to_owned))),
        ("exit code", or_none(job.exit_code.map(|c| c.to_string()))),
        ("file", or_none(file)),
    ]
}

#[cfg(test)]
mod tests;
