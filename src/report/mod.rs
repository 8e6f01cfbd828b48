//! Renderers of judged jobs to an `io::Write`. night-watch's page is written
//! once ([`write_page`]) over each format's [`Markup`]: every `title`, `text`
//! and `value` handed to it is escaped already, a row's [`Cell::Text`] is not.

pub(crate) mod content;
mod json;
mod mail;
mod text;

use std::io;

use chrono::{DateTime, Utc};

use crate::escape::{html, markdown};
use crate::history::Mark;
use crate::judge::{Judgement, Status};
use content::{Cell, NONE};

pub(crate) use json::{write_json, CauseFields};
pub(crate) use mail::{parse_mailbox, parse_recipient, write_mail, Recipient};
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
        let needs = |j: &&Judgement| !j.status.is_healthy();
        let bad: Vec<&Judgement> = report.jobs.iter().filter(needs).collect();
        markup.attention(bad.len())?;
        let several = content::several_hosts(report.jobs);
        // A group is one entry, with its first host's details.
        for (job, group) in content::entries(bad, report.fleet) {
            let name = || content::job_name(job.host.as_deref(), &job.job, several);
            let title = group.map_or_else(name, crate::fleet::Group::line);
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

/// night-watch's Markdown format: GitHub-flavoured, for Gitea and GitHub.
pub(crate) struct Markdown<'w>(pub(crate) &'w mut dyn io::Write);

impl Markup for Markdown<'_> {
    fn escape(&self, text: &str) -> String {
        markdown(text)
    }

    fn heading(&mut self, text: &str) -> io::Result<()> {
        writeln!(self.0, "# {text}\n")
    }

    fn summary(&mut self, text: &str) -> io::Result<()> {
        writeln!(self.0, "{text}\n")
    }

    fn table(&mut self, headings: &[&str], rows: &[Vec<Cell>]) -> io::Result<()> {
        let rule = |h: &&str| if content::is_numeric(h) { "--:" } else { ":--" };
        let rule: Vec<&str> = headings.iter().map(rule).collect();
        let (headings, rule) = (headings.join(" | "), rule.join(" | "));
        writeln!(self.0, "| {headings} |\n| {rule} |")?;
        let cell = |cell: &Cell| match cell {
            Cell::Text(text) => markdown(text),
            Cell::Status(status) => status.to_string(),
            Cell::Number(number) => number.clone(),
            // ASCII in a code span: `+`, `x` and `?` mean nothing there.
            Cell::Strip([]) => NONE.to_owned(),
            Cell::Strip(marks) => format!("`{}`", content::strip(marks, false)),
        };
        for row in rows {
            let cells: Vec<String> = row.iter().map(cell).collect();
            writeln!(self.0, "| {} |", cells.join(" | "))?;
        }
        Ok(())
    }

    fn attention(&mut self, count: usize) -> io::Result<()> {
        let none = ["", "Nothing needs attention.\n\n"][usize::from(count == 0)];
        write!(self.0, "\n## Needs attention\n\n{none}")
    }

    fn job(&mut self, status: Status, title: &str, details: &[(&str, String)]) -> io::Result<()> {
        writeln!(self.0, "### {status}: {title}\n")?;
        list(self.0, details)?;
        writeln!(self.0)
    }

    fn footer(&mut self, items: &[(&str, String)]) -> io::Result<()> {
        writeln!(self.0, "---\n")?;
        list(self.0, items)
    }

    fn causes(&mut self, texts: &[String]) -> io::Result<()> {
        writeln!(self.0, "\n## Causes\n")?;
        (texts.iter()).try_for_each(|text| writeln!(self.0, "- {text}"))
    }
}

fn list(out: &mut dyn io::Write, items: &[(&str, String)]) -> io::Result<()> {
    (items.iter()).try_for_each(|(label, value)| writeln!(out, "- {label}: {value}"))
}

const BODY: &str = "margin:0;padding:16px;font-family:Helvetica,Arial,sans-serif;font-size:14px;color:#222222;background:#ffffff";
const H1: &str = "font-size:20px;margin:0 0 8px 0";
const H2: &str = "font-size:17px;margin:24px 0 8px 0";
const H3: &str = "font-size:15px;margin:16px 0 4px 0";
const P: &str = "margin:0 0 16px 0";
const TABLE: &str = "border-collapse:collapse;margin:0 0 16px 0";
const TH: &str = "border:1px solid #999999;padding:4px 8px;background:#eeeeee;text-align:left";
const TD: &str = "border:1px solid #999999;padding:4px 8px;text-align:left";
const TD_NUMBER: &str = "border:1px solid #999999;padding:4px 8px;text-align:right";
const LABEL: &str = "padding:2px 12px 2px 0;color:#555555;vertical-align:top;white-space:nowrap";
const VALUE: &str = "padding:2px 0;vertical-align:top;word-break:break-all";
const FOOTER: &str = "margin:24px 0 0 0;font-size:12px;color:#555555";
const STRIP: &str = "font-family:monospace;white-space:nowrap";
const MARK: &str = "display:inline-block;width:1.2em;text-align:center";

