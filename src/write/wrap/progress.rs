//! Keeping a run in progress alive from outside the wrapper
//! (`--stall-after`): the wrapper itself marks output as progress (see
//! [`crate::supervise`]); a command that prints nothing, or a daemon, says
//! it is alive here.

use std::path::PathBuf;

use crate::record::RunStatus;
use crate::{store, Error};

/// Keeps the run of `job` in progress alive (`hb-write --keepalive`,
/// [`crate::daemon::Daemon::keepalive`]): its `running` record, in the first
/// of `dirs` that holds one, is touched (its modification time is progress).
/// Its content is never rewritten, so a keepalive racing the wrapper's
/// final record cannot undo it. `Err` says why there is nothing to keep
/// alive.
pub(crate) fn keep_alive(dirs: &[PathBuf], job: &str) -> Result<PathBuf, Error> {
    let found = dirs
        .iter()
        .find_map(|dir| Some((dir, super::previous(dir, job)?)));
    let (dir, record) =
        found.ok_or_else(|| Error::rule(format!("no heartbeat of job `{job}` to keep alive")))?;
    if record.status != RunStatus::Running {
        return Err(Error::rule(format!(
            "job `{job}` has no run in progress to keep alive (its record says `{}`)",
            record.status
        )));
    }
    let path = store::heartbeat_path(dir, job);
    store::touch(&path).map_err(|source| Error::Write {
        job: job.to_owned(),
        path: path.clone(),
        source,
    })?;
    Ok(path)
}
