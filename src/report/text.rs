//! night-watch's text format: a comfy-table panel, with UTF-8 borders and
//! status colours on a terminal and plain ASCII without a single escape
//! sequence anywhere else (a pipe into `mail`).

use std::io;

use comfy_table::{presets, Cell, CellAlignment, Color, Table};

use super::nightly::{self, Layout, Page};
use super::runs;
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

fn colour_of(status: Status) -> Color {
    match status {
        Status::Invalid | Status::Stale | Status::Missing | Status::Failed => Color::Red,
        Status::Failing | Status::Late => Color::Yellow,
        Status::Running => Color::Cyan,
        Status::Paused => Color::Blue,
        Status::Ok => Color::Green,
    }
}

fn sgr_of(status: Status) -> &'static str {
    match colour_of(status) {
        Color::Red => "\x1b[31m",
        Color::Yellow => "\x1b[33m",
        Color::Blue => "\x1b[34m",
        _ => "\x1b[32m",
    }
}

/// The panel as a comfy-table, every untrusted cell escaped.
fn table(jobs: &[Judgement], options: TextOptions) -> Table {
    let (headings, rows) = nightly::panel(jobs);
    let mut table = Table::new();
    // Never let comfy-table look at the real stdout: what to draw is decided
    // by `options` alone.
    table.force_no_tty();
    if options.colour {
        table.enforce_styling();
    }
    table.load_style(if options.unicode {
        presets::UTF8_FULL_CONDENSED
    } else {
        presets::ASCII_FULL_CONDENSED
    });
    table.set_header(headings.clone());
    for row in rows {
        let mut cells = Vec::with_capacity(headings.len());
        if let Some(host) = row.host {
            cells.push(Cell::new(terminal(host)));
        }
        cells.push(Cell::new(terminal(row.job)));
        let status = Cell::new(row.status.as_str());
        cells.push(if options.colour {
            status.fg(colour_of(row.status))
        } else {
            status
        });
        cells.extend([row.age, row.interval, row.ratio].map(Cell::new));
        if let Some(runs) = row.runs {
            cells.push(Cell::new(runs.strip(options.unicode)));
            cells.extend([runs.success, runs.median].map(Cell::new));
        }
        table.add_row(cells);
    }
    for (column, heading) in headings.iter().enumerate() {
        if let (true, Some(c)) = (runs::is_numeric(heading), table.column_mut(column)) {
            c.set_cell_alignment(CellAlignment::Right);
        }
    }
    table
}

/// Writes the page as text: the panel alone, or the whole report.
pub fn write_text(
    out: &mut impl io::Write,
    page: &Page,
    layout: Layout,
    options: TextOptions,
) -> io::Result<()> {
    let report = &page.report;
    let panel = table(report.jobs, options);
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
mod tests {
    use super::*;
    use crate::report::Report;
    use chrono::{TimeZone, Utc};

    fn jobs() -> Vec<Judgement> {
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
