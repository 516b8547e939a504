//! One repository's side of a pull request: its default branch and heads, one commit made
//! through the Git Data API (blobs → tree → commit) on top of a given head, a branch pointed
//! at it, files read through the contents API, and pull requests listed by head or opened
//! (a 422 "A pull request already exists" is not an error: the open PR is returned).

use super::hub::{blob_sha, encode, file_text, messages, Hub};
use crate::error::{Error, ErrorKind, Result};
use serde_json::{json, Value};

/// One change: files to write (`Some`) or delete (`None`) under their full repository paths,
/// on `branch`, proposed as a PR titled `title`.
#[derive(Debug, Clone)]
pub struct Change {
    pub branch: String,
    pub title: String,
    pub body: String,
    pub entries: Vec<(String, Option<String>)>,
}

/// A pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pull {
    pub number: u64,
    pub url: String,
    pub title: String,
    pub open: bool,
    pub merged: bool,
}

impl Pull {
    /// From a pull (or a search result, which is an issue with `pull_request`).
    pub fn from_json(v: &Value) -> Pull {
        Pull {
            number: v["number"].as_u64().unwrap_or(0),
            url: v["html_url"].as_str().unwrap_or("").to_string(),
            title: v["title"].as_str().unwrap_or("").to_string(),
            open: v["state"].as_str() == Some("open"),
            // `merged_at` on a pull; under `pull_request` on a search result.
            merged: v["merged_at"].as_str().is_some()
                || v["pull_request"]["merged_at"].as_str().is_some(),
        }
    }
}

/// A repository `owner/name` on the hub; `setting` names where the user configured it.
pub struct Repo<'a> {
    pub hub: &'a Hub,
    pub full: &'a str,
    pub setting: &'a str,
}

