//! What the host itself says, read from `/proc` and pid files by the same
//! bounded, non-blocking reader as every other small file: when it booted,
//! and whether a cron daemon runs (and since when).

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::open::{read_regular, Links};

/// `/proc/stat` is one line per CPU and interrupt source: large on a big
/// machine, never a megabyte.
const STAT_MAX_BYTES: u64 = 1024 * 1024;

/// At most this many entries of `/proc` are looked at for a cron daemon:
/// far more processes than a host runs, so the walk is bounded whatever
/// the host holds.
const PROC_ENTRIES_MAX: usize = 200_000;

/// The pid files the cron daemons write: Debian's cron and cronie
/// (`/run/crond.pid`, also reached as `/var/run/crond.pid`).
const PID_FILES: [&str; 2] = ["/run/crond.pid", "/var/run/crond.pid"];

/// The process names of cron daemons: Debian's and Vixie's `cron`,
/// cronie's `crond`, busybox's `crond` applet (by its link, or run as
/// `busybox crond`).
const DAEMON_NAMES: [&str; 2] = ["cron", "crond"];

/// Where systemd's generators put their units: systemd-cron, which has no
/// daemon, turns the crontabs into timer units named `cron-*.timer` here.
const GENERATED_UNITS: &str = "/run/systemd/generator";

/// A cron daemon that was found running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CronDaemon {
    /// What was found: `cron (pid 412)`, or `systemd-cron (timers)`.
    pub found: String,
    /// When it started, when the kernel says.
    pub since: Option<DateTime<Utc>>,
}

/// The boot time the kernel gives (`btime` in `/proc/stat`); `None` where
/// there is no such file or line.
pub(crate) fn boot_time() -> Option<DateTime<Utc>> {
    let (bytes, _) = read_regular(Path::new("/proc/stat"), Links::Refuse, STAT_MAX_BYTES).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    let seconds = text
        .lines()
        .find_map(|line| line.strip_prefix("btime "))?
        .trim()
        .parse::<i64>()
        .ok()?;
    DateTime::from_timestamp(seconds, 0)
}

/// A small file of `/proc` as text; `None` when it cannot be read.
fn proc_text(path: &Path) -> Option<String> {
    let (bytes, _) = read_regular(path, Links::Refuse, super::MAX_FILE_BYTES).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// Whether process `pid` is a cron daemon, by its name (and, for busybox,
/// the applet it runs), and not a zombie that is gone but not yet reaped.
/// Only root's processes count (any user can start a program named
/// `cron`), and only those of this PID namespace (a container's cron runs
/// the container's crontabs, not this host's).
fn is_cron(pid: u32) -> bool {
    let base = PathBuf::from(format!("/proc/{pid}"));
    let root_owned = std::fs::metadata(&base).is_ok_and(|m| {
        use std::os::unix::fs::MetadataExt;
        m.uid() == 0
    });
    let namespace = |dir: &Path| std::fs::read_link(dir.join("ns/pid")).ok();
    // A user who is not root cannot read root's namespace links: then the
    // owner alone decides.
    let same_namespace = match (namespace(&base), namespace(Path::new("/proc/self"))) {
        (Some(theirs), Some(ours)) => theirs == ours,
        _ => true,
    };
    if !root_owned || !same_namespace {
        return false;
    }
    let state = proc_text(&base.join("stat"))
        .and_then(|stat| Some(stat[stat.rfind(')')? + 1..].trim_start().starts_with('Z')));
    if state != Some(false) {
        return false;
    }
    let Some(comm) = proc_text(&base.join("comm")) else {
        return false;
    };
    let comm = comm.trim_end();
    if DAEMON_NAMES.contains(&comm) {
        return true;
    }
    comm == "busybox"
        && proc_text(&base.join("cmdline"))
            .is_some_and(|args| args.split('\0').nth(1) == Some("crond"))
}

/// When process `pid` started: its start in clock ticks after boot
/// (`/proc/PID/stat`, field 22) from the kernel's boot time.
pub(crate) fn process_start(pid: u32) -> Option<DateTime<Utc>> {
    let stat = proc_text(&PathBuf::from(format!("/proc/{pid}/stat")))?;
    // The name (field 2) is in parentheses and may hold spaces: count the
    // fields after its closing one, which is field 3.
    let rest = &stat[stat.rfind(')')? + 1..];
    let ticks: u64 = rest.split_ascii_whitespace().nth(19)?.parse().ok()?;
    // SAFETY: sysconf only reads a constant of the system.
    let per_second = u64::try_from(unsafe { libc::sysconf(libc::_SC_CLK_TCK) }).ok()?;
    let after_boot = i64::try_from(ticks.checked_div(per_second)?).ok()?;
    boot_time()?.checked_add_signed(chrono::Duration::try_seconds(after_boot)?)
}

/// Whether this process sees the host's processes: `/proc` mounted with
/// `hidepid` hides other users' (pid 1's among them) from a user who is
/// not root, and then a cron daemon that runs cannot be told from none.
pub(crate) fn processes_visible() -> bool {
    proc_text(Path::new("/proc/1/comm")).is_some()
}

/// The cron daemon running on this host, looked for in this order: the pid
/// files, every process's name in `/proc`, then systemd-cron's timers.
/// `None` when none runs.
pub(crate) fn cron_daemon() -> Option<CronDaemon> {
    let daemon = |pid: u32| CronDaemon {
        found: format!("cron (pid {pid})"),
        since: process_start(pid),
    };
    for file in PID_FILES {
        let pid = proc_text(Path::new(file)).and_then(|t| t.trim().parse::<u32>().ok());
        if let Some(pid) = pid.filter(|&p| is_cron(p)) {
            return Some(daemon(pid));
        }
    }
    if let Ok(entries) = std::fs::read_dir("/proc") {
        let pids = entries
            .take(PROC_ENTRIES_MAX)
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok());
        for pid in pids {
            if is_cron(pid) {
                return Some(daemon(pid));
            }
        }
    }
    let timers = std::fs::read_dir(GENERATED_UNITS)
        .ok()?
        .take(PROC_ENTRIES_MAX)
        .any(|e| {
            e.ok().is_some_and(|e| {
                let name = e.file_name();
                let name = name.to_string_lossy();
                name.starts_with("cron-") && name.ends_with(".timer")
            })
        });
    (timers && Path::new("/run/systemd/system").is_dir()).then(|| CronDaemon {
        found: "systemd-cron (timers)".to_owned(),
        since: None,
    })
}
