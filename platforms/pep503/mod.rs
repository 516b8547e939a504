//! `pep503`: a self-hosted static Python index (PEP 503 pages + PEP 658 metadata sidecars +
//! a `packages.json` manifest) kept in a git branch (e.g. GitHub Pages) or a directory. The
//! wheels are the same files the pypi platform builds (`platforms::wheel`).
//!
//! Git mode clones the branch into a temp dir (`Effect::Local`), adds our wheels, re-renders
//! our project page and the root page, commits, and pushes as `Effect::SideEffect`, so a dry
//! run withholds only the push. Dir mode stages the changed files in a temp dir and copies
//! them over with one side-effecting `cp`. Other projects' pages and manifest entries are
//! never rewritten; a re-run with nothing new makes no commit.

pub mod config;
pub mod index;

use crate::error::{Error, ErrorKind, Result};
use crate::exec::{Cmd, Effect};
use crate::plan::{Artifact, Project};
use crate::platform::{
    section, Capabilities, Checked, Cx, Factory, Handover, Live, Platform, Published, Requirement,
};
use crate::platforms::pypi::{package_wheels, wanted, wheels};
use crate::platforms::wheel::{self, WheelMeta};
use crate::redact::Secret;
use async_trait::async_trait;
pub use config::Pep503Config;
use index::{FileEntry, Manifest};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub const FACTORY: Factory = Factory {
    id: "pep503",
    about: "a static PEP 503 index (wheels + pages) in a git branch or a directory",
    schema: || schemars::schema_for!(Pep503Config),
    build: |v, p: &Project| Ok(Box::new(Pep503::new(section("pep503", v)?, p)?)),
};

/// The pep503 adapter.
pub struct Pep503 {
    cfg: Pep503Config,
    name: String,
}

/// A temp dir removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<Self> {
        let p = std::env::temp_dir().join(format!(
            "tagship-pep503-{}-{:016x}",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::create_dir_all(&p)
            .map_err(|e| Error::io(format!("creating {}", p.display()), e))?;
        Ok(TempDir(p))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Where the index is read from and written to for one operation.
struct Work {
    _tmp: TempDir,
    /// The index root as it is now (checkout or the configured dir).
    read: PathBuf,
    /// Where changed files go (the checkout itself, or a staging tree).
    write: PathBuf,
    /// Git mode: the checkout. Dir mode: `None`.
    checkout: Option<PathBuf>,
    /// Dir mode: staging root and the configured dir it is copied onto.
    stage: Option<(PathBuf, PathBuf)>,
}

fn io_err(what: &str, p: &Path) -> impl FnOnce(std::io::Error) -> Error {
    let m = format!("{what} {}", p.display());
    move |e| Error::io(m, e)
}

fn read_opt(p: &Path) -> Result<Option<String>> {
    match std::fs::read_to_string(p) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(format!("reading {}", p.display()), e)),
    }
}

fn write_file(p: &Path, data: &[u8]) -> Result<()> {
    if let Some(d) = p.parent() {
        std::fs::create_dir_all(d).map_err(io_err("creating", d))?;
    }
    std::fs::write(p, data).map_err(io_err("writing", p))
}

impl Pep503 {
    pub fn new(cfg: Pep503Config, project: &Project) -> Result<Self> {
        if cfg.repo.is_some() == cfg.dir.is_some() {
            return Err(Error::config(
                "platforms.pep503: set exactly one of `repo` (a git URL or path) and `dir`",
            ));
        }
        if let Some(p) = &cfg.path {
            if Path::new(p).is_absolute() || p.split('/').any(|s| s == "..") {
                return Err(Error::config(format!(
                    "platforms.pep503.path `{p}` must be a relative path inside the index"
                )));
            }
        }
        let name = cfg.package.clone().unwrap_or_else(|| project.name.clone());
        wheel::check_name(&name).map_err(|e| e.context("platforms.pep503.package"))?;
        Ok(Pep503 { cfg, name })
    }

    fn sub(&self) -> &str {
        self.cfg.path.as_deref().unwrap_or("").trim_matches('/')
    }

