//! Each destination's state, a small JSON file beside the run lock named by
//! a hash of the destination (a webhook URL is a secret): what it last
//! accepted (the change engine's [`State`], written only once it did), and
//! since when each job has had its status (kept on every run).

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::alert::State;
use crate::judge::Status;

const VERSION: u32 = 1;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct DestState {
    version: u32,
    /// What the destination last accepted; `None` before its first message.
    pub delivered: Option<State>,
    /// The jobs of the last run a message may name (by key), their status,
    /// and since when (Unix seconds) the runs have seen it with that status.
    pub since: Vec<(String, Status, i64)>,
}

impl DestState {
    /// Empty when missing or unusable (which costs at most one message
    /// sent again).
    pub(crate) fn read(path: &Path) -> DestState {
        crate::store::read_small(path)
            .and_then(|bytes| serde_json::from_slice::<DestState>(&bytes).ok())
            .filter(|s| s.version == VERSION)
            .unwrap_or_default()
    }

    pub(crate) fn write(&mut self, path: &Path) -> Result<(), crate::Error> {
        self.version = VERSION;
        crate::store::write_file(path, &crate::record::json_line(self))
    }

    /// The `since` of this run's `jobs` (sorted by key): a job keeps its
    /// time while its status stays. Kept are the jobs a message may name
    /// (not fine, or last heard bad), so the file grows with the bad only.
    pub(crate) fn advance(&mut self, jobs: &[(String, Status)], now: DateTime<Utc>) {
        let before = std::mem::take(&mut self.since);
        let last = self.delivered.as_ref().map_or(&[][..], |d| &d.jobs);
        let was_bad = |key: &str| last.iter().any(|(k, s)| k == key && s.is_alert());
        let kept = (jobs.iter()).filter(|(key, status)| !status.is_healthy() || was_bad(key));
        let since = kept.map(|(key, status)| {
            let same = entry(&before, key).filter(|(_, s, _)| s == status);
            let at = same.map_or(now.timestamp(), |(_, _, t)| *t);
            (key.clone(), *status, at)
        });
        self.since = since.collect();
    }

    pub(crate) fn since_of(&self, key: &str) -> Option<DateTime<Utc>> {
        entry(&self.since, key).and_then(|(_, _, t)| DateTime::from_timestamp(*t, 0))
    }
}

fn entry<'a>(since: &'a [(String, Status, i64)], key: &str) -> Option<&'a (String, Status, i64)> {
    let at = since.binary_search_by(|(k, _, _)| k.as_str().cmp(key));
    at.ok().map(|at| &since[at])
}

/// The state file of the destination `given`: the lock's path and
/// `.notify-HASH.state`, HASH the first 32 hex digits of `given`'s SHA-256.
pub(crate) fn path(lock: &Path, given: &str) -> PathBuf {
    let digest = ring::digest::digest(&ring::digest::SHA256, given.as_bytes());
    let first = u128::from_be_bytes(digest.as_ref()[..16].try_into().expect("16 bytes"));
    crate::store::beside(lock, &format!(".notify-{first:032x}.state"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + seconds, 0).unwrap()
    }

    #[test]
    fn since_stays_while_the_status_stays() {
        let mut state = DestState::default();
        let stale = vec![
            ("a".to_owned(), Status::Stale),
            ("b".to_owned(), Status::Ok),
        ];
        state.advance(&stale, at(0));
        state.advance(&stale, at(60));
        assert_eq!(state.since_of("a"), Some(at(0)));
        let failed = vec![
            ("a".to_owned(), Status::Failed),
            ("b".to_owned(), Status::Ok),
        ];
        state.advance(&failed, at(120));
        assert_eq!(state.since_of("a"), Some(at(120)));
        assert_eq!(state.since_of("b"), None, "fine, and never said bad");
        assert_eq!(state.since_of("c"), None);
    }

    #[test]
    fn the_file_is_named_by_a_hash_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let lock = dir.path().join("hb-check.web1.lock");
        let secret = "https://hooks.example/services/T000/B000/XXXX";
        let p = path(&lock, secret);
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with("hb-check.web1.lock.notify-"), "{name}");
        assert!(!name.contains("hooks") && !name.contains("XXXX"), "{name}");
        assert_ne!(p, path(&lock, "ntfy://h/t"));
        assert_eq!(DestState::read(&p), DestState::default(), "missing");
        let mut state = DestState::default();
        state.advance(&[("a".to_owned(), Status::Stale)], at(0));
        state.write(&p).unwrap();
        let back = DestState::read(&p);
        assert_eq!(back.since_of("a"), Some(at(0)));
        std::fs::write(&p, "{").unwrap();
        assert_eq!(DestState::read(&p), DestState::default(), "garbage");
    }
}
