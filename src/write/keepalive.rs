//! `hb-write --keepalive JOB`: a wrapped run that prints nothing says it
//! still makes progress, so `--stall-after` does not call it stalled.

use std::process::ExitCode;

use super::{Args, PROGRAM};
use crate::exit_code::Write;
use crate::{cli, wrap};

/// Touches the job's `running` record: its modification time is progress.
pub(super) fn keepalive(args: &Args, job: &str) -> ExitCode {
    match wrap::keep_alive(&super::dirs_of(args), job) {
        Ok(_) => Write::Written.into(),
        Err(err) => {
            cli::report_error(PROGRAM, &err);
            Write::Failed.into()
        }
    }
}
