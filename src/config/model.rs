//! The serde model of pipeline.yaml. `deny_unknown_fields` everywhere; the JSON Schema that
//! `tagship schema` prints and that validation walks is derived from these types.
//! Placeholders usable in `command`, `binary`, `env` values and `archives.name`:
//! `{name}` `{version}` `{tag}` `{target}` `{os}` `{arch}` `{exe}`.

use crate::plan::{Project, Target};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The whole file.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pipeline {
    pub project: Project,
    #[serde(default)]
    pub version: VersionConfig,
    #[serde(default)]
    pub builds: Vec<BuildConfig>,
    #[serde(default)]
    pub archives: ArchiveConfig,
    /// Output directory, relative to pipeline.yaml (default `dist`).
    #[serde(default)]
    pub dist: Option<String>,
    /// One section per platform; each platform validates its own section.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, serde_json::Value>")]
    pub platforms: BTreeMap<String, serde_json::Value>,
    /// Named overrides selected with `--profile NAME`, deep-merged over the file.
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
    /// Several packages released by this pipeline (a monorepo). With it, `platforms:` holds
    /// the settings the packages share and each package publishes to its own platforms.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<super::packages::PackageConfig>,
}

/// Where the version comes from and what is allowed.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionConfig {
    /// Prefix stripped from the tag (default `v`).
    #[serde(default = "default_prefix")]
    pub tag_prefix: String,
    /// Whether prerelease versions (1.2.0-rc.1) may be released.
    #[serde(default)]
    pub prerelease: PrereleasePolicy,
    /// Refuse when Cargo.toml / package.json / pyproject.toml next to pipeline.yaml disagree with the tag.
    #[serde(default = "yes")]
    pub check_project_files: bool,
}

impl Default for VersionConfig {
    fn default() -> Self {
        VersionConfig {
            tag_prefix: default_prefix(),
            prerelease: PrereleasePolicy::default(),
            check_project_files: true,
        }
    }
}

fn default_prefix() -> String {
    "v".into()
}
fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PrereleasePolicy {
    #[default]
    Allow,
    Deny,
}

/// One build: a command run once per target.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BuildConfig {
    /// Name of this build (default: the project name).
    #[serde(default)]
    pub id: Option<String>,
    /// Working directory, relative to pipeline.yaml.
    #[serde(default)]
    pub dir: Option<String>,
    /// The command as an argv list; never run through a shell.
    pub command: Vec<String>,
    /// Path of the produced binary, relative to `dir`, e.g. `build/{target}/hello{exe}`.
    pub binary: String,
    /// Targets: `linux-amd64`, `darwin-arm64`, `windows-amd64`, or Rust triples.
    pub targets: Vec<Target>,
    /// Extra environment for the command (values may use placeholders).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
}

/// How binaries are packed.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchiveConfig {
    /// Archive base name (no extension), default `{name}_{version}_{os}_{arch}`.
    #[serde(default = "default_archive_name")]
    pub name: String,
    /// `auto` (zip on windows, tar.gz elsewhere), `tar.gz` or `zip`.
    #[serde(default)]
    pub format: ArchiveFormat,
    /// Extra files (relative to pipeline.yaml) put next to the binary, e.g. README.md, LICENSE.
    #[serde(default)]
    pub files: Vec<String>,
}

impl Default for ArchiveConfig {
    fn default() -> Self {
        ArchiveConfig {
            name: default_archive_name(),
            format: ArchiveFormat::default(),
            files: Vec::new(),
        }
    }
}

fn default_archive_name() -> String {
    "{name}_{version}_{os}_{arch}".into()
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ArchiveFormat {
    #[default]
    #[serde(rename = "auto")]
    Auto,
    #[serde(rename = "tar.gz")]
    TarGz,
    #[serde(rename = "zip")]
    Zip,
}

/// A named override set (e.g. `staging` pointing every platform at its test registry).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Deep-merged over `platforms:`.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, serde_json::Value>")]
    pub platforms: BTreeMap<String, serde_json::Value>,
}
