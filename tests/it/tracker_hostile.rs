//! The tracker against a long history, a hostile server and hostile text:
//! bounded requests, bounded answers, bounded time, no panic, no token in
//! any form, only our own words trusted, inert heartbeat text, one issue
//! per host. The real hb-check against the spec-checking fake forge.

use crate::harness;

use std::path::Path;
use std::time::{Duration, Instant};

use harness::forge::{gitea, Fault, Forge, Paging, BOT, PREFIX};
use harness::{skip, Outcome, Scratch, HB_CHECK, NOW};

/// GNU time, which reports a run's peak memory.
const TIME: &str = "/usr/bin/time";

/// The most memory a run against a hostile server may take.
const MAX_RSS_KIB: u64 = 64 * 1024;

fn check_with(dir: &Scratch, forge: &Forge, extra: &[(&str, &str)], args: &[&str]) -> Outcome {
    forge.check_with(dir, extra, args)
}

fn check(dir: &Scratch, forge: &Forge) -> Outcome {
    forge.check_with(dir, &[], &[])
}

fn open_issues(forge: &Forge) -> Vec<harness::forge::Issue> {
    forge.open_issues()
}

/// Runs hb-check against `forge` under GNU time (`/usr/bin/time -v`) and
/// asserts that its peak resident memory stays under 64 MiB; prints the
/// figure. Without GNU time the test skips that part visibly.
fn measured(dir: &Scratch, forge: &Forge, args: &[&str], what: &str) -> Outcome {
    if !Path::new(TIME).exists() {
        skip::skip("GNU time is not installed (Debian package `time`; see .ci/run)");
        return check_with(dir, forge, &[], args);
    }
    let report = dir.root().join("time.txt");
    let r = dir
        .cmd(TIME)
        .arg("-v")
        .arg("-o")
        .arg(&report)
        .arg(HB_CHECK)
        .args(args)
        .env("HB_DIR", dir.hb())
        .env("HB_NOW", NOW)
        .envs(forge.env())
        .run();
    r.no_token();
    let text = std::fs::read_to_string(&report).unwrap_or_default();
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(name))
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    let rss: u64 = field("Maximum resident set size (kbytes):")
        .parse()
        .unwrap_or_else(|_| panic!("no peak memory in GNU time's report:\n{text}"));
    eprintln!(
        "{what}: peak RSS {:.1} MiB, wall {}",
        rss as f64 / 1024.0,
        field("Elapsed (wall clock) time (h:mm:ss or m:ss):")
    );
    assert!(rss < MAX_RSS_KIB, "{what}: peak RSS {rss} KiB{}", r.show());
    r
}

/// Asserts that a failed sync ended with exit 3 and one line naming `part`.
#[track_caller]
fn one_tracker_error(r: &Outcome, part: &str) {
    r.code(3);
    assert_eq!(r.stderr.lines().count(), 1, "one line{}", r.show());
    assert!(r.stderr.starts_with("hb-check: "), "{}", r.show());
    assert!(r.stderr.contains(part), "`{part}` missing{}", r.show());
}

#[test]
fn a_long_closed_history_costs_a_fixed_number_of_requests() {
    let Some(forge) = gitea() else { return };
    // 12,000 closed alerts of 40 other hosts, as years of a busy repo leave.
    for n in 0..12_000 {
        let host = format!("host{}", n % 40);
        forge.add_issue(
            &format!("[heartbeat-checker] {host}: 1 job(s) need attention"),
            &format!("<!-- heartbeat-checker {{\"host\":\"{host}\",\"jobs\":{{}}}} -->"),
            &["heartbeat", &format!("heartbeat:{host}")],
            false,
            false,
        );
    }
    let dir = Scratch::new();
    dir.ok("backup");
    let mut counts = Vec::new();
    let mut run = |what: &str, code: i32| {
        forge.clear_requests();
        measured(&dir, &forge, &[], what).code(code);
        let n = forge.requests().len();
        eprintln!("requests with 12,000 closed issues, {what}: {n}");
        counts.push((what.to_owned(), n));
    };
    run("no open issue, all ok", 0);
    dir.stale("backup");
    run("a job goes bad: the issue opens", 2);
    run("one open issue, unchanged", 2);
    assert_eq!(open_issues(&forge).len(), 1);
    let number = open_issues(&forge)[0].number;
    forge.close_by_hand(number);
    run("closed by hand: the acknowledgement holds", 2);
    assert!(open_issues(&forge).is_empty(), "the acknowledgement holds");
    dir.ok("backup");
    run("the job recovers: the acknowledgement shrinks", 0);
    run("no open issue, all ok, again", 0);
    for (what, n) in &counts {
        assert!(*n <= 8, "{what}: {n} requests");
    }
    forge.assert_clean();
}

