//! More of `--notify`: hostile text from heartbeats, `--notify-test` and
//! the refusal of bad destinations, night-watch's summary, and Apprise's
//! real CLI through `exec:` (see `notify` for the recording server's
//! checks of each service's request).

use crate::harness::capture::{Capture, Reply};
use crate::harness::{skip, Scratch, NOW, TOKEN};
use crate::notify::{ntfy, slack, webhook};

#[test]
fn hostile_names_and_messages_make_valid_inert_requests() {
    let server = Capture::start(Reply::Ok);
    let s = Scratch::new();
    let long = "x".repeat(10_000);
    let message = format!("line one\r\nX-Injected: 1\n@channel <!here> <https://evil.example|click> \u{202e}gnp.exe {long}");
    let record = crate::harness::record(
        "hostile",
        crate::harness::OLD,
        300,
        "ok",
        &format!(",\"message\":{}", serde_json::to_string(&message).unwrap()),
    );
    s.write("hostile.last", record);
    // Invalid UTF-8 in a record, under a name that breaks every rule.
    s.write(
        "bad\r\n@channel <!here>\u{202e}.last",
        b"{\"job\":\"\xff\xfe\"}".as_slice(),
    );
    let out = s
        .hb_check()
        .args(["--now", NOW])
        .args(["--notify", &server.url("/hook")])
        .args(["--notify", &format!("ntfy://{}/topic", server.authority())])
        .args(["--notify", &format!("slack+{}", server.url("/chat"))])
        .run();
    out.code(2);
    assert!(!out.stderr.contains("notify"), "{}", out.show());
    let hook = &server.to("/hook")[0];
    let raw = std::str::from_utf8(&hook.body).expect("UTF-8 JSON");
    assert!(!raw.contains('\u{202e}'), "bidi escaped in the JSON");
    let doc = webhook(hook);
    assert!(doc["changes"].as_array().unwrap().len() == 2, "{doc}");
    let text = doc["text"].as_str().unwrap();
    assert!(!text.contains('\r') && !text.contains('\u{202e}'), "{text}");
    assert_eq!(text.lines().count(), 2, "one line per job: {text}");
    let body = ntfy(&server.to("/topic")[0], "/topic", "5");
    assert!(!body.contains('\u{202e}') && !body.contains('\r'));
    let chat = slack(&server.to("/chat")[0]);
    for inert in ["@channel", "<!here>", "<https://", "\u{202e}"] {
        assert!(!chat.contains(inert), "{inert} in {chat}");
    }
    assert!(chat.contains("\u{ff20}channel &lt;!here&gt;"), "{chat}");
    assert!(chat.chars().count() < 5_000, "the message was capped");
}

