//! Opening and reading a small file anyone may have put anything in place of (a heartbeat, a
//! pause, a crontab, a token file), never blocking nor reading without bound: a FIFO or device is
//! refused by its name unopened; the open is `O_NONBLOCK | O_NOCTTY` (`O_NOFOLLOW` for
//! [`Links::Refuse`]); the handle must be a regular file too (the name may have been swapped in
//! between); at most a cap is read.

use std::ffi::{OsStr, OsString};
use std::fs::{self, File, Metadata, OpenOptions};
use std::io::{self, Read};
use std::os::fd::{AsRawFd, IntoRawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::MAX_FILE_BYTES;

/// Whether a link at the path itself is followed: never in a heartbeat directory (it could point
/// a reader anywhere), but a path the user named (a crontab, a token file) may be a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Links {
    Refuse,
    Follow,
}

/// Why a file was not read; each caller words it its own way.
#[derive(Debug)]
pub(crate) enum Refused {
    Io(io::Error),
    /// With [`Links::Refuse`].
    Link,
    /// What it is instead of a regular file (`a FIFO`).
    Kind(&'static str),
    /// Its size in bytes when opened, past the cap.
    TooLarge(u64),
    /// Past the cap while it was read.
    Grew,
}

impl Refused {
    pub(crate) fn record_reason(self, what: &str) -> String {
        match self {
            Refused::Io(e) => format!("cannot read: {e}"),
            Refused::Link => format!("a symbolic link; a {what} must be a regular file"),
            Refused::Kind(kind) => format!("{kind}; a {what} must be a regular file"),
            Refused::TooLarge(len) => {
                format!("the file is {len} bytes, more than a {what}'s {MAX_FILE_BYTES}")
            }
            Refused::Grew => format!("the file grew past a {what}'s {MAX_FILE_BYTES} bytes"),
        }
    }

