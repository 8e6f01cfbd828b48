//! Every user's heartbeats, in the spirit of the cron spool and `/tmp`:
//!
//! ```text
//! /var/lib/cron-heartbeat/            root:root 0755   root's jobs
//! /var/lib/cron-heartbeat/users/      root:root 1777   anyone may add a directory, nobody may remove another's
//! /var/lib/cron-heartbeat/users/alice alice     0755   alice's jobs: alice/<job>
//! ```
//!
//! A user who cannot write the system directory writes to their own area. The scan trusts an area
//! only when it belongs to the user it is named after, and a file in it only when that user (or
//! root) owns it: no user can forge, replace or delete another's heartbeats. It opens, judges,
//! lists and reads each area by its handle, never through a link: an area swapped for a link
//! after it was judged leads only into the one judged.

use std::ffi::{CStr, OsStr};
use std::fs::{self, DirBuilder, File, Metadata};
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::open::{list_dir, open_dir, open_regular_at, Refused};
use super::pause_file::{pause_job, read_pause, PauseEntry};
use super::scan::{entry, read_heartbeat, BAD_NAME};
use crate::error::Error;
use crate::record::{user_job, validate_job, Entry};

pub(crate) const USERS_DIR: &str = "users";

/// The largest lookup buffer for a passwd entry; a larger one is unknown.
const PASSWD_BUFFER_MAX: usize = 1 << 20;

/// The login name of `uid` from the user database (NSS: LDAP counts too).
pub(crate) fn user_name(uid: u32) -> Option<String> {
    let mut buffer = vec![0u8; 1024];
    loop {
        // SAFETY: an all-zero passwd is a valid value of the plain C struct;
        // getpwuid_r only writes into it and into `buffer`, whose length it
        // is told, and `result` points at `entry` or is null on return.
        let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let (buf, len) = (buffer.as_mut_ptr().cast(), buffer.len());
        let code = unsafe { libc::getpwuid_r(uid, &raw mut entry, buf, len, &raw mut result) };
        if code != libc::ERANGE || buffer.len() >= PASSWD_BUFFER_MAX {
            if code != 0 || result.is_null() || entry.pw_name.is_null() {
                return None;
            }
            // SAFETY: on success pw_name points at a NUL-terminated string
            // in `buffer`, which outlives this borrow.
            let name = unsafe { CStr::from_ptr(entry.pw_name) };
            return name.to_str().ok().map(str::to_owned);
        }
        buffer.resize(buffer.len() * 2, 0);
    }
}

/// The (uid, gid) of the directory `path`, not through a link (`/run/user/UID`'s is its user's).
pub(crate) fn dir_owner(path: &Path) -> Option<(u32, u32)> {
    let meta = fs::symlink_metadata(path).ok()?;
    meta.is_dir().then(|| (meta.uid(), meta.gid()))
}

pub(crate) fn effective_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// This process's area `<root>/users/<login>/`, made `0755` when missing; `None` without
/// `<root>/users/` or a user name. One not this user's (another made it first) is refused.
pub(crate) fn own_area(root: &Path) -> Result<Option<PathBuf>, Error> {
    let users = root.join(USERS_DIR);
    if !fs::symlink_metadata(&users).is_ok_and(|m| m.is_dir()) {
        return Ok(None);
    }
    let uid = effective_uid();
    let Some(name) = user_name(uid) else {
        return Ok(None);
    };
    let area = users.join(&name);
    let failed = |source| Error::CreateDir {
        path: area.clone(),
        source,
    };
    // Another run of the same user may make it meanwhile.
    match DirBuilder::new().mode(0o755).create(&area) {
        Err(err) if err.kind() != io::ErrorKind::AlreadyExists => return Err(failed(err)),
        _ => {}
    }
    let meta = fs::symlink_metadata(&area).map_err(failed)?;
    if let Some(reason) = area_fault(&meta, uid, &name) {
        let reason = format!("{reason}; ask root to remove it");
        let denied = io::Error::new(io::ErrorKind::PermissionDenied, reason);
        return Err(failed(denied));
    }
    Ok(Some(area))
}

