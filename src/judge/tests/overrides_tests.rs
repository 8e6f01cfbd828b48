//! The failure threshold and the pause, and every status from the one
//! function.

use super::*;

/// One row of [`every_status_is_decided_by_the_one_function`]: the job's
/// heartbeat (none: expected by name), its pause, `--alert-after`, the
/// failure count in its record, the instant, and the status wanted.
struct Case {
    beat: Option<Entry>,
    paused: bool,
    alert_after: u32,
    failures: Option<u32>,
    now: i64,
    want: Status,
}

#[test]
fn every_status_is_decided_by_the_one_function() {
    let bad = Entry {
        content: Err("not JSON (line 1, column 1)".to_owned()),
        ..entry("b", 0, 300, RunStatus::Ok)
    };
    let ok = || Some(entry("b", 0, 300, RunStatus::Ok));
    let failed = || Some(entry("b", 0, 300, RunStatus::Fail));
    let case = |beat, now, want| Case {
        beat,
        paused: false,
        alert_after: 1,
        failures: None,
        now,
        want,
    };
    let cases = [
        case(ok(), 300, Status::Ok),
        case(ok(), 301, Status::Late),
        case(ok(), 601, Status::Stale),
        case(failed(), 10, Status::Failed),
        case(failed(), 601, Status::Stale),
        case(Some(bad), 10, Status::Invalid),
        case(None, 10, Status::Missing),
        case(Some(running(None, None)), 60, Status::Running),
        case(
            Some(running(Some(RunStatus::Fail), Some(2))),
            60,
            Status::Failed,
        ),
        Case {
            alert_after: 3,
            failures: Some(2),
            ..case(failed(), 10, Status::Failing)
        },
        Case {
            alert_after: 3,
            failures: Some(3),
            ..case(failed(), 10, Status::Failed)
        },
        Case {
            alert_after: 3,
            ..case(
                Some(running(Some(RunStatus::Fail), Some(1))),
                60,
                Status::Failing,
            )
        },
        Case {
            paused: true,
            ..case(failed(), 601, Status::Paused)
        },
        Case {
            paused: true,
            ..case(None, 10, Status::Paused)
        },
    ];
    let pause = crate::pause::Pause::new(Some("b"), at(0), 3600, None).unwrap();
    for (i, c) in cases.into_iter().enumerate() {
        let mut beat = c.beat;
        if let Some(Ok(Content::Record(r))) = beat.as_mut().map(|b| &mut b.content) {
            if r.status == RunStatus::Fail {
                r.consecutive_failures = c.failures;
            }
        }
        let job = Job {
            name: "b",
            entry: beat.as_ref(),
            crontab: None,
            recent: &[],
            pause: c.paused.then_some(&pause),
            wrapper_alive: None,
        };
        let p = Policy {
            alert_after: c.alert_after,
            ..policy(c.now)
        };
        let j = judge(&job, &p);
        assert_eq!(j.status, c.want, "case {i}: {j:?}");
    }
}

fn failed() -> Judgement {
    Judgement {
        status: Status::Failed,
        reason: Some("the last run reported failure".to_owned()),
        ..Judgement::missing("backup")
    }
}

/// A failed judgement with `count` runs in a row failed, under
/// `--alert-after alert_after`.
fn after(count: Option<u32>, alert_after: u32) -> Judgement {
    let mut judged = Judgement {
        consecutive_failures: count,
        ..failed()
    };
    crate::judge::apply_overrides(&mut judged, None, alert_after, &[]);
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
        let mut judged = Judgement {
            status,
            consecutive_failures: Some(1),
            ..failed()
        };
        crate::judge::apply_overrides(&mut judged, None, 5, &[]);
        assert_eq!(judged.status, status);
    }
}

#[test]
fn a_pause_overrides_every_status_and_says_what_it_hides() {
    let pause = crate::pause::Pause::new(Some("backup"), at(0), 3600, Some("disk swap")).unwrap();
    let mut stale = Judgement {
        status: Status::Stale,
        ..failed()
    };
    crate::judge::apply_overrides(&mut stale, Some(&pause), 1, &[]);
    assert_eq!(stale.status, Status::Paused);
    assert_eq!(
        stale.reason.as_deref(),
        Some("paused until 2027-01-15T09:00:00Z: disk swap (otherwise stale: the last run reported failure)")
    );
    assert_eq!(stale.pause.as_deref(), Some(&pause));
    let mut ok = Judgement {
        status: Status::Ok,
        ..failed()
    };
    crate::judge::apply_overrides(&mut ok, Some(&pause), 1, &[]);
    assert_eq!(ok.status, Status::Paused);
    assert!(ok.reason.unwrap().ends_with("(otherwise ok)"));
}
