//! The choreography of one sync: read who we are, the labels and the host's
//! issues, [`decide`], then write. The rules every run keeps:
//!
//! - **Nothing without jobs**: with no heartbeat at all nothing is sent, so
//!   an emptied or wrongly mounted directory never closes an alert.
//! - **Bounded reads**: who we are, the labels, the open alert issues (all
//!   hosts, bounded by [`super::client::MAX_PAGES`]) and, only without an
//!   open issue, the newest page of this host's closed issues (found by the
//!   host label): a fixed number of requests whatever the repo's history.
//! - **Only our own words count**: issues, markers and comment tags are
//!   trusted only when the checker's own account wrote them; an issue with
//!   our title opened by a person is never touched.
//! - **Look before writing again**: a create or comment whose answer was
//!   lost is looked for before it is sent again, in this run and the next.
//! - **One open issue per host**: when several of ours are open (two
//!   checkers set up as one host), the oldest stays and the others are
//!   closed with a comment pointing to it.

use chrono::{DateTime, Utc};

use super::decide::{alert_set, decide, Decision};
use super::marker::{comment_tag_in, Jobs, Marker};
use super::retry::{classify, Class};
use super::text;
use super::{Edit, Forge, Issue, Label, Pages, State};
use crate::error::Error;
use crate::judge::Judgement;

/// How a sync runs.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// The host whose issue this is.
    pub host: &'a str,
    /// The label on every alert issue.
    pub label: &'a str,
    /// Read, decide and say what would be sent, but send no write request.
    pub dry_run: bool,
    /// The instant the jobs were judged at.
    pub checked_at: DateTime<Utc>,
}

/// What a sync read before it decided.
struct Seen {
    me: String,
    label: Option<Label>,
    host_label: Option<Label>,
    open: Vec<Issue>,
    closed: Option<Issue>,
}

/// Brings the host's issue in line with the judged `jobs`. Notes for a
/// person (warnings, and in a dry run what would be sent) go to `say`, one
/// message per call. Returns what was decided.
pub fn sync(
    forge: &dyn Forge,
    opts: &Options<'_>,
    jobs: &[Judgement],
    say: &mut dyn FnMut(String),
) -> Result<Decision, Error> {
    if jobs.is_empty() {
        say("the tracker was left as it is: no heartbeat was found to judge".to_owned());
        return Ok(Decision::Nothing);
    }
    let seen = read(forge, opts)?;
    let alerts = alert_set(opts.host, jobs);
    let kept = seen.open.first();
    let posted = kept.map(|i| Marker::parse(&i.body).map(|m| m.jobs).unwrap_or_default());
    let acknowledged = seen
        .closed
        .as_ref()
        .and_then(|i| Marker::parse(&i.body))
        .map(|m| m.jobs);
    let decision = decide(&alerts, posted.as_ref(), acknowledged.as_ref());
    let mut w = Writer {
        forge,
        opts,
        me: &seen.me,
        say,
    };
    match &decision {
        Decision::Nothing | Decision::Acknowledged { shrink_to: None } => {}
        Decision::Create => {
            let title = text::title(opts.host, alerts.len());
            let body = text::body(opts.host, jobs, opts.checked_at);
            if opts.dry_run {
                if seen.label.is_none() {
                    (w.say)(format!("dry run: would create label `{}`", opts.label));
                }
                (w.say)(format!(
                    "dry run: would open an issue titled `{title}` with label `{}`:\n{body}",
                    opts.label
                ));
            } else {
                let label = match seen.label.clone() {
                    Some(label) => label,
                    None => w.ensure_label(opts.label)?,
                };
                let host_label = match seen.host_label.clone() {
                    Some(label) => label,
                    None => w.ensure_label(&text::host_label(opts.label, opts.host))?,
                };
                w.create_issue(&label, &host_label, &title, &body)?;
            }
        }
        Decision::Update {
            went_bad,
            recovered,
            changed,
        } => {
            let issue = kept.expect("an update has an open issue");
            let comment = text::update_comment(went_bad, changed, recovered, alerts.len());
            w.comment(issue.number, &comment, &tag(opts.host, &alerts))?;
            let edit = Edit {
                title: Some(text::title(opts.host, alerts.len())),
                body: Some(text::body(opts.host, jobs, opts.checked_at)),
                state: None,
            };
            w.edit(issue.number, &edit, "retitle it and replace its body")?;
        }
        Decision::Close { recovered } => {
            let issue = kept.expect("a close has an open issue");
            let comment = text::close_comment(recovered, issue.created_at, opts.checked_at);
            w.comment(issue.number, &comment, &tag(opts.host, &Jobs::new()))?;
            w.close(
                issue.number,
                text::closed_body(opts.host, recovered, opts.checked_at),
            )?;
        }
        Decision::Acknowledged {
            shrink_to: Some(still),
        } => {
            let issue = seen
                .closed
                .as_ref()
                .expect("an acknowledgement has a closed issue");
            let marker = Marker {
                host: opts.host.to_owned(),
                jobs: still.clone(),
            };
            let edit = Edit {
                title: None,
                body: Some(marker.replace_in(&issue.body)),
                state: None,
            };
            let what = format!("record that {} job(s) stay acknowledged", still.len());
            w.edit(issue.number, &edit, &what)?;
        }
    }
    if let Some(kept) = kept {
        for replica in &seen.open[1..] {
            let comment = text::duplicate_comment(opts.host, kept.number);
            w.comment(replica.number, &comment, &tag(opts.host, &Jobs::new()))?;
            w.close(
                replica.number,
                text::closed_body(opts.host, &[], opts.checked_at),
            )?;
            if !opts.dry_run {
                (w.say)(format!(
                    "warning: closed issue #{}, a second open issue for host `{}`; #{} stays open (do two machines report as this host?)",
                    replica.number,
                    crate::escape::terminal(opts.host),
                    kept.number
                ));
            }
        }
    }
    Ok(decision)
}

