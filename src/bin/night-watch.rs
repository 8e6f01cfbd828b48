//! night-watch: the heartbeat panel and the nightly report.

use std::process::ExitCode;

use cron_heartbeat::cli;
use cron_heartbeat::exit_code::Watch;
use cron_heartbeat::watch::{self, Args, PROGRAM};

fn main() -> ExitCode {
    match cli::parse::<Args>(PROGRAM, Watch::Unreadable as u8) {
        Ok(args) => watch::run(&args).into(),
        Err(code) => code,
    }
}
