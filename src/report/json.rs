//! The JSON document of `hb-check` and `night-watch` (`--format json`).

use std::io;

use chrono::SecondsFormat;
use serde::{ser::SerializeMap, Serialize};

use super::{round_ratio, Report};
use crate::fleet::{Group, QuorumVerdict};
use crate::judge::{summary, Judgement};
use std::path::Path;

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

/// One job: its fields in the document's order, each named once; those a
/// job may lack are left out rather than `null`.
struct Job<'a>(&'a Judgement, Option<&'a serde_json::Value>);

impl Serialize for Job<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (j, e, p) = (self.0, self.0.expected.as_deref(), self.0.pause.as_deref());
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("job", &j.job)?;
        m.serialize_entry("host", &j.host)?;
        m.serialize_entry("status", &j.status)?;
        m.serialize_entry("timestamp", &j.timestamp.map(secs))?;
        m.serialize_entry("age_seconds", &j.age_seconds)?;
        m.serialize_entry("interval_seconds", &j.interval_seconds)?;
        m.serialize_entry("ratio", &j.ratio.map(|r| round_ratio(r, 2)))?;
        m.serialize_entry("reason", &j.reason)?;
        m.serialize_entry("path", &j.path.as_deref().map(Path::to_string_lossy))?;
        m.serialize_entry("exit_code", &j.exit_code)?;
        m.serialize_entry("message", &j.message)?;
        some(&mut m, "paused_until", p.map(|p| secs(p.until)))?;
        some(&mut m, "pause_reason", p.and_then(|p| p.reason.as_ref()))?;
        some(&mut m, "consecutive_failures", j.consecutive_failures)?;
        some(&mut m, "schedule", e.map(|e| &e.schedule))?;
        some(&mut m, "time_zone", e.map(|e| e.zone.name()))?;
        some(&mut m, "due_at", e.and_then(|e| e.due_at).map(secs))?;
        some(&mut m, "grace_seconds", e.and_then(|e| e.grace_seconds))?;
        some(&mut m, "expectation", e.map(|e| &e.source))?;
        let dups: Vec<_> = j.duplicates.iter().map(|p| p.to_string_lossy()).collect();
        some(&mut m, "duplicates", (!dups.is_empty()).then_some(dups))?;
        let recent = j.recent.as_ref().map(|r| Recent {
            runs: &r.marks,
            strip: r.strip(false),
            success_rate: r.success_rate.map(|s| (s * 1000.0).round() / 1000.0),
            median_duration_seconds: r.median_duration,
        });
        some(&mut m, "recent", recent)?;
        some(&mut m, "cause", self.1)?;
        m.end()
    }
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

/// `value` under `key`, or nothing.
fn some<M: SerializeMap>(m: &mut M, key: &str, v: Option<impl Serialize>) -> Result<(), M::Error> {
    v.map_or(Ok(()), |v| m.serialize_entry(key, &v))
}

fn secs(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `report` as one JSON document; `errors`, `unread_crontabs`, `causes` if any.
pub(crate) fn write_json(
    out: &mut impl io::Write,
    report: &Report,
    errors: &[String],
    unread_crontabs: &[std::path::PathBuf],
    causes: Option<&CauseFields>,
) -> io::Result<()> {
    let counts = summary(report.jobs).into_iter();
    let unread = unread_crontabs.iter().map(|p| p.to_string_lossy());
    let doc = Document {
        checked_at: secs(report.checked_at),
        factor: report.factor,
        jobs: (report.jobs.iter().enumerate())
            .map(|(row, j)| Job(j, causes.and_then(|c| c.of_job.get(row)?.as_ref())))
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
