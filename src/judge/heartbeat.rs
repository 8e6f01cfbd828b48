//! What a heartbeat alone says: the interval rule for a finished run, and
//! the rule for a run in progress (hung, wrapper gone, or as bad as the run
//! before it). Pure.

use super::{Facts, Judgement, Policy, Status, FUTURE_TOLERANCE_SECONDS};
use crate::record::{default_max_runtime, format_duration, Content, Entry, Heartbeat, RunStatus};

/// What the heartbeat alone says, before its schedule, threshold and
/// pause are weighed: the interval rule, or the rule for a run in progress.
pub(super) fn by_record(entry: &Entry, facts: Facts, policy: &Policy) -> Judgement {
    let content = match &entry.content {
        Ok(content) => content,
        Err(reason) => return Judgement::invalid(entry, reason.clone()),
    };
    if let Content::Record(r) = content {
        if r.status == RunStatus::Running {
            return judge_running(entry, r, facts, policy);
        }
    }
    let (timestamp, interval, run, host, exit_code, message) = match content {
        Content::Record(r) => (
            r.timestamp,
            r.interval_seconds,
            r.status,
            Some(r.host.clone()),
            r.exit_code,
            r.message.clone(),
        ),
        Content::Empty { modified } => match policy.default_interval {
            Some(interval) => (*modified, interval, RunStatus::Ok, None, None, None),
            None => {
                return Judgement::invalid(
                    entry,
                    "the file is empty; give --default-interval to judge empty files by their modification time".to_owned(),
                )
            }
        },
    };
    let age = (policy.now - timestamp).num_seconds();
    if age < -FUTURE_TOLERANCE_SECONDS {
        return Judgement::invalid(
            entry,
            format!(
                "the timestamp {} is {} in the future; check the clock of the host that wrote it",
                timestamp.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                format_duration(age.unsigned_abs())
            ),
        );
    }
    let age = age.max(0) as u64;
    let ratio = age as f64 / interval as f64;
    let (status, mut reason) = interval_rule(age, interval, policy.factor, run);
    if let Content::Record(r) = content {
        reason = wrapper_said(r, status, reason);
    } else if let (Status::Failed, Some(code), Some(reason)) = (status, exit_code, reason.as_mut())
    {
        reason.push_str(&format!(" (exit code {code})"));
    }
    Judgement {
        job: entry.job.clone(),
        host: entry.subdir.clone().or(host),
        status,
        timestamp: Some(timestamp),
        age_seconds: Some(age),
        interval_seconds: Some(interval),
        ratio: Some(ratio),
        reason,
        path: Some(entry.path.clone()),
        exit_code,
        message,
        pause: None,
        // Where the writer counted them (the wrapper does), the record says
        // how many runs in a row failed.
        consecutive_failures: match content {
            Content::Record(r) if r.status == RunStatus::Fail => r.consecutive_failures,
            _ => None,
        },
        recent: None,
        expected: None,
        duplicates: Vec::new(),
    }
}

