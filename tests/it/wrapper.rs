//! The wrapper form, `hb-write JOB INTERVAL -- CMD`, run as a real process:
//! records, output tail and log, signals, maximum runtime, singletons.

use crate::harness;

use std::fs::{self, File};
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use harness::{Outcome, Scratch};
use serde_json::Value;

fn record(s: &Scratch, job: &str) -> Value {
    let path = s.hb().join(format!("{job}.last"));
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}: {text}", path.display()))
}

/// Runs `hb-write --dir <hb> <flags...> JOB 60 -- <command...>`.
fn wrap(s: &Scratch, flags: &[&str], job: &str, command: &[&str]) -> Outcome {
    start(s, flags, job, command).run()
}

fn start(s: &Scratch, flags: &[&str], job: &str, command: &[&str]) -> harness::Cmd {
    s.hb_write()
        .arg("--dir")
        .arg(s.hb())
        .args(flags)
        .args([job, "60", "--"])
        .args(command)
}

/// Waits up to 10 s for `check` to hold.
#[track_caller]
fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(10);
    while !check() {
        assert!(Instant::now() < until, "timed out waiting until {what}");
        thread::sleep(Duration::from_millis(20));
    }
}

fn status_of(s: &Scratch, job: &str) -> Option<String> {
    let text = fs::read_to_string(s.hb().join(format!("{job}.last"))).ok()?;
    let value: Value = serde_json::from_str(&text).ok()?;
    value["status"].as_str().map(str::to_owned)
}

/// Whether `pid` is gone (or a zombie nobody reaped yet).
fn dead(pid: u32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
    }
}

fn signal(pid: u32, sig: i32) {
    // SAFETY: kill takes plain integers.
    assert_eq!(unsafe { libc::kill(pid as i32, sig) }, 0, "kill {pid}");
}

fn finish(child: Child, shown: String) -> Outcome {
    Outcome::new(shown, None, child.wait_with_output().unwrap())
}

#[test]
fn a_failing_command_is_recorded_and_counted() {
    let s = Scratch::new();
    let out = wrap(&s, &[], "j", &["sh", "-c", "echo hi; exit 3"]);
    out.code(3);
    assert_eq!(out.stdout, "hi\n", "{}", out.show());
    assert_eq!(out.stderr, "", "{}", out.show());
    let r = record(&s, "j");
    assert_eq!(r["status"], "fail", "{r}");
    assert_eq!(r["exit_code"], 3, "{r}");
    assert_eq!(r["message"], "hi\n", "{r}");
    assert_eq!(r["consecutive_failures"], 1, "{r}");
    assert!(
        r["duration_seconds"].as_f64().is_some_and(|d| d >= 0.0),
        "{r}"
    );
    let started: DateTime<Utc> = r["started_at"].as_str().unwrap().parse().unwrap();
    assert!((Utc::now() - started).num_seconds().abs() < 60, "{r}");

    wrap(&s, &[], "j", &["sh", "-c", "echo again >&2; exit 1"]).code(1);
    let r = record(&s, "j");
    assert_eq!(r["consecutive_failures"], 2, "{r}");
    assert_eq!(r["message"], "again\n", "{r}");
    wrap(&s, &[], "j", &["true"]).code(0).silent();
    let r = record(&s, "j");
    assert_eq!(
        (&r["status"], &r["consecutive_failures"]),
        (&"ok".into(), &0.into())
    );
    let history = fs::read_to_string(s.hb().join("j.history")).unwrap();
    assert_eq!(
        history.lines().count(),
        3,
        "one line per finished run: {history}"
    );
    assert!(!history.contains("running"), "{history}");
}

