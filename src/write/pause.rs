//! `hb-write --pause` and `--resume`, for one job or the whole host.

use std::process::ExitCode;

use chrono::Utc;

use super::{first_dir, Args, PROGRAM};
use crate::exit_code::Write;
use crate::pause::Pause;
use crate::record::PAUSE;
use crate::{cli, store, Error};

/// `--pause` and `--resume`, for one job or (`--all`) the whole host.
pub(super) fn pause_or_resume(args: &Args) -> ExitCode {
    let job = args.job.as_deref();
    let done = if let Some(length) = &args.pause {
        let invalid = |err: &Error| {
            cli::report_error(PROGRAM, err);
            ExitCode::from(Write::Usage)
        };
        let seconds = match PAUSE.parse(length) {
            Ok(seconds) => seconds,
            Err(err) => return invalid(&err),
        };
        let pause = match Pause::new(job, Utc::now(), seconds, args.reason.as_deref()) {
            Ok(pause) => pause,
            Err(reason) => return invalid(&Error::invalid("pause", length, reason.to_string())),
        };
        if let (Some(job), false) = (job, args.force) {
            if let Err(err) = store::check_known(first_dir(&args.dir).as_deref(), job) {
                cli::report_error(PROGRAM, &err);
                return Write::Usage.into();
            }
        }
        store::write_pause(first_dir(&args.dir).as_deref(), &pause).map(drop)
    } else {
        store::remove_pause(&super::dirs_of(args), job).map(drop)
    };
    match done {
        Ok(()) => Write::Written.into(),
        Err(err) => {
            cli::report_error(PROGRAM, &err);
            Write::Failed.into()
        }
    }
}
