use super::rows::{dedup, is_expected};
use super::*;
use crate::record::Heartbeat;
use chrono::TimeZone;

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + seconds, 0).unwrap()
}

fn policy(now: i64) -> Policy {
    Policy::at(at(now))
}

/// A heartbeat judged with the facts given and nothing else known.
fn judged(e: &Entry, facts: Facts, p: &Policy) -> Judgement {
    judge(
        &Job {
            facts,
            ..Job::of(e)
        },
        p,
    )
}

/// The rows of `entries` of host web1 and of the jobs `expect` names.
fn judge_all(entries: &[Entry], expect: &[String], p: &Policy) -> Vec<Judgement> {
    let judged = entries.iter().map(|e| judge(&Job::of(e), p)).collect();
    rows(judged, &[], expect, "web1", p, |_| None)
}

/// Adds the `missing` rows of `expect` to `all`, as [`rows`] does.
fn add_missing(all: &mut Vec<Judgement>, expect: &[String], local: &str) {
    *all = rows(std::mem::take(all), &[], expect, local, &policy(0), |_| {
        None
    });
}

fn entry(job: &str, written: i64, interval: u64, status: RunStatus) -> Entry {
    Entry {
        path: PathBuf::from(format!("/hb/{job}.last")),
        job: job.to_owned(),
        subdir: None,
        content: Ok(Content::Record(Heartbeat {
            timestamp: at(written),
            host: "web1".to_owned(),
            pid: 1,
            ..Heartbeat::new(job, interval, status)
        })),
    }
}

#[test]
fn the_boundaries_fall_where_the_rule_says() {
    let cases = [
        (0, Status::Ok),
        (300, Status::Ok),
        (301, Status::Late),
        (600, Status::Late),
        (601, Status::Stale),
    ];
    for (age, want) in cases {
        let j = judged(
            &entry("b", 0, 300, RunStatus::Ok),
            Facts::default(),
            &policy(age),
        );
        assert_eq!(j.status, want, "age {age}");
        assert_eq!(j.age_seconds, Some(age as u64));
    }
}

#[test]
fn stale_overrides_failed() {
    let fresh = judged(
        &entry("b", 0, 300, RunStatus::Fail),
        Facts::default(),
        &policy(10),
    );
    assert_eq!(fresh.status, Status::Failed);
    let late = judged(
        &entry("b", 0, 300, RunStatus::Fail),
        Facts::default(),
        &policy(400),
    );
    assert_eq!(late.status, Status::Failed);
    let old = judged(
        &entry("b", 0, 300, RunStatus::Fail),
        Facts::default(),
        &policy(601),
    );
    assert_eq!(old.status, Status::Stale);
}

#[test]
fn the_factor_moves_the_stale_line() {
    let p = Policy {
        factor: 3.5,
        ..policy(1050)
    };
    assert_eq!(
        judged(&entry("b", 0, 300, RunStatus::Ok), Facts::default(), &p).status,
        Status::Late
    );
    let p = Policy {
        factor: 3.5,
        ..policy(1051)
    };
    assert_eq!(
        judged(&entry("b", 0, 300, RunStatus::Ok), Facts::default(), &p).status,
        Status::Stale
    );
}

#[test]
fn ratio_is_age_over_interval() {
    let j = judged(
        &entry("b", 0, 400, RunStatus::Ok),
        Facts::default(),
        &policy(1000),
    );
    assert_eq!(j.ratio, Some(2.5));
}

#[test]
fn future_timestamps_beyond_five_minutes_are_invalid() {
    let within = judged(
        &entry("b", 300, 60, RunStatus::Ok),
        Facts::default(),
        &policy(0),
    );
    assert_eq!(within.status, Status::Ok);
    assert_eq!(within.age_seconds, Some(0));
    let beyond = judged(
        &entry("b", 301, 60, RunStatus::Ok),
        Facts::default(),
        &policy(0),
    );
    assert_eq!(beyond.status, Status::Invalid);
    assert!(beyond.reason.unwrap().contains("in the future"));
}

