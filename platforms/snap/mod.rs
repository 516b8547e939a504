//! `snap`: one `.snap` per linux architecture, pushed to the Snap Store and released to the
//! configured channels, with the store's review states reported as they are (issue 9).
//!
//! - **package** (`meta.rs`, `pack.rs`): `meta/snap.yaml` from a pure renderer plus the binary,
//!   squashed by `mksquashfs` (exec layer, a declared tool) as `snap pack` does.
//! - **probe**: every channel holds this version for every planned arch → live, nothing built.
//! - **check** (`survey.rs`): the revisions and release history → present / partial /
//!   pending (manual review) / conflict, one item per file and per channel release; without
//!   credentials (a dry run) the public channel map (`info.rs`) instead.
//! - **publish** (`store.rs`): upload, push, follow the status URL (bounded), then release
//!   each revision to each channel, edge first, one report step per channel. In a dry run
//!   the withheld push is answered by a prediction, so every arch's upload, push and
//!   releases are listed.
//! - **withdraw**: each channel gets back what it held before this version, or is closed.

pub mod auth;
pub mod config;
pub mod info;
pub mod meta;
pub mod pack;
pub mod store;
pub mod survey;

use crate::error::{Error, ErrorKind, Result};
use crate::plan::{Artifact, ArtifactKind, Os, Project};
use crate::platform::{
    compare, section, Capabilities, Checked, Cx, Factory, Latest, Live, Planned, Platform, Probe,
    Published, Requirement, Withdraw, Withdrawn,
};
use async_trait::async_trait;
use config::{Channel, SnapConfig};
use crate::kit::poll::{self, Step};
use std::time::Duration;
use store::{Pushed, Releases, Status, Store};
use survey::{step, Ours};

pub const FACTORY: Factory = Factory {
    id: "snap",
    about: "a .snap per linux arch (squashfs), pushed to the Snap Store and released to its channels",
    schema: || schemars::schema_for!(SnapConfig),
    build: |v, p: &Project| Ok(Box::new(Snap::new(section("snap", v)?, p)?)),
};

/// The snap adapter.
pub struct Snap {
    cfg: SnapConfig,
    name: String,
    channels: Vec<Channel>,
}

/// How following one upload ended.
enum Upload {
    Revision(u64),
    /// Already uploaded with these bytes (the store's `binary_sha3_384` answer).
    Exists,
    Pending(String),
}

fn ours(a: &Artifact) -> bool {
    matches!(&a.kind, ArtifactKind::Package { platform } if platform == "snap")
}

/// sha3-384 hex of a file, streamed.
fn sha3_file(path: &std::path::Path) -> Result<String> {
    use sha3::Digest;
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
    let mut h = sha3::Sha3_384::new();
    std::io::copy(&mut f, &mut h).map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    Ok(hex::encode(h.finalize()))
}

impl Snap {
    pub fn new(cfg: SnapConfig, project: &Project) -> Result<Self> {
        cfg.validate(project)?;
        Ok(Snap {
            name: cfg.snap_name(project),
            channels: cfg.channels()?,
            cfg,
        })
    }

    fn store<'a>(&'a self, cx: &'a Cx) -> Result<Store<'a>> {
        let auth = match cx.secret(auth::CREDENTIALS_VAR) {
            Some(s) => Some(auth::authorization(s)?),
            None => None,
        };
        Ok(Store {
            http: &cx.http,
            store: self.cfg.store_url.trim_end_matches('/').into(),
            storage: self.cfg.upload_url.trim_end_matches('/').into(),
            info: self.cfg.info_url.trim_end_matches('/').into(),
            name: self.name.clone(),
            auth,
        })
    }

    /// The built snaps with their store architecture and sha3-384.
    fn built(&self, cx: &Cx, packages: &[Artifact]) -> Result<Vec<(Ours, Artifact)>> {
        let v: Result<Vec<_>> = packages
            .iter()
            .filter(|a| ours(a))
            .map(|a| {
                let arch = a.target.map(|t| meta::snap_arch(t.arch)).unwrap_or("all");
                let o = Ours {
                    file: a.name.clone(),
                    arch: arch.into(),
                    sha3: sha3_file(&cx.release.path(a))?,
                    size: a.size,
                };
                Ok((o, a.clone()))
            })
            .collect();
        let v = v?;
        if v.is_empty() {
            return Err(Error::input("snap: no .snap was built to check or push"));
        }
        Ok(v)
    }

