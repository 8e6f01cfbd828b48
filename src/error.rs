//! The library's one error type.

use std::{fmt, io, path::PathBuf, time::Duration};

use crate::escape::{terminal, terminal_path};

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
    /// Tracker settings that cannot work, such as a repo without an owner.
    TrackerConfig {
        /// What is wrong and what to do.
        reason: String,
    },
    /// A request to the issue tracker failed.
    Tracker(Box<TrackerError>),
    /// A ping URL that cannot be used, or an HTTP client that cannot be set
    /// up for it.
    PingConfig {
        /// What is wrong.
        reason: String,
    },
    /// A notify destination that cannot be used or did not take a
    /// message.
    Notify {
        /// What is wrong, naming each destination by its scheme and host.
        reason: String,
    },
    /// A crontab named with `--crontab` could not be read.
    Crontab {
        /// The crontab.
        path: PathBuf,
        /// Why it could not be read.
        reason: String,
    },
    /// systemd's timers could not be read (`--systemd`).
    Systemd {
        /// Which manager: `the system manager` or a user's.
        manager: String,
        /// What went wrong, one line.
        reason: String,
    },
}

/// A failed request to the issue tracker, with everything needed to find the
/// cause: the server, the repo, the request and the server's answer. It
/// never holds the token.
#[derive(Debug)]
pub struct TrackerError {
    /// The server, as configured.
    pub server: String,
    /// The repo, `OWNER/NAME`.
    pub repo: String,
    /// The HTTP method.
    pub method: String,
    /// The request path, without the query.
    pub path: String,
    /// The HTTP status, when an answer came.
    pub status: Option<u16>,
    /// The server's message, or what went wrong on the way.
    pub message: String,
    /// How many attempts were made.
    pub attempts: u32,
    /// How long the server asked to wait before trying again.
    pub retry_after: Option<Duration>,
    /// The answer was a rate limit (a 429, or GitHub's 403 with
    /// `Retry-After` or `x-ratelimit-remaining: 0`), not a refusal.
    pub rate_limited: bool,
    /// No connection was made, so the server certainly did nothing.
    pub connect_failed: bool,
    /// An answer came but could not be used (not the documented JSON, or
    /// longer than the client reads): sending again would not help.
    pub answer_invalid: bool,
}

impl TrackerError {
    /// What to do about an answer with this status, when that is known.
    fn hint(&self) -> Option<&'static str> {
        if self.rate_limited {
            return Some("the server's rate limit is used up; the next run tries again");
        }
        if self.path.ends_with("/user") && self.status == Some(403) {
            return Some("the token cannot read its own account, which hb-check asks to know which issues it wrote: give it the `read:user` scope (GitHub: a user or bot account token, not an app's)");
        }
        match self.status? {
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
        if let Some(status) = self.status {
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

impl From<TrackerError> for Error {
    fn from(err: TrackerError) -> Self {
        Error::Tracker(Box::new(err))
    }
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
                terminal_path(path)
            ),
            Error::Write { job, path, source } => write!(
                f,
                "cannot write heartbeat for job `{job}` to {}: {source}",
                terminal_path(path)
            ),
            Error::WriteFile { path, source } => write!(
                f,
                "cannot write {}: {source}",
                terminal_path(path)
            ),
            Error::Retire { job, path, source } => write!(
                f,
                "cannot retire job `{job}`: cannot remove {}: {source}",
                terminal_path(path)
            ),
            Error::NotFound { job, looked } => write!(
                f,
                "cannot retire job `{job}`: it has no heartbeat in {}",
                join_paths(looked)
            ),
            Error::Resume { path, source } => write!(
                f,
                "cannot resume: cannot remove {}: {source}",
                terminal_path(path)
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
            Error::ReadDir { path, source } => write!(
                f,
                "cannot read heartbeat directory {}: {source}; point to the right one with --dir or HB_DIR",
                terminal_path(path)
            ),
            Error::Lock { path, source } => write!(
                f,
                "cannot lock {}: {source}",
                terminal_path(path)
            ),
            Error::LockUnsafe { path, reason } => write!(
                f,
                "refusing the lock file {}: {reason}",
                terminal_path(path)
            ),
            Error::LockTimeout { path, waited } => write!(
                f,
                "another run holds the lock {} (waited {}s); raise --lock-timeout if runs take that long",
                terminal_path(path),
                waited.as_secs()
            ),
            Error::TokenFile { what, path, source } => write!(
                f,
                "cannot read the {what} token file {}: {source}",
                terminal_path(path)
            ),
            Error::TokenFileMode { what, path, mode } => write!(
                f,
                "refusing the {what} token file {}: group or others may read it (mode {:04o}); run `chmod 600 {}`",
                terminal_path(path),
                mode & 0o7777,
                terminal_path(path)
            ),
            Error::TrackerConfig { reason }
            | Error::PingConfig { reason }
            | Error::Notify { reason } => write!(f, "{reason}"),
            Error::Tracker(err) => err.fmt(f),
            Error::Crontab { path, reason } => write!(
                f,
                "cannot read crontab {}: {reason}",
                terminal_path(path)
            ),
            Error::Systemd { manager, reason } => write!(
                f,
                "cannot read the timers of {manager}: {reason}; the other jobs were judged"
            ),
        }
    }
}

pub(crate) fn join_paths(paths: &[PathBuf]) -> String {
    let shown: Vec<String> = paths.iter().map(|p| terminal_path(p)).collect();
    shown.join(" and ")
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
            Error::InvalidJob { .. }
            | Error::InvalidInterval { .. }
            | Error::NotFound { .. }
            | Error::NotPaused { .. }
            | Error::NoLocation { .. }
            | Error::LockTimeout { .. }
            | Error::LockUnsafe { .. }
            | Error::TokenFileMode { .. }
            | Error::TrackerConfig { .. }
            | Error::PingConfig { .. }
            | Error::Notify { .. }
            | Error::Crontab { .. }
            | Error::Systemd { .. }
            | Error::Tracker(_) => None,
        }
    }
}
