//! Composing the message of a run: which jobs it lists, its title and its
//! lines, from the change engine's word or the whole run (the summary).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::message::{Bad, Change, Details, Event, Line, Message, Part, Severity, VERSION};
use crate::alert::{Diff, Jobs};
use crate::changes;
use crate::exit_code::Check;
use crate::judge::{Judgement, Status};
use crate::record::format_duration;
use crate::report::content;

/// Caps: jobs a list names, characters of a name, reason or message, names in a title.
const LISTED_MAX: usize = 100;
const PIECE_MAX: usize = 300;
const TITLE_NAMES: usize = 10;

#[derive(Clone, Copy)]
pub(crate) struct Facts<'a> {
    pub host: &'a str,
    pub checker: &'static str,
    pub now: DateTime<Utc>,
    pub jobs: &'a [Judgement],
    /// The lines that explain many jobs at once (causes, the fleet's).
    pub causes: &'a [String],
    /// The jobs (as named) a line of `causes` speaks for: named there only.
    pub grouped: &'a BTreeSet<String>,
    /// The run's verdict, the message's severity (a quorum met makes its
    /// hosts' alerts warnings; cron down is critical whatever the jobs say).
    pub code: Check,
    /// Since when a job (by key) has had its status.
    pub since: &'a (dyn Fn(&str) -> Option<DateTime<Utc>> + Sync),
}

impl<'a> Facts<'a> {
    pub(crate) fn new(
        host: &'a str,
        checker: &'static str,
        jobs: &'a [Judgement],
        causes: &'a [String],
        grouped: &'a BTreeSet<String>,
        now: DateTime<Utc>,
    ) -> Facts<'a> {
        Facts {
            host,
            checker,
            now,
            jobs,
            causes,
            grouped,
            code: Check::of_all(jobs.iter().map(|j| j.status)),
            since: &|_| None,
        }
    }

    fn find(&self, key: &str) -> Option<&Judgement> {
        self.jobs.iter().find(|j| changes::key(j) == key)
    }

    fn name(&self, key: &str) -> String {
        content::cut(changes::name_of(key, self.jobs), PIECE_MAX)
    }

    fn details(&self, key: &str) -> Details {
        let cut = |text: &str| content::cut(text, PIECE_MAX);
        let j = self.find(key);
        Details {
            since: (self.since)(key),
            reason: j.and_then(|j| j.reason.as_deref()).map(cut),
            due: j.and_then(content::due),
            age_seconds: j.and_then(|j| j.age_seconds),
            last_seen: j.and_then(|j| j.timestamp),
            message: j.and_then(content::message).map(cut),
        }
    }

    fn empty(&self, event: Event, severity: Severity) -> Message {
        let mut counts = BTreeMap::new();
        (self.jobs.iter()).for_each(|j| *counts.entry(j.status).or_insert(0) += 1);
        let cut = |c: &String| content::cut(c, PIECE_MAX);
        let causes: Vec<String> = self.causes.iter().map(cut).collect();
        Message {
            // The causes, one line each, before the jobs they explain.
            lines: causes.iter().map(|c| vec![untrusted(c.clone())]).collect(),
            version: VERSION,
            event,
            severity,
            host: self.host.to_owned(),
            checker: self.checker,
            checked_at: self.now,
            counts,
            causes,
            ..Message::default()
        }
    }

    fn bad(&self, still_bad: &Jobs) -> (Vec<Bad>, usize) {
        let listed = still_bad.iter().take(LISTED_MAX).map(|(key, status)| Bad {
            job: self.name(key),
            status: *status,
            details: self.details(key),
        });
        (listed.collect(), still_bad.len().saturating_sub(LISTED_MAX))
    }
}

fn fixed(text: impl Into<String>) -> Part {
    Part::Fixed(text.into())
}

fn untrusted(text: impl Into<String>) -> Part {
    Part::Untrusted(text.into())
}

fn need(n: usize, still: &str) -> String {
    let s = if n == 1 { "s" } else { "" };
    format!("{} {still}need{s} attention:", content::count(n, "job"))
}

