//! `run-parts` in a cron or anacron command: the directories it runs, the
//! `test -x /usr/sbin/anacron ||` guard, and the scripts' hb-write calls.

use std::path::Path;

use chrono::{DateTime, Utc};

use super::command::{find_hb_writes, simple_commands, Word};
use super::{Expectation, Lint, Schedule, Source, Timing, MAX_JOBS_PER_CRONTAB};

/// How a crontab line, a script or an anacrontab's command is run.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    pub schedule: Option<Schedule>,
    pub user: Option<String>,
    /// When the run's line appeared: the crontab's modification time.
    pub since: Option<DateTime<Utc>>,
    pub timing: Timing,
}

/// The jobs `text` (at `path` from line `first`) runs with hb-write, line
/// by line, as `run` runs them, at most [`MAX_JOBS_PER_CRONTAB`]; and the
/// warnings about calls that cannot be used.
pub(crate) fn jobs_in(
    path: &Path,
    text: &str,
    first: usize,
    run: &Run,
    modified: Option<DateTime<Utc>>,
) -> (Vec<Expectation>, Vec<Lint>) {
    let run = Run {
        since: run.since.max(modified),
        ..run.clone()
    };
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

/// The lines of `text` with the number of the first, one ending in `\`
/// joined to the next (`crlf`: once a `\r` at its end is dropped).
pub(crate) fn joined_lines(text: &str, crlf: bool) -> impl Iterator<Item = (usize, String)> + '_ {
    let mut lines = text.split('\n').enumerate();
    std::iter::from_fn(move || {
        let mut joined = String::new();
        let mut first = None;
        for (index, line) in lines.by_ref() {
            first.get_or_insert(index + 1);
            let line = if crlf {
                line.strip_suffix('\r').unwrap_or(line)
            } else {
                line
            };
            if let Some(head) = line.strip_suffix('\\') {
                joined.push_str(head);
            } else {
                joined.push_str(line);
                return Some((first?, joined));
            }
        }
        first.map(|first| (first, joined))
    })
}

/// run-parts's options that take a value as the next word.
const VALUE_OPTIONS: &[&str] = &["-a", "--arg", "-u", "--umask", "--regex"];

/// The directories `command` runs with run-parts, as written (not with
/// `--list`, `--test` or `--help`, which run nothing).
pub(crate) fn directories(command: &str) -> Vec<String> {
    let directory = |words: &Vec<Word>| {
        let mut words = words.iter().skip_while(|w| w.text == "{" || w.text == "}");
        let program = &words.next()?.text;
        if program != "run-parts" && !program.ends_with("/run-parts") {
            return None;
        }
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
                return (!word.expands && text != "}").then(|| text.to_owned());
            }
        }
        None
    };
    (simple_commands(command).iter())
        .filter_map(directory)
        .collect()
}

/// `P` of a command that begins `test -x P ||` or `[ -x P ] ||`, as
/// Debian's `/etc/crontab` hands cron.daily to anacron when installed.
pub(crate) fn skipped_when_present(command: &str) -> Option<&str> {
    let words: Vec<&str> = command.split_ascii_whitespace().take(5).collect();
    match words.as_slice() {
        ["test", "-x", path, "||", ..] | ["[", "-x", path, "]", "||"] => Some(path),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let (found, warnings) = jobs_in(Path::new("/etc/cron.daily/backup"), text, 1, &run, None);
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
    }
}
