//! The writes of a sync, each sent at most once ([`write_once`]); in a dry
//! run each says what it would send instead.

use super::marker::{comment_tag_in, Marker};
use super::sync::{mine, remind_marker, reminded, Cache, Options, Remind};
use super::text;
use super::{Edit, Forge, Issue, Label, State};
use crate::alert::{reminder_due, Jobs};
use crate::error::Error;
use crate::http::retry::{classify, Class};

pub(super) struct Writer<'a, 'b> {
    pub(super) forge: &'a dyn Forge,
    pub(super) opts: &'a Options<'a>,
    pub(super) me: &'a str,
    pub(super) say: &'b mut dyn FnMut(String),
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
    pub(super) fn open(
        &mut self,
        labels: &[Option<Label>; 2],
        title: &str,
        body: &str,
    ) -> Result<(), Error> {
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
    pub(super) fn comment(&mut self, number: u64, comment: &str, tag: &str) -> Result<(), Error> {
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
    pub(super) fn remind(
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

    pub(super) fn edit(&mut self, number: u64, edit: &Edit, what: &str) -> Result<(), Error> {
        let body = edit.body.as_deref().unwrap_or_default();
        if self.dry(|| format!("edit issue #{number} to {what}:\n{body}")) {
            return Ok(());
        }
        self.forge.edit_issue(number, edit)
    }

    pub(super) fn close(
        &mut self,
        number: u64,
        (comment, title, body): (String, String, String),
    ) -> Result<(), Error> {
        let tag = Marker::new(self.opts.host, Jobs::new()).comment_tag();
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
pub(super) fn write_once<T>(
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
