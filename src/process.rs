//! Running a command bounded: no wait past a deadline, no more kept of its
//! output than a cap, its own process group killed when the deadline passes.

use std::io::{self, Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

/// The most kept of standard error: its first line is all anyone shows.
const STDERR_MAX: usize = 8 * 1024;

const POLL: Duration = Duration::from_millis(5);

/// How long a command may take, and `max_bytes` of stdout kept. With a `drain`, a stream
/// past its cap is read on and dropped (no death by closed pipe) and, after the exit, for
/// `drain` more (leftovers may hold the pipes), at most 100 ms past the deadline; without,
/// it is closed at its cap and read up to the deadline.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub timeout: Duration,
    pub max_bytes: usize,
    pub drain: Option<Duration>,
}

/// `open`: still held open after the drain (by a leftover in the background).
#[derive(Debug, Default)]
pub(crate) struct Kept {
    pub bytes: Vec<u8>,
    pub over: bool,
    pub open: bool,
}

pub(crate) struct Exited {
    pub status: ExitStatus,
    pub group: u32,
    pub out: Kept,
    pub err: Kept,
}

/// After `Wait` and `Timeout`, the process group was killed.
pub(crate) enum Failure {
    Spawn(io::Error),
    Wait(io::Error),
    Timeout,
}

pub(crate) fn run(
    command: &mut Command,
    input: Option<Vec<u8>>,
    limits: Limits,
) -> Result<Exited, Failure> {
    let stdin = input.as_ref().map_or_else(Stdio::null, |_| Stdio::piped());
    command.stdin(stdin).process_group(0);
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().map_err(Failure::Spawn)?;
    let started = Instant::now();
    if let (Some(mut stdin), Some(input)) = (child.stdin.take(), input) {
        // A thread: a command that reads nothing must not block us; a closed pipe is no error.
        thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
    }
    let past = limits.drain.is_some();
    let out = keep(child.stdout.take().expect("piped"), limits.max_bytes, past);
    let err = keep(child.stderr.take().expect("piped"), STDERR_MAX, past);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() < limits.timeout => thread::sleep(POLL),
            waited => {
                let _ = crate::supervise::signal::kill_group(child.id(), libc::SIGKILL);
                let _ = child.kill();
                let _ = child.wait();
                return Err(waited.err().map_or(Failure::Timeout, Failure::Wait));
            }
        }
    };
    let last = started + limits.timeout + Duration::from_millis(100);
    let drained = (limits.drain).and_then(|drain| Instant::now().checked_add(drain));
    let until = drained.map_or(last, |until| until.min(last));
    let taken = |(done, kept): Reading| {
        let left = until.saturating_duration_since(Instant::now());
        let open = done.recv_timeout(left).is_err();
        let kept = std::mem::take(&mut *kept.lock().unwrap_or_else(PoisonError::into_inner));
        Kept { open, ..kept }
    };
    Ok(Exited {
        status,
        group: child.id(),
        out: taken(out),
        err: taken(err),
    })
}

/// A message when the stream ends, and what it gave so far.
type Reading = (mpsc::Receiver<()>, Arc<Mutex<Kept>>);

fn keep(mut stream: impl Read + Send + 'static, cap: usize, past: bool) -> Reading {
    let (send, done) = mpsc::channel();
    let kept = Arc::new(Mutex::new(Kept::default()));
    let shared = Arc::clone(&kept);
    thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n @ 1..) = stream.read(&mut buf) {
            let mut kept = shared.lock().unwrap_or_else(PoisonError::into_inner);
            let room = cap.saturating_sub(kept.bytes.len());
            kept.bytes.extend_from_slice(&buf[..n.min(room)]);
            kept.over |= n > room;
            if kept.over && !past {
                break;
            }
        }
        let _ = send.send(());
    });
    (done, kept)
}

pub(crate) fn first_line(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let first = text.lines().map(str::trim).find(|l| !l.is_empty());
    first.unwrap_or_default().to_owned()
}
