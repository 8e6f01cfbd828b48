//! The systemd managers whose timers are read (the system's, the running
//! users'), and running their tools (`systemctl`, `journalctl`,
//! `systemd-analyze`) bounded: a deadline, a cap on what they print, no
//! input, their process group killed past either.

use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::props;
use crate::error::Error;
use crate::process::{self, Failure, Limits};

/// The bounds of a `systemctl show` (all timers), and of any smaller call.
const SHOW: Limits = limits(Duration::from_secs(10), 32 << 20);
const SMALL: Limits = limits(Duration::from_secs(3), 64 << 10);

/// The most lines of a failed service's journal kept, and of each line.
const JOURNAL_LINES: usize = 5;
const JOURNAL_LINE_CHARS: usize = 300;

/// A systemd manager: the system's (PID 1), or a user's
/// (`user@UID.service`: uid, primary gid, login name).
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

    /// Runs `systemctl` against this manager. A user's answers its own user
    /// only, root included: `--user` runs as that user (uid, gid, no other
    /// groups) over its private socket in the runtime directory, no bus needed.
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

/// The running user managers this process may ask (root: every one; a
/// user: their own), with the group of each one's runtime directory.
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

/// The first trigger of the calendar `spec` after `base` and the gap to the
/// next, by `systemd-analyze calendar` in the host's zone (the timer's).
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

/// A systemd tool under `TZ=UTC` (the instants it prints for people are
/// then in UTC), `LC_ALL=C`, no pager or colours. Only `PATH` passes of
/// this environment: no secret (a token) reaches a tool (maybe another user's).
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
    // The pipes close when the tool exits, unless a child of its own
    // holds them: the rest of the deadline bounds that too.
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
