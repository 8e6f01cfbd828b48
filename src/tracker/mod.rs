//! The issue tracker: one alert issue per host in a Gitea, Forgejo or GitHub
//! repo, opened when jobs go bad, edited when the set of bad jobs changes,
//! closed when all recover. [`mod@sync`] reads, [`mod@decide`]s and writes
//! over the [`Forge`] trait ([`client::Client`]); [`marker`] records in the
//! issue what was last posted, so no state file is needed.

pub(crate) mod client;
pub(crate) mod config;
pub(crate) mod decide;
pub(crate) mod marker;
pub(crate) mod operations;
pub(crate) mod sync;
pub(crate) mod text;
pub(crate) mod token;
mod writer;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use crate::error::Error;

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
}
