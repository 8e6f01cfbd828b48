//! Reading what a server answers, within bounds: the body up to a size and
//! a deadline, the error message it carries, and what its headers say about
//! waiting and paging.

use std::io::Read;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::Deserialize;

use super::retry::MAX_SERVER_WAIT;

/// Why a body could not be read whole.
#[derive(Debug)]
pub enum BodyError {
    /// Longer than the limit.
    TooLong(usize),
    /// Still coming at the deadline.
    Deadline,
    /// The connection failed while reading.
    Io(std::io::Error),
}

/// Reads `from` to its end, failing past `limit` bytes or after `deadline`.
/// The deadline is checked between reads, and each read is itself bounded
/// by the request's timeout, so a server that trickles bytes cannot stretch
/// a request.
pub fn read_body(
    from: &mut impl Read,
    limit: usize,
    deadline: Instant,
) -> Result<Vec<u8>, BodyError> {
    let mut body = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if Instant::now() >= deadline {
            return Err(BodyError::Deadline);
        }
        let n = match from.read(&mut chunk) {
            Ok(0) => return Ok(body),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            // The request's own timeout ends a read that the deadline
            // would have ended: say so, not "broke off".
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut || timed_out(&e) => {
                return Err(BodyError::Deadline)
            }
            Err(_) if Instant::now() + Duration::from_millis(100) >= deadline => {
                return Err(BodyError::Deadline)
            }
            Err(e) => return Err(BodyError::Io(e)),
        };
        if body.len() + n > limit {
            return Err(BodyError::TooLong(limit));
        }
        body.extend_from_slice(&chunk[..n]);
    }
}

/// Whether an I/O error is the HTTP client's timeout.
fn timed_out(e: &std::io::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = e.get_ref().map(|i| i as _);
    while let Some(c) = cause {
        if c.downcast_ref::<reqwest::Error>()
            .is_some_and(reqwest::Error::is_timeout)
        {
            return true;
        }
        cause = c.source();
    }
    false
}

/// What an answer's headers say about waiting before another try.
#[derive(Debug, Default, PartialEq)]
pub struct RateLimit {
    /// `Retry-After`, in seconds or as an HTTP date; else, when GitHub's
    /// `x-ratelimit-remaining` is 0, the time until `x-ratelimit-reset`.
    /// Clamped to [`MAX_SERVER_WAIT`].
    pub retry_after: Option<Duration>,
    /// `x-ratelimit-remaining: 0`.
    pub exhausted: bool,
}

impl RateLimit {
    /// Reads the headers of an answer that came at `now`.
    pub fn read(headers: &HeaderMap, now: DateTime<Utc>) -> RateLimit {
        let header = |name| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
        };
        let until = |at: DateTime<Utc>| (at - now).to_std().unwrap_or(Duration::ZERO);
        let exhausted = header("x-ratelimit-remaining") == Some("0");
        let retry_after = header(RETRY_AFTER.as_str())
            .and_then(|v| {
                if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
                    // Any run of digits, however long, clamps; none overflows.
                    let secs = v.parse::<u64>().unwrap_or(u64::MAX);
                    Some(Duration::from_secs(secs.min(MAX_SERVER_WAIT.as_secs())))
                } else {
                    DateTime::parse_from_rfc2822(v)
                        .ok()
                        .map(|at| until(at.with_timezone(&Utc)))
                }
            })
            .or_else(|| {
                let reset = header("x-ratelimit-reset")?.parse::<i64>().ok()?;
                exhausted.then(|| DateTime::from_timestamp(reset, 0).map(until))?
            })
            .map(|wait| wait.min(MAX_SERVER_WAIT));
        RateLimit {
            retry_after,
            exhausted,
        }
    }

    /// Whether the answer turned the request away for a rate limit.
    pub fn is_limit(&self) -> bool {
        self.exhausted || self.retry_after.is_some()
    }
}

/// The total count a Gitea listing announces in `X-Total-Count`.
pub fn total_count(headers: &HeaderMap) -> Option<usize> {
    headers
        .get("x-total-count")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// The error document both APIs answer with; GitHub adds `errors`, which
/// says what a 422 refused.
#[derive(Deserialize)]
struct ApiError {
    message: Option<String>,
    #[serde(default)]
    errors: Vec<serde_json::Value>,
}

/// The message of an error answer: the JSON `message` with GitHub's
/// `errors` details (`Validation Failed (Issue title: too long)`), else the
/// text itself unless it is HTML, else `fallback`.
pub fn error_message(body: &[u8], fallback: &str) -> String {
    if let Some(message) = serde_json::from_slice::<ApiError>(body)
        .ok()
        .and_then(ApiError::describe)
    {
        return message;
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() || text.starts_with('<') {
        fallback.to_owned()
    } else {
        text.to_owned()
    }
}

impl ApiError {
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

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn retry_after_is_read_in_seconds_or_as_a_date_and_clamped() {
        let now = DateTime::parse_from_rfc3339("2015-10-21T07:27:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let read = |pairs: &[(&'static str, &str)]| RateLimit::read(&headers(pairs), now);
        let secs = |s| Some(Duration::from_secs(s));
        assert_eq!(read(&[("retry-after", "60")]).retry_after, secs(60));
        assert_eq!(
            read(&[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")]).retry_after,
            secs(60)
        );
        assert_eq!(
            read(&[("retry-after", "Wed, 21 Oct 2015 07:00:00 GMT")]).retry_after,
            Some(Duration::ZERO)
        );
        assert_eq!(read(&[("retry-after", "soon")]), RateLimit::default());
        for huge in ["18446744073709551615", "99999999999999999999999"] {
            assert_eq!(
                read(&[("retry-after", huge)]).retry_after,
                Some(MAX_SERVER_WAIT)
            );
        }
        let reset = (now.timestamp() + 120).to_string();
        let limit = read(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", &reset),
        ]);
        assert!(limit.is_limit());
        assert_eq!(limit.retry_after, secs(120));
        let far = read(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "9223372036854775807"),
        ]);
        assert!(far.is_limit(), "an unreadable reset is still a limit");
        assert!(!read(&[
            ("x-ratelimit-remaining", "12"),
            ("x-ratelimit-reset", &reset)
        ])
        .is_limit());
    }

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

    #[test]
    fn bodies_are_read_within_a_size_and_a_deadline() {
        let later = Instant::now() + Duration::from_secs(60);
        let read = |bytes: &[u8], limit| read_body(&mut &bytes[..], limit, later);
        assert_eq!(read(b"hello", 5).unwrap(), b"hello");
        assert!(matches!(read(b"hello!", 5), Err(BodyError::TooLong(5))));
        let past = Instant::now();
        assert!(matches!(
            read_body(&mut &b"x"[..], 5, past),
            Err(BodyError::Deadline)
        ));
        // An endless body stops at the limit.
        assert!(matches!(
            read_body(&mut std::io::repeat(b'x'), 1 << 20, later),
            Err(BodyError::TooLong(_))
        ));
    }
}