/// `before`: the jobs of the last message.
pub(crate) fn changes(facts: &Facts, before: &Jobs, diff: &Diff, still_bad: &Jobs) -> Message {
    let worse = diff.went_bad.len() + diff.changed.len();
    let bad = match facts.code {
        Check::Warning => Severity::Warning,
        _ => Severity::Critical,
    };
    let (event, severity) = match (worse, diff.left.is_empty()) {
        (1.., _) => (Event::Alert, bad),
        (0, false) => (Event::Recovery, Severity::Ok),
        _ => (Event::Reminder, bad),
    };
    let mut m = facts.empty(event, severity);
    let went_bad = (diff.went_bad.iter()).map(|(k, s)| (k, before.get(k).copied(), Some(*s)));
    let changed = (diff.changed.iter()).map(|(k, was, s)| (k, Some(*was), Some(*s)));
    let left = (diff.left.iter()).map(|(k, was)| (k, Some(*was), facts.find(k).map(|j| j.status)));
    // Lazily: only the listed ones are looked up.
    let first = went_bad.chain(changed).chain(left).take(LISTED_MAX);
    let first = first.map(|(key, from, to)| Change {
        job: facts.name(key),
        from,
        to,
        details: facts.details(key),
    });
    m.changes = first.collect();
    m.changes_omitted = (worse + diff.left.len()).saturating_sub(LISTED_MAX);
    (m.still_bad, m.still_bad_omitted) = facts.bad(still_bad);
    let (head, names): (String, Vec<(&str, String)>) = match event {
        Event::Alert => {
            let alerting = (m.changes.iter()).filter_map(|c| {
                let to = c.to.filter(|s| s.is_alert())?;
                Some((c.job.as_str(), format!(" {to}")))
            });
            (need(worse, ""), alerting.collect())
        }
        Event::Recovery => {
            // A paused job has not recovered: it is named apart.
            let paused = |c: &Change| c.to == Some(Status::Paused);
            let all_paused = m.changes.iter().all(paused);
            let head = if all_paused { "paused:" } else { "recovered:" };
            let names = (m.changes.iter()).map(|c| {
                let word = (paused(c) && !all_paused).then_some(" (paused)");
                (c.job.as_str(), word.unwrap_or_default().to_owned())
            });
            (head.to_owned(), names.collect())
        }
        _ => {
            let bad = (m.still_bad.iter()).map(|b| (b.job.as_str(), format!(" {}", b.status)));
            let head = format!("reminder: {}", need(still_bad.len(), "still "));
            (head, bad.collect())
        }
    };
    let mut title = headed(facts.host, &head);
    for (i, (name, word)) in names.iter().take(TITLE_NAMES).enumerate() {
        let comma = fixed(if i == 0 { " " } else { ", " });
        title.extend([comma, untrusted(*name), fixed(word.as_str())]);
    }
    title.extend((names.len() > TITLE_NAMES).then(|| fixed(", ...")));
    if event == Event::Recovery && !still_bad.is_empty() {
        let n = content::count(still_bad.len(), "job");
        title.push(fixed(format!("; {n} still bad")));
    }
    m.title_line = title;
    let own = |c: &&Change| c.to.is_none_or(|s| !s.is_alert()) || !facts.grouped.contains(&c.job);
    let lines = m.changes.iter().filter(own).map(change_line);
    m.lines.extend(lines.chain(more(m.changes_omitted)));
    if !m.still_bad.is_empty() && event != Event::Alert {
        m.lines.push(vec![fixed("Still bad:")]);
        list_bad(&mut m);
    }
    m.finish()
}

pub(crate) fn summary(facts: &Facts) -> Message {
    let severity = match facts.code {
        Check::Critical => Severity::Critical,
        Check::Warning if !facts.jobs.is_empty() => Severity::Warning,
        _ => Severity::Ok,
    };
    let mut m = facts.empty(Event::Summary, severity);
    let bad = facts.jobs.iter().filter(|j| !j.status.is_healthy());
    let bad: Jobs = bad.map(|j| (changes::key(j), j.status)).collect();
    (m.still_bad, m.still_bad_omitted) = facts.bad(&bad);
    let verdict = fixed(format!(": {}", content::summary_line(facts.jobs)));
    m.title_line = vec![fixed("night-watch "), untrusted(facts.host), verdict];
    list_bad(&mut m);
    if m.still_bad.is_empty() {
        m.lines.push(vec![fixed("Nothing needs attention.")]);
    }
    m.finish()
}

pub(crate) fn test(facts: &Facts) -> Message {
    let mut m = facts.empty(Event::Test, Severity::Ok);
    m.title_line = headed(facts.host, &format!("test message from {}", facts.checker));
    let works = "--notify-test sent this. Nothing needs attention.";
    let line = format!("This destination works: {} {works}", facts.checker);
    m.lines.push(vec![fixed(line)]);
    m.finish()
}

/// The line that ends a list cut at [`LISTED_MAX`].
fn more(omitted: usize) -> Option<Line> {
    (omitted > 0).then(|| vec![fixed(format!("... and {omitted} more"))])
}

fn list_bad(m: &mut Message) {
    let bad = (m.still_bad.iter()).map(|b| job_line(&b.job, format!(": {}", b.status), &b.details));
    m.lines.extend(bad.chain(more(m.still_bad_omitted)));
}

fn headed(host: &str, words: &str) -> Line {
    vec![fixed("["), untrusted(host), fixed(format!("] {words}"))]
}

/// `backup: stale (was ok) since ...; reason`.
fn change_line(c: &Change) -> Line {
    let was = c.from.map_or_else(String::new, |s| format!(" (was {s})"));
    let words = match c.to {
        Some(Status::Paused) => format!(": paused{was}"),
        Some(s) if !s.is_alert() => format!(": recovered, {s}{was}"),
        Some(s) => format!(": {s}{was}"),
        None => format!(": no longer reported{was}"),
    };
    job_line(&c.job, words, &c.details)
}

/// `JOB` `words` and what is known of it: ` since ...; reason`.
fn job_line(job: &str, words: String, d: &Details) -> Line {
    let since = (d.since).map(|t| format!(" since {}", content::format_time(t)));
    let age = (d.age_seconds).map(|age| format!(", last seen {} ago", format_duration(age)));
    let due = d.due.as_ref().map(|due| format!(", due {due}"));
    let mut parts = vec![untrusted(job), fixed(words)];
    parts.extend([since, age, due].into_iter().flatten().map(fixed));
    let said = [("; ", &d.reason), ("; message: ", &d.message)].into_iter();
    let said = said.filter_map(|(label, text)| Some([fixed(label), untrusted(text.as_deref()?)]));
    parts.extend(said.flatten());
    parts
}
