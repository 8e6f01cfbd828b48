//! night-watch, run as the real binary over real heartbeat directories with
//! a cleared environment.
//!
//! Snapshot tests compare the output with the files in `tests/snapshots/`
//! and show a line diff on mismatch. After a deliberate change of the
//! output, rewrite them with
//!
//! ```text
//! UPDATE_SNAPSHOTS=1 cargo test --test it night_watch
//! ```
//!
//! and review the change with `git diff tests/snapshots` before committing.

use crate::harness;

use std::fs;
use std::path::{Path, PathBuf};

use cron_heartbeat::escape;
use harness::snapshot::assert_snapshot;
use harness::{peer_cmd, skip, Outcome, Scratch, NIGHT_WATCH as BIN};

const NOW: &str = "2026-11-22T06:00:00Z";
const HOSTILE_MESSAGE: &str = "<script>alert(1)</script> | \x1b[31mred";
const HOSTILE_JOB: &str = "bad|<b>\x1b[2J";

/// Runs night-watch with piped stdout and the given environment only (on
/// failure, the files below `HB_DIR` are listed).
fn night_watch(env: &[(&str, &str)], args: &[&str]) -> Outcome {
    let mut cmd = peer_cmd(BIN).envs(env.iter().copied()).args(args);
    if let Some((_, dir)) = env.iter().find(|(k, _)| *k == "HB_DIR") {
        cmd = cmd.list(dir);
    }
    cmd.run()
}

fn heartbeat(job: &str, timestamp: &str, interval: u64, status: &str, extra: &str) -> String {
    format!(
        r#"{{"version":1,"job":"{job}","timestamp":"{timestamp}","interval_seconds":{interval},"host":"web1","pid":42,"status":"{status}"{extra}}}"#
    )
}

fn write(dir: &Path, name: &str, content: &str) {
    fs::create_dir_all(dir).unwrap();
    fs::write(dir.join(name), content).unwrap();
}

