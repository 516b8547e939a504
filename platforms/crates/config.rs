//! The `platforms.crates` section of pipeline.yaml: which registry, which crate, which token.
//! Defaults follow crates.io; `registry` + `index` point the adapter at an alternative
//! registry (a company registry, or the local test registry).

use crate::error::{Error, Result};
use schemars::JsonSchema;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The sparse index of crates.io.
pub const CRATES_IO_INDEX: &str = "https://index.crates.io/";
/// What cargo calls crates.io in the `registry` field of a dependency published elsewhere.
pub const CRATES_IO_GIT_INDEX: &str = "https://github.com/rust-lang/crates.io-index";

/// `platforms.crates` in pipeline.yaml.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CratesConfig {
    /// Registry name as cargo knows it (`[registries.NAME]`); absent = crates.io. Passed to
    /// `cargo package --registry` so dependencies resolve against it.
    #[serde(default)]
    pub registry: Option<String>,
    /// Sparse index URL (`sparse+` prefix optional). Default `https://index.crates.io/`;
    /// required when `registry` is set.
    #[schemars(extend("format" = "sparse-index-url"))]
    #[serde(default)]
    pub index: Option<String>,
    /// Web API root, e.g. `https://crates.io`. Default: the `api` field of the index's
    /// `config.json`.
    #[schemars(extend("format" = "http-url"))]
    #[serde(default)]
    pub api: Option<String>,
    /// Environment variable (or keyring entry) holding the API token.
    #[schemars(extend("format" = "env-var-name"))]
    #[serde(default = "default_token_env")]
    pub token_env: String,
    /// `token` (the token in `token_env`), `oidc` (trusted publishing: the CI's ID token
    /// exchanged at `{api}/api/v1/trusted_publishing/tokens`, revoked when done) or `auto`
    /// (the default: OIDC when the job has `id-token: write` and `token_env` is not set).
    #[serde(default)]
    pub auth: crate::oidc::AuthMode,
    /// Path to Cargo.toml, relative to pipeline.yaml (default `Cargo.toml`).
    #[serde(default)]
    pub manifest: Option<String>,
    /// Crate name (default: `[package].name` of the manifest). Needed for a workspace root.
    #[serde(default)]
    pub package: Option<String>,
    /// Pass `--allow-dirty` to `cargo package` (uncommitted changes in a git checkout).
    #[serde(default)]
    pub allow_dirty: bool,
    /// Which registry rules `package` checks the packaged crate against (`rules.rs`):
    /// `crates-io` or `none`. Default: `crates-io` when publishing to crates.io, else `none`
    /// (an alternative registry may allow what crates.io refuses, e.g. crates.io deps).
    #[serde(default)]
    pub rules: Option<CratesRules>,
    /// Publish every publishable member of the workspace whose root is `manifest`, in
    /// dependency order (`cargo publish --workspace`): members with `publish = false`, or
    /// whose `publish` list does not name this registry, are left out.
    #[serde(default)]
    pub workspace: bool,
    /// Publish exactly these workspace members (and no others), in dependency order.
    /// Implies `workspace`.
    #[serde(default)]
    pub members: Option<Vec<String>>,
    /// How fast uploads may go (`pace.rs`). Default: crates.io's publish limits when the
    /// registry is crates.io, no pacing elsewhere; `{}` turns pacing off.
    #[serde(default)]
    pub pace: Option<super::pace::Pace>,
    /// Workspace: how long to wait for the index to show a member before publishing the
    /// members that depend on it (seconds).
    #[serde(default = "default_index_wait_secs")]
    pub index_wait_secs: u64,
    /// Workspace: how often the index is read while waiting (milliseconds).
    #[serde(default = "default_index_poll_ms")]
    pub index_poll_ms: u64,
}

/// The rule sets `platforms.crates.rules` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CratesRules {
    /// What crates.io's publish endpoint refuses (description, license, URLs, keywords, ...).
    CratesIo,
    /// No preflight beyond what cargo itself checks.
    None,
}

pub fn default_token_env() -> String {
    "CARGO_REGISTRY_TOKEN".into()
}

/// crates.io's index usually shows a new version within seconds; its CDN can lag minutes.
fn default_index_wait_secs() -> u64 {
    300
}

fn default_index_poll_ms() -> u64 {
    2000
}

impl CratesConfig {
    /// Checks what serde cannot: URLs parse, a named registry has an index.
    pub fn validate(&self) -> Result<()> {
        if self.registry.is_some() && self.index.is_none() {
            return Err(Error::config(
                "platforms.crates: `index` is required when `registry` is set \
                 (the sparse index URL of that registry, e.g. sparse+https://my.registry/index/)",
            ));
        }
        if let Some(r) = &self.registry {
            let ok = !r.is_empty()
                && r.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !ok {
                return Err(Error::config(format!(
                    "platforms.crates.registry: `{r}` is not a valid cargo registry name"
                )));
            }
        }
        if self.is_workspace() && self.package.is_some() {
            return Err(Error::config(
                "platforms.crates: `package` names one crate; `workspace`/`members` publish several. Set one of them",
            ));
        }
        if self.members.as_ref().is_some_and(Vec::is_empty) {
            return Err(Error::config(
                "platforms.crates.members is empty: list member crates, or use `workspace: true`",
            ));
        }
        let index = self.index_url();
        url::Url::parse(&index)
            .map_err(|e| Error::config(format!("platforms.crates.index: `{index}`: {e}")))?;
        if let Some(api) = &self.api {
            url::Url::parse(api)
                .map_err(|e| Error::config(format!("platforms.crates.api: `{api}`: {e}")))?;
        }
        Ok(())
    }

