use super::*;
use chrono::TimeZone;
use std::path::PathBuf;

fn job(name: &str, status: Status, host: Option<&str>) -> Judgement {
    Judgement {
        host: host.map(str::to_owned),
        status,
        reason: None,
        ..Judgement::missing(name)
    }
}

fn of(statuses: &[Status]) -> Vec<Judgement> {
    statuses
        .iter()
        .enumerate()
        .map(|(i, s)| job(&format!("j{i}"), *s, Some("web1")))
        .collect()
}

#[test]
fn ratios_have_one_decimal() {
    assert_eq!(format_ratio(Some(2.56)), "2.6x");
    assert_eq!(format_ratio(Some(0.0)), "0.0x");
    assert_eq!(format_ratio(Some(0.04)), "0.0x");
    assert_eq!(format_ratio(Some(12.0)), "12.0x");
    assert_eq!(format_ratio(None), "-");
}

#[test]
fn times_are_minutes_in_utc() {
    let t = Utc.with_ymd_and_hms(2026, 11, 22, 3, 0, 59).unwrap();
    assert_eq!(format_time(t), "2026-11-22 03:00 UTC");
}

#[test]
fn the_summary_gives_nonzero_counts_worst_first() {
    use Status::*;
    let mut statuses = vec![Ok; 10];
    statuses.extend([Stale, Late]);
    assert_eq!(
        summary_line(&of(&statuses)),
        "12 jobs: 1 stale, 1 late, 10 ok"
    );
    assert_eq!(summary_line(&of(&[Ok])), "1 job: 1 ok");
    assert_eq!(summary_line(&[]), "no heartbeats found");
    assert_eq!(
        summary_line(&of(&[Missing, Invalid, Invalid, Failed])),
        "4 jobs: 2 invalid, 1 missing, 1 failed"
    );
}

#[test]
fn the_subject_counts_or_says_all_ok() {
    use Status::*;
    let mut statuses = vec![Ok; 10];
    statuses.extend([Late, Stale]);
    assert_eq!(
        subject("web1", &of(&statuses)),
        "night-watch web1: 1 stale, 1 late, 10 ok"
    );
    assert_eq!(
        subject("web1", &of(&[Ok; 12])),
        "night-watch web1: all 12 jobs ok"
    );
    assert_eq!(
        subject("web1", &of(&[Ok])),
        "night-watch web1: the 1 job is ok"
    );
    assert_eq!(subject("db", &[]), "night-watch db: no heartbeats found");
}

#[test]
fn the_subject_is_one_line_without_control_characters() {
    let line = subject("web1\x1b[31m\r\nBcc: x\u{202e}", &of(&[Status::Ok]));
    assert!(!line.chars().any(char::is_control), "{line:?}");
    assert!(!line.contains('\u{202e}'), "{line:?}");
    assert!(line.starts_with("night-watch web1\\u{1b}[31m\\u{d}\\u{a}Bcc"));
}

#[test]
fn a_subject_is_cut_to_its_maximum() {
    let subject_line = |line: &str| super::cut(line, SUBJECT_MAX);
    let short = "night-watch web1: CANNOT CHECK: /srv/hb";
    assert_eq!(subject_line(short), short);
    let exact = "é".repeat(SUBJECT_MAX);
    assert_eq!(subject_line(&exact), exact);
    let long = format!("night-watch web1: CANNOT CHECK: /{}", "宽".repeat(3000));
    let cut = subject_line(&long);
    assert_eq!(cut.chars().count(), SUBJECT_MAX, "{cut}");
    assert!(
        cut.starts_with("night-watch web1: CANNOT CHECK: /宽"),
        "{cut}"
    );
    assert!(cut.ends_with("宽..."), "{cut}");
    // Escaped first, so no control character survives the cut.
    assert!(!subject_line(&format!("{}\n", "x".repeat(300))).contains('\n'));
}

#[test]
fn the_host_column_appears_only_for_several_hosts() {
    let one = vec![
        job("a", Status::Ok, Some("web1")),
        job("b", Status::Ok, Some("web1")),
        job("c", Status::Missing, None),
    ];
    let (headings, rows) = panel(&one);
    assert_eq!(headings, ["job", "status", "age", "interval", "ratio"]);
    assert_eq!(rows[0][0], Cell::Text("a".into()));
    let two = vec![
        job("a", Status::Ok, Some("web1")),
        job("a", Status::Ok, Some("web2")),
        job("c", Status::Missing, None),
    ];
    let (headings, rows) = panel(&two);
    assert_eq!(
        headings,
        ["host", "job", "status", "age", "interval", "ratio"]
    );
    let hosts: Vec<_> = rows.iter().map(|r| r[0].clone()).collect();
    assert_eq!(hosts, ["web1", "web2", "-"].map(|h| Cell::Text(h.into())));
}

