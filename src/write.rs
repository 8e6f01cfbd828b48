//! The hb-write run: the binary parses the command line into [`Args`] (as
//! the man page and completions are made from) and calls [`run`].

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};

use crate::exit_code::Write;
use crate::pause::Pause;
use crate::ping::{self, Ping, Pinger};
use crate::record::{cut, validate_job, MAX_NEEDS, MESSAGE_MAX_BYTES, PAUSE};
use crate::{store, Error, Heartbeat, RunStatus};

mod settings;
pub(crate) mod wrap;

use wrap::rules::{parse_keep, parse_max_runtime, parse_retry, parse_stall, rules};

/// The program name messages start with.
pub const PROGRAM: &str = "hb-write";

/// hb-write's command line, whence `--help`, the man page and the completions
/// (the help text is in attributes: its crontab examples are not Rust).
#[derive(Debug, Parser)]
#[command(
    name = PROGRAM,
    version,
    about = "Record that a cron job finished, for hb-check and night-watch to judge.",
    long_about = "Record that a cron job finished, for hb-check and night-watch to judge.\n\n\
Writes `<DIR>/<JOB>.last` atomically and prints nothing on success, so cron\n\
mails nothing. Append it to a crontab line:\n\n    \
0 3 * * * /usr/local/bin/backup.sh && hb-write backup 1d\n\n\
Or wrap the job, to record that it is running, how it ended, how long it\n\
took and the tail of what it printed (exits with the job's exit code):\n\n    \
0 3 * * * hb-write backup 1d -- /usr/local/bin/backup.sh --full",
    after_help = "Exit codes:\n  0  heartbeat written (or job retired, paused or resumed; or, wrapping, another\n     run held the lock)\n  1  heartbeat could not be written (or removed), or nothing to resume\n  2  bad usage: job name, interval or flags\nWrapping a command (-- CMD), the exit code is the command's: 128+N when signal N\nended it, 127 when it was not found, 126 when it could not be run; 1 when it\nexited 0 but a rule (--fail-on, --min-runtime, ...) failed the run."
)]
pub struct Args {
    /// Heartbeat directory, created if missing. Of a `:`-separated list (as
    /// readers take HB_DIR), the first entry. [default:
    /// /var/lib/cron-heartbeat when writable, else
    /// $XDG_STATE_HOME/cron-heartbeat]
    #[arg(long, value_name = "DIR", env = "HB_DIR")]
    #[arg(value_delimiter = ':', num_args = 1)]
    dir: Vec<PathBuf>,

    /// How the run ended. [default: fail when --exit-code is not 0, else ok]
    #[arg(long, value_enum)]
    status: Option<StatusArg>,

