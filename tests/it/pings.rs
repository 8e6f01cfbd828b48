//! Push pings from hb-write and hb-check to a local dead man's switch on
//! 127.0.0.1 speaking the Healthchecks and Uptime Kuma protocols.

use crate::harness;

use std::fs;
use std::thread;
use std::time::Duration;

use harness::pings::{Answer, PingServer, Seen};
use harness::Scratch;
use serde_json::Value;

fn record(s: &Scratch, job: &str) -> Value {
    let text = fs::read_to_string(s.hb().join(format!("{job}.last"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn seen(method: &str, target: &str, body: &str) -> Seen {
    Seen {
        method: method.to_owned(),
        target: target.to_owned(),
        body: body.to_owned(),
    }
}

#[test]
fn the_wrapper_pings_start_and_exit_code_with_one_rid() {
    let server = PingServer::start(Answer::Ok);
    let s = Scratch::new();
    s.hb_write()
        .env("HB_DIR", s.hb())
        .env("HB_PING_URL", server.url("/ping/abc-123"))
        .args(["j", "60", "--", "sh", "-c", "echo hi; exit 3"])
        .run()
        .code(3);
    let got = server.seen();
    assert_eq!(got.len(), 2, "{got:?}");
    let rid = got[0]
        .target
        .strip_prefix("/ping/abc-123/start?rid=")
        .unwrap_or_else(|| panic!("a start ping: {got:?}"));
    assert_eq!(rid.len(), 36, "a UUID: {rid}");
    assert_eq!(
        got[0],
        seen("GET", &format!("/ping/abc-123/start?rid={rid}"), "")
    );
    assert_eq!(
        got[1],
        seen("POST", &format!("/ping/abc-123/3?rid={rid}"), "hi\n")
    );
    assert_eq!(record(&s, "j")["status"], "fail");
}

#[test]
fn plain_hb_write_pings_the_url_or_fail() {
    let server = PingServer::start(Answer::Ok);
    let s = Scratch::new();
    let url = server.url("/ping/k");
    let base = || s.hb_write().env("HB_DIR", s.hb()).args(["--ping", &url]);
    base().args(["j", "60"]).run().code(0).silent();
    base()
        .args(["--exit-code", "4", "--message", "disk full", "j", "60"])
        .run()
        .code(0)
        .silent();
    assert_eq!(
        server.seen(),
        [
            seen("POST", "/ping/k", ""),
            seen("POST", "/ping/k/fail", "disk full")
        ]
    );
}

#[test]
fn uptime_kuma_gets_status_msg_and_ping() {
    let server = PingServer::start(Answer::Ok);
    let s = Scratch::new();
    let url = server.url("/api/push/T0k?status=up&msg=OK&ping=");
    let wrap = |cmd: &str| {
        s.hb_write()
            .env("HB_DIR", s.hb())
            .args([
                "--ping",
                &url,
                "--ping-style",
                "uptime-kuma",
                "j",
                "60",
                "--",
            ])
            .args(["sh", "-c", cmd])
            .run()
    };
    wrap("echo starting >&2; echo no space left >&2; exit 2").code(2);
    wrap("true").code(0);
    let got = server.seen();
    assert_eq!(got.len(), 2, "no start ping in Kuma's protocol: {got:?}");
    let (down, up) = (&got[0], &got[1]);
    assert_eq!(down.method, "GET");
    let prefix = "/api/push/T0k?status=down&msg=exit+code+2%3A+no+space+left&ping=";
    let ms = down
        .target
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("{got:?}"));
    assert!(ms.parse::<u64>().is_ok(), "a duration in ms: {ms}");
    assert!(
        up.target
            .starts_with("/api/push/T0k?status=up&msg=OK&ping="),
        "{got:?}"
    );
}

#[test]
fn a_failing_server_costs_little_and_changes_nothing() {
    for (answer, attempts) in [(Answer::Status(500), 3), (Answer::Status(404), 1)] {
        let server = PingServer::start(answer);
        let s = Scratch::new();
        let out = s
            .hb_write()
            .env("HB_DIR", s.hb())
            .args(["--ping", &server.url("/p"), "j", "60"])
            .run();
        out.code(0);
        assert_eq!(
            out.stderr.lines().count(),
            1,
            "one warning line{}",
            out.show()
        );
        out.stderr_has("warning: the ping to 127.0.0.1 failed");
        assert!(
            !out.stderr.contains("/p"),
            "the URL is a secret{}",
            out.show()
        );
        assert_eq!(record(&s, "j")["status"], "ok");
        assert_eq!(
            server.seen().len(),
            attempts,
            "{answer:?}: {:?}",
            server.seen()
        );
    }
}

#[test]
fn a_hanging_server_is_given_up_on_after_the_heartbeat() {
    let server = PingServer::start(Answer::Hang);
    let s = Scratch::new();
    let out = s
        .hb_write()
        .env("HB_DIR", s.hb())
        .env("HB_PING_URL", server.url("/ping/h"))
        .args(["j", "60", "--", "sh", "-c", "echo done; exit 5"])
        .run();
    // The server never answers and never closes: hb-write has ended, so it
    // gave up on its own, by its deadline.
    out.code(5);
    assert_eq!(
        record(&s, "j")["exit_code"],
        5,
        "the heartbeat is written first"
    );
    assert!(out.stderr.contains("warning: the ping"), "{}", out.show());
    let asked = server.seen().len();
    assert!(asked >= 1, "{}", out.show());
    // Each connection it left was closed by hb-write, not by the server;
    // the server notices the close as soon as it reads past the request.
    let closed = (0..1000).any(|_| {
        let all = server.hang_ups() == asked;
        if !all {
            thread::sleep(Duration::from_millis(10));
        }
        all
    });
    assert!(
        closed,
        "{} of {asked} connections closed by hb-write{}",
        server.hang_ups(),
        out.show()
    );
}

#[test]
fn hb_check_pings_success_when_it_checked_and_fail_when_it_could_not() {
    let server = PingServer::start(Answer::Ok);
    let s = Scratch::new();
    s.stale("old");
    let url = server.url("/ping/watcher");
    s.hb_check().env("HB_CHECK_PING_URL", &url).run().code(2);
    s.hb_check()
        .env("HB_CHECK_PING_URL", &url)
        .env("HB_DIR", s.root().join("nowhere"))
        .run()
        .code(3);
    let got = server.seen();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(
        got[0],
        seen("POST", "/ping/watcher", "hb-check exit code 2")
    );
    assert_eq!(
        got[1],
        seen("POST", "/ping/watcher/fail", "hb-check exit code 3")
    );
}
