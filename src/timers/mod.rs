//! systemd timers as jobs: every timer of the system manager (and with
//! `--user-timers` of each running user manager) is read with `systemctl
//! show` and judged by [`crate::judge::timer`] as a job named `timer:NAME`.
//! `systemctl` rather than D-Bus: it is there wherever systemd is, speaks
//! for the user managers too, and needs no D-Bus crate.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::expect::ScheduleArgs;
use crate::judge::{timer, Judgement, Policy};

mod manager;
mod props;
mod read;

/// The options that bring systemd's timers in.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct TimerArgs {
    /// Judge every systemd timer of the system manager as a job named
    /// `timer:NAME` (its service's last run, its schedule with
    /// RandomizedDelaySec= and AccuracySec=). Implied by --discover where
    /// systemd runs.
    #[arg(long, env = "HB_SYSTEMD", value_parser = crate::record::parse_switch)]
    pub systemd: bool,

    /// With --systemd or --discover: also the timers of every running user
    /// manager, as `USER/timer:NAME`.
    #[arg(long, env = "HB_USER_TIMERS", value_parser = crate::record::parse_switch)]
    pub user_timers: bool,

    /// A timer's service that runs longer than this is stale (hung).
    /// [default: the shortest of its RuntimeMaxSec= and factor x the time
    /// between its triggers]
    #[arg(long, value_name = "DURATION", env = "HB_MAX_RUNTIME", value_parser = |t: &str| crate::record::WAIT.at_least(1).parse(t))]
    pub max_runtime: Option<u64>,
}

/// Checks `--expect timer:NAME`: `NAME.timer` must be a systemd unit name.
pub(crate) fn check_timer_name(name: &str) -> Result<(), crate::Error> {
    let rule = "`NAME.timer` must be a systemd unit name (letters, digits, `:_.\\@-`, at most 249 characters)";
    (read::is_unit_name(&format!("{name}.timer"), ".timer"))
        .then_some(())
        .ok_or_else(|| crate::Error::invalid("timer", name, rule))
}

/// Each judged timer with the heartbeat jobs its service writes; a note for
/// `--verbose` (why none or which not judged); each manager not read.
#[derive(Debug, Default)]
pub(crate) struct Read {
    pub rows: Vec<(Judgement, Vec<String>)>,
    pub note: Option<String>,
    pub errors: Vec<crate::Error>,
}

/// It exists while systemd is the init system (`sd_booted(3)`).
const BOOTED: &str = "/run/systemd/system";

/// Reads and judges the timers `args` ask for: `--discover` implies
/// `--systemd` where systemd runs, unless `--cron-root` names another root
/// (a chroot's or a container's, whose timers are not this systemd's).
pub(crate) fn judge(args: &TimerArgs, schedule: &ScheduleArgs, policy: &Policy) -> Read {
    let not_read = |why: String| Read {
        note: Some(format!("systemd timers were not read: {why}")),
        ..Read::default()
    };
    if !args.systemd && !schedule.discover {
        return Read::default();
    }
    if !args.systemd && schedule.cron_root != Path::new("/") {
        let root = crate::escape::terminal_path(&schedule.cron_root);
        let why = format!("--cron-root {root} is another root than this systemd's");
        return not_read(why);
    }
    if !args.systemd && !Path::new(BOOTED).is_dir() {
        return not_read(format!("systemd is not running here ({BOOTED} is missing)"));
    }
    let mut read = Read::default();
    // At most 64 extra calls (journal, calendar) a read, none started after 20 s.
    let (mut calls, until) = (64_usize, Instant::now() + Duration::from_secs(20));
    let mut budget = || {
        let ok = calls > 0 && Instant::now() < until;
        calls -= usize::from(ok);
        ok
    };
    let users = (args.user_timers.then(manager::users)).unwrap_or(Ok(Vec::new()));
    let users = users.map_err(|e| read.errors.push(e)).unwrap_or_default();
    let (mut skipped, mut odd) = (Vec::new(), 0);
    for manager in std::iter::once(manager::Manager::System).chain(users) {
        let got = read::timers(&manager, &mut budget, &mut odd);
        for t in got.map_err(|e| read.errors.push(e)).unwrap_or_default() {
            if let Some(why) = timer::not_judged(&t) {
                let unit = crate::record::user_job(manager.user(), &t.unit);
                skipped.push(format!("{unit} ({why})"));
            } else {
                let judged = timer::judge(&t, policy, args.max_runtime);
                read.rows.push((judged, t.aliases));
            }
        }
    }
    read.note = note(&skipped, odd);
    read
}

/// The timers not judged (the first 20 named), and the odd names counted.
fn note(skipped: &[String], odd: usize) -> Option<String> {
    let mut parts = Vec::new();
    if !skipped.is_empty() {
        let shown = skipped[..skipped.len().min(20)].join(", ");
        let more = format!(" and {} more", skipped.len().saturating_sub(20));
        let more = if skipped.len() > 20 { &more } else { "" };
        parts.push(format!("timers not judged: {shown}{more}"));
    }
    if odd > 0 {
        let s = if odd == 1 { "" } else { "s" };
        parts.push(format!("{odd} timer{s} left out: not a systemd unit name"));
    }
    (!parts.is_empty()).then(|| crate::escape::terminal(&parts.join("; ")).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_timers_are_named_by_systemds_rule() {
        assert!(check_timer_name("certbot").is_ok());
        assert!(check_timer_name("backup@db\\x2d1").is_ok());
        for bad in ["", "a b", "x;y", "a/b", "\u{1b}[2J"] {
            let err = check_timer_name(bad).unwrap_err().to_string();
            assert!(!err.contains('\u{1b}') && !err.contains('\n'), "{err}");
        }
    }

    #[test]
    fn the_note_names_twenty_timers_and_counts_the_rest() {
        let skipped: Vec<String> = (0..25).map(|i| format!("t{i}.timer (disabled)")).collect();
        let said = note(&skipped, 2).unwrap();
        assert!(said.starts_with("timers not judged: t0.timer (disabled), "));
        assert!(said.contains("t19.timer (disabled) and 5 more; 2 timers left out"));
        assert_eq!(note(&[], 0), None);
    }
}
