//! Alerts people keep reading: pauses, run history, the failure threshold,
//! change-only output and reminders, through the real binaries.

use crate::harness;

use std::collections::BTreeSet;
use std::fs;
use std::thread;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use harness::{listing, Outcome, Scratch};
use serde_json::Value;

/// `now` moved by `seconds`, as RFC 3339 for `--now`.
fn later(seconds: i64) -> String {
    (Utc::now() + Duration::seconds(seconds)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn write(s: &Scratch, args: &[&str]) -> Outcome {
    s.hb_write().env("HB_DIR", s.hb()).args(args).run()
}

fn check(s: &Scratch, args: &[&str]) -> Outcome {
    s.hb_check().args(args).run()
}

fn status_of(outcome: &Outcome, job: &str) -> String {
    let doc = outcome.json();
    let jobs = doc["jobs"].as_array().expect("a jobs array");
    let found = jobs.iter().find(|j| j["job"] == job);
    let found = found.unwrap_or_else(|| panic!("no job {job}{}", outcome.show()));
    found["status"].as_str().unwrap().to_owned()
}

fn history_lines(s: &Scratch, job: &str) -> Vec<Value> {
    let text = fs::read_to_string(s.hb().join(format!("{job}.history"))).unwrap();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("corrupt line {l:?}: {e}")))
        .collect()
}

#[test]
fn a_paused_stale_job_is_paused_quiet_and_alerts_again_when_the_pause_ends() {
    let s = Scratch::new();
    s.stale("backup");
    check(&s, &["--now", harness::NOW]).code(2);
    write(&s, &["--pause", "2h", "--reason", "disk swap", "backup"])
        .code(0)
        .silent();
    // Within the pause: paused, exit 0, and nothing printed for cron to mail.
    check(&s, &[]).code(0).silent();
    let json = check(&s, &["--format", "json"]);
    json.code(0);
    assert_eq!(status_of(&json, "backup"), "paused");
    let doc = json.json();
    let job = &doc["jobs"][0];
    assert!(
        job["reason"].as_str().unwrap().contains("disk swap"),
        "{job}"
    );
    assert!(
        job["reason"].as_str().unwrap().contains("otherwise stale"),
        "{job}"
    );
    assert!(job["paused_until"].as_str().is_some(), "{job}");
    assert_eq!(job["pause_reason"], "disk swap", "{job}");
    assert_eq!(doc["summary"]["paused"], 1);
    // A later heartbeat does not end the pause.
    write(&s, &["--exit-code", "1", "backup", "5m"])
        .code(0)
        .silent();
    assert_eq!(
        status_of(&check(&s, &["--format", "json"]), "backup"),
        "paused"
    );
    // Past its end the pause no longer holds: the failed job alerts again.
    let after = check(&s, &["--now", &later(2 * 3600 + 10)]);
    after.code(2).stdout_has("backup stale");
    let after = check(&s, &["--now", &later(7300), "--format", "json"]);
    assert_eq!(status_of(&after, "backup"), "stale");
}

#[test]
fn resume_ends_a_pause_early() {
    let s = Scratch::new();
    write(&s, &["--exit-code", "2", "backup", "1h"]).code(0);
    write(&s, &["--pause", "3d", "backup"]).code(0).silent();
    check(&s, &[]).code(0).silent();
    write(&s, &["--resume", "backup"]).code(0).silent();
    check(&s, &[]).code(2).stdout_has("backup failed");
    let err = write(&s, &["--resume", "backup"]).fails(1);
    assert!(err.contains("not paused"), "{err}");
    // The host's own pause file is named, as the pause module names it.
    let err = write(&s, &["--resume", "--all"]).fails(1);
    assert!(
        err.contains("cannot resume the host: it is not paused (no _host.pause in "),
        "{err}"
    );
}

