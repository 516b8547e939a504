//! GitHub Releases: one release per tag carrying the archives and SHA256SUMS.
//!
//! The safe order, required on repositories with immutable releases: find or create a
//! *draft*, delete half-finished ("starter") assets, stream every missing asset, then publish
//! the draft with one PATCH. A same-name asset with a different size or digest is a conflict
//! and is never overwritten. `check` reports a draft that has every asset as
//! `Partial { missing: [] }`: nothing to upload, only the publishing PATCH is left.
//! Assets are matched by the name GitHub stores (`assets::stored_name`); dependents get the
//! URLs read back after publishing (`assets::final_assets`), never a draft's `untagged-` link.
//! See README.md for users' documentation.

pub mod api;
pub mod assets;
pub mod config;
mod probe;
mod rollback;
mod upload;

use crate::error::{Error, ErrorKind, Result};
use crate::http::Auth;
use crate::plan::{Artifact, Project};
use crate::platform::{
    section, Asset, Capabilities, Checked, Cx, Factory, Handover, Live, Platform, Published,
    Requirement, Withdraw, Withdrawn,
};
use api::{Api, Created, GhAsset, GhRelease};
use assets::stored_name;
use async_trait::async_trait;
use config::GithubConfig;
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Registry entry.
pub const FACTORY: Factory = Factory {
    id: "github",
    about: "GitHub Releases: a release per tag with the archives and SHA256SUMS as assets",
    schema: config::schema,
    build,
};

fn build(v: &serde_json::Value, project: &Project) -> Result<Box<dyn Platform>> {
    let cfg: GithubConfig = section("github", v)?;
    cfg.validate()?;
    Ok(Box::new(Github::new(cfg, project.clone())))
}

/// The adapter.
pub struct Github {
    cfg: GithubConfig,
    project: Project,
    /// The "no token: drafts are invisible" note was given (once per run).
    noted_anonymous: AtomicBool,
}

/// What is on GitHub for this tag, compared with the local uploadables.
struct Survey {
    release: Option<GhRelease>,
    /// Uploaded assets whose content matches, in release order.
    present: Vec<(String, GhAsset)>,
    /// Local uploadables not (fully) on GitHub, in release order.
    missing: Vec<Artifact>,
    /// Half-finished uploads blocking a name; deleted before re-uploading.
    starters: Vec<GhAsset>,
}

impl Github {
    pub fn new(cfg: GithubConfig, project: Project) -> Github {
        Github {
            cfg,
            project,
            noted_anonymous: AtomicBool::new(false),
        }
    }

    /// Without a token GitHub serves a public repository but never lists drafts, so a draft
    /// left by an earlier run cannot be seen: said once, on stderr, where the dry run's
    /// progress goes.
    fn note_anonymous(&self, cx: &Cx) {
        if cx.secret(&self.cfg.token_env).is_some()
            || self.noted_anonymous.swap(true, Ordering::Relaxed)
        {
            return;
        }
        eprintln!(
            "github: {} is not set: looking at {}/{} anonymously. Drafts cannot be seen without a token, so a draft left by an earlier run is not found (a real run needs the token)",
            self.cfg.token_env, self.cfg.owner, self.cfg.repo
        );
    }

    fn api(&self, cx: &Cx) -> Api {
        let auth = cx
            .secret(&self.cfg.token_env)
            .map(|s| Auth::Bearer(s.clone()));
        Api::new(
            cx.http.clone(),
            &self.cfg.api_base(),
            &self.cfg.owner,
            &self.cfg.repo,
        )
        .auth(auth)
        .token_env(&self.cfg.token_env)
    }

    /// Finds the release (published, else a draft) and compares its assets.
    async fn survey(&self, cx: &Cx, api: &Api) -> Result<Survey> {
        self.note_anonymous(cx);
        assets::distinct_stored_names(&cx.release.uploadables())?;
        match api.find_release(&cx.release.tag).await? {
            Some(r) => self.compare(cx, api, r).await,
            None => Ok(Survey {
                release: None,
                present: Vec::new(),
                missing: cx.release.uploadables().into_iter().cloned().collect(),
                starters: Vec::new(),
            }),
        }
    }

