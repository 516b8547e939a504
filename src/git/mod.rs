//! The git kit: one branch of one remote, touched as little as possible (issue 6, issue 11).
//!
//! - **Fetch only what is needed.** `Snapshot::open` fetches the branch tip with `--depth=1
//!   --filter=blob:none` into a scratch repo: the commit and its trees, no blob and no history.
//!   `entries` lists blob ids of exact paths from the trees; `read` downloads just the blobs
//!   asked for, in one fetch. Every command runs with `GIT_NO_LAZY_FETCH=1`, so nothing else is
//!   ever downloaded behind our back.
//! - **Commit without a checkout.** `commit` loads the tip's tree into a private index, adds
//!   the new blobs with `update-index --cacheinfo` and writes a tree with `--missing-ok`: old
//!   files are never fetched, so memory and disk stay flat as the branch grows; a change may
//!   also remove a path (`Content::Removed`, `update-index --force-remove`). Author and
//!   committer are fixed and dated at the release epoch, so the same change on the same tip is
//!   the same commit.
//! - **Push through the dry-run guard.** Everything is `Effect::Local` except the push
//!   (`Effect::SideEffect`), which a dry run withholds. `update` retries a push refused
//!   because the branch moved: it re-fetches and asks the caller for its changes again.
//! - **Transient failures are retried by the shared HTTP policy** (remote.rs): fetches run
//!   again; a failed push is settled by reading the remote ref, never re-sent blindly.
//! - **Credentials never show.** A token goes to git as an `http.extraHeader` through
//!   `GIT_CONFIG_COUNT/KEY/VALUE` in the environment (never argv, never a file); its base64
//!   form is registered with the redactor. An ssh key goes to a 0600 file in the 0700 scratch
//!   dir, removed with it, and host keys are checked strictly.

use crate::error::{Error, ErrorKind, Result};
use crate::exec::{Cmd, Effect, Exec};
use crate::redact::Secret;
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

mod history;
mod remote;
mod spec;
mod support;
pub use history::PathChange;
pub use support::{blob_id, file_blob_id, ssh_command, Scratch};
use support::{check_path, token_header, unreachable, write_private};

pub use remote::LOW_SPEED_SECS;

/// How many times `update` builds and pushes before giving up on a busy branch.
pub const MAX_ATTEMPTS: u32 = 4;

/// Large blobs are streamed into packs and never delta-compressed, so hashing and pushing a
/// 200 MB wheel does not hold it in memory.
const BIG_FILE: &str = "core.bigFileThreshold=1m";
/// Pack files are read through small mmap windows: with git's default (1 GiB windows),
/// sending a pack that holds a 200 MB wheel maps it whole, and the push's pack-objects
/// counted 200 MB resident (measured: 21 MiB with these two).
const PACK_WINDOW: &str = "core.packedGitWindowSize=1m";
const PACK_LIMIT: &str = "core.packedGitLimit=32m";

/// How git authenticates to the remote.
#[derive(Debug, Clone, Default)]
pub enum Auth {
    /// git's own credentials (ssh agent, credential helper, or none for a local path).
    #[default]
    Ambient,
    /// HTTPS token, sent as `Authorization: Basic x-access-token:<token>`.
    Token(Secret),
    /// An ssh private key (its text) and, optionally, the known_hosts file to check the host
    /// against (default: ssh's own).
    SshKey {
        key: Secret,
        known_hosts: Option<PathBuf>,
    },
}

/// The fixed identity commits are made with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    pub name: String,
    pub email: String,
}

impl Default for Author {
    fn default() -> Self {
        Author {
            name: "tagship".into(),
            email: "tagship@localhost".into(),
        }
    }
}

/// One branch of one remote, and how to write to it.
#[derive(Debug, Clone)]
pub struct Spec {
    /// As git understands it: URL, scp-style address or absolute path.
    pub url: String,
    pub branch: String,
    pub auth: Auth,
    pub author: Author,
    /// Author and committer date (the release's SOURCE_DATE_EPOCH).
    pub epoch: u64,
    /// The git program; tests point it at a wrapper that records argv.
    pub program: String,
    /// The variable the credential came from, named when the remote refuses it.
    pub credential: Option<String>,
}

