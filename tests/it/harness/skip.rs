//! Visible skips. A test that cannot run because a peer program or an API
//! description is missing says so on the terminal, tagged with its name, with
//! or without `--nocapture`; under `CI` it fails instead, since CI installs
//! every peer (see `.ci/run`).
//!
//! cargo counts a skipped test as passed, so every skip is also kept, and
//! when the test binary exits (after cargo's `test result:` line) it prints
//! `skipped: N tests` (0 too) with each test's name and reason, where a
//! reader of the run sees it.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Mutex, Once};

/// Every skip of this run: the test's name and why.
static SKIPS: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

/// Registers the summary, once: every run that makes a scratch area ends
/// with the count, `skipped: 0 tests` included, so a reader sees it.
pub fn count_at_exit() {
    static AT_EXIT: Once = Once::new();
    AT_EXIT.call_once(|| {
        // SAFETY: `summary` is an `extern "C" fn()` that never unwinds (it
        // only prints, ignoring errors).
        unsafe { libc::atexit(summary) };
    });
}

/// Keeps a skip for the summary.
fn remember(name: &str, why: &str) {
    count_at_exit();
    if let Ok(mut skips) = SKIPS.lock() {
        skips.push((name.to_owned(), why.to_owned()));
    }
}

/// Prints the skips of this run, one line each, after the harness's own
/// summary: the test binary is exiting.
extern "C" fn summary() {
    let skips = match SKIPS.lock() {
        Ok(skips) => skips,
        Err(poisoned) => poisoned.into_inner(),
    };
    let mut text = format!(
        "\nskipped: {} test{} (counted as passed above; under CI a skip fails):\n",
        skips.len(),
        if skips.len() == 1 { "" } else { "s" }
    );
    for (name, why) in skips.iter() {
        text.push_str(&format!("  {name}: {why}\n"));
    }
    let _ = std::io::stderr().write_all(text.as_bytes());
}

/// Skips the calling test: prints `SKIPPED <test>: <why>` straight to the
/// process's stderr (past the test harness's capture, so it shows in the
/// test's result line), or panics when `CI` is set.
#[track_caller]
pub fn skip(why: &str) {
    let thread = std::thread::current();
    let name = thread.name().unwrap_or("a test");
    assert!(
        std::env::var_os("CI").is_none(),
        "{name} cannot run under CI: {why}"
    );
    remember(name, why);
    let _ = writeln!(std::io::stderr(), "SKIPPED {name}: {why}");
}

/// Whether `program` starts (run with `args`, output discarded); when it
/// does not, the test skips visibly (see [`skip`]) naming the Debian package
/// that brings it.
#[track_caller]
pub fn peer(program: &str, args: &[&str], package: &str) -> bool {
    let found = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        skip(&format!(
            "`{program}` is not installed (Debian package `{package}`; see .ci/run)"
        ));
    }
    found
}

/// Whether the file at `path` exists; when it does not, the test skips
/// visibly, saying which variable names another place.
#[track_caller]
pub fn file(path: &Path, what: &str, variable: &str) -> bool {
    let found = path.is_file();
    if !found {
        skip(&format!(
            "{what} {} is missing (set {variable})",
            path.display()
        ));
    }
    found
}
