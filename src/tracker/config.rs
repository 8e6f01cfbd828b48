//! Where the tracker is and how to reach it: the token, the URL, the repo,
//! the per-request timeout and the budget of a whole sync.

use std::fmt;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use crate::error::Error;
use crate::store::open::{open_regular, read_capped, Links, Refused};

/// The environment variable that holds the tracker token.
pub const TOKEN_ENV: &str = "HB_TRACKER_TOKEN";

/// The largest token file read, in bytes.
const TOKEN_FILE_MAX: u64 = 64 * 1024;

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
        // Opened without blocking: a FIFO or a device put in the file's
        // place must not hang the run while it holds the lock. The path is
        // the user's, so a link to the real file is followed.
        let (file, meta) = open_regular(path, Links::Follow).map_err(|refused| match refused {
            Refused::Io(source) => io_err(source),
            _ => io_err(io::Error::other("not a regular file")),
        })?;
        let mode = meta.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(Error::TokenFileMode {
                path: path.to_owned(),
                mode,
            });
        }
        let bytes =
            read_capped(file, meta.len(), TOKEN_FILE_MAX).map_err(|refused| match refused {
                Refused::Io(source) => io_err(source),
                _ => io_err(io::Error::other(format!(
                    "it is larger than the {TOKEN_FILE_MAX} bytes a token file may have"
                ))),
            })?;
        let text = String::from_utf8(bytes).map_err(|_| {
            io_err(io::Error::new(
                io::ErrorKind::InvalidData,
                "stream did not contain valid UTF-8",
            ))
        })?;
        Token::new(&text).ok_or_else(|| Error::TrackerConfig {
            reason: format!(
                "the tracker token file {} is empty",
                crate::escape::terminal(&path.to_string_lossy())
            ),
        })
    }

    /// The secret itself, for the `Authorization` header and for redacting
    /// it from anything a server sends back.
    pub(super) fn secret(&self) -> &str {
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
    /// The time allowed for each request, from connecting to the last
    /// byte of the answer.
    pub timeout: Duration,
}

/// The longest `--tracker-timeout` accepted.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(120);

/// The least budget of a whole sync.
const MIN_BUDGET: Duration = Duration::from_secs(60);

/// Checks a per-request timeout: from 1 second to [`MAX_TIMEOUT`]. A larger
/// value could only hold the run lock past the next cron run (and large
/// enough ones overflow the HTTP client's clock).
pub fn check_timeout(timeout: Duration) -> Result<Duration, String> {
    if timeout < Duration::from_secs(1) {
        Err("it must be at least 1 second".to_owned())
    } else if timeout > MAX_TIMEOUT {
        Err(format!(
            "it must be at most {}s, so that a sync ends before the next run",
            MAX_TIMEOUT.as_secs()
        ))
    } else {
        Ok(timeout)
    }
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
        if !url.contains("://") {
            return Err(Error::TrackerConfig {
                reason: format!(
                    "invalid tracker URL `{0}`: it has no scheme; write it as https://{0}",
                    crate::escape::terminal(url)
                ),
            });
        }
        let parsed = url::Url::parse(url).map_err(|e| Error::TrackerConfig {
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
            timeout: check_timeout(timeout).map_err(|reason| Error::TrackerConfig {
                reason: format!(
                    "invalid tracker timeout of {}s: {reason}",
                    timeout.as_secs()
                ),
            })?,
        })
    }

    /// The budget of a whole sync: six times the per-request timeout, and at
    /// least a minute (at most 12 minutes, below cron's usual 15). No
    /// request starts, and no retry waits, past it.
    pub fn budget(&self) -> Duration {
        self.timeout.saturating_mul(6).max(MIN_BUDGET)
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
    fn timeouts_are_bounded_and_the_budget_follows() {
        assert!(check_timeout(Duration::ZERO).is_err());
        assert!(check_timeout(Duration::from_secs(u64::MAX)).is_err());
        assert!(check_timeout(Duration::from_secs(121)).is_err());
        assert_eq!(check_timeout(MAX_TIMEOUT), Ok(MAX_TIMEOUT));
        let config = |secs| {
            Config::new(
                Kind::Gitea,
                "https://host",
                "o/r",
                Token::new("t").unwrap(),
                Duration::from_secs(secs),
            )
        };
        assert_eq!(config(1).unwrap().budget(), Duration::from_secs(60));
        assert_eq!(config(120).unwrap().budget(), Duration::from_secs(720));
        assert!(config(u64::MAX).is_err());
    }

    #[test]
    fn repos_are_owner_slash_name() {
        assert_eq!(split_repo("ops/alerts"), Some(("ops", "alerts")));
        for bad in ["ops", "/x", "ops/", "a/b/c", "a/..", "a b/c", "a/b?x"] {
            assert_eq!(split_repo(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_fifo_as_the_token_file_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("token");
        crate::store::open::mkfifo(&fifo);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(
                Token::from_file(&fifo)
                    .map(|_| ())
                    .map_err(|e| e.to_string()),
            );
        });
        let got = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("reading a FIFO token file blocked");
        let err = got.expect_err("a FIFO is no token file");
        assert!(err.contains("not a regular file"), "{err}");
    }

    #[test]
    fn a_token_file_is_followed_through_a_link_checked_for_mode_and_capped() {
        use std::fs::{self, Permissions};
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        fs::write(&real, "s3cr3t\n").unwrap();
        fs::set_permissions(&real, Permissions::from_mode(0o600)).unwrap();
        let link = dir.path().join("token");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        // The mode that counts is the file's, not the link's (0777).
        assert_eq!(Token::from_file(&link).unwrap().secret(), "s3cr3t");
        fs::set_permissions(&real, Permissions::from_mode(0o644)).unwrap();
        let err = Token::from_file(&link).unwrap_err();
        assert!(matches!(err, Error::TokenFileMode { mode, .. } if mode & 0o777 == 0o644));
        let big = dir.path().join("big");
        fs::write(&big, vec![b'x'; TOKEN_FILE_MAX as usize + 1]).unwrap();
        fs::set_permissions(&big, Permissions::from_mode(0o600)).unwrap();
        let err = Token::from_file(&big).unwrap_err().to_string();
        assert!(err.contains("larger than the 65536 bytes"), "{err}");
        assert!(!err.contains("xxx"), "{err}");
    }
}
