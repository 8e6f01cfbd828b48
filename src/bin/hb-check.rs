//! hb-check: judge every heartbeat, with monitoring-plugin exit codes.

use std::process::ExitCode;

use cron_heartbeat::check::{self, Args, PROGRAM};
use cron_heartbeat::cli;
use cron_heartbeat::exit_code::Check;

fn main() -> ExitCode {
    match cli::parse::<Args>(PROGRAM, Check::Unknown as u8) {
        Ok(args) => check::run(&args).into(),
        Err(code) => code,
    }
}
