//! Where heartbeats live and all file I/O on them: the directory rule and the heartbeat's write
//! (here, over the atomic replace of `atomic`), the scan, the run lock, and every user's own area
//! below `users/`. Every small file is read by one bounded, non-blocking reader, `open`.

mod atomic;
mod history_file;
pub(crate) mod host;
pub(crate) mod lock;
pub(crate) mod open;
mod pause_file;
mod scan;
mod users;

use std::fs::{self, DirBuilder};
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::record::{validate_job, Heartbeat};

pub use atomic::is_temporary_name;
pub(crate) use atomic::{clean_temporaries, write_as};
pub(crate) use history_file::{append_history, history_jobs, read_history, HISTORY_EXTENSION};
pub(crate) use lock::{lock, open_lock_file, wait_lock, LockWait, RunLock};
pub(crate) use pause_file::{check_known, remove_pause, scan_pauses, write_pause, PauseEntry};
pub(crate) use scan::scan_each;
pub(crate) use users::{dir_owner, effective_uid, own_area, user_name};

/// Persistent, so a reboot does not erase the evidence that a job stopped.
pub(crate) const SYSTEM_DIR: &str = "/var/lib/cron-heartbeat";

pub(crate) const EXTENSION: &str = "last";

/// A heartbeat is a few hundred bytes; a larger file than this is garbage.
pub(crate) const MAX_FILE_BYTES: u64 = 64 * 1024;

pub(crate) fn user_dir() -> Option<PathBuf> {
    dirs::state_dir().map(|d| d.join("cron-heartbeat"))
}

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

/// The directories to scan: those given (each listable), else the default ones that exist.
pub(crate) fn read_locations(given: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    for path in given {
        fs::read_dir(path).map_err(|source| Error::ReadDir {
            path: path.clone(),
            source,
        })?;
    }
    if !given.is_empty() {
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

/// Sets a regular file's mtime to now, not through a link: a keepalive that keeps the record.
pub(crate) fn touch(path: &Path) -> io::Result<()> {
    let (file, _) = open::open_regular(path, open::Links::Refuse)?;
    file.set_modified(std::time::SystemTime::now())
}

/// Reads a small state file as `open` does; `None` when unusable.
pub(crate) fn read_small(path: &Path) -> Option<Vec<u8>> {
    let (bytes, _) = open::read_regular(path, open::Links::Refuse, MAX_FILE_BYTES).ok()?;
    Some(bytes)
}

/// Writes `record` atomically to `<dir>/<job>.last` and returns the path.
///
/// The heartbeat directory is `dir` when given (created if missing), else
/// the system directory. When this process cannot write there and the
/// directory has a `users/` area, the record goes to this user's own area,
/// `users/<login>/` (see `own_area`); else, without `dir`, to the user's
/// state directory.
///
/// The write is atomic and durable: a reader sees the old heartbeat or the
/// new one, and a symlink at the heartbeat's path is replaced, not followed.
///
/// ```
/// use cron_heartbeat::{store, Heartbeat, RunStatus};
///
/// let dir = tempfile::tempdir()?;
/// let beat = Heartbeat::new("backup", 86_400, RunStatus::Ok);
/// let path = store::write(Some(dir.path()), &beat)?;
/// assert_eq!(path, dir.path().join("backup.last"));
/// let read = Heartbeat::from_json(&std::fs::read(&path)?)?;
/// assert_eq!((read.job.as_str(), read.status), ("backup", RunStatus::Ok));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write(dir: Option<&Path>, record: &Heartbeat) -> Result<PathBuf, Error> {
    let bytes = record.to_json_line();
    let written = write_where(dir, &|dir| {
        put(dir, heartbeat_path(dir, &record.job), &bytes)
    });
    written.map_err(|err| match err {
        Error::WriteFile { path, source } => Error::Write {
            job: record.job.clone(),
            path,
            source,
        },
        other => other,
    })
}

/// Writes with `write_in` where a job's files go, as [`write()`] says.
fn write_where(
    dir: Option<&Path>,
    write_in: &dyn Fn(&Path) -> Result<PathBuf, Error>,
) -> Result<PathBuf, Error> {
    let root = dir.unwrap_or(Path::new(SYSTEM_DIR));
    match write_in(root) {
        Err(err) if is_not_permitted(&err) => match (own_area(root)?, dir, user_dir()) {
            (Some(area), _, _) => write_in(&area),
            (None, None, Some(user)) => write_in(&user),
            _ => Err(err),
        },
        other => other,
    }
}

fn is_not_permitted(err: &Error) -> bool {
    use io::ErrorKind::{PermissionDenied, ReadOnlyFilesystem};
    matches!(err, Error::CreateDir { source, .. } | Error::WriteFile { source, .. }
        if matches!(source.kind(), PermissionDenied | ReadOnlyFilesystem))
}

fn put(dir: &Path, path: PathBuf, bytes: &[u8]) -> Result<PathBuf, Error> {
    if !dir.is_dir() {
        create_dir(dir)?;
    }
    write_file(&path, bytes).map(|()| path)
}

pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    write_file_with(path, &mut |out| out.write_all(bytes))
}

/// Replaces `path` atomically with what `fill` streams (a fleet's metrics are never all in memory).
pub(crate) fn write_file_with(
    path: &Path,
    fill: &mut dyn FnMut(&mut dyn io::Write) -> io::Result<()>,
) -> Result<(), Error> {
    write_as(path, atomic::MODE, None, false, fill).map_err(|source| Error::WriteFile {
        path: path.to_owned(),
        source,
    })
}

/// Removes `job`'s heartbeat, history, pause and output logs from `dirs`.
pub(crate) fn retire(dirs: &[PathBuf], job: &str) -> Result<Vec<PathBuf>, Error> {
    validate_job(job)?;
    let kinds = [EXTENSION, HISTORY_EXTENSION, "pause", "log", "log.1"];
    let files = |dir: &PathBuf| kinds.map(|kind| dir.join(format!("{job}.{kind}")));
    let failed = |path, source| Error::Retire {
        job: job.to_owned(),
        path,
        source,
    };
    remove_existing(dirs.iter().flat_map(files), failed, || Error::NotFound {
        job: job.to_owned(),
        looked: dirs.to_vec(),
    })
}

/// Removes those of `paths` that exist and returns them; `none` words none.
fn remove_existing(
    paths: impl IntoIterator<Item = PathBuf>,
    failed: impl Fn(PathBuf, io::Error) -> Error,
    none: impl FnOnce() -> Error,
) -> Result<Vec<PathBuf>, Error> {
    let mut removed = Vec::new();
    for path in paths {
        match fs::remove_file(&path) {
            Ok(()) => removed.push(path),
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(source) => return Err(failed(path, source)),
        }
    }
    (!removed.is_empty()).then_some(removed).ok_or_else(none)
}
