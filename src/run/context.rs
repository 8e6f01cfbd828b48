//! What the runs read besides the heartbeats, and how it reaches the
//! judge: the pause files, the failure counts from the histories, and the
//! recent runs for the report.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::history::{consecutive_failures_with, recent};
use crate::judge::{apply, Context, Judgement, Status};
use crate::pause::Pause;
use crate::record::RunStatus;
use crate::store::{read_history, scan_pauses, PauseEntry};

/// Applies the pauses found in `dirs` and the failure threshold
/// `alert_after` to `jobs`, and adds an `invalid` row for each pause file
/// that cannot be used (a broken pause must not silence anything quietly).
pub fn hold(jobs: &mut Vec<Judgement>, dirs: &[PathBuf], alert_after: u32, now: DateTime<Utc>) {
    let pauses = scan_pauses(dirs);
    let judged = std::mem::take(jobs);
    jobs.extend(judged.into_iter().map(|judgement| {
        let consecutive_failures = (judgement.status == Status::Failed && alert_after > 1)
            .then(|| failures(&judgement))
            .flatten();
        let context = Context {
            pause: pause_for(&judgement, dirs, &pauses, now),
            consecutive_failures,
        };
        apply(judgement, context, alert_after)
    }));
    for bad in &pauses {
        if let Err(reason) = &bad.content {
            let name = bad.path.file_name().unwrap_or_default().to_string_lossy();
            let mut row = Judgement::missing(&name);
            row.status = Status::Invalid;
            row.reason = Some(format!("the pause file cannot be used: {reason}"));
            row.path = Some(bad.path.clone());
            jobs.push(row);
        }
    }
}

/// How many runs of a failed job failed in a row, from its history beside
/// the heartbeat.
fn failures(judgement: &Judgement) -> Option<u32> {
    let path = judgement.path.as_deref()?;
    let timestamp = judgement.timestamp?;
    let runs = read_history(path.parent()?, &judgement.job).ok()?;
    Some(consecutive_failures_with(timestamp, RunStatus::Fail, &runs))
}

/// The pause in force for `judgement` at `now`: the job's own pause beside
/// its heartbeat, or a host pause in its directory or the directory above.
/// A job without a heartbeat (`missing`) takes the pauses of the
/// directories read.
fn pause_for<'a>(
    judgement: &Judgement,
    dirs: &[PathBuf],
    pauses: &'a [PauseEntry],
    now: DateTime<Utc>,
) -> Option<&'a Pause> {
    let home: Vec<&Path> = match judgement.path.as_deref().and_then(Path::parent) {
        Some(dir) => vec![dir],
        None => dirs.iter().map(PathBuf::as_path).collect(),
    };
    let applies = |p: &&PauseEntry| match &p.job {
        Some(job) => *job == judgement.job && home.contains(&p.dir.as_path()),
        None => home.iter().any(|dir| dir.starts_with(&p.dir)),
    };
    pauses
        .iter()
        .filter(applies)
        .filter_map(|p| p.content.as_ref().ok())
        .filter(|p| p.is_active(now))
        .max_by_key(|p| p.until)
}

/// Reads each job's history beside its heartbeat and sets its recent runs:
/// the strip, the success rate and the median duration. A history that
/// cannot be read shows as none.
pub fn add_recent(jobs: &mut [Judgement], factor: f64, now: DateTime<Utc>) {
    for judgement in jobs {
        let Some(dir) = judgement.path.as_deref().and_then(Path::parent) else {
            continue;
        };
        let Ok(runs) = read_history(dir, &judgement.job) else {
            continue;
        };
        if runs.is_empty() {
            continue;
        }
        judgement.recent = Some(recent(&runs, judgement.interval_seconds, factor, now));
    }
}
