//! Passing the command's output on: one thread per pipe copies every byte
//! to the wrapper's own stream and into the sink (the tail and the log),
//! until the pipe ends or the wrapper asks for the pipe back.

use std::io::{self, Read};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::PathBuf;
use std::process::ExitStatus;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use super::output::{Log, Tail};
use super::watch::Watch;

pub(super) enum Event {
    Exited(io::Result<ExitStatus>),
    Eof,
}

/// Where the command's output goes besides the wrapper's own streams.
pub(crate) struct Sink {
    pub(crate) tail: Tail,
    pub(crate) log: Option<Log>,
    pub(crate) watch: Option<Watch>,
    pub(crate) progress: Option<Progress>,
}

impl Sink {
    /// Takes bytes the command wrote to `stream` (0 stdout, 1 stderr).
    pub(super) fn push(&mut self, stream: usize, bytes: &[u8]) {
        self.tail.push(bytes);
        if let Some(progress) = &mut self.progress {
            progress.mark(true);
        }
        if let Some(watch) = &mut self.watch {
            watch.push(stream, bytes);
        }
        if let Some(log) = &mut self.log {
            log.push(bytes);
        }
    }
}

/// The least time between two progress marks; `--stall-after` is at least
/// twice it, so a mark a period late never reads as a stall.
pub(crate) const PROGRESS_EVERY: Duration = Duration::from_secs(5);

/// Output as progress: output sets the modification time of the wrapper's
/// `running` record to now, at most once every [`PROGRESS_EVERY`]; output
/// sooner is marked when that time is up, by the pump's own wait. A silent
/// command costs nothing, a chatty one a touch a period.
pub(crate) struct Progress {
    path: PathBuf,
    next: Instant,
    pending: bool,
}

impl Progress {
    /// `path` was written just now.
    pub(crate) fn new(path: PathBuf) -> Progress {
        Progress {
            path,
            next: Instant::now() + PROGRESS_EVERY,
            pending: false,
        }
    }

    /// Marks output (`new`) or what is pending, once its time is up;
    /// returns when output not yet marked is to be, if any is.
    fn mark(&mut self, new: bool) -> Option<Instant> {
        self.pending |= new;
        let now = Instant::now();
        if self.pending && now >= self.next {
            self.next = now + PROGRESS_EVERY;
            self.pending = false;
            // A mark that fails costs at most a stall reported early; the
            // run itself goes on.
            let _ = crate::store::touch(&self.path);
        }
        self.pending.then_some(self.next)
    }
}

/// Copies `from` to the wrapper's own stream and into the sink, until end of
/// file, or, when `stop` ends, hands the pipe back with the wrapper's
/// descriptor it goes to. A closed stream of the wrapper stops the copy to
/// it, not the read.
pub(super) fn pump(
    from: OwnedFd,
    stream: usize,
    sink: Arc<Mutex<Sink>>,
    events: mpsc::Sender<Event>,
    stop: RawFd,
) -> thread::JoinHandle<Option<(OwnedFd, RawFd)>> {
    thread::spawn(move || {
        let mut from = std::fs::File::from(from);
        let mut buf = [0u8; 8192];
        let (mut passing, to) = (true, stream as RawFd + 1);
        loop {
            let mut locked = sink.lock().unwrap_or_else(PoisonError::into_inner);
            let due = locked.progress.as_mut().and_then(|p| p.mark(false));
            drop(locked);
            let wait = due.map_or(-1, |at| {
                let ms = at.saturating_duration_since(Instant::now()).as_millis();
                i32::try_from(ms + 1).unwrap_or(i32::MAX)
            });
            let mut watched = [from.as_raw_fd(), stop].map(|fd| libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            });
            // SAFETY: a valid array of two entries.
            if unsafe { libc::poll(watched.as_mut_ptr(), 2, wait) } < 0 {
                continue;
            }
            if watched[1].revents != 0 {
                // What is still unread stays in the pipe for the copier.
                return Some((OwnedFd::from(from), to));
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
            // Unbuffered, as the command's own output would be.
            passing = passing && super::drain::write_all(to, &buf[..n]);
            sink.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(stream, &buf[..n]);
        }
        // What is pending is marked now: a stream that ends leaves no pump
        // to wait for its time, and the command may go on silent.
        if let Some(progress) = &mut sink.lock().unwrap_or_else(PoisonError::into_inner).progress {
            progress.next = Instant::now();
            progress.mark(false);
        }
        let _ = events.send(Event::Eof);
        None
    })
}
