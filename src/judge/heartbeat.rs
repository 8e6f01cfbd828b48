//! What a heartbeat alone says: the rules for a finished run and a running one.

use super::{runs, Job, Judgement, Policy, Status};
use crate::record::{default_max_runtime, format_duration, Content, Entry, Heartbeat, RunStatus};

/// The verdict by the record, then by its schedule ([`super::schedule::refine`]).
pub(super) fn by_record(job: &Job, entry: &Entry, policy: &Policy) -> Judgement {
    let invalid = |reason: String| Judgement {
        host: entry.subdir.clone(),
        path: Some(entry.path.clone()),
        ..Judgement::bare(&entry.job, Status::Invalid, Some(reason))
    };
    let (timestamp, interval, record) = match &entry.content {
        Err(reason) => return invalid(reason.clone()),
        Ok(Content::Record(r)) => (r.timestamp, r.interval_seconds, Some(r)),
        Ok(Content::Empty { modified }) => match policy.default_interval {
            Some(interval) => (*modified, interval, None),
            None => return invalid(
                "the file is empty; give --default-interval to judge empty files by their modification time".to_owned(),
            ),
        },
    };
    // The clock check: a run's start, else the heartbeat's time.
    let running = record.filter(|r| r.status == RunStatus::Running);
    let since = running.and_then(|r| r.started_at).unwrap_or(timestamp);
    let seconds = (policy.now - since).num_seconds();
    if seconds < -crate::record::FUTURE_TOLERANCE_SECONDS {
        let what = if running.is_some() {
            "the run started".to_owned()
        } else {
            let stamp = crate::record::rfc3339(timestamp);
            format!("the timestamp {stamp} is")
        };
        let ahead = format_duration(seconds.unsigned_abs());
        let reason =
            format!("{what} {ahead} in the future; check the clock of the host that wrote it");
        return invalid(reason);
    }
    let elapsed = seconds.max(0) as u64;
    let j = match running {
        Some(r) => judge_running(job, r, elapsed, policy),
        None => finished(job.name, record, elapsed, interval, policy.factor),
    };
    let age = (policy.now - timestamp).num_seconds().max(0) as u64;
    let j = Judgement {
        host: entry.subdir.clone().or(record.map(|r| r.host.clone())),
        timestamp: Some(timestamp),
        age_seconds: Some(age),
        interval_seconds: Some(interval),
        ratio: Some(age as f64 / interval as f64),
        path: Some(entry.path.clone()),
        ..j
    };
    super::schedule::refine(j, job, entry, policy)
}

