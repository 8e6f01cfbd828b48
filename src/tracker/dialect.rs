//! How each forge differs, as data: the API base, the media type, the
//! paging parameter and size, whether labels are given by id or by name and
//! how their names compare, and what keeps pull requests out of a listing.
//! The JSON shapes the forges share are here too.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};

use super::{Issue, Kind, Label, State};

/// Everything that differs between the forges the client speaks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dialect {
    /// What is appended to the configured URL to reach the API.
    pub api_suffix: &'static str,
    /// The `Accept` header.
    pub media_type: &'static str,
    /// The query parameter that sets the page size.
    pub page_key: &'static str,
    /// The page size asked for (the most the server gives by default).
    pub page_size: usize,
    /// Whether a new issue names its labels by name (GitHub) rather than
    /// by id (Gitea, Forgejo).
    pub labels_by_name: bool,
    /// Whether label names compare ignoring case.
    pub labels_ignore_case: bool,
    /// The colour of a created label.
    pub label_color: &'static str,
    /// A query parameter that keeps pull requests out of issue listings.
    pub issues_only: Option<(&'static str, &'static str)>,
    /// Whether listing comments takes page parameters.
    pub comments_paged: bool,
}

/// Gitea and Forgejo: `/api/v1` below the server URL.
pub(crate) const GITEA: Dialect = Dialect {
    api_suffix: "/api/v1",
    media_type: "application/json",
    page_key: "limit",
    page_size: 50,
    labels_by_name: false,
    labels_ignore_case: false,
    label_color: "#e11d21",
    issues_only: Some(("type", "issues")),
    // The operation answers with every comment and takes no page
    // parameters.
    comments_paged: false,
};

/// GitHub: the configured URL is the API base.
pub(crate) const GITHUB: Dialect = Dialect {
    api_suffix: "",
    media_type: "application/vnd.github+json",
    page_key: "per_page",
    page_size: 100,
    labels_by_name: true,
    labels_ignore_case: true,
    // GitHub wants no `#`.
    label_color: "e11d21",
    // GitHub has no such filter; pull requests carry `pull_request`.
    issues_only: None,
    comments_paged: true,
};

impl Dialect {
    pub(crate) fn of(kind: Kind) -> Dialect {
        match kind {
            Kind::Gitea | Kind::Forgejo => GITEA,
            Kind::Github => GITHUB,
        }
    }

    /// Whether two label names name the same label.
    pub(crate) fn same_label(&self, a: &str, b: &str) -> bool {
        a == b || (self.labels_ignore_case && a.to_lowercase() == b.to_lowercase())
    }

    /// A label as an issue creation names it.
    pub(crate) fn label_value(&self, label: &Label) -> serde_json::Value {
        if self.labels_by_name {
            label.name.clone().into()
        } else {
            label.id.into()
        }
    }

    /// The issues of a listing that really are issues, carry every one of
    /// `labels` and are in `state`, each once: no forge's filters are
    /// trusted alone (Gitea drops an unknown label filter silently; GitHub
    /// mixes pull requests in), and an issue opened while the pages are read
    /// can push another onto the next page.
    pub(crate) fn keep_issues(
        &self,
        items: Vec<Issue>,
        labels: &[&Label],
        state: State,
    ) -> Vec<Issue> {
        let mut seen = std::collections::HashSet::new();
        let labelled = |i: &Issue| {
            let has = |want: &Label| {
                i.labels
                    .iter()
                    .any(|l| self.same_label(&l.name, &want.name))
            };
            labels.iter().all(|want| has(want))
        };
        items
            .into_iter()
            .filter(|i| i.pull_request.is_none() && labelled(i) && seen.insert(i.number))
            .filter(|i| i.state == state)
            .collect()
    }
}

/// An account as both APIs describe it.
#[derive(Debug, Deserialize)]
pub(crate) struct User {
    #[serde(default)]
    pub login: String,
}

/// The login of the account a `user` field names; empty when there is none.
pub(super) fn login<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<User>::deserialize(d)?
        .map(|u| u.login)
        .unwrap_or_default())
}

/// A value where a forge may send `null` (GitHub's empty body) read as
/// its default.
pub(super) fn or_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// An issue's state: `closed`, else open.
pub(super) fn state<'de, D: Deserializer<'de>>(d: D) -> Result<State, D::Error> {
    let closed = String::deserialize(d)? == "closed";
    Ok(if closed { State::Closed } else { State::Open })
}

/// An instant in RFC 3339; anything else reads as unknown.
pub(super) fn instant<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    let text = Option::<String>::deserialize(d)?;
    Ok(text
        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.with_timezone(&Utc)))
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let numbers = |d: Dialect, labels: &[&Label]| -> Vec<u64> {
            d.keep_issues(items(), labels, State::Open)
                .iter()
                .map(|i| i.number)
                .collect()
        };
        assert_eq!(numbers(GITEA, &[&hb]), vec![3, 4]);
        assert_eq!(numbers(GITHUB, &[&hb]), vec![1, 3, 4]);
        assert_eq!(numbers(GITEA, &[&hb, &host]), vec![3]);
        assert!(GITEA.keep_issues(items(), &[&hb], State::Closed).is_empty());
    }

    #[test]
    fn labels_are_named_as_each_forge_wants() {
        let l = Label {
            id: 7,
            name: "heartbeat".into(),
        };
        assert_eq!(GITEA.label_value(&l), serde_json::json!(7));
        assert_eq!(GITHUB.label_value(&l), serde_json::json!("heartbeat"));
        assert!(GITHUB.same_label("Heartbeat", "heartbeat"));
        assert!(!GITEA.same_label("Heartbeat", "heartbeat"));
    }
}
