//! The `platforms.winget` section of pipeline.yaml: the package's identity in winget-pkgs, the
//! fork the pull request comes from, and the GitHub API it goes through. Everything WinGet
//! would refuse (an identifier that is not `Publisher.Name`, a too-short description) is
//! refused here, before anything is sent.

use crate::error::{Error, Result};
use crate::plan::Project;
use schemars::JsonSchema;
use serde::Deserialize;

/// `platforms.winget` in pipeline.yaml.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WingetConfig {
    /// `PackageIdentifier`, e.g. `Acme.Demo`: 2 to 8 dot-separated parts.
    pub identifier: String,
    /// `Publisher` (2–256 characters).
    pub publisher: String,
    /// `PackageName`; defaults to the project name.
    #[serde(default)]
    pub package_name: Option<String>,
    /// `Moniker`, the short name users type (`winget install demo`); optional.
    #[serde(default)]
    pub moniker: Option<String>,
    /// `License`; defaults to the project's license.
    #[serde(default)]
    pub license: Option<String>,
    /// `ShortDescription` (3–256 characters); defaults to the project's description.
    #[serde(default)]
    pub short_description: Option<String>,
    /// `PackageUrl`; defaults to the project's homepage, else its repository.
    #[serde(default)]
    pub homepage: Option<String>,
    /// The GitHub user or organisation owning the fork the pull request comes from.
    pub fork_owner: String,
    /// The repository pull requests go to.
    #[serde(default = "default_upstream")]
    pub upstream: String,
    /// REST API root (`https://HOST/api/v3` for GitHub Enterprise, or a test double).
    #[schemars(extend("format" = "http-url"))]
    #[serde(default = "default_api_url")]
    pub api_url: String,
    /// Variable holding a token with `public_repo` (classic) for the fork and the PR.
    #[schemars(extend("format" = "env-var-name"))]
    #[serde(default = "default_token_env")]
    pub token_env: String,
    /// Open a new pull request even when an earlier one for this version was closed without
    /// merging (by default that is reported and nothing is sent).
    #[serde(default)]
    pub resubmit: bool,
    /// What `tagship rollback` does: `pr` (a pull request removing the version folder) or
    /// `manual` (only says what to do).
    #[serde(default)]
    pub rollback: RollbackMode,
}

/// `rollback: pr | manual`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RollbackMode {
    #[default]
    Pr,
    Manual,
}

fn default_upstream() -> String {
    "microsoft/winget-pkgs".into()
}
fn default_api_url() -> String {
    "https://api.github.com".into()
}
fn default_token_env() -> String {
    "WINGET_TOKEN".into()
}

/// JSON Schema of the section, for config validation.
pub fn schema() -> schemars::Schema {
    schemars::schema_for!(WingetConfig)
}

/// The package's locale fields, resolved against the project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub identifier: String,
    pub publisher: String,
    pub package_name: String,
    pub moniker: Option<String>,
    pub license: String,
    pub short_description: String,
    pub homepage: Option<String>,
}

impl WingetConfig {
    /// Checks what serde cannot; `Error::config` (exit 2) on the first problem.
    pub fn validate(&self) -> Result<()> {
        valid_identifier(&self.identifier)?;
        let plain = |v: &str| !v.is_empty() && !v.contains('/') && !v.contains(char::is_whitespace);
        if !plain(&self.fork_owner) {
            return Err(Error::config(format!(
                "platforms.winget.fork_owner: `{}` is not a GitHub user or organisation",
                self.fork_owner
            )));
        }
        match self.upstream.split_once('/') {
            Some((o, r)) if plain(o) && plain(r) => {}
            _ => {
                return Err(Error::config(format!(
                    "platforms.winget.upstream: `{}` is not `owner/repo`",
                    self.upstream
                )))
            }
        }
        url::Url::parse(&self.api_url).map_err(|e| {
            Error::config(format!(
                "platforms.winget.api_url: invalid URL `{}`: {e}",
                self.api_url
            ))
        })?;
        Ok(())
    }

    /// `(owner, repo)` of the upstream repository.
    pub fn upstream(&self) -> (&str, &str) {
        self.upstream.split_once('/').unwrap_or(("microsoft", "winget-pkgs"))
    }

    /// API root without a trailing slash.
    pub fn api_base(&self) -> String {
        self.api_url.trim_end_matches('/').to_string()
    }

