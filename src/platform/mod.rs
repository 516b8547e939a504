//! The adapter contract (v2, issue 6). One `Platform` per registry; one engine runs every
//! operation through it in phases (see `Platform`). Packaging comes before the check because
//! the check compares *content*: a version that is live with different bytes is a conflict,
//! never overwritten.
//! Adapters reach the network only through `cx.http` and subprocesses only through
//! `cx.exec`; they never look at the dry-run flag.

use crate::error::{Error, ErrorKind, Result};
use crate::exec::Exec;
use crate::http::Http;
use crate::plan::{Artifact, Project};
use crate::redact::Secret;
use async_trait::async_trait;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

mod live;
mod probe;
pub use live::{compare, Asset, Checked, Digest, Handover, Listed, Live, Published, Wanted};
pub use probe::{newest, Latest, Planned, Probe};

/// Everything about this release that every platform may read.
#[derive(Debug, Clone)]
pub struct Release {
    pub project: Project,
    pub version: semver::Version,
    /// The tag as given (e.g. `v1.4.0`).
    pub tag: String,
    /// The commit the tag points at, when known.
    pub commit: Option<String>,
    /// Absolute dist directory.
    pub dist: PathBuf,
    /// Build outputs: binaries, archives, SHA256SUMS.
    pub artifacts: Vec<Artifact>,
    /// Directory pipeline.yaml lives in; relative paths in config resolve against it.
    pub root: PathBuf,
    /// SOURCE_DATE_EPOCH for everything this release writes (archives, packages): resolved once
    /// (`build::source_date_epoch`), so every platform stamps the same time.
    pub epoch: u64,
}

impl Release {
    pub fn is_prerelease(&self) -> bool {
        !self.version.pre.is_empty()
    }
    pub fn path(&self, a: &Artifact) -> PathBuf {
        self.dist.join(&a.path)
    }
    /// Archives and SHA256SUMS: what goes to a release page.
    pub fn uploadables(&self) -> Vec<&Artifact> {
        use crate::plan::ArtifactKind::*;
        self.artifacts
            .iter()
            .filter(|a| matches!(a.kind, Archive | Checksums))
            .collect()
    }
}

/// The context handed to every adapter call.
#[derive(Clone)]
pub struct Cx {
    pub platform: String,
    pub http: Http,
    pub exec: Exec,
    pub release: Arc<Release>,
    /// Credentials the platform declared in `requirements`, resolved by the engine.
    pub secrets: BTreeMap<String, Secret>,
    /// The hand-over of the platforms this one `needs`, by id: planned while packaging, real
    /// (from their check or publish) while publishing.
    pub deps: BTreeMap<String, Handover>,
}

impl Cx {
    /// A declared credential. In a dry run a missing credential is absent here and the
    /// adapter probes anonymously.
    pub fn secret(&self, var: &str) -> Option<&Secret> {
        self.secrets.get(var)
    }
    /// A declared credential that must be present.
    pub fn require_secret(&self, var: &str) -> Result<&Secret> {
        self.secrets.get(var).ok_or_else(|| {
            Error::new(ErrorKind::Credentials, format!("missing credential {var}"))
                .with_hint(format!("set the environment variable {var}"))
        })
    }
}

/// What a platform needs before anything runs; the engine checks all of them up front so
/// that a missing credential or tool is exit 2 with nothing published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirement {
    /// An env var (or keyring entry) holding a secret.
    Credential { var: String, optional: bool },
    /// A program that must be on PATH.
    Tool { program: String },
    /// Trusted publishing: the CI's ID-token variables (`crate::oidc`); the request token
    /// becomes the secret `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.
    Oidc,
}

impl Requirement {
    /// A credential the platform cannot work without.
    pub fn credential(var: impl Into<String>) -> Self {
        Requirement::Credential {
            var: var.into(),
            optional: false,
        }
    }
    /// A credential used when present (e.g. an npm one-time password).
    pub fn optional_credential(var: impl Into<String>) -> Self {
        Requirement::Credential {
            var: var.into(),
            optional: true,
        }
    }
    /// A program that must be on PATH.
    pub fn tool(program: impl Into<String>) -> Self {
        Requirement::Tool {
            program: program.into(),
        }
    }
}

/// How a platform takes a version back, where it can (`tagship rollback`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Withdraw {
    /// Nothing: the platform offers no way back.
    None,
    /// The version stays downloadable for lockfiles but is no longer chosen (crates.io).
    Yank,
    /// Hidden from search and installs by default (NuGet/Chocolatey).
    Unlist,
    /// A commit or request that restores the previous state (taps, AUR, WinGet).
    Revert,
    /// Marked deprecated, and `latest` moved back to the previous version (npm).
    Deprecate,
    /// Demoted from "latest": marked a prerelease or turned back into a draft (GitHub).
    Demote,
    /// Taken out of the index; its files stay unless configured otherwise (PEP 503).
    Delist,
    /// No API can do it: the platform says exactly what a person must do, and where (PyPI).
    Manual,
}

impl Withdraw {
    pub fn as_str(self) -> &'static str {
        match self {
            Withdraw::None => "-",
            Withdraw::Yank => "yank",
            Withdraw::Unlist => "unlist",
            Withdraw::Revert => "revert",
            Withdraw::Deprecate => "deprecate",
            Withdraw::Demote => "demote",
            Withdraw::Delist => "delist",
            Withdraw::Manual => "manual",
        }
    }
}

