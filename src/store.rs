//! Where heartbeats live and all file I/O on them: the directory rule, the
//! atomic write, retiring a job, the scan, and the run lock.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use atomicwrites::{AtomicFile, OverwriteBehavior};
use chrono::{DateTime, Utc};
use walkdir::WalkDir;

use crate::error::Error;
use crate::record::{validate_job, Heartbeat};

mod history_file;
mod pause_file;

pub use history_file::{
    append_history, history_path, read_history, HISTORY_EXTENSION, HISTORY_READ_MAX,
};
pub use pause_file::{pause_path, read_pause, remove_pause, scan_pauses, write_pause, PauseEntry};

/// The system-wide heartbeat directory. It is persistent, so a reboot does
/// not erase the evidence that a job stopped running.
pub const SYSTEM_DIR: &str = "/var/lib/cron-heartbeat";

/// The file name ending of a heartbeat.
pub const EXTENSION: &str = "last";

/// Heartbeat files larger than this are not read: a heartbeat is a few
/// hundred bytes, and a huge file is garbage.
pub const MAX_FILE_BYTES: u64 = 64 * 1024;

/// The per-user fallback directory: `$XDG_STATE_HOME/cron-heartbeat`, by
/// default `~/.local/state/cron-heartbeat`.
pub fn user_dir() -> Option<PathBuf> {
    dirs::state_dir().map(|d| d.join("cron-heartbeat"))
}

/// The default locations readers look in, in order: the system directory,
/// then the user's state directory.
pub fn default_locations() -> Vec<PathBuf> {
    let mut all = vec![PathBuf::from(SYSTEM_DIR)];
    all.extend(user_dir());
    all
}

/// The directories a reader scans: the ones given, each of which must be a
/// directory that can be listed, else every default location that exists.
pub fn read_locations(given: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    if !given.is_empty() {
        for dir in given {
            fs::read_dir(dir).map_err(|source| Error::ReadDir {
                path: dir.clone(),
                source,
            })?;
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

/// The heartbeat file of `job` in `dir`.
pub fn heartbeat_path(dir: &Path, job: &str) -> PathBuf {
    dir.join(format!("{job}.{EXTENSION}"))
}

fn create_dir(dir: &Path) -> Result<(), Error> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(dir)
        .map_err(|source| Error::CreateDir {
            path: dir.to_owned(),
            source,
        })
}

/// Writes `record` atomically to `<dir>/<job>.last` and returns the path.
///
/// With `dir` given it is used (and created if missing). Without it the
/// system directory is used when this process can write there, else the
/// user's state directory.
///
/// The record goes to a temporary file in the same directory, which is
/// flushed to disk and renamed over the heartbeat; then the directory is
/// flushed. On failure the previous heartbeat is untouched and the temporary
/// file is gone. A symlink at the heartbeat's path is replaced, not followed.
pub fn write(dir: Option<&Path>, record: &Heartbeat) -> Result<PathBuf, Error> {
    if let Some(dir) = dir {
        return write_in(dir, record);
    }
    let system = Path::new(SYSTEM_DIR);
    match write_in(system, record) {
        Err(err) if is_not_permitted(&err) => match user_dir() {
            Some(user) => write_in(&user, record),
            None => Err(err),
        },
        other => other,
    }
}

fn is_not_permitted(err: &Error) -> bool {
    let source = match err {
        Error::CreateDir { source, .. } | Error::Write { source, .. } => source,
        _ => return false,
    };
    matches!(
        source.kind(),
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem
    )
}

fn write_in(dir: &Path, record: &Heartbeat) -> Result<PathBuf, Error> {
    if !dir.is_dir() {
        create_dir(dir)?;
    }
    let path = heartbeat_path(dir, &record.job);
    match write_file(&path, &record.to_json_line()) {
        Ok(()) => Ok(path),
        Err(Error::WriteFile { path, source }) => Err(Error::Write {
            job: record.job.clone(),
            path,
            source,
        }),
        Err(other) => Err(other),
    }
}

/// Replaces `path` with `bytes` atomically, as heartbeats are written: a
/// reader sees the old file or the new one, never a part.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    AtomicFile::new(path, OverwriteBehavior::AllowOverwrite)
        .write(|file| file.write_all(bytes))
        .map_err(|err| Error::WriteFile {
            path: path.to_owned(),
            source: err.into(),
        })
}

/// Retires `job`: removes its heartbeat from each of `dirs` where it exists,
/// so that readers stop judging it. Returns the files removed.
pub fn retire(dirs: &[PathBuf], job: &str) -> Result<Vec<PathBuf>, Error> {
    validate_job(job)?;
    let mut removed = Vec::new();
    for dir in dirs {
        let path = heartbeat_path(dir, job);
        match fs::remove_file(&path) {
            Ok(()) => removed.push(path),
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(Error::Retire {
                    job: job.to_owned(),
                    path,
                    source,
                })
            }
        }
    }
    if removed.is_empty() {
        return Err(Error::NotFound {
            job: job.to_owned(),
            looked: dirs.to_vec(),
        });
    }
    Ok(removed)
}

