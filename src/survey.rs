//! What the check run ([`crate::check`]) and the report run
//! ([`crate::watch`]) share: finding the heartbeat directories, scanning and
//! judging them with what the judge weighs besides the heartbeats (pauses,
//! histories, whether a wrapper still runs), and writing to standard output.

use std::collections::{HashMap, HashSet};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::cli::JudgeArgs;
use crate::error::Error;
use crate::exit_code::Check;
use crate::expect;
use crate::fleet::Fleet;
use crate::history::{recent, Run};
use crate::judge::{self, Job, Judgement, Policy, Status};
use crate::record::{Content, RunStatus, FUTURE_TOLERANCE_SECONDS};
use crate::store::{
    history_jobs, read_history, read_locations, scan_each, scan_pauses, PauseEntry,
};

/// What a scan found and how it was judged.
#[derive(Debug)]
pub(crate) struct Judged {
    pub dirs: Vec<PathBuf>,
    pub policy: Policy,
    /// The judged jobs, worst first.
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
    /// Whether jobs were judged from this host's own crontabs (`--discover`
    /// at the root `/`), so that cron itself must run.
    pub live_crontabs: bool,
    /// The rows grouped by cause, once the run weighed them.
    pub causes: crate::cause::Causes,
    /// Whether the instant judged at was given (`--now`).
    pub forensic: bool,
    /// When the host booted (`--boot-time`, else the kernel's).
    pub booted: Option<DateTime<Utc>>,
}

impl Judged {
    /// What the change engine compares from run to run, sorted: each job's
    /// status, cron's (a pseudo-job) and each quorum rule's; the one list
    /// `--changes-only` and every notify destination compare.
    pub(crate) fn pairs(&self) -> Vec<(String, judge::Status)> {
        let jobs = self.jobs.iter().map(|j| (crate::changes::key(j), j.status));
        let mut all: Vec<_> = (jobs.chain(crate::cause::run::pairs(&self.causes)))
            .chain(self.fleet.pairs())
            .collect();
        all.sort();
        all
    }

    /// The run's verdict as an exit code: the jobs under the fleet's quorum
    /// rules, raised to CRITICAL by a critical cause (cron not running).
    pub(crate) fn code(&self) -> Check {
        let cause = if self.causes.critical() {
            Check::Critical
        } else {
            Check::Ok
        };
        self.fleet.code(&self.jobs).merge(cause)
    }

    /// What the causes of this judgement are drawn from, for the checking
    /// `host`: a judgement as of a given instant (`--now`) is forensic.
    pub(crate) fn cause_run<'a>(&'a self, host: &'a str) -> crate::cause::run::Run<'a> {
        crate::cause::run::Run {
            booted: self.booted,
            jobs: &self.jobs,
            policy: &self.policy,
            needs: &self.needs,
            live_crontabs: self.live_crontabs,
            host,
            forensic: self.forensic,
        }
    }
}

/// The directories to read: the ones given, else the default ones that
/// exist.
///
/// With jobs expected (`--expect`, or timers, which are jobs of their own),
/// a directory that does not exist yet is a fresh install before any job
/// ran, not a broken check: it is left out, and with none left the
/// expected jobs are judged `missing`, which is exactly what must alert. A
/// directory that exists but cannot be read is still an error.
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

/// Scans `dirs` and judges every heartbeat by the options in `args`,
/// linting the crontabs read as `lint` says.
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
    let found = scan_pauses(&dirs);
    let pauses = Pauses {
        dirs: &dirs,
        found,
        now,
    };
    let this_host = crate::hostname();
    // Each file is judged as it is read and only the judgement is kept, so
    // a scan of a whole fleet's heartbeats never holds every record.
    let mut jobs = Vec::new();
    let mut needs = HashMap::new();
    scan_each(&dirs, &mut |entry| {
        let crontab = expected.line_for(&entry.job);
        // A history that cannot be read leaves the lag to the last
        // heartbeat and the count to the last run.
        let recent = (judge::needs_history(&entry, crontab, &policy))
            .then(|| history_beside(&entry.path, now))
            .flatten()
            .unwrap_or_default();
        let job = Job {
            name: &entry.job,
            entry: Some(&entry),
            crontab,
            recent: &recent,
            pause: pauses.of(Some(&entry.path), &entry.job),
            // A run in progress on this host: does its wrapper still run?
            wrapper_alive: match &entry.content {
                Ok(Content::Record(r)) if r.status == RunStatus::Running && r.host == this_host => {
                    alive(r.pid, r.started_at.unwrap_or(r.timestamp))
                }
                _ => None,
            },
        };
        let judged = judge::judge(&job, &policy);
        crate::cause::note_needs(&mut needs, &judged, &entry, crontab);
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
    let fleet = Fleet::of(&jobs, &host, &args.quorum);
    Ok(Judged {
        fleet,
        dirs,
        policy,
        jobs,
        lint: expected.lint,
        unread_crontabs: expected.unread,
        needs,
        live_crontabs: args.schedule.discover && args.schedule.cron_root == Path::new("/"),
        causes: crate::cause::Causes::default(),
        forensic: args.now.is_some(),
        booted: args.schedule.booted(),
        timers,
    })
}

/// Writes `bytes` to `out` and flushes. A closed pipe (`| head`) is not an
/// error: the reader has all it wants.
pub(crate) fn print(out: &mut dyn Write, bytes: &[u8]) -> io::Result<()> {
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// The pause files found in the directories read, as of one instant.
struct Pauses<'d> {
    dirs: &'d [PathBuf],
    found: Vec<PauseEntry>,
    now: DateTime<Utc>,
}

impl Pauses<'_> {
    /// The pause in force for the job `name` whose heartbeat is at `path`:
    /// the job's own pause beside its heartbeat, or a host pause in its
    /// directory or the directory above. A job without a heartbeat
    /// (`path` is `None`) takes the pauses of the directories read.
    fn of(&self, path: Option<&Path>, name: &str) -> Option<&crate::pause::Pause> {
        let (places, name): (Vec<&Path>, &str) = match path.and_then(home) {
            Some((dir, name)) => (vec![dir], name),
            None => (self.dirs.iter().map(PathBuf::as_path).collect(), name),
        };
        let applies = |p: &&PauseEntry| match &p.job {
            Some(job) => job == name && places.contains(&p.dir.as_path()),
            None => places.iter().any(|dir| dir.starts_with(&p.dir)),
        };
        self.found
            .iter()
            .filter(applies)
            .filter_map(|p| p.content.as_ref().ok())
            .filter(|p| p.is_active(self.now))
            .max_by_key(|p| p.until)
    }

    /// An `invalid` row for each pause file that cannot be used: a broken
    /// pause must not silence anything quietly.
    fn unusable(&self) -> impl Iterator<Item = Judgement> + '_ {
        self.found.iter().filter_map(|bad| {
            let reason = bad.content.as_ref().err()?;
            let name = bad.path.file_name().unwrap_or_default().to_string_lossy();
            Some(Judgement {
                status: Status::Invalid,
                reason: Some(format!("the pause file cannot be used: {reason}")),
                path: Some(bad.path.clone()),
                ..Judgement::missing(&name)
            })
        })
    }
}