    /// `repo` as git understands it: URLs and scp-style addresses as they are, relative
    /// paths against the directory of pipeline.yaml.
    fn repo_url(&self, cx: &Cx) -> String {
        let r = self.cfg.repo.clone().unwrap_or_default();
        let scp = r
            .split_once(':')
            .is_some_and(|(h, _)| !h.contains('/') && h.len() > 1);
        if r.contains("://") || scp || Path::new(&r).is_absolute() {
            r
        } else {
            cx.release.root.join(r).display().to_string()
        }
    }

    fn git(&self, cx: &Cx, effect: Effect, args: &[&str]) -> Cmd {
        let mut c = Cmd::new("git", effect)
            .args(args.iter().map(|s| s.to_string()))
            .env("GIT_TERMINAL_PROMPT", "0");
        if let Some(s) = self.cfg.token_env.as_deref().and_then(|v| cx.secret(v)) {
            use base64::Engine;
            let b = base64::engine::general_purpose::STANDARD
                .encode(format!("x-access-token:{}", s.expose()));
            crate::redact::register(&b);
            c = c
                .env("GIT_CONFIG_COUNT", "1")
                .env("GIT_CONFIG_KEY_0", "http.extraHeader")
                .secret_env(
                    "GIT_CONFIG_VALUE_0",
                    Secret::new(format!("Authorization: Basic {b}")),
                );
        }
        c
    }

    /// Gets the current index: a fresh clone of the branch (or an empty repo on a new
    /// branch), or the configured directory plus an empty staging tree.
    async fn open(&self, cx: &Cx) -> Result<Work> {
        let tmp = TempDir::new()?;
        let sub = self.sub();
        if let Some(dir) = &self.cfg.dir {
            let target = cx.release.root.join(dir);
            let stage = tmp.0.join("stage");
            std::fs::create_dir_all(&stage).map_err(io_err("creating", &stage))?;
            return Ok(Work {
                read: target.join(sub),
                write: stage.join(sub),
                checkout: None,
                stage: Some((stage, target)),
                _tmp: tmp,
            });
        }
        let repo = self.repo_url(cx);
        let branch = self.cfg.branch.as_str();
        let tree = tmp.0.join("index");
        let tree_s = tree.display().to_string();
        let heads = cx
            .exec
            .run_ok(&self.git(cx, Effect::Local, &["ls-remote", "--heads", &repo, branch]))
            .await
            .map_err(|e| match e.kind {
                // git could not talk to the remote (network, auth, no such repo).
                ErrorKind::Other => Error::new(
                    ErrorKind::Unreachable,
                    format!("reading branch {branch} of {repo}: {}", e.message()),
                )
                .with_hint("check `repo` in pipeline.yaml and that git can reach it (ssh key, credential helper or token_env)"),
                _ => e.context(format!("reading branch {branch} of {repo}")),
            })?;
        let exists = heads
            .stdout
            .lines()
            .any(|l| l.ends_with(&format!("refs/heads/{branch}")));
        if exists {
            let args = [
                "clone",
                "--quiet",
                "--depth",
                "1",
                "--single-branch",
                "--branch",
                branch,
            ];
            let mut a: Vec<&str> = args.to_vec();
            a.extend([repo.as_str(), tree_s.as_str()]);
            cx.exec.run_ok(&self.git(cx, Effect::Local, &a)).await?;
        } else {
            let head = format!("refs/heads/{branch}");
            for a in [
                vec!["init", "--quiet", tree_s.as_str()],
                vec!["-C", &tree_s, "symbolic-ref", "HEAD", &head],
                vec!["-C", &tree_s, "remote", "add", "origin", &repo],
            ] {
                cx.exec.run_ok(&self.git(cx, Effect::Local, &a)).await?;
            }
        }
        Ok(Work {
            read: tree.join(sub),
            write: tree.join(sub),
            checkout: Some(tree),
            stage: None,
            _tmp: tmp,
        })
    }

    fn load(&self, read: &Path) -> Result<Manifest> {
        index::parse_manifest(read_opt(&read.join(index::MANIFEST))?.as_deref())
    }

