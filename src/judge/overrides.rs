//! What can change the verdict a heartbeat alone gives: a pause, which
//! quiets a job until its end time, and the failure threshold
//! (`--alert-after N`), under which a job that has failed fewer than N runs
//! in a row is only `failing`. Pure.

use crate::pause::Pause;

use super::{Judgement, Status};

/// What is known about a job besides its heartbeat.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Context<'a> {
    /// The pause that holds for the job now (its own or the host's), if
    /// any.
    pub(crate) pause: Option<&'a Pause>,
    /// How many runs in a row have failed, newest first, when known: from
    /// the heartbeat where the writer recorded it, else from the history.
    pub(crate) consecutive_failures: Option<u32>,
}

/// Applies the failure threshold, then the pause, to one judgement.
///
/// A `failed` job whose last `alert_after` runs did not all fail becomes
/// `failing`; an unknown count counts the latest run alone. A job that
/// stopped reporting stays `stale` whatever its failures. Any job with a
/// pause in force is `paused`, whatever it would be otherwise; the reason
/// says until when, why, and what it would be.
pub(crate) fn apply(judgement: &mut Judgement, context: Context, alert_after: u32) {
    if judgement.status == Status::Failed {
        let failures = context.consecutive_failures.unwrap_or(1).max(1);
        if context.consecutive_failures.is_some() {
            judgement.consecutive_failures = Some(failures);
        }
        if failures < alert_after {
            judgement.status = Status::Failing;
            let reason = judgement.reason.get_or_insert_with(String::new);
            reason.push_str(&format!(
                "; {failures} failed run{} in a row, alerting after {alert_after}",
                if failures == 1 { "" } else { "s" }
            ));
        } else if alert_after > 1 {
            let reason = judgement.reason.get_or_insert_with(String::new);
            reason.push_str(&format!("; {failures} failed runs in a row"));
        }
    }
    if let Some(pause) = context.pause {
        let otherwise = match (&judgement.status, &judgement.reason) {
            (Status::Ok, _) | (_, None) => format!("otherwise {}", judgement.status),
            (status, Some(reason)) => format!("otherwise {status}: {reason}"),
        };
        judgement.reason = Some(format!("{} ({otherwise})", pause.describe()));
        judgement.status = Status::Paused;
        judgement.pause = Some(Box::new(pause.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn failed() -> Judgement {
        Judgement {
            reason: Some("the last run reported failure".to_owned()),
            ..Judgement::missing("backup")
        }
        .with_status(Status::Failed)
    }

    impl Judgement {
        fn with_status(mut self, status: Status) -> Judgement {
            self.status = status;
            self
        }
    }

    fn after(count: Option<u32>, alert_after: u32) -> Judgement {
        let context = Context {
            consecutive_failures: count,
            ..Context::default()
        };
        let mut judged = failed();
        apply(&mut judged, context, alert_after);
        judged
    }

    #[test]
    fn fewer_failures_than_the_threshold_are_failing() {
        assert_eq!(after(Some(1), 1).status, Status::Failed);
        assert_eq!(after(None, 1).status, Status::Failed);
        let two = after(Some(2), 3);
        assert_eq!(two.status, Status::Failing);
        assert_eq!(
            two.reason.as_deref(),
            Some("the last run reported failure; 2 failed runs in a row, alerting after 3")
        );
        assert_eq!(two.consecutive_failures, Some(2));
        let three = after(Some(3), 3);
        assert_eq!(three.status, Status::Failed);
        assert!(three.reason.unwrap().ends_with("; 3 failed runs in a row"));
        assert_eq!(after(None, 3).status, Status::Failing, "unknown counts one");
        assert_eq!(after(Some(0), 2).consecutive_failures, Some(1));
        assert_eq!(after(None, 2).consecutive_failures, None, "not made up");
    }

    #[test]
    fn only_failed_jobs_are_held_back() {
        for status in [
            Status::Stale,
            Status::Invalid,
            Status::Missing,
            Status::Late,
            Status::Ok,
        ] {
            let mut judged = failed().with_status(status);
            let context = Context {
                consecutive_failures: Some(1),
                pause: None,
            };
            apply(&mut judged, context, 5);
            assert_eq!(judged.status, status);
        }
    }

    #[test]
    fn a_pause_overrides_every_status_and_says_what_it_hides() {
        let now = Utc.timestamp_opt(1_800_000_000, 0).unwrap();
        let pause = Pause::new(Some("backup"), now, 3600, Some("disk swap")).unwrap();
        let context = Context {
            pause: Some(&pause),
            consecutive_failures: Some(1),
        };
        let mut stale = failed().with_status(Status::Stale);
        apply(&mut stale, context, 1);
        assert_eq!(stale.status, Status::Paused);
        assert_eq!(
            stale.reason.as_deref(),
            Some("paused until 2027-01-15T09:00:00Z: disk swap (otherwise stale: the last run reported failure)")
        );
        assert_eq!(stale.pause.as_deref(), Some(&pause));
        let mut ok = failed().with_status(Status::Ok);
        apply(&mut ok, context, 1);
        assert_eq!(ok.status, Status::Paused);
        assert!(ok.reason.unwrap().ends_with("(otherwise ok)"));
    }
}
