use super::*;
use crate::record::Heartbeat;
use chrono::TimeZone;

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + seconds, 0).unwrap()
}

fn policy(now: i64) -> Policy {
    Policy::at(at(now))
}

/// A heartbeat judged with whether its wrapper lives and nothing else
/// known.
fn judged(e: &Entry, wrapper_alive: Option<bool>, p: &Policy) -> Judgement {
    let job = Job {
        wrapper_alive,
        ..Job::of(e)
    };
    judge(&job, p)
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

fn on(host: &str, mut j: Judgement, path: &str) -> Judgement {
    j.host = Some(host.to_owned());
    j.path = Some(PathBuf::from(path));
    j
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

mod interval_tests;
mod overrides_tests;
mod rows_tests;
mod running_tests;
