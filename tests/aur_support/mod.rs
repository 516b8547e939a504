//! Helpers for the AUR tests: the real `makepkg --printsrcinfo` (run as a non-root user, as
//! makepkg demands), pacman's `vercmp`, and the AUR-like git remote — a real sshd on
//! 127.0.0.1 serving bare repositories over git-shell (scripts/servers/sshd.sh). A missing
//! tool or server fails loudly with the setup script to run; nothing is skipped.
#![allow(dead_code)]

pub mod world;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const SETUP: &str = "scripts/setup.d/71-aur.sh";

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn is_root() -> bool {
    let out = Command::new("id").arg("-u").output().expect("id -u");
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

/// Runs `program args` in `dir` as a non-root user (nobody when we are root), failing loudly
/// when the program is missing. Returns (exit code, stdout, stderr).
pub fn as_user(dir: &Path, program: &str, args: &[&str]) -> (i32, Vec<u8>, String) {
    let mut cmd = if is_root() {
        let st = Command::new("chown")
            .args(["-R", "65534:65534"])
            .arg(dir)
            .status()
            .unwrap();
        assert!(st.success(), "chown {}", dir.display());
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "env"])
            .arg(format!("HOME={}", dir.display()))
            .arg(program);
        c
    } else {
        Command::new(program)
    };
    let out = cmd
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}; run {SETUP}"));
    (
        out.status.code().unwrap_or(-1),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Fails loudly unless makepkg (pacman's) is installed.
pub fn require_makepkg() {
    for tool in ["makepkg", "vercmp", "setpriv", "bsdtar", "fakeroot"] {
        let ok = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(ok, "`{tool}` is not installed: run {SETUP}");
    }
}

/// What `makepkg --printsrcinfo` prints for `pkgbuild` (its exit code must be 0).
pub fn makepkg_srcinfo(pkgbuild: &str) -> String {
    require_makepkg();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("PKGBUILD"), pkgbuild).unwrap();
    let (code, stdout, stderr) = as_user(dir.path(), "makepkg", &["--printsrcinfo"]);
    assert_eq!(
        code, 0,
        "makepkg --printsrcinfo failed: {stderr}\n{pkgbuild}"
    );
    String::from_utf8(stdout).unwrap()
}

/// pacman's `vercmp a b`: -1, 0 or 1.
pub fn vercmp(a: &str, b: &str) -> i32 {
    require_makepkg();
    let out = Command::new("vercmp").args([a, b]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

/// A running AUR-like remote (scripts/servers/sshd.sh): stops sshd and removes its
/// repositories when dropped.
pub struct Sshd {
    server: crate::support::registries::Server,
    _dir: tempfile::TempDir,
}

impl Sshd {
    /// Starts sshd with empty bare repositories named `repos` (AUR serves an empty repo for
    /// a new package name).
    pub fn start(repos: &[&str]) -> Sshd {
        let dir = tempfile::tempdir().unwrap();
        let names = repos.join(" ");
        let server = crate::support::registries::Server::start(
            "sshd.sh",
            &[],
            &dir.path().join("sshd"),
            &[],
            &[("SSHD_REPOS", names.as_str())],
        );
        Sshd { server, _dir: dir }
    }
    /// The ssh URL of repository `name`.
    pub fn url(&self, name: &str) -> String {
        format!("{}{}", self.server.s("base"), self.bare(name).display())
    }
    /// The bare repository on disk.
    pub fn bare(&self, name: &str) -> PathBuf {
        PathBuf::from(self.server.s("repos")).join(format!("{name}.git"))
    }
    /// The client's private key, as AUR_SSH_KEY holds it.
    pub fn key(&self) -> String {
        std::fs::read_to_string(self.server.s("key")).unwrap()
    }
    pub fn known_hosts(&self) -> PathBuf {
        PathBuf::from(self.server.s("known_hosts"))
    }
    /// A known_hosts pinning another key for the same host and port.
    pub fn wrong_known_hosts(&self) -> PathBuf {
        PathBuf::from(self.server.s("wrong_known_hosts"))
    }
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.server.s("log")).unwrap_or_default()
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        crate::support::registries::stop(&self.server.dir);
        let _ = std::fs::remove_dir_all(self.server.s("srv"));
    }
}

/// Runs git on a bare repository; `None` when it fails (e.g. no master yet).
pub fn git(bare: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(["-c", "safe.directory=*", "--git-dir"])
        .arg(bare)
        .args(args)
        .output()
        .expect("git");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Commits on every branch of the remote (each is one mutation).
pub fn commits(bare: &Path) -> Vec<String> {
    git(bare, &["rev-list", "--all", "--reverse"])
        .unwrap_or_default()
        .lines()
        .map(String::from)
        .collect()
}

/// `path → text` of every file at the tip of master.
pub fn files(bare: &Path) -> BTreeMap<String, String> {
    let Some(list) = git(bare, &["ls-tree", "--name-only", "master"]) else {
        return BTreeMap::new();
    };
    list.lines()
        .map(|p| {
            let text = git(bare, &["show", &format!("master:{p}")]).unwrap();
            (p.to_string(), text)
        })
        .collect()
}

/// Someone else's commit on master (a maintainer editing by hand): writes `changes`
/// (`None` deletes the path) straight into the bare repository with plumbing (a clone would
/// trip git's ownership check: the repository belongs to the git-shell user).
pub fn commit_behind_our_back(bare: &Path, changes: &[(&str, Option<&str>)], message: &str) {
    let scratch = tempfile::tempdir().unwrap();
    let index = scratch.path().join("index");
    let run = |args: &[&str]| -> String {
        let out = Command::new("git")
            .args(["-c", "safe.directory=*", "--git-dir"])
            .arg(bare)
            .args(args)
            .env("GIT_INDEX_FILE", &index)
            .env("GIT_WORK_TREE", scratch.path())
            .env("GIT_AUTHOR_NAME", "Someone Else")
            .env("GIT_AUTHOR_EMAIL", "else@example.com")
            .env("GIT_COMMITTER_NAME", "Someone Else")
            .env("GIT_COMMITTER_EMAIL", "else@example.com")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    run(&["read-tree", "master"]);
    for (i, (path, content)) in changes.iter().enumerate() {
        match content {
            Some(text) => {
                let f = scratch.path().join(format!("blob-{i}"));
                std::fs::write(&f, text).unwrap();
                let oid = run(&["hash-object", "-w", f.to_str().unwrap()]);
                run(&[
                    "update-index",
                    "--add",
                    "--cacheinfo",
                    &format!("100644,{oid},{path}"),
                ]);
            }
            None => {
                run(&["update-index", "--force-remove", path]);
            }
        }
    }
    let tree = run(&["write-tree"]);
    let commit = run(&["commit-tree", &tree, "-p", "master", "-m", message]);
    run(&["update-ref", "refs/heads/master", &commit]);
    // Objects written as root: the git-shell user must still be able to write there.
    let st = Command::new("chown")
        .arg("-R")
        .arg(format!("--reference={}", bare.parent().unwrap().display()))
        .arg(bare)
        .status()
        .unwrap();
    assert!(st.success());
}
