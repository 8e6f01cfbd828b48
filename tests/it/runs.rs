//! Runs that lie: the wrapper's rules beyond the exit code (allowed exit
//! codes, output on stderr, patterns in the output, a minimum runtime) and
//! its retries, through the real binaries: the record, the exit code,
//! hb-check's status and its words, the history and the end ping.

use crate::harness;

use std::fs;
use std::os::unix::fs::MetadataExt;

use harness::pings::{Answer, PingServer};
use harness::Scratch;
use serde_json::Value;

fn record(s: &Scratch, job: &str) -> Value {
    let path = s.hb().join(format!("{job}.last"));
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}: {text}", path.display()))
}

fn history(s: &Scratch, job: &str) -> Vec<Value> {
    let text = fs::read_to_string(s.hb().join(format!("{job}.history"))).unwrap_or_default();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Runs `hb-write --dir <hb> <flags...> JOB 60 -- sh -c SCRIPT`.
fn wrap(s: &Scratch, flags: &[&str], job: &str, script: &str) -> harness::Outcome {
    s.hb_write()
        .arg("--dir")
        .arg(s.hb())
        .args(flags)
        .args([job, "60", "--", "sh", "-c", script])
        .run()
}

/// The record's status, exit code and reason.
fn said(r: &Value) -> (String, i64, Option<String>) {
    (
        r["status"].as_str().unwrap_or_default().to_owned(),
        r["exit_code"].as_i64().unwrap_or(-1),
        r["reason"].as_str().map(str::to_owned),
    )
}

#[test]
fn rsyncs_vanished_files_are_a_success_with_ok_exit_codes() {
    let s = Scratch::new();
    let out = wrap(&s, &["--ok-exit-codes", "0,24"], "sync", "exit 24");
    out.code(24);
    assert_eq!(said(&record(&s, "sync")), ("ok".into(), 24, None));
    assert_eq!(record(&s, "sync")["consecutive_failures"], 0);
    s.hb_check()
        .arg("--verbose")
        .run()
        .code(0)
        .stdout_has("sync");
    // Any other code still fails.
    wrap(&s, &["--ok-exit-codes", "0,24"], "sync", "exit 23").code(23);
    assert_eq!(said(&record(&s, "sync")), ("fail".into(), 23, None));
    s.hb_check()
        .arg("--verbose")
        .run()
        .code(2)
        .stdout_has("the last run reported failure (exit code 23)");
    wrap(&s, &["--ok-exit-codes", "0,256"], "sync", "true")
        .code(2)
        .one_line_error(&["invalid exit codes `0,256`", "such as `0,24`"]);
}

#[test]
fn anything_on_stderr_fails_a_run_with_fail_on_stderr() {
    let s = Scratch::new();
    let out = wrap(
        &s,
        &["--fail-on-stderr"],
        "dump",
        "echo fine; echo 'gpg: skipped' >&2",
    );
    out.code(1);
    assert_eq!(out.stderr, "gpg: skipped\n", "{}", out.show());
    let reason = "it printed on stderr (--fail-on-stderr): `gpg: skipped`";
    assert_eq!(
        said(&record(&s, "dump")),
        ("fail".into(), 0, Some(reason.into()))
    );
    assert_eq!(record(&s, "dump")["consecutive_failures"], 1);
    s.hb_check()
        .arg("--verbose")
        .run()
        .code(2)
        .stdout_has(&format!("the last run failed: {reason}"));
    // Quiet on stderr: a success.
    wrap(&s, &["--fail-on-stderr"], "dump", "echo fine").code(0);
    assert_eq!(said(&record(&s, "dump")), ("ok".into(), 0, None));
}

#[test]
fn fail_on_names_the_third_of_a_thousand_lines() {
    let s = Scratch::new();
    let script = "i=1; while [ $i -le 1000 ]; do if [ $i -eq 3 ]; then echo \"ERROR: disk full at $i\"; else echo \"line $i\"; fi; i=$((i+1)); done";
    let out = wrap(&s, &["--fail-on", "ERROR"], "backup", script);
    out.code(1);
    assert_eq!(out.stdout.lines().count(), 1000, "{}", out.show());
    let reason = "line 3 matched --fail-on `ERROR`: `ERROR: disk full at 3`";
    assert_eq!(
        said(&record(&s, "backup")),
        ("fail".into(), 0, Some(reason.into()))
    );
    s.hb_check()
        .arg("--verbose")
        .run()
        .code(2)
        .stdout_has("backup failed")
        .stdout_has(&format!("the last run failed: {reason}"));
    // --ok-on: a run that never says it is done fails.
    wrap(
        &s,
        &["--ok-on", "^sent [0-9]+ bytes"],
        "backup",
        "echo sent 12 bytes",
    )
    .code(0);
    assert_eq!(said(&record(&s, "backup")), ("ok".into(), 0, None));
    wrap(
        &s,
        &["--ok-on", "^sent [0-9]+ bytes"],
        "backup",
        "echo '0 files'",
    )
    .code(1);
    assert_eq!(
        said(&record(&s, "backup")).2.as_deref(),
        Some("no line matched --ok-on `^sent [0-9]+ bytes`")
    );
}

#[test]
fn a_bad_or_huge_pattern_is_a_usage_error_and_runs_nothing() {
    let s = Scratch::new();
    let marker = s.root().join("ran");
    let script = format!("touch {}", marker.display());
    wrap(&s, &["--fail-on", "ERROR("], "j", &script)
        .code(2)
        .one_line_error(&["hb-write: invalid --fail-on `ERROR(`: unclosed group"]);
    wrap(&s, &["--ok-on", r"\w{1000}{1000}"], "j", &script)
        .code(2)
        .one_line_error(&["hb-write: invalid --ok-on `\\w{1000}{1000}`: "]);
    assert!(!marker.exists(), "a usage error runs nothing");
}

#[test]
fn a_run_faster_than_its_minimum_fails() {
    let s = Scratch::new();
    wrap(&s, &["--min-runtime", "1s"], "dump", "sleep 0.1").code(1);
    let r = record(&s, "dump");
    let (status, code, reason) = said(&r);
    assert_eq!((status.as_str(), code), ("fail", 0), "{r}");
    let reason = reason.unwrap();
    assert!(
        reason.starts_with("finished in 0.1s, faster than its minimum of 1s")
            || reason.starts_with("finished in 0.2s, faster than its minimum of 1s"),
        "{reason}"
    );
    s.hb_check()
        .arg("--verbose")
        .run()
        .code(2)
        .stdout_has("the last run failed: finished in 0.")
        .stdout_has(", faster than its minimum of 1s");
}

#[test]
fn a_rule_failed_run_pings_fail_naming_the_rule() {
    let server = PingServer::start(Answer::Ok);
    let s = Scratch::new();
    s.hb_write()
        .env("HB_DIR", s.hb())
        .env("HB_PING_URL", server.url("/ping/k"))
        .args([
            "--fail-on",
            "ERROR",
            "j",
            "60",
            "--",
            "sh",
            "-c",
            "echo ERROR x",
        ])
        .run()
        .code(1);
    let got = server.seen();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[1].target, "/ping/k/fail", "{got:?}");
    assert_eq!(
        got[1].body,
        "hb-write: line 1 matched --fail-on `ERROR`: `ERROR x`\nERROR x\n"
    );
    // An allowed exit code pings success.
    s.hb_write()
        .env("HB_DIR", s.hb())
        .env("HB_PING_URL", server.url("/ping/k"))
        .args([
            "--ok-exit-codes",
            "24",
            "j",
            "60",
            "--",
            "sh",
            "-c",
            "exit 24",
        ])
        .run()
        .code(24);
    let got = server.seen();
    assert!(got[3].target.starts_with("/ping/k/0?rid="), "{got:?}");
}

