//! `platforms.chocolatey` in pipeline.yaml, and what it derives without a release: the package
//! id (checked as the community repository requires), the feed and push URLs, whether the feed
//! moderates, and the Chocolatey version for a semver. Everything here is checked before
//! anything is built, so a bad id or an unrepresentable version is exit 2 with nothing sent.

use crate::error::{Error, Result};
use crate::plan::Project;
use schemars::JsonSchema;
use serde::Deserialize;

/// The community repository's read API (OData v2) and its push endpoint; the push host differs
/// from the read host (PROTOCOLS §5).
pub const COMMUNITY_FEED: &str = "https://community.chocolatey.org/api/v2/";
pub const COMMUNITY_PUSH: &str = "https://push.chocolatey.org/api/v2/package/";
/// Where the API key comes from unless `api_key_env` says otherwise.
pub const DEFAULT_KEY_VAR: &str = "CHOCOLATEY_API_KEY";

/// How the package gets the Windows binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// tools/chocolateyinstall.ps1 downloads the windows-amd64 zip from the GitHub release
    /// (needs `github`) and checks it with `checksum64`/`checksumType64`.
    Download,
    /// The binary is inside the package, with tools/VERIFICATION.txt and tools/LICENSE.txt as
    /// the community repository requires for embedded binaries.
    Embed,
}

/// `platforms.chocolatey`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChocolateyConfig {
    /// Package id: lowercase letters and digits, separated by single `-` or `.` (the community
    /// repository wants lowercase, hyphens rather than dots), at most 100 characters.
    /// Default: the project name.
    #[serde(default)]
    pub id: Option<String>,
    /// `download` (default) or `embed`.
    #[serde(default = "default_mode")]
    pub mode: Mode,
    /// NuGet v2 feed the checks read (`Packages(Id=,Version=)`). Default: the community
    /// repository.
    #[schemars(extend("format" = "http-url"))]
    #[serde(default)]
    pub feed_url: Option<String>,
    /// Where `PUT` sends the package. Default: push.chocolatey.org for the community feed,
    /// else `<feed_url>package/`.
    #[schemars(extend("format" = "http-url"))]
    #[serde(default)]
    pub push_url: Option<String>,
    /// Whether the feed moderates pushes (reads `PackageStatus`). Default: true for the
    /// community feed, false otherwise.
    #[serde(default)]
    pub moderated: Option<bool>,
    /// Default: the project name.
    #[serde(default)]
    pub title: Option<String>,
    /// Default: the project authors (or the project name).
    #[serde(default)]
    pub authors: Vec<String>,
    /// Space-separated in the nuspec; no spaces inside a tag, no `chocolatey`.
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub summary: Option<String>,
    /// Default: the project description (required: one of the two).
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub release_notes: Option<String>,
    /// Default: the project homepage, else its repository.
    #[serde(default)]
    pub project_url: Option<String>,
    /// Default: `https://spdx.org/licenses/<license>.html` for a single SPDX id in `project.license`.
    #[serde(default)]
    pub license_url: Option<String>,
    #[serde(default)]
    pub copyright: Option<String>,
    /// embed: the license text shipped as tools/LICENSE.txt, relative to pipeline.yaml.
    #[serde(default = "default_license_file")]
    pub license_file: String,
    /// The binary, by file name without `.exe`. Default: the project name.
    #[serde(default)]
    pub binary: Option<String>,
    /// Environment variable holding the API key.
    #[serde(default = "default_key_var")]
    pub api_key_env: String,
    /// How long the engine re-checks an unmoderated feed after the push, in seconds.
    #[serde(default = "default_verify_secs")]
    pub verify_timeout_secs: u64,
}

fn default_mode() -> Mode {
    Mode::Download
}
fn default_license_file() -> String {
    "LICENSE".into()
}
fn default_key_var() -> String {
    DEFAULT_KEY_VAR.into()
}
fn default_verify_secs() -> u64 {
    30
}

impl ChocolateyConfig {
    /// The package id, checked.
    pub fn package_id(&self, project: &Project) -> Result<String> {
        let id = self.id.clone().unwrap_or_else(|| project.name.clone());
        check_id(&id)?;
        Ok(id)
    }

    /// The feed's base URL, with a trailing slash.
    pub fn feed(&self) -> String {
        let f = self.feed_url.as_deref().unwrap_or(COMMUNITY_FEED);
        format!("{}/", f.trim_end_matches('/'))
    }

    pub fn is_community(&self) -> bool {
        self.feed() == COMMUNITY_FEED
    }

    /// The push URL, with the trailing slash the gallery expects.
    pub fn push(&self) -> String {
        match &self.push_url {
            Some(u) => format!("{}/", u.trim_end_matches('/')),
            None if self.is_community() => COMMUNITY_PUSH.into(),
            None => format!("{}package/", self.feed()),
        }
    }

    pub fn is_moderated(&self) -> bool {
        self.moderated.unwrap_or_else(|| self.is_community())
    }

