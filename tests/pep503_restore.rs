//! pep503 through the real `tagship` binary, against a bare git repo served over git's smart
//! HTTP protocol with a token (`scripts/servers/pep503.sh --git`). The check looks at what
//! pip downloads: a wheel, its `.metadata` sidecar or its packages.json entry deleted from the
//! branch behind tagship's back is reported missing, and `publish --only pep503` restores
//! exactly that path in one commit (pip installs again). A re-run makes no commit and no push;
//! a dry run pushes nothing and lists the push in report.json. A commit landing between
//! tagship's fetch and its push is absorbed: re-fetched, re-applied, both entries kept, and
//! packages.json's `count` and `generated` (the newer release's time) agree. An index in
//! the shape before issue 14 is read, and migrated by the next write.

#[path = "pypi_support/mod.rs"]
mod pypi_support;
mod support;

use pypi_support::{fresh_venv, pip_install, run, system_tool, Server};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::cli::{quick_pipeline, Project, Run};

const TOKEN: &str = "pep503-token-8c2f4e6a1b";
const WHEEL: &str = "demo-1.2.3-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl";

fn git(dir: &Path, args: &[&str]) -> String {
    run(Command::new("git").arg("-C").arg(dir).args(args))
}

struct Index {
    tmp: tempfile::TempDir,
    bare: PathBuf,
    server: Server,
}

impl Index {
    fn new() -> Index {
        system_tool("git", "scripts/setup.d/10-base.sh");
        let tmp = tempfile::tempdir().unwrap();
        let repos = tmp.path().join("repos");
        let bare = repos.join("idx.git");
        run(Command::new("git")
            .args(["init", "-q", "--bare"])
            .arg(&bare));
        let server = Server::start_env(
            "pep503.sh",
            &tmp.path().join("srv"),
            &["--git", repos.to_str().unwrap()],
            &[("PEP503_GIT_TOKEN", TOKEN)],
        );
        Index { tmp, bare, server }
    }

    fn project(&self, name: &str) -> Project {
        let platforms = format!(
            "  pep503:\n    repo: \"{}idx.git\"\n    token_env: PEP503_TOKEN\n    author_name: Index Bot\n",
            self.server.s("url")
        );
        let mut p = Project::new(&quick_pipeline(&platforms).replace("demo", name));
        p.env("PEP503_TOKEN", TOKEN);
        p
    }

