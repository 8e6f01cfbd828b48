//! Pause files (see `pause`): written where the job's heartbeat goes, found where the scan looks;
//! a heartbeat does not touch them, and removing one (`hb-write --resume`) ends the pause early.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::open::{open_regular, read_record, sorted_entries, Links, Opened};
use super::scan::{walk, BAD_NAME};
use super::users::{area_pauses, effective_uid, user_name, USERS_DIR};
use super::{put, remove_existing, user_dir, write_where, HISTORY_EXTENSION, SYSTEM_DIR};
use crate::error::Error;
use crate::pause::{Pause, HOST_PAUSE_FILE};
use crate::record::validate_job;

fn pause_name(job: Option<&str>) -> String {
    job.map_or(HOST_PAUSE_FILE.to_owned(), |job| format!("{job}.pause"))
}

/// Writes `pause` where the job's heartbeat goes (see [`super::write()`]):
/// without `dir`, beside a heartbeat found only in the state directory.
pub(crate) fn write_pause(dir: Option<&Path>, pause: &Pause) -> Result<PathBuf, Error> {
    let bytes = crate::record::json_line(pause);
    let job = pause.job.as_deref();
    if let (None, Some(job), Some(user)) = (dir, job, user_dir()) {
        let in_root = super::heartbeat_path(Path::new(SYSTEM_DIR), job).exists();
        if !in_root && super::heartbeat_path(&user, job).exists() {
            return put(&user, user.join(pause_name(Some(job))), &bytes);
        }
    }
    write_where(dir, &|dir| put(dir, dir.join(pause_name(job)), &bytes))
}

/// Removes the pause of `job` (`None`: the host's) from `dirs` and this user's areas below them.
pub(crate) fn remove_pause(dirs: &[PathBuf], job: Option<&str>) -> Result<Vec<PathBuf>, Error> {
    job.map(validate_job).transpose()?;
    let name = pause_name(job);
    let paths = with_own_areas(dirs).into_iter().map(|dir| dir.join(&name));
    let resume = |path, source| Error::Resume { path, source };
    remove_existing(paths, resume, || Error::NotPaused {
        job: job.map(str::to_owned),
        file: pause_name(job),
        looked: dirs.to_vec(),
    })
}

const KNOWN_NAMES_MAX: usize = 10_000;

/// Whether `job` has a heartbeat or a history where its pause would go; else the error names
/// where it looked and the closest known names, so a typo does not pause nothing for days.
pub(crate) fn check_known(dir: Option<&Path>, job: &str) -> Result<(), Error> {
    let dirs = dir.map_or_else(super::default_locations, |dir| vec![dir.to_owned()]);
    let places = with_own_areas(&dirs);
    let kinds = [super::EXTENSION, HISTORY_EXTENSION];
    let known = |p: &PathBuf| kinds.iter().any(|k| p.join(format!("{job}.{k}")).exists());
    if places.iter().any(known) {
        return Ok(());
    }
    let names: Vec<String> = (places.iter())
        .flat_map(|place| sorted_entries(place, KNOWN_NAMES_MAX))
        .filter_map(|(name, _)| {
            let name = name.into_string().ok()?;
            let (stem, ext) = name.rsplit_once('.')?;
            (kinds.contains(&ext) && validate_job(stem).is_ok()).then(|| stem.to_owned())
        })
        .collect();
    let near = crate::pause::closest(job, names.iter().map(String::as_str));
    let near: Vec<String> = near.iter().map(|n| format!("`{n}`")).collect();
    let mean = (!near.is_empty()).then(|| format!("; did you mean {}?", near.join(" or ")));
    Err(Error::rule(format!(
        "no job `{job}` to pause: no heartbeat or history in {}{}; --force pauses it anyway",
        crate::error::join_paths(&places),
        mean.unwrap_or_default()
    )))
}

