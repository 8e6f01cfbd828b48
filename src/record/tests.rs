use super::*;

/// Every `good` name passes `rule`, and every `bad` one is refused.
fn names_follow(rule: impl Fn(&str) -> bool, good: &[&str], bad: &[&str]) {
    for name in good {
        assert!(rule(name), "{name:?} should be accepted");
    }
    for name in bad {
        assert!(!rule(name), "{name:?} should be refused");
    }
}

#[test]
fn job_names_follow_the_rule() {
    let (longest, too_long) = ("x".repeat(128), "x".repeat(129));
    let good = ["backup", "a", "A9", "db.dump_daily-2", &longest];
    let bad = [
        "", "../x", "a/b", ".hidden", "-x", "_x", "a b", "tab\tx", "nl\n", "é", &too_long,
    ];
    names_follow(|n| validate_job(n).is_ok(), &good, &bad);
}

#[test]
fn intervals_parse_in_seconds_and_units() {
    let cases = [
        ("300", 300),
        ("90s", 90),
        ("5m", 300),
        ("1h30m", 5400),
        ("1d", 86_400),
        ("1w", 604_800),
        ("1d2h3m4s", 93_784),
        ("400d", INTERVAL_MAX),
    ];
    for (text, seconds) in cases {
        assert_eq!(parse_interval(text).unwrap(), seconds, "{text}");
    }
}

#[test]
fn bad_intervals_are_refused_with_the_rule() {
    for bad in [
        "0",
        "-5",
        "abc",
        "5x",
        "",
        "1.5h",
        "5m1h",
        "1h1h",
        "m",
        "401d",
        "58w",
        "1 h",
        "99999999999999999999",
    ] {
        let err = parse_interval(bad).expect_err(bad).to_string();
        assert!(err.contains("interval"), "{bad}: {err}");
        assert!(!err.contains('\n'), "{bad}: one line: {err}");
    }
}

#[test]
fn durations_use_the_two_largest_units() {
    let cases = [
        (0, "0s"),
        (45, "45s"),
        (720, "12m"),
        (750, "12m 30s"),
        (3 * 3600 + 600, "3h 10m"),
        (3 * 3600 + 5, "3h 5s"),
        (2 * 86_400 + 4 * 3600 + 59, "2d 4h"),
        (86_400, "1d"),
        (86_400 + 600, "1d 10m"),
        (86_400 + 600 + 7, "1d 10m"),
        (604_800, "1w"),
        (2 * 604_800, "2w"),
        (8 * 86_400, "8d"),
        (30 * 86_400, "30d"),
        (u64::MAX, "213503982334601d 7h"),
    ];
    for (seconds, text) in cases {
        assert_eq!(format_duration(seconds), text, "{seconds}");
    }
}

#[test]
fn messages_are_cut_on_a_character_boundary() {
    let ascii = "a".repeat(2000);
    assert_eq!(cut(&ascii, MESSAGE_MAX_BYTES).len(), MESSAGE_MAX_BYTES);
    // 'é' is two bytes: 1023 'a' then 'é' would end at byte 1025.
    let mixed = format!("{}é", "a".repeat(1023));
    assert_eq!(cut(&mixed, MESSAGE_MAX_BYTES), "a".repeat(1023));
    assert_eq!(cut("short", MESSAGE_MAX_BYTES), "short");
}

#[test]
fn host_names_follow_the_rule() {
    let good = ["web1", "web-1.example.com", "db_2", "A", &"a".repeat(63)];
    let bad = [
        "",
        "web\x1b[2J",
        "web\u{202e}1",
        "web\u{200b}1",
        "a b",
        "a/b",
        "-x",
        "a..b",
        ".a",
        "é",
        &"a".repeat(64),
        &["a"; 130].join("."),
    ];
    names_follow(|n| validate_host(n).is_ok(), &good, &bad);
}

#[test]
fn a_record_with_a_bad_host_is_refused() {
    let text = br#"{"version":1,"job":"b","timestamp":"2026-11-22T03:00:05Z","interval_seconds":60,"host":"web\u202e1","pid":1,"status":"ok"}"#;
    let err = Heartbeat::from_json(text).unwrap_err().to_string();
    assert!(
        err.starts_with("host `web\\u{202e}1` is not a host name"),
        "{err}"
    );
}

#[test]
fn a_record_needs_at_most_32_jobs_each_by_the_naming_rule() {
    let record = |needs: &str| {
        let text = format!(
            r#"{{"version":1,"job":"b","timestamp":"2026-11-22T03:00:05Z","interval_seconds":60,"host":"h","pid":1,"status":"fail","needs":[{needs}]}}"#
        );
        Heartbeat::from_json(text.as_bytes()).map_err(|e| e.to_string())
    };
    let names = |n: usize| vec!["\"nfs\""; n].join(",");
    assert_eq!(record(&names(32)).unwrap().needs.len(), 32);
    assert_eq!(
        record(&names(33)).unwrap_err(),
        "`needs` names 33 jobs; a job may need at most 32"
    );
    let bad = record("\"../etc\"").unwrap_err();
    assert!(
        bad.starts_with("`needs`: invalid job name `../etc`"),
        "{bad}"
    );
}

