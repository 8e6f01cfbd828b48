//! The same job on many hosts, judged by one checker reading one
//! directory per host: one grouped line in hb-check's text and
//! night-watch's report, a `groups` list in JSON, one grouped comment on
//! the tracker issue, and `--quorum JOB=N` as one alert for the job.

use crate::harness;

use harness::forge::gitea;
use harness::{Outcome, Scratch, FRESH, NOW, OLD};
use serde_json::json;

/// The group line for 40 stale backups of 42.
const GROUP_LINE: &str = "backup stale on 40 of 42 hosts: web01..web40";

/// Host `host`'s heartbeat for `job` (interval 300 s), in the host's own
/// directory below the heartbeat directory, written at `at`.
fn beat(s: &Scratch, host: &str, job: &str, at: &str, status: &str) {
    s.write(
        &format!("{host}/{job}.last"),
        format!(
            r#"{{"version":1,"job":"{job}","timestamp":"{at}","interval_seconds":300,"host":"{host}","pid":42,"status":"{status}"}}"#
        ),
    );
}

/// 42 hosts run backup: on web01..web40 it stopped an hour ago, on web41
/// and web42 it runs; `bad_hosts` of them have it stale.
fn fleet(s: &Scratch, bad_hosts: u32) {
    for n in 1..=42 {
        let at = if n <= bad_hosts { OLD } else { FRESH };
        beat(s, &format!("web{n:02}"), "backup", at, "ok");
    }
}

fn check(s: &Scratch, args: &[&str]) -> Outcome {
    s.hb_check()
        .env("HB_NOW", NOW)
        .env("HB_HOST", "central")
        .args(args)
        .run()
}

#[test]
fn forty_hosts_with_the_same_job_stale_are_one_line() {
    let s = Scratch::new();
    fleet(&s, 40);
    beat(&s, "web05", "rotate", FRESH, "fail");
    let out = check(&s, &[]);
    out.code(2);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "one line per cause{}", out.show());
    assert_eq!(lines[0], GROUP_LINE, "{}", out.show());
    assert!(
        lines[1].starts_with("web05/rotate failed"),
        "{}",
        out.show()
    );

    // --verbose lists the ok jobs too, and still groups the bad ones.
    let verbose = check(&s, &["--verbose"]);
    assert_eq!(
        verbose.stdout.matches("stale").count(),
        1,
        "{}",
        verbose.show()
    );
    assert!(
        verbose.stdout.contains("web41/backup ok"),
        "{}",
        verbose.show()
    );

    // One host is no fleet: its stale job is its own line.
    let one = Scratch::new();
    beat(&one, "web01", "backup", OLD, "ok");
    beat(&one, "web02", "backup", FRESH, "ok");
    let out = check(&one, &[]);
    assert!(
        out.stdout.starts_with("web01/backup stale: "),
        "{}",
        out.show()
    );
}

#[test]
fn the_json_document_lists_each_group_beside_every_row() {
    let s = Scratch::new();
    fleet(&s, 40);
    let doc = check(&s, &["--format", "json"]).json();
    let hosts: Vec<String> = (1..=40).map(|n| format!("web{n:02}")).collect();
    assert_eq!(
        doc["groups"],
        json!([{"job": "backup", "status": "stale", "hosts": hosts, "of": 42}])
    );
    // Every host's row is still there, with its own status and reason.
    assert_eq!(doc["jobs"].as_array().unwrap().len(), 42);
    assert_eq!(doc["summary"]["stale"], 40);
    assert!(doc.get("quorum").is_none(), "no rule, no quorum: {doc}");
}

#[test]
fn below_its_quorum_a_job_is_one_critical_alert() {
    let s = Scratch::new();
    fleet(&s, 40);
    let out = check(&s, &["--quorum", "backup=40"]);
    out.code(2);
    let first = out.stdout.lines().next().unwrap_or_default();
    assert_eq!(
        first,
        "backup below quorum: ok on 2 of 42 hosts, at least 40 needed (not ok: web01..web40)",
        "{}",
        out.show()
    );
    let doc = s
        .hb_check()
        .env("HB_NOW", NOW)
        .env("HB_QUORUM", "backup=40, rotate=1")
        .args(["--format", "json"])
        .run()
        .json();
    let quorum = &doc["quorum"];
    assert_eq!(quorum[0]["job"], "backup");
    assert_eq!(quorum[0]["status"], "below");
    assert_eq!(
        (quorum[0]["ok"].clone(), quorum[0]["of"].clone()),
        (json!(2), json!(42))
    );
    assert_eq!(quorum[0]["min"], 40);
    assert_eq!(quorum[0]["not_ok"].as_array().map(Vec::len), Some(40));
    // A job no host reports is below any quorum.
    assert_eq!(quorum[1]["status"], "below");
    assert_eq!(quorum[1]["of"], 0);
    // So it is with no heartbeat at all: the quorum is the alert.
    let empty = Scratch::new();
    let out = check(&empty, &["--quorum", "backup=1"]);
    out.code(2);
    assert_eq!(
        out.stdout,
        "backup below quorum: no host has a heartbeat for it, at least 1 needed\n",
        "{}",
        out.show()
    );
}

#[test]
fn while_its_quorum_holds_a_jobs_bad_hosts_only_warn() {
    let s = Scratch::new();
    fleet(&s, 2);
    let out = check(&s, &["--quorum", "backup=40"]);
    out.code(1);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "backup quorum met: ok on 40 of 42 hosts, at least 40 needed",
            "backup stale on 2 of 42 hosts: web01, web02",
        ],
        "{}",
        out.show()
    );
    // Without the rule the same fleet is CRITICAL.
    check(&s, &[]).code(2);
    // Another job's alert is its own.
    beat(&s, "web05", "rotate", FRESH, "fail");
    check(&s, &["--quorum", "backup=40"]).code(2);
}

