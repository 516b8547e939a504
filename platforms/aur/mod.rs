//! `aur`: a `<project>-bin` package in the Arch User Repository, pointing at the linux
//! archives of the GitHub release (`needs: github`), pushed to the package's git remote over
//! ssh (issue 8; PROTOCOLS.md §8).
//!
//! - **package** (`recipe.rs`, `pkgbuild.rs`): the `PKGBUILD` and its `.SRCINFO`, rendered
//!   by pure functions from the settings, the release and GitHub's hand-over; the
//!   `.SRCINFO` is byte-equal to `makepkg --printsrcinfo` (tests/aur_makepkg.rs runs it).
//!   A bad name, no linux archive or a value makepkg would mangle is exit 2 here.
//! - **check / publish** (`ops.rs`): the remote's `.SRCINFO` at the tip of `master`, through
//!   the git kit (`crate::git`: ssh key in a 0600 file, strict host keys). Same pkgver and
//!   sums → present; same pkgver, other sums → conflict; anything else → one commit of
//!   `PKGBUILD` + `.SRCINFO` on top of the tip (the push is the only side effect, withheld in
//!   a dry run).
//! - **withdraw** (`revert.rs`): a commit restoring the previous version's two files.

pub mod config;
pub mod ops;
pub mod pkgbuild;
pub mod recipe;
mod revert;

use crate::error::{Error, Result};
use crate::git::{self, Author};
use crate::plan::{Artifact, ArtifactKind, Project};
use crate::platform::{
    section, Capabilities, Checked, Cx, Factory, Latest, Live, Platform, Published,
    Requirement, Withdraw, Withdrawn,
};
use async_trait::async_trait;
pub use config::{AurConfig, KEY_VAR};
use pkgbuild::Recipe;
use pkgbuild::Base;
use std::path::PathBuf;

pub const FACTORY: Factory = Factory {
    id: "aur",
    about: "a -bin PKGBUILD and .SRCINFO pushed to the AUR over ssh, pointing at the GitHub release",
    schema: || schemars::schema_for!(AurConfig),
    build: |v, p: &Project| Ok(Box::new(Aur::new(section("aur", v)?, p)?)),
};

/// The files of an AUR package, in the order they are written.
pub const PKGBUILD: &str = "PKGBUILD";
pub const SRCINFO: &str = ".SRCINFO";
/// The only branch the AUR accepts pushes to.
const BRANCH: &str = "master";
/// Where packages go under dist/.
const DIR: &str = "aur";

/// The aur adapter.
pub struct Aur {
    cfg: AurConfig,
    base: Base,
}

impl Aur {
    pub fn new(cfg: AurConfig, project: &Project) -> Result<Self> {
        let base = Base::new(&cfg, project)?;
        Ok(Aur { cfg, base })
    }

    pub fn pkgname(&self) -> &str {
        &self.base.pkgname
    }

    /// `remote`, default the AUR's ssh URL for the package.
    fn remote(&self) -> String {
        self.cfg
            .remote
            .clone()
            .unwrap_or_else(|| format!("ssh://aur@aur.archlinux.org/{}.git", self.pkgname()))
    }

    /// The package page a person looks at.
    fn page(&self) -> String {
        format!("https://aur.archlinux.org/packages/{}", self.pkgname())
    }

    /// The package's branch for the git kit. Without the key (a dry run) git's own
    /// credentials probe it, still with strict host keys.
    fn spec(&self, cx: &Cx) -> git::Spec {
        let known_hosts = self.cfg.known_hosts.as_ref().map(|k| cx.release.root.join(k));
        let mut spec = git::Spec::new(self.remote(), BRANCH, cx.release.epoch)
            .ssh_key(KEY_VAR, cx.secret(KEY_VAR), known_hosts);
        spec.author = author(self.base.maintainer.as_deref());
        spec
    }

    /// The recipe for this release, from GitHub's hand-over in `cx.deps`.
    fn recipe(&self, cx: &Cx) -> Result<Recipe> {
        let github = cx.deps.get("github").ok_or_else(|| {
            Error::input("aur needs the github platform's assets, and github is not in this run")
                .with_hint("configure platforms.github, and keep it selected with --only")
        })?;
        self.base.recipe(&cx.release, github)
    }
}

