//! The issue tracker: one alert issue per host in a Gitea, Forgejo or GitHub
//! repo, opened when jobs go bad, edited when the set of bad jobs changes,
//! closed when all recover.
//!
//! A small typed client per forge ([`gitea`], [`github`]) implements the
//! [`Forge`] trait; the [`lifecycle`] sits on top of the trait, so it is the
//! same for every forge. What was last posted lives in the issue itself, in a
//! machine-readable marker in its body (see [`marker`]), so it survives a
//! lost answer and a restart without a state file.

pub mod gitea;
pub mod github;
mod http;
pub mod lifecycle;
pub mod marker;

use std::fmt;
use std::fs;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::error::{Error, TrackerError};

pub use lifecycle::{decide, sync, Decision, Options};

/// The environment variable that holds the tracker token.
pub const TOKEN_ENV: &str = "HB_TRACKER_TOKEN";

/// A secret API token. Its `Debug` and `Display` never show it; only the
/// HTTP client reads it, to send it in the `Authorization` header.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Wraps a token, trimming surrounding white space (a token file usually
    /// ends with a newline). `None` when nothing is left.
    pub fn new(text: &str) -> Option<Token> {
        let text = text.trim();
        (!text.is_empty()).then(|| Token(text.to_owned()))
    }

    /// Reads the token from `file` when one is given, else from the
    /// `HB_TRACKER_TOKEN` environment variable. A file that group or others
    /// may read is refused.
    pub fn load(file: Option<&Path>) -> Result<Token, Error> {
        match file {
            Some(path) => Token::from_file(path),
            None => std::env::var(TOKEN_ENV)
                .ok()
                .and_then(|t| Token::new(&t))
                .ok_or_else(|| Error::TrackerConfig {
                    reason: format!(
                        "the tracker needs a token: set {TOKEN_ENV} or give --tracker-token-file (HB_TRACKER_TOKEN_FILE)"
                    ),
                }),
        }
    }

    /// Reads the token from a file that only its owner may read.
    pub fn from_file(path: &Path) -> Result<Token, Error> {
        let io_err = |source| Error::TokenFile {
            path: path.to_owned(),
            source,
        };
        let file = fs::File::open(path).map_err(io_err)?;
        let mode = file.metadata().map_err(io_err)?.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(Error::TokenFileMode {
                path: path.to_owned(),
                mode,
            });
        }
        let mut text = String::new();
        file.take(64 * 1024)
            .read_to_string(&mut text)
            .map_err(io_err)?;
        Token::new(&text).ok_or_else(|| Error::TrackerConfig {
            reason: format!(
                "the tracker token file {} is empty",
                crate::escape::terminal(&path.to_string_lossy())
            ),
        })
    }

    /// The secret itself, for the `Authorization` header and for redacting
    /// it from anything a server sends back.
    pub(crate) fn secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Which API the tracker speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Gitea: the URL is the server, the API is under `/api/v1`.
    Gitea,
    /// Forgejo: the same API as Gitea.
    Forgejo,
    /// GitHub: the URL is the API base (`https://api.github.com`, or
    /// `https://HOST/api/v3` for GitHub Enterprise Server).
    Github,
}

/// Everything needed to reach the tracker.
#[derive(Debug, Clone)]
pub struct Config {
    /// Which API the tracker speaks.
    pub kind: Kind,
    /// The server URL (Gitea, Forgejo) or API base (GitHub).
    pub url: String,
    /// The repo owner.
    pub owner: String,
    /// The repo name.
    pub repo: String,
    /// The API token.
    pub token: Token,
    /// The time allowed for each request.
    pub timeout: Duration,
}

impl Config {
    /// Checks the URL and splits `OWNER/NAME`.
    pub fn new(
        kind: Kind,
        url: &str,
        repo: &str,
        token: Token,
        timeout: Duration,
    ) -> Result<Config, Error> {
        let url = url.trim_end_matches('/');
        // The URL shows in every error line, so a password in it would too.
        if has_userinfo(url) {
            return Err(Error::TrackerConfig {
                reason: format!(
                    "refusing the tracker URL `{}`: it carries a user name or password; \
                     give the URL without them and the token in {TOKEN_ENV} or --tracker-token-file",
                    crate::escape::terminal(&without_userinfo(url))
                ),
            });
        }
        let parsed = reqwest::Url::parse(url).map_err(|e| Error::TrackerConfig {
            reason: format!(
                "invalid tracker URL `{}`: {e}",
                crate::escape::terminal(url)
            ),
        })?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(Error::TrackerConfig {
                reason: format!(
                    "invalid tracker URL `{}`: it must start with https:// (or http://) and name a host",
                    crate::escape::terminal(url)
                ),
            });
        }
        let (owner, name) = split_repo(repo).ok_or_else(|| Error::TrackerConfig {
            reason: format!(
                "invalid tracker repo `{}`: give it as OWNER/NAME with --tracker-repo or HB_TRACKER_REPO",
                crate::escape::terminal(repo)
            ),
        })?;
        Ok(Config {
            kind,
            url: url.to_owned(),
            owner: owner.to_owned(),
            repo: name.to_owned(),
            token,
            timeout,
        })
    }

    /// `OWNER/NAME`.
    pub fn repo_name(&self) -> String {
        format!("{}/{}", self.owner, self.repo)
    }
}

