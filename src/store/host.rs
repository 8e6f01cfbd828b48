//! What the host says in `/proc` and pid files, read by the bounded, non-blocking reader of every
//! small file: when it booted, and whether a cron daemon runs (and since when).

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::open::{read_regular, sorted_entries, Links};
use super::MAX_FILE_BYTES;

/// `/proc/stat` (a line per CPU and interrupt source) is never a megabyte.
const STAT_MAX_BYTES: u64 = 1024 * 1024;

const PROC_ENTRIES_MAX: usize = 200_000;

/// The pid files of Debian's cron and cronie.
const PID_FILES: [&str; 2] = ["/run/crond.pid", "/var/run/crond.pid"];

/// Debian's and Vixie's `cron`, cronie's and busybox's `crond` (`busybox crond` by its arguments).
const DAEMON_NAMES: [&str; 2] = ["cron", "crond"];

/// Where systemd-cron, which has no daemon, generates a `cron-*.timer` unit per crontab line.
const GENERATED_UNITS: &str = "/run/systemd/generator";

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CronDaemon {
    /// `cron (pid 412)`, or `systemd-cron (timers)`.
    pub found: String,
    pub since: Option<DateTime<Utc>>,
}

pub(crate) fn boot_time() -> Option<DateTime<Utc>> {
    let stat = proc_text("/proc/stat", STAT_MAX_BYTES)?;
    let btime = stat.lines().find_map(|line| line.strip_prefix("btime "))?;
    DateTime::from_timestamp(btime.trim().parse().ok()?, 0)
}

fn proc_text(path: impl AsRef<Path>, cap: u64) -> Option<String> {
    let (bytes, _) = read_regular(path.as_ref(), Links::Refuse, cap).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// Whether process `pid` is a live cron daemon by its name: root's only (anyone can start a
/// `cron`), of this PID namespace (a container's cron runs the container's crontabs).
fn is_cron(pid: u32) -> bool {
    let base = PathBuf::from(format!("/proc/{pid}"));
    let root_owned = std::fs::metadata(&base).is_ok_and(|m| m.uid() == 0);
    let namespace = |dir: &Path| std::fs::read_link(dir.join("ns/pid")).ok();
    // A user who is not root cannot read root's namespace links: then the owner alone decides.
    let both = namespace(&base).zip(namespace(Path::new("/proc/self")));
    let same_namespace = both.is_none_or(|(theirs, ours)| theirs == ours);
    let alive = || stat_fields(pid).is_some_and(|f| f.first().is_none_or(|s| !s.starts_with('Z')));
    if !root_owned || !same_namespace || !alive() {
        return false;
    }
    let comm = proc_text(base.join("comm"), MAX_FILE_BYTES).unwrap_or_default();
    let comm = comm.trim_end();
    DAEMON_NAMES.contains(&comm)
        || comm == "busybox"
            && proc_text(base.join("cmdline"), MAX_FILE_BYTES)
                .is_some_and(|args| args.split('\0').nth(1) == Some("crond"))
}

/// The fields of `/proc/PID/stat` after the name (field 2, which may hold spaces): field 3 first.
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = proc_text(format!("/proc/{pid}/stat"), MAX_FILE_BYTES)?;
    let rest = &stat[stat.rfind(')')? + 1..];
    Some(rest.split_ascii_whitespace().map(str::to_owned).collect())
}

pub(crate) fn parent_and_group(pid: u32) -> Option<(u32, u32)> {
    let fields = stat_fields(pid)?;
    Some((fields.get(1)?.parse().ok()?, fields.get(2)?.parse().ok()?))
}

pub(crate) fn process_start(pid: u32) -> Option<DateTime<Utc>> {
    let ticks: u64 = stat_fields(pid)?.get(19)?.parse().ok()?;
    // SAFETY: sysconf only reads a constant of the system.
    let per_second = u64::try_from(unsafe { libc::sysconf(libc::_SC_CLK_TCK) }).ok()?;
    let after_boot = i64::try_from(ticks.checked_div(per_second)?).ok()?;
    boot_time()?.checked_add_signed(chrono::Duration::try_seconds(after_boot)?)
}

/// Whether this process sees the host's processes: with `hidepid`, a running cron looks like none.
pub(crate) fn processes_visible() -> bool {
    proc_text("/proc/1/comm", MAX_FILE_BYTES).is_some()
}

/// The cron daemon running here: by pid file, in `/proc`, or systemd-cron's.
pub(crate) fn cron_daemon() -> Option<CronDaemon> {
    let from_files = PID_FILES
        .iter()
        .filter_map(|file| proc_text(file, MAX_FILE_BYTES)?.trim().parse().ok());
    let listed = std::fs::read_dir("/proc").into_iter().flatten();
    let from_proc = listed
        .take(PROC_ENTRIES_MAX)
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok());
    if let Some(pid) = from_files.chain(from_proc).find(|&pid| is_cron(pid)) {
        let since = process_start(pid);
        let found = format!("cron (pid {pid})");
        return Some(CronDaemon { found, since });
    }
    let units = sorted_entries(Path::new(GENERATED_UNITS), PROC_ENTRIES_MAX);
    let timers = units.iter().any(|(name, _)| {
        let name = name.to_string_lossy();
        name.starts_with("cron-") && name.ends_with(".timer")
    });
    (timers && Path::new("/run/systemd/system").is_dir()).then(|| CronDaemon {
        found: "systemd-cron (timers)".to_owned(),
        since: None,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn proc_stat_gives_parent_and_group() {
        let (ppid, pgrp) = super::parent_and_group(std::process::id()).unwrap();
        // SAFETY: getppid and getpgrp only read this process's ids.
        let (want_ppid, want_pgrp) = unsafe { (libc::getppid(), libc::getpgrp()) };
        assert_eq!((ppid as i32, pgrp as i32), (want_ppid, want_pgrp));
    }
}