/// `dirs`, then this user's own area below each where there is one.
fn with_own_areas(dirs: &[PathBuf]) -> Vec<PathBuf> {
    let me = user_name(effective_uid());
    let areas = dirs.iter().filter_map(|dir| {
        let area = dir.join(USERS_DIR).join(me.as_deref()?);
        fs::symlink_metadata(&area)
            .is_ok_and(|m| m.is_dir() && m.uid() == effective_uid())
            .then_some(area)
    });
    dirs.iter().cloned().chain(areas).collect()
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PauseEntry {
    /// The file; its directory is where it applies.
    pub path: PathBuf,
    /// `None` for a host pause.
    pub job: Option<String>,
    pub content: Result<Pause, String>,
}

/// Every pause file where the scan looks (which reports unlistable places): in a user's area
/// one that user owns; elsewhere root's (or the directory owner's).
pub(crate) fn scan_pauses(dirs: &[PathBuf]) -> Vec<PauseEntry> {
    let mut found = Vec::new();
    for dir in dirs {
        // Only the pauses found are sorted (by path: a walk's order by name), not the costly walk.
        let start = found.len();
        let trusted = fs::metadata(dir).map_or(0, |m| m.uid());
        for item in walk(dir).flatten() {
            let Some(job) = item.file_name().to_str().and_then(pause_job) else {
                continue;
            };
            let path = item.into_path();
            let content = match (untrusted_owner(&path, trusted), &job) {
                (Some(reason), _) => Err(reason),
                (None, Some(job)) if validate_job(job).is_err() => Err(BAD_NAME.to_owned()),
                (None, _) => read_pause(open_regular(&path, Links::Refuse), job.as_deref()),
            };
            found.push(PauseEntry { path, job, content });
        }
        found[start..].sort_by(|a, b| a.path.cmp(&b.path));
        found.extend(area_pauses(dir));
    }
    found
}

/// What a file named `name` pauses: `Some(None)` for the host pause,
/// `Some(Some(job))` for a job's, `None` for a file that is no pause.
#[allow(clippy::option_option, reason = "the three answers the doc names")]
pub(super) fn pause_job(name: &str) -> Option<Option<String>> {
    if name == HOST_PAUSE_FILE {
        return Some(None);
    }
    name.strip_suffix(".pause").map(|job| Some(job.to_owned()))
}

/// Why a pause file outside the areas, neither root's nor `trusted`'s, is void.
fn untrusted_owner(path: &Path, trusted: u32) -> Option<String> {
    let owner = fs::symlink_metadata(path).ok()?.uid();
    (owner != 0 && owner != trusted).then(|| {
        let name = user_name(owner).unwrap_or_else(|| format!("uid {owner}"));
        format!("the file belongs to {name}; only root's pauses count outside a user's area")
    })
}

pub(super) fn read_pause(opened: Opened, job: Option<&str>) -> Result<Pause, String> {
    let (bytes, _) = read_record(opened, "pause")?;
    Pause::from_json(&bytes, job).map_err(|e| format!("not a pause record: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MAX_FILE_BYTES;
    use chrono::Utc;
    use walkdir::WalkDir;

    #[test]
    fn pauses_come_in_the_order_of_a_walk_sorted_by_name() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().to_owned();
        // Names where sorting by path and a walk sorted by name could part:
        // a directory beside a pause of the same stem, a prefix, digits.
        for sub in ["web1", "web1.pause", "a", "b-c", "b"] {
            fs::create_dir(dir.join(sub)).unwrap();
        }
        for (i, name) in [
            "web1/zz.pause",
            "web1/_host.pause",
            "web1-x.pause",
            "a.pause",
            "a/a.pause",
            "b-c/q.pause",
            "b/q.pause",
            "_host.pause",
            "job10.pause",
            "job9.pause",
            "web1.pause/inner.pause",
        ]
        .iter()
        .enumerate()
        {
            fs::write(dir.join(name), format!("{i}")).unwrap();
            fs::write(dir.join(format!("{name}.{i}.last")), "").unwrap();
        }
        let sorted: Vec<PathBuf> = WalkDir::new(&dir)
            .min_depth(1)
            .max_depth(2)
            .sort_by_file_name()
            .into_iter()
            .flatten()
            .filter(|e| e.file_name().to_str().and_then(pause_job).is_some())
            .map(|e| e.path().to_owned())
            .collect();
        assert_eq!(sorted.len(), 12, "{sorted:?}");
        let found: Vec<PathBuf> = scan_pauses(std::slice::from_ref(&dir))
            .into_iter()
            .map(|p| p.path)
            .collect();
        assert_eq!(found, sorted);
    }

    #[test]
    fn pauses_are_written_found_and_removed() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().to_owned();
        let now = Utc::now();
        let own = Pause::new(Some("backup"), now, 3600, Some("disk swap")).unwrap();
        let host = Pause::new(None, now, 60, None).unwrap();
        assert_eq!(
            write_pause(Some(&dir), &own).unwrap(),
            dir.join("backup.pause")
        );
        write_pause(Some(&dir.join("web2")), &host).unwrap();
        fs::write(dir.join("bad.pause"), "{").unwrap();
        fs::write(dir.join("other.last"), "").unwrap();
        let found = scan_pauses(std::slice::from_ref(&dir));
        let summary: Vec<_> = found
            .iter()
            .map(|p| {
                (
                    p.path.strip_prefix(&dir).unwrap().to_owned(),
                    p.job.clone(),
                    p.content.is_ok(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    PathBuf::from("backup.pause"),
                    Some("backup".to_owned()),
                    true
                ),
                (PathBuf::from("bad.pause"), Some("bad".to_owned()), false),
                (PathBuf::from("web2/_host.pause"), None, true),
            ]
        );
        assert_eq!(found[0].content.as_ref().unwrap(), &own);
        assert_eq!(found[2].path.parent(), Some(dir.join("web2").as_path()));
        assert_eq!(
            remove_pause(std::slice::from_ref(&dir), Some("backup"))
                .unwrap()
                .len(),
            1
        );
        let again = remove_pause(std::slice::from_ref(&dir), Some("backup")).unwrap_err();
        assert!(again.to_string().contains("not paused"), "{again}");
    }

    #[test]
    fn a_pause_that_is_a_link_a_fifo_or_too_big_is_refused_unread() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.pause");
        let pause = Pause::new(Some("backup"), Utc::now(), 60, None).unwrap();
        fs::write(&real, crate::record::json_line(&pause)).unwrap();
        let link = dir.path().join("backup.pause");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert_eq!(
            read_pause(open_regular(&link, Links::Refuse), Some("backup")).unwrap_err(),
            "a symbolic link; a pause must be a regular file"
        );
        let fifo = dir.path().join("pipe.pause");
        crate::store::open::mkfifo(&fifo);
        assert_eq!(
            read_pause(open_regular(&fifo, Links::Refuse), Some("pipe")).unwrap_err(),
            "a FIFO; a pause must be a regular file"
        );
        let big = dir.path().join("big.pause");
        fs::write(&big, vec![b' '; MAX_FILE_BYTES as usize + 1]).unwrap();
        assert_eq!(
            read_pause(open_regular(&big, Links::Refuse), Some("big")).unwrap_err(),
            "the file is 65537 bytes, more than a pause's 65536"
        );
    }
}
