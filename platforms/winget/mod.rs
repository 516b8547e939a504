//! `winget`: a multi-file manifest for the windows zips of the GitHub release, proposed to
//! microsoft/winget-pkgs as a pull request from a fork (issue 8, PROTOCOLS.md §6).
//!
//! - **package** (pure, `manifest.rs`): version, defaultLocale and installer manifests from
//!   the windows targets built and the github hand-over (URL and sha256 of each zip), into
//!   dist/winget/. No windows zip, a bad identifier or a too-short description: exit 2.
//! - **check**: the version folder on upstream's default branch (contents API). Its installer
//!   manifest is compared by `InstallerSha256`, not bytes (moderators reformat manifests):
//!   other sha256s → conflict. Missing files → an open PR for the version (ours, listed by
//!   head; anyone's, by issue search with whole-word title matches) → `pending` with its URL;
//!   our PR closed without merging → a failure naming it, never a blind re-submission.
//! - **publish** (`flow.rs`): fork, sync, blobs → tree → commit, branch, PR
//!   `New version: <id> version <v>`. Only the missing files are in the commit.
//! - **probe** / **latest** (`probe.rs`): the version folder on upstream's default branch
//!   pointing at GitHub's assets is live without a build; the newest version folder.
//! - **withdraw**: a PR removing the version folder (`Remove version: …`), or a manual note.

pub mod config;
pub mod flow;
pub mod manifest;
mod probe;

use crate::error::{Error, ErrorKind, Result};
use crate::http::Auth;
use crate::plan::{Arch, Artifact, ArtifactKind, Os, Project};
use crate::platform::{
    section, Capabilities, Checked, Cx, Factory, Latest, Live, Planned, Platform, Probe,
    Published, Requirement, Withdraw, Withdrawn,
};
use crate::kit::pulls::{file_text, Hub};
use async_trait::async_trait;
use config::{RollbackMode, WingetConfig};
use flow::{Change, Flow, Pull};
use manifest::{Inputs, Installer};
use std::time::Duration;

pub const FACTORY: Factory = Factory {
    id: "winget",
    about: "WinGet manifests for the windows zips, proposed to microsoft/winget-pkgs as a pull request",
    schema: config::schema,
    build,
};

fn build(v: &serde_json::Value, project: &Project) -> Result<Box<dyn Platform>> {
    let cfg: WingetConfig = section("winget", v)?;
    cfg.validate()?;
    cfg.identity(project)?;
    Ok(Box::new(Winget { cfg }))
}

/// The adapter.
pub struct Winget {
    cfg: WingetConfig,
}

fn arch(a: Arch) -> &'static str {
    match a {
        Arch::Amd64 => "x64",
        Arch::Arm64 => "arm64",
        Arch::Arm => "arm",
        Arch::I386 => "x86",
    }
}

impl Winget {
    fn version(cx: &Cx) -> String {
        cx.release.version.to_string()
    }

    fn folder(&self, cx: &Cx) -> String {
        manifest::folder(&self.cfg.identifier, &Self::version(cx))
    }

    fn flow<'a>(&'a self, hub: &'a Hub) -> Flow<'a> {
        Flow {
            hub,
            upstream: &self.cfg.upstream,
            fork_owner: &self.cfg.fork_owner,
        }
    }

    fn hub(&self, cx: &Cx) -> Hub {
        let auth = cx.secret(&self.cfg.token_env).map(|s| Auth::Bearer(s.clone()));
        Hub::new(cx.http.clone(), &self.cfg.api_base(), auth, &self.cfg.token_env)
    }

    fn branch(&self, cx: &Cx) -> String {
        format!("{}-{}", self.cfg.identifier, Self::version(cx))
    }

    fn title(&self, cx: &Cx, verb: &str) -> String {
        format!("{verb}: {} version {}", self.cfg.identifier, Self::version(cx))
    }

