//! `platforms.snap` in pipeline.yaml, and the rules the Snap Store applies to what it names:
//! the snap name (snapd's `ValidateName`), the version (`ValidateVersion`), the summary (≤ 78
//! characters), the app name, and the channels. Everything here is checked before anything is
//! built, so a bad value is exit 2 with nothing sent.

use crate::error::{Error, Result};
use schemars::JsonSchema;
use serde::Deserialize;

/// The store's publisher API (register, push, release, the revision list).
pub const DASHBOARD: &str = "https://dashboard.snapcraft.io";
/// Where the bytes go before a push names them (`STORE_UPLOAD_URL` in snapcraft).
pub const STORAGE: &str = "https://storage.snapcraftcontent.com";
/// The public API snapd reads (`snap info`): the channel map, without credentials.
pub const INFO: &str = "https://api.snapcraft.io";

/// `platforms.snap`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SnapConfig {
    /// The snap's name in the store. Default: the project name. 2–40 characters: lowercase
    /// letters, digits and single hyphens, at least one letter, no hyphen at either end.
    #[serde(default)]
    pub name: Option<String>,
    /// One line, at most 78 characters. Default: the first line of `project.description`.
    #[serde(default)]
    pub summary: Option<String>,
    /// Default: `project.description`. At most 4096 characters.
    #[serde(default)]
    pub description: Option<String>,
    /// `core22` or `core24`.
    #[serde(default = "default_base")]
    pub base: Base,
    /// `strict` or `classic` (classic needs the store's approval before its first release).
    #[serde(default)]
    pub confinement: Confinement,
    /// `stable` or `devel`; a `devel` snap cannot be released to `candidate` or `stable`.
    #[serde(default)]
    pub grade: Grade,
    /// Channels to release every revision to, `<track>/<risk>` or `<risk>`. Released in
    /// order of risk, edge first and stable last. Default: `[latest/stable]`.
    #[serde(default = "default_channels")]
    pub channels: Vec<String>,
    /// The app's name (`apps.<app>`, what users run). Default: the snap name.
    #[serde(default)]
    pub app: Option<String>,
    /// The built binary the app runs. Default: the project name when a binary of that name
    /// is built, else the only binary.
    #[serde(default)]
    pub binary: Option<String>,
    /// Interfaces the app plugs (e.g. `[home, network]`). Default: none.
    #[serde(default)]
    pub plugs: Vec<String>,
    /// The publisher API. Default: `https://dashboard.snapcraft.io`.
    #[schemars(extend("format" = "http-url"))]
    #[serde(default = "default_dashboard")]
    pub store_url: String,
    /// The upload storage. Default: `https://storage.snapcraftcontent.com`.
    #[schemars(extend("format" = "http-url"))]
    #[serde(default = "default_storage")]
    pub upload_url: String,
    /// The public API read without credentials (a dry run from a laptop). Default:
    /// `https://api.snapcraft.io`.
    #[schemars(extend("format" = "http-url"))]
    #[serde(default = "default_info")]
    pub info_url: String,
    /// How long to follow the store's processing of an upload, in seconds; still processing
    /// after that is reported `pending` with the status URL.
    #[serde(default = "default_review_wait")]
    pub review_wait_secs: u64,
    /// Pause between two reads of the status URL, in milliseconds (snapcraft: 1000).
    #[serde(default = "default_poll_ms")]
    pub poll_interval_ms: u64,
}

/// `base:` in snap.yaml.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Base {
    Core22,
    Core24,
}

/// `confinement:` in snap.yaml.
#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Confinement {
    #[default]
    Strict,
    Classic,
}

/// `grade:` in snap.yaml.
#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Grade {
    #[default]
    Stable,
    Devel,
}

impl Base {
    pub fn as_str(self) -> &'static str {
        match self {
            Base::Core22 => "core22",
            Base::Core24 => "core24",
        }
    }
}
impl Confinement {
    pub fn as_str(self) -> &'static str {
        match self {
            Confinement::Strict => "strict",
            Confinement::Classic => "classic",
        }
    }
}
impl Grade {
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::Stable => "stable",
            Grade::Devel => "devel",
        }
    }
}

