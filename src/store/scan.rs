//! The scan: every heartbeat file in the heartbeat directories, read into a
//! record or the reason it cannot be used.

use std::fs::{self, File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use chrono::DateTime;

use walkdir::WalkDir;

use super::{users, EXTENSION, MAX_FILE_BYTES};
use crate::error::Error;
use crate::escape::terminal;
use crate::record::{validate_host, validate_job, Content, Entry, Heartbeat};

/// Finds every `*.last` file directly in each of `dirs` and one level of
/// subdirectories below, skipping dotfiles, and reads each one. The
/// per-user areas below `users/` follow their own rule (see `users`).
///
/// A directory of `dirs` that cannot be listed is an error; a bad file or an
/// unreadable subdirectory becomes an entry with the reason, and the scan
/// goes on.
pub fn scan(dirs: &[PathBuf]) -> Result<Vec<Entry>, Error> {
    let mut entries = Vec::new();
    scan_each(dirs, &mut |entry| entries.push(entry))?;
    Ok(entries)
}

/// Like [`scan()`], but hands each entry to `each` as soon as it is read
/// instead of gathering them, so a caller that keeps less than the whole
/// entry (the check run keeps the judgement) never holds every record at
/// once. Entries come in directory order; callers sort what they keep.
pub fn scan_each(dirs: &[PathBuf], each: &mut dyn FnMut(Entry)) -> Result<(), Error> {
    for dir in dirs {
        fs::read_dir(dir).map_err(|source| Error::ReadDir {
            path: dir.clone(),
            source,
        })?;
        let walk = WalkDir::new(dir)
            .min_depth(1)
            .max_depth(2)
            .follow_links(true)
            .into_iter()
            .filter_entry(|e| {
                e.depth() == 0
                    || !(e.file_name().to_string_lossy().starts_with('.')
                        || users::is_users_dir(e.depth(), e.file_name(), e.file_type()))
            });
        for item in walk {
            match item {
                Ok(found) => {
                    if let Some(entry) = read_entry(dir, &found) {
                        each(entry);
                    }
                }
                Err(err) => {
                    let path = err.path().unwrap_or(dir).to_owned();
                    if path.as_path() == dir.as_path() {
                        return Err(Error::ReadDir {
                            path,
                            source: err.into(),
                        });
                    }
                    let name = path.file_name().unwrap_or_default().to_string_lossy();
                    if name.starts_with('.') {
                        // A dotfile (a broken link among them) is ignored
                        // like every other.
                        continue;
                    }
                    if fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
                        // A link that leads nowhere (or in a loop): only a
                        // heartbeat's name makes it worth a row.
                        if let Some(job) = name.strip_suffix(".last") {
                            each(Entry {
                                job: job.to_owned(),
                                subdir: None,
                                content: Err("a symbolic link; a heartbeat must be a regular file"
                                    .to_owned()),
                                path,
                            });
                        }
                        continue;
                    }
                    each(Entry {
                        job: format!("{name}/"),
                        subdir: None,
                        content: Err(format!("cannot list directory: {}", io_cause(err))),
                        path,
                    });
                }
            }
        }
        for entry in users::scan_areas(dir, read_content) {
            each(entry);
        }
    }
    Ok(())
}

fn io_cause(err: walkdir::Error) -> String {
    match err.into_io_error() {
        Some(io) => io.to_string(),
        None => "a symlink loop".to_owned(),
    }
}

fn read_entry(root: &Path, found: &walkdir::DirEntry) -> Option<Entry> {
    let path = found.path();
    let job = path
        .file_name()?
        .to_str()
        .and_then(|name| name.strip_suffix(".last"))
        .map(str::to_owned);
    let job = match job {
        Some(job) => job,
        // Not a heartbeat, or a non-UTF-8 name that cannot be one.
        None if path.extension().is_some_and(|e| e == EXTENSION) => {
            path.file_name()?.to_string_lossy().into_owned()
        }
        None => return None,
    };
    // A directory named `*.last` is not a heartbeat file, but it is where
    // one was expected: it is reported, not skipped.
    let subdir = (found.depth() == 2)
        .then(|| {
            path.parent()?
                .strip_prefix(root)
                .ok()?
                .to_str()
                .map(str::to_owned)
        })
        .flatten();
    let content = if validate_job(&job).is_err() {
        Err("the file name is not a valid job name".to_owned())
    } else if let Some(Err(reason)) = subdir.as_deref().map(validate_host) {
        Err(format!(
            "the directory `{}` is not named after a host: {reason}",
            terminal(subdir.as_deref().unwrap_or_default())
        ))
    } else {
        read_content(path, &job)
    };
    Some(Entry {
        path: path.to_owned(),
        job,
        subdir,
        content,
    })
}

