//! The systemd managers whose timers are read (the system's, the running
//! users'), and how `systemctl` and `journalctl` reach each.

use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::command;
use super::props;
use crate::error::Error;
use crate::process::Limits;

/// The bounds of a `systemctl show` (a manager's every timer), and of a
/// `journalctl` or `systemd-analyze` call.
pub(crate) const SHOW: Limits = command::limits(Duration::from_secs(10), 32 << 20);
pub(crate) const SMALL: Limits = command::limits(Duration::from_secs(3), 64 << 10);

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
        self.user()
            .map_or_else(|| "the system manager".to_owned(), user)
    }

    pub(crate) fn user(&self) -> Option<&str> {
        match self {
            Manager::System => None,
            Manager::User(_, _, name) => Some(name),
        }
    }

    /// Runs `systemctl` with `args` against this manager. A user's manager
    /// answers its own user only, root included: `systemctl --user` runs as
    /// that user (uid, gid, no other groups) over the manager's private
    /// socket in the user's runtime directory, with no user bus needed.
    pub(crate) fn systemctl(&self, args: &[&str]) -> Result<String, Error> {
        let mut systemctl = command::tool::<&str>("systemctl", &[]);
        if let Manager::User(uid, gid, _) = self {
            systemctl.arg("--user");
            systemctl.env("XDG_RUNTIME_DIR", runtime_dir(*uid));
            if crate::store::effective_uid() == 0 {
                // std drops the supplementary groups when it changes the uid.
                systemctl.uid(*uid).gid(*gid);
            }
        }
        systemctl.args(args);
        command::run(systemctl, SHOW, &self.describe())
    }

    /// The last lines a failed service left in the journal since `since`
    /// (its last run's start), when they can be read.
    pub(crate) fn journal(&self, service: &str, since: Option<DateTime<Utc>>) -> Option<String> {
        let mut args = match self {
            Manager::System => vec![format!("--unit={service}")],
            Manager::User(uid, _, _) => vec![
                format!("_SYSTEMD_USER_UNIT={service}"),
                format!("_UID={uid}"),
            ],
        };
        args.extend(since.map(|t| format!("--since=@{}", t.timestamp())));
        args.extend([
            format!("--lines={JOURNAL_LINES}"),
            "--output=cat".into(),
            "--quiet".into(),
        ]);
        let out = command::run(command::tool("journalctl", &args), SMALL, &self.describe()).ok()?;
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
/// user: their own), each with its login name and group (its runtime
/// directory's).
pub(crate) fn users() -> Result<Vec<Manager>, Error> {
    let show = ["show", "-p", "Id,ActiveState", "user@*.service"];
    let out = command::run(command::tool("systemctl", &show), SHOW, "the user managers")?;
    let me = crate::store::effective_uid();
    Ok(props::blocks(&out)
        .iter()
        .filter(|p| p.text("ActiveState") == "active")
        .filter_map(|p| {
            let id = p
                .text("Id")
                .strip_prefix("user@")?
                .strip_suffix(".service")?;
            let uid: u32 = id.parse().ok()?;
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
    let mut analyze: Command = command::tool("systemd-analyze", &args);
    analyze.env_remove("TZ");
    let out = command::run(analyze, SMALL, "the system manager").ok()?;
    let elapses = props::calendar_elapses(&out);
    let first = *elapses.first()?;
    let gap = elapses.get(1).map(|&second| (second - first).num_seconds());
    Some((first, gap.and_then(|gap| u64::try_from(gap).ok())))
}