    /// The index as an HTTP URL: no `sparse+` prefix, with a trailing slash.
    pub fn index_url(&self) -> String {
        normalize_index(self.index.as_deref().unwrap_or(CRATES_IO_INDEX))
    }

    /// The index as cargo spells it (`sparse+https://…/`), for `CARGO_REGISTRIES_*_INDEX`.
    pub fn cargo_index(&self) -> String {
        format!("sparse+{}", self.index_url())
    }

    /// Whether this is crates.io (deps without `registry-index` then need no `registry`).
    pub fn is_crates_io(&self) -> bool {
        same_index(&self.index_url(), CRATES_IO_INDEX)
    }

    /// Whether `package` checks crates.io's publish rules.
    pub fn crates_io_rules(&self) -> bool {
        match self.rules {
            Some(r) => r == CratesRules::CratesIo,
            None => self.is_crates_io(),
        }
    }

    /// Whether several workspace members are published (`workspace` or `members`).
    pub fn is_workspace(&self) -> bool {
        self.workspace || self.members.is_some()
    }

    /// The registry's name in `package.publish` lists (`crates-io` for crates.io).
    pub fn registry_name(&self) -> &str {
        self.registry.as_deref().unwrap_or("crates-io")
    }

    /// The pacing in force: the setting, else crates.io's limits on crates.io.
    pub fn pace(&self) -> super::pace::Pace {
        match &self.pace {
            Some(p) => p.clone(),
            None if self.is_crates_io() => super::pace::Pace::crates_io(),
            None => super::pace::Pace::default(),
        }
    }

    /// The manifest as the user names it in messages (relative to pipeline.yaml).
    pub fn manifest_name(&self) -> &str {
        self.manifest.as_deref().unwrap_or("Cargo.toml")
    }

    /// Absolute path of the manifest.
    pub fn manifest_path(&self, root: &Path) -> PathBuf {
        root.join(self.manifest.as_deref().unwrap_or("Cargo.toml"))
    }

    /// `CARGO_REGISTRIES_<NAME>_INDEX`: how cargo learns the index without a config file.
    pub fn registry_env(&self) -> Option<(String, String)> {
        self.registry.as_ref().map(|r| {
            let var = format!(
                "CARGO_REGISTRIES_{}_INDEX",
                r.to_ascii_uppercase().replace('-', "_")
            );
            (var, self.cargo_index())
        })
    }
}

/// Strips `sparse+` and ensures a trailing slash.
pub fn normalize_index(s: &str) -> String {
    let s = s.trim();
    let s = s.strip_prefix("sparse+").unwrap_or(s);
    if s.ends_with('/') {
        s.to_string()
    } else {
        format!("{s}/")
    }
}

/// Whether two index URLs name the same registry (crates.io has a git and a sparse URL).
pub fn same_index(a: &str, b: &str) -> bool {
    fn canon(s: &str) -> String {
        let s = s.trim();
        let s = s
            .strip_prefix("sparse+")
            .or_else(|| s.strip_prefix("registry+"))
            .unwrap_or(s);
        let s = s.trim_end_matches('/').trim_end_matches(".git");
        if s == CRATES_IO_GIT_INDEX || s == CRATES_IO_INDEX.trim_end_matches('/') {
            return "crates.io".into();
        }
        s.to_ascii_lowercase()
    }
    canon(a) == canon(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(v: serde_json::Value) -> Result<CratesConfig> {
        let c: CratesConfig = crate::platform::section("crates", &v)?;
        c.validate()?;
        Ok(c)
    }

    #[test]
    fn defaults_are_crates_io() {
        let c = cfg(serde_json::json!({})).unwrap();
        assert_eq!(c.index_url(), "https://index.crates.io/");
        assert!(c.is_crates_io());
        assert_eq!(c.token_env, "CARGO_REGISTRY_TOKEN");
        assert_eq!(c.registry_env(), None);
        assert!(c.crates_io_rules());
        let alt = cfg(serde_json::json!({"registry": "r", "index": "http://h/i/"})).unwrap();
        assert!(!alt.crates_io_rules());
        let strict =
            cfg(serde_json::json!({"index": "http://h/i/", "rules": "crates-io"})).unwrap();
        assert!(strict.crates_io_rules());
    }

    #[test]
    fn alternative_registry() {
        let c = cfg(serde_json::json!({"registry": "my-reg", "index": "sparse+http://h:1/index"}))
            .unwrap();
        assert_eq!(c.index_url(), "http://h:1/index/");
        assert!(!c.is_crates_io());
        assert_eq!(
            c.registry_env(),
            Some((
                "CARGO_REGISTRIES_MY_REG_INDEX".into(),
                "sparse+http://h:1/index/".into()
            ))
        );
    }

    #[test]
    fn rejects_bad_sections() {
        assert!(cfg(serde_json::json!({"registry": "x"})).is_err());
        assert!(cfg(serde_json::json!({"regsitry": "x"})).is_err());
        assert!(cfg(serde_json::json!({"index": "not a url"})).is_err());
        assert!(cfg(serde_json::json!({"workspace": true, "package": "a"})).is_err());
        assert!(cfg(serde_json::json!({"members": []})).is_err());
    }

    #[test]
    fn crates_io_aliases() {
        assert!(same_index(
            "https://github.com/rust-lang/crates.io-index",
            "sparse+https://index.crates.io/"
        ));
        assert!(same_index("sparse+http://a/index/", "http://a/index"));
        assert!(!same_index("http://a/index/", "http://b/index/"));
    }
}