    /// One installer per windows zip of the release, with the hand-over's URL and sha256.
    fn installers(&self, cx: &Cx) -> Result<Vec<Installer>> {
        let github = cx.deps.get("github").cloned().unwrap_or_default();
        let mut out = Vec::new();
        for a in &cx.release.artifacts {
            let Some(t) = a.target.filter(|t| t.os == Os::Windows) else {
                continue;
            };
            if a.kind != ArtifactKind::Archive {
                continue;
            }
            if !a.name.ends_with(".zip") {
                return Err(Error::input(format!("winget: {} is not a zip", a.name))
                    .with_hint("WinGet installs portable CLIs from zips: set archives.format to auto or zip"));
            }
            let asset = github.asset(&a.name).ok_or_else(|| {
                Error::input(format!("winget: the github release does not carry {}", a.name))
            })?;
            let binaries = cx.release.artifacts.iter()
                .filter(|b| b.kind == ArtifactKind::Binary && b.target == Some(t))
                .map(|b| b.name.clone())
                .collect();
            out.push(Installer { arch: arch(t.arch), url: asset.url.clone(), sha256: asset.sha256.clone(), binaries });
        }
        if out.is_empty() {
            return Err(Error::input("winget: the release builds no windows target")
                .with_hint("add windows-amd64 (and windows-arm64) to builds[].targets, or remove platforms.winget"));
        }
        Ok(out)
    }

    /// The three manifests of this version.
    fn render(&self, cx: &Cx) -> Result<Vec<manifest::File>> {
        let id = self.cfg.identity(&cx.release.project)?;
        let installers = self.installers(cx)?;
        let github = cx.deps.get("github").cloned().unwrap_or_default();
        let version = Self::version(cx);
        Ok(manifest::render(&Inputs {
            id: &id,
            version: &version,
            installers: &installers,
            release_notes_url: github.urls.first().map(String::as_str),
        }))
    }

    /// What upstream's default branch holds in the version folder: present names, or a
    /// conflict when the installer manifest names other `InstallerSha256`s.
    async fn on_upstream(&self, hub: &Hub, cx: &Cx, packages: &[Artifact]) -> Result<std::result::Result<Vec<String>, Live>> {
        let (up, folder) = (&self.cfg.upstream, self.folder(cx));
        let listing = hub.get(&format!("/repos/{up}/contents/{folder}"), up, "reading the manifest folder").await?;
        let names: Vec<String> = listing.as_ref().and_then(|v| v.as_array()).into_iter().flatten()
            .filter_map(|e| e["name"].as_str().map(String::from)).collect();
        let mut present = Vec::new();
        for p in packages.iter().filter(|p| names.contains(&p.name)) {
            if p.name.ends_with(".installer.yaml") {
                let live = hub.get(&format!("/repos/{up}/contents/{folder}/{}", p.name), up, "reading the installer manifest").await?;
                let text = file_text(live.as_ref());
                let ours = std::fs::read_to_string(cx.release.dist.join(&p.path)).map_err(|e| Error::io(format!("reading {}", p.path.display()), e))?;
                let (mut l, mut o) = (manifest::installer_sha256s(&text), manifest::installer_sha256s(&ours));
                l.sort();
                o.sort();
                if l != o {
                    let conflicts = vec![format!("{folder}/{}: live InstallerSha256 {}, ours {}", p.name, l.join(", "), o.join(", "))];
                    return Ok(Err(Live::Conflict { conflicts }));
                }
            }
            present.push(p.name.clone());
        }
        Ok(Ok(present))
    }

    /// An open PR for this version (ours or anyone's), or our closed-unmerged one.
    async fn pull_for_version(&self, hub: &Hub, cx: &Cx) -> Result<Option<Live>> {
        let flow = self.flow(hub);
        let ours = flow.by_head(&self.branch(cx)).await?;
        let theirs = match ours.iter().any(|p| p.open) {
            true => Vec::new(),
            false => flow.search_open(&self.cfg.identifier, &Self::version(cx)).await?,
        };
        if let Some(p) = ours.iter().chain(&theirs).find(|p| p.open) {
            return Ok(Some(Live::Pending {
                reason: format!("pull request #{} is open for review: {}", p.number, p.url),
            }));
        }
        match ours.iter().find(|p| !p.merged) {
            Some(p) if !self.cfg.resubmit => Err(closed(p, &self.cfg.upstream)),
            _ => Ok(None),
        }
    }
}

fn closed(p: &Pull, upstream: &str) -> Error {
    Error::new(ErrorKind::Conflict, format!("pull request #{} to {upstream} was closed without merging: {}", p.number, p.url))
        .with_hint("read the moderators' comments on it; to submit again, fix what they asked and set platforms.winget.resubmit: true")
}

#[async_trait]
impl Platform for Winget {
    fn id(&self) -> &str {
        "winget"
    }