    fn meta(&self, cx: &Cx, arch: &str, binary: &str) -> meta::Meta {
        let p = &cx.release.project;
        let app = meta::App {
            command: format!("bin/{binary}"),
            plugs: self.cfg.plugs.clone(),
        };
        meta::Meta {
            name: self.name.clone(),
            version: cx.release.version.to_string(),
            summary: self.cfg.summary(p),
            description: self.cfg.description(p),
            base: self.cfg.base.as_str(),
            grade: self.cfg.grade.as_str(),
            confinement: self.cfg.confinement.as_str(),
            architectures: vec![arch.into()],
            apps: [(self.cfg.app_name(p), app)].into(),
        }
    }

    /// The binary a linux target's snap runs: `binary`, else the project's, else the only one.
    fn binary<'a>(&self, cx: &'a Cx, t: crate::plan::Target) -> Result<&'a Artifact> {
        let bins: Vec<&Artifact> = cx.release.artifacts.iter()
            .filter(|a| a.kind == ArtifactKind::Binary && a.target == Some(t))
            .collect();
        let pick = match &self.cfg.binary {
            Some(b) => bins.iter().find(|a| &a.name == b),
            None if bins.len() == 1 => bins.first(),
            None => bins.iter().find(|a| a.name == cx.release.project.name),
        };
        pick.copied().ok_or_else(|| {
            let names: Vec<&str> = bins.iter().map(|a| a.name.as_str()).collect();
            Error::input(format!("platforms.snap.binary: cannot tell which binary the snap runs; {t} built {names:?}"))
                .with_hint("set platforms.snap.binary to one of them")
        })
    }

    /// Uploads and pushes one file, then follows its status until processed, bounded (the
    /// revision it releases next comes from that status, so the engine's verify loop
    /// cannot do this wait: `kit::poll`).
    async fn push_one(&self, s: &Store<'_>, cx: &Cx, o: &Ours, a: &Artifact) -> Result<Upload> {
        let id = s.upload(&cx.release.path(a), &o.file).await?;
        let url = match s.push(&id, o.size, &o.file).await? {
            Pushed::Status(url) => url,
            Pushed::Predicted => return Ok(Upload::Revision(PREDICTED_REVISION)),
        };
        let bounds = poll::Bounds {
            every: Duration::from_millis(self.cfg.poll_interval_ms),
            within: Duration::from_secs(self.cfg.review_wait_secs),
        };
        let url = url.as_str();
        let done = poll::until(bounds, || async move { judge(o, url, s.status(url).await?) }).await?;
        Ok(done.unwrap_or_else(|| {
            Upload::Pending(format!(
                "{} is still being processed by the store after {}s; status: {url}",
                o.file, self.cfg.review_wait_secs
            ))
        }))
    }

    /// What the store has for the snap (nothing when it does not know it). Without
    /// credentials (only a dry run gets this far without them) the public channel
    /// map is read, which cannot see unreleased revisions: the warning says so.
    async fn read(&self, s: &Store<'_>, warnings: &mut Vec<String>) -> Result<Releases> {
        if s.auth.is_none() {
            warnings.push(format!(
                "{}: read the store's public channel map ({}/v2/snaps/info/{}) anonymously: revisions released to no channel (in review, rejected, or never released) cannot be seen without {}",
                self.name, s.info, self.name, auth::CREDENTIALS_VAR
            ));
        }
        Ok(s.read().await?.unwrap_or_default())
    }
}

/// The revision number a dry run's withheld push stands for: the store assigns the real one,
/// so the withheld releases name revision 0.
const PREDICTED_REVISION: u64 = 0;

