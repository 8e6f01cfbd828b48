//! The tracker lifecycle, end to end: the real hb-check against a fake
//! Gitea (and GitHub) server that checks every request against the Gitea
//! API description.

use crate::harness;

use std::time::{Duration, Instant};

use harness::forge::gitea;
use harness::forge::{Fault, Forge, Mode, Paging, PREFIX};
use harness::swagger::Spec;
use harness::{Outcome, Scratch, NOW, TOKEN};
use serde_json::json;

fn check_with(dir: &Scratch, forge: &Forge, extra: &[(&str, &str)], args: &[&str]) -> Outcome {
    forge.check_with(dir, extra, args)
}

fn check(dir: &Scratch, forge: &Forge) -> Outcome {
    forge.check_with(dir, &[], &[])
}

fn open_issues(forge: &Forge) -> Vec<harness::forge::Issue> {
    forge.open_issues()
}

#[test]
fn an_issue_opens_stays_quiet_follows_changes_and_closes() {
    let Some(forge) = gitea() else { return };
    let dir = Scratch::new();
    dir.stale("backup");
    dir.ok("db");

    let r = check(&dir, &forge);
    r.code(2);
    assert!(r.stdout.contains("backup stale"), "{}", r.show());
    assert_eq!(r.stderr, "", "{}", r.show());
    let issues = forge.issues_titled(PREFIX);
    assert_eq!(issues.len(), 1, "{}", r.show());
    let issue = &issues[0];
    assert!(issue.open);
    assert_eq!(
        issue.title,
        "[heartbeat-checker] web1: 1 job(s) need attention"
    );
    // The shared label, and the host's own, which finds its closed issues
    // in one request.
    assert_eq!(
        issue.labels,
        vec![
            forge.label_id("heartbeat").unwrap(),
            forge.label_id("heartbeat:web1").unwrap()
        ]
    );
    assert!(
        issue.body.contains("| `backup` | stale |"),
        "{}",
        issue.body
    );
    assert!(
        issue.body.contains("hb-write --retire JOB"),
        "{}",
        issue.body
    );
    assert!(
        issue.body.contains(r#""jobs":{"backup":"stale"}"#),
        "{}",
        issue.body
    );

    // Unchanged: reads only.
    forge.clear_requests();
    check(&dir, &forge).code(2);
    assert_eq!(forge.writes(), 0, "{:#?}", forge.requests());
    assert!(forge.count("GET") > 0);

    // A second job goes bad: one edit, one comment.
    dir.stale("db");
    forge.clear_requests();
    check(&dir, &forge).code(2);
    assert_eq!(
        (forge.count("PATCH"), forge.count("POST")),
        (1, 1),
        "{:#?}",
        forge.requests()
    );
    let issue = forge.issue(issue.number);
    assert_eq!(
        issue.title,
        "[heartbeat-checker] web1: 2 job(s) need attention"
    );
    assert!(issue.body.contains("| `db` | stale |"), "{}", issue.body);
    assert_eq!(issue.comments.len(), 1);
    assert!(
        issue.comments[0].contains("Went bad: `db` (stale)"),
        "{:?}",
        issue.comments
    );

    // Everything recovers: a comment and the issue closed.
    dir.ok("backup");
    dir.ok("db");
    forge.clear_requests();
    check(&dir, &forge).code(0);
    let issue = forge.issue(issue.number);
    assert!(!issue.open, "the issue should be closed");
    assert_eq!(issue.comments.len(), 2);
    assert!(
        issue.comments[1].contains("Recovered: `backup` (was stale), `db` (was stale)"),
        "{:?}",
        issue.comments
    );
    assert!(
        issue.comments[1].contains("open for"),
        "{:?}",
        issue.comments
    );
    assert!(issue.body.contains(r#""jobs":{}"#), "{}", issue.body);

    // All well, issue closed by hb-check: quiet, and no acknowledgement.
    forge.clear_requests();
    check(&dir, &forge).code(0);
    assert_eq!(forge.writes(), 0);
    dir.stale("backup");
    check(&dir, &forge).code(2);
    assert_eq!(
        open_issues(&forge).len(),
        1,
        "a job that goes bad again opens a new issue"
    );
    assert_eq!(forge.issues_titled(PREFIX).len(), 2);
    forge.assert_clean();
}

#[test]
fn closing_by_hand_acknowledges_until_something_new_goes_bad() {
    let Some(forge) = gitea() else { return };
    let dir = Scratch::new();
    dir.stale("backup");
    check(&dir, &forge).code(2);
    let first = forge.issues_titled(PREFIX)[0].number;
    forge.close_by_hand(first);

    forge.clear_requests();
    check(&dir, &forge).code(2);
    assert_eq!(forge.writes(), 0, "{:#?}", forge.requests());
    assert!(
        !forge.issue(first).open,
        "an acknowledged issue stays closed"
    );
    assert_eq!(forge.issues_titled(PREFIX).len(), 1);

    dir.stale("db");
    check(&dir, &forge).code(2);
    let open = open_issues(&forge);
    assert_eq!(open.len(), 1, "a new bad job opens a new issue");
    assert_ne!(open[0].number, first);
    assert!(!forge.issue(first).open);
    forge.assert_clean();
}

#[test]
fn an_acknowledgement_expires_once_its_job_recovers() {
    let Some(forge) = gitea() else { return };
    let dir = Scratch::new();
    dir.stale("backup");
    dir.stale("db");
    check(&dir, &forge).code(2);
    let first = forge.issues_titled(PREFIX)[0].number;
    forge.close_by_hand(first);

    // backup recovers: the acknowledged set shrinks to db, nothing opens.
    dir.ok("backup");
    check(&dir, &forge).code(2);
    assert!(open_issues(&forge).is_empty());
    assert!(
        forge.issue(first).body.contains(r#""jobs":{"db":"stale"}"#),
        "{}",
        forge.issue(first).body
    );
    forge.clear_requests();
    check(&dir, &forge).code(2);
    assert_eq!(forge.writes(), 0);

    // backup goes bad again: no longer acknowledged.
    dir.stale("backup");
    check(&dir, &forge).code(2);
    assert_eq!(open_issues(&forge).len(), 1);
    forge.assert_clean();
}

#[test]
fn a_failed_create_exits_3_and_the_next_run_opens_one_issue() {
    let Some(forge) = gitea() else { return };
    let dir = Scratch::new();
    dir.stale("backup");
    forge.fault(
        "POST",
        "/issues",
        Fault::Status(500, "database is locked"),
        1,
    );
    let started = Instant::now();
    let r = check(&dir, &forge);
    // A stale job (CRITICAL) outranks the tracker failure (UNKNOWN).
    r.code(2);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "retries took {:?}",
        started.elapsed()
    );
    assert!(
        r.stdout.contains("backup stale"),
        "the judgement still prints\n{}",
        r.show()
    );
    let err = &r.stderr;
    assert_eq!(err.lines().count(), 1, "{}", r.show());
    for part in [
        forge.url().as_str(),
        "ops/alerts",
        "POST",
        "/api/v1/repos/ops/alerts/issues",
        "HTTP 500",
        "database is locked",
        "the next run looks for it first",
    ] {
        assert!(err.contains(part), "`{part}` missing\n{}", r.show());
    }
    // A 500 may hide an issue that was made: after one look, no second
    // create in the same run.
    assert_eq!(forge.count_to("POST", "/issues"), 1, "one create attempt");
    assert!(forge.issues_titled(PREFIX).is_empty());

    check(&dir, &forge).code(2);
    assert_eq!(forge.issues_titled(PREFIX).len(), 1);
    forge.assert_clean();
}

#[test]
fn a_create_whose_answer_is_lost_makes_one_issue() {
    let Some(forge) = gitea() else { return };
    let dir = Scratch::new();
    dir.stale("backup");
    forge.add_label("heartbeat");
    forge.fault("POST", "/issues", Fault::LostAnswer, 1);
    let r = check(&dir, &forge);
    r.code(2);
    assert_eq!(forge.issues_titled(PREFIX).len(), 1, "{}", r.show());
    assert_eq!(
        forge.count_to("POST", "/issues"),
        1,
        "looked before creating again"
    );
    forge.assert_clean();
}

#[test]
fn a_lost_create_is_found_on_the_next_run_when_the_recheck_fails() {
    let Some(forge) = gitea() else { return };
    let dir = Scratch::new();
    dir.stale("backup");
    forge.add_label("heartbeat");
    forge.fault("POST", "/issues", Fault::LostAnswer, 1);
    // The open listing passes (there is no closed listing yet: the host's
    // label is new); the look after the lost answer fails on every attempt.
    forge.fault_after("GET", "/issues", 1, Fault::Status(502, "bad gateway"), 3);
    let r = check(&dir, &forge);
    // A stale job (CRITICAL) outranks the tracker failure (UNKNOWN).
    r.code(2);
    assert!(r.stderr.contains("HTTP 502"), "{}", r.show());
    assert_eq!(
        forge.count_to("POST", "/issues"),
        1,
        "no second create without a look"
    );
    assert_eq!(forge.issues_titled(PREFIX).len(), 1);

    forge.clear_requests();
    check(&dir, &forge).code(2);
    assert_eq!(forge.writes(), 0, "{:#?}", forge.requests());
    assert_eq!(forge.issues_titled(PREFIX).len(), 1);
    forge.assert_clean();
}

#[test]
fn five_runs_at_once_open_one_issue() {
    let Some(forge) = gitea() else { return };
    let dir = Scratch::new();
    dir.stale("backup");
    let children: Vec<_> = (0..5).map(|_| forge.hb_check(&dir).spawn()).collect();
    for (child, shown) in children {
        let output = child.wait_with_output().unwrap();
        let r = Outcome::new(shown, Some(dir.root()), output);
        r.code(2).no_token();
    }
    assert_eq!(forge.issues_titled(PREFIX).len(), 1);
    assert_eq!(forge.label_names(), vec!["heartbeat", "heartbeat:web1"]);
    forge.assert_clean();
}

#[test]
fn the_token_never_shows_on_errors() {
    let Some(forge) = gitea() else { return };
    let dir = Scratch::new();
    dir.stale("backup");

    // A server that repeats the Authorization header in its message.
    forge.fault("GET", "/labels", Fault::EchoAuth, 1);
    let r = check(&dir, &forge);
    // A stale job (CRITICAL) outranks the tracker failure (UNKNOWN).
    r.code(2);
    assert!(r.stderr.contains("HTTP 401"), "{}", r.show());
    assert!(
        r.stderr.contains("token is invalid or expired"),
        "{}",
        r.show()
    );
    assert!(r.stderr.contains("<redacted>"), "{}", r.show());
    assert_eq!(forge.count_to("GET", "/labels"), 1, "401 is not retried");

    forge.fault("GET", "/labels", Fault::Status(500, "boom"), 3);
    let r = check(&dir, &forge);
    // A stale job (CRITICAL) outranks the tracker failure (UNKNOWN).
    r.code(2);
    assert!(
        r.stderr.contains("HTTP 500: boom (3 attempts)"),
        "{}",
        r.show()
    );

    // Dry run.
    let r = check_with(&dir, &forge, &[], &["--dry-run"]);
    r.code(2);

    // Every request carried the token as a Bearer header, nowhere else.
    for req in forge.requests() {
        assert_eq!(
            req.auth.as_deref(),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert!(!req.path.contains(TOKEN) && !req.query.iter().any(|(_, v)| v.contains(TOKEN)));
        assert!(req
            .user_agent
            .as_deref()
            .unwrap_or("")
            .starts_with("cron-heartbeat/"));
    }
    forge.assert_clean();
}

#[test]
fn a_refused_connection_exits_3_without_the_token() {
    let dir = Scratch::new();
    dir.stale("backup");
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{dead}");
    let env = [
        ("HB_TRACKER_URL", url.as_str()),
        ("HB_TRACKER_REPO", "ops/alerts"),
        ("HB_TRACKER_TOKEN", TOKEN),
        ("HB_HOST", "web1"),
    ];
    let r = dir.hb_check().env("HB_NOW", NOW).envs(env).run();
    // A stale job (CRITICAL) outranks the tracker failure (UNKNOWN).
    r.code(2).no_token();
    assert!(r.stdout.contains("backup stale"), "{}", r.show());
    assert!(r.stderr.contains("cannot connect"), "{}", r.show());
    assert!(r.stderr.contains(&url), "{}", r.show());
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.show());
}

#[test]
fn a_server_slower_than_the_timeout_exits_3_without_the_token() {
    let dir = Scratch::new();
    dir.stale("backup");
    // GitHub mode, which needs no API description.
    let forge = Forge::start(Mode::Github, None, TOKEN);
    forge.fault("GET", "/labels", Fault::Delay(Duration::from_secs(3)), 3);
    let started = Instant::now();
    let r = check_with(&dir, &forge, &[], &["--tracker-timeout", "1s"]);
    // A stale job (CRITICAL) outranks the tracker failure (UNKNOWN).
    r.code(2);
    assert!(
        r.stderr.contains("no answer within 1s (3 attempts)"),
        "{}",
        r.show()
    );
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn client_errors_say_what_to_do() {
    let Some(forge) = gitea() else { return };
    let dir = Scratch::new();
    dir.stale("backup");
    let cases = [
        (403, "token lacks the `write:issue` scope"),
        (404, "the repo does not exist or the token cannot see it"),
        (422, "Validation failed: title too long"),
    ];
    for (status, says) in cases {
        forge.clear_requests();
        let message = if status == 422 {
            "Validation failed: title too long"
        } else {
            "forbidden"
        };
        forge.fault("GET", "/labels", Fault::Status(status, message), 1);
        let r = check(&dir, &forge);
        // A stale job (CRITICAL) outranks the tracker failure (UNKNOWN).
        r.code(2);
        assert!(r.stderr.contains(&format!("HTTP {status}")), "{}", r.show());
        assert!(r.stderr.contains(says), "{}", r.show());
        assert_eq!(
            forge.count_to("GET", "/labels"),
            1,
            "{status} is not retried"
        );
    }
    forge.assert_clean();
}

#[test]
fn a_token_file_others_can_read_is_refused() {
    let Some(forge) = gitea() else { return };
    let dir = Scratch::new();
    dir.stale("backup");
    let loose = dir.token_file(0o644);
    let env = [
        ("HB_TRACKER_URL", forge.url()),
        ("HB_TRACKER_REPO", "ops/alerts".to_owned()),
        ("HB_HOST", "web1".to_owned()),
        ("HB_TRACKER_TOKEN_FILE", loose.display().to_string()),
    ];
    let r = dir.hb_check().env("HB_NOW", NOW).envs(env.clone()).run();
    // A stale job (CRITICAL) outranks the tracker failure (UNKNOWN).
    r.code(2).no_token();
    assert!(r.stderr.contains("chmod 600"), "{}", r.show());
    assert!(r.stdout.contains("backup stale"), "{}", r.show());
    assert!(
        forge.requests().is_empty(),
        "nothing is sent with a refused token"
    );

    let tight = dir.token_file(0o600);
    let path = tight.display().to_string();
    let r = dir
        .hb_check()
        .env("HB_NOW", NOW)
        .envs(env)
        .args(["--tracker-token-file", &path])
        .run();
    r.code(2).no_token();
    assert_eq!(forge.issues_titled(PREFIX).len(), 1, "{}", r.show());
    forge.assert_clean();
}

#[test]
fn listings_are_paged_and_pull_requests_skipped() {
    let Some(forge) = gitea() else { return };
    let dir = Scratch::new();
    dir.stale("backup");
    check(&dir, &forge).code(2);
    let ours = forge.issues_titled(PREFIX)[0].number;
    for n in 0..60 {
        forge.add_issue(&format!("unrelated {n}"), "", &["heartbeat"], true, false);
    }
    for n in 0..5 {
        forge.add_issue(
            &format!("{PREFIX} pull request {n}"),
            "",
            &["heartbeat"],
            true,
            true,
        );
    }
    forge.clear_requests();
    let r = check(&dir, &forge);
    r.code(2);
    assert_eq!(
        forge.writes(),
        0,
        "found the issue past the first page\n{:#?}",
        forge.requests()
    );
    let pages: Vec<_> = forge
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/issues"))
        .collect();
    assert!(pages.len() >= 2, "{pages:#?}");
    assert!(pages
        .iter()
        .all(|p| p.query.contains(&("type".into(), "issues".into()))));
    assert!(pages
        .iter()
        .all(|p| p.query.contains(&("limit".into(), "50".into()))));

    // Recovery closes ours and touches no pull request.
    dir.ok("backup");
    check(&dir, &forge).code(0);
    assert!(!forge.issue(ours).open);
    let prs = forge.issues_titled(PREFIX);
    assert_eq!(prs.len(), 1, "only our issue is an issue with our title");
    forge.assert_clean();
}

#[test]
fn several_open_issues_keep_the_oldest_and_close_the_others() {
    let Some(forge) = gitea() else { return };
    let dir = Scratch::new();
    dir.stale("backup");
    let oldest = forge.add_issue(
        &format!("{PREFIX} made by hand"),
        "old text",
        &["heartbeat"],
        true,
        false,
    );
    let newer = forge.add_issue(
        &format!("{PREFIX} older version"),
        "newer text",
        &["heartbeat"],
        true,
        false,
    );
    let r = check(&dir, &forge);
    r.code(2);
    assert_eq!(r.stderr.matches("warning").count(), 1, "{}", r.show());
    assert!(r.stderr.contains(&format!("#{newer}")), "{}", r.show());
    let used = forge.issue(oldest);
    assert!(
        used.body.contains(r#""jobs":{"backup":"stale"}"#),
        "{}",
        used.body
    );
    assert_eq!(used.comments.len(), 1);
    assert!(used.open);
    let other = forge.issue(newer);
    assert!(!other.open, "the replica is closed");
    assert_eq!(other.comments.len(), 1, "{:?}", other.comments);
    assert!(
        other.comments[0].contains(&format!("#{oldest}")),
        "it points to the issue that stays: {:?}",
        other.comments
    );
    assert!(
        other.body.contains(r#""jobs":{}"#),
        "closed without an acknowledgement: {}",
        other.body
    );
    // backup is still stale: the replica says it is a duplicate, never
    // that anything recovered.
    assert!(
        other.title.ends_with(&format!("duplicate of #{oldest}")),
        "{}",
        other.title
    );
    assert!(!other.body.contains("recovered"), "{}", other.body);
    assert!(other.body.contains(&format!("#{oldest}")), "{}", other.body);
    assert_eq!(forge.issues_titled(PREFIX).len(), 2, "no third issue");

    // The next run has one open issue and nothing to say.
    forge.clear_requests();
    let r = check(&dir, &forge);
    r.code(2);
    assert_eq!(r.stderr, "", "{}", r.show());
    assert_eq!(forge.writes(), 0, "{:#?}", forge.requests());
    forge.assert_clean();
}

#[test]
fn another_hosts_issue_is_never_touched() {
    let Some(forge) = gitea() else { return };
    let dir = Scratch::new();
    dir.stale("backup");
    let theirs = forge.add_issue(
        "[heartbeat-checker] web10: 1 job(s) need attention",
        "<!-- heartbeat-checker {\"host\":\"web10\",\"jobs\":{\"backup\":\"stale\"}} -->",
        &["heartbeat"],
        true,
        false,
    );
    let before = forge.issue(theirs);
    check(&dir, &forge).code(2);
    assert_eq!(open_issues(&forge).len(), 1, "web1 opens its own issue");
    dir.ok("backup");
    check(&dir, &forge).code(0);
    let after = forge.issue(theirs);
    assert_eq!(
        (after.open, after.body, after.comments.len()),
        (true, before.body, 0)
    );
    forge.assert_clean();
}

#[test]
fn a_dry_run_reads_but_sends_no_write() {
    let Some(forge) = gitea() else { return };
    let dir = Scratch::new();
    dir.stale("backup");
    let r = check_with(&dir, &forge, &[], &["--dry-run"]);
    r.code(2);
    assert_eq!(forge.writes(), 0, "{:#?}", forge.requests());
    assert!(forge.count("GET") > 0);
    let err = &r.stderr;
    assert!(
        err.contains("would create label `heartbeat`"),
        "{}",
        r.show()
    );
    assert!(
        err.contains(
            "would open an issue titled `[heartbeat-checker] web1: 1 job(s) need attention`"
        ),
        "{}",
        r.show()
    );
    assert!(forge.label_names().is_empty());

    // With an issue to close.
    check(&dir, &forge).code(2);
    dir.ok("backup");
    forge.clear_requests();
    let r = check_with(&dir, &forge, &[("HB_DRY_RUN", "true")], &[]);
    r.code(0);
    assert_eq!(forge.writes(), 0);
    assert!(r.stderr.contains("would close issue #1"), "{}", r.show());
    assert!(open_issues(&forge).len() == 1);
    forge.assert_clean();
}

#[test]
fn a_429_is_retried_after_the_time_asked() {
    let Some(forge) = gitea() else { return };
    let dir = Scratch::new();
    dir.stale("backup");
    forge.fault("GET", "/labels", Fault::TooMany(1), 1);
    let started = Instant::now();
    let r = check(&dir, &forge);
    r.code(2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After honoured"
    );
    assert_eq!(r.stderr, "", "{}", r.show());
    assert_eq!(forge.issues_titled(PREFIX).len(), 1);
    forge.assert_clean();
}

#[test]
fn forgejo_speaks_the_same_operations() {
    let Some(forge) = gitea() else { return };
    let Some(forgejo) = Spec::forgejo() else {
        return;
    };
    let dir = Scratch::new();
    dir.stale("backup");
    let kind = [("HB_TRACKER_KIND", "forgejo")];
    check_with(&dir, &forge, &kind, &[]).code(2);
    dir.stale("db");
    check_with(&dir, &forge, &kind, &[]).code(2);
    dir.ok("backup");
    dir.ok("db");
    check_with(&dir, &forge, &kind, &[]).code(0);
    assert!(forge.issues_titled(PREFIX).iter().all(|i| !i.open));
    let mut used: Vec<(String, String, String)> = forge
        .requests()
        .into_iter()
        .filter_map(|r| r.operation.map(|(t, id)| (r.method, t, id)))
        .collect();
    used.sort();
    used.dedup();
    assert!(used.len() >= 6, "{used:?}");
    for (method, template, id) in used {
        assert_eq!(
            forgejo.operation_id(&method, &template),
            Some(id.as_str()),
            "{method} {template}"
        );
    }
    forge.assert_clean();
}

#[test]
fn github_mode_follows_the_same_lifecycle() {
    let forge = Forge::start(Mode::Github, None, TOKEN);
    let dir = Scratch::new();
    dir.stale("backup");
    forge.add_issue(
        &format!("{PREFIX} a pull request"),
        "",
        &["heartbeat"],
        true,
        true,
    );
    for n in 0..105 {
        forge.add_issue(&format!("unrelated {n}"), "", &["heartbeat"], true, false);
    }
    let r = check(&dir, &forge);
    r.code(2);
    let open = open_issues(&forge);
    assert_eq!(open.len(), 1, "{}", r.show());
    assert!(open[0].open);
    let create = forge
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.path.ends_with("/issues"))
        .unwrap();
    assert_eq!(
        create.body.unwrap()["labels"],
        serde_json::json!(["heartbeat", "heartbeat:web1"])
    );

    forge.clear_requests();
    check(&dir, &forge).code(2);
    assert_eq!(forge.writes(), 0, "{:#?}", forge.requests());
    assert!(forge
        .requests()
        .iter()
        .any(|r| r.query.contains(&("page".into(), "2".into()))));

    dir.ok("backup");
    check(&dir, &forge).code(0);
    assert!(!forge.issue(open[0].number).open);
    assert!(forge
        .issues_titled(PREFIX)
        .iter()
        .filter(|i| i.is_pull)
        .all(|i| i.open));
    forge.assert_clean();
}

#[test]
fn the_checker_catches_requests_that_break_the_description() {
    type Case<'a> = (&'a str, &'a str, Vec<(String, String)>, Option<&'a [u8]>);
    let Some(spec) = Spec::gitea() else { return };
    let json = Some("application/json");
    let issues = "/api/v1/repos/ops/alerts/issues";
    let ok = spec.check_request(
        "POST",
        issues,
        &[],
        json,
        Some(br#"{"title":"t","labels":[1]}"#),
    );
    assert!(ok.1.is_empty(), "{:?}", ok.1);
    assert_eq!(ok.0.unwrap().operation_id, "issueCreateIssue");
    let cases: [Case; 8] = [
        (
            "POST",
            issues,
            vec![],
            Some(br#"{"title":"t","body":null}"#),
        ),
        (
            "POST",
            issues,
            vec![],
            Some(br#"{"title":"t","labels":["heartbeat"]}"#),
        ),
        ("POST", issues, vec![], Some(br#"{"body":"no title"}"#)),
        (
            "POST",
            issues,
            vec![],
            Some(br#"{"title":"t","colour":"red"}"#),
        ),
        ("GET", issues, vec![("per_page".into(), "50".into())], None),
        (
            "GET",
            issues,
            vec![("type".into(), "everything".into())],
            None,
        ),
        ("PUT", issues, vec![], None),
        ("GET", "/api/v1/repos/ops/alerts/issues/x", vec![], None),
    ];
    for (method, path, query, body) in cases {
        let (_, problems) = spec.check_request(method, path, &query, json, body);
        assert!(
            !problems.is_empty(),
            "{method} {path} {query:?} should be refused"
        );
    }
    let mut problems = Vec::new();
    let issue = serde_json::json!({"number": 1, "title": "t", "state": "half-open", "weird": 1});
    spec.validate(
        &serde_json::json!({"$ref": "#/definitions/Issue"}),
        &issue,
        "answer",
        &mut problems,
    );
    assert_eq!(problems.len(), 2, "{problems:?}");
}

/// Writes a heartbeat for `job` in the host subdirectory `host`, as that
/// host's hb-write would.
fn beat_in(dir: &Scratch, host: &str, job: &str, at: &str) {
    let record = format!(
        r#"{{"version":1,"job":"{job}","timestamp":"{at}","interval_seconds":300,"host":"{host}","pid":1,"status":"ok"}}"#
    );
    dir.write(&format!("{host}/{job}.last"), record);
}

fn only_issue(forge: &Forge) -> harness::forge::Issue {
    let issues = forge.issues_titled(PREFIX);
    assert_eq!(issues.len(), 1, "{issues:#?}");
    issues.into_iter().next().unwrap()
}

#[test]
fn a_create_that_times_out_is_not_sent_again() {
    let Some(forge) = gitea() else { return };
    let dir = Scratch::new();
    dir.stale("backup");
    forge.add_label("heartbeat");
    // The server takes longer than the client waits, but does create.
    forge.fault("POST", "/issues", Fault::Delay(Duration::from_secs(2)), 1);
    let r = check_with(&dir, &forge, &[], &["--tracker-timeout", "1s"]);
    // A stale job (CRITICAL) outranks the tracker failure (UNKNOWN).
    r.code(2);
    assert!(r.stderr.contains("no answer within 1s"), "{}", r.show());
    assert!(
        r.stderr.contains("the next run looks for it first"),
        "{}",
        r.show()
    );
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.show());
    assert_eq!(
        forge.count_to("POST", "/issues"),
        1,
        "{:#?}",
        forge.requests()
    );

    let deadline = Instant::now() + Duration::from_secs(5);
    while forge.issues_titled(PREFIX).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(forge.issues_titled(PREFIX).len(), 1);
    forge.clear_requests();
    check_with(&dir, &forge, &[], &["--tracker-timeout", "1s"]).code(2);
    assert_eq!(forge.writes(), 0, "{:#?}", forge.requests());
    assert_eq!(forge.issues_titled(PREFIX).len(), 1);
    forge.assert_clean();
}

#[test]
fn a_rate_limited_create_is_tried_again() {
    let Some(forge) = gitea() else { return };
    let dir = Scratch::new();
    dir.stale("backup");
    forge.add_label("heartbeat");
    // A 429 turned the request away: nothing was made, so try again.
    forge.fault("POST", "/issues", Fault::TooMany(1), 1);
    let r = check(&dir, &forge);
    r.code(2);
    assert_eq!(r.stderr, "", "{}", r.show());
    assert_eq!(forge.count_to("POST", "/issues"), 2);
    only_issue(&forge);
    forge.assert_clean();
}

#[test]
fn a_same_named_job_of_another_host_does_not_shift_the_keys() {
    let Some(forge) = gitea() else { return };
    let dir = Scratch::new();
    dir.stale("backup");
    beat_in(&dir, "web2", "backup", harness::OLD);
    check(&dir, &forge).code(2);
    let issue = only_issue(&forge);
    for row in ["| `backup` | stale |", "| `web2/backup` | stale |"] {
        assert!(issue.body.contains(row), "{}", issue.body);
    }
    assert!(
        issue
            .body
            .contains(r#""jobs":{"backup":"stale","web2/backup":"stale"}"#),
        "{}",
        issue.body
    );
    forge.close_by_hand(issue.number);

    // web2's backup recovers; this host's backup is still acknowledged.
    beat_in(&dir, "web2", "backup", harness::FRESH);
    check(&dir, &forge).code(2);
    assert!(
        open_issues(&forge).is_empty(),
        "{:#?}",
        forge.issues_titled(PREFIX)
    );
    assert!(
        forge
            .issue(issue.number)
            .body
            .contains(r#""jobs":{"backup":"stale"}"#),
        "{}",
        forge.issue(issue.number).body
    );
    forge.assert_clean();

    // With the issue open, the same recovery is the only news.
    let forge = gitea().unwrap();
    beat_in(&dir, "web2", "backup", harness::OLD);
    check(&dir, &forge).code(2);
    beat_in(&dir, "web2", "backup", harness::FRESH);
    check(&dir, &forge).code(2);
    let issue = only_issue(&forge);
    assert_eq!(issue.comments.len(), 1, "{:?}", issue.comments);
    let comment = &issue.comments[0];
    assert!(
        comment.starts_with("Recovered: `web2/backup` (was stale)."),
        "{comment}"
    );
    assert!(!comment.contains("Went bad"), "{comment}");
    forge.assert_clean();
}

#[test]
fn a_retry_after_longer_than_the_budget_stops_at_once() {
    let Some(forge) = gitea() else { return };
    let dir = Scratch::new();
    dir.stale("backup");
    forge.fault("GET", "/labels", Fault::TooMany(60), 1);
    let started = Instant::now();
    let r = check(&dir, &forge);
    // A stale job (CRITICAL) outranks the tracker failure (UNKNOWN).
    r.code(2);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(
        forge.count_to("GET", "/labels"),
        1,
        "{:#?}",
        forge.requests()
    );
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.show());
    for part in ["HTTP 429", "asked to wait 60s", "the next run tries again"] {
        assert!(r.stderr.contains(part), "`{part}` missing\n{}", r.show());
    }

    // The same wait, asked as an HTTP date.
    forge.clear_requests();
    let at = (chrono::Utc::now() + chrono::Duration::seconds(90)).to_rfc2822();
    let at = at.replace("+0000", "GMT");
    forge.fault(
        "GET",
        "/labels",
        Fault::Reply(
            429,
            vec![("Retry-After", at)],
            json!({"message": "slow down"}),
        ),
        1,
    );
    let r = check(&dir, &forge);
    // A stale job (CRITICAL) outranks the tracker failure (UNKNOWN).
    r.code(2);
    assert_eq!(
        forge.count_to("GET", "/labels"),
        1,
        "{:#?}",
        forge.requests()
    );
    assert!(r.stderr.contains("asked to wait 8"), "{}", r.show());
}

#[test]
fn a_comment_whose_answer_is_lost_is_posted_once() {
    let Some(forge) = gitea() else { return };
    let dir = Scratch::new();
    dir.stale("backup");
    check(&dir, &forge).code(2);
    dir.stale("db");
    forge.fault("POST", "/comments", Fault::LostAnswer, 1);
    let r = check(&dir, &forge);
    r.code(2);
    assert_eq!(r.stderr, "", "{}", r.show());
    let issue = only_issue(&forge);
    assert_eq!(issue.comments.len(), 1, "{:#?}", issue.comments);
    assert!(
        issue.comments[0].contains("<!-- heartbeat-checker-comment "),
        "{}",
        issue.comments[0]
    );
    assert!(issue.body.contains("| `db` | stale |"), "{}", issue.body);
    forge.assert_clean();
}

#[test]
fn a_failed_edit_after_the_comment_does_not_repeat_it() {
    let Some(forge) = gitea() else { return };
    let dir = Scratch::new();
    dir.stale("backup");
    check(&dir, &forge).code(2);
    let number = only_issue(&forge).number;

    dir.stale("db");
    forge.fault("PATCH", "/issues/1", Fault::Status(500, "boom"), 3);
    let r = check(&dir, &forge);
    // A stale job (CRITICAL) outranks the tracker failure (UNKNOWN).
    r.code(2);
    assert!(
        r.stderr.contains("HTTP 500: boom (3 attempts)"),
        "{}",
        r.show()
    );
    assert_eq!(forge.issue(number).comments.len(), 1);
    check(&dir, &forge).code(2);
    let issue = forge.issue(number);
    assert_eq!(issue.comments.len(), 1, "{:#?}", issue.comments);
    assert_eq!(issue.title, format!("{PREFIX} 2 job(s) need attention"));

    // The same when closing.
    dir.ok("backup");
    dir.ok("db");
    forge.fault("PATCH", "/issues/1", Fault::Status(500, "boom"), 3);
    check(&dir, &forge).code(3);
    assert!(forge.issue(number).open);
    check(&dir, &forge).code(0);
    let issue = forge.issue(number);
    assert!(!issue.open);
    assert_eq!(issue.comments.len(), 2, "{:#?}", issue.comments);
    assert!(
        issue.comments[1].starts_with("Recovered:"),
        "{:?}",
        issue.comments
    );
    forge.assert_clean();
}

#[test]
fn the_acknowledgement_is_on_the_issue_closed_last() {
    let Some(forge) = gitea() else { return };
    let dir = Scratch::new();
    let marker = r#"<!-- heartbeat-checker {"host":"web1","jobs":{"backup":"stale"}} -->"#;
    let title = format!("{PREFIX} 1 job(s) need attention");
    // Two open issues from an old race; a person closes the newer one.
    let older = forge.add_issue(&title, marker, &["heartbeat"], true, false);
    let newer = forge.add_issue(&title, marker, &["heartbeat"], true, false);
    forge.close_by_hand(newer);
    // backup recovers: hb-check closes the older one, after the newer.
    dir.ok("backup");
    check(&dir, &forge).code(0);
    assert!(!forge.issue(older).open);
    // backup goes bad again: what hb-check closed last holds no
    // acknowledgement, so a new issue opens.
    dir.stale("backup");
    check(&dir, &forge).code(2);
    assert_eq!(
        open_issues(&forge).len(),
        1,
        "{:#?}",
        forge.issues_titled(PREFIX)
    );
    forge.assert_clean();
}

#[test]
fn github_label_names_ignore_case() {
    let forge = Forge::start(Mode::Github, None, TOKEN);
    let dir = Scratch::new();
    dir.stale("backup");
    let id = forge.add_label("Heartbeat");
    let r = check(&dir, &forge);
    r.code(2);
    assert_eq!(
        forge.label_names(),
        vec!["Heartbeat", "heartbeat:web1"],
        "{}",
        r.show()
    );
    assert_eq!(only_issue(&forge).labels[0], id);
    forge.clear_requests();
    check(&dir, &forge).code(2);
    assert_eq!(forge.writes(), 0, "{:#?}", forge.requests());
    forge.assert_clean();
}

#[test]
fn a_label_another_run_made_meanwhile_is_used() {
    let forge = Forge::start(Mode::Github, None, TOKEN);
    let dir = Scratch::new();
    dir.stale("backup");
    // Between this run's look and its create, another host's run makes the
    // label: GitHub refuses the create with 422 already_exists.
    forge.fault("POST", "/labels", Fault::LabelAppears("heartbeat"), 1);
    let r = check(&dir, &forge);
    r.code(2);
    assert_eq!(r.stderr, "", "{}", r.show());
    assert_eq!(forge.label_names(), vec!["heartbeat", "heartbeat:web1"]);
    only_issue(&forge);
    forge.assert_clean();
}

#[test]
fn a_github_rate_limit_is_not_a_missing_scope() {
    let forge = Forge::start(Mode::Github, None, TOKEN);
    let dir = Scratch::new();
    dir.stale("backup");
    let limited = |headers: Vec<(&'static str, String)>| {
        Fault::Reply(
            403,
            headers,
            json!({ "message": "API rate limit exceeded for user ID 1." }),
        )
    };
    // The primary limit, used up for an hour: stop at once and say so.
    let reset = (chrono::Utc::now().timestamp() + 3600).to_string();
    forge.fault(
        "GET",
        "/labels",
        limited(vec![
            ("x-ratelimit-remaining", "0".into()),
            ("x-ratelimit-reset", reset),
        ]),
        1,
    );
    let r = check(&dir, &forge);
    // A stale job (CRITICAL) outranks the tracker failure (UNKNOWN).
    r.code(2);
    assert_eq!(
        forge.count_to("GET", "/labels"),
        1,
        "{:#?}",
        forge.requests()
    );
    let err = &r.stderr;
    assert!(err.contains("HTTP 403"), "{}", r.show());
    assert!(err.contains("rate limit"), "{}", r.show());
    assert!(!err.contains("scope"), "{}", r.show());

    // A secondary limit that asks for a second: tried again.
    forge.clear_requests();
    forge.fault(
        "GET",
        "/labels",
        limited(vec![("Retry-After", "1".into())]),
        1,
    );
    let r = check(&dir, &forge);
    r.code(2);
    assert_eq!(r.stderr, "", "{}", r.show());
    only_issue(&forge);
    forge.assert_clean();
}

#[test]
fn a_github_validation_error_says_what_was_refused() {
    let forge = Forge::start(Mode::Github, None, TOKEN);
    let dir = Scratch::new();
    dir.stale("backup");
    forge.add_label("heartbeat");
    forge.fault(
        "POST",
        "/issues",
        Fault::Reply(
            422,
            vec![],
            json!({
                "message": "Validation Failed",
                "errors": [{
                    "resource": "Issue",
                    "field": "title",
                    "code": "custom",
                    "message": "title is too long (maximum is 256 characters)",
                }],
            }),
        ),
        1,
    );
    let r = check(&dir, &forge);
    // A stale job (CRITICAL) outranks the tracker failure (UNKNOWN).
    r.code(2);
    assert!(
        r.stderr.contains(
            "HTTP 422: Validation Failed (Issue title: title is too long (maximum is 256 characters))"
        ),
        "{}",
        r.show()
    );
    assert_eq!(forge.count_to("POST", "/issues"), 1, "a 422 is not retried");
}

#[test]
fn a_server_that_ignores_the_page_is_an_error_not_a_duplicate() {
    let Some(forge) = gitea() else { return };
    let dir = Scratch::new();
    dir.stale("backup");
    check(&dir, &forge).code(2);
    for n in 0..60 {
        forge.add_issue(&format!("unrelated {n}"), "", &["heartbeat"], true, false);
    }
    // Our issue is on the second page, which this server never serves.
    forge.paging(Paging {
        ignore_page: true,
        ..Paging::default()
    });
    forge.clear_requests();
    let r = check(&dir, &forge);
    // A stale job (CRITICAL) outranks the tracker failure (UNKNOWN).
    r.code(2);
    assert!(
        r.stderr.contains("ignores the `page` parameter"),
        "{}",
        r.show()
    );
    assert_eq!(forge.writes(), 0, "{:#?}", forge.requests());
    assert_eq!(forge.issues_titled(PREFIX).len(), 1);
    forge.assert_clean();
}

#[test]
fn short_pages_without_a_total_are_read_to_the_end() {
    let Some(forge) = gitea() else { return };
    let dir = Scratch::new();
    dir.stale("backup");
    check(&dir, &forge).code(2);
    for n in 0..30 {
        forge.add_issue(&format!("unrelated {n}"), "", &["heartbeat"], true, false);
    }
    // A proxy that pages by 20 and drops X-Total-Count.
    forge.paging(Paging {
        cap: Some(20),
        no_total: true,
        ..Paging::default()
    });
    forge.clear_requests();
    check(&dir, &forge).code(2);
    assert_eq!(forge.writes(), 0, "{:#?}", forge.requests());
    assert_eq!(forge.issues_titled(PREFIX).len(), 1);
    forge.assert_clean();
}

#[test]
fn open_for_counts_to_the_judging_instant() {
    let Some(forge) = gitea() else { return };
    let dir = Scratch::new();
    dir.stale("backup");
    check(&dir, &forge).code(2);
    let issue = only_issue(&forge);
    dir.ok("backup");
    check(&dir, &forge).code(0);
    let opened = chrono::DateTime::parse_from_rfc3339(&issue.created_at).unwrap();
    let now = chrono::DateTime::parse_from_rfc3339(NOW).unwrap();
    let open_for = cron_heartbeat::record::format_duration((now - opened).num_seconds() as u64);
    let comment = &forge.issue(issue.number).comments[0];
    assert!(
        comment.contains(&format!("This issue was open for {open_for}.")),
        "{comment}"
    );
    forge.assert_clean();
}

#[test]
fn a_tracker_url_with_a_password_is_refused_without_showing_it() {
    let Some(forge) = gitea() else { return };
    let dir = Scratch::new();
    dir.stale("backup");
    let url = forge.url().replace("http://", "http://hb:pw-s3cr3t@");
    let r = check_with(&dir, &forge, &[("HB_TRACKER_URL", &url)], &[]);
    // A stale job (CRITICAL) outranks the tracker failure (UNKNOWN).
    r.code(2);
    assert!(r.stdout.contains("backup stale"), "{}", r.show());
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.show());
    assert!(r.stderr.contains("user name or password"), "{}", r.show());
    assert!(!r.stderr.contains("pw-s3cr3t"), "{}", r.show());
    assert!(forge.requests().is_empty(), "{:#?}", forge.requests());
}

#[test]
fn a_dry_run_shows_no_control_bidi_or_zero_width_character_raw() {
    let Some(forge) = gitea() else { return };
    let dir = Scratch::new();
    let hostile = "disk\u{1b}[2J full\u{85}\u{202e}gnp.exe\u{200b}\u{61c}\r";
    let message = serde_json::to_string(hostile).unwrap();
    dir.write(
        "backup.last",
        harness::record(
            "backup",
            harness::OLD,
            300,
            "fail",
            &format!(r#","message":{message}"#),
        ),
    );
    let r = check_with(&dir, &forge, &[], &["--dry-run"]);
    r.code(2);
    assert!(r.stderr.contains("would open an issue"), "{}", r.show());
    let raw: Vec<char> = r
        .stderr
        .chars()
        .filter(|c| cron_heartbeat::escape::is_unsafe(*c) && *c != '\n')
        .collect();
    assert!(raw.is_empty(), "raw {raw:?}{}", r.show());
}
