//! pep503: a static PEP 503 index on the `gh-pages` branch of a bare git repository, served
//! over git's smart HTTP (`scripts/servers/pep503.sh --git`, a token required) behind the
//! fault proxy, as a forge would host it. What pip downloads is the branch's tree: the
//! simple pages, `packages.json` and the wheels under `files/`. A commit deleting one wheel
//! from `files/` (made on the bare repository directly) is the deletion behind tagship's
//! back. Mutations are commits on any branch; an upload is a POST to `git-receive-pack`.

use crate::common::{named, Fixture, Server, Traits};
use crate::support::registries::{Proxy, Server as Script};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Pep503;

impl Fixture for Pep503 {
    fn traits(&self) -> Traits {
        Traits::HTTP
    }
    fn start(&self, dir: &Path) -> Box<dyn Server> {
        let repos = dir.join("pep503-repos");
        std::fs::create_dir_all(&repos).unwrap();
        let bare = repos.join("index.git");
        git(dir, &["init", "--quiet", "--bare", bare.to_str().unwrap()]);
        let token = format!("pep503-{}-{}", std::process::id(), fastrand::u64(..));
        let server = Script::start(
            "pep503.sh",
            &["--git", repos.to_str().unwrap()],
            &dir.join("pep503"),
            &[],
            &[("PEP503_GIT_TOKEN", &token)],
        );
        let proxy = Proxy::start(&server.s("url"), &dir.join("pep503-proxy"));
        Box::new(Running {
            bare,
            scratch: dir.join("pep503-scratch"),
            token,
            proxy,
            _server: server,
        })
    }
}

struct Running {
    bare: PathBuf,
    scratch: PathBuf,
    token: String,
    proxy: Proxy,
    _server: Script,
}

/// Runs git in `dir`, failing loudly; returns stdout.
fn git(dir: &Path, args: &[&str]) -> String {
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
        format!(
            "  pep503:\n    repo: \"{}index.git\"\n    token_env: PEP503_TOKEN\n",
            self.proxy.url()
        )
    }
    fn env(&self) -> Vec<(String, String)> {
        vec![("PEP503_TOKEN".into(), self.token.clone())]
    }
    fn credential(&self) -> &'static str {
        "PEP503_TOKEN"
    }
    fn mutations(&self) -> Vec<String> {
        crate::common::git_commits(&self.bare)
    }
    /// Every path of the branch → its git blob id (pep503 reports the parts it wrote by path).
    fn files(&self) -> BTreeMap<String, String> {
        crate::common::branch_files(&self.bare, "gh-pages")
    }
    /// The wheels of `version` under `files/` and their `.metadata`.
    fn files_at(&self, version: &str) -> BTreeMap<String, String> {
        let mut all = self.files();
        all.retain(|path, _| path.starts_with("files/") && path.contains(&format!("-{version}-")));
        all
    }
    /// Someone else's commit removing the arm64 wheel from `files/`.
    fn delete_one(&self) -> String {
        let name = named(self.files(), &["files/", "aarch64", ".whl"]);
        let _ = std::fs::remove_dir_all(&self.scratch);
        let parent = self.scratch.parent().unwrap();
        let (bare, scratch) = (self.bare.to_str().unwrap(), self.scratch.to_str().unwrap());
        git(
            parent,
            &["clone", "--quiet", "--branch", "gh-pages", bare, scratch],
        );
        git(&self.scratch, &["rm", "--quiet", &name]);
        git(
            &self.scratch,
            &["commit", "--quiet", "-m", "remove a wheel"],
        );
        git(&self.scratch, &["push", "--quiet", "origin", "gh-pages"]);
        name
    }
    fn proxy(&self) -> Option<&Proxy> {
        Some(&self.proxy)
    }
    /// A push is the POST of a pack to `git-receive-pack` (its ref advertisement is a GET).
    fn upload_match(&self) -> serde_json::Value {
        serde_json::json!({"method": "POST", "path_regex": "/git-receive-pack$"})
    }
}