#[test]
fn commands_that_cannot_start_exit_as_a_shell_would() {
    let s = Scratch::new();
    let out = wrap(&s, &[], "j", &["/no/such/cmd"]);
    out.code(127).stderr_has("cannot run `/no/such/cmd`");
    let r = record(&s, "j");
    assert_eq!(
        (&r["status"], &r["exit_code"]),
        (&"fail".into(), &127.into())
    );
    assert!(
        r["message"].as_str().unwrap().contains("No such file"),
        "{r}"
    );
    let script = s.root().join("not-executable");
    fs::write(&script, "#!/bin/sh\n").unwrap();
    wrap(&s, &[], "j", &[script.to_str().unwrap()]).code(126);
    assert_eq!(record(&s, "j")["consecutive_failures"], 2);
    // A usage error runs nothing.
    s.hb_write()
        .args([
            "--dir",
            s.hb().to_str().unwrap(),
            "--keep-output",
            "9KiB",
            "j",
            "60",
            "--",
            "true",
        ])
        .run()
        .one_line_error(&["--keep-output", "8KiB"])
        .code(2);
}

#[test]
fn a_run_is_running_then_hung_past_its_maximum() {
    let s = Scratch::new();
    let (child, shown) = start(&s, &["--max-runtime", "2h"], "slow", &["sleep", "5"]).spawn();
    wait_until("the record says running", || {
        status_of(&s, "slow").as_deref() == Some("running")
    });
    let r = record(&s, "slow");
    assert_eq!(r["max_runtime_seconds"], 7200, "{r}");
    let started: DateTime<Utc> = r["started_at"].as_str().unwrap().parse().unwrap();
    let at = |secs: i64| (started + chrono::Duration::seconds(secs)).to_rfc3339();
    let within = s.hb_check().args(["--verbose", "--now", &at(1800)]).run();
    within.code(0).stdout_has("slow running");
    within.stdout_has("running for 30m, within its maximum of 2h");
    let hung = s.hb_check().args(["--now", &at(3 * 3600 + 600)]).run();
    hung.code(2)
        .stdout_has("running for 3h 10m, longer than its maximum of 2h: hung?");
    let json = s
        .night_watch()
        .args(["--format", "json", "--now", &at(60)])
        .run();
    assert!(json.stdout.contains("\"running\""), "{}", json.show());
    // Without --max-runtime the maximum is the factor x the interval.
    let out = finish(child, shown);
    out.code(0);
    assert_eq!(status_of(&s, "slow").as_deref(), Some("ok"));
}

/// A wrapper's memory, from `/proc/<pid>/status`, in KiB.
#[derive(Debug, Default, Clone, Copy)]
struct Memory {
    /// VmHWM: the peak resident size so far.
    peak: u64,
    /// RssFile: resident pages mapped from files (the executable and the
    /// libraries), shared with every process running them.
    file: u64,
}

fn memory_of(pid: u32) -> Option<Memory> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    };
    Some(Memory {
        peak: field("VmHWM:")?,
        file: field("RssFile:")?,
    })
}

/// Runs the wrapper, reading its stdout, and returns its memory as last
/// read before it exited (after all the output went through) and how many
/// bytes it printed.
fn memory_while(s: &Scratch, flags: &[&str], job: &str, command: &[&str]) -> (Memory, usize) {
    let (mut child, shown) = start(s, flags, job, command).spawn();
    let pid = child.id();
    let mut stdout = child.stdout.take().unwrap();
    let reader = thread::spawn(move || {
        let mut total = 0usize;
        let mut buf = vec![0u8; 65536];
        loop {
            match stdout.read(&mut buf) {
                Ok(0) | Err(_) => return total,
                Ok(n) => total += n,
            }
        }
    });
    let mut last = None;
    while child.try_wait().unwrap().is_none() {
        last = memory_of(pid).or(last);
        thread::sleep(Duration::from_millis(50));
    }
    let printed = reader.join().unwrap();
    finish(child, shown).code(0);
    (last.expect("the wrapper's memory was read"), printed)
}

