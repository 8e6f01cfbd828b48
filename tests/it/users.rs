//! Every user's heartbeats, judged by the system checker: hb-write run by a
//! user who cannot write the heartbeat directory writes to their own area
//! below `users/`, root's hb-check judges it as `<user>/<job>`, and no user
//! can forge, replace or delete another's. Needs root (to act as several
//! users); as anyone else the tests skip visibly.

use crate::harness;

use std::fs;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use harness::{is_root, skip, Scratch, NOBODY};
use serde_json::Value;

/// Debian's `daemon` user and group, standing in for a second user.
const DAEMON: u32 = 1;

/// A heartbeat directory laid out as the Debian package lays it out:
/// root's, 0755, with a sticky world-writable `users/`.
fn system_like() -> Option<Scratch> {
    if !is_root() {
        skip::skip("acting as several users needs root");
        return None;
    }
    let s = Scratch::new();
    fs::set_permissions(s.hb(), fs::Permissions::from_mode(0o755)).unwrap();
    let users = s.hb().join("users");
    fs::create_dir(&users).unwrap();
    fs::set_permissions(&users, fs::Permissions::from_mode(0o1777)).unwrap();
    Some(s)
}

fn area(s: &Scratch, user: &str) -> PathBuf {
    s.hb().join("users").join(user)
}

/// hb-write as `uid`, with the heartbeat directory given by HB_DIR, as a
/// crontab-wide setting or /etc/default would give it.
fn write_as(s: &Scratch, uid: u32, dir: &std::path::Path, args: &[&str]) -> harness::Outcome {
    s.hb_write()
        .env("HB_DIR", dir)
        .env("HOME", "/nonexistent")
        .env_remove("XDG_STATE_HOME")
        .args(args)
        .run_as(uid, uid)
        .run()
}

