//! Notify destinations: what changed (the change engine's word), or a
//! reminder, or the morning summary, to a webhook, ntfy, a chat or a command,
//! each in its own thread within one budget. Changes are against what the
//! destination last accepted: one that was down hears of them when it is back.

mod compose;
mod deliver;
mod dest;
pub(crate) mod message;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::alert::{self, Diff, Jobs};
use crate::changes;
use crate::error::Error;
use crate::exit_code::Check;
use crate::http::retry::Budget;
use crate::judge::Status;
use crate::survey::Judged;
use compose::Facts;
use deliver::deliver;
pub(crate) use dest::{Dest, Destinations, NotifyArgs};

/// The destinations' failures make one error, whose source is the first one's.
fn fan_out(
    dests: &[Dest],
    budget: Duration,
    each: &(dyn Fn(&Dest, &Budget) -> Result<(), Error> + Sync),
) -> Result<(), Error> {
    let budget = &Budget::new(budget);
    let (said, why): (Vec<String>, Vec<Option<Error>>) = std::thread::scope(|scope| {
        let spawn = |dest| (dest, scope.spawn(move || each(dest, budget)));
        let running: Vec<_> = dests.iter().map(spawn).collect();
        (running.into_iter())
            .filter_map(|(dest, t)| match t.join() {
                Ok(Ok(())) => None,
                Ok(Err(why)) => Some((format!("{}: {why}", dest.shown()), Some(why))),
                Err(_) => Some(("a destination's sender failed".to_owned(), None)),
            })
            .unzip()
    });
    let Some(first) = why.into_iter().next() else {
        return Ok(());
    };
    let (n, said) = (said.len(), said.join("; "));
    let of = crate::report::content::count(dests.len(), "destination");
    let reason = format!("notify: {n} of {of} did not take the message: {said}");
    let source = first.map(|why| Box::new(why) as _);
    Err(Error::Failed { reason, source })
}

/// hb-check's step after judging, with the run lock held.
pub(crate) fn after_check(
    args: &NotifyArgs,
    host: &str,
    judged: &Judged,
    lock: &crate::store::RunLock,
) -> Result<(), Error> {
    with_facts(&args.dests, judged, host, "hb-check", |dests, run| {
        let pairs = judged.pairs();
        fan_out(dests, args.dests.notify_timeout, &|dest, budget| {
            let path = state_path(&lock.path, &dest.given);
            let mut state = DestState::read(&path);
            state.advance(&pairs, run.now);
            let last = state.delivered.as_ref();
            let remind = args.notify_remind.as_secs();
            let assessed = alert::assess(last, pairs.clone(), run.now, remind);
            // Before any message, nothing was said to be bad.
            let diff = match last {
                Some(_) => assessed.diff,
                None => alert::diff(&Jobs::new(), &assessed.still_bad),
            };
            let mut outcome = Ok(());
            if diff != Diff::default() || assessed.remind_due {
                let before: Jobs = last.iter().flat_map(|s| s.jobs.clone()).collect();
                let facts = Facts {
                    since: &|key: &str| state.since_of(key),
                    ..*run
                };
                let message = compose::changes(&facts, &before, &diff, &assessed.still_bad);
                // A job absent was fine: the file grows with the bad jobs only.
                let mut next = assessed.next;
                next.jobs.retain(|(_, status)| !status.is_healthy());
                outcome = deliver(dest, &message, budget).map(|_| state.delivered = Some(next));
            }
            // The times are kept either way; what was accepted, only when it was.
            outcome.and(state.write(&path))
        })
    })
}

/// `f` of `args`' destinations and the run's facts; without a destination, nothing is computed.
fn with_facts(
    args: &Destinations,
    judged: &Judged,
    host: &str,
    checker: &'static str,
    f: impl FnOnce(&[Dest], &Facts) -> Result<(), Error>,
) -> Result<(), Error> {
    let dests = args.all();
    if dests.is_empty() {
        return Ok(());
    }
    // The run's causes, then the fleet's lines, as the text output says them.
    let causes = judged.causes.list.iter().map(|c| c.text.clone());
    let causes: Vec<String> = causes.chain(judged.fleet.lines()).collect();
    let grouped = (judged.jobs.iter()).filter(|j| judged.fleet.group_of(j).is_some());
    let grouped = grouped.map(|j| changes::name_of(&changes::key(j), &judged.jobs).to_owned());
    let grouped: BTreeSet<String> = grouped.collect();
    let now = judged.policy.now;
    let facts = Facts {
        code: judged.code(),
        ..Facts::new(host, checker, &judged.jobs, &causes, &grouped, now)
    };
    f(&dests, &facts)
}

