//! `--tracker-remind`: one reminder comment per period
//! ([`crate::alert::reminder_due`]) while the host's issue stays open.
//! The forge is the source of truth: `<!-- heartbeat:remind HOST N -->` in
//! the comment records it. The cache (`<lock file>.remind`) only spares
//! reading the comments: a lost, unusable or foreign one means "read the
//! comments", never "remind again".

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::marker::host_word;
use super::Comment;

const CACHE_VERSION: u32 = 1;

/// The hidden marker of the reminder for `period` on `host`'s issue.
pub(crate) fn marker(host: &str, period: u64) -> String {
    format!("<!-- heartbeat:remind {} {period} -->", host_word(host))
}

/// Whether `period` was reminded on `host`'s issue by the account `me`. A
/// marker for another period counts for nothing: one from a period not yet
/// begun (a clock that ran ahead) must not silence every period before it.
pub(crate) fn reminded(comments: &[Comment], me: &str, host: &str, period: u64) -> bool {
    let marker = marker(host, period);
    comments
        .iter()
        .any(|c| c.author == me && c.body.contains(&marker))
}

/// The newest period known reminded on one issue of `host`. Only a cache
/// equal to the one a run would write spares reading the comments (one of
/// a later period, after the clock went back, is not taken at its word).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Cache {
    pub version: u32,
    pub host: String,
    pub issue: u64,
    /// When the issue was opened (epoch seconds): with the number, which
    /// issue it is (another repository may bear the same number).
    pub opened: i64,
    pub period: u64,
}

impl Cache {
    pub(crate) fn new(host: &str, issue: u64, opened: DateTime<Utc>, period: u64) -> Cache {
        Cache {
            version: CACHE_VERSION,
            host: host.to_owned(),
            issue,
            opened: opened.timestamp(),
            period,
        }
    }

    /// Parses a cache file; `None` for anything unusable.
    pub(crate) fn parse(bytes: &[u8]) -> Option<Cache> {
        let cache: Cache = serde_json::from_slice(bytes).ok()?;
        (cache.version == CACHE_VERSION).then_some(cache)
    }
}

#[cfg(test)]
mod tests {
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
        let ours = format!("Reminder.\n\n{}\n", marker("web1", 2));
        let comments = [
            by("hb-bot", &ours),
            by("mallory", &marker("web1", 99)),
            by("hb-bot", &marker("web10", 7)),
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
        let m = marker("a -->b", 1);
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
}
