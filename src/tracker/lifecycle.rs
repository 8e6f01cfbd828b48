//! The alert-issue lifecycle, the same for every forge: one open issue per
//! host while jobs are bad, edited when the set of bad jobs changes, closed
//! when every job recovers, and left alone while a person's acknowledgement
//! holds.
//!
//! "Changed" compares the set of (job, status) pairs with the marker in the
//! issue body (see [`super::marker`]): a job going from `failed` to `stale`
//! is news, a job growing older is not. An acknowledgement covers job names:
//! an acknowledged job stays acknowledged while it is bad in any way, and
//! leaves the acknowledged set once it recovers.

use std::thread;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::marker::{comment_tag_in, Jobs, Marker};
use super::{retry_wait, Edit, Forge, Issue, Label, State, MAX_ATTEMPTS};
use crate::error::Error;
use crate::escape::markdown;
use crate::judge::Judgement;
use crate::record::format_duration;

/// The start of every title hb-check gives its issues.
pub const TITLE_TAG: &str = "[heartbeat-checker]";

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

/// What the lifecycle does, given the bad jobs and the host's issues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Nothing to post: no bad job and no open issue, or nothing changed.
    Nothing,
    /// Open an issue for the bad jobs.
    Create,
    /// Edit the open issue and comment on what changed.
    Update {
        /// Jobs that went bad since the last post, with their status.
        went_bad: Vec<(String, String)>,
        /// Jobs that recovered, with the status they had.
        recovered: Vec<(String, String)>,
        /// Jobs whose bad status changed: (job, was, now).
        changed: Vec<(String, String, String)>,
    },
    /// Comment on what recovered and close the open issue.
    Close {
        /// Jobs that recovered, with the status they had.
        recovered: Vec<(String, String)>,
    },
    /// A person closed the issue while these jobs were bad: post nothing.
    /// When some acknowledged jobs recovered, `shrink_to` is the set that
    /// stays acknowledged, to record on the closed issue.
    Acknowledged {
        /// The smaller acknowledged set to record, if it shrank.
        shrink_to: Option<Jobs>,
    },
}

/// Decides what to do. `alerts` are the bad jobs now; `open` is what the
/// host's open issue last posted (`None`: no open issue); `acknowledged` is
/// the set recorded on the host's most recent closed issue (`None` or empty:
/// no acknowledgement holds).
pub fn decide(alerts: &Jobs, open: Option<&Jobs>, acknowledged: Option<&Jobs>) -> Decision {
    if let Some(posted) = open {
        if alerts.is_empty() {
            return Decision::Close {
                recovered: pairs(posted),
            };
        }
        if alerts == posted {
            return Decision::Nothing;
        }
        let went_bad = alerts
            .iter()
            .filter(|(job, _)| !posted.contains_key(*job))
            .map(|(j, s)| (j.clone(), s.clone()))
            .collect();
        let recovered = posted
            .iter()
            .filter(|(job, _)| !alerts.contains_key(*job))
            .map(|(j, s)| (j.clone(), s.clone()))
            .collect();
        let changed = alerts
            .iter()
            .filter_map(|(job, now)| {
                let was = posted.get(job)?;
                (was != now).then(|| (job.clone(), was.clone(), now.clone()))
            })
            .collect();
        return Decision::Update {
            went_bad,
            recovered,
            changed,
        };
    }
    match acknowledged.filter(|acked| !acked.is_empty()) {
        Some(acked) if alerts.keys().all(|job| acked.contains_key(job)) => {
            let still: Jobs = acked
                .iter()
                .filter(|(job, _)| alerts.contains_key(*job))
                .map(|(j, s)| (j.clone(), s.clone()))
                .collect();
            Decision::Acknowledged {
                shrink_to: (still.len() < acked.len()).then_some(still),
            }
        }
        _ if alerts.is_empty() => Decision::Nothing,
        _ => Decision::Create,
    }
}

fn pairs(jobs: &Jobs) -> Vec<(String, String)> {
    jobs.iter().map(|(j, s)| (j.clone(), s.clone())).collect()
}

