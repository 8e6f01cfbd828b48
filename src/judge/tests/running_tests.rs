//! A run in progress: within its maximum, hung, wrapper gone, or as bad
//! as the run before it.

use super::*;

#[test]
fn a_run_is_running_within_its_maximum_and_hung_past_it() {
    let mut e = entry("b", 0, 3600, RunStatus::Running);
    let Ok(Content::Record(r)) = &mut e.content else {
        unreachable!()
    };
    r.started_at = Some(at(0));
    r.max_runtime_seconds = Some(7200);
    let within = judged(&e, None, &policy(7200));
    assert_eq!(within.status, Status::Running);
    assert!(!within.status.is_alert() && within.status.is_healthy());
    let hung = judged(&e, None, &policy(3 * 3600 + 600));
    assert_eq!(hung.status, Status::Stale);
    assert_eq!(
        hung.reason.as_deref(),
        Some("running for 3h 10m, longer than its maximum of 2h: hung?")
    );
    // Without a recorded maximum: factor x interval.
    let Ok(Content::Record(r)) = &mut e.content else {
        unreachable!()
    };
    r.max_runtime_seconds = None;
    assert_eq!(judged(&e, None, &policy(7200)).status, Status::Running);
    assert_eq!(judged(&e, None, &policy(7201)).status, Status::Stale);
}

/// The last run, its failure count, whether the wrapper lives, the time
/// judged at, and the status and part of the reason wanted.
type RunningCase = (
    Option<RunStatus>,
    Option<u32>,
    Option<bool>,
    i64,
    Status,
    &'static str,
);

#[test]
fn a_run_in_progress_is_as_bad_as_the_run_before_it() {
    #[rustfmt::skip]
    let cases: [RunningCase; 10] = [
        (None, None, None, 60, Status::Running, "running for 1m, within its maximum of 2h"),
        (Some(RunStatus::Ok), Some(0), Some(true), 60, Status::Running, "running for 1m"),
        (Some(RunStatus::Fail), Some(12), None, 60, Status::Failed,
            "the last run reported failure (exit code 3); running again since 2027-01-15 08:00 UTC"),
        (Some(RunStatus::Fail), Some(12), Some(true), 7200, Status::Failed, "running again since"),
        // A record written before `last` was kept: its count says it.
        (None, Some(2), None, 60, Status::Failed, "the last run reported failure; running again"),
        (None, Some(0), None, 60, Status::Running, "within its maximum"),
        // Hung, or its wrapper gone: stale, whatever the run before it.
        (Some(RunStatus::Fail), Some(1), None, 7201, Status::Stale, "longer than its maximum of 2h: hung?"),
        (Some(RunStatus::Ok), Some(0), Some(false), 60, Status::Stale,
            "wrapper gone: the run started 1m ago and its wrapper no longer runs on this host"),
        (Some(RunStatus::Fail), Some(4), Some(false), 60, Status::Stale, "wrapper gone"),
        (None, None, Some(true), 7201, Status::Stale, "hung?"),
    ];
    for (last, failures, wrapper, now, want, says) in cases {
        let j = judged(&running(last, failures), wrapper, &policy(now));
        let case = format!("{last:?} {failures:?} {wrapper:?} at {now}");
        assert_eq!(j.status, want, "{case}");
        let reason = j.reason.unwrap_or_default();
        assert!(reason.contains(says), "{case}: {reason}");
    }
}

#[test]
fn a_run_after_a_failure_shows_that_failure() {
    let j = judged(&running(Some(RunStatus::Fail), Some(12)), None, &policy(60));
    assert_eq!(j.status, Status::Failed);
    assert!(j.status.is_alert());
    assert_eq!(j.exit_code, Some(3));
    assert_eq!(j.message.as_deref(), Some("disk full"));
    assert_eq!(j.consecutive_failures, Some(12));
    // The threshold holds it back as it does a finished failed run.
    let mut held = j.clone();
    crate::judge::apply_overrides(&mut held, None, 13, &[]);
    assert_eq!(held.status, Status::Failing);
    // After an ok run there is no failure to count.
    let ok = judged(&running(Some(RunStatus::Ok), Some(0)), None, &policy(60));
    assert_eq!(
        (ok.status, ok.consecutive_failures),
        (Status::Running, None)
    );
}

#[test]
fn the_default_maximum_runtime_is_the_wrappers_bounded_one() {
    // factor x interval would be 800 days; the wrapper stops at 400, and
    // so does the checker's patience.
    let mut e = entry("b", 0, crate::record::INTERVAL_MAX, RunStatus::Running);
    let Ok(Content::Record(r)) = &mut e.content else {
        unreachable!()
    };
    r.started_at = Some(at(0));
    let day = 86_400;
    let within = judged(&e, None, &policy(400 * day));
    assert_eq!(within.status, Status::Running);
    let hung = judged(&e, None, &policy(400 * day + 1));
    assert_eq!(hung.status, Status::Stale, "{hung:?}");
}
