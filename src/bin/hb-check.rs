//! hb-check: judge every heartbeat, with monitoring-plugin exit codes.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::builder::BoolishValueParser;
use clap::{Parser, ValueEnum};

use cron_heartbeat::cli::{self, JudgeArgs, TrackerArgs};
use cron_heartbeat::exit_code::Check;
use cron_heartbeat::metrics::write_prometheus;
use cron_heartbeat::report::{self, Report};
use cron_heartbeat::store;
use cron_heartbeat::tracker;

const PROGRAM: &str = "hb-check";

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
    after_help = "Statuses:\n  ok       last run ok, age <= interval\n  late     last run ok, interval < age <= factor x interval\n  stale    age > factor x interval (overrides failed)\n  failed   the last run reported failure\n  invalid  the heartbeat cannot be read or used, or is dated in the future\n  missing  a job named with --expect has no heartbeat\n\nExit codes:\n  0  every job is ok\n  1  something is late and nothing worse, or no heartbeat was found\n  2  something is stale, failed, invalid or missing\n  3  could not check: no heartbeat directory, unreadable directory,\n     lock timeout, tracker failure, bad usage\n\nTracker: with --tracker-url, hb-check keeps one issue per host, titled\n`[heartbeat-checker] HOST: N job(s) need attention`, for the jobs that are\nstale, failed, invalid or missing: it opens it, edits it and comments when\nthe set changes, and closes it when every job recovers. The token comes from\nHB_TRACKER_TOKEN or --tracker-token-file, never from a flag."
)]
struct Args {
    #[command(flatten)]
    judge: JudgeArgs,

    /// Output format: `text` lists the jobs that are not ok; `json` is one
    /// document with every job.
    #[arg(long, value_enum, env = "HB_FORMAT", default_value = "text")]
    format: Format,

    /// Print nothing; only the exit code tells.
    #[arg(long, short, env = "HB_QUIET", conflicts_with = "verbose", value_parser = BoolishValueParser::new())]
    quiet: bool,

    /// List every job in text output, ok ones too.
    #[arg(long, short, env = "HB_VERBOSE", value_parser = BoolishValueParser::new())]
    verbose: bool,

    /// How long to wait for another hb-check run to finish before giving up.
    #[arg(long, value_name = "DURATION", env = "HB_LOCK_TIMEOUT", default_value = "60", value_parser = cli::parse_timeout)]
    lock_timeout: Duration,

    /// Also write every job's metrics in the Prometheus text format to this
    /// file, atomically, for node_exporter's textfile collector.
    #[arg(long, value_name = "PATH", env = "HB_METRICS_FILE")]
    metrics_file: Option<PathBuf>,

    /// The lock file that keeps runs from overlapping. [default:
    /// .hb-check.lock in the first heartbeat directory]
    #[arg(long, value_name = "PATH", env = "HB_LOCK_FILE")]
    lock_file: Option<PathBuf>,

    #[command(flatten, next_help_heading = "Tracker")]
    tracker: TrackerArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

fn main() -> ExitCode {
    let args = match cli::parse::<Args>(PROGRAM, Check::Unknown as u8) {
        Ok(args) => args,
        Err(code) => return code,
    };
    match run(&args) {
        Ok(code) => code.into(),
        Err(err) => {
            cli::report_error(PROGRAM, &err);
            Check::Unknown.into()
        }
    }
}

fn run(args: &Args) -> Result<Check, cron_heartbeat::Error> {
    let dirs = args.judge.locations()?;
    let _lock = store::lock(args.lock_file.as_deref(), &dirs, args.lock_timeout)?;
    let judged = args.judge.judge(dirs)?;
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
                cron_heartbeat::escape::terminal(&dirs.join(", "))
            )
            .into_bytes();
        }
        Format::Text => {
            report::write_lines(&mut out, &judged.jobs, args.verbose).expect("writing to memory")
        }
    }
    if let Err(err) = cli::print(&out) {
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
fn sync_tracker(args: &TrackerArgs, judged: &cli::Judged) -> Result<(), cron_heartbeat::Error> {
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
