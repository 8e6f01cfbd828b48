//! The one retry policy of the tracker client: which failures are worth
//! another attempt, how long to wait (exponential backoff with jitter, or
//! what the server asked with `Retry-After`, clamped), and one budget for a
//! whole sync. The request loop in [`super::client`] is its only caller.

use std::time::{Duration, Instant};

use crate::error::TrackerError;

/// At most this many attempts per request.
pub const MAX_ATTEMPTS: u32 = 3;

/// The first backoff; each further one doubles, up to [`MAX_BACKOFF`].
const BASE_BACKOFF: Duration = Duration::from_millis(500);

/// The longest backoff the policy chooses by itself.
const MAX_BACKOFF: Duration = Duration::from_secs(8);

/// The longest wait a server may ask for with `Retry-After` (or GitHub's
/// rate-limit reset) that is taken at its word; anything longer is clamped
/// to this before any arithmetic, so no server value can overflow a
/// `Duration` or an `Instant`.
pub const MAX_SERVER_WAIT: Duration = Duration::from_secs(3600);

/// What a failed attempt says about the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Trying again cannot help (a 4xx refusal, a bad answer).
    Fatal,
    /// The server certainly did not act on it (no connection was made, or a
    /// rate limit turned it away): safe to send again, even a write.
    NotDone,
    /// It may have been done with its answer lost (a timeout, a 5xx): an
    /// idempotent request may be sent again; a write must look first.
    MaybeDone,
}

/// Classifies a failed attempt.
pub fn classify(err: &TrackerError) -> Class {
    match err.status {
        _ if err.rate_limited => Class::NotDone,
        Some(429) => Class::NotDone,
        Some(status) if status >= 500 => Class::MaybeDone,
        Some(_) => Class::Fatal,
        None if err.connect_failed => Class::NotDone,
        None if err.answer_invalid => Class::Fatal,
        None => Class::MaybeDone,
    }
}

/// Whether a request may be sent twice with the same effect as once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    /// Reads and edits that set fields: retried on any transient failure.
    Idempotent,
    /// Creating an issue, a label or a comment: retried only when the
    /// server certainly did not act.
    Once,
}

/// A deadline for a whole sync: no attempt starts, and no wait is chosen,
/// that would end past it.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    started: Instant,
    total: Duration,
}

impl Budget {
    /// A budget of `total` starting now.
    pub fn new(total: Duration) -> Budget {
        Budget {
            started: Instant::now(),
            total,
        }
    }

    /// The whole budget.
    pub fn total(&self) -> Duration {
        self.total
    }

    /// What is left of it.
    pub fn left(&self) -> Duration {
        self.total.saturating_sub(self.started.elapsed())
    }
}

/// The retry schedule of one request: call [`Schedule::next`] after each
/// failed attempt to learn how long to wait, or that it is time to stop.
#[derive(Debug)]
pub struct Schedule {
    repeat: Repeat,
    attempt: u32,
    timeout: Duration,
    jitter: Jitter,
}

/// Why a schedule stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// The failure is not worth another attempt, or the attempts are used.
    GiveUp,
    /// The wait (and a further attempt of `timeout`) would overrun the
    /// budget; when the server asked for the wait, by how much it asked.
    OutOfBudget {
        /// The wait the server asked for, clamped.
        asked: Option<Duration>,
    },
}

impl Schedule {
    /// A schedule for a request of kind `repeat` whose attempts may each
    /// take `timeout`; `seed` drives the jitter (any value will do).
    pub fn new(repeat: Repeat, timeout: Duration, seed: u64) -> Schedule {
        Schedule {
            repeat,
            attempt: 1,
            timeout,
            jitter: Jitter(seed | 1),
        }
    }

    /// The number of the attempt that just failed, from 1.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// After a failed attempt: the wait before the next one, or why there is
    /// none. `budget_left` is what remains of the sync's budget.
    pub fn next(&mut self, err: &TrackerError, budget_left: Duration) -> Result<Duration, Stop> {
        let worth = match (classify(err), self.repeat) {
            (Class::Fatal, _) => false,
            (Class::NotDone, _) => true,
            (Class::MaybeDone, Repeat::Idempotent) => true,
            (Class::MaybeDone, Repeat::Once) => false,
        };
        if !worth || self.attempt >= MAX_ATTEMPTS {
            return Err(Stop::GiveUp);
        }
        let asked = err.retry_after.map(|w| w.min(MAX_SERVER_WAIT));
        let wait = asked.unwrap_or_else(|| self.backoff());
        if wait.saturating_add(self.timeout) > budget_left {
            return Err(Stop::OutOfBudget { asked });
        }
        self.attempt += 1;
        Ok(wait)
    }

    /// Exponential backoff with "equal jitter": half the doubled base, plus
    /// a random share of the other half, so that many checkers failing at
    /// once do not come back at once.
    fn backoff(&mut self) -> Duration {
        let doubled = BASE_BACKOFF
            .saturating_mul(1 << (self.attempt - 1).min(8))
            .min(MAX_BACKOFF);
        let half = doubled / 2;
        let millis = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
        half + Duration::from_millis(self.jitter.below(millis.saturating_add(1)))
    }
}

