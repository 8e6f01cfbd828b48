//! `hb-check --notify`, the acceptance scenarios: the native webhook,
//! ntfy and Slack senders and an `exec:` command against a recording
//! server on 127.0.0.1 that checks each request as the services document
//! it (method, path, headers, JSON shape, sizes): one message for many
//! changes, none when nothing changed, reminders, a destination down, hung,
//! answering too much or 500 forever.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::capture::{Capture, Reply, Request, HUGE};
use crate::harness::forge::{Forge, Mode};
use crate::harness::{Scratch, NOW, TOKEN};

/// `NOW` plus `minutes`.
pub fn at(minutes: i64) -> String {
    let now = chrono::DateTime::parse_from_rfc3339(NOW).unwrap();
    (now + chrono::Duration::minutes(minutes)).to_rfc3339()
}

/// The generic webhook's request, as our README documents it.
#[track_caller]
pub fn webhook(r: &Request) -> Value {
    assert_eq!(r.method, "POST", "{r:?}");
    assert_eq!(r.header("content-type"), Some("application/json"), "{r:?}");
    let doc = r.json();
    assert_eq!(doc["version"], 1, "{doc}");
    for field in [
        "event",
        "severity",
        "host",
        "checker",
        "checked_at",
        "title",
        "text",
    ] {
        assert!(doc[field].is_string(), "{field}: {doc}");
    }
    assert!(
        doc["changes"].is_array() && doc["still_bad"].is_array(),
        "{doc}"
    );
    let title = doc["title"].as_str().unwrap();
    assert!(
        !title.contains(['\r', '\n']) && title.chars().count() <= 200,
        "{title}"
    );
    doc
}

/// ntfy's publish request (docs.ntfy.sh/publish): a POST to the topic, the
/// text as the body (at most 4,096 bytes), title, priority and tags as
/// headers.
#[track_caller]
pub fn ntfy(r: &Request, topic: &str, priority: &str) -> String {
    assert_eq!(
        (r.method.as_str(), r.target.as_str()),
        ("POST", topic),
        "{r:?}"
    );
    assert_eq!(r.header("x-priority"), Some(priority), "{r:?}");
    assert!(r.header("x-tags").is_some_and(|t| !t.is_empty()), "{r:?}");
    let title = r.header("x-title").expect("a title");
    assert!(title.is_ascii() && !title.is_empty(), "{title}");
    assert!(r.body.len() <= 4096, "{}", r.body.len());
    r.text().to_owned()
}

/// The incoming-webhook request of Slack, Mattermost and Rocket.Chat: a
/// JSON POST with `text`, at most 40,000 characters.
#[track_caller]
pub fn slack(r: &Request) -> String {
    assert_eq!(r.method, "POST", "{r:?}");
    assert_eq!(r.header("content-type"), Some("application/json"), "{r:?}");
    let text = r.json()["text"].as_str().expect("a text").to_owned();
    assert!(text.chars().count() <= 40_000);
    text
}

