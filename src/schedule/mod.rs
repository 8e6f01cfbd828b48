//! What the crontabs expect: every `hb-write` line with its job, interval and schedule, and
//! their lint; pure over file contents but [`files`] and [`runparts`], which read them.

pub(crate) mod anacrontab;
pub(crate) mod command;
pub(crate) mod crontab;
mod fields;
pub(crate) mod files;
pub(crate) mod fire;
pub(crate) mod lint;
pub(crate) mod runparts;
pub(crate) mod timing;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::record::{parse_interval, user_job, validate_job};
pub(crate) use fire::{parse_zone, Schedule};
pub(crate) use lint::{lint, Lint};
pub(crate) use timing::Timing;

/// The most hb-write jobs read from one crontab: the work stays bounded whatever users write.
pub(crate) const MAX_JOBS_PER_CRONTAB: usize = 1000;
/// The most hb-write jobs read for one user, over every crontab.
pub(crate) const MAX_JOBS_PER_USER: usize = 2000;
const MAX_WARNINGS_PER_CRONTAB: usize = 100;
/// The most minutes cronie takes from `RANDOM_DELAY`: a day.
const CRONIE_DELAY_MAX_MINUTES: u64 = 24 * 60;

/// A crontab line: the file and the line from 1 (0: the whole file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Source {
    pub file: PathBuf,
    pub line: usize,
}

impl Source {
    pub(crate) fn new(file: &Path, line: usize) -> Source {
        let file = file.to_owned();
        Source { file, line }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            0 => write!(f, "{}", self.file.display()),
            line => write!(f, "{}:{line}", self.file.display()),
        }
    }
}

/// A job a crontab runs with `hb-write`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Expectation {
    pub job: String,
    /// The interval on the hb-write line, in seconds.
    pub interval: u64,
    /// When cron starts the job; `None` for `@reboot`.
    pub schedule: Option<Schedule>,
    pub source: Source,
    /// The user cron runs it as, when the crontab says.
    pub user: Option<String>,
    /// When the line appeared, at the latest: the crontab's modification time.
    pub since: Option<DateTime<Utc>>,
    pub timing: Timing,
    pub needs: Vec<String>,
}

/// Where in `found` the first line of each judged name (`USER/JOB` for a user's line) is.
pub(crate) fn first_lines(found: &[Expectation]) -> HashMap<String, usize> {
    // Reversed, so that the first line of a name is the one kept.
    (found.iter().enumerate().rev())
        .map(|(i, e)| (user_job(e.user.as_deref(), &e.job), i))
        .collect()
}

/// The jobs a crontab expects (firing in `zone` unless it sets one), and their own lines' warnings.
pub(crate) fn expectations(
    tab: &files::Loaded,
    entries: &[crontab::Entry],
    bad: &[crontab::BadLine],
    zone: Tz,
) -> (Vec<Expectation>, Vec<Lint>) {
    let lines: Vec<&str> = tab.text.split('\n').collect();
    let source = |line| Source::new(&tab.path, line);
    let unread = |b: &crontab::BadLine| format!("cron cannot read this line: {}", b.reason);
    // The same split as the parser's: each line it names is there.
    let written = |line: usize| lines[line - 1].contains("hb-write");
    let mut warnings: Vec<Lint> = (bad.iter().filter(|b| written(b.line)))
        .map(|b| Lint::new(source(b.line), unread(b)))
        .collect();
    let words = str::split_ascii_whitespace;
    // Past the bound, calls are only counted, for the line that says so.
    let (mut found, mut left_out) = (Vec::new(), 0);
    for entry in entries {
        let at = source(entry.line);
        let here = |message| Lint::new(at.clone(), message);
        let written = written(entry.line);
        if entry.cut && written {
            warnings.push(here("an unescaped `%` ends the command there (cron sends the rest to its input), so hb-write may never run; write `\\%`".to_owned()));
        }
        let calls = command::find_hb_writes(&entry.command);
        if calls.is_empty() && entry.command.to_ascii_lowercase().contains("hb") {
            let misses = command::near_misses(&entry.command).into_iter();
            warnings.extend(misses.map(|word| here(format!("`{word}` looks like a misspelt `hb-write`: this line writes no heartbeat, so its job is not monitored"))));
        }
        if calls.is_empty() && !written {
            continue;
        }
        let calls = calls.into_iter().filter(|c| !c.retire);
        if found.len() >= MAX_JOBS_PER_CRONTAB {
            left_out += calls.count();
            continue;
        }
        let Some(run) = Run::of(tab, entry, zone, &mut warnings) else {
            continue;
        };
        for call in calls {
            if found.len() >= MAX_JOBS_PER_CRONTAB {
                left_out += 1;
                continue;
            }
            match run.expectation(&call, &at) {
                Ok(expected) => {
                    if let (Some(given), Some(line)) = (&call.schedule, &run.schedule) {
                        let (given, line) = (&given.text, line.text());
                        if words(given).ne(words(line)) {
                            warnings.push(here(format!("hb-write says --schedule `{given}` but the line runs at `{line}`; the line's schedule is used")));
                        }
                    }
                    found.push(expected);
                }
                Err(reason) => warnings.push(here(reason)),
            }
        }
    }
    let more = warnings.len().saturating_sub(MAX_WARNINGS_PER_CRONTAB);
    if more > 0 {
        warnings.truncate(MAX_WARNINGS_PER_CRONTAB);
        let message = format!("{more} more warnings about this crontab are left out");
        warnings.push(Lint::new(source(0), message));
    }
    if left_out > 0 {
        let why = format!("only the first {MAX_JOBS_PER_CRONTAB} hb-write jobs of a crontab are read; {left_out} more are left out");
        warnings.push(Lint::new(source(0), why));
    }
    (found, warnings)
}

