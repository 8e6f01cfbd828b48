//! night-watch's HTML format: one self-contained document for a mail body.
//! Styles are inline only (mail clients drop `<style>` blocks), a status is
//! shown by its word as well as its colour, and every piece of text from
//! heartbeat files is escaped.

use std::io;

use super::nightly::{self, Layout, Page};
use crate::escape::html;
use crate::history::Mark;
use crate::judge::{Judgement, Status};

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

/// The cell of the strip of recent runs: monospace, no wrapping.
const STRIP: &str = "font-family:monospace;white-space:nowrap";

/// One mark of the strip: a small coloured block with its character.
fn mark_style(mark: Mark) -> &'static str {
    match mark {
        Mark::Ok => "display:inline-block;width:1.2em;text-align:center;color:#ffffff;background:#1e7e34",
        Mark::Fail => "display:inline-block;width:1.2em;text-align:center;color:#ffffff;background:#b00020;font-weight:bold",
        Mark::Missed => "display:inline-block;width:1.2em;text-align:center;color:#000000;background:#dddddd",
    }
}

/// What a mark means, for the tooltip.
fn mark_title(mark: Mark) -> &'static str {
    match mark {
        Mark::Ok => "ok",
        Mark::Fail => "failed",
        Mark::Missed => "expected, never came",
    }
}

/// The text and background colour of a status badge.
fn badge(status: Status) -> &'static str {
    match status {
        Status::Invalid | Status::Stale | Status::Missing | Status::Failed => {
            "color:#ffffff;background:#b00020;font-weight:bold"
        }
        Status::Failing | Status::Late => "color:#000000;background:#f5c400;font-weight:bold",
        Status::Running => "color:#ffffff;background:#1f5fa8",
        Status::Paused => "color:#ffffff;background:#5a6270",
        Status::Ok => "color:#ffffff;background:#1e7e34",
    }
}

fn write_panel(out: &mut impl io::Write, jobs: &[Judgement]) -> io::Result<()> {
    let (headings, rows) = nightly::panel(jobs);
    writeln!(out, "<table style=\"{TABLE}\">")?;
    write!(out, "<tr>")?;
    for heading in &headings {
        write!(out, "<th style=\"{TH}\">{heading}</th>")?;
    }
    writeln!(out, "</tr>")?;
    for row in rows {
        write!(out, "<tr>")?;
        if let Some(host) = row.host {
            write!(out, "<td style=\"{TD}\">{}</td>", html(host))?;
        }
        write!(out, "<td style=\"{TD}\">{}</td>", html(row.job))?;
        write!(
            out,
            "<td style=\"{TD};{}\">{}</td>",
            badge(row.status),
            row.status
        )?;
        for number in [row.age, row.interval, row.ratio] {
            write!(out, "<td style=\"{TD_NUMBER}\">{number}</td>")?;
        }
        if let Some(runs) = row.runs {
            write!(out, "<td style=\"{TD};{STRIP}\">")?;
            if runs.marks.is_empty() {
                write!(out, "{}", nightly::NONE)?;
            }
            for mark in runs.marks {
                write!(
                    out,
                    "<span style=\"{}\" title=\"{}\">{}</span>",
                    mark_style(*mark),
                    mark_title(*mark),
                    mark.ascii()
                )?;
            }
            write!(out, "</td>")?;
            for number in [runs.success, runs.median] {
                write!(out, "<td style=\"{TD_NUMBER}\">{number}</td>")?;
            }
        }
        writeln!(out, "</tr>")?;
    }
    writeln!(out, "</table>")
}

fn write_attention(out: &mut impl io::Write, page: &Page) -> io::Result<()> {
    let report = &page.report;
    let several = nightly::several_hosts(report.jobs);
    let bad: Vec<&Judgement> = nightly::needs_attention(report.jobs).collect();
    writeln!(out, "<h2 style=\"{H2}\">Needs attention</h2>")?;
    if bad.is_empty() {
        writeln!(out, "<p style=\"{P}\">Nothing needs attention.</p>")?;
    }
    for job in bad {
        writeln!(
            out,
            "<h3 style=\"{H3}\"><span style=\"padding:0 4px;{}\">{}</span> {}</h3>",
            badge(job.status),
            job.status,
            html(&nightly::attention_title(job, several))
        )?;
        writeln!(out, "<table style=\"{TABLE}\">")?;
        for (label, value) in nightly::details(job, report.checked_at) {
            writeln!(
                out,
                "<tr><td style=\"{LABEL}\">{label}</td><td style=\"{VALUE}\">{}</td></tr>",
                html(&value)
            )?;
        }
        writeln!(out, "</table>")?;
    }
    Ok(())
}

/// Writes the page as one HTML document: the panel alone, or the whole
/// report.
pub fn write_html(out: &mut impl io::Write, page: &Page, layout: Layout) -> io::Result<()> {
    let report = &page.report;
    let heading = nightly::heading(&html(page.host), report.checked_at);
    writeln!(out, "<!DOCTYPE html>")?;
    writeln!(out, "<html lang=\"en\">")?;
    writeln!(out, "<head>")?;
    writeln!(out, "<meta charset=\"utf-8\">")?;
    writeln!(out, "<title>{heading}</title>")?;
    writeln!(out, "</head>")?;
    writeln!(out, "<body style=\"{BODY}\">")?;
    if layout == Layout::Report {
        writeln!(out, "<h1 style=\"{H1}\">{heading}</h1>")?;
        writeln!(
            out,
            "<p style=\"{P}\">{}</p>",
            nightly::summary_line(report.jobs)
        )?;
    }
    write_panel(out, report.jobs)?;
    if layout == Layout::Report {
        write_attention(out, page)?;
        write!(out, "<p style=\"{FOOTER}\">")?;
        for (i, (label, value)) in nightly::footer(report).into_iter().enumerate() {
            if i > 0 {
                write!(out, "<br>")?;
            }
            write!(out, "{label}: {}", html(&value))?;
        }
        writeln!(out, "</p>")?;
    }
    writeln!(out, "</body>")?;
    writeln!(out, "</html>")
}
