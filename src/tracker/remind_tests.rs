use super::*;

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap()
}

fn by(author: &str, body: &str) -> Comment {
    Comment {
        id: 0,
        author: author.into(),
        body: body.into(),
    }
}

#[test]
fn only_our_own_markers_for_this_host_count() {
    let ours = format!("Reminder.\n\n{}\n", remind_marker("web1", 2));
    let comments = [
        by("hb-bot", &ours),
        by("mallory", &remind_marker("web1", 99)),
        by("hb-bot", &remind_marker("web10", 7)),
        by("hb-bot", "<!-- heartbeat:remind web1 x -->"),
        by("hb-bot", "<!-- heartbeat:remind web1 5"),
    ];
    assert!(reminded(&comments, "hb-bot", "web1", 2));
    assert!(!reminded(&comments, "hb-bot", "web1", 1));
    assert!(!reminded(&comments, "hb-bot", "web1", 3));
    assert!(!reminded(&comments[1..], "hb-bot", "web1", 2));
    assert!(!reminded(&comments[1..], "hb-bot", "web1", 99));
    assert!(!reminded(&[], "hb-bot", "web1", 2));
}

#[test]
fn odd_hosts_cannot_end_the_comment() {
    let m = remind_marker("a -->b", 1);
    assert_eq!(m.matches("-->").count(), 1, "{m}");
    let comments = [by("me", &m)];
    assert!(reminded(&comments, "me", "a -->b", 1));
    assert!(!reminded(&comments, "me", "a -->c", 1));
}

#[test]
fn the_cache_round_trips_and_covers_only_its_issue() {
    let cache = Cache::new("web1", 4, at(0), 2);
    let line = crate::record::json_line(&cache);
    assert_eq!(Cache::parse(&line), Some(cache.clone()));
    assert_eq!(Cache::parse(b"garbage"), None);
    let covers = |host, issue, opened, period| Cache::new(host, issue, opened, period) == cache;
    assert!(covers("web1", 4, at(0), 2));
    assert!(!covers("web1", 4, at(0), 3));
    assert!(!covers("web1", 4, at(0), 1), "it says more than can be");
    assert!(!covers("web1", 4, at(1), 2), "another issue #4");
    assert!(!covers("web1", 5, at(0), 2));
    assert!(!covers("web2", 4, at(0), 2));
}