#[test]
fn a_bad_quorum_is_a_usage_error_naming_the_value_and_the_rule() {
    let s = Scratch::new();
    fleet(&s, 0);
    for (bad, rule) in [
        ("backup", "JOB=N"),
        ("backup=0", "from 1"),
        ("../x=2", "../x"),
    ] {
        let out = check(&s, &["--quorum", bad]);
        out.code(3).one_line_error(&[bad, rule]);
    }
}

#[test]
fn night_watch_says_the_group_above_the_panel() {
    let s = Scratch::new();
    fleet(&s, 40);
    let out = s
        .night_watch()
        .env("HB_NOW", NOW)
        .env("HB_HOST", "central")
        .run();
    out.code(0);
    assert!(out.stdout.contains(GROUP_LINE), "{}", out.show());
    let html = s
        .night_watch()
        .env("HB_NOW", NOW)
        .args(["--format", "html", "--panel"])
        .run();
    assert!(html.stdout.contains(GROUP_LINE), "{}", html.show());
}

#[test]
fn the_tracker_comment_names_the_group_once() {
    let Some(forge) = gitea() else { return };
    let s = Scratch::new();
    fleet(&s, 0);
    beat(&s, "web05", "rotate", FRESH, "fail");
    forge.check_with(&s, &[], &[]).code(2);
    let issue = forge.open_issues().pop().expect("an issue for rotate");
    assert!(issue.comments.is_empty());

    // backup stops on 40 hosts: one comment, one group in it.
    fleet(&s, 40);
    forge.check_with(&s, &[], &[]).code(2);
    let issue = forge.issue(issue.number);
    assert_eq!(issue.comments.len(), 1, "{:?}", issue.comments);
    let comment = &issue.comments[0];
    assert!(
        comment.contains("Went bad: `backup` stale on 40 of 42 hosts: `web01..web40`."),
        "{comment}"
    );
    assert!(!comment.contains("web07/backup"), "{comment}");
    assert!(
        issue
            .body
            .contains("- `backup` stale on 40 of 42 hosts: `web01..web40`"),
        "{}",
        issue.body
    );
    forge.assert_clean();
}

#[test]
fn the_metrics_carry_the_quorum_rules() {
    let s = Scratch::new();
    fleet(&s, 0);
    let file = s.root().join("m.prom");
    let out = s
        .hb_check()
        .env("HB_NOW", NOW)
        .env("HB_METRICS_FILE", &file)
        .args(["--quorum", "backup=40", "--quiet"])
        .run();
    out.code(0).silent();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.lines()
            .any(|l| l == r#"cron_heartbeat_quorum_hosts{cron_job="backup"} 40"#),
        "{text}"
    );
}

#[test]
fn the_notification_names_the_group_once() {
    let server = crate::harness::capture::Capture::start(crate::harness::capture::Reply::Ok);
    let s = Scratch::new();
    fleet(&s, 40);
    let notify = server.url("/hook");
    check(&s, &["--notify", &notify]).code(2);
    let seen = server.seen();
    assert_eq!(seen.len(), 1, "one message for 40 hosts");
    let doc = crate::notify::webhook(&seen[0]);
    assert_eq!(doc["causes"], json!([GROUP_LINE]), "{doc}");
    // The JSON keeps every host's change; the text says the group once.
    assert_eq!(doc["changes"].as_array().map(Vec::len), Some(40), "{doc}");
    let text = doc["text"].as_str().unwrap();
    assert_eq!(text, format!("{GROUP_LINE}\n"), "{doc}");
}

#[test]
fn a_quorum_lost_and_regained_is_notified_with_the_runs_severity() {
    use crate::harness::capture::{Capture, Reply};
    let server = Capture::start(Reply::Ok);
    let hook = server.url("/hook");
    let s = Scratch::new();
    // Two of 42 hosts stale, the quorum of 40 met: a warning, as the exit
    // code says.
    fleet(&s, 2);
    check(&s, &["--quorum", "backup=40", "--notify", &hook]).code(1);
    let seen = server.seen();
    assert_eq!(seen.len(), 1, "the two stale hosts are news");
    let doc = crate::notify::webhook(&seen[0]);
    assert_eq!(doc["severity"], "warning", "{doc}");
    // 40 stale: below the quorum, a critical alert naming it first.
    fleet(&s, 40);
    check(&s, &["--quorum", "backup=40", "--notify", &hook]).code(2);
    let seen = server.seen();
    assert_eq!(seen.len(), 2, "one message for the lost quorum");
    let doc = crate::notify::webhook(&seen[1]);
    assert_eq!(doc["severity"], "critical", "{doc}");
    assert_eq!(
        doc["causes"][0],
        "backup below quorum: ok on 2 of 42 hosts, at least 40 needed (not ok: web01..web40)",
        "{doc}"
    );
    let quorum = doc["changes"].as_array().unwrap().iter();
    let quorum: Vec<_> = quorum.filter(|c| c["job"] == "backup quorum").collect();
    assert_eq!(quorum.len(), 1, "{doc}");
    // `from` is null: fine at the last message.
    assert_eq!(
        (&quorum[0]["from"], &quorum[0]["to"]),
        (&json!(null), &json!("stale"))
    );
    // The quorum's job no host reports: below it from the start, and
    // notified though no job's status says so.
    let empty = Scratch::new();
    let other = Capture::start(Reply::Ok);
    let other_hook = other.url("/hook");
    check(&empty, &["--quorum", "nightly=1", "--notify", &other_hook]).code(2);
    assert_eq!(other.seen().len(), 1, "a quorum no host meets is news");
}
