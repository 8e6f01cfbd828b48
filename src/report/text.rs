//! The text formats: hb-check's lines, and night-watch's panel, with UTF-8
//! borders and colours on a terminal and plain ASCII without a single escape
//! sequence anywhere else (a pipe into `mail`).

use std::io;

use comfy_table::{presets, Cell as Comfy, CellAlignment, Table};

use super::content::{self, due, entries, format_ratio, job_name, several_hosts, Cell};
use crate::escape::terminal;
use crate::judge::{Judgement, Status};
use crate::record::format_duration;

/// The quorum rules worth saying, then a line per job or group of `fleet`; without `all`,
/// no ok or paused job: a run whose exit code is 0 prints nothing, so cron mails nothing.
pub(crate) fn write_lines(
    out: &mut impl io::Write,
    jobs: &[Judgement],
    fleet: &crate::fleet::Fleet,
    all: bool,
) -> io::Result<()> {
    for verdict in fleet.quorum.iter().filter(|q| q.worth_saying()) {
        writeln!(out, "{}", terminal(&verdict.line()))?;
    }
    let several = several_hosts(jobs);
    let quiet = |s: Status| s.is_healthy() || s == Status::Paused;
    for (j, group) in entries(jobs.iter().filter(|j| all || !quiet(j.status)), fleet) {
        match group {
            Some(group) => writeln!(out, "{}", terminal(&group.line()))?,
            None => write_line(out, j, &job_name(j.host.as_deref(), &j.job, several), "")?,
        }
    }
    Ok(())
}

/// One job's line, `name status: age, interval, ratio: reason`, `tag` (escaped) after the status.
pub(crate) fn write_line(
    out: &mut impl io::Write,
    j: &Judgement,
    name: &str,
    tag: &str,
) -> io::Result<()> {
    write!(out, "{} {}{tag}", terminal(name), j.status)?;
    if let Some(due) = due(j) {
        match j.age_seconds {
            Some(age) => write!(out, ": age {}, due {due}", format_duration(age))?,
            None => write!(out, ": due {due}")?,
        }
    } else if let (Some(age), Some(interval)) = (j.age_seconds, j.interval_seconds) {
        let (age, interval) = (format_duration(age), format_duration(interval));
        let ratio = format_ratio(j.ratio);
        write!(out, ": age {age}, interval {interval}, ratio {ratio}")?;
    }
    match &j.reason {
        Some(reason) => writeln!(out, ": {}", terminal(reason)),
        None => writeln!(out),
    }
}

/// How the text format may draw: both are for a terminal only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Text {
    pub unicode: bool,
    pub colour: bool,
}

fn sgr_of(status: Status) -> &'static str {
    ["\x1b[31m", "\x1b[33m", "\x1b[36m", "\x1b[34m", "\x1b[32m"][content::tone(status)]
}
const RESET: &str = "\x1b[0m";

/// Where a status colour starts and ends in a laid-out panel: zero-width,
/// so the table measures nothing, and in no other cell raw ([`terminal`]).
const COLOUR_START: char = '\u{200b}';
const COLOUR_END: char = '\u{200c}';

pub(crate) struct TextPage<'w>(pub(crate) &'w mut dyn io::Write, pub(crate) Text);