#[test]
fn ten_megabytes_of_output_keep_only_the_tail_in_little_memory() {
    let s = Scratch::new();
    let small = "echo small; sleep 1";
    let flags = ["--log", "--log-max", "1MiB"];
    let (baseline, _) = memory_while(&s, &flags, "small", &["sh", "-c", small]);
    let script = "head -c 10000000 /dev/zero | tr '\\0' x; printf 'THE END \\303\\251\\n'; sleep 1";
    let (big, printed) = memory_while(&s, &flags, "big", &["sh", "-c", script]);
    assert_eq!(
        printed,
        10_000_000 + "THE END é\n".len(),
        "every byte passed through"
    );
    // The executable's own pages (a debug build is large) are the same
    // whatever the output; what the wrapper allocates must not grow with it.
    let own = big.peak.saturating_sub(big.file);
    let own_before = baseline.peak.saturating_sub(baseline.file);
    eprintln!(
        "wrapper printing 10 MB: peak {} KiB, of it {} KiB file pages, {own} KiB its own; printing 6 bytes: {own_before} KiB its own",
        big.peak, big.file
    );
    assert!(
        own < 8 * 1024,
        "the wrapper's own peak {own} KiB is not under 8 MiB"
    );
    assert!(
        own < own_before + 512,
        "10 MB of output grew the wrapper's own peak from {own_before} KiB to {own} KiB"
    );
    let r = record(&s, "big");
    let message = r["message"].as_str().unwrap();
    assert!(message.ends_with("xxxxTHE END é\n"), "{message:?}");
    assert!(
        message.len() <= 4096 && message.len() > 4000,
        "{}",
        message.len()
    );
    let log = fs::read(s.hb().join("big.log")).unwrap();
    assert!(
        log.len() < (1 << 20) + 200,
        "the log is capped: {}",
        log.len()
    );
    assert!(String::from_utf8_lossy(&log).ends_with("more bytes were not kept]\n"));
    assert_eq!(
        fs::metadata(s.hb().join("big.log")).unwrap().mode() & 0o777,
        0o600
    );
    // The next run's log replaces it; this one is kept as .log.1.
    wrap(&s, &["--log"], "big", &["echo", "second"]).code(0);
    assert_eq!(
        fs::read_to_string(s.hb().join("big.log")).unwrap(),
        "second\n"
    );
    assert_eq!(fs::read(s.hb().join("big.log.1")).unwrap(), log);
}

#[test]
fn sigterm_reaches_the_command_and_its_children() {
    let s = Scratch::new();
    let pids = s.root().join("pids");
    let script = format!("sleep 300 & echo $! > {}; sleep 300", pids.display());
    let (child, shown) = start(&s, &[], "t", &["sh", "-c", &script]).spawn();
    wait_until("the background sleep started", || {
        fs::read_to_string(&pids).is_ok_and(|t| t.ends_with('\n'))
    });
    let grandchild: u32 = fs::read_to_string(&pids).unwrap().trim().parse().unwrap();
    signal(child.id(), libc::SIGTERM);
    let out = finish(child, shown);
    out.code(128 + libc::SIGTERM);
    wait_until("the grandchild is gone", || dead(grandchild));
    let r = record(&s, "t");
    assert_eq!(
        (&r["status"], &r["exit_code"]),
        (&"fail".into(), &143.into())
    );
    let message = r["message"].as_str().unwrap();
    assert!(message.contains("received SIGTERM"), "{message}");
    assert!(message.contains("ended by SIGTERM"), "{message}");
}

#[test]
fn a_signal_just_before_the_command_ends_still_reaches_it() {
    // The command traps SIGTERM and would end on its own 100 ms after the
    // signal: passed on as it comes, the trap runs first. A wrapper that
    // looked for signals only now and then (every 250 ms) let most such
    // runs end ok; three rounds make that all but certain to show.
    for round in 0..3 {
        let s = Scratch::new();
        let (ready, go) = (s.root().join("ready"), s.root().join("go"));
        let script = format!(
            "trap 'echo got TERM; exit 3' TERM; : > {}; while [ ! -e {} ]; do sleep 0.01; done; echo finished",
            ready.display(),
            go.display()
        );
        let (child, shown) = start(&s, &[], "t", &["sh", "-c", &script]).spawn();
        wait_until("the command set its trap", || ready.exists());
        signal(child.id(), libc::SIGTERM);
        std::thread::sleep(std::time::Duration::from_millis(100));
        fs::write(&go, "").unwrap();
        finish(child, shown).code(3);
        let message = record(&s, "t")["message"].as_str().unwrap().to_owned();
        assert!(message.contains("got TERM"), "round {round}: {message}");
        assert!(!message.contains("finished"), "round {round}: {message}");
    }
}

