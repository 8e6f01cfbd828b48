//! Opening and reading a small file that anyone may have put anything in
//! place of: a heartbeat, a pause, a history, a crontab, a token file.
//!
//! Nothing here blocks or reads without bound. The name is looked at first
//! (without following it, for [`Links::Refuse`]), so that a FIFO, a device
//! or a socket is refused unopened; then the file is opened with
//! `O_NONBLOCK | O_NOCTTY` (and `O_NOFOLLOW` for [`Links::Refuse`]) and the
//! handle must be a regular file too, since the name may have been swapped
//! in between. At most a cap is read, whatever the size said at the open.
//! Each caller words the [`Refused`] reason its own way.

use std::fs::{self, File, Metadata, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// Whether a symbolic link at the path itself is followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Links {
    /// A link is refused, never followed: files in a heartbeat directory,
    /// where a link could point a reader at anything on the system.
    Refuse,
    /// A link is followed: a path the user named (a crontab, a token file)
    /// may be a link to the real file.
    Follow,
}

/// Why a file was not read.
#[derive(Debug)]
pub(crate) enum Refused {
    /// Looking at, opening or reading it failed (missing, no permission).
    Io(io::Error),
    /// A symbolic link, with [`Links::Refuse`].
    Link,
    /// Not a regular file: what it is instead (`a FIFO`).
    Kind(&'static str),
    /// Larger than the cap when opened: its size in bytes.
    TooLarge(u64),
    /// It grew past the cap while it was read.
    Grew,
}

impl Refused {
    /// Whether the file does not exist.
    pub(crate) fn is_missing(&self) -> bool {
        matches!(self, Refused::Io(e) if e.kind() == io::ErrorKind::NotFound)
    }
}

/// What kind of file a non-regular file is, in words.
pub(crate) fn kind(file_type: fs::FileType) -> &'static str {
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

/// Opens `path` for reading if it is a regular file, by its name and by
/// the handle, without ever blocking; `links` says whether a link at `path`
/// is followed.
pub(crate) fn open_regular(path: &Path, links: Links) -> Result<(File, Metadata), Refused> {
    let named = match links {
        Links::Refuse => fs::symlink_metadata(path),
        Links::Follow => fs::metadata(path),
    }
    .map_err(Refused::Io)?;
    if named.file_type().is_symlink() {
        return Err(Refused::Link);
    }
    if !named.is_file() {
        return Err(Refused::Kind(kind(named.file_type())));
    }
    open_handle(path, links)
}

/// The open and the check of the handle, without the look at the name.
pub(crate) fn open_handle(path: &Path, links: Links) -> Result<(File, Metadata), Refused> {
    let mut flags = libc::O_NONBLOCK | libc::O_NOCTTY;
    if links == Links::Refuse {
        flags |= libc::O_NOFOLLOW;
    }
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) if links == Links::Refuse => Refused::Link,
            _ => Refused::Io(e),
        })?;
    let meta = file.metadata().map_err(Refused::Io)?;
    if !meta.is_file() {
        return Err(Refused::Kind(kind(meta.file_type())));
    }
    Ok((file, meta))
}

/// Reads at most `cap` bytes from `file`; more is [`Refused::Grew`],
/// whatever the size said when it was opened (a file can grow). The buffer
/// is sized for `len`, the size when opened.
pub(crate) fn read_capped(file: File, len: u64, cap: u64) -> Result<Vec<u8>, Refused> {
    let room = usize::try_from(len.min(cap).saturating_add(1)).unwrap_or(0);
    let mut bytes = Vec::with_capacity(room);
    file.take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(Refused::Io)?;
    if u64::try_from(bytes.len()).map_or(true, |n| n > cap) {
        return Err(Refused::Grew);
    }
    Ok(bytes)
}

/// Opens `path` as [`open_regular`] does and reads it whole, at most `cap`
/// bytes: a larger file is [`Refused::TooLarge`] unread. Also returns what
/// the handle said of the file.
pub(crate) fn read_regular(
    path: &Path,
    links: Links,
    cap: u64,
) -> Result<(Vec<u8>, Metadata), Refused> {
    let (file, meta) = open_regular(path, links)?;
    if meta.len() > cap {
        return Err(Refused::TooLarge(meta.len()));
    }
    Ok((read_capped(file, meta.len(), cap)?, meta))
}

/// Makes a FIFO at `path`, for the tests of the readers: one without a
/// writer blocks a plain open forever.
#[cfg(test)]
pub(crate) fn mkfifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let name = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: `name` is a valid NUL-terminated path; mkfifo only makes a node.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0, "mkfifo");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn a_fifo_is_refused_without_blocking_whether_links_are_followed_or_not() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        mkfifo(&fifo);
        let link = dir.path().join("link");
        symlink(&fifo, &link).unwrap();
        for (path, links) in [
            (&fifo, Links::Refuse),
            (&fifo, Links::Follow),
            (&link, Links::Follow),
        ] {
            assert!(
                matches!(open_regular(path, links), Err(Refused::Kind("a FIFO"))),
                "{path:?} {links:?}"
            );
            // The handle is judged too, for a name swapped after the look.
            assert!(matches!(
                open_handle(path, links),
                Err(Refused::Kind("a FIFO"))
            ));
        }
    }

    #[test]
    fn a_link_is_followed_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real");
        fs::write(&target, "text").unwrap();
        let link = dir.path().join("link");
        symlink(&target, &link).unwrap();
        assert!(matches!(
            open_regular(&link, Links::Refuse),
            Err(Refused::Link)
        ));
        assert!(matches!(
            open_handle(&link, Links::Refuse),
            Err(Refused::Link)
        ));
        let (bytes, _) = read_regular(&link, Links::Follow, 4).unwrap();
        assert_eq!(bytes, b"text");
    }

    #[test]
    fn the_cap_holds_at_the_open_and_while_reading() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        fs::write(&path, vec![b' '; 100]).unwrap();
        assert!(matches!(
            read_regular(&path, Links::Refuse, 99),
            Err(Refused::TooLarge(100))
        ));
        assert_eq!(
            read_regular(&path, Links::Refuse, 100).unwrap().0.len(),
            100
        );
        // Grown since the size was taken.
        let (file, _) = open_regular(&path, Links::Refuse).unwrap();
        assert!(matches!(read_capped(file, 10, 99), Err(Refused::Grew)));
        let missing = open_regular(&dir.path().join("none"), Links::Follow).unwrap_err();
        assert!(missing.is_missing());
        let directory = open_regular(dir.path(), Links::Follow).unwrap_err();
        assert!(matches!(directory, Refused::Kind("a directory")));
    }
}
