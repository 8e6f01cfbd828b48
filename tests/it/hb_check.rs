//! hb-check, run as a real process over temporary heartbeat directories.

use crate::harness;

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

    let mut run =
        s.cmd(HB_CHECK)
            .env("HB_DIR", s.hb())
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
        (
            "binary",
            "not a heartbeat record: not JSON (line 1, column 1)",
        ),
        (
            "truncated",
            "not a heartbeat record: not JSON: it ends early",
        ),
        ("wrongtype", "invalid type"),
        ("nofield", "field `interval_seconds` missing"),
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

    let mut text = s
        .cmd(HB_CHECK)
        .env("HB_DIR", s.hb())
        .args(["--now", &t0_plus(60)]);
    if is_root() {
        // The same user as before: the lock it left is its own.
        text = text.run_as_nobody();
    }
    let text = text.run();
    text.code(2);
    assert!(!text.stdout.contains('\u{0}'), "{}", text.show());
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
        skip::skip("/var/lib/cron-heartbeat exists on this machine");
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
    let lock_path = s.run_dir().join("hb-check.web1.lock");
    let holder = File::create(&lock_path).unwrap();
    holder.lock().unwrap();

    let out = check(&s, &["--now", T0, "--lock-timeout", "1s", "--host", "web1"]);
    out.code(3)
        .one_line_error(&["another run holds the lock", "hb-check.web1.lock"]);

    let (mut waiting, shown) = s
        .cmd(HB_CHECK)
        .env("HB_DIR", s.hb())
        .env("HB_HOST", "web1")
        .args(["--now", T0, "--lock-timeout", "30s"])
        .spawn();
    // The second run has reached the lock we hold: it has the lock file
    // open and has not finished.
    let fds = format!("/proc/{}/fd", waiting.id());
    let reached = (0..4000).any(|_| {
        let open = fs::read_dir(&fds)
            .into_iter()
            .flatten()
            .flatten()
            .any(|fd| fs::read_link(fd.path()).is_ok_and(|target| target == lock_path));
        if !open {
            thread::sleep(Duration::from_millis(5));
        }
        open || waiting.try_wait().unwrap().is_some()
    });
    assert!(reached, "{shown} never opened {}", lock_path.display());
    assert!(
        waiting.try_wait().unwrap().is_none(),
        "{shown} should wait for the lock, not finish while another run holds it"
    );
    // What it judges must be what the directory holds once the lock is
    // released: a run that did not wait would have judged the good run.
    s.write("backup.last", record("backup", T0, 300, "fail"));
    holder.unlock().unwrap();
    let out = Outcome::new(shown, Some(s.root()), waiting.wait_with_output().unwrap());
    out.code(2).stdout_has("backup failed");

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

/// Creates a FIFO, a device node or sets a time through libc; panics with
/// the OS error when the call fails.
fn os(what: &str, result: i32) {
    assert_eq!(result, 0, "{what}: {}", std::io::Error::last_os_error());
}

fn c_path(path: &std::path::Path) -> std::ffi::CString {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap()
}

/// Runs `cmd` and waits at most 20 s for it: a run that blocks fails the
/// test instead of hanging it.
fn bounded(cmd: harness::Cmd) -> (Option<i32>, String) {
    let (mut child, shown) = cmd.spawn();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(20) {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr);
            return (status.code(), text);
        }
        thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    panic!("{shown} did not finish within 20 s");
}