    /// Lists the release's assets and sorts every uploadable into present / missing.
    async fn compare(&self, cx: &Cx, api: &Api, release: GhRelease) -> Result<Survey> {
        let remote = api.list_assets(release.id).await?;
        let mut s = Survey {
            release: Some(release),
            present: Vec::new(),
            missing: Vec::new(),
            starters: Vec::new(),
        };
        for art in cx.release.uploadables() {
            let stored = stored_name(&art.name);
            match remote.iter().find(|a| a.name == stored) {
                None => s.missing.push(art.clone()),
                Some(a) if a.state != "uploaded" => {
                    s.starters.push(a.clone());
                    s.missing.push(art.clone());
                }
                Some(a) => {
                    same_content(a, art)?;
                    s.present.push((art.name.clone(), a.clone()));
                }
            }
        }
        Ok(s)
    }

    fn live(&self, s: &Survey) -> Live {
        let Some(release) = &s.release else {
            return Live::Absent;
        };
        let unpublished = release.draft && !self.cfg.draft;
        if s.missing.is_empty() && !unpublished {
            return Live::Present;
        }
        Live::Partial {
            present: s.present.iter().map(|(n, _)| n.clone()).collect(),
            missing: s.missing.iter().map(|a| a.name.clone()).collect(),
        }
    }

    fn render(&self, cx: &Cx, template: &str) -> String {
        let r = &cx.release;
        GithubConfig::render(template, &r.tag, &r.version.to_string(), &self.project.name)
    }

    fn prerelease(&self, cx: &Cx) -> bool {
        self.cfg.prerelease.resolve(cx.release.is_prerelease())
    }

    /// What dependents are planned to receive (and receive on a re-run, where the check
    /// proved the live assets have our content): the release page and every uploadable at
    /// its final, tag-based download URL — never a draft's `untagged-…` URL — with our sha256
    /// and size.
    fn handover(&self, cx: &Cx) -> Handover {
        let tag = &cx.release.tag;
        let assets = cx
            .release
            .uploadables()
            .into_iter()
            .map(|a| Asset {
                name: a.name.clone(),
                url: assets::download_url(&self.cfg, tag, &a.name),
                sha256: a.sha256.clone(),
                size: a.size,
            })
            .collect();
        Handover {
            urls: vec![assets::release_page(&self.cfg, tag)],
            assets,
        }
    }

    /// Creates the draft, or reuses the release someone created meanwhile.
    async fn create(&self, cx: &Cx, api: &Api) -> Result<Survey> {
        let c = &self.cfg;
        let mut body = json!({
            "tag_name": cx.release.tag,
            "name": self.render(cx, &c.name),
            "draft": true,
            "prerelease": self.prerelease(cx),
            "make_latest": "false",
        });
        if let Some(b) = &c.body {
            body["body"] = json!(self.render(cx, b));
        }
        if let Some(t) = c.target_commitish.as_ref().or(cx.release.commit.as_ref()) {
            body["target_commitish"] = json!(t);
        }
        let predicted = json!({
            "id": 0,
            "tag_name": cx.release.tag,
            "draft": true,
            "html_url": assets::release_page(c, &cx.release.tag),
            "upload_url": format!("{}/repos/{}/{}/releases/0/assets{{?name,label}}", c.uploads_base(), c.owner, c.repo),
        });
        match api.create_release(&body, predicted).await? {
            Created::Release(r) => Ok(Survey {
                release: Some(r),
                present: Vec::new(),
                missing: cx.release.uploadables().into_iter().cloned().collect(),
                starters: Vec::new(),
            }),
            Created::AlreadyExists => match api.find_release(&cx.release.tag).await? {
                Some(r) => self.compare(cx, api, r).await,
                None => Err(Error::conflict(format!(
                    "GitHub says a release for {} already exists, but it cannot be found",
                    cx.release.tag
                ))
                .with_hint(format!(
                    "the token in {} needs push access to see draft releases",
                    c.token_env
                ))),
            },
        }
    }

    /// Where uploads go: the configured root, else the release's template, else derived.
    fn upload_target(&self, release: &GhRelease) -> String {
        let c = &self.cfg;
        let derived = || {
            format!(
                "{}/repos/{}/{}/releases/{}/assets",
                c.uploads_base(),
                c.owner,
                c.repo,
                release.id
            )
        };
        match (&c.upload_url, &release.upload_url) {
            (None, Some(t)) if !t.is_empty() => t.clone(),
            _ => derived(),
        }
    }

    /// The page and asset URLs dependents get (re-read after publishing).
    async fn final_assets(&self, cx: &Cx, api: &Api, release: &GhRelease) -> Result<assets::Final> {
        let local = cx.release.uploadables();
        assets::final_assets(assets::Handover {
            api,
            cfg: &self.cfg,
            tag: &cx.release.tag,
            release,
            local: &local,
        })
        .await
    }