#[test]
fn an_endless_body_ends_within_the_budget() {
    let Some(forge) = gitea() else { return };
    let dir = Scratch::new();
    dir.ok("backup");
    forge.fault("GET", "/labels", Fault::Endless(200), 1);
    let started = Instant::now();
    let r = measured(&dir, &forge, &["--tracker-timeout", "5s"], "endless body");
    one_tracker_error(&r, "longer than the 4 MiB the client reads");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_huge_error_body_keeps_its_status() {
    let Some(forge) = gitea() else { return };
    let dir = Scratch::new();
    dir.ok("backup");
    forge.fault("GET", "/labels", Fault::Huge(500, 200 << 20), 3);
    forge.fault("GET", "/labels", Fault::Endless(503), 3);
    let r = measured(
        &dir,
        &forge,
        &["--tracker-timeout", "5s"],
        "200 MiB body on a 500",
    );
    one_tracker_error(&r, "HTTP 500");
    let r = measured(
        &dir,
        &forge,
        &["--tracker-timeout", "5s"],
        "endless body on a 503",
    );
    one_tracker_error(&r, "HTTP 503");
}

#[test]
fn a_trickling_body_is_cut_at_the_timeout() {
    let Some(forge) = gitea() else { return };
    let dir = Scratch::new();
    dir.ok("backup");
    // Headers at once, then a byte every 200 ms: each byte well within any
    // per-read timeout, the whole far beyond the request's.
    forge.fault(
        "GET",
        "/labels",
        Fault::Trickle(Duration::from_millis(200)),
        3,
    );
    let started = Instant::now();
    let r = measured(&dir, &forge, &["--tracker-timeout", "1s"], "trickling body");
    let took = started.elapsed();
    one_tracker_error(&r, "did not arrive whole within 1s");
    // Three attempts of a second each, and two short waits.
    assert!(took < Duration::from_secs(7), "took {took:?}");
}

#[test]
fn one_item_pages_with_a_huge_total_stop_at_the_page_limit() {
    let Some(forge) = gitea() else { return };
    let dir = Scratch::new();
    dir.ok("backup");
    for n in 0..30 {
        forge.add_issue(&format!("unrelated {n}"), "", &["heartbeat"], true, false);
    }
    forge.paging(Paging {
        cap: Some(1),
        total: Some(1_000_000),
        ..Paging::default()
    });
    let started = Instant::now();
    let r = measured(&dir, &forge, &[], "one-item pages, total 1,000,000");
    one_tracker_error(&r, "past 20 pages");
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(forge.requests().len() <= 25, "{}", forge.requests().len());
}

#[test]
fn a_huge_retry_after_and_a_huge_timeout_do_not_panic() {
    let Some(forge) = gitea() else { return };
    let dir = Scratch::new();
    dir.ok("backup");
    forge.fault(
        "GET",
        "/labels",
        Fault::Reply(
            429,
            vec![("Retry-After", "18446744073709551615".into())],
            serde_json::json!({"message": "slow down"}),
        ),
        1,
    );
    let r = check(&dir, &forge);
    one_tracker_error(&r, "asked to wait 3600s");
    for timeout in ["10000000000000000000", "18446744073709551615", "1w"] {
        let r = check_with(&dir, &forge, &[], &["--tracker-timeout", timeout]);
        r.code(3);
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.show());
        assert!(!r.stderr.contains("panicked"), "{}", r.show());
        assert!(r.stderr.contains("--tracker-timeout"), "{}", r.show());
    }
}

