//! The page night-watch renders, written once: the heading, the summary,
//! the panel, the jobs that need attention and the footer, in that order.
//! Each markup format (text, Markdown, HTML) supplies the primitives over
//! [`Markup`]: how a heading, a table row or a detail line looks, and how
//! its medium escapes text. JSON and mail are not pages and stay their own.

use std::io;

use super::content;
pub(crate) use super::content::Cell;
use super::Report;
use crate::fleet::Group;
use crate::judge::{Judgement, Status};

/// The primitives of one markup format. Every `title`, `text` and `value`
/// handed to them is escaped already (by [`Markup::escape`]) or holds
/// nothing to escape; a row's [`Cell::Text`] is not, and each format
/// escapes it as its cells need.
pub(crate) trait Markup {
    /// `text` made inert for the medium.
    fn escape(&self, text: &str) -> String;

    /// The start of the document, whose title is `title`.
    fn start(&mut self, _title: &str) -> io::Result<()> {
        Ok(())
    }

    fn heading(&mut self, text: &str) -> io::Result<()>;

    /// The summary under the heading (and each line the fleet's rows
    /// share): a paragraph.
    fn summary(&mut self, text: &str) -> io::Result<()>;

    /// The panel: its column headings, then a row of cells per job.
    fn table(&mut self, headings: &[&str], rows: &[Vec<Cell>]) -> io::Result<()>;

    /// The needs-attention heading, for `count` jobs (maybe none).
    fn attention(&mut self, count: usize) -> io::Result<()>;

    /// One job that needs attention: its heading and its labelled details.
    fn job(&mut self, status: Status, title: &str, details: &[(&str, String)]) -> io::Result<()>;

    fn footer(&mut self, items: &[(&str, String)]) -> io::Result<()>;

    /// What caused this run's bad jobs (cron or the host down, a job that
    /// failed before the jobs that need it), escaped; called only with some.
    fn causes(&mut self, texts: &[String]) -> io::Result<()>;

    fn end(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Writes the page of `report` for `host` with `markup` (which holds the
/// writer): the `panel` alone, or the whole report (heading, summary,
/// panel, needs-attention details and footer).
pub(crate) fn write_page(
    markup: &mut dyn Markup,
    host: &str,
    report: &Report,
    panel: bool,
) -> io::Result<()> {
    let heading = content::heading(&markup.escape(host), report.checked_at);
    markup.start(&heading)?;
    if !panel {
        markup.heading(&heading)?;
        markup.summary(&content::summary_line(report.jobs))?;
    }
    // What the fleet's rows share, a line each above the panel.
    for line in report.fleet.lines() {
        markup.summary(&markup.escape(&line))?;
    }
    let (headings, rows) = content::panel(report.jobs);
    markup.table(&headings, &rows)?;
    if !panel {
        write_attention(markup, report)?;
        let footer = content::footer(report).map(|(label, value)| (label, markup.escape(&value)));
        markup.footer(&footer)?;
    }
    if !report.causes.is_empty() {
        let texts: Vec<String> = report.causes.iter().map(|t| markup.escape(t)).collect();
        markup.causes(&texts)?;
    }
    markup.end()
}

/// The needs-attention section: a group is one entry, with its first
/// host's details.
fn write_attention(markup: &mut dyn Markup, report: &Report) -> io::Result<()> {
    let several = content::several_hosts(report.jobs);
    let bad: Vec<&Judgement> = content::needs_attention(report.jobs).collect();
    markup.attention(bad.len())?;
    for (job, group) in content::entries(bad, report.fleet) {
        let title = group.map_or_else(
            || content::job_name(job.host.as_deref(), &job.job, several),
            Group::line,
        );
        let details = content::details(job, report.checked_at)
            .map(|(label, value)| (label, markup.escape(&value)));
        markup.job(job.status, &markup.escape(&title), &details)?;
    }
    Ok(())
}
