//! pep503: a static PEP 503 index on the `gh-pages` branch of a bare git repository (pushed
//! over a local path, so no HTTP faults apply). What pip downloads is the branch's tree: the
//! simple pages, `packages.json` and the wheels under `files/`. A commit deleting one wheel
//! from `files/` is the deletion behind tagship's back. Mutations are commits on any branch.

use crate::common::{named, Fixture, Server, Traits};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Pep503;

impl Fixture for Pep503 {
    fn traits(&self) -> Traits {
        Traits {
            http: false,
            ..Traits::HTTP
        }
    }
    fn start(&self, dir: &Path) -> Box<dyn Server> {
        let bare = dir.join("index.git");
        git(dir, &["init", "--quiet", "--bare", bare.to_str().unwrap()]);
        Box::new(Running {
            bare,
            scratch: dir.join("pep503-scratch"),
        })
    }
}

struct Running {
    bare: PathBuf,
    scratch: PathBuf,
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
        format!("  pep503:\n    repo: \"{}\"\n", self.bare.display())
    }
    fn env(&self) -> Vec<(String, String)> {
        Vec::new()
    }
    fn credential(&self) -> &'static str {
        "PEP503_TOKEN"
    }
    fn mutations(&self) -> Vec<String> {
        git(&self.bare, &["rev-list", "--all", "--reverse"])
            .lines()
            .map(String::from)
            .collect()
    }
    /// Every path of the branch → its git blob id (pep503 reports the parts it wrote by path).
    fn files(&self) -> BTreeMap<String, String> {
        let has = Command::new("git")
            .arg("-C")
            .arg(&self.bare)
            .args(["rev-parse", "--verify", "--quiet", "refs/heads/gh-pages"])
            .output()
            .unwrap();
        if !has.status.success() {
            return BTreeMap::new();
        }
        git(&self.bare, &["ls-tree", "-r", "gh-pages"])
            .lines()
            .map(|l| {
                let (meta, path) = l.split_once('\t').unwrap();
                let blob = meta.split_whitespace().nth(2).unwrap().to_string();
                (path.to_string(), blob)
            })
            .collect()
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
}
