//! The page night-watch renders, written once: the heading, the summary,
//! the panel, the jobs that need attention and the footer, in that order.
//! Each markup format supplies the primitives over [`Markup`]. Every
//! `title`, `text` and `value` handed to them is escaped already; a row's
//! [`Cell::Text`] is not, and each format escapes it as its cells need.

use std::io;

use super::content;
pub(crate) use super::content::Cell;
use super::Report;
use crate::fleet::Group;
use crate::judge::{Judgement, Status};

/// The primitives of one markup format.
pub(crate) trait Markup {
    /// `text` made inert for the medium.
    fn escape(&self, text: &str) -> String;

    fn start(&mut self, _title: &str) -> io::Result<()> {
        Ok(())
    }

    fn heading(&mut self, text: &str) -> io::Result<()>;

    /// A paragraph: the summary, and each line the fleet's rows share.
    fn summary(&mut self, text: &str) -> io::Result<()>;

    fn table(&mut self, headings: &[&str], rows: &[Vec<Cell>]) -> io::Result<()>;

    /// The needs-attention heading, for `count` jobs (maybe none).
    fn attention(&mut self, count: usize) -> io::Result<()>;

    fn job(&mut self, status: Status, title: &str, details: &[(&str, String)]) -> io::Result<()>;

    fn footer(&mut self, items: &[(&str, String)]) -> io::Result<()>;

    /// What caused this run's bad jobs; called only with some.
    fn causes(&mut self, texts: &[String]) -> io::Result<()>;

    fn end(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Writes the page of `report` for `host`: the `panel` alone, or all of it.
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
