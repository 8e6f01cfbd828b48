//! The attempts of a run (`--retry N --retry-delay D`): the wait before each
//! doubles, with jitter, and none starts past the run's maximum runtime.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{Args, Rules, Verdict, PROGRAM};
use crate::history::Tried;
use crate::http::retry::{jittered, unit_random};
use crate::supervise::output::{Log, Tail};
use crate::supervise::singleton::JobLock;
use crate::supervise::{self, signal, Outcome, Progress, Sink};

/// A job that fails eleven times in a row is failing: more attempts only
/// delay the alert.
pub(crate) const RETRY_MAX: u32 = 10;

const WAIT_CAP: Duration = Duration::from_secs(3600);

/// The wait before attempt `next` (2 and up).
fn wait(delay: u64, next: u32, unit: f64) -> Duration {
    jittered(
        Duration::from_secs(delay),
        next.saturating_sub(2),
        WAIT_CAP,
        unit,
    )
}

/// Runs the command until an attempt succeeds, none is left, or the next
/// would start past the maximum runtime. Also every attempt (when there may
/// be more than one) and a signal that came while waiting to retry (it ends the run).
pub(super) fn attempts(
    args: &Args,
    job: &str,
    rules: &Rules,
    lock: Option<&JobLock>,
    dir: &Path,
    max_runtime: u64,
    progress: Option<PathBuf>,
) -> (Outcome, Verdict, Vec<Tried>, Option<i32>) {
    let (program, words) = (args.command.split_first()).expect("a command is required");
    let of = args.retry.min(RETRY_MAX) + 1;
    let budget = Duration::from_secs(max_runtime);
    let first = Instant::now();
    let mut attempts = Vec::new();
    for number in 1.. {
        let sink = Sink {
            tail: Tail::new(args.keep_output),
            log: log(args, job, dir),
            watch: rules.watch(),
            progress: progress.clone().map(Progress::new),
        };
        // The first attempt has the whole maximum, a later one what is left.
        let kill_after = args.kill_after.then(|| match number {
            1 => budget,
            _ => Duration::from_secs(budget.saturating_sub(first.elapsed()).as_secs().max(1)),
        });
        let outcome = supervise::run_command(program, words, sink, kill_after, lock);
        let verdict = rules.verdict(&outcome);
        if of > 1 {
            attempts.push(Tried {
                ok: verdict.ok,
                exit_code: outcome.exit_code,
                duration_seconds: outcome.seconds(),
            });
        }
        let wait = wait(args.retry_delay, number + 1, unit_random());
        let last = verdict.ok || number >= of || first.elapsed() + wait >= budget;
        let signalled = (!last).then(|| signal::wait_signal(wait)).flatten();
        if last || signalled.is_some() {
            return (outcome, verdict, attempts, signalled);
        }
    }
    unreachable!("the attempts end at the latest after `of` of them")
}

/// A new log for an attempt (`--log`).
fn log(args: &Args, job: &str, dir: &Path) -> Option<Log> {
    let max = args.log.then_some(args.log_max)?;
    let path = dir.join(format!("{}.log", job));
    let shown = path.display();
    let warn = |e: &_| eprintln!("{PROGRAM}: warning: cannot keep the log {shown}: {e}");
    Log::create(&path, max).inspect_err(warn).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_with_jitter_and_stop_at_the_cap() {
        assert_eq!(wait(10, 2, 1.0), Duration::from_secs(10));
        assert_eq!(wait(10, 3, 1.0), Duration::from_secs(20));
        assert_eq!(wait(10, 4, 0.0), Duration::from_secs(20));
        assert_eq!(wait(10, 40, 1.0), WAIT_CAP);
        assert_eq!(wait(u64::MAX, 11, 1.0), WAIT_CAP);
        let unit = unit_random();
        assert!((0.0..1.0).contains(&unit), "{unit}");
    }
}
