//! systemd timers as jobs: every timer of the system manager (and with `--user-timers` of each
//! running user manager) is read with `systemctl show` and judged by [`crate::judge::timer`] as a
//! job named `timer:NAME`. `systemctl` rather than D-Bus: it is there wherever systemd is, speaks
//! for the user managers too, and needs no D-Bus crate. Its tools (`systemctl`, `journalctl`,
//! `systemd-analyze`) run bounded: a deadline, a cap on what they print, no input, their process
//! group killed past either.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::error::Error;
use crate::expect::ScheduleArgs;
use crate::judge::{timer, Judgement, Policy};
use crate::process::{self, Failure, Limits};

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
pub(crate) fn check_timer_name(name: &str) -> Result<(), Error> {
    let rule = "`NAME.timer` must be a systemd unit name (letters, digits, `:_.\\@-`, at most 249 characters)";
    (read::is_unit_name(&format!("{name}.timer"), ".timer"))
        .then_some(())
        .ok_or_else(|| Error::invalid("timer", name, rule))
}

/// Each judged timer with its service's heartbeat jobs; a `--verbose` note; managers not read.
#[derive(Debug, Default)]
pub(crate) struct Read {
    pub rows: Vec<(Judgement, Vec<String>)>,
    pub note: Option<String>,
    pub errors: Vec<Error>,
}

/// It exists while systemd is the init system (`sd_booted(3)`).
const BOOTED: &str = "/run/systemd/system";

/// The timers `args` ask for, judged: `--discover` implies `--systemd` where systemd runs, unless
/// `--cron-root` names another root (a chroot's or a container's, not this systemd's).
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
    let users = (args.user_timers.then(users)).unwrap_or(Ok(Vec::new()));
    let users = users.map_err(|e| read.errors.push(e)).unwrap_or_default();
    let (mut skipped, mut odd) = (Vec::new(), 0);
    for manager in std::iter::once(Manager::System).chain(users) {
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

/// The bounds of a `systemctl show` (all timers), and of any smaller call.
const SHOW: Limits = limits(Duration::from_secs(10), 32 << 20);
const SMALL: Limits = limits(Duration::from_secs(3), 64 << 10);

/// The most lines of a failed service's journal kept, and of each line.
const JOURNAL_LINES: usize = 5;
const JOURNAL_LINE_CHARS: usize = 300;

/// The system's manager (PID 1), or a user's (`user@UID.service`: uid, primary gid, login name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Manager {
    System,
    User(u32, u32, String),
}

impl Manager {
    pub(crate) fn describe(&self) -> String {
        let user = |name| format!("user {}'s manager", crate::escape::terminal(name));
        (self.user()).map_or_else(|| "the system manager".to_owned(), user)
    }

    pub(crate) fn user(&self) -> Option<&str> {
        match self {
            Manager::System => None,
            Manager::User(_, _, name) => Some(name),
        }
    }

    /// `systemctl` of this manager. A user's answers that user only, root included: `--user` runs
    /// as them (uid, gid, no other groups) over the private socket in their runtime directory.
    pub(crate) fn systemctl(&self, args: &[&str]) -> Result<String, Error> {
        let mut systemctl = tool::<&str>("systemctl", &[]);
        if let Manager::User(uid, gid, _) = self {
            systemctl.arg("--user");
            systemctl.env("XDG_RUNTIME_DIR", runtime_dir(*uid));
            if crate::store::effective_uid() == 0 {
                // std drops the supplementary groups when it changes the uid.
                systemctl.uid(*uid).gid(*gid);
            }
        }
        systemctl.args(args);
        run(systemctl, SHOW, &self.describe())
    }

    /// A failed service's last journal lines since `since` (its run's start).
    pub(crate) fn journal(&self, service: &str, since: Option<DateTime<Utc>>) -> Option<String> {
        let mut args = match self {
            Manager::System => vec![format!("--unit={service}")],
            Manager::User(uid, _, _) => vec![
                format!("_SYSTEMD_USER_UNIT={service}"),
                format!("_UID={uid}"),
            ],
        };
        args.extend(since.map(|t| format!("--since=@{}", t.timestamp())));
        let lines = format!("--lines={JOURNAL_LINES}");
        args.extend([lines, "--output=cat".into(), "--quiet".into()]);
        let out = run(tool("journalctl", &args), SMALL, &self.describe()).ok()?;
        let kept: Vec<String> = (out.lines())
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.chars().take(JOURNAL_LINE_CHARS).collect())
            .collect();
        let from = kept.len().saturating_sub(JOURNAL_LINES);
        (!kept.is_empty()).then(|| kept[from..].join("\n"))
    }
}

fn runtime_dir(uid: u32) -> String {
    format!("/run/user/{uid}")
}

/// The running user managers we may ask (root: all; a user: their own), with their runtime gid.
pub(crate) fn users() -> Result<Vec<Manager>, Error> {
    let show = ["show", "-p", "Id,ActiveState", "user@*.service"];
    let out = run(tool("systemctl", &show), SHOW, "the user managers")?;
    let me = crate::store::effective_uid();
    Ok((props::blocks(&out).iter())
        .filter(|p| p.text("ActiveState") == "active")
        .filter_map(|p| {
            let id = p.text("Id").strip_prefix("user@")?;
            let uid: u32 = id.strip_suffix(".service")?.parse().ok()?;
            let (owner, gid) = crate::store::dir_owner(runtime_dir(uid).as_ref())?;
            (owner == uid && (me == 0 || me == uid)).then_some(())?;
            Some(Manager::User(uid, gid, crate::store::user_name(uid)?))
        })
        .collect())
}

