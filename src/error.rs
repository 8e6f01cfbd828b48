//! The library's one error type: struct variants with the value and the rule
//! it broke, or the typed cause that [`std::error::Error::source`] leads to.
//! `Display` is one line a person can act on, untrusted text made inert; it
//! already says the cause, so a program that prints the chain says it twice.

use std::path::PathBuf;
use std::{fmt, io, time::Duration};

use crate::escape::{terminal, terminal_path};
use crate::http::retry::Failed;

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

/// A failed request to the issue tracker, with everything needed to find the
/// cause: the server, the repo, the request and the server's answer. It
/// never holds the token.
#[derive(Debug, thiserror::Error)]
pub struct TrackerError {
    pub(crate) server: String,
    /// The repo, `OWNER/NAME`.
    pub(crate) repo: String,
    pub(crate) method: String,
    /// Without the query.
    pub(crate) path: String,
    /// The server's message, or what went wrong on the way.
    pub(crate) message: String,
    pub(crate) attempts: u32,
    /// What the failure shows for retrying (see `http::retry`).
    pub(crate) failed: Failed,
    /// The cause: the HTTP client's failure, or the answer's JSON error.
    pub(crate) source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl TrackerError {
    /// The HTTP status of the answer, when one came.
    pub fn status(&self) -> Option<u16> {
        self.failed.status
    }

    /// How many attempts were made.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Whether the answer was the server's rate limit rather than a refusal.
    pub fn is_rate_limited(&self) -> bool {
        self.failed.rate_limited
    }

    /// Whether no connection was made, so the server certainly did nothing.
    pub fn is_connect_failure(&self) -> bool {
        self.failed.unsent
    }

    /// What to do about an answer with this status, when that is known.
    fn hint(&self) -> Option<&'static str> {
        if self.failed.rate_limited {
            return Some("the server's rate limit is used up; the next run tries again");
        }
        if self.path.ends_with("/user") && self.status() == Some(403) {
            return Some("the token cannot read its own account, which hb-check asks to know which issues it wrote: give it the `read:user` scope (GitHub: a user or bot account token, not an app's)");
        }
        match self.status()? {
            401 => Some("the token is invalid or expired; put a valid one in HB_TRACKER_TOKEN or the --tracker-token-file"),
            403 => Some("the token lacks the `write:issue` scope (on GitHub: issues write permission) for this repo"),
            404 => Some("the repo does not exist or the token cannot see it; check --tracker-url, --tracker-repo and --tracker-kind"),
            422 => Some("the server refused the request as invalid"),
            _ => None,
        }
    }
}

impl fmt::Display for TrackerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "tracker request {} {} to {} for repo `{}` failed",
            self.method,
            terminal(&self.path),
            terminal(&self.server),
            terminal(&self.repo)
        )?;
        if let Some(status) = self.status() {
            write!(f, " with HTTP {status}")?;
        }
        write!(f, ": {}", terminal(&self.message))?;
        if self.attempts > 1 {
            write!(f, " ({} attempts)", self.attempts)?;
        }
        if let Some(hint) = self.hint() {
            write!(f, "; {hint}")?;
        }
        Ok(())
    }
}

/// Paths as a message lists them: `a and b`.
pub(crate) fn join_paths(paths: &[PathBuf]) -> String {
    let shown: Vec<String> = paths.iter().map(|p| terminal_path(p)).collect();
    shown.join(" and ")
}

#[cfg(test)]
mod tests;
