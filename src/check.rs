//! The check run, the library side of hb-check: locate the heartbeat
//! directories, take the run lock, scan and judge, print, write the metrics
//! file, keep the tracker issue, and merge everything into one exit code.

use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Duration;

use clap::builder::BoolishValueParser;
use clap::{Parser, ValueEnum};

use crate::cli::{self, parse_timeout, JudgeArgs, TrackerArgs};
use crate::error::Error;
use crate::escape::terminal;
use crate::exit_code::Check;
use crate::metrics::write_prometheus;
use crate::report::{self, Report};
use crate::run::{self, Judged};
use crate::store;
use crate::tracker;

/// The program's name, first on every line it writes to standard error.
pub const PROGRAM: &str = "hb-check";

/// Judge every cron heartbeat and say which jobs need attention.
///
/// Reads every `<JOB>.last` in the heartbeat directories (and one level of
/// subdirectories), judges each job against its interval, prints the jobs
/// that are not ok, and exits with the monitoring-plugin convention. Prints
/// nothing when every job is ok, so cron mails nothing.
#[derive(Debug, Parser)]
#[command(
    name = PROGRAM,
    version,
    after_help = "Statuses:\n  ok       last run ok, age <= interval\n  late     last run ok, interval < age <= factor x interval\n  running  a wrapped run within its maximum runtime (healthy)\n  stale    age > factor x interval (overrides failed), or running past its\n           maximum runtime (hung)\n  failed   the last run reported failure\n  invalid  the heartbeat cannot be read or used, or is dated in the future\n  missing  a job named with --expect has no heartbeat\n\nExit codes:\n  0  every job is ok\n  1  something is late and nothing worse, or no heartbeat was found\n  2  something is stale, failed, invalid or missing\n  3  could not check: no heartbeat directory, unreadable directory,\n     lock timeout, tracker failure, bad usage\n\nTracker: with --tracker-url, hb-check keeps one issue per host, titled\n`[heartbeat-checker] HOST: N job(s) need attention`, for the jobs that are\nstale, failed, invalid or missing: it opens it, edits it and comments when\nthe set changes, and closes it when every job recovers. The token comes from\nHB_TRACKER_TOKEN or --tracker-token-file, never from a flag."
)]
pub struct Args {
    /// Which heartbeats to read and how to judge them.
    #[command(flatten)]
    pub judge: JudgeArgs,

    /// Output format: `text` lists the jobs that are not ok; `json` is one
    /// document with every job.
    #[arg(long, value_enum, env = "HB_FORMAT", default_value = "text")]
    pub format: Format,

    /// Print nothing; only the exit code tells.
    #[arg(long, short, env = "HB_QUIET", conflicts_with = "verbose", value_parser = BoolishValueParser::new())]
    pub quiet: bool,

    /// List every job in text output, ok ones too.
    #[arg(long, short, env = "HB_VERBOSE", value_parser = BoolishValueParser::new())]
    pub verbose: bool,

    /// How long to wait for another hb-check run to finish before giving up.
    #[arg(long, value_name = "DURATION", env = "HB_LOCK_TIMEOUT", default_value = "60", value_parser = parse_timeout)]
    pub lock_timeout: Duration,

    /// Also write every job's metrics in the Prometheus text format to this
    /// file, atomically, for node_exporter's textfile collector.
    #[arg(long, value_name = "PATH", env = "HB_METRICS_FILE")]
    pub metrics_file: Option<PathBuf>,

    /// The lock file that keeps runs from overlapping. [default:
    /// .hb-check.lock in the first heartbeat directory]
    #[arg(long, value_name = "PATH", env = "HB_LOCK_FILE")]
    pub lock_file: Option<PathBuf>,

    /// The issue tracker that keeps the host's alert issue.
    #[command(flatten, next_help_heading = "Tracker")]
    pub tracker: TrackerArgs,

    /// After each run, ping this dead man's switch (Healthchecks or Uptime
    /// Kuma): success when hb-check could check (exit 0, 1 or 2), failure
    /// when it could not (exit 3). It alerts when cron or hb-check stops.
    #[arg(long = "ping", value_name = "URL", env = "HB_CHECK_PING_URL", value_parser = crate::ping::parse_url, hide_env_values = true)]
    pub ping: Option<reqwest::Url>,

    /// The protocol of the --ping URL.
    #[arg(
        long,
        value_enum,
        value_name = "STYLE",
        env = "HB_CHECK_PING_STYLE",
        default_value = "healthchecks"
    )]
    pub ping_style: crate::ping::Style,
}

