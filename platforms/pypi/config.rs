//! `platforms.pypi` in pipeline.yaml. The defaults target pypi.org; pypiserver, devpi,
//! TestPyPI and other legacy-upload indexes work by setting the URLs (see README.md).

use schemars::JsonSchema;
use serde::Deserialize;

/// How the check finds out which files are live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum CheckVia {
    /// Warehouse JSON API `GET {index_url}pypi/{name}/{version}/json` (pypi.org, TestPyPI);
    /// falls back to the simple API when that endpoint is missing or unreadable.
    #[default]
    Json,
    /// The simple API at `simple_url`: PEP 691 JSON when offered, else PEP 503 HTML
    /// (pypiserver, devpi, Artifactory, GitLab, ...).
    Simple,
}

/// `platforms.pypi`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PypiConfig {
    /// Legacy upload endpoint.
    #[schemars(extend("format" = "http-url"))]
    #[serde(default = "default_repository_url")]
    pub repository_url: String,
    /// Base of the warehouse JSON API (`{index_url}pypi/{name}/{version}/json`).
    #[schemars(extend("format" = "http-url"))]
    #[serde(default = "default_index_url")]
    pub index_url: String,
    /// Simple API root (PEP 691/503), e.g. `http://host/simple/`; default `{index_url}simple/`.
    #[schemars(extend("format" = "http-url"))]
    #[serde(default)]
    pub simple_url: Option<String>,
    /// Which API the check asks first.
    #[serde(default)]
    pub check_via: CheckVia,
    /// Distribution name on the index; default: the project name.
    #[serde(default)]
    pub package: Option<String>,
    /// Environment variable holding the API token (or password).
    #[schemars(extend("format" = "env-var-name"))]
    #[serde(default = "default_token_env")]
    pub token_env: String,
    /// Upload user name: `__token__` for API tokens.
    #[serde(default = "default_username")]
    pub username: String,
    /// `Requires-Python` written into METADATA (a native binary needs none; empty = omit).
    #[serde(default)]
    pub requires_python: Option<String>,
    /// How long `verify` waits for the files to be listed, in seconds.
    #[serde(default = "default_verify_secs")]
    pub verify_timeout_secs: u64,
}

fn default_repository_url() -> String {
    "https://upload.pypi.org/legacy/".into()
}
fn default_index_url() -> String {
    "https://pypi.org/".into()
}
fn default_token_env() -> String {
    "PYPI_TOKEN".into()
}
fn default_username() -> String {
    "__token__".into()
}
fn default_verify_secs() -> u64 {
    60
}

/// `url` with exactly one trailing slash.
pub fn with_slash(url: &str) -> String {
    format!("{}/", url.trim_end_matches('/'))
}

impl PypiConfig {
    pub fn simple_root(&self) -> String {
        match &self.simple_url {
            Some(u) => with_slash(u),
            None => format!("{}simple/", with_slash(&self.index_url)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn defaults_and_unknown_fields() {
        let c: PypiConfig = serde_json::from_value(serde_json::json!({})).unwrap();
        assert_eq!(c.repository_url, "https://upload.pypi.org/legacy/");
        assert_eq!(c.simple_root(), "https://pypi.org/simple/");
        assert_eq!(c.token_env, "PYPI_TOKEN");
        assert_eq!(c.username, "__token__");
        assert_eq!(c.check_via, CheckVia::Json);
        let e = serde_json::from_value::<PypiConfig>(serde_json::json!({"tokn_env": "X"}));
        assert!(e.is_err());
        let c: PypiConfig = serde_json::from_value(
            serde_json::json!({"check_via": "simple", "simple_url": "http://h/s"}),
        )
        .unwrap();
        assert_eq!(c.simple_root(), "http://h/s/");
    }
}