/// How a crontab line, a script or an anacrontab's command is run.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    pub schedule: Option<Schedule>,
    pub user: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub timing: Timing,
}

impl Run {
    /// How cron runs `entry` of `tab` (in `zone` unless set); `None` if cron refuses it, warned.
    pub(crate) fn of(
        tab: &files::Loaded,
        entry: &crontab::Entry,
        zone: Tz,
        warnings: &mut Vec<Lint>,
    ) -> Option<Run> {
        let source = |line| Source::new(&tab.path, line);
        let mut warn = |message| warnings.push(Lint::new(source(entry.line), message));
        let zone = match entry.zone.as_deref().map(parse_zone).transpose() {
            Ok(named) => named.unwrap_or(zone),
            Err(reason) => {
                warn(format!("{reason}; fires are computed in {zone}"));
                zone
            }
        };
        let schedule = match Schedule::parse_as_cron(&entry.when, zone) {
            _ if entry.when.eq_ignore_ascii_case("@reboot") => None,
            // cron never runs it: still expected, by its interval, so that it goes missing.
            Ok(None) => {
                warn(format!("cron accepts `{}` but never runs it (a range that runs downward selects nothing, or the day never comes), so the job is judged by its interval", entry.when));
                None
            }
            Ok(schedule) => schedule,
            Err(reason) => {
                warn(reason.to_string());
                return None;
            }
        };
        // cronie's `RANDOM_DELAY`: runs start up to that late. Told where set, once for all below.
        let timing = entry.random_delay.as_ref().map(|(value, set)| {
            let Some(minutes) = timing::minutes(value, CRONIE_DELAY_MAX_MINUTES) else {
                let shown = crate::escape::value(value);
                let lint = Lint::new(source(*set), format!("RANDOM_DELAY=`{shown}` is not a number of minutes from 0 to {CRONIE_DELAY_MAX_MINUTES}, so cronie ignores it"));
                if !warnings.contains(&lint) {
                    warnings.push(lint);
                }
                return Timing::default();
            };
            let from = format!("RANDOM_DELAY={minutes}");
            Timing {
                delay: minutes * 60,
                delay_from: (minutes > 0).then(|| (source(*set), from)),
                ..Timing::default()
            }
        });
        Some(Run {
            schedule,
            user: entry.user.clone().or(tab.owner.clone()),
            since: tab.modified,
            timing: timing.unwrap_or_default(),
        })
    }