    /// The job's exit code, for the record (`job; hb-write --exit-code $? ...`).
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = crate::record::parse_exit_code)]
    exit_code: Option<i32>,

    /// A short note for the report; at most 1 KiB is kept. Bytes that are
    /// not UTF-8 (`--message "$(tail -1 log)"`) are kept as U+FFFD.
    #[arg(long, value_name = "TEXT")]
    message: Option<OsString>,

    /// When the job is scheduled to run: five cron fields (`0 3 * * *`) or
    /// a macro (`@daily`), stored in the record so that hb-check judges the
    /// job by its schedule even where it reads no crontab that runs it.
    /// [env: HB_SCHEDULE; a bad value there warns and is left out]
    #[arg(long, value_name = "EXPR", value_parser = parse_schedule)]
    schedule: Option<String>,

    /// A job this one needs (repeatable): shown blocked under it while bad.
    #[arg(long, value_name = "JOB", value_parser = crate::cause::parse_need)]
    needs: Vec<String>,

    /// Retire JOB: remove its heartbeat so that it stops counting. Also drop
    /// it from any --expect list.
    #[arg(long, conflicts_with_all = ["status", "exit_code", "message", "interval", "schedule", "command", "all"])]
    retire: bool,

    /// Pause JOB (or, with --all, every job of this host) for DURATION
    /// (`2h`, `3d`; up to 400 days): it shows as `paused` and never alerts
    /// until then. A heartbeat does not end a pause; --resume does.
    #[arg(long, value_name = "DURATION", conflicts_with_all = ["status", "exit_code", "message", "interval", "retire", "resume", "command"])]
    pause: Option<String>,

    /// Why the job is paused, shown with it; at most 1 KiB is kept.
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,

    /// With --pause: pause JOB even though it has no heartbeat and no
    /// history yet (without it, an unknown JOB is refused with the known
    /// names closest to it).
    #[arg(long, requires = "pause")]
    force: bool,

    /// End the pause of JOB (or, with --all, the host's) now.
    #[arg(long, conflicts_with_all = ["status", "exit_code", "message", "interval", "retire", "command"])]
    resume: bool,

    /// With --pause or --resume: the whole host, every job in the
    /// heartbeat directory, instead of one JOB.
    #[arg(long, conflicts_with = "job")]
    all: bool,

    /// Keep the last BYTES of the command's combined output as the record's
    /// message (`4096`, `4KiB`; at most 8 KiB).
    #[arg(long, value_name = "BYTES", default_value = "4KiB", value_parser = parse_keep, requires = "command")]
    keep_output: usize,

    /// Also keep the command's whole output in `<DIR>/<JOB>.log` (the previous
    /// run's in `<JOB>.log.1`), up to --log-max.
    #[arg(long, requires = "command")]
    log: bool,

    /// The most bytes --log keeps of one run (`1MiB`, `65536`).
    #[arg(long, value_name = "BYTES", default_value = "1MiB", value_parser = |t: &str| crate::record::parse_size(t, u64::MAX, ""), requires = "log")]
    log_max: u64,

    /// The longest the command may run (1 second to 400 days); a `running`
    /// record older than this is judged hung. [default: hb-check's factor x
    /// INTERVAL]
    #[arg(long, value_name = "DURATION", value_parser = parse_max_runtime, requires = "command")]
    max_runtime: Option<u64>,

    /// End a run that passes its maximum runtime: SIGTERM to its process
    /// group, SIGKILL 10 s later; recorded as a failure that says so.
    #[arg(long, requires = "command")]
    kill_after: bool,

    /// Hidden: hb-check's --factor, for the default maximum runtime (or HB_FACTOR; default 2).
    #[arg(long, value_name = "F", value_parser = crate::record::parse_factor, hide = true)]
    factor: Option<f64>,

    /// Exit codes that mean success, separated by commas (`0,24` takes
    /// rsync's "some files vanished" as a success). [default: 0]
    #[arg(long, value_name = "LIST", requires = "command")]
    ok_exit_codes: Option<String>,

    /// Fail the run when the command prints anything on stderr, even if it
    /// exits 0 (as `chronic -e`).
    #[arg(long, requires = "command")]
    fail_on_stderr: bool,

    /// Fail the run when a line of its output matches REGEX (Rust `regex`
    /// syntax, linear time; lines are matched 4 KiB at a time).
    #[arg(long, value_name = "REGEX", requires = "command")]
    fail_on: Option<String>,

    /// Fail the run unless a line of its output matches REGEX.
    #[arg(long, value_name = "REGEX", requires = "command")]
    ok_on: Option<String>,

    /// Fail a run that ends sooner than DURATION (`30s`, `5m`).
    #[arg(long, value_name = "DURATION", value_parser = parse_max_runtime, requires = "command")]
    min_runtime: Option<u64>,

    /// Try a failed run again, up to N more times (at most 10); the last
    /// attempt's result is the run's.
    #[arg(long, value_name = "N", default_value = "0", value_parser = parse_retry, requires = "command")]
    retry: u32,

    /// The wait before the first retry; it doubles for each one after,
    /// with jitter, up to an hour, and no retry starts past the maximum
    /// runtime.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_max_runtime, requires = "retry")]
    retry_delay: u64,

    /// Fail a run that succeeds in less than a tenth of the median of the
    /// job's last 10 successful runs; without it such a run is `ok`,
    /// flagged `fast`.
    #[arg(long, requires = "command", conflicts_with = "min_runtime")]
    alert_fast: bool,

    /// Call a run that prints nothing (and is not kept alive) for DURATION
    /// stalled: hb-check alerts as for a stale job. At least 10 seconds.
    #[arg(long, value_name = "DURATION", value_parser = parse_stall, requires = "command")]
    stall_after: Option<u64>,

    /// Keep JOB's run in progress alive, for --stall-after, without
    /// ending it (from a script that prints nothing).
    #[arg(long, conflicts_with_all = ["status", "exit_code", "message", "interval", "retire", "pause", "resume", "all", "command"])]
    keepalive: bool,

    /// One run at a time: when another run holds the job's lock, `skip` runs
    /// nothing (exit 0), `wait` waits up to INTERVAL, `replace` ends the other
    /// run (SIGTERM, SIGKILL 10 s later) and runs.
    #[arg(long, value_enum, value_name = "MODE", requires = "command")]
    singleton: Option<crate::supervise::singleton::Mode>,

    /// Also ping this URL (Healthchecks or Uptime Kuma), after the heartbeat
    /// is written; best effort, at most 10 s, never changes the exit code.
    /// [env: HB_PING_URL, which keeps the URL out of `ps`; a bad value there
    /// warns, showing its scheme and host only, and no ping is sent]
    #[arg(long, value_name = "URL")]
    ping: Option<String>,

    /// The protocol of the ping URL. [default: healthchecks] [env:
    /// HB_PING_STYLE; a bad value there warns and the default applies]
    #[arg(long, value_enum, value_name = "STYLE")]
    ping_style: Option<ping::Style>,

    /// The job's name: letters, digits, `.`, `_`, `-`; at most 128.
    #[arg(required_unless_present = "all")]
    job: Option<String>,

    /// How often the job runs: seconds (`300`) or `90s`, `5m`, `1h30m`,
    /// `1d`, `1w`; from 1 second to 400 days.
    #[arg(required_unless_present_any = ["retire", "pause", "resume", "all", "keepalive"])]
    interval: Option<String>,

    /// The command to run and supervise, after `--`: run directly (no
    /// shell) in its own process group, output passed through.
    #[arg(last = true, value_name = "CMD", conflicts_with_all = ["status", "exit_code", "message"])]
    command: Vec<OsString>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum StatusArg {
    Ok,
    Fail,
}

