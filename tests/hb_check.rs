//! hb-check, run as a real process over temporary heartbeat directories.

mod harness;

use std::fs::{self, File};
use std::os::unix::fs::PermissionsExt;
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use harness::{is_root, skip, Outcome, Scratch, HB_CHECK};
use serde_json::Value;

/// 2026-11-22T03:00:00Z as a record timestamp.
const T0: &str = "2026-11-22T03:00:00Z";

fn record(job: &str, timestamp: &str, interval: u64, status: &str) -> String {
    format!(
        r#"{{"version":1,"job":"{job}","timestamp":"{timestamp}","interval_seconds":{interval},"host":"web1","pid":42,"status":"{status}"}}"#
    )
}

/// T0 plus `seconds`, as RFC 3339.
fn t0_plus(seconds: i64) -> String {
    let t0: chrono::DateTime<chrono::Utc> = T0.parse().unwrap();
    (t0 + chrono::Duration::seconds(seconds)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn check(s: &Scratch, args: &[&str]) -> Outcome {
    s.cmd(HB_CHECK).env("HB_DIR", s.hb()).args(args).run()
}

fn job<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["jobs"]
        .as_array()
        .expect("jobs array")
        .iter()
        .find(|j| j["job"] == name)
        .unwrap_or_else(|| panic!("no job {name} in {doc:#}"))
}

#[test]
fn each_status_comes_out_exactly_at_its_boundary() {
    let s = Scratch::new();
    s.write("backup.last", record("backup", T0, 300, "ok"));
    let cases = [
        (0, "ok", 0),
        (300, "ok", 0),
        (301, "late", 1),
        (600, "late", 1),
        (601, "stale", 2),
    ];
    for (age, status, code) in cases {
        let now = t0_plus(age);
        let text = check(&s, &["--now", &now]);
        text.code(code);
        if status == "ok" {
            text.silent();
        } else {
            assert!(
                text.stdout.starts_with(&format!("backup {status}: age ")),
                "age {age}{}",
                text.show()
            );
            assert_eq!(text.stdout.lines().count(), 1, "{}", text.show());
        }
        let json = check(&s, &["--now", &now, "--format", "json"]);
        json.code(code);
        let doc = json.json();
        assert_eq!(job(&doc, "backup")["status"], status, "age {age}");
        assert_eq!(job(&doc, "backup")["age_seconds"], age);
        assert_eq!(doc["summary"][status], 1);
    }
}

#[test]
fn failed_missing_and_future_dated_jobs() {
    let s = Scratch::new();
    s.write("broken.last", record("broken", T0, 300, "fail"));
    s.write("skewed.last", record("skewed", &t0_plus(301), 300, "ok"));
    s.write("near.last", record("near", &t0_plus(300), 300, "ok"));
    let out = check(&s, &["--now", T0, "--expect", "ghost", "--format", "json"]);
    out.code(2);
    let doc = out.json();
    assert_eq!(job(&doc, "broken")["status"], "failed");
    assert_eq!(job(&doc, "ghost")["status"], "missing");
    assert_eq!(job(&doc, "skewed")["status"], "invalid");
    assert!(job(&doc, "skewed")["reason"]
        .as_str()
        .unwrap()
        .contains("future"));
    assert_eq!(
        job(&doc, "near")["status"],
        "ok",
        "five minutes ahead is tolerated"
    );
    let names: Vec<&str> = doc["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["job"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["skewed", "ghost", "broken", "near"], "worst first");

    let stale_fail = check(&s, &["--now", &t0_plus(601), "--format", "json"]);
    assert_eq!(
        job(&stale_fail.json(), "broken")["status"],
        "stale",
        "stale overrides failed"
    );
}

#[test]
fn json_has_the_documented_shape() {
    let s = Scratch::new();
    s.write("backup.last", record("backup", T0, 300, "ok"));
    let doc = check(
        &s,
        &["--now", &t0_plus(780), "--format", "json", "--factor", "3"],
    )
    .code(1)
    .json();
    assert_eq!(doc["checked_at"], "2026-11-22T03:13:00Z");
    assert_eq!(doc["factor"], 3.0);
    let backup = job(&doc, "backup");
    for key in [
        "job",
        "host",
        "status",
        "timestamp",
        "age_seconds",
        "interval_seconds",
        "ratio",
        "reason",
        "path",
    ] {
        assert!(backup.get(key).is_some(), "{key} missing in {backup}");
    }
    assert_eq!(backup["host"], "web1");
    assert_eq!(backup["timestamp"], T0);
    assert_eq!(backup["interval_seconds"], 300);
    assert_eq!(backup["ratio"], 2.6);
    assert_eq!(backup["status"], "late", "2.6x is within a factor of 3");
}

#[test]
fn bad_files_are_invalid_and_never_stop_the_scan() {
    let s = Scratch::new();
    s.write("good.last", record("good", T0, 300, "ok"));
    s.write("other-good.last", record("other-good", T0, 3600, "ok"));
    s.write("empty.last", "");
    s.write("binary.last", [0u8, 159, 146, 150, 255, 1, 2]);
    s.write("truncated.last", &record("truncated", T0, 300, "ok")[..40]);
    s.write(
        "wrongtype.last",
        record("wrongtype", T0, 300, "ok").replace("300", "\"300\""),
    );
    s.write(
        "nofield.last",
        r#"{"version":1,"job":"nofield","timestamp":"2026-11-22T03:00:00Z"}"#,
    );
    s.write(
        "future.last",
        record("future", "2027-01-01T00:00:00Z", 300, "ok"),
    );
    s.write("renamed.last", record("someone-else", T0, 300, "ok"));
    s.write("huge.last", vec![b' '; 70 * 1024]);
    let locked = s.write("locked.last", record("locked", T0, 300, "ok"));
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();

    let mut run = s
        .cmd(HB_CHECK)
        .env("HB_DIR", s.hb())
        .env("HB_LOCK_FILE", s.root().join("check.lock"))
        .args(["--now", &t0_plus(60), "--format", "json"]);
    if is_root() {
        // root reads mode-000 files; an ordinary user does not.
        fs::set_permissions(s.root(), fs::Permissions::from_mode(0o777)).unwrap();
        run = run.run_as_nobody();
    }
    let out = run.run();
    out.code(2);
    let doc = out.json();
    assert_eq!(job(&doc, "good")["status"], "ok");
    assert_eq!(job(&doc, "other-good")["status"], "ok");
    let expected = [
        ("empty", "empty"),
        ("binary", "not a heartbeat record"),
        ("truncated", "not a heartbeat record"),
        ("wrongtype", "invalid type"),
        ("nofield", "missing field"),
        ("future", "in the future"),
        ("renamed", "someone-else"),
        ("huge", "bytes"),
        ("locked", "Permission denied"),
    ];
    for (name, reason) in expected {
        let j = job(&doc, name);
        assert_eq!(j["status"], "invalid", "{name}: {j}");
        let got = j["reason"].as_str().unwrap_or_default();
        assert!(
            got.contains(reason),
            "{name}: reason {got:?} should mention {reason:?}"
        );
    }
    assert_eq!(doc["summary"]["invalid"], expected.len());
    assert!(out.stderr.is_empty(), "no panic, no noise{}", out.show());

    let text = s
        .cmd(HB_CHECK)
        .env("HB_DIR", s.hb())
        .args(["--now", &t0_plus(60)])
        .run();
    text.code(2);
    assert!(!text.stdout.contains("\u{0}"), "{}", text.show());
}

#[test]
fn empty_files_are_judged_by_mtime_with_a_default_interval() {
    let s = Scratch::new();
    let path = s.write("touched.last", "");
    let an_hour_ago = SystemTime::now() - Duration::from_secs(3600);
    File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(an_hour_ago)
        .unwrap();
    let doc = check(&s, &["--default-interval", "20m", "--format", "json"])
        .code(2)
        .json();
    let touched = job(&doc, "touched");
    assert_eq!(touched["status"], "stale", "{touched}");
    assert_eq!(touched["interval_seconds"], 1200);
    let age = touched["age_seconds"].as_u64().unwrap();
    assert!((3600..3700).contains(&age), "age from mtime: {age}");
    check(&s, &["--default-interval", "1d"]).code(0).silent();
}

#[test]
fn subdirectories_one_level_deep_are_read_and_the_rest_ignored() {
    let s = Scratch::new();
    s.write("web1/backup.last", record("backup", T0, 300, "ok"));
    s.write(
        "web2/backup.last",
        record("backup", T0, 300, "ok").replace("web1", "web2"),
    );
    s.write("a/b/too-deep.last", record("too-deep", T0, 1, "ok"));
    s.write(".hidden.last", record("hidden", T0, 1, "ok"));
    s.write(".atomicwriteXYZ/tmp.last", record("tmp", T0, 1, "ok"));
    s.write("backup.last.tmp", "garbage");
    s.write("notes.txt", "garbage");
    let out = check(&s, &["--now", &t0_plus(10), "--verbose"]);
    out.code(0);
    assert_eq!(
        out.stdout.lines().collect::<Vec<_>>(),
        [
            "web1/backup ok: age 10s, interval 5m, ratio 0.0x",
            "web2/backup ok: age 10s, interval 5m, ratio 0.0x",
        ],
        "{}",
        out.show()
    );
}

#[test]
fn a_heartbeat_directory_may_itself_be_a_dotfile() {
    let s = Scratch::new();
    let dir = s.root().join(".heartbeats");
    fs::create_dir(&dir).unwrap();
    fs::write(dir.join("backup.last"), record("backup", T0, 300, "ok")).unwrap();
    let out = s
        .cmd(HB_CHECK)
        .env("HB_DIR", &dir)
        .args(["--now", &t0_plus(601)])
        .run();
    out.code(2).stdout_has("backup stale");
}

#[test]
fn quiet_and_verbose() {
    let s = Scratch::new();
    s.write("fine.last", record("fine", T0, 300, "ok"));
    s.write("dead.last", record("dead", T0, 10, "ok"));
    check(&s, &["--now", &t0_plus(60), "--quiet"])
        .code(2)
        .silent();
    let normal = check(&s, &["--now", &t0_plus(60)]);
    normal.code(2);
    assert_eq!(
        normal.stdout.lines().count(),
        1,
        "only the bad job{}",
        normal.show()
    );
    normal.stdout_has("dead stale: age 1m, interval 10s, ratio 6.0x: silent for 1m");
    let verbose = check(&s, &["--now", &t0_plus(60), "-v"]);
    assert_eq!(verbose.stdout.lines().count(), 2, "{}", verbose.show());
    assert!(verbose
        .stdout
        .lines()
        .nth(1)
        .unwrap()
        .starts_with("fine ok"));
}

#[test]
fn a_missing_directory_exits_3_and_an_empty_one_exits_1() {
    let s = Scratch::new();
    let gone = s.root().join("gone");
    let out = s.cmd(HB_CHECK).env("HB_DIR", &gone).run();
    out.code(3)
        .one_line_error(&["hb-check: cannot read heartbeat directory", "gone", "--dir"]);
    assert!(!gone.exists(), "a reader creates nothing");

    let out = check(&s, &[]);
    out.code(1).stdout_has("no heartbeats found in");
    out.stdout_has(&s.hb().display().to_string());
}

#[test]
fn without_any_location_it_says_where_it_looked() {
    let s = Scratch::new();
    if std::path::Path::new("/var/lib/cron-heartbeat").exists() {
        skip::not_here("/var/lib/cron-heartbeat exists on this machine");
        return;
    }
    s.cmd(HB_CHECK).run().code(3).one_line_error(&[
        "no heartbeat directory found",
        "/var/lib/cron-heartbeat",
        &s.state().join("cron-heartbeat").display().to_string(),
        "HB_DIR",
    ]);
}

#[test]
fn usage_errors_exit_3() {
    let s = Scratch::new();
    for args in [
        &["--factor", "1"][..],
        &["--factor", "x"],
        &["--bogus"],
        &["--format", "xml"],
        &["--now", "yesterday"],
        &["--expect", "../etc"],
        &["--default-interval", "0"],
        &["--quiet", "--verbose"],
    ] {
        check(&s, args)
            .code(3)
            .one_line_error(&["hb-check: ", args[0]]);
    }
    let help = check(&s, &["--help"]);
    help.code(0).stdout_has("Exit codes:");
}

#[test]
fn a_second_run_waits_for_the_lock() {
    let s = Scratch::new();
    s.write("backup.last", record("backup", T0, 300, "ok"));
    let lock_path = s.hb().join(".hb-check.lock");
    let holder = File::create(&lock_path).unwrap();
    holder.lock().unwrap();

    let out = check(&s, &["--now", T0, "--lock-timeout", "1"]);
    out.code(3)
        .one_line_error(&["another run holds the lock", ".hb-check.lock"]);

    let started = Instant::now();
    let (mut waiting, shown) = s
        .cmd(HB_CHECK)
        .env("HB_DIR", s.hb())
        .args(["--now", T0, "--lock-timeout", "30"])
        .spawn();
    thread::sleep(Duration::from_millis(800));
    assert!(
        waiting.try_wait().unwrap().is_none(),
        "{shown} should wait for the lock"
    );
    holder.unlock().unwrap();
    let status = waiting.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{shown}");
    assert!(started.elapsed() >= Duration::from_millis(800));

    // Two runs started together both finish with the same verdict.
    let runs: Vec<_> = (0..2)
        .map(|_| {
            s.cmd(HB_CHECK)
                .env("HB_DIR", s.hb())
                .args(["--now", &t0_plus(900), "--format", "json"])
                .spawn()
        })
        .collect();
    for (child, shown) in runs {
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{shown}: {out:?}");
    }
}