#[test]
fn empty_files_need_a_default_interval() {
    let empty = Entry {
        path: PathBuf::from("/hb/t.last"),
        job: "t".to_owned(),
        subdir: None,
        content: Ok(Content::Empty { modified: at(0) }),
    };
    let without = judged(&empty, Facts::default(), &policy(10));
    assert_eq!(without.status, Status::Invalid);
    assert!(without.reason.unwrap().contains("--default-interval"));
    let with = Policy {
        default_interval: Some(5),
        ..policy(11)
    };
    let j = judged(&empty, Facts::default(), &with);
    assert_eq!(j.status, Status::Stale);
    assert_eq!(j.interval_seconds, Some(5));
}

fn on(host: &str, mut j: Judgement, path: &str) -> Judgement {
    j.host = Some(host.to_owned());
    j.path = Some(PathBuf::from(path));
    j
}

#[test]
fn the_same_job_of_the_same_host_is_one_row_the_newest_winning() {
    let old = judged(
        &entry("backup", 0, 300, RunStatus::Ok),
        Facts::default(),
        &policy(1000),
    );
    let new = judged(
        &entry("backup", 900, 300, RunStatus::Ok),
        Facts::default(),
        &policy(1000),
    );
    let all = vec![
        on("web1", old.clone(), "/a/backup.last"),
        on("web1", new, "/b/backup.last"),
        on("web2", old, "/a/web2/backup.last"),
    ];
    let kept = dedup(all, "web1");
    assert_eq!(kept.len(), 2, "{kept:#?}");
    let web1 = kept
        .iter()
        .find(|j| j.host.as_deref() == Some("web1"))
        .unwrap();
    assert_eq!(web1.path, Some(PathBuf::from("/b/backup.last")));
    assert_eq!(web1.status, Status::Ok);
    assert_eq!(web1.duplicates, [PathBuf::from("/a/backup.last")]);
    // An unreadable copy never hides a readable one.
    let bad = Entry {
        content: Err("garbage".to_owned()),
        ..entry("backup", 0, 300, RunStatus::Ok)
    };
    let invalid = on(
        "web1",
        judged(&bad, Facts::default(), &policy(0)),
        "/a/backup.last",
    );
    let good = on(
        "web1",
        judged(
            &entry("backup", 0, 300, RunStatus::Ok),
            Facts::default(),
            &policy(0),
        ),
        "/b/backup.last",
    );
    let kept = dedup(vec![invalid, good], "web1");
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].status, Status::Ok);
}

#[test]
fn an_expected_job_is_the_checking_hosts_unless_named_host_slash_job() {
    let j = |host: &str| {
        on(
            host,
            judged(
                &entry("backup", 0, 300, RunStatus::Ok),
                Facts::default(),
                &policy(0),
            ),
            "/x",
        )
    };
    let mut all = vec![j("web2")];
    add_missing(
        &mut all,
        &["backup".to_owned(), "web2/backup".to_owned()],
        "web1",
    );
    let missing: Vec<&str> = all
        .iter()
        .filter(|j| j.status == Status::Missing)
        .map(|j| j.job.as_str())
        .collect();
    assert_eq!(missing, ["backup"], "web2's backup is not web1's");
    let mut all = vec![j("web1")];
    add_missing(&mut all, &["backup".to_owned()], "web1");
    assert_eq!(all.len(), 1);
    // A user's area job is named USER/JOB.
    let mut mine = judged(
        &entry("backup", 0, 300, RunStatus::Ok),
        Facts::default(),
        &policy(0),
    );
    mine.job = "alice/backup".to_owned();
    assert!(is_expected(&mine, "alice/backup", "web1"));
}

#[test]
fn missing_jobs_are_added_and_the_worst_comes_first() {
    let entries = [
        entry("fine", 0, 300, RunStatus::Ok),
        entry("lateish", 0, 100, RunStatus::Ok),
        entry("later", 0, 80, RunStatus::Ok),
        entry("dead", 0, 10, RunStatus::Ok),
        entry("broke", 0, 300, RunStatus::Fail),
    ];
    let expect = vec!["fine".to_owned(), "ghost".to_owned()];
    let all = judge_all(&entries, &expect, &policy(150));
    let order: Vec<(&str, Status)> = all.iter().map(|j| (j.job.as_str(), j.status)).collect();
    assert_eq!(
        order,
        [
            ("dead", Status::Stale),
            ("ghost", Status::Missing),
            ("broke", Status::Failed),
            ("later", Status::Late),
            ("lateish", Status::Late),
            ("fine", Status::Ok),
        ]
    );
    let counts = summary(&all);
    assert_eq!(counts[0], (Status::Invalid, 0));
    assert_eq!(counts[5], (Status::Late, 2));
}

