//! hb-check: judge every heartbeat, with monitoring-plugin exit codes.

use cron_heartbeat::{check, cli, exit_code::Check};

fn main() -> std::process::ExitCode {
    cli::parse(check::PROGRAM, Check::Unknown as u8)
        .map_or_else(|usage| usage, |args| check::run(&args).into())
}
