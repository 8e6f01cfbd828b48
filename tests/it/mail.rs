//! `night-watch --format mail`, read back by a real MIME parser (Python's
//! `email` package). The cron line and the unit's line hand it to a
//! `sendmail` of the test's own, so the machine's MTA plays no part; one
//! test has a real MTA deliver it (Debian's dma, which CI installs) to a
//! local mailbox, and skips visibly where `/usr/sbin/sendmail` is another.

use crate::harness;

use std::fs;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::Duration;

use harness::{is_root, peer_cmd, record, skip, Scratch};
use serde_json::Value;

const NOW: &str = "2026-11-22T07:30:00Z";

/// Reads one message (`file MESSAGE`) or the one with subject SUBJECT from a
/// mailbox (`mbox MAILBOX SUBJECT`) and prints its headers and parts as
/// JSON, decoded as a mail client decodes them.
const PARSE: &str = r#"
import email, json, mailbox, sys
from email import policy
mode = sys.argv[1]
if mode == "file":
    with open(sys.argv[2], "rb") as f:
        msg = email.message_from_binary_file(f, policy=policy.default)
else:
    found = [m for m in mailbox.mbox(sys.argv[2], create=False)
             if email.message_from_bytes(m.as_bytes(), policy=policy.default)["Subject"] == sys.argv[3]]
    if len(found) != 1:
        print(json.dumps({"found": len(found)}))
        sys.exit(0)
    msg = email.message_from_bytes(found[0].as_bytes(), policy=policy.default)
parts = [{"type": p.get_content_type(), "charset": p.get_content_charset(),
          "encoding": p.get("Content-Transfer-Encoding"), "body": p.get_content(),
          "defects": [str(d) for d in p.defects]}
         for p in msg.iter_parts()]
print(json.dumps({"found": 1, "type": msg.get_content_type(),
                  "headers": {k: str(v) for k, v in msg.items()},
                  "defects": [str(d) for d in msg.defects], "parts": parts}))
"#;

fn python_available() -> bool {
    skip::peer("python3", &["--version"], "python3")
}

fn parse(args: &[&str]) -> Value {
    let out = peer_cmd("python3").arg("-c").arg(PARSE).args(args).run();
    out.code(0);
    out.json()
}

/// Heartbeats whose report needs attention, with a note that must come
/// through the encodings intact and the HTML escaped.
fn fixture(s: &Scratch) {
    s.write(
        "backup.last",
        record(
            "backup",
            "2026-11-22T07:10:00Z",
            3600,
            "fail",
            r#","exit_code":3,"message":"disk full <script>x</script> on /srv/café""#,
        ),
    );
    s.write(
        "rotate-logs.last",
        record("rotate-logs", "2026-11-22T07:00:00Z", 3600, "ok", ""),
    );
}

fn mail(s: &Scratch, host: &str, to: &str) -> harness::Cmd {
    s.night_watch()
        .env("HB_NOW", NOW)
        .args(["--format", "mail", "--host", host, "--to", to])
}

