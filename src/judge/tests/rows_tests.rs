//! The set of rows: one per host and job, the expected jobs, the order.

use super::*;
use crate::judge::rows::{dedup, is_expected};

#[test]
fn the_same_job_of_the_same_host_is_one_row_the_newest_winning() {
    let old = judged(&entry("backup", 0, 300, RunStatus::Ok), None, &policy(1000));
    let new = judged(
        &entry("backup", 900, 300, RunStatus::Ok),
        None,
        &policy(1000),
    );
    let all = vec![
        on("web1", old.clone(), "/a/backup.last"),
        on("web1", new, "/b/backup.last"),
        on("web2", old, "/a/web2/backup.last"),
    ];
    let kept = dedup(all, "web1");
    assert_eq!(kept.len(), 2, "{kept:#?}");
    let web1 = kept
        .iter()
        .find(|j| j.host.as_deref() == Some("web1"))
        .unwrap();
    assert_eq!(web1.path, Some(PathBuf::from("/b/backup.last")));
    assert_eq!(web1.status, Status::Ok);
    assert_eq!(web1.duplicates, [PathBuf::from("/a/backup.last")]);
    // An unreadable copy never hides a readable one.
    let bad = Entry {
        content: Err("garbage".to_owned()),
        ..entry("backup", 0, 300, RunStatus::Ok)
    };
    let invalid = on("web1", judged(&bad, None, &policy(0)), "/a/backup.last");
    let good = on(
        "web1",
        judged(&entry("backup", 0, 300, RunStatus::Ok), None, &policy(0)),
        "/b/backup.last",
    );
    let kept = dedup(vec![invalid, good], "web1");
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].status, Status::Ok);
}

#[test]
fn an_expected_job_is_the_checking_hosts_unless_named_host_slash_job() {
    let j = |host: &str| {
        on(
            host,
            judged(&entry("backup", 0, 300, RunStatus::Ok), None, &policy(0)),
            "/x",
        )
    };
    let mut all = vec![j("web2")];
    add_missing(
        &mut all,
        &["backup".to_owned(), "web2/backup".to_owned()],
        "web1",
    );
    let missing: Vec<&str> = all
        .iter()
        .filter(|j| j.status == Status::Missing)
        .map(|j| j.job.as_str())
        .collect();
    assert_eq!(missing, ["backup"], "web2's backup is not web1's");
    let mut all = vec![j("web1")];
    add_missing(&mut all, &["backup".to_owned()], "web1");
    assert_eq!(all.len(), 1);
    // A user's area job is named USER/JOB.
    let mut mine = judged(&entry("backup", 0, 300, RunStatus::Ok), None, &policy(0));
    mine.job = "alice/backup".to_owned();
    assert!(is_expected(&mine, "alice/backup", "web1"));
}

#[test]
fn missing_jobs_are_added_and_the_worst_comes_first() {
    let entries = [
        entry("fine", 0, 300, RunStatus::Ok),
        entry("lateish", 0, 100, RunStatus::Ok),
        entry("later", 0, 80, RunStatus::Ok),
        entry("dead", 0, 10, RunStatus::Ok),
        entry("broke", 0, 300, RunStatus::Fail),
    ];
    let expect = vec!["fine".to_owned(), "ghost".to_owned()];
    let all = judge_all(&entries, &expect, &policy(150));
    let order: Vec<(&str, Status)> = all.iter().map(|j| (j.job.as_str(), j.status)).collect();
    assert_eq!(
        order,
        [
            ("dead", Status::Stale),
            ("ghost", Status::Missing),
            ("broke", Status::Failed),
            ("later", Status::Late),
            ("lateish", Status::Late),
            ("fine", Status::Ok),
        ]
    );
    let counts = summary(&all);
    assert_eq!(counts[0], (Status::Invalid, 0));
    assert_eq!(counts[5], (Status::Late, 2));
}

#[test]
fn a_judgement_stays_small_for_a_scan_of_a_whole_fleet() {
    // A scan keeps one judgement per heartbeat (100,000 for a fleet); the
    // rare parts (a pause, the recent runs, the schedule) are boxed.
    let size = std::mem::size_of::<Judgement>();
    assert!(size <= 256, "a Judgement takes {size} bytes");
}
