//! The Prometheus side, checked by Prometheus's own promtool: the metrics
//! night-watch and hb-check write, and the alerting rules in contrib/.

use crate::harness;

use std::path::Path;

use harness::{peer_cmd, skip, Outcome, Scratch, HB_CHECK, NIGHT_WATCH};

/// Whether promtool is installed; under CI it must be.
fn promtool_available() -> bool {
    skip::peer("promtool", &["--version"], "prometheus")
}

/// `promtool check metrics` over `text`, which it reads on stdin.
fn check_metrics(text: &str) -> Outcome {
    peer_cmd("promtool")
        .args(["check", "metrics"])
        .stdin(text)
        .run()
}

fn fixture(s: &Scratch) {
    s.write(
        "backup.last",
        r#"{"version":1,"job":"backup","timestamp":"2026-11-22T03:00:00Z","interval_seconds":300,"host":"web1","pid":1,"status":"ok"}"#,
    );
    s.write(
        "sync.last",
        r#"{"version":1,"job":"sync","timestamp":"2026-11-22T03:10:00Z","interval_seconds":3600,"host":"web1","pid":1,"status":"fail","exit_code":3}"#,
    );
    s.write("garbage.last", "not json");
}

#[test]
fn night_watch_metrics_pass_promtool() {
    if !promtool_available() {
        return;
    }
    let s = Scratch::new();
    fixture(&s);
    let out = s
        .cmd(NIGHT_WATCH)
        .env("HB_DIR", s.hb())
        .args([
            "--format",
            "prometheus",
            "--now",
            "2026-11-22T03:20:00Z",
            "--expect",
            "ghost",
        ])
        .run();
    out.code(0);
    for line in [
        r#"cron_heartbeat_status{cron_job="backup",host="web1",status="stale"} 1"#,
        r#"cron_heartbeat_status{cron_job="sync",host="web1",status="failed"} 1"#,
        r#"cron_heartbeat_status{cron_job="garbage",host="",status="invalid"} 1"#,
        r#"cron_heartbeat_status{cron_job="ghost",host="",status="missing"} 1"#,
        r#"cron_heartbeat_last_exit_code{cron_job="sync",host="web1"} 3"#,
        r#"cron_heartbeat_age_seconds{cron_job="backup",host="web1"} 1200"#,
        "cron_heartbeat_checked_timestamp_seconds 1795317600",
    ] {
        assert!(
            out.stdout.lines().any(|l| l == line),
            "{line}{}",
            out.show()
        );
    }
    let checked = check_metrics(&out.stdout);
    checked.code(0);
    assert!(
        checked.stdout.trim().is_empty() && checked.stderr.trim().is_empty(),
        "promtool lint findings{}",
        checked.show()
    );
    // The same check refuses a broken exposition, or it proves nothing.
    check_metrics("cron_heartbeat_status{cron_job=\"x} 1\n").code(1);
}

#[test]
fn hb_check_writes_the_metrics_file_atomically() {
    if !promtool_available() {
        return;
    }
    let s = Scratch::new();
    fixture(&s);
    let file = s.root().join("textfile/cron_heartbeat.prom");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let out = s
        .cmd(HB_CHECK)
        .env("HB_DIR", s.hb())
        .env("HB_METRICS_FILE", &file)
        .args(["--now", "2026-11-22T03:20:00Z", "--quiet"])
        .run();
    out.code(2).silent();
    let text = std::fs::read_to_string(&file).expect("the metrics file");
    assert!(
        text.contains(r#"cron_heartbeat_jobs{status="invalid"} 1"#),
        "{text}"
    );
    check_metrics(&text).code(0);
    assert_eq!(
        harness::listing(file.parent().unwrap()),
        ["cron_heartbeat.prom"],
        "no temporary file left beside it"
    );
}

#[test]
fn the_alerting_rules_pass_promtool_and_their_unit_tests() {
    if !promtool_available() {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let run = |args: &[&str]| peer_cmd("promtool").args(args).current_dir(root).run();
    run(&[
        "check",
        "rules",
        "contrib/prometheus/cron-heartbeat.rules.yml",
    ])
    .code(0);
    run(&["test", "rules", "tests/prometheus/rules.test.yml"]).code(0);
}

#[test]
fn an_unwritable_metrics_file_is_reported_and_the_verdict_still_ranks_first() {
    let s = Scratch::new();
    fixture(&s);
    let out = s
        .cmd(HB_CHECK)
        .env("HB_DIR", s.hb())
        .env("HB_METRICS_FILE", s.root().join("no/such/dir/m.prom"))
        .args(["--now", "2026-11-22T03:20:00Z"])
        .run();
    // CRITICAL (a failed job) outranks UNKNOWN (the metrics file), as
    // monitoring-plugins rank them.
    out.code(2).stdout_has("sync failed");
    assert!(
        out.stderr.starts_with("hb-check: cannot write ") && out.stderr.contains("m.prom"),
        "{}",
        out.show()
    );
}

/// hb-check's peak resident memory, in KiB, from GNU time, over `s` with
/// `args`; `None` after a visible skip without GNU time.
fn peak_kib(s: &Scratch, args: &[&str]) -> Option<u64> {
    const TIME: &str = "/usr/bin/time";
    if !Path::new(TIME).exists() {
        skip::skip("GNU time is not installed (Debian package `time`; see .ci/run)");
        return None;
    }
    let report = s.root().join("time.txt");
    s.cmd(TIME)
        .arg("-v")
        .arg("-o")
        .arg(&report)
        .arg(HB_CHECK)
        .args(args)
        .env("HB_DIR", s.hb())
        .env("HB_NOW", harness::NOW)
        .run();
    let text = std::fs::read_to_string(&report).unwrap_or_default();
    let kib = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak memory in GNU time's report:\n{text}"));
    Some(kib)
}

#[test]
fn the_metrics_file_is_streamed_not_built_in_memory() {
    let s = Scratch::new();
    for i in 0..20_000 {
        s.ok(&format!("job{i:05}"));
    }
    let prom = s.root().join("hb.prom");
    let Some(without) = peak_kib(&s, &[]) else {
        return;
    };
    let Some(with) = peak_kib(&s, &["--metrics-file", prom.to_str().unwrap()]) else {
        return;
    };
    let size = std::fs::metadata(&prom).unwrap().len() / 1024;
    eprintln!("peak RSS {without} KiB without the file, {with} KiB with a {size} KiB file");
    // Built as one string, the file's bytes (and a copy growing past them)
    // were held at once: at least the file's size more. Streamed, the run
    // costs about what it does without; half the file's size leaves room
    // for the allocator's noise (measured here: 4.8 MB over 31.7 MB for a
    // file of 18 MB, under load) and still fails a file held whole.
    assert!(size > 16 * 1024, "a file of {size} KiB");
    assert!(
        with < without + size / 2,
        "{with} KiB with the metrics file, {without} KiB without, file {size} KiB"
    );
}
