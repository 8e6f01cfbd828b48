//! What can change the verdict a heartbeat alone gives: the failure
//! threshold (`--alert-after N`) and a pause. Pure.

use super::{Judgement, Status};
use crate::pause::Pause;

/// Applies the failure threshold, then the `pause` in force (the job's own
/// or the host's), to one judgement.
///
/// A `failed` job whose last `alert_after` runs did not all fail becomes
/// `failing`; an unknown count (`consecutive_failures`, from the record or
/// the history) counts the latest run alone. A job that stopped reporting
/// stays `stale` whatever its failures. Any job with a pause in force is
/// `paused`, whatever it would be otherwise; the reason says until when,
/// why, and what it would be.
pub(crate) fn apply(judgement: &mut Judgement, pause: Option<&Pause>, alert_after: u32) {
    if judgement.status == Status::Failed && alert_after > 1 {
        let known = judgement.consecutive_failures.map(|n| n.max(1));
        judgement.consecutive_failures = known;
        let failures = known.unwrap_or(1);
        let reason = judgement.reason.get_or_insert_with(String::new);
        if failures < alert_after {
            judgement.status = Status::Failing;
            let s = if failures == 1 { "" } else { "s" };
            reason.push_str(&format!(
                "; {failures} failed run{s} in a row, alerting after {alert_after}"
            ));
        } else {
            reason.push_str(&format!("; {failures} failed runs in a row"));
        }
    }
    if let Some(pause) = pause {
        let otherwise = match (&judgement.status, &judgement.reason) {
            (Status::Ok, _) | (_, None) => format!("otherwise {}", judgement.status),
            (status, Some(reason)) => format!("otherwise {status}: {reason}"),
        };
        judgement.reason = Some(format!("{} ({otherwise})", pause.describe()));
        judgement.status = Status::Paused;
        judgement.pause = Some(Box::new(pause.clone()));
    }
}