/// The directory of a heartbeat file and the job's name in it (a job in a
/// user's area is judged as `<user>/<job>`, its files are `<job>.*`).
fn home(path: &Path) -> Option<(&Path, &str)> {
    let name = path.file_name()?.to_str()?.strip_suffix(".last")?;
    Some((path.parent()?, name))
}

/// The runs in the history beside the heartbeat at `path`, as known at
/// `now`: a run recorded after it (a history judged with `--now` in the
/// past) is left out. `None` when the history cannot be read.
fn history_beside(path: &Path, now: DateTime<Utc>) -> Option<Vec<Run>> {
    let (dir, job) = home(path)?;
    let mut runs = read_history(dir, job).ok()?;
    let horizon = now + chrono::Duration::seconds(FUTURE_TOLERANCE_SECONDS);
    runs.retain(|r| r.timestamp <= horizon);
    Some(runs)
}

/// Sets each job's recent runs from the history beside its heartbeat (none
/// when it cannot be read). Each directory is listed once and only the
/// histories in it are opened: a panel of thousands of jobs, most without
/// one, does not try (and fail) to open a file per job.
pub(crate) fn add_recent(jobs: &mut [Judgement], now: DateTime<Utc>) {
    // Keyed by the directory's bytes: hashing a `Path` walks its
    // components, which costs more than the lookup saves.
    let mut listed: HashMap<std::ffi::OsString, Option<HashSet<String>>> = HashMap::new();
    for judgement in jobs.iter_mut() {
        let Some(path) = judgement.path.as_deref() else {
            continue;
        };
        let Some((dir, job)) = home(path) else {
            continue;
        };
        if !listed.contains_key(dir.as_os_str()) {
            listed.insert(dir.as_os_str().to_owned(), history_jobs(dir));
        }
        // A directory that could not be listed: try the file itself.
        if matches!(&listed[dir.as_os_str()], Some(h) if !h.contains(job)) {
            continue;
        }
        if let Some(runs) = history_beside(path, now).filter(|r| !r.is_empty()) {
            judgement.recent = Some(Box::new(recent(&runs, judgement.interval_seconds, now)));
        }
    }
}

/// How much later than its run's start a process may have started and
/// still be the wrapper: the start time in `/proc` is read to the second.
const START_SLACK_SECONDS: i64 = 2;

/// Whether the wrapper with `pid`, whose run started at `started`, still
/// runs: the pid exists and its process did not start after the run did
/// (a pid handed to a new process is not the wrapper). `None` for a pid no
/// process can have.
fn alive(pid: u32, started: DateTime<Utc>) -> Option<bool> {
    let id = libc::pid_t::try_from(pid).ok().filter(|p| *p > 0)?;
    // SAFETY: signal 0 sends nothing; kill only says whether the process
    // exists (EPERM: it does, and belongs to another user).
    let gone = unsafe { libc::kill(id, 0) } != 0
        && io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
    if gone {
        return Some(false);
    }
    let reused = crate::store::host::process_start(pid)
        .is_some_and(|t| t > started + chrono::Duration::seconds(START_SLACK_SECONDS));
    Some(!reused)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrapper_is_alive_only_while_its_pid_is_the_process_that_started_the_run() {
        let me = std::process::id();
        assert_eq!(alive(me, Utc::now()), Some(true));
        // The pid now belongs to a process that started after the run: the
        // wrapper is gone and its pid was handed on.
        let long_ago = Utc::now() - chrono::Duration::days(30);
        assert_eq!(alive(me, long_ago), Some(false));
        assert_eq!(alive(0, Utc::now()), None, "0 is no process");
        assert_eq!(alive(u32::MAX, Utc::now()), None);
    }
}
