//! `platforms.pypi` in pipeline.yaml. The defaults target pypi.org; pypiserver, devpi,
//! TestPyPI and other legacy-upload indexes work by setting the URLs (see README.md).

use crate::error::{Error, Result};
pub use crate::platforms::wheel::project::{Mode, ProjectBuild};
use schemars::JsonSchema;
use serde::Deserialize;
use std::path::Path;

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
    /// `token` (the token in `token_env`), `oidc` (trusted publishing: the CI's ID token
    /// exchanged at `{index_url}_/oidc/mint-token`) or `auto` (the default: OIDC when the
    /// job has `id-token: write` and `token_env` is not set).
    #[serde(default)]
    pub auth: crate::oidc::AuthMode,
    /// Upload user name: `__token__` for API tokens.
    #[serde(default = "default_username")]
    pub username: String,
    /// `Requires-Python` written into METADATA (a native binary needs none; empty = omit).
    #[serde(default)]
    pub requires_python: Option<String>,
    /// How long `verify` waits for the files to be listed, in seconds.
    #[serde(default = "default_verify_secs")]
    pub verify_timeout_secs: u64,
    /// Largest wheel the index accepts, in bytes. PyPI's default is 100 MiB per file; a
    /// project with a raised limit sets its own here.
    #[serde(default = "default_max_file_size")]
    pub max_file_size: u64,
    /// README sent as the project page (`description`), relative to pipeline.yaml; its
    /// content type follows the extension (.md markdown, .rst reStructuredText, else plain).
    /// Default: README.md next to pipeline.yaml when it exists. (`mode: project` sends the
    /// README inside each file's METADATA instead.)
    #[serde(default)]
    pub readme: Option<String>,
    /// `binary` (wheels around the release's binaries) or `project` (the wheels and sdist
    /// the project's own build command writes, see `build`).
    #[serde(default)]
    pub mode: Mode,
    /// `mode: project`: the build command, the project directory and where it writes.
    #[serde(default)]
    pub build: ProjectBuild,
}

/// PyPI's default per-file upload limit (warehouse `project.upload_limit_size`).
pub const PYPI_MAX_FILE_SIZE: u64 = 100 * 1024 * 1024;

fn default_max_file_size() -> u64 {
    PYPI_MAX_FILE_SIZE
}

/// The long description sent with each upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readme {
    /// The file as named in messages (relative to pipeline.yaml).
    pub file: String,
    pub text: String,
    /// `text/markdown`, `text/x-rst` or `text/plain`.
    pub content_type: String,
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
    /// The README to send: the configured one (missing = input error), else README.md next
    /// to pipeline.yaml when present, else none.
    pub fn readme(&self, root: &Path) -> Result<Option<Readme>> {
        let (file, required) = match &self.readme {
            Some(f) => (f.clone(), true),
            None => ("README.md".to_string(), false),
        };
        let path = root.join(&file);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(_) if !required => return Ok(None),
            Err(e) => {
                return Err(Error::config(format!(
                    "pipeline.yaml: `platforms.pypi.readme`: cannot read {}: {e}",
                    path.display()
                ))
                .with_hint(
                    "name an existing README relative to pipeline.yaml, or remove `readme`",
                ))
            }
        };
        let lower = file.to_ascii_lowercase();
        let content_type = if lower.ends_with(".md") || lower.ends_with(".markdown") {
            "text/markdown"
        } else if lower.ends_with(".rst") {
            "text/x-rst"
        } else {
            "text/plain"
        };
        Ok(Some(Readme {
            file,
            text,
            content_type: content_type.into(),
        }))
    }

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
        assert_eq!(c.max_file_size, 100 * 1024 * 1024);
        let e = serde_json::from_value::<PypiConfig>(serde_json::json!({"tokn_env": "X"}));
        assert!(e.is_err());
        let c: PypiConfig = serde_json::from_value(
            serde_json::json!({"check_via": "simple", "simple_url": "http://h/s"}),
        )
        .unwrap();
        assert_eq!(c.simple_root(), "http://h/s/");
    }

    #[test]
    fn readme_default_configured_and_missing() {
        let dir = tempfile::tempdir().unwrap();
        let c: PypiConfig = serde_json::from_value(serde_json::json!({})).unwrap();
        assert_eq!(c.readme(dir.path()).unwrap(), None);
        std::fs::write(dir.path().join("README.md"), "# hi\n").unwrap();
        let r = c.readme(dir.path()).unwrap().unwrap();
        assert_eq!(
            (r.text.as_str(), r.content_type.as_str()),
            ("# hi\n", "text/markdown")
        );
        let c: PypiConfig =
            serde_json::from_value(serde_json::json!({"readme": "docs/README.rst"})).unwrap();
        let e = c.readme(dir.path()).unwrap_err();
        assert!(e.message().contains("platforms.pypi.readme"), "{e:?}");
        std::fs::create_dir(dir.path().join("docs")).unwrap();
        std::fs::write(dir.path().join("docs/README.rst"), "Hi\n==\n").unwrap();
        assert_eq!(
            c.readme(dir.path()).unwrap().unwrap().content_type,
            "text/x-rst"
        );
    }
}
