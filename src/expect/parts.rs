//! The jobs run through run-parts and anacron: the scripts of the
//! directories that `/etc/crontab` (and `/etc/cron.d`) run with run-parts,
//! and the jobs of `/etc/anacrontab`, each given the schedule and the
//! delays that apply on a Debian host.
//!
//! Debian's `/etc/crontab` runs cron.daily, weekly and monthly with
//! `test -x /usr/sbin/anacron || run-parts ...`: where anacron is
//! installed those lines do nothing, and anacron runs the directories from
//! `/etc/anacrontab`. anacron itself starts at boot and every hour at :30
//! from 07:30 to 23:30 (`anacron.timer`, with up to 5 minutes of
//! `RandomizedDelaySec`, or `/etc/cron.d/anacron` without systemd); a job
//! whose period has passed starts at the first of those within
//! `START_HOURS_RANGE`, after its delay and up to `RANDOM_DELAY` minutes.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::schedule::anacrontab::{self, Job};
use crate::schedule::runparts::{self, Run};
use crate::schedule::timing::{CatchUp, Timing};
use crate::schedule::{
    crontab, files, parse_zone, scripts, Expectation, Lint, Schedule, Source, MAX_JOBS_PER_USER,
};
use crate::Error;

/// Where Debian installs anacron.
const ANACRON: &str = "/usr/sbin/anacron";
/// anacron's own table.
const ANACRONTAB: &str = "/etc/anacrontab";
/// The hours anacron is started in, at minute 30: `07..23`.
const ANACRON_HOURS: (u32, u32) = (7, 24);
/// The minutes `anacron.timer`'s `RandomizedDelaySec=5m` may add.
const TIMER_DELAY_MINUTES: u64 = 5;

/// What is read below a root: `/` on a live system.
struct Host<'a> {
    root: &'a Path,
    zone: Tz,
    /// When the host booted, when known and not after the instant judged.
    booted: Option<DateTime<Utc>>,
    /// Each directory read, read once however many lines run it, and the
    /// bytes left to read from scripts.
    read: RefCell<(HashMap<PathBuf, Rc<scripts::Listing>>, u64)>,
}

impl Host<'_> {
    fn under(&self, path: &str) -> PathBuf {
        self.root.join(path.trim_start_matches('/'))
    }
}

/// The jobs run through run-parts and anacron below `root`: the scripts
/// of the run-parts lines of `tabs`, and with `discover`, the anacrontab's
/// jobs; at most [`MAX_JOBS_PER_USER`] in all, and their lint.
pub(super) fn read(
    root: &Path,
    discover: bool,
    zone: Tz,
    (now, booted): (DateTime<Utc>, Option<DateTime<Utc>>),
    tabs: &[files::Loaded],
) -> (Vec<Expectation>, Vec<Lint>) {
    let host = Host {
        root,
        zone,
        // A boot after the instant judged is not one this judgement knows.
        booted: booted.filter(|b| *b <= now),
        read: RefCell::new((HashMap::new(), scripts::MAX_SCRIPTS_BYTES)),
    };
    let (mut jobs, mut lint) = (Vec::new(), Vec::new());
    from_crontabs(&host, tabs, &mut jobs, &mut lint);
    if discover {
        from_anacrontab(&host, &mut jobs, &mut lint);
    }
    if let Some(first) = jobs.get(MAX_JOBS_PER_USER) {
        let file = first.source.file.clone();
        let more = jobs.len() - MAX_JOBS_PER_USER;
        lint.push(Lint::new(
            Source { file, line: 0 },
            format!(
                "only the first {MAX_JOBS_PER_USER} hb-write jobs of run-parts scripts and anacron are read; {more} more are left out from here on"
            ),
        ));
        jobs.truncate(MAX_JOBS_PER_USER);
    }
    (jobs, lint)
}

/// The jobs in the scripts the crontabs' run-parts lines run.
fn from_crontabs(
    host: &Host<'_>,
    tabs: &[files::Loaded],
    jobs: &mut Vec<Expectation>,
    lint: &mut Vec<Lint>,
) {
    for tab in tabs {
        let (entries, _) = crontab::parse(&tab.text, tab.flavour);
        for entry in entries {
            let dirs = runparts::directories(&entry.command);
            if dirs.is_empty() {
                continue;
            }
            let guard = runparts::skipped_when_present(&entry.command);
            if guard.is_some_and(|p| scripts::executable(&host.under(p))) {
                continue;
            }
            let zone = entry
                .zone
                .as_deref()
                .and_then(|z| parse_zone(z).ok())
                .unwrap_or(host.zone);
            let Ok(Some(schedule)) = Schedule::parse_as_cron(&entry.when, zone) else {
                continue;
            };
            let timing = (entry.random_delay.as_ref())
                .and_then(|(value, set)| {
                    let set = Source {
                        file: tab.path.clone(),
                        line: *set,
                    };
                    crate::schedule::timing::cronie_delay(value, &set).ok()
                })
                .unwrap_or_default();
            let run = Run {
                schedule: Some(schedule),
                user: entry.user.clone().or(tab.owner.clone()),
                since: tab.modified,
                timing,
            };
            for dir in dirs {
                directory(host, &dir, &run, jobs, lint);
            }
        }
    }
}