fn default_base() -> Base {
    Base::Core22
}
fn default_channels() -> Vec<String> {
    vec!["latest/stable".into()]
}
fn default_dashboard() -> String {
    DASHBOARD.into()
}
fn default_storage() -> String {
    STORAGE.into()
}
fn default_info() -> String {
    INFO.into()
}
fn default_review_wait() -> u64 {
    300
}
fn default_poll_ms() -> u64 {
    1000
}

/// The four risks, least stable first: the order channels are released in.
pub const RISKS: [&str; 4] = ["edge", "beta", "candidate", "stable"];

/// A channel as `<track>/<risk>` (a bare risk is on `latest`), with its place in `RISKS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    pub track: String,
    pub risk: String,
    pub rank: usize,
}

impl Channel {
    pub fn parse(s: &str) -> Result<Channel> {
        let (track, risk) = s.split_once('/').unwrap_or(("latest", s));
        let bad = |why: &str| {
            Error::config(format!("platforms.snap.channels: `{s}` {why}"))
                .with_hint("write channels as <track>/<risk>, e.g. latest/edge or latest/stable (branches are not supported)")
        };
        let rank = RISKS
            .iter()
            .position(|r| *r == risk)
            .ok_or_else(|| bad("has no risk of edge, beta, candidate or stable"))?;
        let track_ok = !track.is_empty()
            && track.len() <= 28
            && track.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        if !track_ok {
            return Err(bad("has an invalid track"));
        }
        Ok(Channel {
            track: track.into(),
            risk: risk.into(),
            rank,
        })
    }
    /// `track/risk`, as the store's publisher API names it.
    pub fn full(&self) -> String {
        format!("{}/{}", self.track, self.risk)
    }
}

impl SnapConfig {
    /// The channels, validated and in release order (edge before stable; a track's order
    /// kept), duplicates dropped.
    pub fn channels(&self) -> Result<Vec<Channel>> {
        if self.channels.is_empty() {
            return Err(Error::config("platforms.snap.channels: is empty")
                .with_hint("name at least one channel, e.g. [latest/edge]"));
        }
        let mut v: Vec<Channel> = Vec::new();
        for s in &self.channels {
            let c = Channel::parse(s)?;
            if self.grade == Grade::Devel && c.rank >= 2 {
                return Err(Error::config(format!(
                    "platforms.snap.channels: `{s}`: a snap of grade devel cannot be released to candidate or stable"
                ))
                .with_hint("use edge or beta channels, or set grade: stable"));
            }
            if !v.contains(&c) {
                v.push(c);
            }
        }
        v.sort_by_key(|c| c.rank);
        Ok(v)
    }

    /// Checks everything that needs only the project: names, summary, channels, URLs.
    pub fn validate(&self, project: &crate::plan::Project) -> Result<()> {
        let name = self.snap_name(project);
        check_name(&name)?;
        check_app(&self.app_name(project))?;
        let summary = self.summary(project);
        if summary.trim().is_empty() || summary.chars().count() > 78 || summary.contains('\n') {
            return Err(Error::config(format!(
                "platforms.snap.summary: `{summary}` must be one non-empty line of at most 78 characters (it has {})",
                summary.chars().count()
            ))
            .with_hint("set platforms.snap.summary (or project.description's first line) to a short line"));
        }
        if self.description(project).chars().count() > 4096 {
            return Err(Error::config("platforms.snap.description: longer than 4096 characters"));
        }
        self.channels()?;
        let urls = [("store_url", &self.store_url), ("upload_url", &self.upload_url), ("info_url", &self.info_url)];
        for (key, u) in urls {
            url::Url::parse(u)
                .map_err(|e| Error::config(format!("platforms.snap.{key}: `{u}`: {e}")))?;
        }
        Ok(())
    }

