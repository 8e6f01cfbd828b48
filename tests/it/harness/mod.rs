//! The one harness every integration test uses.
//!
//! - [`Scratch`]: a temporary area (heartbeat directory, home, state
//!   directory) and the heartbeat files in it;
//! - [`Cmd`]: a builder that runs a real binary (`CARGO_BIN_EXE_*`) or a
//!   peer program with a cleared, pinned environment and explicit `HB_*`
//!   values; its [`Outcome`] shows, whenever an assertion fails, the
//!   command, the environment, the exit status, stdout, stderr and the
//!   files of the scratch area;
//! - [`snapshot`]: compare output with a file in `tests/snapshots/`, with a
//!   line diff on mismatch;
//! - [`skip`]: skip a test visibly when a peer program or an API
//!   description is missing, and fail instead when `CI` is set;
//! - [`pings`]: a dead man's switch on 127.0.0.1 recording each ping;
//! - [`forge`] and [`swagger`]: a fake Gitea/GitHub server on 127.0.0.1 that
//!   checks every request against the API contract in `tests/contract/`.

#![allow(dead_code)]

pub mod capture;
pub mod forge;
pub mod pings;
pub mod skip;
pub mod snapshot;
pub mod swagger;
pub mod systemd;

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// `hb-check`, as cargo built it for these tests.
pub const HB_CHECK: &str = env!("CARGO_BIN_EXE_hb-check");
/// `hb-write`, as cargo built it for these tests.
pub const HB_WRITE: &str = env!("CARGO_BIN_EXE_hb-write");
/// `night-watch`, as cargo built it for these tests.
pub const NIGHT_WATCH: &str = env!("CARGO_BIN_EXE_night-watch");

/// The `PATH` every run gets: the system's programs only.
pub const PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// A distinctive tracker token, so that a leak is easy to find.
pub const TOKEN: &str = "hbtok-Zq7XW3vKp9-leakcheck";

/// The instant the tracker tests judge at (`HB_NOW`).
pub const NOW: &str = "2026-11-22T04:00:00Z";
/// A heartbeat written at this time is stale at [`NOW`] (interval 300 s).
pub const OLD: &str = "2026-11-22T03:00:05Z";
/// A heartbeat written at this time is ok at [`NOW`].
pub const FRESH: &str = "2026-11-22T03:59:00Z";

/// The uid and gid tests switch to when they run as root and need a
/// permission check to bite (root ignores file modes): `nobody`.
pub const NOBODY: u32 = 65534;

/// Whether this test process runs as root.
pub fn is_root() -> bool {
    fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// This process's umask, from /proc (files are created `0666 & !umask`).
pub fn umask() -> u32 {
    let status = fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix("Umask:"))
        .expect("a Umask line");
    u32::from_str_radix(line.trim(), 8).expect("an octal umask")
}

/// A v1 heartbeat record as `hb-write` writes it (host `web1`, pid 42);
/// `extra` is spliced in as further JSON fields (start it with a comma).
pub fn record(job: &str, timestamp: &str, interval: u64, status: &str, extra: &str) -> String {
    format!(
        r#"{{"version":1,"job":"{job}","timestamp":"{timestamp}","interval_seconds":{interval},"host":"web1","pid":42,"status":"{status}"{extra}}}"#
    )
}

/// A scratch area: a heartbeat directory, a home and a state directory, all
/// below one temporary directory that other users may enter (so a run as
/// `nobody` reaches it).
pub struct Scratch {
    root: tempfile::TempDir,
}

impl Default for Scratch {
    fn default() -> Self {
        Scratch::new()
    }
}

impl Scratch {
    pub fn new() -> Scratch {
        skip::count_at_exit();
        let root = tempfile::tempdir().expect("temporary directory");
        fs::set_permissions(root.path(), fs::Permissions::from_mode(0o755)).unwrap();
        for sub in ["hb", "home", "state", "run"] {
            fs::create_dir(root.path().join(sub)).unwrap();
        }
        // Like /tmp, so that runs as root and as `nobody` can both keep
        // their lock there.
        fs::set_permissions(root.path().join("run"), fs::Permissions::from_mode(0o1777)).unwrap();
        Scratch { root }
    }

    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// The heartbeat directory.
    pub fn hb(&self) -> PathBuf {
        self.root.path().join("hb")
    }

    /// `$HOME` for the runs.
    pub fn home(&self) -> PathBuf {
        self.root.path().join("home")
    }

    /// `$XDG_STATE_HOME` for the runs.
    pub fn state(&self) -> PathBuf {
        self.root.path().join("state")
    }

