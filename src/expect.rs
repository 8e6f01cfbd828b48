//! Which jobs the crontabs expect: the schedule options that hb-check and
//! night-watch share, and the run step that reads the crontabs they name,
//! finds the hb-write lines and lints them.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use clap::Args;

use crate::error::Error;
use crate::judge::schedule::Rules;
use crate::record::GRACE;
use crate::schedule::{self, files, Crontab, Expectation, Flavour, Lint, Source};

/// The options that tell the checker the jobs' schedules.
#[derive(Debug, Clone, Args)]
pub struct ScheduleArgs {
    /// A crontab to read the jobs' schedules from, with the user field
    /// when it is `/etc/crontab` or lies in `/etc/cron.d`; repeat for
    /// several (in HB_CRONTAB, separate them with `:`). Each job it runs
    /// with hb-write is expected, and judged by its schedule.
    #[arg(
        long = "crontab",
        value_name = "FILE",
        env = "HB_CRONTAB",
        value_delimiter = ':'
    )]
    pub crontabs: Vec<PathBuf>,

    /// Read the schedules from the crontabs cron reads: /etc/crontab,
    /// /etc/cron.d/* and each user crontab in /var/spool/cron/crontabs
    /// that this user may read.
    #[arg(long, env = "HB_DISCOVER", value_parser = crate::cli::parse_switch)]
    pub discover: bool,

    /// Where --discover looks for /etc and /var, for checking a container
    /// or a chroot.
    #[arg(
        long,
        value_name = "DIR",
        env = "HB_CRON_ROOT",
        default_value = "/",
        hide_short_help = true
    )]
    pub cron_root: PathBuf,

    /// How long after its due time a scheduled job may report before it is
    /// stale. [default: the smaller of 1h and half the gap between two
    /// fires]
    #[arg(long, value_name = "DURATION", env = "HB_GRACE", value_parser = parse_grace)]
    pub grace: Option<u64>,

    /// Judge every job by its interval (stale past factor x interval), even
    /// when its schedule is known.
    #[arg(long, env = "HB_BY_INTERVAL", value_parser = crate::cli::parse_switch)]
    pub by_interval: bool,
}

/// What the crontabs say: the jobs they expect and the warnings about them.
#[derive(Debug, Clone)]
pub struct Expected {
    /// Every hb-write line found, in the order read; a job on two lines
    /// counts by its first.
    pub jobs: Vec<Expectation>,
    /// The lint, in the order found.
    pub lint: Vec<Lint>,
    /// The rules to judge scheduled jobs by.
    pub rules: Rules,
}

impl ScheduleArgs {
    /// Whether any crontab is to be read.
    pub fn reads_crontabs(&self) -> bool {
        self.discover || !self.crontabs.is_empty()
    }
}

/// Reads the crontabs `args` name, as of `now`, with the stale `factor`
/// for the lint. A crontab named with `--crontab` that cannot be read is an
/// error; a discovered one that cannot be read is a warning.
pub fn load(args: &ScheduleArgs, factor: f64, now: DateTime<Utc>) -> Result<Expected, Error> {
    let zone = files::system_zone();
    let mut tabs = Vec::new();
    let mut lint = Vec::new();
    for path in &args.crontabs {
        let flavour = flavour_of(path);
        let tab = files::read(path, flavour, None).map_err(|reason| Error::Crontab {
            path: path.clone(),
            reason,
        })?;
        tabs.push(tab);
    }
    if args.discover {
        let found = files::discover(&args.cron_root);
        for problem in found.problems {
            lint.push(Lint::new(
                Source {
                    file: problem.path,
                    line: 0,
                },
                problem.reason,
            ));
        }
        // A file named and also discovered is read once.
        for tab in found.tabs {
            if !tabs.iter().any(|t: &files::Loaded| t.path == tab.path) {
                tabs.push(tab);
            }
        }
    }
    let mut jobs = Vec::new();
    for tab in &tabs {
        let (found, warnings) = schedule::expectations(&Crontab {
            path: &tab.path,
            text: &tab.text,
            flavour: tab.flavour,
            owner: tab.owner.as_deref(),
            modified: tab.modified,
            zone,
        });
        jobs.extend(found);
        lint.extend(warnings);
    }
    lint.extend(schedule::lint(&jobs, factor, now));
    // File by file in the order read, line by line within each.
    let order = |l: &Lint| tabs.iter().position(|t| t.path == l.source.file);
    lint.sort_by_key(|l| (order(l), l.source.line));
    Ok(Expected {
        jobs,
        lint,
        rules: Rules {
            grace: args.grace,
            by_interval: args.by_interval,
            zone,
        },
    })
}

/// `/etc/crontab` and the files of a directory named `cron.d` have a user
/// field; any other crontab is a user's.
pub fn flavour_of(path: &Path) -> Flavour {
    let in_cron_d = path
        .parent()
        .and_then(Path::file_name)
        .is_some_and(|d| d == "cron.d");
    if in_cron_d || path.file_name().is_some_and(|n| n == "crontab") && path.starts_with("/etc") {
        Flavour::System
    } else {
        Flavour::User
    }
}

/// Parses a grace: whole seconds or a duration with units; `0` is allowed.
pub fn parse_grace(text: &str) -> Result<u64, String> {
    GRACE.parse(text)
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
        assert_eq!(parse_grace("0"), Ok(0));
        assert_eq!(parse_grace("10m"), Ok(600));
        assert!(parse_grace("soon").unwrap_err().contains("grace"));
        assert!(parse_grace("401d").unwrap_err().contains("400 days"));
        assert!(parse_grace("99999999999999999999").is_err());
    }
}
