//! The error's one line: what failed, on which value or file, and the
//! rule or the cause, with untrusted text made inert.

use std::fmt;
use std::path::{Path, PathBuf};

use super::Error;
use crate::escape::{terminal, terminal_path};

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Every failure on one file: `<doing> <path>: <why>`.
        let (doing, path, why): (&dyn fmt::Display, &Path, &dyn fmt::Display) = match self {
            Error::CreateDir { path, source } => (&"cannot create heartbeat directory", path, source),
            Error::Write { job, path, source } => {
                (&format!("cannot write heartbeat for job `{job}` to"), path, source)
            }
            Error::WriteFile { path, source } => (&"cannot write", path, source),
            Error::Retire { job, path, source } => {
                (&format!("cannot retire job `{job}`: cannot remove"), path, source)
            }
            Error::Resume { path, source } => (&"cannot resume: cannot remove", path, source),
            Error::ReadDir { path, source } => (
                &"cannot read heartbeat directory",
                path,
                &format!("{source}; point to the right one with --dir or HB_DIR"),
            ),
            Error::Lock { path, source } => (&"cannot lock", path, source),
            Error::LockUnsafe { path, reason } => (&"refusing the lock file", path, reason),
            Error::TokenFile { what, path, source } => {
                (&format!("cannot read the {what} token file"), path, source)
            }
            Error::Crontab { path, reason, .. } => (&"cannot read crontab", path, reason),
            Error::InvalidJob { job, reason } => return write!(
                f,
                "invalid job name `{}`: {reason} (a job name matches [A-Za-z0-9][A-Za-z0-9._-]{{0,127}})",
                terminal(job)
            ),
            Error::InvalidInterval { value, reason } => {
                return write!(f, "invalid interval `{}`: {reason}", terminal(value))
            }
            Error::Invalid { what, value, rule } => {
                return write!(f, "invalid {what} `{}`: {rule}", crate::escape::value(value))
            }
            Error::Failed { reason, .. } => return write!(f, "{reason}"),
            Error::Record { rule, .. } => return write!(f, "{rule}"),
            Error::Pattern {
                flag,
                pattern,
                rule,
                ..
            } => return write!(
                f,
                "invalid {flag} `{}`: {rule}",
                // Backticks in the pattern would end the quote early.
                terminal(pattern).replace('`', "'")
            ),
            Error::NotFound { job, looked } => return write!(
                f,
                "cannot retire job `{job}`: it has no heartbeat in {}",
                join_paths(looked)
            ),
            Error::NotPaused {
                job: Some(job),
                looked,
                ..
            } => return write!(
                f,
                "cannot resume job `{job}`: it is not paused (no pause file in {})",
                join_paths(looked)
            ),
            Error::NotPaused {
                job: None,
                file,
                looked,
            } => return write!(
                f,
                "cannot resume the host: it is not paused (no {file} in {})",
                join_paths(looked)
            ),
            Error::NoLocation { looked } => return write!(
                f,
                "no heartbeat directory found (looked in {}); point to one with --dir or HB_DIR",
                join_paths(looked)
            ),
            Error::LockTimeout { path, waited } => return write!(
                f,
                "another run holds the lock {} (waited {}s); raise --lock-timeout if runs take that long",
                terminal_path(path),
                waited.as_secs()
            ),
            Error::TokenFileMode { what, path, mode } => return write!(
                f,
                "refusing the {what} token file {}: group or others may read it (mode {:04o}); run `chmod 600 {}`",
                terminal_path(path),
                mode & 0o7777,
                terminal_path(path)
            ),
            Error::Tracker(err) => return fmt::Display::fmt(err, f),
            Error::Systemd {
                manager, reason, ..
            } => return write!(
                f,
                "cannot read the timers of {manager}: {reason}; the other jobs were judged"
            ),
        };
        write!(f, "{doing} {}: {why}", terminal_path(path))
    }
}

/// Paths as a message lists them: `a and b`.
pub(crate) fn join_paths(paths: &[PathBuf]) -> String {
    let shown: Vec<String> = paths.iter().map(|p| terminal_path(p)).collect();
    shown.join(" and ")
}