/// The jobs of the anacrontab and the scripts it runs, and its lint.
fn from_anacrontab(host: &Host<'_>, jobs: &mut Vec<Expectation>, lint: &mut Vec<Lint>) {
    let path = host.under(ANACRONTAB);
    if !path.exists() {
        return;
    }
    let at = |line| Source {
        file: path.clone(),
        line,
    };
    let tab = match files::read(&path, crontab::Flavour::System, None) {
        Ok(tab) => tab,
        // The lint names the file already: the reason alone.
        Err(Error::Crontab { reason, .. }) => return lint.push(Lint::new(at(0), reason)),
        Err(other) => return lint.push(Lint::new(at(0), other.to_string())),
    };
    if !scripts::executable(&host.under(ANACRON)) {
        let why = format!("{ANACRON} is not installed, so nothing runs the jobs of this file");
        return lint.push(Lint::new(at(0), why));
    }
    let read = anacrontab::parse(&tab.text);
    for bad in &read.bad {
        lint.push(Lint::new(
            at(bad.line),
            format!("anacron cannot use this line: {}", bad.reason),
        ));
    }
    let random = read.random_delay.map_or(0, |(_, m)| m);
    let hours = read.hours.map_or((0, 24), |(_, h)| h);
    let from = hours.0.max(ANACRON_HOURS.0);
    let to = hours.1.min(ANACRON_HOURS.1);
    for job in &read.jobs {
        if from >= to {
            lint.push(Lint::new(
                at(job.line),
                format!(
                    "START_HOURS_RANGE={}-{} leaves none of anacron's hourly starts (07:30 to 23:30), so job `{}` starts only at a boot in those hours",
                    hours.0, hours.1, job.identifier
                ),
            ));
            continue;
        }
        let (Ok(schedule), Ok(starts)) = (
            Schedule::parse(&format!("30 {from} * * *"), host.zone),
            Schedule::parse(&format!("30 {from}-{} * * *", to - 1), host.zone),
        ) else {
            continue;
        };
        let run = Run {
            schedule: Some(schedule),
            user: Some("root".to_owned()),
            since: tab.modified,
            timing: timing(
                job,
                random,
                at(job.line),
                host.booted.map(|booted| CatchUp {
                    booted,
                    starts,
                    hours,
                }),
            ),
        };
        let (found, warnings) = runparts::jobs_in(&path, &job.command, job.line, &run, None);
        jobs.extend(found);
        lint.extend(warnings);
        for dir in runparts::directories(&job.command) {
            directory(host, &dir, &run, jobs, lint);
        }
    }
}

/// The timing of an anacron job: its delay, `RANDOM_DELAY` and the
/// timer's randomized delay, its period, and the catch-up at boot.
fn timing(job: &Job, random: u64, at: Source, catch_up: Option<CatchUp>) -> Timing {
    let minutes = job.delay_minutes + random + TIMER_DELAY_MINUTES;
    Timing {
        delay: minutes * 60,
        delay_from: Some((
            at,
            format!(
                "anacron's delay of {} min, RANDOM_DELAY={random} and anacron.timer's {TIMER_DELAY_MINUTES} min",
                job.delay_minutes
            ),
        )),
        period: Some(job.period),
        catch_up,
    }
}

/// The jobs of the scripts run-parts runs from `dir` (under the root),
/// and the warnings about scripts it skips that call hb-write.
fn directory(
    host: &Host<'_>,
    dir: &str,
    run: &Run,
    jobs: &mut Vec<Expectation>,
    lint: &mut Vec<Lint>,
) {
    let listing = {
        let mut read = host.read.borrow_mut();
        let (seen, budget) = &mut *read;
        let listing = seen.entry(host.under(dir)).or_insert_with_key(|path| {
            let listing = scripts::read_dir(path, budget);
            lint.extend(listing.problems.iter().cloned());
            Rc::new(listing)
        });
        Rc::clone(listing)
    };
    for script in &listing.scripts {
        let (found, warnings) =
            runparts::jobs_in(&script.path, &script.text, 1, run, script.modified);
        match (script.skipped, found.first()) {
            (None, _) => {
                jobs.extend(found);
                lint.extend(warnings);
            }
            (Some(why), Some(first)) => lint.push(Lint::new(
                first.source.clone(),
                format!(
                    "run-parts skips this script ({why}), so job `{}` never runs from {dir}",
                    first.job
                ),
            )),
            (Some(_), None) => {}
        }
    }
}