pub(crate) fn after_report(args: &Destinations, host: &str, judged: &Judged) -> Result<(), Error> {
    with_facts(args, judged, host, "night-watch", |dests, facts| {
        let message = compose::summary(facts);
        fan_out(dests, args.notify_timeout, &|dest, budget| {
            deliver(dest, &message, budget).map(|_| ())
        })
    })
}

/// `hb-check --notify-test DEST`.
pub(crate) fn test_run(dest: &Dest, args: &NotifyArgs, host: &str, out: &mut dyn Write) -> Check {
    let none = BTreeSet::new();
    let message = compose::test(&Facts::new(host, "hb-check", &[], &[], &none, Utc::now()));
    match deliver(dest, &message, &Budget::new(args.dests.notify_timeout)) {
        Ok(answer) => writeln!(out, "{} took the test message: {answer}", dest.shown())
            .map_or(Check::Unknown, |()| Check::Ok),
        Err(why) => {
            let dest = dest.shown();
            eprintln!("hb-check: notify: {dest} did not take the test message: {why}");
            Check::Unknown
        }
    }
}

const VERSION: u32 = 1;

/// What a destination last accepted (written only once it did), and since
/// when each job has had its status (kept on every run).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
struct DestState {
    version: u32,
    delivered: Option<alert::State>,
    /// The jobs a message may name (by key), their status, since when (Unix seconds).
    since: Vec<(String, Status, i64)>,
}

impl DestState {
    /// Empty when missing or unusable (which costs at most one message again).
    fn read(path: &Path) -> DestState {
        crate::store::read_small(path)
            .and_then(|bytes| serde_json::from_slice::<DestState>(&bytes).ok())
            .filter(|s| s.version == VERSION)
            .unwrap_or_default()
    }

    fn write(&mut self, path: &Path) -> Result<(), crate::Error> {
        self.version = VERSION;
        crate::store::write_file(path, &crate::record::json_line(self))
    }

    /// `jobs` sorted by key; a job keeps its time while its status stays. Kept
    /// are those not fine or last heard bad: the file grows with the bad only.
    fn advance(&mut self, jobs: &[(String, Status)], now: DateTime<Utc>) {
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

    fn since_of(&self, key: &str) -> Option<DateTime<Utc>> {
        entry(&self.since, key).and_then(|(_, _, t)| DateTime::from_timestamp(*t, 0))
    }
}

fn entry<'a>(since: &'a [(String, Status, i64)], key: &str) -> Option<&'a (String, Status, i64)> {
    let at = since.binary_search_by(|(k, _, _)| k.as_str().cmp(key));
    at.ok().map(|at| &since[at])
}

/// `LOCK.notify-HASH.state`, HASH of `given`'s SHA-256: a webhook URL is a secret.
fn state_path(lock: &Path, given: &str) -> PathBuf {
    let digest = ring::digest::digest(&ring::digest::SHA256, given.as_bytes());
    let first = u128::from_be_bytes(digest.as_ref()[..16].try_into().expect("16 bytes"));
    crate::store::beside(lock, &format!(".notify-{first:032x}.state"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_refusal_leads_to_its_cause() {
        let dests = [Dest::parse("exec:/nonexistent/notifier").unwrap()];
        let err = fan_out(&dests, Duration::from_secs(1), &|dest, budget| {
            let message = compose::test(&Facts::new(
                "h",
                "hb-check",
                &[],
                &[],
                &BTreeSet::new(),
                Utc::now(),
            ));
            deliver(dest, &message, budget).map(|_| ())
        })
        .unwrap_err();
        assert!(err.to_string().starts_with(
            "notify: 1 of 1 destination did not take the message: exec:/nonexistent/notifier: cannot run"
        ));
        let mut chain = std::error::Error::source(&err);
        while let Some(cause) = chain.and_then(std::error::Error::source) {
            chain = Some(cause);
        }
        let cause = chain.expect("a cause");
        assert!(cause.downcast_ref::<std::io::Error>().is_some(), "{cause}");
    }

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
        let p = state_path(&lock, secret);
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with("hb-check.web1.lock.notify-"), "{name}");
        assert!(!name.contains("hooks") && !name.contains("XXXX"), "{name}");
        assert_ne!(p, state_path(&lock, "ntfy://h/t"));
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
