//! Prometheus text exposition of judged jobs, for node_exporter's textfile
//! collector or any scraper of `.prom` files.

use std::io;

use crate::judge::{summary, Judgement, Status};
use crate::report::Report;

/// Every job's metrics in the Prometheus text format (0.0.4), labelled
/// `cron_job` (Prometheus keeps `job` for the scrape target) and `host`. A
/// value a job lacks (a missing job's age) is left out, not faked.
pub(crate) fn write_prometheus(out: &mut impl io::Write, report: &Report) -> io::Result<()> {
    let jobs = report.jobs;
    let labels = |j: &Judgement| {
        let host = label_value(j.host.as_deref().unwrap_or_default());
        format!("cron_job=\"{}\",host=\"{host}\"", label_value(&j.job))
    };
    let name = "cron_heartbeat_status";
    header(out, name, "1 for the job's current status (ok, late, stale, failed, invalid, missing), 0 for the others.")?;
    for j in jobs {
        let labels = labels(j);
        for status in Status::ALL {
            let value = u8::from(j.status == status);
            writeln!(out, "{name}{{{labels},status=\"{status}\"}} {value}")?;
        }
    }
    // A gauge `cron_heartbeat_{name}` of every job that has a value.
    let mut gauge = |name: &str, help: &str, value: fn(&Judgement) -> Option<f64>| {
        let name = format!("cron_heartbeat_{name}");
        header(out, &name, help)?;
        for (j, v) in jobs.iter().filter_map(|j| Some((j, value(j)?))) {
            writeln!(out, "{name}{{{}}} {v}", labels(j))?;
        }
        io::Result::Ok(())
    };
    let help = "Unix time of the job's last heartbeat.";
    let seen = |j: &Judgement| Some(j.timestamp?.timestamp() as f64);
    gauge("last_seen_timestamp_seconds", help, seen)?;
    let help = "Seconds from the job's last heartbeat to the check.";
    gauge("age_seconds", help, |j| Some(j.age_seconds? as f64))?;
    let help = "How often the job is expected to write a heartbeat.";
    let every = |j: &Judgement| Some(j.interval_seconds? as f64);
    gauge("interval_seconds", help, every)?;
    let help = "Age divided by interval; stale above the factor.";
    gauge("ratio", help, |j| j.ratio)?;
    let help = "The exit code the job's last run reported.";
    gauge("last_exit_code", help, |j| j.exit_code.map(f64::from))?;
    header(out, "cron_heartbeat_jobs", "Jobs per status.")?;
    for (status, count) in summary(jobs) {
        writeln!(out, "cron_heartbeat_jobs{{status=\"{status}\"}} {count}")?;
    }
    // The `--quorum` rules, for `CronJobBelowQuorum` in contrib/prometheus.
    let name = "cron_heartbeat_quorum_hosts";
    let help = "The least number of hosts the job must be ok on (--quorum).";
    if !report.fleet.quorum.is_empty() {
        header(out, name, help)?;
    }
    for q in &report.fleet.quorum {
        let job = label_value(&q.job);
        writeln!(out, "{name}{{cron_job=\"{job}\"}} {}", q.min)?;
    }
    let name = "cron_heartbeat_factor";
    header(out, name, "Jobs are stale past this many intervals.")?;
    writeln!(out, "{name} {}", report.factor)?;
    let name = "cron_heartbeat_checked_timestamp_seconds";
    header(out, name, "Unix time the jobs were judged at.")?;
    writeln!(out, "{name} {}", report.checked_at.timestamp())
}

pub(crate) fn header(out: &mut dyn io::Write, name: &str, help: &str) -> io::Result<()> {
    writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge")
}

/// A label value: unsafe characters (a line feed too: the format has no
/// escape for them) as [`crate::escape::terminal`] says them, then `\` and `"`.
pub(crate) fn label_value(text: &str) -> String {
    crate::escape::rewrite(text, |out, c| {
        if matches!(c, '\\' | '"') {
            out.push('\\');
        }
        out.push(c);
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use std::path::PathBuf;

    fn judged(job: &str, status: Status) -> Judgement {
        Judgement {
            host: Some("web1".to_owned()),
            status,
            timestamp: Some(Utc.timestamp_opt(1_800_000_000, 0).unwrap()),
            age_seconds: Some(900),
            interval_seconds: Some(300),
            ratio: Some(3.0),
            reason: None,
            path: Some(PathBuf::from("/hb/x.last")),
            ..Judgement::missing(job)
        }
    }

    #[test]
    fn every_job_gets_one_hot_status_and_its_gauges() {
        let jobs = [judged("backup", Status::Stale), Judgement::missing("ghost")];
        let report = Report::new(Utc.timestamp_opt(1_800_000_900, 0).unwrap(), 2.0, &jobs);
        let mut out = Vec::new();
        write_prometheus(&mut out, &report).unwrap();
        let text = String::from_utf8(out).unwrap();
        let has = |line: &str| assert!(text.lines().any(|l| l == line), "{line} in:\n{text}");
        has(r#"cron_heartbeat_status{cron_job="backup",host="web1",status="stale"} 1"#);
        has(r#"cron_heartbeat_status{cron_job="backup",host="web1",status="ok"} 0"#);
        has(r#"cron_heartbeat_status{cron_job="ghost",host="",status="missing"} 1"#);
        has(r#"cron_heartbeat_age_seconds{cron_job="backup",host="web1"} 900"#);
        has(
            r#"cron_heartbeat_last_seen_timestamp_seconds{cron_job="backup",host="web1"} 1800000000"#,
        );
        has(r#"cron_heartbeat_jobs{status="missing"} 1"#);
        has("cron_heartbeat_checked_timestamp_seconds 1800000900");
        assert!(
            !text.contains(r#"cron_heartbeat_age_seconds{cron_job="ghost""#),
            "no fake age"
        );
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label_value(r#"a"b\c"#), r#"a\"b\\c"#);
        assert_eq!(label_value("x\ny"), "x\\\\u{a}y");
        assert_eq!(
            label_value("a\u{202e}b\u{200b}"),
            "a\\\\u{202e}b\\\\u{200b}"
        );
    }
}
