//! The sync through the [`Forge`] trait, against an in-memory forge.

use std::cell::{Cell, RefCell};

use super::*;
use crate::error::TrackerError;
use crate::judge::Judgement;
use crate::judge::Status::{self, Failed, Ok as Fine, Stale};
use crate::tracker::marker::comment_tag_in;
use crate::tracker::Label;

/// An in-memory forge: the sync through the trait, without HTTP.
#[derive(Default)]
struct Memory {
    issues: RefCell<Vec<Issue>>,
    writes: Cell<usize>,
    /// Writes that succeed but report a lost answer.
    lose_answers: Cell<usize>,
    comments: RefCell<Vec<(u64, Comment)>>,
    /// How many times the comments were read.
    comment_reads: Cell<usize>,
}

const ME: &str = "hb-bot";

fn bad_gateway() -> Error {
    Box::new(TrackerError {
        server: "memory".into(),
        repo: "o/r".into(),
        method: "POST".into(),
        path: "/issues".into(),
        message: "bad gateway".into(),
        attempts: 1,
        failed: crate::http::retry::Failed {
            status: Some(502),
            ..Default::default()
        },
        source: None,
    })
    .into()
}

impl Memory {
    fn lost(&self) -> bool {
        let lost = self.lose_answers.get() > 0;
        if lost {
            self.lose_answers.set(self.lose_answers.get() - 1);
        }
        lost
    }

    fn by(&self, author: &str, number: u64, body: &str) {
        self.comments.borrow_mut().push((
            number,
            Comment {
                id: 0,
                author: author.into(),
                body: body.into(),
            },
        ));
    }
}

impl Forge for Memory {
    fn me(&self) -> Result<String, Error> {
        Ok(ME.into())
    }
    fn find_labels(&self, names: &[&str]) -> Result<Vec<Label>, Error> {
        Ok(names
            .iter()
            .map(|n| Label {
                id: 1,
                name: (*n).into(),
            })
            .collect())
    }
    fn create_label(&self, name: &str, _: &str) -> Result<Label, Error> {
        Ok(Label {
            id: 1,
            name: name.into(),
        })
    }
    fn list_issues(&self, _: &[&Label], state: State) -> Result<Vec<Issue>, Error> {
        let all = self.issues.borrow();
        Ok(all
            .iter()
            .rev()
            .filter(|i| i.state == state)
            .cloned()
            .collect())
    }
    fn create_issue(&self, title: &str, body: &str, _: &[&Label]) -> Result<Issue, Error> {
        self.writes.set(self.writes.get() + 1);
        let issue = Issue {
            number: self.issues.borrow().len() as u64 + 1,
            title: title.into(),
            body: body.into(),
            state: State::Open,
            labels: Vec::new(),
            author: ME.into(),
            created_at: Some(Utc::now()),
            closed_at: None,
            pull_request: None,
        };
        self.issues.borrow_mut().push(issue.clone());
        if self.lost() {
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
        self.by(ME, number, body);
        if self.lost() {
            return Err(bad_gateway());
        }
        Ok(())
    }
    fn comments(&self, number: u64) -> Result<Vec<Comment>, Error> {
        self.comment_reads.set(self.comment_reads.get() + 1);
        let all = self.comments.borrow();
        Ok(all
            .iter()
            .filter(|(n, _)| *n == number)
            .map(|(_, c)| c.clone())
            .collect())
    }
}

fn judged(list: &[(&str, Status)]) -> Vec<Judgement> {
    list.iter()
        .map(|(job, status)| {
            let mut j = Judgement::missing(job);
            j.status = *status;
            j
        })
        .collect()
}

fn opts() -> Options<'static> {
    Options {
        causes: &[],
        host: "web1",
        label: "heartbeat",
        dry_run: false,
        checked_at: Utc::now(),
        remind: None,
        fleet: &crate::fleet::NONE,
    }
}

/// [`opts`] judging `hours` after now, reminding daily without a cache.
fn later(hours: i64) -> Options<'static> {
    Options {
        causes: &[],
        checked_at: Utc::now() + chrono::Duration::hours(hours),
        remind: Some(super::Remind {
            every: 86_400,
            cached: None,
            remember: &|_| {},
        }),
        ..opts()
    }
}

