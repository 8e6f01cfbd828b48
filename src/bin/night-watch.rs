//! night-watch: the heartbeat panel and the nightly report.

use cron_heartbeat::{cli, exit_code::Watch, watch};

fn main() -> std::process::ExitCode {
    cli::parse(watch::PROGRAM, Watch::Unreadable as u8)
        .map_or_else(|usage| usage, |args| watch::run(&args).into())
}