/// The reads of a sync, in a fixed, bounded number of requests.
fn read(forge: &dyn Forge, opts: &Options<'_>) -> Result<Seen, Error> {
    let me = forge.me()?;
    let host_label_name = text::host_label(opts.label, opts.host);
    let found = forge.find_labels(&[opts.label, &host_label_name])?;
    let named = |name: &str| {
        found
            .iter()
            .find(|l| l.name.eq_ignore_ascii_case(name))
            .cloned()
    };
    let (label, host_label) = (named(opts.label), named(&host_label_name));
    let prefix = text::title_prefix(opts.host);
    let open = match &label {
        Some(label) => mine(
            forge.list_issues(&[label], State::Open, Pages::All)?,
            &prefix,
            &me,
        ),
        None => Vec::new(),
    };
    // Only without an open issue can an acknowledgement hold: it is on the
    // host's most recently closed issue (by number where the server gives
    // no closing time), whoever closed it. The host's issues are opened one
    // after another, so its newest page holds it.
    let closed = match (&label, &host_label, open.is_empty()) {
        (Some(label), Some(host_label), true) => {
            let newest = forge.list_issues(&[label, host_label], State::Closed, Pages::Newest)?;
            mine(newest, &prefix, &me)
                .into_iter()
                .max_by_key(|i| (i.closed_at, i.number))
        }
        _ => None,
    };
    Ok(Seen {
        me,
        label,
        host_label,
        open,
        closed,
    })
}

/// The issues among `issues` that are the host's and were opened by the
/// checker's own account `me`, oldest first.
fn mine(issues: Vec<Issue>, prefix: &str, me: &str) -> Vec<Issue> {
    let mut mine: Vec<Issue> = issues
        .into_iter()
        .filter(|i| i.title.starts_with(prefix) && i.author == me)
        .collect();
    mine.sort_by_key(|i| (i.created_at, i.number));
    mine
}

/// The tag of a comment whose change leaves `jobs` on the host's issue.
fn tag(host: &str, jobs: &Jobs) -> String {
    Marker {
        host: host.to_owned(),
        jobs: jobs.clone(),
    }
    .comment_tag()
}

