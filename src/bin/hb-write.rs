//! hb-write: record that a cron job finished.

use std::path::PathBuf;
use std::process::{self, ExitCode};

use chrono::Utc;
use clap::{Parser, ValueEnum};

use cron_heartbeat::exit_code::Write;
use cron_heartbeat::record::{parse_interval, truncate_message, validate_job, FORMAT_VERSION};
use cron_heartbeat::{cli, hostname, store, Heartbeat, RunStatus};

const PROGRAM: &str = "hb-write";

/// Record that a cron job finished, for hb-check and night-watch to judge.
///
/// Writes `<DIR>/<JOB>.last` atomically and prints nothing on success, so cron
/// mails nothing. Append it to a crontab line:
///
///     0 3 * * * /usr/local/bin/backup.sh && hb-write backup 1d
#[derive(Debug, Parser)]
#[command(
    name = PROGRAM,
    version,
    after_help = "Exit codes:\n  0  heartbeat written (or job retired)\n  1  heartbeat could not be written (or removed)\n  2  bad usage: job name, interval or flags"
)]
struct Args {
    /// Heartbeat directory, created if missing. Of a `:`-separated list (as
    /// readers take HB_DIR), the first entry. [default:
    /// /var/lib/cron-heartbeat when writable, else
    /// $XDG_STATE_HOME/cron-heartbeat]
    #[arg(
        long,
        value_name = "DIR",
        env = "HB_DIR",
        value_delimiter = ':',
        num_args = 1
    )]
    dir: Vec<PathBuf>,

    /// How the run ended. [default: fail when --exit-code is not 0, else ok]
    #[arg(long, value_enum)]
    status: Option<StatusArg>,

    /// The job's exit code, for the record (`job; hb-write --exit-code $? ...`).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    exit_code: Option<i32>,

    /// A short note for the report; at most 1 KiB is kept. Bytes that are
    /// not UTF-8 (`--message "$(tail -1 log)"`) are kept as U+FFFD.
    #[arg(long, value_name = "TEXT")]
    message: Option<std::ffi::OsString>,

    /// When the job is scheduled to run: five cron fields (`0 3 * * *`) or
    /// a macro (`@daily`), stored in the record so that hb-check judges the
    /// job by its schedule even where it reads no crontab that runs it.
    #[arg(long, value_name = "EXPR", env = "HB_SCHEDULE", value_parser = parse_schedule)]
    schedule: Option<String>,

    /// Retire JOB: remove its heartbeat so that it stops counting. Also drop
    /// it from any --expect list.
    #[arg(long, conflicts_with_all = ["status", "exit_code", "message", "interval", "schedule"])]
    retire: bool,

    /// The job's name: letters, digits, `.`, `_`, `-`; at most 128.
    job: String,

    /// How often the job runs: seconds (`300`) or `90s`, `5m`, `1h30m`,
    /// `1d`, `1w`; from 1 second to 400 days.
    #[arg(required_unless_present = "retire")]
    interval: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum StatusArg {
    Ok,
    Fail,
}

/// Parses a schedule by cron's rules; the zone does not matter here.
fn parse_schedule(text: &str) -> Result<String, String> {
    cron_heartbeat::schedule::Schedule::parse(text, chrono_tz::Tz::UTC).map(|s| s.text().to_owned())
}

/// The directory to write to: the first non-empty entry of `--dir`/HB_DIR,
/// the way `XDG_DATA_DIRS`-style lists are read.
fn first_dir(dirs: &[PathBuf]) -> Option<PathBuf> {
    dirs.iter().find(|d| !d.as_os_str().is_empty()).cloned()
}

fn main() -> ExitCode {
    let args = match cli::parse::<Args>(PROGRAM, Write::Usage as u8) {
        Ok(args) => args,
        Err(code) => return code,
    };
    if let Err(err) = validate_job(&args.job) {
        cli::report_error(PROGRAM, &err);
        return Write::Usage.into();
    }
    if args.retire {
        let dirs = match first_dir(&args.dir) {
            Some(dir) => vec![dir.clone()],
            None => store::default_locations(),
        };
        return match store::retire(&dirs, &args.job) {
            Ok(_) => Write::Written.into(),
            Err(err) => {
                cli::report_error(PROGRAM, &err);
                Write::Failed.into()
            }
        };
    }
    let interval = args.interval.as_deref().unwrap_or_default();
    let interval_seconds = match parse_interval(interval) {
        Ok(seconds) => seconds,
        Err(err) => {
            cli::report_error(PROGRAM, &err);
            return Write::Usage.into();
        }
    };
    let status = match (args.status, args.exit_code) {
        (Some(StatusArg::Ok), _) => RunStatus::Ok,
        (Some(StatusArg::Fail), _) => RunStatus::Fail,
        (None, Some(code)) if code != 0 => RunStatus::Fail,
        (None, _) => RunStatus::Ok,
    };
    let record = Heartbeat {
        version: FORMAT_VERSION,
        job: args.job,
        timestamp: Utc::now(),
        interval_seconds,
        host: hostname(),
        pid: process::id(),
        status,
        exit_code: args.exit_code,
        duration_seconds: None,
        message: args
            .message
            .as_ref()
            .map(|m| m.to_string_lossy())
            .as_deref()
            .map(|m| truncate_message(m).to_owned()),
        schedule: args.schedule,
    };
    match store::write(first_dir(&args.dir).as_deref(), &record) {
        Ok(_) => Write::Written.into(),
        Err(err) => {
            cli::report_error(PROGRAM, &err);
            Write::Failed.into()
        }
    }
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