#[test]
fn kill_after_ends_a_run_past_its_maximum() {
    let s = Scratch::new();
    let began = Instant::now();
    let out = wrap(
        &s,
        &["--max-runtime", "1s", "--kill-after"],
        "k",
        &["sleep", "30"],
    );
    out.code(143);
    assert!(
        began.elapsed() < Duration::from_secs(20),
        "ended, not waited out"
    );
    let r = record(&s, "k");
    assert_eq!(r["status"], "fail");
    let message = r["message"].as_str().unwrap();
    assert!(
        message.contains("past its maximum runtime of 1s (SIGTERM)"),
        "{message}"
    );
}

#[test]
fn kill_after_escalates_to_sigkill() {
    let s = Scratch::new();
    let out = wrap(
        &s,
        &["--max-runtime", "1s", "--kill-after"],
        "k",
        &["sh", "-c", "trap '' TERM; sleep 60"],
    );
    out.code(128 + libc::SIGKILL);
    let message = record(&s, "k")["message"].as_str().unwrap().to_owned();
    assert!(
        message.contains("SIGTERM, then SIGKILL 10s later"),
        "{message}"
    );
}

fn sleeper_pid(s: &Scratch, file: &str) -> u32 {
    let path = s.root().join(file);
    wait_until("the sleeper wrote its pid", || {
        fs::read_to_string(&path).is_ok_and(|t| t.ends_with('\n'))
    });
    fs::read_to_string(&path).unwrap().trim().parse().unwrap()
}

#[test]
fn singleton_skip_runs_nothing_and_replace_ends_the_old_group() {
    let s = Scratch::new();
    let script = format!("echo $$ > {}/old.pid; exec sleep 300", s.root().display());
    let (old, old_shown) =
        start(&s, &["--singleton", "skip"], "one", &["sh", "-c", &script]).spawn();
    let sleeper = sleeper_pid(&s, "old.pid");
    let ran = s.root().join("ran");
    let touch = format!("touch {}", ran.display());
    let skipped = wrap(&s, &["--singleton", "skip"], "one", &["sh", "-c", &touch]);
    skipped.code(0).stderr_has("skipped this run");
    assert!(!ran.exists(), "a skipped run runs nothing");
    assert_eq!(status_of(&s, "one").as_deref(), Some("running"));
    assert_eq!(
        record(&s, "one")["pid"],
        old.id(),
        "the running record is left alone"
    );

    let replaced = wrap(
        &s,
        &["--singleton", "replace"],
        "one",
        &["sh", "-c", &touch],
    );
    replaced.code(0);
    assert!(ran.exists(), "the new run ran");
    assert!(dead(sleeper), "the old group is gone");
    finish(old, old_shown).code(143);
    assert_eq!(status_of(&s, "one").as_deref(), Some("ok"));
}

