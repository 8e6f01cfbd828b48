//! Passing the command's output on, one thread per pipe. When a leftover
//! (`nohup worker &`) still holds the pipes after [`super::DRAIN_GRACE`], a
//! detached copier takes them over until the last writer closes them (so
//! cron mails its output the same): closing them, as the wrapper's exit
//! would, kills such a process with SIGPIPE at its next write.

use std::io::{self, Read};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use super::output::{Log, Tail};

pub(super) enum Event {
    Exited(io::Result<std::process::ExitStatus>),
    Eof,
}

/// Where the command's output goes besides the wrapper's own streams.
pub(crate) struct Sink {
    pub(crate) tail: Tail,
    pub(crate) log: Option<Log>,
    pub(crate) watch: Option<super::watch::Watch>,
    pub(crate) progress: Option<Progress>,
}

impl Sink {
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

/// The least time between progress marks; `--stall-after` is at least twice it (no false stall).
pub(crate) const PROGRESS_EVERY: Duration = Duration::from_secs(5);

/// Output as progress: the `running` record touched at most every [`PROGRESS_EVERY`].
pub(crate) struct Progress {
    path: PathBuf,
    next: Instant,
    pending: bool,
}

impl Progress {
    pub(crate) fn new(path: PathBuf) -> Progress {
        Progress {
            path,
            next: Instant::now() + PROGRESS_EVERY,
            pending: false,
        }
    }

    /// Marks output (`new`) or what is pending once its time is up; returns when the rest is due.
    fn mark(&mut self, new: bool) -> Option<Instant> {
        self.pending |= new;
        let now = Instant::now();
        if self.pending && now >= self.next {
            self.next = now + PROGRESS_EVERY;
            self.pending = false;
            // A failed mark costs at most a stall reported early.
            let _ = crate::store::touch(&self.path);
        }
        self.pending.then_some(self.next)
    }
}

/// Copies `from` to our stream and the sink until EOF; on `stop`, hands the pipe and target back.
pub(super) fn pump(
    from: OwnedFd,
    stream: usize,
    sink: Arc<Mutex<Sink>>,
    events: std::sync::mpsc::Sender<Event>,
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
            let mut watched = [from.as_raw_fd(), stop].map(readable);
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
            passing = passing && write_all(to, &buf[..n]);
            let mut locked = sink.lock().unwrap_or_else(PoisonError::into_inner);
            locked.push(stream, &buf[..n]);
        }
        // Pending output is marked now: no pump is left to wait, and the command may go on silent.
        if let Some(progress) = &mut sink.lock().unwrap_or_else(PoisonError::into_inner).progress {
            progress.next = Instant::now();
            progress.mark(false);
        }
        let _ = events.send(Event::Eof);
        None
    })
}

fn readable(fd: RawFd) -> libc::pollfd {
    libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    }
}

/// Starts the detached copier of `pipes`; it closes every other descriptor.
pub(super) fn hand_over(pipes: Vec<(OwnedFd, RawFd)>) -> io::Result<()> {
    if pipes.is_empty() {
        return Ok(());
    }
    let fds = pipes.iter().map(|(pipe, _)| pipe.as_raw_fd());
    let mut polled: Vec<_> = fds.map(readable).collect();
    // Listed before the fork: the child may not allocate.
    let open = std::fs::read_dir("/proc/self/fd").into_iter().flatten();
    let close: Vec<RawFd> = (open.flatten())
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .filter(|fd| *fd > 2 && !polled.iter().any(|p| p.fd == *fd))
        .collect();
    // A target that is gone becomes -1.
    let mut targets: Vec<RawFd> = pipes.iter().map(|(_, to)| *to).collect();
    // SAFETY: the child runs `copy`, which calls only async-signal-safe
    // functions (close, poll, read, write, _exit) on memory allocated
    // before the fork, and never returns.
    match unsafe { libc::fork() } {
        -1 => Err(io::Error::last_os_error()),
        0 => {
            for fd in &close {
                // SAFETY: closing a descriptor number.
                unsafe { libc::close(*fd) };
            }
            copy(&mut polled, &mut targets)
        }
        // The parent's copies close as `pipes` drops.
        _ => Ok(()),
    }
}

/// The copier: each pipe to its target (dropped once closed), then exits.
fn copy(polled: &mut [libc::pollfd], targets: &mut [RawFd]) -> ! {
    let mut buf = [0u8; 8192];
    loop {
        if polled.iter().all(|p| p.fd < 0) {
            // SAFETY: ends the child without running the parent's exit code.
            unsafe { libc::_exit(0) };
        }
        // SAFETY: a valid array of `polled.len()` entries.
        let ready = unsafe { libc::poll(polled.as_mut_ptr(), polled.len() as libc::nfds_t, -1) };
        if ready < 0 {
            continue;
        }
        for (i, p) in polled.iter_mut().enumerate() {
            if p.fd < 0 || p.revents == 0 {
                continue;
            }
            // SAFETY: reads into a buffer of its stated length.
            let n = unsafe { libc::read(p.fd, buf.as_mut_ptr().cast(), buf.len()) };
            if n == 0 || (n < 0 && p.revents & (libc::POLLHUP | libc::POLLERR) != 0) {
                // SAFETY: closing our own descriptor.
                unsafe { libc::close(p.fd) };
                p.fd = -1;
                continue;
            }
            if n > 0 && targets[i] >= 0 && !write_all(targets[i], &buf[..n as usize]) {
                targets[i] = -1;
            }
        }
    }
}

/// Writes every byte; `false` once the target is gone (EPIPE: SIGPIPE is ignored here).
fn write_all(fd: RawFd, mut bytes: &[u8]) -> bool {
    while !bytes.is_empty() {
        // SAFETY: writes from a buffer of its stated length.
        let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        // SAFETY: reads errno, this thread's own.
        if n < 0 && unsafe { *libc::__errno_location() } != libc::EINTR {
            return false;
        }
        bytes = &bytes[usize::try_from(n).unwrap_or(0)..];
    }
    true
}
