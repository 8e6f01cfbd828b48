//! The check run, the library side of hb-check: locate the heartbeat
//! directories, take the run lock, scan and judge, print, write the metrics
//! file, keep the tracker issue, and merge everything into one exit code.

use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};

use crate::alert;
use crate::cause;
use crate::cli::{parse_timeout, JudgeArgs, TrackerArgs};
use crate::error::Error;
use crate::escape::{terminal, terminal_path};
use crate::exit_code::Check;
use crate::expect;
use crate::report::{self, Report};
use crate::store;
use crate::survey::{self, Judged};
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
#[command(name = PROGRAM, version, after_help = "Statuses:\n  ok       last run ok, age <= interval; for a job whose schedule is known\n           (--crontab, --discover, hb-write --schedule): not past due + grace\n  late     last run ok, interval < age <= factor x interval (interval only)\n  running  a wrapped run within its maximum runtime, after an ok run or\n           none (healthy)\n  stale    age > factor x interval, or a scheduled run was missed: past\n           due + grace (overrides failed), or a\n           wrapped run past its maximum runtime (hung) or whose wrapper\n           is gone\n  failed   the last run reported failure (also while the next one runs)\n  invalid  the heartbeat cannot be read or used, or is dated in the future\n  missing  a job named with --expect, or run by hb-write in a crontab read\n           (once its first run + grace has passed), has no heartbeat\n  failing  failed, fewer runs in a row than --alert-after (a warning)\n  paused   hb-write --pause holds (never alerts)\n\nExit codes:\n  0  every job is ok (--lint: no warning; --adopt: nothing to change)\n  1  something is late or failing and nothing worse, or no heartbeat was found\n     (--lint: warnings; --adopt: something would change)\n  2  something is stale, failed, invalid or missing, or cron is not running\n  3  could not check: no heartbeat directory, unreadable directory,\n     lock timeout, tracker failure, bad usage, a crontab --adopt refused\n\nTracker: with --tracker-url, hb-check keeps one issue per host, titled\n`[heartbeat-checker] HOST: N job(s) need attention`, for the jobs that are\nstale, failed, invalid or missing: it opens it, edits it and comments when\nthe set changes, and closes it when every job recovers; a paused job leaves\nit as paused, never as recovered. --tracker-remind DURATION adds one reminder\ncomment per DURATION while it stays open. The token comes from\nHB_TRACKER_TOKEN or --tracker-token-file, never from a flag.")]
pub struct Args {
    #[command(flatten)]
    pub(crate) judge: JudgeArgs,

    /// Output format: `text` lists the jobs that are not ok; `json` is one
    /// document with every job.
    #[arg(long, value_enum, env = "HB_FORMAT", default_value = "text")]
    pub(crate) format: Format,

    /// Print nothing; only the exit code tells.
    #[arg(long, short, env = "HB_QUIET", conflicts_with = "verbose", value_parser = crate::record::parse_switch)]
    pub(crate) quiet: bool,

    /// List every job in text output, ok ones too.
    #[arg(long, short, env = "HB_VERBOSE", value_parser = crate::record::parse_switch)]
    pub(crate) verbose: bool,

    /// Print the text output only when the set of (job, status) pairs
    /// differs from the last printed run's, and again every --remind while
    /// something is bad; jobs that recovered are named. The exit code is
    /// unchanged. For cron: one mail when a job breaks, one a day while it
    /// stays broken, one when it recovers.
    #[arg(long, env = "HB_CHANGES_ONLY", value_parser = crate::record::parse_switch)]
    pub(crate) changes_only: bool,

    /// With --changes-only: print again after this long while something is
    /// bad (at most 400 days).
    #[arg(long, value_name = "DURATION", env = "HB_REMIND", default_value = "24h", value_parser = parse_timeout)]
    pub(crate) remind: Duration,

    /// How long to wait for another hb-check run to finish before giving up
    /// (at most 400 days).
    #[arg(long, value_name = "DURATION", env = "HB_LOCK_TIMEOUT", default_value = "60", value_parser = parse_timeout)]
    pub(crate) lock_timeout: Duration,

