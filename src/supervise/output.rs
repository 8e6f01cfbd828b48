//! What a supervised command prints: a bounded tail kept in memory and an
//! optional capped log file.

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// The last bytes of a stream, in a ring buffer allocated once.
pub(crate) struct Tail {
    buf: VecDeque<u8>,
    capacity: usize,
    /// Every byte ever pushed.
    total: u64,
}

impl Tail {
    pub(crate) fn new(capacity: usize) -> Tail {
        Tail {
            buf: VecDeque::with_capacity(capacity),
            capacity,
            total: 0,
        }
    }

    pub(crate) fn push(&mut self, bytes: &[u8]) {
        self.total = self.total.saturating_add(bytes.len() as u64);
        let bytes = &bytes[bytes.len().saturating_sub(self.capacity)..];
        let over = (self.buf.len() + bytes.len()).saturating_sub(self.capacity);
        self.buf.drain(..over);
        self.buf.extend(bytes);
    }

    #[cfg(test)]
    pub(crate) fn total(&self) -> u64 {
        self.total
    }

    /// Without a character cut in two at the front, invalid UTF-8 as U+FFFD, at most the capacity.
    pub(crate) fn text(&self) -> String {
        let bytes: Vec<u8> = self.buf.iter().copied().collect();
        let cut = self.total > self.buf.len() as u64;
        let skip = (bytes.iter().take(3))
            .take_while(|b| cut && **b & 0xC0 == 0x80)
            .count();
        // Replacement characters are three bytes: keep the last `limit`.
        last_bytes(&String::from_utf8_lossy(&bytes[skip..]), self.capacity).to_owned()
    }
}

/// The end of `text` in at most `limit` bytes, cut on a character boundary.
pub(crate) fn last_bytes(text: &str, limit: usize) -> &str {
    let from = (text.len().saturating_sub(limit)..text.len()).find(|&i| text.is_char_boundary(i));
    &text[from.unwrap_or(text.len())..]
}

/// The whole output of one run in `<dir>/<job>.log`, cut at a maximum size.
pub(crate) struct Log {
    file: File,
    path: PathBuf,
    max: u64,
    written: u64,
    dropped: u64,
    failed: Option<io::Error>,
}

impl Log {
    /// Moves the last log to `<path>.1`; starts one owner-only (output may be private), no link.
    pub(crate) fn create(path: &Path, max: u64) -> io::Result<Log> {
        let moved = fs::rename(path, crate::store::beside(path, ".1"));
        moved.or_else(|e| (e.kind() == io::ErrorKind::NotFound).then_some(()).ok_or(e))?;
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path)?;
        Ok(Log {
            file,
            path: path.to_owned(),
            max,
            written: 0,
            dropped: 0,
            failed: None,
        })
    }

    /// Appends what fits, counting the rest; a write error stops the log, kept for [`Log::finish`].
    pub(crate) fn push(&mut self, bytes: &[u8]) {
        let room = self.max.saturating_sub(self.written);
        let take = bytes.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        self.dropped = self.dropped.saturating_add((bytes.len() - take) as u64);
        if take == 0 || self.failed.is_some() {
            return;
        }
        match self.file.write_all(&bytes[..take]) {
            Ok(()) => self.written += take as u64,
            Err(err) => self.failed = Some(err),
        }
    }

    /// Notes at the end how much was not kept; or the error that stopped it.
    pub(crate) fn finish(mut self) -> Option<String> {
        let note = format!(
            "\n[hb-write: the log stops at {} bytes; {} more bytes were not kept]\n",
            self.max, self.dropped
        );
        let failed = match self.failed.take() {
            None if self.dropped > 0 => self.file.write_all(note.as_bytes()).err(),
            failed => failed,
        };
        failed.map(|err| format!("{}: {err}", self.path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tail_keeps_the_last_bytes_only() {
        let mut tail = Tail::new(8);
        tail.push(b"abc");
        assert_eq!(tail.text(), "abc");
        tail.push(b"defgh");
        assert_eq!(tail.text(), "abcdefgh");
        tail.push(b"ij");
        assert_eq!(tail.text(), "cdefghij");
        tail.push(b"0123456789");
        assert_eq!(tail.text(), "23456789");
        for _ in 0..1000 {
            tail.push(b"xyz");
        }
        assert_eq!(tail.text().len(), 8);
        assert_eq!(tail.total(), 3 + 5 + 2 + 10 + 3000);
        assert_eq!(tail.buf.capacity(), 8, "never grows");
    }

    #[test]
    fn the_tail_is_cut_on_a_character_boundary() {
        let mut tail = Tail::new(5);
        // "é" is two bytes: the 5-byte tail of "aéééé" starts inside one.
        tail.push("aéééé".as_bytes());
        assert_eq!(tail.text(), "éé");
        let mut tail = Tail::new(4);
        tail.push(&[0xff, 0xfe, 0xfd, 0xfc]);
        let text = tail.text();
        assert!(text.len() <= 4, "{text:?}");
        assert!(text.contains('\u{fffd}'));
        let mut none = Tail::new(0);
        none.push(b"anything");
        assert_eq!(none.text(), "");
    }

    #[test]
    fn the_log_caps_rotates_and_says_what_it_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("job.log");
        let mut log = Log::create(&path, 10).unwrap();
        log.push(b"first run\n");
        assert_eq!(log.finish(), None);
        let mut log = Log::create(&path, 10).unwrap();
        log.push(b"0123456");
        log.push(b"789abcdef");
        assert_eq!(log.finish(), None);
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("0123456789\n[hb-write: the log stops at 10 bytes; 6 more"));
        assert_eq!(
            fs::read_to_string(dir.path().join("job.log.1")).unwrap(),
            "first run\n"
        );
    }
}
