//! The few POSIX calls supervision needs that std does not offer. Each
//! `unsafe` block is one libc call on values this module owns.

use std::io;

fn forwarded_set() -> libc::sigset_t {
    // SAFETY: sigemptyset initialises the set; sigaddset only writes to it.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&raw mut set);
        for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            libc::sigaddset(&raw mut set, sig);
        }
        set
    }
}

/// `Err` with errno when a libc call returned less than 0.
fn os(rc: libc::c_int) -> io::Result<libc::c_int> {
    (rc >= 0).then_some(rc).ok_or_else(io::Error::last_os_error)
}

/// Blocks the forwarded signals (before any thread starts) for [`wait_signal`];
/// a child unblocks them before `exec` (std keeps the mask): signal-safe only.
pub(crate) fn mask_forwarded(how: libc::c_int) -> io::Result<()> {
    let set = forwarded_set();
    // SAFETY: a valid set and a null old-set pointer.
    match unsafe { libc::pthread_sigmask(how, &raw const set, std::ptr::null_mut()) } {
        0 => Ok(()),
        rc => Err(io::Error::from_raw_os_error(rc)),
    }
}

/// Lets `fd` pass through `exec` (clears `FD_CLOEXEC`); async-signal-safe.
pub(crate) fn inherit_fd(fd: i32) -> io::Result<()> {
    // SAFETY: fcntl on a descriptor number; a bad one gives EBADF.
    os(unsafe { libc::fcntl(fd, libc::F_SETFD, 0) }).map(drop)
}

pub(crate) fn wait_signal(timeout: std::time::Duration) -> Option<i32> {
    let set = forwarded_set();
    let spec = libc::timespec {
        tv_sec: timeout.as_secs().min(3600) as libc::time_t,
        tv_nsec: timeout.subsec_nanos().into(),
    };
    // SAFETY: a valid set, a null info pointer (allowed), a valid timespec.
    let sig = unsafe { libc::sigtimedwait(&raw const set, std::ptr::null_mut(), &raw const spec) };
    (sig > 0).then_some(sig)
}

/// A group of 0 or 1 ("my own group", "every process") is refused.
pub(crate) fn kill_group(pgid: u32, sig: i32) -> io::Result<()> {
    let pgid = libc::pid_t::try_from(pgid)
        .ok()
        .filter(|p| *p > 1)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a process group id"))?;
    // SAFETY: killpg takes plain integers.
    os(unsafe { libc::killpg(pgid, sig) }).map(drop)
}

/// A signal that came after the command exited waits, blocked, for the wrapper.
pub(crate) fn resend_to_self(sig: i32) {
    // SAFETY: kill and getpid take and give plain integers.
    unsafe { libc::kill(libc::getpid(), sig) };
}

/// `SIGTERM`, or `signal N`.
pub(crate) fn name(sig: i32) -> String {
    macro_rules! named {
        ($($sig:ident),*) => { [$((libc::$sig, stringify!($sig))),*] };
    }
    let known = named!(
        SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGABRT, SIGBUS, SIGFPE, SIGKILL, SIGSEGV, SIGPIPE,
        SIGALRM, SIGTERM, SIGUSR1, SIGUSR2, SIGXCPU
    );
    let found = known.iter().find(|(n, _)| *n == sig);
    found.map_or_else(|| format!("signal {sig}"), |(_, name)| (*name).to_owned())
}

/// A random version-4 UUID from the kernel's generator, in its usual form.
pub(crate) fn uuid_v4() -> String {
    let mut bytes = crate::http::retry::random::<16>().unwrap_or_else(|| {
        // Practically never; still unique enough to pair two pings.
        let now = std::time::UNIX_EPOCH.elapsed().map_or(0, |d| d.as_nanos());
        (now ^ (u128::from(std::process::id()) << 64)).to_le_bytes()
    });
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let mut text = format!("{:032x}", u128::from_be_bytes(bytes));
    for at in [20, 16, 12, 8] {
        text.insert(at, '-');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_have_the_version_4_form() {
        let a = uuid_v4();
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"), "{a}");
        assert_ne!(a, uuid_v4());
    }

    #[test]
    fn groups_zero_and_one_are_never_signalled() {
        assert!(kill_group(0, 0).is_err());
        assert!(kill_group(1, 0).is_err());
    }

    #[test]
    fn signals_are_named() {
        assert_eq!(name(libc::SIGTERM), "SIGTERM");
        assert_eq!(name(99), "signal 99");
    }
}
