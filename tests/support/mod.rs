//! What the integration tests share: a fake forge, the API checker, and a
//! way to run the real hb-check over a temporary heartbeat directory.

#![allow(dead_code)]

pub mod forge;
pub mod swagger;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A distinctive token, so that a leak is easy to find.
pub const TOKEN: &str = "hbtok-Zq7XW3vKp9-leakcheck";

/// The instant every run judges at.
pub const NOW: &str = "2026-11-22T04:00:00Z";

/// A heartbeat written at this time is stale at [`NOW`] (interval 300 s).
pub const OLD: &str = "2026-11-22T03:00:05Z";

/// A heartbeat written at this time is ok at [`NOW`].
pub const FRESH: &str = "2026-11-22T03:59:00Z";

/// A temporary heartbeat directory.
pub struct Dir {
    pub tmp: tempfile::TempDir,
}

impl Dir {
    pub fn new() -> Dir {
        Dir {
            tmp: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    /// Writes a heartbeat for `job`, written at `at`, with run status `status`.
    pub fn beat(&self, job: &str, at: &str, status: &str) {
        let record = format!(
            r#"{{"version":1,"job":"{job}","timestamp":"{at}","interval_seconds":300,"host":"web1","pid":1,"status":"{status}"}}"#
        );
        std::fs::write(self.path().join(format!("{job}.last")), record).unwrap();
    }

    /// Writes a stale heartbeat for `job`.
    pub fn stale(&self, job: &str) {
        self.beat(job, OLD, "ok");
    }

    /// Writes a fresh, ok heartbeat for `job`.
    pub fn ok(&self, job: &str) {
        self.beat(job, FRESH, "ok");
    }

    /// Writes a token file with `mode`; returns its path.
    pub fn token_file(&self, mode: u32) -> PathBuf {
        let dir = self.path().join("secret");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("token");
        std::fs::write(&path, format!("{TOKEN}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path
    }
}

/// One finished run of hb-check.
pub struct Run {
    pub command: String,
    pub output: Output,
}

impl Run {
    pub fn code(&self) -> i32 {
        self.output.status.code().unwrap_or(-1)
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// Everything shown, for failure messages.
    pub fn show(&self) -> String {
        format!(
            "command: {}\nexit: {:?}\n--- stdout ---\n{}--- stderr ---\n{}",
            self.command,
            self.output.status.code(),
            self.stdout(),
            self.stderr()
        )
    }

    pub fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(self.code(), code, "unexpected exit code\n{}", self.show());
        self
    }

    /// Fails when the token shows anywhere in what the run printed.
    pub fn expect_no_token(&self) -> &Run {
        assert!(
            !self.stdout().contains(TOKEN) && !self.stderr().contains(TOKEN),
            "the token leaked\n{}",
            self.show()
        );
        self
    }
}

/// hb-check with a cleared environment, the heartbeat directory, `--now`,
/// and the given `HB_*` variables.
pub fn hb_check(dir: &Dir, env: &[(&str, &str)], args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hb-check"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .env("HB_DIR", dir.path())
        .env("HB_NOW", NOW);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(args);
    cmd
}

/// Runs a command and keeps what it printed.
pub fn run(mut cmd: Command) -> Run {
    let mut command = format!("{}", cmd.get_program().to_string_lossy());
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            command = format!("{}={} {command}", k.to_string_lossy(), v.to_string_lossy());
        }
    }
    for a in cmd.get_args() {
        command.push(' ');
        command.push_str(&a.to_string_lossy());
    }
    let command = command.replace(TOKEN, "<token>");
    let output = cmd.output().expect("hb-check runs");
    Run { command, output }
}
