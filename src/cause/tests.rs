use std::collections::HashMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Tz;

use super::*;
use crate::judge::{judge_record, schedule::Timetable, Policy};
use crate::record::{Heartbeat, RunStatus};
use crate::store::host::CronDaemon;

fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 1, 4, 6, 0, 0).unwrap() + Duration::minutes(minutes)
}

/// A row judged at `at(0)` for a job that last ran `ago` minutes before.
fn row(job: &str, interval: u64, ago: i64, status: RunStatus) -> Judgement {
    let beat = Heartbeat {
        timestamp: at(-ago),
        host: "web1".to_owned(),
        ..Heartbeat::new(job, interval, status)
    };
    judge_record(&beat, &Policy::at(at(0)))
}

/// The same, as if judged from a crontab line.
fn from_tab(mut j: Judgement) -> Judgement {
    j.expected = Some(Box::new(Timetable {
        schedule: "0 * * * *".to_owned(),
        zone: Tz::UTC,
        source: "crontab /etc/cron.d/jobs:3".to_owned(),
        due_at: None,
        grace_seconds: Some(1800),
        judged_at: at(0),
    }));
    j
}

fn facts<'a>(runs: &'a [DateTime<Utc>], needs: &'a HashMap<String, Vec<String>>) -> Facts<'a> {
    Facts {
        now: at(0),
        zone: Tz::UTC,
        factor: 2.0,
        host: "web1",
        cron: Cron::Unknown,
        cron_down_since: None,
        cron_was_down: None,
        boot: Some(at(-30 * 1440)),
        runs,
        needs,
    }
}

#[test]
fn cron_down_is_named_first_with_the_crontab_jobs_it_stopped() {
    let jobs = [
        from_tab(row("backup", 3600, 300, RunStatus::Ok)),
        from_tab(row("rotate", 3600, 10, RunStatus::Ok)),
        row("queue", 3600, 300, RunStatus::Ok),
    ];
    let none = HashMap::new();
    let facts = Facts {
        cron: Cron::Down,
        cron_down_since: Some(at(-227)),
        ..facts(&[], &none)
    };
    let causes = explain(&jobs, &facts);
    assert_eq!(causes.list[0].kind, Kind::CronDown);
    assert_eq!(
        causes.list[0].text,
        "cron is not running (since 02:13, 2 jobs depend on it)"
    );
    assert_eq!(causes.list[0].jobs, [0], "the stale one; rotate is fine");
    assert_eq!(causes.of_job, [Some(0), None, None], "queue is no cron job");
    assert!(causes.has(Kind::CronDown));
    let running = Facts {
        cron: Cron::Running(CronDaemon {
            found: "cron (pid 9)".to_owned(),
            since: None,
        }),
        ..facts.clone()
    };
    assert!(explain(&jobs, &running).list.is_empty());
    let mut out = Vec::new();
    render::write_text(&mut out, &jobs, &crate::fleet::NONE, &causes, false).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.starts_with(
            "cron is not running (since 02:13, 2 jobs depend on it)\n  backup stale (cron down): "
        ),
        "{text}"
    );
    assert!(text.contains("\nqueue stale: "), "{text}");
    let fields = render::json_fields(&jobs, &causes);
    assert_eq!(fields.of_job[0].as_ref().unwrap()["kind"], "cron-down");
    assert_eq!(fields.causes[0]["jobs"][0], "web1/backup");
}

#[test]
fn a_boot_after_the_due_runs_explains_them_until_the_host_was_up_past_the_grace() {
    // Last ran at 01:00, due again at 02:00; the host booted at 05:50.
    let jobs = [
        row("backup", 3600, 300, RunStatus::Ok),
        row("queue", 3600, 10, RunStatus::Fail),
    ];
    let none = HashMap::new();
    let runs = [at(-310), at(-295)];
    let booted = Facts {
        boot: Some(at(-10)),
        ..facts(&runs, &none)
    };
    let causes = explain(&jobs, &booted);
    assert_eq!(causes.list.len(), 1, "{causes:?}");
    let down = &causes.list[0];
    assert_eq!(down.kind, Kind::HostDown);
    assert_eq!(
        down.text,
        "host was down 01:05-05:50: 4 runs missed (backup)"
    );
    assert_eq!(down.jobs, [0], "a failed run is no downtime's");
    // Up for more than interval + grace (2 h): the job is on its own.
    let long_up = Facts {
        now: at(-10) + Duration::minutes(121),
        boot: Some(at(-10)),
        ..facts(&runs, &none)
    };
    assert!(explain(&jobs, &long_up).list.is_empty());
    // Judged as of before the boot, the boot says nothing.
    let before_boot = Facts {
        now: at(-20),
        boot: Some(at(-10)),
        ..facts(&runs, &none)
    };
    assert!(explain(&jobs, &before_boot).list.is_empty());
}

