//! night-watch's run: locate, scan and judge the heartbeats, and render the
//! panel, the report or the subject line in the format asked for.

use std::io::{self, IsTerminal, Write};

use clap::{Parser, ValueEnum};

use crate::cli::JudgeArgs;
use crate::escape;
use crate::exit_code::Watch as Code;
use crate::report::{self, content, Html, Markdown, Markup, Recipient, Report, Text, TextPage};
use crate::survey;

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
#[command(name = PROGRAM, version, after_help = "Formats:\n  text      a table; UTF-8 borders and colours on a terminal (not with NO_COLOR),\n            plain ASCII without escape sequences anywhere else\n  markdown  GitHub-flavoured Markdown (Gitea, GitHub)\n  html      one self-contained HTML document with inline styles, for a mail body\n  json      the document of `hb-check --format json`\n  prometheus  the Prometheus text format, for node_exporter's textfile collector\n  mail      one MIME message for `sendmail -t` (needs --to): the text and the HTML\n            report as alternatives, the --subject line as its subject\n\nExample, from cron:\n  night-watch --format mail --to ops@example.com | /usr/sbin/sendmail -t\n\nExit codes:\n  0  the report was rendered, whatever it says\n  3  nothing could be read (no heartbeat directory, unreadable directory),\n     bad usage, or a --notify destination did not take the summary")]
pub struct Args {
    #[command(flatten)]
    pub(crate) judge: JudgeArgs,

    /// Print only the panel, the table of jobs. (HB_PANEL takes 1, true,
    /// yes or on, and 0, false, no or off.)
    #[arg(long, env = "HB_PANEL", value_parser = crate::record::parse_switch)]
    pub(crate) panel: bool,

    /// Output format.
    #[arg(long, value_enum, env = "HB_REPORT_FORMAT", default_value = "text")]
    pub(crate) format: Format,

    #[command(flatten, next_help_heading = "Notify")]
    pub(crate) notify: crate::notify::Destinations,

    /// Print one line for a mail subject, such as `night-watch web1: 1
    /// stale, 1 late, 10 ok` or `night-watch web1: all 12 jobs ok`, and
    /// nothing else; --panel and --format do not apply.
    #[arg(long)]
    pub(crate) subject: bool,

    /// With --format mail: the recipient, what cron's MAILTO takes: a mail
    /// address or a local user name such as `root`; repeat for several (in
    /// HB_MAIL_TO, separate them with `,`).
    #[arg(long, value_name = "ADDR", env = "HB_MAIL_TO", value_delimiter = ',', value_parser = report::parse_recipient, required_if_eq("format", "mail"))]
    pub(crate) to: Vec<Recipient>,

    /// With --format mail: the sender; `night-watch@HOST` when not given.
    #[arg(long, value_name = "ADDR", env = "HB_MAIL_FROM", value_parser = report::parse_mailbox)]
    pub(crate) from: Option<lettre::message::Mailbox>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
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
    /// One MIME message for `sendmail -t`: the text and the HTML report as
    /// alternatives, the subject line as the subject.
    Mail,
}

/// Runs night-watch with `args`, printing to standard output, and returns
/// the exit code.
///
/// ```
/// use clap::Parser;
/// use cron_heartbeat::{exit_code::Watch, store, watch, Heartbeat, RunStatus};
///
/// let dir = tempfile::tempdir()?;
/// store::write(Some(dir.path()), &Heartbeat::new("backup", 86_400, RunStatus::Ok))?;
/// let args = watch::Args::try_parse_from([
///     "night-watch".as_ref(),
///     "--dir".as_ref(),
///     dir.path().as_os_str(),
/// ])?;
/// assert_eq!(watch::run(&args), Watch::Rendered);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn run(args: &Args) -> Code {
    let stdout = io::stdout();
    run_to(args, &mut stdout.lock(), stdout.is_terminal())
}

