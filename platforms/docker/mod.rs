//! `docker`: multi-arch images for Docker Hub or any OCI registry (GHCR, a private one),
//! built without a daemon and pushed over the distribution API (issue 7).
//!
//! - **package** (`build.rs`, `image.rs`): one image per linux target the release built, then
//!   an OCI index, into an OCI layout at dist/docker/. Same release → same digests.
//! - **check**: HEAD the version tag (every manifest type in `Accept`): another digest is a
//!   conflict (a version tag never moves); then HEAD every child manifest and blob, so a
//!   registry that lost one (a deleted child, a garbage-collected blob) gets exactly that.
//! - **publish**: blobs (HEAD-checked above, streamed from disk), children by digest, then
//!   the index by tag.
//!
//! The report names what it sends `blob sha256:…`, `manifest sha256:…` and `tag <tag>`.

pub mod auth;
pub mod base;
pub mod build;
pub mod config;
pub mod floating;
pub mod hub;
pub mod image;
pub mod registry;
mod rollback;
pub mod upload;

use crate::error::{Error, ErrorKind, Result};
use crate::http::Auth;
use crate::plan::{Artifact, ArtifactKind, Project};
use crate::platform::{
    compare, section, Capabilities, Checked, Cx, Digest, Factory, Handover, Listed, Live,
    Platform, Published, Requirement, Wanted,
};
use async_trait::async_trait;
use auth::{PASSWORD_VAR, USER_VAR};
pub use config::{BaseRef, DockerConfig, Reference};
use floating::Decision;
use registry::Session;
use std::sync::Mutex;
use std::time::Duration;

pub const FACTORY: Factory = Factory {
    id: "docker",
    about: "multi-arch OCI images pushed to Docker Hub or any OCI registry, built without a daemon",
    schema: || schemars::schema_for!(DockerConfig),
    build: |v, _p: &Project| Ok(Box::new(Docker::new(section("docker", v)?)?)),
};

/// The docker adapter.
pub struct Docker {
    cfg: DockerConfig,
    reference: Reference,
    /// The auth that worked (a Bearer token or Basic), kept from check to publish.
    auth: Mutex<Option<Auth>>,
    /// The same for the base image's repository.
    base_auth: Mutex<Option<Auth>>,
}

/// What a package artifact is, from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Blob,
    Manifest,
    Tag,
}

fn kind(a: &Artifact) -> Option<Kind> {
    if !matches!(&a.kind, ArtifactKind::Package { platform } if platform == "docker") {
        return None;
    }
    match a.name.split_once(' ')?.0 {
        "blob" => Some(Kind::Blob),
        "manifest" => Some(Kind::Manifest),
        "tag" => Some(Kind::Tag),
        _ => None,
    }
}

/// `sha256:<hex>` of an artifact.
fn digest(a: &Artifact) -> String {
    format!("sha256:{}", a.sha256)
}

impl Docker {
    pub fn new(cfg: DockerConfig) -> Result<Self> {
        let reference = cfg.validate()?;
        Ok(Docker {
            cfg,
            reference,
            auth: Mutex::new(None),
            base_auth: Mutex::new(None),
        })
    }

    fn creds(cx: &Cx) -> auth::Creds {
        match (cx.secret(USER_VAR), cx.secret(PASSWORD_VAR)) {
            (Some(u), Some(p)) => Some((u.expose().to_string(), p.clone())),
            _ => None,
        }
    }

    fn session<'a>(&'a self, cx: &'a Cx) -> Session<'a> {
        Session {
            http: &cx.http,
            base: self.cfg.api_base(&self.reference),
            repository: self.reference.repository.clone(),
            push: true,
            creds: Self::creds(cx),
            cached: &self.auth,
        }
    }

    /// The base image's repository, read-only. Our credentials go only to our own registry.
    fn base_session<'a>(&'a self, cx: &'a Cx, b: &BaseRef) -> Session<'a> {
        let ours = b.reference.host == self.reference.host;
        Session {
            http: &cx.http,
            base: self.cfg.base_api(&self.reference, &b.reference),
            repository: b.reference.repository.clone(),
            push: false,
            creds: if ours { Self::creds(cx) } else { None },
            cached: &self.base_auth,
        }
    }

