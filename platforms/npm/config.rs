//! The `platforms.npm` section of pipeline.yaml. Defaults follow registry.npmjs.org and the
//! esbuild/biome layout (one package per target plus a root package with a Node launcher);
//! `mode: package_json` publishes an existing npm package directory instead.

use crate::error::{Error, Result};
use crate::plan::Project;
use schemars::JsonSchema;
use serde::Deserialize;

/// `platforms.npm` in pipeline.yaml.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NpmConfig {
    /// Registry root, e.g. `https://registry.npmjs.org/` or a Verdaccio URL.
    #[schemars(extend("format" = "http-url"))]
    #[serde(default = "default_registry")]
    pub registry: String,
    /// Name of the root package users install (`@acme/tool` or `tool`). Default: the
    /// project name, under `scope` when one is set.
    #[serde(default)]
    pub package: Option<String>,
    /// Scope of the generated packages, e.g. `@acme`. Platform packages are named
    /// `{scope}/{name}-{os}-{cpu}`, or `{name}-{os}-{cpu}` without a scope (refused on
    /// registry.npmjs.org, whose spam detection rejects such names).
    #[serde(default)]
    pub scope: Option<String>,
    /// Environment variable (or keyring entry) holding an npm automation/granular token.
    #[schemars(extend("format" = "env-var-name"))]
    #[serde(default = "default_token_env")]
    pub token_env: String,
    /// `token` (the token in `token_env`), `oidc` (trusted publishing: the CI's ID token
    /// exchanged per package at `-/npm/v1/oidc/token/exchange/package/…`) or `auto` (the
    /// default: OIDC when the job has `id-token: write` and `token_env` is not set).
    #[serde(default)]
    pub auth: crate::oidc::AuthMode,
    /// Environment variable holding a one-time password (2FA), sent as `npm-otp`. Optional.
    #[schemars(extend("format" = "env-var-name"))]
    #[serde(default = "default_otp_env")]
    pub otp_env: String,
    /// dist-tag to publish under. Default: `latest`, or `next` for a prerelease.
    #[serde(default)]
    pub tag: Option<String>,
    /// `public` or `restricted`, sent with every publish. Default: `public` for a new scoped
    /// package, nothing otherwise (an existing package keeps its access).
    #[serde(default)]
    pub access: Option<Access>,
    /// Command name installed by the root package. Default: the project name.
    #[serde(default)]
    pub bin: Option<String>,
    /// `binary` (default): generate per-target packages from the built binaries.
    /// `package_json`: publish the npm package in `path` as it is.
    #[serde(default)]
    pub mode: Mode,
    /// Directory holding package.json for `mode: package_json`, relative to pipeline.yaml.
    #[serde(default)]
    pub path: Option<String>,
    /// `mode: package_json` only: `path` is the root of an npm/pnpm workspace; publish
    /// every public package of it in dependency order (see README.md, "Workspaces").
    #[serde(default)]
    pub workspace: bool,
    /// Seconds to wait, before publishing the root package, for installers to see every
    /// platform package (npmjs's CDN serves the packument stale for minutes). Default 300.
    #[serde(default = "default_visibility_timeout")]
    pub visibility_timeout: u64,
    /// Staged publishing (`npm stage publish`): every package goes to the registry's stage
    /// and stays `pending` until a maintainer approves it with 2FA. In `mode: binary` the
    /// root package is staged only once its platform packages are approved and installable.
    #[serde(default)]
    pub stage: bool,
    /// Milliseconds between two publish requests (PUTs or stage requests) of one run, so a
    /// large fan-out does not burst into npmjs's rate limits. Default: 1000 on
    /// registry.npmjs.org, 0 elsewhere.
    #[serde(default)]
    pub publish_interval_ms: Option<u64>,
}

/// How the packages are made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    #[default]
    Binary,
    PackageJson,
}

/// Package access level sent with the publish document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    Public,
    Restricted,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Public => "public",
            Access::Restricted => "restricted",
        }
    }
}

