//! Running systemd's command-line tools, bounded: a deadline, a cap on
//! what they print, no input, and their whole process group killed when
//! either is passed. A failure is one line naming what went wrong.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// How long a tool may take and how much it may print.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// The deadline, from the start.
    pub timeout: Duration,
    /// The most bytes of standard output read.
    pub max_bytes: usize,
}

/// What a reader thread hands back: the bytes read, and whether the
/// stream went past its cap.
type Read_ = (Vec<u8>, bool);

/// A command for the systemd tool `program` with `args`, under `TZ=UTC`
/// (the instants it prints for people are then in UTC) and `LC_ALL=C`,
/// without pager or colours; [`run`] runs it. Of this process's
/// environment only `PATH` passes: no secret (a tracker token) reaches a
/// tool, which may run as another user.
pub(crate) fn tool<S: AsRef<std::ffi::OsStr>>(program: &str, args: &[S]) -> Command {
    let mut command = Command::new(program);
    command.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
    command
        .args(args)
        .env("TZ", "UTC")
        .env("LC_ALL", "C")
        .env("SYSTEMD_PAGER", "")
        .env("SYSTEMD_COLORS", "0");
    command
}

/// Runs `command` and returns its standard output; an exit status other
/// than 0, a deadline passed or output past the cap is an error: one line,
/// with the first line the tool wrote to standard error when it failed.
pub(crate) fn run(mut command: Command, limits: Limits) -> Result<String, String> {
    let program = command.get_program().to_string_lossy().into_owned();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot run `{program}`: {e}"))?;
    let started = Instant::now();
    let out = drain(child.stdout.take(), limits.max_bytes);
    let err = drain(child.stderr.take(), 4096);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() >= limits.timeout => {
                kill(&mut child);
                return Err(format!(
                    "`{program}` did not finish within {} s",
                    limits.timeout.as_secs_f64()
                ));
            }
            Ok(None) => thread::sleep(Duration::from_millis(5)),
            Err(e) => {
                kill(&mut child);
                return Err(format!("cannot wait for `{program}`: {e}"));
            }
        }
    };
    // The pipes close when the tool exits, unless a child of its own
    // holds them: the rest of the deadline bounds that too.
    let left = limits.timeout.saturating_sub(started.elapsed()) + Duration::from_millis(100);
    let (bytes, over) = out.recv_timeout(left).map_err(|_| {
        kill(&mut child);
        format!(
            "`{program}` left its output open past {} s",
            limits.timeout.as_secs_f64()
        )
    })?;
    if over {
        kill(&mut child);
        return Err(format!(
            "`{program}` printed more than {} bytes",
            limits.max_bytes
        ));
    }
    if !status.success() {
        let said = err
            .recv_timeout(Duration::from_millis(100))
            .unwrap_or_default()
            .0;
        let said = String::from_utf8_lossy(&said);
        let first = said
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no message");
        return Err(format!(
            "`{program}` failed ({status}): {}",
            crate::escape::terminal(first.trim())
        ));
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Reads `stream` on a thread of its own, up to `cap` bytes.
fn drain(stream: Option<impl Read + Send + 'static>, cap: usize) -> mpsc::Receiver<Read_> {
    let (send, receive) = mpsc::channel();
    if let Some(stream) = stream {
        thread::spawn(move || {
            let limit = u64::try_from(cap).unwrap_or(u64::MAX).saturating_add(1);
            let mut bytes = Vec::new();
            let read = stream.take(limit).read_to_end(&mut bytes);
            let over = bytes.len() > cap;
            bytes.truncate(cap);
            if read.is_err() && bytes.is_empty() {
                bytes.clear();
            }
            let _ = send.send((bytes, over));
        });
    } else {
        let _ = send.send((Vec::new(), false));
    }
    receive
}

/// Kills the tool's process group and reaps it.
fn kill(child: &mut Child) {
    if let Ok(pid) = i32::try_from(child.id()) {
        // SAFETY: kill(2) with a negative pid signals the process group
        // the child leads (made with `process_group(0)`); no memory is
        // touched.
        unsafe { libc::kill(-pid, libc::SIGKILL) };
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str, timeout_ms: u64, max_bytes: usize) -> Result<String, String> {
        let limits = Limits {
            timeout: Duration::from_millis(timeout_ms),
            max_bytes,
        };
        run(tool("sh", &["-c", script]), limits)
    }

    #[test]
    fn output_comes_back_with_the_zone_pinned() {
        assert_eq!(sh("echo $TZ", 5000, 100).unwrap(), "UTC\n");
    }

    #[test]
    fn a_hang_is_cut_at_the_deadline() {
        let started = Instant::now();
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
            Limits {
                timeout: Duration::from_secs(1),
                max_bytes: 10,
            },
        );
        assert!(missing
            .unwrap_err()
            .starts_with("cannot run `/nonexistent/systemctl`"));
    }
}
