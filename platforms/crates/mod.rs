//! `crates`: a Rust crate, or the publishable members of a workspace (`workspace.rs`, issue
//! 14), on crates.io or an alternative registry with a sparse index.
//!
//! - `package` runs `cargo package --no-verify` (through the exec layer, `Effect::Local`) with
//!   its target dir under `dist/crates/`, checks that the crate's version is the release's,
//!   and copies `{name}-{version}.crate` to `dist/crates/`.
//! - `check` reads the crate's sparse index file: no line for our version → absent; a line
//!   whose `cksum` is the SHA-256 of our `.crate` → present (also when yanked: a version can
//!   never be reused); another checksum → conflict, never overwritten.
//! - `publish` sends `PUT {api}/api/v1/crates/new` itself (see below); `verify` polls the
//!   index until the line appears; `yank` is `DELETE {api}/api/v1/crates/{name}/{vers}/yank`.
//! - A workspace is one platform with one file per crate: the check compares each crate's
//!   line, publish sends the missing ones in dependency order (`publish.rs`), waiting for
//!   the index between a crate and its dependents and pacing to the publish limits.
//!
//! **Why native HTTP and not `cargo publish`.** Going through `cx.http` puts the exact
//! request in the dry-run ledger, gets the shared retry/Retry-After/timeout handling, and
//! lets the reply map onto our error kinds (auth, rate limit, duplicate → re-check the
//! index) instead of scraping cargo's stderr. It also needs no cargo credential config.
//! What `cargo publish` would add is manifest normalization, and we keep it: the metadata
//! JSON is built from the `Cargo.toml` *inside the `.crate`*, which cargo has already
//! normalized (workspace inheritance, path deps, renamed and alternative-registry deps).
//! `cargo package` is still cargo's, so the tarball is byte-for-byte what cargo would send.

mod api;
mod categories;
mod config;
mod contents;
mod index;
mod meta;
mod oidc;
mod package;
pub mod pace;
mod probe;
mod publish;
pub mod rules;
mod spdx;
pub mod workspace;

pub use api::{frame, publish_reply, refusal, Reply};
pub use config::{CratesConfig, CratesRules};
pub use contents::CrateContents;
pub use index::{index_path, IndexLine, IndexState};
/// The index readers, for the fuzz targets (fuzz/).
pub use index::{parse_lines, state_of};
pub use meta::{new_crate, NewCrate};

use crate::error::{Error, Result};
use crate::plan::{Artifact, ArtifactKind, Project};
use crate::platform::{
    compare, section, Capabilities, Checked, Cx, Digest, Factory, Handover, Listed, Live, Platform,
    Published, Requirement, Wanted, Withdraw, Withdrawn,
};
use async_trait::async_trait;
use sha2::{Digest as _, Sha256};
use std::path::PathBuf;
use std::time::Duration;
use toml::{Table, Value};
use workspace::Unit;

pub const FACTORY: Factory = Factory {
    id: "crates",
    about: "Rust crates on crates.io or an alternative registry (sparse index)",
    schema: || schemars::schema_for!(CratesConfig),
    build: |v, _p: &Project| {
        let cfg: CratesConfig = section("crates", v)?;
        cfg.validate()?;
        Ok(Box::new(Crates::new(cfg)))
    },
};

/// How long `verify` waits for the index to show the new version (crates.io usually takes
/// seconds; its CDN can lag a little longer).
/// How long the engine re-checks the index after a publish.
const VERIFY_WINDOW: Duration = Duration::from_secs(60);

pub struct Crates {
    cfg: CratesConfig,
    /// The trusted-publishing token, when `auth` resolves to OIDC.
    minted: crate::oidc::Minter,
    /// The crates of this release in publishing order, found once (`units`).
    units: tokio::sync::OnceCell<Vec<Unit>>,
}

impl Crates {
    pub fn new(cfg: CratesConfig) -> Crates {
        Crates {
            cfg,
            minted: Default::default(),
            units: Default::default(),
        }
    }

    /// The crates this release publishes, in order: the one crate, or the workspace's
    /// publishable members (`workspace.rs`).
    async fn units(&self, cx: &Cx) -> Result<&[Unit]> {
        let units = self
            .units
            .get_or_try_init(|| async {
                if !self.cfg.is_workspace() {
                    return Ok(vec![Unit {
                        name: self.crate_name(cx)?,
                        manifest: self.manifest_path(cx),
                        needs: Vec::new(),
                    }]);
                }
                let m = workspace::metadata(cx, &self.cfg, &self.manifest_path(cx)).await?;
                workspace::select(&self.cfg, &m, &cx.release.version)
            })
            .await?;
        Ok(units)
    }

