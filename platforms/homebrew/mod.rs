//! `homebrew`: a formula in a tap repository, pointing at the GitHub release's archives
//! (issue 8). It `needs: github` and renders the formula (`formula::render`, pure) from the
//! typed hand-over: the darwin and linux archives' final URLs and sha256s. The tap is a git
//! branch reached through the git kit (`crate::git`): an HTTPS token or an ssh key; only the
//! tip's trees and the formula's blob are fetched; the commit is built without a checkout
//! and the push is the only side effect, so a dry run withholds exactly that push.
//!
//! Check reads the formula at the branch tip: the same version with the same sha256s is
//! present, the same version with others is a conflict (never overwritten), an older version
//! or none is absent. `tagship rollback` commits the formula as it was before this version
//! (`ops::restore`). `mode: pull_request` (`pulls.rs`) reads and proposes the formula through
//! GitHub's API instead: a branch and a pull request on the tap, `pending` until merged.

pub mod config;
pub mod formula;
mod ops;
mod pulls;

use crate::error::{Error, ErrorKind, Result};
use crate::git;
use crate::plan::{Arch, Artifact, ArtifactKind, Os, Project};
use crate::platform::{
    section, Capabilities, Checked, Cx, Factory, Latest, Live, Platform, Published, Requirement,
    Withdraw, Withdrawn,
};
use async_trait::async_trait;
pub use config::{HomebrewConfig, Mode, Transport};
use formula::{Download, Formula};
use std::path::Path;

pub const FACTORY: Factory = Factory {
    id: "homebrew",
    about: "a Homebrew formula in a tap repository, pointing at the GitHub release's archives",
    schema: || schemars::schema_for!(HomebrewConfig),
    build: |v, p: &Project| Ok(Box::new(Homebrew::new(section("homebrew", v)?, p)?)),
};

/// The homebrew adapter.
pub struct Homebrew {
    cfg: HomebrewConfig,
    name: String,
}

impl Homebrew {
    /// Checks the settings that need no build: the formula name (and so its class name), the
    /// directory, the branch.
    pub fn new(cfg: HomebrewConfig, project: &Project) -> Result<Self> {
        let name = cfg.formula.clone().unwrap_or_else(|| project.name.clone());
        formula::class_name(&name)?;
        let dir = cfg.directory.trim_matches('/');
        if dir.is_empty() || dir.split('/').any(|s| s.is_empty() || s == "." || s == "..") {
            return Err(Error::config(format!(
                "platforms.homebrew.directory `{}` must be a relative path inside the tap",
                cfg.directory
            )));
        }
        if cfg.branch.trim().is_empty() || cfg.repo.trim().is_empty() {
            return Err(Error::config(
                "platforms.homebrew: `repo` and `branch` must not be empty",
            ));
        }
        if cfg.mode == Mode::PullRequest && cfg.github_repo().is_none() {
            return Err(Error::config(
                "platforms.homebrew: pull_request mode needs the tap's `owner/name` on GitHub",
            )
            .with_hint("set platforms.homebrew.github_repo (e.g. acme/homebrew-tap)"));
        }
        Ok(Homebrew { cfg, name })
    }

    /// `Formula/<name>.rb`: where the formula lives in the tap.
    pub fn path(&self) -> String {
        format!("{}/{}.rb", self.cfg.directory.trim_matches('/'), self.name)
    }

    /// The credential variable for this transport (none for a local path).
    fn credential(&self) -> Option<&str> {
        match self.cfg.transport() {
            Transport::Https => Some(&self.cfg.token_env),
            Transport::Ssh => Some(&self.cfg.ssh_key_env),
            Transport::Local => None,
        }
    }

    /// `repo` as git understands it (a relative path resolved against pipeline.yaml).
    fn repo_url(&self, cx: &Cx) -> String {
        let r = &self.cfg.repo;
        match self.cfg.transport() {
            Transport::Local if !Path::new(r).is_absolute() && !r.starts_with("file://") => {
                cx.release.root.join(r).display().to_string()
            }
            _ => r.clone(),
        }
    }

