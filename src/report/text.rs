//! night-watch's text format: a bordered panel, with UTF-8 borders and
//! status colours on a terminal and plain ASCII without a single escape
//! sequence anywhere else (a pipe into `mail`).

use std::io;

use super::nightly::{self, Layout, Page};
use super::runs;
use super::table::{Align, Colour, Grid, ASCII, UTF8};
use crate::escape::terminal;
use crate::judge::{Judgement, Status};

/// How the text format may draw. The caller decides from where the output
/// goes: both are for a terminal only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TextOptions {
    /// Draw the borders with UTF-8 box-drawing characters instead of ASCII.
    pub unicode: bool,
    /// Colour the statuses with ANSI escape sequences.
    pub colour: bool,
}

fn colour_of(status: Status) -> Colour {
    match status {
        Status::Invalid | Status::Stale | Status::Missing | Status::Failed => Colour::Red,
        Status::Failing | Status::Late => Colour::Yellow,
        Status::Running => Colour::Cyan,
        Status::Paused => Colour::Blue,
        Status::Ok => Colour::Green,
    }
}

fn sgr_of(status: Status) -> &'static str {
    match colour_of(status) {
        Colour::Red => "\x1b[31m",
        Colour::Yellow => "\x1b[33m",
        Colour::Blue => "\x1b[34m",
        _ => "\x1b[32m",
    }
}

/// The panel as a table, every untrusted cell escaped.
fn table(jobs: &[Judgement], options: TextOptions) -> Grid {
    let (headings, rows) = nightly::panel(jobs);
    let align = |h: &'static str| {
        if runs::is_numeric(h) {
            Align::Right
        } else {
            Align::Left
        }
    };
    let mut grid = Grid::new(headings.iter().map(|&h| (h, align(h))), rows.len());
    for row in rows {
        if let Some(host) = row.host {
            grid.push(&terminal(host), None);
        }
        grid.push(&terminal(row.job), None);
        grid.push(row.status.as_str(), Some(colour_of(row.status)));
        for cell in [row.age, row.interval, row.ratio] {
            grid.push(&cell, None);
        }
        if let Some(runs) = row.runs {
            grid.push(&runs.strip(options.unicode), None);
            grid.push(&runs.success, None);
            grid.push(&runs.median, None);
        }
    }
    grid
}

/// The panel drawn as `options` allow, without a final newline.
fn draw(grid: &Grid, options: TextOptions) -> String {
    let borders = if options.unicode { &UTF8 } else { &ASCII };
    let mut out = String::new();
    grid.draw(&mut out, borders, options.colour);
    out
}

/// Writes the page as text: the panel alone, or the whole report.
pub fn write_text(
    out: &mut impl io::Write,
    page: &Page,
    layout: Layout,
    options: TextOptions,
) -> io::Result<()> {
    let report = &page.report;
    let panel = draw(&table(report.jobs, options), options);
    if layout == Layout::Panel {
        return writeln!(out, "{panel}");
    }
    writeln!(
        out,
        "{}",
        nightly::heading(&terminal(page.host), report.checked_at)
    )?;
    writeln!(out, "{}", nightly::summary_line(report.jobs))?;
    writeln!(out)?;
    writeln!(out, "{panel}")?;
    writeln!(out)?;
    let several = nightly::several_hosts(report.jobs);
    let bad: Vec<&Judgement> = nightly::needs_attention(report.jobs).collect();
    if bad.is_empty() {
        writeln!(out, "Nothing needs attention.")?;
    } else {
        writeln!(out, "Needs attention ({}):", bad.len())?;
    }
    for job in bad {
        writeln!(out)?;
        let title = terminal(&nightly::attention_title(job, several)).into_owned();
        if options.colour {
            writeln!(out, "{}{}\x1b[0m  {title}", sgr_of(job.status), job.status)?;
        } else {
            writeln!(out, "{}  {title}", job.status)?;
        }
        for (label, value) in nightly::details(job, report.checked_at) {
            writeln!(out, "  {label:<10} {}", terminal(&value))?;
        }
    }
    writeln!(out)?;
    for (label, value) in nightly::footer(report) {
        writeln!(out, "{label}: {}", terminal(&value))?;
    }
    Ok(())
}

#[cfg(test)]
mod same_as_comfy;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Report;
    use chrono::{TimeZone, Utc};

    pub(super) fn jobs() -> Vec<Judgement> {
        let bad = |name: &str, status| Judgement {
            job: name.to_owned(),
            host: Some("web1".to_owned()),
            status,
            timestamp: None,
            age_seconds: Some(7200),
            interval_seconds: Some(3600),
            ratio: Some(2.0),
            reason: Some("r".to_owned()),
            path: None,
            exit_code: None,
            message: Some("evil \x1b[31m message".to_owned()),
            pause: None,
            consecutive_failures: None,
            recent: None,
            expected: None,
            duplicates: Vec::new(),
        };
        vec![
            bad("evil\x1b[2J|<script>", Status::Stale),
            bad("fine", Status::Ok),
        ]
    }

    fn render(layout: Layout, options: TextOptions) -> String {
        let jobs = jobs();
        let page = Page {
            host: "web1",
            report: Report {
                checked_at: Utc.with_ymd_and_hms(2026, 11, 22, 6, 0, 0).unwrap(),
                factor: 2.0,
                jobs: &jobs,
                dirs: &[],
            },
        };
        let mut out = Vec::new();
        write_text(&mut out, &page, layout, options).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_terminal_gets_utf8_borders_and_colour() {
        let options = TextOptions {
            unicode: true,
            colour: true,
        };
        for layout in [Layout::Panel, Layout::Report] {
            let text = render(layout, options);
            assert!(text.contains('┌') && text.contains('│'), "{text}");
            assert!(text.contains("\x1b["), "colour expected: {text:?}");
            // Only the statuses are coloured; the job's own escape is inert.
            assert!(!text.contains("\x1b[2J"), "{text:?}");
            assert!(text.contains("evil\\u{1b}[2J|<script>"), "{text:?}");
        }
    }

    #[test]
    fn without_colour_there_is_no_escape_at_all() {
        let options = TextOptions {
            unicode: true,
            colour: false,
        };
        for layout in [Layout::Panel, Layout::Report] {
            let text = render(layout, options);
            assert!(text.contains('┌'), "{text}");
            assert!(!text.contains('\x1b'), "{text:?}");
        }
    }

    #[test]
    fn plain_output_is_ascii() {
        for layout in [Layout::Panel, Layout::Report] {
            let text = render(layout, TextOptions::default());
            assert!(text.starts_with('+') || layout == Layout::Report, "{text}");
            assert!(text.contains("+====="), "{text}");
            assert!(text.is_ascii(), "{text}");
            assert!(!text.contains('\x1b'), "{text:?}");
        }
    }
}