#[test]
fn hostile_files_are_invalid_and_never_hang_or_crash_a_run() {
    // tmpfs stores any modification time; the scratch area may not be one.
    let shm = std::path::Path::new("/dev/shm");
    if !shm.is_dir() {
        skip::skip("/dev/shm (a tmpfs) is missing, so no out-of-range mtime can be stored");
        return;
    }
    let s = Scratch::new();
    let area = tempfile::tempdir_in(shm).unwrap();
    let hb = area.path();
    fs::write(hb.join("good.last"), record("good", T0, 600, "ok")).unwrap();
    // SAFETY (all libc calls below): the paths are NUL-terminated and the
    // time array has the two entries utimensat reads.
    os("mkfifo", unsafe {
        libc::mkfifo(c_path(&hb.join("fifo.last")).as_ptr(), 0o644)
    });
    std::os::unix::fs::symlink("/proc/kmsg", hb.join("kmsg.last")).unwrap();
    File::create(hb.join("future.last")).unwrap();
    let times = [libc::timespec {
        tv_sec: 1 << 62,
        tv_nsec: 0,
    }; 2];
    os("utimensat", unsafe {
        libc::utimensat(
            libc::AT_FDCWD,
            c_path(&hb.join("future.last")).as_ptr(),
            times.as_ptr(),
            0,
        )
    });
    let mut bad = vec!["fifo", "kmsg", "future"];
    if is_root() {
        // A character device (the null device, 1:3): refused unopened.
        os("mknod", unsafe {
            libc::mknod(
                c_path(&hb.join("device.last")).as_ptr(),
                libc::S_IFCHR | 0o644,
                libc::makedev(1, 3),
            )
        });
        bad.push("device");
    } else {
        skip::skip(
            "not root: no device node can be made, the FIFO, link and mtime are still tried",
        );
    }
    let lock = s.root().join("lock");
    for program in [HB_CHECK, harness::NIGHT_WATCH] {
        let cmd = s
            .cmd(program)
            .env("HB_DIR", hb)
            .env("HB_LOCK_FILE", &lock)
            .args(["--now", T0, "--default-interval", "1h", "--format", "json"]);
        let (code, out) = bounded(cmd);
        let want = if program == HB_CHECK { 2 } else { 0 };
        assert_eq!(code, Some(want), "{program}: {out}");
        let doc: Value = serde_json::Deserializer::from_str(&out)
            .into_iter::<Value>()
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(job(&doc, "good")["status"], "ok", "{program}: {doc:#}");
        for name in &bad {
            assert_eq!(
                job(&doc, name)["status"],
                "invalid",
                "{program} {name}: {doc:#}"
            );
        }
        let reason = |name: &str| job(&doc, name)["reason"].as_str().unwrap().to_owned();
        assert!(reason("fifo").starts_with("a FIFO"), "{doc:#}");
        assert!(reason("kmsg").starts_with("a symbolic link"), "{doc:#}");
        assert!(reason("future").contains("out of range"), "{doc:#}");
    }
}

#[test]
fn no_output_carries_a_control_bidi_or_zero_width_character_raw() {
    let s = Scratch::new();
    let hostile = "disk\u{1b}[2J full\u{85}\u{202e}gnp.exe\u{200b}\u{61c}\u{7f}";
    let message = serde_json::to_string(hostile).unwrap();
    let with_message = format!(
        r#"{{"version":1,"job":"backup","timestamp":"{T0}","interval_seconds":60,"host":"web1","pid":1,"status":"fail","message":{message}}}"#
    );
    s.write("backup.last", with_message);
    // A host that is not a host name makes the record invalid.
    let bad_host = record("billing", T0, 60, "ok").replace(
        "\"web1\"",
        &serde_json::to_string("web\u{202e}1\u{1b}]0;x").unwrap(),
    );
    s.write("billing.last", bad_host);
    // So does a subdirectory that is not named after a host.
    s.write("we\u{200b}b2/sync.last", record("sync", T0, 60, "ok"));
    let metrics = s.root().join("m.prom");
    let unsafe_in = |what: &str, text: &str| {
        let raw: Vec<char> = text
            .chars()
            .filter(|c| cron_heartbeat::escape::is_unsafe(*c) && *c != '\n')
            .collect();
        assert!(raw.is_empty(), "{what} has raw {raw:?}:\n{text}");
    };
    let json = check(
        &s,
        &[
            "--now",
            T0,
            "--format",
            "json",
            "--metrics-file",
            metrics.to_str().unwrap(),
        ],
    );
    json.code(2);
    unsafe_in("json", &json.stdout);
    let doc = json.json();
    assert_eq!(
        job(&doc, "backup")["message"],
        hostile,
        "the JSON means the same"
    );
    assert_eq!(job(&doc, "billing")["status"], "invalid", "{doc:#}");
    assert!(
        job(&doc, "billing")["reason"]
            .as_str()
            .unwrap()
            .contains("is not a host name"),
        "{doc:#}"
    );
    assert_eq!(job(&doc, "sync")["status"], "invalid", "{doc:#}");
    unsafe_in("metrics", &fs::read_to_string(&metrics).unwrap());
    let text = check(&s, &["--now", T0, "--verbose"]);
    unsafe_in("text", &text.stdout);
    unsafe_in("stderr", &text.stderr);
}