#[test]
fn a_host_wide_pause_quiets_every_job_until_it_ends() {
    let s = Scratch::new();
    s.stale("backup");
    s.stale("rotate");
    write(&s, &["--exit-code", "1", "report", "1h"]).code(0);
    check(&s, &[]).code(2);
    write(
        &s,
        &["--pause", "90m", "--reason", "kernel upgrade", "--all"],
    )
    .code(0)
    .silent();
    assert!(
        s.hb().join("_host.pause").is_file(),
        "{:?}",
        listing(&s.hb())
    );
    check(&s, &[]).code(0).silent();
    let json = check(&s, &["--format", "json"]);
    for job in ["backup", "rotate", "report"] {
        assert_eq!(status_of(&json, job), "paused", "{job}");
    }
    check(&s, &["--now", &later(91 * 60)]).code(2);
    write(&s, &["--resume", "--all"]).code(0).silent();
    check(&s, &[]).code(2);
    // A pause of the host applies to the jobs gathered in subdirectories.
    let t = Scratch::new();
    t.beat_in("web1", "backup", harness::OLD, "ok");
    t.cmd(harness::HB_WRITE)
        .args([
            "--dir".as_ref(),
            t.hb().as_os_str(),
            "--pause".as_ref(),
            "1h".as_ref(),
            "--all".as_ref(),
        ])
        .run()
        .code(0);
    check(&t, &[]).code(0).silent();
}

#[test]
fn a_broken_pause_file_is_invalid_and_pauses_nothing() {
    let s = Scratch::new();
    s.stale("backup");
    s.write("backup.pause", "{not json");
    let out = check(&s, &["--now", harness::NOW]);
    out.code(2)
        .stdout_has("backup stale")
        .stdout_has("backup.pause invalid")
        .stdout_has("the pause file cannot be used");
}

#[test]
fn bad_pause_arguments_are_usage_errors() {
    let s = Scratch::new();
    for (args, part) in [
        (&["--pause", "2x", "backup"][..], "invalid pause `2x`"),
        (
            &["--pause", "0", "backup"][..],
            "invalid pause `0`: it must be at least 1 second",
        ),
        (
            &["--pause", "401d", "backup"][..],
            "invalid pause `401d`: it must be at most 400 days",
        ),
        (&["--all", "backup", "1h"][..], "--all"),
        (&["--all"][..], "--all needs --pause or --resume"),
        (&["--reason", "x", "backup", "1h"][..], "--pause"),
        (&["--pause", "1h", "../x"][..], "invalid job name"),
    ] {
        write(&s, args).code(2);
        let out = write(&s, args);
        out.one_line_error(&[part]);
    }
    assert!(listing(&s.hb()).is_empty(), "{:?}", listing(&s.hb()));
}

#[test]
fn retire_removes_history_pause_and_logs_too() {
    let s = Scratch::new();
    write(&s, &["backup", "1h"]).code(0);
    write(&s, &["--pause", "1h", "backup"]).code(0);
    s.write("backup.log", "output");
    s.write("backup.log.1", "older output");
    write(&s, &["other", "1h"]).code(0);
    write(&s, &["--retire", "backup"]).code(0).silent();
    assert_eq!(listing(&s.hb()), ["other.history", "other.last"]);
}

