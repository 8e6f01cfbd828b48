//! Which jobs the crontabs expect: the schedule options hb-check and night-watch share,
//! and the step that reads the crontabs they name, finds the hb-write lines and lints them.

use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::error::Error;
use crate::record::GRACE;
use crate::schedule::crontab::{self, Flavour};
use crate::schedule::{self, files, Expectation, Lint};

mod parts;

#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ScheduleArgs {
    /// A crontab to read the jobs' schedules from, with the user field when it is `/etc/crontab` or
    /// lies in `/etc/cron.d`; repeat for several (in HB_CRONTAB, separate them with `:`). Each job
    /// it runs with hb-write is expected, and judged by its schedule.
    #[arg(long, value_name = "FILE", env = "HB_CRONTAB", value_delimiter = ':')]
    pub crontab: Vec<PathBuf>,

    /// Read the schedules from the crontabs cron reads: /etc/crontab, /etc/cron.d/* and each user
    /// crontab in /var/spool/cron/crontabs that this user may read; and /etc/anacrontab, with the
    /// scripts it and the crontabs run with run-parts.
    #[arg(long, env = "HB_DISCOVER", value_parser = crate::record::parse_switch)]
    pub discover: bool,

    /// Where --discover looks for /etc and /var, for checking a container or a chroot.
    #[arg(long, value_name = "DIR", env = "HB_CRON_ROOT", default_value = "/")]
    #[arg(hide_short_help = true)]
    pub cron_root: PathBuf,

    /// How long after its due time a scheduled job may report before it is stale. [default: the
    /// smaller of 1h and half the gap between two fires]
    #[arg(long, value_name = "DURATION", env = "HB_GRACE", value_parser = |t: &str| GRACE.parse(t))]
    pub grace: Option<u64>,

    /// How long after its fire a wrapped job (one that writes a `running`
    /// record when it starts) may take to start before it is stale (did
    /// not start). [default: the smaller of 15m and half the gap]
    #[arg(long, value_name = "DURATION", env = "HB_START_GRACE", value_parser = |t: &str| GRACE.parse(t))]
    pub start_grace: Option<u64>,

    /// Judge every job by its interval (stale past factor x interval), even
    /// when its schedule is known.
    #[arg(long, env = "HB_BY_INTERVAL", value_parser = crate::record::parse_switch)]
    pub by_interval: bool,

    /// Take the host's boot time to be this instant (RFC 3339) instead of the kernel's: for tests
    /// and forensics, like --now. It dates a downtime and anacron's catch-up after a boot.
    #[arg(long, value_name = "RFC3339", env = "HB_BOOT_TIME", value_parser = crate::record::parse_now)]
    pub boot_time: Option<DateTime<Utc>>,
}

impl ScheduleArgs {
    /// `--boot-time`, else the kernel's: the one boot time a run judges by.
    pub(crate) fn booted(&self) -> Option<DateTime<Utc>> {
        self.boot_time.or_else(crate::store::host::boot_time)
    }

