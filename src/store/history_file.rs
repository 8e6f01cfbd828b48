//! `<dir>/<job>.history`: one JSON line per finished run. A writer takes a short exclusive
//! `flock` on the file it opened for appending, checks that the path still names it (else a
//! compaction replaced it: it opens again), appends its line in one `write`, and past
//! [`LINES_BEFORE_REWRITE`] lines rewrites the newest [`HISTORY_MAX`] atomically, still under the
//! lock: no line is lost or torn. An append is not flushed to disk (the heartbeat is): after a
//! power cut the newest lines may be missing, never garbled.

use std::fs::{self, File, OpenOptions, Permissions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::atomic::{write_as, MODE};
use super::lock::{sleep_pause, wait_lock, LockWait};
use super::open::{open_handle, regular, Links};
use crate::error::Error;
use crate::history::{parse, Run, HISTORY_MAX};

pub(crate) const HISTORY_EXTENSION: &str = "history";

/// The most bytes read from a history's end; 200 runs are about 20 KiB.
const HISTORY_READ_MAX: u64 = 256 * 1024;

/// One rewrite every 50 runs, not on every run.
const LINES_BEFORE_REWRITE: usize = HISTORY_MAX + 50;

/// The shortest line of a run (`{"timestamp":"…Z","status":"ok"}`): a history
/// shorter than [`LINES_BEFORE_REWRITE`] of them is not read to compact.
const SHORTEST_LINE: u64 = 50;

const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

const REOPEN_TRIES: u32 = 16;

fn history_path(dir: &Path, job: &str) -> PathBuf {
    dir.join(format!("{job}.{HISTORY_EXTENSION}"))
}

pub(crate) fn append_history(dir: &Path, job: &str, run: &Run) -> Result<(), Error> {
    let path = history_path(dir, job);
    append(&path, &crate::record::json_line(run))
        .map_err(|source| Error::WriteFile { path, source })
}

fn append(path: &Path, line: &[u8]) -> io::Result<()> {
    for _ in 0..REOPEN_TRIES {
        let opened = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .mode(0o644)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
            .open(path);
        // A link is refused by O_NOFOLLOW, in the OS's words.
        let (file, opened) = regular(opened, Links::Follow)?;
        if wait_lock(&file, LOCK_WAIT, sleep_pause::<()>)? != LockWait::Locked {
            let held = format!("another writer held its lock for more than {LOCK_WAIT:?}");
            return Err(io::Error::new(io::ErrorKind::TimedOut, held));
        }
        // Held until `file` is closed. Replaced or removed since the open: start over.
        if fs::symlink_metadata(path)
            .is_ok_and(|now| (now.dev(), now.ino()) == (opened.dev(), opened.ino()))
        {
            return append_locked(&file, path, line);
        }
    }
    let replaced = "the file kept being replaced while appending";
    Err(io::Error::other(replaced))
}

fn append_locked(mut file: &File, path: &Path, line: &[u8]) -> io::Result<()> {
    let len = file.metadata()?.len();
    let mut last = [b'\n'];
    if len == 0 {
        // New: readable by other users' checkers whatever the umask.
        file.set_permissions(Permissions::from_mode(MODE))?;
    } else {
        file.read_exact_at(&mut last, len - 1)?;
    }
    // A line torn by a writer that died is ended, not to swallow this one.
    let newline = if last == [b'\n'] { "" } else { "\n" };
    let bytes = [newline.as_bytes(), line].concat();
    file.write_all(&bytes)?;
    let len = len + bytes.len() as u64;
    if len > SHORTEST_LINE * LINES_BEFORE_REWRITE as u64 {
        compact(file, path, len)?;
    }
    Ok(())
}

/// Rewrites the history when it holds too many lines or bytes, or a torn line.
fn compact(file: &File, path: &Path, len: u64) -> io::Result<()> {
    let tail = read_tail(file, len)?;
    let lines = tail.split(|b| *b == b'\n').filter(|l| !l.is_empty());
    let mut lines: Vec<&[u8]> = lines.collect();
    let all = lines.len();
    // A line torn by a writer that died is no whole record: it goes.
    lines.retain(|l| l.first() == Some(&b'{') && l.last() == Some(&b'}'));
    if len <= HISTORY_READ_MAX && lines.len() == all && all <= LINES_BEFORE_REWRITE {
        return Ok(());
    }
    let keep = &lines[lines.len().saturating_sub(HISTORY_MAX)..];
    write_as(path, MODE, None, false, &mut |out| {
        keep.iter()
            .try_for_each(|line| out.write_all(line).and_then(|()| out.write_all(b"\n")))
    })
}

/// The last [`HISTORY_READ_MAX`] bytes of `file`, from a line's start.
fn read_tail(mut file: &File, len: u64) -> io::Result<Vec<u8>> {
    let start = len.saturating_sub(HISTORY_READ_MAX);
    file.seek(SeekFrom::Start(start))?;
    let mut bytes = Vec::with_capacity((len - start) as usize);
    file.take(HISTORY_READ_MAX).read_to_end(&mut bytes)?;
    if start > 0 {
        let first = bytes.iter().position(|b| *b == b'\n');
        bytes.drain(..first.map_or(bytes.len(), |i| i + 1));
    }
    Ok(bytes)
}

/// The jobs that have a history file in `dir`; `None` when unlisted (each job's file is tried).
pub(crate) fn history_jobs(dir: &Path) -> Option<std::collections::HashSet<String>> {
    let suffix = format!(".{HISTORY_EXTENSION}");
    let mut jobs = std::collections::HashSet::new();
    for entry in fs::read_dir(dir).ok()? {
        let name = entry.ok()?.file_name();
        let job = name.to_str().and_then(|n| n.strip_suffix(suffix.as_str()));
        jobs.extend(job.map(str::to_owned));
    }
    Some(jobs)
}

/// `job`'s runs in `dir` as [`parse`] keeps them (none without a file); a FIFO or link is refused.
pub(crate) fn read_history(dir: &Path, job: &str) -> io::Result<Vec<Run>> {
    let path = history_path(dir, job);
    // No look at the name (a system call per job): O_NOFOLLOW refuses a link, the handle a FIFO.
    let (file, meta) = match open_handle(&path, Links::Refuse) {
        Err(refused) if refused.is_missing() => return Ok(Vec::new()),
        opened => opened?,
    };
    Ok(parse(&read_tail(&file, meta.len())?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::RunStatus;
    use chrono::{TimeZone, Utc};
    use std::thread;

    fn run(i: i64) -> Run {
        Run {
            timestamp: Utc.timestamp_opt(1_800_000_000 + i, 0).unwrap(),
            status: if i % 3 == 0 {
                RunStatus::Fail
            } else {
                RunStatus::Ok
            },
            exit_code: (i % 3 == 0).then_some(1),
            duration_seconds: Some(i as f64 / 10.0),
            attempts: Vec::new(),
        }
    }

    #[test]
    fn appends_and_keeps_the_newest_two_hundred() {
        let dir = tempfile::tempdir().unwrap();
        let path = history_path(dir.path(), "job");
        let mut rewrites = 0;
        let mut inode = 0;
        for i in 0..450 {
            append_history(dir.path(), "job", &run(i)).unwrap();
            let lines = fs::read_to_string(&path).unwrap().lines().count();
            assert!(lines <= LINES_BEFORE_REWRITE, "{lines} lines after run {i}");
            let now = fs::metadata(&path).unwrap().ino();
            rewrites += usize::from(inode != 0 && now != inode);
            inode = now;
        }
        // 250 lines at run 249, rewritten at runs 250, 301, 352 and 403.
        assert_eq!(rewrites, 4, "one rewrite every 50 runs");
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 246);
        let runs = read_history(dir.path(), "job").unwrap();
        assert_eq!(runs.len(), HISTORY_MAX);
        assert_eq!(runs[0], run(250));
        assert_eq!(runs[HISTORY_MAX - 1], run(449));
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names, ["job.history"], "no temporary file is left");
    }

    #[test]
    fn concurrent_writers_through_compactions_keep_the_newest_runs_whole() {
        // Four writers of 150 runs each: the history is compacted several
        // times while the others wait on its lock or hold the file the
        // compaction replaced. What is left is, for every writer, an
        // unbroken run of its newest lines: none lost, none torn, none twice.
        const WRITERS: i64 = 4;
        const WRITES: i64 = 150;
        let dir = tempfile::tempdir().unwrap();
        let threads: Vec<_> = (0..WRITERS)
            .map(|w| {
                let dir = dir.path().to_owned();
                thread::spawn(move || {
                    for i in 0..WRITES {
                        append_history(&dir, "job", &run(w * 1000 + i)).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let text = fs::read(history_path(dir.path(), "job")).unwrap();
        let lines: Vec<&[u8]> = text
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .collect();
        assert!(
            (HISTORY_MAX..=LINES_BEFORE_REWRITE).contains(&lines.len()),
            "{} lines",
            lines.len()
        );
        let kept = parse(&text);
        assert_eq!(kept.len(), HISTORY_MAX, "the reader takes the newest");
        let all: Vec<i64> = lines
            .iter()
            .map(|l| {
                Run::from_line(l)
                    .expect("a whole run")
                    .timestamp
                    .timestamp()
                    - 1_800_000_000
            })
            .collect();
        for w in 0..WRITERS {
            let mine: Vec<i64> = all
                .iter()
                .filter(|n| *n / 1000 == w)
                .map(|n| n % 1000)
                .collect();
            let first = WRITES - mine.len() as i64;
            assert_eq!(mine, (first..WRITES).collect::<Vec<_>>(), "writer {w}");
        }
        let names = fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(names, 1, "no temporary file is left");
    }

    #[test]
    fn a_torn_last_line_is_ended_and_skipped_by_readers() {
        let dir = tempfile::tempdir().unwrap();
        let path = history_path(dir.path(), "job");
        fs::write(&path, b"{\"timestamp\":\"2027-01").unwrap();
        append_history(dir.path(), "job", &run(1)).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2, "{text}");
        assert_eq!(read_history(dir.path(), "job").unwrap(), [run(1)]);
        // A compaction keeps the whole lines only.
        let mut lines: Vec<u8> = (0..180)
            .flat_map(|i| crate::record::json_line(&run(i)))
            .collect();
        lines.extend_from_slice(b"{\"timestamp\":\"2027-01\n}\n");
        fs::write(&path, lines).unwrap();
        append_history(dir.path(), "job", &run(180)).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 181, "{text}");
        assert!(text.lines().all(|l| Run::from_line(l.as_bytes()).is_some()));
    }

    #[test]
    fn missing_is_empty_and_a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read_history(dir.path(), "none").unwrap().is_empty());
        let fifo = history_path(dir.path(), "pipe");
        crate::store::open::mkfifo(&fifo);
        assert!(read_history(dir.path(), "pipe").is_err());
        assert!(append_history(dir.path(), "pipe", &run(1)).is_err());
    }

    #[test]
    fn a_link_in_place_of_a_history_is_refused_by_readers_as_by_writers() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = dir.path().join("elsewhere");
        fs::write(&elsewhere, crate::record::json_line(&run(1))).unwrap();
        std::os::unix::fs::symlink(&elsewhere, history_path(dir.path(), "job")).unwrap();
        assert!(append_history(dir.path(), "job", &run(2)).is_err());
        let err = read_history(dir.path(), "job").unwrap_err();
        assert_eq!(err.to_string(), "not a regular file");
    }

    #[test]
    fn a_huge_history_is_read_from_its_tail_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = history_path(dir.path(), "job");
        let mut junk = vec![b'x'; 3 * HISTORY_READ_MAX as usize];
        junk.push(b'\n');
        for i in 0..10 {
            junk.extend(crate::record::json_line(&run(i)));
        }
        fs::write(&path, &junk).unwrap();
        assert_eq!(read_history(dir.path(), "job").unwrap().len(), 10);
        append_history(dir.path(), "job", &run(10)).unwrap();
        let len = fs::metadata(&path).unwrap().len();
        assert!(len < 4096, "compacted to the whole lines: {len} bytes");
        assert_eq!(read_history(dir.path(), "job").unwrap().len(), 11);
    }
}