#[test]
fn a_run_that_fails_twice_then_succeeds_does_not_alert() {
    let s = Scratch::new();
    let count = s.root().join("count");
    let script = format!(
        "n=$(cat {0} 2>/dev/null || echo 0); n=$((n+1)); echo $n > {0}; echo attempt $n; [ $n -ge 3 ]",
        count.display()
    );
    let out = wrap(
        &s,
        &["--retry", "3", "--retry-delay", "1s"],
        "flaky",
        &script,
    );
    out.code(0);
    assert_eq!(
        out.stdout,
        "attempt 1\nattempt 2\nattempt 3\n",
        "{}",
        out.show()
    );
    let r = record(&s, "flaky");
    assert_eq!(said(&r), ("ok".into(), 0, None));
    assert_eq!(
        r["attempt"],
        serde_json::json!({"number": 3, "of": 4}),
        "{r}"
    );
    assert_eq!(r["consecutive_failures"], 0, "{r}");
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .ends_with("attempt 3\nhb-write: succeeded on attempt 3 of 4"),
        "{r}"
    );
    let runs = history(&s, "flaky");
    assert_eq!(runs.len(), 1, "one run: {runs:?}");
    let attempts = runs[0]["attempts"].as_array().unwrap();
    let codes: Vec<(bool, i64)> = attempts
        .iter()
        .map(|a| (a["ok"].as_bool().unwrap(), a["exit_code"].as_i64().unwrap()))
        .collect();
    assert_eq!(codes, [(false, 1), (false, 1), (true, 0)]);
    s.hb_check()
        .args(["--verbose", "--alert-after", "1"])
        .run()
        .code(0)
        .stdout_has("succeeded on attempt 3 of 4");
    // A first attempt that succeeds was not retried: its line is a plain run.
    wrap(&s, &["--retry", "3"], "steady", "true").code(0);
    let runs = history(&s, "steady");
    assert_eq!(runs.len(), 1, "one run: {runs:?}");
    assert!(runs[0].get("attempts").is_none(), "{runs:?}");
}

