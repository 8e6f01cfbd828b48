//! The finished run a `running` record carries: how the job's previous run
//! ended, so that a run in progress never hides a failure.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{rfc3339_any, rfc3339_seconds, Heartbeat, RunStatus};

/// How the last finished run before a wrapped run in progress ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastRun {
    /// `ok` or `fail`; never `running`.
    pub status: RunStatus,
    /// When that run reported, RFC 3339, stored in UTC.
    #[serde(serialize_with = "rfc3339_seconds", deserialize_with = "rfc3339_any")]
    pub timestamp: DateTime<Utc>,
    /// Its exit code, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// How long it took, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<f64>,
    /// The message it left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// How many runs in a row had failed, that one included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consecutive_failures: Option<u32>,
}

impl LastRun {
    /// The last finished run `previous` (the job's record before a new run
    /// starts) tells of: the run it reports, or, for a `running` record
    /// left by a run that never ended, the run that one carried.
    pub fn of(previous: &Heartbeat) -> Option<Box<LastRun>> {
        if previous.status == RunStatus::Running {
            return previous.last.clone();
        }
        Some(Box::new(LastRun {
            status: previous.status,
            timestamp: previous.timestamp,
            exit_code: previous.exit_code,
            duration_seconds: previous.duration_seconds,
            message: previous.message.clone(),
            consecutive_failures: previous.consecutive_failures,
        }))
    }
}
