//! What the runs read besides the heartbeats, for the judge to weigh: the
//! pause files, the histories, whether a wrapper still runs; and the recent
//! runs for the report.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::history::{recent, Run};
use crate::judge::{Judgement, Status};
use crate::pause::Pause;
use crate::record::{Content, Entry, RunStatus, FUTURE_TOLERANCE_SECONDS};
use crate::store::{history_jobs, read_history, scan_pauses, PauseEntry};

/// The pause files found in the directories read, as of one instant.
pub(crate) struct Pauses<'d> {
    dirs: &'d [PathBuf],
    found: Vec<PauseEntry>,
    now: DateTime<Utc>,
}

impl<'d> Pauses<'d> {
    /// Reads the pause files of `dirs`.
    pub(crate) fn scan(dirs: &'d [PathBuf], now: DateTime<Utc>) -> Pauses<'d> {
        Pauses {
            dirs,
            found: scan_pauses(dirs),
            now,
        }
    }

    /// The pause in force for the job `name` whose heartbeat is at `path`:
    /// the job's own pause beside its heartbeat, or a host pause in its
    /// directory or the directory above. A job without a heartbeat
    /// (`path` is `None`) takes the pauses of the directories read.
    pub(crate) fn of(&self, path: Option<&Path>, name: &str) -> Option<&Pause> {
        let (places, name): (Vec<&Path>, &str) = match path.and_then(home) {
            Some((dir, name)) => (vec![dir], name),
            None => (self.dirs.iter().map(PathBuf::as_path).collect(), name),
        };
        let applies = |p: &&PauseEntry| match (&p.job, p.path.parent()) {
            (Some(job), Some(at)) => job == name && places.contains(&at),
            (None, Some(at)) => places.iter().any(|dir| dir.starts_with(at)),
            (_, None) => false,
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
    pub(crate) fn unusable(&self) -> impl Iterator<Item = Judgement> + '_ {
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
pub(super) fn history_beside(path: &Path, now: DateTime<Utc>) -> Option<Vec<Run>> {
    let (dir, job) = home(path)?;
    let mut runs = read_history(dir, job).ok()?;
    let horizon = now + chrono::Duration::seconds(FUTURE_TOLERANCE_SECONDS);
    runs.retain(|r| r.timestamp <= horizon);
    Some(runs)
}

/// Reads each job's history beside its heartbeat and sets its recent runs:
/// the strip, the success rate and the median duration. A history that
/// cannot be read shows as none.
///
/// Only the histories that exist are opened: each heartbeat directory is
/// listed once, so a panel of thousands of jobs, most of them without a
/// history, does not try (and fail) to open one file per job.
pub(crate) fn add_recent(jobs: &mut [Judgement], now: DateTime<Utc>) {
    // Keyed by the directory's bytes: hashing a `Path` walks its
    // components, which costs more than the lookup saves.
    let mut listed: HashMap<OsString, Option<HashSet<String>>> = HashMap::new();
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

/// For a run in progress on this host (`this_host`): whether its wrapper
/// still runs. Read-only: the process is asked whether it exists, never
/// signalled.
pub(crate) fn wrapper_alive(entry: &Entry, this_host: &str) -> Option<bool> {
    match &entry.content {
        Ok(Content::Record(r)) if r.status == RunStatus::Running && r.host == this_host => {
            alive(r.pid, r.started_at.unwrap_or(r.timestamp))
        }
        _ => None,
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
        && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
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
