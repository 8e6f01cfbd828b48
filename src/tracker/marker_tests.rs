//! The marker's unit tests.

use super::*;

fn status_named(word: &str) -> Option<Status> {
    Status::ALL.into_iter().find(|s| s.as_str() == word)
}

fn marker(jobs: &[(&str, &str)]) -> Marker {
    Marker {
        host: "web1".into(),
        jobs: jobs
            .iter()
            .map(|(j, s)| (j.to_string(), status_named(s).unwrap()))
            .collect(),
    }
}

#[test]
fn markers_round_trip_through_a_body() {
    let m = marker(&[("backup", "stale"), ("db-dump", "failed")]);
    assert_eq!(
        m.render(),
        r#"<!-- heartbeat-checker {"host":"web1","jobs":{"backup":"stale","db-dump":"failed"}} -->"#
    );
    let body = format!("text\n\n{}\n", m.render());
    assert_eq!(Marker::parse(&body), Some(m));
    assert_eq!(Marker::parse("no marker"), None);
    assert_eq!(Marker::parse("<!-- heartbeat-checker {broken -->"), None);
    // A word this version does not know drops that job only.
    let newer = r#"<!-- heartbeat-checker {"host":"web1","jobs":{"a":"stale","b":"sleepy"}} -->"#;
    assert_eq!(Marker::parse(newer), Some(marker(&[("a", "stale")])));
}

#[test]
fn names_with_invisible_or_control_characters_stay_escaped() {
    let m = marker(&[("a\u{7f}b\u{202e}c\u{85}\u{1d173}", "invalid")]);
    let rendered = m.render();
    assert!(
        !rendered.chars().any(crate::escape::is_unsafe),
        "{rendered:?}"
    );
    assert!(
        rendered.contains(r"a\u007fb\u202ec\u0085\ud834\udd73"),
        "{rendered}"
    );
    assert_eq!(Marker::parse(&rendered), Some(m));
}

#[test]
fn the_last_marker_counts() {
    let forged = marker(&[]).render();
    let real = marker(&[("backup", "stale")]).render();
    let body = format!("| `{forged}` | stale |\n\n{real}\n");
    assert_eq!(Marker::parse(&body), Some(marker(&[("backup", "stale")])));
}

#[test]
fn names_cannot_end_the_comment() {
    let m = marker(&[("x-->y<", "stale")]);
    let rendered = m.render();
    assert_eq!(rendered.matches("-->").count(), 1);
    assert_eq!(Marker::parse(&rendered), Some(m));
}

#[test]
fn comment_tags_name_the_marker() {
    let tag = marker(&[("backup", "stale")]).comment_tag();
    assert_eq!(tag, marker(&[("backup", "stale")]).comment_tag());
    assert_ne!(tag, marker(&[("backup", "failed")]).comment_tag());
    assert_ne!(tag, marker(&[]).comment_tag());
    assert!(tag.starts_with("<!-- heartbeat-checker-comment ") && tag.ends_with(" -->"));
    let comment = format!("Went bad: backup (stale).\n\n{tag}\n");
    assert_eq!(comment_tag_in(&comment), Some(tag.as_str()));
    assert_eq!(comment_tag_in("a person's comment"), None);
    assert_eq!(Marker::parse(&tag), None, "a tag is not a marker");
}

#[test]
fn a_marker_of_a_huge_set_stays_small_and_reads_back_whole_when_its_tail_is_unchanged() {
    let all: Jobs = (0..10_000)
        .map(|i| (format!("job-{i:05}"), Status::Stale))
        .collect();
    let m = Marker {
        host: "web1".into(),
        jobs: all.clone(),
    };
    let rendered = m.render();
    assert!(
        rendered.len() < MARKER_JOBS_MAX_CHARS + 2 * REST_BUCKETS * 8,
        "{}",
        rendered.len()
    );
    let named = Marker::parse(&rendered).unwrap().jobs;
    assert!(named.len() > 100 && named.len() < 10_000, "{}", named.len());
    assert_eq!(Marker::parse_against(&rendered, &all), Some(m.clone()));
    // A change among the named jobs is seen as such; the rest still
    // reads back.
    let mut first = all.clone();
    first.insert("job-00001".into(), Status::Failed);
    let read = Marker::parse_against(&rendered, &first).unwrap().jobs;
    assert_eq!(read, all);
    // A change in the rest costs only its bucket.
    let mut last = all.clone();
    last.insert("job-09999".into(), Status::Failed);
    let read = Marker::parse_against(&rendered, &last).unwrap().jobs;
    let mut kept = all.clone();
    kept.retain(|job, _| named.contains_key(job) || bucket(job) != bucket("job-09999"));
    assert_eq!(read, kept);
    assert!(all.len() - read.len() < 100, "{}", all.len() - read.len());
    assert_ne!(
        m.comment_tag(),
        Marker {
            host: "web1".into(),
            jobs: last
        }
        .comment_tag()
    );
}

#[test]
fn replacing_keeps_the_text_around() {
    let old = marker(&[("backup", "stale")]);
    let new = marker(&[]);
    let body = format!("before\n{}\nafter", old.render());
    let replaced = new.replace_in(&body);
    assert_eq!(replaced, format!("before\n{}\nafter", new.render()));
    assert_eq!(
        new.replace_in("hand-made"),
        format!("hand-made\n\n{}", new.render())
    );
}