#[test]
fn rows_format_durations_and_dashes() {
    let mut j = job("backup", Status::Late, Some("web1"));
    j.age_seconds = Some(3 * 3600 + 600);
    j.interval_seconds = Some(3600);
    j.ratio = Some(3.1667);
    let numbers = |texts: [&str; 3]| texts.map(|t| Cell::Number(t.to_owned()));
    let (_, rows) = panel(std::slice::from_ref(&j));
    assert_eq!(rows[0][2..], numbers(["3h 10m", "1h", "3.2x"]));
    let ghost = [job("ghost", Status::Missing, None)];
    let (_, rows) = panel(&ghost);
    assert_eq!(rows[0][2..], numbers(["-", "-", "-"]));
}

#[test]
fn details_say_when_last_seen_and_where() {
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 6, 0, 0).unwrap();
    let mut j = job("db", Status::Failed, Some("web1"));
    j.timestamp = Some(Utc.with_ymd_and_hms(2026, 11, 22, 3, 0, 5).unwrap());
    j.reason = Some("the last run reported failure".to_owned());
    j.exit_code = Some(2);
    j.path = Some(PathBuf::from("/hb/db.last"));
    let d = details(&j, now);
    assert_eq!(
        d[0],
        ("last seen", "2026-11-22 03:00 UTC (2h 59m ago)".to_owned())
    );
    assert_eq!(d[2], ("message", "-".to_owned()));
    assert_eq!(d[3], ("exit code", "2".to_owned()));
    assert_eq!(d[4], ("file", "/hb/db.last".to_owned()));
    let ghost = details(&job("ghost", Status::Missing, None), now);
    assert_eq!(ghost[0].1, "never");
}

#[test]
fn a_job_has_one_name_whatever_prints_it() {
    assert_eq!(job_name(Some("vm"), "sync-mirror", false), "sync-mirror");
    assert_eq!(job_name(Some("vm"), "sync-mirror", true), "vm/sync-mirror");
    assert_eq!(job_name(None, "ghost", true), "ghost");
    let mut two = vec![
        job("backup", Status::Stale, Some("web2")),
        job("backup", Status::Ok, Some("web1")),
    ];
    assert_eq!(
        job_name(two[0].host.as_deref(), &two[0].job, several_hosts(&two)),
        "web2/backup"
    );
    two.truncate(1);
    assert_eq!(
        job_name(two[0].host.as_deref(), &two[0].job, several_hosts(&two)),
        "backup"
    );
}

#[test]
fn rates_and_durations_read_well() {
    for (rate, want) in [(6.0 / 7.0, "86%"), (1.0, "100%"), (0.0, "0%")] {
        assert_eq!(format_rate(rate), want);
    }
    let seconds = [
        (0.04, "0.0s"),
        (2.46, "2.5s"),
        (9.96, "10s"),
        (90.0, "1m 30s"),
    ];
    for (seconds, want) in seconds {
        assert_eq!(format_seconds(seconds), want);
    }
    assert_eq!(format_seconds(1e300), format_duration(u64::MAX));
}

#[test]
fn cells_without_history_are_dashes() {
    use crate::history::Recent;
    let number = |text: &str| Cell::Number(text.to_owned());
    let mut jobs = [Judgement::missing("a"), Judgement::missing("b")];
    jobs[1].recent = Some(Box::new(Recent {
        marks: vec![Mark::Ok, Mark::Fail, Mark::Missed],
        success_rate: Some(1.0 / 3.0),
        median_duration: Some(12.4),
    }));
    let (headings, rows) = panel(&jobs);
    assert_eq!(headings[5..], ["last runs", "success", "median"]);
    assert_eq!(rows[0][5..], [Cell::Strip(&[]), number("-"), number("-")]);
    assert_eq!(rows[1][6..], [number("33%"), number("12s")]);
    assert_eq!(strip(&[], false), "-");
    let Cell::Strip(marks) = rows[1][5] else {
        panic!("{:?}", rows[1]);
    };
    assert_eq!(strip(marks, false), "+x?");
    assert_eq!(strip(marks, true), "✓✗·");
}