#[test]
fn the_lock_is_per_host_whatever_the_order_of_the_directories() {
    let s = Scratch::new();
    let (a, b) = (s.root().join("a"), s.root().join("b"));
    for dir in [&a, &b] {
        fs::create_dir(dir).unwrap();
        fs::write(dir.join("backup.last"), record("backup", T0, 300, "ok")).unwrap();
    }
    let holder = File::create(s.run_dir().join("hb-check.web1.lock")).unwrap();
    holder.lock().unwrap();
    for dirs in [[&a, &b], [&b, &a]] {
        let out = s
            .cmd(HB_CHECK)
            .args([
                "--dir",
                dirs[0].to_str().unwrap(),
                "--dir",
                dirs[1].to_str().unwrap(),
            ])
            .args(["--now", T0, "--host", "web1", "--lock-timeout", "0"])
            .run();
        out.code(3)
            .one_line_error(&["another run holds the lock", "hb-check.web1.lock"]);
    }
    // Another host's run is not held up.
    s.cmd(HB_CHECK)
        .args(["--dir", a.to_str().unwrap(), "--now", T0, "--host", "web2"])
        .args(["--lock-timeout", "0"])
        .run()
        .code(0);
}

#[test]
fn another_user_can_neither_redirect_nor_take_the_lock() {
    if !is_root() {
        skip::skip("needs root to act as another user (nobody)");
        return;
    }
    let s = Scratch::new();
    s.write("backup.last", record("backup", T0, 300, "ok"));
    let victim = s.root().join("victim");
    let lock = s.run_dir().join("hb-check.web1.lock");
    // nobody plants links where a lock was, or is, kept.
    for planted in [s.hb().join(".hb-check.lock"), lock.clone()] {
        let made = s
            .cmd("/bin/ln")
            .args(["-s", victim.to_str().unwrap(), planted.to_str().unwrap()])
            .run_as_nobody()
            .run();
        if planted == s.hb().join(".hb-check.lock") {
            // The heartbeat directory belongs to root: nobody cannot even
            // plant this one, so plant it as root, as a writable directory
            // would let anyone do.
            if made.status != Some(0) {
                std::os::unix::fs::symlink(&victim, &planted).unwrap();
            }
        } else {
            made.code(0);
        }
    }
    let out = check(&s, &["--now", T0, "--host", "web1"]);
    out.code(3).one_line_error(&[
        "refusing the lock file",
        "hb-check.web1.lock",
        "symbolic link",
    ]);
    assert!(
        !victim.exists(),
        "no file is created through a link{}",
        out.show()
    );

    // Once the link is gone, the lock is root's own, and owner-only.
    fs::remove_file(&lock).unwrap();
    check(&s, &["--now", T0, "--host", "web1"]).code(0);
    let mode = fs::metadata(&lock).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    // nobody cannot open it to hold it (a read-only handle would do).
    let taken = s
        .cmd("/usr/bin/flock")
        .args(["--nonblock", lock.to_str().unwrap(), "true"])
        .run_as_nobody()
        .run();
    assert_ne!(
        taken.status,
        Some(0),
        "nobody took the lock{}",
        taken.show()
    );
    // A lock file that nobody made for the host before root's first run is
    // refused by name rather than used.
    let s2 = Scratch::new();
    s2.write("backup.last", record("backup", T0, 300, "ok"));
    let planted = s2.run_dir().join("hb-check.web1.lock");
    s2.cmd("/usr/bin/touch")
        .arg(&planted)
        .run_as_nobody()
        .run()
        .code(0);
    check(&s2, &["--now", T0, "--host", "web1"])
        .code(3)
        .one_line_error(&["refusing the lock file", "belongs to uid 65534"]);
}