impl super::Markup for TextPage<'_> {
    fn escape(&self, text: &str) -> String {
        terminal(text).into_owned()
    }

    fn heading(&mut self, text: &str) -> io::Result<()> {
        writeln!(self.0, "{text}")
    }

    fn summary(&mut self, text: &str) -> io::Result<()> {
        writeln!(self.0, "{text}\n")
    }

    fn table(&mut self, headings: &[&str], rows: &[Vec<Cell>]) -> io::Result<()> {
        let Text { unicode, colour } = self.1;
        let mut table = Table::new();
        let style = [presets::ASCII_FULL_CONDENSED, presets::UTF8_FULL_CONDENSED];
        table.load_style(style[usize::from(unicode)]);
        table.set_header(headings.to_vec());
        for row in rows {
            let row = row.iter().map(|cell| match cell {
                Cell::Text(text) => Comfy::new(terminal(text)),
                Cell::Status(s) if colour => Comfy::new(format!("{COLOUR_START}{s}{COLOUR_END}")),
                Cell::Status(status) => Comfy::new(status.as_str()),
                Cell::Number(number) => Comfy::new(number),
                Cell::Strip(marks) => Comfy::new(content::strip(marks, unicode)),
            });
            table.add_row(row.collect::<Vec<_>>());
        }
        let columns = table.column_iter_mut().zip(headings);
        for (column, _) in columns.filter(|(_, h)| content::is_numeric(h)) {
            column.set_cell_alignment(CellAlignment::Right);
        }
        let mut table = table.to_string();
        if colour {
            // The colour marks around each status made its colour.
            for s in Status::ALL {
                table = table.replace(&format!("{COLOUR_START}{s}"), &format!("{}{s}", sgr_of(s)));
            }
            table = table.replace(COLOUR_END, RESET);
        }
        writeln!(self.0, "{table}")
    }

    fn attention(&mut self, count: usize) -> io::Result<()> {
        match count {
            0 => writeln!(self.0, "\nNothing needs attention."),
            n => writeln!(self.0, "\nNeeds attention ({n}):"),
        }
    }

    fn job(&mut self, status: Status, title: &str, details: &[(&str, String)]) -> io::Result<()> {
        let (on, off) = [("", ""), (sgr_of(status), RESET)][usize::from(self.1.colour)];
        writeln!(self.0, "\n{on}{status}{off}  {title}")?;
        (details.iter()).try_for_each(|(label, value)| writeln!(self.0, "  {label:<10} {value}"))
    }

    fn footer(&mut self, items: &[(&str, String)]) -> io::Result<()> {
        writeln!(self.0)?;
        (items.iter()).try_for_each(|(label, value)| writeln!(self.0, "{label}: {value}"))
    }

    fn causes(&mut self, texts: &[String]) -> io::Result<()> {
        writeln!(self.0, "\nCauses:")?;
        (texts.iter()).try_for_each(|text| writeln!(self.0, "  {text}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::Judgement;
    use crate::report::{write_page, Report};
    use chrono::{TimeZone, Utc};

    fn jobs() -> Vec<Judgement> {
        let bad = |name: &str, status| Judgement {
            host: Some("web1".to_owned()),
            status,
            age_seconds: Some(7200),
            interval_seconds: Some(3600),
            ratio: Some(2.0),
            reason: Some("r".to_owned()),
            message: Some("evil \x1b[31m message".to_owned()),
            ..Judgement::missing(name)
        };
        vec![
            bad("evil\x1b[2J|<script>", Status::Stale),
            bad("fine", Status::Ok),
        ]
    }

    fn render(panel: bool, options: Text) -> String {
        render_jobs(&jobs(), panel, options)
    }

    const UTF8: Text = Text {
        unicode: true,
        colour: false,
    };

    fn render_jobs(jobs: &[Judgement], panel: bool, options: Text) -> String {
        let host = "web1";
        let report = Report::new(
            Utc.with_ymd_and_hms(2026, 11, 22, 6, 0, 0).unwrap(),
            2.0,
            jobs,
        );
        let mut out = Vec::new();
        write_page(&mut TextPage(&mut out, options), host, &report, panel).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_terminal_gets_utf8_borders_and_colour() {
        for panel in [true, false] {
            let text = render(
                panel,
                Text {
                    colour: true,
                    ..UTF8
                },
            );
            assert!(text.contains('┌') && text.contains('│'), "{text}");
            assert!(text.contains("\x1b["), "colour expected: {text:?}");
            // Only the statuses are coloured; the job's own escape is inert.
            assert!(!text.contains("\x1b[2J"), "{text:?}");
            assert!(text.contains("evil\\u{1b}[2J|<script>"), "{text:?}");
        }
    }

    #[test]
    fn colour_leaves_the_layout_as_it_is() {
        let (plain, colour) = (
            UTF8,
            Text {
                colour: true,
                ..UTF8
            },
        );
        // Wide, zero-width and combining characters, and the marks
        // themselves, in the cells before the status.
        let mut jobs = jobs();
        jobs[0].job.push('\u{200b}');
        jobs[1].job = "f\u{fe0f}ine \u{5bbd}\u{301}".to_owned();
        jobs[1].host = Some("\u{200c}h\u{5bbd}".to_owned());
        for panel in [true, false] {
            let coloured = render_jobs(&jobs, panel, colour);
            let mut stripped = coloured.clone();
            for status in [Status::Stale, Status::Ok] {
                stripped = stripped.replace(sgr_of(status), "");
            }
            let stripped = stripped.replace(RESET, "");
            assert_eq!(stripped, render_jobs(&jobs, panel, plain), "{coloured:?}");
            // Each row's status is the one coloured, with its own colour.
            assert!(coloured.contains("\x1b[31mstale\x1b[0m  "), "{coloured}");
            assert!(coloured.contains("\x1b[32mok\x1b[0m     "), "{coloured}");
        }
    }

    #[test]
    fn without_colour_there_is_no_escape_at_all() {
        for panel in [true, false] {
            let text = render(panel, UTF8);
            assert!(text.contains('┌'), "{text}");
            assert!(!text.contains('\x1b'), "{text:?}");
        }
    }

    #[test]
    fn plain_output_is_ascii() {
        for panel in [true, false] {
            let text = render(panel, Text::default());
            assert!(text.starts_with('+') || !panel, "{text}");
            assert!(text.contains("+====="), "{text}");
            assert!(text.is_ascii(), "{text}");
            assert!(!text.contains('\x1b'), "{text:?}");
        }
    }
}
