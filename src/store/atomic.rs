//! The durable atomic replacement of one small file: a temporary beside the target, flushed,
//! renamed over it, then the directory flushed so the rename survives a crash. The temporary
//! is a dotfile (readers skip it) of a shape [`is_temporary_name`] recognises exactly, so the
//! cleanup of a killed writer's removes only files certainly ours: that shape, a regular file
//! by `lstat`, owned by the checker's user or the directory's.

use std::fs::{self, OpenOptions, Permissions};
use std::hash::{BuildHasher, RandomState};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::{Duration, SystemTime};

use regex::Regex;

use super::users::effective_uid;

/// The mode of every file written, whatever the umask: others read them (checker, node_exporter).
pub(crate) const MODE: u32 = 0o644;

const ATTEMPTS: u32 = 8;

fn temporary_name(target: &str, pid: u32, nonce: u64) -> String {
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

/// Replaces `path` with what `fill` streams, with `mode` and, if given, owner and group (a
/// crontab keeps its own). With `create`, an existing `path` (a link too) fails `AlreadyExists`:
/// a racing writer never overwrites it. On failure the old file stays, without temporary.
pub(crate) fn write_as(
    path: &Path,
    mode: u32,
    owner: Option<(u32, u32)>,
    create: bool,
    fill: &mut dyn FnMut(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let name = path.file_name().and_then(|n| n.to_str());
    let name =
        name.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
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
    written.inspect_err(|_| drop(fs::remove_file(&temp)))?;
    // The rename is flushed with the directory; one that cannot (`EINVAL`) need not.
    let handle = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY)
        .open(dir)?;
    match handle.sync_all() {
        Err(err) if err.raw_os_error() == Some(libc::EINVAL) => Ok(()),
        other => other,
    }
}

/// No write takes more than a moment; an hour leaves a slow disk every chance.
const TEMP_MAX_AGE: Duration = Duration::from_secs(3600);

type Failed = Vec<(PathBuf, io::Error)>;

/// Removes, in `dirs` and their real, undotted subdirectories, the temporaries older than
/// [`TEMP_MAX_AGE`] by the real clock, never `--now` (a future one would remove a live writer's);
/// returns those that could not be removed, and why (but those gone or not ours to remove).
pub(crate) fn clean_temporaries(dirs: &[PathBuf]) -> Failed {
    let mut cleanup = Failed::new();
    if let Some(before) = SystemTime::now().checked_sub(TEMP_MAX_AGE) {
        for dir in dirs {
            clean_dir(dir, true, before, &mut cleanup);
        }
    }
    cleanup
}

fn clean_dir(dir: &Path, descend: bool, before: SystemTime, cleanup: &mut Failed) {
    let Ok(owner) = fs::symlink_metadata(dir).map(|m| m.uid()) else {
        return;
    };
    let euid = effective_uid();
    let listing = fs::read_dir(dir).into_iter().flatten();
    for item in listing.map_while(Result::ok) {
        let name = item.file_name();
        let Some(name) = name.to_str() else { continue };
        if !is_temporary_name(name) {
            if descend && !name.starts_with('.') && item.file_type().is_ok_and(|t| t.is_dir()) {
                clean_dir(&item.path(), false, before, cleanup);
            }
            continue;
        }
        // `DirEntry::metadata` is an lstat: a symlink is judged as itself.
        let old_and_ours = item.metadata().is_ok_and(|meta| {
            meta.file_type().is_file()
                && [euid, owner].contains(&meta.uid())
                && meta.modified().is_ok_and(|m| m < before)
        });
        if !old_and_ours {
            continue;
        }
        let path = item.path();
        if let Err(err) = fs::remove_file(&path) {
            use io::ErrorKind::{NotFound, PermissionDenied, ReadOnlyFilesystem};
            if !matches!(err.kind(), NotFound | PermissionDenied | ReadOnlyFilesystem) {
                cleanup.push((path, err));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::open::{dir_with, names};
    use std::fs::{File, FileTimes};

    fn replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
        write_as(path, MODE, None, false, &mut |out| out.write_all(bytes))
    }

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
        let (dir, path) = dir_with("job.last", "old", 0o600);
        replace(&path, b"new").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert_eq!(fs::metadata(&path).unwrap().mode() & 0o7777, MODE);
        assert_eq!(names(dir.path()), ["job.last"]);
    }

    #[test]
    fn a_fill_that_fails_leaves_the_old_file_and_no_temporary() {
        let (dir, path) = dir_with("metrics.prom", "old", 0o644);
        let err = write_as(&path, MODE, None, false, &mut |out| {
            out.write_all(&vec![b'x'; 100_000])?;
            Err(io::Error::other("the renderer gave up"))
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "the renderer gave up");
        assert_eq!(fs::read(&path).unwrap(), b"old");
        replace(&path, b"new").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert_eq!(names(dir.path()), ["metrics.prom"]);
    }

    #[test]
    fn a_symlink_at_the_target_is_replaced_not_followed() {
        let (dir, victim) = dir_with("victim", "keep", 0o644);
        let path = dir.path().join("job.last");
        std::os::unix::fs::symlink(&victim, &path).unwrap();
        replace(&path, b"new").unwrap();
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
        assert!(replace(&path, b"new").is_err());
        assert_eq!(names(dir.path()), ["job.last"]);
    }

    #[test]
    fn creating_never_replaces_a_file_or_a_link_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
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
        assert_eq!(names(dir.path()), ["link.bak", "tab.bak"]);
    }

    fn aged(path: &Path, age: Duration) {
        let when = SystemTime::now() - age;
        File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_times(FileTimes::new().set_modified(when).set_accessed(when))
            .unwrap();
    }

    const HOUR_AND_A_BIT: Duration = Duration::from_secs(3601 + 60);

    #[test]
    fn removes_old_temporaries_of_ours_and_nothing_else() {
        let area = tempfile::tempdir().unwrap();
        let dir = area.path();
        let old_temp = temporary_name("backup.last", 77, 0xfeed);
        let fresh_temp = temporary_name("fresh.last", 78, 0xbeef);
        let lookalike = ".backup.last.77.000000000000feed.tmp";
        let heartbeat = "backup.last";
        for name in [&old_temp, &fresh_temp, lookalike, heartbeat] {
            fs::write(dir.join(name), "x").unwrap();
        }
        for name in [&old_temp, lookalike, heartbeat] {
            aged(&dir.join(name), HOUR_AND_A_BIT);
        }
        // A symlink and a directory with a temporary's name are not files
        // of ours, however old.
        let victim = dir.join("victim");
        fs::write(&victim, "keep").unwrap();
        aged(&victim, HOUR_AND_A_BIT);
        let link = temporary_name("link.last", 79, 1);
        std::os::unix::fs::symlink(&victim, dir.join(&link)).unwrap();
        let subdir_named_like_one = temporary_name("dir.last", 80, 2);
        fs::create_dir(dir.join(&subdir_named_like_one)).unwrap();
        // One level down, in a host subdirectory, old temporaries go too.
        let host = dir.join("web1");
        fs::create_dir(&host).unwrap();
        let nested = temporary_name("nightly.last", 81, 3);
        fs::write(host.join(&nested), "x").unwrap();
        aged(&host.join(&nested), HOUR_AND_A_BIT);

        let cleanup = clean_temporaries(&[dir.to_owned()]);

        assert!(cleanup.is_empty(), "{cleanup:?}");
        assert!(!dir.join(&old_temp).exists() && !host.join(&nested).exists());
        let mut left = vec![
            fresh_temp,
            lookalike.to_owned(),
            heartbeat.to_owned(),
            "victim".to_owned(),
            link,
            subdir_named_like_one,
            "web1".to_owned(),
        ];
        left.sort();
        assert_eq!(names(dir), left);
        assert!(names(&host).is_empty());
        assert_eq!(fs::read(&victim).unwrap(), b"keep");
    }

    #[test]
    fn a_temporary_of_another_user_is_left_alone() {
        if effective_uid() != 0 {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must run the suite as root to chown a file to another user"
            );
            eprintln!("SKIP a_temporary_of_another_user_is_left_alone: needs root to chown");
            return;
        }
        let area = tempfile::tempdir().unwrap();
        let dir = area.path();
        let theirs = dir.join(temporary_name("theirs.last", 90, 9));
        fs::write(&theirs, "x").unwrap();
        aged(&theirs, HOUR_AND_A_BIT);
        std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).unwrap();
        let cleanup = clean_temporaries(&[dir.to_owned()]);
        assert!(cleanup.is_empty(), "{cleanup:?}");
        assert!(theirs.exists());
        // The same file owned by the directory's owner is removed.
        std::os::unix::fs::chown(dir, Some(65534), Some(65534)).unwrap();
        let cleanup = clean_temporaries(&[dir.to_owned()]);
        assert!(cleanup.is_empty(), "{cleanup:?}");
        assert!(!theirs.exists());
    }
}
