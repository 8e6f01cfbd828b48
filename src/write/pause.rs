//! `hb-write --pause` and `--resume`, for one job or the whole host.

use std::process::ExitCode;

use chrono::Utc;

use super::{done, usage, Args};
use crate::pause::Pause;
use crate::record::PAUSE;
use crate::{store, Error};

/// `--pause` and `--resume`, for one job or (`--all`) the whole host.
pub(super) fn pause_or_resume(args: &Args) -> ExitCode {
    let job = args.job.as_deref();
    let Some(length) = &args.pause else {
        return done(store::remove_pause(&args.dirs(), job));
    };
    let pause = PAUSE.parse(length).and_then(|seconds| {
        Pause::new(job, Utc::now(), seconds, args.reason.as_deref())
            .map_err(|reason| Error::invalid("pause", length, reason.to_string()))
    });
    let known = |pause| match (job, args.force) {
        (Some(job), false) => store::check_known(args.dir().as_deref(), job).map(|()| pause),
        _ => Ok(pause),
    };
    match pause.and_then(known) {
        Ok(pause) => done(store::write_pause(args.dir().as_deref(), &pause)),
        Err(err) => usage(err),
    }
}
