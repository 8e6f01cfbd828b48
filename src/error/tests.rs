//! The error's two faces: one line for a person, a chain of typed causes
//! for a program.

use std::error::Error as _;
use std::path::Path;

use super::*;
use crate::record::Heartbeat;

/// The causes below `err`, nearest first.
fn chain(err: &Error) -> Vec<&(dyn std::error::Error + 'static)> {
    let mut causes = Vec::new();
    let mut next = err.source();
    while let Some(cause) = next {
        causes.push(cause);
        next = cause.source();
    }
    causes
}

/// The OS error in `err`'s chain, if any.
fn io_cause(err: &Error) -> Option<&io::Error> {
    chain(err)
        .into_iter()
        .find_map(|e| e.downcast_ref::<io::Error>())
}

#[test]
fn a_crontab_that_cannot_be_read_leads_to_the_os_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("crontab");
    let err =
        crate::schedule::files::read(&missing, crate::schedule::Flavour::System, None).unwrap_err();
    let io = io_cause(&err).expect("an io::Error in the chain");
    assert_eq!(io.kind(), io::ErrorKind::NotFound);
    let line = err.to_string();
    assert!(line.starts_with("cannot read crontab "), "{line}");
    assert!(line.contains("crontab: cannot read: "), "{line}");
}

#[test]
fn a_heartbeat_that_cannot_be_written_leads_to_the_os_error() {
    let dir = tempfile::tempdir().unwrap();
    // A file where the heartbeat directory should be.
    let blocked = dir.path().join("not-a-dir");
    std::fs::write(&blocked, b"").unwrap();
    let heartbeat = Heartbeat::new("backup", 300, crate::RunStatus::Ok);
    let err = crate::store::write(Some(Path::new(&blocked)), &heartbeat).unwrap_err();
    assert!(io_cause(&err).is_some(), "{err:?}");
    assert_eq!(err.to_string().lines().count(), 1);
}

#[test]
fn a_record_that_is_not_json_leads_to_the_json_error() {
    let err = Heartbeat::from_json(b"{\"version\":").unwrap_err();
    let json = chain(&err)
        .into_iter()
        .find_map(|e| e.downcast_ref::<serde_json::Error>())
        .expect("a serde_json::Error in the chain");
    assert!(json.is_eof());
    assert_eq!(
        err.to_string(),
        "not JSON: it ends early (line 1, column 11)"
    );
    // A record that is JSON but breaks a rule has no cause below it.
    let v1 = Heartbeat::new("backup", 300, crate::RunStatus::Ok).to_json_line();
    let v2 = String::from_utf8(v1)
        .unwrap()
        .replace(r#""version":1"#, r#""version":2"#);
    let err = Heartbeat::from_json(v2.as_bytes()).unwrap_err();
    assert!(err.source().is_none());
    assert!(err.to_string().contains("version 2"), "{err}");
}

#[test]
fn a_tracker_failure_leads_to_the_http_failure() {
    let failure = crate::http::Failure {
        kind: crate::http::Kind::Unsent,
        message: "connection refused".to_owned(),
    };
    let err: Error = TrackerError {
        server: "https://git.example".into(),
        repo: "ops/alerts".into(),
        method: "GET".into(),
        path: "/api/v1/repos/ops/alerts/issues".into(),
        status: None,
        message: failure.message.clone(),
        attempts: 3,
        retry_after: None,
        rate_limited: false,
        connect_failed: true,
        answer_invalid: false,
        source: Some(Box::new(failure.clone())),
    }
    .into();
    let causes = chain(&err);
    assert!(causes[0].downcast_ref::<TrackerError>().is_some());
    assert_eq!(
        causes[1].downcast_ref::<crate::http::Failure>(),
        Some(&failure)
    );
    let Error::Tracker(tracker) = &err else {
        unreachable!()
    };
    assert!(tracker.is_connect_failure());
    assert_eq!((tracker.status(), tracker.attempts()), (None, 3));
    assert_eq!(
        err.to_string(),
        "tracker request GET /api/v1/repos/ops/alerts/issues to https://git.example for repo `ops/alerts` failed: connection refused (3 attempts)"
    );
}

#[test]
fn a_pattern_that_does_not_compile_leads_to_the_regex_error() {
    let err = crate::wrap::compile("--fail-on", "ERROR(`").unwrap_err();
    assert!(chain(&err)[0].downcast_ref::<regex::Error>().is_some());
    assert_eq!(
        err.to_string(),
        "invalid --fail-on `ERROR('`: unclosed group"
    );
}

#[test]
fn every_message_is_one_line_naming_the_value_and_the_rule() {
    let newline = "a\nb";
    let cases: Vec<(Error, &str)> = vec![
        (
            crate::record::parse_size("12X", 100, "").unwrap_err(),
            "invalid size `12X`: expected bytes or a size such as `4KiB` or `1MiB`",
        ),
        (
            crate::record::WAIT.parse("5x").unwrap_err(),
            "invalid duration `5x`: expected whole seconds or a duration such as `90s`, `5m`, `1h30m`, `1d`, `1w`",
        ),
        (
            crate::record::parse_interval("0").unwrap_err(),
            "invalid interval `0`: it must be at least 1 second",
        ),
        (
            Error::invalid("size", newline, "it has no number"),
            "invalid size `a\\u{a}b`: it has no number",
        ),
        (
            Error::Record {
                rule: "field `job` missing".into(),
                source: None,
            },
            "field `job` missing",
        ),
        (
            Error::Crontab {
                path: "/etc/cron.d/x\ty".into(),
                reason: "not a regular file".into(),
                source: None,
            },
            "cannot read crontab /etc/cron.d/x\\u{9}y: not a regular file",
        ),
    ];
    for (err, line) in cases {
        assert_eq!(err.to_string(), line);
        assert_eq!(err.to_string().lines().count(), 1, "{err}");
    }
}

#[test]
fn the_error_crosses_threads_and_into_clap() {
    fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<Error>();
    let boxed: Box<dyn std::error::Error + Send + Sync> = Error::rule("r").into();
    assert_eq!(boxed.to_string(), "r");
}
