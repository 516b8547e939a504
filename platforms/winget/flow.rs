//! The winget-pkgs pull-request flow (PROTOCOLS.md §6), shared by publish and rollback:
//! make sure the fork exists (created when missing; a fresh fork answers 404 until GitHub
//! has copied it, so the sync is retried on 404 for a bounded time) and is synced
//! (`merge-upstream`), then one commit made through the Git Data API (blobs → tree →
//! commit) on top of **upstream's** default-branch head, so a stale fork never leaks other
//! changes into the PR; a branch per version points at it; then the PR to upstream. A 422
//! "A pull request already exists" is not an error: the open PR is found and returned.

use super::api::{blob_sha, encode, messages, Hub};
use crate::error::{Error, ErrorKind, Result};
use serde_json::{json, Value};
use std::time::Duration;

/// One change to winget-pkgs: files to write (`Some`) or delete (`None`) under their full
/// repository paths, on `branch` of the fork, proposed as a PR titled `title`.
#[derive(Debug, Clone)]
pub struct Change {
    pub branch: String,
    pub title: String,
    pub body: String,
    pub entries: Vec<(String, Option<String>)>,
}

/// A pull request on upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pull {
    pub number: u64,
    pub url: String,
    pub title: String,
    pub open: bool,
    pub merged: bool,
}

impl Pull {
    fn from(v: &Value) -> Pull {
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

/// The flow for one upstream repository and one fork owner.
pub struct Flow<'a> {
    pub hub: &'a Hub,
    /// `owner/repo` of winget-pkgs.
    pub upstream: &'a str,
    pub fork_owner: &'a str,
}

/// How long a fresh fork may answer 404 before we give up.
const FORK_READY_WITHIN: Duration = Duration::from_secs(60);

impl Flow<'_> {
    fn fork(&self) -> String {
        let name = self.upstream.split('/').nth(1).unwrap_or("winget-pkgs");
        format!("{}/{name}", self.fork_owner)
    }

    /// Upstream's default branch.
    pub async fn default_branch(&self) -> Result<String> {
        let what = format!("reading {}", self.upstream);
        let v = self.hub.get(&format!("/repos/{}", self.upstream), self.upstream, &what).await?;
        let v = v.ok_or_else(|| Error::new(ErrorKind::NotFound, format!("{}: repository not found", self.upstream))
            .with_hint("check platforms.winget.upstream"))?;
        Ok(v["default_branch"].as_str().unwrap_or("master").to_string())
    }

    /// Creates the fork when missing; returns its `owner/repo`.
    async fn ensure_fork(&self, branch: &str) -> Result<String> {
        let fork = self.fork();
        let what = format!("looking for the fork {fork}");
        if self.hub.get(&format!("/repos/{fork}"), &fork, &what).await?.is_some() {
            return Ok(fork);
        }
        // The fork goes to the token's user unless `fork_owner` is someone else (an org).
        let login = self.hub.get("/user", &fork, "reading the token's user").await.ok().flatten();
        let mut body = json!({"default_branch_only": true});
        if login.as_ref().and_then(|u| u["login"].as_str()) != Some(self.fork_owner) {
            body["organization"] = json!(self.fork_owner);
        }
        let predicted = json!({"full_name": fork, "default_branch": branch});
        let req = self.hub.post(&format!("/repos/{}/forks", self.upstream))?;
        let resp = self.hub.write(req, &body, predicted).await?;
        if !resp.ok() {
            return Err(self.hub.fail(&resp, self.upstream, &format!("forking {} to {}", self.upstream, self.fork_owner)));
        }
        Ok(fork)
    }

