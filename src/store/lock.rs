//! The run lock that keeps hb-check runs from overlapping: one per host checked
//! (`hb-check.<host>.lock`, as its alert issue and metrics file), in the first entry of
//! `$RUNTIME_DIRECTORY`, else `$STATE_DIRECTORY`; for root `/run/cron-heartbeat` (the shipped
//! unit's `RuntimeDirectory=`, so cron and the timer share it); else the user's state directory.
//! It is an empty regular file of this user's, `0600`, not a link, in a directory no other user
//! may write to (or a sticky one): nobody else can redirect, pre-create or take it.

use std::fs::{self, DirBuilder, File, OpenOptions, Permissions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::open::{regular, Links, Refused};
use super::{user_dir, users::effective_uid};
use crate::error::Error;

/// Released on drop.
#[derive(Debug)]
pub(crate) struct RunLock {
    _file: File,
    pub(crate) path: PathBuf,
}

/// The first entry of the `:`-separated list systemd sets in `name`.
fn first_entry(name: &str) -> Option<PathBuf> {
    let value = std::env::var(name).ok()?;
    let first = value.split(':').next()?.trim();
    (!first.is_empty()).then(|| PathBuf::from(first))
}

fn default_lock(host: &str) -> Result<PathBuf, Error> {
    let name = format!("hb-check.{host}.lock");
    if let Some(dir) = first_entry("RUNTIME_DIRECTORY").or_else(|| first_entry("STATE_DIRECTORY")) {
        return Ok(dir.join(name));
    }
    let dir = if effective_uid() == 0 {
        PathBuf::from("/run/cron-heartbeat")
    } else {
        user_dir().ok_or_else(|| Error::LockUnsafe {
            path: PathBuf::from("hb-check.lock"),
            reason: "no home directory to keep the lock in; give --lock-file".to_owned(),
        })?
    };
    match DirBuilder::new().recursive(true).mode(0o700).create(&dir) {
        Err(source) => Err(Error::Lock { path: dir, source }),
        Ok(()) => Ok(dir.join(name)),
    }
}

/// Takes the run lock at `path` (default: `host`'s), waiting up to `timeout`.
pub(crate) fn lock(path: Option<&Path>, host: &str, timeout: Duration) -> Result<RunLock, Error> {
    let path = path.map_or_else(|| default_lock(host), |path| Ok(path.to_owned()))?;
    let file = open_lock(&path)?;
    match wait_lock(&file, timeout, sleep_pause::<()>) {
        Ok(LockWait::Locked) => Ok(RunLock { _file: file, path }),
        Ok(_) => Err(Error::LockTimeout {
            path,
            waited: timeout,
        }),
        Err(source) => Err(Error::Lock { path, source }),
    }
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum LockWait<T> {
    Locked,
    TimedOut,
    /// `pause` stopped the wait, for this reason.
    Stopped(T),
}

/// The one wait for a `flock`: tries until `patience` has passed (at least once), pausing by
/// `pause` 1 ms doubling up to 50 ms; `pause` may stop the wait (a wrapper's on a signal).
pub(crate) fn wait_lock<T>(
    file: &File,
    patience: Duration,
    mut pause: impl FnMut(Duration) -> Option<T>,
) -> io::Result<LockWait<T>> {
    // A patience past what an `Instant` holds waits as long as one can.
    let until = Instant::now().checked_add(patience);
    let mut gap = Duration::from_millis(1);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(LockWait::Locked),
            Err(fs::TryLockError::WouldBlock) => {}
            Err(fs::TryLockError::Error(err)) => return Err(err),
        }
        let left = until.map_or(gap, |u| u.saturating_duration_since(Instant::now()));
        if left.is_zero() {
            return Ok(LockWait::TimedOut);
        }
        if let Some(reason) = pause(gap.min(left)) {
            return Ok(LockWait::Stopped(reason));
        }
        gap = (gap * 2).min(Duration::from_millis(50));
    }
}

pub(crate) fn sleep_pause<T>(gap: Duration) -> Option<T> {
    std::thread::sleep(gap);
    None
}

/// Opens or creates (owner-only) the lock file, never through a link.
pub(crate) fn open_lock_file(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
}

