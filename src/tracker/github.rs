//! The GitHub client (github.com or GitHub Enterprise Server).

use super::http::{keep_issues, CommentJson, IssueJson, LabelJson, Names, Transport};
use super::{Config, Edit, Forge, Issue, Label, State};
use crate::error::Error;

/// The most items GitHub returns per page.
const PAGE: usize = 100;

/// The label colour for a created label (GitHub wants no `#`).
const COLOR: &str = "e11d21";

/// A GitHub repo.
pub struct Github {
    http: Transport,
    repo: String,
}

impl Github {
    /// A client for the repo in `config`; `config.url` is the API base.
    pub fn new(config: &Config) -> Result<Github, Error> {
        Ok(Github {
            http: Transport::new(config, config.url.clone(), "application/vnd.github+json")?,
            repo: format!("/repos/{}/{}", config.owner, config.repo),
        })
    }

    /// Reads every page of a listing.
    fn pages<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Vec<T>, Error> {
        self.http.pages(path, query, "per_page", PAGE)
    }
}

impl Forge for Github {
    fn find_label(&self, name: &str) -> Result<Option<Label>, Error> {
        // GitHub label names ignore case: creating `heartbeat` beside
        // `Heartbeat` is refused as a duplicate.
        let labels: Vec<LabelJson> = self.pages(&format!("{}/labels", self.repo), &[])?;
        Ok(labels
            .into_iter()
            .find(|l| Names::AnyCase.same(&l.name, name))
            .map(Label::from))
    }

    fn create_label(&self, name: &str) -> Result<Label, Error> {
        self.http.create_label(&self.repo, name, COLOR)
    }

    fn list_issues(&self, label: &Label, state: State) -> Result<Vec<Issue>, Error> {
        // GitHub mixes pull requests into issue listings (they carry a
        // `pull_request` key) and has no filter for that.
        let query = [
            ("state", state.as_str().to_owned()),
            ("labels", label.name.clone()),
        ];
        let items: Vec<IssueJson> = self.pages(&format!("{}/issues", self.repo), &query)?;
        Ok(keep_issues(items, label, state, Names::AnyCase))
    }

    fn create_issue(&self, title: &str, body: &str, label: &Label) -> Result<Issue, Error> {
        self.http
            .create_issue(&self.repo, title, body, label.name.clone().into())
    }

    fn edit_issue(&self, number: u64, edit: &Edit) -> Result<(), Error> {
        self.http.edit_issue(&self.repo, number, edit)
    }

    fn comment(&self, number: u64, body: &str) -> Result<(), Error> {
        self.http.comment(&self.repo, number, body)
    }

    fn comments(&self, number: u64) -> Result<Vec<String>, Error> {
        let comments: Vec<CommentJson> =
            self.pages(&format!("{}/issues/{number}/comments", self.repo), &[])?;
        Ok(comments
            .into_iter()
            .map(|c| c.body.unwrap_or_default())
            .collect())
    }
}
