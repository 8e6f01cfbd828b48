//! Pauses, the failure threshold and reminders as the alert issue shows
//! them: the real hb-check against the fake Gitea that checks every request
//! against the Gitea API description.

use crate::harness;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use harness::forge::{gitea, Forge, Issue, BOT, PREFIX};
use harness::{assert_has, assert_starts, Outcome, Scratch, NOW};

/// [`NOW`] moved by `seconds`, as RFC 3339.
fn at(seconds: i64) -> String {
    let now: DateTime<Utc> = NOW.parse().unwrap();
    (now + Duration::seconds(seconds)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

const HOUR: i64 = 3600;
const DAY: i64 = 86_400;

/// hb-check judging at `now` with `extra` settings.
fn check_at(s: &Scratch, forge: &Forge, now: &str, extra: &[(&str, &str)]) -> Outcome {
    forge.check_with(s, extra, &["--now", now])
}

fn status_of(s: &Scratch, forge: &Forge, now: &str, job: &str) -> String {
    let out = forge.check_with(s, &[], &["--now", now, "--format", "json"]);
    let doc = out.json();
    let found = doc["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["job"] == job);
    let found = found.unwrap_or_else(|| panic!("no job {job}{}", out.show()));
    found["status"].as_str().unwrap().to_owned()
}

/// Pauses `job` (`None`: the host) from [`NOW`] for `hours`.
fn pause(s: &Scratch, job: Option<&str>, hours: i64, reason: &str) {
    let (file, named) = match job {
        Some(job) => (format!("{job}.pause"), format!(r#""job":"{job}","#)),
        None => ("_host.pause".to_owned(), String::new()),
    };
    s.write(
        &file,
        format!(
            r#"{{"version":1,{named}"since":"{NOW}","until":"{}","reason":"{reason}"}}"#,
            at(hours * HOUR)
        ),
    );
}

fn only_open(forge: &Forge) -> Issue {
    let open = forge.open_issues();
    assert_eq!(open.len(), 1, "{open:#?}");
    open.into_iter().next().unwrap()
}

fn last_comment(issue: &Issue) -> &str {
    issue.comments.last().map_or("", String::as_str)
}

#[test]
fn a_paused_stale_job_is_paused_quiet_and_opens_no_issue_until_the_pause_ends() {
    let Some(forge) = gitea() else { return };
    let s = Scratch::new();
    s.stale("backup");
    pause(&s, Some("backup"), 2, "disk swap");
    check_at(&s, &forge, NOW, &[]).code(0).silent();
    assert_eq!(status_of(&s, &forge, NOW, "backup"), "paused");
    assert!(forge.issues_titled(PREFIX).is_empty());
    assert_eq!(forge.writes(), 0, "{:#?}", forge.requests());
    // The pause ends, the job is still bad: it alerts again.
    check_at(&s, &forge, &at(2 * HOUR + 60), &[])
        .code(2)
        .stdout_has("backup stale");
    let issue = only_open(&forge);
    assert_has(&issue.body, "| `backup` | stale |");
    forge.assert_clean();
}

#[test]
fn a_job_paused_while_in_the_issue_is_said_paused_not_recovered() {
    let Some(forge) = gitea() else { return };
    let s = Scratch::new();
    s.stale("backup");
    s.stale("db");
    check_at(&s, &forge, NOW, &[]).code(2);
    let number = only_open(&forge).number;
    pause(&s, Some("backup"), 2, "disk swap");
    // db still alerts; backup leaves the issue as paused.
    check_at(&s, &forge, NOW, &[]).code(2);
    let issue = forge.issue(number);
    assert!(issue.open);
    assert!(!issue.body.contains("`backup`"), "{}", issue.body);
    let comment = last_comment(&issue);
    assert_has(comment, "Paused, not recovered: `backup` paused until 2026-11-22T06:00:00Z (`disk swap`) (was stale).");
    assert!(!comment.contains("Recovered"), "{comment}");
    // db recovers: the issue closes, without calling backup recovered.
    s.ok("db");
    check_at(&s, &forge, NOW, &[]).code(0);
    let issue = forge.issue(number);
    assert!(!issue.open);
    assert_eq!(
        issue.title,
        "[heartbeat-checker] web1: 1 job(s) paused, others recovered"
    );
    assert_has(
        &issue.body,
        "`backup` paused until 2026-11-22T06:00:00Z (`disk swap`), others recovered.",
    );
    assert!(!issue.body.contains("All jobs"), "{}", issue.body);
    let comment = last_comment(&issue);
    assert_starts(comment, "Paused, not recovered: `backup`");
    assert_has(comment, "Recovered: `db` (was stale).");
    // The pause ends and backup is still bad: a new issue for it.
    s.beat("db", &at(2 * HOUR), "ok");
    check_at(&s, &forge, &at(2 * HOUR + 60), &[])
        .code(2)
        .stdout_has("backup stale");
    let again = only_open(&forge);
    assert_ne!(again.number, number);
    assert_has(&again.body, "| `backup` | stale |");
    assert!(!again.body.contains("`db`"), "{}", again.body);
    forge.assert_clean();
}

#[test]
fn a_host_wide_pause_closes_the_issue_as_paused_and_every_job_alerts_after() {
    let Some(forge) = gitea() else { return };
    let s = Scratch::new();
    s.stale("backup");
    s.stale("rotate");
    check_at(&s, &forge, NOW, &[]).code(2);
    let number = only_open(&forge).number;
    pause(&s, None, 1, "kernel upgrade");
    check_at(&s, &forge, NOW, &[]).code(0).silent();
    for job in ["backup", "rotate"] {
        assert_eq!(status_of(&s, &forge, NOW, job), "paused", "{job}");
    }
    let issue = forge.issue(number);
    assert!(!issue.open);
    assert_eq!(issue.title, "[heartbeat-checker] web1: 2 job(s) paused");
    let comment = last_comment(&issue);
    assert_has(
        comment,
        "`backup` paused until 2026-11-22T05:00:00Z (host-wide) (`kernel upgrade`) (was stale)",
    );
    assert_has(comment, "`rotate` paused until");
    assert!(!comment.contains("recovered."), "{comment}");
    assert!(!issue.body.contains("recovered by"), "{}", issue.body);
    check_at(&s, &forge, &at(HOUR + 60), &[]).code(2);
    let again = only_open(&forge);
    assert_has(&again.body, "| `backup` | stale |");
    assert_has(&again.body, "| `rotate` | stale |");
    forge.assert_clean();
}

#[test]
fn alert_after_three_opens_the_issue_on_the_third_failure_and_a_success_closes_it() {
    let Some(forge) = gitea() else { return };
    let s = Scratch::new();
    let write = |args: &[&str]| s.hb_write().env("HB_DIR", s.hb()).args(args).run();
    // hb-write stamps the real time; judge a minute after it.
    let now = || (Utc::now() + Duration::seconds(60)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let three = [("HB_ALERT_AFTER", "3")];
    for run in 1..=2 {
        write(&["--exit-code", "1", "backup", "1h"]).code(0);
        check_at(&s, &forge, &now(), &three)
            .code(1)
            .stdout_has("backup failing");
        assert!(forge.issues_titled(PREFIX).is_empty(), "run {run}");
        assert_eq!(forge.writes(), 0, "run {run}: {:#?}", forge.requests());
    }
    write(&["--exit-code", "1", "backup", "1h"]).code(0);
    check_at(&s, &forge, &now(), &three)
        .code(2)
        .stdout_has("backup failed");
    let issue = only_open(&forge);
    // hb-write names this machine in the heartbeat: `MACHINE/backup`.
    assert_has(&issue.body, "backup` | failed |");
    write(&["backup", "1h"]).code(0);
    check_at(&s, &forge, &now(), &three).code(0).silent();
    assert!(!forge.issue(issue.number).open);
    forge.assert_clean();
}

/// The reminder cache beside the run lock.
fn cache(s: &Scratch) -> std::path::PathBuf {
    s.run_dir().join("hb-check.web1.lock.remind")
}

/// Our reminders on `issue`.
fn reminders(forge: &Forge, number: u64) -> Vec<String> {
    forge
        .issue(number)
        .comments
        .into_iter()
        .filter(|c| c.starts_with("Reminder:"))
        .collect()
}

#[test]
fn a_reminder_is_posted_once_per_period_never_twice_across_restarts() {
    let Some(forge) = gitea() else { return };
    let s = Scratch::new();
    s.stale("backup");
    forge.set_clock(NOW);
    let daily = [("HB_TRACKER_REMIND", "1d")];
    check_at(&s, &forge, NOW, &daily).code(2);
    let number = only_open(&forge).number;
    // Younger than a day: no reminder, and not one request more.
    forge.clear_requests();
    check_at(&s, &forge, &at(23 * HOUR), &daily).code(2);
    assert_eq!(forge.count("GET"), 3, "{:#?}", forge.requests());
    assert_eq!(forge.writes(), 0);
    assert!(reminders(&forge, number).is_empty());
    // A day on: one reminder naming how long the job has been bad.
    forge.clear_requests();
    check_at(&s, &forge, &at(DAY + 15 * 60), &daily).code(2);
    let posted = reminders(&forge, number);
    assert_eq!(posted.len(), 1, "{posted:#?}");
    assert_starts(&posted[0], "Reminder: this issue has been open for 1d 15m");
    assert_has(&posted[0], "- `backup` stale: silent for 1d 1h");
    assert_has(&posted[0], "<!-- heartbeat:remind web1 1 -->");
    assert_eq!(forge.count_to("POST", "/comments"), 1);
    // The next runs of the period: nothing, and the cache spares the read.
    forge.clear_requests();
    check_at(&s, &forge, &at(DAY + 30 * 60), &daily).code(2);
    assert_eq!(forge.count_to("GET", "/comments"), 0);
    assert_eq!(forge.writes(), 0);
    // A restart that lost the local state: the forge says it was done.
    assert!(cache(&s).is_file());
    for entry in std::fs::read_dir(s.run_dir()).unwrap() {
        std::fs::remove_file(entry.unwrap().path()).unwrap();
    }
    forge.clear_requests();
    check_at(&s, &forge, &at(DAY + 45 * 60), &daily).code(2);
    assert_eq!(forge.count_to("GET", "/comments"), 1);
    assert_eq!(forge.writes(), 0, "{:#?}", forge.requests());
    assert_eq!(reminders(&forge, number).len(), 1);
    // The next period reminds again, once.
    check_at(&s, &forge, &at(2 * DAY + 60), &daily).code(2);
    check_at(&s, &forge, &at(2 * DAY + 15 * 60), &daily).code(2);
    let posted = reminders(&forge, number);
    assert_eq!(posted.len(), 2, "{posted:#?}");
    assert_has(&posted[1], "<!-- heartbeat:remind web1 2 -->");
    // Closed: no reminder ever after.
    s.beat("backup", &at(3 * DAY), "ok");
    check_at(&s, &forge, &at(3 * DAY + 60), &daily).code(0);
    assert!(!forge.issue(number).open);
    let comments = forge.issue(number).comments.len();
    s.beat("backup", &at(5 * DAY), "ok");
    forge.clear_requests();
    check_at(&s, &forge, &at(5 * DAY + 60), &daily).code(0);
    assert_eq!(forge.issue(number).comments.len(), comments);
    assert_eq!(forge.count_to("GET", "/comments"), 0);
    assert_eq!(reminders(&forge, number).len(), 2);
    forge.assert_clean();
}

#[test]
fn a_marker_for_a_period_not_yet_begun_does_not_silence_the_reminders() {
    let Some(forge) = gitea() else { return };
    let s = Scratch::new();
    s.stale("backup");
    forge.set_clock(NOW);
    let daily = [("HB_TRACKER_REMIND", "1d")];
    check_at(&s, &forge, NOW, &daily).code(2);
    let number = only_open(&forge).number;
    // Our own account's markers for periods that cannot have come yet (a
    // run with `--now` far ahead, an absurd number) and a cache that says
    // as much: none of them is this period's reminder.
    forge.add_comment_by(
        number,
        BOT,
        "<!-- heartbeat:remind web1 18446744073709551615 -->",
    );
    forge.add_comment_by(number, BOT, "<!-- heartbeat:remind web1 40 -->");
    std::fs::write(
        cache(&s),
        format!(r#"{{"version":1,"host":"web1","issue":{number},"period":40}}"#),
    )
    .unwrap();
    check_at(&s, &forge, &at(DAY + 60), &daily).code(2);
    let posted = reminders(&forge, number);
    assert_eq!(posted.len(), 1, "{posted:#?}");
    assert!(posted[0].contains("<!-- heartbeat:remind web1 1 -->"));
    // Still once per period.
    check_at(&s, &forge, &at(DAY + 15 * 60), &daily).code(2);
    std::fs::remove_file(cache(&s)).unwrap();
    check_at(&s, &forge, &at(DAY + 30 * 60), &daily).code(2);
    assert_eq!(reminders(&forge, number).len(), 1);
    forge.assert_clean();
}

#[test]
fn the_cache_of_another_tracker_s_issue_of_the_same_number_does_not_count() {
    let Some(old) = gitea() else { return };
    let s = Scratch::new();
    s.stale("backup");
    old.set_clock(NOW);
    let daily = [("HB_TRACKER_REMIND", "1d")];
    check_at(&s, &old, NOW, &daily).code(2);
    check_at(&s, &old, &at(7 * DAY + 60), &daily).code(2);
    assert_eq!(reminders(&old, 1).len(), 1);
    assert!(cache(&s).is_file());
    // The alerts move to a new repository, whose first issue is #1 too.
    let Some(new) = gitea() else { return };
    new.set_clock(&at(7 * DAY + 120));
    check_at(&s, &new, &at(7 * DAY + 120), &daily).code(2);
    assert_eq!(only_open(&new).number, 1);
    check_at(&s, &new, &at(8 * DAY + 180), &daily).code(2);
    let posted = reminders(&new, 1);
    assert_eq!(posted.len(), 1, "{posted:#?}");
    assert!(posted[0].contains("<!-- heartbeat:remind web1 1 -->"));
    old.assert_clean();
    new.assert_clean();
}

#[test]
fn an_issue_without_a_usable_opening_time_is_said_not_reminded_in_silence() {
    let Some(forge) = gitea() else { return };
    let s = Scratch::new();
    s.stale("backup");
    forge.set_clock(NOW);
    let daily = [("HB_TRACKER_REMIND", "1d")];
    check_at(&s, &forge, NOW, &daily).code(2);
    let number = only_open(&forge).number;
    for odd in ["yesterday", "", "99999-01-01T00:00:00Z"] {
        forge.set_created_at(number, odd);
        let out = check_at(&s, &forge, &at(DAY + 60), &daily);
        out.code(2)
            .stderr_has(&format!(
                "warning: issue #{number} came without a creation time in RFC 3339 (`created_at`)"
            ))
            .stderr_has("--tracker-remind cannot count its periods")
            .no_token();
        assert!(reminders(&forge, number).is_empty());
    }
    // Off the API description on purpose, in the answers only: every
    // request still keeps to it.
    let stray: Vec<String> = forge
        .violations()
        .into_iter()
        .filter(|v| !(v.starts_with("answer to GET") && v.contains("_at: `")))
        .collect();
    assert!(stray.is_empty(), "{stray:#?}");
}

#[test]
fn a_cache_that_is_a_fifo_a_link_a_directory_or_junk_costs_a_read_not_a_hang() {
    type Make<'a> = &'a dyn Fn(&std::path::Path);
    let Some(forge) = gitea() else { return };
    let s = Scratch::new();
    s.stale("backup");
    forge.set_clock(NOW);
    let daily = [("HB_TRACKER_REMIND", "1d")];
    check_at(&s, &forge, NOW, &daily).code(2);
    let number = only_open(&forge).number;
    // What a link would say if it were followed: period 2, when the link
    // is tried, already reminded.
    let opened = NOW.parse::<DateTime<Utc>>().unwrap().timestamp();
    let covering =
        format!(r#"{{"version":1,"host":"web1","issue":{number},"opened":{opened},"period":2}}"#);
    let elsewhere = s.root().join("elsewhere");
    std::fs::write(&elsewhere, &covering).unwrap();
    let fifo = s.root().join("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success(), "mkfifo");
    let period = |n: i64| at(n * DAY + 60);
    let kinds: [(&str, Make); 4] = [
        ("a FIFO", &|p| std::fs::rename(&fifo, p).unwrap()),
        ("a link", &|p| {
            std::os::unix::fs::symlink(&elsewhere, p).unwrap();
        }),
        ("junk", &|p| std::fs::write(p, vec![b'{'; 200_000]).unwrap()),
        ("a directory", &|p| std::fs::create_dir(p).unwrap()),
    ];
    for (n, (kind, make)) in (1..).zip(kinds) {
        let path = cache(&s);
        let _ = std::fs::remove_file(&path);
        make(&path);
        // Bounded: a FIFO opened for reading without a writer blocks.
        let (tx, rx) = std::sync::mpsc::channel();
        let cmd = forge
            .hb_check(&s)
            .envs(daily.iter().copied())
            .args(["--now", &period(n)]);
        std::thread::spawn(move || tx.send(cmd.run()));
        let out = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("hb-check hung on a cache that is {kind}"));
        out.code(2).no_token();
        let posted = reminders(&forge, number);
        assert_eq!(posted.len(), n as usize, "{kind}: {posted:#?}");
        assert!(posted[n as usize - 1].contains(&format!("<!-- heartbeat:remind web1 {n} -->")));
        if kind == "a directory" {
            out.stderr_has("hb-check: ").stderr_has(".remind");
        } else {
            // Replaced by a cache of its own, never written through.
            assert!(path.symlink_metadata().unwrap().is_file(), "{kind}");
            assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), covering);
        }
    }
    forge.assert_clean();
}

#[test]
fn reminders_off_cost_no_request() {
    let Some(forge) = gitea() else { return };
    let s = Scratch::new();
    s.stale("backup");
    forge.set_clock(NOW);
    check_at(&s, &forge, NOW, &[]).code(2);
    let number = only_open(&forge).number;
    // Off: an unchanged issue, however old, costs the three reads and no more.
    forge.clear_requests();
    check_at(&s, &forge, &at(30 * DAY), &[]).code(2);
    let off: Vec<String> = forge.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(off.len(), 3, "{off:#?}");
    assert!(reminders(&forge, number).is_empty());
    // On, with an issue younger than the period: the same requests.
    forge.clear_requests();
    check_at(&s, &forge, &at(30 * DAY), &[("HB_TRACKER_REMIND", "40d")]).code(2);
    let young: Vec<String> = forge.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(young, off);
    forge.assert_clean();
}

#[test]
fn a_bad_reminder_period_is_a_usage_error() {
    let s = Scratch::new();
    for bad in ["0", "401d", "soon"] {
        let out = s.hb_check().env("HB_TRACKER_REMIND", bad).run();
        out.code(3).one_line_error(&["--tracker-remind", bad]);
    }
}

#[test]
fn github_comments_are_paged_and_a_reminder_still_comes_once() {
    let forge = harness::forge::github();
    let s = Scratch::new();
    s.stale("backup");
    forge.set_clock(NOW);
    let daily = [("HB_TRACKER_REMIND", "1d")];
    check_at(&s, &forge, NOW, &daily).code(2);
    let number = only_open(&forge).number;
    // Many comments by people, more than one page, before the reminder.
    for n in 0..150 {
        forge.add_comment_by(number, "alice", &format!("looking into it ({n})"));
    }
    check_at(&s, &forge, &at(DAY + 60), &daily).code(2);
    assert_eq!(reminders(&forge, number).len(), 1);
    std::fs::remove_file(cache(&s)).unwrap();
    forge.clear_requests();
    check_at(&s, &forge, &at(DAY + 15 * 60), &daily).code(2);
    assert!(
        forge.count_to("GET", "/comments") >= 2,
        "{:#?}",
        forge.requests()
    );
    assert_eq!(forge.writes(), 0, "{:#?}", forge.requests());
    assert_eq!(reminders(&forge, number).len(), 1);
    forge.assert_clean();
}

#[test]
fn a_pause_ending_while_the_issue_is_open_puts_the_job_back_as_gone_bad() {
    let Some(forge) = gitea() else { return };
    let s = Scratch::new();
    s.stale("backup");
    s.stale("db");
    check_at(&s, &forge, NOW, &[]).code(2);
    let number = only_open(&forge).number;
    pause(&s, Some("backup"), 1, "disk swap");
    check_at(&s, &forge, NOW, &[]).code(2);
    assert!(!forge.issue(number).body.contains("`backup`"));
    check_at(&s, &forge, &at(HOUR + 60), &[]).code(2);
    let issue = only_open(&forge);
    assert_eq!(issue.number, number, "the open issue takes it back");
    assert_has(&issue.body, "| `backup` | stale |");
    let comment = last_comment(&issue);
    assert_starts(comment, "Went bad: `backup` (stale).");
    forge.assert_clean();
}
