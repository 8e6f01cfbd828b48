//! One sync: read who we are, the labels and the host's issues, [`decide`],
//! then write. The rules every run keeps:
//!
//! - **Nothing without jobs**: with no heartbeat nothing is sent, so an
//!   emptied or wrongly mounted directory never closes an alert.
//! - **Bounded reads**: who we are, the labels, the open alert issues and,
//!   only without an open issue, the newest page of this host's closed
//!   issues (by the host label), whatever the repo's history.
//! - **Only our own words count**: issues, markers and comment tags are
//!   trusted only where the checker's own account wrote them.
//! - **One open issue per host**: of several (two checkers set up as one
//!   host), the oldest stays and the others are closed pointing to it.

use chrono::{DateTime, Utc};

use super::decide::{alert_key, alert_set, decide, Decision};
use super::marker::{self, comment_tag_in, host_word};
use super::text;
use super::{Comment, Edit, Forge, Issue, Label, State};
use crate::alert::{reminder_due, Jobs};
use crate::error::Error;
use crate::http::retry::{classify, Class};
use crate::judge::{Judgement, Status};

#[derive(Clone, Copy)]
pub(crate) struct Options<'a> {
    pub host: &'a str,
    /// On every alert issue.
    pub label: &'a str,
    pub dry_run: bool,
    pub checked_at: DateTime<Utc>,
    pub remind: Option<Remind<'a>>,
    /// The same jobs across hosts, said once in the issue.
    pub fleet: &'a crate::fleet::Fleet,
    /// What explains many jobs at once (cron not running), named first.
    pub causes: &'a [crate::cause::Cause],
}

/// `--tracker-remind`: a comment every `every` seconds while the issue stays
/// open, recorded on the forge by [`remind_marker`]. The caller's cache
/// (`remember` is told the new one once the forge has it) only spares
/// reading the comments: a lost cache costs a read, never a reminder.
#[derive(Clone, Copy)]
pub(crate) struct Remind<'a> {
    pub every: u64,
    pub cached: Option<&'a Cache>,
    pub remember: &'a dyn Fn(&Cache),
}

/// Brings the host's issue in line with the judged `jobs`; notes for a
/// person (warnings, a dry run's writes) go to `say`, one a call.
pub(crate) fn sync(
    forge: &dyn Forge,
    opts: &Options<'_>,
    jobs: &[Judgement],
    say: &mut dyn FnMut(String),
) -> Result<Decision, Error> {
    if jobs.is_empty() {
        say("the tracker was left as it is: no heartbeat was found to judge".to_owned());
        return Ok(Decision::Nothing);
    }
    let (host, at) = (opts.host, opts.checked_at);
    let me = forge.me()?;
    let names = [opts.label.to_owned(), text::host_label(opts.label, host)];
    let found = forge.find_labels(&[&names[0], &names[1]])?;
    let named = |name: String| found.iter().find(|l| l.name.eq_ignore_ascii_case(&name));
    let labels = names.map(|name| named(name).cloned());
    let open = match &labels[0] {
        Some(label) => mine(forge.list_issues(&[label], State::Open)?, host, &me),
        None => Vec::new(),
    };
    // An acknowledgement is on the most recently closed issue (by number
    // without a closing time), whoever closed it.
    let closed = match (&labels, open.is_empty()) {
        ([Some(label), Some(host_label)], true) => {
            let newest = forge.list_issues(&[label, host_label], State::Closed)?;
            let latest = |i: &Issue| (i.closed_at, i.number);
            mine(newest, host, &me).into_iter().max_by_key(latest)
        }
        _ => None,
    };
    let alerts = alert_set(host, jobs);
    let kept = open.first();
    let recorded = |i: &Issue| marker::parse_against(&i.body, &alerts);
    let posted = kept.map(|i| recorded(i).unwrap_or_default());
    let acknowledged = closed.as_ref().and_then(recorded);
    let paused_jobs = jobs.iter().filter(|j| j.status == Status::Paused);
    let paused = paused_jobs.map(|j| alert_key(host, j)).collect();
    let decision = decide(&alerts, &paused, posted.as_ref(), acknowledged.as_ref());
    let mut w = Writer {
        forge,
        opts,
        me: &me,
        say,
    };
    let title = || text::title(host, alerts.len());
    let body = || causes_first(opts.causes, &text::body(host, jobs, opts.fleet, at));
    match &decision {
        Decision::Nothing | Decision::Acknowledged(None) => {}
        Decision::Create => w.open(&labels, &title(), &body())?,
        Decision::Update { diff, paused } => {
            let issue = kept.expect("an update has an open issue");
            let comment = text::update_comment(host, jobs, opts.fleet, diff, paused);
            let mut comment = causes_first(opts.causes, &comment);
            // News on the issue is the period's reminder too.
            let due = |r: Remind| reminder_due(&alerts, issue.created_at?, at, r.every);
            if let Some(period) = opts.remind.and_then(due) {
                comment.push_str(&format!("\n\n{}", remind_marker(host, period)));
            }
            let tag = marker::comment_tag(host, &alerts);
            w.comment(issue.number, &comment, &tag)?;
            let edit = Edit {
                title: Some(title()),
                body: Some(body()),
                ..Edit::default()
            };
            w.edit(issue.number, &edit, "retitle it and replace its body")?;
        }
        Decision::Close { recovered, paused } => {
            let issue = kept.expect("a close has an open issue");
            let words = text::closing(host, jobs, recovered, paused, issue.created_at, at);
            w.close(issue.number, words)?;
        }
        Decision::Acknowledged(Some(still)) => {
            let issue = closed.as_ref().expect("acknowledged on a closed issue");
            let body = marker::replace_in(host, still, &issue.body);
            let edit = Edit {
                body: Some(body),
                ..Edit::default()
            };
            let what = format!("record that {} job(s) stay acknowledged", still.len());
            w.edit(issue.number, &edit, &what)?;
        }
    }
    if let (Decision::Nothing, Some(issue), Some(r)) = (&decision, kept, opts.remind) {
        w.remind(issue, jobs, &alerts, r)?;
    }
    for replica in open.iter().skip(1) {
        let kept = open[0].number;
        w.close(replica.number, text::duplicate(host, kept))?;
        if !opts.dry_run {
            let (number, shown) = (replica.number, crate::escape::terminal(host));
            (w.say)(format!(
                "warning: closed issue #{number}, a second open issue for host `{shown}`; #{kept} stays open (do two machines report as this host?)"
            ));
        }
    }
    Ok(decision)
}

