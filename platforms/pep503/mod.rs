//! `pep503`: a self-hosted static Python index (PEP 503 pages + PEP 658 metadata sidecars +
//! a `packages.json` manifest) kept in a git branch (e.g. GitHub Pages) or a directory. The
//! wheels are the same files the pypi platform builds (`platforms::wheel`); in `mode:
//! project`, the wheels and sdist the project's own build writes (`wheel::project`).
//!
//! The check looks at what a client downloads (`survey`): every wheel's file, its `.metadata`
//! sidecar, its `#sha256=` link and its manifest entry. Publish restores exactly the missing
//! parts (`restore`). Git mode goes through the git kit (`crate::git`): only the tip's trees
//! and the three small text files are fetched, the commit is built without a checkout, and
//! the push is `Effect::SideEffect`, so a dry run withholds only the push. Dir mode stages the
//! changed files and copies them over with one side-effecting `cp`. Other projects' pages and
//! manifest entries are never rewritten; a re-run with nothing missing makes no commit.
//! `tagship rollback` delists the version (`delist`): out of the manifest and the page, files
//! kept.

pub mod config;
mod delist;
pub mod index;
mod ops;
pub mod restore;
mod store;
pub mod survey;

use crate::error::{Error, Result};
use crate::git;
use crate::plan::{Artifact, Project};
use crate::platform::{
    section, Capabilities, Checked, Cx, Factory, Live, Platform, Published, Requirement,
    Withdraw, Withdrawn,
};
use crate::platforms::pypi::package_wheels;
use crate::platforms::wheel::{self, WheelMeta};
use async_trait::async_trait;
pub use config::{Mode, Pep503Config};
use crate::platforms::wheel::checks::Limits;
use std::path::Path;

pub const FACTORY: Factory = Factory {
    id: "pep503",
    about: "a static PEP 503 index (wheels + pages) in a git branch or a directory",
    schema: || schemars::schema_for!(Pep503Config),
    build: |v, p: &Project| Ok(Box::new(Pep503::new(section("pep503", v)?, p)?)),
};

/// The pep503 adapter.
pub struct Pep503 {
    cfg: Pep503Config,
    name: String,
}

impl Pep503 {
    pub fn new(cfg: Pep503Config, project: &Project) -> Result<Self> {
        if cfg.repo.is_some() == cfg.dir.is_some() {
            return Err(Error::config(
                "platforms.pep503: set exactly one of `repo` (a git URL or path) and `dir`",
            ));
        }
        if let Some(p) = &cfg.path {
            if Path::new(p).is_absolute() || p.split('/').any(|s| s == "..") {
                return Err(Error::config(format!(
                    "platforms.pep503.path `{p}` must be a relative path inside the index"
                )));
            }
        }
        if cfg.token_env.is_some() && cfg.ssh_key_env.is_some() {
            return Err(Error::config(
                "platforms.pep503: set at most one of `token_env` (https) and `ssh_key_env` (ssh)",
            ));
        }
        let name = cfg.package.clone().unwrap_or_else(|| project.name.clone());
        wheel::check_name(&name).map_err(|e| e.context("platforms.pep503.package"))?;
        Ok(Pep503 { cfg, name })
    }

    fn sub(&self) -> &str {
        self.cfg.path.as_deref().unwrap_or("").trim_matches('/')
    }

    /// `""` or `sub/`: what index paths are prefixed with inside the branch.
    fn prefix(&self) -> String {
        match self.sub() {
            "" => String::new(),
            s => format!("{s}/"),
        }
    }

    /// `repo` as git understands it: URLs and scp-style addresses as they are, relative
    /// paths against the directory of pipeline.yaml.
    fn repo_url(&self, cx: &Cx) -> String {
        let r = self.cfg.repo.clone().unwrap_or_default();
        let scp = r
            .split_once(':')
            .is_some_and(|(h, _)| !h.contains('/') && h.len() > 1);
        if r.contains("://") || scp || Path::new(&r).is_absolute() {
            r
        } else {
            cx.release.root.join(r).display().to_string()
        }
    }

    /// The branch for the git kit, with the configured credentials and author.
    fn spec(&self, cx: &Cx) -> Result<git::Spec> {
        let c = &self.cfg;
        let spec = git::Spec::new(self.repo_url(cx), &c.branch, cx.release.epoch)
            .author(&c.author_name, &c.author_email);
        Ok(match (&c.token_env, &c.ssh_key_env) {
            (Some(v), _) => spec.token(v, cx.secret(v)),
            (None, Some(v)) => {
                let known_hosts = c.known_hosts.as_ref().map(|k| cx.release.root.join(k));
                spec.ssh_key(v, cx.secret(v), known_hosts)
            }
            (None, None) => spec,
        })
    }

    fn location(&self, cx: &Cx) -> String {
        let page = format!("{}simple/{}/", self.prefix(), wheel::normalize(&self.name));
        match &self.cfg.dir {
            Some(d) => cx.release.root.join(d).join(page).display().to_string(),
            None => format!("{} (branch {}) {page}", self.repo_url(cx), self.cfg.branch),
        }
    }
}

#[async_trait]
impl Platform for Pep503 {
    fn id(&self) -> &str {
        "pep503"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            // A pushed branch (or a written directory) is read back once, at once.
            verify_within: Some(std::time::Duration::ZERO),
            withdraw: Withdraw::Delist,
            ..Capabilities::default()
        }
    }

    fn requirements(&self) -> Vec<Requirement> {
        let program = if self.cfg.repo.is_some() { "git" } else { "cp" };
        let mut r = vec![Requirement::tool(program)];
        r.extend(self.cfg.token_env.iter().map(Requirement::credential));
        r.extend(self.cfg.ssh_key_env.iter().map(Requirement::credential));
        if self.cfg.mode == Mode::Project {
            r.extend(self.cfg.build.requirements());
        }
        r
    }

    /// The wheels come from the binaries, the project and these settings only; `mode:
    /// project` always rebuilds (its inputs are the project's sources).
    fn package_inputs(&self, _cx: &Cx) -> Option<String> {
        (self.cfg.mode == Mode::Binary).then(|| format!("{:?} {}", self.cfg, self.name))
    }

    async fn package(&self, cx: &Cx) -> Result<Vec<Artifact>> {
        if self.cfg.mode == Mode::Project {
            let limits = Limits {
                package: &self.name,
                max_file_size: None,
            };
            return wheel::project::package(cx, &self.cfg.build, &limits, "pep503").await;
        }
        let meta =
            WheelMeta::from_release(&cx.release, &self.name, self.cfg.requires_python.as_deref())?;
        package_wheels(cx, meta, "pep503").await
    }

    async fn check(&self, cx: &Cx, packages: &[Artifact]) -> Result<Checked> {
        ops::check(self, cx, packages).await
    }

    async fn publish(&self, cx: &Cx, _live: &Live, packages: &[Artifact]) -> Result<Published> {
        ops::publish(self, cx, packages).await
    }

    async fn withdraw(&self, cx: &Cx) -> Result<Withdrawn> {
        ops::delist(self, cx).await
    }

    async fn latest(&self, cx: &Cx) -> Result<Option<crate::platform::Latest>> {
        ops::latest(self, cx).await
    }
}