/// Why an area named `name` cannot be trusted as user `uid`'s.
pub(super) fn area_fault(meta: &Metadata, uid: u32, name: &str) -> Option<String> {
    let owner = meta.uid();
    if meta.file_type().is_symlink() {
        Some("it is a symlink, not a directory".to_owned())
    } else if !meta.is_dir() {
        Some("it is not a directory".to_owned())
    } else {
        (owner != uid).then(|| format!("it belongs to uid {owner}, not to {name} (uid {uid})"))
    }
}

/// Why `users/` cannot be trusted: it must be root's (or `trusted`'s, the heartbeat directory's
/// owner, who could rewrite all anyway), and sticky if others may write to it.
pub(super) fn users_dir_fault(meta: &Metadata, trusted: u32) -> Option<String> {
    if meta.uid() != 0 && meta.uid() != trusted {
        return Some(format!("belongs to uid {}, not to root", meta.uid()));
    }
    let mode = meta.permissions().mode() & 0o7777;
    (mode & 0o022 != 0 && mode & 0o1000 == 0).then(|| {
        format!(
            "is writable by others without the sticky bit (mode {mode:o}); run `chmod 1777` on it"
        )
    })
}

/// The most entries read from an area or `users/` (first by name): one user's junk stays bounded.
const AREA_ENTRIES_MAX: usize = 1000;

struct Area {
    handle: File,
    path: PathBuf,
    name: String,
    uid: u32,
}

/// Hands `each` every area of `<dir>/users/` its handle says is its user's, or the entry saying
/// why not or what was left out; with `judge_users`, an untrusted `users/` is one entry.
fn each_area(dir: &Path, judge_users: bool, each: &mut dyn FnMut(Result<Area, Entry>)) {
    let users_path = dir.join(USERS_DIR);
    let opened = open_dir(None, &users_path).and_then(|users| Ok((users.metadata()?, users)));
    let Ok((meta, users)) = opened else {
        return;
    };
    let users_row = |reason| entry(users_path.clone(), format!("{USERS_DIR}/"), Err(reason));
    let trusted = fs::metadata(dir).map_or(0, |m| m.uid());
    if let Some(reason) = users_dir_fault(&meta, trusted).filter(|_| judge_users) {
        return each(Err(users_row(format!("the per-user directory {reason}"))));
    }
    let (names, total) = match first_names(&users, |_| true) {
        Ok(found) => found,
        Err(err) => return each(Err(users_row(format!("cannot list directory: {err}")))),
    };
    for name in names {
        let path = users_path.join(&name);
        let judged = open_dir(Some(&users), Path::new(&name)).map_err(|err| {
            // Worded from a look at the name; only the handle is trusted.
            let look = fs::symlink_metadata(&path).ok();
            look.and_then(|m| area_fault(&m, m.uid(), &name))
                .unwrap_or_else(|| format!("cannot read: {err}"))
        });
        let judged = judged.and_then(|handle| {
            let uid = handle.metadata().map_err(|e| format!("cannot read: {e}"))?.uid();
            match user_name(uid) {
                Some(owner) if owner == name => Ok(Area {
                    handle,
                    path: path.clone(),
                    name: name.clone(),
                    uid,
                }),
                Some(owner) => Err(format!(
                    "the area `{name}` belongs to {owner} (uid {uid}), so its heartbeats cannot be {name}'s"
                )),
                None => Err(format!(
                    "the area `{name}` belongs to uid {uid}, which has no user name"
                )),
            }
        });
        each(judged.map_err(|reason| entry(path, format!("{name}/"), Err(reason))));
    }
    let then = "the areas past them are not watched until the rest are removed";
    let cut = cut(total, "entries", then).map(users_row);
    cut.map(Err).into_iter().for_each(each);
}

/// Each `users/<name>/*.last` as job `<name>/<job>`, read if the area and file are `<name>`'s.
pub(super) fn scan_areas(dir: &Path, each: &mut dyn FnMut(Entry)) {
    each_area(dir, true, &mut |area| match area {
        Ok(area) => scan_area(&area, each),
        Err(entry) => each(entry),
    });
}

