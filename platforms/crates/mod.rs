//! `crates`: a Rust crate on crates.io or an alternative registry with a sparse index.
//!
//! - `package` runs `cargo package --no-verify` (through the exec layer, `Effect::Local`) with
//!   its target dir under `dist/crates/`, checks that the crate's version is the release's,
//!   and copies `{name}-{version}.crate` to `dist/crates/`.
//! - `check` reads the crate's sparse index file: no line for our version → absent; a line
//!   whose `cksum` is the SHA-256 of our `.crate` → present (also when yanked: a version can
//!   never be reused); another checksum → conflict, never overwritten.
//! - `publish` sends `PUT {api}/api/v1/crates/new` itself (see below); `verify` polls the
//!   index until the line appears; `yank` is `DELETE {api}/api/v1/crates/{name}/{vers}/yank`.
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
mod probe;
pub mod rules;
mod spdx;

pub use api::{frame, publish_reply, refusal, Reply};
pub use config::{CratesConfig, CratesRules};
pub use contents::CrateContents;
pub use index::{index_path, IndexLine, IndexState};
/// The index readers, for the fuzz targets (fuzz/).
pub use index::{parse_lines, state_of};
pub use meta::{new_crate, NewCrate};

use crate::error::{Error, ErrorKind, Result};
use crate::exec::{Cmd, Effect};
use crate::plan::{Artifact, ArtifactKind, Project};
use crate::platform::{
    compare, section, Capabilities, Checked, Cx, Digest, Factory, Handover, Listed, Live, Platform,
    Published, Requirement, Wanted, Withdraw, Withdrawn,
};
use async_trait::async_trait;
use sha2::{Digest as _, Sha256};
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::{Table, Value};

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
}