#[test]
fn retries_are_bounded_by_a_maximum_and_by_the_maximum_runtime() {
    let s = Scratch::new();
    wrap(&s, &["--retry", "1000000"], "j", "true")
        .code(2)
        .one_line_error(&["invalid retry count `1000000`: it must be a whole number from 0 to 10"]);
    // Waits of 60 s or more do not fit a maximum runtime of 5 s: one
    // attempt only.
    let out = wrap(
        &s,
        &[
            "--retry",
            "10",
            "--retry-delay",
            "2m",
            "--max-runtime",
            "5s",
        ],
        "j",
        "exit 3",
    );
    out.code(3);
    let r = record(&s, "j");
    assert_eq!(
        r["attempt"],
        serde_json::json!({"number": 1, "of": 11}),
        "{r}"
    );
    s.hb_check()
        .arg("--verbose")
        .run()
        .code(2)
        .stdout_has("the last run reported failure (exit code 3); failed on attempt 1 of 11");
}

/// Starts `hb-write --dir <hb> <flags...> JOB 60 -- sh -c SCRIPT` and waits
/// (up to 10 s) until its record says `running`.
fn start_running(
    s: &Scratch,
    flags: &[&str],
    job: &str,
    script: &str,
) -> (std::process::Child, String) {
    let started = s
        .hb_write()
        .arg("--dir")
        .arg(s.hb())
        .args(flags)
        .args([job, "60", "--", "sh", "-c", script])
        .spawn();
    wait_for(|| record_status(s, job).as_deref() == Some("running"));
    started
}

fn record_status(s: &Scratch, job: &str) -> Option<String> {
    let text = fs::read_to_string(s.hb().join(format!("{job}.last"))).ok()?;
    let value: Value = serde_json::from_str(&text).ok()?;
    value["status"].as_str().map(str::to_owned)
}

