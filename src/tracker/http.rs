//! The HTTP plumbing both clients share: authentication, the user agent,
//! retries with backoff, and turning failures into [`TrackerError`]s that
//! never carry the token.

use std::thread;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::blocking::{Client, Response};
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;

use super::{retry_wait, Config, Edit, Issue, Label, State, Token, MAX_ATTEMPTS};
use crate::error::{Error, TrackerError};

/// The longest server message kept in an error.
const MAX_MESSAGE: usize = 300;

/// A successful answer.
pub(crate) struct Answer {
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// Sends requests to one repo's API with retries.
pub(crate) struct Transport {
    client: Client,
    /// The API base URL, without a trailing slash.
    api: String,
    server: String,
    repo: String,
    token: Token,
    timeout: Duration,
}

impl Transport {
    pub fn new(config: &Config, api: String, accept: &'static str) -> Result<Transport, Error> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static(accept));
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", config.token.secret()))
            .map_err(|_| Error::TrackerConfig {
                reason: "the tracker token contains characters an HTTP header cannot carry"
                    .to_owned(),
            })?;
        auth.set_sensitive(true);
        headers.insert(AUTHORIZATION, auth);
        let client = Client::builder()
            .user_agent(concat!(
                "cron-heartbeat/",
                env!("CARGO_PKG_VERSION"),
                " (hb-check)"
            ))
            .default_headers(headers)
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::TrackerConfig {
                reason: format!("cannot set up the HTTP client: {}", e.without_url()),
            })?;
        Ok(Transport {
            client,
            api,
            server: config.url.clone(),
            repo: config.repo_name(),
            token: config.token.clone(),
            timeout: config.timeout,
        })
    }

