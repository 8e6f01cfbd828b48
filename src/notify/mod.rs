//! Notify destinations: a message to a webhook, ntfy, a chat or a command
//! when jobs go bad, change, recover, and as a reminder while they stay
//! bad (`hb-check --notify`), or the morning summary (`night-watch
//! --notify`); every destination in its own thread, within one budget.
//!
//! What changed is the change engine's word ([`crate::alert`]), against
//! what the destination last accepted (`state`): a destination that was
//! down hears of the change when it is back, once.

pub(crate) mod args;
mod compose;
mod dest;
mod exec;
pub(crate) mod message;
mod ntfy;
mod post;
mod state;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::Utc;

use crate::alert::{self, Diff, Jobs};
use crate::changes;
use crate::error::Error;
use crate::http::retry::Budget;
use crate::http::Http;
use compose::Facts;
use message::Message;
use state::DestState;

pub(crate) use args::{Destinations, NotifyArgs};
pub(crate) use dest::Dest;
use dest::Kind;

/// What `dest` answered to `message`, or why it did not take it.
fn deliver(http: &Http, dest: &Dest, message: &Message, budget: &Budget) -> Result<String, Error> {
    let post = match &dest.kind {
        Kind::Exec(words) => return exec::run(words, message, budget.left()),
        Kind::Webhook(url) => post::Post::json(url, message),
        Kind::Ntfy(url) => ntfy::post(url, message, ntfy::token()?.as_ref()),
        Kind::Slack(url) => post::Post::json(url, &message.chat_body(false)),
        Kind::Discord(url) => post::Post::json(url, &message.chat_body(true)),
    };
    post::send(http, post, budget)
}

/// Runs `each` for every destination at once, each in a thread; their
/// failures make one error, whose source is the first one's.
fn fan_out(
    dests: &[Dest],
    budget: Duration,
    each: &(dyn Fn(&Http, &Dest, &Budget) -> Result<(), Error> + Sync),
) -> Result<(), Error> {
    let (http, budget) = (Http::default(), Budget::new(budget));
    let mut failed: Vec<(String, Option<Error>)> = std::thread::scope(|scope| {
        let running: Vec<_> = (dests.iter())
            .map(|dest| (dest, scope.spawn(|| each(&http, dest, &budget))))
            .collect();
        (running.into_iter())
            .filter_map(|(dest, t)| match t.join() {
                Ok(Ok(())) => None,
                Ok(Err(why)) => Some((format!("{}: {why}", dest.shown()), Some(why))),
                Err(_) => Some(("a destination's sender failed".to_owned(), None)),
            })
            .collect()
    });
    if failed.is_empty() {
        return Ok(());
    }
    let (n, of) = (failed.len(), dests.len());
    let s = if of == 1 { "" } else { "s" };
    let said: Vec<&str> = failed.iter().map(|(line, _)| line.as_str()).collect();
    let said = said.join("; ");
    let reason = format!("notify: {n} of {of} destination{s} did not take the message: {said}");
    let first = failed.swap_remove(0).1;
    Err(refused(reason, first.map(|why| Box::new(why) as _)))
}

fn refused(reason: String, source: Option<Box<dyn std::error::Error + Send + Sync>>) -> Error {
    Error::Notify { reason, source }
}

/// What to send a destination that last accepted `last`, and the state to
/// commit once it took it; `None` when there is nothing to say.
fn plan(
    last: Option<&alert::State>,
    pairs: &[(String, crate::judge::Status)],
    facts: &Facts,
    remind: u64,
) -> Option<(Message, alert::State)> {
    let assessed = alert::assess(last, pairs.to_vec(), facts.now, remind);
    // Before any message, nothing was said to be bad.
    let diff = match last {
        Some(_) => assessed.diff,
        None => alert::diff(&Jobs::new(), &assessed.still_bad),
    };
    if diff == Diff::default() && !assessed.remind_due {
        return None;
    }
    let before: BTreeMap<_, _> = last.iter().flat_map(|s| s.jobs.iter().cloned()).collect();
    let bad = &assessed.still_bad;
    let message = compose::changes(facts, &before, &diff, bad, assessed.remind_due);
    // The engine's state, of the jobs that are not fine: a job absent from
    // it was fine (or unknown), and the file grows with the bad jobs only.
    let mut next = assessed.next;
    next.jobs.retain(|(_, status)| !status.is_healthy());
    Some((message, next))
}

