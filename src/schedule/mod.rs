//! What the crontabs expect: every `hb-write` line, with its job, interval
//! and schedule, and the lint of those lines.
//!
//! Pure over file contents except [`files`], which reads crontabs with the
//! same bounds as the heartbeat scan: [`crontab`] reads lines as cron does,
//! `fields` their time fields, [`command`] finds hb-write in a command,
//! [`fire`] computes fires (the wall-clock minutes found by `search`), with
//! cron's rules for the days the clocks change (`dst`), and [`mod@lint`]
//! says what will go wrong. [`anacrontab`] reads anacron's table,
//! [`runparts`] finds the directories a command runs and the hb-write
//! calls of a script, [`scripts`] reads such a directory as run-parts
//! chooses from it, and [`timing`] holds the delays and periods that move
//! runs past fires.

pub(crate) mod anacrontab;
pub(crate) mod command;
pub(crate) mod crontab;
mod dst;
mod fields;
pub(crate) mod files;
pub(crate) mod fire;
pub(crate) mod lint;
pub(crate) mod needs;
pub(crate) mod runparts;
pub(crate) mod scripts;
mod search;
pub(crate) mod timing;

use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::record::{parse_interval, validate_job};
pub(crate) use crontab::Flavour;
pub(crate) use fire::{parse_zone, Schedule};
pub(crate) use lint::{lint, Lint};
pub(crate) use timing::Timing;

/// The most hb-write jobs read from one crontab: a crontab cron accepts
/// may hold a million bytes of them, and the checker's work must stay
/// bounded whatever a user writes in theirs.
pub(crate) const MAX_JOBS_PER_CRONTAB: usize = 1000;
/// The most hb-write jobs read for one user, over every crontab.
pub(crate) const MAX_JOBS_PER_USER: usize = 2000;
/// The most warnings kept about one crontab's lines.
pub(crate) const MAX_WARNINGS_PER_CRONTAB: usize = 100;

/// A crontab line: the file and the line number (from 1; 0 for the file
/// as a whole).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Source {
    pub file: PathBuf,
    /// The line, from 1.
    pub line: usize,
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
    /// The line it comes from.
    pub source: Source,
    /// The user cron runs it as, when the crontab says (system crontabs,
    /// spool files).
    pub user: Option<String>,
    /// When the line appeared, as far as can be known: the crontab's
    /// modification time.
    pub since: Option<DateTime<Utc>>,
    /// What moves its runs past the schedule's fires (random delays,
    /// anacron).
    pub timing: Timing,
    /// The jobs its hb-write call names with `--needs`.
    pub needs: Vec<String>,
}

/// One crontab to read.
#[derive(Debug, Clone)]
pub(crate) struct Crontab<'a> {
    /// Where it was read from, for messages.
    pub path: &'a Path,
    pub text: &'a str,
    /// System crontab (with a user field) or a user's.
    pub flavour: Flavour,
    /// The owner of a user crontab (the spool file's name).
    pub owner: Option<&'a str>,
    /// Its modification time.
    pub modified: Option<DateTime<Utc>>,
    /// The zone of entries without `CRON_TZ` or `TZ`: the system's.
    pub zone: Tz,
}