/// A small xorshift generator: jitter needs spread, not cryptography.
#[derive(Debug)]
struct Jitter(u64);

impl Jitter {
    /// A value in `0..bound` (`bound` > 0).
    fn below(&mut self, bound: u64) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x % bound.max(1)
    }
}

/// A seed for the jitter that differs between runs and processes.
pub fn seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    u64::from(nanos) ^ (u64::from(std::process::id()) << 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(status: Option<u16>) -> TrackerError {
        TrackerError {
            server: "https://git.example.com".into(),
            repo: "ops/alerts".into(),
            method: "GET".into(),
            path: "/labels".into(),
            status,
            message: "x".into(),
            attempts: 1,
            retry_after: None,
            rate_limited: false,
            connect_failed: false,
            answer_invalid: false,
        }
    }

    const ROOM: Duration = Duration::from_secs(600);
    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn failures_are_classified_by_what_they_say_about_the_server() {
        assert_eq!(classify(&failure(Some(404))), Class::Fatal);
        assert_eq!(classify(&failure(Some(422))), Class::Fatal);
        assert_eq!(classify(&failure(Some(429))), Class::NotDone);
        assert_eq!(classify(&failure(Some(502))), Class::MaybeDone);
        assert_eq!(classify(&failure(None)), Class::MaybeDone, "a timeout");
        let mut refused = failure(None);
        refused.connect_failed = true;
        assert_eq!(classify(&refused), Class::NotDone);
        let mut limited = failure(Some(403));
        limited.rate_limited = true;
        assert_eq!(classify(&limited), Class::NotDone);
        let mut garbled = failure(None);
        garbled.answer_invalid = true;
        assert_eq!(classify(&garbled), Class::Fatal);
    }

    #[test]
    fn backoff_doubles_with_jitter_within_bounds() {
        for seed in [1, 42, 0xdead_beef, u64::MAX] {
            let mut s = Schedule::new(Repeat::Idempotent, SECOND, seed);
            let first = s.next(&failure(Some(502)), ROOM).unwrap();
            assert!(first >= Duration::from_millis(250) && first <= Duration::from_millis(500));
            let second = s.next(&failure(Some(502)), ROOM).unwrap();
            assert!(second >= Duration::from_millis(500) && second <= SECOND);
            assert_eq!(s.next(&failure(Some(502)), ROOM), Err(Stop::GiveUp));
            assert_eq!(s.attempt(), MAX_ATTEMPTS);
        }
        let waits: Vec<Duration> = (1..20)
            .map(|seed| {
                Schedule::new(Repeat::Idempotent, SECOND, seed)
                    .next(&failure(None), ROOM)
                    .unwrap()
            })
            .collect();
        assert!(waits.iter().any(|w| *w != waits[0]), "jitter spreads");
    }

    #[test]
    fn writes_are_repeated_only_when_certainly_not_done() {
        let mut s = Schedule::new(Repeat::Once, SECOND, 7);
        assert_eq!(s.next(&failure(Some(502)), ROOM), Err(Stop::GiveUp));
        assert_eq!(s.next(&failure(None), ROOM), Err(Stop::GiveUp));
        assert!(s.next(&failure(Some(429)), ROOM).is_ok());
        assert_eq!(s.next(&failure(Some(400)), ROOM), Err(Stop::GiveUp));
    }

    #[test]
    fn retry_after_is_honoured_and_clamped() {
        let mut asked = failure(Some(429));
        asked.retry_after = Some(Duration::from_secs(5));
        let mut s = Schedule::new(Repeat::Idempotent, SECOND, 3);
        assert_eq!(s.next(&asked, ROOM), Ok(Duration::from_secs(5)));

        // u64::MAX seconds: clamped, then refused by the budget; no overflow.
        asked.retry_after = Some(Duration::from_secs(u64::MAX));
        let mut s = Schedule::new(Repeat::Idempotent, Duration::MAX, 3);
        assert_eq!(
            s.next(&asked, ROOM),
            Err(Stop::OutOfBudget {
                asked: Some(MAX_SERVER_WAIT)
            })
        );
        let mut s = Schedule::new(Repeat::Idempotent, SECOND, 3);
        assert_eq!(s.next(&asked, Duration::MAX), Ok(MAX_SERVER_WAIT));
    }

    #[test]
    fn no_wait_is_chosen_that_overruns_the_budget() {
        let mut s = Schedule::new(Repeat::Idempotent, Duration::from_secs(10), 3);
        assert_eq!(
            s.next(&failure(Some(503)), Duration::from_secs(10)),
            Err(Stop::OutOfBudget { asked: None })
        );
        let budget = Budget::new(Duration::from_secs(30));
        assert!(budget.left() <= budget.total());
        assert_eq!(Budget::new(Duration::ZERO).left(), Duration::ZERO);
    }
}
