//! hb-check's step after judging: the host's alert issue brought in line
//! with the judgement, under the run lock (held), so two runs never open
//! two issues.

use super::PROGRAM;
use crate::store::{self, RunLock};
use crate::tracker;

pub(super) fn sync(
    args: &crate::cli::TrackerArgs,
    host: &str,
    judged: &crate::survey::Judged,
    lock: &RunLock,
) -> Result<(), crate::error::Error> {
    let Some(config) = tracker::Config::load(
        args.tracker_kind,
        args.tracker_url.as_deref(),
        args.tracker_repo.as_deref(),
        args.tracker_token_file.as_deref(),
        args.tracker_timeout,
    )?
    else {
        return Ok(());
    };
    let forge = tracker::client::Client::new(&config)?;
    // The reminder cache, beside the run lock (held).
    let cache_path = store::beside(&lock.path, ".remind");
    let cached = args
        .tracker_remind
        .and_then(|_| tracker::sync::Cache::parse(&store::read_small(&cache_path)?));
    let remember = |cache: &tracker::sync::Cache| {
        if let Err(err) = store::write_file(&cache_path, &crate::record::json_line(cache)) {
            crate::cli::report_error(PROGRAM, &err);
        }
    };
    let opts = tracker::sync::Options {
        causes: &judged.causes.list,
        host,
        label: &args.tracker_label,
        dry_run: args.dry_run,
        checked_at: judged.policy.now,
        fleet: &judged.fleet,
        remind: args.tracker_remind.map(|every| tracker::sync::Remind {
            every,
            cached: cached.as_ref(),
            remember: &remember,
        }),
    };
    tracker::sync::sync(&forge, &opts, &judged.jobs, &mut |note| {
        // A dry run shows issue text built from heartbeat files: each line
        // is escaped like every other line for a terminal.
        for line in note.lines() {
            eprintln!("{PROGRAM}: {}", crate::escape::terminal(line));
        }
    })?;
    Ok(())
}