/// The authority part of `url` (between `://` and the next `/`, `?` or
/// `#`) and where it starts. Read by hand rather than by a URL parser, so
/// that a URL too broken to parse is checked as well.
fn authority(url: &str) -> (usize, &str) {
    let start = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[start..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    (start, &rest[..end])
}

/// Whether `url` names a user or a password (`https://user:secret@host`).
fn has_userinfo(url: &str) -> bool {
    authority(url).1.contains('@')
}

/// `url` with any `user:password@` removed.
fn without_userinfo(url: &str) -> String {
    let (start, auth) = authority(url);
    match auth.rfind('@') {
        Some(at) => format!("{}{}", &url[..start], &url[start + at + 1..]),
        None => url.to_owned(),
    }
}

/// Splits `OWNER/NAME`, both made of letters, digits, `.`, `_` and `-`, so
/// that they can go into a URL path as they are.
fn split_repo(repo: &str) -> Option<(&str, &str)> {
    let (owner, name) = repo.split_once('/')?;
    let ok = |part: &str| {
        !part.is_empty()
            && part != "."
            && part != ".."
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    };
    (ok(owner) && ok(name)).then_some((owner, name))
}

/// Whether an issue is open or closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Open.
    Open,
    /// Closed.
    Closed,
}

impl State {
    /// The word the APIs use.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Open => "open",
            State::Closed => "closed",
        }
    }
}

/// A repo label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// The label's id.
    pub id: i64,
    /// The label's name.
    pub name: String,
}

/// An issue, as far as the lifecycle needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    /// The issue number in its repo.
    pub number: u64,
    /// The title.
    pub title: String,
    /// The body (Markdown).
    pub body: String,
    /// Open or closed.
    pub state: State,
    /// The names of its labels.
    pub labels: Vec<String>,
    /// When it was opened.
    pub created_at: Option<DateTime<Utc>>,
    /// When it was last closed, if it is closed and the server says.
    pub closed_at: Option<DateTime<Utc>>,
}

/// A change to an issue; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Edit {
    /// The new title.
    pub title: Option<String>,
    /// The new body.
    pub body: Option<String>,
    /// The new state.
    pub state: Option<State>,
}

/// What the lifecycle needs from a forge. Reads and edits are retried on
/// transient faults; creating an issue or a label and commenting are tried
/// once, because a lost answer may hide a success: the lifecycle looks
/// before it tries again.
pub trait Forge {
    /// The repo label with exactly this name, if it exists.
    fn find_label(&self, name: &str) -> Result<Option<Label>, Error>;
    /// Creates a label. Tried once.
    fn create_label(&self, name: &str) -> Result<Label, Error>;
    /// Every issue (never a pull request) in `state` that carries `label`,
    /// across all pages.
    fn list_issues(&self, label: &Label, state: State) -> Result<Vec<Issue>, Error>;
    /// Opens an issue with `label`. Tried once.
    fn create_issue(&self, title: &str, body: &str, label: &Label) -> Result<Issue, Error>;
    /// Changes an issue's title, body or state.
    fn edit_issue(&self, number: u64, edit: &Edit) -> Result<(), Error>;
    /// Adds a comment to an issue. Tried once.
    fn comment(&self, number: u64, body: &str) -> Result<(), Error>;
    /// The bodies of every comment on an issue, oldest first.
    fn comments(&self, number: u64) -> Result<Vec<String>, Error>;
}

/// The client for the configured kind of forge.
pub fn connect(config: &Config) -> Result<Box<dyn Forge>, Error> {
    Ok(match config.kind {
        Kind::Gitea | Kind::Forgejo => Box::new(gitea::Gitea::new(config)?),
        Kind::Github => Box::new(github::Github::new(config)?),
    })
}

