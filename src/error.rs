//! The library's one error type.

use std::{fmt, io, path::PathBuf, time::Duration};

use crate::escape::terminal;

/// Everything that can go wrong in the library, with the context a person
/// needs to act on it.
#[derive(Debug)]
pub enum Error {
    /// A job name that breaks the naming rule.
    InvalidJob {
        /// The name as given.
        job: String,
        /// Which part of the rule it breaks.
        reason: &'static str,
    },
    /// An interval or duration that cannot be parsed or is out of range.
    InvalidInterval {
        /// The text as given.
        value: String,
        /// Why it was refused.
        reason: String,
    },
    /// A heartbeat directory could not be created.
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// A heartbeat could not be written.
    Write {
        /// The job.
        job: String,
        /// The heartbeat file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// A file other than a heartbeat (the metrics file) could not be written.
    WriteFile {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// A heartbeat could not be removed when retiring its job.
    Retire {
        /// The job.
        job: String,
        /// The heartbeat file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// A job to retire has no heartbeat in any of the directories.
    NotFound {
        /// The job.
        job: String,
        /// The directories looked in.
        looked: Vec<PathBuf>,
    },
    /// No heartbeat directory exists where readers look by default.
    NoLocation {
        /// Every place looked at.
        looked: Vec<PathBuf>,
    },
    /// A heartbeat directory does not exist or cannot be listed.
    ReadDir {
        /// The directory.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// The lock file could not be opened or locked.
    Lock {
        /// The lock file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// Another run held the lock for longer than the timeout.
    LockTimeout {
        /// The lock file.
        path: PathBuf,
        /// How long this run waited.
        waited: Duration,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidJob { job, reason } => write!(
                f,
                "invalid job name `{}`: {reason} (a job name matches [A-Za-z0-9][A-Za-z0-9._-]{{0,127}})",
                terminal(job)
            ),
            Error::InvalidInterval { value, reason } => write!(
                f,
                "invalid interval `{}`: {reason}",
                terminal(value)
            ),
            Error::CreateDir { path, source } => write!(
                f,
                "cannot create heartbeat directory {}: {source}",
                terminal(&path.to_string_lossy())
            ),
            Error::Write { job, path, source } => write!(
                f,
                "cannot write heartbeat for job `{job}` to {}: {source}",
                terminal(&path.to_string_lossy())
            ),
            Error::WriteFile { path, source } => write!(
                f,
                "cannot write {}: {source}",
                terminal(&path.to_string_lossy())
            ),
            Error::Retire { job, path, source } => write!(
                f,
                "cannot retire job `{job}`: cannot remove {}: {source}",
                terminal(&path.to_string_lossy())
            ),
            Error::NotFound { job, looked } => write!(
                f,
                "cannot retire job `{job}`: it has no heartbeat in {}",
                join_paths(looked)
            ),
            Error::NoLocation { looked } => {
                write!(
                    f,
                    "no heartbeat directory found (looked in {}); point to one with --dir or HB_DIR",
                    join_paths(looked)
                )
            }
            Error::ReadDir { path, source } => write!(
                f,
                "cannot read heartbeat directory {}: {source}; point to the right one with --dir or HB_DIR",
                terminal(&path.to_string_lossy())
            ),
            Error::Lock { path, source } => write!(
                f,
                "cannot lock {}: {source}",
                terminal(&path.to_string_lossy())
            ),
            Error::LockTimeout { path, waited } => write!(
                f,
                "another run holds the lock {} (waited {}s); raise --lock-timeout if runs take that long",
                terminal(&path.to_string_lossy()),
                waited.as_secs()
            ),
        }
    }
}

fn join_paths(paths: &[PathBuf]) -> String {
    let shown: Vec<String> = paths
        .iter()
        .map(|p| terminal(&p.to_string_lossy()).into_owned())
        .collect();
    shown.join(" and ")
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::CreateDir { source, .. }
            | Error::Write { source, .. }
            | Error::WriteFile { source, .. }
            | Error::Retire { source, .. }
            | Error::ReadDir { source, .. }
            | Error::Lock { source, .. } => Some(source),
            Error::InvalidJob { .. }
            | Error::InvalidInterval { .. }
            | Error::NotFound { .. }
            | Error::NoLocation { .. }
            | Error::LockTimeout { .. } => None,
        }
    }
}
