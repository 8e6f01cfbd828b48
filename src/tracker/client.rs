//! The client for every forge, over the crate's one HTTP client
//! (`src/http`): authentication, the user agent, the request loop under
//! the one retry policy, paging, and the [`Forge`](super::Forge)
//! operations, with what differs between forges taken from a [`Dialect`].

use std::time::Duration;

use chrono::Utc;
use serde::de::DeserializeOwned;
use ureq::http::header::{HeaderName, HeaderValue, ACCEPT, AUTHORIZATION};

use super::answer::{error_message, total_count};
use super::dialect::Dialect;
use super::Config;
use crate::error::{Error, TrackerError};
use crate::http::redact::Redactor;
use crate::http::retry::{self, Backoff, Budget, Failed, Repeat, Stop};
use crate::http::wait::RateLimit;
use crate::http::{self, Answer, HeaderMap, Http, Kind, Method, StatusCode};

/// The most of a successful answer read; a page of issues is far below.
pub(crate) const MAX_BODY: u64 = 4 << 20;

/// The most of an error answer read; only its message is wanted.
const MAX_ERROR_BODY: u64 = 64 << 10;

/// The longest server message kept in an error.
const MAX_MESSAGE: usize = 300;

/// More pages than this are not read: a listing that long is a loop or a
/// misuse, and reaching it is an error rather than acting on part of it.
pub(crate) const MAX_PAGES: usize = 20;

/// A client for one repo of one forge; its [`Forge`](super::Forge)
/// operations are in [`super::operations`].
pub(crate) struct Client {
    http: Http,
    /// `Accept` and the token, on every request.
    headers: Vec<(HeaderName, HeaderValue)>,
    pub(super) dialect: Dialect,
    /// `/repos/OWNER/NAME`.
    pub(super) repo_path: String,
    /// The server URL as configured, without a trailing slash.
    server: String,
    /// `OWNER/NAME`.
    repo: String,
    redactor: Redactor,
    timeout: Duration,
    budget: Budget,
}

impl Client {
    /// A client for the repo in `config`; the sync's budget starts now.
    pub(crate) fn new(config: &Config) -> Result<Client, Error> {
        let dialect = Dialect::of(config.kind);
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", config.token.secret()))
            .map_err(|e| Error::TrackerConfig {
                reason: "the tracker token contains characters an HTTP header cannot carry"
                    .to_owned(),
                source: Some(Box::new(e)),
            })?;
        auth.set_sensitive(true);
        let headers = vec![
            (ACCEPT, HeaderValue::from_static(dialect.media_type)),
            (AUTHORIZATION, auth),
        ];
        Ok(Client {
            http: Http::new(concat!(
                "cron-heartbeat/",
                env!("CARGO_PKG_VERSION"),
                " (hb-check)"
            )),
            headers,
            dialect,
            repo_path: format!("/repos/{}/{}", config.owner, config.repo),
            server: config.url.clone(),
            repo: format!("{}/{}", config.owner, config.repo),
            redactor: Redactor::new(config.token.secret()),
            timeout: config.timeout,
            budget: Budget::new(config.budget()),
        })
    }

    /// Sends a request, retrying as the one retry policy says: a `POST`
    /// creates something, so it is sent again only where the server
    /// certainly did not act.
    pub(super) fn send(
        &self,
        method: &Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&serde_json::Value>,
    ) -> Result<Answer, Error> {
        let repeat = if *method == Method::POST {
            Repeat::Once
        } else {
            Repeat::Idempotent
        };
        let backoff = Backoff::new(repeat, self.timeout);
        let attempt = || self.attempt(method, path, query, body);
        let gave_up = match retry::call(backoff, &self.budget, attempt, |e| e.failed) {
            Ok(answer) => return Ok(answer),
            Err(gave_up) => gave_up,
        };
        let mut err = gave_up.error;
        err.attempts = gave_up.attempts;
        if let Stop::OutOfBudget { asked } = gave_up.stop {
            let total = self.budget.total().as_secs();
            err.message.push_str(&match asked {
                Some(wait) => format!(
                    " (the server asked to wait {}s before trying again, more than is left of the {total}s a tracker sync may take)",
                    wait.as_secs()
                ),
                None => format!(" (no time left of the {total}s a tracker sync may take to try again)"),
            });
        }
        Err(Error::Tracker(err))
    }

