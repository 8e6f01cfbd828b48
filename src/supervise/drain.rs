//! The command's output pipes after it exited, when something it started in
//! the background (`nohup worker &`) still holds them: after
//! [`super::DRAIN_GRACE`], a small detached process takes them over and
//! copies what comes to the wrapper's stdout and stderr, where that output
//! went without the wrapper (so cron mails it the same), until the last
//! writer closes them. Closing them instead, as the wrapper's exit would,
//! kills such a process with SIGPIPE at its next write.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::{fs, io};

/// Starts the detached copier for `pipes` (each with the wrapper's
/// descriptor, 1 or 2, its bytes go to) and closes them in this process.
/// The copier keeps every other descriptor of the wrapper closed.
pub(crate) fn hand_over(pipes: Vec<(OwnedFd, RawFd)>) -> io::Result<()> {
    if pipes.is_empty() {
        return Ok(());
    }
    let mut polled: Vec<libc::pollfd> = (pipes.iter())
        .map(|(pipe, _)| libc::pollfd {
            fd: pipe.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    // Listed before the fork: the child may not allocate.
    let open = fs::read_dir("/proc/self/fd")
        .into_iter()
        .flatten()
        .flatten();
    let close: Vec<RawFd> = (open.filter_map(|e| e.file_name().to_str()?.parse().ok()))
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

/// The copier: reads each pipe until its end, writes what it reads to its
/// target (and, once a target is closed, drops it), then exits.
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

/// Writes every byte, retrying short writes; `false` once the target is
/// gone (EPIPE: SIGPIPE is ignored in the wrapper and its copier).
pub(super) fn write_all(fd: RawFd, mut bytes: &[u8]) -> bool {
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
