//! hb-check's text output: one line per job.

use std::io;

use super::content::{due_text, format_ratio, job_name, several_hosts};
use crate::escape::terminal;
use crate::judge::{Judgement, Status};
use crate::record::format_duration;

/// Writes one line per job, `job status: age, interval, ratio: reason` (or
/// `job status: age, due 03:10, missed: reason` for a job judged by its
/// schedule), in the order given. With `all` false, ok and paused jobs are
/// left out: a run whose exit code is 0 prints nothing, so cron mails
/// nothing.
pub(crate) fn write_lines(
    out: &mut impl io::Write,
    jobs: &[Judgement],
    all: bool,
) -> io::Result<()> {
    let several_hosts = several_hosts(jobs);
    let quiet = |s: Status| s.is_healthy() || s == Status::Paused;
    for j in jobs.iter().filter(|j| all || !quiet(j.status)) {
        let name = job_name(j.host.as_deref(), &j.job, several_hosts);
        write!(out, "{} {}", terminal(&name), j.status)?;
        if let Some(due) = due_text(j) {
            match j.age_seconds {
                Some(age) => write!(out, ": age {}, {due}", format_duration(age))?,
                None => write!(out, ": {due}")?,
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
            Some(reason) => writeln!(out, ": {}", terminal(reason))?,
            None => writeln!(out)?,
        }
    }
    Ok(())
}
