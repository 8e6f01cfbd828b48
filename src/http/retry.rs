//! The one retry policy: which failures are worth another attempt, how long
//! to wait, one budget for the whole; callers loop in one place, [`call`].

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

/// Attempts per request; the first backoff, doubled after each attempt, and its cap.
const MAX_ATTEMPTS: u32 = 3;
const BASE_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(8);

/// The longest wait a server may ask for, clamped before any arithmetic.
pub(crate) const MAX_SERVER_WAIT: Duration = Duration::from_secs(3600);

/// The wait a server asks for: `Retry-After`, else, when GitHub's
/// `x-ratelimit-remaining` is 0, the time until `x-ratelimit-reset`; and
/// whether a rate limit is met (either says so).
pub(crate) fn rate_limit(
    headers: &super::HeaderMap,
    now: DateTime<Utc>,
) -> (Option<Duration>, bool) {
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
    (retry_after, exhausted || retry_after.is_some())
}

/// What a failed attempt showed, for [`classify`].
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
    /// Certainly not acted on: safe to send again, even a write or a ping.
    NotDone,
    /// Maybe done, its answer lost: an idempotent request may be sent again.
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

/// Whether sending twice does as once (a read, an edit) or not (a ping, a new issue).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Repeat {
    Idempotent,
    Once,
}

/// A deadline for a whole run of requests.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    started: Instant,
    pub(crate) total: Duration,
}

impl Budget {
    pub(crate) fn new(total: Duration) -> Budget {
        Budget {
            started: Instant::now(),
            total,
        }
    }

    pub(crate) fn left(&self) -> Duration {
        self.total.saturating_sub(self.started.elapsed())
    }
}

#[derive(Debug)]
pub(crate) struct Backoff {
    repeat: Repeat,
    attempt: u32,
    timeout: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stop {
    GiveUp,
    /// The wait and a further attempt would overrun the budget; `asked`:
    /// the wait the server asked for.
    OutOfBudget {
        asked: Option<Duration>,
    },
}

impl Backoff {
    /// For attempts of `timeout` each.
    pub(crate) fn new(repeat: Repeat, timeout: Duration) -> Backoff {
        Backoff {
            repeat,
            attempt: 1,
            timeout,
        }
    }

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

/// "Equal jitter" (half, plus a share `unit` of the other half): clients come back apart.
pub(crate) fn jittered(base: Duration, doublings: u32, cap: Duration, unit: f64) -> Duration {
    let full = base.saturating_mul(1 << doublings.min(20)).min(cap);
    full.mul_f64(0.5 + 0.5 * unit.clamp(0.0, 1.0))
}

#[derive(Debug)]
pub(crate) struct GaveUp<E> {
    pub(crate) error: E,
    pub(crate) attempts: u32,
    pub(crate) stop: Stop,
}

/// `attempt` until it succeeds or `backoff` says stop.
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
        let wait = backoff.next(&failed(&error), budget.left());
        std::thread::sleep(wait.map_err(|stop| GaveUp {
            error,
            attempts,
            stop,
        })?);
    }
}

/// `N` random bytes from the kernel.
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
mod tests;
