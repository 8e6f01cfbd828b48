//! Renderers of judged jobs to an `io::Write`. night-watch's page is written
//! once ([`write_page`]) over each format's [`Markup`]: every `title`, `text`
//! and `value` handed to it is escaped already, a row's [`Cell::Text`] is not.

pub(crate) mod content;
mod html;
mod json;
mod mail;
mod markdown;
mod text;

use std::io;

use chrono::{DateTime, Utc};

use crate::judge::{Judgement, Status};
use content::Cell;

pub(crate) use html::Html;
pub(crate) use json::{write_json, CauseFields};
pub(crate) use mail::{parse_mailbox, parse_recipient, write_mail, Recipient};
pub(crate) use markdown::Markdown;
pub(crate) use text::{write_line, write_lines, Text, TextPage};

/// The judged jobs (worst first) and how they were judged.
#[derive(Debug, Clone)]
pub(crate) struct Report<'a> {
    pub checked_at: DateTime<Utc>,
    pub factor: f64,
    pub jobs: &'a [Judgement],
    pub dirs: &'a [std::path::PathBuf],
    pub fleet: &'a crate::fleet::Fleet,
    /// What caused the run's bad jobs, a line each (night-watch's pages).
    pub causes: &'a [String],
}

impl<'a> Report<'a> {
    pub(crate) fn new(checked_at: DateTime<Utc>, factor: f64, jobs: &'a [Judgement]) -> Self {
        Report {
            checked_at,
            factor,
            jobs,
            dirs: &[],
            fleet: &crate::fleet::NONE,
            causes: &[],
        }
    }
}

/// The primitives of one markup format.
pub(crate) trait Markup {
    fn escape(&self, text: &str) -> String;

    fn start(&mut self, _title: &str) -> io::Result<()> {
        Ok(())
    }

    fn heading(&mut self, text: &str) -> io::Result<()>;

    /// A paragraph: the summary, and each line the fleet's rows share.
    fn summary(&mut self, text: &str) -> io::Result<()>;

    fn table(&mut self, headings: &[&str], rows: &[Vec<Cell>]) -> io::Result<()>;

    /// The needs-attention heading, for `count` jobs (maybe 0).
    fn attention(&mut self, count: usize) -> io::Result<()>;

    fn job(&mut self, status: Status, title: &str, details: &[(&str, String)]) -> io::Result<()>;

    fn footer(&mut self, items: &[(&str, String)]) -> io::Result<()>;

    /// What caused this run's bad jobs; called only with some.
    fn causes(&mut self, texts: &[String]) -> io::Result<()>;

    fn end(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The page of `report` for `host`: the `panel` alone, or all of it.
pub(crate) fn write_page(
    markup: &mut dyn Markup,
    host: &str,
    report: &Report,
    panel: bool,
) -> io::Result<()> {
    let at = content::format_time(report.checked_at);
    let heading = format!("night-watch report for {}, {at}", markup.escape(host));
    markup.start(&heading)?;
    if !panel {
        markup.heading(&heading)?;
        markup.summary(&content::summary_line(report.jobs))?;
    }
    for line in report.fleet.lines() {
        markup.summary(&markup.escape(&line))?;
    }
    let (headings, rows) = content::panel(report.jobs);
    markup.table(&headings, &rows)?;
    if !panel {
        // Late jobs too, though they do not alert: the morning reader wants
        // to see a job slipping before it goes stale.
        let bad: Vec<&Judgement> = (report.jobs.iter())
            .filter(|j| !j.status.is_healthy())
            .collect();
        markup.attention(bad.len())?;
        let several = content::several_hosts(report.jobs);
        // A group is one entry, with its first host's details.
        for (job, group) in content::entries(bad, report.fleet) {
            let title = group.map_or_else(
                || content::job_name(job.host.as_deref(), &job.job, several),
                crate::fleet::Group::line,
            );
            let details = content::details(job, report.checked_at)
                .map(|(label, value)| (label, markup.escape(&value)));
            markup.job(job.status, &markup.escape(&title), &details)?;
        }
        let dirs: Vec<_> = report.dirs.iter().map(|d| d.to_string_lossy()).collect();
        let footer = [
            ("directories read", dirs.join(", ")),
            ("stale after", format!("{}x the interval", report.factor)),
            ("judged at", at),
        ];
        markup.footer(&footer.map(|(label, value)| (label, markup.escape(&value))))?;
    }
    if !report.causes.is_empty() {
        let texts: Vec<String> = report.causes.iter().map(|t| markup.escape(t)).collect();
        markup.causes(&texts)?;
    }
    markup.end()
}

/// A ratio rounded to `places` decimals, never across 1: above 1 it rounds
/// up, so a late job never shows `1.0x` nor a stale one the factor itself.
pub(crate) fn round_ratio(ratio: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    if ratio > 1.0 {
        // The nudge keeps 1.1 (11.000000000000002 when scaled) at 1.1.
        ((ratio * scale) - 1e-9).ceil() / scale
    } else {
        (ratio * scale).round() / scale
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn late_jobs_need_attention_and_ok_ones_do_not() {
        let all = [Status::Stale, Status::Late, Status::Ok].map(|status| Judgement {
            status,
            ..Judgement::missing(&format!("j-{status}"))
        });
        let report = Report::new(chrono::DateTime::UNIX_EPOCH, 2.0, &all);
        let mut out = Vec::new();
        write_page(&mut Markdown(&mut out), "h", &report, false).unwrap();
        let text = String::from_utf8(out).unwrap();
        let listed: Vec<&str> = text.lines().filter(|l| l.starts_with("### ")).collect();
        assert_eq!(listed, ["### stale: j-stale", "### late: j-late"], "{text}");
    }

    #[test]
    fn a_late_ratio_never_rounds_down_to_one() {
        assert_eq!(round_ratio(1.04, 1), 1.1);
        assert_eq!(round_ratio(1.0001, 1), 1.1);
        assert_eq!(round_ratio(1.1, 1), 1.1);
        assert_eq!(round_ratio(330.0 / 300.0, 1), 1.1);
        assert_eq!(round_ratio(1.0, 1), 1.0);
        assert_eq!(round_ratio(0.96, 1), 1.0);
        assert_eq!(round_ratio(2.0001, 1), 2.1);
        assert_eq!(round_ratio(1.001, 2), 1.01);
        assert_eq!(round_ratio(12.0, 2), 12.0);
    }
}
