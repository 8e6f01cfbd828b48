//! The issue tracker: one alert issue per host in a Gitea, Forgejo or GitHub
//! repo, opened when jobs go bad, edited when the set of bad jobs changes,
//! closed when all recover. [`mod@sync`] reads, [`mod@decide`]s and writes
//! over the [`Forge`] trait ([`client::Client`]); [`marker`] records in the
//! issue what was last posted, so no state file is needed.

pub(crate) mod client;
pub(crate) mod config;
pub(crate) mod decide;
pub(crate) mod marker;
pub(crate) mod sync;
pub(crate) mod text;
pub(crate) mod token;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::json;

use crate::error::Error;
use crate::http::Method;
use client::Client;

pub(crate) use config::{check_timeout, Config, Kind};

/// An issue's state: `closed`, else open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum State {
    Closed,
    #[serde(other)]
    Open,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct Label {
    pub id: i64,
    pub name: String,
}

/// An issue, or a pull request (GitHub's listings mix them in).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct Issue {
    pub number: u64,
    pub title: String,
    #[serde(default, deserialize_with = "or_default")]
    pub body: String,
    pub state: State,
    #[serde(default)]
    pub labels: Vec<Label>,
    #[serde(default, rename = "user", deserialize_with = "login")]
    pub author: String,
    #[serde(default, deserialize_with = "instant")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "instant")]
    pub closed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub pull_request: Option<serde::de::IgnoredAny>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct Comment {
    /// To notice a listing's page repeated.
    #[serde(default)]
    pub id: u64,
    #[serde(default, rename = "user", deserialize_with = "login")]
    pub author: String,
    #[serde(default, deserialize_with = "or_default")]
    pub body: String,
}

/// A change to an issue; `None` leaves a field as it is (and is not sent).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub(crate) struct Edit {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<State>,
}

#[derive(Default, Deserialize)]
pub(crate) struct User {
    #[serde(default)]
    pub login: String,
}

fn login<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(or_default::<D, User>(d)?.login)
}

/// A value a forge may send as `null` (GitHub's empty body), as its default.
fn or_default<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(
    d: D,
) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// An instant in RFC 3339; anything else reads as unknown.
fn instant<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    let text: String = or_default(d)?;
    Ok(DateTime::parse_from_rfc3339(&text).ok().map(Into::into))
}

/// What the sync needs from a forge, with the invariants it relies on:
/// - **Bounded**: listings stop at [`client::MAX_PAGES`], at most
///   [`client::MAX_BODY`] is read of an answer, nothing passes the sync's
///   budget; nothing a server sends can make it panic, hang, or print the token.
/// - **Reads and edits are retried** on transient faults (no answer, 5xx,
///   429); **creates and comments are tried once** unless the server
///   certainly did not act, so the caller *looks before it writes again*.
/// - **Listings return issues only**, with every label and the state asked for.
/// - **Authors are reported**: the sync trusts only what [`Forge::me`] wrote.
pub(crate) trait Forge {
    /// The login of the account the token belongs to.
    fn me(&self) -> Result<String, Error>;
    /// The repo's labels named in `names` (compared as the forge compares).
    fn find_labels(&self, names: &[&str]) -> Result<Vec<Label>, Error>;
    fn create_label(&self, name: &str, description: &str) -> Result<Label, Error>;
    /// The issues in `state` with every one of `labels`, newest first: of
    /// closed ones the first page only.
    fn list_issues(&self, labels: &[&Label], state: State) -> Result<Vec<Issue>, Error>;
    fn create_issue(&self, title: &str, body: &str, labels: &[&Label]) -> Result<Issue, Error>;
    fn edit_issue(&self, number: u64, edit: &Edit) -> Result<(), Error>;
    fn comment(&self, number: u64, body: &str) -> Result<(), Error>;
    /// The comments on an issue, oldest first.
    fn comments(&self, number: u64) -> Result<Vec<Comment>, Error>;
}

// Gitea and Forgejo name a new issue's labels by id, compare label names
// exactly, keep pull requests out with `type=issues` and list comments whole;
// GitHub names labels by name, ignores their case, mixes pull requests in and
// pages comments.
impl Forge for Client {
    fn me(&self) -> Result<String, Error> {
        Ok(self.json::<User>(&Method::GET, "/user", &[], None)?.0.login)
    }

    fn find_labels(&self, names: &[&str]) -> Result<Vec<Label>, Error> {
        let path = format!("/repos/{}/labels", self.config.repo);
        let labels = self.pages(&path, &[], false, |l: &Label| l.id as u64)?;
        let wanted = |l: &Label| names.iter().any(|n| same_label(self.github, &l.name, n));
        Ok(labels.into_iter().filter(wanted).collect())
    }

    fn create_label(&self, name: &str, description: &str) -> Result<Label, Error> {
        // GitHub wants the colour without its `#`.
        let color = if self.github { "e11d21" } else { "#e11d21" };
        let body = json!({ "name": name, "color": color, "description": description });
        let path = format!("/repos/{}/labels", self.config.repo);
        Ok(self.json(&Method::POST, &path, &[], Some(&body))?.0)
    }

    fn list_issues(&self, labels: &[&Label], state: State) -> Result<Vec<Issue>, Error> {
        let names: Vec<&str> = labels.iter().map(|l| l.name.as_str()).collect();
        let closed = state == State::Closed;
        let word = if closed { "closed" } else { "open" };
        let mut query = vec![("state", word.to_owned()), ("labels", names.join(","))];
        query.extend((!self.github).then(|| ("type", "issues".to_owned())));
        let path = format!("/repos/{}/issues", self.config.repo);
        let items = self.pages(&path, &query, closed, |i: &Issue| i.number)?;
        Ok(keep_issues(self.github, items, labels, state))
    }

