//! `chocolatey`: a native, reproducible `.nupkg` pushed to the Chocolatey community repository
//! (or any NuGet v2 feed) over the NuGet v2 push API, with moderation reported honestly
//! (issue 9). See README.md for users' documentation.
//!
//! - **package** (`nupkg.rs`, `render.rs`): the nuspec and tools/ for `mode: download` (the
//!   install script fetches the GitHub release's windows zip, checked by sha256) or
//!   `mode: embed` (the binary inside, with VERIFICATION.txt and LICENSE.txt).
//! - **check** (`feed.rs`, `moderation.rs`): `Packages(Id=,Version=)`; absent, or compared by
//!   the feed's SHA512 `PackageHash` (by the downloaded bytes when the feed gives none); on a
//!   moderated feed, submitted → pending with state and page, rejected → failed with the
//!   reviewer's reason.
//! - **publish**: one PUT. A 409 (or a 400) is ambiguous — "exists" or "invalid package" — so
//!   it is settled by a re-check, never by the status alone.
//! - **withdraw**: unlist (`DELETE <push_url><id>/<version>`).

pub mod config;
pub mod feed;
pub mod moderation;
pub mod nupkg;
pub mod render;

use crate::error::{Error, ErrorKind, Result};
use crate::http::Response;
use crate::plan::{Artifact, ArtifactKind, Project};
use crate::platform::{
    compare, section, Capabilities, Checked, Cx, Digest, Factory, Handover, Latest, Listed, Live,
    Platform, Published, Requirement, Wanted, Withdraw, Withdrawn,
};
use async_trait::async_trait;
use base64::Engine;
use config::{choco_version, ChocolateyConfig, Mode};
use feed::Feed;
use moderation::Verdict;
use nupkg::Tools;
use render::{Download, Embedded, Meta};
use sha2::{Digest as _, Sha256, Sha512};
use std::time::Duration;

pub const FACTORY: Factory = Factory {
    id: "chocolatey",
    about: "a native .nupkg pushed to the Chocolatey community repository (or any NuGet v2 feed), moderation reported as pending",
    schema: || schemars::schema_for!(ChocolateyConfig),
    build,
};

fn build(v: &serde_json::Value, project: &Project) -> Result<Box<dyn Platform>> {
    let cfg: ChocolateyConfig = section("chocolatey", v)?;
    cfg.validate(project)?;
    Ok(Box::new(Chocolatey {
        id: cfg.package_id(project)?,
        cfg,
        project: project.clone(),
    }))
}

/// The adapter.
pub struct Chocolatey {
    cfg: ChocolateyConfig,
    project: Project,
    /// The checked package id.
    id: String,
}

fn ours(a: &Artifact) -> bool {
    matches!(&a.kind, ArtifactKind::Package { platform } if platform == "chocolatey")
}

fn is_windows_amd64(a: &Artifact) -> bool {
    a.target.as_ref().is_some_and(|t| t.id() == "windows-amd64")
}

fn no_windows() -> Error {
    Error::input("chocolatey: no windows-amd64 build in this release").with_hint(
        "add windows-amd64 (x86_64-pc-windows-*) to the build targets, or drop the chocolatey platform",
    )
}

/// SHA-512 of a file, base64: the form of NuGet's `PackageHash`.
fn sha512_b64(path: &std::path::Path) -> Result<String> {
    let mut f = std::fs::File::open(path)
        .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    let mut h = Sha512::new();
    std::io::copy(&mut f, &mut h).map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(h.finalize()))
}

impl Chocolatey {
    fn version(&self, cx: &Cx) -> Result<String> {
        choco_version(&cx.release.version)
    }

    /// The version's public page: the gallery's on the community repository, else the feed entry.
    fn page(&self, version: &str) -> String {
        if self.cfg.is_community() {
            format!("https://community.chocolatey.org/packages/{}/{version}", self.id)
        } else {
            format!("{}Packages(Id='{}',Version='{version}')", self.cfg.feed(), self.id)
        }
    }

    /// The page the feed names for this version (`GalleryDetailsUrl`), else `page`.
    fn page_of(&self, version: &str, entry: &feed::Entry) -> String {
        entry.get("GalleryDetailsUrl").unwrap_or_else(|| self.page(version))
    }

    fn handover(&self, version: &str) -> Handover {
        Handover::urls(vec![self.page(version)])
    }

