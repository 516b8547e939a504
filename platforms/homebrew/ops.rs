//! The adapter's operations against the tap, through the git kit (or, in pull-request mode,
//! `pulls.rs`): check reads the formula at the branch tip; publish commits the packaged formula (fetch → edit → commit → push, the
//! edit re-judged on a fresh tip if the branch moved); latest reads its version; restore
//! (rollback) commits the formula as it was before this version.

use super::formula::{self, Download, Seen};
use super::pulls::Tap;
use super::{formula_file, Homebrew, Mode};
use crate::error::{Error, ErrorKind, Result};
use crate::git::{self, Change, Content, Edit, Edits, Snapshot};
use crate::plan::Artifact;
use crate::platform::{compare, Checked, Cx, Digest, Handover, Latest, Listed, Live, Published};
use crate::platform::{Planned, Probe};
use crate::plan::{Arch, Os};
use crate::platform::{Wanted, Withdrawn};
use async_trait::async_trait;

/// How many commits back a rollback looks for the formula as it was before this version.
pub const HISTORY_DEPTH: u32 = 200;

/// The formula at the branch tip (git, or GitHub's contents API in pull-request mode).
async fn read_tip(p: &Homebrew, cx: &Cx) -> Result<Option<Seen>> {
    let text = match p.cfg.mode {
        Mode::PullRequest => Tap::new(p, cx)?.read(p).await?,
        Mode::Push => read_text(&Snapshot::open(&cx.exec, &p.spec(cx)).await?, &p.path()).await?,
    };
    Ok(text.map(|t| formula::read(&t)))
}

/// The formula at the snapshot's tip, read; `None` when the tap has no such file.
async fn read_formula(snap: &Snapshot, path: &str) -> Result<Option<Seen>> {
    Ok(read_text(snap, path).await?.map(|t| formula::read(&t)))
}

async fn read_text(snap: &Snapshot, path: &str) -> Result<Option<String>> {
    let ids = snap.entries(&[path.to_string()]).await?;
    let Some(oid) = ids.get(path) else {
        return Ok(None);
    };
    let mut texts = snap.read(std::slice::from_ref(oid)).await?;
    Ok(texts.remove(oid))
}

fn version_of(seen: &Seen) -> Option<semver::Version> {
    let v = seen.version.as_deref()?;
    semver::Version::parse(v.trim_start_matches('v')).ok()
}

/// Present: this version with our sha256s. Conflict: this version with other downloads.
/// Absent: no formula, an older version, or one whose version cannot be read. A newer version
/// is refused with a hint (a backport release must not move users back) unless `downgrade`
/// allows it (`allow_downgrade: true`): then it is absent, and overwritten.
pub fn judge(path: &str, version: &semver::Version, ours: &[Download], seen: Option<&Seen>, downgrade: bool) -> Result<Live> {
    let wanted: Vec<Wanted> = ours
        .iter()
        .map(|d| Wanted::new(&d.url, vec![Digest::Sha256(d.sha256.clone())]))
        .collect();
    let Some(seen) = seen else {
        return Ok(Live::Absent);
    };
    match version_of(seen) {
        Some(v) if v == *version => {}
        Some(v) if v > *version && !downgrade => {
            return Err(Error::conflict(format!(
                "{path}: the tap has the newer version {v}; tagship does not move a formula \
                 back to {version} (users on {v} would not get it, new users would get the older one)"
            ))
            .with_hint(
                "nothing to do for a backport release; to replace the formula anyway, set \
                 platforms.homebrew.allow_downgrade: true (`tagship rollback` takes back a version)",
            ))
        }
        _ => return Ok(Live::Absent),
    }
    let listed: Vec<Listed> = seen
        .downloads
        .iter()
        .map(|(url, sha)| Listed::new(url, vec![Digest::Sha256(sha.clone())]))
        .collect();
    Ok(match compare(&wanted, &listed) {
        Live::Present => Live::Present,
        Live::Conflict { conflicts } => Live::Conflict {
            conflicts: conflicts.into_iter().map(|c| format!("{path}: {c}")).collect(),
        },
        // Some of our URLs are not in it: the same version points elsewhere.
        _ => Live::Conflict {
            conflicts: vec![format!(
                "{path}: version {version} is in the tap with other downloads ({})",
                seen.downloads
                    .iter()
                    .map(|(u, _)| u.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )],
        },
    })
}

pub async fn check(p: &Homebrew, cx: &Cx) -> Result<Checked> {
    let ours = p.downloads(cx)?;
    let path = p.path();
    let seen = read_tip(p, cx).await?;
    let mut live = judge(&path, &cx.release.version, &ours, seen.as_ref(), p.cfg.allow_downgrade)?;
    if p.cfg.mode == Mode::PullRequest && live == Live::Absent {
        live = Tap::new(p, cx)?.pending(p, cx).await?.unwrap_or(live);
    }
    let handover = match live {
        Live::Present => Handover::urls(vec![p.location(cx)]),
        _ => Handover::default(),
    };
    Ok(Checked::with(live, handover))
}

/// Phase 0 (no bytes): live when the tip's formula has this version and exactly one download
/// per darwin/linux amd64/arm64 target planned, each a GitHub asset (from github's probe
/// hand-over) with GitHub's own sha256. Anything else: build and check.
pub async fn probe(p: &Homebrew, cx: &Cx, plan: &Planned) -> Result<Probe> {
    let Some(gh) = cx.deps.get("github") else {
        return Ok(Probe::Unknown);
    };
    let wanted = plan
        .targets
        .iter()
        .filter(|t| matches!(t.os, Os::Darwin | Os::Linux) && matches!(t.arch, Arch::Amd64 | Arch::Arm64))
        .count();
    let path = p.path();
    let Some(seen) = read_tip(p, cx).await? else {
        return Ok(Probe::Missing(format!("homebrew: no {path} in the tap")));
    };
    if version_of(&seen).as_ref() != Some(&cx.release.version) {
        return Ok(Probe::Missing(format!("homebrew: {path} is not at {}", cx.release.version)));
    }
    let on_github = |(url, sha): &(String, String)| {
        gh.assets.iter().any(|a| a.url == *url && a.sha256.eq_ignore_ascii_case(sha))
    };
    if seen.downloads.len() != wanted || !seen.downloads.iter().all(on_github) {
        return Ok(Probe::Missing(format!(
            "homebrew: {path} does not point at exactly the release's assets"
        )));
    }
    Ok(Probe::Live(Handover::urls(vec![p.location(cx)])))
}

/// Writes the packaged formula unless the tip already has this version (with our sums:
/// nothing to do; with others: a conflict, never overwritten).
struct FormulaEdit<'a> {
    path: String,
    text: Vec<u8>,
    version: &'a semver::Version,
    ours: Vec<Download>,
    message: String,
    downgrade: bool,
}

