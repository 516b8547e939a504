//! `platforms.homebrew` in pipeline.yaml: the tap repository the formula is committed to, how
//! git authenticates to it, and the formula's name and texts (defaults from `project:`).

use schemars::JsonSchema;
use serde::Deserialize;

/// `platforms.homebrew`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HomebrewConfig {
    /// The tap repository as git reaches it: `https://github.com/acme/homebrew-tap.git`,
    /// `ssh://git@github.com/acme/homebrew-tap.git`, `git@github.com:acme/homebrew-tap.git`,
    /// or a local path (relative to pipeline.yaml).
    pub repo: String,
    /// Branch of `repo` the formula is committed to.
    #[serde(default = "default_branch")]
    pub branch: String,
    /// Formula name (`brew install acme/tap/<name>`); default: the project name. Lowercase
    /// letters, digits and `-_.+@`, starting with a letter.
    #[serde(default)]
    pub formula: Option<String>,
    /// Directory of the formula inside the tap.
    #[serde(default = "default_directory")]
    pub directory: String,
    /// The binary `bin.install` installs and `test do` runs; default: the project name when
    /// such a binary is built, else the only binary.
    #[serde(default)]
    pub binary: Option<String>,
    /// `desc`; default: `project.description`.
    #[serde(default)]
    pub desc: Option<String>,
    /// `homepage`; default: `project.homepage`, else `project.repository`, else the GitHub
    /// repository page.
    #[schemars(extend("format" = "http-url"))]
    #[serde(default)]
    pub homepage: Option<String>,
    /// `license` (an SPDX id, or ids joined by ` OR ` / ` AND `); default: `project.license`.
    #[serde(default)]
    pub license: Option<String>,
    /// Env var with an HTTPS token allowed to push to the tap (`contents: write`); used when
    /// `repo` is an http(s) URL.
    #[schemars(extend("format" = "env-var-name"))]
    #[serde(default = "default_token_env")]
    pub token_env: String,
    /// Env var holding an ssh private key (its text) allowed to push to the tap; used when
    /// `repo` is an ssh address. Written to a 0600 file for the push and removed afterwards.
    #[schemars(extend("format" = "env-var-name"))]
    #[serde(default = "default_ssh_key_env")]
    pub ssh_key_env: String,
    /// known_hosts file the ssh host key is checked against, strictly (relative to
    /// pipeline.yaml). Default: ssh's own known_hosts.
    #[serde(default)]
    pub known_hosts: Option<String>,
    /// Name on the tap commits (author and committer).
    #[serde(default = "default_author_name")]
    pub author_name: String,
    /// Email on the tap commits (author and committer).
    #[serde(default = "default_author_email")]
    pub author_email: String,
    /// Replace a newer formula in the tap with this (older) version. Default: refused with a
    /// hint, so a backport release never moves users back.
    #[serde(default)]
    pub allow_downgrade: bool,
    /// `push` commits to `branch` with git; `pull_request` commits to a branch of the tap on
    /// GitHub through its API and opens a pull request to `branch`.
    #[serde(default)]
    pub mode: Mode,
    /// `pull_request` mode: the tap as `owner/name` on GitHub; default: the last two parts of
    /// `repo` (`https://github.com/acme/homebrew-tap.git` → `acme/homebrew-tap`).
    #[serde(default)]
    pub github_repo: Option<String>,
    /// `pull_request` mode: GitHub's REST root (GitHub Enterprise: `https://HOST/api/v3`).
    #[schemars(extend("format" = "http-url"))]
    #[serde(default = "default_api_url")]
    pub api_url: String,
}

/// How the formula reaches the tap.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// A commit pushed to `branch` (the git kit).
    #[default]
    Push,
    /// A branch and a pull request on GitHub (the pull-request kit).
    PullRequest,
}

fn default_api_url() -> String {
    "https://api.github.com".into()
}

fn default_branch() -> String {
    "main".into()
}

fn default_directory() -> String {
    "Formula".into()
}

fn default_token_env() -> String {
    "HOMEBREW_TAP_TOKEN".into()
}

fn default_ssh_key_env() -> String {
    "HOMEBREW_TAP_SSH_KEY".into()
}

fn default_author_name() -> String {
    crate::git::Author::default().name
}

fn default_author_email() -> String {
    crate::git::Author::default().email
}

/// How git reaches `repo`, judged from its spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// `http://` or `https://`: a token.
    Https,
    /// `ssh://…` or scp-style `user@host:path`: an ssh key.
    Ssh,
    /// A local path or `file://`: git's own access, no credential.
    Local,
}

impl HomebrewConfig {
    /// `owner/name` of the tap on GitHub: `github_repo`, else the end of `repo`.
    pub fn github_repo(&self) -> Option<String> {
        let full = match &self.github_repo {
            Some(r) => r.clone(),
            None => {
                let r = self.repo.trim_end_matches('/').trim_end_matches(".git");
                let parts: Vec<&str> = r.rsplit(['/', ':']).take(2).collect();
                format!("{}/{}", parts.get(1)?, parts.first()?)
            }
        };
        let plain = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        let (o, n) = full.split_once('/')?;
        (plain(o) && plain(n)).then_some(full)
    }

    pub fn transport(&self) -> Transport {
        let r = self.repo.as_str();
        if r.starts_with("http://") || r.starts_with("https://") {
            Transport::Https
        } else if r.starts_with("ssh://") || is_scp(r) {
            Transport::Ssh
        } else {
            Transport::Local
        }
    }
}

/// `host:path` or `user@host:path` (git's scp-like syntax): a `:` before any `/`, and more
/// than one character before it (`C:` is a drive letter).
pub fn is_scp(r: &str) -> bool {
    !r.contains("://")
        && r
            .split_once(':')
            .is_some_and(|(h, _)| !h.contains('/') && h.len() > 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(repo: &str) -> HomebrewConfig {
        serde_json::from_value(serde_json::json!({ "repo": repo })).unwrap()
    }

    #[test]
    fn defaults_and_transports() {
        let c = cfg("https://github.com/acme/homebrew-tap.git");
        assert_eq!(
            (c.branch.as_str(), c.directory.as_str()),
            ("main", "Formula")
        );
        assert_eq!(c.token_env, "HOMEBREW_TAP_TOKEN");
        assert_eq!(c.transport(), Transport::Https);
        assert_eq!(cfg("git@github.com:acme/homebrew-tap.git").transport(), Transport::Ssh);
        assert_eq!(cfg("ssh://git@h:2222/tap.git").transport(), Transport::Ssh);
        assert_eq!(cfg("../tap.git").transport(), Transport::Local);
        assert_eq!(cfg("/srv/tap.git").transport(), Transport::Local);
        assert_eq!(c.mode, Mode::Push);
        assert_eq!(c.github_repo().as_deref(), Some("acme/homebrew-tap"));
        let scp = cfg("git@github.com:acme/homebrew-tap.git");
        assert_eq!(scp.github_repo().as_deref(), Some("acme/homebrew-tap"));
        assert_eq!(cfg("tap.git").github_repo(), None);
        let pr: HomebrewConfig = serde_json::from_value(serde_json::json!(
            {"repo": "../tap.git", "mode": "pull_request", "github_repo": "o/t"}
        ))
        .unwrap();
        assert_eq!((pr.mode, pr.github_repo().as_deref()), (Mode::PullRequest, Some("o/t")));
        let bad = serde_json::json!({"repo": "x", "tap": "y"});
        assert!(serde_json::from_value::<HomebrewConfig>(bad).is_err());
    }
}