/// The first trigger of calendar `spec` after `base` and the gap to the next, in the host's zone.
pub(crate) fn calendar_after(
    spec: &str,
    base: DateTime<Utc>,
) -> Option<(DateTime<Utc>, Option<u64>)> {
    let base = format!("--base-time=@{}", base.timestamp());
    let args = ["calendar", &base, "--iterations=2", "--", spec];
    let mut analyze: Command = tool("systemd-analyze", &args);
    analyze.env_remove("TZ");
    let out = run(analyze, SMALL, "the system manager").ok()?;
    let elapses = props::calendar_elapses(&out);
    let first = *elapses.first()?;
    let gap = elapses.get(1).map(|&second| (second - first).num_seconds());
    Some((first, gap.and_then(|gap| u64::try_from(gap).ok())))
}

/// A systemd tool under `TZ=UTC` (so it prints instants in UTC), `LC_ALL=C`, no pager or colours;
/// only `PATH` passes of our environment: no secret reaches a tool (maybe another user's).
fn tool<S: AsRef<std::ffi::OsStr>>(program: &str, args: &[S]) -> Command {
    let path = std::env::var_os("PATH").map(|path| ("PATH", path));
    let mut command = Command::new(program);
    command.env_clear().envs(path).args(args);
    command.env("TZ", "UTC").env("LC_ALL", "C");
    command.env("SYSTEMD_PAGER", "").env("SYSTEMD_COLORS", "0");
    command
}

const fn limits(timeout: Duration, max_bytes: usize) -> Limits {
    Limits {
        timeout,
        max_bytes,
        drain: None,
    }
}

/// `command`'s standard output, else an [`Error::Systemd`] of `manager`.
fn run(mut command: Command, limits: Limits, manager: &str) -> Result<String, Error> {
    let program = command.get_program().to_string_lossy().into_owned();
    let (seconds, max) = (limits.timeout.as_secs_f64(), limits.max_bytes);
    let exited = process::run(&mut command, None, limits).map_err(|failure| {
        let (reason, source) = match failure {
            Failure::Spawn(e) => (format!("cannot run `{program}`: {e}"), Some(e)),
            Failure::Wait(e) => (format!("cannot wait for `{program}`: {e}"), Some(e)),
            Failure::Timeout => (
                format!("`{program}` did not finish within {seconds} s"),
                None,
            ),
        };
        failed(manager, reason, source)
    })?;
    // A child of the tool may hold the pipes open past its exit: the deadline bounds that too.
    let refused = match &exited.out {
        out if out.open => Some(format!("`{program}` left its output open past {seconds} s")),
        out if out.over => Some(format!("`{program}` printed more than {max} bytes")),
        _ => None,
    };
    if let Some(reason) = refused {
        let _ = crate::supervise::signal::kill_group(exited.group, libc::SIGKILL);
        return Err(failed(manager, reason, None));
    }
    if !exited.status.success() {
        let said = process::first_line(&exited.err.bytes);
        let said = if said.is_empty() { "no message" } else { &said };
        let (status, said) = (exited.status, crate::escape::terminal(said));
        let reason = format!("`{program}` failed ({status}): {said}");
        return Err(failed(manager, reason, None));
    }
    Ok(String::from_utf8_lossy(&exited.out.bytes).into_owned())
}

pub(super) fn failed(manager: &str, reason: String, source: Option<std::io::Error>) -> Error {
    Error::Systemd {
        manager: manager.to_owned(),
        reason,
        source,
    }
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

    fn reason(err: Error) -> String {
        match err {
            Error::Systemd { reason, .. } => reason,
            other => panic!("{other}"),
        }
    }

    fn sh(script: &str, timeout_ms: u64, max_bytes: usize) -> Result<String, String> {
        let limits = limits(Duration::from_millis(timeout_ms), max_bytes);
        run(tool("sh", &["-c", script]), limits, "m").map_err(reason)
    }

    #[test]
    fn output_comes_back_with_the_zone_pinned() {
        assert_eq!(sh("echo $TZ", 5000, 100).unwrap(), "UTC\n");
    }

    #[test]
    fn a_hang_is_cut_at_the_deadline() {
        let started = std::time::Instant::now();
        let err = sh("sleep 30 & sleep 30", 300, 100).unwrap_err();
        assert!(err.contains("did not finish within 0.3 s"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    #[test]
    fn output_past_the_cap_is_refused() {
        let err = sh("yes", 5000, 1000).unwrap_err();
        assert_eq!(err, "`sh` printed more than 1000 bytes");
    }

    #[test]
    fn a_failure_names_the_status_and_the_first_line_said() {
        let err = sh("echo 'no \u{1b}[31mbus' >&2; exit 4", 5000, 100).unwrap_err();
        assert!(
            err.starts_with("`sh` failed (exit status: 4): no "),
            "{err}"
        );
        assert!(!err.contains('\u{1b}'));
        let missing = run(
            tool::<&str>("/nonexistent/systemctl", &[]),
            limits(Duration::from_secs(1), 10),
            "m",
        )
        .unwrap_err();
        let cause = std::error::Error::source(&missing).expect("the OS error");
        assert!(cause.downcast_ref::<std::io::Error>().is_some(), "{cause}");
        assert!(reason(missing).starts_with("cannot run `/nonexistent/systemctl`"));
    }
}
