//! `mode: pull_request`: the tap on GitHub, through the pull-request kit (`crate::kit::pulls`,
//! shared with WinGet) instead of git. The formula is read at `branch` through the contents
//! API; publishing commits it through the Git Data API to the tap's branch
//! `tagship/<formula>-<version>` on top of `branch`'s head and opens a pull request to
//! `branch`. While that pull request is open the version is `pending`; a re-run finds it
//! (listed by head) and opens none.

use super::Homebrew;
use crate::error::{Error, Result};
use crate::http::Auth;
use crate::kit::pulls::{Change, Hub, Pull, Repo};
use crate::platform::{Cx, Handover, Live, Published};

/// The client and the tap's `owner/name`.
pub struct Tap {
    hub: Hub,
    full: String,
}

impl Tap {
    pub fn new(p: &Homebrew, cx: &Cx) -> Result<Tap> {
        let full = p.cfg.github_repo().ok_or_else(|| {
            Error::config("platforms.homebrew.github_repo: the tap's `owner/name` on GitHub is needed in pull_request mode")
        })?;
        let env = &p.cfg.token_env;
        let auth = cx.secret(env).map(|s| Auth::Bearer(s.clone()));
        let hub = Hub::new(cx.http.clone(), &p.cfg.api_url, auth, env);
        Ok(Tap { hub, full })
    }

    fn repo(&self) -> Repo<'_> {
        Repo {
            hub: &self.hub,
            full: &self.full,
            setting: "platforms.homebrew.github_repo",
        }
    }

    fn owner(&self) -> &str {
        self.full.split('/').next().unwrap_or("")
    }

    /// The formula's text at `branch`.
    pub async fn read(&self, p: &Homebrew) -> Result<Option<String>> {
        self.repo().file(&p.path(), Some(&p.cfg.branch)).await
    }

    /// Our open pull request for this version, as `pending`.
    pub async fn pending(&self, p: &Homebrew, cx: &Cx) -> Result<Option<Live>> {
        let pulls = self.repo().by_head(self.owner(), &head_branch(p, cx)).await?;
        Ok(pulls.into_iter().find(|p| p.open).map(|pr: Pull| Live::Pending {
            reason: format!("pull request #{} is open for review: {}", pr.number, pr.url),
        }))
    }

    /// One commit with the formula on the version's branch, and the pull request to `branch`.
    pub async fn publish(&self, p: &Homebrew, cx: &Cx, text: String) -> Result<Published> {
        let version = &cx.release.version;
        let change = Change {
            branch: head_branch(p, cx),
            title: format!("{} {version}", p.name),
            body: format!("Submitted by tagship for the release {}.", cx.release.tag),
            entries: vec![(p.path(), Some(text))],
        };
        let repo = self.repo();
        let head = repo.head(&p.cfg.branch).await?;
        let sha = repo.commit(&change, &head).await?;
        repo.point_branch(&change.branch, &sha).await?;
        let pull = repo.open_pull(&change, self.owner(), &p.cfg.branch).await?;
        let line = format!("pull request `{}` ({} → {}): {}", change.title, change.branch, p.cfg.branch, pull.url);
        Ok(Published {
            uploaded: vec![format!("{}.rb", p.name)],
            handover: Handover::urls(vec![pull.url]),
            warnings: vec![line],
            ..Default::default()
        })
    }
}

/// The tap branch a version's pull request comes from.
fn head_branch(p: &Homebrew, cx: &Cx) -> String {
    format!("tagship/{}-{}", p.name, cx.release.version)
}
