//! Where the tracker is and how to reach it, checked, with the token read.

use std::time::Duration;

use super::token::{Token, TOKEN_ENV};
use crate::error::Error;
use crate::escape::terminal;
use crate::record::is_plain;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Kind {
    #[value(help = "Gitea")]
    Gitea,
    #[value(help = "Forgejo (the same API as Gitea)")]
    Forgejo,
    #[value(help = "GitHub or GitHub Enterprise Server")]
    Github,
}

#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub kind: Kind,
    /// The server URL (Gitea, Forgejo: the API is under `/api/v1`) or API
    /// base (GitHub: `https://api.github.com`, `https://HOST/api/v3`).
    pub url: String,
    /// `OWNER/NAME`.
    pub repo: String,
    pub token: Token,
    /// For each request, from connecting to the answer's last byte.
    pub timeout: Duration,
}

const MAX_TIMEOUT: Duration = Duration::from_secs(120);

const MIN_BUDGET: Duration = Duration::from_secs(60);

/// A per-request timeout of 1 second to [`MAX_TIMEOUT`]: more could only hold
/// the run lock past the next cron run (or overflow a clock).
pub(crate) fn check_timeout(timeout: Duration) -> Result<Duration, Error> {
    if timeout < Duration::from_secs(1) {
        Err(Error::rule("it must be at least 1 second"))
    } else if timeout > MAX_TIMEOUT {
        Err(Error::rule(format!(
            "it must be at most {}s, so that a sync ends before the next run",
            MAX_TIMEOUT.as_secs()
        )))
    } else {
        Ok(timeout)
    }
}

impl Config {
    /// The token from `token_file`, else `HB_TRACKER_TOKEN`; `None` without a `url`.
    pub(crate) fn load(
        kind: Kind,
        url: Option<&str>,
        repo: Option<&str>,
        token_file: Option<&std::path::Path>,
        timeout: Duration,
    ) -> Result<Option<Config>, Error> {
        let Some(url) = url else {
            return Ok(None);
        };
        let no_repo =
            "the tracker needs a repo: give --tracker-repo OWNER/NAME or set HB_TRACKER_REPO";
        let repo = repo.ok_or_else(|| Error::rule(no_repo))?;
        let token = match token_file {
            Some(path) => Token::from_file(path, "tracker")?,
            None => Token::from_env(TOKEN_ENV, "tracker")?.ok_or_else(|| {
                Error::rule(format!(
                    "the tracker needs a token: set {TOKEN_ENV} or give --tracker-token-file (HB_TRACKER_TOKEN_FILE)"
                ))
            })?,
        };
        Config::new(kind, url, repo, token, timeout).map(Some)
    }

    pub(crate) fn new(
        kind: Kind,
        url: &str,
        repo: &str,
        token: Token,
        timeout: Duration,
    ) -> Result<Config, Error> {
        let url = url.trim_end_matches('/');
        // The URL shows in every error line, so a password in it would too.
        if let Some(bare) = without_userinfo(url) {
            return Err(Error::rule(format!(
                "refusing the tracker URL `{}`: it carries a user name or password; \
                 give the URL without them and the token in {TOKEN_ENV} or --tracker-token-file",
                terminal(&bare)
            )));
        }
        let shown = terminal(url);
        let invalid = |why: &str| format!("invalid tracker URL `{shown}`: {why}");
        if !url.contains("://") {
            let why = format!("it has no scheme; write it as https://{shown}");
            return Err(Error::rule(invalid(&why)));
        }
        let parsed =
            url::Url::parse(url).map_err(|e| Error::rule_from(invalid(&e.to_string()), e))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            let why = "it must start with https:// (or http://) and name a host";
            return Err(Error::rule(invalid(why)));
        }
        if !is_repo(repo) {
            return Err(Error::rule(format!(
                "invalid tracker repo `{}`: give it as OWNER/NAME with --tracker-repo or HB_TRACKER_REPO",
                terminal(repo)
            )));
        }
        let timeout = check_timeout(timeout).map_err(|reason| {
            let secs = timeout.as_secs();
            Error::rule(format!("invalid tracker timeout of {secs}s: {reason}"))
        })?;
        Ok(Config {
            kind,
            url: url.to_owned(),
            repo: repo.to_owned(),
            token,
            timeout,
        })
    }

    /// The budget of a whole sync, which no request or wait passes: six
    /// timeouts, at least a minute (at most 12, below cron's usual 15).
    pub(crate) fn budget(&self) -> Duration {
        self.timeout.saturating_mul(6).max(MIN_BUDGET)
    }
}

/// `url` without its `user:password@`, if it has one; read by hand, so that
/// a URL too broken to parse is checked as well.
fn without_userinfo(url: &str) -> Option<String> {
    let start = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[start..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let at = authority.rfind('@')?;
    Some(format!("{}{}", &url[..start], &rest[at + 1..]))
}

/// Whether `repo` is `OWNER/NAME`, both [`is_plain`] (to go into a URL path
/// as they are) and neither `.` nor `..`.
fn is_repo(repo: &str) -> bool {
    let ok = |part: &str| is_plain(part) && part != "." && part != "..";
    repo.split_once('/')
        .is_some_and(|(owner, name)| ok(owner) && ok(name))
}

#[cfg(test)]
mod tests {
    use super::*;

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
            without_userinfo("https://a:b@host:3000/x@y").as_deref(),
            Some("https://host:3000/x@y")
        );
        assert_eq!(without_userinfo("https://host/path@x"), None);
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
        assert_eq!(check_timeout(MAX_TIMEOUT).unwrap(), MAX_TIMEOUT);
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
        assert!(is_repo("ops/alerts"));
        for bad in ["ops", "/x", "ops/", "a/b/c", "a/..", "a b/c", "a/b?x"] {
            assert!(!is_repo(bad), "{bad}");
        }
    }

    #[test]
    fn a_url_the_parser_refuses_leads_to_its_error() {
        use std::error::Error as _;
        let token = Token::new("t").unwrap();
        let err = Config::new(
            Kind::Gitea,
            "https://git.example.com:99999999",
            "ops/alerts",
            token,
            Duration::from_secs(5),
        )
        .unwrap_err();
        let cause = err
            .source()
            .and_then(|e| e.downcast_ref::<url::ParseError>());
        assert_eq!(cause, Some(&url::ParseError::InvalidPort));
        assert_eq!(
            err.to_string(),
            "invalid tracker URL `https://git.example.com:99999999`: invalid port number"
        );
    }
}