/// Whether `text` holds `token` in any letter case, with any white space
/// inside.
fn holds(text: &str, token: &str) -> bool {
    let squeeze = |t: &str| -> String {
        t.chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_lowercase)
            .collect()
    };
    squeeze(text).contains(&squeeze(token))
}

#[test]
fn an_echoed_token_never_shows_in_any_case_or_split() {
    let Some(forge) = gitea() else { return };
    let dir = Scratch::new();
    dir.ok("backup");
    forge.fault("GET", "/labels", Fault::EchoAuthMangled, 1);
    let r = check(&dir, &forge);
    one_tracker_error(&r, "HTTP 401");
    assert!(!holds(&r.stderr, forge.token()), "{}", r.show());
    assert!(
        r.stderr.contains("bad credentials: BEARER <redacted>"),
        "{}",
        r.show()
    );
}

#[test]
fn a_one_character_token_mangles_no_message_and_never_shows() {
    let spec = harness::swagger::Spec::gitea();
    let Some(spec) = spec else { return };
    let forge = Forge::start(harness::forge::Mode::Gitea, Some(spec.into()), "t");
    let dir = Scratch::new();
    dir.ok("backup");
    forge.fault("GET", "/labels", Fault::EchoAuthMangled, 1);
    let r = check(&dir, &forge);
    one_tracker_error(&r, "HTTP 401");
    assert!(
        !r.stderr.contains("Bearer t") && !r.stderr.contains("BEARER T"),
        "{}",
        r.show()
    );
    assert!(r.stderr.contains("withheld"), "{}", r.show());
    assert!(
        r.stderr.contains("tracker request GET"),
        "not mangled{}",
        r.show()
    );
    // A message of our own, with the letter everywhere, comes out whole.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let r = check_with(&dir, &forge, &[("HB_TRACKER_URL", url.as_str())], &[]);
    one_tracker_error(&r, "cannot connect");
    assert!(!r.stderr.contains("<redacted>"), "{}", r.show());
}

#[test]
fn a_tag_copied_by_another_account_does_not_suppress_the_comment() {
    let Some(forge) = gitea() else { return };
    let dir = Scratch::new();
    dir.stale("backup");
    check(&dir, &forge).code(2);
    let number = open_issues(&forge)[0].number;
    dir.stale("db");
    check(&dir, &forge).code(2);
    dir.ok("db");
    check(&dir, &forge).code(2);
    // Someone copies the tag of the "db went bad" comment into their own.
    let issue = forge.issue(number);
    let copied = issue.comments[0].rsplit("\n\n").next().unwrap().to_owned();
    assert!(
        copied.starts_with("<!-- heartbeat-checker-comment "),
        "{copied}"
    );
    forge.add_comment_by(number, "mallory", &format!("me too\n\n{copied}"));
    dir.stale("db");
    check(&dir, &forge).code(2);
    let issue = forge.issue(number);
    assert_eq!(issue.comments.len(), 4, "{:#?}", issue.comments);
    assert!(
        issue.comments[3].contains("Went bad: `db` (stale)."),
        "{:#?}",
        issue.comments
    );
    forge.assert_clean();
}

#[test]
fn a_marker_in_someone_elses_issue_is_no_acknowledgement() {
    let Some(forge) = gitea() else { return };
    let dir = Scratch::new();
    dir.stale("backup");
    let forged = forge.add_issue_by(
        "mallory",
        &format!("{PREFIX} 1 job(s) need attention"),
        "<!-- heartbeat-checker {\"host\":\"web1\",\"jobs\":{\"backup\":\"stale\"}} -->",
        &["heartbeat", "heartbeat:web1"],
        false,
        false,
    );
    let theirs = forge.add_issue_by(
        "mallory",
        &format!("{PREFIX} 1 job(s) need attention"),
        "<!-- heartbeat-checker {\"host\":\"web1\",\"jobs\":{\"backup\":\"stale\"}} -->",
        &["heartbeat"],
        true,
        false,
    );
    check(&dir, &forge).code(2);
    let open: Vec<_> = open_issues(&forge)
        .into_iter()
        .filter(|i| i.author == BOT)
        .collect();
    assert_eq!(open.len(), 1, "a forged acknowledgement holds nothing back");
    assert!(
        forge.issue(theirs).comments.is_empty(),
        "their issue is not ours to edit"
    );
    assert!(forge.issue(forged).comments.is_empty());
    forge.assert_clean();
}

