//! One run of a job at a time: a per-job lock file, `.<job>.lock` in the
//! heartbeat directory, locked with `flock(2)` for the life of the command.
//! The kernel drops a `flock` when its holder dies, so a wrapper that
//! crashed or was killed never leaves a lock that blocks the next run. The
//! holder writes `<wrapper pid> <command's process group>` into the file;
//! `replace` signals that group only after checking, in `/proc/locks` and
//! `/proc/<pid>/stat`, that the wrapper named there really holds this lock
//! and really is the parent of that group.

use std::fs::File;
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::os::unix::io::{AsRawFd, RawFd};
use std::path::Path;
use std::time::{Duration, Instant};

use super::{signal, KILL_GRACE};
use crate::error::Error;
use crate::store::open::{read_regular, Links};
use crate::store::{open_lock_file, wait_lock, LockWait};

/// What to do when another run of the job holds the lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Mode {
    /// Run nothing, say so on stderr, exit 0.
    Skip,
    /// Wait for the other run to end, up to the job's interval.
    Wait,
    /// End the other run (SIGTERM to its group, SIGKILL 10 s later) and run.
    Replace,
}

pub(crate) struct JobLock {
    file: File,
}

impl JobLock {
    /// Notes the command's process group, for a later `replace`.
    pub(crate) fn record_group(&self, pgid: u32) {
        let text = format!("{} {pgid}\n", std::process::id());
        let _ = self.file.set_len(0);
        let _ = self.file.write_all_at(text.as_bytes(), 0);
    }

    /// For the command to inherit: a `flock` belongs to the open file, so the
    /// command's group holds the lock with the wrapper, even once it is killed.
    pub(crate) fn fd(&self) -> RawFd {
        self.file.as_raw_fd()
    }

    /// Releases the lock for every process that shares it (leftovers too).
    pub(crate) fn release(self) {
        let _ = self.file.unlock();
    }
}

pub(crate) enum Acquired {
    Held(JobLock),
    /// Another run holds it and keeps it; the reason says what was done.
    Busy(String),
    /// The wait for it was ended by this signal.
    Signalled(i32),
}

type Pause<'a> = &'a mut dyn FnMut(Duration) -> Option<i32>;

/// Takes `job`'s lock in `dir` as `mode` says (`wait`: up to `patience`); a signal may end `pause`.
pub(crate) fn acquire(
    dir: &Path,
    job: &str,
    mode: Mode,
    patience: Duration,
    mut pause: impl FnMut(Duration) -> Option<i32>,
) -> Result<Acquired, Error> {
    let path = dir.join(format!(".{job}.lock"));
    let failed = |source| Error::Lock {
        path: path.clone(),
        source,
    };
    let file = open_lock_file(&path).map_err(failed)?;
    let waited = match mode {
        Mode::Skip => wait_lock(&file, Duration::ZERO, &mut pause).map(Ok),
        Mode::Wait => wait_lock(&file, patience, &mut pause).map(Ok),
        Mode::Replace => replace(&file, &mut pause),
    };
    Ok(match waited.map_err(failed)? {
        Ok(LockWait::Locked) => Acquired::Held(JobLock { file }),
        Ok(LockWait::Stopped(sig)) => Acquired::Signalled(sig),
        Ok(LockWait::TimedOut) if mode == Mode::Skip => {
            Acquired::Busy("another run holds the job's lock; skipped this run".to_owned())
        }
        Ok(LockWait::TimedOut) => Acquired::Busy(format!(
            "another run held the job's lock for the {}s this run waited; skipped this run",
            patience.as_secs()
        )),
        Err(why) => Acquired::Busy(why),
    })
}