#[test]
fn root_without_systemd_keeps_its_lock_in_run() {
    if !is_root() {
        skip::skip("needs root: only root's lock lives in /run/cron-heartbeat");
        return;
    }
    let s = Scratch::new();
    s.write("backup.last", record("backup", T0, 300, "ok"));
    let host = format!("lock-test-{}", std::process::id());
    let lock = std::path::Path::new("/run/cron-heartbeat").join(format!("hb-check.{host}.lock"));
    let out = s
        .cmd(HB_CHECK)
        .env_remove("RUNTIME_DIRECTORY")
        .env("HB_DIR", s.hb())
        .args(["--now", T0, "--host", &host])
        .run();
    let made = fs::metadata(&lock);
    // The lock, and what a run keeps beside it: nothing of the test stays.
    let mine = format!("hb-check.{host}.lock");
    for entry in fs::read_dir("/run/cron-heartbeat")
        .into_iter()
        .flatten()
        .flatten()
    {
        if entry.file_name().to_string_lossy().starts_with(&mine) {
            let _ = fs::remove_file(entry.path());
        }
    }
    out.code(0);
    let mode = made.unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    let dir = fs::metadata("/run/cron-heartbeat")
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(dir & 0o022, 0, "{dir:o}");
    assert!(
        !s.hb().join(".hb-check.lock").exists(),
        "nothing is written among the heartbeats"
    );
}

#[test]
fn expected_jobs_are_missing_before_any_directory_exists() {
    let s = Scratch::new();
    if std::path::Path::new("/var/lib/cron-heartbeat").exists() {
        skip::skip("/var/lib/cron-heartbeat exists here; only the --dir case is tried");
    } else {
        // No default location at all: a fresh install.
        let out = s
            .cmd(HB_CHECK)
            .args(["--expect", "backup", "--now", T0])
            .run();
        out.code(2).stdout_has("backup missing: expected");
    }
    let gone = s.root().join("not-yet");
    let out = s
        .cmd(HB_CHECK)
        .env("HB_DIR", &gone)
        .env("HB_EXPECT", "backup, billing")
        .args(["--now", T0, "--format", "json"])
        .run();
    out.code(2);
    let doc = out.json();
    assert_eq!(job(&doc, "backup")["status"], "missing", "{doc:#}");
    assert_eq!(job(&doc, "billing")["status"], "missing", "{doc:#}");
    assert!(!gone.exists(), "a reader creates nothing");
    // Without --expect a missing directory is still "could not check".
    s.cmd(HB_CHECK).env("HB_DIR", &gone).run().code(3);
}

#[test]
fn an_expected_job_belongs_to_the_checking_host_unless_named_host_slash_job() {
    let s = Scratch::new();
    s.write(
        "web2/backup.last",
        record("backup", T0, 300, "ok").replace("web1", "web2"),
    );
    let out = check(&s, &["--now", T0, "--host", "web1", "--expect", "backup"]);
    out.code(2).stdout_has("backup missing");
    check(
        &s,
        &["--now", T0, "--host", "web1", "--expect", "web2/backup"],
    )
    .code(0);
    check(&s, &["--now", T0, "--host", "web2", "--expect", "backup"]).code(0);
}

#[test]
fn the_same_job_in_two_directories_is_one_row_and_one_series() {
    let s = Scratch::new();
    let (a, b) = (s.root().join("a"), s.root().join("b"));
    fs::create_dir(&a).unwrap();
    fs::create_dir(&b).unwrap();
    // The older copy is stale, the newer one fresh: the newer wins.
    fs::write(a.join("backup.last"), record("backup", T0, 300, "ok")).unwrap();
    fs::write(
        b.join("backup.last"),
        record("backup", &t0_plus(3000), 300, "ok"),
    )
    .unwrap();
    let metrics = s.root().join("m.prom");
    for dirs in [[&a, &b], [&b, &a]] {
        let out = s
            .cmd(HB_CHECK)
            .args([
                "--dir",
                dirs[0].to_str().unwrap(),
                "--dir",
                dirs[1].to_str().unwrap(),
            ])
            .args(["--now", &t0_plus(3060), "--format", "json"])
            .args(["--metrics-file", metrics.to_str().unwrap()])
            .run();
        out.code(0);
        let doc = out.json();
        let jobs = doc["jobs"].as_array().unwrap();
        assert_eq!(jobs.len(), 1, "{doc:#}");
        assert_eq!(jobs[0]["path"], b.join("backup.last").to_str().unwrap());
        assert_eq!(
            jobs[0]["duplicates"],
            serde_json::json!([a.join("backup.last").to_str().unwrap()])
        );
        let prom = fs::read_to_string(&metrics).unwrap();
        let series = prom
            .lines()
            .filter(|l| l.starts_with("cron_heartbeat_age_seconds{"))
            .count();
        assert_eq!(series, 1, "{prom}");
    }
}

