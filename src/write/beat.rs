//! The plain form, `hb-write JOB INTERVAL`: one heartbeat, its history
//! line, then the ping.

use std::path::Path;
use std::process::ExitCode;

use super::{done, Args, Settings, StatusArg, PROGRAM};
use crate::history::Run;
use crate::ping::{self, Ping, Pinger};
use crate::record::truncate_message;
use crate::{cli, store, Heartbeat, RunStatus};

pub(super) fn beat(args: &Args, job: &str, interval_seconds: u64, settings: Settings) -> ExitCode {
    let status = match (args.status, args.exit_code) {
        (Some(StatusArg::Fail), _) => RunStatus::Fail,
        (None, Some(code)) if code != 0 => RunStatus::Fail,
        (Some(StatusArg::Ok) | None, _) => RunStatus::Ok,
    };
    let record = Heartbeat {
        exit_code: args.exit_code,
        message: (args.message.as_ref()).map(|m| truncate_message(&m.to_string_lossy()).to_owned()),
        schedule: settings.schedule,
        needs: args.needs.clone(),
        ..Heartbeat::new(job, interval_seconds, status)
    };
    let code = done(store::write(args.dir().as_deref(), &record).map(|path| {
        // The heartbeat is what counts; a history line that cannot be
        // written is said, but does not fail the run.
        let dir = path.parent().unwrap_or(Path::new("."));
        if let Err(err) = store::append_history(dir, &record.job, &Run::of(&record)) {
            cli::report_error(PROGRAM, &format!("{err} (the heartbeat itself is written)"));
        }
    }));
    // The heartbeat first: local truth never waits on the network.
    if let Some((url, style)) = settings.ping {
        Pinger::new(url, style).send_or_warn(
            PROGRAM,
            &Ping::Beat {
                ok: status == RunStatus::Ok,
                exit_code: record.exit_code,
                body: record.message,
                duration: None,
            },
            ping::BUDGET,
        );
    }
    code
}
