//! Removing the temporaries of writers killed before their rename (readers
//! skip them, as dotfiles), but only a file certainly ours: the exact name
//! shape ([`is_temporary_name`]), a regular file by `lstat`, owned by the
//! user running the check or by the directory's owner.

use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::{atomic::is_temporary_name, users::effective_uid};

/// No write takes more than a moment; an hour leaves a slow disk every chance.
const TEMP_MAX_AGE: Duration = Duration::from_secs(3600);

/// The temporaries that could not be removed, and why (but those gone or
/// where this user may not remove: not this run's to remove).
type Failed = Vec<(PathBuf, io::Error)>;

/// Removes, in `dirs` and their real, undotted subdirectories, the
/// temporaries older than [`TEMP_MAX_AGE`] by the real clock, never a
/// `--now` (a future one would remove a live writer's file).
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
        let Some(name) = name.to_str() else {
            continue;
        };
        let path = item.path();
        if !is_temporary_name(name) {
            if descend && !name.starts_with('.') && item.file_type().is_ok_and(|t| t.is_dir()) {
                clean_dir(&path, false, before, cleanup);
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
    use super::super::atomic::temporary_name;
    use super::*;
    use std::fs::{File, FileTimes};

    fn aged(path: &Path, age: Duration) {
        let when = SystemTime::now() - age;
        File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_times(FileTimes::new().set_modified(when).set_accessed(when))
            .unwrap();
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut all: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        all.sort();
        all
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
