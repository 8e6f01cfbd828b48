//! What the integration tests share: running a real binary with a pinned
//! environment, and showing what ran and what came out when a check fails.

#![allow(dead_code)]

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The uid and gid tests switch to when they run as root and need a
/// permission check to bite (root ignores file modes): `nobody`.
pub const NOBODY: u32 = 65534;

/// Whether this test process runs as root.
pub fn is_root() -> bool {
    fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
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

/// A scratch area: a heartbeat directory, a home and a state directory, all
/// below one temporary directory that other users may enter (so a run as
/// `nobody` reaches it).
pub struct Scratch {
    root: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Scratch {
        let root = tempfile::tempdir().expect("temporary directory");
        fs::set_permissions(root.path(), fs::Permissions::from_mode(0o755)).unwrap();
        for sub in ["hb", "home", "state"] {
            fs::create_dir(root.path().join(sub)).unwrap();
        }
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

    /// Writes a file below the heartbeat directory, creating parents.
    pub fn write(&self, relative: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.hb().join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, content).unwrap();
        path
    }

    /// A command for `program` with a cleared environment: only PATH, and
    /// HOME and XDG_STATE_HOME pointing into the scratch area.
    pub fn cmd(&self, program: &str) -> Run {
        let mut command = Command::new(program);
        command
            .env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("HOME", self.home())
            .env("XDG_STATE_HOME", self.state())
            .current_dir(self.root.path())
            .stdin(Stdio::null());
        Run {
            command,
            scratch: self.root.path().to_owned(),
        }
    }
}

/// Every file below `dir`, relative to it, sorted.
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
pub struct Run {
    command: Command,
    scratch: PathBuf,
}

impl Run {
    pub fn args<I, S>(mut self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.command.args(args);
        self
    }

    pub fn arg(mut self, arg: impl AsRef<std::ffi::OsStr>) -> Run {
        self.command.arg(arg);
        self
    }

    pub fn env(mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> Run {
        self.command.env(key, value);
        self
    }

    /// Runs as `nobody` (needs root).
    pub fn run_as_nobody(mut self) -> Run {
        self.command.uid(NOBODY).gid(NOBODY);
        self
    }

    fn describe(&self) -> String {
        let envs: Vec<String> = self
            .command
            .get_envs()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    k.to_string_lossy(),
                    v.unwrap_or_default().to_string_lossy()
                )
            })
            .collect();
        let args: Vec<String> = self
            .command
            .get_args()
            .map(|a| format!("{:?}", a.to_string_lossy()))
            .collect();
        format!(
            "{} {} {}",
            envs.join(" "),
            self.command.get_program().to_string_lossy(),
            args.join(" ")
        )
    }

    /// Starts the command in the background, its output piped.
    pub fn spawn(mut self) -> (Child, String) {
        let shown = self.describe();
        let child = self
            .command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the binary");
        (child, shown)
    }

    /// Runs the command to its end.
    pub fn run(mut self) -> Outcome {
        let shown = self.describe();
        let output = self.command.output().expect("run the binary");
        Outcome::new(shown, &self.scratch, output)
    }
}

/// What a finished command did.
pub struct Outcome {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    context: String,
}

impl Outcome {
    pub fn new(shown: String, scratch: &Path, output: std::process::Output) -> Outcome {
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let context = format!(
            "\n--- command\n{shown}\n--- exit\n{:?}\n--- stdout\n{stdout}\n--- stderr\n{stderr}\n--- files\n{}\n",
            output.status.code(),
            listing(scratch).join("\n")
        );
        Outcome {
            code: output.status.code(),
            stdout,
            stderr,
            context,
        }
    }

    /// The command, its output and the scratch files, for failure messages.
    pub fn context(&self) -> &str {
        &self.context
    }

    /// Asserts the exit code.
    pub fn code(&self, want: i32) -> &Outcome {
        assert_eq!(
            self.code,
            Some(want),
            "unexpected exit code{}",
            self.context
        );
        self
    }

    /// Asserts that nothing at all was printed.
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
    pub fn stdout_has(&self, part: &str) -> &Outcome {
        assert!(
            self.stdout.contains(part),
            "stdout should contain {part:?}{}",
            self.context
        );
        self
    }

    /// Parses stdout as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON: {e}{}", self.context))
    }
}
