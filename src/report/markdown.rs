//! night-watch's Markdown format: GitHub-flavoured, for Gitea and GitHub.

use std::io;

use super::content::{self, Cell, NONE};
use super::Markup;
use crate::escape::markdown;
use crate::judge::Status;

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
        let rule: Vec<&str> = (headings.iter())
            .map(|h| if content::is_numeric(h) { "--:" } else { ":--" })
            .collect();
        let (headings, rule) = (headings.join(" | "), rule.join(" | "));
        writeln!(self.0, "| {headings} |\n| {rule} |")?;
        for row in rows {
            let cells: Vec<String> = (row.iter())
                .map(|cell| match cell {
                    Cell::Text(text) => markdown(text),
                    Cell::Status(status) => status.to_string(),
                    Cell::Number(number) => number.clone(),
                    // ASCII in a code span: `+`, `x` and `?` mean nothing there.
                    Cell::Strip([]) => NONE.to_owned(),
                    Cell::Strip(marks) => format!("`{}`", content::strip(marks, false)),
                })
                .collect();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::Judgement;
    use crate::report::{write_page, Report};
    use chrono::{TimeZone, Utc};

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
}
