//! `hb-write --keepalive JOB`: a wrapped run that prints nothing says it
//! still makes progress, so `--stall-after` does not call it stalled.

use std::process::ExitCode;

use super::{first_dir, Args, PROGRAM};
use crate::exit_code::Write;
use crate::{cli, store, wrap};

/// Rewrites the job's `running` record with the progress time now.
pub(super) fn keepalive(args: &Args, job: &str) -> ExitCode {
    let dirs = match first_dir(&args.dir) {
        Some(dir) => vec![dir],
        None => store::default_locations(),
    };
    match wrap::keep_alive(&dirs, job) {
        Ok(_) => Write::Written.into(),
        Err(err) => {
            cli::report_error(PROGRAM, &err);
            Write::Failed.into()
        }
    }
}
