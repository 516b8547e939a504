//! The consolidated status report: one `Outcome` per platform, the artifacts with their
//! sha256, timings, and for a dry run the exact mutating requests that were withheld.
//! `report.json` carries `schema_version`; fields are only ever added.

pub(crate) mod metrics;
mod render;

pub use metrics::prometheus;
pub use render::{annotations, markdown, terminal_table};

use crate::guard::Withheld;
use crate::plan::Artifact;
use crate::platform::Asset;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// Bumped only for incompatible changes; additions keep the number.
pub const SCHEMA_VERSION: u32 = 1;

/// How one platform ended. Exactly one per configured (and selected) platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum OutcomeKind {
    Published,
    AlreadyPublished,
    Pending,
    Skipped,
    WouldPublish,
    /// Dry run only: the platform could not be reached, so what a real run would do is unknown.
    Unreachable,
    Failed,
    /// `tagship rollback`: the version was taken back (yanked, unlisted, deprecated, …).
    Withdrawn,
    /// `tagship rollback --dry-run`: a real run would take it back.
    WouldWithdraw,
    /// `tagship rollback`: no API can do it; the reason and hint say what to do, and where.
    /// Not a success: the exit code is 1 until a person has done it.
    Manual,
}

impl OutcomeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeKind::Published => "published",
            OutcomeKind::AlreadyPublished => "already-published",
            OutcomeKind::Pending => "pending",
            OutcomeKind::Skipped => "skipped",
            OutcomeKind::WouldPublish => "would-publish",
            OutcomeKind::Unreachable => "unreachable",
            OutcomeKind::Failed => "failed",
            OutcomeKind::Withdrawn => "withdrawn",
            OutcomeKind::WouldWithdraw => "would-withdraw",
            OutcomeKind::Manual => "manual",
        }
    }
}

/// One platform's line in the report.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PlatformReport {
    /// The platform's id, or `<package>/<platform>` in a run of `packages:`.
    pub id: String,
    /// `packages:`: the package this row releases, with its version and tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<PackageRelease>,
    pub outcome: OutcomeKind,
    /// Why (for skipped, failed, pending, unreachable) or what (for published).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_kind: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uploaded: Vec<String>,
    /// What this platform handed to dependents (e.g. release assets with final URLs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assets: Vec<Asset>,
    /// Platform packages built for this platform (wheels, tarballs, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<Artifact>,
    /// Dry run: the mutating requests and commands a real run would have sent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub withheld: Vec<Withheld>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Milliseconds spent per stage (package, check, publish, verify, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub stages: BTreeMap<String, u64>,
    pub duration_ms: u64,
    /// What this platform sent in this run: requests, mutations, retries, bytes, withheld.
    #[serde(default)]
    pub requests: crate::guard::Counts,
}

impl PlatformReport {
    pub fn new(id: &str, outcome: OutcomeKind) -> Self {
        PlatformReport {
            id: id.to_string(),
            package: None,
            outcome,
            reason: None,
            hint: None,
            error_kind: None,
            urls: Vec::new(),
            uploaded: Vec::new(),
            assets: Vec::new(),
            packages: Vec::new(),
            withheld: Vec::new(),
            warnings: Vec::new(),
            stages: BTreeMap::new(),
            duration_ms: 0,
            requests: Default::default(),
        }
    }
    pub fn reason(mut self, r: impl Into<String>) -> Self {
        self.reason = Some(r.into());
        self
    }
}

/// Request counts, proving what a run did on the wire.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Requests {
    pub sent: u64,
    pub mutating_sent: u64,
    pub withheld: u64,
}

/// The whole report.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(title = "tagship report.json")]
pub struct Report {
    pub schema_version: u32,
    pub tool: String,
    /// `release`, `publish` or `yank`.
    #[serde(default = "default_operation")]
    pub operation: String,
    pub project: String,
    pub version: String,
    pub tag: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    pub dry_run: bool,
    /// RFC 3339.
    pub started_at: String,
    pub duration_ms: u64,
    pub exit_code: i32,
    pub artifacts: Vec<Artifact>,
    /// The release's SOURCE_DATE_EPOCH (every archive and package is stamped with it), so that
    /// `tagship publish` repackages byte-identically.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<u64>,
    /// `release`: whether the build ran (absent in reports of `publish` and `yank`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<BuildStep>,
    pub platforms: Vec<PlatformReport>,
    pub requests: Requests,
}