/// The rule for a `running` record `elapsed` seconds after its start, worst first.
fn judge_running(job: &Job, r: &Heartbeat, elapsed: u64, policy: &Policy) -> Judgement {
    let since = r.started_at.unwrap_or(r.timestamp);
    let by_factor = || default_max_runtime(policy.factor, r.interval_seconds);
    let max = r.max_runtime_seconds.unwrap_or_else(by_factor);
    // A record from before `last` was kept says a failure by its count.
    let last = r.last.as_ref();
    let by_count = r.consecutive_failures.is_some_and(|n| n > 0);
    let last_failed = last.map_or(by_count, |l| l.status == RunStatus::Fail);
    let (running, max_text) = (format_duration(elapsed), format_duration(max));
    // Quiet for longer than `--stall-after`: no output, no keepalive.
    let quiet = r.stall_after_seconds.and_then(|limit| {
        let heard = r.progress_at.map_or(since, |at| at.max(since));
        let quiet = (policy.now - heard).num_seconds().max(0) as u64;
        (quiet > limit).then_some((quiet, limit))
    });
    let (status, reason) = if elapsed > max {
        let reason = format!("running for {running}, longer than its maximum of {max_text}: hung?");
        (Status::Stale, reason)
    } else if job.wrapper_alive == Some(false) {
        let reason = format!(
            "wrapper gone: the run started {running} ago and its wrapper no longer runs on this host"
        );
        (Status::Stale, reason)
    } else if let Some((quiet, limit)) = quiet {
        let (quiet, limit) = (format_duration(quiet), format_duration(limit));
        let reason = format!(
            "stalled: no output or keepalive for {quiet}, more than its --stall-after of {limit}"
        );
        (Status::Stale, reason)
    } else if last_failed {
        let failure = super::failure(last.and_then(|l| l.exit_code));
        let since = super::schedule::local(since, chrono_tz::Tz::UTC);
        let reason = format!("{failure}; running again since {since}");
        (Status::Failed, reason)
    } else if let Some((usual, limit)) = runs::duration(job.recent)
        .map(|usual| (usual, usual.saturating_mul(runs::RUNNING_LONG_MARGIN)))
        .filter(|(_, limit)| elapsed > *limit)
    {
        let reason = format!(
            "running long: running for {running}, usually {} ({}x that is {})",
            format_duration(usual),
            runs::RUNNING_LONG_MARGIN,
            format_duration(limit)
        );
        (Status::Late, reason)
    } else {
        let reason = format!("running for {running}, within its maximum of {max_text}");
        (Status::Running, reason)
    };
    Judgement {
        exit_code: last.and_then(|l| l.exit_code),
        message: last.and_then(|l| l.message.clone()).or(r.message.clone()),
        // Unknown counts one, as for a finished failed run.
        consecutive_failures: last_failed.then(|| {
            let counted = (last.and_then(|l| l.consecutive_failures)).or(r.consecutive_failures);
            counted.map_or(1, |n| n.max(1))
        }),
        ..Judgement::bare(job.name, status, Some(reason))
    }
}

/// Why a failed run failed: the wrapper's rule or the exit code, and the
/// attempt it failed on; said alike by the interval and the schedule rule.
pub(super) fn failed_reason(r: &Heartbeat) -> String {
    let mut text = match (&r.reason, r.exit_code) {
        (Some(rule), _) => format!("the last run failed: {rule}"),
        (None, code) => super::failure(code),
    };
    if let Some(a) = r.attempt.filter(|a| a.of > 1) {
        text.push_str(&format!("; failed on attempt {} of {}", a.number, a.of));
    }
    text
}

/// The interval rule for a finished run (`record` `None`: an empty file); runs per heartbeat.
fn finished(job: &str, record: Option<&Heartbeat>, age: u64, every: u64, factor: f64) -> Judgement {
    let stale = age as f64 > factor * every as f64;
    let failed = record.filter(|r| r.status == RunStatus::Fail);
    let attempt = record.and_then(|r| r.attempt).filter(|a| a.of > 1);
    let (status, reason) = if let Some(r) = failed.filter(|_| !stale) {
        (Status::Failed, Some(failed_reason(r)))
    } else if !stale && age <= every {
        let fast = (record.and_then(|r| r.fast.as_ref())).map(|f| format!("fast: {f}"));
        let retried = (attempt.filter(|a| a.number > 1))
            .map(|a| format!("succeeded on attempt {} of {}", a.number, a.of));
        let said: Vec<String> = fast.into_iter().chain(retried).collect();
        (Status::Ok, (!said.is_empty()).then(|| said.join("; ")))
    } else {
        let (silent, every) = (format_duration(age), format_duration(every));
        let reason = if stale {
            format!("silent for {silent}, more than {factor}x its interval of {every}")
        } else {
            format!("last seen {silent} ago, past its interval of {every}")
        };
        let status = if stale { Status::Stale } else { Status::Late };
        (status, Some(reason))
    };
    Judgement {
        exit_code: record.and_then(|r| r.exit_code),
        message: record.and_then(|r| r.message.clone()),
        // The wrapper counts them; other writers may not.
        consecutive_failures: failed.and_then(|r| r.consecutive_failures),
        ..Judgement::bare(job, status, reason)
    }
}
