//! systemd timers judged as jobs, against a real systemd booted in a
//! container (see `harness::systemd`); `timers_hostile` has a `systemctl`
//! of the test's own.

use std::time::{Duration, Instant};

use chrono::{DateTime, Days, Utc};
use serde_json::Value;

use crate::harness::systemd::Container;
use crate::harness::{assert_has, HB_CHECK, HB_WRITE};

/// A oneshot service running `command`, with `HB_DIR` set for hb-write.
fn service(command: &str) -> String {
    format!("[Service]\nType=oneshot\nEnvironment=HB_DIR=/var/lib/hbtest\nExecStart={command}\n")
}

/// A timer firing on `calendar`, to the second (`AccuracySec=1s`).
fn timer(calendar: &str, extra: &str) -> String {
    format!("[Timer]\nOnCalendar={calendar}\nAccuracySec=1s\n{extra}\n[Install]\nWantedBy=timers.target\n")
}

/// The row of `job` in hb-check's JSON.
pub fn row<'a>(doc: &'a Value, job: &str) -> &'a Value {
    doc["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["job"] == job)
        .unwrap_or_else(|| panic!("no row for {job} in {doc:#}"))
}

/// The jobs of hb-check's JSON, in order.
pub fn names(doc: &Value) -> Vec<&str> {
    let jobs = doc["jobs"].as_array().unwrap();
    jobs.iter().map(|j| j["job"].as_str().unwrap()).collect()
}

