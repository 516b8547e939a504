//! `tagship rollback` on the AUR: there is no delete by push, so the package goes back to
//! the previous version — one commit on top of the tip restoring the `PKGBUILD` and
//! `.SRCINFO` of the newest earlier commit whose `.SRCINFO` has another pkgver (AUR's
//! history is the package's; only commits and trees are fetched, then the candidate
//! `.SRCINFO` blobs in one fetch). No earlier version → `Manual`: a deletion request.

use super::pkgbuild::Srcinfo;
use super::recipe::pkgver;
use super::{Aur, PKGBUILD, SRCINFO};
use crate::error::Result;
use crate::git::{self, Change, Content, Edit, Edits, Snapshot};
use crate::platform::{Cx, Withdrawn};
use async_trait::async_trait;
use std::sync::Mutex;

/// How far back a rollback looks for the previous version.
const HISTORY: u32 = 50;

/// What the edit found on the last snapshot it saw.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Found {
    /// The tip is not this version: nothing to take back.
    NotLive(Option<String>),
    /// No earlier version in the package's history.
    NoPrevious,
    /// Restoring this `[epoch:]pkgver-pkgrel`.
    Restore(String),
}

struct RevertEdit {
    pkgver: String,
    found: Mutex<Found>,
}

impl RevertEdit {
    fn set(&self, f: Found) {
        *self.found.lock().unwrap_or_else(|e| e.into_inner()) = f;
    }
}

/// The two files of the newest commit (before the tip's version) with another pkgver.
async fn previous(snap: &Snapshot, pkgver: &str) -> Result<Option<(String, Vec<Change>)>> {
    let paths = [PKGBUILD.to_string(), SRCINFO.to_string()];
    let mut candidates = Vec::new();
    for change in snap.history(SRCINFO, HISTORY).await? {
        let e = snap.entries_at(&change.commit, &paths).await?;
        if let (Some(p), Some(s)) = (e.get(PKGBUILD), e.get(SRCINFO)) {
            candidates.push((p.clone(), s.clone()));
        }
    }
    let mut oids: Vec<String> = candidates.iter().map(|(_, s)| s.clone()).collect();
    oids.dedup();
    let texts = snap.read(&oids).await?;
    for (pkgbuild, srcinfo) in candidates {
        let old = Srcinfo::parse(texts.get(&srcinfo).map(String::as_str).unwrap_or(""));
        if old.pkgver.as_deref().is_some_and(|v| v != pkgver) {
            let body = snap.read(std::slice::from_ref(&pkgbuild)).await?;
            let changes = vec![
                Change {
                    path: PKGBUILD.into(),
                    content: Content::Bytes(body.get(&pkgbuild).cloned().unwrap_or_default().into_bytes()),
                },
                Change {
                    path: SRCINFO.into(),
                    content: Content::Bytes(texts[&srcinfo].clone().into_bytes()),
                },
            ];
            return Ok(Some((old.full_version(), changes)));
        }
    }
    Ok(None)
}

#[async_trait]
impl Edit for RevertEdit {
    async fn edits(&self, snap: &Snapshot) -> Result<Option<Edits>> {
        let remote = super::ops::Remote::read(snap).await?;
        let live = remote.srcinfo.as_deref().map(Srcinfo::parse).unwrap_or_default();
        if live.pkgver.as_deref() != Some(self.pkgver.as_str()) {
            self.set(Found::NotLive(live.pkgver));
            return Ok(None);
        }
        let Some((version, changes)) = previous(snap, &self.pkgver).await? else {
            self.set(Found::NoPrevious);
            return Ok(None);
        };
        self.set(Found::Restore(version.clone()));
        Ok(Some(Edits {
            changes,
            message: format!("Roll back {} to {version}", live.full_version()),
        }))
    }
}

pub async fn withdraw(aur: &Aur, cx: &Cx) -> Result<Withdrawn> {
    let edit = RevertEdit {
        pkgver: pkgver(&cx.release.version),
        found: Mutex::new(Found::NoPrevious),
    };
    git::update(&cx.exec, &aur.spec(cx), &edit).await?;
    let pkg = aur.pkgname();
    let found = edit.found.into_inner().unwrap_or_else(|e| e.into_inner());
    Ok(match found {
        Found::Restore(v) => Withdrawn::Done(format!(
            "{pkg}: restored the PKGBUILD and .SRCINFO of {v} (from {})",
            edit.pkgver
        )),
        Found::NotLive(live) => Withdrawn::Done(format!(
            "{pkg}: {} is not the live version ({}): nothing to take back",
            edit.pkgver,
            live.as_deref().unwrap_or("no package")
        )),
        Found::NoPrevious => Withdrawn::Manual {
            what: format!(
                "{pkg} has no earlier version to restore, and a push cannot delete an AUR package: file a deletion request"
            ),
            url: format!("https://aur.archlinux.org/pkgbase/{pkg}/request"),
        },
    })
}