    /// Also write every job's metrics in the Prometheus text format to this
    /// file, atomically, for node_exporter's textfile collector.
    #[arg(long, value_name = "PATH", env = "HB_METRICS_FILE")]
    pub(crate) metrics_file: Option<PathBuf>,

    /// The lock file that keeps runs for the same host from overlapping.
    /// [default: hb-check.HOST.lock in $RUNTIME_DIRECTORY under systemd,
    /// else /run/cron-heartbeat for root, else $XDG_STATE_HOME/cron-heartbeat]
    #[arg(long, value_name = "PATH", env = "HB_LOCK_FILE")]
    pub(crate) lock_file: Option<PathBuf>,

    /// Print only the lint of the crontabs (--crontab, --discover), one
    /// warning a line, and exit 0 when there is none, 1 when there is.
    #[arg(long)]
    pub(crate) lint: bool,

    /// Adopting the crontabs' unmonitored jobs.
    #[command(flatten, next_help_heading = "Adoption")]
    pub adopt: crate::adopt::AdoptArgs,

    #[command(flatten, next_help_heading = "Tracker")]
    pub(crate) tracker: TrackerArgs,

    #[command(flatten, next_help_heading = "Notify")]
    pub(crate) notify: crate::notify::NotifyArgs,

    /// After each run, ping this dead man's switch (Healthchecks or Uptime
    /// Kuma): success when hb-check could check (exit 0, 1 or 2), failure
    /// when it could not (exit 3). It alerts when cron or hb-check stops.
    #[arg(long = "ping", value_name = "URL", env = "HB_CHECK_PING_URL", value_parser = crate::ping::URL_PARSER, hide_env_values = true)]
    pub(crate) ping: Option<url::Url>,

    /// The protocol of the --ping URL.
    #[arg(
        long,
        value_enum,
        value_name = "STYLE",
        env = "HB_CHECK_PING_STYLE",
        default_value = "healthchecks"
    )]
    pub(crate) ping_style: crate::ping::Style,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// One line per job that is not ok.
    Text,
    /// One document with every job.
    Json,
}

/// Runs hb-check with `args`, printing to standard output, and returns the
/// exit code (see the crate documentation for an example).
pub fn run(args: &Args) -> Check {
    run_to(args, &mut io::stdout().lock())
}

/// [`run`], printing to `stdout`. Each channel (metrics, issue, output) is tried whatever the
/// others did; the verdict is printed after the lock is released, so a reader that does not
/// read cannot hold it; `--format json` is one document, errors included.
pub(crate) fn run_to(args: &Args, stdout: &mut dyn Write) -> Check {
    if args.adopt.adopt {
        return crate::adopt::run(&args.adopt, &args.judge.schedule, PROGRAM, stdout);
    }
    if let Some(dest) = &args.notify.notify_test {
        return crate::notify::test_run(dest, &args.notify, &args.judge.host(), stdout);
    }
    if args.lint {
        return lint(args, stdout).unwrap_or_else(|err| {
            eprintln!("{PROGRAM}: {err}");
            Check::Unknown
        });
    }
    let started = std::time::Instant::now();
    let mut errors = Vec::new();
    let mut fail = |err: &Error| {
        eprintln!("{PROGRAM}: {err}");
        errors.push(err.to_string());
    };
    let (mut code, judged, changes) = match judge_locked(args, &mut fail) {
        Ok((code, judged, changes)) => (code, Some(judged), changes),
        Err(err) => {
            fail(&err);
            (Check::Unknown, None, None)
        }
    };
    let mut out = render(args, judged.as_ref(), &errors);
    if let Some((decision, j)) = changes.zip(judged.as_ref()) {
        if decision.deliver || j.causes.has(cause::Kind::CheckerGap) {
            out.extend_from_slice(crate::changes::recovered_lines(&decision, &j.jobs).as_bytes());
        } else {
            out.clear();
        }
    }
    let printed = survey::print(stdout, &out);
    if let Err(err) = &printed {
        eprintln!("{PROGRAM}: cannot write the report to standard output: {err}");
        code = code.merge(Check::Unknown);
    }
    if let Some(url) = &args.ping {
        let checked = judged.is_some() && errors.is_empty() && printed.is_ok();
        crate::ping::after_check(url, args.ping_style, checked, code as u8, started.elapsed());
    }
    code
}