    pub(crate) fn reads_crontabs(&self) -> bool {
        self.discover || !self.crontab.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LintWhen {
    /// `--lint`, night-watch's morning report.
    Always,
    /// A run that prints no warnings (`--quiet`).
    Never,
    /// When the crontabs read differ from this state file's: a check every 15m warns once a change.
    Changed(PathBuf),
}

impl LintWhen {
    /// A check's: once per change (recorded beside its run `lock`), never when `quiet`.
    pub(crate) fn for_check(quiet: bool, lock: &Path) -> LintWhen {
        if quiet {
            return LintWhen::Never;
        }
        LintWhen::Changed(crate::store::beside(lock, ".crontabs"))
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Expected {
    /// Every hb-write line found, in the order read (a job on two lines counts by its first).
    pub jobs: Vec<Expectation>,
    /// By file in the order read, by line within each.
    pub lint: Vec<Lint>,
    pub rules: crate::judge::schedule::Rules,
    index: HashMap<String, usize>,
    /// The users' crontabs discovery found closed to the checker.
    pub unread: Vec<PathBuf>,
    /// The state file and what to record in it once the lint is told.
    linted: Option<(PathBuf, String)>,
}

impl Expected {
    /// The first line of the judged name `job` (`USER/JOB` for a user's line).
    pub(crate) fn line_for(&self, job: &str) -> Option<&Expectation> {
        self.index.get(job).map(|&i| &self.jobs[i])
    }

    /// Records the crontabs linted, once the run surely tells the warnings (a failure: one more).
    pub(crate) fn record_linted(&mut self) {
        let Some((path, seen)) = self.linted.take() else {
            return;
        };
        if let Err(err) = crate::store::write_file(&path, seen.as_bytes()) {
            let why = "cannot record the crontabs linted, so they are linted again next run";
            self.lint.push(Lint::file(&path, format!("{why}: {err}")));
        }
    }
}

/// Reads the crontabs `args` name, linting as `when` says; an unread one is an error if named.
pub(crate) fn load(
    args: &ScheduleArgs,
    factor: f64,
    now: DateTime<Utc>,
    when: &LintWhen,
) -> Result<Expected, Error> {
    let zone = files::system_zone();
    let mut tabs = (args.crontab.iter())
        .map(|path| files::read(path, flavour_of(path), None))
        .collect::<Result<Vec<_>, _>>()?;
    let discovered = args.discover.then(|| files::discover(&args.cron_root));
    let mut found = discovered.unwrap_or_default();
    // A file named and also discovered is read once.
    (found.tabs).retain(|tab| !tabs.iter().any(|t| t.path == tab.path));
    tabs.append(&mut found.tabs);
    let (mut lint, unread) = (found.problems, found.closed);
    let parsed: Vec<_> = (tabs.iter())
        .map(|t| crontab::parse(&t.text, t.flavour))
        .collect();
    let (run_parts, warnings) = parts::read(args, zone, now, tabs.iter().zip(&parsed));
    lint.extend(warnings);
    let seen = fingerprint(&tabs, &lint, &run_parts, zone);
    let stale =
        |path: &&PathBuf| crate::store::read_small(path).is_none_or(|l| l != seen.as_bytes());
    let record = match when {
        LintWhen::Changed(path) => Some(path).filter(stale).cloned(),
        _ => None,
    };
    let linting = *when == LintWhen::Always || record.is_some();
    let (mut jobs, max) = (Vec::new(), schedule::MAX_JOBS_PER_USER);
    // Per user (in name order, for a fixed warnings' order), jobs found and the first cut's file.
    let mut per_user: BTreeMap<Option<String>, (usize, Option<&Path>)> = BTreeMap::new();
    for (tab, (entries, bad)) in tabs.iter().zip(&parsed) {
        let (found, warnings) = schedule::expectations(tab, entries, bad, zone);
        for job in found {
            let (count, cut_at) = per_user.entry(job.user.clone()).or_default();
            *count += 1;
            if *count <= max {
                jobs.push(job);
            } else {
                cut_at.get_or_insert(&tab.path);
            }
        }
        lint.extend(warnings);
    }
    jobs.extend(run_parts);
    for (user, (count, cut_at)) in per_user {
        let Some(file) = cut_at else { continue };
        let who = user.map_or_else(|| "a crontab's".to_owned(), |u| format!("user `{u}`'s"));
        let why = format!("only the first {max} hb-write jobs of a user are read; {} more of {who} jobs are left out from here on", count - max);
        lint.push(Lint::file(file, why));
    }
    if linting {
        lint.extend(schedule::lint(&jobs, factor, now));
    } else {
        lint.clear();
    }
    let place: HashMap<&Path, usize> = (tabs.iter().enumerate())
        .map(|(i, t)| (t.path.as_path(), i))
        .collect();
    lint.sort_by_key(|l| (place.get(l.source.file.as_path()), l.source.line));
    Ok(Expected {
        index: schedule::first_lines(&jobs),
        linted: record.map(|path| (path, seen)),
        unread,
        jobs,
        lint,
        rules: crate::judge::schedule::Rules {
            grace: args.grace,
            start_grace: args.start_grace,
            by_interval: args.by_interval,
            zone,
        },
    })
}

/// What the lint of `tabs` (and of those unread) depends on, as one line.
fn fingerprint(
    tabs: &[files::Loaded],
    unread: &[Lint],
    run_parts: &[Expectation],
    zone: chrono_tz::Tz,
) -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    zone.name().hash(&mut hasher);
    for tab in tabs {
        (&tab.path, tab.identity).hash(&mut hasher);
    }
    for problem in unread {
        (&problem.source.file, &problem.message).hash(&mut hasher);
    }
    for e in run_parts {
        (&e.job, e.interval, e.source.to_string(), e.timing.delay).hash(&mut hasher);
    }
    format!("crontabs {} {:016x}\n", tabs.len(), hasher.finish())
}

/// How many closed crontabs the note names; the rest are counted.
const UNREAD_NAMED_MAX: usize = 10;

/// Appends, when `verbose`, the line naming the users' crontabs we cannot read (root can).
pub(crate) fn write_unread_note(out: &mut Vec<u8>, unread: &[PathBuf], verbose: bool) {
    let Some(first) = unread.first().filter(|_| verbose) else {
        return;
    };
    let names: Vec<_> = (unread.iter().take(UNREAD_NAMED_MAX))
        .map(|p| p.file_name().unwrap_or_default().to_string_lossy())
        .collect();
    let more = match unread.len().saturating_sub(UNREAD_NAMED_MAX) {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    let (count, names) = (unread.len(), names.join(", "));
    let dir = first.parent().unwrap_or(first).display();
    let note = format!("cannot read the crontabs of {count} users in {dir} ({names}{more}): their jobs are not expected; run as root to read them");
    out.extend_from_slice(format!("{}\n", crate::escape::terminal(&note)).as_bytes());
}

/// `/etc/crontab` and the files of a `cron.d` directory have a user field; others are a user's.
pub(crate) fn flavour_of(path: &Path) -> Flavour {
    let in_cron_d = path.parent().is_some_and(|d| d.ends_with("cron.d"));
    if in_cron_d || path.starts_with("/etc") && path.ends_with("crontab") {
        Flavour::System
    } else {
        Flavour::User
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_crontabs_are_told_by_their_place() {
        assert_eq!(flavour_of(Path::new("/etc/crontab")), Flavour::System);
        assert_eq!(flavour_of(Path::new("/etc/cron.d/backup")), Flavour::System);
        assert_eq!(
            flavour_of(Path::new("/srv/chroot/etc/cron.d/x")),
            Flavour::System
        );
        assert_eq!(flavour_of(Path::new("/home/a/crontab")), Flavour::User);
        assert_eq!(flavour_of(Path::new("jobs.cron")), Flavour::User);
    }

    #[test]
    fn grace_takes_durations_and_zero() {
        assert_eq!(GRACE.parse("0").map_err(|e| e.to_string()), Ok(0));
        assert_eq!(GRACE.parse("10m").unwrap(), 600);
        assert!(GRACE
            .parse("soon")
            .unwrap_err()
            .to_string()
            .contains("grace"));
        assert!(GRACE
            .parse("401d")
            .unwrap_err()
            .to_string()
            .contains("400 days"));
        assert!(GRACE.parse("99999999999999999999").is_err());
    }
}
