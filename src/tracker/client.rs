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
use super::operations::Numbered;
use super::retry::{self, Budget, Repeat};
use super::{Config, Pages};
use crate::error::{Error, TrackerError};
use crate::http::redact::Redactor;
use crate::http::retry::{Backoff, Stop};
use crate::http::wait::RateLimit;
use crate::http::{self, HeaderMap, Http, Kind, Method, StatusCode};

/// The most of a successful answer read; a page of issues is far below.
pub(crate) const MAX_BODY: u64 = 4 << 20;

/// The most of an error answer read; only its message is wanted.
const MAX_ERROR_BODY: u64 = 64 << 10;

/// The longest server message kept in an error.
const MAX_MESSAGE: usize = 300;

/// More pages than this are not read: a listing that long is a loop or a
/// misuse, and reaching it is an error rather than acting on part of it.
pub(crate) const MAX_PAGES: usize = 20;

pub(super) struct Answer {
    headers: HeaderMap,
    body: Vec<u8>,
}

/// A client for one repo of one forge; its [`Forge`](super::Forge) operations are in
/// [`super::operations`].
pub(crate) struct Client {
    http: Http,
    /// `Accept` and the token, on every request.
    headers: Vec<(HeaderName, HeaderValue)>,
    pub(super) dialect: Dialect,
    /// The API base URL, without a trailing slash.
    api: String,
    /// `/repos/OWNER/NAME`.
    pub(super) repo_path: String,
    server: String,
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
        let http = Http::new(concat!(
            "cron-heartbeat/",
            env!("CARGO_PKG_VERSION"),
            " (hb-check)"
        ));
        Ok(Client {
            http,
            headers,
            dialect,
            api: format!("{}{}", config.url, dialect.api_suffix),
            repo_path: format!("/repos/{}/{}", config.owner, config.repo),
            server: config.url.clone(),
            repo: config.repo_name(),
            redactor: Redactor::new(config.token.secret()),
            timeout: config.timeout,
            budget: Budget::new(config.budget()),
        })
    }

    /// Sends a request, retrying as the [`retry`] policy says for a request
    /// of kind `repeat`.
    pub(super) fn send(
        &self,
        method: &Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&serde_json::Value>,
        repeat: Repeat,
    ) -> Result<Answer, Error> {
        let backoff = Backoff::new(repeat, self.timeout);
        let attempt = || self.attempt(method, path, query, body);
        let gave_up = match http::retry::call(backoff, &self.budget, attempt, |e| retry::failed(e))
        {
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
            let mut err = self.error(
                method,
                path,
                None,
                format!("the {total}s a tracker sync may take are spent"),
            );
            err.answer_invalid = true;
            return Err(Box::new(err));
        }
        let mut url = format!("{}{path}", self.api);
        if !query.is_empty() {
            let mut pairs = url::form_urlencoded::Serializer::new(String::new());
            for (key, value) in query {
                pairs.append_pair(key, value);
            }
            url.push('?');
            url.push_str(&pairs.finish());
        }
        let request = http::Request {
            method: method.clone(),
            url,
            headers: self.headers.clone(),
            body: body.map(|b| ("application/json", b.to_string().into_bytes())),
            limit: Some(MAX_BODY),
            error_limit: Some(MAX_ERROR_BODY),
        };
        let answer = self
            .http
            .send(&request, allowed)
            .map_err(|e| Box::new(self.transport_error(method, path, e)))?;
        if !answer.status.is_success() {
            // An error answer's body is read only for its message; one that
            // cannot be read whole still says its status.
            return Err(Box::new(self.status_error(
                method,
                path,
                answer.status,
                &answer.headers,
                &answer.body,
            )));
        }
        Ok(Answer {
            headers: answer.headers,
            body: answer.body,
        })
    }

    /// Sends a request and reads the answer as JSON.
    pub(super) fn json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&serde_json::Value>,
        repeat: Repeat,
    ) -> Result<(T, HeaderMap), Error> {
        let answer = self.send(&method, path, query, body, repeat)?;
        let value = serde_json::from_slice(&answer.body).map_err(|e| {
            self.invalid(
                &method,
                path,
                format!("unexpected answer from the server: {e}"),
                Some(e),
            )
        })?;
        Ok((value, answer.headers))
    }

    /// Reads the pages of a listing, asking for the dialect's page size. It
    /// ends at the count `X-Total-Count` announces, at an empty page, or
    /// (without that count) at a page shorter than the first, since a server
    /// may give fewer items a page than asked. A page that repeats the one
    /// before, or a listing longer than [`MAX_PAGES`], is an error.
    pub(super) fn pages<T: DeserializeOwned + Numbered>(
        &self,
        path: &str,
        query: &[(&str, String)],
        pages: Pages,
    ) -> Result<Vec<T>, Error> {
        let size = self.dialect.page_size;
        let mut all: Vec<T> = Vec::new();
        let mut first = None;
        let mut previous: Vec<u64> = Vec::new();
        for page in 1..=MAX_PAGES {
            let mut q = query.to_vec();
            q.push((self.dialect.page_key, size.to_string()));
            q.push(("page", page.to_string()));
            let (items, headers): (Vec<T>, _) =
                self.json(Method::GET, path, &q, None, Repeat::Idempotent)?;
            let got = items.len();
            let numbers: Vec<u64> = items.iter().map(Numbered::number).collect();
            if got > 0 && numbers == previous {
                return Err(self.invalid(
                    &Method::GET,
                    path,
                    format!(
                        "page {page} repeats page {}: the server ignores the `page` parameter, so the listing cannot be read whole",
                        page - 1
                    ),
                    None,
                ));
            }
            let first = *first.get_or_insert(got);
            all.extend(items);
            let done = pages == Pages::Newest
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
        Err(self.invalid(
            &Method::GET,
            path,
            format!(
                "the listing goes on past {MAX_PAGES} pages of {size}; not acting on part of it"
            ),
            None,
        ))
    }

    fn error(
        &self,
        method: &Method,
        path: &str,
        status: Option<u16>,
        message: String,
    ) -> TrackerError {
        TrackerError {
            server: self.server.clone(),
            repo: self.repo.clone(),
            method: method.to_string(),
            path: format!("{}{path}", self.dialect.api_suffix),
            status,
            message,
            attempts: 1,
            retry_after: None,
            rate_limited: false,
            connect_failed: false,
            answer_invalid: false,
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
    ) -> Error {
        let mut err = self.error(method, path, None, message);
        err.answer_invalid = true;
        err.source = source.map(|e| Box::new(e) as _);
        err.into()
    }

    /// Text a server sent, cleaned of the token and cut short.
    fn server_text(&self, text: &str) -> String {
        let text = self.redactor.clean(text);
        match text.char_indices().nth(MAX_MESSAGE) {
            Some((end, _)) => format!("{}...", &text[..end]),
            None => text,
        }
    }

    fn status_error(
        &self,
        method: &Method,
        path: &str,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> TrackerError {
        let limit = RateLimit::read(headers, Utc::now());
        let fallback = status.canonical_reason().unwrap_or("no message");
        let message = self.server_text(&error_message(body, fallback));
        let mut err = self.error(method, path, Some(status.as_u16()), message);
        err.retry_after = limit.retry_after;
        // GitHub answers 403, not 429, when a rate limit is used up.
        err.rate_limited = status == StatusCode::TOO_MANY_REQUESTS
            || (status == StatusCode::FORBIDDEN && limit.is_limit());
        err
    }

    fn transport_error(&self, method: &Method, path: &str, e: http::Failure) -> TrackerError {
        let mut err = self.error(method, path, None, e.message.clone());
        err.connect_failed = e.kind == Kind::Unsent;
        err.answer_invalid = e.kind == Kind::TooLong;
        err.source = Some(Box::new(e));
        err
    }
}