    fn create_issue(&self, title: &str, body: &str, labels: &[&Label]) -> Result<Issue, Error> {
        let labels: Vec<_> = labels.iter().map(|l| label_value(self.github, l)).collect();
        let body = json!({ "title": title, "body": body, "labels": labels });
        let path = format!("/repos/{}/issues", self.config.repo);
        Ok(self.json(&Method::POST, &path, &[], Some(&body))?.0)
    }

    fn edit_issue(&self, number: u64, edit: &Edit) -> Result<(), Error> {
        // Gitea answers 201 here, GitHub 200; any success will do.
        let path = format!("/repos/{}/issues/{number}", self.config.repo);
        let body = serde_json::to_value(edit).unwrap_or_default();
        self.send(&Method::PATCH, &path, &[], Some(&body)).map(drop)
    }

    fn comment(&self, number: u64, body: &str) -> Result<(), Error> {
        let path = format!("/repos/{}/issues/{number}/comments", self.config.repo);
        self.send(&Method::POST, &path, &[], Some(&json!({ "body": body })))
            .map(drop)
    }

    fn comments(&self, number: u64) -> Result<Vec<Comment>, Error> {
        let path = format!("/repos/{}/issues/{number}/comments", self.config.repo);
        if self.github {
            self.pages(&path, &[], false, |c: &Comment| c.id)
        } else {
            Ok(self.json(&Method::GET, &path, &[], None)?.0)
        }
    }
}

fn same_label(github: bool, a: &str, b: &str) -> bool {
    a == b || (github && a.to_lowercase() == b.to_lowercase())
}

fn label_value(github: bool, label: &Label) -> serde_json::Value {
    if github {
        label.name.clone().into()
    } else {
        label.id.into()
    }
}

/// The issues with every one of `labels`, in `state`, each once: no forge's
/// filter is trusted alone (Gitea drops an unknown label silently), and an
/// issue opened while pages are read pushes another onto the next page.
fn keep_issues(github: bool, items: Vec<Issue>, labels: &[&Label], state: State) -> Vec<Issue> {
    let mut seen = std::collections::HashSet::new();
    let has = |i: &Issue, name: &str| i.labels.iter().any(|l| same_label(github, &l.name, name));
    let labelled = |i: &Issue| labels.iter().all(|want| has(i, &want.name));
    let keep = |i: &Issue| {
        i.pull_request.is_none() && labelled(i) && seen.insert(i.number) && i.state == state
    };
    items.into_iter().filter(keep).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issues_read_leniently() {
        let issue = |state: &str| -> Issue {
            let text = format!(
                r#"{{"number":1,"title":"t","body":null,"state":{state},"user":null,"created_at":"soon"}}"#
            );
            serde_json::from_str(&text).unwrap()
        };
        assert_eq!(issue(r#""closed""#).state, State::Closed);
        assert_eq!(issue(r#""open""#).state, State::Open);
        assert_eq!(issue(r#""locked""#).state, State::Open);
        assert_eq!(
            (issue(r#""open""#).body, issue(r#""open""#).author),
            (String::new(), String::new())
        );
        assert_eq!(issue(r#""open""#).created_at, None);
        assert_eq!(serde_json::to_string(&State::Open).unwrap(), r#""open""#);
    }

    fn item(number: u64, labels: &[&str], pull: bool) -> Issue {
        Issue {
            number,
            title: "t".into(),
            body: String::new(),
            state: State::Open,
            labels: labels
                .iter()
                .map(|name| Label {
                    id: 1,
                    name: (*name).into(),
                })
                .collect(),
            author: String::new(),
            created_at: None,
            closed_at: None,
            pull_request: pull.then_some(serde::de::IgnoredAny),
        }
    }

    #[test]
    fn kept_issues_are_issues_with_every_label_once_each() {
        let label = |name: &str| Label {
            id: 1,
            name: name.into(),
        };
        let (hb, host) = (label("heartbeat"), label("heartbeat:web1"));
        let items = || {
            vec![
                item(1, &["Heartbeat"], false),
                item(2, &["heartbeat"], true),
                item(3, &["heartbeat", "heartbeat:web1"], false),
                item(3, &["heartbeat", "heartbeat:web1"], false),
                item(4, &["heartbeat"], false),
            ]
        };
        let numbers = |github: bool, labels: &[&Label]| -> Vec<u64> {
            keep_issues(github, items(), labels, State::Open)
                .iter()
                .map(|i| i.number)
                .collect()
        };
        assert_eq!(numbers(false, &[&hb]), vec![3, 4]);
        assert_eq!(numbers(true, &[&hb]), vec![1, 3, 4]);
        assert_eq!(numbers(false, &[&hb, &host]), vec![3]);
        assert!(keep_issues(false, items(), &[&hb], State::Closed).is_empty());
    }

    #[test]
    fn labels_are_named_as_each_forge_wants() {
        let l = Label {
            id: 7,
            name: "heartbeat".into(),
        };
        assert_eq!(label_value(false, &l), serde_json::json!(7));
        assert_eq!(label_value(true, &l), serde_json::json!("heartbeat"));
        assert!(same_label(true, "Heartbeat", "heartbeat"));
        assert!(!same_label(false, "Heartbeat", "heartbeat"));
    }
}
