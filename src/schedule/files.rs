//! Reading crontabs with the heartbeat scan's bounds (regular files only, opened without
//! blocking, [`MAX_CRONTAB_BYTES`] each, [`MAX_CRONTABS`] a directory); the system's zone.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::{crontab::Flavour, parse_zone, Lint};
use crate::store::open::{read_regular, sorted_entries, Links, Refused};
use crate::Error;

/// The spool of user crontabs (Debian's cron).
pub(crate) const SPOOL: &str = "/var/spool/cron/crontabs";

pub(crate) const MAX_CRONTAB_BYTES: u64 = 1024 * 1024;
pub(crate) const MAX_CRONTABS: usize = 1000;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Loaded {
    pub path: PathBuf,
    /// Invalid UTF-8 replaced.
    pub text: String,
    pub flavour: Flavour,
    /// The owner of a spool crontab: its file name.
    pub owner: Option<String>,
    pub modified: Option<DateTime<Utc>>,
    /// Device, inode, size and mtime in ns: tells versions apart unread.
    pub identity: (u64, u64, u64, i128),
}

/// Reads one crontab, following links as cron does.
pub(crate) fn read(path: &Path, flavour: Flavour, owner: Option<String>) -> Result<Loaded, Error> {
    read_tab(path, flavour, owner).map_err(|refused| Error::Crontab {
        path: path.to_owned(),
        reason: reason(&refused),
        source: match refused {
            Refused::Io(e) => Some(e),
            _ => None,
        },
    })
}

pub(crate) fn reason(refused: &Refused) -> String {
    refusal(refused, "cannot read", "file", " a crontab may have here")
}

/// Why a file was not read: `io` leads an I/O error, `limit` follows the cap's bytes.
pub(super) fn refusal(refused: &Refused, io: &str, what: &str, limit: &str) -> String {
    let max = MAX_CRONTAB_BYTES;
    match refused {
        Refused::Io(e) => format!("{io}: {e}"),
        Refused::Link | Refused::Kind(_) => "not a regular file".to_owned(),
        Refused::TooLarge(len) => format!("the {what} is {len} bytes, more than the {max}{limit}"),
        Refused::Grew => format!("the {what} grew past the {max} bytes{limit}"),
    }
}

pub(crate) fn read_tab(
    path: &Path,
    flavour: Flavour,
    owner: Option<String>,
) -> Result<Loaded, Refused> {
    let (bytes, meta) = read_regular(path, Links::Follow, MAX_CRONTAB_BYTES)?;
    let mtime = i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec());
    Ok(Loaded {
        identity: (meta.dev(), meta.ino(), meta.len(), mtime),
        path: path.to_owned(),
        text: String::from_utf8_lossy(&bytes).into_owned(),
        flavour,
        owner,
        modified: meta.modified().ok().map(DateTime::<Utc>::from),
    })
}

/// Whether Debian's cron reads a file so named in `/etc/cron.d` or the spool (not `*.dpkg-old`).
pub(crate) fn cron_reads_name(name: &str) -> bool {
    let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-');
    !name.is_empty() && name.bytes().all(allowed)
}

/// The crontabs read, a warning for each unreadable one, the users' crontabs closed to us.
#[derive(Debug, Default)]
pub(crate) struct Discovered {
    pub tabs: Vec<Loaded>,
    pub problems: Vec<Lint>,
    pub closed: Vec<PathBuf>,
}

/// Reads `/etc/crontab`, `/etc/cron.d/*` and the spool under `root`; an unlisted place holds none.
pub(crate) fn discover(root: &Path) -> Discovered {
    let mut found = Discovered::default();
    let system = Some(under(root, "/etc/crontab")).filter(|p| p.exists());
    let cron_d = listing(&under(root, "/etc/cron.d")).into_iter();
    let system = system.into_iter().chain(cron_d.map(|(p, _)| p));
    let spool = listing(&under(root, SPOOL)).into_iter();
    let tabs = (system.map(|p| (p, Flavour::System, None)))
        .chain(spool.map(|(p, name)| (p, Flavour::User, Some(name))));
    for (path, flavour, owner) in tabs {
        match read_tab(&path, flavour, owner) {
            Ok(tab) => found.tabs.push(tab),
            // Another user's crontab is closed to us: that is the rule.
            Err(Refused::Io(e))
                if flavour == Flavour::User && e.kind() == std::io::ErrorKind::PermissionDenied =>
            {
                found.closed.push(path);
            }
            Err(refused) => found.problems.push(Lint::file(&path, reason(&refused))),
        }
    }
    found
}

pub(crate) fn under(root: &Path, path: &str) -> PathBuf {
    root.join(path.trim_start_matches('/'))
}

