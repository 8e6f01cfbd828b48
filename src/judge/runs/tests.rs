//! Each rule of the start and the run, by the instant.

use super::*;
use crate::judge::{judge, Job, Judgement, Policy, Status};
use crate::record::{Content, Entry, Heartbeat, RunStatus};
use crate::schedule::{parse_zone, Expectation, Source};
use std::path::PathBuf;

fn utc(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn line(when: &str) -> Expectation {
    Expectation {
        job: "job".to_owned(),
        interval: 86_400,
        schedule: Some(Schedule::parse(when, parse_zone("UTC").unwrap()).unwrap()),
        source: Source {
            file: PathBuf::from("/etc/cron.d/jobs"),
            line: 1,
        },
        user: None,
        since: Some(utc("2026-01-01T00:00:00Z")),
        timing: Timing::default(),
        needs: Vec::new(),
    }
}

/// A record of `job` reported at `reported`; wrapped (with its start) when
/// `started` is given.
fn record(reported: &str, started: Option<&str>, status: RunStatus) -> Entry {
    let mut beat = Heartbeat {
        timestamp: utc(reported),
        host: "web1".to_owned(),
        pid: 1,
        ..Heartbeat::new("job", 86_400, status)
    };
    beat.started_at = started.map(utc);
    beat.duration_seconds = started.map(|s| (utc(reported) - utc(s)).num_seconds() as f64);
    Entry {
        path: PathBuf::from("/hb/job.last"),
        job: "job".to_owned(),
        subdir: None,
        content: Ok(Content::Record(beat)),
    }
}

fn run(reported: &str, duration: f64) -> Run {
    Run {
        timestamp: utc(reported),
        status: RunStatus::Ok,
        exit_code: Some(0),
        duration_seconds: Some(duration),
        attempts: Vec::new(),
    }
}

fn judged(e: &Entry, when: &str, recent: &[Run], now: &str, start_grace: Option<u64>) -> Judgement {
    let crontab = line(when);
    let mut policy = Policy::at(utc(now));
    policy.rules.start_grace = start_grace;
    let job = Job {
        crontab: Some(&crontab),
        recent,
        ..Job::of(e)
    };
    judge(&job, &policy)
}

#[test]
fn a_wrapped_job_is_stale_when_it_did_not_start_within_its_start_grace() {
    // Yesterday's run started at 03:00 and took 40 minutes.
    let beat = record(
        "2026-11-23T03:40:00Z",
        Some("2026-11-23T03:00:00Z"),
        RunStatus::Ok,
    );
    let at = |now, grace| judged(&beat, "0 3 * * *", &[], now, grace);
    let ok = at("2026-11-24T03:15:00Z", None);
    assert_eq!(ok.status, Status::Ok, "{ok:?}");
    let shown = ok.expected.unwrap();
    assert_eq!(shown.due_at, Some(utc("2026-11-24T03:00:00Z")));
    assert_eq!(shown.grace_seconds, Some(900));
    let stale = at("2026-11-24T03:15:01Z", None);
    assert_eq!(stale.status, Status::Stale);
    assert_eq!(
        stale.reason.as_deref(),
        Some("did not start: the run due at 2026-11-24 03:00 UTC had not started 15m later (start grace)")
    );
    // --start-grace 5m.
    assert_eq!(at("2026-11-24T03:05:01Z", Some(300)).status, Status::Stale);
    assert_eq!(at("2026-11-24T03:05:00Z", Some(300)).status, Status::Ok);
    // The same run reported by a plain job is due by its end: 03:40 + 1h.
    let plain = record("2026-11-23T03:40:00Z", None, RunStatus::Ok);
    let plain_at = |now| judged(&plain, "0 3 * * *", &[], now, None).status;
    assert_eq!(plain_at("2026-11-24T04:40:00Z"), Status::Ok);
    assert_eq!(plain_at("2026-11-24T04:40:01Z"), Status::Stale);
}

#[test]
fn the_default_start_grace_is_at_most_15_minutes_and_half_the_gap() {
    assert_eq!(default_start_grace(86_400), 900);
    assert_eq!(default_start_grace(600), 300);
    assert_eq!(default_start_grace(0), 0);
}

#[test]
fn a_run_in_progress_is_late_past_twice_its_usual_duration_and_stale_past_its_maximum() {
    let mut beat = record(
        "2026-11-24T03:00:00Z",
        Some("2026-11-24T03:00:00Z"),
        RunStatus::Running,
    );
    let Ok(Content::Record(r)) = &mut beat.content else {
        unreachable!()
    };
    r.duration_seconds = None;
    r.max_runtime_seconds = Some(3 * 3600);
    // Nineteen runs of 30 minutes and one of 5 hours.
    let mut recent: Vec<Run> = (1..=19)
        .map(|day| run(&format!("2026-10-{day:02}T03:30:00Z"), 1800.0))
        .collect();
    recent.push(run("2026-10-20T08:00:00Z", 5.0 * 3600.0));
    let at = |now| judged(&beat, "0 3 * * *", &recent, now, None);
    assert_eq!(at("2026-11-24T04:00:00Z").status, Status::Running);
    let long = at("2026-11-24T04:00:01Z");
    assert_eq!(long.status, Status::Late);
    assert!(!long.status.is_alert());
    assert_eq!(
        long.reason.as_deref(),
        Some("running long: running for 1h 1s, usually 30m (2x that is 1h)")
    );
    let hung = at("2026-11-24T06:00:01Z");
    assert_eq!(hung.status, Status::Stale);
    assert!(hung.reason.unwrap().ends_with("hung?"));
    // Fewer than five known durations: the maximum alone decides.
    assert_eq!(
        judged(
            &beat,
            "0 3 * * *",
            &recent[..4],
            "2026-11-24T05:00:00Z",
            None
        )
        .status,
        Status::Running
    );
}

#[test]
fn one_slow_night_neither_hides_the_next_death_nor_moves_the_next_deadline() {
    // Nineteen nights report at 03:10; last night's took until 09:00.
    let mut recent: Vec<Run> = (1..=19)
        .map(|day| run(&format!("2026-11-{day:02}T03:10:00Z"), 600.0))
        .collect();
    recent.push(run("2026-11-20T09:00:00Z", 6.0 * 3600.0));
    let plain = record("2026-11-20T09:00:00Z", None, RunStatus::Ok);
    let at = |now| judged(&plain, "0 3 * * *", &recent, now, None);
    // Tonight's run is due at 03:10 as usual, stale an hour later.
    let ok = at("2026-11-21T04:10:00Z");
    assert_eq!(ok.status, Status::Ok, "{ok:?}");
    assert_eq!(
        ok.expected.unwrap().due_at,
        Some(utc("2026-11-21T03:10:00Z"))
    );
    assert_eq!(at("2026-11-21T04:10:01Z").status, Status::Stale);
    // Without the history, the slow night alone sets the lag.
    let alone = judged(&plain, "0 3 * * *", &[], "2026-11-21T04:10:01Z", None);
    assert_eq!(alone.status, Status::Ok);
}

#[test]
fn a_run_skipped_between_two_checks_is_told_once_as_late() {
    // A five-minute job; the 03:10 run never happened, 03:15 and 03:20 did.
    let every = "*/5 * * * *";
    let reported = ["03:00:30", "03:05:30", "03:15:30", "03:20:30"];
    let recent: Vec<Run> = reported
        .iter()
        .map(|t| run(&format!("2026-11-24T{t}Z"), 30.0))
        .collect();
    let beat = record(
        "2026-11-24T03:20:30Z",
        Some("2026-11-24T03:20:00Z"),
        RunStatus::Ok,
    );
    let late = judged(&beat, every, &recent, "2026-11-24T03:22:00Z", None);
    assert_eq!(late.status, Status::Late, "{late:?}");
    assert_eq!(
        late.reason.as_deref(),
        Some("missed the 03:10 run (2026-11-24 UTC), then ran again")
    );
    // Also when the history does not hold the last run yet.
    let older = judged(&beat, every, &recent[..3], "2026-11-24T03:22:00Z", None);
    assert_eq!(older.status, Status::Late, "{older:?}");
    // An hour after the run that followed the gap, it is no longer told.
    let mut later = recent.clone();
    let mut t = utc("2026-11-24T03:25:30Z");
    while t <= utc("2026-11-24T04:20:30Z") {
        later.push(run(&t.to_rfc3339(), 30.0));
        t += chrono::Duration::minutes(5);
    }
    let newest = record(
        "2026-11-24T04:20:30Z",
        Some("2026-11-24T04:20:00Z"),
        RunStatus::Ok,
    );
    let quiet = judged(&newest, every, &later, "2026-11-24T04:22:00Z", None);
    assert_eq!(quiet.status, Status::Ok, "{quiet:?}");
    // No gap, no warning.
    let whole: Vec<Run> = later
        .iter()
        .filter(|r| r.timestamp > utc("2026-11-24T03:30:00Z"))
        .cloned()
        .collect();
    let fine = judged(&newest, every, &whole, "2026-11-24T04:22:00Z", None);
    assert_eq!(fine.status, Status::Ok);
}

mod delay {
    use super::*;
    use crate::schedule::timing::Period;
    use chrono_tz::Tz;

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn anacron(period: Period, booted: &str) -> (Schedule, Timing) {
        let timing = Timing {
            delay: 55 * 60,
            period: Some(period),
            catch_up: Some(CatchUp {
                booted: utc(booted),
                starts: Schedule::parse("30 7-21 * * *", Tz::UTC).unwrap(),
                hours: (3, 22),
            }),
            ..Timing::default()
        };
        (Schedule::parse("30 7 * * *", Tz::UTC).unwrap(), timing)
    }

    #[test]
    fn a_weekly_job_comes_seven_days_after_its_day_whenever_it_ran() {
        let (s, t) = anacron(Period::Days(7), "2026-01-01T00:00:00Z");
        for ran in ["2026-03-02T08:10:00Z", "2026-03-02T04:00:00Z"] {
            let (fire, next) = fires(&s, &t, utc(ran)).unwrap();
            assert_eq!(fire, utc("2026-03-02T07:30:00Z"), "{ran}");
            assert_eq!(next, utc("2026-03-09T07:30:00Z"), "{ran}");
        }
        let (s, t) = anacron(Period::Monthly, "2026-01-01T00:00:00Z");
        let (_, next) = fires(&s, &t, utc("2026-02-10T08:00:00Z")).unwrap();
        assert_eq!(next, utc("2026-03-10T07:30:00Z"));
    }

    #[test]
    fn a_host_down_at_the_fire_moves_the_start_to_anacron_s_start_after_boot() {
        let next = utc("2026-03-09T07:30:00Z");
        // Up all along: the fire plus the delay.
        let (_, t) = anacron(Period::Days(1), "2026-01-01T00:00:00Z");
        assert_eq!(latest_start(next, &t), Some(utc("2026-03-09T08:25:00Z")));
        // Booted at 10:00, inside the start hours: anacron runs at boot.
        let (_, t) = anacron(Period::Days(1), "2026-03-09T10:00:00Z");
        assert_eq!(latest_start(next, &t), Some(utc("2026-03-09T10:55:00Z")));
        // Booted at 22:10, past START_HOURS_RANGE: the next morning's start.
        let (_, t) = anacron(Period::Days(1), "2026-03-09T22:10:00Z");
        assert_eq!(latest_start(next, &t), Some(utc("2026-03-10T08:25:00Z")));
    }

    #[test]
    fn a_run_missed_while_the_host_was_down_is_due_after_the_boot() {
        use crate::judge::schedule::{due, Rules};
        let hour = Rules {
            grace: Some(3600),
            ..Rules::default()
        };
        let ran = utc("2026-03-08T08:00:00Z");
        // Down from 07:00 to 11:00 on the 9th: due at 11:00 + 55 min.
        let (s, t) = anacron(Period::Days(1), "2026-03-09T11:00:00Z");
        let (due_at, grace) = due(&s, ran, None, &[], &hour, &t, false).unwrap();
        assert_eq!(due_at, utc("2026-03-09T11:55:00Z"));
        // Stale past 12:55, its grace of an hour later.
        assert_eq!(grace, 3600);
        // Up all along, the same run is stale an hour after 08:25.
        let (s, t) = anacron(Period::Days(1), "2026-01-01T00:00:00Z");
        let d = due(&s, ran, None, &[], &hour, &t, false).unwrap();
        assert_eq!(d.0, utc("2026-03-09T08:25:00Z"));
        // The catch-up run that reported at 11:56 after that boot lags 56
        // minutes from anacron's start at the boot, not 4h26m from the fire.
        let (s, t) = anacron(Period::Days(1), "2026-03-09T11:00:00Z");
        let d = due(
            &s,
            utc("2026-03-09T11:56:00Z"),
            None,
            &[],
            &Rules::default(),
            &t,
            false,
        )
        .unwrap();
        assert_eq!(d.0, utc("2026-03-10T08:26:00Z"));
    }
}

mod usual {
    use super::*;

    #[test]
    fn the_percentile_leaves_the_slowest_tenth_out() {
        assert_eq!(percentile(&mut []), None);
        assert_eq!(percentile(&mut [7]), Some(7));
        // Twenty runs, two of them slow: the 18th value.
        let mut twenty: Vec<u64> = (1..=18).chain([500, 900]).collect();
        assert_eq!(percentile(&mut twenty), Some(18));
        // Ten runs, one slow: the 9th.
        let mut ten: Vec<u64> = (1..=9).chain([10_000]).collect();
        assert_eq!(percentile(&mut ten), Some(9));
    }

    fn run(at: i64, status: RunStatus, duration: f64) -> Run {
        Run {
            timestamp: DateTime::from_timestamp(1_800_000_000 + at, 0).unwrap(),
            status,
            exit_code: None,
            duration_seconds: Some(duration),
            attempts: Vec::new(),
        }
    }

    #[test]
    fn the_usual_duration_needs_five_successes_and_ignores_failures() {
        let four: Vec<Run> = (0..4).map(|i| run(i, RunStatus::Ok, 60.0)).collect();
        assert_eq!(duration(&four), None);
        let mut runs: Vec<Run> = (0..9).map(|i| run(i, RunStatus::Ok, 60.0)).collect();
        runs.push(run(9, RunStatus::Ok, 7200.0));
        runs.push(run(10, RunStatus::Fail, 90_000.0));
        assert_eq!(duration(&runs), Some(60));
    }
}
