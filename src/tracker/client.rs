//! The client for every forge over the crate's one HTTP client: the token,
//! retries, paging and error answers; its [`super::Forge`] operations are in `super`.

use serde::de::DeserializeOwned;
use ureq::http::header::{HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, USER_AGENT};

use super::{Config, Kind};
use crate::error::{Error, TrackerError};
use crate::http::retry::{self, Backoff, Budget, Failed, Repeat, Stop};
use crate::http::{self, redact::Redactor, Answer, HeaderMap, Method, StatusCode};

/// The most of a successful answer read; a page of issues is far below.
pub(crate) const MAX_BODY: u64 = 4 << 20;

/// Of an error answer only its message is wanted.
const MAX_ERROR_BODY: u64 = 64 << 10;

const MAX_MESSAGE: usize = 300;

/// A listing longer is a loop or a misuse: an error, never acted on in part.
pub(crate) const MAX_PAGES: usize = 20;

const AGENT: &str = concat!("cron-heartbeat/", env!("CARGO_PKG_VERSION"), " (hb-check)");

pub(crate) struct Client {
    headers: Vec<(HeaderName, HeaderValue)>,
    pub(super) github: bool,
    /// Below the configured URL.
    api: &'static str,
    /// The listing's parameter and value.
    page_size: (&'static str, usize),
    pub(super) config: Config,
    redactor: Redactor,
    budget: Budget,
}

impl Client {
    /// The sync's budget starts now.
    pub(crate) fn new(config: &Config) -> Client {
        let (github, api, media_type, page_size) = match config.kind {
            Kind::Github => (true, "", "application/vnd.github+json", ("per_page", 100)),
            Kind::Gitea | Kind::Forgejo => (false, "/api/v1", "application/json", ("limit", 50)),
        };
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", config.token.secret()))
            .expect("a token holds no control character, the only thing a header refuses");
        auth.set_sensitive(true);
        Client {
            headers: vec![
                (ACCEPT, HeaderValue::from_static(media_type)),
                (AUTHORIZATION, auth),
                (USER_AGENT, HeaderValue::from_static(AGENT)),
            ],
            github,
            api,
            page_size,
            config: config.clone(),
            redactor: Redactor::new(config.token.secret()),
            budget: Budget::new(config.budget()),
        }
    }

    /// Sends a request under the retry policy: a `POST` creates something,
    /// so it is sent again only where the server certainly did not act.
    pub(super) fn send(
        &self,
        method: &Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&serde_json::Value>,
    ) -> Result<Answer, Error> {
        let mut url = format!("{}{}{path}", self.config.url, self.api);
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
        let repeat = if *method == Method::POST {
            Repeat::Once
        } else {
            Repeat::Idempotent
        };
        let backoff = Backoff::new(repeat, self.config.timeout);
        let attempt = || self.attempt(&request, path);
        retry::call(backoff, &self.budget, attempt, |e| e.failed).map_err(|gave_up| {
            let mut err = gave_up.error;
            err.attempts = gave_up.attempts;
            if let Stop::OutOfBudget { asked } = gave_up.stop {
                let total = self.budget.total.as_secs();
                err.message.push_str(&match asked.map(|w| w.as_secs()) {
                    Some(wait) => format!(" (the server asked to wait {wait}s before trying again, more than is left of the {total}s a tracker sync may take)"),
                    None => format!(" (no time left of the {total}s a tracker sync may take to try again)"),
                });
            }
            Error::Tracker(err)
        })
    }

    /// One attempt, within the timeout or what is left of the budget.
    fn attempt(&self, request: &http::Request, path: &str) -> Result<Answer, Box<TrackerError>> {
        let method = &request.method;
        let allowed = self.config.timeout.min(self.budget.left());
        if allowed.is_zero() {
            let total = self.budget.total.as_secs();
            let spent = format!("the {total}s a tracker sync may take are spent");
            return Err(Box::new(self.invalid(method, path, spent)));
        }
        let answer = http::send(request, allowed).map_err(|e| {
            let failed = Failed {
                unsent: e.kind == http::Kind::Unsent,
                invalid: e.kind == http::Kind::TooLong,
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
        // One too long to read whole still says its status.
        let (retry_after, limited) = retry::rate_limit(&answer.headers, chrono::Utc::now());
        let fallback = status.canonical_reason().unwrap_or("no message");
        let mut message = self.redactor.clean(&error_message(&answer.body, fallback));
        if let Some((end, _)) = message.char_indices().nth(MAX_MESSAGE) {
            message = format!("{}...", &message[..end]);
        }
        let failed = Failed {
            status: Some(status.as_u16()),
            retry_after,
            // GitHub answers 403, not 429, when a rate limit is used up.
            rate_limited: status == StatusCode::TOO_MANY_REQUESTS
                || (status == StatusCode::FORBIDDEN && limited),
            ..Failed::default()
        };
        Err(Box::new(self.error(method, path, message, failed)))
    }

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
            let mut err = self.invalid(method, path, message);
            err.source = Some(Box::new(e));
            Box::new(err)
        })?;
        Ok((value, answer.headers))
    }

