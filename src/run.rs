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
use crate::judge::{schedule, Judgement, Policy};
use crate::record::{Content, Entry};
use crate::schedule::Expectation;
use crate::schedule::Lint;
use crate::store::{read_history, read_locations, scan_each};

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
}

/// The directories to read: the ones given, else the default ones that
/// exist.
pub fn locate(args: &JudgeArgs) -> Result<Vec<PathBuf>, Error> {
    read_locations(&args.dirs)
}

/// Scans `dirs` and judges every heartbeat by the options in `args`.
pub fn judge(args: &JudgeArgs, dirs: Vec<PathBuf>) -> Result<Judged, Error> {
    let policy = Policy {
        now: args.now.unwrap_or_else(Utc::now),
        factor: args.factor,
        default_interval: args.default_interval,
    };
    let expected = expect::load(&args.schedule, args.factor, policy.now)?;
    // Each file is judged as it is read and only the judgement is kept, so
    // a scan of a whole fleet's heartbeats never holds every record.
    let mut jobs = Vec::new();
    scan_each(&dirs, &mut |entry| {
        let recent = recent_runs(&entry, &expected.jobs);
        jobs.push(schedule::judge_entry(
            &entry,
            &expected.jobs,
            &recent,
            &policy,
            &expected.rules,
        ));
    })?;
    let jobs = schedule::complete(jobs, &args.expect, &expected.jobs, &policy, &expected.rules);
    Ok(Judged {
        dirs,
        policy,
        jobs,
        lint: expected.lint,
    })
}

/// The run history of a scheduled job, for its usual lag. A history that
/// cannot be read only leaves the lag to the last heartbeat.
fn recent_runs(entry: &Entry, crontab: &[Expectation]) -> Vec<Run> {
    let in_record = matches!(&entry.content, Ok(Content::Record(r)) if r.schedule.is_some());
    let scheduled = in_record
        || crontab
            .iter()
            .any(|c| c.job == entry.job && c.schedule.is_some());
    if !scheduled {
        return Vec::new();
    }
    entry
        .path
        .parent()
        .and_then(|dir| read_history(dir, &entry.job).ok())
        .unwrap_or_default()
}

/// Writes `bytes` to `out` and flushes. A closed pipe (`| head`) is not an
/// error: the reader has all it wants.
pub fn print(out: &mut dyn Write, bytes: &[u8]) -> io::Result<()> {
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}