/// One mark of the strip, coloured, with its meaning as the tooltip.
fn mark(mark: Mark) -> String {
    let (colours, title) = match mark {
        Mark::Ok => (badge(Status::Ok), "ok"),
        Mark::Fail => (badge(Status::Failed), "failed"),
        Mark::Missed => ("color:#000000;background:#dddddd", "expected, never came"),
    };
    let c = mark.symbol(false);
    format!("<span style=\"{MARK};{colours}\" title=\"{title}\">{c}</span>")
}

fn td(style: &str, text: &str) -> String {
    format!("<td style=\"{style}\">{text}</td>")
}

fn badge(status: Status) -> &'static str {
    [
        "color:#ffffff;background:#b00020;font-weight:bold",
        "color:#000000;background:#f5c400;font-weight:bold",
        "color:#ffffff;background:#1f5fa8",
        "color:#ffffff;background:#5a6270",
        "color:#ffffff;background:#1e7e34",
    ][content::tone(status)]
}

/// night-watch's HTML format: one self-contained document for a mail body.
/// Styles are inline only (mail clients drop `<style>` blocks), and a status
/// is shown by its word as well as its colour.
pub(crate) struct Html<'w>(pub(crate) &'w mut dyn io::Write);

impl Markup for Html<'_> {
    fn escape(&self, text: &str) -> String {
        html(text)
    }

    fn start(&mut self, title: &str) -> io::Result<()> {
        writeln!(
            self.0,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <title>{title}</title>\n</head>\n<body style=\"{BODY}\">"
        )
    }

    fn heading(&mut self, text: &str) -> io::Result<()> {
        writeln!(self.0, "<h1 style=\"{H1}\">{text}</h1>")
    }

    fn summary(&mut self, text: &str) -> io::Result<()> {
        writeln!(self.0, "<p style=\"{P}\">{text}</p>")
    }

    fn table(&mut self, headings: &[&str], rows: &[Vec<Cell>]) -> io::Result<()> {
        let th = |heading: &&str| format!("<th style=\"{TH}\">{heading}</th>");
        let ths: String = headings.iter().map(th).collect();
        writeln!(self.0, "<table style=\"{TABLE}\">\n<tr>{ths}</tr>")?;
        let cell = |cell: &Cell| match cell {
            Cell::Text(text) => td(TD, &html(text)),
            Cell::Status(s) => td(&format!("{TD};{}", badge(*s)), s.as_str()),
            Cell::Number(number) => td(TD_NUMBER, number),
            Cell::Strip([]) => td(&format!("{TD};{STRIP}"), NONE),
            Cell::Strip(marks) => {
                let strip: String = marks.iter().map(|&m| mark(m)).collect();
                td(&format!("{TD};{STRIP}"), &strip)
            }
        };
        for row in rows {
            let cells: String = row.iter().map(cell).collect();
            writeln!(self.0, "<tr>{cells}</tr>")?;
        }
        writeln!(self.0, "</table>")
    }

    fn attention(&mut self, count: usize) -> io::Result<()> {
        writeln!(self.0, "<h2 style=\"{H2}\">Needs attention</h2>")?;
        match count {
            0 => self.summary("Nothing needs attention."),
            _ => Ok(()),
        }
    }

    fn job(&mut self, status: Status, title: &str, details: &[(&str, String)]) -> io::Result<()> {
        let badge = badge(status);
        let span = format!("<span style=\"padding:0 4px;{badge}\">{status}</span>");
        writeln!(self.0, "<h3 style=\"{H3}\">{span} {title}</h3>")?;
        writeln!(self.0, "<table style=\"{TABLE}\">")?;
        for (label, value) in details {
            writeln!(self.0, "<tr>{}{}</tr>", td(LABEL, label), td(VALUE, value))?;
        }
        writeln!(self.0, "</table>")
    }

    fn footer(&mut self, items: &[(&str, String)]) -> io::Result<()> {
        let items: Vec<String> = items.iter().map(|(l, v)| format!("{l}: {v}")).collect();
        writeln!(self.0, "<p style=\"{FOOTER}\">{}</p>", items.join("<br>"))
    }

    fn causes(&mut self, texts: &[String]) -> io::Result<()> {
        writeln!(self.0, "<h2 style=\"{H2}\">Causes</h2>\n<ul>")?;
        (texts.iter()).try_for_each(|text| writeln!(self.0, "<li>{text}</li>"))?;
        writeln!(self.0, "</ul>")
    }

    fn end(&mut self) -> io::Result<()> {
        writeln!(self.0, "</body>\n</html>")
    }
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
    use chrono::TimeZone;

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
    fn pipes_in_names_cannot_add_cells() {
        let jobs = vec![Judgement {
            status: Status::Invalid,
            reason: Some("x".to_owned()),
            ..Judgement::missing("a|b|c")
        }];
        let host = "h";
        let report = Report::new(
            Utc.with_ymd_and_hms(2026, 11, 22, 6, 0, 0).unwrap(),
            2.0,
            &jobs,
        );
        let mut out = Vec::new();
        write_page(&mut Markdown(&mut out), host, &report, true).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "| job | status | age | interval | ratio |");
        assert_eq!(lines[1], "| :-- | :-- | --: | --: | --: |");
        assert_eq!(lines[2], "| a\\|b\\|c | invalid | - | - | - |");
        // Five cells in every row: count the unescaped pipes.
        for line in lines {
            let bare = line.replace("\\|", "");
            assert_eq!(bare.matches('|').count(), 6, "{line}");
        }
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
