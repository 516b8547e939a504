//! The `platforms.github` section of pipeline.yaml: where the release goes and how it looks.
//! Defaults follow GitHub.com; `api_url` points the adapter at GitHub Enterprise Server (or at
//! the in-process test double).

use crate::error::{Error, Result};
use schemars::JsonSchema;
use serde::Deserialize;

/// `platforms.github` in pipeline.yaml.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GithubConfig {
    /// Repository owner (user or organisation).
    pub owner: String,
    /// Repository name.
    pub repo: String,
    /// REST API root. `https://api.github.com`, or `https://HOST/api/v3` for GitHub Enterprise.
    #[schemars(extend("format" = "http-url"))]
    #[serde(default = "default_api_url")]
    pub api_url: String,
    /// Uploads root. When unset: the `upload_url` template GitHub returns with the release,
    /// else `https://uploads.github.com` for api.github.com, else `https://HOST/api/uploads`.
    #[schemars(extend("format" = "http-url"))]
    #[serde(default)]
    pub upload_url: Option<String>,
    /// Environment variable (or keyring entry) holding a token with `contents: write`.
    #[schemars(extend("format" = "env-var-name"))]
    #[serde(default = "default_token_env")]
    pub token_env: String,
    /// Leave the release as a draft (assets uploaded, not published).
    #[serde(default)]
    pub draft: bool,
    /// `auto` (default): a prerelease when the version has a pre-release part (`1.2.0-rc.1`).
    #[serde(default)]
    pub prerelease: Prerelease,
    /// Release title; `{tag}`, `{version}` and `{name}` (project name) are replaced.
    #[serde(default = "default_name")]
    pub name: String,
    /// Release notes (Markdown), same placeholders as `name`.
    #[serde(default)]
    pub body: Option<String>,
    /// Commit SHA or branch the tag is created from when it does not exist yet. Defaults to the
    /// release's commit (a SHA: a branch would move between draft creation and publication).
    #[serde(default)]
    pub target_commitish: Option<String>,
    /// What `tagship rollback` does to the release: `prerelease` (default: it stops being
    /// "latest", assets stay) or `draft` (hidden from everyone without push access; GitHub
    /// refuses that for an immutable release). Assets are never deleted.
    #[serde(default)]
    pub rollback: RollbackMode,
}

/// `rollback: prerelease | draft`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RollbackMode {
    #[default]
    Prerelease,
    Draft,
}

/// `prerelease: auto | true | false`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Prerelease {
    Flag(bool),
    Keyword(Auto),
}

/// The only keyword value of `prerelease`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Auto {
    Auto,
}

impl Default for Prerelease {
    fn default() -> Self {
        Prerelease::Keyword(Auto::Auto)
    }
}

impl Prerelease {
    /// Resolves `auto` against the version.
    pub fn resolve(self, version_is_pre: bool) -> bool {
        match self {
            Prerelease::Flag(b) => b,
            Prerelease::Keyword(Auto::Auto) => version_is_pre,
        }
    }
}

fn default_api_url() -> String {
    "https://api.github.com".into()
}
fn default_token_env() -> String {
    "GITHUB_TOKEN".into()
}
fn default_name() -> String {
    "{tag}".into()
}

/// JSON Schema of the section, for config validation.
pub fn schema() -> schemars::Schema {
    schemars::schema_for!(GithubConfig)
}

impl GithubConfig {
    /// Checks what serde cannot: URLs parse, names are plain path segments.
    pub fn validate(&self) -> Result<()> {
        for (field, v) in [("owner", &self.owner), ("repo", &self.repo)] {
            let bad = v.is_empty() || v.contains('/') || v.chars().any(char::is_whitespace);
            if bad {
                return Err(Error::config(format!(
                    "platforms.github.{field}: `{v}` is not a repository {field} (write owner and repo separately, without slashes)"
                )));
            }
        }
        let mut urls = vec![("api_url", self.api_url.as_str())];
        if let Some(u) = &self.upload_url {
            urls.push(("upload_url", u.as_str()));
        }
        for (field, u) in urls {
            url::Url::parse(u).map_err(|e| {
                Error::config(format!("platforms.github.{field}: invalid URL `{u}`: {e}"))
            })?;
        }
        Ok(())
    }

    /// API root without a trailing slash.
    pub fn api_base(&self) -> String {
        self.api_url.trim_end_matches('/').to_string()
    }

    /// Uploads root used when neither the config nor the release JSON gives one.
    pub fn uploads_base(&self) -> String {
        if let Some(u) = &self.upload_url {
            return u.trim_end_matches('/').to_string();
        }
        match url::Url::parse(&self.api_url) {
            Ok(u) if u.host_str() == Some("api.github.com") => "https://uploads.github.com".into(),
            Ok(u) => format!("{}/api/uploads", origin(&u)),
            Err(_) => "https://uploads.github.com".into(),
        }
    }

    /// Web root for predicted release pages and download URLs.
    pub fn web_base(&self) -> String {
        match url::Url::parse(&self.api_url) {
            Ok(u) if u.host_str() == Some("api.github.com") => "https://github.com".into(),
            Ok(u) => origin(&u),
            Err(_) => "https://github.com".into(),
        }
    }

    /// Fills `{tag}`, `{version}` and `{name}` in a title or body template.
    pub fn render(template: &str, tag: &str, version: &str, name: &str) -> String {
        template
            .replace("{tag}", tag)
            .replace("{version}", version)
            .replace("{name}", name)
    }
}

fn origin(u: &url::Url) -> String {
    u.origin().ascii_serialization()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: serde_json::Value) -> std::result::Result<GithubConfig, serde_json::Error> {
        serde_json::from_value(v)
    }

    #[test]
    fn defaults_and_derived_urls() {
        let c = parse(serde_json::json!({"owner": "o", "repo": "r"})).unwrap();
        assert_eq!(c.api_base(), "https://api.github.com");
        assert_eq!(c.uploads_base(), "https://uploads.github.com");
        assert_eq!(c.token_env, "GITHUB_TOKEN");
        assert!(c.prerelease.resolve(true) && !c.prerelease.resolve(false));
        let ghe = parse(serde_json::json!({"owner": "o", "repo": "r",
            "api_url": "https://ghe.example.com/api/v3", "prerelease": false}))
        .unwrap();
        assert_eq!(ghe.uploads_base(), "https://ghe.example.com/api/uploads");
        assert_eq!(ghe.web_base(), "https://ghe.example.com");
        assert!(!ghe.prerelease.resolve(true));
    }

    #[test]
    fn rejects_unknown_fields_and_bad_values() {
        assert!(parse(serde_json::json!({"owner": "o", "repo": "r", "tokn": "x"})).is_err());
        assert!(
            parse(serde_json::json!({"owner": "o", "repo": "r", "prerelease": "yes"})).is_err()
        );
        let c = parse(serde_json::json!({"owner": "o/r", "repo": "r"})).unwrap();
        assert!(c.validate().is_err());
    }
}
