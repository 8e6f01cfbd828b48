//! The scan: every heartbeat file of the directories, read into a record or why not.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use chrono::DateTime;

use super::open::{open_regular, Links, Opened, Refused};
use super::users::{scan_areas, USERS_DIR};
use crate::error::Error;
use crate::escape::terminal;
use crate::record::{validate_host, validate_job, Content, Entry, Heartbeat};

/// What a scan of `dir` walks: files and (host) subdirectories', links followed, but dotfiles and
/// `users/` (read by `users`).
pub(super) fn walk(dir: &Path) -> impl Iterator<Item = walkdir::Result<walkdir::DirEntry>> {
    walkdir::WalkDir::new(dir)
        .min_depth(1)
        .max_depth(2)
        .follow_links(true)
        .into_iter()
        .filter_entry(|e| {
            let users = e.depth() == 1 && e.file_name() == USERS_DIR && e.file_type().is_dir();
            e.depth() == 0 || !(e.file_name().to_string_lossy().starts_with('.') || users)
        })
}

/// Hands `each` every `*.last` file in [`walk`]'s order, then the users' areas' (no caller holds
/// every record); an unlistable dir of `dirs` is an error, a bad file or subdirectory an entry.
pub(crate) fn scan_each(dirs: &[PathBuf], each: &mut dyn FnMut(Entry)) -> Result<(), Error> {
    for dir in dirs {
        let unlisted = |source| Error::ReadDir {
            path: dir.clone(),
            source,
        };
        fs::read_dir(dir).map_err(unlisted)?;
        for item in walk(dir) {
            let entry = match item {
                Ok(found) => read_entry(&found),
                Err(err) if err.path().is_none_or(|p| p == dir) => {
                    return Err(unlisted(err.into()));
                }
                Err(err) => unwalked(err),
            };
            entry.into_iter().for_each(&mut *each);
        }
        scan_areas(dir, each);
    }
    Ok(())
}

/// The row of what the walk could not go into, when it is worth one.
fn unwalked(err: walkdir::Error) -> Option<Entry> {
    let path = err.path()?.to_owned();
    // A dotfile (a broken link among them) is ignored like every other.
    let name = Some(path.file_name()?.to_string_lossy()).filter(|n| !n.starts_with('.'))?;
    if fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
        // A link leading nowhere (or in a loop) is worth a row by a heartbeat's name only.
        let job = name.strip_suffix(".last")?.to_owned();
        let reason = Refused::Link.record_reason(HEARTBEAT);
        return Some(entry(path, job, Err(reason)));
    }
    let cause = err.into_io_error().map(|io| io.to_string());
    let cause = cause.unwrap_or_else(|| "a symlink loop".to_owned());
    let job = format!("{name}/");
    let reason = format!("cannot list directory: {cause}");
    Some(entry(path, job, Err(reason)))
}

pub(super) fn entry(path: PathBuf, job: String, content: Result<Content, String>) -> Entry {
    Entry {
        path,
        job,
        subdir: None,
        content,
    }
}

fn read_entry(found: &walkdir::DirEntry) -> Option<Entry> {
    let path = found.path();
    let name = path.file_name()?;
    // A directory named `*.last`, or a non-UTF-8 name (no job's), is reported, not skipped.
    let job = match name.to_str() {
        Some(name) => name.strip_suffix(".last")?.to_owned(),
        None if path.extension().is_some_and(|e| e == super::EXTENSION) => {
            name.to_string_lossy().into_owned()
        }
        None => return None,
    };
    let subdir = path.parent().filter(|_| found.depth() == 2);
    let subdir = subdir.and_then(|parent| parent.file_name()?.to_str().map(str::to_owned));
    let content = if validate_job(&job).is_err() {
        Err(BAD_NAME.to_owned())
    } else if let Some(Err(reason)) = subdir.as_deref().map(validate_host) {
        Err(format!(
            "the directory `{}` is not named after a host: {reason}",
            terminal(subdir.as_deref().unwrap_or_default())
        ))
    } else {
        read_heartbeat(open_regular(path, Links::Refuse), &job)
    };
    Some(Entry {
        path: path.to_owned(),
        job,
        subdir,
        content,
    })
}

pub(super) const BAD_NAME: &str = "the file name is not a valid job name";

const HEARTBEAT: &str = "heartbeat";

pub(super) fn read_heartbeat(opened: Opened, job: &str) -> Result<Content, String> {
    let (bytes, meta) = super::open::read_record(opened, HEARTBEAT)?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        // The filesystem may hold any mtime (tmpfs does): one out of range is invalid.
        let (mtime, nanos) = (meta.mtime(), u32::try_from(meta.mtime_nsec()).ok());
        let Some(modified) = nanos.and_then(|n| DateTime::from_timestamp(mtime, n)) else {
            return Err(format!(
                "the modification time ({mtime} seconds from 1970) is out of range"
            ));
        };
        return Ok(Content::Empty { modified });
    }
    let mut record =
        Heartbeat::from_json(&bytes).map_err(|e| format!("not a heartbeat record: {e}"))?;
    if record.status == crate::record::RunStatus::Running {
        // Output and keepalives touch a running record: its mtime (whole seconds) is progress.
        let touched = DateTime::from_timestamp(meta.mtime(), 0);
        record.progress_at = record.progress_at.max(touched);
    }
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
    use crate::store::open::mkfifo;
    use crate::store::MAX_FILE_BYTES;

    fn read_content(path: &Path, job: &str) -> Result<Content, String> {
        read_heartbeat(open_regular(path, Links::Refuse), job)
    }

    #[test]
    fn what_is_not_a_heartbeat_file_is_said_in_a_heartbeat_s_words() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("backup.last");
        mkfifo(&fifo);
        assert_eq!(
            read_content(&fifo, "backup").unwrap_err(),
            "a FIFO; a heartbeat must be a regular file"
        );
        let target = dir.path().join("real.last");
        fs::write(&target, vec![b' '; MAX_FILE_BYTES as usize + 1]).unwrap();
        assert_eq!(
            read_content(&target, "real").unwrap_err(),
            "the file is 65537 bytes, more than a heartbeat's 65536"
        );
        let link = dir.path().join("link.last");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert_eq!(
            read_content(&link, "link").unwrap_err(),
            "a symbolic link; a heartbeat must be a regular file"
        );
        assert_eq!(
            Refused::Grew.record_reason(HEARTBEAT),
            "the file grew past a heartbeat's 65536 bytes"
        );
        // A pause is refused in the same words.
        assert_eq!(
            Refused::Kind("a FIFO").record_reason("pause"),
            "a FIFO; a pause must be a regular file"
        );
    }
}
