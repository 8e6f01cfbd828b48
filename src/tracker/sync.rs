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
//! - **Look before writing again**: a create or comment whose answer was
//!   lost is looked for before it is sent again, in this run and the next.
//! - **One open issue per host**: of several (two checkers set up as one
//!   host), the oldest stays and the others are closed pointing to it.

use chrono::{DateTime, Utc};

use super::decide::{alert_set, decide, paused_set, Decision};
use super::marker::{Jobs, Marker};
use super::remind;
use super::text;
use super::writer::Writer;
use super::{Edit, Forge, Issue, Label, State};
use crate::alert;
use crate::error::Error;
use crate::judge::Judgement;

#[derive(Clone, Copy)]
pub(crate) struct Options<'a> {
    pub host: &'a str,
    /// On every alert issue.
    pub label: &'a str,
    /// Say what would be sent instead of sending a write.
    pub dry_run: bool,
    pub checked_at: DateTime<Utc>,
    pub remind: Option<Remind<'a>>,
    /// The same jobs across hosts, said once in the issue.
    pub fleet: &'a crate::fleet::Fleet,
    /// What explains many jobs at once (cron not running), named first.
    pub causes: &'a [String],
}

/// `--tracker-remind` every `every` seconds. The caller keeps the cache
/// that spares reading the comments (the tracker knows no files): `cached`
/// is what it holds, `remember` what to hold once the forge has a reminder.
#[derive(Clone, Copy)]
pub(crate) struct Remind<'a> {
    pub every: u64,
    pub cached: Option<&'a remind::Cache>,
    pub remember: &'a dyn Fn(&remind::Cache),
}

/// Brings the host's issue in line with the judged `jobs`. Notes for a
/// person (warnings, a dry run's writes) go to `say`, one message a call.
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
    let (me, labels, open, closed) = read(forge, opts)?;
    let alerts = alert_set(opts.host, jobs);
    let kept = open.first();
    let recorded = |i: &Issue| Marker::parse_against(&i.body, &alerts).map(|m| m.jobs);
    let posted = kept.map(|i| recorded(i).unwrap_or_default());
    let acknowledged = closed.as_ref().and_then(recorded);
    let paused = paused_set(opts.host, jobs);
    let decision = decide(&alerts, &paused, posted.as_ref(), acknowledged.as_ref());
    let mut w = Writer {
        forge,
        opts,
        me: &me,
        say,
    };
    let title = || text::title(opts.host, alerts.len());
    let body = || {
        causes_first(
            opts.causes,
            &text::body(opts.host, jobs, opts.fleet, opts.checked_at),
        )
    };
    match &decision {
        Decision::Nothing | Decision::Acknowledged { shrink_to: None } => {}
        Decision::Create => w.open(&labels, &title(), &body())?,
        Decision::Update { diff, paused } => {
            let issue = kept.expect("an update has an open issue");
            let comment = text::update_comment(opts.host, jobs, opts.fleet, diff, paused);
            let mut comment = causes_first(opts.causes, &comment);
            // News on the issue is the period's reminder too.
            if let Some(period) = due(opts, issue, &alerts) {
                comment.push_str(&format!("\n\n{}", remind::marker(opts.host, period)));
            }
            let tag = Marker::new(opts.host, alerts.clone()).comment_tag();
            w.comment(issue.number, &comment, &tag)?;
            let edit = Edit {
                title: Some(title()),
                body: Some(body()),
                state: None,
            };
            w.edit(issue.number, &edit, "retitle it and replace its body")?;
        }
        Decision::Close { recovered, paused } => {
            let issue = kept.expect("a close has an open issue");
            let comment = text::close_comment(
                opts.host,
                jobs,
                recovered,
                paused,
                issue.created_at,
                opts.checked_at,
            );
            w.close(issue.number, &comment, jobs, recovered, paused)?;
        }
        Decision::Acknowledged {
            shrink_to: Some(still),
        } => {
            let issue = closed
                .as_ref()
                .expect("an acknowledgement has a closed issue");
            let body = Marker::new(opts.host, still.clone()).replace_in(&issue.body);
            let edit = Edit {
                body: Some(body),
                ..Edit::default()
            };
            let what = format!("record that {} job(s) stay acknowledged", still.len());
            w.edit(issue.number, &edit, &what)?;
        }
    }
    if let (Decision::Nothing, Some(issue)) = (&decision, kept) {
        w.remind(issue, jobs, &alerts)?;
    }
    for replica in open.iter().skip(1) {
        let kept = open[0].number;
        let comment = text::duplicate_comment(opts.host, kept);
        w.close(replica.number, &comment, jobs, &[], &[])?;
        if !opts.dry_run {
            (w.say)(format!(
                "warning: closed issue #{}, a second open issue for host `{}`; #{kept} stays open (do two machines report as this host?)",
                replica.number,
                crate::escape::terminal(opts.host),
            ));
        }
    }
    Ok(decision)
}

/// Who we are, the shared label and the host's (where they exist), the
/// host's open issues and its newest closed one.
type Seen = (String, [Option<Label>; 2], Vec<Issue>, Option<Issue>);

fn read(forge: &dyn Forge, opts: &Options<'_>) -> Result<Seen, Error> {
    let me = forge.me()?;
    let names = [
        opts.label.to_owned(),
        text::host_label(opts.label, opts.host),
    ];
    let found = forge.find_labels(&[&names[0], &names[1]])?;
    let named = |name: String| found.iter().find(|l| l.name.eq_ignore_ascii_case(&name));
    let labels = names.map(|name| named(name).cloned());
    let open = match &labels[0] {
        Some(label) => mine(forge.list_issues(&[label], State::Open)?, opts.host, &me),
        None => Vec::new(),
    };
    // An acknowledgement, which holds only without an open issue, is on the
    // host's most recently closed issue (by number without a closing time),
    // whoever closed it: the newest page holds it.
    let closed = match (&labels, open.is_empty()) {
        ([Some(label), Some(host_label)], true) => {
            let newest = forge.list_issues(&[label, host_label], State::Closed)?;
            mine(newest, opts.host, &me)
                .into_iter()
                .max_by_key(|i| (i.closed_at, i.number))
        }
        _ => None,
    };
    Ok((me, labels, open, closed))
}

/// The issues among `issues` that are `host`'s and were opened by `me`,
/// oldest first.
pub(super) fn mine(issues: Vec<Issue>, host: &str, me: &str) -> Vec<Issue> {
    let prefix = text::title_prefix(host);
    let mut mine: Vec<Issue> = issues
        .into_iter()
        .filter(|i| i.title.starts_with(&prefix) && i.author == me)
        .collect();
    mine.sort_by_key(|i| (i.created_at, i.number));
    mine
}

/// The reminder period due on the open `issue`, if `--tracker-remind` is on.
pub(super) fn due(opts: &Options<'_>, issue: &Issue, alerts: &Jobs) -> Option<u64> {
    let remind = opts.remind?;
    alert::reminder_due(alerts, issue.created_at?, opts.checked_at, remind.every)
}

/// `text` with the causes in front: `**Cause:** cron is not running (...)`.
fn causes_first(causes: &[String], text: &str) -> String {
    let causes = causes
        .iter()
        .map(|c| format!("**Cause:** {}\n\n", text::inert(c)));
    causes.collect::<String>() + text
}

#[cfg(test)]
#[path = "sync_tests.rs"]
mod tests;
