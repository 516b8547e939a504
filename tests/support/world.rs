//! A project released to four platforms at once, for the after-release commands (`rollback`,
//! `status`): GitHub (the double), PyPI (a real pypiserver), a PEP 503 index in a bare git
//! repository, and exec. Everything stops when the world is dropped.

#![allow(dead_code)]

use super::cli::{exec_section, quick_pipeline, Project, CANARY};
use super::github_double::GithubDouble;
use super::registries::{self, Server};
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct World {
    pub d: GithubDouble,
    pub p: Project,
    pub bare: PathBuf,
    /// `None` once `stop_pypi` ran.
    pub pypi: Option<Server>,
    _tmp: tempfile::TempDir,
}

/// Runs git in `dir`, failing loudly; returns stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("git {args:?}: {e} (is git installed?)"));
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs tagship from an async test.
pub fn run(p: &Project, args: &[&str]) -> super::cli::Run {
    tokio::task::block_in_place(|| p.run(args))
}

impl World {
    pub async fn start() -> World {
        registries::require();
        let tmp = tempfile::tempdir().unwrap();
        let pypi = Server::start(
            "pypiserver.sh",
            &[],
            &tmp.path().join("pypi"),
            &[],
            &[("PYPI_PASSWORD", CANARY)],
        );
        let url = pypi.s("url");
        let bare = tmp.path().join("index.git");
        git(
            tmp.path(),
            &["init", "--quiet", "--bare", bare.to_str().unwrap()],
        );
        let d = GithubDouble::start("acme", "demo", CANARY).await;
        let sections = format!(
            "  github:\n    owner: acme\n    repo: demo\n    api_url: \"{}\"\n  pypi:\n    repository_url: \"{url}\"\n    check_via: simple\n    simple_url: \"{url}simple/\"\n    username: tester\n  pep503:\n    repo: \"{}\"\n{}",
            d.api_url(),
            bare.display(),
            exec_section()
        );
        World {
            d,
            p: Project::new(&quick_pipeline(&sections)),
            bare,
            pypi: Some(pypi),
            _tmp: tmp,
        }
    }

    /// Commits on every branch of the index.
    pub fn commits(&self) -> usize {
        git(&self.bare, &["rev-list", "--all"]).lines().count()
    }
}
