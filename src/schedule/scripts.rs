//! Reading the scripts run-parts runs, with the crontabs' bounds: at most
//! [`MAX_CRONTABS`] names, regular files only (a FIFO is never opened), at
//! most [`MAX_SCRIPT_BYTES`] each.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::files::{cron_reads_name, refusal, sorted_entries, MAX_CRONTABS};
use super::{Lint, Source};
use crate::store::open::{read_regular, Links};

pub(crate) const MAX_SCRIPT_BYTES: u64 = 1024 * 1024;
/// The most bytes read from scripts in one run, over every directory.
pub(crate) const MAX_SCRIPTS_BYTES: u64 = 64 * MAX_SCRIPT_BYTES;

/// A regular file of a run-parts directory.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Script {
    pub path: PathBuf,
    /// Invalid UTF-8 replaced.
    pub text: String,
    pub modified: Option<DateTime<Utc>>,
    /// Why run-parts skips it; `None` when it runs it.
    pub skipped: Option<&'static str>,
}

/// The regular files of `dir`, sorted, each marked as `run-parts --test`
/// chooses (names of letters, digits, `_` and `-`, executable). Skipped
/// ones are read too, to warn about an hb-write in them; problems reading
/// the others are told. The bytes read come from `budget` (start it at
/// [`MAX_SCRIPTS_BYTES`]); the script where it runs out is named.
pub(crate) fn read_dir(dir: &Path, budget: &mut u64, problems: &mut Vec<Lint>) -> Vec<Script> {
    let mut scripts = Vec::new();
    if *budget == 0 {
        return scripts;
    }
    for (name, path) in sorted_entries(dir).into_iter().take(MAX_CRONTABS) {
        // stat, as run-parts does: a link counts as what it points at, and
        // looking at a FIFO never blocks.
        let Some(meta) = fs::metadata(&path).ok().filter(fs::Metadata::is_file) else {
            continue;
        };
        // A script past the one-script cap costs the budget only the cap.
        if meta.len().min(MAX_SCRIPT_BYTES) > *budget {
            problems.push(Lint::new(Source::new(&path, 0), format!(
                "the scripts read for run-parts reach the {MAX_SCRIPTS_BYTES} bytes read in one run; this one and those after it are not read"
            )));
            *budget = 0;
            break;
        }
        let skipped = if !cron_reads_name(&name.to_string_lossy()) {
            Some("its name has a character other than letters, digits, `_` and `-`")
        } else if !executable(&path) {
            Some("it is not executable")
        } else {
            None
        };
        match read_regular(&path, Links::Follow, MAX_SCRIPT_BYTES) {
            Ok((bytes, meta)) => {
                *budget -= (bytes.len() as u64).min(*budget);
                scripts.push(Script {
                    path,
                    text: String::from_utf8_lossy(&bytes).into_owned(),
                    modified: meta.modified().ok().map(DateTime::<Utc>::from),
                    skipped,
                });
            }
            Err(refused) if skipped.is_none() => {
                let io = "cannot read this script run-parts runs";
                let limit = " read for hb-write lines; its jobs are not expected";
                let why = refusal(&refused, io, "script", MAX_SCRIPT_BYTES, limit);
                problems.push(Lint::new(Source::new(&path, 0), why));
            }
            Err(_) => {}
        }
    }
    scripts
}

/// Whether this user may execute `path`, by `access(2)` as run-parts asks.
pub(crate) fn executable(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(path) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: a valid NUL-terminated path.
    unsafe { libc::access(path.as_ptr(), libc::X_OK) == 0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn listing(dir: &Path, budget: &mut u64) -> (Vec<Script>, Vec<Lint>) {
        let mut problems = Vec::new();
        (read_dir(dir, budget, &mut problems), problems)
    }

    fn file(dir: &Path, name: &str, mode: u32, text: &str) {
        let path = dir.join(name);
        fs::write(&path, text).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn fifos_directories_and_big_scripts_are_never_read() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        file(d, "backup", 0o755, "hb-write backup 1d\n");
        file(d, "backup.sh", 0o755, "hb-write dotted 1d\n");
        file(d, "plain", 0o644, "hb-write plain 1d\n");
        crate::store::open::mkfifo(&d.join("fifo"));
        fs::create_dir(d.join("sub")).unwrap();
        let big = "#".repeat(MAX_SCRIPT_BYTES as usize + 1);
        file(d, "huge", 0o755, &big);
        let (scripts, problems) = listing(d, &mut MAX_SCRIPTS_BYTES.clone());
        let names: Vec<(String, bool)> = scripts
            .iter()
            .map(|s| {
                let name = s.path.file_name().unwrap().to_string_lossy().into_owned();
                (name, s.skipped.is_none())
            })
            .collect();
        let plain_runs = executable(&d.join("plain"));
        assert_eq!(
            names,
            [
                ("backup".to_owned(), true),
                ("backup.sh".to_owned(), false),
                ("plain".to_owned(), plain_runs)
            ]
        );
        assert_eq!(problems.len(), 1);
        assert!(problems[0].message.contains("more than"));
        assert!(listing(&d.join("missing"), &mut 1).0.is_empty());
    }

    #[test]
    fn reading_stops_where_the_byte_budget_runs_out() {
        let dir = tempfile::tempdir().unwrap();
        let body = "#".repeat(MAX_SCRIPT_BYTES as usize - 100);
        for i in 0..5 {
            file(dir.path(), &format!("s{i}"), 0o755, &body);
        }
        let mut budget = 3 * MAX_SCRIPT_BYTES;
        let (scripts, problems) = listing(dir.path(), &mut budget);
        assert_eq!(scripts.len(), 3);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].source.file, dir.path().join("s3"));
        assert_eq!(budget, 0);
        assert!(listing(dir.path(), &mut budget).0.is_empty());
    }

    #[test]
    fn one_file_larger_than_the_whole_budget_does_not_hide_the_others() {
        let dir = tempfile::tempdir().unwrap();
        let huge = fs::File::create(dir.path().join("aaa.dpkg-old")).unwrap();
        huge.set_len(MAX_SCRIPTS_BYTES + 1).unwrap();
        file(dir.path(), "backup", 0o755, "hb-write backup 1d\n");
        let (scripts, _) = listing(dir.path(), &mut MAX_SCRIPTS_BYTES.clone());
        let names: Vec<_> = scripts.iter().map(|s| s.path.clone()).collect();
        assert_eq!(names, [dir.path().join("backup")]);
    }
}