    fn needs(&self) -> Vec<String> {
        vec!["github".into()]
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            withdraw: Withdraw::Revert,
            // One re-check right after the PR: live only if it was merged at once (never on
            // winget-pkgs, where review takes hours to weeks): otherwise `pending`.
            verify_within: Some(Duration::ZERO),
            pending_states: vec!["review"],
        }
    }

    fn requirements(&self) -> Vec<Requirement> {
        vec![Requirement::credential(&self.cfg.token_env)]
    }

    fn package_inputs(&self, _cx: &Cx) -> Option<String> {
        Some(format!("{:?}", self.cfg))
    }

    async fn package(&self, cx: &Cx) -> Result<Vec<Artifact>> {
        let dir = cx.release.dist.join("winget");
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        let mut out = Vec::new();
        for f in self.render(cx)? {
            let path = dir.join(&f.name);
            std::fs::write(&path, &f.content).map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
            use sha2::Digest;
            out.push(Artifact {
                name: f.name.clone(),
                path: std::path::Path::new("winget").join(&f.name),
                kind: ArtifactKind::Package { platform: "winget".into() },
                target: None,
                sha256: hex::encode(sha2::Sha256::digest(f.content.as_bytes())),
                size: f.content.len() as u64,
            });
        }
        Ok(out)
    }

    async fn probe(&self, cx: &Cx, plan: &Planned) -> Result<Probe> {
        probe::probe(self, cx, plan).await
    }

    async fn latest(&self, cx: &Cx) -> Result<Option<Latest>> {
        probe::latest(self, cx).await
    }

    async fn check(&self, cx: &Cx, packages: &[Artifact]) -> Result<Checked> {
        let hub = self.hub(cx);
        let present = match self.on_upstream(&hub, cx, packages).await? {
            Ok(p) => p,
            Err(conflict) => return Ok(conflict.into()),
        };
        let missing: Vec<String> = packages.iter().map(|p| p.name.clone()).filter(|n| !present.contains(n)).collect();
        if !missing.is_empty() {
            if let Some(pending) = self.pull_for_version(&hub, cx).await? {
                return Ok(pending.into());
            }
        }
        Ok(Live::of(present, missing).into())
    }

    async fn publish(&self, cx: &Cx, live: &Live, packages: &[Artifact]) -> Result<Published> {
        let hub = self.hub(cx);
        let folder = self.folder(cx);
        let mut entries = Vec::new();
        let mut uploaded = Vec::new();
        for p in packages.iter().filter(|p| live.wants(&p.name)) {
            let text = std::fs::read_to_string(cx.release.dist.join(&p.path)).map_err(|e| Error::io(format!("reading {}", p.path.display()), e))?;
            entries.push((format!("{folder}/{}", p.name), Some(text)));
            uploaded.push(p.name.clone());
        }
        let change = Change {
            branch: self.branch(cx),
            title: self.title(cx, "New version"),
            body: format!("Submitted by tagship for the release {}.", cx.release.tag),
            entries,
        };
        let (pull, mut warnings) = self.flow(&hub).submit(&change).await?;
        warnings.push(format!("pull request `{}` ({}:{} → {}): {}", change.title, self.cfg.fork_owner, change.branch, self.cfg.upstream, pull.url));
        Ok(Published {
            uploaded,
            handover: crate::platform::Handover::urls(vec![pull.url]),
            warnings,
            ..Default::default()
        })
    }

    async fn withdraw(&self, cx: &Cx) -> Result<Withdrawn> {
        let (up, folder) = (&self.cfg.upstream, self.folder(cx));
        let title = self.title(cx, "Remove version");
        let url = format!("https://github.com/{up}/tree/master/{folder}");
        if self.cfg.rollback == RollbackMode::Manual {
            return Ok(Withdrawn::Manual {
                what: format!("open a pull request to {up} that deletes {folder}, titled `{title}`, with the reason in its body; a moderator must approve it"),
                url,
            });
        }
        let hub = self.hub(cx);
        let listing = hub.get(&format!("/repos/{up}/contents/{folder}"), up, "reading the manifest folder").await?;
        let paths: Vec<String> = listing.as_ref().and_then(|v| v.as_array()).into_iter().flatten()
            .filter_map(|e| e["path"].as_str().map(String::from)).collect();
        if paths.is_empty() {
            return Ok(Withdrawn::Done(format!("nothing to remove: {folder} is not on {up}")));
        }
        let change = Change {
            branch: format!("{}-remove", self.branch(cx)),
            title,
            body: format!("Removal requested by tagship rollback of {}.", cx.release.tag),
            entries: paths.into_iter().map(|p| (p, None)).collect(),
        };
        let (pull, _) = self.flow(&hub).submit(&change).await?;
        Ok(Withdrawn::Done(format!("opened pull request `{}`: {}", change.title, pull.url)))
    }
}