    /// The job `call` at `at` reports, or why it cannot be used.
    fn expectation(&self, call: &command::Invocation, at: &Source) -> Result<Expectation, String> {
        let job = call.job.as_ref().ok_or("hb-write has no job name here")?;
        let name = &job.text;
        if job.expands {
            return Err(format!("the job name `{name}` is expanded by the shell, so the checker cannot know it; name the job literally"));
        }
        validate_job(name).map_err(|e| format!("hb-write here has {e}"))?;
        let interval = (call.interval.as_ref())
            .ok_or_else(|| format!("hb-write for job `{name}` has no interval"))?;
        let text = &interval.text;
        if interval.expands {
            return Err(format!("the interval `{text}` of job `{name}` is expanded by the shell; write it literally"));
        }
        Ok(Expectation {
            job: name.clone(),
            interval: parse_interval(text)
                .map_err(|e| format!("hb-write for job `{name}` has {e}"))?,
            schedule: self.schedule.clone(),
            source: at.clone(),
            user: self.user.clone(),
            since: self.since,
            timing: self.timing.clone(),
            needs: call.needs.iter().map(|w| w.text.clone()).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> (Vec<Expectation>, Vec<Lint>) {
        let tab = files::Loaded {
            path: PathBuf::from("/etc/cron.d/jobs"),
            text: text.to_owned(),
            flavour: crontab::Flavour::System,
            owner: None,
            modified: None,
            identity: (0, 0, 0, 0),
        };
        let (entries, bad) = crontab::parse(text, tab.flavour);
        expectations(&tab, &entries, &bad, Tz::UTC)
    }

    #[test]
    fn six_lines_of_different_shapes_give_five_jobs() {
        let text = "\
0 3 * * * root /usr/local/bin/hb-write backup 1d
15 * * * * root hb-write --dir /var/lib/cron-heartbeat sync 1h
30 2 * * * root /usr/local/bin/rotate && hb-write rotate 1d
0 4 * * 1-5 root hb-write report 3d -- /usr/local/bin/report
@hourly root hb-write tick 1h
# 0 5 * * * root hb-write retired 1d
";
        let (found, warnings) = read(text);
        assert!(warnings.is_empty(), "{warnings:?}");
        let names: Vec<&str> = found.iter().map(|e| e.job.as_str()).collect();
        assert_eq!(names, ["backup", "sync", "rotate", "report", "tick"]);
        assert_eq!(found[3].source.to_string(), "/etc/cron.d/jobs:4");
        assert_eq!(found[3].interval, 3 * 86_400);
        assert_eq!(found[4].schedule.as_ref().unwrap().text(), "@hourly");
        assert_eq!(found[0].user.as_deref(), Some("root"));
    }

    #[test]
    fn a_raw_percent_on_an_hb_write_line_is_a_warning() {
        let (found, warnings) =
            read("0 3 * * * root tar czf /b/$(date +%F).tgz /srv && hb-write b 1d\n");
        assert!(found.is_empty());
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].source.line, 1);
        assert!(warnings[0].message.contains('%'));
        let (found, warnings) =
            read("0 3 * * * root tar czf /b/$(date +\\%F).tgz /srv && hb-write b 1d\n");
        assert_eq!(found.len(), 1);
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn bad_names_intervals_schedules_and_zones_are_named() {
        let text = "\
0 3 * * * root hb-write ../x 1d
0 3 * * * root hb-write x soon
0 3 * * root hb-write y 1d
0 3 * 13 * root hb-write z 1d
CRON_TZ=Nowhere/City
0 3 * * * root hb-write \"$JOB\" 1d
0 3 * * * root hb-write w 1d
";
        let (found, warnings) = read(text);
        let lines: Vec<usize> = warnings.iter().map(|w| w.source.line).collect();
        assert_eq!(lines, [1, 2, 3, 4, 6, 6, 7], "{warnings:#?}");
        assert!(warnings[0].message.contains("job name"));
        assert!(warnings[1].message.contains("interval"));
        assert!(warnings[2].message.contains("root"), "{}", warnings[2]);
        assert!(warnings[5].message.contains("expanded"));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].schedule.as_ref().unwrap().zone(), Tz::UTC);
    }

    #[test]
    fn a_misspelt_hb_write_is_a_warning() {
        let (found, warnings) = read("0 3 * * * root backup.sh && hb-wrte backup 1d\n");
        assert!(found.is_empty());
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0]
            .message
            .starts_with("`hb-wrte` looks like a misspelt `hb-write`"));
        let (_, warnings) = read("0 3 * * * root hbwrite-report.sh\n");
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn reboot_lines_are_jobs_without_a_schedule() {
        let (found, _) = read("@reboot root hb-write boot 1d\n");
        assert_eq!(found.len(), 1);
        assert!(found[0].schedule.is_none());
    }

    #[test]
    fn a_schedule_option_that_disagrees_is_a_warning() {
        let (found, warnings) = read("0 3 * * * root hb-write --schedule '0 4 * * *' b 1d\n");
        assert_eq!(found.len(), 1);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].message.contains("--schedule"));
    }
}
