//! The JSON document of `hb-check` and `night-watch` (`--format json`).

use std::io;

use chrono::SecondsFormat;
use serde::Serialize;

use super::{round_ratio, Report};
use crate::fleet::{Group, QuorumVerdict};
use crate::judge::{summary, Status};

#[derive(Serialize)]
struct Document<'a> {
    checked_at: String,
    factor: f64,
    jobs: Vec<Job<'a>>,
    summary: std::collections::BTreeMap<&'static str, usize>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    errors: &'a [String],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    unread_crontabs: Vec<std::borrow::Cow<'a, str>>,
    #[serde(skip_serializing_if = "<[Group]>::is_empty")]
    groups: &'a [Group],
    #[serde(skip_serializing_if = "<[QuorumVerdict]>::is_empty")]
    quorum: &'a [QuorumVerdict],
    #[serde(skip_serializing_if = "Option::is_none")]
    causes: Option<&'a [serde_json::Value]>,
}

#[derive(Serialize)]
struct Job<'a> {
    job: &'a str,
    host: Option<&'a str>,
    status: Status,
    timestamp: Option<String>,
    age_seconds: Option<u64>,
    interval_seconds: Option<u64>,
    ratio: Option<f64>,
    reason: Option<&'a str>,
    path: Option<std::borrow::Cow<'a, str>>,
    exit_code: Option<i32>,
    message: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    paused_until: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pause_reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    consecutive_failures: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    schedule: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    time_zone: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    due_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    grace_seconds: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expectation: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    duplicates: Vec<std::borrow::Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recent: Option<Recent<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cause: Option<&'a serde_json::Value>,
}

#[derive(Serialize)]
struct Recent<'a> {
    runs: &'a [crate::history::Mark],
    strip: String,
    success_rate: Option<f64>,
    median_duration_seconds: Option<f64>,
}

/// The run's `causes`, and each job's `cause` by its place in the jobs.
#[derive(Debug, Clone, Default)]
pub(crate) struct CauseFields {
    pub causes: Vec<serde_json::Value>,
    pub of_job: Vec<Option<serde_json::Value>>,
}

/// `report` as one JSON document; `errors`, `unread_crontabs`, `causes` if any.
pub(crate) fn write_json(
    out: &mut impl io::Write,
    report: &Report,
    errors: &[String],
    unread_crontabs: &[std::path::PathBuf],
    causes: Option<&CauseFields>,
) -> io::Result<()> {
    let secs = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    let counts = summary(report.jobs).into_iter();
    let unread = unread_crontabs.iter().map(|p| p.to_string_lossy());
    let doc = Document {
        checked_at: secs(report.checked_at),
        factor: report.factor,
        jobs: (report.jobs.iter().enumerate())
            .map(|(row, j)| Job {
                cause: causes.and_then(|c| c.of_job.get(row)?.as_ref()),
                job: &j.job,
                host: j.host.as_deref(),
                status: j.status,
                timestamp: j.timestamp.map(secs),
                age_seconds: j.age_seconds,
                interval_seconds: j.interval_seconds,
                ratio: j.ratio.map(|r| round_ratio(r, 2)),
                reason: j.reason.as_deref(),
                path: j.path.as_deref().map(std::path::Path::to_string_lossy),
                exit_code: j.exit_code,
                message: j.message.as_deref(),
                paused_until: j.pause.as_ref().map(|p| secs(p.until)),
                pause_reason: j.pause.as_ref().and_then(|p| p.reason.as_deref()),
                consecutive_failures: j.consecutive_failures,
                schedule: j.expected.as_ref().map(|e| e.schedule.as_str()),
                time_zone: j.expected.as_ref().map(|e| e.zone.name()),
                due_at: j.expected.as_ref().and_then(|e| e.due_at).map(secs),
                grace_seconds: j.expected.as_ref().and_then(|e| e.grace_seconds),
                expectation: j.expected.as_ref().map(|e| e.source.as_str()),
                recent: j.recent.as_ref().map(|r| Recent {
                    runs: &r.marks,
                    strip: r.strip(false),
                    success_rate: r.success_rate.map(|s| (s * 1000.0).round() / 1000.0),
                    median_duration_seconds: r.median_duration,
                }),
                duplicates: j.duplicates.iter().map(|p| p.to_string_lossy()).collect(),
            })
            .collect(),
        summary: counts.map(|(status, n)| (status.as_str(), n)).collect(),
        errors,
        causes: causes.map(|c| &c.causes[..]),
        unread_crontabs: unread.collect(),
        groups: &report.fleet.groups,
        quorum: &report.fleet.quorum,
    };
    crate::escape::write_json(&mut *out, &doc)?;
    writeln!(out)
}