    /// Sends a request; with `retry`, transient faults are tried again up to
    /// three attempts in all, within [`RETRY_BUDGET`].
    pub fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&serde_json::Value>,
        retry: bool,
    ) -> Result<Answer, Error> {
        let started = Instant::now();
        let max = if retry { MAX_ATTEMPTS } else { 1 };
        let mut attempt = 1;
        loop {
            let mut request = self
                .client
                .request(method.clone(), format!("{}{path}", self.api))
                .query(query);
            if let Some(body) = body {
                request = request.json(body);
            }
            let err = match request.send() {
                Ok(response) if response.status().is_success() => {
                    let headers = response.headers().clone();
                    match response.bytes() {
                        Ok(bytes) => {
                            return Ok(Answer {
                                headers,
                                body: bytes.to_vec(),
                            })
                        }
                        Err(e) => self.transport_error(&method, path, e, attempt),
                    }
                }
                Ok(response) => self.status_error(&method, path, response, attempt),
                Err(e) => self.transport_error(&method, path, e, attempt),
            };
            let mut err = err;
            match retry_wait(&mut err, attempt, max, started.elapsed(), self.timeout) {
                Some(wait) => thread::sleep(wait),
                None => return Err(err.into()),
            }
            attempt += 1;
        }
    }

    /// Creates a label in `repo` (`/repos/OWNER/NAME`). Tried once: the
    /// lifecycle looks for it again before another try.
    pub fn create_label(&self, repo: &str, name: &str, color: &str) -> Result<Label, Error> {
        let body = json!({
            "name": name,
            "color": color,
            "description": "cron jobs that cron-heartbeat found stale, failed, invalid or missing",
        });
        let path = format!("{repo}/labels");
        let (label, _): (LabelJson, _) = self.json(Method::POST, &path, &[], Some(&body), false)?;
        Ok(label.into())
    }

    /// Opens an issue in `repo` with the label given as each forge names
    /// it (Gitea by id, GitHub by name). Tried once: a lost answer may hide
    /// a success, so the lifecycle looks before it tries again.
    pub fn create_issue(
        &self,
        repo: &str,
        title: &str,
        body: &str,
        label: serde_json::Value,
    ) -> Result<Issue, Error> {
        let body = json!({ "title": title, "body": body, "labels": [label] });
        let path = format!("{repo}/issues");
        let (issue, _): (IssueJson, _) = self.json(Method::POST, &path, &[], Some(&body), false)?;
        Ok(issue.into())
    }

    /// Applies `edit` to an issue. Retried: setting the same fields twice is
    /// harmless. Gitea answers 201 here, GitHub 200; any success will do.
    pub fn edit_issue(&self, repo: &str, number: u64, edit: &Edit) -> Result<(), Error> {
        let mut body = serde_json::Map::new();
        if let Some(title) = &edit.title {
            body.insert("title".into(), title.clone().into());
        }
        if let Some(text) = &edit.body {
            body.insert("body".into(), text.clone().into());
        }
        if let Some(state) = edit.state {
            body.insert("state".into(), state.as_str().into());
        }
        let path = format!("{repo}/issues/{number}");
        self.send(Method::PATCH, &path, &[], Some(&body.into()), true)?;
        Ok(())
    }

    /// Adds a comment to an issue. Tried once: a lost answer may hide a
    /// comment that was made, so the lifecycle reads the comments before
    /// another try.
    pub fn comment(&self, repo: &str, number: u64, body: &str) -> Result<(), Error> {
        let path = format!("{repo}/issues/{number}/comments");
        self.send(
            Method::POST,
            &path,
            &[],
            Some(&json!({ "body": body })),
            false,
        )?;
        Ok(())
    }

    /// Reads every page of a listing, asking for `size` items a page with
    /// the `size_key` parameter. It ends at the count `X-Total-Count`
    /// announces, at an empty page, or (without that count) at a page
    /// shorter than the first, since a server may give fewer items a page
    /// than asked. A page that repeats the one before, or a listing longer
    /// than [`MAX_PAGES`], is an error: acting on part of a listing could
    /// open a duplicate issue.
    pub fn pages<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        size_key: &'static str,
        size: usize,
    ) -> Result<Vec<T>, Error> {
        let mut all = Vec::new();
        let mut first = None;
        let mut previous: Vec<serde_json::Value> = Vec::new();
        for page in 1..=MAX_PAGES {
            let mut q = query.to_vec();
            q.push((size_key, size.to_string()));
            q.push(("page", page.to_string()));
            let (items, headers): (Vec<serde_json::Value>, _) =
                self.json(Method::GET, path, &q, None, true)?;
            let got = items.len();
            if got > 0 && items == previous {
                return Err(self
                    .error(
                        &Method::GET,
                        path,
                        None,
                        format!(
                            "page {page} repeats page {}: the server ignores the `page` parameter, \
                             so the listing cannot be read whole",
                            page - 1
                        ),
                        1,
                    )
                    .into());
            }
            let first = *first.get_or_insert(got);
            for item in &items {
                all.push(T::deserialize(item).map_err(|e| {
                    self.error(
                        &Method::GET,
                        path,
                        None,
                        format!("unexpected answer from the server: {e}"),
                        1,
                    )
                })?);
            }
            let done = got == 0
                || match total_count(&headers) {
                    Some(total) => all.len() >= total,
                    None => got < first,
                };
            if done {
                return Ok(all);
            }
            previous = items;
        }
        Err(self
            .error(
                &Method::GET,
                path,
                None,
                format!("the listing goes on past {MAX_PAGES} pages of {size}; not acting on part of it"),
                1,
            )
            .into())
    }

    /// Sends a request and reads the answer as JSON.
    pub fn json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&serde_json::Value>,
        retry: bool,
    ) -> Result<(T, HeaderMap), Error> {
        let answer = self.send(method.clone(), path, query, body, retry)?;
        let value = serde_json::from_slice(&answer.body).map_err(|e| {
            self.error(
                &method,
                path,
                None,
                format!("unexpected answer from the server: {e}"),
                1,
            )
        })?;
        Ok((value, answer.headers))
    }

    fn error(
        &self,
        method: &Method,
        path: &str,
        status: Option<u16>,
        message: String,
        attempts: u32,
    ) -> TrackerError {
        TrackerError {
            server: self.server.clone(),
            repo: self.repo.clone(),
            method: method.to_string(),
            path: format!("{}{path}", api_path(&self.api)),
            status,
            message: self.redact(&message),
            attempts,
            retry_after: None,
            rate_limited: false,
            source: None,
        }
    }

    fn status_error(
        &self,
        method: &Method,
        path: &str,
        response: Response,
        attempts: u32,
    ) -> TrackerError {
        let status = response.status();
        let limit = RateLimit::read(response.headers(), Utc::now());
        let text = response.text().unwrap_or_default();
        let message = serde_json::from_str::<ApiError>(&text)
            .ok()
            .and_then(ApiError::describe)
            .unwrap_or_else(|| {
                let text = text.trim();
                if text.is_empty() || text.starts_with('<') {
                    status.canonical_reason().unwrap_or("no message").to_owned()
                } else {
                    text.to_owned()
                }
            });
        let mut err = self.error(method, path, Some(status.as_u16()), message, attempts);
        err.retry_after = limit.retry_after;
        // GitHub answers 403, not 429, when a rate limit is used up.
        err.rate_limited = status == StatusCode::TOO_MANY_REQUESTS
            || (status == StatusCode::FORBIDDEN && limit.is_limit());
        err
    }

    fn transport_error(
        &self,
        method: &Method,
        path: &str,
        e: reqwest::Error,
        attempts: u32,
    ) -> TrackerError {
        let message = if e.is_timeout() {
            format!("no answer within {}s", self.timeout.as_secs_f64())
        } else {
            // The innermost cause says most ("Connection refused"); the outer
            // ones repeat the URL.
            let mut cause: &dyn std::error::Error = &e;
            while let Some(next) = cause.source() {
                cause = next;
            }
            if e.is_connect() {
                format!("cannot connect: {cause}")
            } else {
                cause.to_string()
            }
        };
        let mut err = self.error(method, path, None, message, attempts);
        err.source = Some(e.without_url());
        err
    }

    /// Removes the token from text a server sent back, in case it echoes
    /// the request, and cuts the text short.
    fn redact(&self, text: &str) -> String {
        let text = text.replace(self.token.secret(), "<redacted>");
        match text.char_indices().nth(MAX_MESSAGE) {
            Some((end, _)) => format!("{}...", &text[..end]),
            None => text,
        }
    }
}

