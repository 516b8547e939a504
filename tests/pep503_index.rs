//! The pep503 platform: snapshot tests of the index pages, then the whole story against a
//! real bare git repository: dry run pushes nothing → publish → serve a checkout with
//! `python3 -m http.server` and `pip install --index-url .../simple/` the package and run it →
//! a second package leaves the first one's page and manifest entry untouched → a re-run makes
//! no commit → other bytes under the same file name are a conflict. Also the `dir` mode.

#[path = "pypi_support/mod.rs"]
mod pypi_support;

use pypi_support::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use tagship::plan::Artifact;
use tagship::platform::{Cx, Live, Platform};
use tagship::platforms::pep503::index::{self, FileEntry};
use tagship::ErrorKind;

fn entry(name: &str, sha: &str, meta: Option<&str>, rp: Option<&str>) -> FileEntry {
    FileEntry {
        filename: name.into(),
        sha256: sha.into(),
        size: 123,
        core_metadata_sha256: meta.map(str::to_string),
        requires_python: rp.map(str::to_string),
    }
}

#[test]
fn page_snapshots() {
    let mut versions = BTreeMap::new();
    versions.insert(
        "1.0.0".to_string(),
        vec![
            entry(
                "demo_tool-1.0.0-py3-none-win_amd64.whl",
                "bb",
                Some("cc"),
                None,
            ),
            entry(
                "demo_tool-1.0.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
                "aa",
                Some("dd"),
                Some(">=3.8"),
            ),
        ],
    );
    insta::assert_snapshot!(
        "project_relative",
        index::render_project("demo-tool", &versions, None)
    );
    insta::assert_snapshot!(
        "project_base_url",
        index::render_project(
            "demo-tool",
            &versions,
            Some("https://cdn.example.invalid/files/")
        )
    );
    let projects = ["zeta".to_string(), "demo-tool".to_string()].into();
    insta::assert_snapshot!("root", index::render_root(&projects));
}

fn git(dir: &Path, args: &[&str]) -> String {
    run(Command::new("git").arg("-C").arg(dir).args(args))
}

/// `python3 -m http.server` on 127.0.0.1 serving `root`; killed on drop.
struct Served(std::process::Child, String);