/// The package a row of a `packages:` run releases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PackageRelease {
    /// `packages[].name`.
    pub name: String,
    /// This package's version (the tag's, or its own with `version: own`).
    pub version: String,
    pub tag: String,
}

/// Writes `bytes` to a new file next to `path` (`create_new`: it never opens an existing
/// file or symlink) and renames it over `path`; a rename replaces a symlink itself.
fn replace_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .and_then(|mut f| f.write_all(bytes))
        .and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Whether a release built, and why not when it did not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum BuildStep {
    Ran,
    /// Every platform probed completely live before the build; content was not re-compared.
    Skipped {
        reason: String,
    },
}

fn default_operation() -> String {
    "release".into()
}

impl Report {
    /// 0 when every platform is published/already there/pending/skipped/would-publish/
    /// withdrawn; 1 when any failed or waits for a person (`manual`).
    pub fn compute_exit_code(platforms: &[PlatformReport]) -> i32 {
        let bad = |o| matches!(o, OutcomeKind::Failed | OutcomeKind::Manual);
        if platforms.iter().any(|p| bad(p.outcome)) {
            1
        } else {
            0
        }
    }

    /// Writes report.json and report.md into `dir` (dist/, or dist/yank/). Each file is
    /// written beside its target and renamed over it, so a pre-existing symlink (at the file,
    /// or at `dir` itself inside dist/) is replaced, never written through.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        if dir
            .symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink())
        {
            std::fs::remove_file(dir)?;
        }
        std::fs::create_dir_all(dir)?;
        let json = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        replace_file(
            &dir.join("report.json"),
            (crate::redact::redact(&json) + "\n").as_bytes(),
        )?;
        replace_file(
            &dir.join("report.md"),
            crate::redact::redact(&markdown(self)).as_bytes(),
        )
    }

    /// The JSON Schema of report.json (`tagship schema --report`).
    pub fn schema() -> schemars::Schema {
        schemars::schema_for!(Report)
    }

    pub fn read(dist: &Path) -> std::io::Result<Report> {
        let text = std::fs::read_to_string(dist.join("report.json"))?;
        serde_json::from_str(&text).map_err(std::io::Error::other)
    }

    /// Appends the Markdown report to `$GITHUB_STEP_SUMMARY` when it is set.
    pub fn write_step_summary(&self) -> std::io::Result<()> {
        let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY") else {
            return Ok(());
        };
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        f.write_all(crate::redact::redact(&markdown(self)).as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn report() -> Report {
        Report {
            schema_version: SCHEMA_VERSION,
            tool: "tagship test".into(),
            operation: "rollback".into(),
            project: "demo".into(),
            version: "1.0.0".into(),
            tag: "v1.0.0".into(),
            commit: None,
            dry_run: false,
            started_at: String::new(),
            duration_ms: 0,
            exit_code: 0,
            artifacts: Vec::new(),
            epoch: None,
            build: None,
            platforms: Vec::new(),
            requests: Requests::default(),
        }
    }

    #[test]
    fn a_symlinked_report_dir_or_file_is_replaced_not_followed() {
        let dist = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        // dist/yank -> a directory elsewhere; dist/report.json -> a file elsewhere.
        symlink(outside.path(), dist.path().join("yank")).unwrap();
        std::fs::write(outside.path().join("victim"), "precious").unwrap();
        symlink(
            outside.path().join("victim"),
            dist.path().join("report.json"),
        )
        .unwrap();
        report().write(&dist.path().join("yank")).unwrap();
        report().write(dist.path()).unwrap();
        assert!(std::fs::symlink_metadata(dist.path().join("yank"))
            .unwrap()
            .is_dir());
        assert!(dist.path().join("yank/report.json").is_file());
        assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 1);
        let victim = std::fs::read_to_string(outside.path().join("victim")).unwrap();
        assert_eq!(victim, "precious");
        assert!(std::fs::symlink_metadata(dist.path().join("report.json"))
            .unwrap()
            .is_file());
    }
}
