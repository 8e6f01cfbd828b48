//! The wrapper run, `hb-write [OPTIONS] JOB INTERVAL -- CMD [ARGS...]`: take
//! the job's lock, write a `running` record, run and supervise CMD, write
//! the final record, then ping. The exit code is CMD's. Monitoring never
//! takes the job down: a heartbeat that cannot be written or a ping that
//! fails is said on stderr, and CMD runs all the same. A retry (`--retry`)
//! waits twice as long as the one before, with jitter, and none starts past
//! the run's maximum runtime.

use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use chrono::Utc;

use super::{settings::Settings, Args, PROGRAM};
use crate::error::Error;
use crate::history::Tried;
use crate::http::retry::{jittered, unit_random};
use crate::ping::{self, Ping, Pinger};
use crate::record::{default_max_runtime, Heartbeat, RunStatus, OUTPUT_MESSAGE_MAX_BYTES};
use crate::store::{self, heartbeat_path};
use crate::supervise::output::{Log, Tail};
use crate::supervise::pump::{Progress, Sink};
use crate::supervise::singleton::{self, Acquired, JobLock};
use crate::supervise::{self, lines, signal, Outcome};

pub(super) mod rules;

use rules::{Rules, Verdict};

pub(super) fn run(args: &Args, job: &str, interval: u64, settings: Settings, rules: Rules) -> u8 {
    // Before any thread (the HTTP client starts one), so all leave the signals to the forwarder.
    if let Err(err) = signal::mask_forwarded(libc::SIG_BLOCK) {
        eprintln!("{PROGRAM}: warning: cannot take over SIGINT, SIGTERM and SIGHUP: {err}");
    }
    let dir = resolve_dir(args.dir());
    // A signal ends the lock wait at once: left pending, it would reach the command run after.
    let patience = Duration::from_secs(interval);
    let acquired = (args.singleton)
        .map(|mode| singleton::acquire(&dir, job, mode, patience, signal::wait_signal));
    let lock = match acquired {
        None => None,
        Some(Ok(Acquired::Held(lock))) => Some(lock),
        Some(Ok(Acquired::Busy(why))) => {
            eprintln!("{PROGRAM}: job `{job}`: {why}");
            return 0;
        }
        Some(Ok(Acquired::Signalled(sig))) => {
            return ended_by(sig, job, "waiting for the job's lock; did not run the job")
        }
        Some(Err(err)) => {
            eprintln!("{PROGRAM}: {err}; cannot keep to one run at a time, not running the job");
            return 1;
        }
    };
    let previous = previous(&dir, job);
    let last = previous.as_ref().and_then(crate::record::LastRun::of);
    let previous_failures = previous.map_or(0, |r| {
        (r.consecutive_failures).unwrap_or(u32::from(r.status == RunStatus::Fail))
    });
    let started_at = Utc::now();
    let base = Heartbeat {
        timestamp: started_at,
        started_at: Some(started_at),
        consecutive_failures: Some(previous_failures),
        max_runtime_seconds: args.max_runtime,
        schedule: settings.schedule.clone(),
        needs: args.needs.clone(),
        stall_after_seconds: args.stall_after,
        last,
        ..Heartbeat::new(job, interval, RunStatus::Running)
    };
    let running_at = write(&dir, &base);

    let pings = (settings.ping.as_ref()).map(|(url, style)| {
        let (pinger, rid) = (Pinger::new(url.clone(), *style), signal::uuid_v4());
        let (start, ping) = (pinger.clone(), Ping::Start { rid: rid.clone() });
        let started = thread::spawn(move || start.send_or_warn(PROGRAM, &ping, ping::START_BUDGET));
        (pinger, rid, started)
    });

    let max = (args.max_runtime).unwrap_or_else(|| default_max_runtime(settings.factor, interval));
    let progress = args.stall_after.and(running_at);
    let (mut outcome, mut verdict, tried, signalled) =
        attempts(args, job, &rules, lock.as_ref(), &dir, max, progress);
    // Without a minimum, a success far faster than usual is flagged (failed with --alert-fast).
    let learn = verdict.ok && rules.min_runtime.is_none();
    let runs = learn.then(|| store::read_history(&dir, job).ok()).flatten();
    let fast = runs.and_then(|runs| rules::fast(outcome.duration, &runs));
    if let (Some(fast), true) = (&fast, args.alert_fast) {
        verdict.ok = false;
        verdict.reason = Some(format!("finished in {fast} (--alert-fast)"));
    }
    if let Some(err) = &outcome.log_error {
        eprintln!("{PROGRAM}: warning: the log stopped: {err}");
    }
    let unstarted = matches!(outcome.exit_code, 126 | 127) && outcome.tail.is_empty();
    if let (Some(note), true) = (&outcome.note, unstarted) {
        eprintln!("{note}");
    }
    let attempt = (!tried.is_empty()).then(|| {
        let of = args.retry + 1;
        let number = u32::try_from(tried.len()).unwrap_or(u32::MAX);
        let how = if verdict.ok { "succeeded" } else { "failed" };
        let said = format!("{PROGRAM}: {how} on attempt {number} of {of}");
        outcome.note = lines([outcome.note.take(), Some(said)]);
        crate::record::Attempt { number, of }
    });
    let note = outcome.note.as_ref().map_or(0, |n| n.len() + 1);
    let message = outcome.message((args.keep_output + note).min(OUTPUT_MESSAGE_MAX_BYTES));
    let (status, failures) = if verdict.ok {
        (RunStatus::Ok, 0)
    } else {
        (RunStatus::Fail, previous_failures.saturating_add(1))
    };
    let last = Heartbeat {
        timestamp: Utc::now(),
        status,
        exit_code: Some(outcome.exit_code),
        duration_seconds: Some(outcome.seconds()),
        message: (!message.is_empty()).then_some(message),
        consecutive_failures: Some(failures),
        reason: verdict.reason.clone(),
        fast: fast.filter(|_| verdict.ok),
        attempt,
        last: None,
        stall_after_seconds: None,
        ..base
    };
    write(&dir, &last);
    let run = crate::history::Run {
        attempts: Some(tried).filter(|a| a.len() > 1).unwrap_or_default(),
        ..crate::history::Run::of(&last)
    };
    if let Err(err) = store::append_history(&dir, &last.job, &run) {
        eprintln!("{PROGRAM}: {err}");
    }
    // The command's group inherited the lock: its leftovers must not keep the job locked.
    if let Some(lock) = lock {
        lock.release();
    }

    if let Some((pinger, rid, started)) = pings {
        let end = end_ping(rid, &outcome, &verdict);
        let pings = thread::spawn(move || {
            let _ = started.join();
            // The end ping, the one that matters, has a budget of its own.
            pinger.send_or_warn(PROGRAM, &end, ping::BUDGET);
        });
        // A signal meanwhile ends the wrapper at once, as it would the command.
        while !pings.is_finished() {
            if let Some(sig) = signal::wait_signal(Duration::from_millis(50)) {
                return ended_by(sig, job, "pinging; stopped without waiting for the ping");
            }
        }
    }
    // The command's exit code, or 1 when a rule failed a run that exited 0.
    match (signalled, verdict.ok, outcome.exit_code) {
        (Some(sig), ..) => exit_code_of(sig),
        (None, false, 0) => 1,
        (None, _, code) => u8::try_from(code).unwrap_or(1),
    }
}

