//! `--tracker-remind`: one reminder comment per period while the host's
//! issue stays open. Pure: which period is due, the hidden marker that
//! records a reminder in our own comment, and the small cache that spares
//! the comment read; the choreography is in [`mod@super::sync`].
//!
//! Period `n` of an issue opened at `t` starts at `t + n x every`; period 0
//! is the issue's first, so nothing is due before one whole period passed.
//! The forge is the source of truth: a reminder is recorded by
//! `<!-- heartbeat:remind HOST N -->` in the comment that carries it, and
//! only markers in comments the checker's own account wrote count. The
//! cache (`<lock file>.remind`) only spares reading the comments when it
//! already says this issue's period was reminded; a lost or unusable cache
//! means "read the comments", never "remind again".

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Comment;

/// The cache's format version.
pub const CACHE_VERSION: u32 = 1;

const OPEN: &str = "<!-- heartbeat:remind ";
const CLOSE: &str = " -->";

/// The reminder period that is due on an issue opened at `opened`, judged
/// at `now`, with a period of `every` seconds: `None` before the first
/// whole period has passed (or when the clock reads before the opening).
pub fn due_period(opened: DateTime<Utc>, now: DateTime<Utc>, every: u64) -> Option<u64> {
    let age = u64::try_from((now - opened).num_seconds()).ok()?;
    let period = age / every.max(1);
    (period >= 1).then_some(period)
}

/// Whether a reminder for `period` is still to post, given the newest
/// period already reminded (`None`: none).
pub fn is_due(period: u64, reminded: Option<u64>) -> bool {
    reminded.is_none_or(|done| done < period)
}

/// How the host is written in a marker: its name when it holds only
/// letters, digits, `.`, `_` and `-` (every host name `--host` accepts),
/// else a digest, so that nothing in it can end the HTML comment.
fn host_word(host: &str) -> String {
    let plain = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if plain {
        return host.to_owned();
    }
    let digest = host.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("host-{digest:016x}")
}

/// The hidden marker of the reminder for `period` on `host`'s issue.
pub fn marker(host: &str, period: u64) -> String {
    format!("{OPEN}{} {period}{CLOSE}", host_word(host))
}

/// The periods `body` records as reminded for `host`.
fn periods_in<'a>(body: &'a str, host: &'a str) -> impl Iterator<Item = u64> + 'a {
    let word = host_word(host);
    body.match_indices(OPEN).filter_map(move |(start, _)| {
        let rest = &body[start + OPEN.len()..];
        let inner = &rest[..rest.find(CLOSE)?];
        let (named, period) = inner.split_once(' ')?;
        (named == word).then(|| period.parse::<u64>().ok())?
    })
}

/// The newest period reminded on `host`'s issue, read from the comments
/// the account `me` wrote; markers anyone else typed count for nothing.
pub fn reminded(comments: &[Comment], me: &str, host: &str) -> Option<u64> {
    comments
        .iter()
        .filter(|c| c.author == me)
        .flat_map(|c| periods_in(&c.body, host))
        .max()
}

/// The cache file beside the run lock: the lock's path with `.remind`
/// appended.
pub fn cache_path(lock: &Path) -> PathBuf {
    let mut name = lock.as_os_str().to_owned();
    name.push(".remind");
    PathBuf::from(name)
}

/// What the cache beside the run lock remembers: the newest period known
/// reminded on one issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cache {
    /// [`CACHE_VERSION`].
    pub version: u32,
    /// The host whose issue it is.
    pub host: String,
    /// The issue's number.
    pub issue: u64,
    /// The newest period known reminded there.
    pub period: u64,
}

impl Cache {
    /// Parses a cache file; `None` for anything unusable.
    pub fn parse(bytes: &[u8]) -> Option<Cache> {
        let cache: Cache = serde_json::from_slice(bytes).ok()?;
        (cache.version == CACHE_VERSION).then_some(cache)
    }

    /// The cache as one line of JSON.
    pub fn to_json_line(&self) -> Vec<u8> {
        let mut line = serde_json::to_vec(self).expect("a cache always serialises");
        line.push(b'\n');
        line
    }

    /// Whether the cache already covers `period` on `issue` of `host`, so
    /// the comments need not be read.
    pub fn covers(&self, host: &str, issue: u64, period: u64) -> bool {
        self.host == host && self.issue == issue && self.period >= period
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
            author: author.into(),
            body: body.into(),
        }
    }

    #[test]
    fn nothing_is_due_before_a_whole_period() {
        let day = 86_400;
        assert_eq!(due_period(at(0), at(0), day), None);
        assert_eq!(due_period(at(0), at(86_399), day), None);
        assert_eq!(due_period(at(0), at(86_400), day), Some(1));
        assert_eq!(due_period(at(0), at(3 * 86_400 - 1), day), Some(2));
        assert_eq!(due_period(at(100), at(0), day), None, "clock went back");
        assert_eq!(due_period(at(0), at(5), 0), Some(5), "no division by 0");
    }

    #[test]
    fn a_period_is_due_once() {
        assert!(is_due(1, None));
        assert!(!is_due(1, Some(1)));
        assert!(!is_due(1, Some(2)));
        assert!(is_due(3, Some(2)));
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
        assert_eq!(reminded(&comments, "hb-bot", "web1"), Some(2));
        assert_eq!(reminded(&comments[1..], "hb-bot", "web1"), None);
        assert_eq!(reminded(&[], "hb-bot", "web1"), None);
    }

    #[test]
    fn odd_hosts_cannot_end_the_comment() {
        let m = marker("a -->b", 1);
        assert_eq!(m.matches("-->").count(), 1, "{m}");
        let comments = [by("me", &m)];
        assert_eq!(reminded(&comments, "me", "a -->b"), Some(1));
        assert_eq!(reminded(&comments, "me", "a -->c"), None);
    }

    #[test]
    fn the_cache_round_trips_and_covers_only_its_issue() {
        let cache = Cache {
            version: CACHE_VERSION,
            host: "web1".into(),
            issue: 4,
            period: 2,
        };
        assert_eq!(Cache::parse(&cache.to_json_line()), Some(cache.clone()));
        assert_eq!(Cache::parse(b"garbage"), None);
        assert!(cache.covers("web1", 4, 2));
        assert!(!cache.covers("web1", 4, 3));
        assert!(!cache.covers("web1", 5, 1));
        assert!(!cache.covers("web2", 4, 1));
    }
}