    /// What the index says about `wanted` (file name, sha256): the manifest first, else the
    /// project page (an index made by hand or by another tool).
    fn compare(&self, read: &Path, wanted: &[(String, String)]) -> Result<Live> {
        let m = self.load(read)?;
        let norm = wheel::normalize(&self.name);
        let page = read_opt(&read.join("simple").join(&norm).join("index.html"))?;
        let listed = page
            .map(|p| crate::platforms::pypi::api::parse_simple_html(&p, None))
            .unwrap_or_default();
        let (mut present, mut missing) = (Vec::new(), Vec::new());
        for (name, sha) in wanted {
            let live = index::find(&m, &norm, name)
                .map(|f| Some(f.sha256.clone()))
                .or_else(|| {
                    listed
                        .iter()
                        .find(|l| &l.filename == name)
                        .map(|l| l.sha256.clone())
                });
            match live {
                None => missing.push(name.clone()),
                Some(Some(s)) if !s.eq_ignore_ascii_case(sha) => {
                    return Err(Error::conflict(format!(
                        "{name} is already in the index with different content (sha256 {s}, ours {sha})"
                    ))
                    .with_hint("bump the version instead of replacing a published file"))
                }
                Some(_) => present.push(name.clone()),
            }
        }
        Ok(match (present.is_empty(), missing.is_empty()) {
            (_, true) => Live::Present,
            (true, false) => Live::Absent,
            (false, false) => Live::Partial { present, missing },
        })
    }

    /// Adds our wheels to the manifest and the tree; returns the names that were new.
    fn add_files(
        &self,
        cx: &Cx,
        w: &Work,
        m: &mut Manifest,
        wheels: &[&Artifact],
    ) -> Result<Vec<String>> {
        let norm = wheel::normalize(&self.name);
        let version = wheel::pep440(&cx.release.version)?;
        let mut added = Vec::new();
        for a in wheels {
            let src = cx.release.path(a);
            let metadata = wheel::read_metadata(&src)?;
            let meta_sha = hex::encode(Sha256::digest(metadata.as_bytes()));
            let entry = FileEntry {
                filename: a.name.clone(),
                sha256: a.sha256.clone(),
                size: a.size,
                core_metadata_sha256: Some(meta_sha),
                requires_python: self.cfg.requires_python.clone().filter(|r| !r.is_empty()),
            };
            let existing = w.read.join("files").join(&a.name);
            if existing.is_file() {
                let (sha, _) = wheel::hash_file(&existing)?;
                if !sha.eq_ignore_ascii_case(&a.sha256) {
                    return Err(Error::conflict(format!(
                        "files/{} already exists in the index with different content (sha256 {sha})",
                        a.name
                    )));
                }
            }
            let new = index::add(m, &norm, &version, entry)?;
            if new || !existing.is_file() {
                let dest = w.write.join("files").join(&a.name);
                if let Some(d) = dest.parent() {
                    std::fs::create_dir_all(d).map_err(io_err("creating", d))?;
                }
                std::fs::copy(&src, &dest).map_err(io_err("copying to", &dest))?;
                let side = w.write.join("files").join(format!("{}.metadata", a.name));
                write_file(&side, metadata.as_bytes())?;
                added.push(a.name.clone());
            }
        }
        Ok(added)
    }

    /// Re-renders the root page, our project page and the manifest into `w.write`.
    fn render(&self, w: &Work, m: &Manifest) -> Result<()> {
        let norm = wheel::normalize(&self.name);
        let root_page = w.read.join("simple").join("index.html");
        let mut projects: BTreeSet<String> = read_opt(&root_page)?
            .map(|h| index::root_projects(&h))
            .unwrap_or_default()
            .iter()
            .map(|p| wheel::normalize(p))
            .collect();
        projects.extend(m.keys().cloned());
        write_file(
            &w.write.join("simple").join("index.html"),
            index::render_root(&projects).as_bytes(),
        )?;
        if let Some(versions) = m.get(&norm) {
            let page = index::render_project(&norm, versions, self.cfg.base_url.as_deref());
            write_file(
                &w.write.join("simple").join(&norm).join("index.html"),
                page.as_bytes(),
            )?;
        }
        write_file(
            &w.write.join(index::MANIFEST),
            index::render_manifest(m).as_bytes(),
        )
    }