    /// `$RUNTIME_DIRECTORY` for the runs, as systemd's `RuntimeDirectory=`
    /// sets it: where hb-check keeps its lock, so that parallel tests never
    /// share one.
    pub fn run_dir(&self) -> PathBuf {
        self.root.path().join("run")
    }

    /// Writes a file below the heartbeat directory, creating parents.
    pub fn write(&self, relative: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.hb().join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, content).unwrap();
        path
    }

    /// Writes `<job>.last` (interval 300 s, host `web1`) written at `at`
    /// with run status `status`, in `sub` below the heartbeat directory
    /// (`""` for the directory itself).
    pub fn beat_in(&self, sub: &str, job: &str, at: &str, status: &str) -> PathBuf {
        let name = if sub.is_empty() {
            format!("{job}.last")
        } else {
            format!("{sub}/{job}.last")
        };
        self.write(&name, record(job, at, 300, status, ""))
    }

    /// Writes a heartbeat for `job` written at `at` with run status `status`.
    pub fn beat(&self, job: &str, at: &str, status: &str) -> PathBuf {
        self.beat_in("", job, at, status)
    }

    /// Writes a heartbeat for `job` that is stale at [`NOW`].
    pub fn stale(&self, job: &str) -> PathBuf {
        self.beat(job, OLD, "ok")
    }

    /// Writes a heartbeat for `job` that is ok at [`NOW`].
    pub fn ok(&self, job: &str) -> PathBuf {
        self.beat(job, FRESH, "ok")
    }

    /// Writes [`TOKEN`] to a file with `mode` outside the heartbeat
    /// directory; returns its path.
    pub fn token_file(&self, mode: u32) -> PathBuf {
        let dir = self.root().join("secret");
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("token");
        fs::write(&path, format!("{TOKEN}\n")).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
        path
    }

    /// The directory of the stand-ins made by [`Scratch::stand_in`]; put it
    /// first on a run's `PATH` (see [`Scratch::path_with_stand_ins`]).
    pub fn stand_ins(&self) -> PathBuf {
        self.root.path().join("stand-ins")
    }

    /// `PATH` with the stand-ins first, then `dirs`, then the system's
    /// programs ([`PATH`]).
    pub fn path_with_stand_ins(&self, dirs: &[&Path]) -> String {
        let mut path = vec![self.stand_ins().display().to_string()];
        path.extend(dirs.iter().map(|d| d.display().to_string()));
        path.push(PATH.to_owned());
        path.join(":")
    }

    /// Writes an executable `/bin/sh` script `name` with `body` into the
    /// stand-ins directory, a program of the test's own that takes the place
    /// of a system one (`sendmail`, `mail`, `cargo`); returns its path.
    pub fn stand_in(&self, name: &str, body: &str) -> PathBuf {
        let dir = self.stand_ins();
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        fs::write(&path, format!("#!/bin/sh\n{body}")).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    /// A command for `program` with a cleared environment: only `PATH`,
    /// `TZ=UTC`, `LC_ALL=C`, and `HOME`, `XDG_STATE_HOME` and
    /// `RUNTIME_DIRECTORY` pointing into the scratch area; it runs in the
    /// scratch root, stdin empty.
    pub fn cmd(&self, program: impl AsRef<OsStr>) -> Cmd {
        let mut command = Command::new(program);
        command
            .env_clear()
            .current_dir(self.root())
            .stdin(Stdio::null());
        let mut cmd = Cmd {
            command,
            env: Vec::new(),
            scratch: Some(self.root().to_owned()),
            stdin: None,
        };
        cmd = cmd
            .env("PATH", PATH)
            .env("TZ", "UTC")
            .env("LC_ALL", "C")
            .env("HOME", self.home())
            .env("XDG_STATE_HOME", self.state())
            .env("RUNTIME_DIRECTORY", self.run_dir());
        cmd
    }

    /// `hb-check` over the heartbeat directory (`HB_DIR`), with a boot
    /// time long past (`HB_BOOT_TIME`), so that no test's verdict hangs on
    /// when the machine running it booted.
    pub fn hb_check(&self) -> Cmd {
        self.cmd(HB_CHECK)
            .env("HB_DIR", self.hb())
            .env("HB_BOOT_TIME", "2000-01-01T00:00:00Z")
    }

    /// `hb-write` with no heartbeat directory set.
    pub fn hb_write(&self) -> Cmd {
        self.cmd(HB_WRITE)
    }

    /// `night-watch` over the heartbeat directory (`HB_DIR`), with a boot
    /// time long past, as [`Scratch::hb_check`].
    pub fn night_watch(&self) -> Cmd {
        self.cmd(NIGHT_WATCH)
            .env("HB_DIR", self.hb())
            .env("HB_BOOT_TIME", "2000-01-01T00:00:00Z")
    }
}