    pub(crate) fn is_missing(&self) -> bool {
        matches!(self, Refused::Io(e) if e.kind() == io::ErrorKind::NotFound)
    }
}

impl From<Refused> for io::Error {
    fn from(refused: Refused) -> io::Error {
        match refused {
            Refused::Io(err) => err,
            _ => io::Error::other("not a regular file"),
        }
    }
}

pub(crate) type Opened = Result<(File, Metadata), Refused>;

fn check_regular(meta: &Metadata) -> Result<(), Refused> {
    let t = meta.file_type();
    if t.is_file() {
        return Ok(());
    }
    if t.is_symlink() {
        return Err(Refused::Link);
    }
    let kind = [
        (t.is_dir(), "a directory"),
        (t.is_fifo(), "a FIFO"),
        (t.is_char_device(), "a character device"),
        (t.is_block_device(), "a block device"),
        (t.is_socket(), "a socket"),
    ]
    .into_iter()
    .find_map(|(is, words)| is.then_some(words));
    Err(Refused::Kind(kind.unwrap_or("not a regular file")))
}

/// Opens `path` if its name and its handle say it is a regular file.
pub(crate) fn open_regular(path: &Path, links: Links) -> Opened {
    let named = match links {
        Links::Refuse => fs::symlink_metadata(path),
        Links::Follow => fs::metadata(path),
    };
    check_regular(&named.map_err(Refused::Io)?)?;
    open_handle(path, links)
}

/// [`open_regular`] without the look at the name.
pub(crate) fn open_handle(path: &Path, links: Links) -> Opened {
    let mut flags = libc::O_NONBLOCK | libc::O_NOCTTY;
    if links == Links::Refuse {
        flags |= libc::O_NOFOLLOW;
    }
    let opened = OpenOptions::new().read(true).custom_flags(flags).open(path);
    regular(opened, links)
}

pub(super) fn regular(opened: io::Result<File>, links: Links) -> Opened {
    let file = opened.map_err(|e| match e.raw_os_error() {
        Some(libc::ELOOP) if links == Links::Refuse => Refused::Link,
        _ => Refused::Io(e),
    })?;
    let meta = file.metadata().map_err(Refused::Io)?;
    check_regular(&meta)?;
    Ok((file, meta))
}

pub(crate) fn read_capped(file: File, meta: &Metadata, cap: u64) -> Result<Vec<u8>, Refused> {
    if meta.len() > cap {
        return Err(Refused::TooLarge(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize + 1);
    file.take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(Refused::Io)?;
    if bytes.len() as u64 > cap {
        return Err(Refused::Grew);
    }
    Ok(bytes)
}

pub(crate) fn read_regular(
    path: &Path,
    links: Links,
    cap: u64,
) -> Result<(Vec<u8>, Metadata), Refused> {
    let (file, meta) = open_regular(path, links)?;
    Ok((read_capped(file, &meta, cap)?, meta))
}

/// Reads what an open gave within a heartbeat's cap, refusals worded for a `what`.
pub(super) fn read_record(opened: Opened, what: &str) -> Result<(Vec<u8>, Metadata), String> {
    let read =
        |(file, meta): (File, Metadata)| Ok((read_capped(file, &meta, MAX_FILE_BYTES)?, meta));
    opened.and_then(read).map_err(|r| r.record_reason(what))
}

const AT_FLAGS: libc::c_int =
    libc::O_RDONLY | libc::O_CLOEXEC | libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY;

/// Opens the directory `path` (inside the handle `parent`, if any), never through a link: the
/// handle stays the directory opened, whatever the name says later. `openat(2)` needs no `/proc`.
pub(crate) fn open_dir(parent: Option<&File>, path: &Path) -> io::Result<File> {
    let flags = AT_FLAGS | libc::O_DIRECTORY;
    match parent {
        None => OpenOptions::new().read(true).custom_flags(flags).open(path),
        Some(parent) => open_at(parent, path.as_os_str(), flags),
    }
}

fn open_at(dir: &File, name: &OsStr, flags: libc::c_int) -> io::Result<File> {
    use std::os::fd::FromRawFd;
    if name.as_bytes().contains(&b'/') {
        let slash = "a name inside a directory has no slash";
        return Err(io::Error::new(io::ErrorKind::InvalidInput, slash));
    }
    let name = std::ffi::CString::new(name.as_bytes())?;
    // SAFETY: `dir` is an open directory handle and `name` a NUL-terminated
    // string; openat returns a new descriptor or -1.
    let fd = unsafe { libc::openat(dir.as_raw_fd(), name.as_ptr(), flags) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by openat and is owned by nobody else.
    Ok(unsafe { File::from_raw_fd(fd) })
}

pub(crate) fn open_regular_at(dir: &File, name: &OsStr) -> Opened {
    regular(open_at(dir, name, AT_FLAGS), Links::Refuse)
}

/// The entries of `dir`, of the first `max` listed, by name: a planted million costs no more.
pub(crate) fn sorted_entries(dir: &Path, max: usize) -> Vec<(OsString, PathBuf)> {
    let listed = fs::read_dir(dir).into_iter().flatten().take(max);
    let listed = listed.filter_map(Result::ok);
    let mut entries: Vec<_> = listed.map(|e| (e.file_name(), e.path())).collect();
    entries.sort();
    entries
}

/// Hands each name in the handle `dir` but `.` and `..` to `each`, by `fdopendir(3)` (no `/proc`).
pub(crate) fn list_dir(dir: &File, each: &mut dyn FnMut(&OsStr)) -> io::Result<()> {
    let copy = dir.try_clone()?;
    // SAFETY: `copy` is an open directory descriptor of our own; from a
    // successful fdopendir on, the stream owns it and closedir closes it.
    let stream = unsafe { libc::fdopendir(copy.as_raw_fd()) };
    if stream.is_null() {
        return Err(io::Error::last_os_error());
    }
    let _ = copy.into_raw_fd();
    // SAFETY: `stream` is a valid open directory stream until closedir;
    // the copy shares its offset with `dir`, so it starts from the top.
    unsafe { libc::rewinddir(stream) };
    let result = loop {
        // SAFETY: errno is thread-local; zeroed to tell the end of the
        // listing from an error, as readdir(3) says.
        unsafe { *libc::__errno_location() = 0 };
        // SAFETY: `stream` is open; the entry stays valid until the next
        // readdir on it.
        let entry = unsafe { libc::readdir(stream) };
        if entry.is_null() {
            break match io::Error::last_os_error() {
                err if err.raw_os_error() == Some(0) => Ok(()),
                err => Err(err),
            };
        }
        // SAFETY: d_name is a NUL-terminated name inside the entry.
        let name = unsafe { std::ffi::CStr::from_ptr((*entry).d_name.as_ptr()) };
        let name = name.to_bytes();
        if name != b"." && name != b".." {
            each(OsStr::from_bytes(name));
        }
    };
    // SAFETY: `stream` is open and closed once, here.
    unsafe { libc::closedir(stream) };
    result
}

#[cfg(test)]
/// Makes a FIFO at `path`, for the tests of the readers: one without a
/// writer blocks a plain open forever.
pub(crate) fn mkfifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let name = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: `name` is a valid NUL-terminated path; mkfifo only makes a node.
    assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0, "mkfifo");
}

#[cfg(test)]
/// A new temporary directory holding `name` with `text` and `mode`, for the
/// tests of readers and writers.
pub(crate) fn dir_with(
    name: &str,
    text: &str,
    mode: u32,
) -> (tempfile::TempDir, std::path::PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    fs::write(&path, text).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    (dir, path)
}

#[cfg(test)]
/// The names in `dir`, sorted, for the tests of the writers.
pub(crate) fn names(dir: &Path) -> Vec<String> {
    let mut all: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    all.sort();
    all
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
        let (dir, target) = dir_with("real", "text", 0o644);
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
    fn a_directory_handle_lists_and_opens_what_it_holds_not_what_its_name_holds_later() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("area");
        fs::create_dir(&dir).unwrap();
        fs::write(dir.join("a.last"), "one").unwrap();
        symlink(dir.join("a.last"), dir.join("link.last")).unwrap();
        mkfifo(&dir.join("pipe.last"));
        let handle = open_dir(None, &dir).unwrap();
        // The name now leads elsewhere; the handle does not follow it.
        fs::rename(&dir, root.path().join("moved")).unwrap();
        let other = root.path().join("other");
        fs::create_dir(&other).unwrap();
        fs::write(other.join("secret.last"), "secret").unwrap();
        symlink(&other, &dir).unwrap();
        let mut names = Vec::new();
        list_dir(&handle, &mut |n| names.push(n.to_owned())).unwrap();
        names.sort();
        assert_eq!(names, ["a.last", "link.last", "pipe.last"]);
        let (file, meta) = open_regular_at(&handle, "a.last".as_ref()).unwrap();
        assert_eq!(read_capped(file, &meta, 10).unwrap(), b"one");
        assert!(matches!(
            open_regular_at(&handle, "link.last".as_ref()),
            Err(Refused::Link)
        ));
        assert!(matches!(
            open_regular_at(&handle, "pipe.last".as_ref()),
            Err(Refused::Kind("a FIFO"))
        ));
        assert!(open_regular_at(&handle, "secret.last".as_ref())
            .unwrap_err()
            .is_missing());
        assert!(open_regular_at(&handle, "../other/secret.last".as_ref()).is_err());
        // A link in place of a directory is not opened as one.
        assert!(open_dir(None, &dir).is_err());
        let parent = open_dir(None, root.path()).unwrap();
        assert!(open_dir(Some(&parent), "area".as_ref()).is_err());
        assert!(open_dir(Some(&parent), "moved".as_ref()).is_ok());
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
        fs::write(&path, vec![b' '; 10]).unwrap();
        let (file, meta) = open_regular(&path, Links::Refuse).unwrap();
        fs::write(&path, vec![b' '; 100]).unwrap();
        assert!(matches!(read_capped(file, &meta, 99), Err(Refused::Grew)));
        let missing = open_regular(&dir.path().join("none"), Links::Follow).unwrap_err();
        assert!(missing.is_missing());
        let directory = open_regular(dir.path(), Links::Follow).unwrap_err();
        assert!(matches!(directory, Refused::Kind("a directory")));
    }
}