/// The path part of the API base (`/api/v1`, `/api/v3` or empty).
fn api_path(api: &str) -> String {
    reqwest::Url::parse(api)
        .map(|u| u.path().trim_end_matches('/').to_owned())
        .unwrap_or_default()
}

/// What an answer's headers say about waiting before another try.
#[derive(Debug, Default, PartialEq)]
struct RateLimit {
    /// `Retry-After`, in seconds or as an HTTP date; else, when GitHub's
    /// `x-ratelimit-remaining` is 0, the time until `x-ratelimit-reset`.
    retry_after: Option<Duration>,
    /// `x-ratelimit-remaining: 0`.
    exhausted: bool,
}

impl RateLimit {
    fn read(headers: &HeaderMap, now: DateTime<Utc>) -> RateLimit {
        let header = |name| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
        };
        let until = |at: DateTime<Utc>| (at - now).to_std().unwrap_or(Duration::ZERO);
        let exhausted = header("x-ratelimit-remaining") == Some("0");
        let retry_after = header(RETRY_AFTER.as_str())
            .and_then(|v| match v.parse::<u64>() {
                Ok(seconds) => Some(Duration::from_secs(seconds)),
                Err(_) => DateTime::parse_from_rfc2822(v)
                    .ok()
                    .map(|at| until(at.with_timezone(&Utc))),
            })
            .or_else(|| {
                let reset = header("x-ratelimit-reset")?.parse::<i64>().ok()?;
                exhausted.then(|| DateTime::from_timestamp(reset, 0).map(until))?
            });
        RateLimit {
            retry_after,
            exhausted,
        }
    }

    /// Whether the answer turned the request away for a rate limit.
    fn is_limit(&self) -> bool {
        self.exhausted || self.retry_after.is_some()
    }
}