/// [`run`] to `stdout`, which is a `terminal` or not.
pub(crate) fn run_to(args: &Args, stdout: &mut dyn Write, terminal: bool) -> Code {
    let host = args.judge.host();
    let (out, failed) = match survey::locate(&args.judge)
        .and_then(|dirs| survey::judge(&args.judge, dirs, &crate::expect::LintWhen::Always))
    {
        Ok(mut judged) => {
            if !args.subject {
                survey::context::add_recent(&mut judged.jobs, judged.policy.now);
            }
            judged.causes = crate::cause::run::alone(&judged.cause_run(&args.judge, &host));
            for warning in &judged.lint {
                eprintln!("{PROGRAM}: warning: {warning}");
            }
            for err in &judged.timers.errors {
                eprintln!("{PROGRAM}: {err}");
            }
            let out = render(args, &host, &judged, terminal);
            let failed = crate::notify::after_report(&args.notify, &host, &judged).err();
            (out, failed)
        }
        Err(err) => (render_broken(args, &host, &err), Some(err)),
    };
    if let Some(err) = &failed {
        eprintln!("{PROGRAM}: {err}");
    }
    if let Err(err) = survey::print(stdout, &out) {
        eprintln!("{PROGRAM}: cannot write the report to standard output: {err}");
        return Code::Unreadable;
    }
    failed.map_or(Code::Rendered, |_| Code::Unreadable)
}

fn render(args: &Args, host: &str, judged: &survey::Judged, terminal: bool) -> Vec<u8> {
    let causes: Vec<String> = judged.causes.list.iter().map(|c| c.text.clone()).collect();
    let report = Report {
        causes: &causes,
        ..judged.report()
    };
    let page = |markup: &mut dyn Markup| report::write_page(markup, host, &report, args.panel);
    let mut out = Vec::new();
    // Writing to memory fails only when out of memory, which aborts anyway.
    let _ = match args.format {
        _ if args.subject => writeln!(out, "{}", content::subject(host, &judged.jobs)),
        Format::Text => {
            let how = text_options(terminal, |name| std::env::var(name).ok());
            page(&mut TextPage(&mut out, how))
        }
        Format::Markdown => page(&mut Markdown(&mut out)),
        Format::Html => page(&mut Html(&mut out)),
        Format::Json => {
            let causes = (!judged.causes.list.is_empty())
                .then(|| crate::cause::render::json_fields(&judged.jobs, &judged.causes));
            report::write_json(&mut out, &report, &[], &[], causes.as_ref())
        }
        Format::Prometheus => crate::metrics::write_prometheus(&mut out, &report),
        Format::Mail => {
            let (mut text, mut html) = (Vec::new(), Vec::new());
            let _ = page(&mut TextPage(&mut text, Text::default()));
            let _ = page(&mut Html(&mut html));
            let (subject, from) = (content::subject(host, &judged.jobs), args.from.as_ref());
            report::write_mail(&mut out, from, &args.to, host, &subject, &text, &html)
        }
    };
    out
}

/// How text may look on a `terminal` or not, by `env` (`NO_COLOR`, `TERM`, the locale).
pub(crate) fn text_options(terminal: bool, env: impl Fn(&str) -> Option<String>) -> Text {
    let set = |name: &str| env(name).filter(|v| !v.is_empty());
    let colour = terminal && set("NO_COLOR").is_none() && set("TERM").is_some_and(|t| t != "dumb");
    let locale = ["LC_ALL", "LC_CTYPE", "LANG"].into_iter().find_map(set);
    let locale = locale.unwrap_or_default().to_ascii_lowercase();
    let unicode = terminal && (locale.contains("utf-8") || locale.contains("utf8"));
    Text { unicode, colour }
}