/// Checks a parsed message: one multipart/alternative whose text and HTML
/// parts both carry the report.
fn assert_report(doc: &Value, subject: &str) {
    assert_eq!(doc["found"], 1, "{doc}");
    assert_eq!(doc["type"], "multipart/alternative", "{doc}");
    assert_eq!(doc["defects"], Value::Array(vec![]), "{doc}");
    let headers = &doc["headers"];
    assert_eq!(headers["Subject"], subject, "{doc}");
    assert_eq!(headers["MIME-Version"], "1.0", "{doc}");
    for name in ["From", "To", "Date", "Message-ID"] {
        assert!(headers[name].is_string(), "{name} missing: {doc}");
    }
    let parts = doc["parts"].as_array().unwrap();
    let types: Vec<&str> = parts.iter().map(|p| p["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["text/plain", "text/html"], "{doc}");
    for part in parts {
        assert_eq!(part["charset"], "utf-8", "{part}");
        assert_eq!(part["defects"], Value::Array(vec![]), "{part}");
        let body = part["body"].as_str().unwrap();
        for shown in ["backup", "rotate-logs", "disk full", "café"] {
            assert!(body.contains(shown), "{shown} in {}:\n{body}", part["type"]);
        }
    }
    let text = parts[0]["body"].as_str().unwrap();
    assert!(text.contains("| backup      | failed |"), "{text}");
    let html = parts[1]["body"].as_str().unwrap();
    assert!(html.contains("<table"), "{html}");
    assert!(
        !html.contains("<script>") && html.contains("&lt;script&gt;"),
        "{html}"
    );
}

#[test]
fn the_mail_format_is_one_mime_message_with_both_reports() {
    if !python_available() {
        return;
    }
    let s = Scratch::new();
    fixture(&s);
    let out = mail(&s, "web1", "Ops <ops@example.com>")
        .args(["--to", "dev@example.com", "--from", "cron@example.com"])
        .run();
    out.code(0);
    let file = s.root().join("message.eml");
    fs::write(&file, &out.stdout).unwrap();
    let doc = parse(&["file", file.to_str().unwrap()]);
    assert_report(&doc, "night-watch web1: 1 failed, 1 ok");
    assert_eq!(
        doc["headers"]["To"], "Ops <ops@example.com>, dev@example.com",
        "{doc}"
    );
    assert_eq!(doc["headers"]["From"], "cron@example.com", "{doc}");
    // Lines of a mail are CRLF-terminated and at most 998 bytes long.
    for line in out.stdout.split("\r\n") {
        assert!(!line.contains('\n') && line.len() <= 998, "{line:?}");
    }
}

#[test]
fn the_mail_needs_a_recipient_and_takes_it_from_the_environment() {
    let s = Scratch::new();
    fixture(&s);
    s.night_watch()
        .args(["--format", "mail"])
        .run()
        .code(3)
        .one_line_error(&["--to"]);
    s.night_watch()
        .args(["--format", "mail", "--to", "ops at example"])
        .run()
        .code(3)
        .one_line_error(&["`ops at example` is neither a mail address"]);
    let out = s
        .night_watch()
        .env("HB_MAIL_TO", "a@example.com,b@example.com")
        .env("HB_NOW", NOW)
        .args(["--format", "mail", "--host", "web1"])
        .run();
    out.code(0)
        .stdout_has("To: a@example.com, b@example.com\r\n")
        .stdout_has("From: night-watch@web1\r\n");
}

#[test]
fn the_mail_goes_to_what_crons_mailto_takes() {
    let s = Scratch::new();
    fixture(&s);
    let out = s
        .night_watch()
        .env("HB_MAIL_TO", "root, Ops <ops@example.com>,backup")
        .env("HB_NOW", NOW)
        .args(["--format", "mail", "--host", "web1"])
        .run();
    out.code(0)
        .stdout_has("To: root, Ops <ops@example.com>, backup\r\n");
    let bad = s
        .night_watch()
        .args(["--format", "mail", "--to", "ops@"])
        .run();
    let err = bad.fails(3);
    assert!(!err.contains("Invalid input"), "{}", bad.show());
    assert!(
        err.contains("nor a local user name such as root"),
        "{}",
        bad.show()
    );
}

#[test]
fn a_broken_check_still_mails_and_says_so() {
    let s = Scratch::new();
    let out = s
        .night_watch()
        .env("HB_DIR", s.root().join("gone"))
        .args([
            "--format",
            "mail",
            "--host",
            "web1",
            "--to",
            "ops@example.com",
        ])
        .run();
    out.code(3)
        .stdout_has("Subject: night-watch web1: CANNOT CHECK: cannot read heartbeat directory");
}

/// Puts a `sendmail` of the test's own first on the PATH: each call keeps
/// its arguments (one a line) and the message it was handed in
/// `$HOME/outbox/<pid>.args` and `.eml`, and succeeds. Delivery is not what
/// these tests are about, and the machine's MTA (exim4, postfix, dma or
/// none) must not decide their outcome.
fn capture_sendmail(s: &Scratch) -> PathBuf {
    s.stand_in(
        "sendmail",
        "box=\"$HOME/outbox\"\nmkdir -p \"$box\"\nprintf '%s\\n' \"$@\" > \"$box/$$.args\"\ncat > \"$box/$$.eml\"\n",
    )
}

/// What the capture `sendmail` was handed: each call's arguments and the
/// path of its message.
fn outbox(s: &Scratch) -> Vec<(String, PathBuf)> {
    let dir = s.home().join("outbox");
    harness::listing(&dir)
        .into_iter()
        .filter_map(|name| name.strip_suffix(".eml").map(str::to_owned))
        .map(|stem| {
            let args = fs::read_to_string(dir.join(format!("{stem}.args"))).unwrap();
            (args, dir.join(format!("{stem}.eml")))
        })
        .collect()
}

#[test]
fn a_long_directory_in_a_broken_check_keeps_every_line_short() {
    let s = Scratch::new();
    // 3,000 characters of a directory that does not exist.
    let mut gone = s.root().join("gone");
    for i in 0..15 {
        gone.push(format!("{i:02}{}", "d".repeat(198)));
    }
    let out = s
        .night_watch()
        .env("HB_DIR", &gone)
        .args(["--format", "mail", "--host", "web1", "--to", "root"])
        .run();
    out.code(3)
        .stdout_has("Subject: night-watch web1: CANNOT CHECK: cannot read heartbeat directory");
    let (headers, _) = out.stdout.split_once("\r\n\r\n").unwrap();
    for line in out.stdout.split("\r\n") {
        assert!(line.len() <= 998, "{} characters: {line}", line.len());
    }
    let unfolded = headers.replace("\r\n ", " ");
    let subject = unfolded.split("\r\nSubject: ").nth(1).unwrap();
    let subject = subject.split("\r\n").next().unwrap();
    assert!(subject.ends_with("..."), "{subject}");
    let line = s
        .night_watch()
        .env("HB_DIR", &gone)
        .args(["--subject", "--host", "web1"])
        .run();
    assert!(line.stdout.len() < 998, "{}", line.show());
}

#[test]
fn the_cron_line_hands_one_message_to_sendmail_t() {
    if !python_available() {
        return;
    }
    let s = Scratch::new();
    fixture(&s);
    capture_sendmail(&s);
    let bin_dir = Path::new(harness::NIGHT_WATCH).parent().unwrap();
    s.cmd("/bin/sh")
        .env("PATH", s.path_with_stand_ins(&[bin_dir]))
        .env("HB_DIR", s.hb())
        .env("HB_NOW", NOW)
        .args([
            "-c",
            "night-watch --format mail --host web1 --to ops@example.com | sendmail -t",
        ])
        .run()
        .code(0)
        .silent();
    let sent = outbox(&s);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].0, "-t\n");
    let doc = parse(&["file", sent[0].1.to_str().unwrap()]);
    assert_report(&doc, "night-watch web1: 1 failed, 1 ok");
    assert_eq!(doc["headers"]["To"], "ops@example.com", "{doc}");
}

