//! night-watch's HTML format: one self-contained document for a mail body.
//! Styles are inline only (mail clients drop `<style>` blocks), and a status
//! is shown by its word as well as its colour.

use std::io;

use super::content::{self, Cell};
use super::Markup;
use crate::escape::html;
use crate::history::Mark;
use crate::judge::Status;

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
        write!(self.0, "<table style=\"{TABLE}\">\n<tr>")?;
        for heading in headings {
            write!(self.0, "<th style=\"{TH}\">{heading}</th>")?;
        }
        writeln!(self.0, "</tr>")?;
        for row in rows {
            write!(self.0, "<tr>")?;
            for cell in row {
                let (style, text) = match cell {
                    Cell::Text(text) => (TD.into(), html(text)),
                    Cell::Status(s) => (format!("{TD};{}", badge(*s)), s.to_string()),
                    Cell::Number(number) => (TD_NUMBER.into(), number.clone()),
                    Cell::Strip([]) => (format!("{TD};{STRIP}"), content::NONE.into()),
                    Cell::Strip(marks) => (
                        format!("{TD};{STRIP}"),
                        marks.iter().map(|&m| mark(m)).collect(),
                    ),
                };
                write!(self.0, "{}", td(&style, &text))?;
            }
            writeln!(self.0, "</tr>")?;
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
