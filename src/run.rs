//! What the check run ([`crate::check`]) and the report run
//! ([`crate::watch`]) share: finding the heartbeat directories, scanning and
//! judging them, and writing to standard output.

use std::io::{self, Write};
use std::path::PathBuf;

use chrono::Utc;

use crate::cli::JudgeArgs;
use crate::error::Error;
use crate::expect;
use crate::history::Run;
use crate::judge::{self, schedule, Judgement, Policy};
use crate::record::{Content, Entry};
use crate::schedule::Lint;
use crate::store::{read_locations, scan_each};

mod context;

pub use context::add_recent;

/// What a scan found and how it was judged.
#[derive(Debug, Clone)]
pub struct Judged {
    /// The directories read.
    pub dirs: Vec<PathBuf>,
    /// The policy the jobs were judged by.
    pub policy: Policy,
    /// The judged jobs, worst first.
    pub jobs: Vec<Judgement>,
    /// The warnings about the crontabs read, for standard error.
    pub lint: Vec<Lint>,
    /// The users' crontabs discovery could not read.
    pub unread_crontabs: Vec<PathBuf>,
}

/// The directories to read: the ones given, else the default ones that
/// exist.
///
/// With jobs expected (`--expect`), a directory that does not exist yet is
/// a fresh install before any job ran, not a broken check: it is left out,
/// and with none left the expected jobs are judged `missing`, which is
/// exactly what must alert. A directory that exists but cannot be read is
/// still an error.
pub fn locate(args: &JudgeArgs) -> Result<Vec<PathBuf>, Error> {
    if args.expect.is_empty() {
        return read_locations(&args.dirs);
    }
    let absent =
        |d: &PathBuf| matches!(std::fs::metadata(d), Err(e) if e.kind() == io::ErrorKind::NotFound);
    if args.dirs.is_empty() {
        return match read_locations(&[]) {
            Err(Error::NoLocation { .. }) => Ok(Vec::new()),
            other => other,
        };
    }
    let present: Vec<PathBuf> = args.dirs.iter().filter(|d| !absent(d)).cloned().collect();
    if present.is_empty() {
        return Ok(Vec::new());
    }
    read_locations(&present)
}

/// Scans `dirs` and judges every heartbeat by the options in `args`,
/// linting the crontabs read as `lint` says.
pub fn judge(
    args: &JudgeArgs,
    dirs: Vec<PathBuf>,
    lint: &expect::LintWhen,
) -> Result<Judged, Error> {
    let policy = Policy {
        now: args.now.unwrap_or_else(Utc::now),
        factor: args.factor,
        default_interval: args.default_interval,
    };
    let mut expected = expect::load(&args.schedule, args.factor, policy.now, lint)?;
    // Each file is judged as it is read and only the judgement is kept, so
    // a scan of a whole fleet's heartbeats never holds every record.
    let mut jobs = Vec::new();
    scan_each(&dirs, &mut |entry| {
        let recent = recent_runs(&entry, &expected, policy.now);
        jobs.push(schedule::judge_entry(
            &entry,
            &expected.lines_for(&entry.job),
            &recent,
            &policy,
            &expected.rules,
        ));
    })?;
    // Judged: the warnings will be told, and need not be again.
    expected.record_linted();
    let jobs = schedule::complete(jobs, &[], &expected.jobs, &policy, &expected.rules);
    // One row per (host, job); then the expected jobs, each the checking
    // host's unless named HOST/JOB; then the pauses and the failure
    // threshold, which apply to all of them.
    let host = args.host();
    let mut jobs = judge::dedup(jobs, &host);
    judge::add_missing(&mut jobs, &args.expect, &host);
    context::hold(&mut jobs, &dirs, args.alert_after, policy.now);
    judge::sort(&mut jobs);
    Ok(Judged {
        dirs,
        policy,
        jobs,
        lint: expected.lint,
        unread_crontabs: expected.unread,
    })
}

/// The run history of a scheduled job as known at `now`, for its usual
/// lag. A history that cannot be read only leaves the lag to the last
/// heartbeat.
fn recent_runs(entry: &Entry, crontab: &expect::Expected, now: chrono::DateTime<Utc>) -> Vec<Run> {
    let in_record = matches!(&entry.content, Ok(Content::Record(r)) if r.schedule.is_some());
    let scheduled = in_record || crontab.is_scheduled(&entry.job);
    if !scheduled {
        return Vec::new();
    }
    context::history_beside(&entry.path, now).unwrap_or_default()
}

/// Writes `bytes` to `out` and flushes. A closed pipe (`| head`) is not an
/// error: the reader has all it wants.
pub fn print(out: &mut dyn Write, bytes: &[u8]) -> io::Result<()> {
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}
