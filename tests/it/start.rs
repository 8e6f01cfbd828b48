//! The start and the run judged apart, end to end: the real hb-check over
//! hand-written wrapped records and histories, with `--now` fixed.

use crate::harness::{record, Scratch};

const SCHEDULE: &str = r#","schedule":"0 3 * * *""#;

/// A finished wrapped run of `job`: started at 03:00 on 23 November, 40
/// minutes long.
fn wrapped(dir: &Scratch, job: &str) {
    let extra =
        format!(r#"{SCHEDULE},"started_at":"2026-11-23T03:00:00Z","duration_seconds":2400"#);
    dir.write(
        &format!("{job}.last"),
        record(job, "2026-11-23T03:40:00Z", 86_400, "ok", &extra) + "\n",
    );
}

#[test]
fn a_wrapped_job_that_did_not_start_is_stale_after_its_start_grace() {
    let dir = Scratch::new();
    wrapped(&dir, "backup");
    let at = |now: &str| dir.hb_check().args(["--now", now]);
    at("2026-11-24T03:15:00Z").run().code(0);
    at("2026-11-24T03:16:00Z")
        .run()
        .code(2)
        .stdout_has("backup stale")
        .stdout_has("did not start: the run due at 2026-11-24 03:00 UTC had not started 15m later (start grace)");
    at("2026-11-24T03:06:00Z")
        .args(["--start-grace", "5m"])
        .run()
        .code(2);
    at("2026-11-24T03:06:00Z")
        .env("HB_START_GRACE", "10m")
        .run()
        .code(0);
    at("2026-11-24T03:06:00Z")
        .args(["--start-grace", "soon"])
        .run()
        .code(3)
        .one_line_error(&["hb-check:", "soon"]);
    // The same run reported by a plain job is due by its end, 03:40 + 1h.
    let plain = record("backup", "2026-11-23T03:40:00Z", 86_400, "ok", SCHEDULE) + "\n";
    dir.write("backup.last", plain);
    at("2026-11-24T04:40:00Z").run().code(0);
}

#[test]
fn a_run_in_progress_is_late_past_twice_its_usual_duration() {
    let dir = Scratch::new();
    let mut history = String::new();
    for day in 1..=10 {
        history.push_str(&format!(
            "{{\"timestamp\":\"2026-11-{day:02}T03:30:00Z\",\"status\":\"ok\",\"duration_seconds\":1800}}\n"
        ));
    }
    dir.write("sync.history", history);
    let extra =
        format!(r#"{SCHEDULE},"started_at":"2026-11-24T03:00:00Z","max_runtime_seconds":10800"#);
    dir.write(
        "sync.last",
        record("sync", "2026-11-24T03:00:00Z", 86_400, "running", &extra) + "\n",
    );
    let at = |now: &str| dir.hb_check().args(["--now", now]).run();
    at("2026-11-24T03:59:00Z").code(0);
    at("2026-11-24T04:01:00Z")
        .code(1)
        .stdout_has("sync late")
        .stdout_has("running long: running for 1h 1m, usually 30m (2x that is 1h)");
    at("2026-11-24T06:01:00Z").code(2).stdout_has("hung?");
}
