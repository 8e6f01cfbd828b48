//! One POST to an HTTP destination, through the crate's one client and
//! retry policy: sent again only when the server certainly did not take
//! it (no connection, 429, 503 with `Retry-After`, clamped), each attempt
//! bounded by what is left of the run's budget, the answer read up to a
//! cap, no redirect followed.

use std::time::Duration;

use chrono::Utc;

use super::refused;
use crate::error::Error;
use crate::http::redact::Redactor;
use crate::http::retry::{self, Backoff, Budget, Failed, Repeat};
use crate::http::wait::RateLimit;
use crate::http::{self, header, HeaderValue, Http, Kind, Method, Request};

/// The longest one attempt may take (the budget may leave less).
const ATTEMPT_MAX: Duration = Duration::from_secs(10);

/// The least time worth an attempt.
const ATTEMPT_MIN: Duration = Duration::from_millis(200);

/// The most read of an answer: a destination says "ok" in a few bytes.
const ANSWER_MAX: u64 = 64 * 1024;

/// The most characters quoted of an answer or a command's output.
const QUOTED_MAX: usize = 200;

/// A POST of `body` (content type and bytes) with `headers` to `url`.
pub(super) struct Post<'a> {
    pub url: &'a str,
    pub headers: Vec<(header::HeaderName, HeaderValue)>,
    pub body: (&'static str, Vec<u8>),
    /// Masks a secret the server may echo back (the ntfy token).
    pub redactor: Option<Redactor>,
}

impl<'a> Post<'a> {
    /// A POST of `body` as JSON (every unsafe character escaped: see
    /// [`crate::escape::write_json`]) to `url`.
    pub(super) fn json(url: &'a str, body: &impl serde::Serialize) -> Post<'a> {
        let mut bytes = Vec::new();
        // Plain structs and JSON values always serialise.
        crate::escape::write_json(&mut bytes, body).expect("JSON serialises");
        Post {
            url,
            headers: Vec::new(),
            body: ("application/json", bytes),
            redactor: None,
        }
    }
}

/// `: LINE`, the first line of `bytes` as a message may quote it (no URL,
/// no secret `redactor` masks, at most 200 characters); empty when there
/// is none.
pub(super) fn quoted(bytes: &[u8], redactor: Option<&Redactor>) -> String {
    let mut first = http::hide_urls(&crate::process::first_line(bytes));
    if let Some(redactor) = redactor {
        first = redactor.clean(&first);
    }
    match crate::report::content::cut(&first, QUOTED_MAX) {
        first if first.is_empty() => first,
        first => format!(": {first}"),
    }
}

/// Sends `post` within `budget`. `Ok` says what the server answered to a
/// message it took (any 2xx); `Err` why it was not taken. Neither holds
/// the URL's path, the token, or a raw control character.
pub(super) fn send(http: &Http, post: Post, budget: &Budget) -> Result<String, Error> {
    let request = Request {
        method: Method::POST,
        url: post.url.to_owned(),
        headers: post.headers,
        body: Some(post.body),
        limit: Some(ANSWER_MAX),
        error_limit: Some(ANSWER_MAX),
    };
    let quote = |bytes: &[u8]| quoted(bytes, post.redactor.as_ref());
    let backoff = Backoff::new(Repeat::Once, ATTEMPT_MIN);
    let attempt = || {
        let left = budget.left();
        if left < ATTEMPT_MIN {
            let total = budget.total().as_secs();
            let reason = format!("no time was left of the {total}s budget");
            return Err((refused(reason, None), Failed::default()));
        }
        // In tenths of a second, as the messages say it.
        let tenths = left.min(ATTEMPT_MAX).as_millis() / 100;
        match http.send(&request, Duration::from_millis(tenths as u64 * 100)) {
            Ok(answer) if answer.status.is_success() => Ok(format!(
                "the server answered {}{}",
                answer.status,
                quote(&answer.body)
            )),
            Ok(answer) => {
                let limit = RateLimit::read(&answer.headers, Utc::now());
                let failed = Failed {
                    status: Some(answer.status.as_u16()),
                    retry_after: limit.retry_after,
                    rate_limited: limit.is_limit() && answer.status.as_u16() == 429,
                    ..Failed::default()
                };
                let redirect = if answer.status.is_redirection() {
                    " (redirects are not followed)"
                } else {
                    ""
                };
                let reason = format!(
                    "the server answered {}{redirect}{}",
                    answer.status,
                    quote(&answer.body)
                );
                Err((refused(reason, None), failed))
            }
            // Only a successful answer is read to its end: the server took
            // the message and said more than anyone needs.
            Err(e) if e.kind == Kind::TooLong => Ok(format!(
                "the server took it; its answer, longer than {} KiB, was not read",
                ANSWER_MAX / 1024
            )),
            // A success whose body stalled or broke off: the message was
            // taken, and sending it again would say it twice.
            Err(e) if e.answered.is_some() => Ok(format!(
                "the server took it (status {}); its answer {}",
                e.answered.unwrap_or_default(),
                if e.kind == Kind::Slow {
                    "did not arrive whole"
                } else {
                    "broke off"
                }
            )),
            Err(e) => {
                let failed = Failed {
                    unsent: e.kind == Kind::Unsent,
                    ..Failed::default()
                };
                Err((refused(e.message.clone(), Some(Box::new(e))), failed))
            }
        }
    };
    retry::call(backoff, budget, attempt, |(_, failed)| *failed).map_err(|gave_up| gave_up.error.0)
}