#[async_trait]
impl Edit for FormulaEdit<'_> {
    async fn edits(&self, snap: &Snapshot) -> Result<Option<Edits>> {
        let seen = read_formula(snap, &self.path).await?;
        match judge(&self.path, self.version, &self.ours, seen.as_ref(), self.downgrade)? {
            Live::Present => Ok(None),
            Live::Conflict { conflicts } => Err(Error::conflict(format!(
                "live with different content: {}",
                conflicts.join("; ")
            ))),
            _ => Ok(Some(Edits {
                changes: vec![Change {
                    path: self.path.clone(),
                    content: Content::Bytes(self.text.clone()),
                }],
                message: self.message.clone(),
            })),
        }
    }
}

pub async fn publish(p: &Homebrew, cx: &Cx, packages: &[Artifact]) -> Result<Published> {
    let file = formula_file(cx, packages)?;
    let text = std::fs::read(&file).map_err(|e| Error::io(format!("reading {}", file.display()), e))?;
    if p.cfg.mode == Mode::PullRequest {
        let text = String::from_utf8_lossy(&text).into_owned();
        return Tap::new(p, cx)?.publish(p, cx, text).await;
    }
    let version = &cx.release.version;
    let edit = FormulaEdit {
        path: p.path(),
        text,
        version,
        ours: p.downloads(cx)?,
        message: format!("{} {version}", p.name),
        downgrade: p.cfg.allow_downgrade,
    };
    let done = git::update(&cx.exec, &p.spec(cx), &edit)
        .await
        .map_err(push_hint)?;
    Ok(Published {
        uploaded: done.paths,
        handover: Handover::urls(vec![p.location(cx)]),
        ..Default::default()
    })
}

fn push_hint(e: Error) -> Error {
    match e.kind {
        ErrorKind::Withheld | ErrorKind::Conflict => e,
        _ => e.or_hint("re-run: tagship reads the tap first and commits only what is missing"),
    }
}

/// `tagship status`: the version of the formula at the tip.
pub async fn latest(p: &Homebrew, cx: &Cx) -> Result<Option<Latest>> {
    let seen = read_tip(p, cx).await?;
    Ok(seen.as_ref().and_then(version_of).map(|version| Latest {
        version,
        published_at: None,
        url: Some(p.location(cx)),
    }))
}

/// Writes `text` back at `path` (or removes the file, for `None`) while the tip still has
/// `version` there.
struct RestoreEdit<'a> {
    path: String,
    text: Option<String>,
    version: &'a semver::Version,
    message: String,
}

#[async_trait]
impl Edit for RestoreEdit<'_> {
    async fn edits(&self, snap: &Snapshot) -> Result<Option<Edits>> {
        let seen = read_formula(snap, &self.path).await?;
        if seen.as_ref().and_then(version_of).as_ref() != Some(self.version) {
            return Ok(None);
        }
        let change = match &self.text {
            Some(text) => Change {
                path: self.path.clone(),
                content: Content::Bytes(text.clone().into_bytes()),
            },
            None => Change::removal(&self.path),
        };
        Ok(Some(Edits {
            changes: vec![change],
            message: self.message.clone(),
        }))
    }
}

/// What the formula was before this version.
enum Before {
    /// An older formula (or one without a version), to restore.
    Formula(String),
    /// None: this version (or a newer one after it) created the file.
    Created,
    /// Not within `HISTORY_DEPTH` commits.
    Unknown,
}

