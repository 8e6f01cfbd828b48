//! The [`Forge`] operations of the one [`Client`]: each is a path and a
//! body, with what differs between forges taken from its dialect.

use crate::http::Method;
use serde_json::json;

use super::client::Client;
use super::dialect::User;
use super::{Comment, Edit, Forge, Issue, Label, State};
use crate::error::Error;

impl Forge for Client {
    fn me(&self) -> Result<String, Error> {
        let (user, _): (User, _) = self.json(&Method::GET, "/user", &[], None)?;
        Ok(user.login)
    }

    fn find_labels(&self, names: &[&str]) -> Result<Vec<Label>, Error> {
        let path = format!("{}/labels", self.repo_path);
        let labels = self.pages(&path, &[], false, |l: &Label| l.id as u64)?;
        Ok(labels
            .into_iter()
            .filter(|l| names.iter().any(|n| self.dialect.same_label(&l.name, n)))
            .collect())
    }

    fn create_label(&self, name: &str, description: &str) -> Result<Label, Error> {
        let body = json!({
            "name": name,
            "color": self.dialect.label_color,
            "description": description,
        });
        let path = format!("{}/labels", self.repo_path);
        Ok(self.json(&Method::POST, &path, &[], Some(&body))?.0)
    }

    fn list_issues(&self, labels: &[&Label], state: State) -> Result<Vec<Issue>, Error> {
        let names: Vec<&str> = labels.iter().map(|l| l.name.as_str()).collect();
        let mut query = vec![
            ("state", state.as_str().to_owned()),
            ("labels", names.join(",")),
        ];
        if let Some((key, value)) = self.dialect.issues_only {
            query.push((key, value.to_owned()));
        }
        let path = format!("{}/issues", self.repo_path);
        let newest = state == State::Closed;
        let items = self.pages(&path, &query, newest, |i: &Issue| i.number)?;
        Ok(self.dialect.keep_issues(items, labels, state))
    }

    fn create_issue(&self, title: &str, body: &str, labels: &[&Label]) -> Result<Issue, Error> {
        let labels: Vec<serde_json::Value> =
            labels.iter().map(|l| self.dialect.label_value(l)).collect();
        let body = json!({ "title": title, "body": body, "labels": labels });
        let path = format!("{}/issues", self.repo_path);
        Ok(self.json(&Method::POST, &path, &[], Some(&body))?.0)
    }

    fn edit_issue(&self, number: u64, edit: &Edit) -> Result<(), Error> {
        // Gitea answers 201 here, GitHub 200; any success will do.
        let path = format!("{}/issues/{number}", self.repo_path);
        let body = serde_json::to_value(edit).unwrap_or_default();
        self.send(&Method::PATCH, &path, &[], Some(&body))?;
        Ok(())
    }

    fn comment(&self, number: u64, body: &str) -> Result<(), Error> {
        let path = format!("{}/issues/{number}/comments", self.repo_path);
        self.send(&Method::POST, &path, &[], Some(&json!({ "body": body })))?;
        Ok(())
    }

    fn comments(&self, number: u64) -> Result<Vec<Comment>, Error> {
        let path = format!("{}/issues/{number}/comments", self.repo_path);
        if self.dialect.comments_paged {
            self.pages(&path, &[], false, |c: &Comment| c.id)
        } else {
            Ok(self.json(&Method::GET, &path, &[], None)?.0)
        }
    }
}