/// A known set of heartbeats, judged at `NOW` with factor 2 and
/// `HB_EXPECT=ghost`: two invalid, one each stale, missing, failed and late,
/// two ok.
fn fixture() -> (Scratch, PathBuf) {
    let tmp = Scratch::new();
    let dir = tmp.hb();
    let hb = |job: &str, ts: &str, interval, status: &str, extra: &str| {
        write(
            &dir,
            &format!("{job}.last"),
            &heartbeat(job, ts, interval, status, extra),
        );
    };
    hb("backup", "2026-11-22T03:00:05Z", 86_400, "ok", "");
    hb(
        "db-dump",
        "2026-11-19T23:00:00Z",
        86_400,
        "fail",
        r#","exit_code":2,"message":"pg_dump: disk full""#,
    );
    hb("rotate-logs", "2026-11-22T04:30:00Z", 3600, "ok", "");
    let hostile = serde_json::to_string(HOSTILE_MESSAGE).unwrap();
    hb(
        "sync-mail",
        "2026-11-22T05:55:00Z",
        900,
        "fail",
        &format!(r#","exit_code":1,"message":{hostile}"#),
    );
    hb("fetch-rates", "2026-11-22T05:58:00Z", 300, "ok", "");
    write(&dir, "broken.last", "not json");
    write(&dir, &format!("{HOSTILE_JOB}.last"), "x");
    (tmp, dir)
}

fn fixture_env(dir: &Path) -> Vec<(&'static str, String)> {
    vec![
        ("HB_DIR", dir.to_str().unwrap().to_owned()),
        ("HB_NOW", NOW.to_owned()),
        ("HB_EXPECT", "ghost".to_owned()),
        ("HB_HOST", "web1".to_owned()),
    ]
}

fn run_fixture(dir: &Path, extra_env: &[(&str, &str)], args: &[&str]) -> Outcome {
    let env = fixture_env(dir);
    let mut all: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    all.extend_from_slice(extra_env);
    night_watch(&all, args)
}

/// Replaces the temporary directory, in each escaped form it takes, with
/// `$TMP`, so that snapshots do not depend on it.
fn normalise(text: &str, tmp: &Path) -> String {
    let raw = tmp.to_str().unwrap();
    text.replace(&escape::markdown(raw), "$TMP")
        .replace(&escape::html(raw), "$TMP")
        .replace(raw, "$TMP")
}

#[test]
fn the_panel_matches_its_snapshot_in_every_format() {
    let (tmp, dir) = fixture();
    for (format, file) in [
        ("text", "panel.txt"),
        ("markdown", "panel.md"),
        ("html", "panel.html"),
        ("json", "panel.json"),
    ] {
        let out = run_fixture(&dir, &[], &["--panel", "--format", format]).ok();
        assert_snapshot(file, &normalise(&out, tmp.root()));
    }
}

#[test]
fn the_report_matches_its_snapshot_in_every_format() {
    let (tmp, dir) = fixture();
    for (format, file) in [
        ("text", "report.txt"),
        ("markdown", "report.md"),
        ("html", "report.html"),
    ] {
        let out = run_fixture(&dir, &[], &["--format", format]).ok();
        assert_snapshot(file, &normalise(&out, tmp.root()));
    }
}

/// The cells of an ASCII text table, row by row, heading first.
fn table_cells(text: &str) -> Vec<Vec<&str>> {
    text.lines()
        .filter(|l| l.starts_with("| "))
        .map(|l| l.trim_matches('|').split(" | ").map(str::trim).collect())
        .collect()
}

#[test]
fn the_panel_is_worst_first_then_by_ratio_then_by_name() {
    let (_tmp, dir) = fixture();
    let out = run_fixture(&dir, &[], &["--panel"]).ok();
    let rows = table_cells(&out);
    let want: [[&str; 5]; 9] = [
        ["job", "status", "age", "interval", "ratio"],
        ["bad|<b>\\u{1b}[2J", "invalid", "-", "-", "-"],
        ["broken", "invalid", "-", "-", "-"],
        ["db-dump", "stale", "2d 7h", "1d", "2.3x"],
        ["ghost", "missing", "-", "-", "-"],
        ["sync-mail", "failed", "5m", "15m", "0.3x"],
        ["rotate-logs", "late", "1h 30m", "1h", "1.5x"],
        ["fetch-rates", "ok", "2m", "5m", "0.4x"],
        ["backup", "ok", "2h 59m", "1d", "0.1x"],
    ];
    assert_eq!(rows, want, "{out}");
}

#[test]
fn the_json_format_is_hb_checks_document() {
    let (_tmp, dir) = fixture();
    for args in [&["--format", "json"][..], &["--format", "json", "--panel"]] {
        let out = run_fixture(&dir, &[], args).ok();
        let doc: serde_json::Value = serde_json::from_str(&out).expect("one JSON document");
        assert_eq!(doc["checked_at"], NOW);
        assert_eq!(doc["jobs"].as_array().unwrap().len(), 8);
        assert_eq!(doc["jobs"][2]["job"], "db-dump");
        assert_eq!(doc["jobs"][2]["status"], "stale");
        assert_eq!(doc["summary"]["invalid"], 2);
        assert_eq!(doc["summary"]["ok"], 2);
    }
}

#[test]
fn piped_text_has_ascii_borders_and_no_escape_byte() {
    let (_tmp, dir) = fixture();
    for args in [&["--panel"][..], &[]] {
        let run = run_fixture(&dir, &[], args);
        let out = run.ok();
        assert!(out.is_ascii(), "{}", run.show());
        assert!(!out.as_bytes().contains(&0x1b), "{}", run.show());
        assert!(out.contains("+======"), "{}", run.show());
    }
}

/// Runs night-watch under a pseudo-terminal with `script` from util-linux,
/// or returns `None` (failing under CI, where it must be installed).
fn under_a_terminal(dir: &Path, extra_env: &[(&str, &str)]) -> Option<String> {
    let script = ["/usr/bin/script", "/bin/script"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    let Some(script) = script else {
        skip::skip("`script` is not installed (Debian package `bsdutils`; see .ci/run)");
        return None;
    };
    let inner = format!("'{BIN}' --panel");
    let run = peer_cmd(script)
        .args(["-qec", &inner, "/dev/null"])
        .envs(fixture_env(dir))
        .envs(extra_env.iter().copied())
        .list(dir)
        .run();
    run.code(0);
    Some(run.stdout.clone())
}

#[test]
fn a_terminal_gets_utf8_borders_and_colour() {
    let (_tmp, dir) = fixture();
    let utf8 = [("TERM", "xterm"), ("LC_ALL", "C.UTF-8")];
    let Some(out) = under_a_terminal(&dir, &utf8) else {
        return;
    };
    assert!(out.contains('┌') && out.contains('╞'), "{out}");
    assert!(out.contains("\x1b["), "colour expected: {out:?}");
    // The job's own escape sequence is still inert.
    assert!(!out.contains("\x1b[2J"), "{out:?}");
}

#[test]
fn no_color_keeps_a_terminal_free_of_escapes() {
    let (_tmp, dir) = fixture();
    let env = [("NO_COLOR", "1"), ("TERM", "xterm"), ("LC_ALL", "C.UTF-8")];
    let Some(out) = under_a_terminal(&dir, &env) else {
        return;
    };
    assert!(out.contains('┌'), "{out}");
    assert!(!out.contains('\x1b'), "{out:?}");
}

#[test]
fn a_dumb_terminal_gets_no_colour_and_a_non_utf8_locale_ascii() {
    let (_tmp, dir) = fixture();
    let env = [("TERM", "dumb"), ("LC_ALL", "C.UTF-8")];
    let Some(out) = under_a_terminal(&dir, &env) else {
        return;
    };
    assert!(out.contains('┌'), "{out}");
    assert!(!out.contains('\x1b'), "TERM=dumb: {out:?}");
    let env = [("TERM", "xterm"), ("LC_ALL", "POSIX"), ("LANG", "C.UTF-8")];
    let Some(out) = under_a_terminal(&dir, &env) else {
        return;
    };
    assert!(out.is_ascii(), "not a UTF-8 locale: {out:?}");
    assert!(out.contains("+--"), "{out}");
}

#[test]
fn hostile_text_is_inert_in_every_format() {
    let (_tmp, dir) = fixture();
    // A host name that is not one is refused where it is read, in one line.
    let host = "web1<script>|\x1b[31m\nBcc: x";
    let refused = run_fixture(&dir, &[("HB_HOST", host)], &[]);
    refused.code(3);
    assert_eq!(refused.stderr.lines().count(), 1, "{}", refused.show());
    assert!(
        refused.stderr.contains("is not a host name") && !refused.stderr.contains('\x1b'),
        "{}",
        refused.show()
    );
    let env: [(&str, &str); 0] = [];
    for format in ["text", "markdown", "html"] {
        for args in [&["--format", format][..], &["--format", format, "--panel"]] {
            let run = run_fixture(&dir, &env, args);
            let out = run.ok();
            assert!(!out.contains('\x1b'), "{}", run.show());
            assert!(
                !out.chars().any(|c| c.is_control() && c != '\n'),
                "{}",
                run.show()
            );
            match format {
                "html" => {
                    assert!(!out.contains("<script>"), "{}", run.show());
                    assert!(!out.contains("<b>"), "{}", run.show());
                    assert!(out.contains("bad|&lt;b&gt;\\u{1b}[2J"), "{}", run.show());
                }
                "markdown" => {
                    assert!(!out.contains("<script>"), "{}", run.show());
                    assert!(!out.contains("<b>"), "{}", run.show());
                    assert!(
                        out.contains("| bad\\|&lt;b\\>\\\\u{1b}\\[2J | invalid |"),
                        "{}",
                        run.show()
                    );
                }
                _ => assert!(out.contains("bad|<b>\\u{1b}[2J"), "{}", run.show()),
            }
        }
    }
    // The message, in the full report.
    let html = run_fixture(&dir, &env, &["--format", "html"]).ok();
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; | \\u{1b}[31mred"));
    let md = run_fixture(&dir, &env, &["--format", "markdown"]).ok();
    assert!(md.contains("- message: &lt;script\\>alert(1)&lt;/script\\> \\| \\\\u{1b}\\[31mred"));
    let text = run_fixture(&dir, &env, &[]).ok();
    assert!(text.contains("  message    <script>alert(1)</script> | \\u{1b}[31mred\n"));
    // And the subject stays one line.
    let subject = run_fixture(&dir, &env, &["--subject"]).ok();
    assert_eq!(subject.lines().count(), 1, "{subject:?}");
    assert!(!subject.trim_end_matches('\n').chars().any(char::is_control));
    assert!(subject.starts_with("night-watch web1: "));
}

#[test]
fn the_subject_gives_the_counts_worst_first() {
    let (_tmp, dir) = fixture();
    let out = run_fixture(&dir, &[], &["--subject"]).ok();
    assert_eq!(
        out,
        "night-watch web1: 2 invalid, 1 stale, 1 missing, 1 failed, 1 late, 2 ok\n"
    );
    // --subject wins over --panel and --format, which HB_* may set for the
    // panel of the same mail.
    let out = run_fixture(
        &dir,
        &[("HB_PANEL", "1"), ("HB_REPORT_FORMAT", "html")],
        &["--subject"],
    )
    .ok();
    assert_eq!(
        out,
        "night-watch web1: 2 invalid, 1 stale, 1 missing, 1 failed, 1 late, 2 ok\n"
    );
}

#[test]
fn the_subject_says_all_ok_when_all_are() {
    let tmp = Scratch::new();
    for job in ["backup", "rotate-logs", "sync-mail"] {
        write(
            tmp.root(),
            &format!("{job}.last"),
            &heartbeat(job, "2026-11-22T05:00:00Z", 86_400, "ok", ""),
        );
    }
    let dir = tmp.root().to_str().unwrap();
    let env = [("HB_DIR", dir), ("HB_NOW", NOW), ("HB_HOST", "db2")];
    let out = night_watch(&env, &["--subject"]).ok();
    assert_eq!(out, "night-watch db2: all 3 jobs ok\n");
    let report = night_watch(&env, &[]).ok();
    assert!(report.contains("3 jobs: 3 ok\n"), "{report}");
    assert!(report.contains("\nNothing needs attention.\n"), "{report}");
}

#[test]
fn the_report_details_every_job_that_needs_attention() {
    let (tmp, dir) = fixture();
    let out = normalise(&run_fixture(&dir, &[], &[]).ok(), tmp.root());
    let section = |title: &str| -> String {
        let start = out
            .find(&format!("\n{title}\n"))
            .unwrap_or_else(|| panic!("no section `{title}` in:\n{out}"));
        out[start + 1..]
            .lines()
            .skip(1)
            .take(5)
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(out.contains("\nNeeds attention (6):\n"), "{out}");
    assert!(!out.contains("\nok  "), "ok jobs are not listed: {out}");
    assert_eq!(
        section("stale  db-dump"),
        "  last seen  2026-11-19 23:00 UTC (2d 7h ago)\n  reason     silent for 2d 7h, more than 2x its interval of 1d\n  message    pg_dump: disk full\n  exit code  2\n  file       $TMP/hb/db-dump.last"
    );
    assert_eq!(
        section("failed  sync-mail"),
        "  last seen  2026-11-22 05:55 UTC (5m ago)\n  reason     the last run reported failure (exit code 1)\n  message    <script>alert(1)</script> | \\u{1b}[31mred\n  exit code  1\n  file       $TMP/hb/sync-mail.last"
    );
    assert_eq!(
        section("late  rotate-logs"),
        "  last seen  2026-11-22 04:30 UTC (1h 30m ago)\n  reason     last seen 1h 30m ago, past its interval of 1h\n  message    -\n  exit code  -\n  file       $TMP/hb/rotate-logs.last"
    );
    assert_eq!(
        section("missing  ghost"),
        "  last seen  never\n  reason     expected, but no heartbeat has ever been written\n  message    -\n  exit code  -\n  file       -"
    );
    assert!(section("invalid  broken").contains("  reason     not a heartbeat record: "));
    assert!(section("invalid  bad|<b>\\u{1b}[2J")
        .contains("  reason     the file name is not a valid job name"));
    assert!(out.ends_with(
        "directories read: $TMP/hb\nstale after: 2x the interval\njudged at: 2026-11-22 06:00 UTC\n"
    ));
}

#[test]
fn several_hosts_add_the_host_column_first() {
    let tmp = Scratch::new();
    let hosts = tmp.root().join("hosts");
    let ts = "2026-11-22T05:00:00Z";
    write(
        &hosts.join("web1"),
        "backup.last",
        &heartbeat("backup", ts, 86_400, "ok", ""),
    );
    write(
        &hosts.join("web2"),
        "backup.last",
        &heartbeat("backup", "2026-11-20T05:00:00Z", 86_400, "ok", ""),
    );
    write(
        &hosts.join("web2"),
        "rotate-logs.last",
        &heartbeat("rotate-logs", "2026-11-22T04:30:00Z", 3600, "ok", ""),
    );
    let dir = hosts.to_str().unwrap();
    let env = [("HB_DIR", dir), ("HB_NOW", NOW), ("HB_HOST", "hub")];
    let text = night_watch(&env, &["--panel"]).ok();
    let want: [[&str; 6]; 4] = [
        ["host", "job", "status", "age", "interval", "ratio"],
        ["web2", "backup", "stale", "2d 1h", "1d", "2.1x"],
        ["web2", "rotate-logs", "late", "1h 30m", "1h", "1.5x"],
        ["web1", "backup", "ok", "1h", "1d", "0.0x"],
    ];
    assert_eq!(table_cells(&text), want, "{text}");
    let md = night_watch(&env, &["--panel", "--format", "markdown"]).ok();
    assert!(
        md.starts_with("| host | job | status | age | interval | ratio |\n"),
        "{md}"
    );
    assert!(
        md.contains("| web2 | backup | stale | 2d 1h | 1d | 2.1x |\n"),
        "{md}"
    );
    let html = night_watch(&env, &["--panel", "--format", "html"]).ok();
    let first_th = html.find("<th").unwrap();
    assert!(html[first_th..].contains(">host</th><th"), "{html}");
    let report = night_watch(&env, &[]).ok();
    // One name per job in all a run prints: the one hb-check gives it.
    assert!(report.contains("\nstale  web2/backup\n"), "{report}");
    // One host: no host column.
    let one = hosts.join("web1");
    let env = [("HB_DIR", one.to_str().unwrap()), ("HB_NOW", NOW)];
    let text = night_watch(&env, &["--panel"]).ok();
    assert!(text.lines().nth(1).unwrap().starts_with("| job "), "{text}");
}

#[test]
fn an_empty_directory_is_a_good_report() {
    let tmp = Scratch::new();
    let dir = tmp.root().to_str().unwrap();
    let env = [("HB_DIR", dir), ("HB_NOW", NOW), ("HB_HOST", "web1")];
    let out = night_watch(&env, &[]).ok();
    assert!(out.contains("\nno heartbeats found\n"), "{out}");
    let subject = night_watch(&env, &["--subject"]).ok();
    assert_eq!(subject, "night-watch web1: no heartbeats found\n");
}

#[test]
fn nothing_readable_exits_3_with_one_line_and_says_so_on_stdout() {
    let tmp = Scratch::new();
    let gone = tmp.root().join("gone");
    let env = [
        ("HB_DIR", gone.to_str().unwrap()),
        ("HB_NOW", NOW),
        ("HB_HOST", "web1"),
    ];
    for args in [&[][..], &["--panel"], &["--subject"], &["--format", "html"]] {
        let run = night_watch(&env, args);
        run.code(3);
        // The mail body and subject say the check is broken, never blank.
        run.stdout_has("night-watch web1: CANNOT CHECK: cannot read heartbeat directory");
        let err = &run.stderr;
        assert_eq!(err.lines().count(), 1, "{}", run.show());
        assert!(
            err.starts_with("night-watch: cannot read heartbeat directory "),
            "{}",
            run.show()
        );
        assert!(!err.trim_end().ends_with('.'), "{}", run.show());
    }
}

#[test]
fn bad_usage_exits_3_with_one_line() {
    let (_tmp, dir) = fixture();
    for (env, args) in [
        (vec![], vec!["--format", "pdf"]),
        (vec![("HB_FACTOR", "1")], vec![]),
        (vec![], vec!["--now", "yesterday"]),
        (vec![("HB_REPORT_FORMAT", "pdf")], vec![]),
    ] {
        let run = run_fixture(&dir, &env, &args);
        let err = run.fails(3);
        assert_eq!(err.lines().count(), 1, "{}", run.show());
        assert!(err.starts_with("night-watch: "), "{}", run.show());
    }
}

#[test]
fn options_come_from_the_environment() {
    let (_tmp, dir) = fixture();
    let out = run_fixture(
        &dir,
        &[("HB_PANEL", "1"), ("HB_REPORT_FORMAT", "markdown")],
        &[],
    )
    .ok();
    assert!(out.starts_with("| job | status |"), "{out}");
    let out = run_fixture(&dir, &[("HB_FACTOR", "10")], &["--panel"]).ok();
    let rows = table_cells(&out);
    assert!(
        rows.contains(&vec!["db-dump", "failed", "2d 7h", "1d", "2.3x"]),
        "factor 10 keeps db-dump from going stale: {out}"
    );
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let (_tmp, dir) = fixture();
    let run = || {
        peer_cmd(BIN)
            .args(["--format", "html"])
            .envs(fixture_env(&dir))
    };
    // With a reader, the run writes a report: there is something to write.
    let written = run().run().ok();
    assert!(!written.is_empty());
    // The reader is closed before night-watch starts, like `| head -c0`
    // that has already exited: each of its writes meets a broken pipe
    // (EPIPE; SIGPIPE had it not been ignored, which a status of 0 rules
    // out).
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = run().run_with_stdout(writer);
    out.code(0);
    assert_eq!(out.stderr, "", "{}", out.show());
}

#[test]
fn a_message_ending_in_a_newline_shows_no_escaped_newline() {
    let tmp = Scratch::new();
    let dir = tmp.root();
    write(
        dir,
        "db-dump.last",
        &heartbeat(
            "db-dump",
            "2026-11-22T05:00:00Z",
            86_400,
            "fail",
            r#","exit_code":2,"message":"pg_dump: disk\tfull\n \n""#,
        ),
    );
    let env = [
        ("HB_DIR", dir.to_str().unwrap()),
        ("HB_NOW", NOW),
        ("HB_HOST", "web1"),
    ];
    // The trailing whitespace goes; the tab inside stays visible.
    let text = night_watch(&env, &[]).ok();
    assert!(
        text.contains("  message    pg_dump: disk\\u{9}full\n"),
        "{text}"
    );
    for format in ["markdown", "html"] {
        let out = night_watch(&env, &["--format", format]).ok();
        assert!(!out.contains("\\u{a}"), "{format}: {out}");
        assert!(!out.contains("\\\\u{a}"), "{format}: {out}");
        assert!(out.contains("full"), "{format}: {out}");
    }
}

#[test]
fn the_ratio_column_holds_ratios_and_the_due_time_its_own() {
    let tmp = Scratch::new();
    let dir = tmp.root().join("hb");
    write(
        &dir,
        "backup.last",
        &heartbeat("backup", "2026-11-23T03:10:00Z", 86_400, "ok", ""),
    );
    write(
        &dir,
        "plain.last",
        &heartbeat("plain", "2026-11-24T04:00:00Z", 300, "ok", ""),
    );
    let tab = tmp.root().join("crontab");
    fs::write(
        &tab,
        "0 3 * * * /usr/local/bin/backup.sh && hb-write backup 1d\n",
    )
    .unwrap();
    let env = [
        ("HB_DIR", dir.to_str().unwrap()),
        ("HB_NOW", "2026-11-24T04:15:00Z"),
        ("HB_CRONTAB", tab.to_str().unwrap()),
    ];
    let text = night_watch(&env, &["--panel"]).ok();
    let want: [[&str; 6]; 3] = [
        ["job", "status", "age", "interval", "ratio", "due"],
        ["plain", "stale", "15m", "5m", "3.0x", "-"],
        ["backup", "stale", "1d 1h", "1d", "1.1x", "03:10, missed"],
    ];
    assert_eq!(table_cells(&text), want, "{text}");
    let md = night_watch(&env, &["--panel", "--format", "markdown"]).ok();
    assert!(
        md.contains("| backup | stale | 1d 1h | 1d | 1.1x | 03:10, missed |\n"),
        "{md}"
    );
    // Judged by interval alone, the panel has no due column.
    let env = [("HB_DIR", env[0].1), ("HB_NOW", env[1].1)];
    let text = night_watch(&env, &["--panel"]).ok();
    assert_eq!(table_cells(&text)[0].len(), 5, "{text}");
}
