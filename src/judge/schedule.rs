//! Judging by the schedule: a job is due at the first fire after the fire
//! its last heartbeat belongs to, plus its usual lag, and `stale` once that
//! and a grace have passed. Pure, like the rest of the judge.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::{judge, sort, Judgement, Policy, Status};
use crate::record::{format_duration, Content, Entry, RunStatus};
use crate::schedule::{Expectation, Schedule};

/// The longest default grace, in seconds: one hour.
pub const GRACE_MAX_SECONDS: u64 = 3600;

/// The schedule side of the policy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rules {
    /// The grace after the due time; `None` for the default, the smaller of
    /// an hour and half the gap between two fires.
    pub grace: Option<u64>,
    /// Judge every job by its interval, as if no schedule were known.
    pub by_interval: bool,
    /// The zone of a schedule that comes with a heartbeat record.
    pub zone: Tz,
}

/// What a job is expected to do by its schedule, as shown with its verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct Expected {
    /// The schedule as written.
    pub schedule: String,
    /// The zone its fires are computed in.
    pub zone: Tz,
    /// Where the expectation comes from: `crontab FILE:LINE` or `record`.
    pub source: String,
    /// When the next run must have reported, lag included; `None` when
    /// the job is judged by interval.
    pub due_at: Option<DateTime<Utc>>,
    /// The grace after `due_at`, in seconds.
    pub grace_seconds: Option<u64>,
    /// The instant the job was judged at.
    pub judged_at: DateTime<Utc>,
}

/// The due time of the run after a heartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    /// The fire the heartbeat belongs to.
    pub fire: DateTime<Utc>,
    /// When the next run must have reported: the next fire plus the lag.
    pub due_at: DateTime<Utc>,
    /// The grace after `due_at`, in seconds.
    pub grace_seconds: u64,
}

/// The fire a run belongs to: the latest at or before it started (else at
/// or before it reported).
pub fn fire_of(
    schedule: &Schedule,
    reported: DateTime<Utc>,
    started: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    schedule.latest_at_or_before(started.unwrap_or(reported))
}

/// The due time after a heartbeat written at `reported` for a run that
/// started at `started` (when known). `lags` are the lags of recent runs
/// (seconds from fire to report); the largest of them and the last run's is
/// the job's usual lag.
pub fn due(
    schedule: &Schedule,
    reported: DateTime<Utc>,
    started: Option<DateTime<Utc>>,
    lags: &[u64],
    grace: Option<u64>,
) -> Option<Due> {
    let fire = fire_of(schedule, reported, started)?;
    let next = schedule.next_after(fire)?;
    let gap = schedule.gap(fire, next);
    let last_lag = (reported - fire).num_seconds().max(0).unsigned_abs();
    // A lag is never taken to be a whole gap or more: a run that reports
    // that late belongs to the next fire.
    let lag = lags
        .iter()
        .copied()
        .chain([last_lag])
        .max()
        .unwrap_or(0)
        .min(gap.saturating_sub(1));
    let grace = grace.unwrap_or_else(|| default_grace(gap));
    let lag = chrono::Duration::seconds(i64::try_from(lag).ok()?);
    Some(Due {
        fire,
        due_at: next.checked_add_signed(lag)?,
        grace_seconds: grace,
    })
}

/// The default grace for fires `gap` seconds apart: the smaller of an hour
/// and half the gap.
pub fn default_grace(gap: u64) -> u64 {
    GRACE_MAX_SECONDS.min(gap / 2)
}

/// The status of a job with a due time at `now`.
pub fn classify(
    due: &Due,
    now: DateTime<Utc>,
    run: RunStatus,
    zone: Tz,
) -> (Status, Option<String>) {
    let deadline = due.due_at.checked_add_signed(chrono::Duration::seconds(
        due.grace_seconds.min(i64::MAX as u64) as i64,
    ));
    if deadline.is_some_and(|d| now > d) {
        let reason = format!(
            "the run due at {} was missed (grace {})",
            local(due.due_at, zone),
            format_duration(due.grace_seconds)
        );
        (Status::Stale, Some(reason))
    } else if run == RunStatus::Fail {
        (
            Status::Failed,
            Some("the last run reported failure".to_owned()),
        )
    } else {
        (Status::Ok, None)
    }
}

