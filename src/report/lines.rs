//! hb-check's text output: one line per job, and one line for the same job
//! in the same bad status on several hosts.

use std::io;

use super::content::{due, entries, format_ratio, job_name, several_hosts};
use crate::escape::terminal;
use crate::fleet::Fleet;
use crate::judge::{Judgement, Status};
use crate::record::format_duration;

/// Writes the quorum rules that need saying, then a [`write_line`] per job,
/// a group of `fleet` one line (`backup stale on 40 of 42 hosts:
/// web01..web40`). Without `all`, ok and paused jobs are left out: a run
/// whose exit code is 0 prints nothing, so cron mails nothing.
pub(crate) fn write_lines(
    out: &mut impl io::Write,
    jobs: &[Judgement],
    fleet: &Fleet,
    all: bool,
) -> io::Result<()> {
    for verdict in fleet.quorum.iter().filter(|q| q.worth_saying()) {
        writeln!(out, "{}", terminal(&verdict.line()))?;
    }
    let several_hosts = several_hosts(jobs);
    let quiet = |s: Status| s.is_healthy() || s == Status::Paused;
    let shown = jobs.iter().filter(|j| all || !quiet(j.status));
    for (j, group) in entries(shown, fleet) {
        match group {
            Some(group) => writeln!(out, "{}", terminal(&group.line()))?,
            None => write_line(
                out,
                j,
                &job_name(j.host.as_deref(), &j.job, several_hosts),
                "",
            )?,
        }
    }
    Ok(())
}

/// One job's line, `name status: age, interval, ratio: reason` (or `age,
/// due 03:10, missed` by a schedule), with `tag` (escaped) after the status.
pub(crate) fn write_line(
    out: &mut impl io::Write,
    j: &Judgement,
    name: &str,
    tag: &str,
) -> io::Result<()> {
    write!(out, "{} {}{tag}", terminal(name), j.status)?;
    if let Some(due) = due(j) {
        match j.age_seconds {
            Some(age) => write!(out, ": age {}, due {due}", format_duration(age))?,
            None => write!(out, ": due {due}")?,
        }
    } else if let (Some(age), Some(interval)) = (j.age_seconds, j.interval_seconds) {
        write!(
            out,
            ": age {}, interval {}, ratio {}",
            format_duration(age),
            format_duration(interval),
            format_ratio(j.ratio)
        )?;
    }
    match &j.reason {
        Some(reason) => writeln!(out, ": {}", terminal(reason)),
        None => writeln!(out),
    }
}
