//! systemd timers against a `systemctl` of the test's own that hangs,
//! prints garbage, lists 2,000 timers or odd names, or would see a secret;
//! and a host without systemd.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::harness::{assert_has, Scratch, HB_CHECK};
use crate::timers::row;

/// A scratch area with a stale cron job and a `systemctl` of its own whose
/// body is `body`.
fn with_systemctl(body: &str) -> Scratch {
    let s = Scratch::new();
    s.stale("nightly");
    s.stand_in("systemctl", body);
    s
}

fn hb_check(s: &Scratch, args: &[&str]) -> crate::harness::Outcome {
    s.hb_check()
        .env("PATH", s.path_with_stand_ins(&[]))
        .env("HB_NOW", crate::harness::NOW)
        .args(["--systemd"])
        .args(args)
        .run()
}

#[test]
fn a_systemctl_that_hangs_is_cut_off_and_the_cron_jobs_are_judged() {
    let s = with_systemctl("sleep 60\n");
    let started = Instant::now();
    let out = hb_check(&s, &[]);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{}",
        out.show()
    );
    out.code(2).stdout_has("nightly stale");
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.show());
    out.stderr_has("hb-check: cannot read the timers of the system manager: `systemctl` did not finish within 10 s");
}

#[test]
fn no_secret_reaches_systemctl() {
    let s = Scratch::new();
    s.ok("backup");
    let seen = s.root().join("environment");
    s.stand_in("systemctl", &format!("env > '{}'\n", seen.display()));
    let out = s
        .hb_check()
        .env("PATH", s.path_with_stand_ins(&[]))
        .env("HB_NOW", crate::harness::NOW)
        .env("HB_TRACKER_TOKEN", crate::harness::TOKEN)
        .args(["--systemd"])
        .run();
    out.code(0).no_token();
    let env = std::fs::read_to_string(&seen).unwrap();
    assert!(!env.contains(crate::harness::TOKEN), "{env}");
    assert_has(&env, "TZ=UTC");
}

#[test]
fn a_systemctl_that_prints_garbage_is_one_line_and_the_cron_jobs_are_judged() {
    let s = with_systemctl("head -c 3000 /dev/urandom; printf '\\033[2J no properties\\n'\n");
    let out = hb_check(&s, &[]);
    out.code(2).stdout_has("nightly stale");
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.show());
    out.stderr_has("printed no unit's properties");
    // A cron job alone that is ok: the unread timers make it UNKNOWN.
    let ok = Scratch::new();
    ok.ok("backup");
    ok.stand_in("systemctl", "echo garbage\n");
    let out = hb_check(&ok, &[]);
    out.code(3);
    assert!(!out.stderr.contains('\u{1b}'), "{}", out.show());
}

/// A `systemctl` that shows `timers` (one block each, from a shell loop)
/// and a service for any `.service` it is asked about.
const FAKE: &str = r#"now=$(date +%s)
case "$*" in
  *list-unit-files*) exit 0 ;;
  *'*.timer'*) TIMERS ;;
  *) for unit in "$@"; do case "$unit" in
       *.service) printf 'Id=%s\nActiveState=inactive\nResult=success\nExecMainCode=1\nExecMainStatus=0\nExecMainStartTimestamp=@%s\nExecMainExitTimestamp=@%s\n\n' "$unit" $now $now ;;
     esac; done ;;
esac
"#;

fn fake(timers: &str) -> String {
    FAKE.replace("TIMERS", timers)
}

