//! A simulated week on one host, minute by minute: cron runs four crontab
//! jobs, the checker runs every 15 minutes (from a timer of its own, not
//! from cron), the host is powered off for six hours one night, and cron
//! is killed for a whole day. Each checker run goes through the real judge,
//! the cause grouping and the one change engine; the test counts the
//! alerts that went out.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Tz;

use super::run::Runs;
use super::{explain, Cron, Facts, Kind};
use crate::alert::{alerting, diff, Jobs};
use crate::judge::{self, Job, Policy, Status};
use crate::record::{Content, Entry, Heartbeat, RunStatus};
use crate::schedule::{Expectation, Schedule, Source};
use crate::store::host::CronDaemon;

/// The checker's period, in minutes.
const PERIOD: i64 = 15;

fn minute(m: i64) -> DateTime<Utc> {
    // Monday 2027-01-04 00:00 UTC.
    Utc.with_ymd_and_hms(2027, 1, 4, 0, 0, 0).unwrap() + Duration::minutes(m)
}

fn line(job: &str, when: &str, interval: u64, at: usize) -> Expectation {
    Expectation {
        job: job.to_owned(),
        interval,
        schedule: Some(Schedule::parse(when, Tz::UTC).unwrap()),
        source: Source {
            file: PathBuf::from("/etc/cron.d/jobs"),
            line: at,
        },
        user: None,
        since: Some(minute(-30 * 1440)),
        timing: crate::schedule::Timing::default(),
        needs: Vec::new(),
    }
}

fn beat(job: &str, interval: u64, at: DateTime<Utc>) -> Entry {
    Entry {
        path: PathBuf::from(format!("/var/lib/cron-heartbeat/{job}.last")),
        job: job.to_owned(),
        subdir: None,
        content: Ok(Content::Record(Heartbeat {
            timestamp: at,
            host: "web1".to_owned(),
            ..Heartbeat::new(job, interval, RunStatus::Ok)
        })),
    }
}

/// What went out over the week: each alert key that went bad, with when;
/// and how many job alerts the jobs alone would have sent.
fn simulate(off: (i64, i64), cron_dead: (i64, i64)) -> (Vec<(String, DateTime<Utc>)>, usize) {
    let lines = [
        line("rotate", "*/15 * * * *", 900, 1),
        line("hourly", "5 * * * *", 3600, 2),
        line("backup", "10 2 * * *", 86_400, 3),
        line("report", "30 6 * * *", 86_400, 4),
    ];
    // Each job ran at its last fire before the week, 20 s after it.
    let mut last: Vec<Entry> = (lines.iter())
        .map(|l| {
            let fire = l
                .schedule
                .as_ref()
                .unwrap()
                .latest_at_or_before(minute(0))
                .unwrap();
            beat(&l.job, l.interval, fire + Duration::seconds(20))
        })
        .collect();
    let mut boot = minute(-30 * 1440);
    let mut cron_since = boot;
    let mut state = Runs::default();
    let mut before = Jobs::new();
    let mut went_out = Vec::new();
    let (mut jobs_before, mut jobs_alone) = (Jobs::new(), 0);
    let needs = std::collections::HashMap::new();
    for m in 0..7 * 1440 {
        let now = minute(m);
        if (off.0..off.1).contains(&m) {
            continue;
        }
        if m == off.1 {
            boot = now;
            cron_since = now;
        }
        let cron_up = !(cron_dead.0..cron_dead.1).contains(&m);
        if m == cron_dead.1 {
            cron_since = now;
        }
        for (l, entry) in lines.iter().zip(&mut last) {
            let fires = l.schedule.as_ref().unwrap().latest_at_or_before(now) == Some(now);
            if cron_up && fires {
                *entry = beat(&l.job, l.interval, now + Duration::seconds(20));
            }
        }
        if m % PERIOD != 7 {
            continue;
        }
        let policy = Policy::at(now);
        let rows: Vec<_> = (lines.iter().zip(&last))
            .map(|(l, entry)| {
                let job = Job {
                    crontab: Some(l),
                    ..Job::of(entry)
                };
                judge::judge(&job, &policy)
            })
            .collect();
        let runs: Vec<_> = state.runs.iter().map(|s| s.0).collect();
        let facts = Facts {
            now,
            zone: Tz::UTC,
            factor: policy.factor,
            host: "web1",
            cron: if cron_up {
                Cron::Running(CronDaemon {
                    found: "cron (pid 300)".to_owned(),
                    since: Some(cron_since),
                })
            } else {
                Cron::Down
            },
            cron_down_since: state.cron_down_since.map(|s| s.0),
            cron_was_down: state.cron_was_down.map(|(a, b)| (a.0, b.0)),
            boot: Some(boot),
            runs: &runs,
            needs: &needs,
        };
        let causes = explain(&rows, &facts);
        state = state.after(now, Some(cron_up));
        // What alerts: each cause by its kind, each job no cause explains.
        let mut now_bad: BTreeMap<String, Status> = BTreeMap::new();
        for c in &causes.list {
            now_bad.insert(format!("{:?}", c.kind), Status::Stale);
        }
        for (row, j) in rows.iter().enumerate() {
            if causes.of_job[row].is_none() {
                now_bad.insert(format!("job {}", j.job), j.status);
            }
        }
        let now_bad = alerting(now_bad);
        let keyed: Vec<(String, Status)> = rows.iter().map(|j| (j.job.clone(), j.status)).collect();
        let jobs_now = alerting(keyed.iter().map(|(k, s)| (k, *s)));
        jobs_alone += diff(&jobs_before, &jobs_now).went_bad.len();
        jobs_before = jobs_now;
        for (key, _) in diff(&before, &now_bad).went_bad {
            went_out.push((key, now));
        }
        before = now_bad;
    }
    assert!(
        before.is_empty(),
        "the week ends with nothing alerting: {before:?}"
    );
    (went_out, jobs_alone)
}

#[test]
fn a_six_hour_power_off_is_one_downtime_alert_and_no_job_alert() {
    // Tuesday 01:10 to 07:10.
    let off = (1440 + 70, 1440 + 430);
    let (went_out, jobs_alone) = simulate(off, (0, 0));
    assert!(
        jobs_alone >= 3,
        "judged alone, the jobs alert each: {jobs_alone}"
    );
    assert_eq!(
        went_out,
        [(format!("{:?}", Kind::HostDown), minute(1440 + 442))],
        "one alert, at the first check after the boot"
    );
}

#[test]
fn a_cron_killed_for_a_day_is_reported_within_one_period_plus_grace() {
    // Thursday 11:58 to Friday 12:01.
    let killed = 3 * 1440 + 718;
    let (went_out, jobs_alone) = simulate((0, 0), (killed, 4 * 1440 + 721));
    assert!(
        jobs_alone >= 4,
        "judged alone, the jobs alert each: {jobs_alone}"
    );
    assert_eq!(went_out.len(), 1, "{went_out:?}");
    let (key, at) = &went_out[0];
    assert_eq!(key, &format!("{:?}", Kind::CronDown));
    // The shortest grace of the jobs: half the 15-minute gap of `rotate`.
    let limit = minute(killed) + Duration::minutes(PERIOD) + Duration::seconds(450);
    assert!(*at <= limit, "told at {at}, after {limit}");
}

#[test]
fn a_minute_off_misses_nothing_and_alerts_nothing() {
    // The host off for one minute between two fires: nothing is missed.
    assert_eq!(simulate((1440 + 70, 1440 + 71), (0, 0)), (vec![], 0));
}