#[test]
fn notify_test_says_what_the_destination_answered_and_never_the_secret() {
    let server = Capture::start(Reply::Ok);
    let s = Scratch::new();
    let url = server.url("/services/T000/B000/SECRET");
    let ok = s.hb_check().args(["--notify-test", &url]).run();
    ok.code(0);
    assert_eq!(
        ok.stdout,
        format!(
            "{} took the test message: the server answered 200 OK: ok\n",
            server.url("")
        )
    );
    let doc = webhook(&server.seen()[0]);
    assert_eq!(doc["event"], "test");
    server.set(Reply::Status(404));
    let no = s.hb_check().args(["--notify-test", &url]).run();
    no.code(3)
        .one_line_error(&["did not take the test message", "404"]);
    assert!(!no.stderr.contains("SECRET"));
    let refused = s
        .hb_check()
        .args([
            "--notify",
            "https://ops:pw@hooks.example/services/T000/B000/SECRET",
        ])
        .run();
    refused
        .code(3)
        .one_line_error(&["https://hooks.example", "user name or password"]);
    assert!(!refused.stderr.contains("SECRET") && !refused.stderr.contains("pw@"));
    // ntfy's token from a file only its owner may read, through the store.
    let topic = format!("ntfy://{}/t", server.authority());
    server.set(Reply::Ok);
    let loose = s.token_file(0o644);
    s.hb_check()
        .args(["--notify-test", &topic])
        .env("HB_NTFY_TOKEN_FILE", &loose)
        .run()
        .code(3)
        .one_line_error(&["refusing the ntfy token file", "chmod 600"]);
    let tight = s.token_file(0o600);
    let sent = s
        .hb_check()
        .args(["--notify-test", &topic])
        .env("HB_NTFY_TOKEN_FILE", &tight)
        .run();
    sent.code(0);
    assert!(!sent.stdout.contains(TOKEN), "{}", sent.show());
    let last = server.seen().pop().unwrap();
    assert_eq!(
        ntfy(&last, "/t", "2"),
        "This destination works: hb-check --notify-test sent this. Nothing needs attention.\n"
    );
    assert_eq!(
        last.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    s.hb_check()
        .args(["--notify", "exec:notify-send hi; rm -rf /"])
        .run()
        .code(3)
        .one_line_error(&["no shell runs it"]);
}

#[test]
fn night_watch_sends_the_morning_summary() {
    let server = Capture::start(Reply::Ok);
    let s = Scratch::new();
    s.stale("backup");
    s.ok("rotate");
    let out = s
        .night_watch()
        .args(["--now", NOW, "--subject", "--notify", &server.url("/hook")])
        .run();
    out.code(0);
    let doc = webhook(&server.seen()[0]);
    assert_eq!(doc["event"], "summary");
    assert_eq!(doc["checker"], "night-watch");
    assert_eq!(doc["still_bad"][0]["job"], "backup");
    server.set(Reply::Status(503));
    let failed = s
        .night_watch()
        .args(["--now", NOW, "--subject", "--notify", &server.url("/hook")])
        .run();
    failed.code(3);
    assert!(
        failed.stdout.contains("night-watch"),
        "the report is printed"
    );
}

/// Apprise's real CLI, reached through `exec:` as the README's recipe
/// does, delivering to capture servers in its `json://`, `ntfy://` and
/// `mmost://` schemes.
#[test]
fn apprise_delivers_our_title_and_text_through_exec() {
    if !skip::peer("apprise", &["--version"], "apprise") {
        return;
    }
    let server = Capture::start(Reply::Ok);
    let s = Scratch::new();
    s.stale("backup");
    let host = server.authority();
    let token = "yobjmukpaw3r3urc5h6i369yima";
    let dest = format!(
        "exec:apprise -t $TITLE -b $TEXT json://{host}/apprise ntfy://{host}/hbtopic mmost://{host}/{token}"
    );
    let out = s.hb_check().args(["--now", NOW, "--notify", &dest]).run();
    out.code(2);
    assert!(!out.stderr.contains("notify"), "{}", out.show());
    let json = server.to("/apprise");
    assert_eq!(json.len(), 1, "{:?}", server.seen());
    let doc = json[0].json();
    assert_eq!(doc["version"], "1.0");
    let title = doc["title"].as_str().unwrap();
    assert!(
        title.ends_with("1 job needs attention: backup stale"),
        "{title}"
    );
    assert!(
        doc["message"].as_str().unwrap().contains("backup: stale"),
        "{doc}"
    );
    // ntfy's JSON publishing: a POST to the root with the topic inside.
    let ntfy = server
        .seen()
        .into_iter()
        .filter(|r| r.target == "/")
        .collect::<Vec<_>>();
    assert_eq!(ntfy.len(), 1, "{:?}", server.seen());
    let doc = ntfy[0].json();
    assert_eq!(doc["topic"], "hbtopic");
    assert!(doc["message"].as_str().unwrap().contains("backup: stale"));
    let mm = server.to(&format!("/hooks/{token}"));
    assert_eq!(mm.len(), 1, "{:?}", server.seen());
    assert!(mm[0].json()["text"]
        .as_str()
        .unwrap()
        .contains("backup: stale"));
    // A destination Apprise cannot reach: its exit code says so.
    server.set(Reply::Status(500));
    s.stale("rotate");
    let down = s.hb_check().args(["--now", NOW, "--notify", &dest]).run();
    down.code(2);
    assert!(
        down.stderr.contains("`apprise` exited 1"),
        "{}",
        down.show()
    );
}

#[test]
fn an_exec_command_gets_none_of_our_secrets() {
    use crate::harness::capture::{Capture, Reply};
    let s = crate::harness::Scratch::new();
    s.stale("backup");
    let seen_env = s.root().join("env");
    let ping = Capture::start(Reply::Ok);
    s.hb_check()
        .env(
            "HB_NOTIFY",
            format!("exec:sh -c 'env > {}'", seen_env.display()),
        )
        .env("HB_NTFY_TOKEN", "tk_ntfy_secret")
        .env("HB_TRACKER_TOKEN", "tk_tracker_secret")
        .env("HB_CHECK_PING_URL", ping.url("/ping/secret-check-uuid"))
        .env("HB_PING_URL", ping.url("/ping/secret-job-uuid"))
        .run()
        .code(2);
    let env = std::fs::read_to_string(&seen_env).expect("the command ran");
    assert!(env.contains("HB_TITLE="), "{env}");
    assert!(env.contains("HB_CHANGES=backup - stale"), "{env}");
    for secret in [
        "tk_ntfy_secret",
        "tk_tracker_secret",
        "secret-check-uuid",
        "secret-job-uuid",
    ] {
        assert!(!env.contains(secret), "{secret} reached the command: {env}");
    }
}

#[test]
fn a_success_whose_answer_stalls_is_delivered_once_not_sent_again() {
    let server = Capture::start(Reply::Trickle);
    let s = Scratch::new();
    s.stale("backup");
    let run = || {
        s.hb_check()
            .args(["--now", NOW, "--notify-timeout", "2s"])
            .args(["--notify", &server.url("/hook")])
            .run()
    };
    let first = run();
    first.code(2);
    assert!(!first.stderr.contains("did not take"), "{}", first.show());
    // Nothing changed: the message the server took is not sent again.
    run().code(2);
    assert_eq!(server.seen().len(), 1, "sent twice");
}
