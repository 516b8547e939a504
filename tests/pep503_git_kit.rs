//! The git kit (`tagship::git`) against a real bare repository served over git's smart HTTP
//! protocol (`scripts/servers/pep503.sh --git`, token required): only the needed paths are
//! fetched (a large blob in history and a large unrelated blob at the tip stay on the
//! server); commits carry the fixed author and the release epoch and are reproducible; the
//! token reaches the server but never git's argv nor the disk; a dry run withholds the push;
//! a branch that moves between fetch and push is re-fetched and the edit re-applied.

#[path = "pypi_support/mod.rs"]
mod pypi_support;

use async_trait::async_trait;
use pypi_support::{run, system_tool, Server};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use tagship::exec::Exec;
use tagship::git::{self, Auth, Author, Change, Content, Edit, Edits, Snapshot, Spec};
use tagship::guard::Ledger;
use tagship::redact::Secret;
use tagship::ErrorKind;

const TOKEN: &str = "kit-token-3b9e1c7d5a";
const EPOCH: u64 = 1_600_000_000;

fn git(dir: &Path, args: &[&str]) -> String {
    run(Command::new("git").arg("-C").arg(dir).args(args))
}

/// A git wrapper that appends its argv to `log`, then runs the real git.
fn recording_git(dir: &Path) -> (PathBuf, PathBuf) {
    let log = dir.join("argv.log");
    let w = dir.join("git-wrapper");
    std::fs::write(
        &w,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\nexec git \"$@\"\n",
            log.display()
        ),
    )
    .unwrap();
    run(Command::new("chmod").arg("+x").arg(&w));
    (w, log)
}

struct Fixture {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    bare: PathBuf,
    server: Server,
    /// Blob ids: a large file deleted from history, a large file at the tip, a small one.
    old_big: String,
    tip_big: String,
}

impl Fixture {
    /// `idx.git` with two commits: `old.bin` (2 MB, deleted in the second), `big.bin` (2 MB)
    /// and `pages/a.txt` at the tip; served over HTTP with the token required.
    fn new() -> Fixture {
        system_tool("git", "scripts/setup.d/10-base.sh");
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        let repos = root.join("repos");
        let bare = repos.join("idx.git");
        run(Command::new("git")
            .args(["init", "-q", "--bare"])
            .arg(&bare));
        let w = root.join("seed");
        run(Command::new("git")
            .args(["init", "-q", "-b", "gh-pages"])
            .arg(&w));
        let random = |n: usize| (0..n).map(|_| fastrand::u8(..)).collect::<Vec<u8>>();
        std::fs::write(w.join("old.bin"), random(2 << 20)).unwrap();
        std::fs::create_dir_all(w.join("pages")).unwrap();
        std::fs::write(w.join("pages/a.txt"), "hello\n").unwrap();
        let commit = |m: &str| {
            git(&w, &["add", "-A"]);
            git(
                &w,
                &[
                    "-c",
                    "user.name=s",
                    "-c",
                    "user.email=s@x",
                    "commit",
                    "-qm",
                    m,
                ],
            );
        };
        commit("one");
        let old_big = git(&w, &["rev-parse", "HEAD:old.bin"]).trim().to_string();
        std::fs::remove_file(w.join("old.bin")).unwrap();
        std::fs::write(w.join("big.bin"), random(2 << 20)).unwrap();
        commit("two");
        let tip_big = git(&w, &["rev-parse", "HEAD:big.bin"]).trim().to_string();
        git(&w, &["push", "-q", bare.to_str().unwrap(), "gh-pages"]);
        let server = Server::start_env(
            "pep503.sh",
            &root.join("srv"),
            &["--git", repos.to_str().unwrap()],
            &[("PEP503_GIT_TOKEN", TOKEN)],
        );
        Fixture {
            _tmp: tmp,
            root,
            bare,
            server,
            old_big,
            tip_big,
        }
    }

    fn spec(&self, program: &str) -> Spec {
        Spec {
            url: format!("{}idx.git", self.server.s("url")),
            branch: "gh-pages".into(),
            auth: Auth::Token(Secret::new(TOKEN)),
            author: Author {
                name: "Index Bot".into(),
                email: "bot@example.invalid".into(),
            },
            epoch: EPOCH,
            program: program.into(),
            credential: Some("PEP503_TOKEN".into()),
        }
    }

