//! The error's two faces: one line for a person, a chain of typed causes
//! for a program.

use std::error::Error as _;

use super::*;

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
fn every_variant_with_an_os_error_leads_to_it() {
    let denied = || io::Error::from(io::ErrorKind::PermissionDenied);
    let path = PathBuf::from("/var/lib/cron-heartbeat/backup.last");
    for err in [
        Error::Write {
            job: "backup".into(),
            path: path.clone(),
            source: denied(),
        },
        Error::ReadDir {
            path: path.clone(),
            source: denied(),
        },
        Error::Crontab {
            path: path.clone(),
            reason: "cannot read: permission denied".into(),
            source: Some(denied()),
        },
        Error::rule_from("the rule", denied()),
        Error::Failed {
            reason: "cannot replace".into(),
            source: Some(Box::new(denied())),
        },
    ] {
        let io = io_cause(&err).unwrap_or_else(|| panic!("no io::Error under {err:?}"));
        assert_eq!(io.kind(), io::ErrorKind::PermissionDenied);
        assert_eq!(err.to_string().lines().count(), 1, "{err}");
    }
    assert!(Error::rule("the rule").source().is_none());
}

#[test]
fn a_tracker_failure_leads_to_its_cause() {
    let err: Error = Box::new(TrackerError {
        server: "https://git.example".into(),
        repo: "ops/alerts".into(),
        method: "GET".into(),
        path: "/api/v1/repos/ops/alerts/issues".into(),
        message: "connection refused".into(),
        attempts: 3,
        failed: crate::http::retry::Failed {
            unsent: true,
            ..Default::default()
        },
        source: Some(Box::new(io::Error::from(io::ErrorKind::ConnectionRefused))),
    })
    .into();
    // The variant is the tracker's error: its chain goes on to the cause.
    let causes = chain(&err);
    let io = causes[0].downcast_ref::<io::Error>().unwrap();
    assert_eq!(io.kind(), io::ErrorKind::ConnectionRefused);
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

/// The regex engine's error for `ERROR(`, a pattern given at run time.
fn unclosed_group() -> Box<dyn std::error::Error + Send + Sync> {
    let given = String::from("ERROR(");
    Box::new(regex_automata::meta::Regex::new(&given).unwrap_err())
}

#[test]
fn every_message_is_one_line_naming_the_value_and_the_rule() {
    let newline = "a\nb";
    let cases: Vec<(Error, &str)> = vec![
        (
            Error::InvalidInterval {
                value: "0".into(),
                reason: "it must be at least 1 second".into(),
            },
            "invalid interval `0`: it must be at least 1 second",
        ),
        (
            Error::invalid("size", newline, "it has no number"),
            "invalid size `a\\u{a}b`: it has no number",
        ),
        (Error::rule("field `job` missing"), "field `job` missing"),
        (
            Error::Pattern {
                flag: "--fail-on".into(),
                pattern: "ERROR(`".into(),
                rule: "unclosed group".into(),
                source: unclosed_group(),
            },
            "invalid --fail-on `ERROR('`: unclosed group",
        ),
        (
            Error::Crontab {
                path: "/etc/cron.d/x\ty".into(),
                reason: "not a regular file".into(),
                source: None,
            },
            "cannot read crontab /etc/cron.d/x\\u{9}y: not a regular file",
        ),
        (
            Error::NotPaused {
                job: Some("backup".into()),
                file: "backup.pause".into(),
                looked: vec!["/a".into(), "/b".into()],
            },
            "cannot resume job `backup`: it is not paused (no pause file in /a and /b)",
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