    fn commits(&self) -> usize {
        let n = Command::new("git")
            .arg("-C")
            .arg(&self.bare)
            .args(["rev-list", "--count", "gh-pages"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&n.stdout)
            .trim()
            .parse()
            .unwrap_or(0)
    }

    /// Receive-pack requests the server saw: (advertisements = push attempts, pack uploads).
    fn pushes(&self) -> (usize, usize) {
        let text = std::fs::read_to_string(self.server.s("log")).unwrap_or_default();
        let mut n = (0, 0);
        for l in text.lines() {
            let v: Value = serde_json::from_str(l).unwrap();
            if v["path"] == "/" {
                continue; // the start script's readiness probe
            }
            assert_eq!(v["status"], 200, "the token was sent: {v}");
            if v["service"] == "git-receive-pack" {
                if v["method"] == "GET" {
                    n.0 += 1;
                } else {
                    n.1 += 1;
                }
            }
        }
        n
    }

    fn changed_by_last_commit(&self) -> String {
        git(
            &self.bare,
            &["diff", "--name-only", "gh-pages~1", "gh-pages"],
        )
        .trim()
        .to_string()
    }

    fn show(&self, path: &str) -> String {
        git(&self.bare, &["show", &format!("gh-pages:{path}")])
    }

    /// Changes the branch behind tagship's back: clone, `edit` the work tree, commit, push.
    fn tamper(&self, what: &str, edit: impl FnOnce(&Path)) {
        let w = self
            .tmp
            .path()
            .join(format!("tamper-{}", fastrand::u32(..)));
        run(Command::new("git")
            .args(["clone", "-q", "--branch", "gh-pages"])
            .arg(&self.bare)
            .arg(&w));
        edit(&w);
        git(&w, &["add", "-A"]);
        git(
            &w,
            &[
                "-c",
                "user.name=x",
                "-c",
                "user.email=x@x",
                "commit",
                "-qm",
                what,
            ],
        );
        git(&w, &["push", "-q", "origin", "gh-pages"]);
    }

    /// pip installs demo from a checkout of the branch served over HTTP.
    fn pip_installs(&self) {
        let site = self.tmp.path().join(format!("site-{}", fastrand::u32(..)));
        run(Command::new("git")
            .args(["clone", "-q", "--branch", "gh-pages"])
            .arg(&self.bare)
            .arg(&site));
        let served = Server::start(
            "pep503.sh",
            &site.with_extension("srv"),
            &[site.to_str().unwrap()],
        );
        let venv = fresh_venv(&site.with_extension("venv"));
        pip_install(
            &venv,
            &["--index-url", &served.s("simple_url"), "demo==1.2.3"],
        );
        assert!(venv.join("bin/demo").is_file());
    }
}

fn outcome(run: &Run, p: &Project) -> Value {
    let rep = run.report(&p.dist());
    rep["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "pep503")
        .unwrap_or_else(|| panic!("{rep:#}"))
        .clone()
}

/// Deletes a part, checks it is reported missing, republishes, checks exactly that path
/// came back in one commit and pip installs again.
fn restores(idx: &Index, p: &Project, path: &str, missing: &str, tamper: impl FnOnce(&Path)) {
    idx.tamper(&format!("lose {missing}"), tamper);
    let before = (idx.commits(), idx.pushes());
    let r = p.run(&["publish", "--only", "pep503", "-v"]);
    r.assert_code(0);
    assert!(!r.stderr.contains(TOKEN), "{}", r.stderr);
    let o = outcome(&r, p);
    assert_eq!(o["outcome"], "published", "{o:#}");
    assert!(
        serde_json::to_string(&o).unwrap().contains(missing),
        "the report names {missing}: {o:#}"
    );
    assert_eq!(idx.commits(), before.0 + 1, "one commit");
    assert_eq!(idx.changed_by_last_commit(), path, "only {path} changed");
    assert_eq!(idx.pushes(), (before.1 .0 + 1, before.1 .1 + 1));
    idx.pip_installs();
}

#[test]
fn server_deleted_parts_are_restored_exactly_and_reruns_push_nothing() {
    let idx = Index::new();
    let p = idx.project("demo");
    let r = p.run(&["release", "v1.2.3"]);
    r.assert_code(0);
    assert_eq!(outcome(&r, &p)["outcome"], "published");
    assert_eq!(idx.commits(), 1);
    assert_eq!(idx.pushes(), (1, 1));
    let log = git(&idx.bare, &["log", "-1", "--format=%an %at", "gh-pages"]);
    assert_eq!(
        log.trim(),
        "Index Bot 1700000000",
        "fixed author, release epoch"
    );
    idx.pip_installs();

    let file = format!("files/{WHEEL}");
    restores(&idx, &p, &file, &file, |w| {
        std::fs::remove_file(w.join(&file)).unwrap()
    });
    let side = format!("files/{WHEEL}.metadata");
    restores(&idx, &p, &side, &side, |w| {
        std::fs::remove_file(w.join(&side)).unwrap()
    });
    let entry = format!("packages.json#{WHEEL}");
    restores(&idx, &p, "packages.json", &entry, |w| {
        let path = w.join("packages.json");
        let mut m: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let packages = m["packages"].as_object_mut().unwrap();
        packages.remove("demo").unwrap();
        std::fs::write(&path, serde_json::to_string_pretty(&m).unwrap()).unwrap();
    });

    // Everything is there: already published, no commit, no push.
    let before = (idx.commits(), idx.pushes());
    let r = p.run(&["publish", "--only", "pep503"]);
    r.assert_code(0);
    assert_eq!(outcome(&r, &p)["outcome"], "already-published");
    assert_eq!((idx.commits(), idx.pushes()), before);

    // A dry run with the wheel gone again: would-publish, the push listed, nothing sent.
    idx.tamper("lose the wheel", |w| {
        std::fs::remove_file(w.join(&file)).unwrap()
    });
    let before = (idx.commits(), idx.pushes());
    let r = p.run(&["publish", "--only", "pep503", "--dry-run"]);
    r.assert_code(0);
    let o = outcome(&r, &p);
    assert_eq!(o["outcome"], "would-publish", "{o:#}");
    let withheld = o["withheld"].as_array().unwrap();
    assert_eq!(withheld.len(), 1, "{o:#}");
    assert!(
        withheld[0]["target"].as_str().unwrap().contains(" push "),
        "{o:#}"
    );
    assert_eq!(r.report(&p.dist())["requests"]["mutating_sent"], 0);
    assert_eq!((idx.commits(), idx.pushes()), before);
}

#[test]
fn server_same_name_other_bytes_is_a_conflict_and_nothing_is_pushed() {
    let idx = Index::new();
    let p = idx.project("demo");
    p.run(&["release", "v1.2.3"]).assert_code(0);
    let file = format!("files/{WHEEL}");
    idx.tamper("replace the wheel", |w| {
        std::fs::write(w.join(&file), b"other bytes").unwrap()
    });
    let before = (idx.commits(), idx.pushes());
    let r = p.run(&["publish", "--only", "pep503"]);
    r.assert_code(1);
    let o = outcome(&r, &p);
    assert_eq!(o["outcome"], "failed", "{o:#}");
    assert!(serde_json::to_string(&o).unwrap().contains(&file), "{o:#}");
    assert_eq!((idx.commits(), idx.pushes()), before);
    assert_eq!(idx.show(&file), "other bytes", "never overwritten");
}

#[test]
fn server_a_commit_landing_between_fetch_and_push_is_absorbed() {
    let idx = Index::new();
    // Another project publishes into a copy of the (empty) index: that commit is pushed into
    // the real one by a pre-receive hook, while tagship's own push is under way.
    let racer = idx.tmp.path().join("racer.git");
    run(Command::new("git")
        .args(["init", "-q", "--bare"])
        .arg(&racer));
    let mut other = Project::new(
        &quick_pipeline(&format!("  pep503:\n    repo: \"{}\"\n", racer.display()))
            .replace("demo", "other"),
    );
    // Released from another repository, at another time: its commit is newer than ours.
    other
        .env("PEP503_TOKEN", TOKEN)
        .env("SOURCE_DATE_EPOCH", "1800000000");
    other.run(&["release", "v1.2.3"]).assert_code(0);
    let mark = idx.tmp.path().join("raced");
    let hook = idx.bare.join("hooks/pre-receive");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\ncat >/dev/null\nif [ ! -e '{m}' ]; then touch '{m}'; env -i PATH=\"$PATH\" git --git-dir='{r}' push -q '{b}' gh-pages:gh-pages; fi\n",
            m = mark.display(),
            r = racer.display(),
            b = idx.bare.display()
        ),
    )
    .unwrap();
    run(Command::new("chmod").arg("+x").arg(&hook));