/// `host`'s issues among `issues` that `me` opened, oldest first.
fn mine(issues: Vec<Issue>, host: &str, me: &str) -> Vec<Issue> {
    let prefix = text::title_prefix(host);
    let ours = |i: &Issue| i.title.starts_with(&prefix) && i.author == me;
    let mut mine: Vec<Issue> = issues.into_iter().filter(ours).collect();
    mine.sort_by_key(|i| (i.created_at, i.number));
    mine
}

/// `text` with the causes in front: `**Cause:** cron is not running (...)`.
fn causes_first(causes: &[crate::cause::Cause], text: &str) -> String {
    let cause = |c: &crate::cause::Cause| format!("**Cause:** {}\n\n", text::inert(&c.text));
    causes.iter().map(cause).collect::<String>() + text
}

const CACHE_VERSION: u32 = 1;

/// `<!-- heartbeat:remind HOST N -->`: `host`'s reminder for `period`.
pub(crate) fn remind_marker(host: &str, period: u64) -> String {
    format!("<!-- heartbeat:remind {} {period} -->", host_word(host))
}

/// Whether `period` was reminded on `host`'s issue by the account `me`. A
/// marker for another period counts for nothing: one from a period not yet
/// begun (a clock that ran ahead) must not silence every period before it.
pub(crate) fn reminded(comments: &[Comment], me: &str, host: &str, period: u64) -> bool {
    let marker = remind_marker(host, period);
    let ours = |c: &Comment| c.author == me && c.body.contains(&marker);
    comments.iter().any(ours)
}

/// The newest period known reminded on one issue of `host`. Only a cache
/// equal to the one a run would write spares reading the comments (one of a
/// later period, after the clock went back, is not taken at its word).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Cache {
    pub version: u32,
    pub host: String,
    pub issue: u64,
    /// Epoch seconds: with the number, which issue it is (another
    /// repository may bear the same number).
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

    pub(crate) fn parse(bytes: &[u8]) -> Option<Cache> {
        let cache: Cache = serde_json::from_slice(bytes).ok()?;
        (cache.version == CACHE_VERSION).then_some(cache)
    }
}

/// The writes of a sync, each sent at most once ([`write_once`]); in a dry
/// run each says what it would send instead.
struct Writer<'a, 'b> {
    forge: &'a dyn Forge,
    opts: &'a Options<'a>,
    me: &'a str,
    say: &'b mut dyn FnMut(String),
}

impl Writer<'_, '_> {
    /// In a dry run, says what would be sent and is true.
    fn dry(&mut self, what: impl FnOnce() -> String) -> bool {
        if self.opts.dry_run {
            (self.say)(format!("dry run: would {}", what()));
        }
        self.opts.dry_run
    }

    /// A 422 may mean another host's run created the label a moment ago (or
    /// on GitHub that it exists in another case): look once more.
    fn create_label(&self, name: &str) -> Result<Label, Error> {
        let look = || Ok(self.forge.find_labels(&[name])?.into_iter().next());
        let create = || self.forge.create_label(name, text::LABEL_DESCRIPTION);
        match write_once(create, &look) {
            Err(Error::Tracker(err)) if err.status() == Some(422) => {
                look()?.ok_or(Error::Tracker(err))
            }
            done => done,
        }
    }

