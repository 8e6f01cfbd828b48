//! hb-check's text output: one line per job.

use std::io;

use super::round_ratio;
use crate::escape::terminal;
use crate::judge::{Judgement, Status};
use crate::record::format_duration;

/// Writes one line per job, `job status: age, interval, ratio: reason`, in
/// the order given. With `all` false, ok jobs are left out.
pub fn write_lines(out: &mut impl io::Write, jobs: &[Judgement], all: bool) -> io::Result<()> {
    let hosts = jobs.iter().filter_map(|j| j.host.as_deref());
    let several_hosts = hosts.clone().zip(hosts.skip(1)).any(|(a, b)| a != b);
    for j in jobs.iter().filter(|j| all || j.status != Status::Ok) {
        let name = match (&j.host, several_hosts) {
            (Some(host), true) => format!("{}/{}", terminal(host), terminal(&j.job)),
            _ => terminal(&j.job).into_owned(),
        };
        write!(out, "{name} {}", j.status)?;
        if let (Some(age), Some(interval), Some(ratio)) =
            (j.age_seconds, j.interval_seconds, j.ratio)
        {
            write!(
                out,
                ": age {}, interval {}, ratio {}x",
                format_duration(age),
                format_duration(interval),
                round_ratio(ratio)
            )?;
        }
        match &j.reason {
            Some(reason) => writeln!(out, ": {}", terminal(reason))?,
            None => writeln!(out)?,
        }
    }
    Ok(())
}