/// The files of `dir` whose names cron reads, sorted, at most [`MAX_CRONTABS`].
fn listing(dir: &Path) -> Vec<(PathBuf, String)> {
    (sorted_entries(dir, MAX_CRONTABS * 4).into_iter())
        .filter_map(|(name, path)| {
            let name = name.into_string().ok()?;
            cron_reads_name(&name).then_some((path, name))
        })
        .take(MAX_CRONTABS)
        .collect()
}

/// The zone cron fires in where a crontab names none: `TZ`, else `/etc/localtime`'s, else UTC.
pub(crate) fn system_zone() -> Tz {
    let zone = |name: String| parse_zone(&name).ok();
    (std::env::var("TZ").ok().and_then(zone))
        .or_else(|| iana_time_zone::get_timezone().ok().and_then(zone))
        .unwrap_or(Tz::UTC)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::Source;
    use std::fs;

    #[test]
    fn names_follow_debian_cron() {
        for good in ["php", "e2scrub_all", "backup-db"] {
            assert!(cron_reads_name(good), "{good}");
        }
        for bad in ["", ".placeholder", "php.dpkg-old", "job~", "a b"] {
            assert!(!cron_reads_name(bad), "{bad}");
        }
    }

    #[test]
    fn discovery_reads_the_three_places_and_skips_what_cron_skips() {
        let root = tempfile::tempdir().unwrap();
        let p = root.path();
        fs::create_dir_all(p.join("etc/cron.d")).unwrap();
        fs::create_dir_all(p.join("var/spool/cron/crontabs")).unwrap();
        fs::write(p.join("etc/crontab"), "0 3 * * * root hb-write a 1d\n").unwrap();
        fs::write(p.join("etc/cron.d/jobs"), "0 4 * * * root hb-write b 1d\n").unwrap();
        fs::write(
            p.join("etc/cron.d/jobs.dpkg-old"),
            "0 4 * * * root hb-write c 1d\n",
        )
        .unwrap();
        fs::create_dir(p.join("etc/cron.d/sub")).unwrap();
        fs::write(
            p.join("var/spool/cron/crontabs/alice"),
            "0 5 * * * hb-write d 1d\n",
        )
        .unwrap();
        let found = discover(p);
        let names: Vec<String> = found
            .tabs
            .iter()
            .map(|t| t.path.strip_prefix(p).unwrap().display().to_string())
            .collect();
        assert_eq!(
            names,
            [
                "etc/crontab",
                "etc/cron.d/jobs",
                "var/spool/cron/crontabs/alice"
            ]
        );
        assert_eq!(found.tabs[2].owner.as_deref(), Some("alice"));
        assert_eq!(found.tabs[2].flavour, Flavour::User);
        let sub = p.join("etc/cron.d/sub");
        assert_eq!(
            found.problems,
            [Lint::new(
                Source::new(&sub, 0),
                "not a regular file".to_owned()
            )]
        );
    }

    #[test]
    fn fifos_and_big_files_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        crate::store::open::mkfifo(&fifo);
        let err = read(&fifo, Flavour::User, None).unwrap_err().to_string();
        assert!(err.contains("not a regular file"), "{err}");
        let big = dir.path().join("big");
        fs::write(&big, vec![b'#'; MAX_CRONTAB_BYTES as usize + 1]).unwrap();
        assert!(read(&big, Flavour::User, None)
            .unwrap_err()
            .to_string()
            .contains("more than"));
    }

    #[test]
    fn a_crontab_is_read_through_a_link_but_never_from_a_fifo_behind_one() {
        let dir = tempfile::tempdir().unwrap();
        let (line, link) = ("0 3 * * * hb-write a 1d\n", dir.path().join("jobs"));
        fs::write(dir.path().join("real"), line).unwrap();
        std::os::unix::fs::symlink("real", &link).unwrap();
        assert_eq!(read(&link, Flavour::User, None).unwrap().text, line);
        let fifo = dir.path().join("fifo");
        crate::store::open::mkfifo(&fifo);
        let to_fifo = dir.path().join("to-fifo");
        std::os::unix::fs::symlink(&fifo, &to_fifo).unwrap();
        assert_eq!(
            read(&to_fifo, Flavour::User, None).unwrap_err().to_string(),
            format!(
                "cannot read crontab {}: not a regular file",
                to_fifo.display()
            )
        );
        assert_eq!(
            reason(&Refused::Grew),
            "the file grew past the 1048576 bytes a crontab may have here"
        );
    }

    #[test]
    fn a_crontab_that_cannot_be_read_leads_to_the_os_error() {
        use std::error::Error as _;
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("crontab");
        let err = read(&missing, Flavour::System, None).unwrap_err();
        let io = err
            .source()
            .and_then(|e| e.downcast_ref::<std::io::Error>())
            .expect("the io::Error under it");
        assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
        let line = err.to_string();
        assert!(line.starts_with("cannot read crontab "), "{line}");
        assert!(line.contains("/crontab: cannot read: "), "{line}");
        assert_eq!(line.lines().count(), 1);
    }
}