/// The bad jobs among `jobs` on the issue of `host`, by [`alert_key`].
pub fn alert_set(host: &str, jobs: &[Judgement]) -> Jobs {
    let mut set = Jobs::new();
    for j in jobs.iter().filter(|j| j.status.is_alert()) {
        set.entry(alert_key(host, j))
            .or_insert_with(|| j.status.to_string());
    }
    set
}

/// How a job is named on the issue of `host`: `HOST/JOB` when its heartbeat
/// comes from another host (a host subdirectory), else `JOB`. The key
/// depends on the job alone, never on which other jobs are bad, so the
/// posted set and an acknowledgement stay valid as other jobs come and go;
/// and a job of this host keeps its key when its heartbeat vanishes and it
/// turns `missing` (which has no host).
pub fn alert_key(host: &str, j: &Judgement) -> String {
    match &j.host {
        Some(h) if h != host => format!("{h}/{}", j.job),
        _ => j.job.clone(),
    }
}

/// The title prefix that marks a host's issues. It ends with the colon, so
/// host `web1` never claims `web10`'s issue.
pub fn title_prefix(host: &str) -> String {
    format!("{TITLE_TAG} {host}:")
}

/// The issue title for `count` bad jobs.
pub fn title(host: &str, count: usize) -> String {
    format!("{} {count} job(s) need attention", title_prefix(host))
}

/// The issue body: a table of the bad jobs, what the issue does, how to
/// retire a job, and the marker.
pub fn body(host: &str, jobs: &[Judgement], checked_at: DateTime<Utc>) -> String {
    let bad: Vec<&Judgement> = jobs.iter().filter(|j| j.status.is_alert()).collect();
    let host_md = markdown(host);
    let mut out = format!(
        "hb-check on **{host_md}** found {} job(s) that need attention.\n\n\
         | job | status | age | interval | ratio | reason |\n\
         |---|---|---|---|---|---|\n",
        bad.len()
    );
    for j in &bad {
        let name = markdown(&alert_key(host, j));
        let or_dash = |v: Option<String>| v.unwrap_or_else(|| "\u{2014}".to_owned());
        out.push_str(&format!(
            "| {name} | {} | {} | {} | {} | {} |\n",
            j.status,
            or_dash(j.age_seconds.map(format_duration)),
            or_dash(j.interval_seconds.map(format_duration)),
            or_dash(j.ratio.map(|r| format!("{r:.2}x"))),
            or_dash(j.reason.as_deref().map(markdown)),
        ));
    }
    out.push_str(&format!(
        "\nChecked at {}. hb-check edits this issue when the set of bad jobs changes \
         and closes it when every job recovers. Closing it by hand acknowledges these jobs: \
         no new issue is opened for them until one of them recovers and goes bad again, \
         or another job goes bad.\n\n\
         To retire a job on purpose, run `hb-write --retire JOB` on {host_md} and drop \
         the job from `--expect` (`HB_EXPECT`).\n\n",
        checked_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    ));
    out.push_str(
        &Marker {
            host: host.to_owned(),
            jobs: alert_set(host, jobs),
        }
        .render(),
    );
    out.push('\n');
    out
}