/// The error document both APIs answer with; GitHub adds `errors`, which
/// says what a 422 refused.
#[derive(Deserialize)]
struct ApiError {
    message: Option<String>,
    #[serde(default)]
    errors: Vec<serde_json::Value>,
}

impl ApiError {
    /// The message, followed by the details GitHub gives in `errors`:
    /// `Validation Failed (Issue title: too long; Label name already_exists)`.
    fn describe(self) -> Option<String> {
        let details: Vec<String> = self
            .errors
            .iter()
            .filter_map(|e| match e {
                serde_json::Value::String(text) => Some(text.clone()),
                serde_json::Value::Object(fields) => {
                    let field = |k| fields.get(k).and_then(|v| v.as_str());
                    let what: Vec<&str> = [field("resource"), field("field")]
                        .into_iter()
                        .flatten()
                        .collect();
                    let why = field("message").or(field("code"))?;
                    Some(if what.is_empty() {
                        why.to_owned()
                    } else {
                        format!("{}: {why}", what.join(" "))
                    })
                }
                _ => None,
            })
            .collect();
        let message = self.message.filter(|m| !m.trim().is_empty());
        match (message, details.is_empty()) {
            (message, true) => message,
            (Some(message), false) => Some(format!("{message} ({})", details.join("; "))),
            (None, false) => Some(details.join("; ")),
        }
    }
}

/// A comment as both APIs describe it.
#[derive(Deserialize)]
pub(crate) struct CommentJson {
    #[serde(default)]
    pub body: Option<String>,
}

/// A label as both APIs describe it.
#[derive(Deserialize)]
pub(crate) struct LabelJson {
    pub id: i64,
    pub name: String,
}

impl From<LabelJson> for Label {
    fn from(l: LabelJson) -> Label {
        Label {
            id: l.id,
            name: l.name,
        }
    }
}

/// An issue (or pull request) as both APIs describe it.
#[derive(Deserialize)]
pub(crate) struct IssueJson {
    pub number: u64,
    pub title: String,
    #[serde(default)]
    pub body: Option<String>,
    pub state: String,
    #[serde(default)]
    pub labels: Vec<LabelJson>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub closed_at: Option<String>,
    /// Set on pull requests, which issue listings mix in.
    #[serde(default)]
    pub pull_request: Option<serde_json::Value>,
}

impl IssueJson {
    fn is_pull_request(&self) -> bool {
        self.pull_request.is_some()
    }

    fn has_label(&self, name: &str, names: Names) -> bool {
        self.labels.iter().any(|l| names.same(&l.name, name))
    }
}

/// How a forge compares label names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Names {
    /// Exactly (Gitea, Forgejo).
    Exact,
    /// Ignoring case (GitHub: `Heartbeat` and `heartbeat` are one label).
    AnyCase,
}

impl Names {
    pub fn same(self, a: &str, b: &str) -> bool {
        match self {
            Names::Exact => a == b,
            Names::AnyCase => a == b || a.to_lowercase() == b.to_lowercase(),
        }
    }
}

/// The issues of a listing that really are issues, carry `label` and are in
/// `state`, each once: no forge's filters are trusted alone (Gitea drops an
/// unknown label filter silently; GitHub mixes pull requests in), and an
/// issue opened while the pages are read can push another onto the next
/// page.
pub fn keep_issues(items: Vec<IssueJson>, label: &Label, state: State, names: Names) -> Vec<Issue> {
    let mut seen = std::collections::HashSet::new();
    items
        .into_iter()
        .filter(|i| !i.is_pull_request() && i.has_label(&label.name, names))
        .filter(|i| seen.insert(i.number))
        .map(Issue::from)
        .filter(|i| i.state == state)
        .collect()
}

