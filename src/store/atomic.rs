//! The durable atomic replacement of one small file: the bytes go to a
//! temporary beside the target, flushed and renamed over it; then the
//! directory is flushed, so that the rename survives a crash. A reader sees
//! the old file or the new one. The temporary is a dotfile (readers skip it)
//! of a shape [`is_temporary_name`] recognises exactly, so cleanup never
//! takes someone else's file for one of ours.

use std::collections::hash_map::RandomState;
use std::fs::{self, OpenOptions, Permissions};
use std::hash::BuildHasher;
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

/// The mode of every file written, whatever the umask: heartbeats and
/// metrics are read by other users (the checker, node_exporter).
pub(crate) const MODE: u32 = 0o644;

const ATTEMPTS: u32 = 8;

pub(crate) fn temporary_name(target: &str, pid: u32, nonce: u64) -> String {
    format!(".{target}.{pid}.{nonce:016x}.hbtmp")
}

/// Whether `name` has exactly the shape of a temporary's name:
/// `.<target>.<pid>.<nonce>.hbtmp`, with a pid of 1 to 10 digits and a
/// nonce of 16 lowercase hex digits.
pub fn is_temporary_name(name: &str) -> bool {
    static SHAPE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^\.[^/]+\.[0-9]{1,10}\.[0-9a-f]{16}\.hbtmp$").expect("a valid pattern")
    });
    SHAPE.is_match(name)
}

/// Replaces `path` with what `fill` streams, with `mode` and, when given,
/// owner and group (a crontab keeps its own); with `create`, a `path` that
/// exists (a link included) is kept and the write fails `AlreadyExists`, so
/// a racing second writer never overwrites it. On any failure the old file
/// stays and no temporary is left (unless the process is killed: `clean`).
pub(crate) fn write_as(
    path: &Path,
    mode: u32,
    owner: Option<(u32, u32)>,
    create: bool,
    fill: &mut dyn FnMut(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    let dir = dir.unwrap_or(Path::new("."));
    let pid = std::process::id();
    let mut attempt = 0;
    let (temp, mut file) = loop {
        attempt += 1;
        // Every `RandomState` has new random keys: a fresh nonce each time.
        let nonce = RandomState::new().hash_one(attempt);
        let temp = dir.join(temporary_name(name, pid, nonce));
        // O_EXCL refuses a symlink planted at the name (so does O_NOFOLLOW).
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode & 0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&temp)
        {
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists && attempt < ATTEMPTS => {}
            opened => break (temp, opened?),
        }
    };
    let owned = owner.map_or(Ok(()), |(uid, gid)| {
        std::os::unix::fs::fchown(&file, Some(uid), Some(gid))
    });
    let written = owned
        .and_then(|()| file.set_permissions(Permissions::from_mode(mode)))
        .and_then(|()| {
            let mut out = io::BufWriter::new(&mut file);
            fill(&mut out)?;
            out.flush()
        })
        .and_then(|()| file.sync_all())
        .and_then(|()| {
            drop(file);
            if create {
                // A link never replaces a name.
                fs::hard_link(&temp, path)?;
                fs::remove_file(&temp)
            } else {
                fs::rename(&temp, path)
            }
        });
    if let Err(err) = written {
        let _ = fs::remove_file(&temp);
        return Err(err);
    }
    sync_dir(dir)
}

/// Flushes a directory's entries; one that cannot (`EINVAL`) need not.
fn sync_dir(dir: &Path) -> io::Result<()> {
    let handle = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY)
        .open(dir)?;
    match handle.sync_all() {
        Err(err) if err.raw_os_error() == Some(libc::EINVAL) => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn temporary_names_are_recognised_exactly() {
        let name = temporary_name("backup.last", 4242, 0x00ab_cdef_0123_4567);
        assert_eq!(name, ".backup.last.4242.00abcdef01234567.hbtmp");
        assert!(is_temporary_name(&name));
        assert!(is_temporary_name(&temporary_name("a", u32::MAX, u64::MAX)));
        for other in [
            "backup.last",
            ".backup.last",
            ".backup.last.4242.00abcdef01234567.hbtmp.x",
            "backup.last.4242.00abcdef01234567.hbtmp",
            ".backup.last.4242.00ABCDEF01234567.hbtmp",
            ".backup.last.4242.00abcdef0123456.hbtmp",
            ".backup.last.12345678901.00abcdef01234567.hbtmp",
            ".backup.last.42x2.00abcdef01234567.hbtmp",
            "..4242.00abcdef01234567.hbtmp",
            ".4242.00abcdef01234567.hbtmp",
            ".hbtmp",
            ".atomicwriteq2ijPu",
        ] {
            assert!(!is_temporary_name(other), "{other}");
        }
    }

    #[test]
    fn a_replace_leaves_the_new_bytes_mode_0644_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("job.last");
        fs::write(&path, "old").unwrap();
        fs::set_permissions(&path, Permissions::from_mode(0o600)).unwrap();
        write_as(&path, MODE, None, false, &mut |out| out.write_all(b"new")).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert_eq!(fs::metadata(&path).unwrap().mode() & 0o7777, MODE);
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["job.last"]);
    }

    #[test]
    fn a_fill_that_fails_leaves_the_old_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metrics.prom");
        fs::write(&path, "old").unwrap();
        let err = write_as(&path, MODE, None, false, &mut |out| {
            out.write_all(&vec![b'x'; 100_000])?;
            Err(io::Error::other("the renderer gave up"))
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "the renderer gave up");
        assert_eq!(fs::read(&path).unwrap(), b"old");
        write_as(&path, MODE, None, false, &mut |out| out.write_all(b"new")).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["metrics.prom"]);
    }

    #[test]
    fn a_symlink_at_the_target_is_replaced_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, "keep").unwrap();
        let path = dir.path().join("job.last");
        std::os::unix::fs::symlink(&victim, &path).unwrap();
        write_as(&path, MODE, None, false, &mut |out| out.write_all(b"new")).unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"keep");
        assert!(fs::symlink_metadata(&path).unwrap().is_file());
    }

    #[test]
    fn a_failed_rename_removes_the_temporary() {
        let dir = tempfile::tempdir().unwrap();
        // A non-empty directory at the target cannot be replaced by a file.
        let path = dir.path().join("job.last");
        fs::create_dir(&path).unwrap();
        fs::write(path.join("inside"), "x").unwrap();
        assert!(write_as(&path, MODE, None, false, &mut |out| out.write_all(b"new")).is_err());
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["job.last"]);
    }

    #[test]
    fn creating_never_replaces_a_file_or_a_link_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let names = || {
            let mut n: Vec<_> = (fs::read_dir(dir.path()).unwrap())
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
            n.sort();
            n
        };
        let path = dir.path().join("tab.bak");
        write_as(&path, 0o600, None, true, &mut |out| out.write_all(b"first")).unwrap();
        assert_eq!(fs::metadata(&path).unwrap().mode() & 0o777, 0o600);
        let again = write_as(&path, 0o600, None, true, &mut |out| {
            out.write_all(b"second")
        });
        assert_eq!(again.unwrap_err().kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&path).unwrap(), b"first");
        let link = dir.path().join("link.bak");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &link).unwrap();
        assert!(write_as(&link, 0o600, None, true, &mut |out| out.write_all(b"x")).is_err());
        assert!(!dir.path().join("nowhere").exists());
        assert_eq!(names(), ["link.bak", "tab.bak"]);
    }
}
