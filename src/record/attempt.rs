//! Which attempt of a retried run a record reports (`hb-write --retry`).

use serde::{Deserialize, Serialize};

/// The attempt a retried run's record reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// This attempt, from 1.
    pub number: u32,
    /// The most attempts the run had (`--retry N` gives N + 1).
    pub of: u32,
}
