//! The jobs run through run-parts and anacron, with the schedule and delays of a Debian host. Its
//! `/etc/crontab` runs cron.daily, weekly and monthly with `test -x /usr/sbin/anacron || run-parts
//! ...`: with anacron installed, those do nothing and anacron runs the directories. anacron starts
//! at boot and at :30 from 07:30 to 23:30 (`anacron.timer`, up to 5 minutes late, or
//! `/etc/cron.d/anacron`); a job whose period has passed starts at the first start within
//! `START_HOURS_RANGE`, after its delay and up to `RANDOM_DELAY` minutes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::ScheduleArgs;
use crate::schedule::crontab::{BadLine, Entry, Flavour};
use crate::schedule::timing::{CatchUp, Timing};
use crate::schedule::{anacrontab, files, runparts, MAX_JOBS_PER_USER};
use crate::schedule::{Expectation, Lint, Run, Schedule, Source};

const ANACRON: &str = "/usr/sbin/anacron";
const ANACRONTAB: &str = "/etc/anacrontab";
const ANACRON_HOURS: (u32, u32) = (7, 24);
const TIMER_DELAY_MINUTES: u64 = 5;

struct Host<'a> {
    root: &'a Path,
    /// Each directory, read once however many lines run it.
    seen: HashMap<PathBuf, Vec<(files::Loaded, Option<&'static str>)>>,
    budget: u64,
    jobs: Vec<Expectation>,
    lint: Vec<Lint>,
}

/// The jobs run-parts and anacron run, at most [`MAX_JOBS_PER_USER`] in all, and their lint.
pub(super) fn read<'a>(
    args: &ScheduleArgs,
    zone: Tz,
    now: DateTime<Utc>,
    tabs: impl Iterator<Item = (&'a files::Loaded, &'a (Vec<Entry>, Vec<BadLine>))>,
) -> (Vec<Expectation>, Vec<Lint>) {
    let mut host = Host {
        root: &args.cron_root,
        seen: HashMap::new(),
        budget: runparts::MAX_SCRIPTS_BYTES,
        jobs: Vec::new(),
        lint: Vec::new(),
    };
    for (tab, (entries, _)) in tabs {
        for entry in entries {
            let dirs = runparts::directories(&entry.command);
            let guard = runparts::skipped_when_present(&entry.command);
            if dirs.is_empty()
                || guard.is_some_and(|p| runparts::executable(&files::under(host.root, p)))
            {
                continue;
            }
            // Only hb-write lines are linted: a run-parts line is not.
            let run = Run::of(tab, entry, zone, &mut Vec::new());
            if let Some(run) = run.filter(|r| r.schedule.is_some()) {
                for dir in dirs {
                    host.directory(&dir, &run);
                }
            }
        }
    }
    if args.discover {
        host.read_anacrontab(zone, args.booted().filter(|b| *b <= now));
    }
    if let Some(first) = host.jobs.get(MAX_JOBS_PER_USER) {
        let more = host.jobs.len() - MAX_JOBS_PER_USER;
        let why = format!("only the first {MAX_JOBS_PER_USER} hb-write jobs of run-parts scripts and anacron are read; {more} more are left out from here on");
        host.lint.push(Lint::file(&first.source.file, why));
        host.jobs.truncate(MAX_JOBS_PER_USER);
    }
    (host.jobs, host.lint)
}

impl Host<'_> {
    fn read_anacrontab(&mut self, zone: Tz, booted: Option<DateTime<Utc>>) {
        let path = files::under(self.root, ANACRONTAB);
        if !path.exists() {
            return;
        }
        let at = |line| Source::new(&path, line);
        let tab = match files::read_tab(&path, Flavour::System, None) {
            Ok(tab) => tab,
            Err(refused) => return self.lint.push(Lint::new(at(0), files::reason(&refused))),
        };
        if !runparts::executable(&files::under(self.root, ANACRON)) {
            let why = format!("{ANACRON} is not installed, so nothing runs the jobs of this file");
            return self.lint.push(Lint::new(at(0), why));
        }
        let read = anacrontab::parse(&tab.text);
        for bad in &read.bad {
            let why = format!("anacron cannot use this line: {}", bad.reason);
            self.lint.push(Lint::new(at(bad.line), why));
        }
        let random = read.random_delay.unwrap_or(0);
        let (start, end) = read.hours.unwrap_or((0, 24));
        let (from, to) = (start.max(ANACRON_HOURS.0), end.min(ANACRON_HOURS.1));
        // anacron's first start of a day, and all of them.
        let hourly = |hours: String| Schedule::parse(&format!("30 {hours} * * *"), zone).ok();
        let hourly = hourly(from.to_string()).zip(hourly(format!("{from}-{}", to - 1)));
        for job in &read.jobs {
            let (id, own) = (&job.identifier, job.delay_minutes);
            let Some((schedule, starts)) = hourly.clone().filter(|_| from < to) else {
                let why = format!("START_HOURS_RANGE={start}-{end} leaves none of anacron's hourly starts (07:30 to 23:30), so job `{id}` starts only at a boot in those hours");
                self.lint.push(Lint::new(at(job.line), why));
                continue;
            };
            let what = format!("anacron's delay of {own} min, RANDOM_DELAY={random} and anacron.timer's {TIMER_DELAY_MINUTES} min");
            let run = Run {
                schedule: Some(schedule),
                user: Some("root".to_owned()),
                since: tab.modified,
                timing: Timing {
                    delay: (own + random + TIMER_DELAY_MINUTES) * 60,
                    delay_from: Some((at(job.line), what)),
                    period: Some(job.period),
                    catch_up: booted.map(|booted| CatchUp {
                        booted,
                        starts,
                        hours: (start, end),
                    }),
                },
            };
            let (found, warnings) = runparts::jobs_in(&path, &job.command, job.line, &run);
            self.jobs.extend(found);
            self.lint.extend(warnings);
            for dir in runparts::directories(&job.command) {
                self.directory(&dir, &run);
            }
        }
    }

    /// The jobs of the scripts run-parts runs from `dir`, and the skipped ones that call hb-write.
    fn directory(&mut self, dir: &str, run: &Run) {
        let (seen, budget, lint) = (&mut self.seen, &mut self.budget, &mut self.lint);
        let listing = seen.entry(files::under(self.root, dir));
        let listing = listing.or_insert_with_key(|path| runparts::read_dir(path, budget, lint));
        for (script, skipped) in listing.iter() {
            let mut run = run.clone();
            run.since = run.since.max(script.modified);
            let (found, warnings) = runparts::jobs_in(&script.path, &script.text, 1, &run);
            match (skipped, found.first()) {
                (None, _) => {
                    self.jobs.extend(found);
                    lint.extend(warnings);
                }
                (Some(why), Some(first)) => {
                    let job = &first.job;
                    let message = format!(
                        "run-parts skips this script ({why}), so job `{job}` never runs from {dir}"
                    );
                    lint.push(Lint::new(first.source.clone(), message));
                }
                (Some(_), None) => {}
            }
        }
    }
}