/// What the next commit puts at a path.
#[derive(Debug, Clone)]
pub enum Content {
    /// Read from this local file (streamed by git; large files are fine).
    File(PathBuf),
    Bytes(Vec<u8>),
    /// Nothing: the path is removed (a path the tip does not have is left as it is).
    Removed,
}

/// One path to write (or remove) in the next commit.
#[derive(Debug, Clone)]
pub struct Change {
    /// Path inside the branch, `/`-separated.
    pub path: String,
    pub content: Content,
}

impl Change {
    /// Removes `path` in the next commit.
    pub fn removal(path: impl Into<String>) -> Change {
        Change {
            path: path.into(),
            content: Content::Removed,
        }
    }

    fn removes(&self) -> bool {
        matches!(self.content, Content::Removed)
    }
}

/// What a caller wants on top of a snapshot: `None` from [`Edit::edits`] means nothing to do.
#[derive(Debug, Clone)]
pub struct Edits {
    pub changes: Vec<Change>,
    pub message: String,
}

/// Computes the changes to make on top of the branch as it is now. Called again after the
/// branch moved under a push, so it must re-read what it depends on from the snapshot.
#[async_trait]
pub trait Edit: Send + Sync {
    async fn edits(&self, snap: &Snapshot) -> Result<Option<Edits>>;
}

/// What `update` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Updated {
    /// The pushed commit; `None` when there was nothing to change.
    pub commit: Option<String>,
    /// Paths written (or removed) by that commit.
    pub paths: Vec<String>,
    /// Pushes tried (more than 1 when the branch moved in between).
    pub attempts: u32,
}

/// The branch tip fetched into a scratch repo (commit and trees only).
pub struct Snapshot {
    spec: Spec,
    exec: Exec,
    scratch: Scratch,
    tip: Option<String>,
}

impl Snapshot {
    /// Fetches the tip of `spec.branch`; a branch that does not exist yet is an empty snapshot.
    pub async fn open(exec: &Exec, spec: &Spec) -> Result<Snapshot> {
        let scratch = Scratch::new("tagship-git")?;
        if let Auth::SshKey { key, .. } = &spec.auth {
            write_private(&scratch.path().join("ssh_key"), key)?;
        }
        let mut s = Snapshot {
            spec: spec.clone(),
            exec: exec.clone(),
            scratch,
            tip: None,
        };
        let repo = s.repo().display().to_string();
        let init = s.bare_cmd(Effect::Local, &["init", "--quiet", &repo]);
        s.exec.run_ok(&init).await?;
        s.git(&["remote", "add", "origin", &spec.url]).await?;
        s.fetch_tip().await?;
        Ok(s)
    }

    /// The tip commit; `None` for a branch that does not exist yet.
    pub fn tip(&self) -> Option<&str> {
        self.tip.as_deref()
    }

    /// The scratch directory (the repo, the private index and, for ssh, the key).
    pub fn scratch(&self) -> &Path {
        self.scratch.path()
    }

    fn repo(&self) -> PathBuf {
        self.scratch.path().join("repo")
    }

    /// A git command not yet tied to the repo (for `init`).
    fn bare_cmd(&self, effect: Effect, args: &[&str]) -> Cmd {
        let mut c = Cmd::new(self.spec.program.clone(), effect)
            .args(args.iter().map(|s| s.to_string()))
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_NO_LAZY_FETCH", "1")
            .env(
                "GIT_INDEX_FILE",
                self.scratch.path().join("index").display().to_string(),
            );
        match &self.spec.auth {
            Auth::Ambient => {}
            Auth::Token(t) => {
                let (k, v) = token_header(t);
                c = c
                    .env("GIT_CONFIG_COUNT", "1")
                    .env("GIT_CONFIG_KEY_0", k)
                    .secret_env("GIT_CONFIG_VALUE_0", v);
            }
            Auth::SshKey { known_hosts, .. } => {
                let key = self.scratch.path().join("ssh_key");
                c = c.env("GIT_SSH_COMMAND", ssh_command(&key, known_hosts.as_deref()));
            }
        }
        c
    }

