//! What the runs read besides the heartbeats for the judge (pauses, histories,
//! whether a wrapper still runs), and the recent runs for the report.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::history::{recent, Run};
use crate::judge::{Judgement, Status};
use crate::pause::Pause;
use crate::store::{history_jobs, read_history, PauseEntry};

/// The pause files of the directories read as of one instant, indexed so a job's look-up
/// costs the same with one or 50,000 (scanning them all per heartbeat took minutes).
#[derive(Debug)]
pub(crate) struct Pauses<'d> {
    dirs: &'d [PathBuf],
    found: Vec<PauseEntry>,
    /// The pauses in force: a job's by its name, then by their directory.
    jobs: HashMap<String, HashMap<PathBuf, Vec<usize>>>,
    /// Host pauses by their directory.
    hosts: HashMap<PathBuf, Vec<usize>>,
}

impl<'d> Pauses<'d> {
    pub(crate) fn new(dirs: &'d [PathBuf], found: Vec<PauseEntry>, now: DateTime<Utc>) -> Self {
        let (mut jobs, mut hosts) = (HashMap::new(), HashMap::<_, Vec<_>>::new());
        for (i, p) in found.iter().enumerate() {
            let active = p.content.as_ref().is_ok_and(|p| p.is_active(now));
            let Some(dir) = p.path.parent().filter(|_| active) else {
                continue;
            };
            let by_dir = match &p.job {
                Some(job) => jobs.entry(job.clone()).or_default(),
                None => &mut hosts,
            };
            by_dir.entry(dir.to_owned()).or_default().push(i);
        }
        Pauses {
            dirs,
            found,
            jobs,
            hosts,
        }
    }

    /// The pause in force for job `name` with its heartbeat at `path`: its own
    /// beside it, or a host pause in its directory or one above; without a
    /// heartbeat, the pauses of the directories read.
    pub(crate) fn of(&self, path: Option<&Path>, name: &str) -> Option<&Pause> {
        if self.jobs.is_empty() && self.hosts.is_empty() {
            return None;
        }
        let home = path.and_then(home);
        let (own, name) = (home.map(|h| h.0), home.map_or(name, |h| h.1));
        let read = self.dirs.iter().map(PathBuf::as_path);
        let places = || {
            own.into_iter()
                .chain(read.clone().filter(|_| own.is_none()))
        };
        let jobs = (self.jobs.get(name).into_iter())
            .flat_map(|by_dir| places().filter_map(|dir| by_dir.get(dir)));
        let hosts = (places().flat_map(Path::ancestors)).filter_map(|dir| self.hosts.get(dir));
        // Of equal ends, the last found wins, as a scan in order gave.
        (jobs.chain(hosts).flatten())
            .filter_map(|&i| Some((i, self.found[i].content.as_ref().ok()?)))
            .max_by_key(|(i, p)| (p.until, *i))
            .map(|(_, p)| p)
    }