/// Parses a schedule by cron's rules; the zone does not matter here.
fn parse_schedule(text: &str) -> Result<String, Error> {
    crate::schedule::Schedule::parse(text, chrono_tz::Tz::UTC).map(|s| s.text().to_owned())
}

impl Args {
    /// The first non-empty entry of `--dir`/HB_DIR, as `XDG_DATA_DIRS` is read.
    fn dir(&self) -> Option<PathBuf> {
        self.dir.iter().find(|d| !d.as_os_str().is_empty()).cloned()
    }

    /// [`Args::dir`], else the default locations.
    fn dirs(&self) -> Vec<PathBuf> {
        self.dir()
            .map_or_else(store::default_locations, |dir| vec![dir])
    }
}

/// Runs hb-write with parsed arguments and returns its exit code.
///
/// ```
/// use clap::Parser;
/// use cron_heartbeat::write;
///
/// let dir = tempfile::tempdir()?;
/// let args = write::Args::try_parse_from([
///     "hb-write".as_ref(),
///     "--dir".as_ref(),
///     dir.path().as_os_str(),
///     "backup".as_ref(),
///     "1d".as_ref(),
/// ])?;
/// write::run(args);
/// assert!(dir.path().join("backup.last").is_file());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn run(args: Args) -> ExitCode {
    checked_run(&args).unwrap_or_else(|err| said(err, Write::Usage))
}

