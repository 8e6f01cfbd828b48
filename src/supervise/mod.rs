//! Running a cron job under supervision: the command directly (no shell),
//! in its own process group, stdin inherited; its stdout and stderr copied
//! through pipes to the wrapper's own (so cron still mails what the job
//! prints) with a bounded tail kept; signals forwarded to the group; and a
//! maximum runtime the wrapper may enforce.

pub(crate) mod output;
pub(crate) mod pump;
pub(crate) mod signal;
pub(crate) mod singleton;
pub(crate) mod watch;

use std::ffi::OsString;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use crate::record::format_duration;
use pump::{pump, Event, Sink};
use singleton::JobLock;
use watch::{Seen, Watch};

/// Between SIGTERM and SIGKILL, when the wrapper ends a run.
pub(crate) const KILL_GRACE: Duration = Duration::from_secs(10);

/// How long output is read after the exit, while leftovers hold the pipes.
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// How often the forwarder looks whether the command has exited.
const FORWARD_EVERY: Duration = Duration::from_millis(250);

/// The wait after SIGKILL: a process stuck in the kernel ignores even it.
const KILL_WAIT: Duration = Duration::from_secs(30);

/// How a supervised run ended.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub duration: Duration,
    /// As a shell gives it: 128+N for signal N, 127 not found, 126 not runnable.
    pub exit_code: i32,
    /// The last bytes of the combined output.
    pub tail: String,
    /// What the wrapper saw: signals, the maximum runtime, a start failure.
    pub note: Option<String>,
    /// A problem with the log file, which never stops the run.
    pub log_error: Option<String>,
    pub seen: Seen,
}

impl Outcome {
    /// The last `limit` bytes of the tail then the note: the record's message.
    pub(crate) fn message(&self, limit: usize) -> String {
        let mut text = self.tail.clone();
        if let Some(note) = &self.note {
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(note);
        }
        output::last_bytes(&text, limit).to_owned()
    }

    /// The duration in seconds, to the millisecond, as records keep it.
    pub(crate) fn seconds(&self) -> f64 {
        (self.duration.as_secs_f64() * 1000.0).round() / 1000.0
    }
}

/// The lines that are present, joined.
pub(crate) fn lines(lines: impl IntoIterator<Item = Option<String>>) -> Option<String> {
    (lines.into_iter().flatten()).reduce(|all, line| format!("{all}\n{line}"))
}