impl Repo<'_> {
    /// The default branch.
    pub async fn default_branch(&self) -> Result<String> {
        let what = format!("reading {}", self.full);
        let v = self
            .hub
            .get(&format!("/repos/{}", self.full), self.full, &what)
            .await?;
        let v = v.ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!("{}: repository not found", self.full),
            )
            .with_hint(format!("check {}", self.setting))
        })?;
        Ok(v["default_branch"].as_str().unwrap_or("master").to_string())
    }

    /// The head commit of `branch` and its tree.
    pub async fn head(&self, branch: &str) -> Result<(String, String)> {
        let r = self.full;
        let what = format!("reading {r}'s {branch}");
        let path = format!("/repos/{r}/git/ref/heads/{}", encode(branch));
        let v = self.hub.get(&path, r, &what).await?;
        let sha = v
            .as_ref()
            .and_then(|v| v["object"]["sha"].as_str())
            .map(String::from)
            .ok_or_else(|| {
                Error::new(ErrorKind::NotFound, format!("{r} has no branch {branch}"))
                    .with_hint(format!("check {}", self.setting))
            })?;
        let c = self
            .hub
            .get(&format!("/repos/{r}/git/commits/{sha}"), r, &what)
            .await?;
        let tree = c
            .as_ref()
            .and_then(|c| c["tree"]["sha"].as_str())
            .map(String::from)
            .ok_or_else(|| Error::protocol(format!("{r}: commit {sha} has no tree")))?;
        Ok((sha, tree))
    }

    /// The text of `path` on `branch` (`None`: the default branch); `None` when absent.
    pub async fn file(&self, path: &str, branch: Option<&str>) -> Result<Option<String>> {
        let q = branch
            .map(|b| format!("?ref={}", encode(b)))
            .unwrap_or_default();
        let v = self
            .hub
            .get(
                &format!("/repos/{}/contents/{path}{q}", self.full),
                self.full,
                &format!("reading {path}"),
            )
            .await?;
        Ok(v.filter(|v| v["type"] == "file")
            .map(|v| file_text(Some(&v))))
    }

    /// POSTs `body` to `git/{path}` and returns the answer's `sha`.
    async fn create(
        &self,
        path: &str,
        body: Value,
        predicted_sha: String,
        what: &str,
    ) -> Result<String> {
        let req = self.hub.post(&format!("/repos/{}/git/{path}", self.full))?;
        let resp = self
            .hub
            .write(req, &body, json!({"sha": predicted_sha}))
            .await?;
        if !resp.ok() {
            return Err(self.hub.fail(&resp, self.full, what));
        }
        let v: Value = resp.json()?;
        v["sha"]
            .as_str()
            .map(String::from)
            .ok_or_else(|| Error::protocol(format!("{what}: no sha in GitHub's answer")))
    }

    /// Blobs → tree → commit on top of `head` (commit, tree); returns the commit.
    pub async fn commit(&self, change: &Change, head: &(String, String)) -> Result<String> {
        let mut tree = Vec::new();
        for (path, content) in &change.entries {
            let sha = match content {
                Some(c) => {
                    let body = json!({"content": c, "encoding": "utf-8"});
                    Some(
                        self.create(
                            "blobs",
                            body,
                            blob_sha(c.as_bytes()),
                            &format!("uploading {path}"),
                        )
                        .await?,
                    )
                }
                None => None,
            };
            tree.push(json!({"path": path, "mode": "100644", "type": "blob", "sha": sha}));
        }
        let zero = "0".repeat(40);
        let body = json!({"base_tree": head.1, "tree": tree});
        let t = self
            .create("trees", body, zero.clone(), "creating the tree")
            .await?;
        let body = json!({"message": change.title, "tree": t, "parents": [head.0]});
        self.create("commits", body, zero, "creating the commit")
            .await
    }

    /// Points `branch` at `sha`: created, or moved when it exists (422).
    pub async fn point_branch(&self, branch: &str, sha: &str) -> Result<()> {
        let r = self.full;
        let body = json!({"ref": format!("refs/heads/{branch}"), "sha": sha});
        let predicted = json!({"ref": format!("refs/heads/{branch}"), "object": {"sha": sha}});
        let resp = self
            .hub
            .write(
                self.hub.post(&format!("/repos/{r}/git/refs"))?,
                &body,
                predicted.clone(),
            )
            .await?;
        if resp.ok() {
            return Ok(());
        }
        if resp.status.as_u16() != 422 || !messages(&resp).contains("Reference already exists") {
            return Err(self
                .hub
                .fail(&resp, r, &format!("creating the branch {branch}")));
        }
        let req = self
            .hub
            .patch(&format!("/repos/{r}/git/refs/heads/{}", encode(branch)))?;
        let resp = self
            .hub
            .write(req, &json!({"sha": sha, "force": true}), predicted)
            .await?;
        if !resp.ok() {
            return Err(self
                .hub
                .fail(&resp, r, &format!("moving the branch {branch}")));
        }
        Ok(())
    }

    /// PRs on this repository from `owner:branch`, any state, newest first.
    pub async fn by_head(&self, owner: &str, branch: &str) -> Result<Vec<Pull>> {
        let head = encode(&format!("{owner}:{branch}"));
        let path = format!(
            "/repos/{}/pulls?state=all&head={head}&per_page=100",
            self.full
        );
        let v = self
            .hub
            .get(&path, self.full, "listing pull requests")
            .await?;
        Ok(v.as_ref()
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(Pull::from_json)
            .collect())
    }

    /// Opens the PR `owner:change.branch` → `base` on this repository; the open one when
    /// GitHub says it exists.
    pub async fn open_pull(&self, change: &Change, owner: &str, base: &str) -> Result<Pull> {
        let head_label = format!("{owner}:{}", change.branch);
        let body =
            json!({"title": change.title, "head": head_label, "base": base, "body": change.body});
        let predicted = json!({"number": 0, "state": "open", "title": change.title,
            "html_url": format!("(dry run) {} ← {head_label}", self.full)});
        let req = self.hub.post(&format!("/repos/{}/pulls", self.full))?;
        let resp = self.hub.write(req, &body, predicted).await?;
        if resp.ok() {
            return Ok(Pull::from_json(&resp.json()?));
        }
        if resp.status.as_u16() == 422 && messages(&resp).contains("already exists") {
            if let Some(open) = self
                .by_head(owner, &change.branch)
                .await?
                .into_iter()
                .find(|p| p.open)
            {
                return Ok(open);
            }
        }
        Err(self.hub.fail(
            &resp,
            self.full,
            &format!("opening the pull request `{}`", change.title),
        ))
    }
}
