//! The one retry policy: which failures are worth another attempt (above
//! all, whether the server may already have acted), how long to wait
//! (backoff with jitter, or `Retry-After`, clamped), and one budget for
//! the whole. Callers loop in one place, [`call`].

use std::thread;
use std::time::{Duration, Instant};

/// At most this many attempts per request; the first backoff, doubled
/// after each further attempt up to the longest the policy chooses.
const MAX_ATTEMPTS: u32 = 3;
const BASE_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(8);

/// The longest wait a server may ask for (`Retry-After`, GitHub's rate-limit
/// reset), clamped before any arithmetic: no server value can overflow.
pub(crate) const MAX_SERVER_WAIT: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Failed {
    pub(crate) status: Option<u16>,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) rate_limited: bool,
    /// No connection was made: the server cannot have seen the request.
    pub(crate) unsent: bool,
    /// An answer came that cannot be used, or no attempt could be made.
    pub(crate) invalid: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// Trying again cannot help (a 4xx refusal, a bad answer).
    Fatal,
    /// Certainly not acted on (no connection, a rate limit, a 503 with
    /// `Retry-After`): safe to send again, even a write or a ping.
    NotDone,
    /// Maybe done, its answer lost (a timeout, a 5xx): an idempotent request
    /// may be sent again; a write must look first.
    MaybeDone,
}

pub(crate) fn classify(failed: &Failed) -> Class {
    match failed.status {
        _ if failed.rate_limited => Class::NotDone,
        Some(429) => Class::NotDone,
        Some(503) if failed.retry_after.is_some() => Class::NotDone,
        Some(status) if status >= 500 => Class::MaybeDone,
        Some(_) => Class::Fatal,
        None if failed.unsent => Class::NotDone,
        None if failed.invalid => Class::Fatal,
        None => Class::MaybeDone,
    }
}

/// Whether a request may be sent twice with the same effect as once (a
/// read, an edit), or not (creating an issue or a comment, a ping): then
/// it is sent again only when the server certainly did not act.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Repeat {
    Idempotent,
    Once,
}

/// A deadline for a whole run of requests: no attempt or wait is chosen
/// that would end past it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    started: Instant,
    total: Duration,
}

impl Budget {
    pub(crate) fn new(total: Duration) -> Budget {
        Budget {
            started: Instant::now(),
            total,
        }
    }

    pub(crate) fn total(&self) -> Duration {
        self.total
    }

    pub(crate) fn left(&self) -> Duration {
        self.total.saturating_sub(self.started.elapsed())
    }
}

/// The backoff of one request: how long to wait after each failed attempt.
#[derive(Debug)]
pub(crate) struct Backoff {
    repeat: Repeat,
    attempt: u32,
    timeout: Duration,
}

/// Why a backoff stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stop {
    GiveUp,
    /// The wait (and a further attempt of `timeout`) would overrun the
    /// budget; when the server asked for the wait, by how much it asked.
    OutOfBudget {
        asked: Option<Duration>,
    },
}

impl Backoff {
    /// For attempts that need `timeout` each.
    pub(crate) fn new(repeat: Repeat, timeout: Duration) -> Backoff {
        Backoff {
            repeat,
            attempt: 1,
            timeout,
        }
    }

    /// The wait before the next attempt, or why there is none.
    pub(crate) fn next(&mut self, failed: &Failed, left: Duration) -> Result<Duration, Stop> {
        let worth = matches!(
            (classify(failed), self.repeat),
            (Class::NotDone, _) | (Class::MaybeDone, Repeat::Idempotent)
        );
        if !worth || self.attempt >= MAX_ATTEMPTS {
            return Err(Stop::GiveUp);
        }
        let asked = failed.retry_after.map(|w| w.min(MAX_SERVER_WAIT));
        let jitter = || jittered(BASE_BACKOFF, self.attempt - 1, MAX_BACKOFF, unit_random());
        let wait = asked.unwrap_or_else(jitter);
        if wait.saturating_add(self.timeout) > left {
            return Err(Stop::OutOfBudget { asked });
        }
        self.attempt += 1;
        Ok(wait)
    }
}

/// Exponential backoff with "equal jitter" (half of it, plus a random
/// share `unit` of the other half): clients failing at once come back apart.
pub(crate) fn jittered(base: Duration, doublings: u32, cap: Duration, unit: f64) -> Duration {
    let full = base.saturating_mul(1 << doublings.min(20)).min(cap);
    full.mul_f64(0.5 + 0.5 * unit.clamp(0.0, 1.0))
}

/// How one request gave up.
#[derive(Debug)]
pub(crate) struct GaveUp<E> {
    pub(crate) error: E,
    pub(crate) attempts: u32,
    pub(crate) stop: Stop,
}

/// The request loop every caller shares: `attempt` until it succeeds or
/// `backoff` says stop (`failed` says what an error showed).
pub(crate) fn call<T, E>(
    mut backoff: Backoff,
    budget: &Budget,
    mut attempt: impl FnMut() -> Result<T, E>,
    failed: impl Fn(&E) -> Failed,
) -> Result<T, GaveUp<E>> {
    loop {
        let error = match attempt() {
            Ok(done) => return Ok(done),
            Err(error) => error,
        };
        let attempts = backoff.attempt;
        match backoff.next(&failed(&error), budget.left()) {
            Ok(wait) => thread::sleep(wait),
            Err(stop) => {
                return Err(GaveUp {
                    error,
                    attempts,
                    stop,
                })
            }
        }
    }
}

/// `N` random bytes from the kernel; `None` when it gave fewer.
pub(crate) fn random<const N: usize>() -> Option<[u8; N]> {
    let mut bytes = [0u8; N];
    // SAFETY: getrandom writes at most `len` bytes into the buffer.
    let got = unsafe { libc::getrandom(bytes.as_mut_ptr().cast(), N, 0) };
    (usize::try_from(got) == Ok(N)).then_some(bytes)
}

/// A random number from 0 to 1 (1 when the kernel gives none).
pub(crate) fn unit_random() -> f64 {
    let bits = random::<8>().map(|b| u64::from_le_bytes(b) >> 11);
    bits.map_or(1.0, |bits| bits as f64 / (1u64 << 53) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(budget.left() <= budget.total());
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
}