    /// The locale fields with the project's values filled in, checked against the limits of
    /// the 1.10.0 schemas.
    pub fn identity(&self, project: &Project) -> Result<Identity> {
        let id = Identity {
            identifier: self.identifier.clone(),
            publisher: self.publisher.clone(),
            package_name: self.package_name.clone().unwrap_or(project.name.clone()),
            moniker: self.moniker.clone(),
            license: self
                .license
                .clone()
                .or(project.license.clone())
                .unwrap_or_default(),
            short_description: self
                .short_description
                .clone()
                .unwrap_or(project.description.clone()),
            homepage: self
                .homepage
                .clone()
                .or(project.homepage.clone())
                .or(project.repository.clone()),
        };
        let fields = [
            ("publisher", &id.publisher, 2, 256),
            ("package_name", &id.package_name, 2, 256),
            ("license", &id.license, 3, 512),
            ("short_description", &id.short_description, 3, 256),
        ];
        for (field, v, min, max) in fields {
            let n = v.chars().count();
            if n < min || n > max {
                return Err(Error::config(format!(
                    "platforms.winget.{field}: `{v}` must have {min} to {max} characters (WinGet's manifest schema)"
                ))
                .with_hint(format!("set platforms.winget.{field} (or the project's value it defaults to)")));
            }
        }
        if let Some(m) = &id.moniker {
            if m.is_empty() || m.chars().count() > 40 || m.contains(char::is_whitespace) {
                return Err(Error::config(format!(
                    "platforms.winget.moniker: `{m}` must be 1 to 40 characters without spaces"
                )));
            }
        }
        if let Some(u) = &id.homepage {
            if !(u.starts_with("https://") || u.starts_with("http://")) {
                return Err(Error::config(format!(
                    "platforms.winget.homepage: `{u}` is not an http(s) URL"
                )));
            }
        }
        Ok(id)
    }
}

/// WinGet's `PackageIdentifier` rule: 2 to 8 dot-separated parts of 1 to 32 characters
/// without whitespace or `\/:*?"<>|` or control characters, 128 characters at most.
pub fn valid_identifier(id: &str) -> Result<()> {
    let parts: Vec<&str> = id.split('.').collect();
    let bad_char = |c: char| c.is_whitespace() || c.is_control() || "\\/:*?\"<>|".contains(c);
    let ok = id.chars().count() <= 128
        && (2..=8).contains(&parts.len())
        && parts
            .iter()
            .all(|p| (1..=32).contains(&p.chars().count()) && !p.contains(bad_char));
    if ok {
        return Ok(());
    }
    Err(Error::config(format!(
        "platforms.winget.identifier: `{id}` is not a WinGet PackageIdentifier"
    ))
    .with_hint("write `Publisher.Name` (2 to 8 dot-separated parts, each 1 to 32 characters, no spaces or \\/:*?\"<>|), e.g. `Acme.Demo`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        for good in ["Acme.Demo", "a.b.c", "Microsoft.VisualStudio.2022.Community"] {
            assert!(valid_identifier(good).is_ok(), "{good}");
        }
        for bad in ["Demo", "Acme..Demo", "Acme.De mo", "Acme.De/mo", ".Acme", "a.b.c.d.e.f.g.h.i"] {
            assert!(valid_identifier(bad).is_err(), "{bad}");
        }
        let long = format!("{}.x", "a".repeat(33));
        assert!(valid_identifier(&long).is_err());
    }

    #[test]
    fn defaults_and_limits() {
        let c: WingetConfig = serde_json::from_value(serde_json::json!({
            "identifier": "Acme.Demo", "publisher": "Acme", "fork_owner": "acme-bot"
        }))
        .unwrap();
        c.validate().unwrap();
        assert_eq!(c.upstream(), ("microsoft", "winget-pkgs"));
        assert_eq!(c.token_env, "WINGET_TOKEN");
        let p = Project {
            name: "demo".into(),
            description: "A demo tool".into(),
            license: Some("MIT".into()),
            ..Default::default()
        };
        let id = c.identity(&p).unwrap();
        assert_eq!((id.package_name.as_str(), id.license.as_str()), ("demo", "MIT"));
        let no_desc = Project {
            description: "x".into(),
            ..p
        };
        let e = c.identity(&no_desc).unwrap_err();
        assert!(e.to_string().contains("short_description"), "{e}");
    }
}