    /// One attempt, bounded as a whole by the timeout (or what is left of
    /// the budget): connecting, sending, and reading the answer.
    fn attempt(
        &self,
        method: &Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&serde_json::Value>,
    ) -> Result<Answer, Box<TrackerError>> {
        let allowed = self.timeout.min(self.budget.left());
        if allowed.is_zero() {
            let total = self.budget.total().as_secs();
            let spent = format!("the {total}s a tracker sync may take are spent");
            return Err(Box::new(self.invalid(method, path, spent, None)));
        }
        let mut url = format!("{}{}{path}", self.server, self.dialect.api_suffix);
        if !query.is_empty() {
            let mut pairs = url::form_urlencoded::Serializer::new(String::new());
            url = format!("{url}?{}", pairs.extend_pairs(query).finish());
        }
        let request = http::Request {
            method: method.clone(),
            url,
            headers: self.headers.clone(),
            body: body.map(|b| ("application/json", b.to_string().into_bytes())),
            limit: Some(MAX_BODY),
            error_limit: Some(MAX_ERROR_BODY),
        };
        let answer = self.http.send(&request, allowed).map_err(|e| {
            let failed = Failed {
                unsent: e.kind == Kind::Unsent,
                invalid: e.kind == Kind::TooLong,
                ..Failed::default()
            };
            let mut err = self.error(method, path, e.message.clone(), failed);
            err.source = Some(Box::new(e));
            Box::new(err)
        })?;
        let status = answer.status;
        if status.is_success() {
            return Ok(answer);
        }
        // An error answer's body is read only for its message; one that
        // cannot be read whole still says its status.
        let limit = RateLimit::read(&answer.headers, Utc::now());
        let fallback = status.canonical_reason().unwrap_or("no message");
        let message = self.server_text(&error_message(&answer.body, fallback));
        let failed = Failed {
            status: Some(status.as_u16()),
            retry_after: limit.retry_after,
            // GitHub answers 403, not 429, when a rate limit is used up.
            rate_limited: status == StatusCode::TOO_MANY_REQUESTS
                || (status == StatusCode::FORBIDDEN && limit.is_limit()),
            ..Failed::default()
        };
        Err(Box::new(self.error(method, path, message, failed)))
    }

    /// Sends a request and reads the answer as JSON.
    pub(super) fn json<T: DeserializeOwned>(
        &self,
        method: &Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&serde_json::Value>,
    ) -> Result<(T, HeaderMap), Error> {
        let answer = self.send(method, path, query, body)?;
        let value = serde_json::from_slice(&answer.body).map_err(|e| {
            let message = format!("unexpected answer from the server: {e}");
            self.invalid(method, path, message, Some(e))
        })?;
        Ok((value, answer.headers))
    }

    /// Reads the pages of a listing, asking for the dialect's page size. It
    /// ends at the count `X-Total-Count` announces, at an empty page, or
    /// (without that count) at a page shorter than the first, since a server
    /// may give fewer items a page than asked. A page that repeats the one
    /// before (by the items' `number`), or a listing longer than
    /// [`MAX_PAGES`], is an error. `newest`: the first page only.
    pub(super) fn pages<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        newest: bool,
        number: fn(&T) -> u64,
    ) -> Result<Vec<T>, Error> {
        let size = self.dialect.page_size;
        let mut all: Vec<T> = Vec::new();
        let mut first = None;
        let mut previous: Vec<u64> = Vec::new();
        for page in 1..=MAX_PAGES {
            let mut q = query.to_vec();
            q.push((self.dialect.page_key, size.to_string()));
            q.push(("page", page.to_string()));
            let (items, headers): (Vec<T>, _) = self.json(&Method::GET, path, &q, None)?;
            let got = items.len();
            let numbers: Vec<u64> = items.iter().map(number).collect();
            if got > 0 && numbers == previous {
                let message = format!(
                    "page {page} repeats page {}: the server ignores the `page` parameter, so the listing cannot be read whole",
                    page - 1
                );
                return Err(self.invalid(&Method::GET, path, message, None).into());
            }
            let first = *first.get_or_insert(got);
            all.extend(items);
            let done = newest
                || got == 0
                || match total_count(&headers) {
                    Some(total) => all.len() >= total,
                    None => got < first,
                };
            if done {
                return Ok(all);
            }
            previous = numbers;
        }
        let message = format!(
            "the listing goes on past {MAX_PAGES} pages of {size}; not acting on part of it"
        );
        Err(self.invalid(&Method::GET, path, message, None).into())
    }

    fn error(&self, method: &Method, path: &str, message: String, failed: Failed) -> TrackerError {
        TrackerError {
            server: self.server.clone(),
            repo: self.repo.clone(),
            method: method.to_string(),
            path: format!("{}{path}", self.dialect.api_suffix),
            message,
            attempts: 1,
            failed,
            source: None,
        }
    }

    /// An answer that came but cannot be used: never worth another try.
    fn invalid(
        &self,
        method: &Method,
        path: &str,
        message: String,
        source: Option<serde_json::Error>,
    ) -> TrackerError {
        let failed = Failed {
            invalid: true,
            ..Failed::default()
        };
        let mut err = self.error(method, path, message, failed);
        err.source = source.map(|e| Box::new(e) as _);
        err
    }

    /// Text a server sent, cleaned of the token and cut short.
    fn server_text(&self, text: &str) -> String {
        let text = self.redactor.clean(text);
        match text.char_indices().nth(MAX_MESSAGE) {
            Some((end, _)) => format!("{}...", &text[..end]),
            None => text,
        }
    }
}