/// The shell line of night-watch.service's ExecStart=, as systemd hands it
/// to /bin/sh (`$$` is `$`, `%%` is `%`).
fn unit_line() -> String {
    let unit = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/systemd/night-watch.service"),
    )
    .unwrap();
    let exec = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart=/bin/sh -c '"))
        .and_then(|l| l.strip_suffix('\''))
        .expect("ExecStart=/bin/sh -c '...'");
    exec.replace("$$", "$").replace("%%", "%")
}

/// Runs the unit's line over the fixture as the unit runs it, with `line`
/// in place of the unit's own (`HB_MAIL_TO` set when `to` is).
fn run_unit_line(s: &Scratch, line: &str, host: &str, to: Option<&str>) -> harness::Outcome {
    let bin_dir = Path::new(harness::NIGHT_WATCH).parent().unwrap();
    let mut cmd = s
        .cmd("/bin/sh")
        .env("PATH", s.path_with_stand_ins(&[bin_dir]))
        .env("HB_DIR", s.hb())
        .env("HB_HOST", host)
        .env("HB_NOW", NOW)
        .args(["-c", line]);
    if let Some(to) = to {
        cmd = cmd.env("HB_MAIL_TO", to);
    }
    cmd.run()
}

#[test]
fn the_units_line_mails_through_sendmail_and_fails_without_a_recipient() {
    if !python_available() {
        return;
    }
    let s = Scratch::new();
    fixture(&s);
    let sendmail = capture_sendmail(&s);
    let line = unit_line();
    assert!(line.contains("| /usr/sbin/sendmail -t"), "{line}");
    let line = line.replace("/usr/sbin/sendmail", sendmail.to_str().unwrap());

    let out = run_unit_line(&s, &line, "web1", None);
    assert_ne!(out.status, Some(0), "{}", out.show());
    out.stderr_has("--to");
    assert_eq!(outbox(&s), [], "no recipient, no message");

    run_unit_line(&s, &line, "web1", Some("nobody@localhost"))
        .code(0)
        .silent();
    let sent = outbox(&s);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].0, "-t\n");
    let subject = "night-watch web1: 1 failed, 1 ok";
    assert_report(&parse(&["file", sent[0].1.to_str().unwrap()]), subject);
}