/// The jobs a crontab expects, and the warnings about its hb-write lines
/// that need only the line itself.
pub(crate) fn expectations(tab: &Crontab<'_>) -> (Vec<Expectation>, Vec<Lint>) {
    let (entries, bad) = crontab::parse(tab.text, tab.flavour);
    let lines: Vec<&str> = tab.text.split('\n').collect();
    let source = |line: usize| Source {
        file: tab.path.to_owned(),
        line,
    };
    let mut found = Vec::new();
    let mut warnings = Vec::new();
    // Past the bound, calls are only counted, for the line that says so.
    let mut left_out = 0;
    for b in bad {
        if b.text.contains("hb-write") {
            warnings.push(Lint::new(
                source(b.line),
                format!("cron cannot read this line: {}", b.reason),
            ));
        }
    }
    for entry in entries {
        let at = source(entry.line);
        let line_text = lines.get(entry.line - 1).copied().unwrap_or_default();
        if entry.cut && line_text.contains("hb-write") {
            warnings.push(Lint::new(
                at.clone(),
                "an unescaped `%` ends the command there (cron sends the rest to its input), so hb-write may never run; write `\\%`".to_owned(),
            ));
        }
        let calls = command::find_hb_writes(&entry.command);
        let mentions_hb =
            || (entry.command.as_bytes().windows(2)).any(|w| w.eq_ignore_ascii_case(b"hb"));
        if calls.is_empty() && mentions_hb() {
            for word in command::near_misses(&entry.command) {
                warnings.push(Lint::new(
                    at.clone(),
                    format!(
                        "`{word}` looks like a misspelt `hb-write`: this line writes no heartbeat, so its job is not monitored"
                    ),
                ));
            }
        }
        if calls.is_empty() && !line_text.contains("hb-write") {
            continue;
        }
        if found.len() >= MAX_JOBS_PER_CRONTAB {
            left_out += calls.iter().filter(|c| !c.retire).count();
            continue;
        }
        let zone = match entry.zone.as_deref().map(parse_zone) {
            None => tab.zone,
            Some(Ok(zone)) => zone,
            Some(Err(reason)) => {
                warnings.push(Lint::new(
                    at.clone(),
                    format!("{reason}; fires are computed in {}", tab.zone),
                ));
                tab.zone
            }
        };
        let schedule = if entry.when.eq_ignore_ascii_case("@reboot") {
            None
        } else {
            match Schedule::parse_as_cron(&entry.when, zone) {
                Ok(Some(s)) => Some(s),
                // cron takes the line and never runs it: the job is still
                // expected, judged by its interval, so that it goes missing.
                Ok(None) => {
                    warnings.push(Lint::new(
                        at.clone(),
                        format!(
                            "cron accepts `{}` but never runs it (a range that runs downward selects nothing, or the day never comes), so the job is judged by its interval",
                            entry.when
                        ),
                    ));
                    None
                }
                Err(reason) => {
                    warnings.push(Lint::new(at.clone(), reason.to_string()));
                    continue;
                }
            }
        };
        // The delay is told where it is set, once for all the lines below.
        let timing = match entry.random_delay.as_ref().map(|(value, set)| {
            let set = Source {
                file: tab.path.to_owned(),
                line: *set,
            };
            (timing::cronie_delay(value, &set), set)
        }) {
            None => Timing::default(),
            Some((Ok(timing), _)) => timing,
            Some((Err(reason), set)) => {
                let lint = Lint::new(set, reason.to_string());
                if !warnings.contains(&lint) {
                    warnings.push(lint);
                }
                Timing::default()
            }
        };
        for call in calls.into_iter().filter(|c| !c.retire) {
            if found.len() >= MAX_JOBS_PER_CRONTAB {
                left_out += 1;
                continue;
            }
            match checked(&call) {
                Ok((job, interval)) => {
                    if let (Some(given), Some(line)) = (&call.schedule, &schedule) {
                        if given
                            .text
                            .split_ascii_whitespace()
                            .ne(line.text().split_ascii_whitespace())
                        {
                            warnings.push(Lint::new(
                                at.clone(),
                                format!(
                                    "hb-write says --schedule `{}` but the line runs at `{}`; the line's schedule is used",
                                    given.text,
                                    line.text()
                                ),
                            ));
                        }
                    }
                    found.push(Expectation {
                        job,
                        interval,
                        schedule: schedule.clone(),
                        source: at.clone(),
                        user: entry.user.clone().or(tab.owner.map(str::to_owned)),
                        since: tab.modified,
                        timing: timing.clone(),
                        needs: call.needs.iter().map(|w| w.text.clone()).collect(),
                    });
                }
                Err(reason) => warnings.push(Lint::new(at.clone(), reason)),
            }
        }
    }
    bound_warnings(&mut warnings, &source(0));
    if left_out > 0 {
        warnings.push(Lint::new(
            source(0),
            format!(
                "only the first {MAX_JOBS_PER_CRONTAB} hb-write jobs of a crontab are read; {left_out} more are left out"
            ),
        ));
    }
    (found, warnings)
}

/// Keeps the first [`MAX_WARNINGS_PER_CRONTAB`] warnings about a crontab
/// and says, at `whole`, how many more there were.
fn bound_warnings(warnings: &mut Vec<Lint>, whole: &Source) {
    let more = warnings.len().saturating_sub(MAX_WARNINGS_PER_CRONTAB);
    if more > 0 {
        warnings.truncate(MAX_WARNINGS_PER_CRONTAB);
        warnings.push(Lint::new(
            whole.clone(),
            format!("{more} more warnings about this crontab are left out"),
        ));
    }
}

/// The job name and interval of a call, or why they cannot be used.
fn checked(call: &command::Invocation) -> Result<(String, u64), String> {
    let job = call.job.as_ref().ok_or("hb-write has no job name here")?;
    if job.expands {
        return Err(format!(
            "the job name `{}` is expanded by the shell, so the checker cannot know it; name the job literally",
            job.text
        ));
    }
    validate_job(&job.text).map_err(|e| format!("hb-write here has {e}"))?;
    let interval = call
        .interval
        .as_ref()
        .ok_or_else(|| format!("hb-write for job `{}` has no interval", job.text))?;
    if interval.expands {
        return Err(format!(
            "the interval `{}` of job `{}` is expanded by the shell; write it literally",
            interval.text, job.text
        ));
    }
    let seconds = parse_interval(&interval.text)
        .map_err(|e| format!("hb-write for job `{}` has {e}", job.text))?;
    Ok((job.text.clone(), seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> (Vec<Expectation>, Vec<Lint>) {
        expectations(&Crontab {
            path: Path::new("/etc/cron.d/jobs"),
            text,
            flavour: Flavour::System,
            owner: None,
            modified: None,
            zone: Tz::UTC,
        })
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