/// Walks the path's changes newest first: the first earlier content with an older version (or
/// none), or the change that created the file.
async fn previous(snap: &Snapshot, path: &str, version: &semver::Version) -> Result<Before> {
    let changes = snap.history(path, HISTORY_DEPTH).await?;
    let befores: Vec<String> = changes.iter().filter_map(|c| c.before.clone()).collect();
    let texts = snap.read(&befores).await?;
    for c in &changes {
        if c.created {
            return Ok(Before::Created);
        }
        let Some(text) = c.before.as_ref().and_then(|o| texts.get(o)) else {
            return Ok(Before::Unknown);
        };
        // Skip this version's own edits and newer versions (an earlier rollback moved the
        // tap back from them): what came before this version is older, or has no version.
        if version_of(&formula::read(text)).map_or(true, |v| v < *version) {
            return Ok(Before::Formula(text.clone()));
        }
    }
    Ok(Before::Unknown)
}

/// `tagship rollback`: one commit putting back the formula as it was before this version, or
/// removing it when this version created it.
pub async fn restore(p: &Homebrew, cx: &Cx) -> Result<Withdrawn> {
    let version = &cx.release.version;
    let path = p.path();
    let spec = p.spec(cx);
    let snap = Snapshot::open(&cx.exec, &spec).await?;
    let now = read_formula(&snap, &path).await?;
    let at = now.as_ref().and_then(version_of);
    if at.as_ref() != Some(version) {
        let shown = at.map_or("absent".to_string(), |v| format!("at {v}"));
        return Ok(Withdrawn::Done(format!(
            "{path} in the tap is {shown}, not {version}: nothing to take back"
        )));
    }
    let (text, back_to) = match previous(&snap, &path, version).await? {
        Before::Formula(text) => {
            let v = version_of(&formula::read(&text));
            (Some(text), v.map_or("the previous formula".into(), |v| v.to_string()))
        }
        Before::Created => (None, String::new()),
        Before::Unknown => {
            return Ok(Withdrawn::Manual {
                what: format!(
                    "no formula before {version} within the last {HISTORY_DEPTH} commits of \
                     branch {}: restore {path} by hand (or `git rm` it if {} should not be \
                     installable)",
                    spec.branch, p.name
                ),
                url: p.repo_url(cx),
            })
        }
    };
    let removed = text.is_none();
    let message = match removed {
        true => format!("{}: removed (rollback of {version}, which added it)", p.name),
        false => format!("{}: back to {back_to} (rollback of {version})", p.name),
    };
    let edit = RestoreEdit {
        path: path.clone(),
        text,
        version,
        message,
    };
    let done = git::update(&cx.exec, &spec, &edit).await?;
    Ok(Withdrawn::Done(match (done.commit, removed) {
        (Some(c), true) => format!("{path} removed ({version} created it) in commit {c}"),
        (Some(c), false) => format!("{path} restored to {back_to} in commit {c}"),
        (None, _) => format!("{path} is no longer at {version}: nothing to take back"),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Arch, Os};

    fn dl(sha: char) -> Vec<Download> {
        vec![Download {
            os: Os::Darwin,
            arch: Arch::Arm64,
            url: "https://x/demo.tar.gz".into(),
            sha256: sha.to_string().repeat(64),
        }]
    }

    fn seen(v: &str, sha: char) -> Seen {
        Seen {
            version: Some(v.into()),
            downloads: vec![("https://x/demo.tar.gz".into(), sha.to_string().repeat(64))],
        }
    }

    #[test]
    fn judged_by_version_and_sums() {
        let v = semver::Version::new(1, 2, 0);
        let j = |s: Option<&Seen>| judge("F/d.rb", &v, &dl('a'), s, false).unwrap();
        assert_eq!(j(None), Live::Absent);
        assert_eq!(j(Some(&seen("1.2.0", 'a'))), Live::Present);
        assert_eq!(j(Some(&seen("1.1.9", 'b'))), Live::Absent);
        assert_eq!(j(Some(&Seen::default())), Live::Absent);
        assert!(matches!(j(Some(&seen("1.2.0", 'b'))), Live::Conflict { .. }));
        // A newer version: refused with the setting in the hint, unless allowed.
        let newer = seen("2.0.0", 'a');
        let e = judge("F/d.rb", &v, &dl('a'), Some(&newer), false).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Conflict);
        assert!(e.to_string().contains("newer version 2.0.0"), "{e}");
        assert!(e.hint().unwrap_or("").contains("allow_downgrade"), "{e:?}");
        let allowed = judge("F/d.rb", &v, &dl('a'), Some(&newer), true).unwrap();
        assert_eq!(allowed, Live::Absent);
        let mut moved = seen("1.2.0", 'a');
        moved.downloads[0].0 = "https://elsewhere/demo.tar.gz".into();
        let Live::Conflict { conflicts } = j(Some(&moved)) else {
            panic!("other URLs under the same version are a conflict")
        };
        assert!(conflicts[0].contains("elsewhere"), "{conflicts:?}");
    }
}