    fn feed<'a>(&self, cx: &'a Cx) -> Feed<'a> {
        Feed {
            http: &cx.http,
            base: self.cfg.feed(),
            push: self.cfg.push(),
            key: cx.secret(&self.cfg.api_key_env).cloned(),
        }
    }

    fn meta(&self, cx: &Cx) -> Result<Meta> {
        let p = &self.project;
        let description = self.cfg.description.clone().unwrap_or_else(|| p.description.clone());
        if description.trim().is_empty() {
            return Err(Error::config("platforms.chocolatey.description: a package needs a description")
                .with_hint("set project.description or platforms.chocolatey.description"));
        }
        let authors = match (&self.cfg.authors, &p.authors) {
            (a, _) if !a.is_empty() => a.clone(),
            (_, a) if !a.is_empty() => a.clone(),
            _ => vec![p.name.clone()],
        };
        let license_url = self.cfg.license_url.clone().or_else(|| {
            let l = p.license.as_deref()?;
            (!l.contains(' ')).then(|| format!("https://spdx.org/licenses/{l}.html"))
        });
        let release_notes = self.cfg.release_notes.clone().or_else(|| {
            let gh = cx.deps.get("github")?;
            gh.urls.first().cloned()
        });
        Ok(Meta {
            id: self.id.clone(),
            version: self.version(cx)?,
            title: self.cfg.title.clone().unwrap_or_else(|| p.name.clone()),
            authors,
            description,
            summary: self.cfg.summary.clone(),
            tags: self.cfg.tags.clone(),
            release_notes,
            project_url: self.cfg.project_url.clone().or_else(|| p.homepage.clone()).or_else(|| p.repository.clone()),
            license_url,
            copyright: self.cfg.copyright.clone(),
        })
    }

    /// tools/ for `mode: download`: the windows zip as GitHub hands it over.
    fn download_tools(&self, cx: &Cx) -> Result<Tools> {
        let archive = cx
            .release
            .artifacts
            .iter()
            .find(|a| a.kind == ArtifactKind::Archive && is_windows_amd64(a))
            .ok_or_else(no_windows)?;
        if !archive.name.ends_with(".zip") {
            return Err(Error::input(format!(
                "chocolatey: the windows archive {} is not a zip; Install-ChocolateyZipPackage needs one",
                archive.name
            ))
            .with_hint("set archives.format to auto (zip for Windows) or zip"));
        }
        let asset = cx.deps.get("github").and_then(|h| h.asset(&archive.name)).ok_or_else(|| {
            Error::input(format!("chocolatey: the github release does not hand over {}", archive.name))
                .with_hint("mode: download needs the github platform publishing the windows zip; or use mode: embed")
        })?;
        Ok(Tools::Download(Download {
            url: asset.url.clone(),
            sha256: asset.sha256.clone(),
        }))
    }

    /// tools/ for `mode: embed`: the windows binary, its verification note and the license.
    fn embed_tools(&self, cx: &Cx, meta: &Meta) -> Result<Tools> {
        let bin = self.cfg.binary.clone().unwrap_or_else(|| self.project.name.clone());
        let binary = cx
            .release
            .artifacts
            .iter()
            .find(|a| {
                a.kind == ArtifactKind::Binary
                    && is_windows_amd64(a)
                    && a.name.trim_end_matches(".exe") == bin
            })
            .ok_or_else(no_windows)?;
        let archive = cx
            .release
            .artifacts
            .iter()
            .find(|a| a.kind == ArtifactKind::Archive && is_windows_amd64(a))
            .map_or_else(|| "the windows-amd64 archive".to_string(), |a| a.name.clone());
        let license_path = cx.release.root.join(&self.cfg.license_file);
        let license = std::fs::read_to_string(&license_path).map_err(|e| {
            Error::input(format!("chocolatey: mode embed needs the license text at {}: {e}", license_path.display()))
                .with_hint("the community repository requires tools/LICENSE.txt with embedded binaries: set platforms.chocolatey.license_file")
        })?;
        let source = meta
            .release_notes
            .clone()
            .or_else(|| meta.project_url.clone())
            .unwrap_or_else(|| "the project's release page".into());
        Ok(Tools::Embed {
            embedded: Embedded {
                file: format!("{bin}.exe"),
                sha256: binary.sha256.clone(),
                source,
                archive,
            },
            binary: cx.release.path(binary),
            license,
        })
    }

    /// What the feed holds for our package, compared with it.
    async fn live(&self, cx: &Cx, a: &Artifact) -> Result<Live> {
        let version = self.version(cx)?;
        let feed = self.feed(cx);
        let Some(entry) = feed.entry(&self.id, &version).await? else {
            return Ok(Live::Absent);
        };
        let pending = match self.cfg.is_moderated() {
            false => None,
            true => match moderation::judge(&entry, &self.page_of(&version, &entry)) {
                Verdict::Live => None,
                Verdict::Pending(why) => Some(why),
                Verdict::Rejected(why) => {
                    return Err(Error::new(ErrorKind::Other, format!("{} {version} was {why}", self.id))
                        .with_hint("fix what the reviewer asked for and release a new version (a 4th segment, e.g. 1.2.3.20260101, is the package-fix convention)"))
                }
            },
        };
        let algorithm = entry.get("PackageHashAlgorithm").unwrap_or_default();
        let digests = match entry.get("PackageHash") {
            Some(h) if algorithm.eq_ignore_ascii_case("sha512") => vec![Digest::Sri(format!("sha512-{h}"))],
            // No hash from the feed (minchoc): compare the bytes it serves.
            _ => match feed.download(&self.id, &version).await? {
                Some(b) => vec![Digest::Sha256(hex::encode(Sha256::digest(&b)))],
                None => Vec::new(),
            },
        };
        let mut listed = Listed::new(&a.name, digests);
        listed.pending = pending;
        let sri = format!("sha512-{}", sha512_b64(&cx.release.path(a))?);
        let wanted = Wanted::new(&a.name, vec![Digest::Sha256(a.sha256.clone()), Digest::Sri(sri)]);
        Ok(compare(&[wanted], &[listed]))
    }

    fn nupkg<'a>(&self, packages: &'a [Artifact]) -> Result<&'a Artifact> {
        packages
            .iter()
            .find(|a| ours(a))
            .ok_or_else(|| Error::input("chocolatey: no .nupkg was built to check or push"))
    }

    /// After a successful push. On a moderated feed it is pending: the feed is read once more
    /// so the report carries the moderation state and the page the feed names.
    async fn pushed(&self, cx: &Cx, a: &Artifact, r: &Response) -> Result<Published> {
        let version = self.version(cx)?;
        let mut out = Published {
            uploaded: vec![a.name.clone()],
            handover: self.handover(&version),
            ..Default::default()
        };
        if !self.cfg.is_moderated() {
            return Ok(out);
        }
        let said = r.excerpt(200);
        let said = if said.trim().is_empty() { "accepted".to_string() } else { said.trim().to_string() };
        let state = match self.live(cx, a).await? {
            Live::Pending { reason } => reason,
            _ => self.page(&version),
        };
        out.pending = Some(format!("submitted for moderation (the feed said: {said}); {state}"));
        Ok(out)
    }

    /// A refused push (409 "exists" or "invalid package"; minchoc's duplicate is a 400): the
    /// feed is asked what it holds before anything is decided.
    async fn settle_refusal(&self, cx: &Cx, a: &Artifact, r: &Response) -> Result<Published> {
        let version = self.version(cx)?;
        let note = format!("the feed answered HTTP {} to the push; the re-check found", r.status.as_u16());
        let mut out = Published {
            handover: self.handover(&version),
            ..Default::default()
        };
        match self.live(cx, a).await? {
            Live::Present => out.warnings.push(format!("{note} this exact package live")),
            Live::Pending { reason } => {
                out.warnings.push(format!("{note} this exact package in moderation"));
                out.pending = Some(reason);
            }
            Live::Conflict { conflicts } => {
                return Err(Error::conflict(format!("{note} other bytes under {version}: {}", conflicts.join("; "))))
            }
            _ => {
                return Err(r.error(&format!("pushing {}", a.name)).with_hint(
                    "the feed refused the package and does not list this version: the package itself was refused (e.g. an invalid nuspec, or a version rejected earlier)",
                ))
            }
        }
        Ok(out)
    }

    fn push_error(&self, r: &Response, what: &str) -> Error {
        let e = r.error(what);
        let var = &self.cfg.api_key_env;
        match r.status.as_u16() {
            403 if r.text().contains("submitted state") => e.with_hint(
                "an earlier version is still in moderation and no stable version is approved yet: wait for it to clear (or fix it by pushing that same version again)",
            ),
            401 | 403 => e.with_hint(format!("the feed refused the API key in {var}: create a new key on your account page and set {var}")),
            413 => e.with_hint("the package is over the feed's size limit: use mode: download"),
            _ => e,
        }
    }
}

