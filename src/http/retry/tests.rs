use super::*;
use crate::http::{HeaderMap, HeaderValue};

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
    let read = |pairs: &[(&'static str, &str)]| rate_limit(&headers(pairs), now);
    let secs = |s| Some(Duration::from_secs(s));
    assert_eq!(read(&[("retry-after", "60")]).0, secs(60));
    assert_eq!(
        read(&[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")]).0,
        secs(60)
    );
    assert_eq!(
        read(&[("retry-after", "Wed, 21 Oct 2015 07:00:00 GMT")]).0,
        Some(Duration::ZERO)
    );
    assert_eq!(read(&[("retry-after", "soon")]), (None, false));
    for huge in ["18446744073709551615", "99999999999999999999999"] {
        assert_eq!(read(&[("retry-after", huge)]).0, Some(MAX_SERVER_WAIT));
    }
    let reset = (now.timestamp() + 120).to_string();
    let limit = read(&[
        ("x-ratelimit-remaining", "0"),
        ("x-ratelimit-reset", &reset),
    ]);
    assert!(limit.1);
    assert_eq!(limit.0, secs(120));
    let far = read(&[
        ("x-ratelimit-remaining", "0"),
        ("x-ratelimit-reset", "9223372036854775807"),
    ]);
    assert!(far.1, "an unreadable reset is still a limit");
    assert!(
        !read(&[
            ("x-ratelimit-remaining", "12"),
            ("x-ratelimit-reset", &reset)
        ])
        .1
    );
}

fn failure(status: Option<u16>) -> Failed {
    Failed {
        status,
        ..Failed::default()
    }
}

const ROOM: Duration = Duration::from_secs(600);
const SECOND: Duration = Duration::from_secs(1);

#[test]
fn failures_are_classified_by_whether_the_server_may_have_acted() {
    assert_eq!(classify(&failure(Some(404))), Class::Fatal);
    assert_eq!(classify(&failure(Some(422))), Class::Fatal);
    assert_eq!(classify(&failure(Some(429))), Class::NotDone);
    assert_eq!(classify(&failure(Some(502))), Class::MaybeDone);
    assert_eq!(classify(&failure(Some(503))), Class::MaybeDone);
    let busy = Failed {
        retry_after: Some(SECOND),
        ..failure(Some(503))
    };
    assert_eq!(classify(&busy), Class::NotDone, "503 with Retry-After");
    assert_eq!(classify(&failure(None)), Class::MaybeDone, "a timeout");
    let refused = Failed {
        unsent: true,
        ..failure(None)
    };
    assert_eq!(classify(&refused), Class::NotDone);
    let limited = Failed {
        rate_limited: true,
        ..failure(Some(403))
    };
    assert_eq!(classify(&limited), Class::NotDone);
    let garbled = Failed {
        invalid: true,
        ..failure(None)
    };
    assert_eq!(classify(&garbled), Class::Fatal);
}

#[test]
fn backoff_doubles_with_jitter_within_bounds() {
    for _ in 0..4 {
        let mut s = Backoff::new(Repeat::Idempotent, SECOND);
        let first = s.next(&failure(Some(502)), ROOM).unwrap();
        assert!(first >= Duration::from_millis(250) && first <= Duration::from_millis(500));
        let second = s.next(&failure(Some(502)), ROOM).unwrap();
        assert!(second >= Duration::from_millis(500) && second <= SECOND);
        assert_eq!(s.next(&failure(Some(502)), ROOM), Err(Stop::GiveUp));
        assert_eq!(s.attempt, MAX_ATTEMPTS);
    }
    let waits: Vec<Duration> = (1..20)
        .map(|_| {
            Backoff::new(Repeat::Idempotent, SECOND)
                .next(&failure(None), ROOM)
                .unwrap()
        })
        .collect();
    assert!(waits.iter().any(|w| *w != waits[0]), "jitter spreads");
}

#[test]
fn writes_and_pings_are_repeated_only_when_certainly_not_done() {
    let mut s = Backoff::new(Repeat::Once, SECOND);
    assert_eq!(s.next(&failure(Some(502)), ROOM), Err(Stop::GiveUp));
    assert_eq!(s.next(&failure(None), ROOM), Err(Stop::GiveUp), "timeout");
    assert!(s.next(&failure(Some(429)), ROOM).is_ok());
    assert_eq!(s.next(&failure(Some(400)), ROOM), Err(Stop::GiveUp));
    let refused = Failed {
        unsent: true,
        ..failure(None)
    };
    assert!(s.next(&refused, ROOM).is_ok());
    assert_eq!(s.next(&refused, ROOM), Err(Stop::GiveUp), "attempts used");
}

#[test]
fn retry_after_is_honoured_and_clamped() {
    let mut asked = failure(Some(429));
    asked.retry_after = Some(Duration::from_secs(5));
    let mut s = Backoff::new(Repeat::Idempotent, SECOND);
    assert_eq!(s.next(&asked, ROOM), Ok(Duration::from_secs(5)));

    // u64::MAX seconds: clamped, then refused by the budget; no overflow.
    asked.retry_after = Some(Duration::from_secs(u64::MAX));
    let mut s = Backoff::new(Repeat::Idempotent, Duration::MAX);
    assert_eq!(
        s.next(&asked, ROOM),
        Err(Stop::OutOfBudget {
            asked: Some(MAX_SERVER_WAIT)
        })
    );
    let mut s = Backoff::new(Repeat::Idempotent, SECOND);
    assert_eq!(s.next(&asked, Duration::MAX), Ok(MAX_SERVER_WAIT));
}

#[test]
fn no_wait_is_chosen_that_overruns_the_budget() {
    let mut s = Backoff::new(Repeat::Idempotent, Duration::from_secs(10));
    assert_eq!(
        s.next(&failure(Some(503)), Duration::from_secs(10)),
        Err(Stop::OutOfBudget { asked: None })
    );
    let budget = Budget::new(Duration::from_secs(30));
    assert!(budget.left() <= budget.total);
    assert_eq!(Budget::new(Duration::ZERO).left(), Duration::ZERO);
}

#[test]
fn the_loop_stops_where_the_schedule_says() {
    let budget = Budget::new(ROOM);
    let mut calls = 0;
    let refused = Failed {
        unsent: true,
        ..failure(None)
    };
    let backoff = Backoff::new(Repeat::Once, Duration::ZERO);
    let out: Result<(), _> = call(
        backoff,
        &budget,
        || {
            calls += 1;
            Err(calls)
        },
        |&n| if n == 1 { refused } else { failure(None) },
    );
    let gave_up = out.unwrap_err();
    assert_eq!((calls, gave_up.error, gave_up.attempts), (2, 2, 2));
    assert_eq!(gave_up.stop, Stop::GiveUp);
}
