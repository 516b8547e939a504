//! `platforms.pep503` in pipeline.yaml: where the static index lives (a git branch, or a
//! plain directory) and how its links are written.

pub use crate::platforms::wheel::project::{Mode, ProjectBuild};
use schemars::JsonSchema;
use serde::Deserialize;

/// `platforms.pep503`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Pep503Config {
    /// Git URL or path of the repository holding the index (e.g. the GitHub Pages repo).
    #[serde(default)]
    pub repo: Option<String>,
    /// Branch of `repo` holding the index; created (orphan) when missing.
    #[serde(default = "default_branch")]
    pub branch: String,
    /// A local directory holding the index instead of a git branch (relative to pipeline.yaml).
    #[serde(default)]
    pub dir: Option<String>,
    /// Subdirectory of the branch/dir where `simple/`, `files/` and `packages.json` live.
    #[serde(default)]
    pub path: Option<String>,
    /// URL where the files of `files/` are served (wheels and their `.metadata`), e.g. a CDN;
    /// default: relative links (`../../files/<wheel>`), which work wherever the index is hosted.
    #[schemars(extend("format" = "http-url"))]
    #[serde(default)]
    pub base_url: Option<String>,
    /// Distribution name; default: the project name.
    #[serde(default)]
    pub package: Option<String>,
    /// `Requires-Python` for METADATA and `data-requires-python` (empty = omit).
    #[serde(default)]
    pub requires_python: Option<String>,
    /// Env var with an HTTPS token for git (sent as an `Authorization: Basic` header with
    /// user `x-access-token`); default: git's own credentials (ssh key, credential helper).
    #[schemars(extend("format" = "env-var-name"))]
    #[serde(default)]
    pub token_env: Option<String>,
    /// Env var holding an ssh private key (its text) for an ssh `repo`; written to a 0600
    /// temp file for the push and removed afterwards. Default: ssh's own keys and agent.
    #[serde(default)]
    pub ssh_key_env: Option<String>,
    /// known_hosts file the ssh host key is checked against (strictly; relative to
    /// pipeline.yaml). Default: ssh's own known_hosts.
    #[serde(default)]
    pub known_hosts: Option<String>,
    /// Name on the index commits (author and committer).
    #[serde(default = "default_author_name")]
    pub author_name: String,
    /// Email on the index commits (author and committer).
    #[serde(default = "default_author_email")]
    pub author_email: String,
    /// `binary` (wheels around the release's binaries) or `project` (the wheels and sdist
    /// the project's own build command writes, see `build`).
    #[serde(default)]
    pub mode: Mode,
    /// `mode: project`: the build command, the project directory and where it writes.
    #[serde(default)]
    pub build: ProjectBuild,
}

fn default_author_name() -> String {
    crate::git::Author::default().name
}

fn default_author_email() -> String {
    crate::git::Author::default().email
}

fn default_branch() -> String {
    "gh-pages".into()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn defaults() {
        let c: Pep503Config =
            serde_json::from_value(serde_json::json!({"repo": "git@h:o/r.git"})).unwrap();
        assert_eq!(c.branch, "gh-pages");
        assert!(serde_json::from_value::<Pep503Config>(serde_json::json!({"dirr": "x"})).is_err());
    }
}