/// Locks, judges, and keeps the metrics file and the tracker in line. An error that stops
/// the judging is returned; later ones go to `fail`: UNKNOWN, ranked below the verdict.
fn judge_locked(
    args: &Args,
    fail: &mut dyn FnMut(&Error),
) -> Result<(Check, Judged, Option<alert::Assessment>), Error> {
    let dirs = survey::locate(&args.judge)?;
    let host = args.judge.host();
    let lock = store::lock(args.lock_file.as_deref(), &host, args.lock_timeout)?;
    let when = expect::LintWhen::for_check(args.quiet, &lock.path);
    let mut judged = survey::judge(&args.judge, dirs, &when)?;
    let (causes, kept) = cause::run::assess(&judged.cause_run(&args.judge, &host), &lock.path);
    judged.causes = causes;
    let mut code = judged.code();
    let mut failed = |err: &Error| {
        fail(err);
        code = code.merge(Check::Unknown);
    };
    // Without the record of this run, the next cannot tell a gap in the checks (host down).
    kept.unwrap_or_else(|err| failed(&err));
    for warning in judged.lint.iter().filter(|_| !args.quiet) {
        eprintln!("{PROGRAM}: warning: {warning}");
    }
    judged.timers.errors.iter().for_each(&mut failed);
    if let Some(path) = &args.metrics_file {
        // Streamed into the file: a fleet's metrics are never one string.
        let report = judged.report();
        let written = store::write_file_with(path, &mut |mut out| {
            crate::metrics::write_prometheus(&mut out, &report)?;
            cause::render::write_metrics(&mut out, &host, &judged.jobs, &judged.causes)
        });
        written.unwrap_or_else(|err| failed(&err));
    }
    // The lock's holder tidies killed writers' temporaries: that changes no
    // verdict, so a failure is told and does not move the code.
    for (path, err) in &store::clean_temporaries(&judged.dirs) {
        let path = terminal_path(path);
        eprintln!("{PROGRAM}: cannot remove the stale temporary file {path}: {err}");
    }
    // The lock stays held through the notifying (its states are beside it).
    let synced = tracker_sync(&args.tracker, &host, &judged, &lock);
    let notified = crate::notify::after_check(&args.notify, &host, &judged, &lock);
    for err in [synced.err(), notified.err()].iter().flatten() {
        failed(err);
    }
    let text = args.format == Format::Text && !args.quiet;
    let decision = (args.changes_only && text).then(|| changes_since(&lock, &judged, args.remind));
    Ok((code, judged, decision))
}

/// `--changes-only`: this run against the state beside the (held) lock,
/// recorded when it prints; one that cannot be written is told.
fn changes_since(lock: &store::RunLock, judged: &Judged, remind: Duration) -> alert::Assessment {
    let path = store::beside(&lock.path, ".state");
    let last = store::read_small(&path).and_then(|b| alert::State::parse(&b));
    let (now, remind) = (judged.policy.now, remind.as_secs());
    let decision = alert::assess(last.as_ref(), judged.pairs(), now, remind);
    if decision.deliver {
        if let Err(err) = store::write_file(&path, &crate::record::json_line(&decision.next)) {
            eprintln!("{PROGRAM}: {err}");
        }
    }
    decision
}