fn list_names(jobs: &[(String, String)], was: bool) -> String {
    jobs.iter()
        .map(|(job, status)| {
            if was {
                format!("{} (was {status})", markdown(job))
            } else {
                format!("{} ({status})", markdown(job))
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The comment on an edited issue: what went bad, what changed, what
/// recovered.
pub fn update_comment(decision: &Decision, count: usize) -> String {
    let mut lines = Vec::new();
    if let Decision::Update {
        went_bad,
        recovered,
        changed,
    } = decision
    {
        if !went_bad.is_empty() {
            lines.push(format!("Went bad: {}.", list_names(went_bad, false)));
        }
        if !changed.is_empty() {
            let text: Vec<String> = changed
                .iter()
                .map(|(job, was, now)| format!("{} ({was} \u{2192} {now})", markdown(job)))
                .collect();
            lines.push(format!("Changed: {}.", text.join(", ")));
        }
        if !recovered.is_empty() {
            lines.push(format!("Recovered: {}.", list_names(recovered, true)));
        }
    }
    lines.push(format!("{count} job(s) need attention now."));
    lines.join("\n\n")
}

/// The comment before closing: what recovered and how long the issue was
/// open by `now`, the instant the jobs were judged at.
pub fn close_comment(
    recovered: &[(String, String)],
    opened: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> String {
    let mut text = if recovered.is_empty() {
        "Every job recovered.".to_owned()
    } else {
        format!("Recovered: {}.", list_names(recovered, true))
    };
    if let Some(opened) = opened {
        let open_for = (now - opened).num_seconds().max(0) as u64;
        text.push_str(&format!(
            " This issue was open for {}.",
            format_duration(open_for)
        ));
    }
    text.push_str(" Closing it.");
    text
}

/// Brings the host's issue in line with the judged `jobs`. Notes for a
/// person (warnings, and in a dry run what would be sent) go to `say`, one
/// message per call.
///
/// With no job at all nothing is sent: an emptied or wrongly mounted
/// heartbeat directory must not close an open alert as if every job had
/// recovered.
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
    let alerts = alert_set(opts.host, jobs);
    let prefix = title_prefix(opts.host);
    let label = match forge.find_label(opts.label)? {
        Some(label) => Some(label),
        None if opts.dry_run => {
            say(format!("dry run: would create label `{}`", opts.label));
            None
        }
        None => Some(create_label(forge, opts.label)?),
    };
    let open = match &label {
        Some(label) => mine(forge.list_issues(label, State::Open)?, &prefix),
        None => Vec::new(),
    };
    if open.len() > 1 {
        let numbers: Vec<String> = open.iter().map(|i| format!("#{}", i.number)).collect();
        say(format!(
            "warning: {} open issues are titled `{}`: {}; using the oldest, #{}, and leaving the others alone",
            open.len(),
            prefix,
            numbers.join(", "),
            open[0].number
        ));
    }
    let open = open.into_iter().next();
    // Only without an open issue can an acknowledgement hold: it is on the
    // host's most recently closed issue (by number where the server gives
    // no closing time), whoever closed it.
    let closed = match (&label, &open) {
        (Some(label), None) => mine(forge.list_issues(label, State::Closed)?, &prefix)
            .into_iter()
            .max_by_key(|i| (i.closed_at, i.number)),
        _ => None,
    };
    let posted = open
        .as_ref()
        .map(|i| Marker::parse(&i.body).map(|m| m.jobs).unwrap_or_default());
    let acknowledged = closed
        .as_ref()
        .and_then(|i| Marker::parse(&i.body))
        .map(|m| m.jobs);
    let decision = decide(&alerts, posted.as_ref(), acknowledged.as_ref());
    let write = |what: String, act: &mut dyn FnMut() -> Result<(), Error>| {
        if opts.dry_run {
            Ok(Some(what))
        } else {
            act().map(|()| None)
        }
    };
    let mut notes = Vec::new();
    match &decision {
        Decision::Nothing => {}
        Decision::Create => {
            let title = title(opts.host, alerts.len());
            let body = body(opts.host, jobs, opts.checked_at);
            notes.extend(write(
                format!(
                    "dry run: would open an issue titled `{title}` with label `{}`:\n{body}",
                    opts.label
                ),
                &mut || {
                    let label = label.as_ref().expect("a label exists unless dry run");
                    create_issue(forge, label, &prefix, &title, &body).map(|_| ())
                },
            )?);
        }
        Decision::Update { .. } => {
            let issue = open.as_ref().expect("an update has an open issue");
            let comment = update_comment(&decision, alerts.len());
            let tag = Marker {
                host: opts.host.to_owned(),
                jobs: alerts.clone(),
            }
            .comment_tag();
            let edit = Edit {
                title: Some(title(opts.host, alerts.len())),
                body: Some(body(opts.host, jobs, opts.checked_at)),
                state: None,
            };
            notes.extend(write(
                format!(
                    "dry run: would comment on issue #{}:\n{comment}",
                    issue.number
                ),
                &mut || post_comment(forge, issue.number, &comment, &tag),
            )?);
            notes.extend(write(
                format!(
                    "dry run: would retitle issue #{} `{}` and replace its body:\n{}",
                    issue.number,
                    edit.title.as_deref().unwrap_or_default(),
                    edit.body.as_deref().unwrap_or_default()
                ),
                &mut || forge.edit_issue(issue.number, &edit),
            )?);
        }
        Decision::Close { recovered } => {
            let issue = open.as_ref().expect("a close has an open issue");
            let comment = close_comment(recovered, issue.created_at, opts.checked_at);
            let tag = empty_marker(opts.host).comment_tag();
            // Closed by hb-check: record an empty set, so this is not
            // taken for an acknowledgement.
            let edit = Edit {
                title: None,
                body: Some(empty_marker(opts.host).replace_in(&issue.body)),
                state: Some(State::Closed),
            };
            notes.extend(write(
                format!(
                    "dry run: would comment on issue #{}:\n{comment}",
                    issue.number
                ),
                &mut || post_comment(forge, issue.number, &comment, &tag),
            )?);
            notes.extend(write(
                format!("dry run: would close issue #{}", issue.number),
                &mut || forge.edit_issue(issue.number, &edit),
            )?);
        }
        Decision::Acknowledged { shrink_to: None } => {}
        Decision::Acknowledged {
            shrink_to: Some(still),
        } => {
            let issue = closed
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
            notes.extend(write(
                format!(
                    "dry run: would record on closed issue #{} that {} job(s) stay acknowledged",
                    issue.number,
                    still.len()
                ),
                &mut || forge.edit_issue(issue.number, &edit),
            )?);
        }
    }
    for note in notes {
        say(note);
    }
    Ok(decision)
}

fn empty_marker(host: &str) -> Marker {
    Marker {
        host: host.to_owned(),
        jobs: Jobs::new(),
    }
}

/// The host's issues among `issues`, oldest first.
fn mine(issues: Vec<Issue>, prefix: &str) -> Vec<Issue> {
    let mut mine: Vec<Issue> = issues
        .into_iter()
        .filter(|i| i.title.starts_with(prefix))
        .collect();
    mine.sort_by_key(|i| (i.created_at, i.number));
    mine
}

/// Tries a write that must not be done twice. After a failure that
/// certainly left it undone (no connection, a rate limit) it tries again,
/// within [`MAX_ATTEMPTS`] and the retry budget. After any other failure
/// (a timeout, a 5xx) the write may have been done with its answer lost, or
/// may still be under way: `look` once and take what it finds; failing
/// that, give up for this run rather than risk doing it twice. The next
/// run looks again before it writes.
fn write_once<T>(
    write: &dyn Fn() -> Result<T, Error>,
    look: &dyn Fn() -> Result<Option<T>, Error>,
) -> Result<T, Error> {
    let started = Instant::now();
    let mut attempt = 1;
    loop {
        let mut err = match write() {
            Ok(done) => return Ok(done),
            Err(Error::Tracker(err)) => err,
            Err(err) => return Err(err),
        };
        err.attempts = attempt;
        if err.certainly_not_done() {
            match retry_wait(
                &mut err,
                attempt,
                MAX_ATTEMPTS,
                started.elapsed(),
                Duration::ZERO,
            ) {
                Some(wait) => {
                    thread::sleep(wait);
                    attempt += 1;
                    continue;
                }
                None => return Err(Error::Tracker(err)),
            }
        }
        if err.is_transient() {
            if let Some(found) = look()? {
                return Ok(found);
            }
            err.message.push_str(
                "; it may still have been done, so this run does not repeat it and the next run looks for it first",
            );
        }
        return Err(Error::Tracker(err));
    }
}

/// Creates the label. A 422 may mean that another host's run created it
/// a moment ago (or, on GitHub, that it exists in another case): look once
/// more before giving up.
fn create_label(forge: &dyn Forge, name: &str) -> Result<Label, Error> {
    let look = || forge.find_label(name);
    match write_once(&|| forge.create_label(name), &look) {
        Err(Error::Tracker(err)) if err.status == Some(422) => look()?.ok_or(Error::Tracker(err)),
        done => done,
    }
}

/// Posts `text`, tagged with `tag`, on issue `number`, unless the last
/// comment hb-check left there already carries `tag`: then this change was
/// announced by a run whose answer was lost or whose edit failed after the
/// comment. Only the last tagged comment counts, so a set of bad jobs that
/// comes back later is announced again.
fn post_comment(forge: &dyn Forge, number: u64, text: &str, tag: &str) -> Result<(), Error> {
    let posted = || -> Result<Option<()>, Error> {
        let comments = forge.comments(number)?;
        let last = comments.iter().rev().find_map(|c| comment_tag_in(c));
        Ok((last == Some(tag)).then_some(()))
    };
    if posted()?.is_some() {
        return Ok(());
    }
    let body = format!("{text}\n\n{tag}");
    write_once(&|| forge.comment(number, &body), &posted)
}

fn create_issue(
    forge: &dyn Forge,
    label: &Label,
    prefix: &str,
    title: &str,
    body: &str,
) -> Result<Issue, Error> {
    write_once(&|| forge.create_issue(title, body, label), &|| {
        Ok(mine(forge.list_issues(label, State::Open)?, prefix)
            .into_iter()
            .next())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jobs(list: &[(&str, &str)]) -> Jobs {
        list.iter()
            .map(|(j, s)| (j.to_string(), s.to_string()))
            .collect()
    }

    #[test]
    fn bad_jobs_without_an_issue_open_one() {
        let bad = jobs(&[("backup", "stale")]);
        assert_eq!(decide(&bad, None, None), Decision::Create);
        assert_eq!(decide(&Jobs::new(), None, None), Decision::Nothing);
    }

    #[test]
    fn an_unchanged_set_posts_nothing() {
        let bad = jobs(&[("backup", "stale")]);
        assert_eq!(decide(&bad, Some(&bad), None), Decision::Nothing);
    }

    #[test]
    fn a_changed_set_names_what_changed() {
        let posted = jobs(&[("backup", "stale"), ("db", "failed"), ("mail", "failed")]);
        let now = jobs(&[("backup", "stale"), ("db", "stale"), ("sync", "missing")]);
        assert_eq!(
            decide(&now, Some(&posted), None),
            Decision::Update {
                went_bad: vec![("sync".into(), "missing".into())],
                recovered: vec![("mail".into(), "failed".into())],
                changed: vec![("db".into(), "failed".into(), "stale".into())],
            }
        );
    }

    #[test]
    fn recovery_closes() {
        let posted = jobs(&[("backup", "stale")]);
        assert_eq!(
            decide(&Jobs::new(), Some(&posted), None),
            Decision::Close {
                recovered: vec![("backup".into(), "stale".into())]
            }
        );
    }

    #[test]
    fn an_acknowledgement_holds_while_the_same_jobs_are_bad() {
        let acked = jobs(&[("backup", "stale"), ("db", "failed")]);
        let same_names = jobs(&[("backup", "stale"), ("db", "stale")]);
        assert_eq!(
            decide(&same_names, None, Some(&acked)),
            Decision::Acknowledged { shrink_to: None }
        );
        let fewer = jobs(&[("db", "failed")]);
        assert_eq!(
            decide(&fewer, None, Some(&acked)),
            Decision::Acknowledged {
                shrink_to: Some(jobs(&[("db", "failed")]))
            }
        );
        assert_eq!(
            decide(&Jobs::new(), None, Some(&acked)),
            Decision::Acknowledged {
                shrink_to: Some(Jobs::new())
            }
        );
    }

    #[test]
    fn a_new_bad_job_breaks_the_acknowledgement() {
        let acked = jobs(&[("backup", "stale")]);
        let more = jobs(&[("backup", "stale"), ("db", "failed")]);
        assert_eq!(decide(&more, None, Some(&acked)), Decision::Create);
    }

    #[test]
    fn a_closed_issue_with_an_empty_set_is_no_acknowledgement() {
        let bad = jobs(&[("backup", "stale")]);
        assert_eq!(decide(&bad, None, Some(&Jobs::new())), Decision::Create);
    }

    #[test]
    fn titles_end_the_host_with_a_colon() {
        assert_eq!(
            title("web1", 2),
            "[heartbeat-checker] web1: 2 job(s) need attention"
        );
        assert!(!title("web10", 1).starts_with(&title_prefix("web1")));
    }

    #[test]
    fn bodies_escape_untrusted_text_and_carry_the_marker() {
        let mut j = Judgement::missing("back|up");
        j.reason = Some("<b>pipe | here</b>".into());
        let text = body("web1", &[j], Utc::now());
        assert!(text.contains("| back\\|up | missing |"), "{text}");
        assert!(text.contains("&lt;b\\>pipe \\| here&lt;/b\\>"), "{text}");
        assert!(text.contains("hb-write --retire JOB"));
        let marker = Marker::parse(&text).unwrap();
        assert_eq!(marker.jobs, jobs(&[("back|up", "missing")]));
    }

    /// An in-memory forge: the lifecycle through the trait, without HTTP.
    #[derive(Default)]
    struct Memory {
        issues: std::cell::RefCell<Vec<Issue>>,
        writes: std::cell::Cell<usize>,
        /// Creates that succeed but report a transient fault.
        lose_answers: std::cell::Cell<usize>,
        /// Every comment, with the issue it is on.
        comments: std::cell::RefCell<Vec<(u64, String)>>,
    }

    fn bad_gateway() -> Error {
        crate::error::TrackerError {
            server: "memory".into(),
            repo: "o/r".into(),
            method: "POST".into(),
            path: "/issues".into(),
            status: Some(502),
            message: "bad gateway".into(),
            attempts: 1,
            retry_after: None,
            rate_limited: false,
            source: None,
        }
        .into()
    }

    impl Forge for Memory {
        fn find_label(&self, name: &str) -> Result<Option<Label>, Error> {
            Ok(Some(Label {
                id: 1,
                name: name.into(),
            }))
        }
        fn create_label(&self, name: &str) -> Result<Label, Error> {
            Ok(Label {
                id: 1,
                name: name.into(),
            })
        }
        fn list_issues(&self, _: &Label, state: State) -> Result<Vec<Issue>, Error> {
            let all = self.issues.borrow();
            Ok(all.iter().filter(|i| i.state == state).cloned().collect())
        }
        fn create_issue(&self, title: &str, body: &str, label: &Label) -> Result<Issue, Error> {
            self.writes.set(self.writes.get() + 1);
            let issue = Issue {
                number: self.issues.borrow().len() as u64 + 1,
                title: title.into(),
                body: body.into(),
                state: State::Open,
                labels: vec![label.name.clone()],
                created_at: Some(Utc::now()),
                closed_at: None,
            };
            self.issues.borrow_mut().push(issue.clone());
            if self.lose_answers.get() > 0 {
                self.lose_answers.set(self.lose_answers.get() - 1);
                return Err(bad_gateway());
            }
            Ok(issue)
        }
        fn edit_issue(&self, number: u64, edit: &Edit) -> Result<(), Error> {
            self.writes.set(self.writes.get() + 1);
            let mut all = self.issues.borrow_mut();
            let issue = &mut all[number as usize - 1];
            if let Some(t) = &edit.title {
                issue.title = t.clone();
            }
            if let Some(b) = &edit.body {
                issue.body = b.clone();
            }
            if let Some(s) = edit.state {
                issue.state = s;
            }
            Ok(())
        }
        fn comment(&self, number: u64, body: &str) -> Result<(), Error> {
            self.writes.set(self.writes.get() + 1);
            self.comments.borrow_mut().push((number, body.into()));
            if self.lose_answers.get() > 0 {
                self.lose_answers.set(self.lose_answers.get() - 1);
                return Err(bad_gateway());
            }
            Ok(())
        }
        fn comments(&self, number: u64) -> Result<Vec<String>, Error> {
            let all = self.comments.borrow();
            Ok(all
                .iter()
                .filter(|(n, _)| *n == number)
                .map(|(_, c)| c.clone())
                .collect())
        }
    }

    fn judged(list: &[(&str, crate::judge::Status)]) -> Vec<Judgement> {
        list.iter()
            .map(|(job, status)| {
                let mut j = Judgement::missing(job);
                j.status = *status;
                j
            })
            .collect()
    }

    #[test]
    fn the_lifecycle_runs_through_the_trait() {
        use crate::judge::Status::{Ok as Fine, Stale};
        let forge = Memory::default();
        let opts = Options {
            host: "web1",
            label: "heartbeat",
            dry_run: false,
            checked_at: Utc::now(),
        };
        let mut notes = Vec::new();
        let mut say = |n: String| notes.push(n);
        let bad = judged(&[("backup", Stale)]);
        assert_eq!(
            sync(&forge, &opts, &bad, &mut say).unwrap(),
            Decision::Create
        );
        assert_eq!(
            sync(&forge, &opts, &bad, &mut say).unwrap(),
            Decision::Nothing
        );
        assert_eq!(forge.writes.get(), 1);
        let good = judged(&[("backup", Fine)]);
        assert!(matches!(
            sync(&forge, &opts, &good, &mut say).unwrap(),
            Decision::Close { .. }
        ));
        assert_eq!(forge.issues.borrow()[0].state, State::Closed);
        assert_eq!(forge.writes.get(), 3);
        assert!(notes.is_empty(), "{notes:?}");
    }

    #[test]
    fn no_job_at_all_sends_nothing_and_closes_nothing() {
        use crate::judge::Status::Stale;
        let forge = Memory::default();
        let opts = Options {
            host: "web1",
            label: "heartbeat",
            dry_run: false,
            checked_at: Utc::now(),
        };
        sync(&forge, &opts, &judged(&[("backup", Stale)]), &mut |_| {}).unwrap();
        let writes = forge.writes.get();
        let mut notes = Vec::new();
        let decision = sync(&forge, &opts, &[], &mut |n| notes.push(n)).unwrap();
        assert_eq!(decision, Decision::Nothing);
        assert_eq!(forge.writes.get(), writes);
        assert_eq!(forge.issues.borrow()[0].state, State::Open);
        assert!(notes[0].contains("left as it is"), "{notes:?}");
    }

    #[test]
    fn a_comment_is_not_posted_again_for_the_same_change() {
        use crate::judge::Status::{Failed, Stale};
        let forge = Memory::default();
        let opts = Options {
            host: "web1",
            label: "heartbeat",
            dry_run: false,
            checked_at: Utc::now(),
        };
        sync(&forge, &opts, &judged(&[("backup", Stale)]), &mut |_| {}).unwrap();
        let worse = judged(&[("backup", Stale), ("db", Failed)]);
        // The comment is made but its answer is lost.
        forge.lose_answers.set(1);
        assert!(sync(&forge, &opts, &worse, &mut |_| {}).is_ok());
        assert_eq!(forge.comments.borrow().len(), 1);
        assert!(forge.issues.borrow()[0].body.contains("\"db\":\"failed\""));
        // Back and forth: the same change later is announced again.
        let fine = judged(&[("backup", Stale)]);
        sync(&forge, &opts, &fine, &mut |_| {}).unwrap();
        sync(&forge, &opts, &worse, &mut |_| {}).unwrap();
        let comments = forge.comments.borrow();
        assert_eq!(comments.len(), 3, "{comments:?}");
        assert_eq!(
            comment_tag_in(&comments[0].1),
            comment_tag_in(&comments[2].1)
        );
    }

    #[test]
    fn keys_depend_on_the_job_alone() {
        use crate::judge::Status::Stale;
        let mut here = Judgement::missing("backup");
        here.status = Stale;
        here.host = Some("web1".into());
        let mut there = here.clone();
        there.host = Some("web2".into());
        let ghost = Judgement::missing("backup");
        assert_eq!(alert_key("web1", &here), "backup");
        assert_eq!(alert_key("web1", &there), "web2/backup");
        assert_eq!(alert_key("web1", &ghost), "backup");
        assert_eq!(
            alert_set("web1", &[here.clone(), there]),
            jobs(&[("backup", "stale"), ("web2/backup", "stale")])
        );
        assert_eq!(alert_set("web1", &[here]), jobs(&[("backup", "stale")]));
    }

    #[test]
    fn open_for_counts_to_the_judging_instant() {
        let opened = DateTime::parse_from_rfc3339("2026-11-22T01:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let now = opened + chrono::Duration::minutes(150);
        let text = close_comment(&[], Some(opened), now);
        assert!(text.contains("open for 2h 30m"), "{text}");
    }

    #[test]
    fn a_lost_create_answer_is_looked_for_before_creating_again() {
        let forge = Memory::default();
        forge.lose_answers.set(1);
        let opts = Options {
            host: "web1",
            label: "heartbeat",
            dry_run: false,
            checked_at: Utc::now(),
        };
        let bad = judged(&[("backup", crate::judge::Status::Stale)]);
        assert_eq!(
            sync(&forge, &opts, &bad, &mut |_| {}).unwrap(),
            Decision::Create
        );
        assert_eq!(forge.issues.borrow().len(), 1);
    }
}
