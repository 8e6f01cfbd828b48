//! What [`crate::check`] and [`crate::watch`] share: finding the heartbeat
//! directories, scanning and judging them, and writing to standard output.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::Utc;

use crate::cause::{self, run::Run};
use crate::cli::JudgeArgs;
use crate::error::Error;
use crate::exit_code::Check;
use crate::expect;
use crate::fleet::Fleet;
use crate::judge::{self, Job, Judgement, Policy};
use crate::record::{Content, RunStatus};
use crate::report::Report;
use crate::store::{read_locations, scan_each};

pub(crate) mod context;

/// What a scan found and how it was judged.
#[derive(Debug)]
pub(crate) struct Judged {
    pub dirs: Vec<PathBuf>,
    pub policy: Policy,
    /// Worst first.
    pub jobs: Vec<Judgement>,
    /// The warnings about the crontabs read, for standard error.
    pub lint: Vec<crate::schedule::Lint>,
    /// The users' crontabs discovery could not read.
    pub unread_crontabs: Vec<PathBuf>,
    /// A note for `--verbose` and the systemd managers that could not be read.
    pub timers: crate::timers::Read,
    /// The same jobs across hosts: groups and quorum verdicts.
    pub fleet: Fleet,
    /// The jobs each job needs (record or crontab line), by `host/job`.
    pub needs: HashMap<String, Vec<String>>,
    /// The rows grouped by cause, once the run weighed them.
    pub causes: cause::Causes,
}

impl Judged {
    /// The sorted list the change engine compares from run to run (for
    /// `--changes-only`, every notify destination): jobs, cron, quorum rules.
    pub(crate) fn pairs(&self) -> Vec<(String, judge::Status)> {
        let jobs = self.jobs.iter().map(|j| (crate::changes::key(j), j.status));
        let mut all: Vec<_> = (jobs.chain(cause::run::pairs(&self.causes)))
            .chain(self.fleet.pairs())
            .collect();
        all.sort();
        all
    }

    /// The exit code: the jobs under the quorum rules, CRITICAL on a critical cause (cron down).
    pub(crate) fn code(&self) -> Check {
        let critical = (self.causes.has(crate::cause::Kind::CronDown)).then_some(Check::Critical);
        self.fleet
            .code(&self.jobs)
            .merge(critical.unwrap_or(Check::Ok))
    }

    /// The report of the rows, without causes: hb-check names them in its own lines.
    pub(crate) fn report(&self) -> Report<'_> {
        Report {
            dirs: &self.dirs,
            fleet: &self.fleet,
            ..Report::new(self.policy.now, self.policy.factor, &self.jobs)
        }
    }

    /// What the causes are drawn from (judged with `args`): a judgement at `--now` is
    /// forensic, one of this host's own crontabs (`--discover` at `/`) needs cron running.
    pub(crate) fn cause_run<'a>(&'a self, args: &JudgeArgs, host: &'a str) -> Run<'a> {
        Run {
            booted: args.schedule.booted(),
            jobs: &self.jobs,
            policy: &self.policy,
            needs: &self.needs,
            live_crontabs: args.schedule.discover && args.schedule.cron_root == Path::new("/"),
            host,
            forensic: args.now.is_some(),
        }
    }
}

/// The directories given, else the default ones that exist. With jobs expected (`--expect`,
/// timers), a missing one is a fresh install: left out; with none left the expected jobs are
/// `missing`, which must alert (an unreadable one is still an error).
pub(crate) fn locate(args: &JudgeArgs) -> Result<Vec<PathBuf>, Error> {
    if args.expect.is_empty() && !args.timers.systemd {
        return read_locations(&args.dirs);
    }
    let exists = |d: &&PathBuf| !matches!(d.try_exists(), Ok(false));
    let present: Vec<PathBuf> = args.dirs.iter().filter(exists).cloned().collect();
    if present.is_empty() && !args.dirs.is_empty() {
        return Ok(Vec::new());
    }
    match read_locations(&present) {
        Err(Error::NoLocation { .. }) => Ok(Vec::new()),
        other => other,
    }
}

/// Scans `dirs` and judges every heartbeat, linting the crontabs as `lint` says.
pub(crate) fn judge(
    args: &JudgeArgs,
    dirs: Vec<PathBuf>,
    lint: &expect::LintWhen,
) -> Result<Judged, Error> {
    let now = args.now.unwrap_or_else(Utc::now);
    let mut expected = expect::load(&args.schedule, args.factor, now, lint)?;
    let policy = Policy {
        now,
        factor: args.factor,
        default_interval: args.default_interval,
        alert_after: args.alert_after,
        rules: expected.rules,
    };
    let pauses = context::Pauses::new(&dirs, crate::store::scan_pauses(&dirs), now);
    let this_host = crate::hostname();
    // Judged as read, only the judgement kept: a fleet's scan never holds every record.
    let (mut jobs, mut needs) = (Vec::new(), HashMap::new());
    scan_each(&dirs, &mut |entry| {
        let crontab = expected.line_for(&entry.job);
        // An unreadable history leaves the lag to the last heartbeat, the count to the last run.
        let recent = (judge::needs_history(&entry, crontab, &policy))
            .then(|| context::history_beside(&entry.path, now))
            .flatten()
            .unwrap_or_default();
        let job = Job {
            name: &entry.job,
            entry: Some(&entry),
            crontab,
            recent: &recent,
            pause: pauses.of(Some(&entry.path), &entry.job),
            wrapper_alive: match &entry.content {
                Ok(Content::Record(r)) if r.status == RunStatus::Running && r.host == this_host => {
                    context::alive(r.pid, r.started_at.unwrap_or(r.timestamp))
                }
                _ => None,
            },
        };
        let judged = judge::judge(&job, &policy);
        cause::note_needs(&mut needs, &judged, &entry, crontab);
        jobs.push(judged);
    })?;
    for line in expected.jobs.iter().filter(|l| !l.needs.is_empty()) {
        let name = judge::schedule::judged_name(line);
        needs.entry(name).or_insert_with(|| line.needs.clone());
    }
    // Judged: the warnings will be told, and need not be again.
    expected.record_linted();
    jobs.extend(pauses.unusable());
    let mut timers = crate::timers::judge(&args.timers, &args.schedule, &policy);
    judge::timer::merge(&mut jobs, std::mem::take(&mut timers.rows), &this_host);
    // The expected jobs are each the checking host's unless named HOST/JOB.
    let host = args.host();
    let jobs = judge::rows(jobs, &expected.jobs, &args.expect, &host, &policy, |name| {
        pauses.of(None, name)
    });
    Ok(Judged {
        fleet: Fleet::of(&jobs, &host, &args.quorum),
        dirs,
        policy,
        jobs,
        lint: expected.lint,
        unread_crontabs: expected.unread,
        needs,
        causes: cause::Causes::default(),
        timers,
    })
}

/// Writes and flushes; a closed pipe (`| head`) is no error: the reader has all it wants.
pub(crate) fn print(out: &mut dyn Write, bytes: &[u8]) -> io::Result<()> {
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}
