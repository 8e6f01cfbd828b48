//! hb-write, run as a real process over temporary directories.

use crate::harness;

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;
use std::thread;

use chrono::{DateTime, Utc};
use harness::{is_root, listing, skip, umask, Scratch, HB_WRITE};
use serde_json::Value;

const SYSTEM_DIR: &str = "/var/lib/cron-heartbeat";

fn read_record(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}: {text}", path.display()))
}

fn assert_fresh_record(record: &Value, job: &str, interval: u64) {
    assert_eq!(record["version"], 1, "{record}");
    assert_eq!(record["job"], job, "{record}");
    assert_eq!(record["interval_seconds"], interval, "{record}");
    assert_eq!(record["status"], "ok", "{record}");
    assert!(
        record["host"].as_str().is_some_and(|h| !h.is_empty()),
        "{record}"
    );
    assert!(record["pid"].as_u64().is_some_and(|p| p > 0), "{record}");
    let text = record["timestamp"].as_str().expect("timestamp string");
    assert!(text.ends_with('Z'), "timestamp in UTC: {text}");
    let written: DateTime<Utc> = text.parse().expect("RFC 3339 timestamp");
    let skew = (Utc::now() - written).num_seconds().abs();
    assert!(skew < 60, "timestamp {text} should be about now");
}

#[test]
fn writes_a_record_via_dir_flag_silently() {
    let s = Scratch::new();
    s.cmd(HB_WRITE)
        .args([
            "--dir".as_ref(),
            s.hb().as_os_str(),
            "backup".as_ref(),
            "300".as_ref(),
        ])
        .run()
        .code(0)
        .silent();
    assert_eq!(
        listing(&s.hb()),
        ["backup.history", "backup.last"],
        "no temporary file is left"
    );
    assert_fresh_record(&read_record(&s.hb().join("backup.last")), "backup", 300);
    let mode = fs::metadata(s.hb().join("backup.last"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o777,
        0o644,
        "heartbeats are 0644 whatever the umask"
    );
}

#[test]
fn writes_a_record_via_hb_dir_and_creates_the_directory() {
    let s = Scratch::new();
    let dir = s.root().join("new/nested");
    s.cmd(HB_WRITE)
        .env("HB_DIR", &dir)
        .args(["backup", "300"])
        .run()
        .code(0)
        .silent();
    assert_fresh_record(&read_record(&dir.join("backup.last")), "backup", 300);
    let mode = fs::metadata(&dir).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o755 & !umask(), "directory created 0755");
}

#[test]
fn intervals_with_units_are_stored_in_seconds() {
    let s = Scratch::new();
    for (text, seconds) in [
        ("5m", 300),
        ("1h30m", 5400),
        ("90s", 90),
        ("1d", 86_400),
        ("1w", 604_800),
    ] {
        s.cmd(HB_WRITE)
            .env("HB_DIR", s.hb())
            .args(["job", text])
            .run()
            .code(0)
            .silent();
        assert_eq!(
            read_record(&s.hb().join("job.last"))["interval_seconds"],
            seconds,
            "{text}"
        );
    }
}

#[test]
fn a_number_without_a_unit_below_a_minute_is_refused_where_a_duration_is_read() {
    let s = Scratch::new();
    // `300` is seconds, as it always was; `24s` says so.
    for interval in ["300", "60", "24s"] {
        s.cmd(HB_WRITE)
            .env("HB_DIR", s.hb())
            .args(["job", interval])
            .run()
            .code(0)
            .silent();
    }
    // `24` reads as hours to a person and `--pause 2` as a two-hour pause:
    // refused rather than taken as seconds.
    for args in [
        &["job", "24"][..],
        &["--pause", "2", "job"],
        &["--max-runtime", "30", "job", "1h", "--", "true"],
    ] {
        s.cmd(HB_WRITE)
            .env("HB_DIR", s.hb())
            .args(args)
            .run()
            .code(2)
            .one_line_error(&["seconds, shorter than cron's minute; write "]);
    }
    assert!(!s.hb().join("job.pause").exists());
}

