//! A worker loop that reports its heartbeat to cron-heartbeat.
//!
//! ```text
//! HB_DIR=/tmp/hb cargo run --example daemon -- 5
//! hb-check --dir /tmp/hb --verbose
//! ```
//!
//! It works through N pretend jobs (default 3), ticking after each, and
//! records a failure when a job fails. With `HB_PING_URL` set it pings a
//! Healthchecks check too.

use std::time::Duration;

use cron_heartbeat::daemon::{Beat, Daemon, Style};

fn main() {
    let rounds: u32 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(3);
    let mut heartbeat = match Daemon::new("example-worker", Duration::from_secs(60)) {
        Ok(daemon) => daemon,
        Err(err) => {
            eprintln!("daemon: {err}");
            std::process::exit(2);
        }
    };
    if let Some(dir) = std::env::var_os("HB_DIR") {
        heartbeat = heartbeat.dir(dir);
    }
    if let Ok(url) = std::env::var("HB_PING_URL") {
        heartbeat = match heartbeat.ping(&url, Style::Healthchecks) {
            Ok(daemon) => daemon,
            Err(err) => {
                eprintln!("daemon: {err}");
                std::process::exit(2);
            }
        };
    }
    for round in 1..=rounds {
        // The work: every seventh job fails, to show a failure beat.
        let outcome = if round % 7 == 0 {
            Err(format!("job {round} failed"))
        } else {
            Ok(())
        };
        let beat = match outcome {
            Ok(()) => heartbeat.tick(),
            Err(why) => heartbeat.fail(&why),
        };
        match beat {
            Beat::Written(path) => {
                println!("round {round}: heartbeat written to {}", path.display());
            }
            Beat::Recent => println!("round {round}: heartbeat recent enough"),
            // Monitoring must not stop the work: note it and go on.
            Beat::NotWritten(err) => eprintln!("daemon: {err}"),
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    if let Some(why) = heartbeat.ping_error() {
        eprintln!("daemon: the last ping failed: {why}");
    }
}