/// hb-check's output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One line per job that is not ok.
    Text,
    /// One document with every job.
    Json,
}

/// Runs hb-check with `args`, printing to standard output, and returns the
/// exit code.
pub fn run(args: &Args) -> Check {
    run_to(args, &mut io::stdout().lock())
}

/// Runs hb-check with `args`, printing the verdict to `stdout`, and returns
/// the exit code. Errors go to standard error, one line each.
pub fn run_to(args: &Args, stdout: &mut dyn Write) -> Check {
    let started = std::time::Instant::now();
    let code = match try_run(args, stdout) {
        Ok(code) => code,
        Err(err) => {
            cli::report_error(PROGRAM, &err);
            Check::Unknown
        }
    };
    if let Some(url) = &args.ping {
        ping_watcher(url, args.ping_style, code, started.elapsed());
    }
    code
}

/// Tells the dead man's switch that this run happened, and whether it
/// could check. Best effort: a failed ping is one warning line.
fn ping_watcher(url: &reqwest::Url, style: crate::ping::Style, code: Check, took: Duration) {
    use crate::ping::{Ping, Pinger, BUDGET};
    let ping = Ping::Beat {
        ok: code != Check::Unknown,
        body: Some(format!("hb-check exit code {}", code as u8)),
        duration: Some(took),
    };
    match Pinger::new(url.clone(), style) {
        Ok(pinger) => pinger.send_or_warn(PROGRAM, &ping, BUDGET),
        Err(why) => eprintln!("{PROGRAM}: warning: no ping: {why}"),
    }
}

fn try_run(args: &Args, stdout: &mut dyn Write) -> Result<Check, Error> {
    let dirs = run::locate(&args.judge)?;
    let _lock = store::lock(args.lock_file.as_deref(), &dirs, args.lock_timeout)?;
    let judged = run::judge(&args.judge, dirs)?;
    let code = Check::of_all(judged.jobs.iter().map(|j| j.status));
    let report = Report {
        checked_at: judged.policy.now,
        factor: judged.policy.factor,
        jobs: &judged.jobs,
        dirs: &judged.dirs,
    };
    let mut out = Vec::new();
    match args.format {
        _ if args.quiet => {}
        Format::Json => report::write_json(&mut out, &report).expect("writing to memory"),
        Format::Text if judged.jobs.is_empty() => {
            let dirs: Vec<String> = judged
                .dirs
                .iter()
                .map(|d| d.display().to_string())
                .collect();
            out = format!(
                "no heartbeats found in {}; write one with hb-write, or point --dir elsewhere\n",
                terminal(&dirs.join(", "))
            )
            .into_bytes();
        }
        Format::Text => {
            report::write_lines(&mut out, &judged.jobs, args.verbose).expect("writing to memory")
        }
    }
    if let Err(err) = run::print(stdout, &out) {
        eprintln!("{PROGRAM}: cannot write the report: {err}");
        return Ok(Check::Unknown);
    }
    // After the verdict is out: a metrics file that cannot be written must
    // not hide which jobs are bad, nor keep the alert issue from being kept.
    let mut code = code;
    if let Some(path) = &args.metrics_file {
        let mut metrics = Vec::new();
        write_prometheus(&mut metrics, &report).expect("writing to memory");
        if let Err(err) = store::write_file(path, &metrics) {
            cli::report_error(PROGRAM, &err);
            code = code.merge(Check::Unknown);
        }
    }
    // The run lock stays held through the sync, so two runs never open two
    // issues.
    match sync_tracker(&args.tracker, &judged) {
        Ok(()) => Ok(code),
        Err(err) => {
            cli::report_error(PROGRAM, &err);
            Ok(code.merge(Check::Unknown))
        }
    }
}

/// Brings the host's alert issue in line with the judgement, when a tracker
/// is configured.
fn sync_tracker(args: &TrackerArgs, judged: &Judged) -> Result<(), Error> {
    let Some(config) = args.config()? else {
        return Ok(());
    };
    let forge = tracker::connect(&config)?;
    let host = args.host();
    let opts = tracker::Options {
        host: &host,
        label: &args.tracker_label,
        dry_run: args.dry_run,
        checked_at: judged.policy.now,
    };
    tracker::sync(forge.as_ref(), &opts, &judged.jobs, &mut |note| {
        eprintln!("{PROGRAM}: {note}")
    })?;
    Ok(())
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