/// The rule for a `running` record: `stale` when the run is hung (past its
/// maximum runtime, recorded, else factor x interval), its wrapper is gone
/// or it stalled (silent past its `--stall-after`); else as bad as the last finished run it carries (`failed` while
/// that failed), and `running` only when that run was ok or there is none.
fn judge_running(entry: &Entry, r: &Heartbeat, facts: Facts, policy: &Policy) -> Judgement {
    let since = r.started_at.unwrap_or(r.timestamp);
    let elapsed = (policy.now - since).num_seconds();
    if elapsed < -FUTURE_TOLERANCE_SECONDS {
        return Judgement::invalid(
            entry,
            format!(
                "the run started {} in the future; check the clock of the host that wrote it",
                format_duration(elapsed.unsigned_abs())
            ),
        );
    }
    let elapsed = elapsed.max(0) as u64;
    let max = r
        .max_runtime_seconds
        .unwrap_or_else(|| default_max_runtime(policy.factor, r.interval_seconds));
    // A record from before `last` was kept says a failure by its count.
    let last = r.last.as_ref();
    let last_failed = match last {
        Some(last) => last.status == RunStatus::Fail,
        None => r.consecutive_failures.is_some_and(|n| n > 0),
    };
    let running = format_duration(elapsed);
    let max_text = format_duration(max);
    // Quiet for longer than `--stall-after`: no output, no keepalive.
    let quiet = r.stall_after_seconds.and_then(|limit| {
        let heard = r.progress_at.map_or(since, |at| at.max(since));
        let quiet = (policy.now - heard).num_seconds().max(0) as u64;
        (quiet > limit).then_some((quiet, limit))
    });
    let (status, reason) = if elapsed > max {
        let reason = format!("running for {running}, longer than its maximum of {max_text}: hung?");
        (Status::Stale, reason)
    } else if facts.wrapper_alive == Some(false) {
        let reason = format!(
            "wrapper gone: the run started {running} ago and its wrapper no longer runs on this host"
        );
        (Status::Stale, reason)
    } else if let Some((quiet, limit)) = quiet {
        let reason = format!(
            "stalled: no output or keepalive for {}, more than its --stall-after of {}",
            format_duration(quiet),
            format_duration(limit)
        );
        (Status::Stale, reason)
    } else if last_failed {
        let code = last
            .and_then(|l| l.exit_code)
            .map_or(String::new(), |code| format!(" (exit code {code})"));
        let since = super::schedule::local(since, chrono_tz::Tz::UTC);
        let reason = format!("the last run reported failure{code}; running again since {since}");
        (Status::Failed, reason)
    } else {
        let reason = format!("running for {running}, within its maximum of {max_text}");
        (Status::Running, reason)
    };
    let age = (policy.now - r.timestamp).num_seconds().max(0) as u64;
    Judgement {
        job: entry.job.clone(),
        host: entry.subdir.clone().or(Some(r.host.clone())),
        status,
        timestamp: Some(r.timestamp),
        age_seconds: Some(age),
        interval_seconds: Some(r.interval_seconds),
        ratio: Some(age as f64 / r.interval_seconds as f64),
        reason: Some(reason),
        path: Some(entry.path.clone()),
        exit_code: last.and_then(|l| l.exit_code),
        message: last.and_then(|l| l.message.clone()).or(r.message.clone()),
        pause: None,
        // Unknown counts one, as for a finished failed run.
        consecutive_failures: last_failed.then(|| {
            last.and_then(|l| l.consecutive_failures)
                .or(r.consecutive_failures)
                .unwrap_or(1)
                .max(1)
        }),
        recent: None,
        expected: None,
        duplicates: Vec::new(),
    }
}

/// The reason for a finished run, with what the wrapper knew: the rule that
/// failed a run (`--fail-on`, `--min-runtime`, ...) or its exit code, and
/// the attempt it ended on when it was retried.
fn wrapper_said(r: &Heartbeat, status: Status, reason: Option<String>) -> Option<String> {
    let attempt = r.attempt.filter(|a| a.of > 1).map(|a| (a.number, a.of));
    match (status, reason) {
        (Status::Failed, Some(reason)) => {
            let mut text = match (&r.reason, r.exit_code) {
                (Some(rule), _) => format!("the last run failed: {rule}"),
                (None, Some(code)) => format!("{reason} (exit code {code})"),
                (None, None) => reason,
            };
            if let Some((number, of)) = attempt {
                text.push_str(&format!("; failed on attempt {number} of {of}"));
            }
            Some(text)
        }
        (Status::Ok, None) => {
            let fast = r.fast.as_ref().map(|f| format!("fast: {f}"));
            let retried = attempt
                .filter(|(number, _)| *number > 1)
                .map(|(number, of)| format!("succeeded on attempt {number} of {of}"));
            match (fast, retried) {
                (Some(fast), Some(retried)) => Some(format!("{fast}; {retried}")),
                (fast, retried) => fast.or(retried),
            }
        }
        (_, reason) => reason,
    }
}

/// The status rule for a readable heartbeat, with its reason.
fn interval_rule(age: u64, interval: u64, factor: f64, run: RunStatus) -> (Status, Option<String>) {
    let silent = format_duration(age);
    let every = format_duration(interval);
    if age as f64 > factor * interval as f64 {
        let reason = format!("silent for {silent}, more than {factor}x its interval of {every}");
        (Status::Stale, Some(reason))
    } else if run == RunStatus::Fail {
        (
            Status::Failed,
            Some("the last run reported failure".to_owned()),
        )
    } else if age > interval {
        let reason = format!("last seen {silent} ago, past its interval of {every}");
        (Status::Late, Some(reason))
    } else {
        (Status::Ok, None)
    }
}
