//! The words of the alert issue in GitHub's and Gitea's Markdown. Text from
//! heartbeat files is untrusted: it is rendered [`inert`]. Lists of jobs are
//! bounded, so that the issue stays far under every forge's size limit
//! (GitHub's is 65,536 characters).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::decide::{alert_key, alert_set};
use super::marker::{self, fnv};
use crate::fleet::{compact, Fleet, Group, QuorumVerdict};
use crate::judge::{Judgement, Status};
use crate::record::{format_duration, is_plain, rfc3339};
use crate::report::content::{format_ratio, or_none};
use crate::{alert, escape};

pub(crate) const LABEL_DESCRIPTION: &str =
    "cron jobs that cron-heartbeat found stale, failed, invalid or missing";

/// `text` as an inline code span, so that `@admin` mentions nobody, `#1`
/// links no issue and a URL is no link; control characters show as `\u{..}`.
pub(crate) fn inert(text: &str) -> String {
    let plain = escape::terminal(text);
    if plain.is_empty() {
        return "-".to_owned();
    }
    let longest = plain.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    // A span that begins or ends with a backtick or a space needs padding.
    let edge = plain.starts_with(['`', ' ']) || plain.ends_with(['`', ' ']);
    let pad = if edge { " " } else { "" };
    format!("{fence}{pad}{plain}{pad}{fence}")
}

/// [`inert`] for a table cell: a pipe would end the cell even inside a code
/// span, so it is escaped (tables read `\|` as a pipe inside code too).
pub(crate) fn inert_cell(text: &str) -> String {
    inert(text).replace('|', "\\|")
}

/// The colon keeps host `web1` from claiming `web10`'s issue.
pub(crate) fn title_prefix(host: &str) -> String {
    format!("[heartbeat-checker] {host}:")
}

pub(crate) fn title(host: &str, count: usize) -> String {
    format!("{} {count} job(s) need attention", title_prefix(host))
}

/// The host's own label (`heartbeat:web1`), to find its closed issues in one
/// request; a long or not [`is_plain`] host gets a digest (labels are short,
/// and a comma would split the listing's label filter).
pub(crate) fn host_label(label: &str, host: &str) -> String {
    let name = format!("{label}:{host}");
    if is_plain(host) && name.len() <= 50 {
        return name;
    }
    let short: String = label.chars().take(30).collect();
    format!("{short}:host-{:016x}", fnv(host.bytes()))
}

/// Bytes, so at most as many characters (what GitHub limits), of the body's
/// table besides the marker's, and of a reminder's list.
const TABLE_MAX_CHARS: usize = 24_000;

const LIST_MAX_CHARS: usize = 6_000;

/// `items` joined by `sep` within `budget` bytes, then `more(left out)`.
fn within(
    items: impl Iterator<Item = String>,
    sep: &str,
    budget: usize,
    more: impl Fn(usize) -> String,
) -> String {
    let mut items = items.peekable();
    let mut out = items.next_if(|i| i.len() <= budget).unwrap_or_default();
    while let Some(item) = items.next_if(|i| out.len() + sep.len() + i.len() <= budget) {
        out = out + sep + &item;
    }
    match items.count() {
        0 => out,
        left => out + &more(left),
    }
}

/// `` `a` (stale), `b` (failed) and 9,998 more ``.
fn named(items: impl Iterator<Item = String>) -> String {
    within(items, ", ", LIST_MAX_CHARS, |n| format!(" and {n} more"))
}

pub(crate) fn body(host: &str, jobs: &[Judgement], fleet: &Fleet, at: DateTime<Utc>) -> String {
    let bad: Vec<&Judgement> = jobs.iter().filter(|j| j.status.is_alert()).collect();
    let host_md = inert(host);
    let mut out = format!(
        "hb-check on {host_md} found {} job(s) that need attention.\n\n{}\
         | job | status | age | interval | ratio | reason |\n\
         |---|---|---|---|---|---|\n",
        bad.len(),
        summary(fleet)
    );
    let rows = bad.iter().map(|j| {
        format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            inert_cell(&alert_key(host, j)),
            j.status,
            or_none(j.age_seconds.map(format_duration)),
            or_none(j.interval_seconds.map(format_duration)),
            format_ratio(j.ratio),
            or_none(j.reason.as_deref().map(inert_cell)),
        )
    });
    out += &within(rows, "", TABLE_MAX_CHARS, |left| {
        format!(
            "\n{left} more job(s) need attention and are not listed here, to keep this issue \
             within the tracker's size limit: `hb-check` or `night-watch --panel` on {host_md} \
             shows every one.\n"
        )
    });
    out += &format!(
        "\nChecked at {}. hb-check edits this issue when the set of bad jobs changes \
         and closes it when every job recovers. Closing it by hand acknowledges these jobs: \
         no new issue is opened for them until one of them recovers and goes bad again, \
         or another job goes bad.\n\n\
         To retire a job on purpose, run `hb-write --retire JOB` on {host_md} and drop \
         the job from `--expect` (`HB_EXPECT`).\n\n",
        rfc3339(at)
    );
    out + &marker::render(host, &alert_set(host, jobs)) + "\n"
}

