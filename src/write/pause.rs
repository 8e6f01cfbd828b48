//! `hb-write --pause` and `--resume`, for one job or the whole host.

use std::process::ExitCode;

use chrono::Utc;

use super::{done, Args};
use crate::pause::Pause;
use crate::record::PAUSE;
use crate::{store, Error};

/// `--pause` and `--resume`, for one job or (`--all`) the whole host; `Err`
/// is a usage error.
pub(super) fn pause_or_resume(args: &Args) -> Result<ExitCode, Error> {
    let job = args.job.as_deref();
    let Some(length) = &args.pause else {
        return Ok(done(store::remove_pause(&args.dirs(), job)));
    };
    let seconds = PAUSE.parse(length)?;
    let pause = Pause::new(job, Utc::now(), seconds, args.reason.as_deref())
        .map_err(|reason| Error::invalid("pause", length, reason.to_string()))?;
    if let (Some(job), false) = (job, args.force) {
        store::check_known(args.dir().as_deref(), job)?;
    }
    Ok(done(store::write_pause(args.dir().as_deref(), &pause)))
}
