//! The words of the alert issue, tested.

use super::*;
use crate::alert::Jobs;
use crate::fleet::parse_quorum;
use crate::fleet::tests::row;

#[test]
fn untrusted_text_is_an_inert_code_span() {
    assert_eq!(inert("@admin"), "`@admin`");
    assert_eq!(inert("see #1 https://x.test"), "`see #1 https://x.test`");
    assert_eq!(inert("a`b"), "``a`b``");
    assert_eq!(inert("`x``"), "``` `x`` ```");
    assert_eq!(inert("line\nBcc: x"), "`line\\u{a}Bcc: x`");
    assert_eq!(inert(""), "-");
    assert_eq!(inert_cell("a|b"), "`a\\|b`");
}

#[test]
fn titles_end_the_host_with_a_colon() {
    assert_eq!(
        title("web1", 2),
        "[heartbeat-checker] web1: 2 job(s) need attention"
    );
    assert!(!title("web10", 1).starts_with(&title_prefix("web1")));
    let closed_title = |_: &str, paused: usize, recovered: usize| {
        let recovered = vec![("r".to_owned(), Status::Stale); recovered];
        let paused = vec![("p".to_owned(), None); paused];
        closing("web1", &[], &recovered, &paused, None, Utc::now()).1
    };
    assert!(closed_title("web1", 0, 1).starts_with(&title_prefix("web1")));
    assert_eq!(
        closed_title("web1", 0, 3),
        "[heartbeat-checker] web1: all jobs recovered"
    );
    assert_eq!(
        closed_title("web1", 1, 2),
        "[heartbeat-checker] web1: 1 job(s) paused, others recovered"
    );
    assert_eq!(
        closed_title("web1", 2, 0),
        "[heartbeat-checker] web1: 2 job(s) paused"
    );
}

#[test]
fn host_labels_are_short_and_safe() {
    assert_eq!(host_label("heartbeat", "web1"), "heartbeat:web1");
    let odd = host_label("heartbeat", "web,1");
    assert!(
        odd.starts_with("heartbeat:host-") && !odd.contains(','),
        "{odd}"
    );
    assert_ne!(odd, host_label("heartbeat", "web,2"));
    assert!(host_label("heartbeat", &"h".repeat(200)).len() <= 50);
}

#[test]
fn bodies_render_heartbeat_text_inert_and_carry_the_marker() {
    let mut j = Judgement::missing("back|up");
    j.reason = Some("@admin see #1 at https://evil.test <b>|".into());
    let mut late = Judgement::missing("slow");
    late.status = Status::Stale;
    late.ratio = Some(0.04);
    late.reason = None;
    let text = body("web1", &[j, late], &crate::fleet::NONE, Utc::now());
    assert!(
        text.contains("| `back\\|up` | missing | - | - | - |"),
        "{text}"
    );
    assert!(
        text.contains("| `@admin see #1 at https://evil.test <b>\\|` |"),
        "{text}"
    );
    assert!(
        text.contains("| `slow` | stale | - | - | 0.0x | - |"),
        "{text}"
    );
    assert!(text.contains("hb-write --retire JOB"));
    let marker = marker::parse(&text).unwrap();
    assert_eq!(marker.1.len(), 2);
}

#[test]
fn a_closed_body_says_all_recovered() {
    let recovered = [("backup".into(), Status::Stale)];
    let (_, _, text) = closing("web1", &[], &recovered, &[], None, Utc::now());
    assert!(text.starts_with("All jobs on `web1` recovered"), "{text}");
    assert!(!text.contains("need attention"), "{text}");
    assert_eq!(marker::parse(&text).unwrap().1, Jobs::new());
}

#[test]
fn open_for_counts_to_the_judging_instant() {
    let opened = DateTime::parse_from_rfc3339("2026-11-22T01:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let now = opened + chrono::Duration::minutes(150);
    let (text, _, _) = closing("web1", &[], &[], &[], Some(opened), now);
    assert!(text.contains("open for 2h 30m"), "{text}");
    assert!(closing("web1", &[], &[], &[], Some(now), opened)
        .0
        .contains("open for 0s"));
}

fn paused_backup() -> Judgement {
    let mut j = Judgement::missing("backup");
    j.status = Status::Paused;
    j.host = Some("web1".into());
    let since = DateTime::parse_from_rfc3339("2026-11-22T04:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    j.pause = Some(Box::new(
        crate::pause::Pause::new(Some("backup"), since, 7200, Some("@ops disk swap")).unwrap(),
    ));
    j
}