#[test]
fn messages_say_what_to_do() {
    let s = Scratch::new();
    s.write("backup.last", record("backup", T0, 300, "ok"));
    check(&s, &["--verbos"]).code(3).one_line_error(&[
        "unexpected argument '--verbos'",
        "a similar argument exists: '--verbose'",
    ]);
    check(&s, &["--now", "2026-11-22T03:00:00"])
        .code(3)
        .one_line_error(&["has no time zone", "2026-11-22T03:00:00Z"]);
    s.cmd(HB_CHECK)
        .env("HB_DIR", s.hb())
        .env("HB_TRACKER_TOKEN", "x")
        .args(["--now", T0, "--tracker-url", "git.example.com"])
        .args(["--tracker-repo", "ops/alerts", "--quiet"])
        .run()
        .code(3)
        .one_line_error(&["has no scheme", "https://git.example.com"]);
}

/// The (job, status) rows of hb-check's JSON at `now`, reading the
/// crontabs below `root` as cron would.
fn discovered(s: &Scratch, root: &std::path::Path, now: &str) -> (Outcome, Vec<(String, String)>) {
    let out = s
        .hb_check()
        .env("HB_DISCOVER", "1")
        .env("HB_CRON_ROOT", root)
        .args(["--format", "json", "--now", now])
        .run();
    let doc = out.json();
    let mut rows: Vec<(String, String)> = doc["jobs"]
        .as_array()
        .unwrap_or_else(|| panic!("a jobs array{}", out.show()))
        .iter()
        .map(|j| {
            let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            (text(&j["job"]), text(&j["status"]))
        })
        .collect();
    rows.sort();
    (out, rows)
}

#[test]
fn a_users_crontab_line_never_judges_roots_job_of_the_same_name() {
    let s = Scratch::new();
    let root = s.root().join("sysroot");
    let spool = root.join("var/spool/cron/crontabs");
    fs::create_dir_all(&spool).unwrap();
    let mallory = spool.join("nobody");
    let line = |text: &str| {
        fs::write(&mallory, text).unwrap();
        // An old line: its first run is long past.
        let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600);
        File::options()
            .write(true)
            .open(&mallory)
            .and_then(|f| f.set_modified(old))
            .unwrap();
    };
    // Root's daily backup, silent for three days, has no crontab line the
    // checker reads; a user's line names her own `backup` once a year.
    s.write("backup.last", record("backup", T0, 86_400, "ok"));
    line("0 0 1 1 * hb-write backup 400d\n");
    let (out, rows) = discovered(&s, &root, &t0_plus(3 * 86_400));
    out.code(2);
    assert_eq!(rows[0].0, "backup", "{}", out.show());
    assert_eq!(
        rows[0].1,
        "stale",
        "root's job keeps its own rule{}",
        out.show()
    );
    assert_eq!(rows[1].0, "nobody/backup", "{}", out.show());
    // A line that fires every minute neither makes a healthy root job
    // stale nor counts root's heartbeat as hers.
    line("* * * * * hb-write backup 1m\n");
    let (out, rows) = discovered(&s, &root, &t0_plus(600));
    assert_eq!(rows[0].0, "backup", "{}", out.show());
    assert_eq!(rows[0].1, "ok", "{}", out.show());
    assert_eq!(
        (rows[1].0.as_str(), rows[1].1.as_str()),
        ("nobody/backup", "missing"),
        "{}",
        out.show()
    );
}
