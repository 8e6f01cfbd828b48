//! One cause, one alert: a real cron daemon stopped and started again, a
//! host powered off overnight (`--boot-time`), and jobs that need others
//! (`--needs`), through the real hb-write and hb-check.

use crate::harness;

use std::fs;
use std::path::Path;
use std::process::Command;

use harness::{assert_has, is_root, record, skip, Outcome, Scratch, HB_CHECK, HB_WRITE};
use serde_json::Value;

fn json(out: &Outcome) -> Value {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}{}", out.show()))
}

/// The script run as pid 1 of a new pid and mount namespace: its own
/// `/run`, `/etc/cron.d`, spool and `/etc/crontab` over the system's (which
/// it never touches), a cron of its own, and hb-check in the same
/// namespace, so that it sees that cron alone. Each hb-check's output goes
/// to `check-N.out`, its exit code to `check-N.rc`.
fn namespace_script(dir: &Path) -> String {
    let d = dir.display();
    format!(
        r#"set -eu
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /etc/cron.d
if [ -d /var/spool/cron/crontabs ]; then mount -t tmpfs tmpfs /var/spool/cron/crontabs; fi
printf 'SHELL=/bin/sh\n' > {d}/crontab
if [ -e /etc/crontab ]; then mount --bind {d}/crontab /etc/crontab; fi
for job in backup rotate; do
  printf '* * * * * root {HB_WRITE} --dir {d}/hb %s 1m\n' $job >> /etc/cron.d/jobs
done
chmod 644 /etc/cron.d/jobs
check() {{
  set +e
  env -i PATH=/usr/bin:/bin TZ=UTC HB_BOOT_TIME=2000-01-01T00:00:00Z {HB_CHECK} --discover \
    --dir {d}/hb --lock-file "${{lock:-{d}/check.lock}}" "$@" > {d}/check-$n.out 2>&1
  echo $? > {d}/check-$n.rc
  n=$((n + 1))
  set -e
}}
wait_beats() {{
  for i in $(seq 150); do
    if [ -e {d}/hb/backup.last ] && [ -e {d}/hb/rotate.last ] \
      && [ {d}/hb/backup.last -nt $1 ] && [ {d}/hb/rotate.last -nt $1 ]; then return 0; fi
    sleep 1
  done
  echo "no heartbeat from cron after 150 s" >&2; exit 1
}}
n=0
touch {d}/start
/usr/sbin/cron -f & cron=$!
wait_beats {d}/start
check --format json                                   # 0: cron runs
check --changes-only                                  # 1: first print
kill "$cron"; wait "$cron" || true
# A program named cron that any user can start is not the cron daemon.
cp /bin/sleep /run/cron && chmod 755 /run/cron
setpriv --reuid=65534 --regid=65534 --clear-groups /run/cron 600 & fake=$!
check --format json                                   # 2: cron down
check --changes-only                                  # 3: told once
check --changes-only                                  # 4: quiet
lock={d}/forensic.lock check --format json --now "$(date -u -d '+5 min' +%FT%TZ)"  # 5
kill "$fake"; wait "$fake" || true
sleep 1
touch {d}/restart
/usr/sbin/cron -f & cron=$!
wait_beats {d}/restart
check --changes-only                                  # 6: recovered
check --format json                                   # 7: all well
"#
    )
}