#[test]
fn serde_errors_are_said_in_words() {
    assert_eq!(
        Heartbeat::from_json(b"not json").unwrap_err().to_string(),
        "not JSON (line 1, column 2)"
    );
    assert!(Heartbeat::from_json(b"{\"version\":1,")
        .unwrap_err()
        .to_string()
        .starts_with("not JSON: it ends early"));
    let missing =
        br#"{"version":1,"job":"b","interval_seconds":60,"host":"h","pid":1,"status":"ok"}"#;
    assert_eq!(
        Heartbeat::from_json(missing).unwrap_err().to_string(),
        "field `timestamp` missing"
    );
}

#[test]
fn records_round_trip_and_ignore_unknown_fields() {
    let text = br#"{"version":1,"job":"backup","timestamp":"2026-11-22T03:00:05Z","interval_seconds":86400,"host":"web1","pid":4242,"status":"ok","future_field":[1,2]}"#;
    let record = Heartbeat::from_json(text).unwrap();
    assert_eq!(record.job, "backup");
    assert_eq!(record.interval_seconds, 86_400);
    let line = String::from_utf8(record.to_json_line()).unwrap();
    assert_eq!(
        line,
        "{\"version\":1,\"job\":\"backup\",\"timestamp\":\"2026-11-22T03:00:05Z\",\"interval_seconds\":86400,\"host\":\"web1\",\"pid\":4242,\"status\":\"ok\"}\n"
    );
}

#[test]
fn records_accept_offsets_and_refuse_other_versions() {
    let offset = br#"{"version":1,"job":"b","timestamp":"2026-11-22T04:00:05+01:00","interval_seconds":60,"host":"h","pid":1,"status":"fail"}"#;
    let record = Heartbeat::from_json(offset).unwrap();
    assert_eq!(record.timestamp.to_rfc3339(), "2026-11-22T03:00:05+00:00");
    let v2 = br#"{"version":2,"job":"b","timestamp":"2026-11-22T04:00:05Z","interval_seconds":60,"host":"h","pid":1,"status":"ok"}"#;
    assert!(Heartbeat::from_json(v2)
        .unwrap_err()
        .to_string()
        .contains("version 2"));
    let missing = br#"{"version":1,"job":"b","timestamp":"2026-11-22T04:00:05Z","host":"h","pid":1,"status":"ok"}"#;
    assert!(Heartbeat::from_json(missing)
        .unwrap_err()
        .to_string()
        .contains("interval_seconds"));
}

#[test]
fn a_running_record_carries_the_last_finished_run() {
    let failed = br#"{"version":1,"job":"sync","timestamp":"2026-11-22T03:00:05Z","interval_seconds":900,"host":"web1","pid":7,"status":"fail","exit_code":1,"duration_seconds":4.5,"message":"no route","consecutive_failures":12}"#;
    let failed = Heartbeat::from_json(failed).unwrap();
    let last = LastRun::of(&failed).unwrap();
    assert_eq!(last.status, RunStatus::Fail);
    assert_eq!(last.consecutive_failures, Some(12));
    let running = Heartbeat {
        status: RunStatus::Running,
        exit_code: None,
        duration_seconds: None,
        message: None,
        last: Some(last.clone()),
        ..failed
    };
    let line = running.to_json_line();
    let text = String::from_utf8(line.clone()).unwrap();
    assert!(
        text.contains(r#""last":{"status":"fail","timestamp":"2026-11-22T03:00:05Z","exit_code":1,"duration_seconds":4.5,"message":"no route","consecutive_failures":12}"#),
        "{text}"
    );
    assert_eq!(Heartbeat::from_json(&line).unwrap(), running);
    // A run that never ended passes on the result it carried.
    assert_eq!(LastRun::of(&running), Some(last));
    let mut bad = running;
    bad.last.as_mut().unwrap().status = RunStatus::Running;
    let err = Heartbeat::from_json(&bad.to_json_line())
        .unwrap_err()
        .to_string();
    assert!(err.contains("`last.status` is `running`"), "{err}");
}

#[test]
fn a_record_that_is_not_json_leads_to_the_json_error() {
    use std::error::Error as _;
    let err = Heartbeat::from_json(b"{\"version\":").unwrap_err();
    let json = err
        .source()
        .and_then(|e| e.downcast_ref::<serde_json::Error>())
        .expect("the serde_json::Error under it");
    assert!(json.is_eof());
    assert_eq!(
        err.to_string(),
        "not JSON: it ends early (line 1, column 11)"
    );
    // JSON that breaks a rule of the format has no cause below it.
    let v1 = Heartbeat::new("backup", 300, RunStatus::Ok).to_json_line();
    let v2 = String::from_utf8(v1)
        .unwrap()
        .replace(r#""version":1"#, r#""version":2"#);
    let err = Heartbeat::from_json(v2.as_bytes()).unwrap_err();
    assert!(err.source().is_none());
    assert!(err.to_string().contains("version 2"), "{err}");
}