/// `2026-11-22 03:10 CET`: a time in the schedule's zone.
pub fn local(t: DateTime<Utc>, zone: Tz) -> String {
    t.with_timezone(&zone)
        .format("%Y-%m-%d %H:%M %Z")
        .to_string()
}

/// Judges every entry, the scheduled ones by their schedule, and adds a row
/// for every job a crontab expects that has no heartbeat: `missing` once its
/// first run after the line appeared plus grace has passed, else `ok` with
/// its first due time. Also adds the `--expect` rows. Sorted worst first.
pub fn judge_all(
    entries: &[Entry],
    expect: &[String],
    expected: &[Expectation],
    policy: &Policy,
    rules: &Rules,
) -> Vec<Judgement> {
    let mut all: Vec<Judgement> = entries
        .iter()
        .map(|entry| {
            let mut j = judge(entry, policy);
            let crontab = expected.iter().find(|e| e.job == entry.job);
            refine(&mut j, entry, crontab, policy, rules);
            j
        })
        .collect();
    for e in expected {
        if !all.iter().any(|j| j.job == e.job) {
            all.push(never_run(e, policy, rules));
        }
    }
    for job in expect {
        if !all.iter().any(|j| &j.job == job) {
            all.push(Judgement::missing(job));
        }
    }
    sort(&mut all);
    all
}

/// Re-judges a readable heartbeat by its schedule, when one is known.
fn refine(
    j: &mut Judgement,
    entry: &Entry,
    crontab: Option<&Expectation>,
    policy: &Policy,
    rules: &Rules,
) {
    let Ok(content) = &entry.content else { return };
    if j.status == Status::Invalid {
        return;
    }
    let (reported, run, record_schedule) = match content {
        Content::Record(r) => (r.timestamp, r.status, r.schedule.as_deref()),
        Content::Empty { modified } => (*modified, RunStatus::Ok, None),
    };
    let (schedule, source) = match (
        crontab.and_then(|c| c.schedule.clone().map(|s| (s, c))),
        record_schedule,
    ) {
        (Some((s, c)), _) => (s, format!("crontab {}", c.source)),
        (None, Some(text)) => match Schedule::parse(text, rules.zone) {
            Ok(s) => (s, "record".to_owned()),
            Err(reason) => {
                j.status = Status::Invalid;
                j.reason = Some(format!("the record's schedule is unusable: {reason}"));
                return;
            }
        },
        (None, None) => return,
    };
    let mut shown = Expected {
        schedule: schedule.text().to_owned(),
        zone: schedule.zone(),
        source,
        due_at: None,
        grace_seconds: None,
        judged_at: policy.now,
    };
    if !rules.by_interval {
        if let Some(due) = due(&schedule, reported, None, &[], rules.grace) {
            let (status, reason) = classify(&due, policy.now, run, schedule.zone());
            j.status = status;
            j.reason = match (status, reason, j.exit_code) {
                (Status::Failed, Some(r), Some(code)) => Some(format!("{r} (exit code {code})")),
                (_, r, _) => r,
            };
            shown.due_at = Some(due.due_at);
            shown.grace_seconds = Some(due.grace_seconds);
        }
    }
    j.expected = Some(shown);
}