    /// Checks what needs no release: id, URLs, tags, key variable.
    pub fn validate(&self, project: &Project) -> Result<()> {
        self.package_id(project)?;
        for (key, u) in [("feed_url", self.feed()), ("push_url", self.push())] {
            let parsed = url::Url::parse(&u)
                .map_err(|e| Error::config(format!("platforms.chocolatey.{key}: `{u}`: {e}")))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(Error::config(format!(
                    "platforms.chocolatey.{key}: `{u}` is not an http(s) URL"
                )));
            }
        }
        if let Some(t) = self.tags.iter().find(|t| t.is_empty() || t.contains(char::is_whitespace)) {
            return Err(Error::config(format!(
                "platforms.chocolatey.tags: `{t}` is empty or has a space; the nuspec separates tags by spaces"
            )));
        }
        if self.tags.iter().any(|t| t.eq_ignore_ascii_case("chocolatey")) {
            return Err(Error::config("platforms.chocolatey.tags: `chocolatey` is refused by the community repository (CPMR0008)")
                .with_hint("remove the tag; it is only for packages of Chocolatey itself"));
        }
        if self.api_key_env.is_empty() {
            return Err(Error::config("platforms.chocolatey.api_key_env is empty"));
        }
        Ok(())
    }
}

/// `^[a-z0-9]+([.-][a-z0-9]+)*$`, at most 100 characters.
pub fn check_id(id: &str) -> Result<()> {
    let bad = |why: &str| {
        Error::config(format!("platforms.chocolatey.id: `{id}` {why}")).with_hint(
            "set platforms.chocolatey.id to lowercase letters and digits separated by `-`, e.g. `my-tool`",
        )
    };
    if id.is_empty() || id.len() > 100 {
        return Err(bad("must have 1 to 100 characters"));
    }
    if id.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(bad("has uppercase letters; community package ids are lowercase"));
    }
    let ok = id
        .split(['-', '.'])
        .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
    if !ok {
        return Err(bad("is not a valid id (letters and digits, single `-` or `.` between them)"));
    }
    Ok(())
}

/// The Chocolatey version of a semver. Chocolatey reads SemVer 1 versions: `1.2.3` stays; a
/// prerelease becomes one alphanumeric label starting with a letter, numeric parts padded to
/// 4 digits so they still sort (`1.2.3-rc.2` → `1.2.3-rc0002`, below `1.2.3-rc0010`). Build
/// metadata, a label starting with a digit, or characters outside `[A-Za-z0-9]` cannot be
/// represented: an input error (the 4th version segment is reserved for package fixes).
pub fn choco_version(v: &semver::Version) -> Result<String> {
    let bad = |why: &str| {
        Error::input(format!("version {v} cannot be a Chocolatey version: {why}")).with_hint(
            "Chocolatey versions are `1.2.3` or `1.2.3-label` (a letter, then letters and digits); tag such a version",
        )
    };
    if !v.build.is_empty() {
        return Err(bad("build metadata (`+…`) has no place in it"));
    }
    let base = format!("{}.{}.{}", v.major, v.minor, v.patch);
    if v.pre.is_empty() {
        return Ok(base);
    }
    let mut label = String::new();
    for part in v.pre.as_str().split('.') {
        if !part.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(bad("the prerelease has characters other than letters and digits"));
        }
        match part.parse::<u64>() {
            Ok(n) if part.chars().all(|c| c.is_ascii_digit()) => label.push_str(&format!("{n:04}")),
            _ => label.push_str(part),
        }
    }
    if !label.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err(bad("the prerelease label must start with a letter"));
    }
    Ok(format!("{base}-{label}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        for ok in ["demo", "my-tool", "a1.portable", "x"] {
            check_id(ok).unwrap();
        }
        for bad in ["", "Demo", "my_tool", "a--b", "-a", "a.", "a b", &"a".repeat(101)] {
            assert!(check_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn versions() {
        let v = |s: &str| choco_version(&semver::Version::parse(s).unwrap());
        assert_eq!(v("1.2.3").unwrap(), "1.2.3");
        assert_eq!(v("1.2.3-rc.2").unwrap(), "1.2.3-rc0002");
        assert_eq!(v("1.2.3-beta").unwrap(), "1.2.3-beta");
        assert_eq!(v("0.1.0-alpha.10.x").unwrap(), "0.1.0-alpha0010x");
        for bad in ["1.2.3+b5", "1.2.3-1", "1.2.3-rc-1", "1.2.3-1.rc"] {
            assert!(v(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn urls() {
        let mut c: ChocolateyConfig = serde_json::from_value(serde_json::json!({})).unwrap();
        assert!(c.is_community() && c.is_moderated());
        assert_eq!(c.push(), COMMUNITY_PUSH);
        c.feed_url = Some("http://127.0.0.1:9/api/v2".into());
        assert_eq!(c.push(), "http://127.0.0.1:9/api/v2/package/");
        assert!(!c.is_moderated());
        c.tags = vec!["chocolatey".into()];
        assert!(c.validate(&Project { name: "demo".into(), ..Default::default() }).is_err());
    }
}