/// `Name <email>` → the commit author; anything else → tagship's default identity.
fn author(maintainer: Option<&str>) -> Author {
    let parsed = maintainer.and_then(|m| {
        let (name, rest) = m.split_once('<')?;
        let email = rest.strip_suffix('>')?.trim();
        let name = name.trim();
        (!name.is_empty() && email.contains('@')).then(|| Author {
            name: name.into(),
            email: email.into(),
        })
    });
    parsed.unwrap_or_default()
}

fn artifact(name: &str, path: PathBuf, bytes: &[u8]) -> Artifact {
    use sha2::Digest;
    Artifact {
        name: name.into(),
        path,
        kind: ArtifactKind::Package {
            platform: "aur".into(),
        },
        target: None,
        sha256: hex::encode(sha2::Sha256::digest(bytes)),
        size: bytes.len() as u64,
    }
}

#[async_trait]
impl Platform for Aur {
    fn id(&self) -> &str {
        "aur"
    }

    fn needs(&self) -> Vec<String> {
        vec!["github".into()]
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            withdraw: Withdraw::Revert,
            // A pushed branch is read back once, at once.
            verify_within: Some(std::time::Duration::ZERO),
            ..Capabilities::default()
        }
    }

    fn requirements(&self) -> Vec<Requirement> {
        vec![
            Requirement::credential(KEY_VAR),
            Requirement::tool("git"),
            Requirement::tool("ssh"),
        ]
    }

    /// The two files come from the settings, the release and the needs' hand-over only.
    fn package_inputs(&self, _cx: &Cx) -> Option<String> {
        Some(format!("{:?}", self.cfg))
    }

    async fn package(&self, cx: &Cx) -> Result<Vec<Artifact>> {
        let r = self.recipe(cx)?;
        let rel = PathBuf::from(DIR).join(&r.base.pkgname);
        let dir = cx.release.dist.join(&rel);
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        let mut out = Vec::new();
        for (name, text) in [
            (PKGBUILD, pkgbuild::render_pkgbuild(&r)),
            (SRCINFO, pkgbuild::render_srcinfo(&r)),
        ] {
            let p = dir.join(name);
            std::fs::write(&p, &text)
                .map_err(|e| Error::io(format!("writing {}", p.display()), e))?;
            out.push(artifact(name, rel.join(name), text.as_bytes()));
        }
        Ok(out)
    }

    async fn check(&self, cx: &Cx, packages: &[Artifact]) -> Result<Checked> {
        ops::check(self, cx, packages).await
    }

    async fn publish(&self, cx: &Cx, _live: &Live, packages: &[Artifact]) -> Result<Published> {
        ops::publish(self, cx, packages).await
    }

    async fn withdraw(&self, cx: &Cx) -> Result<Withdrawn> {
        revert::withdraw(self, cx).await
    }

    async fn probe(&self, cx: &Cx, plan: &crate::platform::Planned) -> Result<crate::platform::Probe> {
        ops::probe(self, cx, plan).await
    }

    async fn latest(&self, cx: &Cx) -> Result<Option<Latest>> {
        ops::latest(self, cx).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maintainer_is_the_author() {
        let a = author(Some("Ada Lovelace <ada@example.com>"));
        assert_eq!((a.name.as_str(), a.email.as_str()), ("Ada Lovelace", "ada@example.com"));
        assert_eq!(author(Some("just a name")), Author::default());
        assert_eq!(author(None), Author::default());
    }

    #[test]
    fn remote_defaults_to_the_aur() {
        let p = Project {
            name: "demo".into(),
            ..Default::default()
        };
        let cfg: AurConfig = serde_json::from_value(serde_json::json!({})).unwrap();
        let a = Aur::new(cfg, &p).unwrap();
        assert_eq!(a.remote(), "ssh://aur@aur.archlinux.org/demo-bin.git");
        assert_eq!(a.page(), "https://aur.archlinux.org/packages/demo-bin");
    }
}