/// Says `err` on stderr; exits with `code`.
fn said(err: Error, code: Write) -> ExitCode {
    eprintln!("{PROGRAM}: {err}");
    code.into()
}

/// The run; `Err` is a usage error (exit 2), found before anything is done.
fn checked_run(args: &Args) -> Result<ExitCode, Error> {
    if args.all && args.pause.is_none() && !args.resume {
        return Err(Error::rule("--all needs --pause or --resume"));
    }
    if args.reason.is_some() && args.pause.is_none() {
        return Err(Error::rule("--reason goes with --pause"));
    }
    let needs = args.needs.len();
    if needs > MAX_NEEDS {
        return Err(Error::rule(format!(
            "--needs is given {needs} times; a job may need at most {MAX_NEEDS} others"
        )));
    }
    let job = args.job.as_deref();
    job.map(validate_job).transpose()?;
    // --pause and --resume: for one job, or (`--all`) the whole host.
    if args.resume {
        return Ok(done(store::remove_pause(&args.dirs(), job)));
    }
    if let Some(length) = &args.pause {
        let seconds = PAUSE.parse(length)?;
        let pause = Pause::new(job, chrono::Utc::now(), seconds, args.reason.as_deref())
            .map_err(|reason| Error::invalid("pause", length, reason.to_string()))?;
        if let (Some(job), false) = (job, args.force) {
            store::check_known(args.dir().as_deref(), job)?;
        }
        return Ok(done(store::write_pause(args.dir().as_deref(), &pause)));
    }
    let job = job.unwrap_or_default();
    if args.keepalive {
        return Ok(done(wrap::keep_alive(&args.dirs(), job)));
    }
    if args.retire {
        return Ok(done(store::retire(&args.dirs(), job)));
    }
    let settings = settings::resolve(args)?;
    let interval = crate::record::parse_interval(args.interval.as_deref().unwrap_or_default())?;
    if args.command.is_empty() {
        return Ok(beat(args, job, interval, settings));
    }
    Ok(wrap::run(args, job, interval, settings, rules(args)?).into())
}

fn done<T>(result: Result<T, Error>) -> ExitCode {
    result.map_or_else(|err| said(err, Write::Failed), |_| Write::Written.into())
}

/// `hb-write JOB INTERVAL`: the heartbeat, its history line, the ping.
fn beat(args: &Args, job: &str, interval_seconds: u64, settings: settings::Settings) -> ExitCode {
    let status = match (args.status, args.exit_code) {
        (Some(StatusArg::Fail), _) => RunStatus::Fail,
        (None, Some(code)) if code != 0 => RunStatus::Fail,
        (Some(StatusArg::Ok) | None, _) => RunStatus::Ok,
    };
    let record = Heartbeat {
        exit_code: args.exit_code,
        message: (args.message.as_ref())
            .map(|m| cut(&m.to_string_lossy(), MESSAGE_MAX_BYTES).to_owned()),
        schedule: settings.schedule,
        needs: args.needs.clone(),
        ..Heartbeat::new(job, interval_seconds, status)
    };
    let code = done(store::write(args.dir().as_deref(), &record).map(|path| {
        // The heartbeat is what counts: a history line not written is told, fails no run.
        let dir = path.parent().unwrap_or(std::path::Path::new("."));
        if let Err(err) = store::append_history(dir, &record.job, &crate::history::Run::of(&record))
        {
            eprintln!("{PROGRAM}: {err} (the heartbeat itself is written)");
        }
    }));
    // The heartbeat first: local truth never waits on the network.
    if let Some((url, style)) = settings.ping {
        Pinger::new(url, style).send_or_warn(PROGRAM, &ping_of(record), ping::BUDGET);
    }
    code
}

/// The ping of a heartbeat written (by hb-write or a daemon's tick).
pub(crate) fn ping_of(record: Heartbeat) -> Ping {
    Ping::Beat {
        ok: record.status == RunStatus::Ok,
        exit_code: record.exit_code,
        body: record.message,
        duration: None,
    }
}

#[cfg(test)]
mod tests;