    /// The tap branch for the git kit. A dry run without the credential reads anonymously.
    fn spec(&self, cx: &Cx) -> git::Spec {
        let c = &self.cfg;
        let spec = git::Spec::new(self.repo_url(cx), &c.branch, cx.release.epoch)
            .author(&c.author_name, &c.author_email);
        let secret = |v: &str| cx.secret(v);
        match c.transport() {
            Transport::Https => spec.token(&c.token_env, secret(&c.token_env)),
            Transport::Ssh => {
                let known_hosts = c.known_hosts.as_ref().map(|k| cx.release.root.join(k));
                spec.ssh_key(&c.ssh_key_env, secret(&c.ssh_key_env), known_hosts)
            }
            Transport::Local => spec,
        }
    }

    /// Where a person sees the formula.
    fn location(&self, cx: &Cx) -> String {
        format!(
            "{} (branch {}) {}",
            self.repo_url(cx),
            self.cfg.branch,
            self.path()
        )
    }

    /// The archives the formula downloads: for every darwin/linux amd64/arm64 archive this
    /// release built, its URL and sha256 as the github hand-over gives them.
    pub fn downloads(&self, cx: &Cx) -> Result<Vec<Download>> {
        let Some(gh) = cx.deps.get("github") else {
            return Err(Error::input(
                "platforms.homebrew needs the github platform in the same run: the formula \
                 points at the GitHub release's archives",
            )
            .with_hint("configure platforms.github, and do not leave it out with --only/--skip"));
        };
        let mut out = Vec::new();
        for a in cx.release.artifacts.iter().filter(|a| a.kind == ArtifactKind::Archive) {
            let Some(t) = a.target else { continue };
            let wanted_os = matches!(t.os, Os::Darwin | Os::Linux);
            if !wanted_os || !matches!(t.arch, Arch::Amd64 | Arch::Arm64) {
                continue;
            }
            let asset = gh.asset(&a.name).ok_or_else(|| {
                Error::input(format!(
                    "platforms.homebrew: the github hand-over has no asset {}",
                    a.name
                ))
            })?;
            out.push(Download {
                os: t.os,
                arch: t.arch,
                url: asset.url.clone(),
                sha256: asset.sha256.to_ascii_lowercase(),
            });
        }
        if out.is_empty() {
            return Err(Error::input(
                "platforms.homebrew: the release built no darwin or linux (amd64/arm64) archive \
                 for the formula to download",
            )
            .with_hint("add darwin-arm64, darwin-amd64, linux-amd64 or linux-arm64 to builds.targets"));
        }
        Ok(out)
    }

    /// The formula for this release, from the project, the settings and the hand-over.
    pub fn formula(&self, cx: &Cx) -> Result<Formula> {
        let p = &cx.release.project;
        let downloads = self.downloads(cx)?;
        let homepage = self
            .cfg
            .homepage
            .clone()
            .or_else(|| p.homepage.clone())
            .or_else(|| p.repository.clone())
            .or_else(|| repo_page(cx))
            .ok_or_else(|| {
                Error::input("platforms.homebrew: no homepage")
                    .with_hint("set project.homepage or platforms.homebrew.homepage")
            })?;
        let desc = self.cfg.desc.clone().unwrap_or_else(|| p.description.clone());
        if desc.trim().is_empty() {
            return Err(Error::input("platforms.homebrew: the formula needs a `desc`")
                .with_hint("set project.description or platforms.homebrew.desc"));
        }
        Ok(Formula {
            name: self.name.clone(),
            desc,
            homepage,
            version: cx.release.version.to_string(),
            license: self.cfg.license.clone().or_else(|| p.license.clone()).unwrap_or_default(),
            binary: self.binary(cx)?,
            downloads,
        })
    }

