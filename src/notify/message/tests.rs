use super::*;
use crate::alert::Jobs;
use crate::changes;
use crate::judge::Judgement;
use crate::notify::compose::{changes, Facts};
use chrono::TimeZone;
use std::collections::BTreeMap;

/// No job spoken for by a group.
static NONE: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + seconds, 0).unwrap()
}

fn job(name: &str, status: Status, message: Option<&str>) -> Judgement {
    Judgement {
        host: Some("web1".to_owned()),
        status,
        message: message.map(str::to_owned),
        reason: Some(format!("{status} for a test")),
        ..Judgement::missing(name)
    }
}

/// A message of one stale job whose last run left `text`.
pub(crate) fn sample(text: &str) -> Message {
    let jobs = [job("backup", Status::Stale, Some(text))];
    let facts = Facts::new("web1", "hb-check", &jobs, &[], &NONE, at(0));
    let bad: Jobs = [("web1/backup".to_owned(), Status::Stale)].into();
    let diff = crate::alert::diff(&Jobs::new(), &bad);
    changes(&facts, &BTreeMap::new(), &diff, &bad)
}

/// Jobs of host web1, by name and status.
fn web1(pairs: &[(&str, Status)]) -> Jobs {
    pairs
        .iter()
        .map(|(k, s)| (format!("web1/{k}"), *s))
        .collect()
}

fn facts_of<'a>(
    jobs: &'a [Judgement],
    since: &'a (dyn Fn(&str) -> Option<DateTime<Utc>> + Sync),
) -> Facts<'a> {
    Facts {
        since,
        ..Facts::new("web1", "hb-check", jobs, &[], &NONE, at(0))
    }
}

#[test]
fn a_change_names_every_job_once_with_what_it_was_and_since_when() {
    let jobs = [
        job("a", Status::Stale, None),
        job("b", Status::Failed, Some("disk full\n")),
        job("c", Status::Ok, None),
        job("d", Status::Paused, None),
    ];
    let since = |key: &str| (key == "web1/a").then(|| at(-60));
    let before = web1(&[
        ("a", Status::Late),
        ("b", Status::Stale),
        ("c", Status::Missing),
        ("d", Status::Stale),
    ]);
    let was = web1(&[
        ("b", Status::Stale),
        ("c", Status::Missing),
        ("d", Status::Stale),
        ("e", Status::Invalid),
    ]);
    let now = web1(&[("a", Status::Stale), ("b", Status::Failed)]);
    let diff = crate::alert::diff(&was, &now);
    let m = changes(&facts_of(&jobs, &since), &before, &diff, &now);
    assert_eq!((m.event, m.severity), (Event::Alert, Severity::Critical));
    assert_eq!(m.title, "[web1] 2 jobs need attention: a stale, b failed");
    assert_eq!(
        m.text,
        "a: stale (was late) since 2027-01-15 07:59 UTC; stale for a test\n\
         b: failed (was stale); failed for a test; message: disk full\n\
         c: recovered, ok (was missing); ok for a test\n\
         d: paused (was stale); paused for a test\n\
         e: no longer reported (was invalid)\n"
    );
    assert_eq!(
        m.change_list(),
        "a late stale\nb stale failed\nc missing ok\nd stale paused\ne invalid -\n"
    );
    let json: serde_json::Value = serde_json::from_slice(&json(&m)).unwrap();
    assert_eq!(json["version"], 1);
    assert_eq!(json["changes"][4]["to"], serde_json::Value::Null);
    assert_eq!(json["changes"][0]["since"], "2027-01-15T07:59:00Z");
    assert_eq!(json["counts"]["paused"], 1);
}