#[test]
fn a_thousand_heartbeats_leave_the_newest_runs_in_valid_lines() {
    let s = Scratch::new();
    for i in 0..1000 {
        let code = (i % 7).to_string();
        write(&s, &["--exit-code", &code, "backup", "1h"]).code(0);
    }
    let lines = history_lines(&s, "backup");
    // The file is cut back to the newest 200 whenever it passes 250, so it
    // holds 200 to 250 lines; readers take the newest 200.
    assert!((200..=250).contains(&lines.len()), "{} lines", lines.len());
    for line in &lines {
        let stamp = line["timestamp"].as_str().unwrap();
        stamp
            .parse::<DateTime<Utc>>()
            .expect("an RFC 3339 timestamp");
        let code = line["exit_code"].as_i64().unwrap();
        assert_eq!(
            line["status"],
            if code == 0 { "ok" } else { "fail" },
            "{line}"
        );
    }
    // The newest runs are kept, oldest first and none missing: the newest
    // 200 (runs 800..=999) and the few before them since the last cut.
    let codes: Vec<i64> = lines
        .iter()
        .map(|l| l["exit_code"].as_i64().unwrap())
        .collect();
    let first = 1000 - lines.len() as i64;
    let want: Vec<i64> = (first..1000).map(|i| i % 7).collect();
    assert_eq!(codes, want);
    // What the checker reads is the newest 200: a job whose last 200 runs
    // all failed, after 1,000 that mostly did not, is failed at 200.
    for _ in 0..200 {
        write(&s, &["--exit-code", "1", "backup", "1h"]).code(0);
    }
    check(&s, &["--alert-after", "200"]).code(2);
    write(&s, &["--exit-code", "0", "backup", "1h"]).code(0);
    write(&s, &["--exit-code", "1", "backup", "1h"]).code(0);
    check(&s, &["--alert-after", "200"]).code(1);
    assert_eq!(
        listing(&s.hb()),
        ["backup.history", "backup.last"],
        "no temporary file is left"
    );
}

/// Runs `writers` hb-write loops at once, each writing `runs` heartbeats of
/// one job with exit codes `writer * 1000 + run`; returns the lines.
fn concurrent(s: &Scratch, writers: i64, runs: i64) -> Vec<Value> {
    thread::scope(|scope| {
        for w in 0..writers {
            scope.spawn(move || {
                for r in 0..runs {
                    let code = (w * 1000 + r + 1).to_string();
                    write(s, &["--exit-code", &code, "shared", "1h"])
                        .code(0)
                        .silent();
                }
            });
        }
    });
    history_lines(s, "shared")
}

#[test]
fn eight_concurrent_writers_lose_no_line_and_corrupt_none() {
    let s = Scratch::new();
    let lines = concurrent(&s, 8, 25);
    let codes: BTreeSet<i64> = lines
        .iter()
        .map(|l| l["exit_code"].as_i64().unwrap())
        .collect();
    let want: BTreeSet<i64> = (0..8)
        .flat_map(|w| (0..25).map(move |r| w * 1000 + r + 1))
        .collect();
    assert_eq!(lines.len(), 200, "one line per heartbeat");
    assert_eq!(codes, want, "every heartbeat has its line");
}

#[test]
fn eight_concurrent_writers_past_the_cap_keep_the_newest_whole_lines() {
    let s = Scratch::new();
    let lines = concurrent(&s, 8, 40);
    assert!((200..=250).contains(&lines.len()), "{} lines", lines.len());
    let codes: BTreeSet<i64> = lines
        .iter()
        .map(|l| l["exit_code"].as_i64().unwrap())
        .collect();
    assert_eq!(codes.len(), lines.len(), "no line twice");
    // Each writer's own runs stay in order, and its newest run is kept.
    for w in 0..8 {
        let mine: Vec<i64> = lines
            .iter()
            .map(|l| l["exit_code"].as_i64().unwrap())
            .filter(|c| c / 1000 == w)
            .collect();
        assert!(mine.windows(2).all(|p| p[0] < p[1]), "writer {w}: {mine:?}");
        assert_eq!(mine.last(), Some(&(w * 1000 + 40)), "writer {w}");
    }
    assert_eq!(listing(&s.hb()), ["shared.history", "shared.last"]);
}

