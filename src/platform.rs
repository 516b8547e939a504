//! The adapter contract. One `Platform` per registry; the engine drives each one
//! `package → check → publish → verify` and turns the result into one `Outcome`.
//! Packaging comes before the check because the check compares *content*: a version that is
//! live with different bytes is a conflict, never overwritten.
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
    /// Results of the platforms this one `needs`, by id.
    pub deps: BTreeMap<String, Published>,
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

/// What a platform says about this version before publishing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Live {
    /// Nothing of this version is there.
    Absent,
    /// Some files are there (with the same bytes), others are missing.
    Partial {
        present: Vec<String>,
        missing: Vec<String>,
    },
    /// Everything is there with the same content.
    Present,
    /// Submitted and waiting (review, moderation, indexing).
    Pending { reason: String },
}

/// What a publish did, for the report and for dependent platforms.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Published {
    /// Public URLs (release page, package page).
    pub urls: Vec<String>,
    /// File names that were sent.
    pub uploaded: Vec<String>,
    /// Set when the platform accepted it but it is not live yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending: Option<String>,
    /// Free-form data for dependents, e.g. asset download URLs by file name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub data: BTreeMap<String, String>,
}

/// What a platform needs before anything runs; the engine checks all of them up front so
/// that a missing credential or tool is exit 2 with nothing published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirement {
    /// An env var (or keyring entry) holding a secret.
    Credential { var: String, optional: bool },
    /// A program that must be on PATH.
    Tool { program: String },
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

/// Optional capabilities, shown in `tagship check` and used by the engine.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Capabilities {
    pub yank: bool,
    pub verify: bool,
}

#[async_trait]
pub trait Platform: Send + Sync {
    /// The key under `platforms:`, the name for `--only`/`--skip` and in the report.
    fn id(&self) -> &str;
    /// Platforms whose `Published` this one needs (e.g. Homebrew needs the GitHub release).
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
    /// Writes platform packages into dist/. Local only: no network.
    async fn package(&self, _cx: &Cx) -> Result<Vec<Artifact>> {
        Ok(Vec::new())
    }
    /// Asks the platform what is live for this version, comparing content with `packages`
    /// (or the release's uploadables). A different-content conflict is an `ErrorKind::Conflict`.
    async fn check(&self, cx: &Cx, packages: &[Artifact]) -> Result<Live>;
    /// Publishes what `live` says is missing.
    async fn publish(&self, cx: &Cx, live: &Live, packages: &[Artifact]) -> Result<Published>;
    /// Confirms the publish is visible (bounded polling).
    async fn verify(&self, _cx: &Cx, _published: &Published) -> Result<()> {
        Ok(())
    }
    /// Withdraws this version, where the platform allows it.
    async fn yank(&self, _cx: &Cx) -> Result<()> {
        Err(Error::new(
            ErrorKind::Unsupported,
            format!("{} has no yank operation", self.id()),
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
pub fn section<T: serde::de::DeserializeOwned>(id: &str, v: &serde_json::Value) -> Result<T> {
    serde_json::from_value(v.clone()).map_err(|e| Error::config(format!("platforms.{id}: {e}")))
}
