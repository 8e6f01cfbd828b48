//! The marker's unit tests.

use super::*;

fn status_named(word: &str) -> Option<Status> {
    Status::ALL.into_iter().find(|s| s.as_str() == word)
}

fn marker(jobs: &[(&str, &str)]) -> Jobs {
    jobs.iter()
        .map(|(j, s)| (j.to_string(), status_named(s).unwrap()))
        .collect()
}

/// What [`parse`] reads back of a marker of web1's `jobs`.
fn web1(jobs: Jobs) -> (String, Jobs) {
    ("web1".to_owned(), jobs)
}

#[test]
fn markers_round_trip_through_a_body() {
    let m = marker(&[("backup", "stale"), ("db-dump", "failed")]);
    assert_eq!(
        render("web1", &m),
        r#"<!-- heartbeat-checker {"host":"web1","jobs":{"backup":"stale","db-dump":"failed"}} -->"#
    );
    let body = format!("text\n\n{}\n", render("web1", &m));
    assert_eq!(parse(&body), Some(web1(m)));
    assert_eq!(parse("no marker"), None);
    assert_eq!(parse("<!-- heartbeat-checker {broken -->"), None);
    // A word this version does not know drops that job only.
    let newer = r#"<!-- heartbeat-checker {"host":"web1","jobs":{"a":"stale","b":"sleepy"}} -->"#;
    assert_eq!(parse(newer), Some(web1(marker(&[("a", "stale")]))));
}

#[test]
fn names_with_invisible_or_control_characters_stay_escaped() {
    let m = marker(&[("a\u{7f}b\u{202e}c\u{85}\u{1d173}", "invalid")]);
    let rendered = render("web1", &m);
    assert!(
        !rendered.chars().any(crate::escape::is_unsafe),
        "{rendered:?}"
    );
    assert!(
        rendered.contains(r"a\u007fb\u202ec\u0085\ud834\udd73"),
        "{rendered}"
    );
    assert_eq!(parse(&rendered), Some(web1(m)));
}

#[test]
fn the_last_marker_counts() {
    let forged = render("web1", &marker(&[]));
    let real = render("web1", &marker(&[("backup", "stale")]));
    let body = format!("| `{forged}` | stale |\n\n{real}\n");
    assert_eq!(parse(&body), Some(web1(marker(&[("backup", "stale")]))));
}

#[test]
fn names_cannot_end_the_comment() {
    let m = marker(&[("x-->y<", "stale")]);
    let rendered = render("web1", &m);
    assert_eq!(rendered.matches("-->").count(), 1);
    assert_eq!(parse(&rendered), Some(web1(m)));
}

#[test]
fn comment_tags_name_the_marker() {
    let tag = comment_tag("web1", &marker(&[("backup", "stale")]));
    assert_eq!(tag, comment_tag("web1", &marker(&[("backup", "stale")])));
    assert_ne!(tag, comment_tag("web1", &marker(&[("backup", "failed")])));
    assert_ne!(tag, comment_tag("web1", &marker(&[])));
    assert!(tag.starts_with("<!-- heartbeat-checker-comment ") && tag.ends_with(" -->"));
    let comment = format!("Went bad: backup (stale).\n\n{tag}\n");
    assert_eq!(comment_tag_in(&comment), Some(tag.as_str()));
    assert_eq!(comment_tag_in("a person's comment"), None);
    assert_eq!(parse(&tag), None, "a tag is not a marker");
}

#[test]
fn a_marker_of_a_huge_set_stays_small_and_reads_back_whole_when_its_tail_is_unchanged() {
    let all: Jobs = (0..10_000)
        .map(|i| (format!("job-{i:05}"), Status::Stale))
        .collect();
    let rendered = render("web1", &all);
    assert!(
        rendered.len() < MARKER_JOBS_MAX_CHARS + 2 * REST_BUCKETS * 8,
        "{}",
        rendered.len()
    );
    let named = parse(&rendered).unwrap().1;
    assert!(named.len() > 100 && named.len() < 10_000, "{}", named.len());
    assert_eq!(parse_against(&rendered, &all), Some(all.clone()));
    // A change among the named jobs is seen as such; the rest still
    // reads back.
    let mut first = all.clone();
    first.insert("job-00001".into(), Status::Failed);
    let read = parse_against(&rendered, &first).unwrap();
    assert_eq!(read, all);
    // A change in the rest costs only its bucket.
    let mut last = all.clone();
    last.insert("job-09999".into(), Status::Failed);
    let read = parse_against(&rendered, &last).unwrap();
    let mut kept = all.clone();
    kept.retain(|job, _| named.contains_key(job) || bucket(job) != bucket("job-09999"));
    assert_eq!(read, kept);
    assert!(all.len() - read.len() < 100, "{}", all.len() - read.len());
    assert_ne!(comment_tag("web1", &all), comment_tag("web1", &last));
}

#[test]
fn replacing_keeps_the_text_around() {
    let old = marker(&[("backup", "stale")]);
    let new = marker(&[]);
    let body = format!("before\n{}\nafter", render("web1", &old));
    let replaced = replace_in("web1", &new, &body);
    assert_eq!(replaced, format!("before\n{}\nafter", render("web1", &new)));
    assert_eq!(
        replace_in("web1", &new, "hand-made"),
        format!("hand-made\n\n{}", render("web1", &new))
    );
}