/// Root's hb-check over the whole directory, every job listed, as JSON.
fn judged(s: &Scratch) -> Vec<(String, String)> {
    let out = s.hb_check().args(["--format", "json"]).run();
    let doc = out.json();
    let mut jobs: Vec<(String, String)> = doc["jobs"]
        .as_array()
        .unwrap_or_else(|| panic!("a jobs array{}", out.show()))
        .iter()
        .map(|j| {
            (
                j["job"].as_str().unwrap_or_default().to_owned(),
                j["status"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    jobs.sort();
    jobs
}

fn reason_of(s: &Scratch, job: &str) -> String {
    let doc = s.hb_check().args(["--format", "json"]).run().json();
    doc["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["job"] == job)
        .and_then(|j| j["reason"].as_str())
        .unwrap_or_else(|| panic!("no reason for {job}: {doc}"))
        .to_owned()
}

#[test]
fn a_users_heartbeat_lands_in_their_area_and_root_judges_it() {
    let Some(s) = system_like() else { return };
    // root's own job, in the directory itself.
    s.hb_write()
        .env("HB_DIR", s.hb())
        .args(["backup", "1h"])
        .run()
        .code(0)
        .silent();
    assert!(s.hb().join("backup.last").is_file());
    write_as(&s, NOBODY, &s.hb(), &["report", "1h"])
        .code(0)
        .silent();

    let file = area(&s, "nobody").join("report.last");
    let meta = fs::metadata(&file).expect("the heartbeat in nobody's area");
    assert_eq!(meta.uid(), NOBODY);
    let dir = fs::metadata(area(&s, "nobody")).unwrap();
    assert_eq!((dir.uid(), dir.mode() & 0o7777), (NOBODY, 0o755));
    assert_eq!(
        judged(&s),
        [
            ("backup".to_owned(), "ok".to_owned()),
            ("nobody/report".to_owned(), "ok".to_owned())
        ]
    );
    // The next run writes over the same file, through the same area.
    write_as(&s, NOBODY, &s.hb(), &["report", "1h"])
        .code(0)
        .silent();
    assert_eq!(
        harness::listing(&area(&s, "nobody")),
        ["report.history", "report.last"]
    );
}

#[test]
fn one_user_cannot_replace_or_delete_anothers_heartbeat() {
    let Some(s) = system_like() else { return };
    write_as(&s, NOBODY, &s.hb(), &["report", "1h"])
        .code(0)
        .silent();
    let file = area(&s, "nobody").join("report.last");
    let before = fs::read(&file).unwrap();

    // daemon aims at nobody's area directly: no write, no retire.
    write_as(
        &s,
        DAEMON,
        &area(&s, "nobody"),
        &["--status", "fail", "report", "1h"],
    )
    .code(1);
    write_as(&s, DAEMON, &area(&s, "nobody"), &["--retire", "report"]).code(1);
    let rm = s
        .cmd("/bin/rm")
        .arg("-rf")
        .arg(area(&s, "nobody"))
        .run_as(DAEMON, DAEMON)
        .run();
    assert_ne!(
        rm.status,
        Some(0),
        "the sticky bit keeps the area{}",
        rm.show()
    );
    assert_eq!(
        fs::read(&file).unwrap(),
        before,
        "nobody's heartbeat is untouched"
    );
    assert_eq!(judged(&s), [("nobody/report".to_owned(), "ok".to_owned())]);
}

#[test]
fn an_area_made_by_someone_else_is_refused_by_the_writer_and_flagged_by_the_checker() {
    let Some(s) = system_like() else { return };
    // daemon squats the name `nobody` before nobody's first run, and plants
    // a heartbeat there.
    let squat = area(&s, "nobody");
    fs::create_dir(&squat).unwrap();
    fs::write(
        squat.join("report.last"),
        harness::record("report", harness::FRESH, 300, "ok", ""),
    )
    .unwrap();
    for path in [squat.clone(), squat.join("report.last")] {
        std::os::unix::fs::chown(&path, Some(DAEMON), Some(DAEMON)).unwrap();
    }
    write_as(&s, NOBODY, &s.hb(), &["report", "1h"])
        .code(1)
        .one_line_error(&["users/nobody", "belongs to uid 1", "ask root to remove it"]);
    assert_eq!(judged(&s), [("nobody/".to_owned(), "invalid".to_owned())]);
    let reason = reason_of(&s, "nobody/");
    assert!(reason.contains("belongs to daemon"), "{reason}");
}

#[test]
fn a_file_the_area_owner_does_not_own_or_a_symlink_is_invalid() {
    let Some(s) = system_like() else { return };
    write_as(&s, DAEMON, &s.hb(), &["sync", "1h"])
        .code(0)
        .silent();
    // daemon opens its area to everyone; nobody drops a heartbeat in it.
    let open = area(&s, "daemon");
    fs::set_permissions(&open, fs::Permissions::from_mode(0o777)).unwrap();
    write_as(&s, NOBODY, &open, &["forged", "1h"])
        .code(0)
        .silent();
    // and a link that would make root read a file of root's.
    let secret = s.root().join("secret.last");
    fs::write(
        &secret,
        harness::record("leak", harness::FRESH, 300, "ok", ""),
    )
    .unwrap();
    symlink(&secret, open.join("leak.last")).unwrap();
    assert_eq!(
        judged(&s),
        [
            ("daemon/forged".to_owned(), "invalid".to_owned()),
            ("daemon/leak".to_owned(), "invalid".to_owned()),
            ("daemon/sync".to_owned(), "ok".to_owned()),
        ]
    );
    let forged = reason_of(&s, "daemon/forged");
    assert!(
        forged.contains("belongs to nobody, not to daemon"),
        "{forged}"
    );
    assert!(reason_of(&s, "daemon/leak").contains("symlink"));
}

#[test]
fn a_users_directory_others_may_empty_is_not_trusted() {
    let Some(s) = system_like() else { return };
    write_as(&s, NOBODY, &s.hb(), &["report", "1h"])
        .code(0)
        .silent();
    // Without the sticky bit any user could remove nobody's area.
    fs::set_permissions(s.hb().join("users"), fs::Permissions::from_mode(0o777)).unwrap();
    assert_eq!(judged(&s), [("users/".to_owned(), "invalid".to_owned())]);
    assert!(reason_of(&s, "users/").contains("chmod 1777"));
}

#[test]
fn a_user_pauses_and_counts_failures_in_their_own_area_only() {
    let Some(s) = system_like() else { return };
    for _ in 0..2 {
        write_as(&s, NOBODY, &s.hb(), &["--exit-code", "1", "report", "1h"])
            .code(0)
            .silent();
    }
    assert_eq!(
        harness::listing(&area(&s, "nobody")),
        ["report.history", "report.last"]
    );
    // Two failures in a row, read from the history in nobody's area.
    let out = s
        .hb_check()
        .args(["--alert-after", "3", "--format", "json"])
        .run();
    let doc = out.json();
    assert_eq!(doc["jobs"][0]["status"], "failing", "{}", out.show());
    assert_eq!(doc["jobs"][0]["consecutive_failures"], 2, "{}", out.show());
    write_as(&s, NOBODY, &s.hb(), &["--pause", "1h", "report"])
        .code(0)
        .silent();
    assert!(area(&s, "nobody").join("report.pause").is_file());
    assert_eq!(
        judged(&s),
        [("nobody/report".to_owned(), "paused".to_owned())]
    );
    // A pause another user plants in nobody's area pauses nothing.
    write_as(&s, NOBODY, &s.hb(), &["--resume", "report"]).code(0);
    let planted = area(&s, "nobody").join("report.pause");
    fs::write(
        &planted,
        r#"{"version":1,"job":"report","since":"2026-01-01T00:00:00Z","until":"2999-01-01T00:00:00Z"}"#,
    )
    .unwrap();
    std::os::unix::fs::chown(&planted, Some(DAEMON), Some(DAEMON)).unwrap();
    assert_eq!(
        judged(&s),
        [("nobody/report".to_owned(), "failed".to_owned())]
    );
}

#[test]
fn a_line_of_a_users_crontab_is_answered_by_the_heartbeat_in_their_area() {
    let Some(s) = system_like() else { return };
    let spool = s.root().join("sysroot/var/spool/cron/crontabs");
    fs::create_dir_all(&spool).unwrap();
    fs::write(
        spool.join("nobody"),
        "0 * * * * /usr/bin/true && hb-write report 1h\n",
    )
    .unwrap();
    let discover = || {
        s.hb_check()
            .env("HB_DISCOVER", "1")
            .env("HB_CRON_ROOT", s.root().join("sysroot"))
            .args(["--format", "json"])
            .run()
            .json()
    };
    // Before its first run: known from the line alone, under nobody's name.
    let doc = discover();
    assert_eq!(doc["jobs"][0]["job"], "nobody/report", "{doc}");
    assert_eq!(doc["jobs"][0]["path"], Value::Null, "{doc}");
    write_as(&s, NOBODY, &s.hb(), &["report", "1h"])
        .code(0)
        .silent();
    let doc = discover();
    let jobs = doc["jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 1, "{doc}");
    assert_eq!(jobs[0]["job"], "nobody/report", "{doc}");
    assert_eq!(jobs[0]["status"], "ok", "{doc}");
    assert_eq!(jobs[0]["schedule"], "0 * * * *", "{doc}");
    let path = area(&s, "nobody").join("report.last");
    assert_eq!(jobs[0]["path"], path.to_str().unwrap(), "{doc}");
}

#[test]
fn a_pause_dropped_in_the_users_directory_pauses_nobody() {
    let Some(s) = system_like() else { return };
    write_as(&s, NOBODY, &s.hb(), &["report", "1h"])
        .code(0)
        .silent();
    // nobody's job failed at a fixed time, judged at harness::NOW.
    let file = area(&s, "nobody").join("report.last");
    fs::write(
        &file,
        harness::record("report", harness::FRESH, 300, "fail", ""),
    )
    .unwrap();
    // daemon may write in the sticky `users/`, and tries a host pause there.
    let planted = s.hb().join("users").join("_host.pause");
    fs::write(
        &planted,
        r#"{"version":1,"since":"2026-11-22T00:00:00Z","until":"2027-12-01T00:00:00Z"}"#,
    )
    .unwrap();
    std::os::unix::fs::chown(&planted, Some(DAEMON), Some(DAEMON)).unwrap();
    let out = s
        .hb_check()
        .args(["--format", "json", "--now", harness::NOW])
        .run();
    let doc = out.json();
    let status = |job: &str| {
        doc["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["job"] == job)
            .map(|j| j["status"].as_str().unwrap_or_default().to_owned())
    };
    assert_ne!(
        status("nobody/report").as_deref(),
        Some("paused"),
        "{}",
        out.show()
    );
    // What lies in `users/` is flagged, not obeyed.
    assert_eq!(
        status("_host.pause/").as_deref(),
        Some("invalid"),
        "{}",
        out.show()
    );
    // root's own host pause still covers every user's job.
    fs::rename(&planted, s.hb().join("_host.pause")).unwrap();
    std::os::unix::fs::chown(s.hb().join("_host.pause"), Some(0), Some(0)).unwrap();
    let out = s
        .hb_check()
        .args(["--format", "json", "--now", harness::NOW])
        .run();
    assert_eq!(out.json()["jobs"][0]["status"], "paused", "{}", out.show());
}

#[test]
fn one_users_thousands_of_files_give_at_most_the_cap_of_rows() {
    let Some(s) = system_like() else { return };
    write_as(&s, NOBODY, &s.hb(), &["report", "1h"])
        .code(0)
        .silent();
    let junk = area(&s, "nobody");
    for i in 0..1200 {
        for ext in ["last", "pause"] {
            let file = junk.join(format!("junk{i:04}.{ext}"));
            fs::write(&file, "").unwrap();
            std::os::unix::fs::chown(&file, Some(NOBODY), Some(NOBODY)).unwrap();
        }
    }
    let rows = judged(&s);
    let pauses = rows
        .iter()
        .filter(|(job, _)| Path::new(job).extension().is_some_and(|e| e == "pause"))
        .count();
    assert_eq!(pauses, 1000, "1000 unusable pauses");
    assert_eq!(
        rows.len() - pauses,
        1002,
        "1000 heartbeats and one row each for the rest"
    );
    assert!(rows.contains(&("nobody/".to_owned(), "invalid".to_owned())));
    assert!(rows.iter().any(|(job, _)| job == "nobody/junk0998"));
    assert!(!rows.iter().any(|(job, _)| job == "nobody/report"));
    let reason = reason_of(&s, "nobody/");
    assert!(
        reason.contains("1201 heartbeat files, more than the 1000 read from one place"),
        "{reason}"
    );
}

/// The areas are read through directory handles with the kernel's own
/// calls (`openat`, `fdopendir`), which need no `/proc`: a checker in a
/// chroot or a container without it judges every user's heartbeats and
/// pauses as anywhere else.
#[test]
fn the_areas_are_read_where_no_proc_is_mounted() {
    let Some(s) = system_like() else { return };
    let private = ["--mount", "--propagation", "private"];
    let probe = s.cmd("unshare").args(private).args(["true"]).run();
    if probe.status != Some(0) {
        skip::skip("no mount namespace can be made here (`unshare --mount`)");
        return;
    }
    write_as(&s, NOBODY, &s.hb(), &["report", "1h"])
        .code(0)
        .silent();
    write_as(&s, NOBODY, &s.hb(), &["report", "--pause", "1h"]).code(0);
    // /proc hidden under an empty tmpfs, in a mount namespace of its own.
    let out = s
        .cmd("unshare")
        .args(private)
        .args([
            "sh",
            "-c",
            "mount -t tmpfs none /proc && exec \"$0\" --format json",
        ])
        .arg(harness::HB_CHECK)
        .env("HB_DIR", s.hb())
        .env("HB_BOOT_TIME", "2000-01-01T00:00:00Z")
        .run();
    let doc = out.json();
    let rows: Vec<(&str, &str)> = doc["jobs"]
        .as_array()
        .unwrap_or_else(|| panic!("a jobs array{}", out.show()))
        .iter()
        .map(|j| (j["job"].as_str().unwrap(), j["status"].as_str().unwrap()))
        .collect();
    assert_eq!(rows, [("nobody/report", "paused")], "{}", out.show());
}

/// A wrapped run of a user who cannot write the heartbeat directory keeps
/// its `running` record in their area; its output is progress on that
/// record (`--stall-after`), so a chatty run is never called stalled.
#[test]
fn output_of_a_run_in_a_users_area_marks_its_own_record() {
    let Some(s) = system_like() else { return };
    let (child, shown) = s
        .hb_write()
        .env("HB_DIR", s.hb())
        .env("HOME", "/nonexistent")
        .env_remove("XDG_STATE_HOME")
        .args(["--stall-after", "10s", "chatty", "1h", "--"])
        .args(["sh", "-c", "echo tick; sleep 30"])
        .run_as(NOBODY, NOBODY)
        .spawn();
    let file = area(&s, "nobody").join("chatty.last");
    let modified = || fs::metadata(&file).and_then(|m| m.modified()).ok();
    let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !fs::read_to_string(&file).is_ok_and(|t| t.contains("\"running\"")) {
        assert!(std::time::Instant::now() < until, "no running record");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let written = modified().expect("the running record's time");
    // The output is marked within one progress period (5 s).
    let until = std::time::Instant::now() + std::time::Duration::from_secs(12);
    while modified() <= Some(written) && std::time::Instant::now() < until {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let marked = modified() > Some(written);
    // SAFETY: kill takes plain integers.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    harness::Outcome::new(shown, None, child.wait_with_output().unwrap()).code(143);
    assert!(marked, "the output was not marked on {}", file.display());
    assert!(
        !s.hb().join("chatty.last").exists(),
        "nothing outside the area"
    );
}