    /// Commits and pushes (git) or copies the staging tree over the dir.
    async fn ship(&self, cx: &Cx, w: &Work, added: &[String]) -> Result<()> {
        if let Some((stage, target)) = &w.stage {
            let from = format!("{}/.", stage.display());
            let cp = Cmd::new("cp", Effect::SideEffect)
                .arg("-R")
                .arg(from)
                .arg(target.display().to_string());
            cx.exec.run_ok(&cp).await?;
            return Ok(());
        }
        let Some(tree) = &w.checkout else {
            return Ok(());
        };
        let t = tree.display().to_string();
        cx.exec
            .run_ok(&self.git(cx, Effect::Local, &["-C", &t, "add", "-A"]))
            .await?;
        let status = cx
            .exec
            .run_ok(&self.git(cx, Effect::Local, &["-C", &t, "status", "--porcelain"]))
            .await?;
        if status.stdout.trim().is_empty() {
            return Ok(());
        }
        let has_identity = cx
            .exec
            .run(&self.git(cx, Effect::Local, &["-C", &t, "config", "user.email"]))
            .await?
            .success();
        let msg = format!(
            "{} {}: add {}",
            self.name,
            wheel::pep440(&cx.release.version)?,
            added.join(", ")
        );
        let mut args = vec!["-C", t.as_str(), "-c", "commit.gpgsign=false"];
        if !has_identity {
            args.extend([
                "-c",
                "user.name=tagship",
                "-c",
                "user.email=tagship@localhost",
            ]);
        }
        args.extend(["commit", "--quiet", "-m", msg.as_str()]);
        cx.exec.run_ok(&self.git(cx, Effect::Local, &args)).await?;
        let refspec = format!("HEAD:refs/heads/{}", self.cfg.branch);
        cx.exec
            .run_ok(&self.git(cx, Effect::SideEffect, &["-C", &t, "push", "--quiet", "origin", &refspec]))
            .await
            .map_err(|e| {
                if e.kind == ErrorKind::Withheld {
                    e
                } else {
                    e.with_hint("the push was refused (someone else updated the branch, or no access); re-run: tagship re-reads the index and adds only what is missing")
                }
            })?;
        Ok(())
    }

    fn location(&self, cx: &Cx) -> String {
        let sub = self.sub();
        let page = format!("simple/{}/", wheel::normalize(&self.name));
        let page = if sub.is_empty() {
            page
        } else {
            format!("{sub}/{page}")
        };
        match &self.cfg.dir {
            Some(d) => cx.release.root.join(d).join(page).display().to_string(),
            None => format!("{} (branch {}) {page}", self.repo_url(cx), self.cfg.branch),
        }
    }
}

#[async_trait]
impl Platform for Pep503 {
    fn id(&self) -> &str {
        "pep503"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            // A pushed branch (or a written directory) is read back once, at once.
            verify_within: Some(std::time::Duration::ZERO),
            ..Capabilities::default()
        }
    }

    fn requirements(&self) -> Vec<Requirement> {
        let program = if self.cfg.repo.is_some() { "git" } else { "cp" };
        let mut r = vec![Requirement::tool(program)];
        r.extend(self.cfg.token_env.iter().map(Requirement::credential));
        r
    }

    async fn package(&self, cx: &Cx) -> Result<Vec<Artifact>> {
        let meta =
            WheelMeta::from_release(&cx.release, &self.name, self.cfg.requires_python.as_deref())?;
        package_wheels(cx, meta, "pep503").await
    }

    async fn check(&self, cx: &Cx, packages: &[Artifact]) -> Result<Checked> {
        let wanted = wanted(packages)?;
        let w = self.open(cx).await?;
        let live = self.compare(&w.read, &wanted)?;
        let handover = match live {
            Live::Present => Handover::urls(vec![self.location(cx)]),
            _ => Handover::default(),
        };
        Ok(Checked::with(live, handover))
    }

    async fn publish(&self, cx: &Cx, _live: &Live, packages: &[Artifact]) -> Result<Published> {
        let wheels = wheels(packages);
        let w = self.open(cx).await?;
        let mut m = self.load(&w.read)?;
        let added = self.add_files(cx, &w, &mut m, &wheels)?;
        let mut out = Published {
            handover: Handover::urls(vec![self.location(cx)]),
            ..Default::default()
        };
        if added.is_empty() {
            return Ok(out);
        }
        self.render(&w, &m)?;
        self.ship(cx, &w, &added).await?;
        out.uploaded = added;
        Ok(out)
    }
}
