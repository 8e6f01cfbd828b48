//! Running systemd's command-line tools, bounded: a deadline, a cap on
//! what they print, no input, their process group killed past either.

use std::process::Command;
use std::time::Duration;

use crate::error::Error;
use crate::process::{self, Failure, Limits};

/// A command for the systemd tool `program` with `args`, under `TZ=UTC`
/// (the instants it prints for people are then in UTC) and `LC_ALL=C`,
/// without pager or colours. Of this process's environment only `PATH`
/// passes: no secret (a tracker token) reaches a tool, which may run as
/// another user.
pub(crate) fn tool<S: AsRef<std::ffi::OsStr>>(program: &str, args: &[S]) -> Command {
    let path = std::env::var_os("PATH").map(|path| ("PATH", path));
    let mut command = Command::new(program);
    command.env_clear().envs(path).args(args);
    command.env("TZ", "UTC").env("LC_ALL", "C");
    command.env("SYSTEMD_PAGER", "").env("SYSTEMD_COLORS", "0");
    command
}

/// The bounds of a tool that prints up to `max_bytes` within `timeout`.
pub(crate) const fn limits(timeout: Duration, max_bytes: usize) -> Limits {
    Limits {
        timeout,
        max_bytes,
        read_past_cap: false,
        drain: None,
    }
}

/// Runs `command` and returns its standard output; an exit status other
/// than 0, a deadline passed or output past the cap is an [`Error::Systemd`]
/// of `manager` (in words), with the first line the tool wrote to stderr.
pub(crate) fn run(mut command: Command, limits: Limits, manager: &str) -> Result<String, Error> {
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
