//! The library's one error type: struct variants with the value and the rule
//! it broke, or the typed cause that [`std::error::Error::source`] leads to.
//! `Display` is one line a person can act on, untrusted text made inert; it
//! already says the cause, so a program that prints the chain says it twice.

mod tracker;

use std::path::PathBuf;
use std::{io, time::Duration};

use crate::escape::{terminal, terminal_path};
pub use tracker::TrackerError;

/// Everything that can go wrong in the library, with the context to act on it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A job name that breaks the naming rule.
    #[error(
        "invalid job name `{}`: {reason} (a job name matches [A-Za-z0-9][A-Za-z0-9._-]{{0,127}})",
        terminal(.job)
    )]
    InvalidJob {
        /// The name as given.
        job: String,
        /// Which part of the rule it breaks.
        reason: &'static str,
    },
    /// An interval or duration that cannot be parsed or is out of range.
    #[error("invalid interval `{}`: {reason}", terminal(.value))]
    InvalidInterval {
        /// The text as given.
        value: String,
        /// Why it was refused.
        reason: String,
    },
    /// A value that breaks its kind's rule: an argument, a setting, a field.
    #[error("invalid {what} `{}`: {rule}", crate::escape::value(.value))]
    Invalid {
        /// What kind of value: `size`, `duration`, `exit codes`.
        what: &'static str,
        /// The value as given.
        value: String,
        /// The rule it breaks.
        rule: String,
    },
    /// A refused value (a heartbeat or pause record too) or a failed step, in one line that
    /// says everything (the value unless clap shows it, the file, the destination by scheme
    /// and host, never a URL's secret).
    #[error("{reason}")]
    Failed {
        /// The message.
        reason: String,
        /// The cause: a parser's (a record's JSON), the OS's, the HTTP client's, a destination's.
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// A `--fail-on` or `--ok-on` pattern that does not compile within its size limit.
    // Backticks in the pattern would end the quote early.
    #[error("invalid {flag} `{}`: {rule}", terminal(.pattern).replace('`', "'"))]
    Pattern {
        /// The option that gave it.
        flag: String,
        /// The pattern as given.
        pattern: String,
        /// What is wrong with it, in one line.
        rule: String,
        /// The regex engine's error (`regex_automata::meta::BuildError`),
        /// unnamed here so that the engine's version is not part of the API.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A heartbeat directory could not be created.
    #[error("cannot create heartbeat directory {}: {source}", terminal_path(.path))]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// A heartbeat could not be written.
    #[error("cannot write heartbeat for job `{job}` to {}: {source}", terminal_path(.path))]
    Write {
        /// The job.
        job: String,
        /// The heartbeat file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// A file other than a heartbeat (the metrics file) could not be written.
    #[error("cannot write {}: {source}", terminal_path(.path))]
    WriteFile {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// A heartbeat could not be removed when retiring its job.
    #[error("cannot retire job `{job}`: cannot remove {}: {source}", terminal_path(.path))]
    Retire {
        /// The job.
        job: String,
        /// The heartbeat file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// A job to retire has no heartbeat in any of the directories.
    #[error("cannot retire job `{job}`: it has no heartbeat in {}", join_paths(.looked))]
    NotFound {
        /// The job.
        job: String,
        /// The directories looked in.
        looked: Vec<PathBuf>,
    },
    /// A pause file could not be removed.
    #[error("cannot resume: cannot remove {}: {source}", terminal_path(.path))]
    Resume {
        /// The pause file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// A job (or the host, `None`) to resume has no pause file.
    #[error(
        "cannot resume {}: it is not paused (no {} in {})",
        .job.as_ref().map_or("the host".to_owned(), |job| format!("job `{job}`")),
        if .job.is_some() { "pause file" } else { .file.as_str() },
        join_paths(.looked)
    )]
    NotPaused {
        /// The job; `None` for the host pause.
        job: Option<String>,
        /// The name of the pause file looked for.
        file: String,
        /// The directories looked in.
        looked: Vec<PathBuf>,
    },
    /// No heartbeat directory exists where readers look by default.
    #[error(
        "no heartbeat directory found (looked in {}); point to one with --dir or HB_DIR",
        join_paths(.looked)
    )]
    NoLocation {
        /// Every place looked at.
        looked: Vec<PathBuf>,
    },
    /// A heartbeat directory does not exist or cannot be listed.
    #[error(
        "cannot read heartbeat directory {}: {source}; point to the right one with --dir or HB_DIR",
        terminal_path(.path)
    )]
    ReadDir {
        /// The directory.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// The lock file could not be opened or locked.
    #[error("cannot lock {}: {source}", terminal_path(.path))]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// A lock file that another user could redirect, pre-create or take.
    #[error("refusing the lock file {}: {reason}", terminal_path(.path))]
    LockUnsafe {
        /// The lock file.
        path: PathBuf,
        /// What is wrong and what to do.
        reason: String,
    },
    /// Another run held the lock for longer than the timeout.
    #[error(
        "another run holds the lock {} (waited {}s); raise --lock-timeout if runs take that long",
        terminal_path(.path),
        .waited.as_secs()
    )]
    LockTimeout {
        /// The lock file.
        path: PathBuf,
        /// How long this run waited.
        waited: Duration,
    },
    /// A token file (the tracker's, ntfy's) that cannot be read.
    #[error("cannot read the {what} token file {}: {source}", terminal_path(.path))]
    TokenFile {
        /// Whose token it holds: `tracker` or `ntfy`.
        what: &'static str,
        /// The token file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// A token file that group or others may read.
    #[error(
        "refusing the {what} token file {}: group or others may read it (mode {:04o}); run `chmod 600 {}`",
        terminal_path(.path),
        .mode & 0o7777,
        terminal_path(.path)
    )]
    TokenFileMode {
        /// Whose token it holds: `tracker` or `ntfy`.
        what: &'static str,
        /// The token file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// A request to the issue tracker failed: message and cause are the tracker error's.
    #[error(transparent)]
    Tracker(#[from] Box<TrackerError>),
    /// A crontab could not be read.
    #[error("cannot read crontab {}: {reason}", terminal_path(.path))]
    Crontab {
        /// The crontab.
        path: PathBuf,
        /// Why it could not be read.
        reason: String,
        /// The OS error, when one stopped the read.
        source: Option<io::Error>,
    },
    /// systemd's timers could not be read (`--systemd`).
    #[error("cannot read the timers of {manager}: {reason}; the other jobs were judged")]
    Systemd {
        /// Which manager: `the system manager` or a user's.
        manager: String,
        /// What went wrong, one line.
        reason: String,
        /// The OS error, when one stopped a call of a tool.
        source: Option<io::Error>,
    },
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

/// Paths as a message lists them: `a and b`.
pub(crate) fn join_paths(paths: &[PathBuf]) -> String {
    let shown: Vec<String> = paths.iter().map(|p| terminal_path(p)).collect();
    shown.join(" and ")
}

#[cfg(test)]
mod tests;
