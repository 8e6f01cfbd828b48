//! The tracker's side of the one retry policy (`src/http/retry.rs`):
//! what a [`TrackerError`] shows about retrying.

use crate::http::retry::{self, Failed};
pub(crate) use crate::http::retry::{Budget, Class, Repeat};

use crate::error::TrackerError;

/// What a failed request showed, for the policy.
pub(crate) fn failed(err: &TrackerError) -> Failed {
    Failed {
        status: err.status,
        retry_after: err.retry_after,
        rate_limited: err.rate_limited,
        unsent: err.connect_failed,
        invalid: err.answer_invalid,
    }
}

/// Classifies a failed request.
pub(crate) fn classify(err: &TrackerError) -> Class {
    retry::classify(&failed(err))
}