#[test]
fn a_killed_wrappers_command_keeps_the_lock_and_replace_signals_only_a_real_holder() {
    let s = Scratch::new();
    let script = format!(
        "echo $$ > {}/orphan.pid; exec sleep 300",
        s.root().display()
    );
    let (mut wrapper, _) =
        start(&s, &["--singleton", "skip"], "two", &["sh", "-c", &script]).spawn();
    let orphan = sleeper_pid(&s, "orphan.pid");
    wrapper.kill().unwrap();
    wrapper.wait().unwrap();
    let ran = s.root().join("ran");
    let touch = format!("touch {}", ran.display());
    // The killed wrapper's command still runs, and still holds the lock.
    wrap(&s, &["--singleton", "skip"], "two", &["sh", "-c", &touch])
        .code(0)
        .stderr_has("skipped this run");
    assert!(!ran.exists(), "no second copy beside the orphaned command");
    // Once it ends, nothing is left locked.
    signal(orphan, libc::SIGKILL);
    wait_until("the orphan is gone", || dead(orphan));
    wrap(&s, &["--singleton", "skip"], "two", &["sh", "-c", &touch]).code(0);
    assert!(ran.exists(), "a dead wrapper's lock does not block");

    // A lock held by a process that is not the wrapper the lock file names:
    // replace must not signal the group written there.
    let mut bystander = Command::new("sleep")
        .arg("300")
        .process_group(0)
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let lock = File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(s.hb().join(".two.lock"))
        .unwrap();
    lock.lock().unwrap();
    fs::write(s.hb().join(".two.lock"), format!("1 {}\n", bystander.id())).unwrap();
    let refused = wrap(&s, &["--singleton", "replace"], "two", &["true"]);
    refused.code(0).stderr_has("not replacing");
    assert!(!dead(bystander.id()), "the bystander was not signalled");
    bystander.kill().unwrap();
    bystander.wait().unwrap();
    drop(lock);
    assert!(Path::new(&s.hb().join(".two.lock")).exists());
}

/// A command that runs until the file `go` appears in the scratch root (at
/// most 60 s), then fails.
fn fail_when_told(s: &Scratch) -> String {
    let go = s.root().join("go");
    format!(
        "i=0; while [ ! -e {} ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done; exit 1",
        go.display()
    )
}

#[test]
fn a_run_after_a_failure_is_failed_while_it_runs() {
    let s = Scratch::new();
    wrap(&s, &[], "sync", &["sh", "-c", "echo no route; exit 1"]).code(1);
    let first = s.hb_check().arg("--changes-only").run();
    first.code(2).stdout_has("sync failed");
    let script = fail_when_told(&s);
    let (child, shown) = start(&s, &[], "sync", &["sh", "-c", &script]).spawn();
    wait_until("the record says running", || {
        status_of(&s, "sync").as_deref() == Some("running")
    });
    let r = record(&s, "sync");
    assert_eq!(r["last"]["status"], "fail", "{r}");
    assert_eq!(r["last"]["exit_code"], 1, "{r}");
    assert_eq!(r["last"]["message"], "no route\n", "{r}");
    assert_eq!(r["last"]["consecutive_failures"], 1, "{r}");
    // Still failed while the next run is in progress, never "recovered".
    let during = s.hb_check().arg("--verbose").run();
    during.code(2).stdout_has("sync failed");
    during.stdout_has("the last run reported failure (exit code 1); running again since ");
    let quiet = s.hb_check().arg("--changes-only").run();
    quiet.code(2);
    assert!(!quiet.stdout.contains("recovered"), "{}", quiet.show());
    assert_eq!(quiet.stdout, "", "{}", quiet.show());
    // Below the threshold it is a warning, as a finished failure is.
    s.hb_check()
        .args(["--alert-after", "3"])
        .run()
        .code(1)
        .stdout_has("sync failing");
    let json = s.night_watch().args(["--format", "json"]).run();
    assert!(json.stdout.contains("\"failed\""), "{}", json.show());
    fs::write(s.root().join("go"), "").unwrap();
    finish(child, shown).code(1);
    assert_eq!(record(&s, "sync")["consecutive_failures"], 2);
    let after = s.hb_check().arg("--changes-only").run();
    assert!(!after.stdout.contains("recovered"), "{}", after.show());
}