    /// The base image of each linux target (none on scratch), read by digest.
    async fn bases(&self, cx: &Cx) -> Result<Vec<base::BaseImage>> {
        let Some(b) = self.cfg.base_ref()? else {
            return Ok(Vec::new());
        };
        let plats: Vec<image::ImagePlatform> = build::linux_targets(&cx.release)?
            .into_iter()
            .map(|(_, p)| p)
            .collect();
        base::fetch(&self.base_session(cx, &b), &b, &plats).await
    }

    /// The blobs our manifests list that this build did not write: the base's layers.
    fn foreign(&self, cx: &Cx, packages: &[&Artifact]) -> Result<Vec<String>> {
        let ours: std::collections::BTreeSet<String> = packages.iter().map(|a| digest(a)).collect();
        let mut out = std::collections::BTreeSet::new();
        for a in packages.iter().filter(|a| kind(a) == Some(Kind::Manifest)) {
            let path = cx.release.path(a);
            let bytes = std::fs::read(&path)
                .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
            let m: serde_json::Value = serde_json::from_slice(&bytes)
                .map_err(|e| Error::new(ErrorKind::Other, format!("{}: {e}", path.display())))?;
            let layers = m["layers"].as_array().cloned().unwrap_or_default();
            out.extend(
                layers
                    .iter()
                    .filter_map(|l| l["digest"].as_str())
                    .filter(|d| !ours.contains(*d))
                    .map(str::to_string),
            );
        }
        Ok(out.into_iter().collect())
    }

    /// A base layer missing from our repository: mounted from the base's repository on the
    /// same registry (no bytes move), else (another registry, or a registry that answers
    /// the mount with an upload session) read from the base and uploaded.
    async fn push_foreign(&self, s: &Session<'_>, cx: &Cx, d: &str) -> Result<()> {
        let b = self.cfg.base_ref()?.ok_or_else(|| {
            Error::input(format!("docker: {d} is in a built manifest but `base` is scratch"))
                .with_hint("rebuild: the image in dist/ was built on another base")
        })?;
        let same = self.cfg.base_api(&self.reference, &b.reference) == s.base;
        let session = match same {
            true => match s.mount(d, &b.reference.repository).await? {
                None => return Ok(()),
                Some(location) => Some(location),
            },
            false => None,
        };
        let bytes = self.base_session(cx, &b).blob_bytes(d).await?.ok_or_else(|| {
            Error::input(format!("base layer {d} is gone from {}", b.reference.display()))
        })?;
        let dir = cx.release.dist.join(build::DIR).join("blobs/sha256");
        let path = dir.join(d.trim_start_matches("sha256:"));
        std::fs::create_dir_all(&dir)
            .and_then(|_| std::fs::write(&path, &bytes))
            .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
        drop(bytes);
        let chunking = self.cfg.chunking()?;
        match session {
            Some(location) => upload::send(s, location, &path, d, chunking).await,
            None => s.upload(&path, d, chunking).await,
        }
    }

    /// Docker Hub's page for the repository; other registries have no standard page.
    fn handover(&self) -> Handover {
        if !self.reference.is_docker_hub() {
            return Handover::default();
        }
        let path = match self.reference.repository.strip_prefix("library/") {
            Some(official) => format!("_/{official}"),
            None => format!("r/{}", self.reference.repository),
        };
        Handover::urls(vec![format!("https://hub.docker.com/{path}")])
    }

