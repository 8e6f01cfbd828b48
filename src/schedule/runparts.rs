//! `run-parts` in a cron or anacron command: the directories it runs, the
//! `test -x /usr/sbin/anacron ||` guard, and the scripts' hb-write calls,
//! read as crontabs are.

use std::fs;
use std::path::Path;

use super::command::{find_hb_writes, simple_commands, Word};
use super::crontab::Flavour;
use super::files::{cron_reads_name, read_tab, refusal, Loaded, MAX_CRONTABS, MAX_CRONTAB_BYTES};
use super::{Expectation, Lint, Run, Source, MAX_JOBS_PER_CRONTAB};

/// The jobs `text` (`path` from line `first`) runs with hb-write, at most [`MAX_JOBS_PER_CRONTAB`].
pub(crate) fn jobs_in(
    path: &Path,
    text: &str,
    first: usize,
    run: &Run,
) -> (Vec<Expectation>, Vec<Lint>) {
    let (mut found, mut warnings) = (Vec::new(), Vec::new());
    for (line, text) in joined_lines(text, false) {
        if !text.contains("hb-write") {
            continue;
        }
        let at = Source::new(path, first + line - 1);
        for call in find_hb_writes(&text).into_iter().filter(|c| !c.retire) {
            if found.len() >= MAX_JOBS_PER_CRONTAB {
                break;
            }
            match run.expectation(&call, &at) {
                Ok(expected) => found.push(expected),
                Err(reason) => warnings.push(Lint::new(at.clone(), reason)),
            }
        }
    }
    (found, warnings)
}

/// The lines of `text` numbered from the first, `\` joining the next (`crlf`: `\r` dropped).
pub(crate) fn joined_lines(text: &str, crlf: bool) -> impl Iterator<Item = (usize, String)> + '_ {
    let mut lines = text.split('\n').enumerate();
    std::iter::from_fn(move || {
        let (mut joined, mut first) = (String::new(), None);
        for (index, line) in lines.by_ref() {
            first.get_or_insert(index + 1);
            let line = line.strip_suffix('\r').filter(|_| crlf).unwrap_or(line);
            let head = line.strip_suffix('\\');
            joined.push_str(head.unwrap_or(line));
            if head.is_none() {
                return Some((first?, joined));
            }
        }
        first.map(|first| (first, joined))
    })
}

/// run-parts's options that take a value as the next word.
const VALUE_OPTIONS: &[&str] = &["-a", "--arg", "-u", "--umask", "--regex"];

/// The directories `command` runs with run-parts, as written (none with `--list`, `--test`).
pub(crate) fn directories(command: &str) -> Vec<String> {
    let directory = |words: &Vec<Word>| {
        let mut words = words.iter();
        (words.next()?.text.rsplit('/').next() == Some("run-parts")).then_some(())?;
        let mut options = true;
        while let Some(word) = words.next() {
            let text = word.text.as_str();
            if options && text == "--" {
                options = false;
            } else if options && text.starts_with('-') {
                if matches!(text, "--list" | "--test" | "--help" | "-h" | "--version") {
                    return None;
                }
                if VALUE_OPTIONS.contains(&text) {
                    words.next();
                }
            } else {
                return (!word.expands).then(|| text.to_owned());
            }
        }
        None
    };
    let commands = simple_commands(command, true);
    commands.iter().filter_map(directory).collect()
}

/// `P` of `test -x P ||` or `[ -x P ] ||`: Debian's `/etc/crontab` leaving cron.daily to anacron.
pub(crate) fn skipped_when_present(command: &str) -> Option<&str> {
    let words: Vec<&str> = command.split_ascii_whitespace().take(5).collect();
    match words.as_slice() {
        ["test", "-x", path, "||", ..] | ["[", "-x", path, "]", "||"] => Some(path),
        _ => None,
    }
}

/// The most bytes read from scripts in one run, over every directory.
pub(crate) const MAX_SCRIPTS_BYTES: u64 = 64 * MAX_CRONTAB_BYTES;