/// Waits up to 10 s for `check` to hold.
#[track_caller]
fn wait_for(mut check: impl FnMut() -> bool) {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !check() {
        assert!(std::time::Instant::now() < until, "timed out");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

fn instant(r: &Value, field: &str) -> chrono::DateTime<chrono::Utc> {
    r[field].as_str().unwrap().parse().unwrap()
}

/// Ends the wrapped run: SIGTERM to the wrapper, passed on to the command.
fn end(child: std::process::Child, shown: String) {
    // SAFETY: kill takes plain integers.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    harness::Outcome::new(shown, None, child.wait_with_output().unwrap()).code(143);
}

#[test]
fn a_silent_run_past_stall_after_is_stale_and_alerts() {
    let s = Scratch::new();
    let (child, shown) = start_running(&s, &["--stall-after", "10s"], "quiet", "sleep 30");
    let r = record(&s, "quiet");
    assert_eq!(r["stall_after_seconds"], 10, "{r}");
    // Silence counts from the later of the start and the record's last
    // write, in whole seconds: under load that write may land a second on.
    let written = fs::metadata(s.hb().join("quiet.last")).unwrap().mtime();
    let heard =
        instant(&r, "started_at").max(chrono::DateTime::from_timestamp(written, 0).unwrap());
    let at = |secs: i64| (heard + chrono::Duration::seconds(secs)).to_rfc3339();
    s.hb_check()
        .args(["--verbose", "--now", &at(9)])
        .run()
        .code(0)
        .stdout_has("quiet running");
    s.hb_check()
        .args(["--verbose", "--now", &at(11)])
        .run()
        .code(2)
        .stdout_has("quiet stale")
        .stdout_has("stalled: no output or keepalive for 11s, more than its --stall-after of 10s");
    end(child, shown);
    // The final record carries no stall rule: it judges a run in progress.
    assert!(record(&s, "quiet").get("stall_after_seconds").is_none());
    s.hb_write()
        .args(["--stall-after", "5s", "j", "60", "--", "true"])
        .run()
        .code(2)
        .one_line_error(&["invalid duration `5s`: it must be at least 10 seconds"]);
}

#[test]
fn a_keepalive_or_output_extends_a_silent_run() {
    let s = Scratch::new();
    let go = s.root().join("go");
    let script = format!(
        "i=0; while [ ! -e {0} ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done; echo tick; sleep 30",
        go.display()
    );
    let (child, shown) = start_running(&s, &["--stall-after", "10s"], "quiet", &script);
    let started = instant(&record(&s, "quiet"), "started_at");
    let file = s.hb().join("quiet.last");
    let before = fs::read(&file).unwrap();
    // A keepalive from the job's own script, which prints nothing: it
    // touches the running record and never rewrites it, so it cannot undo
    // a final record the wrapper writes meanwhile.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    s.hb_write()
        .arg("--dir")
        .arg(s.hb())
        .args(["--keepalive", "quiet"])
        .run()
        .code(0)
        .silent();
    assert_eq!(
        fs::read(&file).unwrap(),
        before,
        "the record is not rewritten"
    );
    let kept: chrono::DateTime<chrono::Utc> =
        fs::metadata(&file).unwrap().modified().unwrap().into();
    assert!(kept > started, "touched after the start");
    let at = |secs: i64| (kept + chrono::Duration::seconds(secs)).to_rfc3339();
    s.hb_check()
        .args(["--verbose", "--now", &at(9)])
        .run()
        .code(0)
        .stdout_has("quiet running");
    s.hb_check()
        .args(["--verbose", "--now", &at(11)])
        .run()
        .code(2)
        .stdout_has("stalled: no output or keepalive for 11s");
    // Output is progress too: the wrapper records it within a few seconds.
    fs::write(&go, "").unwrap();
    let until = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let moved = || -> chrono::DateTime<chrono::Utc> {
        fs::metadata(&file).unwrap().modified().unwrap().into()
    };
    while moved() <= kept {
        assert!(std::time::Instant::now() < until, "no progress recorded");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(fs::read(&file).unwrap(), before, "output rewrites nothing");
    end(child, shown);
    // Nothing in progress: nothing to keep alive.
    s.hb_write()
        .arg("--dir")
        .arg(s.hb())
        .args(["--keepalive", "quiet"])
        .run()
        .code(1)
        .one_line_error(&[
            "hb-write: job `quiet` has no run in progress to keep alive (its record says `fail`)",
        ]);
}

#[test]
fn output_just_before_the_streams_close_is_still_marked() {
    let s = Scratch::new();
    // Prints at about 2 s, then closes both streams and stays silent: no
    // pump is left to mark the output when its 5 s are up.
    let script = "sleep 2; echo last; exec >&- 2>&-; sleep 30";
    let (child, shown) = start_running(&s, &["--stall-after", "10s"], "closing", script);
    let started = instant(&record(&s, "closing"), "started_at");
    let file = s.hb().join("closing.last");
    let until = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let marked = || -> chrono::DateTime<chrono::Utc> {
        fs::metadata(&file).unwrap().modified().unwrap().into()
    };
    while marked() < started + chrono::Duration::milliseconds(1500) {
        assert!(
            std::time::Instant::now() < until,
            "the last output was never marked"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    end(child, shown);
}

#[test]
fn a_run_far_faster_than_its_usual_is_flagged_and_alerts_only_when_asked() {
    let s = Scratch::new();
    // Ten good runs of 14 minutes each, as the wrapper would have left.
    let line = r#"{"timestamp":"2026-11-20T03:14:00Z","status":"ok","exit_code":0,"duration_seconds":840.0}"#;
    s.write("dump.history", format!("{line}\n").repeat(10));
    wrap(&s, &[], "dump", "true").code(0).silent();
    let r = record(&s, "dump");
    assert_eq!(said(&r), ("ok".into(), 0, None));
    // The run's own time, in tenths of a second, then the usual one.
    let fast = r["fast"].as_str().unwrap_or_default().to_owned();
    assert!(fast.ends_with("s, usually 14m"), "{r}");
    s.hb_check()
        .arg("--verbose")
        .run()
        .code(0)
        .stdout_has(&format!("fast: {fast}"));
    s.night_watch()
        .args(["--format", "json"])
        .run()
        .code(0)
        .stdout_has(&format!("\"reason\": \"fast: {fast}\""));
    // With --alert-fast the same run fails.
    let s = Scratch::new();
    s.write("dump.history", format!("{line}\n").repeat(10));
    wrap(&s, &["--alert-fast"], "dump", "true").code(1);
    let r = record(&s, "dump");
    let (status, code, reason) = said(&r);
    assert_eq!((status.as_str(), code), ("fail", 0), "{r}");
    let reason = reason.unwrap_or_default();
    assert!(reason.starts_with("finished in "), "{r}");
    assert!(reason.ends_with("s, usually 14m (--alert-fast)"), "{r}");
    assert!(r.get("fast").is_none(), "{r}");
    s.hb_check()
        .arg("--verbose")
        .run()
        .code(2)
        .stdout_has(&format!("the last run failed: {reason}"));
}
