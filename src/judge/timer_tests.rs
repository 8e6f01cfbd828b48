use chrono::{DateTime, TimeZone, Utc};

use super::*;

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + secs, 0).unwrap()
}

/// An enabled daily timer that last ran ok at 0 and fires next at 1 day.
fn daily() -> Timer {
    Timer {
        job: "timer:backup".into(),
        unit: "backup.timer".into(),
        service: "backup.service".into(),
        file_state: "enabled".into(),
        active: true,
        condition_met: true,
        schedule: "OnCalendar=*-*-* 03:00:00".into(),
        last_trigger: Some(at(0)),
        next_fire: Some(at(86_400)),
        period: Some(86_400),
        randomized_delay: 0,
        accuracy: 60,
        run: Run {
            result: "success".into(),
            exit: Some(Exit::Status(0)),
            started: Some(at(0)),
            ended: Some(at(30)),
            ..Run::default()
        },
        ..Timer::default()
    }
}

fn status(timer: &Timer, now: i64) -> (Status, Option<String>) {
    let j = judge(timer, &Policy::at(at(now)), None);
    (j.status, j.reason)
}

#[test]
fn a_timer_on_schedule_is_ok_until_its_trigger_accuracy_and_grace_pass() {
    let t = daily();
    assert_eq!(status(&t, 3600).0, Status::Ok);
    // Due at 1 day + 60 s accuracy, grace 1 h.
    assert_eq!(status(&t, 86_400 + 60 + 3600).0, Status::Ok);
    let (s, why) = status(&t, 86_400 + 60 + 3601);
    assert_eq!(s, Status::Stale);
    assert!(why.unwrap().starts_with("a trigger was due by"));
}

#[test]
fn the_randomized_delay_widens_the_due_time() {
    let mut t = daily();
    t.randomized_delay = 12 * 3600;
    assert_eq!(status(&t, 86_400 + 60 + 3601).0, Status::Ok);
    assert_eq!(status(&t, 86_400 + 12 * 3600 + 60 + 3601).0, Status::Stale);
    let j = judge(&t, &Policy::at(at(0)), None);
    let due = j.expected.unwrap().due_at.unwrap();
    assert_eq!(due, at(86_400 + 12 * 3600 + 60));
}

#[test]
fn a_failed_service_is_failed_with_its_result_status_time_and_journal() {
    let mut t = daily();
    t.run.result = "exit-code".into();
    t.run.exit = Some(Exit::Status(3));
    t.journal = Some("disk full on /srv".into());
    let j = judge(&t, &Policy::at(at(100)), None);
    assert_eq!(j.status, Status::Failed);
    assert_eq!(
        j.reason.as_deref(),
        Some("backup.service failed (exit-code, exit status 3) at 2027-01-15 08:00:30 UTC")
    );
    assert_eq!(j.message.as_deref(), Some("disk full on /srv"));
    assert_eq!(j.exit_code, Some(3));
}

#[test]
fn a_running_service_is_running_until_its_maximum_runtime() {
    let mut t = daily();
    t.run.running = true;
    t.run.started = Some(at(86_400));
    t.run.runtime_max = Some(600);
    assert_eq!(status(&t, 86_400 + 600).0, Status::Running);
    let (s, why) = status(&t, 86_400 + 601);
    assert_eq!(s, Status::Stale);
    assert!(why.unwrap().contains("past its maximum runtime of 10m"));
    // --max-runtime is shorter still.
    let j = judge(&t, &Policy::at(at(86_400 + 120)), Some(60));
    assert_eq!(j.status, Status::Stale);
}

#[test]
fn a_stopped_timer_is_stale_once_its_next_trigger_and_grace_pass() {
    let mut t = daily();
    t.active = false;
    assert_eq!(status(&t, 86_400).0, Status::Ok);
    let (s, why) = status(&t, 86_400 + 60 + 3601);
    assert_eq!(s, Status::Stale);
    assert!(why.unwrap().starts_with("timer stopped: "));
}

#[test]
fn an_enabled_timer_that_never_ran_past_its_first_trigger_is_missing() {
    let mut t = daily();
    t.last_trigger = None;
    t.run = Run::default();
    assert_eq!(status(&t, 0).0, Status::Ok);
    assert_eq!(status(&t, 86_400 + 60 + 3601).0, Status::Missing);
    t.active = false;
    t.next_fire = None;
    assert_eq!(status(&t, 0).0, Status::Missing);
}

#[test]
fn disabled_masked_and_condition_failed_timers_are_not_judged() {
    let mut t = daily();
    assert_eq!(not_judged(&t), None);
    t.file_state = "masked".into();
    assert_eq!(not_judged(&t).as_deref(), Some("masked"));
    t.file_state = "disabled".into();
    assert_eq!(not_judged(&t).as_deref(), Some("disabled"));
    t.file_state = "enabled".into();
    t.active = false;
    t.condition_met = false;
    assert!(not_judged(&t).unwrap().contains("conditions"));
}

#[test]
fn a_short_period_gets_half_of_it_as_grace() {
    let mut t = daily();
    t.period = Some(10);
    t.next_fire = Some(at(10));
    t.accuracy = 1;
    assert_eq!(status(&t, 10 + 1 + 5).0, Status::Ok);
    assert_eq!(status(&t, 10 + 1 + 6).0, Status::Stale);
}

#[test]
fn a_timer_whose_service_writes_a_heartbeat_is_that_jobs_row() {
    let beat = crate::Heartbeat::new("backup", 86_400, crate::RunStatus::Ok);
    let now = beat.timestamp;
    let row = crate::judge_record(&beat, &Policy::at(now));
    let mut t = daily();
    t.run.result = "exit-code".into();
    let failed = judge(&t, &Policy::at(now), None);
    let mut rows = vec![row.clone()];
    merge(
        &mut rows,
        vec![(failed.clone(), vec!["backup".into()])],
        &crate::hostname(),
    );
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].job, "backup");
    assert_eq!(rows[0].status, Status::Failed);
    // Without a match, the timer is a row of its own.
    let mut rows = vec![row];
    merge(&mut rows, vec![(failed, vec![])], &crate::hostname());
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].job, "timer:backup");
}