/// How long to wait before attempt `attempt + 1`: 0.5 s, then 1 s, or
/// exactly what the server asked for with `Retry-After`.
pub fn backoff(attempt: u32, retry_after: Option<Duration>) -> Duration {
    let doubling = Duration::from_millis(500) * 2u32.pow(attempt.saturating_sub(1).min(4));
    retry_after.unwrap_or(doubling)
}

/// After failed attempt `attempt` of at most `max`, the first of which
/// started `elapsed` ago: how long to wait before the next, or `None` to
/// stop. Each attempt may take `timeout`; no attempt starts that could end
/// past [`RETRY_BUDGET`]. When the server asked for a longer wait than
/// that leaves, the error says so: waiting less would only be refused
/// again.
pub(crate) fn retry_wait(
    err: &mut TrackerError,
    attempt: u32,
    max: u32,
    elapsed: Duration,
    timeout: Duration,
) -> Option<Duration> {
    if !err.is_transient() || attempt >= max {
        return None;
    }
    let wait = backoff(attempt, err.retry_after);
    if elapsed + wait + timeout > RETRY_BUDGET {
        if let Some(asked) = err.retry_after {
            err.message.push_str(&format!(
                " (the server asked to wait {}s before trying again, longer than the {}s a tracker request may take)",
                asked.as_secs(),
                RETRY_BUDGET.as_secs()
            ));
        }
        return None;
    }
    Some(wait)
}

/// At most this many attempts per request.
pub const MAX_ATTEMPTS: u32 = 3;

/// No further attempt starts that could end later than this after the
/// first began.
pub const RETRY_BUDGET: Duration = Duration::from_secs(30);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_never_show() {
        let token = Token::new("  s3cr3t-value\n").unwrap();
        assert_eq!(token.secret(), "s3cr3t-value");
        assert!(!format!("{token:?} {token}").contains("s3cr3t"));
        assert!(Token::new(" \n").is_none());
    }

    #[test]
    fn urls_with_credentials_are_refused_without_showing_them() {
        let token = || Token::new("t").unwrap();
        for url in [
            "https://hb:s3cr3t@git.example.com",
            "https://s3cr3t@git.example.com/",
            "https://hb:s3cr3t@git.example.com:99999999",
        ] {
            let err = Config::new(
                Kind::Gitea,
                url,
                "ops/alerts",
                token(),
                Duration::from_secs(5),
            )
            .unwrap_err()
            .to_string();
            assert!(err.contains("user name or password"), "{err}");
            assert!(!err.contains("s3cr3t"), "{err}");
        }
        assert_eq!(
            without_userinfo("https://a:b@host:3000/x@y"),
            "https://host:3000/x@y"
        );
        assert!(!has_userinfo("https://host/path@x"));
        assert!(Config::new(
            Kind::Gitea,
            "https://host/",
            "o/r",
            token(),
            Duration::from_secs(5)
        )
        .is_ok());
    }

    #[test]
    fn repos_are_owner_slash_name() {
        assert_eq!(split_repo("ops/alerts"), Some(("ops", "alerts")));
        for bad in ["ops", "/x", "ops/", "a/b/c", "a/..", "a b/c", "a/b?x"] {
            assert_eq!(split_repo(bad), None, "{bad}");
        }
    }

    #[test]
    fn backoff_doubles_or_takes_what_the_server_asks() {
        assert_eq!(backoff(1, None), Duration::from_millis(500));
        assert_eq!(backoff(2, None), Duration::from_secs(1));
        assert_eq!(
            backoff(1, Some(Duration::from_secs(20))),
            Duration::from_secs(20)
        );
    }

    fn too_many(retry_after: Option<u64>) -> TrackerError {
        TrackerError {
            server: "https://git.example.com".into(),
            repo: "ops/alerts".into(),
            method: "GET".into(),
            path: "/labels".into(),
            status: Some(429),
            message: "rate limit exceeded".into(),
            attempts: 1,
            retry_after: retry_after.map(Duration::from_secs),
            rate_limited: true,
            source: None,
        }
    }

    #[test]
    fn a_wait_longer_than_the_budget_stops_at_once_and_says_so() {
        let second = Duration::from_secs(1);
        let mut err = too_many(Some(60));
        assert_eq!(retry_wait(&mut err, 1, 3, Duration::ZERO, second), None);
        assert!(err.message.contains("asked to wait 60s"), "{}", err.message);

        let mut err = too_many(Some(5));
        assert_eq!(
            retry_wait(&mut err, 1, 3, Duration::ZERO, second),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            retry_wait(&mut err, 2, 3, Duration::from_secs(25), second),
            None
        );
        assert_eq!(retry_wait(&mut too_many(None), 3, 3, second, second), None);
    }
}
