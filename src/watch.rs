//! The report run, the library side of night-watch: locate the heartbeat
//! directories, scan and judge, and render the panel, the report or the
//! subject line in the format asked for.

use std::io::{self, IsTerminal, Write};

use clap::builder::BoolishValueParser;
use clap::{Parser, ValueEnum};

use crate::cli::{self, JudgeArgs};
use crate::error::Error;
use crate::exit_code::Report as Code;
use crate::metrics;
use crate::report::{self, nightly, Layout, Page, Report, TextOptions};
use crate::run;

/// The program's name, first on every line it writes to standard error.
pub const PROGRAM: &str = "night-watch";

/// Show the state of every cron job: the heartbeat panel and the nightly
/// report.
///
/// Reads every `*.last` heartbeat in the heartbeat directories and one level
/// of subdirectories (`--dir /srv/heartbeats/hosts` reads `web1/*.last` and
/// `web2/*.last` gathered from several machines, and adds a host column),
/// judges each job like hb-check, and prints a report: a heading, a summary,
/// the panel (one row per job, worst first), the details of every job that
/// needs attention (all but ok, late included) and a footer. With --panel
/// only the panel is printed; with --subject, one line for a mail subject.
///
/// A report of stale jobs is still a good report: the exit code says only
/// whether one could be made.
#[derive(Debug, Parser)]
#[command(
    name = PROGRAM,
    version,
    after_help = "Formats:\n  text      a table; UTF-8 borders and colours on a terminal (not with NO_COLOR),\n            plain ASCII without escape sequences anywhere else\n  markdown  GitHub-flavoured Markdown (Gitea, GitHub)\n  html      one self-contained HTML document with inline styles, for a mail body\n  json      the document of `hb-check --format json`\n  prometheus  the Prometheus text format, for node_exporter's textfile collector\n\nExample, from cron:\n  night-watch --panel | mail -s \"$(night-watch --subject)\" ops@example.com\n\nExit codes:\n  0  the report was rendered, whatever it says\n  3  nothing could be read (no heartbeat directory, unreadable directory),\n     or bad usage"
)]
pub struct Args {
    /// Which heartbeats to read and how to judge them.
    #[command(flatten)]
    pub judge: JudgeArgs,

    /// Print only the panel, the table of jobs. (HB_PANEL takes 1, true,
    /// yes or on, and 0, false, no or off.)
    #[arg(long, env = "HB_PANEL", value_parser = BoolishValueParser::new())]
    pub panel: bool,

    /// Output format.
    #[arg(long, value_enum, env = "HB_REPORT_FORMAT", default_value = "text")]
    pub format: Format,

    /// Print one line for a mail subject, such as `night-watch web1: 1
    /// stale, 1 late, 10 ok` or `night-watch web1: all 12 jobs ok`, and
    /// nothing else; --panel and --format do not apply.
    #[arg(long)]
    pub subject: bool,

    /// The host named in the heading and the subject. [default: this
    /// machine's host name]
    #[arg(long, value_name = "NAME", env = "HB_HOST")]
    pub host: Option<String>,
}

/// night-watch's output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table for a terminal or a plain-text mail.
    Text,
    /// GitHub-flavoured Markdown.
    Markdown,
    /// One self-contained HTML document.
    Html,
    /// The JSON document of `hb-check --format json`.
    Json,
    /// The Prometheus text format.
    Prometheus,
}

/// Runs night-watch with `args`, printing to standard output, and returns
/// the exit code.
pub fn run(args: &Args) -> Code {
    let stdout = io::stdout();
    let terminal = stdout.is_terminal();
    run_to(args, &mut stdout.lock(), terminal)
}

/// Runs night-watch with `args`, printing the report to `stdout`, and
/// returns the exit code. `terminal` says whether `stdout` is a terminal,
/// which allows borders drawn in Unicode and colours in text output.
pub fn run_to(args: &Args, stdout: &mut dyn Write, terminal: bool) -> Code {
    match try_run(args, stdout, terminal) {
        Ok(code) => code,
        Err(err) => {
            cli::report_error(PROGRAM, &err);
            Code::Unreadable
        }
    }
}

fn try_run(args: &Args, stdout: &mut dyn Write, terminal: bool) -> Result<Code, Error> {
    let dirs = run::locate(&args.judge)?;
    let judged = run::judge(&args.judge, dirs)?;
    let host = args.host.clone().unwrap_or_else(crate::hostname);
    let page = Page {
        host: &host,
        report: Report {
            checked_at: judged.policy.now,
            factor: judged.policy.factor,
            jobs: &judged.jobs,
            dirs: &judged.dirs,
        },
    };
    let layout = if args.panel {
        Layout::Panel
    } else {
        Layout::Report
    };
    let mut out = Vec::new();
    let written = match args.format {
        _ if args.subject => {
            out = format!("{}\n", nightly::subject(page.host, page.report.jobs)).into_bytes();
            Ok(())
        }
        Format::Text => {
            let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
            let options = TextOptions {
                unicode: terminal,
                colour: terminal && !no_color,
            };
            report::write_text(&mut out, &page, layout, options)
        }
        Format::Markdown => report::write_markdown(&mut out, &page, layout),
        Format::Html => report::write_html(&mut out, &page, layout),
        Format::Json => report::write_json(&mut out, &page.report),
        Format::Prometheus => metrics::write_prometheus(&mut out, &page.report),
    };
    written.expect("writing to memory");
    if let Err(err) = run::print(stdout, &out) {
        eprintln!("{PROGRAM}: cannot write the report: {err}");
        return Ok(Code::Unreadable);
    }
    Ok(Code::Rendered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_is_well_formed() {
        Args::command().debug_assert();
    }
}