fn end_ping(rid: String, outcome: &Outcome, verdict: &Verdict) -> Ping {
    // The rule that failed the run and what the wrapper saw come first.
    let reason = verdict.reason.as_ref().map(|r| format!("{PROGRAM}: {r}"));
    let note = lines([reason, outcome.note.clone()]);
    match (verdict.ok, outcome.exit_code) {
        // Exited 0 but broke a rule: a failure without an exit status.
        (false, 0) => Ping::Beat {
            ok: false,
            exit_code: None,
            body: lines([note, Some(outcome.tail.clone())]),
            duration: Some(outcome.duration),
        },
        (ok, code) => Ping::End {
            rid,
            exit_code: if ok { 0 } else { code },
            duration: outcome.duration,
            note,
            body: outcome.tail.clone(),
        },
    }
}

/// Eleven failures in a row is a failing job: more attempts only delay the alert.
pub(crate) const RETRY_MAX: u32 = 10;

const WAIT_CAP: Duration = Duration::from_secs(3600);

/// The wait before attempt `next` (2 and up).
fn wait(delay: u64, next: u32, unit: f64) -> Duration {
    let first = Duration::from_secs(delay);
    jittered(first, next.saturating_sub(2), WAIT_CAP, unit)
}

/// Runs the command until an attempt succeeds, none is left, or the next would start past
/// the maximum runtime; also each attempt (if retried) and a signal that ended the wait.
fn attempts(
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
    let path = dir.join(format!("{job}.log"));
    let shown = path.display();
    let warn = |e: &_| eprintln!("{PROGRAM}: warning: cannot keep the log {shown}: {e}");
    Log::create(&path, max).inspect_err(warn).ok()
}