    fn cmd(&self, effect: Effect, args: &[&str]) -> Cmd {
        let repo = self.repo().display().to_string();
        let low_speed = format!("http.lowSpeedTime={LOW_SPEED_SECS}");
        let mut all = vec![
            "-C",
            repo.as_str(),
            "-c",
            "commit.gpgsign=false",
            "-c",
            BIG_FILE,
            "-c",
            PACK_WINDOW,
            "-c",
            PACK_LIMIT,
            "-c",
            "http.lowSpeedLimit=1",
            "-c",
            &low_speed,
        ];
        all.extend_from_slice(args);
        self.bare_cmd(effect, &all)
    }

    /// Runs a local git command in the repo and returns its stdout.
    async fn git(&self, args: &[&str]) -> Result<String> {
        Ok(self
            .exec
            .run_ok(&self.cmd(Effect::Local, args))
            .await?
            .stdout)
    }

    async fn fetch_tip(&mut self) -> Result<()> {
        let b = &self.spec.branch;
        let refspec = format!("+refs/heads/{b}:refs/remotes/origin/{b}");
        let args = [
            "fetch",
            "--quiet",
            "--no-tags",
            "--depth=1",
            "--filter=blob:none",
            "origin",
            &refspec,
        ];
        let out = self.read_remote(&self.cmd(Effect::Local, &args)).await?;
        if !out.success() {
            if out.stderr.contains("couldn't find remote ref") {
                self.tip = None;
                return Ok(());
            }
            return Err(unreachable(&self.spec, &out));
        }
        let local = format!("refs/remotes/origin/{b}");
        let tip = self.git(&["rev-parse", "--verify", &local]).await?;
        self.tip = Some(tip.trim().to_string());
        Ok(())
    }

    /// Blob ids of those of `paths` that exist in the tip (from the trees; nothing is
    /// downloaded). Directories and missing paths are left out.
    pub async fn entries(&self, paths: &[String]) -> Result<BTreeMap<String, String>> {
        match &self.tip {
            Some(tip) => self.entries_at(tip, paths).await,
            None => Ok(BTreeMap::new()),
        }
    }

    /// As `entries`, in the tree of `commit` (the tip or a commit from `history`).
    pub async fn entries_at(
        &self,
        commit: &str,
        paths: &[String],
    ) -> Result<BTreeMap<String, String>> {
        let mut args = vec!["ls-tree", "-z", "--full-tree", commit, "--"];
        args.extend(paths.iter().map(String::as_str));
        let out = self.git(&args).await?;
        let mut found = BTreeMap::new();
        for rec in out.split('\0').filter(|r| !r.is_empty()) {
            // "<mode> <type> <oid>\t<path>"
            let Some((meta, path)) = rec.split_once('\t') else {
                continue;
            };
            let f: Vec<&str> = meta.split(' ').collect();
            if f.len() == 3 && f[1] == "blob" && paths.iter().any(|p| p == path) {
                found.insert(path.to_string(), f[2].to_string());
            }
        }
        Ok(found)
    }

    /// Downloads the given blobs in one fetch and returns their text by id.
    pub async fn read(&self, oids: &[String]) -> Result<BTreeMap<String, String>> {
        if oids.is_empty() {
            return Ok(BTreeMap::new());
        }
        // As git's own lazy fetch does: without the noop negotiation, fetching a bare blob
        // over HTTP fails its connectivity check ("bad revision").
        let mut args = vec![
            "-c",
            "fetch.negotiationAlgorithm=noop",
            "fetch",
            "--quiet",
            "--no-tags",
            "--no-write-fetch-head",
            "--filter=blob:none",
            "origin",
        ];
        args.extend(oids.iter().map(String::as_str));
        let out = self.read_remote(&self.cmd(Effect::Local, &args)).await?;
        if !out.success() {
            return Err(unreachable(&self.spec, &out));
        }
        let mut texts = BTreeMap::new();
        for oid in oids {
            let text = self.git(&["cat-file", "blob", oid]).await?;
            texts.insert(oid.clone(), text);
        }
        Ok(texts)
    }