impl Crates {
    pub fn new(cfg: CratesConfig) -> Crates {
        Crates {
            cfg,
            minted: Default::default(),
        }
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

    /// Where `package` puts the `.crate` (relative to dist/).
    fn dist_rel(name: &str, cx: &Cx) -> PathBuf {
        Path::new("crates").join(Self::file_name(name, cx))
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

    fn cargo_package(&self, cx: &Cx, name: &str, target_dir: &Path) -> Cmd {
        let mut cmd = Cmd::new("cargo", Effect::Local)
            .arg("package")
            .arg("--no-verify")
            .arg("--manifest-path")
            .arg(self.manifest_path(cx).display().to_string())
            .arg("--target-dir")
            .arg(target_dir.display().to_string())
            .cwd(cx.release.root.clone());
        if self.cfg.allow_dirty {
            cmd = cmd.arg("--allow-dirty");
        }
        if self.cfg.package.is_some() {
            cmd = cmd.arg("--package").arg(name);
        }
        if let Some(r) = &self.cfg.registry {
            // Dependencies resolve against this registry; the env var tells cargo its index
            // even when ~/.cargo/config.toml does not define it.
            cmd = cmd.arg("--registry").arg(r.clone());
            if let Some((k, v)) = self.cfg.registry_env() {
                cmd = cmd.env(k, v);
            }
        }
        cmd
    }

    /// Refuses a `.crate` that swallowed dist/ (cargo packs every file of the package
    /// directory that git does not ignore; outside git, every file).
    fn check_no_dist(&self, cx: &Cx, c: &CrateContents) -> Result<()> {
        let Some(pkg_dir) = self.manifest_path(cx).parent().map(Path::to_path_buf) else {
            return Ok(());
        };
        let Ok(rel) = cx.release.dist.strip_prefix(&pkg_dir) else {
            return Ok(());
        };
        let dir = rel.display().to_string();
        let rel = format!("{dir}/");
        if let Some(f) = c.files.keys().find(|f| f.starts_with(&rel)) {
            return Err(Error::input(format!(
                "the packaged crate includes `{f}` from the dist directory"
            ))
            .with_hint(format!(
                "add `exclude = [\"/{dir}\"]` to [package] in Cargo.toml, or list {dir}/ in .gitignore"
            )));
        }
        Ok(())
    }

    /// Our `.crate`: from the packages handed to check/publish, else where `package` puts it.
    fn our_crate(&self, cx: &Cx, name: &str, packages: &[Artifact]) -> PathBuf {
        let found = packages.iter().find(
            |a| matches!(&a.kind, ArtifactKind::Package { platform } if platform == "crates"),
        );
        match found {
            Some(a) => cx.release.path(a),
            None => cx.release.dist.join(Self::dist_rel(name, cx)),
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

    /// What the index says about this release, compared with our `.crate` (pub for tests).
    pub async fn index_state(
        &self,
        cx: &Cx,
        packages: &[Artifact],
        fresh: bool,
    ) -> Result<IndexState> {
        let name = self.crate_name(cx)?;
        let ours = self.our_crate(cx, &name, packages);
        let cksum = match tokio::fs::read(&ours).await {
            Ok(b) => Some(hex::encode(Sha256::digest(&b))),
            Err(_) => None,
        };
        self.index(cx)
            .state(&name, &cx.release.version, cksum.as_deref(), fresh)
            .await
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

    fn published(&self, cx: &Cx, name: &str, file: Option<String>) -> Published {
        Published {
            handover: self.page(cx, name),
            uploaded: file.into_iter().collect(),
            ..Default::default()
        }
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
        let name = self.crate_name(cx)?;
        self.check_source_version(cx, &name)?;
        let out_dir = cx.release.dist.join("crates");
        let target_dir = out_dir.join("target");
        let cmd = self.cargo_package(cx, &name, &target_dir);
        cx.exec.run_ok(&cmd).await.map_err(|e| e.or_hint(
            "run the same `cargo package` by hand to see the problem (a dirty git tree needs allow_dirty: true)",
        ))?;
        let file = Self::file_name(&name, cx);
        let produced = target_dir.join("package").join(&file);
        let bytes = tokio::fs::read(&produced).await.map_err(|_| {
            Error::input(format!(
                "cargo package did not produce {file}; is the version in {} {}?",
                self.manifest_path(cx).display(),
                cx.release.version
            ))
        })?;
        let contents = CrateContents::read(&bytes)?;
        let m = contents.manifest()?;
        let vers = m
            .get("package")
            .and_then(|p| p.get("version"))
            .and_then(Value::as_str);
        if vers != Some(cx.release.version.to_string().as_str()) {
            return Err(self.version_mismatch(cx, vers.unwrap_or("(none)")));
        }
        self.check_no_dist(cx, &contents)?;
        rules::check_crate(&self.cfg, &contents, bytes.len() as u64)?;
        let rel = Self::dist_rel(&name, cx);
        let dest = cx.release.dist.join(&rel);
        tokio::fs::write(&dest, &bytes)
            .await
            .map_err(|e| Error::io(format!("writing {}", dest.display()), e))?;
        Ok(vec![Artifact {
            name: file,
            path: rel,
            kind: ArtifactKind::Package {
                platform: "crates".into(),
            },
            target: None,
            sha256: hex::encode(Sha256::digest(&bytes)),
            size: bytes.len() as u64,
        }])
    }

    async fn probe(&self, cx: &Cx, _plan: &crate::platform::Planned) -> Result<crate::platform::Probe> {
        probe::probe(self, cx).await
    }

    async fn latest(&self, cx: &Cx) -> Result<Option<crate::platform::Latest>> {
        probe::latest(self, cx).await
    }

    async fn check(&self, cx: &Cx, packages: &[Artifact]) -> Result<Checked> {
        let name = self.crate_name(cx)?;
        let file = Self::file_name(&name, cx);
        let ours = self.our_crate(cx, &name, packages);
        let wanted = match tokio::fs::read(&ours).await {
            Ok(b) => vec![Digest::Sha256(hex::encode(Sha256::digest(&b)))],
            Err(_) => Vec::new(),
        };
        // A yanked version is still "present": it can never be published again. The
        // report's "already published" is the truthful outcome.
        let listed = match self
            .index(cx)
            .state(&name, &cx.release.version, None, true)
            .await?
        {
            IndexState::Absent => Vec::new(),
            IndexState::Present { line, .. } => {
                vec![Listed::new(&file, vec![Digest::Sha256(line.cksum)])]
            }
        };
        let live = compare(&[Wanted::new(&file, wanted)], &listed);
        let handover = if live == Live::Present {
            self.page(cx, &name)
        } else {
            Handover::default()
        };
        Ok(Checked::with(live, handover))
    }

    async fn publish(&self, cx: &Cx, _live: &Live, packages: &[Artifact]) -> Result<Published> {
        let name = self.crate_name(cx)?;
        let path = self.our_crate(cx, &name, packages);
        let bytes = tokio::fs::read(&path)
            .await
            .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
        let meta = new_crate(&CrateContents::read(&bytes)?, &self.cfg.index_url())?;
        let json =
            serde_json::to_vec(&meta).map_err(|e| Error::new(ErrorKind::Other, e.to_string()))?;
        let file = Self::file_name(&name, cx);
        let api = self.api(cx).await?;
        let reply = api
            .publish(frame(&json, &bytes), &format!("uploading {file}"))
            .await;
        let revoked = self.revoke(cx, &api.root).await;
        match reply? {
            Reply::Accepted { warnings } => {
                let mut p = self.published(cx, &name, Some(file));
                p.warnings = warnings;
                p.warnings.extend(revoked);
                Ok(p)
            }
            // Someone (or an earlier run whose reply was lost) got there first: the index
            // decides whether it is our crate.
            Reply::Duplicate(msg) => match self.index_state(cx, packages, true).await? {
                IndexState::Present {
                    same: Some(true), ..
                } => Ok(self.published(cx, &name, None)),
                IndexState::Present { line, .. } => Err(Self::conflict(&name, &line)),
                IndexState::Absent => Err(Error::conflict(format!(
                    "{msg}, but the index has no {name} {} yet",
                    cx.release.version
                ))
                .with_hint("re-run once the index shows it: tagship then compares checksums")),
            },
        }
    }

    async fn withdraw(&self, cx: &Cx) -> Result<Withdrawn> {
        let name = self.crate_name(cx)?;
        let version = cx.release.version.to_string();
        let api = self.api(cx).await?;
        let yanked = api.yank(&name, &version).await;
        let _ = self.revoke(cx, &api.root).await;
        yanked?;
        Ok(Withdrawn::Done(format!("yanked {name} {version}")))
    }
}