#[test]
fn bad_job_names_and_intervals_exit_2_and_create_nothing() {
    let s = Scratch::new();
    let system_existed = Path::new(SYSTEM_DIR).exists();
    let long = "x".repeat(129);
    let bad_jobs = [
        "../x",
        "a/b",
        "",
        ".hidden",
        "has space",
        "ctl\u{7}x",
        "nl\nx",
        long.as_str(),
    ];
    for job in bad_jobs {
        for with_dir in [true, false] {
            let mut run = s.cmd(HB_WRITE);
            if with_dir {
                run = run.env("HB_DIR", s.hb());
            }
            let out = run.args([job, "300"]).run();
            out.code(2)
                .one_line_error(&["hb-write: invalid job name", "[A-Za-z0-9]"]);
            assert!(
                !out.stderr.contains('\u{7}'),
                "control characters are escaped{}",
                out.show()
            );
        }
    }
    for interval in ["0", "-5", "abc", "5x", "401d", "1.5h", ""] {
        let out = s
            .cmd(HB_WRITE)
            .env("HB_DIR", s.hb())
            .args(["backup", interval])
            .run();
        out.code(2);
        assert_eq!(out.stderr.lines().count(), 1, "one line{}", out.show());
        assert!(
            out.stderr.contains("interval") || out.stderr.contains("-5"),
            "{}",
            out.show()
        );
    }
    for flags in [
        &["--status", "maybe"][..],
        &["--exit-code", "x"],
        &["--bogus"],
    ] {
        let out = s
            .cmd(HB_WRITE)
            .env("HB_DIR", s.hb())
            .args(flags)
            .args(["backup", "300"])
            .run();
        out.code(2).one_line_error(&["hb-write: ", flags[0]]);
    }
    assert!(
        listing(&s.hb()).is_empty(),
        "nothing in the heartbeat dir: {:?}",
        listing(&s.hb())
    );
    assert!(listing(&s.state()).is_empty(), "nothing in the state dir");
    assert!(listing(&s.home()).is_empty(), "nothing in the home dir");
    assert_eq!(
        Path::new(SYSTEM_DIR).exists(),
        system_existed,
        "system dir untouched"
    );
}

#[test]
fn an_unwritable_directory_exits_1_and_keeps_the_old_heartbeat() {
    let s = Scratch::new();
    let old = r#"{"version":1,"job":"backup","timestamp":"2026-11-21T03:00:05Z","interval_seconds":86400,"host":"web1","pid":7,"status":"ok"}"#;
    let path = s.write("backup.last", old);
    fs::set_permissions(s.hb(), fs::Permissions::from_mode(0o555)).unwrap();
    let mut run = s.cmd(HB_WRITE).env("HB_DIR", s.hb()).args(["backup", "1d"]);
    if is_root() {
        // root ignores the directory's mode; a plain user does not.
        run = run.run_as_nobody();
    }
    let out = run.run();
    fs::set_permissions(s.hb(), fs::Permissions::from_mode(0o755)).unwrap();
    out.code(1).one_line_error(&[
        "hb-write: cannot write heartbeat for job `backup` to",
        &path.display().to_string(),
        "Permission denied (os error 13)",
    ]);
    assert!(
        !out.stderr.contains("hbtmp") && !out.stderr.contains(".atomicwrite"),
        "no temporary path in an error{}",
        out.show()
    );
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        old,
        "old heartbeat intact"
    );
    assert_eq!(listing(&s.hb()), ["backup.last"], "no temporary file left");
}

#[test]
fn a_directory_path_that_is_a_file_exits_1() {
    let s = Scratch::new();
    let file = s.root().join("not-a-dir");
    fs::write(&file, "x").unwrap();
    s.cmd(HB_WRITE)
        .env("HB_DIR", &file)
        .args(["backup", "1d"])
        .run()
        .code(1)
        .one_line_error(&["hb-write: cannot create heartbeat directory", "not-a-dir"]);
    assert_eq!(fs::read_to_string(&file).unwrap(), "x");
}

