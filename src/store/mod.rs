//! Where heartbeats live and all file I/O on them: the directory rule
//! (here), the atomic write ([`write()`], over `atomic`), the scan, the run
//! lock, the cleanup of killed writers' temporaries, and every user's own
//! area below `users/`. Every small file is read by one bounded,
//! non-blocking reader, `open`.

mod atomic;
mod clean;
mod history_file;
pub(crate) mod host;
pub(crate) mod lock;
pub(crate) mod open;
mod pause_file;
mod scan;
mod users;
mod write;

use std::fs::{self, DirBuilder};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use crate::error::Error;

pub use atomic::is_temporary_name;
pub(crate) use atomic::write_as;
pub(crate) use clean::clean_temporaries;
pub(crate) use history_file::{append_history, read_history, HISTORY_EXTENSION};
pub(crate) use lock::{lock, open_lock_file, wait_lock, LockWait, RunLock};
pub(crate) use pause_file::{check_known, remove_pause, scan_pauses, write_pause, PauseEntry};
pub(crate) use scan::scan_each;
pub(crate) use users::{dir_owner, effective_uid, own_area, user_name};
pub use write::write;
pub(crate) use write::{retire, write_file, write_file_with};

/// The system-wide heartbeat directory: persistent, so a reboot does not
/// erase the evidence that a job stopped running.
pub(crate) const SYSTEM_DIR: &str = "/var/lib/cron-heartbeat";

pub(crate) const EXTENSION: &str = "last";

/// A heartbeat is a few hundred bytes; a larger file than this is garbage.
pub(crate) const MAX_FILE_BYTES: u64 = 64 * 1024;

/// The per-user fallback directory, `$XDG_STATE_HOME/cron-heartbeat`.
pub(crate) fn user_dir() -> Option<PathBuf> {
    dirs::state_dir().map(|d| d.join("cron-heartbeat"))
}

/// Where readers look by default: the system directory, then the user's.
pub(crate) fn default_locations() -> Vec<PathBuf> {
    std::iter::once(PathBuf::from(SYSTEM_DIR))
        .chain(user_dir())
        .collect()
}

/// `path` with `suffix` added to its file name (`.state` beside a lock).
pub(crate) fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The directories a reader scans: the ones given, each listable, else
/// every default location that exists.
pub(crate) fn read_locations(given: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    if !given.is_empty() {
        for path in given.iter().cloned() {
            if let Err(source) = fs::read_dir(&path) {
                return Err(Error::ReadDir { path, source });
            }
        }
        return Ok(given.to_vec());
    }
    let looked = default_locations();
    let found: Vec<PathBuf> = looked.iter().filter(|d| d.is_dir()).cloned().collect();
    if found.is_empty() {
        return Err(Error::NoLocation { looked });
    }
    Ok(found)
}

pub(crate) fn heartbeat_path(dir: &Path, job: &str) -> PathBuf {
    dir.join(format!("{job}.{EXTENSION}"))
}

pub(crate) fn create_dir(dir: &Path) -> Result<(), Error> {
    let made = DirBuilder::new().recursive(true).mode(0o755).create(dir);
    made.map_err(|source| Error::CreateDir {
        path: dir.to_owned(),
        source,
    })
}

/// Sets the modification time of the regular file at `path` (never through
/// a link) to now: a keepalive that never overwrites a record.
pub(crate) fn touch(path: &Path) -> std::io::Result<()> {
    let (file, _) = open::open_regular(path, open::Links::Refuse)?;
    file.set_modified(std::time::SystemTime::now())
}

/// Reads a small state file as `open` does; `None` when unusable.
pub(crate) fn read_small(path: &Path) -> Option<Vec<u8>> {
    open::read_regular(path, open::Links::Refuse, MAX_FILE_BYTES)
        .ok()
        .map(|(bytes, _)| bytes)
}

/// The jobs that have a history file in `dir`; `None` when the listing
/// fails (then a reader tries each job's file).
pub(crate) fn history_jobs(dir: &Path) -> Option<std::collections::HashSet<String>> {
    let suffix = format!(".{HISTORY_EXTENSION}");
    let mut jobs = std::collections::HashSet::new();
    for entry in fs::read_dir(dir).ok()? {
        let name = entry.ok()?.file_name();
        let job = name.to_str().and_then(|n| n.strip_suffix(suffix.as_str()));
        jobs.extend(job.map(str::to_owned));
    }
    Some(jobs)
}