#[test]
fn a_paused_job_is_said_paused_never_recovered() {
    let jobs = [paused_backup()];
    let was = [("backup".to_owned(), Status::Stale)];
    let mail = [("mail".to_owned(), Status::Failed)];
    let diff = crate::alert::Diff {
        left: mail.to_vec(),
        ..Default::default()
    };
    let update = update_comment("web1", &jobs, &crate::fleet::NONE, &diff, &was);
    assert!(
        update.contains(
            "Paused, not recovered: `backup` paused until 2026-11-22T06:00:00Z (`@ops disk swap`) (was stale)."
        ),
        "{update}"
    );
    assert!(
        update.contains("Recovered: `mail` (was failed)."),
        "{update}"
    );
    let was_closing = [("backup".to_owned(), Some(Status::Stale))];
    let (close, _, _) = closing("web1", &jobs, &[], &was_closing, None, Utc::now());
    assert!(
        close.starts_with("Paused, not recovered: `backup` paused until"),
        "{close}"
    );
    assert!(!close.contains("recovered."), "{close}");
    assert!(!close.contains("Every job recovered"), "{close}");
    let (_, _, body) = closing("web1", &jobs, &mail, &was_closing, None, Utc::now());
    assert!(
        body.starts_with("No job on `web1` needs attention by "),
        "{body}"
    );
    assert!(
        body.contains("`backup` paused until 2026-11-22T06:00:00Z (`@ops disk swap`) (was stale), others recovered."),
        "{body}"
    );
    assert!(!body.contains("All jobs"), "{body}");
    assert_eq!(marker::parse(&body).unwrap().1, Jobs::new());
    let mut host_wide = paused_backup();
    host_wide.pause.as_mut().unwrap().job = None;
    let earlier = [("backup".to_owned(), None)];
    let (_, _, body) = closing("web1", &[host_wide], &[], &earlier, None, Utc::now());
    assert!(
        body.contains("2026-11-22T06:00:00Z (host-wide) (`@ops disk swap`)."),
        "{body}"
    );
    assert!(!body.contains("others recovered"), "{body}");
}

#[test]
fn a_reminder_names_how_long_each_job_has_been_bad() {
    let mut stale = Judgement::missing("backup");
    stale.status = Status::Stale;
    stale.age_seconds = Some(2 * 86_400 + 3 * 3600);
    let mut failed = Judgement::missing("db@x");
    failed.status = Status::Failed;
    failed.age_seconds = Some(3600);
    failed.consecutive_failures = Some(3);
    let ghost = Judgement::missing("ghost");
    let mut fine = Judgement::missing("fine");
    fine.status = Status::Ok;
    let text = reminder("web1", &[stale, failed, ghost, fine], 86_400 + 60, 86_400);
    assert!(
        text.starts_with("Reminder: this issue has been open for 1d 1m; hb-check reminds every 1d"),
        "{text}"
    );
    assert!(
        text.contains("- `backup` stale: silent for 2d 3h\n"),
        "{text}"
    );
    assert!(
        text.contains("- `db@x` failed: failed since its last run 1h ago, 3 runs in a row\n"),
        "{text}"
    );
    assert!(
        text.contains("- `ghost` missing: no usable heartbeat\n"),
        "{text}"
    );
    assert!(!text.contains("fine"), "{text}");
}

#[test]
fn lists_of_thousands_of_jobs_are_named_within_a_bound_and_counted_past_it() {
    let many: Vec<(String, Status)> = (0..10_000)
        .map(|i| (format!("job-{i:05}"), Status::Stale))
        .collect();
    let text = list(&many);
    assert!(text.len() <= LIST_MAX_CHARS + 20, "{}", text.len());
    assert!(
        text.starts_with("`job-00000` (was stale), `job-00001`"),
        "{text}"
    );
    let named = text.matches("(was stale)").count();
    assert!(
        text.ends_with(&format!(" and {} more", 10_000 - named)),
        "{text}"
    );
    let two = || ["ab".to_owned(), "cd".to_owned()].into_iter();
    let more = |left| format!(" +{left}");
    assert_eq!(within(two(), ", ", 6, more), "ab, cd");
    assert_eq!(within(two(), ", ", 5, more), "ab +1");
}

#[test]
fn went_bad_names_a_group_once_and_other_jobs_by_their_key() {
    let jobs = vec![
        row("web1", "backup", Status::Stale),
        row("web2", "backup", Status::Stale),
        row("web3", "backup", Status::Stale),
        row("web4", "backup", Status::Failed),
        row("web5", "backup", Status::Ok),
    ];
    let fleet = Fleet::of(&jobs, "central", &[]);
    let items: Vec<(String, Status)> = jobs[..4]
        .iter()
        .map(|j| (alert_key("central", j), j.status))
        .collect();
    assert_eq!(
        went_bad("central", &jobs, &fleet, &items),
        "`backup` stale on 3 of 5 hosts: `web1..web3`, `web4/backup` (failed)"
    );
    // Without groups, every job by its key, as before.
    assert_eq!(
        went_bad("central", &jobs, &crate::fleet::NONE, &items[3..]),
        "`web4/backup` (failed)"
    );
}

#[test]
fn the_summary_says_unmet_quorum_rules_and_alerting_groups() {
    let jobs = vec![
        row("web1", "backup", Status::Stale),
        row("web2", "backup", Status::Stale),
        row("web1", "sync", Status::Late),
        row("web2", "sync", Status::Late),
    ];
    assert_eq!(summary(&Fleet::of(&jobs[2..], "c", &[])), "");
    let rules = [parse_quorum("backup=2").unwrap()];
    let text = summary(&Fleet::of(&jobs, "c", &rules));
    assert_eq!(
        text,
        "Across hosts:\n\n\
         - `backup` is below its quorum: ok on 0 of 2 hosts, at least 2 needed (not ok: `web1, web2`)\n\
         - `backup` stale on 2 of 2 hosts: `web1, web2`\n\n"
    );
}