#[test]
fn recoveries_and_reminders_say_so_and_chat_text_is_inert() {
    let jobs = [job("a", Status::Ok, None), job("b", Status::Stale, None)];
    let facts = Facts::new("web1", "hb-check", &jobs, &[], &NONE, at(0));
    let was = web1(&[("a", Status::Failed), ("b", Status::Stale)]);
    let now = web1(&[("b", Status::Stale)]);
    let diff = crate::alert::diff(&was, &now);
    let m = changes(&facts, &BTreeMap::new(), &diff, &now);
    assert_eq!((m.event, m.severity), (Event::Recovery, Severity::Ok));
    assert_eq!(m.title, "[web1] recovered: a; 1 job still bad");
    assert!(
        m.text.ends_with("Still bad:\nb: stale; stale for a test\n"),
        "{}",
        m.text
    );
    let m = changes(
        &facts,
        &BTreeMap::new(),
        &crate::alert::Diff::default(),
        &now,
    );
    assert_eq!(m.event, Event::Reminder);
    assert_eq!(
        m.title,
        "[web1] reminder: 1 job still needs attention: b stale"
    );
    let paused = [job("a", Status::Paused, None), job("b", Status::Ok, None)];
    let facts = Facts::new("web1", "hb-check", &paused, &[], &NONE, at(0));
    let m = changes(&facts, &BTreeMap::new(), &diff, &Jobs::new());
    assert_eq!(m.title, "[web1] paused: a", "never recovered");
    let gone = crate::alert::diff(&was, &Jobs::new());
    let m = changes(&facts, &BTreeMap::new(), &gone, &Jobs::new());
    assert_eq!(m.title, "[web1] recovered: a (paused), b");

    let m = sample("@channel <!here> `rm` \u{202e}\r\n");
    let chat = m.chat(true, 40_000);
    assert!(
        chat.contains("`\u{ff20}channel &lt;!here&gt; 'rm' \\u{202e}`"),
        "{chat}"
    );
    assert!(
        !m.text.contains('\u{202e}') && m.text.lines().count() == 1,
        "{}",
        m.text
    );
}

#[test]
fn long_messages_are_cut_and_chat_stays_within_its_limit() {
    let long = "y".repeat(10_000);
    let m = sample(&long);
    assert!(m.text.len() < 1_000, "{}", m.text.len());
    let many: Vec<Judgement> = (0..500)
        .map(|i| job(&format!("job{i:03}"), Status::Missing, Some(&long)))
        .collect();
    let facts = Facts::new("web1", "hb-check", &many, &[], &NONE, at(0));
    let now: Jobs = many.iter().map(|j| (changes::key(j), j.status)).collect();
    let diff = crate::alert::diff(&Jobs::new(), &now);
    let m = changes(&facts, &BTreeMap::new(), &diff, &now);
    assert_eq!((m.changes.len(), m.changes_omitted), (100, 400));
    assert!(
        m.title.chars().count() <= 200 && m.title.ends_with(", ..."),
        "{}",
        m.title
    );
    assert!(m.text.ends_with("... and 400 more\n"));
    for max in [2_000, 40_000] {
        let chat = m.chat(false, max);
        assert!(
            chat.chars().count() <= max,
            "{max}: {}",
            chat.chars().count()
        );
        let end = if max == 2_000 {
            "more lines"
        } else {
            "and 400 more"
        };
        assert!(chat.ends_with(end), "{chat}");
    }
}

#[test]
fn discord_mentions_no_one_and_keeps_to_its_limit() {
    let message = sample(&format!("@everyone {}", "z".repeat(5_000)));
    let post = crate::notify::deliver::json(
        "https://discord.example/api/webhooks/1/t",
        &message.chat_body(true),
    );
    let (kind, bytes) = post.body.unwrap();
    assert_eq!(kind, "application/json");
    let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(body["allowed_mentions"]["parse"], serde_json::json!([]));
    let content = body["content"].as_str().unwrap();
    assert!(content.chars().count() <= DISCORD_MAX, "{}", content.len());
    assert!(content.contains("`\u{ff20}everyone"), "{content}");
    let slack = message.chat_body(false);
    assert!(slack["text"]
        .as_str()
        .unwrap()
        .starts_with("[`web1`] 1 job needs attention: `backup` stale"));
}
