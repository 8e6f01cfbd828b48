//! The scan of the users' areas below `users/` (see `users`). Each is
//! opened as a directory without following a link, judged, listed and read
//! by its handle: an area swapped for a link after it was judged leads only
//! into the directory judged. At most [`AREA_ENTRIES_MAX`] entries are read
//! from one place, the first by name; one row says what was left out.

use std::collections::BinaryHeap;
use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::open::{list_dir, open_dir, open_regular_at, Refused};
use super::pause_file::{pause_job, read_pause, PauseEntry};
use super::scan::{invalid, read_heartbeat, BAD_NAME};
use super::users::{area_fault, user_name, users_dir_fault, USERS_DIR};
use crate::record::{user_job, validate_job, Entry};

/// The most entries read from one area or `users/`: one user's junk cannot
/// grow a run's rows, metrics and memory without end.
pub(crate) const AREA_ENTRIES_MAX: usize = 1000;

/// An area below `users/` that its handle says is its user's.
struct Area {
    handle: File,
    path: PathBuf,
    name: String,
    uid: u32,
}

/// Hands `each` every area below `<dir>/users/` that is its user's, or the
/// entry saying why not or what was left out. With `judge_users`, a
/// `users/` that cannot be trusted is one invalid entry and no area.
fn each_area(dir: &Path, judge_users: bool, each: &mut dyn FnMut(Result<Area, Entry>)) {
    let users_path = dir.join(USERS_DIR);
    let Ok(users) = open_dir(None, &users_path) else {
        return;
    };
    let Ok(meta) = users.metadata() else {
        return;
    };
    let users_row = |reason| invalid(users_path.clone(), format!("{USERS_DIR}/"), reason);
    let trusted = std::fs::metadata(dir).map_or(0, |m| m.uid());
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
            let look = std::fs::symlink_metadata(&path).ok();
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
        each(judged.map_err(|reason| invalid(path, format!("{name}/"), reason)));
    }
    if total > AREA_ENTRIES_MAX {
        let then = "the areas past them are not watched until the rest are removed";
        each(Err(users_row(cut(total, "entries", then))));
    }
}

/// Scans the areas: each `users/<name>/*.last` is job `<name>/<job>`, read
/// when the area and the file are `<name>`'s, else saying whose they are.
pub(super) fn scan_areas(dir: &Path) -> Vec<Entry> {
    let mut entries = Vec::new();
    each_area(dir, true, &mut |area| match area {
        Ok(area) => scan_area(&area, &mut entries),
        Err(entry) => entries.push(entry),
    });
    entries
}

fn cut(total: usize, what: &str, then: &str) -> String {
    format!(
        "{total} {what}, more than the {AREA_ENTRIES_MAX} read from one place: \
         the first {AREA_ENTRIES_MAX} by name are read, {} are not; {then}",
        total - AREA_ENTRIES_MAX
    )
}

fn scan_area(area: &Area, entries: &mut Vec<Entry>) {
    let (path, name) = (&area.path, area.name.as_str());
    #[cfg(test)]
    tests::SWAP.with(|swap| swap.borrow().as_ref().map(|swap| swap(path)));
    let listed = first_names(&area.handle, |n| n.strip_suffix(".last").is_some());
    let row = |reason| invalid(path.clone(), format!("{name}/"), reason);
    let (files, total) = match listed {
        Ok(found) => found,
        Err(err) => return entries.push(row(format!("cannot list directory: {err}"))),
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
        entries.push(Entry {
            path: path.join(&file),
            job: user_job(Some(name), job),
            subdir: None,
            content,
        });
    }
    if total > AREA_ENTRIES_MAX {
        let then = "their jobs are not watched until the files past the first are removed";
        entries.push(row(cut(total, "heartbeat files", then)));
    }
}

/// Every pause file of an area's user in their own area below `dir`
/// (others pause nothing; the heartbeat scan reports the area).
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
            found.push(PauseEntry {
                path: area.path.join(&file),
                dir: area.path.clone(),
                job,
                content,
            });
        }
        if total > AREA_ENTRIES_MAX {
            let then = "the pauses past the first do not apply";
            found.push(PauseEntry {
                path: area.path.clone(),
                dir: area.path,
                job: None,
                content: Err(cut(total, "pause files", then)),
            });
        }
    });
    found
}

/// The first [`AREA_ENTRIES_MAX`] UTF-8 names (sorted) in the directory
/// handle `dir` that `keep` accepts, but dotfiles, and how many in all.
fn first_names(dir: &File, keep: impl Fn(&str) -> bool) -> io::Result<(Vec<String>, usize)> {
    let mut first = BinaryHeap::new();
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
#[path = "areas_tests.rs"]
mod tests;
