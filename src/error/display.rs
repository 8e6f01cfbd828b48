//! The error's one line: what failed, on which value or file, and the
//! rule or the cause, with untrusted text made inert.

use std::fmt;
use std::path::{Path, PathBuf};

use super::Error;
use crate::escape::{terminal, terminal_path};

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
            Error::Invalid { what, value, rule } => {
                write!(f, "invalid {what} `{}`: {rule}", crate::escape::value(value))
            }
            Error::Rule { rule, .. } | Error::Record { rule, .. } => write!(f, "{rule}"),
            Error::Pattern {
                flag,
                pattern,
                rule,
                ..
            } => write!(
                f,
                "invalid {flag} `{}`: {rule}",
                // Backticks in the pattern would end the quote early.
                terminal(pattern).replace('`', "'")
            ),
            Error::CreateDir { path, source } => on_file(
                f,
                "cannot create heartbeat directory",
                path,
                source,
            ),
            Error::Write { job, path, source } => on_file(
                f,
                &format!("cannot write heartbeat for job `{job}` to"),
                path,
                source,
            ),
            Error::WriteFile { path, source } => on_file(f, "cannot write", path, source),
            Error::Retire { job, path, source } => on_file(
                f,
                &format!("cannot retire job `{job}`: cannot remove"),
                path,
                source,
            ),
            Error::NotFound { job, looked } => write!(
                f,
                "cannot retire job `{job}`: it has no heartbeat in {}",
                join_paths(looked)
            ),
            Error::Resume { path, source } => on_file(
                f,
                "cannot resume: cannot remove",
                path,
                source,
            ),
            Error::NotPaused {
                job: Some(job),
                looked,
                ..
            } => write!(
                f,
                "cannot resume job `{job}`: it is not paused (no pause file in {})",
                join_paths(looked)
            ),
            Error::NotPaused {
                job: None,
                file,
                looked,
            } => write!(
                f,
                "cannot resume the host: it is not paused (no {file} in {})",
                join_paths(looked)
            ),
            Error::NoLocation { looked } => {
                write!(
                    f,
                    "no heartbeat directory found (looked in {}); point to one with --dir or HB_DIR",
                    join_paths(looked)
                )
            }
            Error::ReadDir { path, source } => on_file(
                f,
                "cannot read heartbeat directory",
                path,
                &format_args!("{source}; point to the right one with --dir or HB_DIR"),
            ),
            Error::Lock { path, source } => on_file(f, "cannot lock", path, source),
            Error::LockUnsafe { path, reason } => on_file(
                f,
                "refusing the lock file",
                path,
                reason,
            ),
            Error::LockTimeout { path, waited } => write!(
                f,
                "another run holds the lock {} (waited {}s); raise --lock-timeout if runs take that long",
                terminal_path(path),
                waited.as_secs()
            ),
            Error::TokenFile { what, path, source } => on_file(
                f,
                &format!("cannot read the {what} token file"),
                path,
                source,
            ),
            Error::TokenFileMode { what, path, mode } => write!(
                f,
                "refusing the {what} token file {}: group or others may read it (mode {:04o}); run `chmod 600 {}`",
                terminal_path(path),
                mode & 0o7777,
                terminal_path(path)
            ),
            Error::TrackerConfig { reason, .. }
            | Error::Ping { reason, .. }
            | Error::Adopt { reason, .. }
            | Error::Notify { reason, .. } => write!(f, "{reason}"),
            Error::Tracker(err) => err.fmt(f),
            Error::Crontab { path, reason, .. } => on_file(f, "cannot read crontab", path, reason),
            Error::Systemd {
                manager, reason, ..
            } => write!(
                f,
                "cannot read the timers of {manager}: {reason}; the other jobs were judged"
            ),
        }
    }
}

/// `<doing> <path>: <why>`: the layout of every failure on one file.
fn on_file(
    f: &mut fmt::Formatter<'_>,
    doing: &str,
    path: &Path,
    why: &dyn fmt::Display,
) -> fmt::Result {
    write!(f, "{doing} {}: {why}", terminal_path(path))
}

/// Paths as a message lists them: `a and b`.
pub(crate) fn join_paths(paths: &[PathBuf]) -> String {
    let shown: Vec<String> = paths.iter().map(|p| terminal_path(p)).collect();
    shown.join(" and ")
}