    /// `merge-upstream` on the fork's `branch`, retried while a fresh fork answers 404.
    /// A fork whose branch diverged (409) is only a warning: the PR branches from upstream.
    async fn sync(&self, fork: &str, branch: &str) -> Result<Vec<String>> {
        let started = std::time::Instant::now();
        let mut wait = Duration::from_millis(250);
        loop {
            let req = self.hub.post(&format!("/repos/{fork}/merge-upstream"))?;
            let predicted = json!({"merge_type": "none", "message": "synced"});
            let resp = self.hub.write(req, &json!({"branch": branch}), predicted).await?;
            match resp.status.as_u16() {
                _ if resp.ok() => return Ok(Vec::new()),
                409 => return Ok(vec![format!("the fork {fork} has diverged from {} on {branch} ({}); the PR branches from upstream, so it is unaffected", self.upstream, messages(&resp))]),
                404 if started.elapsed() + wait < FORK_READY_WITHIN => {
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(5));
                }
                _ => return Err(self.hub.fail(&resp, fork, &format!("syncing the fork {fork}"))),
            }
        }
    }

    /// Upstream's head commit on `branch` and its tree.
    async fn upstream_head(&self, branch: &str) -> Result<(String, String)> {
        let up = self.upstream;
        let what = format!("reading {up}'s {branch}");
        let r = self.hub.get(&format!("/repos/{up}/git/ref/heads/{}", encode(branch)), up, &what).await?;
        let sha = r.as_ref().and_then(|r| r["object"]["sha"].as_str()).map(String::from)
            .ok_or_else(|| Error::new(ErrorKind::NotFound, format!("{up} has no branch {branch}")))?;
        let c = self.hub.get(&format!("/repos/{up}/git/commits/{sha}"), up, &what).await?;
        let tree = c.as_ref().and_then(|c| c["tree"]["sha"].as_str()).map(String::from)
            .ok_or_else(|| Error::protocol(format!("{up}: commit {sha} has no tree")))?;
        Ok((sha, tree))
    }

    /// POSTs `body` to `path` on the fork and returns the answer's `sha`.
    async fn create(&self, fork: &str, path: &str, body: Value, predicted_sha: String, what: &str) -> Result<String> {
        let req = self.hub.post(&format!("/repos/{fork}/git/{path}"))?;
        let resp = self.hub.write(req, &body, json!({"sha": predicted_sha})).await?;
        if !resp.ok() {
            return Err(self.hub.fail(&resp, fork, what));
        }
        let v: Value = resp.json()?;
        v["sha"].as_str().map(String::from).ok_or_else(|| Error::protocol(format!("{what}: no sha in GitHub's answer")))
    }

    /// Blobs → tree → commit on the fork, on top of upstream's head; returns the commit.
    async fn commit(&self, fork: &str, change: &Change, head: &(String, String)) -> Result<String> {
        let mut tree = Vec::new();
        for (path, content) in &change.entries {
            let sha = match content {
                Some(c) => {
                    let body = json!({"content": c, "encoding": "utf-8"});
                    Some(self.create(fork, "blobs", body, blob_sha(c.as_bytes()), &format!("uploading {path}")).await?)
                }
                None => None,
            };
            tree.push(json!({"path": path, "mode": "100644", "type": "blob", "sha": sha}));
        }
        let zero = "0".repeat(40);
        let body = json!({"base_tree": head.1, "tree": tree});
        let t = self.create(fork, "trees", body, zero.clone(), "creating the tree").await?;
        let body = json!({"message": change.title, "tree": t, "parents": [head.0]});
        self.create(fork, "commits", body, zero, "creating the commit").await
    }

    /// Points the fork's branch at `sha`: created, or moved when it exists (422).
    async fn point_branch(&self, fork: &str, branch: &str, sha: &str) -> Result<()> {
        let body = json!({"ref": format!("refs/heads/{branch}"), "sha": sha});
        let predicted = json!({"ref": format!("refs/heads/{branch}"), "object": {"sha": sha}});
        let resp = self.hub.write(self.hub.post(&format!("/repos/{fork}/git/refs"))?, &body, predicted.clone()).await?;
        if resp.ok() {
            return Ok(());
        }
        if resp.status.as_u16() != 422 || !messages(&resp).contains("Reference already exists") {
            return Err(self.hub.fail(&resp, fork, &format!("creating the branch {branch}")));
        }
        let req = self.hub.patch(&format!("/repos/{fork}/git/refs/heads/{}", encode(branch)))?;
        let resp = self.hub.write(req, &json!({"sha": sha, "force": true}), predicted).await?;
        if !resp.ok() {
            return Err(self.hub.fail(&resp, fork, &format!("moving the branch {branch}")));
        }
        Ok(())
    }

    /// PRs on upstream from the fork's `branch`, any state, newest first.
    pub async fn by_head(&self, branch: &str) -> Result<Vec<Pull>> {
        let head = encode(&format!("{}:{branch}", self.fork_owner));
        let path = format!("/repos/{}/pulls?state=all&head={head}&per_page=100", self.upstream);
        let v = self.hub.get(&path, self.upstream, "listing pull requests").await?;
        Ok(v.as_ref().and_then(Value::as_array).into_iter().flatten().map(Pull::from).collect())
    }

    /// Open PRs on upstream whose title holds `id` and `version` as whole words (so `1.2.3`
    /// does not match `1.2.3-beta`), found by GitHub's issue search.
    pub async fn search_open(&self, id: &str, version: &str) -> Result<Vec<Pull>> {
        let q = format!("repo:{} is:pr is:open in:title \"{id}\" \"{version}\"", self.upstream);
        let path = format!("/search/issues?q={}&per_page=100", encode(&q));
        let v = self.hub.get(&path, self.upstream, "searching pull requests").await?;
        let items = v.as_ref().and_then(|v| v["items"].as_array()).into_iter().flatten();
        let whole = |title: &str, w: &str| title.split_whitespace().any(|t| t == w);
        Ok(items.map(Pull::from).filter(|p| whole(&p.title, id) && whole(&p.title, version)).collect())
    }

    /// The whole flow; returns the PR (new, or the open one GitHub says exists) and warnings.
    pub async fn submit(&self, change: &Change) -> Result<(Pull, Vec<String>)> {
        let base = self.default_branch().await?;
        let fork = self.ensure_fork(&base).await?;
        let warnings = self.sync(&fork, &base).await?;
        let head = self.upstream_head(&base).await?;
        let sha = self.commit(&fork, change, &head).await?;
        self.point_branch(&fork, &change.branch, &sha).await?;
        let head_label = format!("{}:{}", self.fork_owner, change.branch);
        let body = json!({"title": change.title, "head": head_label, "base": base, "body": change.body});
        let predicted = json!({"number": 0, "state": "open", "title": change.title,
            "html_url": format!("(dry run) {} ← {head_label}", self.upstream)});
        let req = self.hub.post(&format!("/repos/{}/pulls", self.upstream))?;
        let resp = self.hub.write(req, &body, predicted).await?;
        if resp.ok() {
            return Ok((Pull::from(&resp.json()?), warnings));
        }
        if resp.status.as_u16() == 422 && messages(&resp).contains("already exists") {
            if let Some(open) = self.by_head(&change.branch).await?.into_iter().find(|p| p.open) {
                return Ok((open, warnings));
            }
        }
        Err(self.hub.fail(&resp, self.upstream, &format!("opening the pull request `{}`", change.title)))
    }
}