#[test]
fn a_symlink_at_the_heartbeat_is_replaced_not_followed() {
    let s = Scratch::new();
    let target = s.root().join("precious.txt");
    fs::write(&target, "do not touch").unwrap();
    symlink(&target, s.hb().join("backup.last")).unwrap();
    s.cmd(HB_WRITE)
        .env("HB_DIR", s.hb())
        .args(["backup", "1d"])
        .run()
        .code(0)
        .silent();
    assert_eq!(fs::read_to_string(&target).unwrap(), "do not touch");
    let link = s.hb().join("backup.last");
    assert!(!fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_fresh_record(&read_record(&link), "backup", 86_400);
}

#[test]
fn exit_code_and_message_are_recorded() {
    let s = Scratch::new();
    let long = "é".repeat(700);
    s.cmd(HB_WRITE)
        .env("HB_DIR", s.hb())
        .args(["--exit-code", "3", "--message", &long, "backup", "1d"])
        .run()
        .code(0)
        .silent();
    let record = read_record(&s.hb().join("backup.last"));
    assert_eq!(
        record["status"], "fail",
        "a non-zero exit code means failure"
    );
    assert_eq!(record["exit_code"], 3);
    let message = record["message"].as_str().unwrap();
    assert_eq!(message.len(), 1024, "cut to 1 KiB on a character boundary");
    assert!(message.chars().all(|c| c == 'é'));

    s.cmd(HB_WRITE)
        .env("HB_DIR", s.hb())
        .args(["--status", "ok", "--exit-code", "1", "backup", "1d"])
        .run()
        .code(0);
    assert_eq!(
        read_record(&s.hb().join("backup.last"))["status"],
        "ok",
        "--status wins"
    );
}

#[test]
fn retire_removes_the_heartbeat() {
    let s = Scratch::new();
    s.cmd(HB_WRITE)
        .env("HB_DIR", s.hb())
        .args(["old-job", "1d"])
        .run()
        .code(0);
    s.cmd(HB_WRITE)
        .env("HB_DIR", s.hb())
        .args(["--retire", "old-job"])
        .run()
        .code(0)
        .silent();
    assert!(listing(&s.hb()).is_empty());
    s.cmd(HB_WRITE)
        .env("HB_DIR", s.hb())
        .args(["--retire", "old-job"])
        .run()
        .code(1)
        .one_line_error(&["cannot retire job `old-job`: it has no heartbeat in", "/hb"]);
    s.cmd(HB_WRITE)
        .env("HB_DIR", s.hb())
        .args(["--retire", "../etc"])
        .run()
        .code(2)
        .one_line_error(&["invalid job name"]);
}

#[test]
fn without_a_dir_an_unprivileged_user_falls_back_to_the_state_directory() {
    let s = Scratch::new();
    let system_writable = fs::metadata(SYSTEM_DIR).is_ok_and(|m| !m.permissions().readonly());
    let mut run = s.cmd(HB_WRITE).args(["fallback-probe", "1h"]);
    if is_root() {
        fs::set_permissions(s.state(), fs::Permissions::from_mode(0o777)).unwrap();
        run = run.run_as_nobody();
    } else if system_writable {
        skip::skip(&format!(
            "{SYSTEM_DIR} is writable for this user, so no fallback happens"
        ));
        return;
    }
    run.run().code(0).silent();
    let written = s.state().join("cron-heartbeat/fallback-probe.last");
    assert_fresh_record(&read_record(&written), "fallback-probe", 3600);
    assert!(!Path::new(SYSTEM_DIR).join("fallback-probe.last").exists());
}

#[test]
fn concurrent_writers_never_leave_a_torn_file() {
    let s = Scratch::new();
    s.cmd(HB_WRITE)
        .env("HB_DIR", s.hb())
        .args(["busy", "1m"])
        .run()
        .code(0);
    let path = s.hb().join("busy.last");
    let reader = {
        let path = path.clone();
        thread::spawn(move || {
            let mut reads = 0;
            for _ in 0..2000 {
                let text = fs::read_to_string(&path).expect("the heartbeat always exists");
                let record: Value = serde_json::from_str(&text)
                    .unwrap_or_else(|e| panic!("torn read: {e}: {text:?}"));
                assert_eq!(record["job"], "busy");
                reads += 1;
            }
            reads
        })
    };
    let writers: Vec<_> = (0..40)
        .map(|i| {
            s.cmd(HB_WRITE)
                .env("HB_DIR", s.hb())
                .args(["--message", &"m".repeat(i * 20), "busy", "1m"])
                .spawn()
        })
        .collect();
    for (child, shown) in writers {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{shown}: {out:?}");
    }
    assert_eq!(reader.join().unwrap(), 2000);
    assert_eq!(
        listing(&s.hb()),
        ["busy.history", "busy.last"],
        "no temporary file left"
    );
}

#[test]
fn hb_dir_lists_are_read_like_xdg_lists_the_first_entry_wins() {
    let s = Scratch::new();
    let (a, b) = (s.root().join("a"), s.root().join("b"));
    let list = format!("{}:{}", a.display(), b.display());
    s.cmd(HB_WRITE)
        .env("HB_DIR", &list)
        .args(["backup", "1d"])
        .run()
        .code(0)
        .silent();
    assert!(a.join("backup.last").is_file(), "{:?}", listing(s.root()));
    assert!(!b.exists());
    assert!(
        !std::path::Path::new(&list).exists(),
        "no directory named `a:b`"
    );
}

#[test]
fn empty_settings_mean_unset_in_every_binary() {
    let s = Scratch::new();
    // hb-write: HB_DIR= falls back to the default rule (here the state
    // directory, the system one being root's or absent).
    let empty = [
        "HB_DIR",
        "HB_QUIET",
        "HB_VERBOSE",
        "HB_FORMAT",
        "HB_FACTOR",
        "HB_EXPECT",
        "HB_NOW",
        "HB_LOCK_TIMEOUT",
        "HB_LOCK_FILE",
        "HB_METRICS_FILE",
        "HB_TRACKER_URL",
        "HB_TRACKER_REPO",
        "HB_TRACKER_TOKEN",
        "HB_TRACKER_KIND",
        "HB_HOST",
        "HB_DRY_RUN",
        "HB_PANEL",
        "HB_REPORT_FORMAT",
        "HB_DEFAULT_INTERVAL",
    ];
    let with_empty = |program: &str| {
        let mut cmd = s.cmd(program);
        for name in empty {
            cmd = cmd.env(name, "");
        }
        cmd
    };
    let dir = s.hb().to_str().unwrap().to_owned();
    with_empty(HB_WRITE)
        .args(["--dir", &dir, "backup", "1d"])
        .run()
        .code(0)
        .silent();
    with_empty(harness::HB_CHECK)
        .args(["--dir", &dir])
        .run()
        .code(0)
        .silent();
    let out = with_empty(harness::NIGHT_WATCH)
        .args(["--dir", &dir, "--subject"])
        .run();
    out.code(0);
    assert!(out.stdout.ends_with("the 1 job is ok\n"), "{}", out.show());
}

#[test]
fn a_message_that_is_not_utf8_keeps_the_heartbeat() {
    use std::os::unix::ffi::OsStrExt;
    let s = Scratch::new();
    let message = std::ffi::OsStr::from_bytes(b"disk \xff full");
    s.cmd(HB_WRITE)
        .args(["--dir".as_ref(), s.hb().as_os_str()])
        .args(["--message".as_ref(), message])
        .args(["backup", "1d"])
        .run()
        .code(0)
        .silent();
    let record = read_record(&s.hb().join("backup.last"));
    assert_eq!(record["message"], "disk \u{fffd} full");
    // Elsewhere a non-UTF-8 argument is a usage error naming it.
    let out = s
        .cmd(HB_WRITE)
        .args(["--dir".as_ref(), s.hb().as_os_str()])
        .arg(std::ffi::OsStr::from_bytes(b"b\xffd"))
        .arg("1d")
        .run();
    out.code(2)
        .one_line_error(&["argument 3", "is not valid UTF-8"]);
}

#[test]
fn heartbeats_and_metrics_are_0644_under_umask_000() {
    let s = Scratch::new();
    let metrics = s.root().join("m.prom");
    let script = format!(
        "umask 000 && '{}' --dir '{}' backup 1d && '{}' --dir '{}' --metrics-file '{}'",
        HB_WRITE,
        s.hb().display(),
        harness::HB_CHECK,
        s.hb().display(),
        metrics.display()
    );
    s.cmd("/bin/sh").args(["-c", &script]).run().code(0);
    for file in [s.hb().join("backup.last"), metrics] {
        let mode = fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644, "{}: {mode:o}", file.display());
    }
}
