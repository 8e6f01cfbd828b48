//! The message of a run (the README's JSON document), kept as lines of fixed
//! words and untrusted pieces, which each medium renders inert its own way.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::escape;
use crate::judge::Status;
use crate::report::content;

pub(crate) const VERSION: u32 = 1;

const TITLE_MAX: usize = 200;

/// Slack's limit on a message's `text`, Discord's on its `content`.
const SLACK_MAX: usize = 40_000;
const DISCORD_MAX: usize = 2000;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Event {
    #[default]
    Alert,
    Reminder,
    Recovery,
    Summary,
    Test,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Severity {
    #[default]
    Critical,
    Warning,
    Ok,
}

impl Severity {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Ok => "ok",
        }
    }
}

/// Fixed words, or text from outside (a job's name, reason or message, the host).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Part {
    Fixed(String),
    Untrusted(String),
}

pub(crate) type Line = Vec<Part>;

#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Details {
    #[serde(serialize_with = "crate::record::rfc3339_opt::serialize")]
    pub since: Option<DateTime<Utc>>,
    pub reason: Option<String>,
    pub due: Option<String>,
    pub age_seconds: Option<u64>,
    #[serde(serialize_with = "crate::record::rfc3339_opt::serialize")]
    pub last_seen: Option<DateTime<Utc>>,
    pub message: Option<String>,
}

/// A job whose alerting status changed; a status `None` is `null`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Change {
    pub job: String,
    pub from: Option<Status>,
    pub to: Option<Status>,
    #[serde(flatten)]
    pub details: Details,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Bad {
    pub job: String,
    pub status: Status,
    #[serde(flatten)]
    pub details: Details,
}

#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Message {
    pub version: u32,
    pub event: Event,
    pub severity: Severity,
    pub host: String,
    pub checker: &'static str,
    #[serde(serialize_with = "crate::record::rfc3339_seconds")]
    pub checked_at: DateTime<Utc>,
    pub title: String,
    pub text: String,
    pub counts: std::collections::BTreeMap<Status, usize>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<String>,
    pub changes: Vec<Change>,
    pub changes_omitted: usize,
    pub still_bad: Vec<Bad>,
    pub still_bad_omitted: usize,
    #[serde(skip)]
    pub title_line: Line,
    #[serde(skip)]
    pub lines: Vec<Line>,
}

pub(crate) fn json(value: &impl Serialize) -> Vec<u8> {
    let mut out = Vec::new();
    // Plain structs and JSON values with string keys always serialise.
    escape::write_json(&mut out, value).expect("JSON serialises");
    out
}

fn render(line: &Line, quote: &dyn Fn(&str) -> String) -> String {
    let part = |part: &Part| match part {
        Part::Fixed(text) => text.clone(),
        Part::Untrusted(text) => quote(text),
    };
    line.iter().map(part).collect()
}

fn plain(text: &str) -> String {
    escape::terminal(text).into_owned()
}

impl Message {
    pub(super) fn finish(mut self) -> Message {
        self.title = content::cut(&render(&self.title_line, &plain), TITLE_MAX);
        let text = self.lines.iter().map(|l| render(l, &plain) + "\n");
        self.text = text.collect();
        self
    }

    /// `{"text": ...}`, which Slack, Mattermost and Rocket.Chat accept, or
    /// Discord's, which mentions no one.
    pub(crate) fn chat_body(&self, discord: bool) -> serde_json::Value {
        if discord {
            let content = self.chat(false, DISCORD_MAX);
            serde_json::json!({ "content": content, "allowed_mentions": { "parse": [] } })
        } else {
            serde_json::json!({ "text": self.chat(true, SLACK_MAX) })
        }
    }

    /// Each untrusted piece a code span (no mention, link or formatting
    /// comes from a job), cut to at most `max` characters at a line's end.
    fn chat(&self, entities: bool, max: usize) -> String {
        let quote = |text: &str| escape::chat(text, entities);
        let mut out = render(&self.title_line, &quote);
        if out.chars().count() > max / 2 {
            // A title of many long names: the plain one, cut, as one span.
            out = quote(&content::cut(&self.title, max / 4));
        }
        let mut used = out.chars().count();
        for (i, line) in self.lines.iter().map(|l| render(l, &quote)).enumerate() {
            let n = line.chars().count() + 1;
            if used + n > max.saturating_sub(40) {
                out.push_str(&format!("\n... and {} more lines", self.lines.len() - i));
                break;
            }
            out += &format!("\n{line}");
            used += n;
        }
        out
    }

    /// `HB_CHANGES`: `JOB FROM TO` a line, `-` for no status.
    pub(crate) fn change_list(&self) -> String {
        let word = |s: Option<Status>| s.map_or("-", Status::as_str);
        // The checker's own entries (`cron daemon`) have a space: joined, a line stays 3 words.
        let line = |c: &Change| {
            let job = plain(&c.job).replace(' ', "-");
            format!("{job} {} {}\n", word(c.from), word(c.to))
        };
        self.changes.iter().map(line).collect()
    }
}

#[cfg(test)]
pub(crate) mod tests;
