//! Causes as people and programs read them: text, JSON, the host's Prometheus gauges.

use std::io::{self, Write};

use serde_json::{json, Value};

use super::{key, run::Stamp, Causes, Kind};
use crate::escape::terminal;
use crate::judge::Judgement;
use crate::metrics::{header, label_value};
use crate::report::{write_line, write_lines, CauseFields};

/// Each cause once with its jobs indented under it, then the other rows as hb-check lists them.
pub(crate) fn write_text(
    out: &mut Vec<u8>,
    jobs: &[Judgement],
    fleet: &crate::fleet::Fleet,
    causes: &Causes,
    all: bool,
) -> io::Result<()> {
    if causes.list.is_empty() {
        return write_lines(out, jobs, fleet, all);
    }
    let mut shown = vec![false; jobs.len()];
    for cause in &causes.list {
        match cause.by {
            Some(root) => {
                write_line(out, &jobs[root], &jobs[root].job, "")?;
                shown[root] = true;
            }
            None => writeln!(out, "{}", terminal(&cause.text))?,
        }
        for &row in &cause.jobs {
            let tag = match cause.kind {
                Kind::CronDown => " (cron down)".to_owned(),
                Kind::HostDown => " (host down)".to_owned(),
                Kind::CheckerGap => String::new(),
                Kind::Blocked => {
                    let by = causes.blocked_by[row].map_or("", |p| jobs[p].job.as_str());
                    format!(", blocked (by {})", terminal(by))
                }
            };
            write!(out, "  ")?;
            write_line(out, &jobs[row], &jobs[row].job, &tag)?;
            shown[row] = true;
        }
    }
    let rest: Vec<Judgement> = (jobs.iter().zip(&shown))
        .filter(|(_, shown)| !**shown)
        .map(|(j, _)| j.clone())
        .collect();
    write_lines(out, &rest, fleet, all)
}

/// hb-check's JSON `causes` (`kind`, `text`, `jobs` as `host/job`, what its kind knows)
/// and each row's `cause` (`{"kind": "blocked", "by": "nfs-mount"}`).
pub(crate) fn json_fields(jobs: &[Judgement], causes: &Causes) -> CauseFields {
    let name = |row: usize| key(jobs[row].host.as_deref(), &jobs[row].job);
    let list = (causes.list.iter()).map(|c| {
        let cron = c.kind == Kind::CronDown;
        let names: Vec<String> = c.jobs.iter().map(|&r| name(r)).collect();
        let missed = (c.kind == Kind::HostDown).then_some(c.missed);
        let fields = [
            ("kind", json!(c.kind)),
            ("text", json!(c.text)),
            ("jobs", json!(names)),
            ("since", json!(c.from.filter(|_| cron).map(Stamp))),
            ("from", json!(c.from.filter(|_| !cron).map(Stamp))),
            ("to", json!(c.to.map(Stamp))),
            ("missed_runs", json!(missed)),
            ("by", json!(c.by.map(name))),
        ];
        let set = fields.into_iter().filter(|(_, v)| !v.is_null());
        Value::Object(set.map(|(k, v)| (k.to_owned(), v)).collect())
    });
    let of_job = (causes.of_job.iter().zip(&causes.blocked_by)).map(|(of, by)| {
        let cause = &causes.list[(*of)?];
        let (kind, from, to) = (cause.kind, cause.from.map(Stamp), cause.to.map(Stamp));
        Some(match kind {
            Kind::CronDown => json!({"kind": kind, "since": from}),
            Kind::HostDown | Kind::CheckerGap => json!({"kind": kind, "from": from, "to": to}),
            Kind::Blocked => json!({"kind": kind, "by": by.map(|p| &jobs[p].job)}),
        })
    });
    CauseFields {
        causes: list.collect(),
        of_job: of_job.collect(),
    }
}

/// The host's gauges: cron running (crontabs judged), boot time, and each blocked job.
pub(crate) fn write_metrics(
    out: &mut dyn io::Write,
    host: &str,
    jobs: &[Judgement],
    causes: &Causes,
) -> io::Result<()> {
    let host = label_value(host);
    let mut gauge = |name: &str, help: &str, value: Option<i64>| -> io::Result<()> {
        if let Some(value) = value {
            header(out, name, help)?;
            writeln!(out, "{name}{{host=\"{host}\"}} {value}")?;
        }
        Ok(())
    };
    let cron = causes.cron_runs.map(i64::from);
    let help = "1 when a cron daemon runs on the host, 0 when none does.";
    gauge("cron_heartbeat_cron_running", help, cron)?;
    let boot = causes.boot.map(|b| b.timestamp());
    let help = "Unix time the host booted.";
    gauge("cron_heartbeat_boot_time_seconds", help, boot)?;
    let name = "cron_heartbeat_job_blocked";
    let help = "1 for a job whose trouble comes from a bad job it needs (by).";
    header(out, name, help)?;
    for (j, by) in jobs.iter().zip(&causes.blocked_by) {
        let Some(by) = by else { continue };
        let job_host = j.host.as_deref().map_or(host.clone(), label_value);
        let (job, by) = (label_value(&j.job), label_value(&jobs[*by].job));
        let labels = format!("cron_job=\"{job}\",host=\"{job_host}\",by=\"{by}\"");
        writeln!(out, "{name}{{{labels}}} 1")?;
    }
    Ok(())
}