    /// Publishes the draft (the last step, so an immutable release is complete).
    async fn publish_draft(&self, cx: &Cx, api: &Api, release: GhRelease) -> Result<GhRelease> {
        if !release.draft || self.cfg.draft {
            return Ok(release);
        }
        let latest = if self.prerelease(cx) { "false" } else { "true" };
        let mut predicted = serde_json::to_value(&release).unwrap_or_default();
        predicted["draft"] = json!(false);
        api.update_release(
            release.id,
            &json!({"draft": false, "make_latest": latest}),
            predicted,
        )
        .await
    }
}

/// An uploaded asset must have the local size and, when GitHub reports one, the same digest.
pub(crate) fn same_content(remote: &GhAsset, local: &Artifact) -> Result<()> {
    let size_ok = remote.size == local.size;
    let digest_ok = match &remote.digest {
        Some(d) => match d.strip_prefix("sha256:") {
            Some(hex) => hex.eq_ignore_ascii_case(&local.sha256),
            None => true, // another algorithm: nothing to compare
        },
        None => true,
    };
    if size_ok && digest_ok {
        return Ok(());
    }
    Err(Error::conflict(format!(
        "asset {} exists with different content (GitHub: {} bytes{}, local: {} bytes, sha256:{})",
        local.name,
        remote.size,
        remote.digest.as_deref().map(|d| format!(", {d}")).unwrap_or_default(),
        local.size,
        local.sha256
    ))
    .with_hint("tagship never overwrites a published file; delete the asset on GitHub if it is wrong, or release a new version"))
}

#[async_trait]
impl Platform for Github {
    fn id(&self) -> &str {
        "github"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            verify_within: Some(Duration::from_secs(10)),
            withdraw: Withdraw::Demote,
            ..Capabilities::default()
        }
    }

    fn requirements(&self) -> Vec<Requirement> {
        vec![Requirement::credential(&self.cfg.token_env)]
    }

    fn planned_handover(&self, cx: &Cx, _packages: &[Artifact]) -> Handover {
        self.handover(cx)
    }

    async fn probe(&self, cx: &Cx, plan: &crate::platform::Planned) -> Result<crate::platform::Probe> {
        probe::probe(self, cx, plan).await
    }

    async fn latest(&self, cx: &Cx) -> Result<Option<crate::platform::Latest>> {
        probe::latest(self, cx).await
    }

    async fn check(&self, cx: &Cx, _packages: &[Artifact]) -> Result<Checked> {
        let api = self.api(cx);
        let s = self.survey(cx, &api).await?;
        let live = self.live(&s);
        let handover = match live {
            Live::Present => self.handover(cx),
            _ => Handover::default(),
        };
        Ok(Checked::with(live, handover))
    }

    async fn withdraw(&self, cx: &Cx) -> Result<Withdrawn> {
        rollback::demote(&self.api(cx), &cx.release.tag, self.cfg.rollback).await
    }

    async fn publish(&self, cx: &Cx, _live: &Live, _packages: &[Artifact]) -> Result<Published> {
        let api = self.api(cx);
        // Re-survey: the release id, asset ids and starters are needed, and state may have moved.
        let mut s = self.survey(cx, &api).await?;
        if s.release.is_none() {
            s = self.create(cx, &api).await?;
        }
        let release = s
            .release
            .clone()
            .expect("survey or create yields a release");
        if release.immutable == Some(true) && !release.draft && !s.missing.is_empty() {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "the release for {} is published and immutable but lacks {}",
                    cx.release.tag,
                    s.missing
                        .iter()
                        .map(|a| a.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .with_hint("assets cannot be added to an immutable release; release a new version"));
        }
        for a in &s.starters {
            api.delete_asset(a.id, &a.name).await?;
        }
        let mut uploaded = Vec::new();
        for art in &s.missing {
            let asset = self.upload(cx, &api, &release, art).await?;
            uploaded.push(art.name.clone());
            s.present.push((art.name.clone(), asset));
        }
        let release = self.publish_draft(cx, &api, release).await?;
        let fin = self.final_assets(cx, &api, &release).await?;
        Ok(Published {
            handover: Handover {
                urls: vec![fin.html_url],
                assets: fin
                    .assets
                    .into_iter()
                    .map(|a| Asset {
                        name: a.name,
                        url: a.url,
                        sha256: a.sha256,
                        size: a.size,
                    })
                    .collect(),
            },
            uploaded,
            ..Default::default()
        })
    }
}