fn default_registry() -> String {
    "https://registry.npmjs.org/".into()
}
fn default_token_env() -> String {
    "NPM_TOKEN".into()
}
fn default_otp_env() -> String {
    "NPM_OTP".into()
}
fn default_visibility_timeout() -> u64 {
    300
}

/// JSON Schema of the section.
pub fn schema() -> schemars::Schema {
    schemars::schema_for!(NpmConfig)
}

/// npm's name rules (npm/validate-npm-package-name), the subset that matters for new names:
/// lowercase, URL-safe, at most 214 characters, no leading dot or underscore.
pub fn valid_name(name: &str) -> bool {
    let bare = match name.strip_prefix('@') {
        Some(rest) => match rest.split_once('/') {
            Some((scope, n)) if valid_part(scope) && valid_part(n) => return name.len() <= 214,
            _ => return false,
        },
        None => name,
    };
    valid_part(bare) && name.len() <= 214
}

fn valid_part(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(['.', '_'])
        && s.chars().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.' | '_' | '~')
        })
}

impl NpmConfig {
    /// Registry root with exactly one trailing slash.
    pub fn registry_base(&self) -> String {
        format!("{}/", self.registry.trim_end_matches('/'))
    }

    /// The scope with its `@`, if any.
    pub fn scope(&self) -> Option<String> {
        self.scope.as_ref().map(|s| {
            let s = s.trim_end_matches('/');
            if s.starts_with('@') {
                s.to_string()
            } else {
                format!("@{s}")
            }
        })
    }

    /// The root package name.
    pub fn root_name(&self, project: &Project) -> String {
        match (&self.package, self.scope()) {
            (Some(p), _) => p.clone(),
            (None, Some(scope)) => format!("{scope}/{}", project.name),
            (None, None) => project.name.clone(),
        }
    }

    /// The command name.
    pub fn bin_name(&self, project: &Project) -> String {
        self.bin.clone().unwrap_or_else(|| project.name.clone())
    }

    /// Base of the platform package names (`{scope}/{base}-{os}-{cpu}`): the root name without
    /// its scope. With `scope` unset but a scoped `package`, the package's scope is used.
    pub fn platform_prefix(&self, project: &Project) -> String {
        let root = self.root_name(project);
        let (root_scope, base) = match root.strip_prefix('@').and_then(|r| r.split_once('/')) {
            Some((s, b)) => (Some(format!("@{s}")), b.to_string()),
            None => (None, root.clone()),
        };
        match self.scope().or(root_scope) {
            Some(s) => format!("{s}/{base}"),
            None => base,
        }
    }

    /// The pause between two publish requests (`publish_interval_ms`, else its default).
    pub fn publish_interval(&self) -> std::time::Duration {
        let default = if self.registry_base().contains("registry.npmjs.org") {
            1000
        } else {
            0
        };
        std::time::Duration::from_millis(self.publish_interval_ms.unwrap_or(default))
    }

    /// The dist-tag for this version: config, else `next` for prereleases, else `latest`.
    pub fn dist_tag(&self, prerelease: bool) -> String {
        match &self.tag {
            Some(t) => t.clone(),
            None if prerelease => "next".into(),
            None => "latest".into(),
        }
    }