/// `text` without its code spans (a run of backticks to the same run).
fn outside_code(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('`') {
        out.push_str(&rest[..start]);
        let ticks = rest[start..].chars().take_while(|c| *c == '`').count();
        let fence = "`".repeat(ticks);
        let after = &rest[start + ticks..];
        if let Some(end) = after.find(&fence) {
            rest = &after[end + ticks..];
        } else {
            rest = after;
            break;
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn heartbeat_text_reaches_the_issue_inert() {
    let Some(forge) = gitea() else { return };
    let dir = Scratch::new();
    dir.write("@admin #1 www.evil.test.last", "not a record");
    dir.stale("backup");
    dir.write(
        "@root/backup.last",
        harness::record("backup", harness::OLD, 300, "ok", "").replace("web1", "@root"),
    );
    // A directory that is not named after a host makes its heartbeats
    // invalid (the name still reaches the issue, inert); a plain stale job
    // gives the ratio.
    dir.stale("sync");
    let r = check_with(&dir, &forge, &[("HB_EXPECT", "ghost")], &[]);
    r.code(2);
    let issue = &open_issues(&forge)[0];
    assert!(issue.body.contains("@admin"), "{}", issue.body);
    // The marker is an HTML comment, which renders as nothing; it carries
    // the names as JSON escapes all the same.
    let marker = &issue.body[issue.body.rfind("<!--").unwrap()..];
    assert!(!marker.contains('@') && !marker.contains('#'), "{marker}");
    let live = outside_code(&issue.body[..issue.body.rfind("<!--").unwrap()]);
    for bad in ["@admin", "@root", "#1", "www.evil", "https://"] {
        assert!(!live.contains(bad), "`{bad}` is live in:\n{}", issue.body);
    }
    // The wording of every other output: ratios with one decimal, `-`.
    assert!(
        issue.body.contains("| `ghost` | missing | - | - | - |"),
        "{}",
        issue.body
    );
    assert!(issue.body.contains(" | 12.0x | "), "{}", issue.body);
    forge.assert_clean();
}

#[test]
fn a_closed_issue_says_all_recovered() {
    let Some(forge) = gitea() else { return };
    let dir = Scratch::new();
    dir.stale("backup");
    check(&dir, &forge).code(2);
    let number = open_issues(&forge)[0].number;
    dir.ok("backup");
    check(&dir, &forge).code(0);
    let issue = forge.issue(number);
    assert!(!issue.open);
    assert!(
        issue.body.starts_with("All jobs on `web1` recovered"),
        "{}",
        issue.body
    );
    assert!(!issue.body.contains("need attention"), "{}", issue.body);
    assert!(!issue.title.contains("need attention"), "{}", issue.title);
    forge.assert_clean();
}

#[test]
fn two_checkers_as_one_host_end_with_one_open_issue() {
    let Some(forge) = gitea() else { return };
    let (a, b) = (Scratch::new(), Scratch::new());
    a.stale("backup");
    b.stale("backup");
    // The labels exist (a race on them is another story); each create waits
    // a second before it is made, so both checkers look, find nothing and
    // create.
    forge.add_label("heartbeat");
    forge.add_label("heartbeat:web1");
    forge.fault("POST", "/issues", Fault::Delay(Duration::from_secs(1)), 2);
    let runs: Vec<_> = [&a, &b].iter().map(|s| forge.hb_check(s).spawn()).collect();
    for ((child, shown), s) in runs.into_iter().zip([&a, &b]) {
        let r = Outcome::new(shown, Some(s.root()), child.wait_with_output().unwrap());
        r.code(2).no_token();
    }
    assert_eq!(open_issues(&forge).len(), 2, "the race made two issues");
    let r = check(&a, &forge);
    r.code(2);
    assert!(r.stderr.contains("warning: closed issue #"), "{}", r.show());
    let open = open_issues(&forge);
    assert_eq!(open.len(), 1, "{open:#?}");
    let closed: Vec<_> = forge
        .issues_titled(PREFIX)
        .into_iter()
        .filter(|i| !i.open)
        .collect();
    assert_eq!(closed.len(), 1);
    assert!(closed[0].comments[0].contains(&format!("#{}", open[0].number)));
    check(&b, &forge).code(2);
    assert_eq!(open_issues(&forge).len(), 1);
    forge.assert_clean();
}

#[test]
fn a_token_that_cannot_read_its_account_says_which_scope() {
    let Some(forge) = gitea() else { return };
    let dir = Scratch::new();
    dir.ok("backup");
    forge.fault(
        "GET",
        "/user",
        Fault::Status(
            403,
            "token does not have at least one of required scope(s): [read:user]",
        ),
        1,
    );
    let r = check(&dir, &forge);
    one_tracker_error(&r, "give it the `read:user` scope");
    assert!(!r.stderr.contains("write:issue"), "{}", r.show());
}

/// GitHub's most characters in an issue body or a comment.
const GITHUB_TEXT_MAX: usize = 65_536;

/// Asserts that the issue's body and every comment on it fit in GitHub's
/// limit.
#[track_caller]
fn within_github(issue: &harness::forge::Issue) {
    let body = issue.body.chars().count();
    assert!(body <= GITHUB_TEXT_MAX, "a body of {body} characters");
    for comment in &issue.comments {
        let len = comment.chars().count();
        assert!(len <= GITHUB_TEXT_MAX, "a comment of {len} characters");
    }
}

#[test]
fn ten_thousand_bad_jobs_open_update_and_close_one_issue_within_githubs_limit() {
    let forge = harness::forge::github();
    let dir = Scratch::new();
    // Long names, so that naming every one would be far past the limit.
    let job = |i: usize| format!("nightly-export-of-customer-partition-{i:05}");
    for i in 0..10_000 {
        dir.stale(&job(i));
    }
    check(&dir, &forge).code(2);
    let issues = open_issues(&forge);
    assert_eq!(issues.len(), 1);
    let number = issues[0].number;
    within_github(&issues[0]);
    assert!(
        issues[0]
            .body
            .contains("need attention and are not listed here"),
        "{}",
        &issues[0].body[..2000]
    );
    assert!(
        issues[0].title.contains("10000 job(s)"),
        "{}",
        issues[0].title
    );
    // Nothing changed: nothing is posted, though the marker names only
    // the first jobs.
    let writes = forge.writes();
    check(&dir, &forge).code(2);
    assert_eq!(forge.writes(), writes, "a second run posts nothing");
    // A job named in the marker and one past it change: one update.
    dir.beat(&job(3), NOW, "fail");
    dir.beat(&job(9_000), NOW, "fail");
    check(&dir, &forge).code(2);
    let issue = forge.issue(number);
    within_github(&issue);
    assert_eq!(issue.comments.len(), 1, "{:?}", issue.comments);
    assert!(issue.comments[0].contains("00003"), "{}", issue.comments[0]);
    assert!(issue.comments[0].contains("00003` (stale \u{2192} failed)"));
    // The change past the named jobs costs its digest's bucket (a few
    // dozen jobs read as gone bad), not the thousands past them.
    assert!(issue.comments[0].contains("09000` (failed)"));
    assert!(
        !issue.comments[0].contains(" more"),
        "{}",
        issue.comments[0]
    );
    let writes = forge.writes();
    check(&dir, &forge).code(2);
    assert_eq!(forge.writes(), writes, "and then nothing again");
    // Every job recovers: the issue closes.
    for i in 0..10_000 {
        dir.ok(&job(i));
    }
    check(&dir, &forge).code(0);
    let issue = forge.issue(number);
    assert!(!issue.open);
    within_github(&issue);
    assert!(open_issues(&forge).is_empty());
    forge.assert_clean();
}