/// Whether `/usr/sbin/sendmail` is dma's, the MTA whose local delivery the
/// delivery test reads back; otherwise the test skips, naming what is there
/// (exim4 and postfix deliver local mail elsewhere, or not at once).
fn dma_is_the_mta() -> bool {
    let sendmail = Path::new("/usr/sbin/sendmail");
    match fs::canonicalize(sendmail) {
        Ok(target) if target.file_name().is_some_and(|n| n == "dma") => true,
        Ok(target) => {
            skip::skip(&format!(
                "`{}` is `{}`, not dma (Debian package `dma`; see .ci/run)",
                sendmail.display(),
                target.display()
            ));
            false
        }
        Err(_) => {
            skip::skip(&format!(
                "`{}` is not installed (Debian package `dma`; see .ci/run)",
                sendmail.display()
            ));
            false
        }
    }
}

#[test]
fn dma_delivers_the_units_mail_to_a_local_mailbox() {
    if !python_available() || !dma_is_the_mta() {
        return;
    }
    if !is_root() {
        skip::skip("reading nobody's mailbox needs root");
        return;
    }
    let s = Scratch::new();
    fixture(&s);
    // A host name of its own makes the subject, and so the message, unique.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let host = format!("mailtest-{}-{nanos}", std::process::id());
    run_unit_line(&s, &unit_line(), &host, Some("nobody@localhost"))
        .code(0)
        .silent();
    // dma hands the message to a delivery process of its own and returns:
    // look for it a bounded number of times, briefly.
    let mailbox = Path::new("/var/mail/nobody");
    let delivered = (0..200).any(|_| {
        // The subject may be folded in the file; the host name is not.
        let found = fs::read_to_string(mailbox).is_ok_and(|m| m.contains(&host));
        if !found {
            thread::sleep(Duration::from_millis(50));
        }
        found
    });
    assert!(
        delivered,
        "dma delivered nothing for {host} to {}",
        mailbox.display()
    );
    let subject = format!("night-watch {host}: 1 failed, 1 ok");
    assert_report(
        &parse(&["mbox", mailbox.to_str().unwrap(), &subject]),
        &subject,
    );
}