/// hb-check's step after judging, with the run lock held: to each
/// destination, the changes since what it last accepted, or a reminder;
/// its state beside the lock committed once it took the message.
pub(crate) fn after_check(
    args: &NotifyArgs,
    host: &str,
    judged: &crate::survey::Judged,
    lock: &crate::store::RunLock,
) -> Result<(), Error> {
    let dests = args.dests.all();
    if dests.is_empty() {
        return Ok(());
    }
    let pairs = judged.pairs();
    with_facts(judged, host, "hb-check", |run| {
        fan_out(&dests, args.dests.notify_timeout, &|http, dest, budget| {
            let path = state::path(&lock.path, &dest.given);
            let mut state = DestState::read(&path);
            state.advance(&pairs, run.now);
            let since = |key: &str| state.since_of(key);
            let facts = Facts {
                since: &since,
                ..*run
            };
            let remind = args.notify_remind.as_secs();
            let planned = plan(state.delivered.as_ref(), &pairs, &facts, remind);
            let outcome = planned.map_or(Ok(()), |(message, next)| {
                deliver(http, dest, &message, budget).map(|_| state.delivered = Some(next))
            });
            // The times are kept either way; what was accepted, only when it was.
            outcome.and(state.write(&path))
        })
    })
}

/// Calls `f` with the facts of `checker`'s run on `host` that judged
/// `judged`.
fn with_facts<R>(
    judged: &crate::survey::Judged,
    host: &str,
    checker: &'static str,
    f: impl FnOnce(&Facts) -> R,
) -> R {
    // The run's causes (cron down, the host down, a needed job bad), then
    // the fleet's lines, as the text output and the tracker say them.
    let causes = judged.causes.list.iter().map(|c| c.text.clone());
    let causes: Vec<String> = causes.chain(judged.fleet.lines()).collect();
    let grouped = (judged.jobs.iter()).filter(|j| judged.fleet.group_of(j).is_some());
    let grouped = grouped.map(|j| changes::name_of(&changes::key(j), &judged.jobs).to_owned());
    let grouped: BTreeSet<String> = grouped.collect();
    let now = judged.policy.now;
    f(&Facts {
        code: judged.code(),
        ..Facts::new(host, checker, &judged.jobs, &causes, &grouped, now)
    })
}

/// night-watch's step after the report: the summary to every destination.
pub(crate) fn after_report(
    args: &Destinations,
    host: &str,
    judged: &crate::survey::Judged,
) -> Result<(), Error> {
    let dests = args.all();
    if dests.is_empty() {
        return Ok(());
    }
    let message = with_facts(judged, host, "night-watch", compose::summary);
    fan_out(&dests, args.notify_timeout, &|http, dest, budget| {
        deliver(http, dest, &message, budget).map(|_| ())
    })
}

/// `hb-check --notify-test DEST`: sends the test message, prints what the
/// destination answered, and says by the exit code whether it took it.
pub(crate) fn test_run(
    dest: &Dest,
    args: &NotifyArgs,
    host: &str,
    stdout: &mut dyn std::io::Write,
) -> crate::exit_code::Check {
    use crate::exit_code::Check;
    let none = BTreeSet::new();
    let message = compose::test(&Facts::new(host, "hb-check", &[], &[], &none, Utc::now()));
    let budget = Budget::new(args.dests.notify_timeout);
    match deliver(&Http::default(), dest, &message, &budget) {
        Ok(answer) => {
            let line = format!("{} took the test message: {answer}\n", dest.shown());
            (stdout.write_all(line.as_bytes())).map_or(Check::Unknown, |()| Check::Ok)
        }
        Err(why) => {
            let dest = dest.shown();
            eprintln!("hb-check: notify: {dest} did not take the test message: {why}");
            Check::Unknown
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_leads_to_its_cause() {
        let dests = [Dest::parse("exec:/nonexistent/notifier").unwrap()];
        let err = fan_out(&dests, Duration::from_secs(1), &|http, dest, budget| {
            let message = compose::test(&Facts::new(
                "h",
                "hb-check",
                &[],
                &[],
                &BTreeSet::new(),
                Utc::now(),
            ));
            deliver(http, dest, &message, budget).map(|_| ())
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
}
