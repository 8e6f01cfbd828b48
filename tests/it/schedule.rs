//! Judging by the crontab, end to end: the real hb-check and night-watch
//! over hand-written heartbeats and crontab files, with `--now` fixed.

use crate::harness;

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use harness::forge::gitea;
use harness::{record, Outcome, Scratch};

/// An instant long before every `--now` of these tests: crontab files are
/// dated here unless a test says otherwise, so their lines are old.
const LONG_AGO: &str = "2026-01-01T00:00:00Z";

fn instant(text: &str) -> SystemTime {
    let t = chrono::DateTime::parse_from_rfc3339(text).expect("an RFC 3339 instant");
    SystemTime::UNIX_EPOCH + Duration::from_secs(t.timestamp() as u64)
}

/// Writes a crontab beside the heartbeat directory, last modified at `at`.
fn crontab_at(dir: &Scratch, name: &str, text: &str, at: &str) -> PathBuf {
    let path = dir.root().join(name);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, text).unwrap();
    set_mtime(&path, at);
    path
}

fn crontab(dir: &Scratch, text: &str) -> PathBuf {
    crontab_at(dir, "crontab", text, LONG_AGO)
}

fn set_mtime(path: &Path, at: &str) {
    File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(instant(at)))
        .unwrap();
}

/// A heartbeat for `job` with `interval` seconds, written at `at`.
fn beat(dir: &Scratch, job: &str, at: &str, interval: u64) {
    dir.write(&format!("{job}.last"), record(job, at, interval, "ok", ""));
}

fn check(dir: &Scratch, tab: &Path, now: &str, extra: &[&str]) -> Outcome {
    dir.hb_check()
        .arg("--crontab")
        .arg(tab)
        .args(["--now", now])
        .args(extra)
        .run()
}