    /// Opens the host's issue, creating the missing `labels`.
    fn open(&mut self, labels: &[Option<Label>; 2], title: &str, body: &str) -> Result<(), Error> {
        let name = self.opts.label;
        if labels[0].is_none() {
            self.dry(|| format!("create label `{name}`"));
        }
        if self.dry(|| format!("open an issue titled `{title}` with label `{name}`:\n{body}")) {
            return Ok(());
        }
        let host_name = text::host_label(name, self.opts.host);
        let or_new =
            |l: &Option<Label>, name| l.clone().map_or_else(|| self.create_label(name), Ok);
        let (label, host_label) = (or_new(&labels[0], name)?, or_new(&labels[1], &host_name)?);
        let look = || -> Result<Option<Issue>, Error> {
            let open = self.forge.list_issues(&[&label], State::Open)?;
            Ok(mine(open, self.opts.host, self.me).into_iter().next())
        };
        let create = || self.forge.create_issue(title, body, &[&label, &host_label]);
        write_once(create, &look).map(drop)
    }

    /// Posts `comment` with `tag` unless our last tagged comment carries it (a
    /// run whose answer was lost or whose edit failed announced it). Only the
    /// last counts, so a set of bad jobs that comes back is announced again.
    fn comment(&mut self, number: u64, comment: &str, tag: &str) -> Result<(), Error> {
        if self.dry(|| format!("comment on issue #{number}:\n{comment}")) {
            return Ok(());
        }
        let posted = || -> Result<Option<()>, Error> {
            let comments = self.forge.comments(number)?;
            let mut ours = comments.iter().rev().filter(|c| c.author == self.me);
            let last = ours.find_map(|c| comment_tag_in(&c.body));
            Ok((last == Some(tag)).then_some(()))
        };
        if posted()?.is_some() {
            return Ok(());
        }
        let body = format!("{comment}\n\n{tag}");
        write_once(|| self.forge.comment(number, &body), &posted)
    }

    /// `--tracker-remind` on an unchanged open issue.
    fn remind(
        &mut self,
        issue: &Issue,
        jobs: &[crate::judge::Judgement],
        alerts: &Jobs,
        remind: Remind<'_>,
    ) -> Result<(), Error> {
        let (opts, number) = (self.opts, issue.number);
        let Some(opened) = issue.created_at else {
            // Said, not skipped in silence: reminders were asked for.
            (self.say)(format!(
                "warning: issue #{number} came without a creation time in RFC 3339 (`created_at`), so --tracker-remind cannot count its periods; no reminder is posted"
            ));
            return Ok(());
        };
        let Some(period) = reminder_due(alerts, opened, opts.checked_at, remind.every) else {
            return Ok(());
        };
        let cache = Cache::new(opts.host, number, opened, period);
        if remind.cached == Some(&cache) {
            return Ok(());
        }
        let posted = || -> Result<Option<()>, Error> {
            let comments = self.forge.comments(number)?;
            Ok(reminded(&comments, self.me, opts.host, period).then_some(()))
        };
        if posted()?.is_none() {
            let open_for = u64::try_from((opts.checked_at - opened).num_seconds()).unwrap_or(0);
            let words = text::reminder(opts.host, jobs, open_for, remind.every);
            let comment = format!("{words}\n{}", remind_marker(opts.host, period));
            if self.dry(|| format!("remind on issue #{number}:\n{comment}")) {
                return Ok(());
            }
            write_once(|| self.forge.comment(number, &comment), &posted)?;
        }
        if !opts.dry_run {
            (remind.remember)(&cache);
        }
        Ok(())
    }

    fn edit(&mut self, number: u64, edit: &Edit, what: &str) -> Result<(), Error> {
        let body = edit.body.as_deref().unwrap_or_default();
        if self.dry(|| format!("edit issue #{number} to {what}:\n{body}")) {
            return Ok(());
        }
        self.forge.edit_issue(number, edit)
    }

    fn close(
        &mut self,
        number: u64,
        (comment, title, body): (String, String, String),
    ) -> Result<(), Error> {
        let tag = marker::comment_tag(self.opts.host, &Jobs::new());
        self.comment(number, &comment, &tag)?;
        if self.dry(|| format!("close issue #{number} as `{title}`")) {
            return Ok(());
        }
        let edit = Edit {
            title: Some(title),
            body: Some(body),
            state: Some(State::Closed),
        };
        self.forge.edit_issue(number, &edit)
    }
}

/// Sends a write that must not be done twice. After a failure that may hide
/// a success (a timeout, a 5xx), `look` once and take what it finds, else
/// give up rather than risk doing it twice: the next run looks first.
fn write_once<T>(
    write: impl FnOnce() -> Result<T, Error>,
    look: &dyn Fn() -> Result<Option<T>, Error>,
) -> Result<T, Error> {
    match write() {
        Err(Error::Tracker(mut err)) if classify(&err.failed) == Class::MaybeDone => {
            if let Some(found) = look()? {
                return Ok(found);
            }
            err.message.push_str(
                "; it may still have been done, so this run does not repeat it and the next run looks for it first",
            );
            Err(Error::Tracker(err))
        }
        done => done,
    }
}

#[cfg(test)]
#[path = "sync_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "remind_tests.rs"]
mod remind_tests;
