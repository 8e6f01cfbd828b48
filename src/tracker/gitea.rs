//! The Gitea and Forgejo client (both speak the same `/api/v1`).

use reqwest::Method;

use super::http::{keep_issues, CommentJson, IssueJson, LabelJson, Names, Transport};
use super::{Config, Edit, Forge, Issue, Label, State};
use crate::error::Error;

/// The most items Gitea returns per page by default.
const PAGE: usize = 50;

/// The label colour for a created label.
const COLOR: &str = "#e11d21";

/// A Gitea or Forgejo repo.
pub struct Gitea {
    http: Transport,
    repo: String,
}

impl Gitea {
    /// A client for the repo in `config`; `config.url` is the server.
    pub fn new(config: &Config) -> Result<Gitea, Error> {
        Ok(Gitea {
            http: Transport::new(config, format!("{}/api/v1", config.url), "application/json")?,
            repo: format!("/repos/{}/{}", config.owner, config.repo),
        })
    }

    /// Reads every page of a listing.
    fn pages<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Vec<T>, Error> {
        self.http.pages(path, query, "limit", PAGE)
    }
}

impl Forge for Gitea {
    fn find_label(&self, name: &str) -> Result<Option<Label>, Error> {
        let labels: Vec<LabelJson> = self.pages(&format!("{}/labels", self.repo), &[])?;
        Ok(labels.into_iter().find(|l| l.name == name).map(Label::from))
    }

    fn create_label(&self, name: &str) -> Result<Label, Error> {
        self.http.create_label(&self.repo, name, COLOR)
    }

    fn list_issues(&self, label: &Label, state: State) -> Result<Vec<Issue>, Error> {
        // `labels=` silently drops unknown names and `type=issues` is the
        // only thing that keeps pull requests out, so both are checked again
        // here.
        let query = [
            ("state", state.as_str().to_owned()),
            ("type", "issues".to_owned()),
            ("labels", label.name.clone()),
        ];
        let items: Vec<IssueJson> = self.pages(&format!("{}/issues", self.repo), &query)?;
        Ok(keep_issues(items, label, state, Names::Exact))
    }

    fn create_issue(&self, title: &str, body: &str, label: &Label) -> Result<Issue, Error> {
        self.http
            .create_issue(&self.repo, title, body, label.id.into())
    }

    fn edit_issue(&self, number: u64, edit: &Edit) -> Result<(), Error> {
        self.http.edit_issue(&self.repo, number, edit)
    }

    fn comment(&self, number: u64, body: &str) -> Result<(), Error> {
        self.http.comment(&self.repo, number, body)
    }

    fn comments(&self, number: u64) -> Result<Vec<String>, Error> {
        // Gitea answers with every comment at once; the operation takes no
        // page parameters.
        let (comments, _): (Vec<CommentJson>, _) = self.http.json(
            Method::GET,
            &format!("{}/issues/{number}/comments", self.repo),
            &[],
            None,
            true,
        )?;
        Ok(comments
            .into_iter()
            .map(|c| c.body.unwrap_or_default())
            .collect())
    }
}