/// Runs `program` into `sink`, ended past `kill_after`, its group noted in the inherited `lock`.
/// The caller must have called [`signal::mask_forwarded`] before starting any thread.
pub(crate) fn run_command(
    program: &OsString,
    args: &[OsString],
    sink: Sink,
    kill_after: Option<Duration>,
    lock: Option<&JobLock>,
) -> Outcome {
    let started = Instant::now();
    let mut command = Command::new(program);
    command.args(args).process_group(0);
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let keep_open = lock.map(JobLock::fd);
    // SAFETY: the hook only calls sigemptyset, sigaddset, pthread_sigmask
    // and fcntl, all async-signal-safe, and allocates nothing.
    unsafe {
        command.pre_exec(move || {
            if let Some(fd) = keep_open {
                signal::inherit_fd(fd)?;
            }
            signal::mask_forwarded(libc::SIG_UNBLOCK)
        });
    }
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(err) => {
            let name = crate::escape::terminal(&program.to_string_lossy()).into_owned();
            return Outcome {
                duration: started.elapsed(),
                exit_code: 126 + i32::from(err.kind() == io::ErrorKind::NotFound),
                note: Some(format!("hb-write: cannot run `{name}`: {err}")),
                ..Outcome::default()
            };
        }
    };
    let pid = child.id();
    if let Some(lock) = lock {
        lock.record_group(pid);
    }
    let sink = Arc::new(Mutex::new(sink));
    let (events, inbox) = mpsc::channel();
    // Dropping its write end makes each pump hand its pipe back; without it, they read to the end.
    let stop = io::pipe().ok();
    let stop_fd = stop.as_ref().map_or(-1, |(reader, _)| reader.as_raw_fd());
    let out = OwnedFd::from(child.stdout.take().expect("piped"));
    let err = OwnedFd::from(child.stderr.take().expect("piped"));
    let pumps: Vec<_> = ([out, err].into_iter().enumerate())
        .map(|(stream, pipe)| pump(pipe, stream, Arc::clone(&sink), events.clone(), stop_fd))
        .collect();
    // Passed on at once: a loop that looked now and then would lose one just before the exit.
    let exited = Arc::new(AtomicBool::new(false));
    let forwarded = Arc::new(AtomicI32::new(0));
    let (done, passed) = (Arc::clone(&exited), Arc::clone(&forwarded));
    thread::spawn(move || {
        while !done.load(Ordering::SeqCst) {
            match signal::wait_signal(FORWARD_EVERY) {
                // Too late for the command: left for the wrapper.
                Some(sig) if done.load(Ordering::SeqCst) => signal::resend_to_self(sig),
                Some(sig) => {
                    passed.store(sig, Ordering::SeqCst);
                    let _ = signal::kill_group(pid, sig);
                }
                None => {}
            }
        }
    });
    let waiter_exited = Arc::clone(&exited);
    thread::spawn(move || {
        let status = child.wait();
        waiter_exited.store(true, Ordering::SeqCst);
        let _ = events.send(Event::Exited(status));
    });

    // A maximum past what an `Instant` holds means "never", not a panic.
    // Past it: SIGTERM, SIGKILL [`KILL_GRACE`] later, then [`KILL_WAIT`].
    let mut next = kill_after.and_then(|max| started.checked_add(max));
    let (mut sent, mut eofs) = (0, 0);
    let status = loop {
        let wait = next.map_or(Duration::from_secs(3600), |at| {
            at.saturating_duration_since(Instant::now())
        });
        match inbox.recv_timeout(wait) {
            Ok(Event::Exited(status)) => break status.ok(),
            Ok(Event::Eof) => eofs += 1,
            Err(RecvTimeoutError::Disconnected) => break None,
            Err(RecvTimeoutError::Timeout) => {}
        }
        if next.is_some_and(|at| Instant::now() >= at) {
            let steps = [(libc::SIGTERM, KILL_GRACE), (libc::SIGKILL, KILL_WAIT)];
            let Some(&(sig, then)) = steps.get(sent) else {
                break None;
            };
            let _ = signal::kill_group(pid, sig);
            sent += 1;
            next = Some(Instant::now() + then);
        }
    };
    let duration = started.elapsed();
    // A signal is now the caller's: the forwarder stops within one wait (not joined: up to 250 ms).
    exited.store(true, Ordering::SeqCst);
    let forwarded = forwarded.load(Ordering::SeqCst);
    let drain_until = Instant::now() + DRAIN_GRACE;
    while eofs < pumps.len() {
        match inbox.recv_timeout(drain_until.saturating_duration_since(Instant::now())) {
            Ok(event) => eofs += usize::from(matches!(event, Event::Eof)),
            Err(_) => break,
        }
    }
    let hand_over_error = stop.and_then(|(reader, writer)| {
        drop(writer);
        let leftovers = pumps.into_iter().filter_map(|p| p.join().ok()?).collect();
        drop(reader);
        pump::hand_over(leftovers).err()
    });
    let mut sink = sink.lock().unwrap_or_else(PoisonError::into_inner);
    let log_error = sink.log.take().and_then(output::Log::finish);

    let exit_code = status.map_or(128 + libc::SIGKILL, |s| {
        (s.code().or_else(|| s.signal().map(|sig| 128 + sig))).unwrap_or(1)
    });
    let notes = [
        (sent > 0).then(|| {
            let then = (sent > 1).then(|| format!(", then SIGKILL {}s later", KILL_GRACE.as_secs()));
            let took = format_duration(duration.as_secs());
            let max = format_duration(kill_after.unwrap_or_default().as_secs());
            let then = then.unwrap_or_default();
            format!("hb-write: ended the run after {took}, past its maximum runtime of {max} (SIGTERM{then})")
        }),
        (sent > 0 && status.is_none())
            .then(|| "hb-write: the command did not end even after SIGKILL".to_owned()),
        (sent == 0 && forwarded != 0).then(|| {
            let name = signal::name(forwarded);
            format!("hb-write: received {name} and passed it on to the command")
        }),
        hand_over_error.map(|err| {
            format!("hb-write: cannot keep passing on the output of what the command left running: {err}")
        }),
        (status.and_then(|s| s.signal()))
            .map(|sig| format!("hb-write: the command was ended by {}", signal::name(sig))),
    ];
    Outcome {
        duration,
        exit_code,
        tail: sink.tail.text(),
        note: lines(notes),
        log_error,
        seen: sink.watch.take().map(Watch::finish).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_maximum_runtime_past_what_an_instant_holds_runs_the_command() {
        let sink = Sink {
            tail: output::Tail::new(64),
            log: None,
            watch: None,
            progress: None,
        };
        let max = Some(Duration::from_secs(u64::MAX));
        let outcome = run_command(&OsString::from("true"), &[], sink, max, None);
        assert_eq!(outcome.exit_code, 0, "{outcome:?}");
        assert_eq!(outcome.note, None);
    }
}