impl Served {
    fn start(root: &Path) -> Served {
        let mut child = Command::new("python3")
            .args([
                "-u",
                "-m",
                "http.server",
                "0",
                "--bind",
                "127.0.0.1",
                "--directory",
            ])
            .arg(root)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        // "Serving HTTP on 127.0.0.1 port 41234 (http://127.0.0.1:41234/) ..."
        let port = line
            .split("port ")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .unwrap_or_else(|| panic!("unexpected http.server banner: {line}"))
            .to_string();
        Served(child, format!("http://127.0.0.1:{port}/simple/"))
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Case {
    cx: Cx,
    ledger: tagship::guard::Ledger,
    p: Box<dyn Platform>,
    pkgs: Vec<Artifact>,
}

async fn case(root: &Path, name: &str, version: &str, bin: &Path, cfg: &Value, dry: bool) -> Case {
    let r = release(root, name, version, &[("linux-amd64", bin)]);
    let (cx, ledger) = cx("pep503", r, dry, &[]);
    let p = (tagship::platforms::pep503::FACTORY.build)(cfg, &cx.release.project).unwrap();
    let pkgs = p.package(&cx).await.unwrap();
    assert_eq!(pkgs.len(), 1);
    Case {
        cx,
        ledger,
        p,
        pkgs,
    }
}

fn show(bare: &Path, path: &str) -> String {
    git(bare, &["show", &format!("gh-pages:{path}")])
}

fn commits(bare: &Path) -> usize {
    git(bare, &["rev-list", "--count", "gh-pages"])
        .trim()
        .parse()
        .unwrap()
}

/// The story's fixed parts: two binaries, the bare repo holding the index branch, the config.
struct World {
    tmp: tempfile::TempDir,
    go: PathBuf,
    cbin: PathBuf,
    bare: PathBuf,
    cfg: Value,
}

impl World {
    async fn case(&self, dir: &str, name: &str, version: &str, bin: &Path, dry: bool) -> Case {
        case(
            &self.tmp.path().join(dir),
            name,
            version,
            bin,
            &self.cfg,
            dry,
        )
        .await
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn server_git_branch_story() {
    system_tool("git", "scripts/setup.d/10-base.sh");
    let tmp = tempfile::tempdir().unwrap();
    let go = go_binary(tmp.path(), "idxdemo", "0.3.0", "amd64");
    let cbin = c_binary(tmp.path(), "otherdemo", "1.0.0");
    let bare = tmp.path().join("index.git");
    run(Command::new("git")
        .args(["init", "--quiet", "--bare"])
        .arg(&bare));
    let cfg = json!({"repo": bare.display().to_string(), "requires_python": ">=3.7"});
    let w = World {
        tmp,
        go,
        cbin,
        bare,
        cfg,
    };
    dry_run_pushes_nothing(&w).await;
    let c = published_with_every_part(&w).await;
    pip_installs_from_a_served_checkout(&w);
    second_package_leaves_the_first_untouched(&w).await;
    rerun_makes_no_commit(&w, &c).await;
    other_bytes_are_a_conflict(&w, &c.pkgs[0].name).await;
}

/// Dry run: everything up to the push runs locally; the push is withheld.
async fn dry_run_pushes_nothing(w: &World) {
    let bare = &w.bare;
    let c = w.case("dry", "idxdemo", "0.3.0", &w.go, true).await;
    assert_eq!(c.p.check(&c.cx, &c.pkgs).await.unwrap(), Live::Absent);
    let e =
        c.p.publish(&c.cx, &Live::Absent, &c.pkgs)
            .await
            .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Withheld, "{e:?}");
    let w = c.ledger.withheld_for("pep503");
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].target.contains("push"), "{w:?}");
    assert_eq!(c.ledger.mutating_sent(), 0);
    assert!(
        git(bare, &["branch", "--list"]).trim().is_empty(),
        "nothing was pushed"
    );
}

/// Publish for real, verify, check again.
async fn published_with_every_part(w: &World) -> Case {
    let bare = &w.bare;
    let c = w.case("real", "idxdemo", "0.3.0", &w.go, false).await;
    assert_eq!(c.p.check(&c.cx, &c.pkgs).await.unwrap(), Live::Absent);
    let pubd = c.p.publish(&c.cx, &Live::Absent, &c.pkgs).await.unwrap();
    let whl = &c.pkgs[0].name;
    let metadata = format!("files/{whl}.metadata");
    let parts = [
        format!("files/{whl}"),
        metadata.clone(),
        format!("simple/idxdemo/index.html#{whl}"),
        format!("packages.json#{whl}"),
        "simple/index.html#idxdemo".to_string(),
    ];
    assert_eq!(pubd.uploaded, parts, "every part a client downloads");
    assert_eq!(c.p.check(&c.cx, &c.pkgs).await.unwrap(), Live::Present);
    assert_eq!(commits(bare), 1);
    let page = show(bare, "simple/idxdemo/index.html");
    assert!(page.contains(&format!(">{whl}</a>")), "{page}");
    assert!(
        page.contains(&format!("#sha256={}", c.pkgs[0].sha256)),
        "{page}"
    );
    assert!(page.contains("data-requires-python=\"&gt;=3.7\""), "{page}");
    let metadata = show(bare, &metadata);
    assert!(
        metadata.contains("Name: idxdemo\nVersion: 0.3.0\n"),
        "{metadata}"
    );
    assert!(show(bare, "simple/index.html").contains("pypi:repository-version"));
    c
}

/// Serve a checkout like GitHub Pages would, and install from it with pip.
fn pip_installs_from_a_served_checkout(w: &World) {
    let site = w.tmp.path().join("site");
    run(Command::new("git")
        .args(["clone", "--quiet", "--branch", "gh-pages"])
        .arg(&w.bare)
        .arg(&site));
    let served = Served::start(&site);
    let venv = fresh_venv(w.tmp.path());
    pip_install(&venv, &["--index-url", &served.1, "idxdemo==0.3.0"]);
    let out = run(Command::new(venv.join("bin/idxdemo")).arg("--version"));
    assert_eq!(out.trim(), "idxdemo 0.3.0");
}

/// A second package leaves the first one's page and manifest entry untouched.
async fn second_package_leaves_the_first_untouched(w: &World) {
    let bare = &w.bare;
    let page_before = show(bare, "simple/idxdemo/index.html");
    let manifest = |s: String| serde_json::from_str::<Value>(&s).unwrap();
    let first = manifest(show(bare, "packages.json"));
    assert_eq!(first["count"], 1, "{first:#}");
    let stamp = first["generated"].as_str().unwrap();
    assert!(
        stamp.len() == 20 && stamp.ends_with('Z'),
        "RFC 3339: {first:#}"
    );
    let first_before = first["packages"]["idxdemo"].clone();
    let o = w.case("other", "otherdemo", "1.0.0", &w.cbin, false).await;
    assert_eq!(o.p.check(&o.cx, &o.pkgs).await.unwrap(), Live::Absent);
    o.p.publish(&o.cx, &Live::Absent, &o.pkgs).await.unwrap();
    assert_eq!(commits(bare), 2);
    assert_eq!(show(bare, "simple/idxdemo/index.html"), page_before);
    let m = manifest(show(bare, "packages.json"));
    assert_eq!(m["packages"]["idxdemo"], first_before);
    assert_eq!(
        m["packages"]["otherdemo"]["1.0.0"][0]["filename"],
        json!(o.pkgs[0].name)
    );
    // What a health check reads: how many packages, and when the newest was released.
    assert_eq!(m["count"], 2, "{m:#}");
    assert_eq!(
        m["generated"], first["generated"],
        "both releases share one epoch"
    );
    let root = show(bare, "simple/index.html");
    assert!(
        root.contains(">idxdemo</a>") && root.contains(">otherdemo</a>"),
        "{root}"
    );
}

/// Re-run: present, and even a forced publish makes no commit.
async fn rerun_makes_no_commit(w: &World, c: &Case) {
    assert_eq!(c.p.check(&c.cx, &c.pkgs).await.unwrap(), Live::Present);
    let again = c.p.publish(&c.cx, &Live::Absent, &c.pkgs).await.unwrap();
    assert!(again.uploaded.is_empty(), "{again:?}");
    assert_eq!(commits(&w.bare), 2);
}

/// Same file name, other bytes: a conflict, never a replacement.
async fn other_bytes_are_a_conflict(w: &World, whl: &str) {
    let odd = w.tmp.path().join("odd");
    std::fs::create_dir_all(&odd).unwrap();
    let mut data = std::fs::read(&w.go).unwrap();
    data.extend_from_slice(b"\0tampered");
    std::fs::write(odd.join("idxdemo"), data).unwrap();
    let x = w
        .case("x", "idxdemo", "0.3.0", &odd.join("idxdemo"), false)
        .await;
    let e = x.p.check(&x.cx, &x.pkgs).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Conflict, "{e:?}");
    assert!(e.message().contains(whl), "{e:?}");
    let e =
        x.p.publish(&x.cx, &Live::Absent, &x.pkgs)
            .await
            .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Conflict, "{e:?}");
    assert_eq!(commits(&w.bare), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn server_dir_mode_with_subpath() {
    let tmp = tempfile::tempdir().unwrap();
    let cbin = c_binary(tmp.path(), "dirdemo", "2.0.0");
    let site: PathBuf = tmp.path().join("site");
    let cfg = json!({"dir": site.display().to_string(), "path": "py"});

    let d = case(
        &tmp.path().join("dry"),
        "dirdemo",
        "2.0.0",
        &cbin,
        &cfg,
        true,
    )
    .await;
    assert_eq!(d.p.check(&d.cx, &d.pkgs).await.unwrap(), Live::Absent);
    let e =
        d.p.publish(&d.cx, &Live::Absent, &d.pkgs)
            .await
            .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Withheld);
    assert!(!site.exists(), "a dry run writes nothing");

    let c = case(
        &tmp.path().join("real"),
        "dirdemo",
        "2.0.0",
        &cbin,
        &cfg,
        false,
    )
    .await;
    let pubd = c.p.publish(&c.cx, &Live::Absent, &c.pkgs).await.unwrap();
    let whl = &c.pkgs[0].name;
    assert!(
        pubd.uploaded.contains(&format!("py/files/{whl}")),
        "{pubd:?}"
    );
    assert_eq!(pubd.uploaded.len(), 5, "{pubd:?}");
    assert!(site.join("py/files").join(whl).is_file());
    assert!(site.join("py/simple/dirdemo/index.html").is_file());
    assert_eq!(c.p.check(&c.cx, &c.pkgs).await.unwrap(), Live::Present);
    let served = Served::start(&site.join("py"));
    let venv = fresh_venv(tmp.path());
    pip_install(&venv, &["--index-url", &served.1, "dirdemo==2.0.0"]);
    let out = run(Command::new(venv.join("bin/dirdemo")).arg("--version"));
    assert_eq!(out.trim(), "dirdemo 2.0.0");
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_repo_is_reported_as_such() {
    let tmp = tempfile::tempdir().unwrap();
    let cbin = c_binary(tmp.path(), "gone", "1.0.0");
    let missing = tmp.path().join("no-such-repo.git");
    let cfg = json!({"repo": missing.display().to_string()});
    let c = case(&tmp.path().join("p"), "gone", "1.0.0", &cbin, &cfg, true).await;
    let e = c.p.check(&c.cx, &c.pkgs).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Unreachable, "{e:?}");
    assert!(e.hint().unwrap().contains("`repo`"), "{e:?}");
}