#[test]
fn a_real_cron_stopped_is_one_alert_with_its_jobs_and_started_again_it_closes() {
    if !is_root() {
        skip::skip("running cron in its own namespace needs root");
        return;
    }
    if !skip::peer("unshare", &["--version"], "util-linux")
        || !skip::peer("/usr/sbin/cron", &["-h"], "cron")
    {
        return;
    }
    let s = Scratch::new();
    let script = s.root().join("namespace.sh");
    fs::write(&script, namespace_script(s.root())).unwrap();
    let ran = Command::new("timeout")
        .args([
            "400",
            "unshare",
            "--pid",
            "--fork",
            "--mount",
            "--mount-proc",
            "bash",
        ])
        .arg(&script)
        .output()
        .unwrap();
    let read = |name: String| fs::read_to_string(s.root().join(name)).unwrap_or_default();
    let context = format!(
        "\n--- namespace script: {:?}\n{}\n--- checks\n{}",
        ran.status,
        String::from_utf8_lossy(&ran.stderr),
        (0..8)
            .map(|n| format!(
                "{n}: rc {} {}",
                read(format!("check-{n}.rc")),
                read(format!("check-{n}.out"))
            ))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(ran.status.success(), "{context}");
    let rc = |n: usize| read(format!("check-{n}.rc")).trim().to_owned();
    let doc = |n: usize| -> Value {
        serde_json::from_str(&read(format!("check-{n}.out")))
            .unwrap_or_else(|e| panic!("{e}{context}"))
    };
    // Cron runs: no cause.
    assert_eq!(rc(0), "0", "{context}");
    assert_eq!(doc(0)["causes"], serde_json::json!([]), "{context}");
    // Stopped (with a user's program named cron running): one CRITICAL
    // cause, named first, before a job is late.
    assert_eq!(rc(2), "2", "{context}");
    let down = doc(2);
    assert_eq!(down["causes"].as_array().unwrap().len(), 1, "{context}");
    assert_eq!(down["causes"][0]["kind"], "cron-down", "{context}");
    assert_has(
        down["causes"][0]["text"].as_str().unwrap(),
        "cron is not running (since ",
    );
    assert_has(
        down["causes"][0]["text"].as_str().unwrap(),
        ", 2 jobs depend on it)",
    );
    let told = read("check-3.out".to_owned());
    assert!(told.starts_with("cron is not running (since "), "{context}");
    assert_eq!(read("check-4.out".to_owned()), "", "told once: {context}");
    // Judged five minutes on, the stopped jobs are under it, not alone.
    let later = doc(5);
    let host = host_of(&later);
    let under = serde_json::json!([format!("{host}/backup"), format!("{host}/rotate")]);
    assert_eq!(later["causes"][0]["jobs"], under, "{context}");
    for job in later["jobs"].as_array().unwrap() {
        assert_eq!(job["status"], "stale", "{context}");
        assert_eq!(job["cause"]["kind"], "cron-down", "{context}");
    }
    // Started again: the jobs run, the alert closes.
    assert_has(
        &read("check-6.out".to_owned()),
        "cron daemon ok: recovered (was stale)",
    );
    assert_eq!(rc(7), "0", "{context}");
    assert_eq!(doc(7)["causes"], serde_json::json!([]), "{context}");
}

/// The host name the heartbeats of a document carry.
fn host_of(doc: &Value) -> String {
    doc["jobs"][0]["host"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Three hourly jobs that last ran at 01:00; the host was off from 01:10
/// and booted at 06:00.
fn powered_off_night(s: &Scratch) {
    for job in ["backup", "rotate", "sync"] {
        s.write(
            &format!("{job}.last"),
            record(job, "2027-01-05T01:00:00Z", 3600, "ok", ""),
        );
    }
    s.write(
        "fresh.last",
        record("fresh", "2027-01-05T01:00:00Z", 86_400, "ok", ""),
    );
}

#[test]
fn a_powered_off_night_is_one_downtime_line_and_no_stale_job_alone() {
    let s = Scratch::new();
    powered_off_night(&s);
    let check = |now: &str, format: &str| {
        s.hb_check()
            .args([
                "--now",
                now,
                "--boot-time",
                "2027-01-05T06:00:00Z",
                "--host",
                "web1",
            ])
            .args(["--format", format])
            .run()
    };
    let out = check("2027-01-05T06:10:00Z", "text");
    out.code(2);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "host was down 01:00-06:00: 15 runs missed (backup, rotate, sync)",
        "{}",
        out.show()
    );
    assert_eq!(
        lines.len(),
        4,
        "the line and its three jobs only: {}",
        out.show()
    );
    assert!(lines[1..]
        .iter()
        .all(|l| l.starts_with("  ") && l.contains(" stale (host down): ")));
    let doc = json(&check("2027-01-05T06:10:00Z", "json"));
    assert_eq!(doc["causes"][0]["kind"], "host-down");
    assert_eq!(doc["causes"][0]["from"], "2027-01-05T01:00:00Z");
    assert_eq!(doc["causes"][0]["to"], "2027-01-05T06:00:00Z");
    assert_eq!(doc["causes"][0]["missed_runs"], 15);
    for job in doc["jobs"].as_array().unwrap() {
        let explained = job["status"] == "stale";
        assert_eq!(job["cause"]["kind"] == "host-down", explained, "{job}");
    }
    // Up past an interval and its grace, a job still silent alerts alone.
    let out = check("2027-01-05T08:01:00Z", "text");
    out.code(2);
    assert!(!out.stdout.contains("host was down"), "{}", out.show());
    assert!(out.stdout.starts_with("backup stale: "), "{}", out.show());
}

#[test]
fn the_metrics_carry_the_boot_time_and_each_blocked_job() {
    let s = Scratch::new();
    s.write(
        "nfs-mount.last",
        record("nfs-mount", "2027-01-05T05:00:00Z", 3600, "fail", ""),
    );
    s.write(
        "backup.last",
        record(
            "backup",
            "2027-01-05T01:00:00Z",
            3600,
            "ok",
            r#","needs":["nfs-mount"]"#,
        ),
    );
    let metrics = s.root().join("hb.prom");
    s.hb_check()
        .args([
            "--now",
            "2027-01-05T06:00:00Z",
            "--boot-time",
            "2026-12-01T00:00:00Z",
            "--quiet",
        ])
        .arg("--metrics-file")
        .arg(&metrics)
        .run()
        .code(2);
    let text = fs::read_to_string(&metrics).unwrap();
    assert_has(&text, "cron_heartbeat_boot_time_seconds{host=\"");
    assert_has(&text, "\"} 1796083200\n");
    assert_has(
        &text,
        "cron_heartbeat_job_blocked{cron_job=\"backup\",host=\"web1\",by=\"nfs-mount\"} 1\n",
    );
    assert!(
        !text.contains("cron_heartbeat_cron_running"),
        "no crontab judged: {text}"
    );
    if skip::peer("promtool", &["--version"], "prometheus") {
        let lint = harness::peer_cmd("promtool")
            .args(["check", "metrics"])
            .stdin(text)
            .run();
        lint.code(0);
    }
}

/// `hb-write` with `args` into the scratch heartbeat directory.
fn write(s: &Scratch, args: &[&str]) {
    s.hb_write()
        .arg("--dir")
        .arg(s.hb())
        .args(args)
        .run()
        .code(0);
}

/// Makes `job.last` look written `minutes` ago at `now`, as hb-write left it.
fn age(s: &Scratch, job: &str, stamp: &str) {
    let path = s.hb().join(format!("{job}.last"));
    let text = fs::read_to_string(&path).unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["timestamp"] = Value::String(stamp.to_owned());
    v["host"] = Value::String("web1".to_owned());
    fs::write(&path, v.to_string()).unwrap();
}

#[test]
fn a_failed_parent_takes_its_three_stale_children_and_a_fine_one_leaves_them_alone() {
    let s = Scratch::new();
    write(&s, &["nfs-mount", "1h", "--status", "fail"]);
    for child in ["backup-db", "backup-home", "backup-etc"] {
        write(&s, &[child, "1h", "--needs", "nfs-mount"]);
        age(&s, child, "2027-01-05T01:00:00Z");
    }
    age(&s, "nfs-mount", "2027-01-05T05:30:00Z");
    let record = fs::read_to_string(s.hb().join("backup-db.last")).unwrap();
    assert_has(&record, r#""needs":["nfs-mount"]"#);
    let check = |format: &str| {
        s.hb_check()
            .args(["--now", "2027-01-05T06:00:00Z", "--format", format])
            .run()
    };
    let out = check("text");
    out.code(2);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines[0].starts_with("nfs-mount failed"), "{}", out.show());
    assert_eq!(lines.len(), 4, "{}", out.show());
    for line in &lines[1..] {
        assert!(line.starts_with("  backup-"), "{}", out.show());
        assert_has(line, " stale, blocked (by nfs-mount): ");
    }
    let doc = json(&check("json"));
    assert_eq!(doc["causes"].as_array().unwrap().len(), 1);
    assert_eq!(doc["causes"][0]["kind"], "blocked");
    assert_eq!(doc["causes"][0]["by"], "web1/nfs-mount");
    assert_eq!(doc["causes"][0]["jobs"].as_array().unwrap().len(), 3);
    // The parent recovers; the child still stale alerts in its own right.
    write(&s, &["nfs-mount", "1h"]);
    age(&s, "nfs-mount", "2027-01-05T05:59:00Z");
    let out = check("text");
    out.code(2);
    assert_eq!(out.stdout.lines().count(), 3, "{}", out.show());
    assert!(
        out.stdout
            .lines()
            .all(|l| l.starts_with("backup-") && l.contains(" stale: ")),
        "{}",
        out.show()
    );
    assert_eq!(json(&check("json"))["causes"], serde_json::json!([]));
}

#[test]
fn needs_in_a_crontab_are_read_and_a_cycle_or_an_unknown_job_is_a_lint_error() {
    let s = Scratch::new();
    let tab = s.root().join("jobs");
    fs::write(
        &tab,
        "0 1 * * * root hb-write nfs-mount 1d --needs backup\n\
         0 2 * * * root hb-write backup 1d --needs nfs-mount\n\
         0 3 * * * root hb-write rotate 1d --needs=ghost\n",
    )
    .unwrap();
    let out = s.hb_check().arg("--lint").arg("--crontab").arg(&tab).run();
    out.code(1);
    let t = tab.display();
    assert_has(
        &out.stdout,
        &format!(
            "{t}:1: the --needs of these jobs go round in a cycle (backup -> nfs-mount -> backup)"
        ),
    );
    assert_has(
        &out.stdout,
        &format!("{t}:3: job `rotate` needs `ghost`, which no crontab read runs with hb-write"),
    );
    // Read from the line, the need groups as the record's does.
    fs::write(
        &tab,
        "0 1 * * * root hb-write nfs-mount 1d\n0 2 * * * root hb-write backup 1d --needs nfs-mount\n",
    )
    .unwrap();
    s.write(
        "nfs-mount.last",
        record("nfs-mount", "2027-01-05T01:00:00Z", 86_400, "fail", ""),
    );
    s.write(
        "backup.last",
        record("backup", "2027-01-03T02:00:00Z", 86_400, "ok", ""),
    );
    let out = s
        .hb_check()
        .args([
            "--now",
            "2027-01-05T06:00:00Z",
            "--format",
            "json",
            "--crontab",
        ])
        .arg(&tab)
        .run();
    let doc = json(&out);
    assert_eq!(doc["causes"][0]["kind"], "blocked", "{}", out.show());
    assert_eq!(doc["causes"][0]["jobs"], serde_json::json!(["web1/backup"]));
}

#[test]
fn the_alert_issue_names_the_cause_once_above_its_jobs() {
    let forge = harness::forge::github();
    let s = Scratch::new();
    // NOW is 04:00: the host was off from 01:00 and booted at 03:55.
    for job in ["backup", "rotate"] {
        s.write(
            &format!("{job}.last"),
            record(job, "2026-11-22T01:00:00Z", 3600, "ok", ""),
        );
    }
    let out = forge.check_with(&s, &[("HB_BOOT_TIME", "2026-11-22T03:55:00Z")], &[]);
    out.code(2);
    let issues = forge.open_issues();
    assert_eq!(issues.len(), 1, "{}", out.show());
    let body = &issues[0].body;
    assert!(
        body.starts_with(
            "**Cause:** `host was down 01:00-03:55: 4 runs missed (backup, rotate)`\n\n"
        ),
        "{body}"
    );
    assert_eq!(body.matches("host was down").count(), 1, "{body}");
}

#[test]
fn the_morning_report_names_each_cause_once_after_its_table() {
    let s = Scratch::new();
    powered_off_night(&s);
    let report = |format: &str| {
        s.night_watch()
            .args([
                "--now",
                "2027-01-05T06:10:00Z",
                "--boot-time",
                "2027-01-05T06:00:00Z",
            ])
            .args(["--host", "web1", "--format", format])
            .run()
    };
    let line = "host was down 01:00-06:00: 15 runs missed (backup, rotate, sync)";
    let text = report("text");
    text.code(0);
    assert!(
        text.stdout.ends_with(&format!("\nCauses:\n  {line}\n")),
        "{}",
        text.show()
    );
    let markdown = report("markdown");
    assert!(
        markdown
            .stdout
            .ends_with(&format!("\n## Causes\n\n- {line}\n")),
        "{}",
        markdown.show()
    );
    // The HTML page (and the mail's HTML part) names it too, once, inside
    // the document.
    let html = report("html");
    let at = html
        .stdout
        .find("<h2 style=\"font-size:17px;margin:24px 0 8px 0\">Causes</h2>\n<ul>\n<li>");
    assert!(
        at.is_some_and(|at| at < html.stdout.find("</body>").unwrap()),
        "{}",
        html.show()
    );
    assert_eq!(
        html.stdout.matches("host was down").count(),
        1,
        "{}",
        html.show()
    );
    let doc = json(&report("json"));
    assert_eq!(doc["causes"][0]["text"], line);
    assert_eq!(doc["jobs"][0]["cause"]["kind"], "host-down");
    // Without a cause the document is what it always was.
    let plain = s
        .night_watch()
        .args(["--now", "2027-01-05T06:10:00Z", "--format", "json"])
        .run();
    assert!(json(&plain).get("causes").is_none(), "{}", plain.show());
}

#[test]
fn the_notification_names_the_downtime_once_before_its_jobs() {
    use crate::harness::capture::{Capture, Reply};
    let server = Capture::start(Reply::Ok);
    let s = Scratch::new();
    powered_off_night(&s);
    let hook = server.url("/hook");
    s.hb_check()
        .args(["--now", "2027-01-05T06:10:00Z"])
        .args(["--boot-time", "2027-01-05T06:00:00Z", "--host", "web1"])
        .args(["--notify", &hook])
        .run()
        .code(2);
    let seen = server.seen();
    assert_eq!(seen.len(), 1, "one message for the night");
    let doc = crate::notify::webhook(&seen[0]);
    let line = "host was down 01:00-06:00: 15 runs missed (backup, rotate, sync)";
    assert_eq!(doc["causes"], serde_json::json!([line]), "{doc}");
    let text = doc["text"].as_str().unwrap();
    assert!(text.starts_with(&format!("{line}\n")), "{text}");
    assert_eq!(text.matches("host was down").count(), 1, "{text}");
}

#[test]
fn needs_are_bounded_and_a_quorum_names_a_job_not_a_host() {
    let s = Scratch::new();
    let many: Vec<String> = (0..33)
        .flat_map(|n| ["--needs".to_owned(), format!("j{n}")])
        .collect();
    let out = s
        .hb_write()
        .env("HB_DIR", s.hb())
        .args(&many)
        .args(["backup", "1d"])
        .run();
    out.code(2);
    assert_has(
        &out.stderr,
        "--needs is given 33 times; a job may need at most 32 others",
    );
    assert!(!s.hb().join("backup.last").exists(), "{}", out.show());
    let out = s.hb_check().args(["--quorum", "web01/backup=1"]).run();
    out.code(3);
    assert_has(&out.stderr, "quorum `web01/backup=1`");
}