    /// A listing's pages (`newest`: the first only), up to Gitea's
    /// `X-Total-Count`, an empty page, or without it a page shorter than the
    /// first (a server may give fewer than asked). A page repeating the one
    /// before (by `number`), or past [`MAX_PAGES`], fails.
    pub(super) fn pages<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        newest: bool,
        number: fn(&T) -> u64,
    ) -> Result<Vec<T>, Error> {
        let (size_key, size) = self.page_size;
        let mut all: Vec<T> = Vec::new();
        let mut first = None;
        let mut previous: Vec<u64> = Vec::new();
        for page in 1..=MAX_PAGES {
            let paging = [(size_key, size.to_string()), ("page", page.to_string())];
            let q = [query, &paging].concat();
            let (items, headers): (Vec<T>, _) = self.json(&Method::GET, path, &q, None)?;
            let got = items.len();
            let numbers: Vec<u64> = items.iter().map(number).collect();
            if got > 0 && numbers == previous {
                let message = format!(
                    "page {page} repeats page {}: the server ignores the `page` parameter, so the listing cannot be read whole",
                    page - 1
                );
                return Err(Box::new(self.invalid(&Method::GET, path, message)).into());
            }
            let first = *first.get_or_insert(got);
            all.extend(items);
            let total = headers
                .get("x-total-count")
                .and_then(|v| v.to_str().ok()?.trim().parse::<usize>().ok());
            if newest || got == 0 || total.map_or(got < first, |total| all.len() >= total) {
                return Ok(all);
            }
            previous = numbers;
        }
        let message = format!(
            "the listing goes on past {MAX_PAGES} pages of {size}; not acting on part of it"
        );
        Err(Box::new(self.invalid(&Method::GET, path, message)).into())
    }

    fn error(&self, method: &Method, path: &str, message: String, failed: Failed) -> TrackerError {
        TrackerError {
            server: self.config.url.clone(),
            repo: self.config.repo.clone(),
            method: method.to_string(),
            path: format!("{}{path}", self.api),
            message,
            attempts: 1,
            failed,
            source: None,
        }
    }

    /// An answer that came but cannot be used: never worth another try.
    fn invalid(&self, method: &Method, path: &str, message: String) -> TrackerError {
        let failed = Failed {
            invalid: true,
            ..Failed::default()
        };
        self.error(method, path, message, failed)
    }
}

/// An error answer's JSON `message` (both APIs), with GitHub's `errors`, which
/// say what a 422 refused (`Validation Failed (Issue title: too long)`); else
/// the text itself unless it is HTML, else `fallback`.
pub(crate) fn error_message(body: &[u8], fallback: &str) -> String {
    let doc: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let errors = doc["errors"].as_array().into_iter().flatten();
    let details = errors.filter_map(detail).collect::<Vec<_>>().join("; ");
    let message = doc["message"].as_str().filter(|m| !m.trim().is_empty());
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    match (message, details.is_empty()) {
        (Some(message), true) => message.to_owned(),
        (Some(message), false) => format!("{message} ({details})"),
        (None, false) => details,
        (None, true) if text.is_empty() || text.starts_with('<') => fallback.to_owned(),
        (None, true) => text.to_owned(),
    }
}

/// One of GitHub's `errors`: a text, or what (`resource`, `field`) was
/// refused and why (`message`, else `code`).
fn detail(e: &serde_json::Value) -> Option<String> {
    let field = |k: &str| e.get(k)?.as_str();
    let why = e.as_str().or(field("message")).or(field("code"))?;
    let what = [field("resource"), field("field")].into_iter().flatten();
    let what = what.collect::<Vec<_>>().join(" ");
    let sep = if what.is_empty() { "" } else { ": " };
    Some(format!("{what}{sep}{why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages_say_what_was_refused() {
        let m = |text: &str| error_message(text.as_bytes(), "Bad Gateway");
        assert_eq!(
            m(
                r#"{"message":"Validation Failed","errors":[{"resource":"Label","code":"already_exists","field":"name"},{"resource":"Issue","field":"title","code":"custom","message":"title is too long"}]}"#
            ),
            "Validation Failed (Label name: already_exists; Issue title: title is too long)"
        );
        assert_eq!(
            m(r#"{"message":"Validation Failed","errors":["labels is invalid"]}"#),
            "Validation Failed (labels is invalid)"
        );
        assert_eq!(
            m(r#"{"message":"[Title]: Required","url":"x"}"#),
            "[Title]: Required"
        );
        assert_eq!(m("<html>proxy</html>"), "Bad Gateway");
        assert_eq!(m("upstream down\n"), "upstream down");
    }
}
