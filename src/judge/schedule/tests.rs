//! The acceptance cases of schedule judgement, by the instant.

use super::*;
use crate::history::Run;
use crate::judge::{judge, rows, Job};
use crate::record::Heartbeat;
use crate::schedule::{parse_zone, Source};
use std::collections::HashMap;
use std::path::PathBuf;

/// The recent runs of each job, by the path of its heartbeat file.
type History = HashMap<PathBuf, Vec<Run>>;

/// The rows of `entries`, each judged by its crontab line and its history,
/// with the lines of `crontab` that none answers.
fn judge_all(
    entries: &[Entry],
    crontab: &[Expectation],
    history: &History,
    policy: &Policy,
) -> Vec<Judgement> {
    let judged = entries
        .iter()
        .map(|entry| {
            let job = Job {
                crontab: crontab.iter().find(|e| judged_name(e) == entry.job),
                recent: history.get(&entry.path).map_or(&[][..], Vec::as_slice),
                ..Job::of(entry)
            };
            judge(&job, policy)
        })
        .collect();
    rows(judged, crontab, &[], "web1", policy, |_| None)
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn expectation(job: &str, when: &str, zone: &str, interval: u64) -> Expectation {
    Expectation {
        job: job.to_owned(),
        interval,
        schedule: Some(Schedule::parse(when, parse_zone(zone).unwrap()).unwrap()),
        source: Source {
            file: PathBuf::from("/etc/cron.d/jobs"),
            line: 3,
        },
        user: None,
        since: Some(utc("2026-01-01T00:00:00Z")),
        timing: crate::schedule::Timing::default(),
        needs: Vec::new(),
    }
}

fn entry(job: &str, reported: &str, interval: u64) -> Entry {
    Entry {
        path: PathBuf::from(format!("/hb/{job}.last")),
        job: job.to_owned(),
        subdir: None,
        content: Ok(Content::Record(Heartbeat {
            timestamp: utc(reported),
            host: "web1".to_owned(),
            pid: 1,
            ..Heartbeat::new(job, interval, RunStatus::Ok)
        })),
    }
}

fn status_at(e: &Expectation, beat: Option<&Entry>, now: &str) -> Judgement {
    let entries: Vec<Entry> = beat.into_iter().cloned().collect();
    let policy = Policy::at(utc(now));
    let all = judge_all(&entries, std::slice::from_ref(e), &History::new(), &policy);
    assert_eq!(all.len(), 1);
    all.into_iter().next().unwrap()
}

#[test]
fn a_daily_job_is_stale_an_hour_after_its_usual_time() {
    // Tuesday 2026-11-24; yesterday's run reported at 03:10.
    let e = expectation("backup", "0 3 * * *", "UTC", 86_400);
    let beat = entry("backup", "2026-11-23T03:10:00Z", 86_400);
    let ok = status_at(&e, Some(&beat), "2026-11-24T04:05:00Z");
    assert_eq!(ok.status, Status::Ok, "{ok:?}");
    let shown = ok.expected.unwrap();
    assert_eq!(shown.due_at, Some(utc("2026-11-24T03:10:00Z")));
    assert_eq!(shown.grace_seconds, Some(3600));
    assert_eq!(shown.source, "crontab /etc/cron.d/jobs:3");
    let stale = status_at(&e, Some(&beat), "2026-11-24T04:15:00Z");
    assert_eq!(stale.status, Status::Stale);
    assert!(stale.reason.unwrap().contains("2026-11-24 03:10 UTC"));
}

#[test]
fn a_weekday_job_rests_at_the_weekend_and_is_missed_on_monday() {
    let e = expectation("report", "0 3 * * 1-5", "UTC", 86_400);
    // Friday 2026-11-20 03:05; Saturday and Sunday, every 15 minutes.
    let beat = entry("report", "2026-11-20T03:05:00Z", 86_400);
    let mut t = utc("2026-11-20T03:05:00Z");
    while t < utc("2026-11-23T04:05:00Z") {
        let j = status_at(&e, Some(&beat), &t.to_rfc3339());
        assert_eq!(j.status, Status::Ok, "at {t}");
        t += chrono::Duration::minutes(15);
    }
    let monday = status_at(&e, Some(&beat), "2026-11-23T04:10:00Z");
    assert_eq!(monday.status, Status::Stale);
}

#[test]
fn a_long_job_is_due_by_its_own_lag() {
    let e = expectation("dump", "0 3 * * *", "UTC", 86_400);
    let beat = entry("dump", "2026-11-23T05:00:00Z", 86_400);
    assert_eq!(
        status_at(&e, Some(&beat), "2026-11-24T04:30:00Z").status,
        Status::Ok
    );
    assert_eq!(
        status_at(&e, Some(&beat), "2026-11-24T05:59:00Z").status,
        Status::Ok
    );
    assert_eq!(
        status_at(&e, Some(&beat), "2026-11-24T06:05:00Z").status,
        Status::Stale
    );
}

#[test]
fn a_job_that_ends_at_03_04_or_03_20_is_never_late() {
    let e = expectation("sync", "0 3 * * *", "UTC", 86_400);
    for (reported, next) in [
        ("2026-11-23T03:04:00Z", "2026-11-24T03:20:00Z"),
        ("2026-11-23T03:20:00Z", "2026-11-24T03:04:00Z"),
    ] {
        let beat = entry("sync", reported, 86_400);
        let mut t = utc(reported);
        while t <= utc(next) {
            let j = status_at(&e, Some(&beat), &t.to_rfc3339());
            assert_eq!(j.status, Status::Ok, "{reported} at {t}");
            t += chrono::Duration::minutes(4);
        }
    }
}

#[test]
fn dst_change_days_neither_alert_nor_hide() {
    let e = expectation("nightly", "30 2 * * *", "Europe/Berlin", 86_400);
    // Runs report a minute after they start, on both change days of 2026
    // (29 March, 25 October) and the days around them.
    for start in ["2026-03-27T00:00:00Z", "2026-10-23T00:00:00Z"] {
        let s = e.schedule.as_ref().unwrap();
        let mut fire = s.next_after(utc(start)).unwrap();
        for _ in 0..4 {
            let beat = entry(
                "nightly",
                &(fire + chrono::Duration::minutes(1)).to_rfc3339(),
                86_400,
            );
            let next = s.next_after(fire).unwrap();
            let mut t = fire + chrono::Duration::minutes(1);
            while t <= next + chrono::Duration::minutes(1) {
                let j = status_at(&e, Some(&beat), &t.to_rfc3339());
                assert_eq!(j.status, Status::Ok, "fire {fire}, at {t}");
                t += chrono::Duration::minutes(15);
            }
            // Missing that next run is noticed within the grace.
            let late = next + chrono::Duration::minutes(62);
            assert_eq!(
                status_at(&e, Some(&beat), &late.to_rfc3339()).status,
                Status::Stale,
                "{next}"
            );
            fire = next;
        }
    }
}

#[test]
fn a_job_never_run_is_missing_only_after_its_first_run_and_grace() {
    let mut e = expectation("fresh", "0 3 * * *", "UTC", 86_400);
    e.since = Some(utc("2026-11-24T02:00:00Z"));
    let waiting = status_at(&e, None, "2026-11-24T03:59:00Z");
    assert_eq!(waiting.status, Status::Ok);
    assert_eq!(
        waiting.expected.unwrap().due_at,
        Some(utc("2026-11-24T03:00:00Z"))
    );
    let missing = status_at(&e, None, "2026-11-24T04:01:00Z");
    assert_eq!(missing.status, Status::Missing);
    assert!(missing.reason.unwrap().contains("/etc/cron.d/jobs:3"));
}

#[test]
fn grace_is_at_most_an_hour_and_half_a_gap() {
    assert_eq!(default_grace(86_400), 3600);
    assert_eq!(default_grace(300), 150);
    let e = expectation("tick", "*/10 * * * *", "UTC", 600);
    let beat = entry("tick", "2026-11-24T03:00:30Z", 600);
    assert_eq!(
        status_at(&e, Some(&beat), "2026-11-24T03:15:30Z").status,
        Status::Ok
    );
    assert_eq!(
        status_at(&e, Some(&beat), "2026-11-24T03:15:31Z").status,
        Status::Stale
    );
}

#[test]
fn by_interval_and_no_schedule_keep_the_old_rule() {
    let e = expectation("report", "0 3 * * 1-5", "UTC", 86_400);
    let beat = entry("report", "2026-11-20T03:05:00Z", 86_400);
    let rules = Rules {
        by_interval: true,
        ..Rules::default()
    };
    let policy = Policy {
        rules,
        ..Policy::at(utc("2026-11-22T12:00:00Z"))
    };
    let by_schedule = Policy {
        rules: Rules::default(),
        ..policy
    };
    let plain = judge(&Job::of(&beat), &by_schedule);
    let all = judge_all(
        std::slice::from_ref(&beat),
        std::slice::from_ref(&e),
        &History::new(),
        &policy,
    );
    assert_eq!(all[0].status, Status::Stale);
    assert_eq!(all[0].status, plain.status);
    assert_eq!(all[0].expected.as_ref().unwrap().due_at, None);
    let none = judge_all(
        std::slice::from_ref(&beat),
        &[],
        &History::new(),
        &by_schedule,
    );
    assert_eq!(none[0], plain);
}

#[test]
fn a_schedule_in_the_record_is_used_without_a_crontab() {
    let mut beat = entry("remote", "2026-11-23T03:10:00Z", 86_400);
    if let Ok(Content::Record(r)) = &mut beat.content {
        r.schedule = Some("0 3 * * *".to_owned());
    }
    let rules = Rules {
        grace: Some(600),
        ..Rules::default()
    };
    let policy = Policy {
        rules,
        ..Policy::at(utc("2026-11-24T04:15:00Z"))
    };
    let all = judge_all(std::slice::from_ref(&beat), &[], &History::new(), &policy);
    assert_eq!(all[0].status, Status::Stale);
    let shown = all[0].expected.as_ref().unwrap();
    assert_eq!(shown.source, "record");
    assert_eq!(shown.grace_seconds, Some(600));
}

#[test]
fn the_usual_lag_comes_from_the_history_too() {
    let e = expectation("dump", "0 3 * * *", "UTC", 86_400);
    // Last night's run was quick; the runs before took two hours.
    let beat = entry("dump", "2026-11-23T03:05:00Z", 86_400);
    let runs: Vec<Run> = (18..23)
        .map(|day| Run {
            timestamp: utc(&format!("2026-11-{day}T05:00:00Z")),
            status: RunStatus::Ok,
            exit_code: None,
            duration_seconds: Some(7200.0),
            attempts: Vec::new(),
        })
        .collect();
    let mut history = History::new();
    history.insert(beat.path.clone(), runs);
    let policy = Policy::at(utc("2026-11-24T05:30:00Z"));
    let all = judge_all(
        std::slice::from_ref(&beat),
        std::slice::from_ref(&e),
        &history,
        &policy,
    );
    assert_eq!(all[0].status, Status::Ok, "{:?}", all[0]);
    let due_at = all[0].expected.as_ref().unwrap().due_at;
    assert_eq!(due_at, Some(utc("2026-11-24T05:00:00Z")));
    // Without the history the quick run alone sets the lag.
    let alone = status_at(&e, Some(&beat), "2026-11-24T05:30:00Z");
    assert_eq!(alone.status, Status::Stale);
}

#[test]
fn a_run_belongs_to_the_fire_before_it_started() {
    let s = Schedule::parse("0 * * * *", Tz::UTC).unwrap();
    let reported = utc("2026-11-24T05:10:00Z");
    let began = started(reported, Some(4200.0));
    assert_eq!(began, Some(utc("2026-11-24T04:00:00Z")));
    // Its lag runs from the fire before it started (04:00), else from the
    // fire before it reported (05:00).
    let ran = |duration_seconds| Run {
        timestamp: reported,
        status: RunStatus::Ok,
        exit_code: None,
        duration_seconds,
        attempts: Vec::new(),
    };
    let later = utc("2026-11-24T06:00:00Z");
    let lag = |d| runs::usual_lag(&s, &Timing::default(), &[ran(d)], later, 0);
    assert_eq!(lag(Some(4200.0)), 4200);
    assert_eq!(lag(None), 600);
    assert_eq!(started(reported, Some(f64::NAN)), None);
    assert_eq!(started(reported, Some(-1.0)), None);
}

#[test]
fn a_run_in_progress_is_judged_by_its_maximum_not_its_schedule() {
    // An hourly job started at 03:00 with a maximum of 3h: at 05:30 the
    // schedule alone would call it missed.
    let e = expectation("sync", "0 * * * *", "UTC", 3600);
    let mut beat = entry("sync", "2026-11-24T03:00:00Z", 3600);
    let Ok(Content::Record(r)) = &mut beat.content else {
        unreachable!()
    };
    r.status = RunStatus::Running;
    r.started_at = Some(utc("2026-11-24T03:00:00Z"));
    r.max_runtime_seconds = Some(3 * 3600);
    let running = status_at(&e, Some(&beat), "2026-11-24T05:30:00Z");
    assert_eq!(running.status, Status::Running, "{running:?}");
    assert!(running.expected.is_some(), "the schedule is still shown");
    let hung = status_at(&e, Some(&beat), "2026-11-24T06:30:00Z");
    assert_eq!(hung.status, Status::Stale, "{hung:?}");
    assert!(hung.reason.unwrap().ends_with("hung?"));
}

#[test]
fn the_start_of_the_run_says_which_fire_it_belongs_to() {
    // An hourly run that started at 04:00 and reported at 05:10 belongs to
    // the 04:00 fire: the 05:00 run is the one due next.
    let e = expectation("sweep", "0 * * * *", "UTC", 3600);
    let mut beat = entry("sweep", "2026-11-24T05:10:00Z", 3600);
    let by_report = status_at(&e, Some(&beat), "2026-11-24T06:35:00Z");
    assert_eq!(by_report.status, Status::Ok, "{by_report:?}");
    let Ok(Content::Record(r)) = &mut beat.content else {
        unreachable!()
    };
    r.started_at = Some(utc("2026-11-24T04:00:00Z"));
    let by_start = status_at(&e, Some(&beat), "2026-11-24T06:35:00Z");
    assert_eq!(by_start.status, Status::Stale, "{by_start:?}");
}

#[test]
fn a_scheduled_failure_keeps_the_rule_and_the_attempt_that_failed_it() {
    // Weekly by the crontab, daily by the record's interval.
    let e = expectation("sync", "0 3 * * 1", "UTC", 604_800);
    let mut beat = entry("sync", "2026-11-23T03:02:00Z", 86_400);
    if let Ok(Content::Record(r)) = &mut beat.content {
        r.status = RunStatus::Fail;
        r.exit_code = Some(0);
        r.reason = Some("its output matched --fail-on `ERROR`".to_owned());
        r.attempt = Some(crate::record::Attempt { number: 3, of: 3 });
    }
    // Within the interval, and three days on, when the interval rule alone
    // would say stale but the crontab's next run is not due: the failure
    // says why either way.
    for now in ["2026-11-23T09:00:00Z", "2026-11-26T02:00:00Z"] {
        let j = status_at(&e, Some(&beat), now);
        assert_eq!(j.status, Status::Failed, "{now}");
        assert_eq!(
            j.reason.as_deref(),
            Some("the last run failed: its output matched --fail-on `ERROR`; failed on attempt 3 of 3"),
            "{now}"
        );
    }
}