    /// An `invalid` row per unusable pause file: a broken pause must silence nothing quietly.
    pub(crate) fn unusable(&self) -> impl Iterator<Item = Judgement> + '_ {
        self.found.iter().filter_map(|bad| {
            let reason = bad.content.as_ref().err()?;
            let name = bad.path.file_name().unwrap_or_default().to_string_lossy();
            let reason = format!("the pause file cannot be used: {reason}");
            Some(Judgement {
                path: Some(bad.path.clone()),
                ..Judgement::bare(&name, Status::Invalid, Some(reason))
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

/// The runs in the history beside the heartbeat at `path` as known at `now`, if any
/// (one recorded after it, with `--now` in the past, is left out).
pub(super) fn history_beside(path: &Path, now: DateTime<Utc>) -> Option<Vec<Run>> {
    let (dir, job) = home(path)?;
    let mut runs = read_history(dir, job).ok()?;
    let horizon = now + chrono::Duration::seconds(crate::record::FUTURE_TOLERANCE_SECONDS);
    runs.retain(|r| r.timestamp <= horizon);
    (!runs.is_empty()).then_some(runs)
}

/// Sets each job's recent runs from its history, listing each directory once and opening only
/// the histories in it: a panel of thousands of jobs, most without one, opens no file per job.
pub(crate) fn add_recent(jobs: &mut [Judgement], now: DateTime<Utc>) {
    // By the directory's bytes: hashing a `Path` walks its components (more than it saves).
    let mut listed: HashMap<std::ffi::OsString, Option<HashSet<String>>> = HashMap::new();
    for judgement in jobs.iter_mut() {
        let path = judgement.path.as_deref();
        let Some((dir, job)) = path.and_then(home) else {
            continue;
        };
        if !listed.contains_key(dir.as_os_str()) {
            listed.insert(dir.as_os_str().to_owned(), history_jobs(dir));
        }
        // A directory that could not be listed: try the file itself.
        if matches!(&listed[dir.as_os_str()], Some(h) if !h.contains(job)) {
            continue;
        }
        if let Some(runs) = path.and_then(|p| history_beside(p, now)) {
            judgement.recent = Some(Box::new(recent(&runs, judgement.interval_seconds, now)));
        }
    }
}

/// How much later than its run the wrapper may have started: `/proc` times are to the second.
const START_SLACK_SECONDS: i64 = 2;

/// Whether the wrapper `pid` of a run started at `started` still runs (a pid handed
/// on to a later process is not it); `None` for a pid no process can have.
pub(super) fn alive(pid: u32, started: DateTime<Utc>) -> Option<bool> {
    let id = libc::pid_t::try_from(pid).ok().filter(|p| *p > 0)?;
    // SAFETY: signal 0 sends nothing; kill only says whether the process
    // exists (EPERM: it does, and belongs to another user).
    let gone = unsafe { libc::kill(id, 0) } != 0
        && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
    let latest = started + chrono::Duration::seconds(START_SLACK_SECONDS);
    Some(!gone && crate::store::host::process_start(pid).is_none_or(|t| t <= latest))
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

    #[test]
    fn a_pause_applies_beside_its_job_or_from_a_directory_above() {
        let now = Utc::now();
        let entry = |dir: &str, job: Option<&str>, hours: i64| PauseEntry {
            path: PathBuf::from(dir).join(job.unwrap_or("host").to_owned() + ".pause"),
            job: job.map(str::to_owned),
            content: Ok(Pause {
                version: 1,
                job: job.map(str::to_owned),
                since: now - chrono::Duration::hours(1),
                until: now + chrono::Duration::hours(hours),
                reason: Some(format!("{dir} {job:?} {hours}")),
            }),
        };
        let dirs = [PathBuf::from("/hb"), PathBuf::from("/other")];
        let found = vec![
            entry("/hb/web1", Some("backup"), 2),
            entry("/other", Some("backup"), 9),
            entry("/hb", None, 1),
            entry("/hb/web2", None, 5),
        ];
        let pauses = Pauses::new(&dirs, found, now);
        let reason = |path: Option<&str>, job: &str| {
            let pause = pauses.of(path.map(Path::new), job)?;
            pause.reason.clone()
        };
        let own = reason(Some("/hb/web1/backup.last"), "backup");
        assert_eq!(own.as_deref(), Some("/hb/web1 Some(\"backup\") 2"));
        let above = reason(Some("/hb/web1/rotate.last"), "rotate");
        assert_eq!(above.as_deref(), Some("/hb None 1"), "the host pause above");
        let longest = reason(Some("/hb/web2/backup.last"), "backup");
        assert_eq!(longest.as_deref(), Some("/hb/web2 None 5"));
        assert_eq!(reason(Some("/elsewhere/backup.last"), "backup"), None);
        // Without a heartbeat: the pauses of the directories read.
        let missing = reason(None, "backup");
        assert_eq!(missing.as_deref(), Some("/other Some(\"backup\") 9"));
    }
}