/// The comment, title and body of the issue hb-check closes (`at`: when the
/// jobs were judged); the body's empty marker says it is no acknowledgement.
pub(crate) fn closing(
    host: &str,
    jobs: &[Judgement],
    recovered: &[(String, Status)],
    paused: &[(String, Option<Status>)],
    opened: Option<DateTime<Utc>>,
    at: DateTime<Utc>,
) -> (String, String, String) {
    let paused_text = paused_list(host, paused, jobs);
    let recovered_text =
        (!recovered.is_empty()).then(|| format!("Recovered: {}.", list(recovered)));
    let others = recovered_text.as_ref().map_or("", |_| ", others recovered");
    let mut comment = Vec::new();
    if !paused.is_empty() {
        comment.push(format!("Paused, not recovered: {paused_text}."));
    }
    comment.extend(recovered_text.clone());
    if comment.is_empty() {
        comment.push("Every job recovered.".to_owned());
    }
    if let Some(opened) = opened {
        let open_for = format_duration(u64::try_from((at - opened).num_seconds()).unwrap_or(0));
        comment.push(format!("This issue was open for {open_for}."));
    }
    comment.push("Closing it.".to_owned());
    let (host_md, at) = (inert(host), rfc3339(at));
    let (title, body) = match paused.len() {
        0 => (
            "all jobs recovered".to_owned(),
            format!("All jobs on {host_md} recovered by {at}; hb-check closed this issue.\n\n"),
        ),
        n => (
            format!("{n} job(s) paused{others}"),
            format!(
                "No job on {host_md} needs attention by {at}: {paused_text}{others}. hb-check closed this issue; \
                 a paused job that is still bad when its pause ends alerts again.\n\n"
            ),
        ),
    };
    let body = body + &recovered_text.map(|text| text + "\n\n").unwrap_or_default();
    let marker = marker::render(host, &alert::Jobs::new());
    let title = format!("{} {title}", title_prefix(host));
    (comment.join(" "), title, body + &marker + "\n")
}

/// `` `backup` paused until 2026-11-22T06:00:00Z (`disk swap`) (was stale) ``.
fn paused_list(host: &str, paused: &[(String, Option<Status>)], jobs: &[Judgement]) -> String {
    // Looked up by key, not searched for each: a host-wide pause over
    // 10,000 jobs made the search 10^8 keys and seconds per text.
    let mut pauses = HashMap::new();
    for j in jobs.iter().filter(|j| j.status == Status::Paused) {
        pauses.entry(alert_key(host, j)).or_insert(j.pause.as_ref());
    }
    named(paused.iter().map(|(key, was)| {
        let mut text = format!("{} paused", inert(key));
        if let Some(pause) = pauses.get(key).copied().flatten() {
            text += &format!(" until {}", rfc3339(pause.until));
            if pause.job.is_none() {
                text += " (host-wide)";
            }
            if let Some(reason) = &pause.reason {
                text += &format!(" ({})", inert(reason));
            }
        }
        text + &was.map(|was| format!(" (was {was})")).unwrap_or_default()
    }))
}

fn list(jobs: &[(String, Status)]) -> String {
    let one = |(job, was): &(String, Status)| format!("{} (was {was})", inert(job));
    named(jobs.iter().map(one))
}

/// The comment on an edited issue (`diff.left`: the jobs that recovered); a
/// paused job is never called recovered.
pub(crate) fn update_comment(
    host: &str,
    jobs: &[Judgement],
    fleet: &Fleet,
    diff: &alert::Diff,
    paused: &[(String, Status)],
) -> String {
    let mut lines = Vec::new();
    if !diff.went_bad.is_empty() {
        let text = went_bad(host, jobs, fleet, &diff.went_bad);
        lines.push(format!("Went bad: {text}."));
    }
    if !diff.changed.is_empty() {
        let one = |(job, was, now): &(String, Status, Status)| {
            format!("{} ({was} \u{2192} {now})", inert(job))
        };
        lines.push(format!("Changed: {}.", named(diff.changed.iter().map(one))));
    }
    if !diff.left.is_empty() {
        lines.push(format!("Recovered: {}.", list(&diff.left)));
    }
    if !paused.is_empty() {
        let paused: Vec<_> = paused.iter().map(|(j, s)| (j.clone(), Some(*s))).collect();
        lines.push(format!(
            "Paused, not recovered: {}. A paused job never alerts; one still bad when its pause ends alerts again.",
            paused_list(host, &paused, jobs)
        ));
    }
    let count = alert_set(host, jobs).len();
    lines.push(format!("{count} job(s) need attention now."));
    lines.join("\n\n")
}