#[test]
fn a_reminder_is_posted_once_per_period_even_when_its_answer_is_lost() {
    let forge = Memory::default();
    let bad = judged(&[("backup", Stale)]);
    sync(&forge, &later(0), &bad, &mut |_| {}).unwrap();
    sync(&forge, &later(23), &bad, &mut |_| {}).unwrap();
    assert_eq!(forge.writes.get(), 1, "no reminder within the first day");
    // Someone else's marker for period 1 counts for nothing.
    forge.by("mallory", 1, &remind_marker("web1", 1));
    forge.lose_answers.set(1);
    sync(&forge, &later(25), &bad, &mut |_| {}).unwrap();
    sync(&forge, &later(26), &bad, &mut |_| {}).unwrap();
    let ours = |forge: &Memory| {
        forge
            .comments
            .borrow()
            .iter()
            .filter(|(_, c)| c.author == ME)
            .count()
    };
    assert_eq!(ours(&forge), 1, "{:?}", forge.comments.borrow());
    sync(&forge, &later(49), &bad, &mut |_| {}).unwrap();
    assert_eq!(ours(&forge), 2, "the next period reminds again");
    let comments = forge.comments.borrow();
    let last = &comments.last().unwrap().1.body;
    assert!(
        last.starts_with("Reminder: this issue has been open for 2d"),
        "{last}"
    );
    assert!(last.contains("<!-- heartbeat:remind web1 2 -->"), "{last}");
}

#[test]
fn the_lifecycle_runs_through_the_trait() {
    let forge = Memory::default();
    let mut notes = Vec::new();
    let mut say = |n: String| notes.push(n);
    let bad = judged(&[("backup", Stale)]);
    assert_eq!(
        sync(&forge, &opts(), &bad, &mut say).unwrap(),
        Decision::Create
    );
    assert_eq!(
        sync(&forge, &opts(), &bad, &mut say).unwrap(),
        Decision::Nothing
    );
    assert_eq!(forge.writes.get(), 1);
    let good = judged(&[("backup", Fine)]);
    assert!(matches!(
        sync(&forge, &opts(), &good, &mut say).unwrap(),
        Decision::Close { .. }
    ));
    let closed = forge.issues.borrow()[0].clone();
    assert_eq!(closed.state, State::Closed);
    assert!(closed.body.contains("recovered"), "{}", closed.body);
    assert_eq!(forge.writes.get(), 3);
    assert!(notes.is_empty(), "{notes:?}");
}

#[test]
fn no_job_at_all_sends_nothing_and_closes_nothing() {
    let forge = Memory::default();
    sync(&forge, &opts(), &judged(&[("backup", Stale)]), &mut |_| {}).unwrap();
    let writes = forge.writes.get();
    let mut notes = Vec::new();
    let decision = sync(&forge, &opts(), &[], &mut |n| notes.push(n)).unwrap();
    assert_eq!(decision, Decision::Nothing);
    assert_eq!(forge.writes.get(), writes);
    assert_eq!(forge.issues.borrow()[0].state, State::Open);
    assert!(notes[0].contains("left as it is"), "{notes:?}");
}

#[test]
fn a_comment_is_not_posted_again_for_the_same_change() {
    let forge = Memory::default();
    sync(&forge, &opts(), &judged(&[("backup", Stale)]), &mut |_| {}).unwrap();
    let worse = judged(&[("backup", Stale), ("db", Failed)]);
    // The comment is made but its answer is lost.
    forge.lose_answers.set(1);
    assert!(sync(&forge, &opts(), &worse, &mut |_| {}).is_ok());
    assert_eq!(forge.comments.borrow().len(), 1);
    assert!(forge.issues.borrow()[0].body.contains("\"db\":\"failed\""));
    // Back and forth: the same change later is announced again.
    sync(&forge, &opts(), &judged(&[("backup", Stale)]), &mut |_| {}).unwrap();
    sync(&forge, &opts(), &worse, &mut |_| {}).unwrap();
    let comments = forge.comments.borrow();
    assert_eq!(comments.len(), 3, "{comments:?}");
    assert_eq!(
        comment_tag_in(&comments[0].1.body),
        comment_tag_in(&comments[2].1.body)
    );
}

