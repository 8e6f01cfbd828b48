//! hb-write: record that a cron job finished.

use std::path::{Path, PathBuf};
use std::process::{self, ExitCode};

use chrono::Utc;
use clap::{Parser, ValueEnum};

use cron_heartbeat::exit_code::Write;
use cron_heartbeat::history::Run;
use cron_heartbeat::pause::Pause;
use cron_heartbeat::record::{
    parse_duration, parse_interval, truncate_message, validate_job, FORMAT_VERSION,
};
use cron_heartbeat::{cli, escape, hostname, store, Heartbeat, RunStatus};

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
    after_help = "Exit codes:\n  0  heartbeat written (or job retired, paused or resumed)\n  1  heartbeat could not be written (or removed), or nothing to resume\n  2  bad usage: job name, interval or flags"
)]
struct Args {
    /// Heartbeat directory, created if missing. [default: /var/lib/cron-heartbeat
    /// when writable, else $XDG_STATE_HOME/cron-heartbeat]
    #[arg(long, value_name = "DIR", env = "HB_DIR")]
    dir: Option<PathBuf>,

    /// How the run ended. [default: fail when --exit-code is not 0, else ok]
    #[arg(long, value_enum)]
    status: Option<StatusArg>,

    /// The job's exit code, for the record (`job; hb-write --exit-code $? ...`).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    exit_code: Option<i32>,

    /// A short note for the report; at most 1 KiB is kept.
    #[arg(long, value_name = "TEXT")]
    message: Option<String>,

    /// When the job is scheduled to run: five cron fields (`0 3 * * *`) or
    /// a macro (`@daily`), stored in the record so that hb-check judges the
    /// job by its schedule even where it reads no crontab that runs it.
    #[arg(long, value_name = "EXPR", env = "HB_SCHEDULE", value_parser = parse_schedule)]
    schedule: Option<String>,

    /// Retire JOB: remove its heartbeat so that it stops counting. Also drop
    /// it from any --expect list.
    #[arg(long, conflicts_with_all = ["status", "exit_code", "message", "interval", "schedule", "all"])]
    retire: bool,

    /// Pause JOB (or, with --all, every job of this host) for DURATION
    /// (`2h`, `3d`; up to 400 days): it shows as `paused` and never alerts
    /// until then. A heartbeat does not end a pause; --resume does.
    #[arg(long, value_name = "DURATION", conflicts_with_all = ["status", "exit_code", "message", "interval", "retire", "resume"])]
    pause: Option<String>,

    /// Why the job is paused, shown with it; at most 1 KiB is kept.
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,

    /// End the pause of JOB (or, with --all, the host's) now.
    #[arg(long, conflicts_with_all = ["status", "exit_code", "message", "interval", "retire"])]
    resume: bool,

    /// With --pause or --resume: the whole host, every job in the
    /// heartbeat directory, instead of one JOB.
    #[arg(long, conflicts_with = "job")]
    all: bool,

    /// The job's name: letters, digits, `.`, `_`, `-`; at most 128.
    #[arg(required_unless_present = "all")]
    job: Option<String>,

    /// How often the job runs: seconds (`300`) or `90s`, `5m`, `1h30m`,
    /// `1d`, `1w`; from 1 second to 400 days.
    #[arg(required_unless_present_any = ["retire", "pause", "resume", "all"])]
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

fn main() -> ExitCode {
    let args = match cli::parse::<Args>(PROGRAM, Write::Usage as u8) {
        Ok(args) => args,
        Err(code) => return code,
    };
    if args.all && args.pause.is_none() && !args.resume {
        cli::report_error(PROGRAM, &"--all needs --pause or --resume");
        return Write::Usage.into();
    }
    if args.reason.is_some() && args.pause.is_none() {
        cli::report_error(PROGRAM, &"--reason goes with --pause");
        return Write::Usage.into();
    }
    let job = args.job.clone().unwrap_or_default();
    if let Err(err) = args.job.as_deref().map(validate_job).transpose() {
        cli::report_error(PROGRAM, &err);
        return Write::Usage.into();
    }
    if args.pause.is_some() || args.resume {
        return pause_or_resume(&args);
    }
    if args.retire {
        let dirs = match &args.dir {
            Some(dir) => vec![dir.clone()],
            None => store::default_locations(),
        };
        return match store::retire(&dirs, &job) {
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
        job,
        timestamp: Utc::now(),
        interval_seconds,
        host: hostname(),
        pid: process::id(),
        status,
        exit_code: args.exit_code,
        duration_seconds: None,
        message: args
            .message
            .as_deref()
            .map(|m| truncate_message(m).to_owned()),
        schedule: args.schedule,
    };
    match store::write(args.dir.as_deref(), &record) {
        Ok(path) => {
            // The heartbeat is what counts; a history line that cannot be
            // written is said, but does not fail the run.
            let dir = path.parent().unwrap_or(Path::new("."));
            if let Err(err) = store::append_history(dir, &record.job, &Run::of(&record)) {
                cli::report_error(PROGRAM, &format!("{err} (the heartbeat itself is written)"));
            }
            Write::Written.into()
        }
        Err(err) => {
            cli::report_error(PROGRAM, &err);
            Write::Failed.into()
        }
    }
}

/// `--pause` and `--resume`, for one job or (`--all`) the whole host.
fn pause_or_resume(args: &Args) -> ExitCode {
    let job = args.job.as_deref();
    let done = if let Some(length) = &args.pause {
        let seconds = match parse_duration(length) {
            Ok(seconds) => seconds,
            Err(reason) => {
                cli::report_error(
                    PROGRAM,
                    &format!("invalid pause `{}`: {reason}", escape::terminal(length)),
                );
                return Write::Usage.into();
            }
        };
        let pause = match Pause::new(job, Utc::now(), seconds, args.reason.as_deref()) {
            Ok(pause) => pause,
            Err(reason) => {
                cli::report_error(
                    PROGRAM,
                    &format!("invalid pause `{}`: {reason}", escape::terminal(length)),
                );
                return Write::Usage.into();
            }
        };
        store::write_pause(args.dir.as_deref(), &pause).map(drop)
    } else {
        let dirs = match &args.dir {
            Some(dir) => vec![dir.clone()],
            None => store::default_locations(),
        };
        store::remove_pause(&dirs, job).map(drop)
    };
    match done {
        Ok(()) => Write::Written.into(),
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