#[test]
fn alert_after_three_failing_twice_failed_the_third_time_reset_by_a_success() {
    let s = Scratch::new();
    let fail = |s: &Scratch| {
        write(s, &["--exit-code", "1", "backup", "1h"]).code(0);
    };
    let json = |s: &Scratch| check(s, &["--alert-after", "3", "--format", "json"]);
    fail(&s);
    check(&s, &["--alert-after", "3"])
        .code(1)
        .stdout_has("backup failing");
    assert_eq!(status_of(&json(&s), "backup"), "failing");
    fail(&s);
    let second = check(&s, &["--alert-after", "3"]);
    second
        .code(1)
        .stdout_has("2 failed runs in a row, alerting after 3");
    fail(&s);
    check(&s, &["--alert-after", "3"])
        .code(2)
        .stdout_has("backup failed");
    assert_eq!(json(&s).json()["jobs"][0]["consecutive_failures"], 3);
    // The default is 1: every failure alerts.
    check(&s, &[]).code(2);
    // One success resets the count.
    write(&s, &["backup", "1h"]).code(0);
    check(&s, &["--alert-after", "3"]).code(0).silent();
    fail(&s);
    let again = s.hb_check().env("HB_ALERT_AFTER", "3").run();
    again.code(1).stdout_has("1 failed run in a row");
    // A job that stopped reporting is stale whatever its failures.
    check(&s, &["--alert-after", "3", "--now", &later(3 * 3600)])
        .code(2)
        .stdout_has("backup stale");
    check(&s, &["--alert-after", "0"]).code(3);
    check(&s, &["--alert-after", "201"]).code(3);
}

/// The night-watch fixture for the recent-runs columns, judged at
/// `HISTORY_NOW` with `HB_ALERT_AFTER=3`: a daily job with mixed outcomes
/// and one missed night, a flaky hourly job failing twice in a row, a
/// paused stale job, and a job without a history.
const HISTORY_NOW: &str = "2026-11-22T06:00:00Z";

fn history_fixture() -> Scratch {
    let s = Scratch::new();
    let mut nightly = String::new();
    for day in (5..=22).filter(|d| *d != 15) {
        let status = if [10, 12, 18, 20].contains(&day) {
            "fail"
        } else {
            "ok"
        };
        let code = i32::from(status == "fail");
        let duration = 60 + day * 7;
        nightly.push_str(&format!(
            "{{\"timestamp\":\"2026-11-{day:02}T03:00:05Z\",\"status\":\"{status}\",\"exit_code\":{code},\"duration_seconds\":{duration}}}\n"
        ));
    }
    // A torn line, as a writer killed mid-write leaves, is skipped.
    nightly.push_str("{\"timestamp\":\"2026-11-2\n");
    s.write("nightly.history", nightly);
    s.write(
        "nightly.last",
        harness::record(
            "nightly",
            "2026-11-22T03:00:05Z",
            86_400,
            "ok",
            r#","exit_code":0,"duration_seconds":214"#,
        ),
    );
    let mut flaky = String::new();
    for (hour, status) in [
        (0, "ok"),
        (1, "ok"),
        (2, "fail"),
        (3, "ok"),
        (4, "fail"),
        (5, "fail"),
    ] {
        flaky.push_str(&format!(
            "{{\"timestamp\":\"2026-11-22T{hour:02}:30:00Z\",\"status\":\"{status}\",\"duration_seconds\":{}.5}}\n",
            hour + 1
        ));
    }
    s.write("flaky.history", flaky);
    s.write(
        "flaky.last",
        harness::record(
            "flaky",
            "2026-11-22T05:30:00Z",
            3600,
            "fail",
            r#","exit_code":1"#,
        ),
    );
    s.write(
        "migrate.last",
        harness::record("migrate", "2026-11-20T06:00:00Z", 86_400, "ok", ""),
    );
    s.write(
        "migrate.pause",
        r#"{"version":1,"job":"migrate","since":"2026-11-22T05:00:00Z","until":"2026-11-22T08:00:00Z","reason":"schema migration"}"#,
    );
    s.write(
        "fresh.last",
        harness::record("fresh", "2026-11-22T05:58:00Z", 300, "ok", ""),
    );
    s
}

fn history_watch(s: &Scratch, args: &[&str]) -> String {
    s.night_watch()
        .env("HB_NOW", HISTORY_NOW)
        .env("HB_HOST", "web1")
        .env("HB_ALERT_AFTER", "3")
        .args(args)
        .run()
        .ok()
        .replace(s.root().to_str().unwrap(), "$TMP")
}