#[test]
fn a_bad_parent_takes_its_bad_children_under_it_and_a_good_one_does_not() {
    let jobs = [
        row("nfs-mount", 3600, 10, RunStatus::Fail),
        row("backup", 3600, 300, RunStatus::Ok),
        row("backup-db", 3600, 300, RunStatus::Ok),
        row("backup-home", 3600, 300, RunStatus::Ok),
        row("fine", 3600, 10, RunStatus::Ok),
    ];
    let needs: HashMap<String, Vec<String>> = ["backup", "backup-db", "backup-home", "fine"]
        .iter()
        .map(|j| (format!("web1/{j}"), vec!["nfs-mount".to_owned()]))
        .collect();
    let causes = explain(&jobs, &facts(&[], &needs));
    assert_eq!(causes.list.len(), 1, "{causes:?}");
    assert_eq!(causes.list[0].kind, Kind::Blocked);
    assert_eq!(causes.list[0].by, Some(0));
    assert_eq!(causes.list[0].jobs, [1, 2, 3]);
    assert_eq!(causes.blocked_by, [None, Some(0), Some(0), Some(0), None]);
    let mut out = Vec::new();
    render::write_text(&mut out, &jobs, &crate::fleet::NONE, &causes, false).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("nfs-mount failed"), "{text}");
    assert!(
        text.contains("\n  backup stale, blocked (by nfs-mount): "),
        "{text}"
    );
    assert_eq!(text.lines().count(), 4, "{text}");
    let mut metrics = Vec::new();
    render::write_metrics(&mut metrics, "web1", &jobs, &causes).unwrap();
    let metrics = String::from_utf8(metrics).unwrap();
    assert!(metrics.contains(
        "cron_heartbeat_job_blocked{cron_job=\"backup\",host=\"web1\",by=\"nfs-mount\"} 1\n"
    ));
    // The parent recovers: the child alerts on its own.
    let mut recovered = jobs.clone();
    recovered[0] = row("nfs-mount", 3600, 10, RunStatus::Ok);
    assert!(explain(&recovered, &facts(&[], &needs)).list.is_empty());
}

#[test]
fn a_cycle_of_bad_jobs_ends_and_blocks_none_of_them() {
    let jobs = [
        row("a", 3600, 300, RunStatus::Ok),
        row("b", 3600, 300, RunStatus::Ok),
    ];
    let needs: HashMap<String, Vec<String>> = [
        ("web1/a".to_owned(), vec!["b".to_owned()]),
        ("web1/b".to_owned(), vec!["a".to_owned()]),
    ]
    .into();
    let causes = explain(&jobs, &facts(&[], &needs));
    assert!(causes.list.is_empty(), "{causes:?}");
}

#[test]
fn a_chain_goes_under_its_top_and_a_chain_into_a_cycle_under_nothing() {
    // j0 <- j1 <- ... <- j1999, each failing and needing the one before:
    // every row's chain is walked once, not once per row below it.
    let n = 2000;
    let mut jobs: Vec<_> = (0..n)
        .map(|i| row(&format!("j{i}"), 3600, 300, RunStatus::Ok))
        .collect();
    let mut needs: HashMap<String, Vec<String>> = (1..n)
        .map(|i| (format!("web1/j{i}"), vec![format!("j{}", i - 1)]))
        .collect();
    // x and y need each other; e needs x: none of the three is blocked.
    for (job, need) in [("x", "y"), ("y", "x"), ("e", "x")] {
        jobs.push(row(job, 3600, 300, RunStatus::Ok));
        needs.insert(format!("web1/{job}"), vec![need.to_owned()]);
    }
    let causes = explain(&jobs, &facts(&[], &needs));
    assert_eq!(causes.list.len(), 1, "{:?}", causes.list);
    assert_eq!(causes.list[0].by, Some(0));
    assert_eq!(causes.list[0].jobs, (1..n).collect::<Vec<_>>());
    assert_eq!(causes.blocked_by[n - 1], Some(n - 2), "by the job it needs");
    assert_eq!(causes.blocked_by[n..], [None, None, None]);
}

#[test]
fn a_checker_gap_is_told_unless_a_boot_explains_it() {
    let none = HashMap::new();
    let runs = [at(-150), at(-135), at(-120)];
    let causes = explain(&[], &facts(&runs, &none));
    assert_eq!(causes.list.len(), 1);
    assert_eq!(
        causes.list[0].text,
        "hb-check did not run from 04:00 to 06:00: judgements in that window were not made"
    );
    let booted = Facts {
        boot: Some(at(-5)),
        ..facts(&runs, &none)
    };
    assert!(explain(&[], &booted).list.is_empty());
    let steady = [at(-45), at(-30), at(-15)];
    assert!(explain(&[], &facts(&steady, &none)).list.is_empty());
}