    /// What is live of `packages`: the tag first (a conflict stops there), then every
    /// child manifest and blob at once.
    async fn live(&self, cx: &Cx, packages: &[Artifact]) -> Result<Live> {
        let s = self.session(cx);
        let ours: Vec<&Artifact> = packages.iter().filter(|a| kind(a).is_some()).collect();
        if ours.is_empty() {
            return Err(Error::input("docker: no image was built to check or push"));
        }
        let mut wanted: Vec<Wanted> = ours
            .iter()
            .map(|a| Wanted::new(&a.name, vec![Digest::Sha256(a.sha256.clone())]))
            .collect();
        let mut listed = Vec::new();
        for a in ours.iter().filter(|a| kind(a) == Some(Kind::Tag)) {
            let tag = a.name.trim_start_matches("tag ");
            if let Some(found) = s.manifest(tag).await? {
                let hex = found.digest.trim_start_matches("sha256:").to_string();
                listed.push(Listed::new(&a.name, vec![Digest::Sha256(hex)]));
            }
        }
        if let live @ Live::Conflict { .. } = compare(&wanted, &listed) {
            return Ok(live);
        }
        self.floating_live(&s, cx, &ours, &mut wanted, &mut listed).await?;
        // (name, digest, is a manifest): ours, then the base's layers.
        let mut pieces: Vec<(String, String, bool)> = ours
            .iter()
            .filter(|a| kind(a) != Some(Kind::Tag))
            .map(|a| (a.name.clone(), digest(a), kind(a) == Some(Kind::Manifest)))
            .collect();
        for d in self.foreign(cx, &ours)? {
            let name = build::blob_name(&d);
            wanted.push(Wanted::new(&name, vec![Digest::Sha256(d[7..].to_string())]));
            pieces.push((name, d, false));
        }
        let probes = pieces.iter().map(|(name, d, is_manifest)| {
            let s = &s;
            async move {
                let here = match is_manifest {
                    true => s.manifest(d).await?.is_some(),
                    false => s.has_blob(d).await?,
                };
                Ok::<_, Error>(here.then(|| Listed::new(name, vec![Digest::Sha256(d[7..].to_string())])))
            }
        });
        for found in futures::future::join_all(probes).await {
            listed.extend(found?);
        }
        Ok(compare(&wanted, &listed))
    }

    /// The floating tags and whether each may point at this release.
    async fn floats(&self, s: &Session<'_>, cx: &Cx) -> Result<Vec<(String, Decision)>> {
        if self.cfg.floating_tags.is_empty() {
            return Ok(Vec::new());
        }
        let live = s.tags().await?;
        let v = &cx.release.version;
        Ok(self
            .cfg
            .floating_tags
            .iter()
            .map(|f| (f.name(v), floating::decide(*f, v, &live)))
            .collect())
    }

    /// Adds the floating tags that must point at our index to `wanted`, and to `listed`
    /// those that already do (another digest there is not a conflict: they move).
    async fn floating_live(
        &self,
        s: &Session<'_>,
        cx: &Cx,
        ours: &[&Artifact],
        wanted: &mut Vec<Wanted>,
        listed: &mut Vec<Listed>,
    ) -> Result<()> {
        let Some(index) = ours.iter().find(|a| kind(a) == Some(Kind::Tag)) else {
            return Ok(());
        };
        for (tag, d) in self.floats(s, cx).await? {
            if d != Decision::Move {
                continue;
            }
            let name = format!("tag {tag}");
            let ours = vec![Digest::Sha256(index.sha256.clone())];
            let here = s.manifest(&tag).await?.map(|f| f.digest) == Some(digest(index));
            if here {
                listed.push(Listed::new(&name, ours.clone()));
            }
            wanted.push(Wanted::new(name, ours));
        }
        Ok(())
    }

    /// Moves the floating tags this release may take (to the index bytes), and says for
    /// each, on its own line, whether it moved or was held back.
    async fn push_floating(
        &self,
        s: &Session<'_>,
        cx: &Cx,
        live: &Live,
        packages: &[Artifact],
        out: &mut Published,
    ) -> Result<()> {
        let Some(index) = packages.iter().find(|a| kind(a) == Some(Kind::Tag)) else {
            return Ok(());
        };
        let v = &cx.release.version;
        for (tag, d) in self.floats(s, cx).await? {
            let name = format!("tag {tag}");
            match d {
                Decision::Hold(why) => out.warnings.push(format!("floating tag {tag} held back: {why}")),
                Decision::Move if live.wants(&name) => {
                    let path = cx.release.path(index);
                    let bytes = std::fs::read(&path)
                        .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
                    s.put_manifest(&tag, &bytes, &media_type(&bytes)?).await?;
                    out.uploaded.push(name);
                    out.warnings.push(format!("floating tag {tag} moved to {v}"));
                }
                Decision::Move => out.warnings.push(format!("floating tag {tag} already at {v}")),
            }
        }
        Ok(())
    }