/// A command for a program that needs no scratch area (a peer checking a
/// file of the repository): cleared environment with `PATH`, `TZ` and
/// `LC_ALL` only.
pub fn peer_cmd(program: impl AsRef<OsStr>) -> Cmd {
    let mut command = Command::new(program);
    command.env_clear().stdin(Stdio::null());
    Cmd {
        command,
        env: Vec::new(),
        scratch: None,
        stdin: None,
    }
    .env("PATH", PATH)
    .env("TZ", "UTC")
    .env("LC_ALL", "C")
}

/// Asserts that `text` (an issue body, a comment) contains `part`, and
/// shows the whole text when it does not.
#[track_caller]
pub fn assert_has(text: &str, part: &str) {
    assert!(text.contains(part), "{part:?} is missing from:\n{text}");
}

/// Asserts that `text` begins with `start`, and shows the whole text when
/// it does not.
#[track_caller]
pub fn assert_starts(text: &str, start: &str) {
    assert!(
        text.starts_with(start),
        "{text:?} should begin with {start:?}"
    );
}

/// Every file below `dir`, relative to it, sorted; directories end in `/`.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut all = Vec::new();
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() && !path.is_symlink() {
                all.push(format!("{name}/"));
                all.extend(listing(&path).into_iter().map(|p| format!("{name}/{p}")));
            } else {
                all.push(name);
            }
        }
    }
    all.sort();
    all
}

/// A command about to run.
pub struct Cmd {
    command: Command,
    env: Vec<(String, OsString)>,
    scratch: Option<PathBuf>,
    stdin: Option<Vec<u8>>,
}

impl Cmd {
    pub fn args<I, S>(mut self, args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.command.args(args);
        self
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Cmd {
        self.command.arg(arg);
        self
    }

    /// Sets one variable (replacing an earlier value of the same name).
    pub fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Cmd {
        let value = value.as_ref().to_owned();
        self.command.env(key, &value);
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_owned(), value));
        self
    }

    /// Sets several variables.
    pub fn envs<K, V>(mut self, vars: impl IntoIterator<Item = (K, V)>) -> Cmd
    where
        K: AsRef<str>,
        V: AsRef<OsStr>,
    {
        for (k, v) in vars {
            self = self.env(k.as_ref(), v);
        }
        self
    }

    /// Removes a variable the builder set.
    pub fn env_remove(mut self, key: &str) -> Cmd {
        self.command.env_remove(key);
        self.env.retain(|(k, _)| k != key);
        self
    }

    /// Runs in `dir` instead of the scratch root.
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Cmd {
        self.command.current_dir(dir);
        self
    }

    /// Lists the files below `dir` on failure (the scratch root when the
    /// command came from a [`Scratch`]).
    pub fn list(mut self, dir: impl AsRef<Path>) -> Cmd {
        self.scratch = Some(dir.as_ref().to_owned());
        self
    }

    /// Feeds `bytes` on stdin.
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Cmd {
        self.stdin = Some(bytes.into());
        self
    }

    /// Runs as `nobody` (needs root).
    pub fn run_as_nobody(mut self) -> Cmd {
        self.command.uid(NOBODY).gid(NOBODY);
        self
    }

    /// Runs as the user `uid` with group `gid` (needs root).
    pub fn run_as(mut self, uid: u32, gid: u32) -> Cmd {
        self.command.uid(uid).gid(gid);
        self
    }

    /// The command line and its environment, as shown on failure (the
    /// test token shows as `<token>`).
    pub fn describe(&self) -> String {
        let envs: Vec<String> = self
            .env
            .iter()
            .map(|(k, v)| format!("{k}={:?}", v.to_string_lossy()))
            .collect();
        let args: Vec<String> = self
            .command
            .get_args()
            .map(|a| format!("{:?}", a.to_string_lossy()))
            .collect();
        let dir = self
            .command
            .get_current_dir()
            .map(|d| format!("(in {}) ", d.display()))
            .unwrap_or_default();
        format!(
            "{dir}env -i {} {} {}",
            envs.join(" "),
            self.command.get_program().to_string_lossy(),
            args.join(" ")
        )
        .replace(TOKEN, "<token>")
    }

    /// Starts the command in the background, its output piped; the
    /// description is for failure messages.
    pub fn spawn(mut self) -> (Child, String) {
        let shown = self.describe();
        if self.stdin.is_some() {
            self.command.stdin(Stdio::piped());
        }
        let mut child = self
            .command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start: {e}\n{shown}"));
        if let Some(bytes) = self.stdin.take() {
            let mut pipe = child.stdin.take().unwrap();
            pipe.write_all(&bytes).expect("write stdin");
        }
        (child, shown)
    }

    /// Runs the command to its end with its stdout going to `stdout` (a
    /// pipe whose reader is gone, say) instead of being captured; the
    /// outcome's stdout is empty.
    pub fn run_with_stdout(mut self, stdout: impl Into<Stdio>) -> Outcome {
        let shown = self.describe();
        let scratch = self.scratch.clone();
        let child = self
            .command
            .stdout(stdout)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start: {e}\n{shown}"));
        let output = child.wait_with_output().expect("wait for the program");
        Outcome::new(shown, scratch.as_deref(), output)
    }

    /// Runs the command to its end.
    pub fn run(self) -> Outcome {
        let scratch = self.scratch.clone();
        let (child, shown) = self.spawn();
        let output = child.wait_with_output().expect("wait for the program");
        Outcome::new(shown, scratch.as_deref(), output)
    }
}