/// Waits up to `secs` for `check` to hold.
fn wait_for(secs: u64, what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !check() {
        assert!(Instant::now() < deadline, "waited {secs} s for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_real_systemd_has_each_timer_judged_right() {
    let started = Instant::now();
    let Some(c) = Container::boot("timers") else {
        return;
    };
    c.install(HB_CHECK, "/usr/local/bin/hb-check");
    c.install(HB_WRITE, "/usr/local/bin/hb-write");
    let every5 = "*:*:0/5";
    let units = [
        (
            "hb-ok.service",
            service("/usr/local/bin/hb-write hbok-job 1h"),
        ),
        ("hb-ok.timer", timer(every5, "")),
        (
            "hb-fail.service",
            service("/bin/sh -c 'echo disk full on /srv; exit 3'"),
        ),
        ("hb-fail.timer", timer(every5, "")),
        ("hb-stop.service", service("/bin/true")),
        ("hb-stop.timer", timer(every5, "")),
        ("hb-random.service", service("/bin/true")),
        ("hb-hang.service", service("/bin/sleep 600")),
        ("hb-hang.timer", timer(every5, "")),
        (
            "hb-random.timer",
            timer("*-*-* 00:00:00", "RandomizedDelaySec=2h"),
        ),
    ];
    for (name, text) in &units {
        c.write(&format!("/etc/systemd/system/{name}"), text, 0o644);
    }
    c.sh("mkdir -p /var/lib/hbtest; systemctl daemon-reload; \
          systemctl enable --now hb-ok.timer hb-fail.timer hb-stop.timer hb-random.timer \
          hb-hang.timer");
    let triggered = |unit: &str| {
        let out = c
            .cmd(&[
                "systemctl",
                "show",
                "-p",
                "LastTriggerUSec",
                "--value",
                unit,
            ])
            .run();
        !out.stdout.trim().is_empty()
    };
    wait_for(20, "the three 5 s timers to trigger", || {
        ["hb-ok.timer", "hb-fail.timer", "hb-stop.timer"]
            .iter()
            .all(|u| triggered(u))
    });
    wait_for(10, "hb-write's heartbeat", || {
        c.root().join("var/lib/hbtest/hbok-job.last").exists()
    });
    c.sh("systemctl stop hb-stop.timer");
    let check = |now: Option<&str>| {
        let mut cmd = c
            .cmd(&[
                "hb-check",
                "--systemd",
                "--format",
                "json",
                "--expect",
                "timer:hb-nope,timer:hb-fail",
            ])
            .env("HB_DIR", "/var/lib/hbtest");
        if let Some(now) = now {
            cmd = cmd.env("HB_NOW", now);
        }
        cmd.run()
    };
    let out = check(None);
    out.code(2);
    let doc = out.json();
    assert_eq!(row(&doc, "timer:hb-stop")["status"], "ok", "{doc:#}");

    // The service that writes a heartbeat is one job, by the heartbeat's
    // name.
    assert_eq!(row(&doc, "hbok-job")["status"], "ok", "{doc:#}");
    let names = names(&doc);
    assert!(!names.contains(&"timer:hb-ok"), "{names:?}");
    // The failing service: its result, exit status and journal.
    let failed = row(&doc, "timer:hb-fail");
    assert_eq!(failed["status"], "failed");
    assert_has(
        failed["reason"].as_str().unwrap(),
        "hb-fail.service failed (exit-code, exit status 3) at ",
    );
    assert_has(failed["message"].as_str().unwrap(), "disk full on /srv");
    assert_eq!(failed["exit_code"], 3);
    assert_eq!(row(&doc, "timer:hb-nope")["status"], "missing");
    // An expected timer that exists is its one row.
    assert_eq!(names.iter().filter(|n| **n == "timer:hb-fail").count(), 1);
    // Debian's own timers are judged too.
    assert_eq!(row(&doc, "timer:apt-daily")["status"], "ok");

    // The random delay is in the due time: midnight + 2 h + 1 s accuracy.
    let random = row(&doc, "timer:hb-random");
    assert_eq!(random["status"], "ok");
    let midnight = Utc::now()
        .date_naive()
        .checked_add_days(Days::new(1))
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    let due: DateTime<Utc> = random["due_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        due,
        midnight + chrono::Duration::seconds(7201),
        "{random:#}"
    );
    // An hour past midnight (the grace past the trigger alone) it is still
    // ok; past the delay, accuracy and grace it never ran: missing.
    let at = |t: DateTime<Utc>| t.to_rfc3339();
    let within = check(Some(&at(midnight + chrono::Duration::seconds(3600 + 60)))).json();
    assert_eq!(row(&within, "timer:hb-random")["status"], "ok");
    let past = check(Some(&at(due + chrono::Duration::seconds(3601)))).json();
    assert_eq!(row(&past, "timer:hb-random")["status"], "missing");

    // The stopped timer: stale once its next trigger (5 s), accuracy and
    // grace (half the period) have passed.
    wait_for(15, "the stopped timer to go stale", || {
        let doc = check(None).json();
        row(&doc, "timer:hb-stop")["status"] == "stale"
    });
    let doc = check(None).json();
    assert_has(
        row(&doc, "timer:hb-stop")["reason"].as_str().unwrap(),
        "timer stopped: ",
    );
    // The text output says so too, and the exit code is critical.
    let text = c
        .cmd(&["hb-check", "--systemd"])
        .env("HB_DIR", "/var/lib/hbtest")
        .run();
    text.code(2)
        .stdout_has("timer:hb-stop stale")
        .stdout_has("timer:hb-fail failed");
    // The service that hangs: running, and stale (hung) past --max-runtime.
    assert_eq!(row(&doc, "timer:hb-hang")["status"], "running", "{doc:#}");
    let hung = c
        .cmd(&[
            "hb-check",
            "--systemd",
            "--max-runtime",
            "1s",
            "--format",
            "json",
        ])
        .env("HB_DIR", "/var/lib/hbtest")
        .run()
        .json();
    let hung = row(&hung, "timer:hb-hang");
    assert_eq!(hung["status"], "stale", "{hung:#}");
    assert_has(
        hung["reason"].as_str().unwrap(),
        "hb-hang.service has run for ",
    );
    assert_has(
        hung["reason"].as_str().unwrap(),
        "past its maximum runtime of 1s",
    );
    eprintln!("real systemd timers judged in {:?}", started.elapsed());
}

#[test]
fn a_users_timer_is_judged_with_user_timers() {
    let Some(c) = Container::boot("user-timers") else {
        return;
    };
    c.install(HB_CHECK, "/usr/local/bin/hb-check");
    let dir = "/home/alice/.config/systemd/user";
    c.sh("/usr/sbin/useradd -m -u 1000 alice");
    c.write(
        &format!("{dir}/hb-mine.service"),
        "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo quota exceeded; exit 4'\n",
        0o644,
    );
    c.write(
        &format!("{dir}/hb-mine.timer"),
        &timer("*:*:0/5", ""),
        0o644,
    );
    c.sh(&format!(
        "mkdir -p {dir}/timers.target.wants && ln -s ../hb-mine.timer {dir}/timers.target.wants/ \
         && chown -R alice: /home/alice && loginctl enable-linger alice"
    ));
    let check = |more: &[&str]| {
        c.cmd(&["hb-check", "--systemd", "--format", "json"])
            .args(more)
            .env("HB_DIR", "/var/lib/hbtest")
            .run()
    };
    // Lingering starts alice's manager, which starts her timer; the
    // journal may take a moment longer to hold the run's output.
    wait_for(
        30,
        "alice's service to run, fail and be in the journal",
        || {
            let doc = check(&["--user-timers"]).json();
            doc["jobs"].as_array().unwrap().iter().any(|j| {
                j["job"] == "alice/timer:hb-mine"
                    && j["status"] == "failed"
                    && j["message"]
                        .as_str()
                        .is_some_and(|m| m.contains("quota exceeded"))
            })
        },
    );
    let doc = check(&["--user-timers"]).json();
    let mine = row(&doc, "alice/timer:hb-mine");
    assert_has(
        mine["reason"].as_str().unwrap(),
        "hb-mine.service failed (exit-code, exit status 4)",
    );
    assert_has(mine["message"].as_str().unwrap(), "quota exceeded");
    assert_eq!(row(&doc, "timer:apt-daily")["status"], "ok");
    // Without --user-timers, the system's timers only.
    let doc = check(&[]).json();
    let names = names(&doc);
    assert!(!names.iter().any(|n| n.starts_with("alice/")), "{names:?}");
}