/// The writes of a sync; in a dry run, each says what it would send.
struct Writer<'a, 'b> {
    forge: &'a dyn Forge,
    opts: &'a Options<'a>,
    me: &'a str,
    say: &'b mut dyn FnMut(String),
}

impl Writer<'_, '_> {
    /// Finds or creates a label. A 422 may mean another host's run created
    /// it a moment ago (or, on GitHub, that it exists in another case): look
    /// once more before giving up.
    fn ensure_label(&mut self, name: &str) -> Result<Label, Error> {
        let look = || -> Result<Option<Label>, Error> {
            Ok(self.forge.find_labels(&[name])?.into_iter().next())
        };
        match write_once(
            || self.forge.create_label(name, text::LABEL_DESCRIPTION),
            &look,
        ) {
            Err(Error::Tracker(err)) if err.status == Some(422) => {
                look()?.ok_or(Error::Tracker(err))
            }
            done => done,
        }
    }

    fn create_issue(
        &mut self,
        label: &Label,
        host_label: &Label,
        title: &str,
        body: &str,
    ) -> Result<(), Error> {
        let prefix = text::title_prefix(self.opts.host);
        let look = || -> Result<Option<Issue>, Error> {
            let open = self.forge.list_issues(&[label], State::Open, Pages::All)?;
            Ok(mine(open, &prefix, self.me).into_iter().next())
        };
        write_once(
            || self.forge.create_issue(title, body, &[label, host_label]),
            &look,
        )
        .map(|_| ())
    }

    /// Posts `comment`, tagged with `tag`, on issue `number`, unless the last
    /// tagged comment our account left there already carries `tag`: then
    /// this change was announced by a run whose answer was lost or whose edit
    /// failed after the comment. Only the last tagged comment counts, so a
    /// set of bad jobs that comes back later is announced again; a tag typed
    /// by anyone else counts for nothing.
    fn comment(&mut self, number: u64, comment: &str, tag: &str) -> Result<(), Error> {
        if self.opts.dry_run {
            (self.say)(format!(
                "dry run: would comment on issue #{number}:\n{comment}"
            ));
            return Ok(());
        }
        let posted = || -> Result<Option<()>, Error> {
            let comments = self.forge.comments(number)?;
            let last = comments
                .iter()
                .rev()
                .filter(|c| c.author == self.me)
                .find_map(|c| comment_tag_in(&c.body));
            Ok((last == Some(tag)).then_some(()))
        };
        if posted()?.is_some() {
            return Ok(());
        }
        let body = format!("{comment}\n\n{tag}");
        write_once(|| self.forge.comment(number, &body), &posted)
    }

    fn edit(&mut self, number: u64, edit: &Edit, what: &str) -> Result<(), Error> {
        if self.opts.dry_run {
            let shown = edit
                .body
                .as_deref()
                .map(|b| format!(":\n{b}"))
                .unwrap_or_default();
            (self.say)(format!(
                "dry run: would edit issue #{number} to {what}{shown}"
            ));
            return Ok(());
        }
        self.forge.edit_issue(number, edit)
    }

    fn close(&mut self, number: u64, body: String) -> Result<(), Error> {
        if self.opts.dry_run {
            (self.say)(format!("dry run: would close issue #{number}"));
            return Ok(());
        }
        let edit = Edit {
            title: Some(text::closed_title(self.opts.host)),
            body: Some(body),
            state: Some(State::Closed),
        };
        self.forge.edit_issue(number, &edit)
    }
}

/// Sends a write that must not be done twice. The client already repeated
/// it where the server certainly did not act; after a failure that may hide
/// a success (a timeout, a 5xx), `look` once and take what it finds, else
/// give up for this run rather than risk doing it twice: the next run looks
/// again before it writes.
fn write_once<T>(
    write: impl FnOnce() -> Result<T, Error>,
    look: &dyn Fn() -> Result<Option<T>, Error>,
) -> Result<T, Error> {
    match write() {
        Err(Error::Tracker(mut err)) if classify(&err) == Class::MaybeDone => {
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