/// Ends the verified holder and waits for the lock; `Err` says why it was not replaced.
fn replace(file: &File, pause: Pause) -> io::Result<Result<LockWait<i32>, String>> {
    // The holder writes its group right after starting the command: give a new run a moment.
    let until = Instant::now() + Duration::from_secs(2);
    let group = loop {
        match wait_lock(file, Duration::ZERO, &mut *pause)? {
            LockWait::TimedOut => {}
            waited => return Ok(Ok(waited)),
        }
        if let Some(group) = verified_holder(file) {
            break group;
        }
        if Instant::now() >= until {
            return Ok(Err("another process holds the job's lock, but it is not a wrapper running the job that could be checked; not replacing it, skipped this run".to_owned()));
        }
        if let Some(sig) = pause(Duration::from_millis(100)) {
            return Ok(Ok(LockWait::Stopped(sig)));
        }
    };
    for (sig, grace) in [
        (libc::SIGTERM, KILL_GRACE),
        (libc::SIGKILL, Duration::from_secs(5)),
    ] {
        let _ = signal::kill_group(group, sig);
        match wait_lock(file, grace, &mut *pause)? {
            LockWait::TimedOut => {}
            waited => return Ok(Ok(waited)),
        }
    }
    Ok(Err(format!(
        "the previous run (process group {group}) kept the job's lock after SIGTERM and SIGKILL; skipped this run"
    )))
}

/// The process group the lock file names, once verified (see the module).
fn verified_holder(file: &File) -> Option<u32> {
    let mut note = [0u8; 64];
    let n = file.read_at(&mut note, 0).ok()?;
    let mut fields = std::str::from_utf8(&note[..n]).ok()?.split_whitespace();
    let wrapper: u32 = fields.next()?.parse().ok()?;
    let group: u32 = fields.next()?.parse().ok()?;
    let meta = file.metadata().ok()?;
    let (locks, _) = read_regular(Path::new("/proc/locks"), Links::Refuse, 4 << 20).ok()?;
    let holder = flock_holder(&String::from_utf8_lossy(&locks), meta.dev(), meta.ino())?;
    let (parent, pgrp) = crate::store::host::parent_and_group(group)?;
    (holder == wrapper && parent == wrapper && pgrp == group).then_some(group)
}

/// The pid holding a `flock` on `dev`/`ino` in `/proc/locks`
/// (`1: FLOCK  ADVISORY  WRITE 4242 08:01:1234 0 EOF`).
fn flock_holder(locks: &str, dev: u64, ino: u64) -> Option<u32> {
    let id = format!("{:02x}:{:02x}:{ino}", libc::major(dev), libc::minor(dev));
    locks.lines().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            [_, "FLOCK", _, "WRITE", pid, file, ..] if *file == id => pid.parse().ok(),
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_locks_lines_are_matched_by_device_and_inode() {
        let dev = libc::makedev(8, 1);
        let text = "1: POSIX  ADVISORY  WRITE 11 08:01:77 0 EOF\n2: FLOCK  ADVISORY  WRITE 4242 08:01:77 0 EOF\n2: -> FLOCK  ADVISORY  WRITE 5 08:01:77 0 EOF\n";
        assert_eq!(flock_holder(text, dev, 77), Some(4242));
        assert_eq!(flock_holder(text, dev, 78), None);
        assert_eq!(flock_holder(text, libc::makedev(0x10, 0x2d), 77), None);
    }

    #[test]
    fn a_second_lock_is_busy_and_a_dropped_one_is_free() {
        let dir = tempfile::tempdir().unwrap();
        let Acquired::Held(first) = acquire(
            dir.path(),
            "j",
            Mode::Skip,
            Duration::ZERO,
            crate::store::lock::sleep_pause,
        )
        .unwrap() else {
            panic!("the first lock is free")
        };
        assert!(matches!(
            acquire(
                dir.path(),
                "j",
                Mode::Skip,
                Duration::ZERO,
                crate::store::lock::sleep_pause
            )
            .unwrap(),
            Acquired::Busy(_)
        ));
        // Not a verified wrapper: replace refuses to signal anyone.
        first.record_group(1);
        assert!(matches!(
            acquire(dir.path(), "j", Mode::Replace, Duration::ZERO, crate::store::lock::sleep_pause).unwrap(),
            Acquired::Busy(reason) if reason.contains("not replacing")
        ));
        drop(first);
        assert!(matches!(
            acquire(
                dir.path(),
                "j",
                Mode::Wait,
                Duration::from_secs(1),
                crate::store::lock::sleep_pause
            )
            .unwrap(),
            Acquired::Held(_)
        ));
    }
}