/// What was left out of a place of `total` entries, if anything.
fn cut(total: usize, what: &str, then: &str) -> Option<String> {
    let past = total
        .checked_sub(AREA_ENTRIES_MAX)
        .filter(|&past| past > 0)?;
    Some(format!(
        "{total} {what}, more than the {AREA_ENTRIES_MAX} read from one place: \
         the first {AREA_ENTRIES_MAX} by name are read, {past} are not; {then}"
    ))
}

fn scan_area(area: &Area, each: &mut dyn FnMut(Entry)) {
    let (path, name) = (&area.path, area.name.as_str());
    #[cfg(test)]
    tests::SWAP.with(|swap| swap.borrow().as_ref().map(|swap| swap(path)));
    let listed = first_names(&area.handle, |n| n.strip_suffix(".last").is_some());
    let row = |reason| entry(path.clone(), format!("{name}/"), Err(reason));
    let (files, total) = match listed {
        Ok(found) => found,
        Err(err) => return each(row(format!("cannot list directory: {err}"))),
    };
    for file in files {
        let job = file.strip_suffix(".last").unwrap_or(&file);
        let content = match validate_job(job) {
            Err(_) => Err(BAD_NAME.to_owned()),
            Ok(()) => match open_regular_at(&area.handle, OsStr::new(&file)) {
                Err(Refused::Link) => Err("a symlink in a user's area is not followed".to_owned()),
                // The file must belong to the area's user or to root.
                Ok((_, meta)) if ![area.uid, 0].contains(&meta.uid()) => {
                    let owner =
                        user_name(meta.uid()).unwrap_or_else(|| format!("uid {}", meta.uid()));
                    Err(format!(
                        "the file belongs to {owner}, not to {name} whose area it is in"
                    ))
                }
                opened => read_heartbeat(opened, job),
            },
        };
        each(entry(path.join(&file), user_job(Some(name), job), content));
    }
    let then = "their jobs are not watched until the files past the first are removed";
    if let Some(reason) = cut(total, "heartbeat files", then) {
        each(row(reason));
    }
}

/// The pause files of each area's user in that area (the scan reports the area).
pub(super) fn area_pauses(dir: &Path) -> Vec<PauseEntry> {
    let mut found = Vec::new();
    each_area(dir, false, &mut |area| {
        let Ok(area) = area else {
            return;
        };
        let Ok((files, total)) = first_names(&area.handle, |n| pause_job(n).is_some()) else {
            return;
        };
        for file in files {
            let job = pause_job(&file).flatten();
            let content = match &job {
                Some(job) if validate_job(job).is_err() => Err(BAD_NAME.to_owned()),
                _ => match open_regular_at(&area.handle, OsStr::new(&file)) {
                    // Another user's file in the area pauses nothing.
                    Ok((_, meta)) if meta.uid() != area.uid => continue,
                    opened => read_pause(opened, job.as_deref()),
                },
            };
            let path = area.path.join(&file);
            found.push(PauseEntry { path, job, content });
        }
        let then = "the pauses past the first do not apply";
        found.extend(cut(total, "pause files", then).map(|reason| PauseEntry {
            path: area.path,
            job: None,
            content: Err(reason),
        }));
    });
    found
}

/// The first [`AREA_ENTRIES_MAX`] undotted UTF-8 names `keep` accepts, sorted, and the count.
fn first_names(dir: &File, keep: impl Fn(&str) -> bool) -> io::Result<(Vec<String>, usize)> {
    let mut first = std::collections::BinaryHeap::new();
    let mut total = 0;
    list_dir(dir, &mut |name| {
        let Some(name) = name.to_str().filter(|n| !n.starts_with('.') && keep(n)) else {
            return;
        };
        total += 1;
        first.push(name.to_owned());
        if first.len() > AREA_ENTRIES_MAX {
            first.pop();
        }
    })?;
    Ok((first.into_sorted_vec(), total))
}

#[cfg(test)]
#[path = "users_tests.rs"]
mod tests;
