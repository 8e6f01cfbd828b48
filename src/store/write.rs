//! Writing heartbeats and other files atomically, and retiring a job.
use std::io;
use std::path::{Path, PathBuf};

use super::atomic::{write_as, MODE};
use super::{create_dir, heartbeat_path, own_area, user_dir, EXTENSION, HISTORY_EXTENSION};
use crate::error::Error;
use crate::record::{validate_job, Heartbeat};

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
pub(super) fn write_where(
    dir: Option<&Path>,
    write_in: &dyn Fn(&Path) -> Result<PathBuf, Error>,
) -> Result<PathBuf, Error> {
    let root = dir.unwrap_or(Path::new(super::SYSTEM_DIR));
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

pub(super) fn put(dir: &Path, path: PathBuf, bytes: &[u8]) -> Result<PathBuf, Error> {
    if !dir.is_dir() {
        create_dir(dir)?;
    }
    write_file(&path, bytes).map(|()| path)
}

pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    write_file_with(path, &mut |out| out.write_all(bytes))
}

/// Replaces `path` atomically with what `fill` streams into the temporary
/// (the metrics of a whole fleet are never built in memory).
pub(crate) fn write_file_with(
    path: &Path,
    fill: &mut dyn FnMut(&mut dyn io::Write) -> io::Result<()>,
) -> Result<(), Error> {
    write_as(path, MODE, None, false, fill).map_err(|source| Error::WriteFile {
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

/// Removes each of `paths` that exists and returns those removed; `none`
/// words finding none.
pub(super) fn remove_existing(
    paths: impl IntoIterator<Item = PathBuf>,
    failed: impl Fn(PathBuf, io::Error) -> Error,
    none: impl FnOnce() -> Error,
) -> Result<Vec<PathBuf>, Error> {
    let mut removed = Vec::new();
    for path in paths {
        match std::fs::remove_file(&path) {
            Ok(()) => removed.push(path),
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(source) => return Err(failed(path, source)),
        }
    }
    if removed.is_empty() {
        return Err(none());
    }
    Ok(removed)
}