    fn manifest_path(&self, cx: &Cx) -> PathBuf {
        self.cfg.manifest_path(&cx.release.root)
    }

    /// The manifest as written (not normalized), for the name and a fast version check.
    fn source_manifest(&self, cx: &Cx) -> Result<Table> {
        let path = self.manifest_path(cx);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| Error::io(format!("reading {}", path.display()), e).with_hint(
                "set platforms.crates.manifest to the crate's Cargo.toml (relative to pipeline.yaml)",
            ))?;
        toml::from_str(&text).map_err(|e| Error::input(format!("parsing {}: {e}", path.display())))
    }

    /// `package` from the config, else `[package].name` of the manifest.
    fn crate_name(&self, cx: &Cx) -> Result<String> {
        if let Some(p) = &self.cfg.package {
            return Ok(p.clone());
        }
        let m = self.source_manifest(cx)?;
        m.get("package")
            .and_then(|p| p.get("name"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| {
                Error::config(format!(
                    "{} has no [package].name (a workspace root?)",
                    self.manifest_path(cx).display()
                ))
                .with_hint("set platforms.crates.package to the crate to publish")
            })
    }

    fn file_name(name: &str, cx: &Cx) -> String {
        format!("{name}-{}.crate", cx.release.version)
    }

    fn version_mismatch(&self, cx: &Cx, found: &str) -> Error {
        Error::input(format!(
            "{} says version {found}, but this release is {}",
            self.manifest_path(cx).display(),
            cx.release.version
        ))
        .with_hint("set the version in Cargo.toml to the tag's version (cargo publishes what Cargo.toml says)")
    }

    /// The version written in Cargo.toml, when it is a literal (not `version.workspace`).
    fn check_source_version(&self, cx: &Cx, name: &str) -> Result<()> {
        let m = self.source_manifest(cx)?;
        let pkg = m.get("package").and_then(Value::as_table);
        let same_crate = pkg.and_then(|p| p.get("name")).and_then(Value::as_str) == Some(name);
        let vers = pkg.and_then(|p| p.get("version")).and_then(Value::as_str);
        match vers {
            Some(v)
                if same_crate
                    && semver::Version::parse(v).ok().as_ref() != Some(&cx.release.version) =>
            {
                Err(self.version_mismatch(cx, v))
            }
            _ => Ok(()),
        }
    }

    /// Our `.crate`: from the packages handed to check/publish, else where `package` puts it.
    fn our_crate(&self, cx: &Cx, name: &str, packages: &[Artifact]) -> PathBuf {
        let file = Self::file_name(name, cx);
        let found = packages.iter().find(|a| {
            a.name == file
                && matches!(&a.kind, ArtifactKind::Package { platform } if platform == "crates")
        });
        match found {
            Some(a) => cx.release.path(a),
            None => cx.release.dist.join("crates").join(file),
        }
    }

    fn index(&self, cx: &Cx) -> index::Index {
        index::Index::new(cx.http.clone(), &self.cfg.index_url())
    }

    async fn api(&self, cx: &Cx) -> Result<api::Api> {
        let root = match &self.cfg.api {
            Some(a) => a.trim_end_matches('/').to_string(),
            None => self.index(cx).api_root().await?,
        };
        let token = if self.cfg.auth.uses_oidc(&self.cfg.token_env) {
            Some(self.minted.get(|| oidc::mint(cx, &root)).await?)
        } else {
            cx.secret(&self.cfg.token_env).cloned()
        };
        Ok(api::Api {
            http: cx.http.clone(),
            root,
            token,
            token_env: self.cfg.token_env.clone(),
        })
    }

    /// Revokes the trusted-publishing token, if one was minted; a failure is a warning (the
    /// token expires in 30 minutes anyway).
    async fn revoke(&self, cx: &Cx, root: &str) -> Option<String> {
        let m = self.minted.take().await?;
        let e = oidc::revoke(cx, root, &m.token).await.err()?;
        Some(format!("{e} (it expires by itself within 30 minutes)"))
    }

    /// What the index says about this release's (first) crate, compared with our `.crate`
    /// (pub for tests).
    pub async fn index_state(
        &self,
        cx: &Cx,
        packages: &[Artifact],
        fresh: bool,
    ) -> Result<IndexState> {
        let name = self.units(cx).await?[0].name.clone();
        self.unit_state(cx, &name, packages, fresh).await
    }

    /// What the index says about crate `name` at this version, compared with our `.crate`.
    async fn unit_state(
        &self,
        cx: &Cx,
        name: &str,
        packages: &[Artifact],
        fresh: bool,
    ) -> Result<IndexState> {
        let ours = self.our_crate(cx, name, packages);
        let cksum = match tokio::fs::read(&ours).await {
            Ok(b) => Some(hex::encode(Sha256::digest(&b))),
            Err(_) => None,
        };
        self.index(cx)
            .state(name, &cx.release.version, cksum.as_deref(), fresh)
            .await
    }

    /// One crate as we want it and as the index lists it. A yanked version is still
    /// listed: it can never be published again, so "already published" is the truth.
    async fn listed(
        &self,
        cx: &Cx,
        u: &Unit,
        packages: &[Artifact],
    ) -> Result<(Wanted, Option<Listed>)> {
        let file = Self::file_name(&u.name, cx);
        let ours = self.our_crate(cx, &u.name, packages);
        let digests = match tokio::fs::read(&ours).await {
            Ok(b) => vec![Digest::Sha256(hex::encode(Sha256::digest(&b)))],
            Err(_) => Vec::new(),
        };
        let index = self.index(cx);
        let listed = match index.state(&u.name, &cx.release.version, None, true).await? {
            IndexState::Present { line, .. } => {
                Some(Listed::new(&file, vec![Digest::Sha256(line.cksum)]))
            }
            IndexState::Absent => None,
        };
        Ok((Wanted::new(&file, digests), listed))
    }

    fn conflict(name: &str, line: &index::IndexLine) -> Error {
        Error::conflict(format!(
            "{name} {} exists in the registry with different content (index cksum {})",
            line.vers, line.cksum
        ))
        .with_hint("crate versions are immutable: bump the version instead of re-publishing")
    }

    fn page(&self, cx: &Cx, name: &str) -> Handover {
        Handover::urls(vec![if self.cfg.is_crates_io() {
            format!("https://crates.io/crates/{name}/{}", cx.release.version)
        } else {
            format!("{}{}", self.cfg.index_url(), index_path(name))
        }])
    }
}

