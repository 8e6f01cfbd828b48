//! Push pings from hb-write and hb-check to a local dead man's switch on
//! 127.0.0.1 speaking the Healthchecks and Uptime Kuma protocols.

use crate::harness;

use std::fs;

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
        seen("POST", &format!("/ping/abc-123/start?rid={rid}"), ""),
        "a POST, which a check set to accept only POST counts"
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
            seen("POST", "/ping/k/4", "disk full")
        ],
        "the exit status, which Healthchecks records"
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
    // A 500 may come after the server counted the ping: not sent again.
    for (answer, said) in [(Answer::Status(500), "500"), (Answer::Status(404), "404")] {
        let server = PingServer::start(answer);
        let s = Scratch::new();
        let out = s
            .hb_write()
            .env("HB_DIR", s.hb())
            .args(["--ping", &server.url("/p"), "j", "60"])
            .run();
        out.code(0);
        assert_eq!(server.seen().len(), 1, "{answer:?}: {:?}", server.seen());
        assert_eq!(
            out.stderr.lines().count(),
            1,
            "one warning line{}",
            out.show()
        );
        out.stderr_has("warning: the ping to http://127.0.0.1:");
        out.stderr_has(&format!("failed: the server answered {said}"));
        assert!(
            !out.stderr.contains("/p"),
            "the URL is a secret{}",
            out.show()
        );
        assert_eq!(record(&s, "j")["status"], "ok");
    }
}

#[test]
fn a_busy_server_that_says_when_gets_the_ping_again() {
    let server = PingServer::start(Answer::Busy(1));
    let s = Scratch::new();
    s.hb_write()
        .env("HB_DIR", s.hb())
        .args(["--ping", &server.url("/p"), "j", "60"])
        .run()
        .code(0)
        .silent();
    assert_eq!(
        server.seen(),
        [seen("POST", "/p", ""), seen("POST", "/p", "")],
        "turned away with 503 and Retry-After, then counted"
    );
}

#[test]
fn a_ping_that_timed_out_is_not_sent_again() {
    let server = PingServer::start(Answer::Hang);
    let s = Scratch::new();
    let out = s
        .hb_write()
        .env("HB_DIR", s.hb())
        .env("HB_PING_URL", server.url("/ping/h"))
        .args(["j", "60", "--", "sh", "-c", "echo done; exit 5"])
        .run();
    out.code(5);
    assert_eq!(
        record(&s, "j")["exit_code"],
        5,
        "the heartbeat is written first"
    );
    // Once the server catches up, each would count as often as it came.
    let targets: Vec<String> = server.seen().into_iter().map(|s| s.target).collect();
    assert_eq!(targets.len(), 2, "{targets:?}");
    assert!(targets[0].starts_with("/ping/h/start?rid="), "{targets:?}");
    assert!(targets[1].starts_with("/ping/h/5?rid="), "{targets:?}");
    out.stderr_has("warning: the ping to http://127.0.0.1:");
    out.stderr_has("failed: no answer within");
}

#[test]
fn a_slow_start_ping_leaves_the_end_ping_its_budget() {
    let server = PingServer::start(Answer::HangOn("/start"));
    let s = Scratch::new();
    let out = s
        .hb_write()
        .env("HB_DIR", s.hb())
        .env("HB_PING_URL", server.url("/ping/s"))
        .args(["j", "60", "--", "sh", "-c", "echo fine"])
        .run();
    out.code(0);
    let got = server.seen();
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got[0].target.starts_with("/ping/s/start?rid="), "{got:?}");
    assert!(
        got[1].target.starts_with("/ping/s/0?rid="),
        "the end ping: {got:?}"
    );
    assert_eq!(got[1].body, "fine\n");
    assert_eq!(
        out.stderr.lines().count(),
        1,
        "only the start ping failed{}",
        out.show()
    );
    out.stderr_has("warning: the ping to http://127.0.0.1:");
}

#[test]
fn the_end_ping_says_first_that_the_wrapper_ended_the_run() {
    let server = PingServer::start(Answer::Ok);
    let s = Scratch::new();
    s.hb_write()
        .env("HB_DIR", s.hb())
        .env("HB_PING_URL", server.url("/ping/m"))
        .args(["--max-runtime", "1s", "--kill-after", "j", "60", "--"])
        .args(["sh", "-c", "echo working; exec sleep 30"])
        .run()
        .code(143);
    let got = server.seen();
    assert_eq!(got.len(), 2, "{got:?}");
    let first = got[1].body.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("hb-write: ended the run after 1s, past its maximum runtime of 1s"),
        "{got:?}"
    );
    harness::assert_has(&got[1].body, "\nworking\n");
}

#[test]
fn a_ping_warning_is_one_write() {
    if !harness::skip::peer("strace", &["-V"], "strace") {
        return;
    }
    let server = PingServer::start(Answer::Status(404));
    let s = Scratch::new();
    let trace = s.root().join("trace");
    s.cmd("strace")
        .args(["-f", "-qq", "-s", "1000", "-e", "trace=write", "-o"])
        .arg(&trace)
        .arg(harness::HB_WRITE)
        .env("HB_DIR", s.hb())
        .args(["--ping", &server.url("/p"), "j", "60"])
        .run()
        .code(0);
    let trace = fs::read_to_string(&trace).unwrap();
    let to_stderr: Vec<&str> = trace.lines().filter(|l| l.contains("write(2,")).collect();
    assert_eq!(to_stderr.len(), 1, "{trace}");
    assert!(
        to_stderr[0].contains("warning: the ping to") && to_stderr[0].contains("unchanged\\n\""),
        "the whole line, its newline included: {trace}"
    );
}

#[test]
fn a_refused_ping_url_is_named_by_scheme_and_host_only() {
    let s = Scratch::new();
    let secret = "https://ops:s3cret@hc.example/SECRET-UUID";
    let bad_port = "https://ops:s3cret@hc.example:99999/SECRET-UUID";
    let runs = [
        s.hb_write().args(["--ping", secret, "j", "60"]).run(),
        s.hb_write()
            .env("HB_DIR", s.hb())
            .env("HB_PING_URL", secret)
            .args(["j", "60"])
            .run(),
        s.hb_write().args(["--ping", bad_port, "j", "60"]).run(),
        s.hb_check().env("HB_CHECK_PING_URL", secret).run(),
        // Put where the flag was forgotten, clap quotes it whole.
        s.hb_write().args(["j", "60", secret]).run(),
    ];
    // A bad flag is a usage error; a bad variable warns and the heartbeat
    // is written all the same (monitoring never takes the job down).
    for (out, usage) in runs.iter().zip([2, 0, 2, 3, 2]) {
        out.code(usage);
        for hidden in ["s3cret", "SECRET-UUID", "ops"] {
            assert!(!out.stderr.contains(hidden), "{hidden}{}", out.show());
        }
        out.stderr_has("https://hc.example");
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.show());
    }
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
        seen("POST", "/ping/watcher/3", "hb-check exit code 3")
    );
}
