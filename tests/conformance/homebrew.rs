//! homebrew: the formula in a tap — a bare git repository served over git's smart HTTP
//! (`scripts/servers/pep503.sh --git`, a token required) behind the fault proxy — pointing at
//! the release on the GitHub double (served directly, without a proxy: the cases inject
//! faults into the tap's pushes only). The scratch project also builds darwin-amd64 and
//! darwin-arm64. Mutations are commits in the tap (github's requests are not counted here;
//! its own fixture covers them, and the report's `mutating_sent` covers both). A commit
//! deleting the formula, made on the bare repository directly, is the deletion behind
//! tagship's back.

use crate::common::{Fixture, Server, Traits};
use crate::support::github_double::GithubDouble;
use crate::support::registries::{Proxy, Server as Script};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const GITHUB_TOKEN: &str = "ghp_conformance_homebrew_6a1f3c";
const FORMULA: &str = "Formula/demo.rb";

pub struct Homebrew;

impl Fixture for Homebrew {
    fn traits(&self) -> Traits {
        Traits::HTTP
    }
    fn start(&self, dir: &Path) -> Box<dyn Server> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let double = rt.block_on(GithubDouble::start("acme", "demo", GITHUB_TOKEN));
        let repos = dir.join("homebrew-repos");
        std::fs::create_dir_all(&repos).unwrap();
        let bare = repos.join("homebrew-tap.git");
        git(dir, &["init", "--quiet", "--bare", bare.to_str().unwrap()]);
        let token = format!("tap-{}-{}", std::process::id(), fastrand::u64(..));
        let server = Script::start(
            "pep503.sh",
            &["--git", repos.to_str().unwrap()],
            &dir.join("homebrew-git"),
            &[],
            &[("PEP503_GIT_TOKEN", &token)],
        );
        let proxy = Proxy::start(&server.s("url"), &dir.join("homebrew-proxy"));
        Box::new(Running {
            bare,
            scratch: dir.join("homebrew-scratch"),
            token,
            proxy,
            _server: server,
            double,
            _rt: rt,
        })
    }
}

struct Running {
    bare: PathBuf,
    scratch: PathBuf,
    token: String,
    proxy: Proxy,
    _server: Script,
    double: GithubDouble,
    // Last: keeps the double serving until the servers above are gone.
    _rt: tokio::runtime::Runtime,
}

/// Runs git in `dir` as someone else, failing loudly; returns stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=Someone Else",
            "-c",
            "user.email=else@example.com",
        ])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("git {args:?}: {e} (is git installed?)"));
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

impl Server for Running {
    fn section(&self) -> String {
        let api = self.double.api_url();
        format!(
            "  github:\n    owner: acme\n    repo: demo\n    api_url: \"{api}\"\n    upload_url: \"{api}/uploads\"\n  homebrew:\n    repo: \"{}homebrew-tap.git\"\n",
            self.proxy.url()
        )
    }
    fn env(&self) -> Vec<(String, String)> {
        vec![
            ("GITHUB_TOKEN".into(), GITHUB_TOKEN.into()),
            ("HOMEBREW_TAP_TOKEN".into(), self.token.clone()),
        ]
    }
    fn credential(&self) -> &'static str {
        "HOMEBREW_TAP_TOKEN"
    }
    fn targets(&self) -> &'static [&'static str] {
        &["darwin-amd64", "darwin-arm64"]
    }
    fn mutations(&self) -> Vec<String> {
        crate::common::git_commits(&self.bare)
    }
    /// Every path of the tap's branch → its git blob id.
    fn files(&self) -> BTreeMap<String, String> {
        crate::common::branch_files(&self.bare, "main")
    }
    /// Someone else's commit removing the formula.
    fn delete_one(&self) -> String {
        let _ = std::fs::remove_dir_all(&self.scratch);
        let parent = self.scratch.parent().unwrap();
        let (bare, scratch) = (self.bare.to_str().unwrap(), self.scratch.to_str().unwrap());
        git(
            parent,
            &["clone", "--quiet", "--branch", "main", bare, scratch],
        );
        git(&self.scratch, &["rm", "--quiet", FORMULA]);
        git(
            &self.scratch,
            &["commit", "--quiet", "-m", "remove the formula"],
        );
        git(&self.scratch, &["push", "--quiet", "origin", "main"]);
        FORMULA.to_string()
    }
    fn proxy(&self) -> Option<&Proxy> {
        Some(&self.proxy)
    }
    /// A push is the POST of a pack to `git-receive-pack` (its ref advertisement is a GET).
    fn upload_match(&self) -> serde_json::Value {
        serde_json::json!({"method": "POST", "path_regex": "/git-receive-pack$"})
    }
}