#[test]
fn a_run_whose_wrapper_was_killed_is_stale_not_running() {
    let s = Scratch::new();
    let script = format!("echo $$ > {}/job.pid; exec sleep 300", s.root().display());
    let (mut wrapper, _shown) = start(&s, &[], "gone", &["sh", "-c", &script]).spawn();
    let sleeper = sleeper_pid(&s, "job.pid");
    s.hb_check().run().code(0);
    wrapper.kill().unwrap();
    wrapper.wait().unwrap();
    // SAFETY: the test's own child's process group.
    unsafe { libc::kill(-(sleeper as i32), libc::SIGKILL) };
    assert_eq!(status_of(&s, "gone").as_deref(), Some("running"));
    let out = s.hb_check().run();
    out.code(2)
        .stdout_has("gone stale: ")
        .stdout_has("wrapper gone: the run started");
}

#[test]
fn bad_monitoring_variables_warn_once_and_the_job_still_runs() {
    let s = Scratch::new();
    let bad = [
        (
            "HB_PING_URL",
            "htps://hc.example.com/ping/secret-check-uuid",
        ),
        ("HB_FACTOR", "1"),
        ("HB_PING_STYLE", "kuma"),
        ("HB_SCHEDULE", "61 * * * *"),
    ];
    let out = start(&s, &[], "envy", &["sh", "-c", "echo ran"])
        .envs(bad)
        .run();
    out.code(0);
    assert_eq!(out.stdout, "ran\n", "{}", out.show());
    assert_eq!(record(&s, "envy")["status"], "ok", "{}", out.show());
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), bad.len(), "one line each{}", out.show());
    for (name, _) in bad {
        let line = lines
            .iter()
            .find(|l| l.contains(&format!("`{name}`")))
            .unwrap_or_else(|| panic!("no warning for {name}{}", out.show()));
        harness::assert_starts(line, &format!("hb-write: warning: ignoring `{name}`"));
    }
    harness::assert_has(&out.stderr, "`HB_PING_URL` (htps://hc.example.com): ");
    assert!(!out.stderr.contains("secret"), "{}", out.show());

    // Plain hb-write writes its heartbeat all the same.
    let plain = s
        .hb_write()
        .arg("--dir")
        .arg(s.hb())
        .envs(bad)
        .args(["plain", "1h"])
        .run();
    plain.code(0);
    assert_eq!(record(&s, "plain")["status"], "ok", "{}", plain.show());

    // The same values given as flags are still usage errors, the URL's
    // path unsaid.
    for flags in [
        &["--factor", "1"][..],
        &["--ping", "htps://hc.example.com/ping/secret-check-uuid"],
        &["--ping-style", "kuma"],
    ] {
        let out = start(&s, flags, "flagged", &["touch", "ran"]).run();
        out.code(2);
        assert!(!out.stderr.contains("secret"), "{}", out.show());
    }
    assert!(!s.root().join("ran").exists());
}

/// Whether `pid` has `path` open: a wrapper opens its lock well after it
/// has blocked the signals it takes itself.
fn has_open(pid: u32, path: &Path) -> bool {
    fs::read_dir(format!("/proc/{pid}/fd")).is_ok_and(|fds| {
        fds.flatten()
            .any(|fd| fs::read_link(fd.path()).is_ok_and(|target| target == path))
    })
}

#[test]
fn sigterm_ends_a_wait_for_the_lock_at_once_and_runs_nothing() {
    let s = Scratch::new();
    let script = format!(
        "echo $$ > {}/holder.pid; exec sleep 300",
        s.root().display()
    );
    let (holder, holder_shown) =
        start(&s, &["--singleton", "wait"], "w", &["sh", "-c", &script]).spawn();
    sleeper_pid(&s, "holder.pid");
    let ran = s.root().join("ran");
    let (waiter, shown) = start(
        &s,
        &["--singleton", "wait"],
        "w",
        &["touch", ran.to_str().unwrap()],
    )
    .spawn();
    let lock = s.hb().join(".w.lock");
    wait_until("the waiter waits for the lock", || {
        has_open(waiter.id(), &lock)
    });
    signal(waiter.id(), libc::SIGTERM);
    // Without the fix the waiter sat out its whole wait (the interval) and
    // ran the command, the signal still pending for it.
    let out = finish(waiter, shown);
    out.code(143)
        .stderr_has("received SIGTERM while waiting for the job's lock");
    signal(holder.id(), libc::SIGTERM);
    finish(holder, holder_shown).code(143);
    assert!(!ran.exists(), "the command never ran");
}