    /// Sends one missing piece.
    async fn push(&self, s: &Session<'_>, cx: &Cx, a: &Artifact) -> Result<()> {
        let path = cx.release.path(a);
        match kind(a) {
            Some(Kind::Blob) => s.upload(&path, &digest(a), self.cfg.chunking()?).await,
            Some(k) => {
                let bytes = std::fs::read(&path)
                    .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
                let media_type = media_type(&bytes)?;
                let reference = match k {
                    Kind::Tag => a.name.trim_start_matches("tag ").to_string(),
                    _ => digest(a),
                };
                s.put_manifest(&reference, &bytes, &media_type).await
            }
            None => Ok(()),
        }
    }
}

/// The `mediaType` a manifest declares (sent as its Content-Type).
fn media_type(bytes: &[u8]) -> Result<String> {
    let v: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| Error::new(ErrorKind::Other, format!("a built manifest is not JSON: {e}")))?;
    v["mediaType"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| Error::new(ErrorKind::Other, "a built manifest has no mediaType"))
}

#[async_trait]
impl Platform for Docker {
    fn id(&self) -> &str {
        "docker"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            withdraw: crate::platform::Withdraw::Delist,
            verify_within: Some(Duration::from_secs(self.cfg.verify_timeout_secs)),
            ..Capabilities::default()
        }
    }

    fn requirements(&self) -> Vec<Requirement> {
        vec![
            Requirement::credential(USER_VAR),
            Requirement::credential(PASSWORD_VAR),
        ]
    }

    /// Local, except for a base image: its index, manifests and configs are read by digest
    /// here, so a base that is missing or lacks a platform refuses the run before any push.
    async fn package(&self, cx: &Cx) -> Result<Vec<Artifact>> {
        let tag = config::version_tag(&cx.release.version)?;
        let bases = self.bases(cx).await?;
        let (release, cfg) = (cx.release.clone(), self.cfg.clone());
        tokio::task::spawn_blocking(move || build::build(&release, &cfg, &tag, &bases))
            .await
            .map_err(|e| Error::new(ErrorKind::Other, format!("the image builder panicked: {e}")))?
    }

    async fn check(&self, cx: &Cx, packages: &[Artifact]) -> Result<Checked> {
        let live = self.live(cx, packages).await?;
        let handover = match live {
            Live::Present => self.handover(),
            _ => Handover::default(),
        };
        Ok(Checked::with(live, handover))
    }

    /// `tagship status`: the highest semver tag of the repository (floating tags ignored;
    /// `+` build metadata is spelled `_` in tags).
    async fn latest(&self, cx: &Cx) -> Result<Option<crate::platform::Latest>> {
        let tags = self.session(cx).tags().await?;
        let tags: Vec<String> = tags.iter().map(|t| t.replace('_', "+")).collect();
        Ok(crate::platform::newest(tags.iter().map(String::as_str)).map(|version| {
            crate::platform::Latest {
                version,
                published_at: None,
                url: self.handover().urls.into_iter().next(),
            }
        }))
    }

    async fn withdraw(&self, cx: &Cx) -> Result<crate::platform::Withdrawn> {
        rollback::withdraw(self, cx).await
    }

    async fn publish(&self, cx: &Cx, live: &Live, packages: &[Artifact]) -> Result<Published> {
        let s = self.session(cx);
        let mut out = Published {
            handover: self.handover(),
            ..Default::default()
        };
        // Blobs (ours, then the base's), then the manifests that point at them, then the
        // index by tag.
        let ours: Vec<&Artifact> = packages.iter().filter(|a| kind(a).is_some()).collect();
        for k in [Kind::Blob, Kind::Manifest, Kind::Tag] {
            if k == Kind::Manifest {
                for d in self.foreign(cx, &ours)? {
                    let name = build::blob_name(&d);
                    if live.wants(&name) && !out.uploaded.contains(&name) {
                        self.push_foreign(&s, cx, &d).await?;
                        out.uploaded.push(name);
                    }
                }
            }
            for a in packages.iter().filter(|a| kind(a) == Some(k)) {
                if live.wants(&a.name) && !out.uploaded.contains(&a.name) {
                    self.push(&s, cx, a).await?;
                    out.uploaded.push(a.name.clone());
                }
            }
        }
        self.push_floating(&s, cx, live, packages, &mut out).await?;
        Ok(out)
    }
}