    pub fn snap_name(&self, project: &crate::plan::Project) -> String {
        self.name.clone().unwrap_or_else(|| project.name.clone())
    }
    pub fn app_name(&self, project: &crate::plan::Project) -> String {
        self.app.clone().unwrap_or_else(|| self.snap_name(project))
    }
    pub fn summary(&self, project: &crate::plan::Project) -> String {
        let first = project.description.lines().next().unwrap_or("").trim();
        self.summary.clone().unwrap_or_else(|| first.to_string())
    }
    pub fn description(&self, project: &crate::plan::Project) -> String {
        self.description
            .clone()
            .unwrap_or_else(|| project.description.clone())
    }
}

/// snapd's `ValidateName`: `^(?:[a-z0-9]+-?)*[a-z](?:-?[a-z0-9])*$`, 2 to 40 characters.
pub fn check_name(name: &str) -> Result<()> {
    let chars_ok = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let ok = (2..=40).contains(&name.len())
        && chars_ok
        && name.chars().any(|c| c.is_ascii_lowercase())
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--");
    if ok {
        return Ok(());
    }
    Err(Error::config(format!("platforms.snap.name: `{name}` is not a valid snap name"))
        .with_hint("2-40 characters: lowercase letters, digits and single hyphens, at least one letter, no hyphen at either end; set platforms.snap.name"))
}

/// snapd's app name rule: `^[A-Za-z0-9](?:-?[A-Za-z0-9])*$`.
pub fn check_app(app: &str) -> Result<()> {
    let ok = !app.is_empty()
        && app.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !app.starts_with('-')
        && !app.ends_with('-')
        && !app.contains("--");
    if ok {
        return Ok(());
    }
    Err(Error::config(format!("platforms.snap.app: `{app}` is not a valid app name"))
        .with_hint("use letters, digits and single hyphens; set platforms.snap.app"))
}

/// snapd's `ValidateVersion`: `^[a-zA-Z0-9](?:[a-zA-Z0-9:.+~-]{0,30}[a-zA-Z0-9+~])?$`.
pub fn check_version(version: &str) -> Result<()> {
    let b = version.as_bytes();
    let inner = |c: u8| c.is_ascii_alphanumeric() || b":.+~-".contains(&c);
    let last_ok = |c: u8| c.is_ascii_alphanumeric() || c == b'+' || c == b'~';
    let ok = !b.is_empty()
        && b.len() <= 32
        && b[0].is_ascii_alphanumeric()
        && b.iter().all(|c| inner(*c))
        && (b.len() == 1 || last_ok(b[b.len() - 1]));
    if ok {
        return Ok(());
    }
    Err(Error::input(format!(
        "snap: version `{version}` cannot be a snap version (at most 32 characters of letters, digits and `:.+~-`, not starting or ending with `.`, `:` or `-`)"
    ))
    .with_hint("tag a shorter version, or remove platforms.snap for this release"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_snapd_validates_them() {
        for ok in ["hello", "ab", "a1", "1a", "tagship-demo", "a-b-c"] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        let long = "a".repeat(41);
        for bad in ["Tagship-Demo", "tagship_demo", "-tagship", "x-", "a--b", "1234", "a", long.as_str()] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        assert!(check_app("Hello-App").is_ok());
        assert!(check_app("Hello_App").is_err());
    }

    #[test]
    fn versions_as_snapd_validates_them() {
        for ok in ["1.2.3", "1.2.3-rc.1+build.5", "1", "1.0~beta"] {
            assert!(check_version(ok).is_ok(), "{ok}");
        }
        let long = "1".repeat(33);
        for bad in ["1.2 3", "1.2.3-", "1.2.", "_1", "1_2", long.as_str(), ""] {
            assert!(check_version(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn channels_are_released_edge_first() {
        let cfg: SnapConfig = serde_json::from_value(serde_json::json!({
            "channels": ["latest/stable", "edge", "2.x/beta", "latest/edge"]
        }))
        .unwrap();
        let order: Vec<String> = cfg.channels().unwrap().iter().map(Channel::full).collect();
        assert_eq!(order, ["latest/edge", "2.x/beta", "latest/stable"]);
        assert!(Channel::parse("latest/nightly").is_err());
        let devel: SnapConfig =
            serde_json::from_value(serde_json::json!({"grade": "devel", "channels": ["stable"]}))
                .unwrap();
        assert!(devel.channels().unwrap_err().message().contains("devel"));
    }
}