#[test]
fn sigterm_during_the_end_ping_ends_the_wrapper_at_once() {
    let s = Scratch::new();
    // Takes connections (the kernel does) and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/ping/x", silent.local_addr().unwrap());
    let (child, shown) = start(&s, &[], "p", &["true"])
        .env("HB_PING_URL", &url)
        .spawn();
    wait_until("the run is recorded", || {
        status_of(&s, "p").as_deref() == Some("ok")
    });
    signal(child.id(), libc::SIGTERM);
    let out = finish(child, shown);
    out.code(143).stderr_has("received SIGTERM while pinging");
    assert!(!out.stderr.contains("/ping/x"), "{}", out.show());
}

#[test]
fn what_the_command_leaves_in_the_background_does_not_keep_the_lock() {
    let s = Scratch::new();
    let script = format!(
        "sleep 300 >/dev/null 2>&1 & echo $! > {}/bg.pid",
        s.root().display()
    );
    wrap(&s, &["--singleton", "skip"], "bg", &["sh", "-c", &script]).code(0);
    let background = sleeper_pid(&s, "bg.pid");
    let ran = s.root().join("ran");
    wrap(
        &s,
        &["--singleton", "skip"],
        "bg",
        &["touch", ran.to_str().unwrap()],
    )
    .code(0);
    signal(background, libc::SIGKILL);
    assert!(ran.exists(), "the next run ran");
}

#[test]
fn a_background_process_that_keeps_stdout_outlives_the_wrapper() {
    let s = Scratch::new();
    let root = s.root().display().to_string();
    // Like `nohup worker &`: it keeps the job's stdout and writes to it
    // after the job, and the wrapper, have ended.
    let worker =
        format!("while [ ! -e {root}/go ]; do sleep 0.05; done; echo late; touch {root}/done");
    let script = format!("sh -c '{worker}' & echo $! > {root}/worker.pid; echo early");
    let (mut wrapper, shown) = start(&s, &[], "bg", &["sh", "-c", &script]).spawn();
    let worker = sleeper_pid(&s, "worker.pid");
    let status = wrapper.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{shown}");
    assert_eq!(status_of(&s, "bg").as_deref(), Some("ok"));
    fs::write(s.root().join("go"), "").unwrap();
    let done = s.root().join("done");
    wait_until("the worker finished or died", || {
        done.exists() || dead(worker)
    });
    assert!(
        done.exists(),
        "the worker died writing to the output the wrapper had given it"
    );
    let mut stdout = String::new();
    wrapper
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    assert_eq!(stdout, "early\nlate\n", "its output still goes to cron");
}

#[test]
fn patterns_over_ten_megabytes_without_a_newline_keep_memory_bounded() {
    let s = Scratch::new();
    let flags = [
        "--fail-on",
        "ERROR",
        "--ok-on",
        "THE END",
        "--fail-on-stderr",
    ];
    let (baseline, _) = memory_while(&s, &flags, "small", &["sh", "-c", "echo THE END; sleep 1"]);
    let script = "head -c 10000000 /dev/zero | tr '\\0' x; printf 'THE END'; sleep 1";
    let (big, printed) = memory_while(&s, &flags, "big", &["sh", "-c", script]);
    assert_eq!(printed, 10_000_000 + "THE END".len());
    let own = big.peak.saturating_sub(big.file);
    let own_before = baseline.peak.saturating_sub(baseline.file);
    eprintln!("wrapper matching 10 MB on one line: {own} KiB its own; 8 bytes: {own_before} KiB");
    assert!(
        own < own_before + 512,
        "10 MB on one line grew the wrapper's own peak from {own_before} KiB to {own} KiB"
    );
    // The pattern at the very end was still seen: the run is ok.
    assert_eq!(record(&s, "big")["status"], "ok");
}