#[test]
fn three_jobs_going_bad_make_one_message_per_destination_and_a_recovery_one_more() {
    let server = Capture::start(Reply::Ok);
    let s = Scratch::new();
    for job in ["backup", "rotate", "sync"] {
        s.stale(job);
    }
    s.ok("fine");
    let out = s.root().join("exec.json");
    let dests = [
        server.url("/hook/SECRET-PATH"),
        format!("ntfy://{}/alerts", server.authority()),
        format!("slack+{}", server.url("/services/T000/B000/XXXX")),
        format!(
            "exec:sh -c 'cat >> \"$1\"; echo >> \"$1\"' sh {}",
            out.display()
        ),
    ];
    let run = |minutes: i64| {
        let mut cmd = s.hb_check().args(["--now", &at(minutes)]);
        for d in &dests {
            cmd = cmd.args(["--notify", d]);
        }
        cmd.env("HB_NTFY_TOKEN", TOKEN).run()
    };
    let first = run(0);
    first.code(2);
    assert!(!first.stderr.contains("notify"), "{}", first.show());
    let hook = server.to("/hook/");
    assert_eq!(hook.len(), 1, "one message for three jobs: {hook:?}");
    let doc = webhook(&hook[0]);
    assert_eq!(doc["event"], "alert");
    assert_eq!(doc["severity"], "critical");
    assert_eq!(doc["changes"].as_array().unwrap().len(), 3, "{doc}");
    assert_eq!(doc["changes"][0]["job"], "backup");
    assert_eq!(doc["changes"][0]["to"], "stale");
    assert_eq!(doc["counts"]["stale"], 3);
    assert_eq!(doc["counts"]["ok"], 1);
    let title = doc["title"].as_str().unwrap();
    assert!(
        title.contains("3 jobs need attention: backup stale, rotate stale, sync stale"),
        "{title}"
    );
    let topic = server.to("/alerts");
    assert_eq!(topic.len(), 1);
    let body = ntfy(&topic[0], "/alerts", "5");
    assert!(body.contains("backup: stale"), "{body}");
    assert_eq!(
        topic[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    let chat = server.to("/services/");
    assert_eq!(chat.len(), 1);
    assert!(slack(&chat[0]).contains("`backup`: stale"));
    let piped = std::fs::read_to_string(&out).unwrap();
    assert_eq!(piped.matches("\"version\": 1").count(), 1, "{piped}");

    // One state file per destination, named by no part of it, holding the
    // bad jobs only.
    let states: Vec<_> = std::fs::read_dir(s.run_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".notify-"))
        .collect();
    assert_eq!(states.len(), 4, "{states:?}");
    for state in &states {
        let text = std::fs::read_to_string(state).unwrap();
        assert!(
            text.contains("web1/backup") && !text.contains("fine"),
            "{text}"
        );
        assert!(!state.to_string_lossy().contains("SECRET"));
    }
    // Nothing changed: nothing is sent.
    run(1).code(2);
    assert_eq!(server.seen().len(), 3, "{:?}", server.seen());

    // All recover: one message each, a low-priority one for ntfy.
    for job in ["backup", "rotate", "sync"] {
        s.beat(job, &at(2), "ok");
    }
    run(2).code(0).silent();
    let hook = server.to("/hook/");
    assert_eq!(hook.len(), 2);
    let doc = webhook(&hook[1]);
    assert_eq!(
        (doc["event"].as_str(), doc["severity"].as_str()),
        (Some("recovery"), Some("ok"))
    );
    assert_eq!(doc["changes"][2]["from"], "stale");
    assert_eq!(doc["changes"][2]["to"], "ok");
    ntfy(&server.to("/alerts")[1], "/alerts", "2");
    assert_eq!(server.to("/services/").len(), 2);
    let piped = std::fs::read_to_string(&out).unwrap();
    assert_eq!(piped.matches("\"recovery\"").count(), 1, "{piped}");
}

#[test]
fn a_reminder_comes_after_notify_remind_and_not_before() {
    let server = Capture::start(Reply::Ok);
    let s = Scratch::new();
    s.stale("backup");
    let run = |minutes: i64| {
        s.hb_check()
            .args(["--now", &at(minutes), "--notify-remind", "1h"])
            .env("HB_NOTIFY", server.url("/hook"))
            .run()
    };
    run(0).code(2);
    run(59).code(2);
    assert_eq!(server.seen().len(), 1, "not before the hour");
    run(61).code(2);
    let seen = server.seen();
    assert_eq!(seen.len(), 2, "one reminder");
    let doc = webhook(&seen[1]);
    assert_eq!(doc["event"], "reminder");
    assert_eq!(doc["still_bad"][0]["job"], "backup");
    assert_eq!(doc["still_bad"][0]["since"], NOW.replace(".000", ""));
    run(62).code(2);
    assert_eq!(server.seen().len(), 2, "and the next only an hour later");
}

#[test]
fn a_destination_down_for_three_runs_gets_the_change_on_the_fourth_once() {
    let server = Capture::start(Reply::Status(500));
    let s = Scratch::new();
    s.stale("backup");
    let url = server.url("/services/T000/B000/SECRET");
    let run = |minutes: i64| {
        s.hb_check()
            .args(["--now", &at(minutes), "--notify", &url])
            .run()
    };
    for minutes in 0..3 {
        let down = run(minutes);
        down.code(2);
        let line = down
            .stderr
            .lines()
            .find(|l| l.contains("notify"))
            .unwrap_or_default();
        assert_eq!(
            down.stderr.lines().filter(|l| l.contains("notify")).count(),
            1,
            "{}",
            down.show()
        );
        assert!(
            line.contains(&server.url("")) && line.contains("500"),
            "{line}"
        );
        assert!(
            !down.stderr.contains("SECRET") && !down.stderr.contains("T000"),
            "{}",
            down.show()
        );
    }
    assert_eq!(
        server.seen().len(),
        3,
        "a 500 may have been acted on: no retry"
    );
    server.set(Reply::Ok);
    run(3).code(2);
    run(4).code(2);
    let seen = server.seen();
    assert_eq!(seen.len(), 4, "the change once, on the fourth run");
    let doc = webhook(&seen[3]);
    assert_eq!(doc["event"], "alert");
    assert_eq!(doc["changes"][0]["job"], "backup");
    assert_eq!(
        doc["changes"][0]["since"],
        NOW.replace(".000", ""),
        "when it happened, not when it was told"
    );
}

#[test]
fn a_hanging_destination_costs_at_most_the_budget_and_delays_no_other() {
    let hanging = Capture::start(Reply::Hang);
    let good = Capture::start(Reply::Ok);
    let s = Scratch::new();
    s.stale("backup");
    let started = Instant::now();
    let out = s
        .hb_check()
        .args(["--now", NOW, "--notify-timeout", "2s"])
        .args([
            "--notify",
            &hanging.url("/hook"),
            "--notify",
            &good.url("/hook"),
        ])
        .run();
    let took = started.elapsed();
    out.code(2);
    assert!(took < Duration::from_secs(8), "{took:?}{}", out.show());
    assert!(out.stderr.contains("1 of 2 destinations"), "{}", out.show());
    assert_eq!(good.seen().len(), 1);
    assert_eq!(hanging.seen().len(), 1);
}

#[test]
fn a_ten_megabyte_answer_is_not_read_past_the_cap() {
    let server = Capture::start(Reply::Huge);
    let s = Scratch::new();
    s.stale("backup");
    let run = |minutes: i64| {
        s.hb_check()
            .args(["--now", &at(minutes), "--notify", &server.url("/hook")])
            .run()
    };
    let started = Instant::now();
    let out = run(0);
    out.code(2);
    assert!(
        !out.stderr.contains("notify"),
        "a 200 is taken{}",
        out.show()
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    // Let the server notice the client hung up.
    std::thread::sleep(Duration::from_millis(500));
    let written = server.huge_written();
    assert!(written < HUGE / 2, "the client read on: {written} bytes");
    run(1).code(2);
    assert_eq!(server.seen().len(), 1, "the state was committed");
}

#[test]
fn a_destination_answering_500_forever_leaves_tracker_metrics_and_exit_code_right() {
    let server = Capture::start(Reply::Ok);
    let forge = Forge::start(Mode::Github, None, TOKEN);
    let s = Scratch::new();
    s.stale("backup");
    let metrics = s.root().join("hb.prom");
    let run = |minutes: i64| {
        forge
            .hb_check(&s)
            .args(["--now", &at(minutes), "--notify", &server.url("/hook")])
            .arg("--metrics-file")
            .arg(&metrics)
            .run()
    };
    run(0).code(2);
    server.set(Reply::Status(500));
    s.stale("rotate");
    let out = run(1);
    out.code(2);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.show());
    assert_eq!(
        out.stdout.lines().count(),
        2,
        "the verdict is whole{}",
        out.show()
    );
    let text = std::fs::read_to_string(&metrics).unwrap();
    assert!(text.contains("job=\"rotate\""), "{text}");
    let issues = forge.open_issues();
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert!(issues[0].title.contains("2 job"), "{issues:?}");
    // Both recover, and the recovery cannot be told: UNKNOWN, as nothing
    // CRITICAL outranks it.
    s.beat("backup", &at(2), "ok");
    s.beat("rotate", &at(2), "ok");
    let out = run(2);
    out.code(3);
    assert!(out.stdout.is_empty(), "{}", out.show());
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.show());
    assert_eq!(server.seen().len(), 3, "{:?}", server.seen());
    assert!(std::fs::read_to_string(&metrics)
        .unwrap()
        .contains("job=\"rotate\""));
    assert!(forge.open_issues().is_empty(), "the issue was closed");
}
