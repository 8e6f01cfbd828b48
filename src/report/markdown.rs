//! night-watch's Markdown format: GitHub-flavoured tables that render on
//! Gitea and GitHub, every piece of text from heartbeat files escaped.

use std::io;

use super::nightly::{self, Layout, Page};
use super::runs;
use crate::escape::markdown;
use crate::judge::Judgement;

fn write_panel(out: &mut impl io::Write, jobs: &[Judgement]) -> io::Result<()> {
    let (headings, rows) = nightly::panel(jobs);
    writeln!(out, "| {} |", headings.join(" | "))?;
    let rule: Vec<&str> = headings
        .iter()
        .map(|h| if runs::is_numeric(h) { "--:" } else { ":--" })
        .collect();
    writeln!(out, "| {} |", rule.join(" | "))?;
    for row in rows {
        let mut cells = Vec::with_capacity(headings.len());
        if let Some(host) = row.host {
            cells.push(markdown(host));
        }
        cells.push(markdown(row.job));
        cells.push(row.status.as_str().to_owned());
        cells.extend([row.age, row.interval, row.ratio]);
        if let Some(runs) = row.runs {
            // ASCII in a code span: `+`, `x` and `?` mean nothing there.
            cells.push(match runs.marks.is_empty() {
                true => runs.strip(false),
                false => format!("`{}`", runs.strip(false)),
            });
            cells.extend([runs.success, runs.median]);
        }
        writeln!(out, "| {} |", cells.join(" | "))?;
    }
    Ok(())
}

/// Writes the page as Markdown: the panel alone, or the whole report.
pub fn write_markdown(out: &mut impl io::Write, page: &Page, layout: Layout) -> io::Result<()> {
    let report = &page.report;
    if layout == Layout::Panel {
        return write_panel(out, report.jobs);
    }
    writeln!(
        out,
        "# {}",
        nightly::heading(&markdown(page.host), report.checked_at)
    )?;
    writeln!(out)?;
    writeln!(out, "{}", nightly::summary_line(report.jobs))?;
    writeln!(out)?;
    write_panel(out, report.jobs)?;
    writeln!(out)?;
    let several = nightly::several_hosts(report.jobs);
    let bad: Vec<&Judgement> = nightly::needs_attention(report.jobs).collect();
    writeln!(out, "## Needs attention")?;
    writeln!(out)?;
    if bad.is_empty() {
        writeln!(out, "Nothing needs attention.")?;
        writeln!(out)?;
    }
    for job in bad {
        let title = markdown(&nightly::attention_title(job, several));
        writeln!(out, "### {}: {title}", job.status)?;
        writeln!(out)?;
        for (label, value) in nightly::details(job, report.checked_at) {
            writeln!(out, "- {label}: {}", markdown(&value))?;
        }
        writeln!(out)?;
    }
    writeln!(out, "---")?;
    writeln!(out)?;
    for (label, value) in nightly::footer(report) {
        writeln!(out, "- {label}: {}", markdown(&value))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::Status;
    use crate::report::Report;
    use chrono::{TimeZone, Utc};

    #[test]
    fn pipes_in_names_cannot_add_cells() {
        let jobs = vec![Judgement {
            job: "a|b|c".to_owned(),
            host: None,
            status: Status::Invalid,
            timestamp: None,
            age_seconds: None,
            interval_seconds: None,
            ratio: None,
            reason: Some("x".to_owned()),
            path: None,
            exit_code: None,
            message: None,
            pause: None,
            consecutive_failures: None,
            recent: None,
            expected: None,
            duplicates: Vec::new(),
        }];
        let page = Page {
            host: "h",
            report: Report {
                checked_at: Utc.with_ymd_and_hms(2026, 11, 22, 6, 0, 0).unwrap(),
                factor: 2.0,
                jobs: &jobs,
                dirs: &[],
            },
        };
        let mut out = Vec::new();
        write_markdown(&mut out, &page, Layout::Panel).unwrap();
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
