//! The library's one error type: struct variants with the value and the rule
//! it broke, or the typed cause that [`std::error::Error::source`] leads to.
//! `Display` is one line a person can act on, untrusted text made inert; it
//! already says the cause, so a program that prints the chain says it twice.

mod tracker;

use std::fmt;
use std::path::{Path, PathBuf};
use std::{io, time::Duration};

use crate::escape::{terminal, terminal_path};
pub use tracker::TrackerError;

/// Everything that can go wrong in the library, with the context to act on it.
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
    /// A value that breaks its kind's rule: an argument, a setting, a field.
    Invalid {
        /// What kind of value: `size`, `duration`, `exit codes`.
        what: &'static str,
        /// The value as given.
        value: String,
        /// The rule it breaks.
        rule: String,
    },
    /// A refused value or a failed step, in one line that says everything
    /// (the value unless clap shows it, the file, the destination by scheme
    /// and host, never a URL's secret).
    Failed {
        /// The message.
        reason: String,
        /// The cause: a parser's, the OS's, the HTTP client's, a destination's.
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// A `--fail-on` or `--ok-on` pattern that does not compile within its size limit.
    Pattern {
        /// The option that gave it.
        flag: String,
        /// The pattern as given.
        pattern: String,
        /// What is wrong with it, in one line.
        rule: String,
        /// The regex engine's error.
        source: Box<regex_automata::meta::BuildError>,
    },
    /// A heartbeat or pause record: not the format's JSON, or against its rules.
    Record {
        /// What is wrong.
        rule: String,
        /// The JSON error, when the text is not the format's JSON.
        source: Option<serde_json::Error>,
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
    /// A pause file could not be removed.
    Resume {
        /// The pause file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// A job (or the host, `None`) to resume has no pause file.
    NotPaused {
        /// The job; `None` for the host pause.
        job: Option<String>,
        /// The name of the pause file looked for.
        file: String,
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
    /// A lock file that another user could redirect, pre-create or take.
    LockUnsafe {
        /// The lock file.
        path: PathBuf,
        /// What is wrong and what to do.
        reason: String,
    },
    /// Another run held the lock for longer than the timeout.
    LockTimeout {
        /// The lock file.
        path: PathBuf,
        /// How long this run waited.
        waited: Duration,
    },
    /// A token file (the tracker's, ntfy's) that cannot be read.
    TokenFile {
        /// Whose token it holds: `tracker` or `ntfy`.
        what: &'static str,
        /// The token file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// A token file that group or others may read.
    TokenFileMode {
        /// Whose token it holds: `tracker` or `ntfy`.
        what: &'static str,
        /// The token file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// A request to the issue tracker failed.
    Tracker(Box<TrackerError>),
    /// A crontab could not be read.
    Crontab {
        /// The crontab.
        path: PathBuf,
        /// Why it could not be read.
        reason: String,
        /// The OS error, when one stopped the read.
        source: Option<io::Error>,
    },
    /// systemd's timers could not be read (`--systemd`).
    Systemd {
        /// Which manager: `the system manager` or a user's.
        manager: String,
        /// What went wrong, one line.
        reason: String,
        /// The OS error, when one stopped a call of a tool.
        source: Option<io::Error>,
    },
}

impl From<TrackerError> for Error {
    fn from(err: TrackerError) -> Self {
        Error::Tracker(Box::new(err))
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::CreateDir { source, .. }
            | Error::Write { source, .. }
            | Error::WriteFile { source, .. }
            | Error::Retire { source, .. }
            | Error::Resume { source, .. }
            | Error::ReadDir { source, .. }
            | Error::Lock { source, .. }
            | Error::TokenFile { source, .. } => Some(source),
            Error::Crontab { source, .. } | Error::Systemd { source, .. } => {
                source.as_ref().map(|e| e as _)
            }
            Error::Pattern { source, .. } => Some(&**source),
            Error::Failed { source, .. } => source.as_deref().map(|e| e as _),
            Error::Record { source, .. } => source.as_ref().map(|e| e as _),
            Error::Tracker(err) => Some(err.as_ref()),
            _ => None,
        }
    }
}

impl Error {
    /// A value refused by `rule`, in a message that says everything.
    pub(crate) fn rule(rule: impl Into<String>) -> Error {
        Error::Failed {
            reason: rule.into(),
            source: None,
        }
    }

    /// A value refused by `rule` because `cause` refused it.
    pub(crate) fn rule_from(
        rule: impl Into<String>,
        cause: impl std::error::Error + Send + Sync + 'static,
    ) -> Error {
        Error::Failed {
            reason: rule.into(),
            source: Some(Box::new(cause)),
        }
    }

    /// `value`, of the kind `what`, refused by `rule`.
    pub(crate) fn invalid(what: &'static str, value: &str, rule: impl Into<String>) -> Error {
        Error::Invalid {
            what,
            value: value.to_owned(),
            rule: rule.into(),
        }
    }
}

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
            Error::NotFound { job, looked } => {
                let looked = join_paths(looked);
                return write!(f, "cannot retire job `{job}`: it has no heartbeat in {looked}");
            }
            Error::NotPaused { job, file, looked } => {
                let (who, file) = match job {
                    Some(job) => (format!("job `{job}`"), "pause file"),
                    None => ("the host".to_owned(), file.as_str()),
                };
                let looked = join_paths(looked);
                return write!(f, "cannot resume {who}: it is not paused (no {file} in {looked})");
            }
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

#[cfg(test)]
mod tests;