    /// Checks what the schema cannot.
    pub fn validate(&self, project: &Project) -> Result<()> {
        let reg = url::Url::parse(&self.registry)
            .map_err(|e| Error::config(format!("platforms.npm.registry: {e}")))?;
        if !matches!(reg.scheme(), "http" | "https") {
            return Err(Error::config(
                "platforms.npm.registry: must be an http(s) URL",
            ));
        }
        if let Some(s) = self.scope() {
            if !valid_name(&format!("{s}/x")) {
                return Err(Error::config(format!(
                    "platforms.npm.scope: `{s}` is not a valid npm scope (lowercase, URL-safe)"
                )));
            }
        }
        if self.mode == Mode::Binary && self.workspace {
            return Err(Error::config(
                "platforms.npm.workspace: applies to mode: package_json only",
            ));
        }
        if self.mode == Mode::Binary {
            let root = self.root_name(project);
            if !valid_name(&root) {
                return Err(Error::config(format!(
                    "platforms.npm.package: `{root}` is not a valid npm package name"
                ))
                .with_hint("npm names are lowercase, URL-safe and at most 214 characters; set platforms.npm.package"));
            }
            let bin = self.bin_name(project);
            if bin.is_empty() || bin.contains(['/', '\\']) || bin.starts_with('.') {
                return Err(Error::config(format!(
                    "platforms.npm.bin: `{bin}` is not a valid command name"
                )));
            }
        } else if self.workspace && self.package.is_some() {
            return Err(Error::config(
                "platforms.npm: `package` names one package; with `workspace: true` every public package of the workspace is published",
            ));
        } else if self.bin.is_some() || self.scope.is_some() {
            return Err(Error::config(
                "platforms.npm: `bin` and `scope` apply to mode: binary only; mode: package_json publishes package.json as it is",
            ));
        }
        if let Some(Access::Restricted) = self.access {
            if !self.root_name(project).starts_with('@') && self.mode == Mode::Binary {
                return Err(Error::config(
                    "platforms.npm.access: `restricted` needs a scoped package",
                ));
            }
        }
        super::rules::refuse(super::rules::config_violations(self, project))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(v: serde_json::Value) -> NpmConfig {
        serde_json::from_value(v).unwrap()
    }
    fn project() -> Project {
        Project {
            name: "demo".into(),
            ..Default::default()
        }
    }

    #[test]
    fn names_follow_scope_and_package() {
        let p = project();
        let c = cfg(serde_json::json!({}));
        assert_eq!(c.root_name(&p), "demo");
        assert_eq!(c.platform_prefix(&p), "demo");
        let c = cfg(serde_json::json!({"scope": "acme"}));
        assert_eq!(c.root_name(&p), "@acme/demo");
        assert_eq!(c.platform_prefix(&p), "@acme/demo");
        let c = cfg(serde_json::json!({"package": "@acme/cli"}));
        assert_eq!(c.platform_prefix(&p), "@acme/cli");
        let c = cfg(serde_json::json!({"package": "democli", "scope": "@acme"}));
        assert_eq!(c.root_name(&p), "democli");
        assert_eq!(c.platform_prefix(&p), "@acme/democli");
    }

    #[test]
    fn tags_and_validation() {
        let p = project();
        let c = cfg(serde_json::json!({}));
        assert_eq!(c.dist_tag(true), "next");
        assert_eq!(c.dist_tag(false), "latest");
        assert_eq!(
            cfg(serde_json::json!({"tag": "beta"})).dist_tag(false),
            "beta"
        );
        // Unscoped platform packages on npmjs are refused; elsewhere, or scoped, they pass.
        let e = c.validate(&p).unwrap_err();
        assert!(e.message().contains("platforms.npm.scope"), "{e:?}");
        assert!(cfg(serde_json::json!({"scope": "acme"})).validate(&p).is_ok());
        assert!(cfg(serde_json::json!({"registry": "http://127.0.0.1:4873/"}))
            .validate(&p)
            .is_ok());
        let e = cfg(serde_json::json!({"scope": "acme", "tag": "v1"}))
            .validate(&p)
            .unwrap_err();
        assert!(e.message().contains("semver range"), "{e:?}");
        assert!(cfg(serde_json::json!({"package": "Demo"}))
            .validate(&p)
            .is_err());
        assert!(cfg(serde_json::json!({"registry": "ftp://x/"}))
            .validate(&p)
            .is_err());
        assert!(serde_json::from_value::<NpmConfig>(serde_json::json!({"nope": 1})).is_err());
        assert_eq!(c.publish_interval(), std::time::Duration::from_secs(1));
        let local = cfg(serde_json::json!({"registry": "http://127.0.0.1:4873/"}));
        assert_eq!(local.publish_interval(), std::time::Duration::ZERO);
        let set = cfg(serde_json::json!({"publish_interval_ms": 250}));
        assert_eq!(set.publish_interval(), std::time::Duration::from_millis(250));
        assert!(valid_name("@a/b-c.d"));
        assert!(!valid_name("@a/"));
        assert!(!valid_name("_x"));
    }
}
