//! The one error with many details: programs read them through accessors,
//! people through its one-line `Display`.

use std::fmt;

use crate::escape::terminal;
use crate::http::retry::Failed;

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