#[test]
fn two_thousand_timers_are_each_judged_quickly() {
    let each = r"i=0; while [ $i -lt 2000 ]; do i=$((i+1)); printf 'Id=t%s.timer\nUnit=t%s.service\nLoadState=loaded\nActiveState=active\nUnitFileState=enabled\nTimersCalendar={ OnCalendar=*-*-* 03:00:00 ; next_elapse=@%s }\nLastTriggerUSec=@%s\nAccuracyUSec=1min\nRandomizedDelayUSec=0\n\n' $i $i $((now + 3600)) $((now - 3600)); done";
    let s = with_systemctl(&fake(each));
    let started = Instant::now();
    let out = hb_check(&s, &["--format", "json"]);
    let took = started.elapsed();
    out.code(2);
    let doc = out.json();
    let timers = doc["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|j| j["job"].as_str().unwrap().starts_with("timer:t"))
        .count();
    assert_eq!(timers, 2000);
    assert_eq!(row(&doc, "timer:t1999")["status"], "ok");
    assert_eq!(row(&doc, "nightly")["status"], "stale");
    // The shell's own loop takes most of it.
    assert!(took < Duration::from_secs(30), "took {took:?}");
}

#[test]
fn odd_unit_names_and_properties_are_left_out_or_shown_inert() {
    let each = r"printf 'Id=evil\033[2J.timer\nUnit=evil.service\nLoadState=loaded\n\nId=a b.timer\nUnit=x.service\nLoadState=loaded\n\n'
printf 'Id=db\\x2d1@main.timer\nUnit=db\\x2d1@main.service\nLoadState=loaded\nActiveState=active\nUnitFileState=enabled\nLastTriggerUSec=\nNextElapseUSecRealtime=Thu 1970-01-01 00:00:01 UTC\nAccuracyUSec=forever\n\n'";
    let s = with_systemctl(&fake(each));
    let out = hb_check(&s, &["--verbose"]);
    out.code(2);
    // The valid one, escapes and all: enabled, never ran, its first
    // trigger long past.
    out.stdout_has("timer:db\\x2d1@main missing");
    out.stdout_has("2 timers left out: not a systemd unit name");
    assert!(
        !out.stdout.contains('\u{1b}') && !out.stderr.contains('\u{1b}'),
        "{}",
        out.show()
    );
}

#[test]
fn hostile_properties_and_journal_lines_reach_the_output_inert() {
    let s = Scratch::new();
    s.stand_in(
        "systemctl",
        r"case $* in
  *list-unit-files*) ;;
  *'*.timer'*) printf 'Id=x.timer\nUnit=x.service\nLoadState=loaded\nActiveState=active\nUnitFileState=enabled\n\n' ;;
  *) printf 'Id=x.service\nActiveState=failed\nResult=exit-code\033]0;owned\007\nExecMainCode=1\nExecMainStatus=nine\nExecMainExitTimestamp=@99999999999999999999\n\n' ;;
esac
",
    );
    s.stand_in(
        "journalctl",
        r"printf 'line one\033[31m red\n\342\200\256 reversed\n'; seq 1 8",
    );
    let out = s
        .hb_check()
        .env("PATH", s.path_with_stand_ins(&[]))
        .args(["--systemd", "--verbose"])
        .run();
    out.code(2)
        .stdout_has("timer:x failed: x.service failed (exit-code");
    for raw in ['\u{1b}', '\u{7}', '\u{202e}'] {
        assert!(
            !out.stdout.contains(raw) && !out.stderr.contains(raw),
            "{raw:?}{}",
            out.show()
        );
    }
    // The journal's last 5 lines at most, in the JSON.
    let doc = s
        .hb_check()
        .env("PATH", s.path_with_stand_ins(&[]))
        .args(["--systemd", "--format", "json"])
        .run()
        .json();
    let message = row(&doc, "timer:x")["message"].as_str().unwrap().to_owned();
    assert_eq!(message.lines().count(), 5, "{message}");
    assert!(message.ends_with("\n8"), "{message}");
    // night-watch's metrics and panel show the timer as any job.
    let night = |format: &str| {
        s.night_watch()
            .env("PATH", s.path_with_stand_ins(&[]))
            .args(["--systemd", "--format", format])
            .run()
    };
    let metrics = night("prometheus");
    metrics.stdout_has(r#"cron_heartbeat_status{cron_job="timer:x",host=""#);
    let html = night("html");
    html.stdout_has("timer:x");
    assert!(!html.stdout.contains('\u{1b}'), "{}", html.show());
}

#[test]
fn without_systemd_verbose_says_the_timers_were_not_read() {
    let s = Scratch::new();
    s.ok("backup");
    // The crontabs of another root: this systemd's timers are not its.
    std::fs::create_dir_all(s.root().join("root/etc/cron.d")).unwrap();
    let out = s
        .hb_check()
        .args(["--discover", "--verbose"])
        .env("HB_NOW", crate::harness::NOW)
        .env("HB_CRON_ROOT", s.root().join("root"))
        .run();
    out.code(0).stdout_has("backup ok");
    out.stdout_has("systemd timers were not read: --cron-root ");
    // This host's crontabs, on a host without systemd; where this machine
    // runs systemd, it is hidden: a private mount namespace with an empty
    // /run/systemd.
    let mut cmd = s
        .hb_check()
        .args(["--discover", "--verbose"])
        .env("HB_NOW", crate::harness::NOW);
    if Path::new("/run/systemd/system").exists() {
        if !crate::harness::is_root() {
            crate::harness::skip::skip("systemd runs here, and hiding it takes root");
            return;
        }
        cmd = s
            .cmd("unshare")
            .env("HB_DIR", s.hb())
            .env("HB_NOW", crate::harness::NOW)
            .args(["--mount", "--propagation", "private", "sh", "-c"])
            .arg("mount -t tmpfs tmpfs /run/systemd && exec \"$0\" --discover --verbose")
            .arg(HB_CHECK);
    }
    let out = cmd.run();
    out.stdout_has("backup ok");
    out.stdout_has(
        "systemd timers were not read: systemd is not running here (/run/systemd/system is missing)",
    );
    assert!(!out.stdout.contains("timer:"), "{}", out.show());
}