/// The regular files of `dir`, sorted, read as crontabs, with why `run-parts --test` skips any
/// (read too, to warn of their hb-write); from `budget` bytes, where it runs out named.
pub(crate) fn read_dir(
    dir: &Path,
    budget: &mut u64,
    problems: &mut Vec<Lint>,
) -> Vec<(Loaded, Option<&'static str>)> {
    let mut scripts = Vec::new();
    if *budget == 0 {
        return scripts;
    }
    let entries = crate::store::open::sorted_entries(dir, MAX_CRONTABS * 4);
    for (name, path) in entries.into_iter().take(MAX_CRONTABS) {
        // stat, as run-parts does: a link counts as its target; a FIFO never blocks.
        let Some(meta) = fs::metadata(&path).ok().filter(fs::Metadata::is_file) else {
            continue;
        };
        // A script past the one-script cap costs the budget only the cap.
        if meta.len().min(MAX_CRONTAB_BYTES) > *budget {
            let why = format!("the scripts read for run-parts reach the {MAX_SCRIPTS_BYTES} bytes read in one run; this one and those after it are not read");
            problems.push(Lint::file(&path, why));
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
        match read_tab(&path, Flavour::User, None) {
            Ok(script) => {
                // The text held, which invalid UTF-8 only makes longer than the bytes read.
                *budget -= (script.text.len() as u64).min(*budget);
                scripts.push((script, skipped));
            }
            Err(refused) if skipped.is_none() => {
                let io = "cannot read this script run-parts runs";
                let limit = " read for hb-write lines; its jobs are not expected";
                let why = refusal(&refused, io, "script", limit);
                problems.push(Lint::file(&path, why));
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
    use crate::schedule::{Schedule, Timing};
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn debian_s_lines_name_their_directories_and_the_guard() {
        let daily = "test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }";
        assert_eq!(directories(daily), ["/etc/cron.daily"]);
        assert_eq!(skipped_when_present(daily), Some("/usr/sbin/anacron"));
        let hourly = "cd / && run-parts --report /etc/cron.hourly";
        assert_eq!(directories(hourly), ["/etc/cron.hourly"]);
        assert_eq!(skipped_when_present(hourly), None);
        assert_eq!(
            skipped_when_present("[ -x /usr/sbin/anacron ] || run-parts /x"),
            Some("/usr/sbin/anacron")
        );
    }

    #[test]
    fn a_script_s_calls_are_jobs_with_the_run_s_schedule() {
        let run = Run {
            schedule: Schedule::parse("25 6 * * *", chrono_tz::Tz::UTC).ok(),
            user: Some("root".to_owned()),
            since: None,
            timing: Timing::default(),
        };
        let text = "#!/bin/sh\n# hb-write old 1d\nset -e\n/usr/local/bin/backup \\\n  && hb-write backup 1d\nhb-write \"$X\" 1d\n";
        let (found, warnings) = jobs_in(Path::new("/etc/cron.daily/backup"), text, 1, &run);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].job, "backup");
        assert_eq!(found[0].source.to_string(), "/etc/cron.daily/backup:4");
        assert_eq!(found[0].schedule, run.schedule);
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].source.line, 6);
    }

    #[test]
    fn options_values_and_listing_modes() {
        assert_eq!(
            directories("/bin/run-parts -a x --umask 022 --regex '^a' -- /srv/jobs"),
            ["/srv/jobs"]
        );
        assert!(directories("run-parts --test /etc/cron.daily").is_empty());
        assert!(directories("run-parts \"$DIR\"").is_empty());
        assert!(directories("echo run-parts /x").is_empty());
        assert_eq!(directories("{ run-parts /a; run-parts /b; }"), ["/a", "/b"]);
        // A redirection and its target are no directory, wherever they stand.
        assert_eq!(directories("run-parts >/dev/null 2>&1 /x"), ["/x"]);
        assert_eq!(directories("run-parts --report /x > /var/log/x"), ["/x"]);
        // A quoted target is one, blanks and operators in it included.
        assert_eq!(directories("run-parts > \"/var/log/a b\" /x"), ["/x"]);
        assert_eq!(directories("run-parts 2>'x;y' /x"), ["/x"]);
        // A brace within a word is no group, as in sh.
        assert_eq!(directories("run-parts /x{a,b}"), ["/x{a,b}"]);
        assert_eq!(directories("run-parts --arg=} /y"), ["/y"]);
        assert_eq!(directories("run-parts /y}z"), ["/y}z"]);
        assert!(directories("{run-parts /y;}").is_empty());
        assert_eq!(directories("{ run-parts /a;}"), ["/a"]);
    }

    fn listing(dir: &Path, budget: &mut u64) -> (Vec<(Loaded, Option<&'static str>)>, Vec<Lint>) {
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
        let big = "#".repeat(MAX_CRONTAB_BYTES as usize + 1);
        file(d, "huge", 0o755, &big);
        let (scripts, problems) = listing(d, &mut MAX_SCRIPTS_BYTES.clone());
        let names: Vec<(String, bool)> = scripts
            .iter()
            .map(|(s, skipped)| {
                let name = s.path.file_name().unwrap().to_string_lossy().into_owned();
                (name, skipped.is_none())
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
        let body = "#".repeat(MAX_CRONTAB_BYTES as usize - 100);
        for i in 0..5 {
            file(dir.path(), &format!("s{i}"), 0o755, &body);
        }
        let mut budget = 3 * MAX_CRONTAB_BYTES;
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
        let names: Vec<_> = scripts.iter().map(|(s, _)| s.path.clone()).collect();
        assert_eq!(names, [dir.path().join("backup")]);
    }
}