/// The bytes for standard output; when unjudged, nothing in text (the error
/// is on standard error) and a document carrying the errors in JSON.
fn render(args: &Args, judged: Option<&Judged>, errors: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    if args.quiet {
        return out;
    }
    let now = args.judge.now.unwrap_or_else(chrono::Utc::now);
    let report = judged.map_or(Report::new(now, args.judge.factor, &[]), Judged::report);
    let unread = judged.map_or(&[][..], |j| &j.unread_crontabs[..]);
    // Writing to memory fails only when out of memory, which aborts anyway.
    let _ = match (args.format, judged) {
        (Format::Json, _) => {
            let causes = judged.map(|j| cause::render::json_fields(&j.jobs, &j.causes));
            report::write_json(&mut out, &report, errors, unread, causes.as_ref())
        }
        (Format::Text, None) => Ok(()),
        (Format::Text, Some(j)) => {
            // A cause needs no heartbeat: cron down is said all the same.
            let _ = cause::render::write_text(&mut out, &j.jobs, &j.fleet, &j.causes, args.verbose);
            if j.jobs.is_empty() && j.fleet.quorum.is_empty() {
                let dirs: Vec<_> = j.dirs.iter().map(|d| d.to_string_lossy()).collect();
                let dirs = terminal(&dirs.join(", ")).into_owned();
                let _ = writeln!(
                    out,
                    "no heartbeats found in {dirs}; write one with hb-write, or point --dir elsewhere"
                );
            }
            Ok(())
        }
    };
    expect::write_unread_note(&mut out, unread, args.verbose);
    let note = judged.and_then(|j| j.timers.note.as_ref());
    if let Some(note) = note.filter(|_| args.verbose && args.format == Format::Text) {
        let _ = writeln!(out, "{note}");
    }
    out
}

/// `--lint`: the crontabs' lint alone, its presence told by the exit code.
fn lint(args: &Args, stdout: &mut dyn Write) -> Result<Check, Error> {
    let schedule = &args.judge.schedule;
    if !schedule.reads_crontabs() {
        let needs = "--lint needs a crontab to read: give --crontab FILE or --discover";
        return Err(Error::rule(needs));
    }
    let now = args.judge.now.unwrap_or_else(chrono::Utc::now);
    let expected = expect::load(schedule, args.judge.factor, now, &expect::LintWhen::Always)?;
    let out: String = expected.lint.iter().map(|w| w.to_string() + "\n").collect();
    survey::print(stdout, out.as_bytes())
        .map_err(|err| Error::rule(format!("cannot write the lint: {err}")))?;
    Ok(if expected.lint.is_empty() {
        Check::Ok
    } else {
        Check::Warning
    })
}

/// Syncs the host's alert issue under the (held) run lock, so two runs never open two.
fn tracker_sync(
    args: &TrackerArgs,
    host: &str,
    judged: &Judged,
    lock: &store::RunLock,
) -> Result<(), Error> {
    let Some(config) = tracker::Config::load(
        args.tracker_kind,
        args.tracker_url.as_deref(),
        args.tracker_repo.as_deref(),
        args.tracker_token_file.as_deref(),
        args.tracker_timeout,
    )?
    else {
        return Ok(());
    };
    let forge = tracker::client::Client::new(&config);
    let cache_path = store::beside(&lock.path, ".remind");
    let cached = args
        .tracker_remind
        .and_then(|_| tracker::sync::Cache::parse(&store::read_small(&cache_path)?));
    let remember = |cache: &tracker::sync::Cache| {
        if let Err(err) = store::write_file(&cache_path, &crate::record::json_line(cache)) {
            eprintln!("{PROGRAM}: {err}");
        }
    };
    let opts = tracker::sync::Options {
        causes: &judged.causes.list,
        host,
        label: &args.tracker_label,
        dry_run: args.dry_run,
        checked_at: judged.policy.now,
        fleet: &judged.fleet,
        remind: args.tracker_remind.map(|every| tracker::sync::Remind {
            every,
            cached: cached.as_ref(),
            remember: &remember,
        }),
    };
    tracker::sync::sync(&forge, &opts, &judged.jobs, &mut |note| {
        // A dry run's issue text comes from heartbeat files: escaped for a terminal.
        for line in note.lines() {
            eprintln!("{PROGRAM}: {}", terminal(line));
        }
    })
    .map(drop)
}

#[cfg(test)]
mod tests;