    /// `binary`, else the project's name when built, else the only binary (on every darwin
    /// and linux target).
    fn binary(&self, cx: &Cx) -> Result<String> {
        let mut names: Vec<String> = cx
            .release
            .artifacts
            .iter()
            .filter(|a| a.kind == ArtifactKind::Binary)
            .filter(|a| a.target.is_some_and(|t| matches!(t.os, Os::Darwin | Os::Linux)))
            .map(|a| a.name.clone())
            .collect();
        names.sort();
        names.dedup();
        let pick = match &self.cfg.binary {
            Some(b) => names.iter().find(|n| *n == b).cloned(),
            None if names.len() == 1 => names.first().cloned(),
            None => names.iter().find(|n| **n == cx.release.project.name).cloned(),
        };
        pick.ok_or_else(|| {
            Error::input(format!(
                "platforms.homebrew.binary: cannot tell which binary to install; built {names:?}"
            ))
            .with_hint("set platforms.homebrew.binary to one of them")
        })
    }
}

/// The GitHub repository page, from the release page the github hand-over names.
fn repo_page(cx: &Cx) -> Option<String> {
    let page = cx.deps.get("github")?.urls.first()?;
    Some(match page.split_once("/releases/") {
        Some((repo, _)) => repo.to_string(),
        None => page.clone(),
    })
}

#[async_trait]
impl Platform for Homebrew {
    fn id(&self) -> &str {
        "homebrew"
    }

    fn needs(&self) -> Vec<String> {
        vec!["github".into()]
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            // A pushed branch is read back once, at once (a pull request: `pending` until
            // merged).
            verify_within: Some(std::time::Duration::ZERO),
            withdraw: Withdraw::Revert,
            pending_states: match self.cfg.mode {
                Mode::PullRequest => vec!["review"],
                Mode::Push => Vec::new(),
            },
        }
    }

    fn requirements(&self) -> Vec<Requirement> {
        let mut r = vec![Requirement::tool("git")];
        r.extend(self.credential().map(Requirement::credential));
        let api = Requirement::credential(&self.cfg.token_env);
        if self.cfg.mode == Mode::PullRequest && !r.contains(&api) {
            r.push(api);
        }
        r
    }

    /// The formula comes from the release, the github hand-over (an input the engine adds
    /// itself) and these settings.
    fn package_inputs(&self, _cx: &Cx) -> Option<String> {
        Some(format!("{:?} {}", self.cfg, self.name))
    }

    async fn package(&self, cx: &Cx) -> Result<Vec<Artifact>> {
        let text = formula::render(&self.formula(cx)?)?;
        let rel = Path::new("homebrew").join(format!("{}.rb", self.name));
        let abs = cx.release.dist.join(&rel);
        let err = |e| Error::io(format!("writing {}", abs.display()), e);
        std::fs::create_dir_all(abs.parent().unwrap_or(&cx.release.dist)).map_err(err)?;
        std::fs::write(&abs, &text).map_err(err)?;
        use sha2::Digest;
        Ok(vec![Artifact {
            name: format!("{}.rb", self.name),
            path: rel,
            kind: ArtifactKind::Package {
                platform: "homebrew".into(),
            },
            target: None,
            sha256: hex::encode(sha2::Sha256::digest(text.as_bytes())),
            size: text.len() as u64,
        }])
    }

    async fn check(&self, cx: &Cx, _packages: &[Artifact]) -> Result<Checked> {
        ops::check(self, cx).await
    }

    async fn publish(&self, cx: &Cx, _live: &Live, packages: &[Artifact]) -> Result<Published> {
        ops::publish(self, cx, packages).await
    }

    async fn probe(&self, cx: &Cx, plan: &crate::platform::Planned) -> Result<crate::platform::Probe> {
        ops::probe(self, cx, plan).await
    }

    async fn latest(&self, cx: &Cx) -> Result<Option<Latest>> {
        ops::latest(self, cx).await
    }

    async fn withdraw(&self, cx: &Cx) -> Result<Withdrawn> {
        ops::restore(self, cx).await
    }
}

/// The package `publish` commits: the one formula `package` wrote.
fn formula_file(cx: &Cx, packages: &[Artifact]) -> Result<std::path::PathBuf> {
    packages
        .iter()
        .find(|a| matches!(&a.kind, ArtifactKind::Package { platform } if platform == "homebrew"))
        .map(|a| cx.release.path(a))
        .ok_or_else(|| Error::new(ErrorKind::Other, "homebrew: no formula was packaged"))
}
