//! hb-write: record that a cron job finished.

use std::process::ExitCode;

use cron_heartbeat::cli;
use cron_heartbeat::exit_code::Write;
use cron_heartbeat::write::{self, Args, PROGRAM};

fn main() -> ExitCode {
    match cli::parse::<Args>(PROGRAM, Write::Usage as u8) {
        Ok(args) => write::run(args),
        Err(code) => code,
    }
}