/// What a heartbeat file held.
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    /// A valid record.
    Record(Heartbeat),
    /// An empty file (a plain `touch`), with its modification time.
    Empty {
        /// The file's mtime.
        modified: DateTime<Utc>,
    },
}

/// One heartbeat file found by [`scan`].
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The file (or, for an unreadable subdirectory, the directory).
    pub path: PathBuf,
    /// The job, from the file name.
    pub job: String,
    /// The subdirectory the file sits in, below the heartbeat directory
    /// (`hosts/<host>/` gathered from several machines), if any.
    pub subdir: Option<String>,
    /// The content, or why it could not be used.
    pub content: Result<Content, String>,
}

/// Finds every `*.last` file directly in each of `dirs` and one level of
/// subdirectories below, skipping dotfiles, and reads each one.
///
/// A directory of `dirs` that cannot be listed is an error; a bad file or an
/// unreadable subdirectory becomes an entry with the reason, and the scan
/// goes on.
pub fn scan(dirs: &[PathBuf]) -> Result<Vec<Entry>, Error> {
    let mut entries = Vec::new();
    for dir in dirs {
        fs::read_dir(dir).map_err(|source| Error::ReadDir {
            path: dir.clone(),
            source,
        })?;
        let walk = WalkDir::new(dir)
            .min_depth(1)
            .max_depth(2)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
        for item in walk {
            match item {
                Ok(found) => {
                    if let Some(entry) = read_entry(dir, found.path(), found.depth()) {
                        entries.push(entry);
                    }
                }
                Err(err) => {
                    let path = err.path().unwrap_or(dir).to_owned();
                    if path.as_path() == dir.as_path() {
                        return Err(Error::ReadDir {
                            path,
                            source: err.into(),
                        });
                    }
                    let name = path.file_name().unwrap_or_default().to_string_lossy();
                    entries.push(Entry {
                        job: format!("{name}/"),
                        subdir: None,
                        content: Err(format!("cannot list directory: {}", io_cause(err))),
                        path,
                    });
                }
            }
        }
    }
    Ok(entries)
}

fn io_cause(err: walkdir::Error) -> String {
    match err.into_io_error() {
        Some(io) => io.to_string(),
        None => "a symlink loop".to_owned(),
    }
}

fn read_entry(root: &Path, path: &Path, depth: usize) -> Option<Entry> {
    let job = path
        .file_name()?
        .to_str()
        .and_then(|name| name.strip_suffix(".last"))
        .map(str::to_owned);
    let job = match job {
        Some(job) => job,
        // Not a heartbeat, or a non-UTF-8 name that cannot be one.
        None if path.extension().is_some_and(|e| e == EXTENSION) => {
            path.file_name()?.to_string_lossy().into_owned()
        }
        None => return None,
    };
    let subdir = (depth == 2)
        .then(|| {
            path.parent()?
                .strip_prefix(root)
                .ok()?
                .to_str()
                .map(str::to_owned)
        })
        .flatten();
    let content = match validate_job(&job) {
        Err(_) => Err("the file name is not a valid job name".to_owned()),
        Ok(()) => read_content(path, &job),
    };
    Some(Entry {
        path: path.to_owned(),
        job,
        subdir,
        content,
    })
}

fn read_content(path: &Path, job: &str) -> Result<Content, String> {
    let meta = fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    if !meta.is_file() {
        return Err("not a regular file".to_owned());
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!(
            "the file is {} bytes, more than a heartbeat's {MAX_FILE_BYTES}",
            meta.len()
        ));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    File::open(path)
        .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        let modified = meta
            .modified()
            .map_err(|e| format!("cannot read the modification time: {e}"))?;
        return Ok(Content::Empty {
            modified: modified.into(),
        });
    }
    let record =
        Heartbeat::from_json(&bytes).map_err(|e| format!("not a heartbeat record: {e}"))?;
    if record.job != job {
        return Err(format!(
            "the file is named `{job}.last` but the record is for job `{}`",
            crate::escape::terminal(&record.job)
        ));
    }
    Ok(Content::Record(record))
}

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
