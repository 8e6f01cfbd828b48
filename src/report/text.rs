//! night-watch's text format: a bordered panel, with UTF-8 borders and
//! status colours on a terminal and plain ASCII without a single escape
//! sequence anywhere else (a pipe into `mail`).

use std::borrow::Cow;
use std::io;

use comfy_table::{presets, Cell as Comfy, CellAlignment, Color, Table};

use super::content::{Layout, Page};
use super::page::{self, Cell, Markup};
use super::runs;
use crate::escape::terminal;
use crate::judge::Status;

/// How the text format may draw. The caller decides from where the output
/// goes: both are for a terminal only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct TextOptions {
    /// Draw the borders with UTF-8 box-drawing characters instead of ASCII.
    pub unicode: bool,
    /// Colour the statuses with ANSI escape sequences.
    pub colour: bool,
}

/// The colour of a status in the panel.
fn colour_of(status: Status) -> Color {
    match status {
        Status::Invalid | Status::Stale | Status::Missing | Status::Failed => Color::Red,
        Status::Failing | Status::Late => Color::Yellow,
        Status::Running => Color::Cyan,
        Status::Paused => Color::Blue,
        Status::Ok => Color::Green,
    }
}

/// The colour of a status in a needs-attention title.
fn sgr_of(status: Status) -> &'static str {
    match colour_of(status) {
        Color::Red => "\x1b[31m",
        Color::Yellow => "\x1b[33m",
        Color::Blue => "\x1b[34m",
        _ => "\x1b[32m",
    }
}

/// The text format's primitives: the panel is a comfy-table, drawn once
/// every row is in.
struct Text {
    options: TextOptions,
    table: Table,
    headings: Vec<&'static str>,
}

impl Text {
    fn new(options: TextOptions) -> Self {
        Text {
            options,
            table: Table::new(),
            headings: Vec::new(),
        }
    }
}

impl Markup for Text {
    fn escape<'t>(&self, text: &'t str) -> Cow<'t, str> {
        terminal(text)
    }

    fn heading(&mut self, out: &mut dyn io::Write, text: &str) -> io::Result<()> {
        writeln!(out, "{text}")
    }

    fn summary(&mut self, out: &mut dyn io::Write, text: &str) -> io::Result<()> {
        writeln!(out, "{text}\n")
    }

    fn table_start(
        &mut self,
        _out: &mut dyn io::Write,
        headings: &[&'static str],
    ) -> io::Result<()> {
        let mut table = Table::new();
        // Whether to draw colours is the caller's decision, not the
        // table's guess from the process's own standard output.
        table.force_no_tty();
        if self.options.colour {
            table.enforce_styling();
        }
        table.load_style(if self.options.unicode {
            presets::UTF8_FULL_CONDENSED
        } else {
            presets::ASCII_FULL_CONDENSED
        });
        table.set_header(headings.to_vec());
        self.table = table;
        self.headings = headings.to_vec();
        Ok(())
    }

    fn table_row(&mut self, _out: &mut dyn io::Write, cells: &[Cell<'_>]) -> io::Result<()> {
        let row = cells.iter().map(|cell| match cell {
            Cell::Text(text) => Comfy::new(terminal(text)),
            Cell::Status(status) if self.options.colour => {
                Comfy::new(status.as_str()).fg(colour_of(*status))
            }
            Cell::Status(status) => Comfy::new(status.as_str()),
            Cell::Number(number) => Comfy::new(number),
            Cell::Strip(runs) => Comfy::new(runs.strip(self.options.unicode)),
        });
        self.table.add_row(row.collect::<Vec<_>>());
        Ok(())
    }

    fn table_end(&mut self, out: &mut dyn io::Write) -> io::Result<()> {
        for (column, heading) in self.headings.iter().enumerate() {
            if let (true, Some(c)) = (runs::is_numeric(heading), self.table.column_mut(column)) {
                c.set_cell_alignment(CellAlignment::Right);
            }
        }
        writeln!(out, "{}", self.table)
    }

    fn attention(&mut self, out: &mut dyn io::Write, count: usize) -> io::Result<()> {
        match count {
            0 => writeln!(out, "\nNothing needs attention."),
            n => writeln!(out, "\nNeeds attention ({n}):"),
        }
    }

    fn job(&mut self, out: &mut dyn io::Write, status: Status, title: &str) -> io::Result<()> {
        if self.options.colour {
            writeln!(out, "\n{}{status}\x1b[0m  {title}", sgr_of(status))
        } else {
            writeln!(out, "\n{status}  {title}")
        }
    }

    fn detail(&mut self, out: &mut dyn io::Write, label: &str, value: &str) -> io::Result<()> {
        writeln!(out, "  {label:<10} {value}")
    }

    fn footer_start(&mut self, out: &mut dyn io::Write) -> io::Result<()> {
        writeln!(out)
    }

    fn footer_item(
        &mut self,
        out: &mut dyn io::Write,
        _first: bool,
        label: &str,
        value: &str,
    ) -> io::Result<()> {
        writeln!(out, "{label}: {value}")
    }
}

/// Writes the page as text: the panel alone, or the whole report.
pub(crate) fn write_text(
    out: &mut impl io::Write,
    page: &Page,
    layout: Layout,
    options: TextOptions,
) -> io::Result<()> {
    page::write_page(out, &mut Text::new(options), page, layout)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::Judgement;
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
