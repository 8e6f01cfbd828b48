//! The interval rule: late, stale and failed by the heartbeat's age.

use super::*;

#[test]
fn the_boundaries_fall_where_the_rule_says() {
    let cases = [
        (0, Status::Ok),
        (300, Status::Ok),
        (301, Status::Late),
        (600, Status::Late),
        (601, Status::Stale),
    ];
    for (age, want) in cases {
        let j = judged(&entry("b", 0, 300, RunStatus::Ok), None, &policy(age));
        assert_eq!(j.status, want, "age {age}");
        assert_eq!(j.age_seconds, Some(age as u64));
    }
}

#[test]
fn stale_overrides_failed() {
    let fresh = judged(&entry("b", 0, 300, RunStatus::Fail), None, &policy(10));
    assert_eq!(fresh.status, Status::Failed);
    let late = judged(&entry("b", 0, 300, RunStatus::Fail), None, &policy(400));
    assert_eq!(late.status, Status::Failed);
    let old = judged(&entry("b", 0, 300, RunStatus::Fail), None, &policy(601));
    assert_eq!(old.status, Status::Stale);
}

#[test]
fn the_factor_moves_the_stale_line() {
    for (now, want) in [(1050, Status::Late), (1051, Status::Stale)] {
        let p = Policy {
            factor: 3.5,
            ..policy(now)
        };
        let j = judged(&entry("b", 0, 300, RunStatus::Ok), None, &p);
        assert_eq!(j.status, want, "at {now}");
    }
}

#[test]
fn ratio_is_age_over_interval() {
    let j = judged(&entry("b", 0, 400, RunStatus::Ok), None, &policy(1000));
    assert_eq!(j.ratio, Some(2.5));
}

#[test]
fn future_timestamps_beyond_five_minutes_are_invalid() {
    let within = judged(&entry("b", 300, 60, RunStatus::Ok), None, &policy(0));
    assert_eq!(within.status, Status::Ok);
    assert_eq!(within.age_seconds, Some(0));
    let beyond = judged(&entry("b", 301, 60, RunStatus::Ok), None, &policy(0));
    assert_eq!(beyond.status, Status::Invalid);
    assert!(beyond.reason.unwrap().contains("in the future"));
}

#[test]
fn empty_files_need_a_default_interval() {
    let empty = Entry {
        path: PathBuf::from("/hb/t.last"),
        job: "t".to_owned(),
        subdir: None,
        content: Ok(Content::Empty { modified: at(0) }),
    };
    let without = judged(&empty, None, &policy(10));
    assert_eq!(without.status, Status::Invalid);
    assert!(without.reason.unwrap().contains("--default-interval"));
    let with = Policy {
        default_interval: Some(5),
        ..policy(11)
    };
    let j = judged(&empty, None, &with);
    assert_eq!(j.status, Status::Stale);
    assert_eq!(j.interval_seconds, Some(5));
}
