use super::*;
use clap::CommandFactory;

#[test]
fn the_command_is_well_formed() {
    Args::command().debug_assert();
}

/// A standard output that refuses every byte, like `> /dev/full`.
struct Full;

impl Write for Full {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::from_raw_os_error(28))
    }
    fn flush(&mut self) -> io::Result<()> {
        Err(io::Error::from_raw_os_error(28))
    }
}

const STALE: &str = r#"{"version":1,"job":"backup","timestamp":"2026-11-22T00:00:00Z","interval_seconds":60,"host":"web1","pid":1,"status":"ok"}"#;

fn args(extra: &[&str]) -> Args {
    let mut all = vec!["hb-check", "--now", "2026-11-22T03:00:00Z"];
    all.extend_from_slice(extra);
    Args::try_parse_from(all).unwrap()
}

#[test]
fn a_full_standard_output_skips_neither_metrics_nor_the_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let hb = dir.path().join("hb");
    std::fs::create_dir(&hb).unwrap();
    std::fs::write(hb.join("backup.last"), STALE).unwrap();
    let metrics = dir.path().join("m.prom");
    let lock = dir.path().join("lock");
    let a = args(&[
        "--dir",
        hb.to_str().unwrap(),
        "--metrics-file",
        metrics.to_str().unwrap(),
        "--lock-file",
        lock.to_str().unwrap(),
    ]);
    // CRITICAL (stale) outranks UNKNOWN (no standard output).
    assert_eq!(run_to(&a, &mut Full), Check::Critical);
    let written = std::fs::read_to_string(&metrics).unwrap();
    assert!(written.contains(r#"cron_job="backup""#), "{written}");
}

#[test]
fn json_is_one_document_even_when_nothing_can_be_checked() {
    let dir = tempfile::tempdir().unwrap();
    let gone = dir.path().join("gone");
    let a = args(&["--dir", gone.to_str().unwrap(), "--format", "json"]);
    let mut out = Vec::new();
    assert_eq!(run_to(&a, &mut out), Check::Unknown);
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["jobs"], serde_json::json!([]));
    assert_eq!(doc["checked_at"], "2026-11-22T03:00:00Z");
    let errors = doc["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{doc}");
    assert!(
        errors[0]
            .as_str()
            .unwrap()
            .contains("cannot read heartbeat directory"),
        "{doc}"
    );
}

#[test]
fn a_tracker_outage_does_not_hide_a_stale_job() {
    let dir = tempfile::tempdir().unwrap();
    let hb = dir.path().join("hb");
    std::fs::create_dir(&hb).unwrap();
    std::fs::write(hb.join("backup.last"), STALE).unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "secret\n").unwrap();
    std::fs::set_permissions(&token, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    // Nothing listens on a port just released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let lock = dir.path().join("lock");
    let a = args(&[
        "--dir",
        hb.to_str().unwrap(),
        "--lock-file",
        lock.to_str().unwrap(),
        "--format",
        "json",
        "--tracker-url",
        &url,
        "--tracker-repo",
        "ops/alerts",
        "--tracker-token-file",
        token.to_str().unwrap(),
        "--tracker-timeout",
        "1s",
    ]);
    let mut out = Vec::new();
    assert_eq!(run_to(&a, &mut out), Check::Critical);
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["jobs"][0]["status"], "stale", "{doc}");
    assert!(
        doc["errors"][0].as_str().unwrap().contains("tracker"),
        "{doc}"
    );
}

#[test]
fn a_checker_record_that_cannot_be_kept_is_unknown_below_the_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let hb = dir.path().join("hb");
    let beat = crate::Heartbeat::new("backup", 3600, crate::RunStatus::Ok);
    crate::store::write(Some(&hb), &beat).unwrap();
    let lock = dir.path().join("lock");
    // The record of the checker's runs, beside the lock, cannot be replaced.
    std::fs::create_dir(store::beside(&lock, ".runs")).unwrap();
    let (hb, lock) = (hb.to_str().unwrap(), lock.to_str().unwrap());
    let a = Args::try_parse_from([
        "hb-check",
        "--dir",
        hb,
        "--lock-file",
        lock,
        "--format",
        "json",
    ])
    .unwrap();
    let mut out = Vec::new();
    // The job is ok, yet the next run could not tell a gap in the checks.
    assert_eq!(run_to(&a, &mut out), Check::Unknown);
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["jobs"][0]["status"], "ok", "{doc}");
    assert!(
        doc["errors"][0].as_str().unwrap().contains(".runs"),
        "{doc}"
    );
}