/// What one read of an upload's status URL says (snapcraft's `_HUMAN_STATUS` codes).
fn judge(o: &Ours, url: &str, st: Status) -> Result<Step<Upload>> {
    let msgs: Vec<&str> = st.errors.iter().map(|e| e.message.as_str()).collect();
    if msgs.iter().any(|m| m.contains("binary_sha3_384") || m.contains("exact same content")) {
        return Ok(Step::Done(Upload::Exists));
    }
    if !msgs.is_empty() || st.code.starts_with("processing_") {
        return Err(Error::new(ErrorKind::Other, format!(
            "the store rejected {} ({}): {}", o.file, st.code, msgs.join("; ")))
            .with_hint(format!("fix what the store says and release a new version; status: {url}")));
    }
    Ok(match (st.code.as_str(), st.revision) {
        ("need_manual_review", rev) => {
            let rev = rev.map_or(String::new(), |r| format!(" (revision {r})"));
            Step::Done(Upload::Pending(format!("{}{rev} needs manual review by the store; status: {url}", o.file)))
        }
        (_, Some(rev)) if st.processed => Step::Done(Upload::Revision(rev)),
        _ => Step::Again,
    })
}

#[async_trait]
impl Platform for Snap {
    fn id(&self) -> &str {
        "snap"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            withdraw: Withdraw::Revert,
            verify_within: Some(Duration::from_secs(30)),
            pending_states: vec!["need_manual_review", "being_processed"],
        }
    }

    fn requirements(&self) -> Vec<Requirement> {
        vec![
            Requirement::credential(auth::CREDENTIALS_VAR),
            Requirement::tool(pack::MKSQUASHFS),
        ]
    }

    fn package_inputs(&self, _cx: &Cx) -> Option<String> {
        Some(format!("{:?}", self.cfg))
    }

    async fn package(&self, cx: &Cx) -> Result<Vec<Artifact>> {
        let version = cx.release.version.to_string();
        config::check_version(&version)?;
        let mut targets: Vec<_> = cx.release.artifacts.iter()
            .filter(|a| a.kind == ArtifactKind::Binary)
            .filter_map(|a| a.target)
            .filter(|t| t.os == Os::Linux)
            .collect();
        targets.sort();
        targets.dedup();
        if targets.is_empty() {
            return Err(Error::input("snap: the release built no linux target")
                .with_hint("add linux-amd64 (or linux-arm64) to a build's targets, or remove platforms.snap"));
        }
        let mut out = Vec::new();
        for t in targets {
            let arch = meta::snap_arch(t.arch);
            let bin = self.binary(cx, t)?;
            let yaml = meta::render(&self.meta(cx, arch, &bin.name));
            let file = format!("{}_{version}_{arch}.snap", self.name);
            let dir = cx.release.dist.join("snap").join(arch);
            let l = pack::stage(&dir, &file, &yaml, &cx.release.path(bin), &bin.name)?;
            cx.exec.run_ok(&pack::mksquashfs(&l, cx.release.epoch)).await?;
            let (sha256, size) = crate::build::hash_file(&l.out)?;
            out.push(Artifact {
                name: file.clone(),
                path: std::path::PathBuf::from("snap").join(arch).join(&file),
                kind: ArtifactKind::Package { platform: "snap".into() },
                target: Some(t),
                sha256,
                size,
            });
        }
        Ok(out)
    }

    /// Live when every channel holds this version for every linux arch the build plans
    /// (by version, before anything is built; `check` compares the sha3-384 later).
    async fn probe(&self, cx: &Cx, plan: &Planned) -> Result<Probe> {
        let version = cx.release.version.to_string();
        // A version the store cannot hold is packaging's refusal (exit 2): ask nothing first.
        config::check_version(&version)?;
        let arches: Vec<&str> = plan.targets.iter()
            .filter(|t| t.os == Os::Linux)
            .map(|t| meta::snap_arch(t.arch))
            .collect();
        if arches.is_empty() {
            return Ok(Probe::Unknown); // packaging refuses it with the reason
        }
        let rel = self.store(cx)?.read().await?.unwrap_or_default();
        for c in &self.channels {
            for arch in &arches {
                if rel.current(&c.full(), arch).map(|r| r.version.as_str()) != Some(version.as_str()) {
                    return Ok(Probe::Missing(format!("snap: {} {version} is not in {} for {arch}", self.name, c.full())));
                }
            }
        }
        Ok(Probe::Live(Default::default()))
    }

    /// The newest version any configured channel holds.
    async fn latest(&self, cx: &Cx) -> Result<Option<Latest>> {
        let rel = self.store(cx)?.read().await?.unwrap_or_default();
        let held = rel.releases.iter()
            .filter(|l| self.channels.iter().any(|c| c.full() == l.channel))
            .filter_map(|l| rel.current(&l.channel, &l.architecture))
            .map(|r| r.version.as_str());
        Ok(crate::platform::newest(held).map(|version| Latest {
            version,
            published_at: None,
            url: Some(format!("https://snapcraft.io/{}", self.name)),
        }))
    }

    async fn check(&self, cx: &Cx, packages: &[Artifact]) -> Result<Checked> {
        let built: Vec<Ours> = self.built(cx, packages)?.into_iter().map(|(o, _)| o).collect();
        let rel = self.store(cx)?.read().await?.unwrap_or_default();
        let s = survey::survey(&rel, &cx.release.version.to_string(), &built, &self.channels)?;
        Ok(compare(&s.wanted, &s.listed).into())
    }

    async fn publish(&self, cx: &Cx, live: &Live, packages: &[Artifact]) -> Result<Published> {
        let s = self.store(cx)?;
        let version = cx.release.version.to_string();
        let built = self.built(cx, packages)?;
        let mut out = Published::default();
        let mut rel = self.read(&s, &mut out.warnings).await?;
        let mut revisions = Vec::new();
        let mut pending = Vec::new();
        // Every upload first, then the channels: a channel never gets one arch's new
        // revision while another arch of the same version is still unprocessed.
        for (o, a) in &built {
            let mut rev = rel.of(&version, &o.arch).iter().find(|r| r.sha3_384.eq_ignore_ascii_case(&o.sha3)).map(|r| r.revision);
            if live.wants(&o.file) {
                match self.push_one(&s, cx, o, a).await? {
                    Upload::Revision(r) => rev = Some(r),
                    Upload::Pending(why) => pending.push(why),
                    Upload::Exists => {
                        rel = s.read().await?.unwrap_or_default();
                        rev = rel.of(&version, &o.arch).iter().find(|r| r.sha3_384.eq_ignore_ascii_case(&o.sha3)).map(|r| r.revision);
                    }
                }
                out.uploaded.push(o.file.clone());
            }
            revisions.push((o, rev));
        }
        let plain: Vec<Ours> = built.iter().map(|(o, _)| o.clone()).collect();
        let now = survey::survey(&rel, &version, &plain, &self.channels)?;
        out.warnings.extend(now.held);
        for c in &self.channels {
            for (o, rev) in &revisions {
                let name = step(&o.file, c);
                // A held-back channel is not wanted even when the check found nothing live.
                let wanted = live.wants(&name) && now.wanted.iter().any(|w| w.name == name);
                if let (true, Some(r)) = (wanted, rev) {
                    s.release(*r, &c.full()).await?;
                    out.uploaded.push(name);
                }
            }
        }
        if !pending.is_empty() {
            out.pending = Some(pending.join("; "));
        }
        Ok(out)
    }

    async fn withdraw(&self, cx: &Cx) -> Result<Withdrawn> {
        let s = self.store(cx)?;
        let version = cx.release.version.to_string();
        let rel = s.releases().await?.unwrap_or_default();
        let mut done = Vec::new();
        let mut closed = Vec::new();
        for c in self.channels.iter().rev() {
            let mut arches: Vec<String> = rel.revisions.iter().filter(|r| r.version == version)
                .flat_map(|r| r.architectures.clone()).collect();
            arches.sort();
            arches.dedup();
            for arch in arches {
                if rel.current(&c.full(), &arch).map(|r| r.version.as_str()) != Some(version.as_str()) {
                    continue;
                }
                match rel.previous(&c.full(), &arch, &version) {
                    Some(prev) => {
                        s.release(prev.revision, &c.full()).await?;
                        done.push(format!("{} {arch}: revision {} ({})", c.full(), prev.revision, prev.version));
                    }
                    None if !closed.contains(&c.full()) => {
                        s.close(&c.full()).await?;
                        closed.push(c.full());
                    }
                    None => {}
                }
            }
        }
        if done.is_empty() && closed.is_empty() {
            return Err(Error::new(ErrorKind::NotFound, format!("snap {} {version} is in none of the channels {:?}", self.name, self.cfg.channels)));
        }
        let mut what = format!("{} {version} taken out of its channels", self.name);
        if !done.is_empty() {
            what.push_str(&format!("; released back: {}", done.join(", ")));
        }
        if !closed.is_empty() {
            what.push_str(&format!("; closed (nothing earlier): {}", closed.join(", ")));
        }
        Ok(Withdrawn::Done(what))
    }
}