    /// Requests the server saw: (method, service, status).
    fn requests(&self) -> Vec<(String, String, u64)> {
        let text = std::fs::read_to_string(self.server.s("log")).unwrap_or_default();
        text.lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            // The start script's readiness probe of `/`.
            .filter(|v| v["path"] != "/")
            .map(|v| {
                let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
                (s("method"), s("service"), v["status"].as_u64().unwrap())
            })
            .collect()
    }

    /// Pack uploads (a push the client itself refuses as non-fast-forward sends none).
    fn pushes(&self) -> usize {
        self.count("POST")
    }

    /// Push attempts: each starts with the receive-pack ref advertisement.
    fn push_attempts(&self) -> usize {
        self.count("GET")
    }

    fn count(&self, method: &str) -> usize {
        let r = self.requests();
        r.iter()
            .filter(|(m, s, _)| m == method && s == "git-receive-pack")
            .count()
    }
}

fn exec(dry: bool) -> (Exec, Ledger) {
    let l = Ledger::default();
    (Exec::new(dry, l.clone()).for_platform("kit"), l)
}

fn edits(path: &str, text: &str) -> Edits {
    Edits {
        changes: vec![Change {
            path: path.into(),
            content: Content::Bytes(text.as_bytes().to_vec()),
        }],
        message: format!("add {path}"),
    }
}

fn present(repo: &Path, oid: &str) -> bool {
    Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["cat-file", "-e", oid])
        .env("GIT_NO_LAZY_FETCH", "1")
        .status()
        .unwrap()
        .success()
}

fn dir_size(p: &Path) -> u64 {
    let mut n = 0;
    for e in std::fs::read_dir(p).unwrap().flatten() {
        let m = e.metadata().unwrap();
        n += if m.is_dir() {
            dir_size(&e.path())
        } else {
            m.len()
        };
    }
    n
}

