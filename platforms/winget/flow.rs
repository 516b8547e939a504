//! The winget-pkgs pull-request flow (PROTOCOLS.md §6), shared by publish and rollback:
//! make sure the fork exists (created when missing; a fresh fork answers 404 until GitHub
//! has copied it, so the sync is retried on 404 for a bounded time) and is synced
//! (`merge-upstream`), then one commit made through the Git Data API on the fork on top of
//! **upstream's** default-branch head, so a stale fork never leaks other changes into the
//! PR; a branch per version points at it; then the PR to upstream. The commit, branch and PR
//! steps are the pull-request kit's (`crate::kit::pulls`), shared with Homebrew.

use crate::error::Result;
use crate::kit::pulls::{encode, messages, Hub, Repo};
pub use crate::kit::pulls::{Change, Pull};
use serde_json::json;
use std::time::Duration;

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

    fn upstream(&self) -> Repo<'_> {
        Repo {
            hub: self.hub,
            full: self.upstream,
            setting: "platforms.winget.upstream",
        }
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

    /// PRs on upstream from the fork's `branch`, any state, newest first.
    pub async fn by_head(&self, branch: &str) -> Result<Vec<Pull>> {
        self.upstream().by_head(self.fork_owner, branch).await
    }

    /// Open PRs on upstream whose title holds `id` and `version` as whole words (so `1.2.3`
    /// does not match `1.2.3-beta`), found by GitHub's issue search.
    pub async fn search_open(&self, id: &str, version: &str) -> Result<Vec<Pull>> {
        let q = format!("repo:{} is:pr is:open in:title \"{id}\" \"{version}\"", self.upstream);
        let path = format!("/search/issues?q={}&per_page=100", encode(&q));
        let v = self.hub.get(&path, self.upstream, "searching pull requests").await?;
        let items = v.as_ref().and_then(|v| v["items"].as_array()).into_iter().flatten();
        let whole = |title: &str, w: &str| title.split_whitespace().any(|t| t == w);
        Ok(items.map(Pull::from_json).filter(|p| whole(&p.title, id) && whole(&p.title, version)).collect())
    }

    /// The whole flow; returns the PR (new, or the open one GitHub says exists) and warnings.
    pub async fn submit(&self, change: &Change) -> Result<(Pull, Vec<String>)> {
        let up = self.upstream();
        let base = up.default_branch().await?;
        let fork = self.ensure_fork(&base).await?;
        let warnings = self.sync(&fork, &base).await?;
        let head = up.head(&base).await?;
        let forked = Repo {
            hub: self.hub,
            full: &fork,
            setting: "platforms.winget.fork_owner",
        };
        let sha = forked.commit(change, &head).await?;
        forked.point_branch(&change.branch, &sha).await?;
        let pull = up.open_pull(change, self.fork_owner, &base).await?;
        Ok((pull, warnings))
    }
}