    let p = idx.project("demo");
    let r = p.run(&["release", "v1.2.3"]);
    r.assert_code(0);
    assert!(mark.exists(), "the race happened");
    assert_eq!(outcome(&r, &p)["outcome"], "published");
    assert_eq!(idx.commits(), 2, "theirs, then ours on top");
    let m: Value = serde_json::from_str(&idx.show("packages.json")).unwrap();
    let packages = &m["packages"];
    assert!(
        packages["other"].is_object() && packages["demo"].is_object(),
        "{m:#}"
    );
    assert_eq!(m["count"], 2, "{m:#}");
    // The newest release's time, although ours (2023) was written after theirs (2027).
    assert_eq!(m["generated"], "2027-01-15T08:00:00Z", "{m:#}");
    let root = idx.show("simple/index.html");
    assert!(
        root.contains(">demo</a>") && root.contains(">other</a>"),
        "{root}"
    );
    assert_eq!(idx.pushes().1, 2, "the refused pack and the retried one");
    idx.pip_installs();
}

#[test]
fn server_an_index_in_the_old_shape_is_read_and_migrated_by_the_next_write() {
    let idx = Index::new();
    let p = idx.project("demo");
    p.run(&["release", "v1.2.3"]).assert_code(0);
    // packages.json as tagship wrote it before issue 14: the bare packages map.
    idx.tamper("the old shape", |w| {
        let path = w.join("packages.json");
        let m: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        std::fs::write(&path, serde_json::to_string_pretty(&m["packages"]).unwrap()).unwrap();
    });
    assert!(serde_json::from_str::<Value>(&idx.show("packages.json")).unwrap()["demo"].is_object());
    // Read as it is: demo is still live, nothing is written.
    let before = idx.commits();
    let r = p.run(&["publish", "--only", "pep503"]);
    r.assert_code(0);
    assert_eq!(outcome(&r, &p)["outcome"], "already-published");
    assert_eq!(idx.commits(), before);

    // The next write (another project's release) keeps demo and writes the current shape.
    let mut other = idx.project("other");
    other.env("SOURCE_DATE_EPOCH", "1800000000");
    other.run(&["release", "v1.2.3"]).assert_code(0);
    let m: Value = serde_json::from_str(&idx.show("packages.json")).unwrap();
    assert_eq!(m["count"], 2, "{m:#}");
    assert_eq!(m["generated"], "2027-01-15T08:00:00Z", "{m:#}");
    assert!(m["packages"]["demo"]["1.2.3"].is_array(), "{m:#}");
    assert!(m["packages"]["other"]["1.2.3"].is_array(), "{m:#}");
    let root = idx.show("simple/index.html");
    assert!(
        root.contains(">demo</a>") && root.contains(">other</a>"),
        "{root}"
    );
    idx.pip_installs();
}