/// What a finished command did.
pub struct Outcome {
    /// The exit code; `None` when a signal ended it.
    pub status: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    context: String,
}

impl Outcome {
    /// Wraps the output of a process started some other way.
    pub fn new(shown: String, scratch: Option<&Path>, output: std::process::Output) -> Outcome {
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let files = scratch.map_or_else(
            || "(no scratch area)".to_owned(),
            |dir| listing(dir).join("\n"),
        );
        let context = format!(
            "\n--- command\n{shown}\n--- exit\n{:?}\n--- stdout\n{stdout}\n--- stderr\n{stderr}\n--- files\n{files}\n",
            output.status,
        );
        Outcome {
            status: output.status.code(),
            stdout,
            stderr,
            context,
        }
    }

    /// The command, its output and the scratch files, for failure messages.
    pub fn show(&self) -> &str {
        &self.context
    }

    /// Asserts the exit code.
    #[track_caller]
    pub fn code(&self, want: i32) -> &Outcome {
        assert_eq!(
            self.status,
            Some(want),
            "unexpected exit code{}",
            self.context
        );
        self
    }

    /// Asserts that nothing at all was printed.
    #[track_caller]
    pub fn silent(&self) -> &Outcome {
        assert!(
            self.stdout.is_empty() && self.stderr.is_empty(),
            "expected no output{}",
            self.context
        );
        self
    }

    /// Asserts one line on stderr containing every one of `parts`, and
    /// nothing on stdout.
    #[track_caller]
    pub fn one_line_error(&self, parts: &[&str]) -> &Outcome {
        assert!(self.stdout.is_empty(), "expected no stdout{}", self.context);
        assert_eq!(
            self.stderr.lines().count(),
            1,
            "expected one line on stderr{}",
            self.context
        );
        for part in parts {
            assert!(
                self.stderr.contains(part),
                "stderr should contain {part:?}{}",
                self.context
            );
        }
        self
    }

    /// Asserts that stdout contains `part`.
    #[track_caller]
    pub fn stdout_has(&self, part: &str) -> &Outcome {
        assert!(
            self.stdout.contains(part),
            "stdout should contain {part:?}{}",
            self.context
        );
        self
    }

    /// Asserts that stderr contains `part`.
    #[track_caller]
    pub fn stderr_has(&self, part: &str) -> &Outcome {
        assert!(
            self.stderr.contains(part),
            "stderr should contain {part:?}{}",
            self.context
        );
        self
    }

    /// Asserts that the test [`TOKEN`] shows nowhere in what was printed.
    #[track_caller]
    pub fn no_token(&self) -> &Outcome {
        assert!(
            !self.stdout.contains(TOKEN) && !self.stderr.contains(TOKEN),
            "the token leaked{}",
            self.context
        );
        self
    }

    /// Asserts exit 0 and an empty stderr; returns stdout.
    #[track_caller]
    pub fn ok(&self) -> String {
        self.code(0);
        assert!(self.stderr.is_empty(), "expected no stderr{}", self.context);
        self.stdout.clone()
    }

    /// Asserts the exit code and an empty stdout; returns stderr.
    #[track_caller]
    pub fn fails(&self, code: i32) -> String {
        self.code(code);
        assert!(self.stdout.is_empty(), "expected no stdout{}", self.context);
        self.stderr.clone()
    }

    /// Parses stdout as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON: {e}{}", self.context))
    }
}