#[async_trait]
impl Platform for Crates {
    fn id(&self) -> &str {
        "crates"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            withdraw: Withdraw::Yank,
            // The sparse index can lag behind the upload (crates.io's CDN).
            verify_within: Some(VERIFY_WINDOW),
            ..Capabilities::default()
        }
    }

    fn requirements(&self) -> Vec<Requirement> {
        let mut r = self.cfg.auth.requirements(&self.cfg.token_env);
        r.push(Requirement::tool("cargo"));
        r
    }

    async fn package(&self, cx: &Cx) -> Result<Vec<Artifact>> {
        package::package(self, cx).await
    }

    async fn probe(&self, cx: &Cx, _plan: &crate::platform::Planned) -> Result<crate::platform::Probe> {
        probe::probe(self, cx).await
    }

    async fn latest(&self, cx: &Cx) -> Result<Option<crate::platform::Latest>> {
        probe::latest(self, cx).await
    }

    async fn check(&self, cx: &Cx, packages: &[Artifact]) -> Result<Checked> {
        let units = self.units(cx).await?;
        // Every crate's index file at once: a re-run costs one round trip.
        let reads = units.iter().map(|u| self.listed(cx, u, packages));
        let (wanted, listed): (Vec<Wanted>, Vec<Option<Listed>>) =
            futures::future::try_join_all(reads).await?.into_iter().unzip();
        let listed: Vec<Listed> = listed.into_iter().flatten().collect();
        let live = compare(&wanted, &listed);
        let handover = if live == Live::Present {
            publish::pages(self, cx, units)
        } else {
            Handover::default()
        };
        Ok(Checked::with(live, handover))
    }

    async fn publish(&self, cx: &Cx, live: &Live, packages: &[Artifact]) -> Result<Published> {
        publish::publish(self, cx, live, packages).await
    }

    /// Yanks every crate of the release, dependents first.
    async fn withdraw(&self, cx: &Cx) -> Result<Withdrawn> {
        let units = self.units(cx).await?;
        let version = cx.release.version.to_string();
        let api = self.api(cx).await?;
        let mut yanked = Ok(());
        for u in units.iter().rev() {
            yanked = api.yank(&u.name, &version).await;
            if yanked.is_err() {
                break;
            }
        }
        let _ = self.revoke(cx, &api.root).await;
        yanked?;
        let names: Vec<&str> = units.iter().map(|u| u.name.as_str()).collect();
        Ok(Withdrawn::Done(format!("yanked {} {version}", names.join(", "))))
    }
}