#[test]
fn night_watch_shows_the_strip_success_rate_and_median_in_every_format() {
    use harness::snapshot::assert_snapshot;
    let s = history_fixture();
    for (format, file) in [
        ("text", "history-panel.txt"),
        ("markdown", "history-panel.md"),
        ("html", "history-panel.html"),
        ("json", "history-panel.json"),
    ] {
        let out = history_watch(&s, &["--panel", "--format", format]);
        assert_snapshot(file, &out);
    }
    assert_snapshot("history-report.txt", &history_watch(&s, &[]));
}

#[test]
fn the_strip_counts_runs_missed_nights_and_failures() {
    let s = history_fixture();
    let doc: Value = serde_json::from_str(&history_watch(&s, &["--format", "json"])).unwrap();
    let job = |name: &str| {
        doc["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["job"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name} in {doc}"))
    };
    // Nights 9 to 22, the 15th missed, failures on the 10th, 12th, 18th
    // and 20th: 9 of 14 ok.
    let nightly = job("nightly");
    assert_eq!(nightly["recent"]["strip"], "+x+x++?++x+x++", "{nightly}");
    assert_eq!(nightly["recent"]["runs"].as_array().unwrap().len(), 14);
    assert_eq!(nightly["recent"]["runs"][6], "missed");
    assert_eq!(nightly["recent"]["success_rate"], 0.643, "{nightly}");
    // Durations of nights 9 to 22 without the 15th: 60 + 7 x day; the
    // median of the 13 is night 16's, 172 s.
    assert_eq!(nightly["recent"]["median_duration_seconds"], 172.0);
    let flaky = job("flaky");
    assert_eq!(flaky["status"], "failing", "{flaky}");
    assert_eq!(flaky["consecutive_failures"], 2);
    assert_eq!(flaky["recent"]["strip"], "++x+xx");
    assert_eq!(job("migrate")["status"], "paused");
    assert!(job("fresh").get("recent").is_none(), "no history, no strip");
}

#[test]
fn the_strip_follows_real_heartbeats() {
    let s = Scratch::new();
    for code in ["0", "1", "0", "0", "3"] {
        write(&s, &["--exit-code", code, "backup", "1h"]).code(0);
    }
    let out = s.night_watch().args(["--panel"]).run().ok();
    let row = out
        .lines()
        .find(|l| l.contains("backup"))
        .expect("a backup row");
    assert!(row.contains("+x++x"), "{out}");
    assert!(row.contains("60%"), "{out}");
}

