//! The JSON document of `hb-check` and `night-watch` (`--format json`).

use std::io;
use std::path::{Path, PathBuf};

use serde::{ser::SerializeMap, Serialize};

use super::{round_ratio, Report};
use crate::judge::{summary, Judgement};
use crate::record::rfc3339;

/// The report with its errors, unread crontabs and causes; an empty list is left out.
struct Document<'a>(&'a Report<'a>, &'a [String], &'a [PathBuf], Causes<'a>);

type Causes<'a> = Option<&'a CauseFields>;

impl Serialize for Document<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (report, causes) = (self.0, self.3);
        let jobs = report.jobs.iter().enumerate();
        let jobs = jobs.map(|(row, j)| Job(j, causes.and_then(|c| c.of_job.get(row)?.as_ref())));
        let counts = summary(report.jobs).into_iter();
        let counts: std::collections::BTreeMap<_, _> =
            counts.map(|(s, n)| (s.as_str(), n)).collect();
        let unread: Vec<_> = self.2.iter().map(|p| p.to_string_lossy()).collect();
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("checked_at", &rfc3339(report.checked_at))?;
        m.serialize_entry("factor", &report.factor)?;
        m.serialize_entry("jobs", &jobs.collect::<Vec<_>>())?;
        m.serialize_entry("summary", &counts)?;
        some(&mut m, "errors", listed(self.1))?;
        some(&mut m, "unread_crontabs", listed(&unread))?;
        some(&mut m, "groups", listed(&report.fleet.groups))?;
        some(&mut m, "quorum", listed(&report.fleet.quorum))?;
        some(&mut m, "causes", causes.map(|c| &c.causes))?;
        m.end()
    }
}

/// One job; the fields a job may lack are left out rather than `null`.
struct Job<'a>(&'a Judgement, Option<&'a serde_json::Value>);

impl Serialize for Job<'_> {
    fn serialize<S: serde::Serializer>(&self, out: S) -> Result<S::Ok, S::Error> {
        let (j, e, p) = (self.0, self.0.expected.as_deref(), self.0.pause.as_deref());
        let mut m = out.serialize_map(None)?;
        m.serialize_entry("job", &j.job)?;
        m.serialize_entry("host", &j.host)?;
        m.serialize_entry("status", &j.status)?;
        m.serialize_entry("timestamp", &j.timestamp.map(rfc3339))?;
        m.serialize_entry("age_seconds", &j.age_seconds)?;
        m.serialize_entry("interval_seconds", &j.interval_seconds)?;
        m.serialize_entry("ratio", &j.ratio.map(|r| round_ratio(r, 2)))?;
        m.serialize_entry("reason", &j.reason)?;
        m.serialize_entry("path", &j.path.as_deref().map(Path::to_string_lossy))?;
        m.serialize_entry("exit_code", &j.exit_code)?;
        m.serialize_entry("message", &j.message)?;
        some(&mut m, "paused_until", p.map(|p| rfc3339(p.until)))?;
        some(&mut m, "pause_reason", p.and_then(|p| p.reason.as_ref()))?;
        some(&mut m, "consecutive_failures", j.consecutive_failures)?;
        some(&mut m, "schedule", e.map(|e| &e.schedule))?;
        some(&mut m, "time_zone", e.map(|e| e.zone.name()))?;
        some(&mut m, "due_at", e.and_then(|e| e.due_at).map(rfc3339))?;
        some(&mut m, "grace_seconds", e.and_then(|e| e.grace_seconds))?;
        some(&mut m, "expectation", e.map(|e| &e.source))?;
        let dups: Vec<_> = j.duplicates.iter().map(|p| p.to_string_lossy()).collect();
        some(&mut m, "duplicates", listed(&dups))?;
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

fn listed<T>(items: &[T]) -> Option<&[T]> {
    (!items.is_empty()).then_some(items)
}

/// `report` as one JSON document; `errors`, `unread_crontabs`, `causes` if any.
pub(crate) fn write_json(
    out: &mut impl io::Write,
    report: &Report,
    errors: &[String],
    unread_crontabs: &[PathBuf],
    causes: Causes,
) -> io::Result<()> {
    let doc = Document(report, errors, unread_crontabs, causes);
    crate::escape::write_json(&mut *out, &doc)?;
    writeln!(out)
}
