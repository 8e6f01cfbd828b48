//! The run lock that keeps hb-check runs from overlapping.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use super::{create_dir, user_dir, SYSTEM_DIR};
use crate::error::Error;

/// An exclusive lock held for the length of a run; released on drop.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
    path: PathBuf,
}

impl RunLock {
    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The name of the lock file hb-check takes.
pub const LOCK_FILE: &str = ".hb-check.lock";

/// Takes the exclusive run lock at `path`, or, when no path is given, at
/// `.hb-check.lock` in the first heartbeat directory (the user's state
/// directory when that one is not writable). Waits up to `timeout` for
/// another run to release it.
pub fn lock(path: Option<&Path>, dirs: &[PathBuf], timeout: Duration) -> Result<RunLock, Error> {
    let (file, path) = match path {
        Some(path) => (open_lock(path)?, path.to_owned()),
        None => {
            let first = dirs.first().map_or(Path::new(SYSTEM_DIR), |d| d);
            let path = first.join(LOCK_FILE);
            match open_lock(&path) {
                Ok(file) => (file, path),
                Err(Error::Lock { source, .. })
                    if source.kind() == io::ErrorKind::PermissionDenied
                        || source.kind() == io::ErrorKind::ReadOnlyFilesystem =>
                {
                    let Some(user) = user_dir() else {
                        return Err(Error::Lock { path, source });
                    };
                    create_dir(&user)?;
                    let path = user.join("hb-check.lock");
                    (open_lock(&path)?, path)
                }
                Err(err) => return Err(err),
            }
        }
    };
    let started = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(RunLock { _file: file, path }),
            Err(fs::TryLockError::WouldBlock) => {}
            Err(fs::TryLockError::Error(source)) => return Err(Error::Lock { path, source }),
        }
        if started.elapsed() >= timeout {
            return Err(Error::LockTimeout {
                path,
                waited: timeout,
            });
        }
        thread::sleep(Duration::from_millis(50));
    }
}

fn open_lock(path: &Path) -> Result<File, Error> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        // A lock file that exists in a directory this process cannot write
        // to can still be locked through a read-only handle.
        .or_else(|first| File::open(path).map_err(|_| first))
        .map_err(|source| Error::Lock {
            path: path.to_owned(),
            source,
        })
}