#[test]
fn a_utf8_terminal_gets_the_unicode_strip() {
    use std::path::Path;
    let s = history_fixture();
    let script = ["/usr/bin/script", "/bin/script"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    let Some(script) = script else {
        harness::skip::skip("`script` is not installed (Debian package `bsdutils`; see .ci/run)");
        return;
    };
    let inner = format!("'{}' --panel", harness::NIGHT_WATCH);
    let run = s
        .cmd(script)
        .args(["-qec", &inner, "/dev/null"])
        .env("HB_DIR", s.hb())
        .env("HB_NOW", HISTORY_NOW)
        .env("HB_ALERT_AFTER", "3")
        .env("NO_COLOR", "1")
        // Unicode needs a UTF-8 locale as well as a terminal.
        .env("LC_ALL", "C.UTF-8")
        .run();
    run.code(0);
    assert!(run.stdout.contains("✓✗✓✗✓✓·✓✓✗✓✗✓✓"), "{}", run.show());
    assert!(!run.stdout.contains("+x+x"), "{}", run.show());
}

#[test]
fn changes_only_prints_on_change_on_reminder_and_on_recovery() {
    let s = Scratch::new();
    let lock = s.root().join("check.lock");
    let run = |now: &str| {
        s.hb_check()
            .env("HB_LOCK_FILE", &lock)
            .args(["--changes-only", "--now", now])
            .run()
    };
    s.beat("backup", "2026-11-22T03:00:00Z", "ok");
    // Stale from 03:10 on (interval 300 s, factor 2).
    let first = run("2026-11-22T04:00:00Z");
    first.code(2).stdout_has("backup stale");
    // Three unchanged runs print once: the first.
    for now in ["2026-11-22T04:15:00Z", "2026-11-22T04:30:00Z"] {
        let quiet = run(now);
        quiet.code(2);
        assert_eq!(quiet.stdout, "", "{}", quiet.show());
    }
    // A change prints: another job goes bad.
    s.beat("rotate", "2026-11-22T03:00:00Z", "fail");
    run("2026-11-22T04:45:00Z")
        .code(2)
        .stdout_has("rotate stale");
    assert_eq!(run("2026-11-22T05:00:00Z").stdout, "");
    // After --remind it prints again, while something is bad.
    assert_eq!(run("2026-11-23T04:44:00Z").stdout, "");
    run("2026-11-23T04:45:00Z")
        .code(2)
        .stdout_has("backup stale");
    // A recovery prints, naming the job that recovered; exit code unchanged.
    s.beat("backup", "2026-11-23T04:59:00Z", "ok");
    let recovered = run("2026-11-23T05:00:00Z");
    recovered
        .code(2)
        .stdout_has("backup ok: recovered (was stale)")
        .stdout_has("rotate stale");
    fs::remove_file(s.hb().join("rotate.last")).unwrap();
    let gone = run("2026-11-23T05:01:00Z");
    gone.code(0)
        .stdout_has("rotate gone: no longer reported (was stale)");
    // All ok and unchanged: silent.
    assert_eq!(run("2026-11-23T05:02:00Z").stdout, "");
    // A lost or corrupt state means print.
    s.beat("backup", "2026-11-20T00:00:00Z", "ok");
    run("2026-11-25T05:00:00Z")
        .code(2)
        .stdout_has("backup stale");
    assert_eq!(run("2026-11-25T05:00:30Z").stdout, "");
    let state = s.root().join("check.lock.state");
    fs::remove_file(&state).unwrap();
    run("2026-11-25T05:00:40Z")
        .code(2)
        .stdout_has("backup stale");
    fs::write(&state, "{garbage").unwrap();
    run("2026-11-25T05:01:00Z")
        .code(2)
        .stdout_has("backup stale");
    assert!(fs::read_to_string(&state)
        .unwrap()
        .starts_with("{\"version\":1"));
    // HB_CHANGES_ONLY and HB_REMIND work as the flags do.
    let env_run = s
        .hb_check()
        .env("HB_LOCK_FILE", &lock)
        .env("HB_CHANGES_ONLY", "1")
        .env("HB_REMIND", "1h")
        .env("HB_NOW", "2026-11-25T06:02:00Z")
        .run();
    env_run.code(2).stdout_has("backup stale");
}

#[test]
fn a_pause_of_a_job_that_does_not_exist_is_refused_with_the_closest_names() {
    let s = Scratch::new();
    write(&s, &["sync-mirror", "1h"]).code(0);
    write(&s, &["backup", "1h"]).code(0);
    let out = write(&s, &["--pause", "1h", "sync-mirorr"]);
    out.code(2).one_line_error(&[
        "hb-write: no job `sync-mirorr` to pause",
        "did you mean `sync-mirror`?",
        "--force",
    ]);
    assert!(!s.hb().join("sync-mirorr.pause").exists());
    // --force pauses it anyway; a job known by its heartbeat or by its
    // history alone needs no force, nor does the host.
    write(&s, &["--pause", "1h", "--force", "sync-mirorr"])
        .code(0)
        .silent();
    assert!(s.hb().join("sync-mirorr.pause").is_file());
    write(&s, &["--pause", "1h", "sync-mirror"])
        .code(0)
        .silent();
    fs::remove_file(s.hb().join("backup.last")).unwrap();
    write(&s, &["--pause", "1h", "backup"]).code(0).silent();
    write(&s, &["--pause", "1h", "--all"]).code(0).silent();
}