fn open_lock(path: &Path) -> Result<File, Error> {
    let failed = |source: io::Error| Error::Lock {
        path: path.to_owned(),
        source,
    };
    let refuse = |reason: String| {
        let path = path.to_owned();
        Err(Error::LockUnsafe { path, reason })
    };
    let euid = effective_uid();
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    let dir = fs::metadata(dir.unwrap_or(Path::new("."))).map_err(failed)?;
    let (owner, mode) = (dir.uid(), dir.mode() & 0o7777);
    if owner != euid && owner != 0 {
        return refuse(format!(
            "its directory belongs to uid {owner}, not to this user (uid {euid}) or root"
        ));
    }
    if mode & 0o022 != 0 && mode & 0o1000 == 0 {
        return refuse(format!(
            "other users may write to its directory (mode {mode:04o}); run `chmod go-w` on it or give another --lock-file"
        ));
    }
    // Said plainly here: the kernel may refuse a link planted in a sticky directory first.
    let link = || refuse("it is a symbolic link".to_owned());
    if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return link();
    }
    let (file, meta) = match regular(open_lock_file(path), Links::Refuse) {
        Ok(opened) => opened,
        Err(Refused::Io(source)) => return Err(failed(source)),
        Err(Refused::Link) => return link(),
        Err(_) => return refuse("it is not a regular file".to_owned()),
    };
    if meta.uid() != euid {
        let owner = meta.uid();
        return refuse(format!(
            "it belongs to uid {owner}, not to this user (uid {euid}); remove it"
        ));
    }
    // Content (`--lock-file /etc/passwd` by a slip) is data: it is neither locked nor tightened.
    if meta.len() != 0 {
        return refuse(format!(
            "it holds {} bytes and a lock file is empty; give another --lock-file",
            meta.len()
        ));
    }
    if meta.mode() & 0o077 != 0 {
        file.set_permissions(Permissions::from_mode(0o600))
            .map_err(failed)?;
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_is_created_owner_only_and_excludes_a_second_taker() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.lock");
        let held = lock(Some(&path), "web1", Duration::ZERO).unwrap();
        assert_eq!(fs::metadata(&path).unwrap().mode() & 0o7777, 0o600);
        let err = lock(Some(&path), "web1", Duration::ZERO).unwrap_err();
        assert!(matches!(err, Error::LockTimeout { .. }), "{err}");
        drop(held);
        lock(Some(&path), "web1", Duration::ZERO).unwrap();
    }

    #[test]
    fn a_link_at_the_lock_is_refused_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        let path = dir.path().join("x.lock");
        std::os::unix::fs::symlink(&victim, &path).unwrap();
        let err = lock(Some(&path), "web1", Duration::ZERO).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert!(!victim.exists(), "nothing is created through the link");
    }

    #[test]
    fn a_lock_in_a_directory_others_may_write_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        fs::set_permissions(dir.path(), Permissions::from_mode(0o777)).unwrap();
        let err = lock(Some(&dir.path().join("x.lock")), "web1", Duration::ZERO).unwrap_err();
        assert!(err.to_string().contains("other users may write"), "{err}");
        // Sticky, like /tmp: others cannot remove or replace this user's file.
        fs::set_permissions(dir.path(), Permissions::from_mode(0o1777)).unwrap();
        lock(Some(&dir.path().join("x.lock")), "web1", Duration::ZERO).unwrap();
    }

    #[test]
    fn an_existing_lock_is_tightened_to_owner_only() {
        let (_dir, path) = crate::store::open::dir_with("x.lock", "", 0o666);
        lock(Some(&path), "web1", Duration::ZERO).unwrap();
        assert_eq!(fs::metadata(&path).unwrap().mode() & 0o7777, 0o600);
    }

    #[test]
    fn a_file_with_content_is_refused_and_left_as_it_was() {
        let (_dir, path) = crate::store::open::dir_with("passwd", "root:x:0:0\n", 0o644);
        let err = lock(Some(&path), "web1", Duration::ZERO).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("holds 11 bytes and a lock file is empty"),
            "{text}"
        );
        assert_eq!(fs::metadata(&path).unwrap().mode() & 0o7777, 0o644);
        assert_eq!(fs::read(&path).unwrap(), b"root:x:0:0\n");
    }
}