#[test]
fn a_tag_typed_by_someone_else_does_not_suppress_the_comment() {
    let forge = Memory::default();
    sync(&forge, &opts(), &judged(&[("backup", Stale)]), &mut |_| {}).unwrap();
    let worse = judged(&[("backup", Stale), ("db", Failed)]);
    let forged = marker::comment_tag("web1", &alert_set("web1", &worse));
    forge.by("mallory", 1, &format!("nothing to see\n\n{forged}"));
    sync(&forge, &opts(), &worse, &mut |_| {}).unwrap();
    let comments = forge.comments.borrow();
    assert_eq!(comments.len(), 2, "{comments:?}");
    assert_eq!(comments[1].1.author, ME);
    assert!(comments[1].1.body.contains("Went bad: `db` (failed)."));
}

#[test]
fn a_lost_create_answer_is_looked_for_before_creating_again() {
    let forge = Memory::default();
    forge.lose_answers.set(1);
    let bad = judged(&[("backup", Stale)]);
    assert_eq!(
        sync(&forge, &opts(), &bad, &mut |_| {}).unwrap(),
        Decision::Create
    );
    assert_eq!(forge.issues.borrow().len(), 1);
}

#[test]
fn replicas_are_closed_pointing_to_the_oldest() {
    let forge = Memory::default();
    let bad = judged(&[("backup", Stale)]);
    sync(&forge, &opts(), &bad, &mut |_| {}).unwrap();
    // A second checker set up as the same host opened its own.
    let copy = forge.issues.borrow()[0].clone();
    forge.issues.borrow_mut().push(Issue { number: 2, ..copy });
    sync(&forge, &opts(), &bad, &mut |_| {}).unwrap();
    let issues = forge.issues.borrow();
    assert_eq!(issues[0].state, State::Open);
    assert_eq!(issues[1].state, State::Closed);
    let comments = forge.comments.borrow();
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert_eq!(comments[0].0, 2);
    assert!(comments[0].1.body.contains("#1"), "{comments:?}");
}

#[test]
fn news_on_the_issue_counts_as_the_periods_reminder() {
    let forge = Memory::default();
    sync(
        &forge,
        &later(0),
        &judged(&[("backup", Stale)]),
        &mut |_| {},
    )
    .unwrap();
    let worse = judged(&[("backup", Stale), ("db", Failed)]);
    assert!(matches!(
        sync(&forge, &later(25), &worse, &mut |_| {}).unwrap(),
        Decision::Update { .. }
    ));
    sync(&forge, &later(26), &worse, &mut |_| {}).unwrap();
    let comments = forge.comments.borrow();
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert!(comments[0].1.body.starts_with("Went bad: `db` (failed)."));
    assert!(comments[0]
        .1
        .body
        .contains("<!-- heartbeat:remind web1 1 -->"));
}

#[test]
fn a_dry_run_says_the_reminder_and_posts_nothing() {
    let forge = Memory::default();
    let bad = judged(&[("backup", Stale)]);
    sync(&forge, &later(0), &bad, &mut |_| {}).unwrap();
    let mut notes = Vec::new();
    let dry = Options {
        dry_run: true,
        ..later(25)
    };
    sync(&forge, &dry, &bad, &mut |n| notes.push(n)).unwrap();
    assert!(forge.comments.borrow().is_empty());
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("dry run: would remind on issue #1:")),
        "{notes:?}"
    );
}

#[test]
fn the_cache_spares_the_read_and_is_told_only_what_the_forge_holds() {
    let forge = Memory::default();
    let bad = judged(&[("backup", Stale)]);
    sync(&forge, &later(0), &bad, &mut |_| {}).unwrap();
    let kept = RefCell::new(None);
    let remember = |c: &super::Cache| *kept.borrow_mut() = Some(c.clone());
    let with = |hours, cached| Options {
        remind: Some(super::Remind {
            every: 86_400,
            cached,
            remember: &remember,
        }),
        ..later(hours)
    };
    sync(&forge, &with(25, None), &bad, &mut |_| {}).unwrap();
    let cache = kept.borrow().clone().expect("the reminder was remembered");
    assert_eq!((cache.issue, cache.period), (1, 1));
    let reads = forge.comment_reads.get();
    sync(&forge, &with(26, Some(&cache)), &bad, &mut |_| {}).unwrap();
    assert_eq!(
        forge.comment_reads.get(),
        reads,
        "the cache covers period 1"
    );
    // The next period is not covered: read, remind, remember.
    sync(&forge, &with(49, Some(&cache)), &bad, &mut |_| {}).unwrap();
    assert_eq!(kept.borrow().as_ref().unwrap().period, 2);
    assert_eq!(forge.comments.borrow().len(), 2);
}