/// What night-watch prints when nothing could be read, so a morning mail
/// never goes out blank; nothing in Prometheus, so a textfile collector
/// keeps no half-truth.
fn render_broken(args: &Args, host: &str, err: &crate::Error) -> Vec<u8> {
    let line = format!("{PROGRAM} {host}: CANNOT CHECK: {err}");
    let subject = content::cut(&line, content::SUBJECT_MAX);
    let text = format!("{}\n", escape::terminal(&line));
    let shown = escape::html(&line);
    let html = |title: &str| {
        format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">{title}</head>\n\
             <body><h1>{shown}</h1></body></html>\n"
        )
    };
    let mut out = Vec::new();
    let _ = match args.format {
        _ if args.subject => writeln!(out, "{subject}"),
        Format::Text => out.write_all(text.as_bytes()),
        Format::Markdown => {
            let (host, err) = (escape::markdown(host), escape::markdown(&err.to_string()));
            writeln!(out, "# {PROGRAM} {host}: CANNOT CHECK\n\n{err}")
        }
        Format::Html => out.write_all(html(&format!("<title>{shown}</title>")).as_bytes()),
        Format::Json => {
            let now = args.judge.now.unwrap_or_else(chrono::Utc::now);
            let report = Report::new(now, args.judge.factor, &[]);
            report::write_json(&mut out, &report, &[err.to_string()], &[], None)
        }
        Format::Prometheus => Ok(()),
        Format::Mail => {
            let (text, html, from) = (text.as_bytes(), html("").into_bytes(), args.from.as_ref());
            report::write_mail(&mut out, from, &args.to, host, &subject, text, &html)
        }
    };
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_is_well_formed() {
        Args::command().debug_assert();
    }

    #[test]
    fn dumb_terminals_get_no_colour_and_other_locales_ascii() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let full = text_options(true, env(&[("TERM", "xterm"), ("LANG", "en_GB.UTF-8")]));
        assert!(full.colour && full.unicode);
        let dumb = text_options(true, env(&[("TERM", "dumb"), ("LANG", "en_GB.UTF-8")]));
        assert!(!dumb.colour && dumb.unicode);
        let latin = text_options(
            true,
            env(&[("TERM", "xterm"), ("LANG", "de_DE.ISO-8859-1")]),
        );
        assert!(latin.colour && !latin.unicode);
        // LC_ALL wins over LANG, and C is not UTF-8.
        let c = text_options(
            true,
            env(&[("TERM", "xterm"), ("LC_ALL", "C"), ("LANG", "C.UTF-8")]),
        );
        assert!(!c.unicode);
        let utf8 = text_options(true, env(&[("TERM", "xterm"), ("LC_CTYPE", "C.utf8")]));
        assert!(utf8.unicode);
        let no_color = text_options(true, env(&[("TERM", "xterm"), ("NO_COLOR", "1")]));
        assert!(!no_color.colour);
        let pipe = text_options(false, env(&[("TERM", "xterm"), ("LANG", "C.UTF-8")]));
        assert!(!pipe.colour && !pipe.unicode);
    }

    fn broken(format: &[&str]) -> (Code, String) {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join("gone");
        let mut all = vec![
            "night-watch",
            "--host",
            "web1",
            "--dir",
            gone.to_str().unwrap(),
        ];
        all.extend_from_slice(format);
        let a = Args::try_parse_from(all).unwrap();
        let mut out = Vec::new();
        let code = run_to(&a, &mut out, false);
        (code, String::from_utf8(out).unwrap())
    }

    #[test]
    fn a_morning_mail_says_the_check_is_broken() {
        let (code, subject) = broken(&["--subject"]);
        assert_eq!(code, Code::Unreadable);
        assert!(
            subject.starts_with("night-watch web1: CANNOT CHECK: cannot read heartbeat directory"),
            "{subject}"
        );
        assert_eq!(subject.lines().count(), 1, "{subject}");
        for format in ["text", "markdown", "html"] {
            let (code, body) = broken(&["--format", format]);
            assert_eq!(code, Code::Unreadable);
            assert!(body.contains("CANNOT CHECK"), "{format}: {body}");
            assert!(body.contains("gone"), "{format}: {body}");
        }
        let (_, json) = broken(&["--format", "json"]);
        let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert!(doc["errors"][0].as_str().unwrap().contains("gone"), "{doc}");
    }
}
