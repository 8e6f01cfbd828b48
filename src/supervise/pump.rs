//! Passing the command's output on: one thread per pipe copies every byte
//! to the wrapper's own stream and into the sink (the tail and the log),
//! until the pipe ends or the wrapper asks for the pipe back.

use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::process::ExitStatus;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;

use super::output::{Log, Tail};
use super::watch::Watch;

pub(super) enum Event {
    Exited(io::Result<ExitStatus>),
    Eof,
}

pub(super) struct Sink {
    pub(super) tail: Tail,
    pub(super) log: Option<Log>,
    pub(super) watch: Option<Watch>,
    /// Bytes of output so far, for whoever tracks the run's progress.
    pub(super) progress: Option<Arc<AtomicU64>>,
}

impl Sink {
    /// Takes bytes the command wrote to `stream` (0 stdout, 1 stderr).
    pub(super) fn push(&mut self, stream: usize, bytes: &[u8]) {
        self.tail.push(bytes);
        if let Some(progress) = &self.progress {
            progress.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        }
        if let Some(watch) = &mut self.watch {
            watch.push(stream, bytes);
        }
        if let Some(log) = &mut self.log {
            log.push(bytes);
        }
    }
}

/// A close-on-exec pipe (read end, write end) whose read end tells the
/// pumps to stop: it reads as ended once the write end is dropped.
pub(super) fn stop_pipe() -> Option<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two descriptors into the array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return None;
    }
    // SAFETY: both descriptors are new and owned by nothing else.
    unsafe { Some((OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1]))) }
}

/// Copies `from` to the wrapper's own stream and into the sink, until end of
/// file, or, when `stop` ends, hands the pipe back. A closed stream of the
/// wrapper stops the copy to it, not the read.
pub(super) fn pump<W>(
    from: OwnedFd,
    stream: usize,
    to: fn() -> W,
    sink: Arc<Mutex<Sink>>,
    events: mpsc::Sender<Event>,
    stop: RawFd,
) -> thread::JoinHandle<Option<OwnedFd>>
where
    W: Write + 'static,
{
    thread::spawn(move || {
        let mut from = std::fs::File::from(from);
        let mut buf = [0u8; 8192];
        let mut passing = true;
        loop {
            let mut watched = [
                libc::pollfd {
                    fd: from.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                },
                libc::pollfd {
                    fd: stop,
                    events: libc::POLLIN,
                    revents: 0,
                },
            ];
            // SAFETY: a valid array of two entries.
            if unsafe { libc::poll(watched.as_mut_ptr(), 2, -1) } < 0 {
                continue;
            }
            if watched[1].revents != 0 {
                // What is still unread stays in the pipe for the copier.
                return Some(OwnedFd::from(from));
            }
            if watched[0].revents == 0 {
                continue;
            }
            let n = match from.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            };
            if passing {
                let mut out = to();
                passing = out.write_all(&buf[..n]).and_then(|()| out.flush()).is_ok();
            }
            sink.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(stream, &buf[..n]);
        }
        let _ = events.send(Event::Eof);
        None
    })
}