/// The row of a job a crontab runs that has never written a heartbeat.
fn never_run(e: &Expectation, policy: &Policy, rules: &Rules) -> Judgement {
    let mut j = Judgement::missing(&e.job);
    j.interval_seconds = Some(e.interval);
    j.host = None;
    let source = format!("crontab {}", e.source);
    // A line of unknown age is taken to be old.
    let since = e
        .since
        .unwrap_or_else(|| policy.now - chrono::Duration::days(400));
    let (first, grace) = match (&e.schedule, rules.by_interval) {
        (Some(s), false) => {
            let first = s.next_after(since);
            let gap = first.and_then(|f| s.next_after(f).map(|n| s.gap(f, n)));
            let grace = rules
                .grace
                .unwrap_or_else(|| default_grace(gap.unwrap_or(0)));
            (first, grace)
        }
        // @reboot, or judged by interval: due one factor x interval after
        // the line appeared.
        _ => {
            let wait = (policy.factor * e.interval as f64) as i64;
            (since.checked_add_signed(chrono::Duration::seconds(wait)), 0)
        }
    };
    let deadline =
        first.and_then(|f| f.checked_add_signed(chrono::Duration::seconds(grace as i64)));
    j.expected = e.schedule.as_ref().map(|s| Expected {
        schedule: s.text().to_owned(),
        zone: s.zone(),
        source: source.clone(),
        due_at: first.filter(|_| !rules.by_interval),
        grace_seconds: (!rules.by_interval).then_some(grace),
        judged_at: policy.now,
    });
    if deadline.is_some_and(|d| policy.now > d) {
        j.reason = Some(format!(
            "{source} runs it, but no heartbeat has ever been written"
        ));
    } else {
        j.status = Status::Ok;
        j.reason = None;
    }
    j
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Heartbeat;
    use crate::schedule::{parse_zone, Source};
    use std::path::PathBuf;

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
        }
    }

    fn entry(job: &str, reported: &str, interval: u64) -> Entry {
        Entry {
            path: PathBuf::from(format!("/hb/{job}.last")),
            job: job.to_owned(),
            subdir: None,
            content: Ok(Content::Record(Heartbeat {
                version: 1,
                job: job.to_owned(),
                timestamp: utc(reported),
                interval_seconds: interval,
                host: "web1".to_owned(),
                pid: 1,
                status: RunStatus::Ok,
                exit_code: None,
                duration_seconds: None,
                message: None,
                schedule: None,
            })),
        }
    }

    fn status_at(e: &Expectation, beat: Option<&Entry>, now: &str) -> Judgement {
        let policy = Policy {
            now: utc(now),
            factor: 2.0,
            default_interval: None,
        };
        let rules = Rules {
            grace: None,
            by_interval: false,
            zone: Tz::UTC,
        };
        let entries: Vec<Entry> = beat.into_iter().cloned().collect();
        let all = judge_all(&entries, &[], std::slice::from_ref(e), &policy, &rules);
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
        let policy = Policy {
            now: utc("2026-11-22T12:00:00Z"),
            factor: 2.0,
            default_interval: None,
        };
        let rules = Rules {
            grace: None,
            by_interval: true,
            zone: Tz::UTC,
        };
        let plain = super::super::judge(&beat, &policy);
        let all = judge_all(
            std::slice::from_ref(&beat),
            &[],
            std::slice::from_ref(&e),
            &policy,
            &rules,
        );
        assert_eq!(all[0].status, Status::Stale);
        assert_eq!(all[0].status, plain.status);
        assert_eq!(all[0].expected.as_ref().unwrap().due_at, None);
        let none = judge_all(
            std::slice::from_ref(&beat),
            &[],
            &[],
            &policy,
            &Rules {
                by_interval: false,
                ..rules
            },
        );
        assert_eq!(none[0], plain);
    }

    #[test]
    fn a_schedule_in_the_record_is_used_without_a_crontab() {
        let mut beat = entry("remote", "2026-11-23T03:10:00Z", 86_400);
        if let Ok(Content::Record(r)) = &mut beat.content {
            r.schedule = Some("0 3 * * *".to_owned());
        }
        let policy = Policy {
            now: utc("2026-11-24T04:15:00Z"),
            factor: 2.0,
            default_interval: None,
        };
        let rules = Rules {
            grace: Some(600),
            by_interval: false,
            zone: Tz::UTC,
        };
        let all = judge_all(std::slice::from_ref(&beat), &[], &[], &policy, &rules);
        assert_eq!(all[0].status, Status::Stale);
        let shown = all[0].expected.as_ref().unwrap();
        assert_eq!(shown.source, "record");
        assert_eq!(shown.grace_seconds, Some(600));
    }
}