#[test]
fn a_run_is_running_within_its_maximum_and_hung_past_it() {
    let mut e = entry("b", 0, 3600, RunStatus::Running);
    let Ok(Content::Record(r)) = &mut e.content else {
        unreachable!()
    };
    r.started_at = Some(at(0));
    r.max_runtime_seconds = Some(7200);
    let within = judged(&e, Facts::default(), &policy(7200));
    assert_eq!(within.status, Status::Running);
    assert!(!within.status.is_alert() && within.status.is_healthy());
    let hung = judged(&e, Facts::default(), &policy(3 * 3600 + 600));
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
    assert_eq!(
        judged(&e, Facts::default(), &policy(7200)).status,
        Status::Running
    );
    assert_eq!(
        judged(&e, Facts::default(), &policy(7201)).status,
        Status::Stale
    );
}

#[test]
fn a_judgement_stays_small_for_a_scan_of_a_whole_fleet() {
    // A scan keeps one judgement per heartbeat (100,000 for a fleet); the
    // rare parts (a pause, the recent runs, the schedule) are boxed.
    let size = std::mem::size_of::<Judgement>();
    assert!(size <= 256, "a Judgement takes {size} bytes");
}

/// A `running` record of job `b`, started at 0 with a maximum of 2h, and
/// the last finished run of the given status (`None`: no `last`).
fn running(last: Option<RunStatus>, failures: Option<u32>) -> Entry {
    let mut e = entry("b", 0, 3600, RunStatus::Running);
    let Ok(Content::Record(r)) = &mut e.content else {
        unreachable!()
    };
    r.started_at = Some(at(0));
    r.max_runtime_seconds = Some(7200);
    r.consecutive_failures = failures;
    r.last = last.map(|status| {
        Box::new(crate::record::LastRun {
            status,
            timestamp: at(-600),
            exit_code: Some(if status == RunStatus::Fail { 3 } else { 0 }),
            duration_seconds: Some(4.0),
            message: Some("disk full".to_owned()),
            consecutive_failures: failures,
        })
    });
    e
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
    let alive = |a| Facts { wrapper_alive: a };
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
        let j = judged(&running(last, failures), alive(wrapper), &policy(now));
        let case = format!("{last:?} {failures:?} {wrapper:?} at {now}");
        assert_eq!(j.status, want, "{case}");
        let reason = j.reason.unwrap_or_default();
        assert!(reason.contains(says), "{case}: {reason}");
    }
}

#[test]
fn a_run_after_a_failure_shows_that_failure() {
    let j = judged(
        &running(Some(RunStatus::Fail), Some(12)),
        Facts::default(),
        &policy(60),
    );
    assert_eq!(j.status, Status::Failed);
    assert!(j.status.is_alert());
    assert_eq!(j.exit_code, Some(3));
    assert_eq!(j.message.as_deref(), Some("disk full"));
    assert_eq!(j.consecutive_failures, Some(12));
    // The threshold holds it back as it does a finished failed run.
    let mut held = j.clone();
    overrides::apply(
        &mut held,
        overrides::Context {
            pause: None,
            consecutive_failures: j.consecutive_failures,
        },
        13,
    );
    assert_eq!(held.status, Status::Failing);
    // After an ok run there is no failure to count.
    let ok = judged(
        &running(Some(RunStatus::Ok), Some(0)),
        Facts::default(),
        &policy(60),
    );
    assert_eq!(
        (ok.status, ok.consecutive_failures),
        (Status::Running, None)
    );
}

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
            facts: Facts::default(),
        };
        let p = Policy {
            alert_after: c.alert_after,
            ..policy(c.now)
        };
        let j = judge(&job, &p);
        assert_eq!(j.status, c.want, "case {i}: {j:?}");
    }
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
    let within = judged(&e, Facts::default(), &policy(400 * day));
    assert_eq!(within.status, Status::Running);
    let hung = judged(&e, Facts::default(), &policy(400 * day + 1));
    assert_eq!(hung.status, Status::Stale, "{hung:?}");
}