/// A reminder after `open_for` seconds open: how long each job is bad, as its heartbeat tells.
pub(crate) fn reminder(host: &str, jobs: &[Judgement], open_for: u64, every: u64) -> String {
    let (open_for, every) = (format_duration(open_for), format_duration(every));
    let out = format!(
        "Reminder: this issue has been open for {open_for}; hb-check reminds every {every} while it stays open.\n\n"
    );
    let lines = jobs.iter().filter(|j| j.status.is_alert()).map(|j| {
        let how_long = match (j.status, j.age_seconds) {
            (Status::Failed, Some(age)) => {
                let runs = j.consecutive_failures.filter(|n| *n > 1);
                let runs = runs.map_or(String::new(), |n| format!(", {n} runs in a row"));
                let age = format_duration(age);
                format!("failed since its last run {age} ago{runs}")
            }
            (Status::Stale, Some(age)) => format!("silent for {}", format_duration(age)),
            (_, Some(age)) => format!("last heartbeat {} ago", format_duration(age)),
            (_, None) => "no usable heartbeat".to_owned(),
        };
        let key = inert(&alert_key(host, j));
        format!("- {key} {}: {how_long}\n", j.status)
    });
    out + &within(lines, "", TABLE_MAX_CHARS, |n| format!("- and {n} more\n"))
}

/// The comment, title and body that close a second open issue of the host
/// (never "recovered": the one kept goes on alerting).
pub(crate) fn duplicate(host: &str, kept: u64) -> (String, String, String) {
    let host_md = inert(host);
    let comment = format!(
        "Another open issue, #{kept}, is about {host_md} too; hb-check keeps the oldest and closes this one. \
         If two machines report as this host, give each its own `--host` (`HB_HOST`)."
    );
    let body = format!(
        "A second open issue for {host_md}: #{kept} stays open and carries the alerts; hb-check closed this one.\n\n{}\n",
        marker::render(host, &alert::Jobs::new())
    );
    let title = format!("{} duplicate of #{kept}", title_prefix(host));
    (comment, title, body)
}

/// `` `backup` stale on 40 of 42 hosts: `web01..web40` ``.
fn group(g: &Group) -> String {
    let (job, count, hosts) = (inert(&g.job), g.hosts.len(), inert(&compact(&g.hosts)));
    format!("{job} {} on {count} of {} hosts: {hosts}", g.status, g.of)
}

/// The paragraph atop the issue body: unmet quorums and alerting fleet groups.
fn summary(fleet: &Fleet) -> String {
    let below = fleet.below().map(|q: &QuorumVerdict| {
        let (job, not_ok) = (inert(&q.job), inert(&compact(&q.not_ok)));
        let (ok, of, min) = (q.ok, q.of, q.min);
        format!("{job} is below its quorum: ok on {ok} of {of} hosts, at least {min} needed (not ok: {not_ok})")
    });
    let alerting = |g: &&Group| g.status.is_alert();
    let groups = fleet.groups.iter().filter(alerting).map(group);
    let lines: Vec<String> = below.chain(groups).collect();
    if lines.is_empty() {
        return String::new();
    }
    format!("Across hosts:\n\n- {}\n\n", lines.join("\n- "))
}

/// The jobs that went bad, those of a `fleet` group said once for its hosts.
fn went_bad(host: &str, jobs: &[Judgement], fleet: &Fleet, items: &[(String, Status)]) -> String {
    let group_of = |j: &Judgement| Some((alert_key(host, j), fleet.group_of(j)?));
    let groups: HashMap<String, usize> = jobs.iter().filter_map(group_of).collect();
    let mut told = vec![false; fleet.groups.len()];
    let one = |(key, status): &(String, Status)| match groups.get(key).copied() {
        Some(g) if fleet.groups[g].status == *status => {
            (!std::mem::replace(&mut told[g], true)).then(|| group(&fleet.groups[g]))
        }
        _ => Some(format!("{} ({status})", inert(key))),
    };
    named(items.iter().filter_map(one))
}

#[cfg(test)]
#[path = "text_tests.rs"]
mod tests;