    /// Builds a commit with `edits` on top of the tip, without checking anything out.
    /// `None` when the tree would not change.
    pub async fn commit(&self, edits: &Edits) -> Result<Option<String>> {
        let index = self.scratch.path().join("index");
        let _ = std::fs::remove_file(&index);
        if let Some(tip) = &self.tip {
            self.git(&["read-tree", tip]).await?;
        }
        let (removed, writes): (Vec<&Change>, Vec<&Change>) =
            edits.changes.iter().partition(|c| c.removes());
        let oids = self.write_blobs(&writes).await?;
        let mut args = vec!["update-index".to_string(), "--add".to_string()];
        for (c, oid) in writes.iter().zip(&oids) {
            check_path(&c.path)?;
            args.push("--cacheinfo".into());
            args.push(format!("100644,{oid},{}", c.path));
        }
        // Removals come last: `--force-remove` applies to every path after it, and needs no
        // file in the (empty) work tree.
        if !removed.is_empty() {
            args.extend(["--force-remove".to_string(), "--".to_string()]);
            for c in removed {
                check_path(&c.path)?;
                args.push(c.path.clone());
            }
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        self.git(&refs).await?;
        let tree = self.git(&["write-tree", "--missing-ok"]).await?;
        let tree = tree.trim();
        let mut args = vec!["commit-tree", tree, "-m", edits.message.as_str()];
        if let Some(tip) = &self.tip {
            let old = self.git(&["rev-parse", &format!("{tip}^{{tree}}")]).await?;
            if old.trim() == tree {
                return Ok(None);
            }
            args.extend(["-p", tip.as_str()]);
        }
        let date = format!("@{} +0000", self.spec.epoch);
        let a = &self.spec.author;
        let mut cmd = self.cmd(Effect::Local, &args);
        for who in ["AUTHOR", "COMMITTER"] {
            cmd = cmd
                .env(format!("GIT_{who}_NAME"), a.name.clone())
                .env(format!("GIT_{who}_EMAIL"), a.email.clone())
                .env(format!("GIT_{who}_DATE"), date.clone());
        }
        let out = self.exec.run_ok(&cmd).await?;
        Ok(Some(out.stdout.trim().to_string()))
    }

    /// Writes the changes' blobs into the scratch repo (one `hash-object -w`), in order.
    async fn write_blobs(&self, changes: &[&Change]) -> Result<Vec<String>> {
        if changes.is_empty() {
            return Ok(Vec::new());
        }
        let mut files = Vec::new();
        for (i, c) in changes.iter().enumerate() {
            files.push(match &c.content {
                Content::File(p) => p.display().to_string(),
                Content::Bytes(b) => {
                    let p = self.scratch.path().join(format!("new-{i}"));
                    std::fs::write(&p, b)
                        .map_err(|e| Error::io(format!("writing {}", p.display()), e))?;
                    p.display().to_string()
                }
                Content::Removed => continue, // not a blob (the count check below holds)
            });
        }
        let mut args = vec!["hash-object", "-w", "--no-filters", "--"];
        args.extend(files.iter().map(String::as_str));
        let out = self.git(&args).await?;
        let oids: Vec<String> = out.lines().map(|l| l.trim().to_string()).collect();
        if oids.len() != changes.len() {
            return Err(Error::protocol(format!(
                "git hash-object printed {} ids for {} files",
                oids.len(),
                changes.len()
            )));
        }
        Ok(oids)
    }
}

/// Fetches, asks `edit` for its changes, commits and pushes; a push refused because the branch
/// moved starts over from a fresh fetch, at most [`MAX_ATTEMPTS`] times.
pub async fn update(exec: &Exec, spec: &Spec, edit: &dyn Edit) -> Result<Updated> {
    let mut attempts = 0;
    loop {
        let snap = Snapshot::open(exec, spec).await?;
        let Some(edits) = edit.edits(&snap).await? else {
            return Ok(Updated {
                attempts,
                ..Default::default()
            });
        };
        let Some(commit) = snap.commit(&edits).await? else {
            return Ok(Updated {
                attempts,
                ..Default::default()
            });
        };
        attempts += 1;
        if snap.push(&commit).await? {
            let paths = edits.changes.iter().map(|c| c.path.clone()).collect();
            return Ok(Updated {
                commit: Some(commit),
                paths,
                attempts,
            });
        }
        if attempts >= MAX_ATTEMPTS {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "branch {} of {} kept moving: {attempts} pushes refused",
                    spec.branch, spec.url
                ),
            )
            .with_hint("another job writes to the same branch; re-run when it is done"));
        }
    }
}