/// What a rollback did on one platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Withdrawn {
    /// Done (or, in a dry run, what the withheld requests would do): one line, e.g.
    /// "yanked hello 1.2.3".
    Done(String),
    /// Nothing was sent: no API can do it. `what` says why and what to do; `url` is where.
    Manual { what: String, url: String },
}

/// What a platform can do, declared once: shown by `tagship check` and enforced by the engine
/// (an operation a platform lacks is refused with exit 2 before anything runs).
#[derive(Debug, Clone, Serialize)]
pub struct Capabilities {
    pub withdraw: Withdraw,
    /// After publishing, the engine re-checks until the version is live, for at most this long;
    /// `None`: the platform's publish is final as soon as it returns.
    #[serde(serialize_with = "secs")]
    pub verify_within: Option<Duration>,
    /// States in which a publish is accepted but not live (e.g. "moderation"): reported as
    /// `pending`, never `published`.
    pub pending_states: Vec<&'static str>,
}

impl Default for Capabilities {
    fn default() -> Self {
        Capabilities {
            withdraw: Withdraw::None,
            verify_within: Some(Duration::from_secs(60)),
            pending_states: Vec::new(),
        }
    }
}

fn secs<S: serde::Serializer>(d: &Option<Duration>, s: S) -> std::result::Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_some(&d.as_secs()),
        None => s.serialize_none(),
    }
}

/// The adapter contract. The engine runs every platform through the same phases: package
/// (all platforms, before any network mutation: a packaging error anywhere is exit 2 with
/// nothing published) → check (all, concurrently) → publish what is missing (respecting
/// `needs`) → re-check until live (`Capabilities::verify_within`).
#[async_trait]
pub trait Platform: Send + Sync {
    /// The key under `platforms:`, the name for `--only`/`--skip` and in the report.
    fn id(&self) -> &str;
    /// Platforms whose `Handover` this one needs (e.g. Homebrew needs the GitHub release).
    fn needs(&self) -> Vec<String> {
        Vec::new()
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities::default()
    }
    /// Credentials and tools, checked by the engine before anything runs.
    fn requirements(&self) -> Vec<Requirement> {
        Vec::new()
    }
    /// Writes platform packages into dist/ and validates everything the platform would refuse.
    /// Local only: no network. `cx.deps` holds the needed platforms' *planned* hand-over.
    async fn package(&self, _cx: &Cx) -> Result<Vec<Artifact>> {
        Ok(Vec::new())
    }
    /// Everything `package` reads besides the release and the needs' hand-over (its
    /// settings, files such as a README), as text. `Some`: packages whose inputs are
    /// unchanged are reused from dist/ instead of rebuilt (`engine::reuse`); `None` (the
    /// default): always repackaged, for a platform whose inputs cannot be listed (e.g. a
    /// source tree).
    fn package_inputs(&self, _cx: &Cx) -> Option<String> {
        None
    }
    /// What this platform will hand to dependents once `packages` are live, known before
    /// anything is published (e.g. GitHub's final, tag-based asset URLs). Dependents package
    /// from it; the engine checks that the real hand-over is identical.
    fn planned_handover(&self, _cx: &Cx, _packages: &[Artifact]) -> Handover {
        Handover::default()
    }
    /// Before the build (no bytes exist yet): is everything this platform would publish for
    /// this version live, judged by the names `plan` and the config predict? `cx.release`
    /// has no artifacts here and `cx.deps` holds the needs' probe hand-over. Optional: the
    /// default `Unknown` makes the release build and compare content as usual.
    async fn probe(&self, _cx: &Cx, _plan: &Planned) -> Result<Probe> {
        Ok(Probe::Unknown)
    }
    /// The newest version live on the platform, read-only (`tagship status`). Optional: the
    /// default `None` means "cannot tell", and status judges by the probe alone.
    async fn latest(&self, _cx: &Cx) -> Result<Option<Latest>> {
        Ok(None)
    }
    /// Asks the platform what is live for this version, comparing content with `packages`
    /// (or the release's uploadables) through `live::compare`; also returns the hand-over of
    /// what is already live.
    async fn check(&self, cx: &Cx, packages: &[Artifact]) -> Result<Checked>;
    /// Publishes what `live` says is missing.
    async fn publish(&self, cx: &Cx, live: &Live, packages: &[Artifact]) -> Result<Published>;
    /// Takes this version back (`Capabilities::withdraw` says how). Only reads and the
    /// withdrawing writes: the layers withhold the writes in a dry run.
    async fn withdraw(&self, _cx: &Cx) -> Result<Withdrawn> {
        Err(Error::new(
            ErrorKind::Unsupported,
            format!("{} cannot withdraw a version", self.id()),
        ))
    }
}

/// How the registry builds a platform from its `platforms.<id>` section.
pub struct Factory {
    pub id: &'static str,
    /// One-line description for `tagship check` and docs.
    pub about: &'static str,
    /// JSON Schema of the section; config validation reports problems with file:line:col.
    pub schema: fn() -> schemars::Schema,
    /// Builds the adapter from the (validated) section.
    pub build: fn(&serde_json::Value, &Project) -> Result<Box<dyn Platform>>,
}

/// Deserializes a validated section into the adapter's config type.
/// The settings every section takes (`timeout`) belong to the app and are left out.
pub fn section<T: serde::de::DeserializeOwned>(id: &str, v: &serde_json::Value) -> Result<T> {
    let mut v = v.clone();
    if let Some(o) = v.as_object_mut() {
        for k in crate::config::COMMON_KEYS {
            o.remove(*k);
        }
    }
    serde_json::from_value(v).map_err(|e| Error::config(format!("platforms.{id}: {e}")))
}