/// 128 plus the signal's number, as a shell says it.
fn exit_code_of(sig: i32) -> u8 {
    u8::try_from(128 + sig).unwrap_or(1)
}

/// Says that `sig` ended the wrapper while `doing`; its exit code.
fn ended_by(sig: i32, job: &str, doing: &str) -> u8 {
    let name = signal::name(sig);
    eprintln!("{PROGRAM}: job `{job}`: received {name} while {doing}");
    exit_code_of(sig)
}

/// Writes `record`; a failure is said, and the run goes on.
fn write(dir: &Path, record: &Heartbeat) -> Option<PathBuf> {
    let written = store::write(Some(dir), record);
    written.map_err(|err| eprintln!("{PROGRAM}: {err}")).ok()
}

/// The one given, else the system directory when writable, else the user's;
/// with nowhere to write, the job still runs, as if unmonitored.
fn resolve_dir(given: Option<PathBuf>) -> PathBuf {
    let create = |dir: &Path| store::create_dir(dir).map(|()| dir.to_owned());
    let system = PathBuf::from(store::SYSTEM_DIR);
    let made = match &given {
        Some(dir) => create(dir),
        None if create(&system).is_ok_and(|dir| writable(&dir)) => Ok(system.clone()),
        None => create(&store::user_dir().unwrap_or(system.clone())),
    };
    made.unwrap_or_else(|err| {
        eprintln!("{PROGRAM}: {err}");
        given.unwrap_or(system)
    })
}

fn writable(dir: &Path) -> bool {
    let path = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes());
    // SAFETY: a valid NUL-terminated path.
    path.is_ok_and(|path| unsafe { libc::access(path.as_ptr(), libc::W_OK) == 0 })
}

/// The job's previous record in `dir`, read as hb-check reads it (no FIFO, no link, capped).
fn previous(dir: &Path, job: &str) -> Option<Heartbeat> {
    Heartbeat::from_json(&store::read_small(&heartbeat_path(dir, job))?).ok()
}

/// Touches the `running` record of `job` in the first of `dirs` holding one:
/// never rewriting it, so a keepalive racing the final record cannot undo it.
pub(crate) fn keep_alive(dirs: &[PathBuf], job: &str) -> Result<PathBuf, Error> {
    let found = dirs.iter().find_map(|dir| Some((dir, previous(dir, job)?)));
    let (dir, record) =
        found.ok_or_else(|| Error::rule(format!("no heartbeat of job `{job}` to keep alive")))?;
    if record.status != RunStatus::Running {
        return Err(Error::rule(format!(
            "job `{job}` has no run in progress to keep alive (its record says `{}`)",
            record.status
        )));
    }
    let path = heartbeat_path(dir, job);
    store::touch(&path).map_err(|source| Error::Write {
        job: job.to_owned(),
        path: path.clone(),
        source,
    })?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn the_previous_record_is_not_read_through_a_link_or_a_fifo() {
        let dir = tempfile::tempdir().unwrap();
        let failed = r#"{"version":1,"job":"backup","timestamp":"2026-11-22T03:00:00Z","interval_seconds":60,"host":"web1","pid":1,"status":"fail","consecutive_failures":5}"#;
        let real = heartbeat_path(dir.path(), "backup");
        fs::write(&real, failed).unwrap();
        assert_eq!(
            previous(dir.path(), "backup").and_then(|r| r.consecutive_failures),
            Some(5)
        );
        // Another job's heartbeat linked in: not this job's past.
        let elsewhere = dir.path().join("elsewhere");
        fs::rename(&real, &elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &real).unwrap();
        assert!(previous(dir.path(), "backup").is_none());
        fs::remove_file(&real).unwrap();
        crate::store::open::mkfifo(&real);
        assert!(previous(dir.path(), "backup").is_none());
    }

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
