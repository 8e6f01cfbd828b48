//! `Retry-After` (seconds or an HTTP date) and GitHub's rate-limit headers,
//! clamped to [`MAX_SERVER_WAIT`] before any arithmetic.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::retry::MAX_SERVER_WAIT;
use super::HeaderMap;

/// What an answer's headers say about waiting before another try.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct RateLimit {
    /// `Retry-After`; else, when GitHub's `x-ratelimit-remaining` is 0, the
    /// time until `x-ratelimit-reset`.
    pub(crate) retry_after: Option<Duration>,
    /// `x-ratelimit-remaining: 0`.
    pub(crate) exhausted: bool,
}

impl RateLimit {
    /// The headers of an answer that came at `now`.
    pub(crate) fn read(headers: &HeaderMap, now: DateTime<Utc>) -> RateLimit {
        let header = |name: &str| Some(headers.get(name)?.to_str().ok()?.trim());
        let until = |at: DateTime<Utc>| (at - now).to_std().unwrap_or(Duration::ZERO);
        let exhausted = header("x-ratelimit-remaining") == Some("0");
        let retry_after = header("retry-after")
            .and_then(|v| {
                if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
                    // Any run of digits, however long, clamps; none overflows.
                    Some(Duration::from_secs(v.parse().unwrap_or(u64::MAX)))
                } else {
                    let at = DateTime::parse_from_rfc2822(v).ok()?;
                    Some(until(at.with_timezone(&Utc)))
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

    pub(crate) fn is_limit(&self) -> bool {
        self.exhausted || self.retry_after.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ureq::http::HeaderValue;

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
}
