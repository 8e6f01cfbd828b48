//! The scan: every heartbeat file in the heartbeat directories, read into a
//! record or the reason it cannot be used.

use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use super::{EXTENSION, MAX_FILE_BYTES};
use crate::error::Error;
use crate::record::{validate_job, Content, Entry, Heartbeat};

/// Finds every `*.last` file directly in each of `dirs` and one level of
/// subdirectories below, skipping dotfiles, and reads each one.
///
/// A directory of `dirs` that cannot be listed is an error; a bad file or an
/// unreadable subdirectory becomes an entry with the reason, and the scan
/// goes on.
pub fn scan(dirs: &[PathBuf]) -> Result<Vec<Entry>, Error> {
    let mut entries = Vec::new();
    for dir in dirs {
        fs::read_dir(dir).map_err(|source| Error::ReadDir {
            path: dir.clone(),
            source,
        })?;
        let walk = WalkDir::new(dir)
            .min_depth(1)
            .max_depth(2)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
        for item in walk {
            match item {
                Ok(found) => {
                    if let Some(entry) = read_entry(dir, found.path(), found.depth()) {
                        entries.push(entry);
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
                    entries.push(Entry {
                        job: format!("{name}/"),
                        subdir: None,
                        content: Err(format!("cannot list directory: {}", io_cause(err))),
                        path,
                    });
                }
            }
        }
    }
    Ok(entries)
}

fn io_cause(err: walkdir::Error) -> String {
    match err.into_io_error() {
        Some(io) => io.to_string(),
        None => "a symlink loop".to_owned(),
    }
}

fn read_entry(root: &Path, path: &Path, depth: usize) -> Option<Entry> {
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
    let subdir = (depth == 2)
        .then(|| {
            path.parent()?
                .strip_prefix(root)
                .ok()?
                .to_str()
                .map(str::to_owned)
        })
        .flatten();
    let content = match validate_job(&job) {
        Err(_) => Err("the file name is not a valid job name".to_owned()),
        Ok(()) => read_content(path, &job),
    };
    Some(Entry {
        path: path.to_owned(),
        job,
        subdir,
        content,
    })
}

fn read_content(path: &Path, job: &str) -> Result<Content, String> {
    let meta = fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    if !meta.is_file() {
        return Err("not a regular file".to_owned());
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!(
            "the file is {} bytes, more than a heartbeat's {MAX_FILE_BYTES}",
            meta.len()
        ));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    File::open(path)
        .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        let modified = meta
            .modified()
            .map_err(|e| format!("cannot read the modification time: {e}"))?;
        return Ok(Content::Empty {
            modified: modified.into(),
        });
    }
    let record =
        Heartbeat::from_json(&bytes).map_err(|e| format!("not a heartbeat record: {e}"))?;
    if record.job != job {
        return Err(format!(
            "the file is named `{job}.last` but the record is for job `{}`",
            crate::escape::terminal(&record.job)
        ));
    }
    Ok(Content::Record(record))
}