/// What kind of file a non-regular file is, for the reason.
fn kind(file_type: fs::FileType) -> &'static str {
    if file_type.is_symlink() {
        "a symbolic link"
    } else if file_type.is_dir() {
        "a directory"
    } else if file_type.is_fifo() {
        "a FIFO"
    } else if file_type.is_char_device() {
        "a character device"
    } else if file_type.is_block_device() {
        "a block device"
    } else if file_type.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

/// Opens a heartbeat file without ever blocking or following a link.
///
/// What the file is comes from the handle opened, not from the name: the
/// name is first looked at without following it (a FIFO, a device, a
/// socket or a symbolic link is refused unopened, so that no device is
/// opened and no link to `/proc/kmsg` is read), then opened with
/// `O_NONBLOCK | O_NOFOLLOW | O_NOCTTY`, and the handle must be a regular
/// file too (the name may have been swapped for a FIFO in between).
pub(crate) fn open_regular(path: &Path) -> Result<(File, fs::Metadata), String> {
    let named = fs::symlink_metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    if !named.file_type().is_file() {
        return Err(format!(
            "{}; a heartbeat must be a regular file",
            kind(named.file_type())
        ));
    }
    open_handle(path)
}

/// Opens `path` without blocking or following a link and says what the
/// handle is: only a regular file is accepted.
fn open_handle(path: &Path) -> Result<(File, fs::Metadata), String> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => "a symbolic link; a heartbeat must be a regular file".to_owned(),
            _ => format!("cannot read: {e}"),
        })?;
    let meta = file.metadata().map_err(|e| format!("cannot read: {e}"))?;
    if !meta.is_file() {
        return Err(format!(
            "{}; a heartbeat must be a regular file",
            kind(meta.file_type())
        ));
    }
    Ok((file, meta))
}

/// Reads at most `cap` bytes from `file`; more is an error, whatever the
/// size said when it was opened (a file can grow).
/// The buffer is sized for `len`, the size when opened, so a heartbeat
/// takes two reads instead of five.
pub(crate) fn read_capped(file: File, cap: u64, len: u64) -> Result<Vec<u8>, String> {
    let room = usize::try_from(len.min(cap).saturating_add(1)).unwrap_or(0);
    let mut bytes = Vec::with_capacity(room);
    file.take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if u64::try_from(bytes.len()).map_or(true, |n| n > cap) {
        return Err(format!("the file is larger than a heartbeat's {cap} bytes"));
    }
    Ok(bytes)
}

fn read_content(path: &Path, job: &str) -> Result<Content, String> {
    let (file, meta) = open_regular(path)?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!(
            "the file is {} bytes, more than a heartbeat's {MAX_FILE_BYTES}",
            meta.len()
        ));
    }
    let bytes = read_capped(file, MAX_FILE_BYTES, meta.len())?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        // The modification time is whatever the filesystem holds (tmpfs
        // stores any time): one out of range makes the file invalid.
        let modified = u32::try_from(meta.mtime_nsec())
            .ok()
            .and_then(|nanos| DateTime::from_timestamp(meta.mtime(), nanos))
            .ok_or_else(|| {
                format!(
                    "the modification time ({} seconds from 1970) is out of range",
                    meta.mtime()
                )
            })?;
        return Ok(Content::Empty { modified });
    }
    let record =
        Heartbeat::from_json(&bytes).map_err(|e| format!("not a heartbeat record: {e}"))?;
    if record.job != job {
        return Err(format!(
            "the file is named `{job}.last` but the record is for job `{}`",
            terminal(&record.job)
        ));
    }
    Ok(Content::Record(record))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;

    fn mkfifo(path: &Path) {
        let name = CString::new(path.as_os_str().as_bytes()).unwrap();
        // SAFETY: `name` is a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o644) }, 0);
    }

    #[test]
    fn a_file_swapped_for_a_fifo_after_the_name_was_checked_is_refused_without_blocking() {
        // What the name said no longer matters: the handle is judged. A
        // FIFO without a writer would block a plain open forever.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("backup.last");
        mkfifo(&path);
        let err = open_handle(&path).unwrap_err();
        assert_eq!(err, "a FIFO; a heartbeat must be a regular file");
        assert!(open_regular(&path).unwrap_err().starts_with("a FIFO"));
    }

    #[test]
    fn a_file_that_grew_past_the_cap_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.last");
        fs::write(&path, vec![b' '; 100]).unwrap();
        let (file, _) = open_regular(&path).unwrap();
        assert!(read_capped(file, 99, 100).unwrap_err().contains("larger"));
        let (file, _) = open_regular(&path).unwrap();
        assert_eq!(read_capped(file, 100, 0).unwrap().len(), 100);
    }

    #[test]
    fn a_link_is_refused_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real.last");
        fs::write(&target, "{}").unwrap();
        let link = dir.path().join("backup.last");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(open_regular(&link)
            .unwrap_err()
            .starts_with("a symbolic link"));
        assert!(open_handle(&link)
            .unwrap_err()
            .starts_with("a symbolic link"));
    }
}