impl From<IssueJson> for Issue {
    fn from(i: IssueJson) -> Issue {
        Issue {
            number: i.number,
            title: i.title,
            body: i.body.unwrap_or_default(),
            state: if i.state == "closed" {
                State::Closed
            } else {
                State::Open
            },
            labels: i.labels.into_iter().map(|l| l.name).collect(),
            created_at: i.created_at.as_deref().and_then(instant),
            closed_at: i.closed_at.as_deref().and_then(instant),
        }
    }
}

fn instant(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The total count a Gitea listing announces in `X-Total-Count`.
pub(crate) fn total_count(headers: &HeaderMap) -> Option<usize> {
    headers
        .get("x-total-count")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// More pages than this are not read: a listing that long is a loop, and
/// reaching it is an error.
pub(crate) const MAX_PAGES: usize = 200;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_paths_are_the_url_path() {
        assert_eq!(api_path("https://git.example.com/api/v1"), "/api/v1");
        assert_eq!(api_path("https://api.github.com"), "");
        assert_eq!(api_path("https://ghe.example.com/api/v3"), "/api/v3");
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn retry_after_is_read_in_seconds_or_as_a_date() {
        let now = DateTime::parse_from_rfc3339("2015-10-21T07:27:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let read = |pairs: &[(&'static str, &str)]| RateLimit::read(&headers(pairs), now);
        assert_eq!(
            read(&[("retry-after", "60")]).retry_after,
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            read(&[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")]).retry_after,
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            read(&[("retry-after", "Wed, 21 Oct 2015 07:00:00 GMT")]).retry_after,
            Some(Duration::ZERO)
        );
        assert_eq!(read(&[("retry-after", "soon")]), RateLimit::default());
        let reset = (now.timestamp() + 120).to_string();
        let limit = read(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", &reset),
        ]);
        assert!(limit.is_limit());
        assert_eq!(limit.retry_after, Some(Duration::from_secs(120)));
        assert!(!read(&[
            ("x-ratelimit-remaining", "12"),
            ("x-ratelimit-reset", &reset)
        ])
        .is_limit());
    }

    #[test]
    fn github_validation_errors_say_what_was_refused() {
        let describe = |text: &str| serde_json::from_str::<ApiError>(text).unwrap().describe();
        assert_eq!(
            describe(
                r#"{"message":"Validation Failed","errors":[{"resource":"Label","code":"already_exists","field":"name"},{"resource":"Issue","field":"title","code":"custom","message":"title is too long"}]}"#
            ),
            Some(
                "Validation Failed (Label name: already_exists; Issue title: title is too long)"
                    .into()
            )
        );
        assert_eq!(
            describe(r#"{"message":"Validation Failed","errors":["labels is invalid"]}"#),
            Some("Validation Failed (labels is invalid)".into())
        );
        assert_eq!(
            describe(r#"{"message":"[Title]: Required","url":"x"}"#),
            Some("[Title]: Required".into())
        );
        assert_eq!(describe(r#"{"message":" "}"#), None);
    }

    #[test]
    fn kept_issues_are_issues_with_the_label_once_each() {
        let item = |number, label: &str, pull: bool| IssueJson {
            number,
            title: "t".into(),
            body: None,
            state: "open".into(),
            labels: vec![LabelJson {
                id: 1,
                name: label.into(),
            }],
            created_at: None,
            closed_at: None,
            pull_request: pull.then(|| serde_json::json!({})),
        };
        let label = Label {
            id: 1,
            name: "heartbeat".into(),
        };
        let items = || {
            vec![
                item(1, "Heartbeat", false),
                item(2, "heartbeat", true),
                item(3, "heartbeat", false),
                item(3, "heartbeat", false),
            ]
        };
        let numbers = |names| -> Vec<u64> {
            keep_issues(items(), &label, State::Open, names)
                .iter()
                .map(|i| i.number)
                .collect()
        };
        assert_eq!(numbers(Names::Exact), vec![3]);
        assert_eq!(numbers(Names::AnyCase), vec![1, 3]);
    }
}