#[tokio::test(flavor = "multi_thread")]
async fn server_fetches_only_the_paths_it_reads() {
    let f = Fixture::new();
    let (ex, _) = exec(false);
    let snap = Snapshot::open(&ex, &f.spec("git")).await.unwrap();
    assert!(snap.tip().is_some());
    let wanted = ["pages/a.txt", "big.bin", "pages/none.txt"].map(String::from);
    let ids = snap.entries(&wanted).await.unwrap();
    assert_eq!(ids.keys().collect::<Vec<_>>(), ["big.bin", "pages/a.txt"]);
    assert_eq!(ids["big.bin"], f.tip_big, "blob ids come from the tree");
    let a = ids["pages/a.txt"].clone();
    let texts = snap.read(std::slice::from_ref(&a)).await.unwrap();
    assert_eq!(texts[&a], "hello\n");

    let repo = snap.scratch().join("repo");
    assert!(present(&repo, &a), "the blob read was fetched");
    assert!(!present(&repo, &f.tip_big), "an unrelated tip blob was not");
    assert!(!present(&repo, &f.old_big), "history was not");
    let size = dir_size(&repo.join(".git/objects"));
    assert!(size < 256 << 10, "object store holds {size} bytes");
    // Every request carried the token (the server answers 401 otherwise).
    assert!(
        f.requests().iter().all(|r| r.2 == 200),
        "{:?}",
        f.requests()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn server_commits_are_fixed_and_reproducible_and_the_token_never_shows() {
    let f = Fixture::new();
    let (wrapper, argv_log) = recording_git(&f.root);
    let spec = f.spec(wrapper.to_str().unwrap());
    let (ex, _) = exec(false);
    let e = edits("pages/new.txt", "new\n");
    let one = Snapshot::open(&ex, &spec).await.unwrap();
    let two = Snapshot::open(&ex, &spec).await.unwrap();
    let c1 = one.commit(&e).await.unwrap().expect("a change");
    assert_eq!(
        two.commit(&e).await.unwrap(),
        Some(c1.clone()),
        "same edit, same commit"
    );
    assert!(one.push(&c1).await.unwrap());
    // Nothing the kit wrote holds the token, raw or as the Basic header.
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(format!("x-access-token:{TOKEN}"));
    let grep = Command::new("grep")
        .args(["-rlF", "-e", TOKEN, "-e", &b64])
        .arg(one.scratch())
        .output()
        .unwrap();
    assert_eq!(grep.status.code(), Some(1), "token on disk: {grep:?}");
    let argv = std::fs::read_to_string(&argv_log).unwrap();
    assert!(argv.contains("push"), "{argv}");
    assert!(
        !argv.contains(TOKEN) && !argv.contains(&b64),
        "token in argv:\n{argv}"
    );
    drop((one, two));

    let log = git(
        &f.bare,
        &[
            "log",
            "-1",
            "--format=%an|%ae|%at|%cn|%ce|%ct|%s",
            "gh-pages",
        ],
    );
    assert_eq!(
        log.trim(),
        format!("Index Bot|bot@example.invalid|{EPOCH}|Index Bot|bot@example.invalid|{EPOCH}|add pages/new.txt")
    );
    assert_eq!(git(&f.bare, &["rev-parse", "gh-pages"]).trim(), c1);
    let changed = git(&f.bare, &["diff", "--name-only", "gh-pages~1", "gh-pages"]);
    assert_eq!(changed.trim(), "pages/new.txt");
    assert_eq!(f.pushes(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn server_a_dry_run_withholds_the_push() {
    let f = Fixture::new();
    let before = git(&f.bare, &["rev-parse", "gh-pages"]);
    let (ex, ledger) = exec(true);
    let e = git::update(
        &ex,
        &f.spec("git"),
        &Fixed(edits("x.txt", "x"), Default::default()),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Withheld, "{e:?}");
    let w = ledger.withheld_for("kit");
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].target.contains(" push "), "{w:?}");
    assert_eq!(ledger.mutating_sent(), 0);
    assert_eq!(f.push_attempts(), 0);
    assert_eq!(git(&f.bare, &["rev-parse", "gh-pages"]), before);
}

/// An edit that always adds the same file, counting its calls.
struct Fixed(Edits, AtomicU32);

#[async_trait]
impl Edit for Fixed {
    async fn edits(&self, _: &Snapshot) -> tagship::Result<Option<Edits>> {
        self.1.fetch_add(1, Ordering::SeqCst);
        Ok(Some(self.0.clone()))
    }
}

/// An edit whose first call lets another writer push to the branch first (the race between
/// our fetch and our push).
struct Raced<'a> {
    inner: Fixed,
    bare: &'a Path,
    work: PathBuf,
}

#[async_trait]
impl Edit for Raced<'_> {
    async fn edits(&self, snap: &Snapshot) -> tagship::Result<Option<Edits>> {
        if self.inner.1.load(Ordering::SeqCst) == 0 {
            let w = &self.work;
            run(Command::new("git")
                .args(["clone", "-q", "--branch", "gh-pages"])
                .arg(self.bare)
                .arg(w));
            std::fs::write(w.join("theirs.txt"), "theirs\n").unwrap();
            git(w, &["add", "theirs.txt"]);
            git(
                w,
                &[
                    "-c",
                    "user.name=o",
                    "-c",
                    "user.email=o@x",
                    "commit",
                    "-qm",
                    "theirs",
                ],
            );
            git(w, &["push", "-q", "origin", "gh-pages"]);
        }
        self.inner.edits(snap).await
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn server_a_branch_that_moves_under_the_push_is_refetched_and_retried() {
    let f = Fixture::new();
    let (ex, _) = exec(false);
    let edit = Raced {
        inner: Fixed(edits("mine.txt", "mine\n"), Default::default()),
        bare: &f.bare,
        work: f.root.join("other-writer"),
    };
    let done = git::update(&ex, &f.spec("git"), &edit).await.unwrap();
    assert_eq!(done.attempts, 2, "{done:?}");
    assert_eq!(
        edit.inner.1.load(Ordering::SeqCst),
        2,
        "the edit was re-applied"
    );
    assert_eq!(done.paths, ["mine.txt"]);
    let tree = git(&f.bare, &["ls-tree", "--name-only", "gh-pages"]);
    assert!(
        tree.contains("mine.txt") && tree.contains("theirs.txt"),
        "{tree}"
    );
    assert_eq!(
        git(&f.bare, &["log", "-1", "--format=%s", "gh-pages~1"]).trim(),
        "theirs"
    );
    // Two push attempts: the refused one and the retry.
    assert_eq!(f.push_attempts(), 2);
}