#[async_trait]
impl Platform for Chocolatey {
    fn id(&self) -> &str {
        "chocolatey"
    }

    fn needs(&self) -> Vec<String> {
        match self.cfg.mode {
            Mode::Download => vec!["github".into()],
            Mode::Embed => Vec::new(),
        }
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            withdraw: Withdraw::Unlist,
            verify_within: Some(Duration::from_secs(self.cfg.verify_timeout_secs)),
            pending_states: vec!["moderation"],
        }
    }

    fn requirements(&self) -> Vec<Requirement> {
        vec![Requirement::credential(&self.cfg.api_key_env)]
    }

    async fn package(&self, cx: &Cx) -> Result<Vec<Artifact>> {
        let meta = self.meta(cx)?;
        let tools = match self.cfg.mode {
            Mode::Download => self.download_tools(cx)?,
            Mode::Embed => self.embed_tools(cx, &meta)?,
        };
        let file = nupkg::file_name(&meta);
        let rel = std::path::Path::new("chocolatey").join(&file);
        let dest = cx.release.dist.join(&rel);
        let epoch = cx.release.epoch;
        tokio::task::spawn_blocking(move || -> Result<Artifact> {
            if let Some(dir) = dest.parent() {
                std::fs::create_dir_all(dir).map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
            }
            nupkg::write(&dest, &meta, &tools, epoch)?;
            let bytes = std::fs::read(&dest).map_err(|e| Error::io(format!("reading {}", dest.display()), e))?;
            Ok(Artifact {
                name: file,
                path: rel,
                kind: ArtifactKind::Package { platform: "chocolatey".into() },
                target: None,
                sha256: hex::encode(Sha256::digest(&bytes)),
                size: bytes.len() as u64,
            })
        })
        .await
        .map_err(|e| Error::new(ErrorKind::Other, format!("chocolatey packaging panicked: {e}")))?
        .map(|a| vec![a])
    }

    fn package_inputs(&self, cx: &Cx) -> Option<String> {
        let license = match self.cfg.mode {
            Mode::Embed => std::fs::read_to_string(cx.release.root.join(&self.cfg.license_file)).ok()?,
            Mode::Download => String::new(),
        };
        Some(format!("{:?} {:?} {license}", self.cfg, self.project))
    }

    fn planned_handover(&self, cx: &Cx, _packages: &[Artifact]) -> Handover {
        self.version(cx).map(|v| self.handover(&v)).unwrap_or_default()
    }

    /// Phase 0, by names (as pypi's): this version on the feed, and approved where the feed
    /// moderates, is live; anything else builds and checks by content.
    async fn probe(&self, cx: &Cx, _plan: &crate::platform::Planned) -> Result<crate::platform::Probe> {
        use crate::platform::Probe;
        let version = self.version(cx)?;
        let Some(entry) = self.feed(cx).entry(&self.id, &version).await? else {
            return Ok(Probe::Missing(format!("chocolatey: {} {version} is not on the feed", self.id)));
        };
        if self.cfg.is_moderated() {
            if let Verdict::Pending(_) | Verdict::Rejected(_) = moderation::judge(&entry, &self.page_of(&version, &entry)) {
                return Ok(Probe::Missing(format!("chocolatey: {} {version} is not approved", self.id)));
            }
        }
        Ok(Probe::Live(self.handover(&version)))
    }

    async fn latest(&self, cx: &Cx) -> Result<Option<Latest>> {
        let versions = self.feed(cx).versions(&self.id).await?;
        Ok(crate::platform::newest(versions.iter().map(String::as_str)).map(|version| Latest {
            url: Some(self.page(&version.to_string())),
            version,
            published_at: None,
        }))
    }

    async fn check(&self, cx: &Cx, packages: &[Artifact]) -> Result<Checked> {
        let a = self.nupkg(packages)?;
        let live = self.live(cx, a).await?;
        let handover = match live {
            Live::Present => self.handover(&self.version(cx)?),
            _ => Handover::default(),
        };
        Ok(Checked::with(live, handover))
    }

    async fn publish(&self, cx: &Cx, live: &Live, packages: &[Artifact]) -> Result<Published> {
        let a = self.nupkg(packages)?;
        let version = self.version(cx)?;
        if !live.wants(&a.name) {
            return Ok(Published { handover: self.handover(&version), ..Default::default() });
        }
        let r = self.feed(cx).push(&cx.release.path(a), &a.name).await?;
        match r.status.as_u16() {
            200..=299 => self.pushed(cx, a, &r).await,
            400 | 409 => self.settle_refusal(cx, a, &r).await,
            _ => Err(self.push_error(&r, &format!("pushing {}", a.name))),
        }
    }

    async fn withdraw(&self, cx: &Cx) -> Result<Withdrawn> {
        let version = self.version(cx)?;
        let feed = self.feed(cx);
        let Some(entry) = feed.entry(&self.id, &version).await? else {
            return Ok(Withdrawn::Done(format!("{} {version} is not on the feed: nothing to unlist", self.id)));
        };
        if entry.unlisted() {
            return Ok(Withdrawn::Done(format!("{} {version} is already unlisted", self.id)));
        }
        let r = feed.unlist(&self.id, &version).await?;
        if !r.ok() {
            return Err(self.push_error(&r, &format!("unlisting {} {version}", self.id)));
        }
        Ok(Withdrawn::Done(format!("unlisted {} {version}", self.id)))
    }
}
