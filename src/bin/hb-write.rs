//! hb-write: record that a cron job finished.

use cron_heartbeat::{cli, exit_code::Write, write};

fn main() -> std::process::ExitCode {
    cli::parse(write::PROGRAM, Write::Usage as u8).map_or_else(|usage| usage, write::run)
}
