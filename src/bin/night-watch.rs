//! night-watch: the heartbeat panel and the nightly report.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::builder::BoolishValueParser;
use clap::{Parser, ValueEnum};

use cron_heartbeat::cli::{self, JudgeArgs};
use cron_heartbeat::exit_code::Report as Code;
use cron_heartbeat::metrics;
use cron_heartbeat::report::{self, nightly, Layout, Page, Report, TextOptions};

const PROGRAM: &str = "night-watch";

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
struct Args {
    #[command(flatten)]
    judge: JudgeArgs,

    /// Print only the panel, the table of jobs. (HB_PANEL takes 1, true,
    /// yes or on, and 0, false, no or off.)
    #[arg(long, env = "HB_PANEL", value_parser = BoolishValueParser::new())]
    panel: bool,

    /// Output format.
    #[arg(long, value_enum, env = "HB_REPORT_FORMAT", default_value = "text")]
    format: Format,

    /// Print one line for a mail subject, such as `night-watch web1: 1
    /// stale, 1 late, 10 ok` or `night-watch web1: all 12 jobs ok`, and
    /// nothing else; --panel and --format do not apply.
    #[arg(long)]
    subject: bool,

    /// The host named in the heading and the subject. [default: this
    /// machine's host name]
    #[arg(long, value_name = "NAME", env = "HB_HOST")]
    host: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Markdown,
    Html,
    Json,
    Prometheus,
}

fn main() -> ExitCode {
    let args = match cli::parse::<Args>(PROGRAM, Code::Unreadable as u8) {
        Ok(args) => args,
        Err(code) => return code,
    };
    match run(&args) {
        Ok(code) => code.into(),
        Err(err) => {
            cli::report_error(PROGRAM, &err);
            Code::Unreadable.into()
        }
    }
}

fn run(args: &Args) -> Result<Code, cron_heartbeat::Error> {
    let dirs = args.judge.locations()?;
    let judged = args.judge.judge(dirs)?;
    let host = args.host.clone().unwrap_or_else(cron_heartbeat::hostname);
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
            let terminal = std::io::stdout().is_terminal();
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
    if let Err(err) = cli::print(&out) {
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