/// The status of `job` in hb-check's JSON at `now`.
fn status_of(dir: &Scratch, tab: &Path, now: &str, job: &str) -> String {
    let r = check(dir, tab, now, &["--format", "json"]);
    let doc = r.json();
    let found = doc["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["job"] == job)
        .unwrap_or_else(|| panic!("no job `{job}` at {now}: {}", r.show()))
        .clone();
    found["status"].as_str().unwrap().to_owned()
}

#[test]
fn a_daily_job_is_ok_at_0405_and_stale_at_0415_when_the_tracker_opens_its_issue() {
    let Some(forge) = gitea() else { return };
    let dir = Scratch::new();
    let tab = crontab(
        &dir,
        "0 3 * * * /usr/local/bin/backup.sh && hb-write backup 1d\n",
    );
    beat(&dir, "backup", "2026-11-23T03:10:00Z", 86_400);
    let run = |now: &str| {
        forge
            .hb_check(&dir)
            .env("HB_NOW", now)
            .env("HB_CRONTAB", &tab)
            .run()
    };

    let ok = run("2026-11-24T04:05:00Z");
    ok.code(0).silent();
    assert!(
        forge.issues_titled("[heartbeat-checker] web1:").is_empty(),
        "{}",
        ok.show()
    );

    let stale = run("2026-11-24T04:15:00Z");
    stale.code(2);
    stale.stdout_has("backup stale: age 1d 1h, due 03:10, missed");
    let issues = forge.issues_titled("[heartbeat-checker] web1:");
    assert_eq!(issues.len(), 1, "{}", stale.show());
    assert!(issues[0].open);
    assert!(issues[0].body.contains("backup"), "{}", issues[0].body);
    assert!(
        issues[0].body.contains("2026-11-24 03:10"),
        "the issue says when the run was due: {}",
        issues[0].body
    );
    forge.assert_clean();
}

#[test]
fn a_weekday_job_rests_all_weekend_and_a_missed_monday_is_stale_before_five() {
    let dir = Scratch::new();
    let tab = crontab(
        &dir,
        "0 3 * * 1-5 /usr/local/bin/report && hb-write report 1d\n",
    );
    // Friday 2026-11-20, 03:05.
    beat(&dir, "report", "2026-11-20T03:05:00Z", 86_400);
    for (run, now) in [
        "2026-11-20T12:00:00Z",
        "2026-11-21T03:00:00Z",
        "2026-11-21T09:00:00Z",
        "2026-11-21T21:00:00Z",
        "2026-11-22T03:00:00Z",
        "2026-11-22T15:00:00Z",
        "2026-11-22T23:45:00Z",
        "2026-11-23T03:30:00Z",
        "2026-11-23T04:05:00Z",
    ]
    .into_iter()
    .enumerate()
    {
        let r = check(&dir, &tab, now, &[]);
        r.code(0);
        assert_eq!(r.stdout, "", "{}", r.show());
        // Declared 1d, the job would look stale by interval every weekend:
        // the lint says so, on standard error, once for this crontab.
        if run == 0 {
            r.stderr_has("shorter than the longest gap between its fires (3d)");
        } else {
            assert_eq!(r.stderr, "", "{}", r.show());
        }
    }
    let monday = check(&dir, &tab, "2026-11-23T04:10:00Z", &[]);
    monday.code(2).stdout_has("report stale");
    monday.stdout_has("due 03:05, missed");
    // Judged by interval, the same job would have been stale on Sunday.
    let plain = check(&dir, &tab, "2026-11-22T15:00:00Z", &["--by-interval"]);
    plain
        .code(2)
        .stdout_has("report stale: age 2d 11h, interval 1d, ratio 2.5x");
}

#[test]
fn a_two_hour_job_is_due_at_its_own_time() {
    let dir = Scratch::new();
    let tab = crontab(
        &dir,
        "0 3 * * * hb-write dump 1d -- /usr/local/bin/dump-all\n",
    );
    beat(&dir, "dump", "2026-11-23T05:00:00Z", 86_400);
    check(&dir, &tab, "2026-11-24T04:30:00Z", &[])
        .code(0)
        .silent();
    check(&dir, &tab, "2026-11-24T05:59:00Z", &[])
        .code(0)
        .silent();
    check(&dir, &tab, "2026-11-24T06:05:00Z", &[])
        .code(2)
        .stdout_has("dump stale: age 1d 1h, due 05:00, missed");
}

#[test]
fn a_job_ending_at_0304_and_0320_on_alternate_nights_is_never_late_or_stale() {
    let dir = Scratch::new();
    let tab = crontab(&dir, "0 3 * * * /usr/local/bin/sync && hb-write sync 1d\n");
    let nights = [
        "2026-11-20T03:04:00Z",
        "2026-11-21T03:20:00Z",
        "2026-11-22T03:04:00Z",
        "2026-11-23T03:20:00Z",
        "2026-11-24T03:04:00Z",
    ];
    for pair in nights.windows(2) {
        beat(&dir, "sync", pair[0], 86_400);
        // Checks every 15 minutes from 02:45 until the next run reports.
        let next = chrono::DateTime::parse_from_rfc3339(pair[1]).unwrap();
        let mut t = next - chrono::Duration::minutes(45);
        while t < next {
            let now = t.to_rfc3339();
            let r = check(&dir, &tab, &now, &[]);
            r.code(0).silent();
            t += chrono::Duration::minutes(15);
        }
        // And in the afternoon, when interval judgement would not mind
        // either.
        let afternoon = (next - chrono::Duration::hours(15)).to_rfc3339();
        check(&dir, &tab, &afternoon, &[]).code(0).silent();
    }
}

#[test]
fn a_daily_0230_job_in_berlin_neither_alerts_nor_hides_across_both_change_days() {
    let dir = Scratch::new();
    let tab = crontab(
        &dir,
        "CRON_TZ=Europe/Berlin\n30 2 * * * /usr/local/bin/nightly && hb-write nightly 1d\n",
    );
    // The fires in UTC: 02:30 CET is 01:30Z, 02:30 CEST is 00:30Z; on
    // 29 March 02:30 does not exist and cron runs the job at 03:00 CEST
    // (01:00Z); on 25 October 02:30 happens twice and the job runs once,
    // at the first (00:30Z).
    let runs = [
        [
            "2026-03-27T01:30:00Z",
            "2026-03-28T01:30:00Z",
            "2026-03-29T01:00:00Z",
            "2026-03-30T00:30:00Z",
            "2026-03-31T00:30:00Z",
        ],
        [
            "2026-10-23T00:30:00Z",
            "2026-10-24T00:30:00Z",
            "2026-10-25T00:30:00Z",
            "2026-10-26T01:30:00Z",
            "2026-10-27T01:30:00Z",
        ],
    ];
    let at = |fire: &str, minutes: i64| {
        (chrono::DateTime::parse_from_rfc3339(fire).unwrap() + chrono::Duration::minutes(minutes))
            .to_rfc3339()
    };
    for season in runs {
        for pair in season.windows(2) {
            // Each run reports two minutes after its fire.
            beat(&dir, "nightly", &at(pair[0], 2), 86_400);
            for minutes in [10, 6 * 60, 12 * 60, 20 * 60] {
                let now = at(pair[0], minutes);
                assert_eq!(status_of(&dir, &tab, &now, "nightly"), "ok", "{now}");
            }
            // Just before the next run is due plus grace: still ok; a
            // minute after: the run was missed.
            assert_eq!(
                status_of(&dir, &tab, &at(pair[1], 61), "nightly"),
                "ok",
                "{}",
                pair[1]
            );
            assert_eq!(
                status_of(&dir, &tab, &at(pair[1], 63), "nightly"),
                "stale",
                "{}",
                pair[1]
            );
        }
    }
}

const SIX_LINES: &str = "\
MAILTO=ops@example.com
0 3 * * * /usr/local/bin/hb-write backup 1d
15 * * * * hb-write --dir HBDIR --message 'hourly sync' sync 1h
30 2 * * * /usr/local/bin/rotate && hb-write rotate 1d
0 4 * * 1-5 hb-write report 3d -- /usr/local/bin/report --all
@hourly hb-write tick 1h
# 0 5 * * * hb-write retired 1d
";

#[test]
fn six_hb_write_lines_give_the_five_live_jobs_and_the_one_never_run_is_missing() {
    let dir = Scratch::new();
    let text = SIX_LINES.replace("HBDIR", &dir.hb().display().to_string());
    let tab = crontab(&dir, &text);
    let now = "2026-11-24T10:20:00Z";
    beat(&dir, "backup", "2026-11-24T03:00:20Z", 86_400);
    beat(&dir, "sync", "2026-11-24T10:15:09Z", 3_600);
    beat(&dir, "rotate", "2026-11-24T02:30:40Z", 86_400);
    beat(&dir, "report", "2026-11-24T04:12:00Z", 3 * 86_400);
    // `tick` has never run; its line is old.
    let r = check(&dir, &tab, now, &["--format", "json"]);
    r.code(2);
    assert_eq!(r.stderr, "", "a clean crontab has no lint: {}", r.show());
    let doc = r.json();
    let mut jobs: Vec<(String, String)> = doc["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| {
            (
                j["job"].as_str().unwrap().to_owned(),
                j["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    jobs.sort();
    let want: Vec<(String, String)> = [
        ("backup", "ok"),
        ("report", "ok"),
        ("rotate", "ok"),
        ("sync", "ok"),
        ("tick", "missing"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(jobs, want, "{}", r.show());
    let tick = doc["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["job"] == "tick")
        .unwrap();
    assert_eq!(tick["schedule"], "@hourly");
    assert_eq!(tick["expectation"], format!("crontab {}:6", tab.display()));
    let report = doc["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["job"] == "report")
        .unwrap();
    assert_eq!(report["due_at"], "2026-11-25T04:12:00Z");
    assert_eq!(report["grace_seconds"], 3600);
    assert_eq!(report["time_zone"], "UTC");

    // The same file touched a minute ago: `tick` is not missing yet.
    set_mtime(&tab, "2026-11-24T10:19:00Z");
    let fresh = check(&dir, &tab, now, &[]);
    fresh.code(0).silent();
    let listed = check(&dir, &tab, now, &["--verbose"]);
    listed.code(0).stdout_has("tick ok: due 11:00");
}

#[test]
fn lint_names_file_and_line_and_a_matching_crontab_has_none() {
    let dir = Scratch::new();
    let tab = crontab(
        &dir,
        "0 3 * * * /usr/local/bin/run && hb-write x 300\n\
         0 4 * * * tar czf /backup/$(date +%F).tgz /srv && hb-write tarball 1d\n",
    );
    let r = dir
        .hb_check()
        .arg("--lint")
        .arg("--crontab")
        .arg(&tab)
        .run();
    r.code(1);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", r.show());
    let name = tab.display().to_string();
    assert!(
        lines[0].starts_with(&format!("{name}:1: the interval 5m of job `x`")),
        "{}",
        r.show()
    );
    assert!(
        lines[1].starts_with(&format!("{name}:2: an unescaped `%`")),
        "{}",
        r.show()
    );
    assert_eq!(r.stderr, "", "{}", r.show());

    let good = crontab_at(
        &dir,
        "good",
        "0 3 * * * /usr/local/bin/run && hb-write x 1d\n\
         0 4 * * * tar czf /backup/$(date +\\%F).tgz /srv && hb-write tarball 1d\n",
        LONG_AGO,
    );
    dir.hb_check()
        .arg("--lint")
        .arg("--crontab")
        .arg(&good)
        .run()
        .code(0)
        .silent();

    // Outside --lint the warnings go to standard error and do not move the
    // exit code.
    beat(&dir, "x", "2026-11-24T03:00:05Z", 300);
    beat(&dir, "tarball", "2026-11-24T04:00:05Z", 86_400);
    let judged = check(&dir, &tab, "2026-11-24T05:00:00Z", &[]);
    judged.code(0);
    assert_eq!(judged.stdout, "", "{}", judged.show());
    judged.stderr_has(&format!("hb-check: warning: {name}:1: the interval 5m"));
    judged.stderr_has(&format!("hb-check: warning: {name}:2: an unescaped `%`"));
}

#[test]
fn lint_needs_a_crontab_and_an_unreadable_one_is_unknown() {
    let dir = Scratch::new();
    let r = dir.hb_check().arg("--lint").run();
    r.code(3)
        .one_line_error(&["hb-check: --lint needs", "--crontab"]);
    let gone = dir.root().join("no-such-crontab");
    let r = dir.hb_check().arg("--crontab").arg(&gone).run();
    r.code(3)
        .one_line_error(&["hb-check: cannot read crontab", "no-such-crontab"]);
    beat(&dir, "a", "2026-11-24T03:00:05Z", 300);
}

#[test]
fn discovery_reads_the_system_crontabs_and_the_spool() {
    let dir = Scratch::new();
    let root = dir.root().join("sysroot");
    crontab_at(
        &dir,
        "sysroot/etc/crontab",
        "SHELL=/bin/sh\n17 * * * * root cd / && run-parts --report /etc/cron.hourly\n0 3 * * * root hb-write backup 1d\n",
        LONG_AGO,
    );
    crontab_at(
        &dir,
        "sysroot/etc/cron.d/db",
        "0 4 * * * postgres hb-write dump 1d\n",
        LONG_AGO,
    );
    crontab_at(
        &dir,
        "sysroot/etc/cron.d/db.dpkg-old",
        "0 4 * * * root hb-write old 1d\n",
        LONG_AGO,
    );
    crontab_at(
        &dir,
        "sysroot/var/spool/cron/crontabs/alice",
        "30 5 * * * hb-write photos 1d\n",
        LONG_AGO,
    );
    beat(&dir, "backup", "2026-11-24T03:00:05Z", 86_400);
    beat(&dir, "dump", "2026-11-24T04:00:05Z", 86_400);
    let r = dir
        .hb_check()
        .env("HB_DISCOVER", "1")
        .env("HB_CRON_ROOT", &root)
        .args(["--now", "2026-11-24T08:00:00Z", "--format", "json"])
        .run();
    r.code(2);
    let doc = r.json();
    let jobs: Vec<(&str, &str)> = doc["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| (j["job"].as_str().unwrap(), j["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        jobs,
        // A line cron runs as alice or postgres is judged by the name of
        // its heartbeat in that user's area, and only by it: a `dump` in
        // root's directory does not answer postgres's line.
        [
            ("alice/photos", "missing"),
            ("postgres/dump", "missing"),
            ("backup", "ok"),
            ("dump", "ok")
        ],
        "{}",
        r.show()
    );
    let photos = &doc["jobs"][0];
    assert_eq!(
        photos["expectation"],
        format!(
            "crontab {}:1",
            root.join("var/spool/cron/crontabs/alice").display()
        )
    );

    // night-watch reads the same crontabs and shows the same jobs.
    let panel = dir
        .night_watch()
        .env("HB_DISCOVER", "1")
        .env("HB_CRON_ROOT", &root)
        .args(["--now", "2026-11-24T08:00:00Z", "--panel"])
        .run();
    panel.code(0);
    panel.stdout_has("photos");
    panel.stdout_has("05:30, missed");
    panel.stdout_has("Wed 03:00");
}

#[test]
fn a_schedule_stored_by_hb_write_is_judged_without_a_crontab() {
    let dir = Scratch::new();
    dir.hb_write()
        .env("HB_DIR", dir.hb())
        .args(["--schedule", "0 3 * * *", "remote", "1d"])
        .run()
        .code(0)
        .silent();
    let text = fs::read_to_string(dir.hb().join("remote.last")).unwrap();
    assert!(text.contains(r#""schedule":"0 3 * * *""#), "{text}");

    dir.hb_write()
        .env("HB_DIR", dir.hb())
        .args(["--schedule", "0 3 * *", "bad", "1d"])
        .run()
        .code(2)
        .one_line_error(&["hb-write:", "five"]);
    assert!(!dir.hb().join("bad.last").exists());

    let mut record_text = record(
        "remote",
        "2026-11-23T03:10:00Z",
        86_400,
        "ok",
        r#","schedule":"0 3 * * *""#,
    );
    record_text.push('\n');
    dir.write("remote.last", record_text);
    let ok = dir
        .hb_check()
        .args(["--now", "2026-11-24T04:05:00Z", "--format", "json"])
        .run();
    ok.code(0);
    assert_eq!(ok.json()["jobs"][0]["expectation"], "record");
    dir.hb_check()
        .args(["--now", "2026-11-24T04:15:00Z"])
        .run()
        .code(2)
        .stdout_has("remote stale: age 1d 1h, due 03:10, missed");
    // A grace of ten minutes moves the line.
    dir.hb_check()
        .args(["--now", "2026-11-24T03:25:00Z", "--grace", "10m"])
        .run()
        .code(2);
    dir.hb_check()
        .env("HB_GRACE", "20m")
        .args(["--now", "2026-11-24T03:25:00Z"])
        .run()
        .code(0);
}

#[test]
fn night_watch_says_due_and_missed_beside_the_ratio() {
    let dir = Scratch::new();
    let tab = crontab(
        &dir,
        "0 3 * * * /usr/local/bin/backup.sh && hb-write backup 1d\n",
    );
    beat(&dir, "backup", "2026-11-23T03:10:00Z", 86_400);
    beat(&dir, "plain", "2026-11-24T04:00:00Z", 300);
    let r = dir
        .night_watch()
        .arg("--crontab")
        .arg(&tab)
        .args([
            "--now",
            "2026-11-24T04:15:00Z",
            "--panel",
            "--format",
            "markdown",
        ])
        .run();
    r.code(0);
    r.stdout_has("| backup | stale | 1d 1h | 1d | 1.1x | 03:10, missed |");
    r.stdout_has("| plain | stale | 15m | 5m | 3.0x | - |");
}

#[test]
fn the_example_crontab_has_no_lint() {
    let dir = Scratch::new();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/cron/crontab");
    let r = dir
        .hb_check()
        .arg("--lint")
        .arg("--crontab")
        .arg(&example)
        .run();
    r.code(0).silent();
}

/// `--discover` below a scratch root holding `files` (path, text).
fn discovering(dir: &Scratch, files: &[(&str, String)]) -> PathBuf {
    for (path, text) in files {
        crontab_at(dir, &format!("sysroot/{path}"), text, LONG_AGO);
    }
    dir.root().join("sysroot")
}

#[test]
fn a_huge_crontab_is_read_up_to_its_bound_and_one_line_says_what_was_cut() {
    let dir = Scratch::new();
    // 1,200 lines with two calls each: 2,400 jobs where 1,000 are read.
    let mut mallory = String::new();
    for i in 0..1200 {
        mallory += &format!("0 3 * * * hb-write a{i} 1d; hb-write b{i} 1d\n");
    }
    // bob's jobs in three system crontabs: 3,000, of which 2,000 are read.
    let bob = |file: usize| -> String {
        let mut lines = String::new();
        for i in 0..1000 {
            lines += &format!("0 4 * * * bob hb-write f{file}j{i} 1d\n");
        }
        lines
    };
    let root = discovering(
        &dir,
        &[
            ("var/spool/cron/crontabs/mallory", mallory),
            ("etc/cron.d/b1", bob(1)),
            ("etc/cron.d/b2", bob(2)),
            ("etc/cron.d/b3", bob(3)),
        ],
    );
    let r = dir
        .hb_check()
        .env("HB_DISCOVER", "1")
        .env("HB_CRON_ROOT", &root)
        .args(["--now", "2026-11-24T08:00:00Z", "--format", "json"])
        .run();
    r.code(2);
    let doc = r.json();
    let jobs = doc["jobs"].as_array().unwrap();
    let of = |user: &str| {
        jobs.iter()
            .filter(|j| j["job"].as_str().unwrap().starts_with(user))
            .count()
    };
    assert_eq!(of("mallory/"), 1000, "{}", r.show());
    assert_eq!(of("bob/"), 2000, "{}", r.show());
    let spool = root.join("var/spool/cron/crontabs/mallory");
    r.stderr_has(&format!(
        "hb-check: warning: {}: only the first 1000 hb-write jobs of a crontab are read; 1400 more are left out\n",
        spool.display()
    ));
    r.stderr_has(&format!(
        "hb-check: warning: {}: only the first 2000 hb-write jobs of a user are read; 1000 more of user `bob`'s jobs are left out from here on\n",
        root.join("etc/cron.d/b3").display()
    ));
    // One line each, not one per job left out.
    assert_eq!(r.stderr.lines().count(), 2, "{}", r.show());
}

#[test]
fn a_check_warns_about_a_crontab_once_per_change_and_lint_always() {
    let dir = Scratch::new();
    let tab = crontab(&dir, "0 3 * * * /usr/local/bin/run && hb-write x 300\n");
    beat(&dir, "x", "2026-11-24T03:00:05Z", 300);
    let now = "2026-11-24T05:00:00Z";
    let warning = format!("hb-check: warning: {}:1: the interval 5m", tab.display());
    check(&dir, &tab, now, &[]).code(0).stderr_has(&warning);
    // The same crontab: nothing to say again, and no lint to compute.
    check(&dir, &tab, now, &[]).code(0).silent();
    check(&dir, &tab, now, &[]).code(0).silent();
    // `--lint` says it whenever asked.
    let asked = check(&dir, &tab, now, &["--lint"]);
    asked.code(1).stdout_has(":1: the interval 5m");
    // A changed crontab is linted again.
    fs::write(
        &tab,
        "0 3 * * * /usr/local/bin/run && hb-write x 300\n0 4 * * * hb-write y 1d\n",
    )
    .unwrap();
    check(&dir, &tab, now, &[]).stderr_has(&warning);
    check(&dir, &tab, now, &[]).silent();
}

#[test]
fn a_users_lint_worthy_line_warns_root_once_under_changes_only() {
    let dir = Scratch::new();
    let root = discovering(
        &dir,
        &[(
            "var/spool/cron/crontabs/alice",
            "0 3 * * * hb-write photos 5m\n".to_owned(),
        )],
    );
    dir.beat_in("users/alice", "photos", "2026-11-24T03:00:05Z", "ok");
    let run = || {
        dir.hb_check()
            .env("HB_DISCOVER", "1")
            .env("HB_CRON_ROOT", &root)
            .args(["--now", "2026-11-24T05:00:00Z", "--changes-only"])
            .run()
    };
    run().stderr_has("the interval 5m of job `photos`");
    // Every 15 minutes after: no mail while nothing changes.
    run().silent();
    run().silent();
}

#[test]
fn a_quarter_hour_job_keeps_its_grace_into_the_repeated_hour() {
    let dir = Scratch::new();
    let tab = crontab(
        &dir,
        "CRON_TZ=Europe/Berlin\n*/15 * * * * /usr/local/bin/q && hb-write q 15m\n",
    );
    // The day before the change and the change day: a run at 02:45:40
    // CEST, judged 50 seconds after the next fire is due.
    for (beat_at, now) in [
        ("2026-10-24T00:45:40Z", "2026-10-24T01:00:30Z"),
        ("2026-10-25T00:45:40Z", "2026-10-25T01:00:30Z"),
    ] {
        beat(&dir, "q", beat_at, 900);
        let r = check(&dir, &tab, now, &["--format", "json"]);
        let q = &r.json()["jobs"][0];
        assert_eq!(q["status"], "ok", "{}", r.show());
        assert_eq!(q["grace_seconds"], 450, "{}", r.show());
    }
}

#[test]
fn a_line_with_two_fixed_hours_in_berlin_runs_as_cron_runs_it_on_both_change_days() {
    let dir = Scratch::new();
    let tab = crontab(
        &dir,
        "CRON_TZ=Europe/Berlin\n30 2,14 * * * /usr/local/bin/twice && hb-write twice 12h\n",
    );
    // Autumn: it ran at 02:30 CEST; cron does not run it again at 02:30
    // CET, so it is next due at 14:30 CET.
    beat(&dir, "twice", "2026-10-25T00:40:00Z", 43_200);
    let r = check(&dir, &tab, "2026-10-25T01:31:00Z", &["--format", "json"]);
    r.code(0);
    assert_eq!(r.json()["jobs"][0]["status"], "ok", "{}", r.show());
    assert_eq!(
        r.json()["jobs"][0]["due_at"],
        "2026-10-25T13:40:00Z",
        "{}",
        r.show()
    );
    // Spring: 02:30 is skipped and cron runs the line at 03:00 CEST, so a
    // dead job is seen an hour (the grace) after that, not at 14:30.
    beat(&dir, "twice", "2026-03-28T13:40:00Z", 43_200);
    check(&dir, &tab, "2026-03-29T02:10:00Z", &[]).code(0);
    let dead = check(&dir, &tab, "2026-03-29T02:11:00Z", &[]);
    dead.code(2)
        .stdout_has("the run due at 2026-03-29 03:10 CEST was missed (grace 1h)");
    // And the lint finds nothing to say: 12h is the longest gap.
    check(&dir, &tab, "2026-03-29T02:11:00Z", &["--lint"])
        .code(0)
        .silent();
}

#[test]
fn lines_cron_accepts_are_expected_and_lines_it_refuses_are_told_in_its_words() {
    let dir = Scratch::new();
    let tab = crontab(
        &dir,
        "*/100000 * * * * hb-write hourly 1h\n\
         5-1 * * * * hb-write never 1h\n\
         61 3 * * * hb-write bad 1d\n",
    );
    let r = check(&dir, &tab, "2026-11-24T08:00:00Z", &["--format", "json"]);
    r.code(2);
    let doc = r.json();
    let jobs: Vec<(&str, &str)> = doc["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| (j["job"].as_str().unwrap(), j["status"].as_str().unwrap()))
        .collect();
    // `*/100000` is minute 0 to cron; `5-1` selects no minute, so the job
    // never runs and goes missing by its interval.
    assert_eq!(
        jobs,
        [("hourly", "missing"), ("never", "missing")],
        "{}",
        r.show()
    );
    assert_eq!(doc["jobs"][0]["due_at"], "2026-11-24T07:00:00Z");
    let lint = check(&dir, &tab, "2026-11-24T08:00:00Z", &["--lint"]);
    lint.code(1);
    let name = tab.display();
    lint.stdout_has(&format!(
        "{name}:2: cron accepts `5-1 * * * *` but never runs it"
    ));
    lint.stdout_has(&format!(
        "{name}:3: cron refuses `61 3 * * *`: minute 61 outside 0-59\n"
    ));
}

#[test]
fn a_checker_that_cannot_read_some_users_crontabs_says_which_once() {
    use std::os::unix::fs::PermissionsExt;
    let dir = Scratch::new();
    let files = [
        (
            "etc/crontab",
            "0 3 * * * root hb-write backup 1d\n".to_owned(),
        ),
        (
            "var/spool/cron/crontabs/alice",
            "0 3 * * * hb-write a 1d\n".to_owned(),
        ),
        (
            "var/spool/cron/crontabs/bob",
            "0 3 * * * hb-write b 1d\n".to_owned(),
        ),
    ];
    let root = discovering(&dir, &files);
    let spool = root.join("var/spool/cron/crontabs");
    for user in ["alice", "bob"] {
        fs::set_permissions(spool.join(user), fs::Permissions::from_mode(0o000)).unwrap();
    }
    beat(&dir, "backup", "2026-11-24T03:00:05Z", 86_400);
    let run = |extra: &[&str]| {
        let mut cmd = dir
            .hb_check()
            .env("HB_DISCOVER", "1")
            .env("HB_CRON_ROOT", &root)
            .args(["--now", "2026-11-24T08:00:00Z"])
            .args(extra);
        if harness::is_root() {
            // root reads every crontab; an ordinary checker does not.
            fs::set_permissions(dir.root(), fs::Permissions::from_mode(0o777)).unwrap();
            cmd = cmd.run_as_nobody();
        }
        cmd.run()
    };
    let note = format!(
        "cannot read the crontabs of 2 users in {} (alice, bob): their jobs are not expected; run as root to read them\n",
        spool.display()
    );
    let verbose = run(&["--verbose"]);
    verbose.code(0).stdout_has(&note);
    assert_eq!(verbose.stdout.matches("cannot read").count(), 1);
    // Not a warning of every run: the plain check stays quiet.
    run(&[]).code(0).silent();
    let doc = run(&["--format", "json"]).json();
    assert_eq!(
        doc["unread_crontabs"],
        serde_json::json!([
            spool.join("alice").display().to_string(),
            spool.join("bob").display().to_string()
        ])
    );
}

#[test]
fn a_misspelt_hb_write_is_named_by_the_lint() {
    let dir = Scratch::new();
    let tab = crontab(
        &dir,
        "0 3 * * * /usr/local/bin/backup && hb_write backup 1d\n\
         0 4 * * * /usr/local/bin/report && /usr/local/bin/hb-wrte report 1d\n",
    );
    let r = check(&dir, &tab, "2026-11-24T08:00:00Z", &["--lint"]);
    r.code(1);
    let name = tab.display();
    r.stdout_has(&format!(
        "{name}:1: `hb_write` looks like a misspelt `hb-write`: this line writes no heartbeat, so its job is not monitored\n"
    ));
    r.stdout_has(&format!("{name}:2: `/usr/local/bin/hb-wrte` looks like"));
}
