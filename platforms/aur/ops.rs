//! Check and publish against the package's git remote, through the git kit. `judge` (pure)
//! decides from the remote's files at the tip of `master`: another pkgver → absent (a new
//! version, or a new package); the same pkgver with other checksums → conflict (never
//! overwritten); the same pkgver and sums → present, or exactly the files whose bytes differ
//! (a lost `.SRCINFO`, a `pkgrel` bump in the settings). Publish re-judges a fresh snapshot
//! inside the kit's fetch → commit → push loop and writes those files in one commit.

use super::pkgbuild::Srcinfo;
use super::{Aur, PKGBUILD, SRCINFO};
use crate::error::{Error, ErrorKind, Result};
use crate::git::{self, blob_id, Change, Content, Edit, Edits, Snapshot};
use crate::plan::Artifact;
use crate::platform::{Checked, Cx, Handover, Latest, Live, Planned, Probe, Published};
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// Our two files, as packaged.
#[derive(Debug, Clone)]
pub struct Ours {
    /// `PKGBUILD`, then `.SRCINFO`, with their text.
    pub files: Vec<(String, String)>,
}

impl Ours {
    fn read(cx: &Cx, packages: &[Artifact]) -> Result<Ours> {
        let mut files = Vec::new();
        for name in [PKGBUILD, SRCINFO] {
            let a = packages.iter().find(|a| a.name == name).ok_or_else(|| {
                Error::input(format!("aur: no {name} was packaged for this release"))
            })?;
            let p = cx.release.path(a);
            let text = std::fs::read_to_string(&p)
                .map_err(|e| Error::io(format!("reading {}", p.display()), e))?;
            files.push((name.to_string(), text));
        }
        Ok(Ours { files })
    }

    fn text(&self, name: &str) -> &str {
        self.files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.as_str())
            .unwrap_or("")
    }
}

/// The remote's two files at the tip: blob ids, and the `.SRCINFO` text.
#[derive(Debug, Clone, Default)]
pub struct Remote {
    pub blobs: BTreeMap<String, String>,
    pub srcinfo: Option<String>,
}

impl Remote {
    pub async fn read(snap: &Snapshot) -> Result<Remote> {
        let paths = [PKGBUILD.to_string(), SRCINFO.to_string()];
        let blobs = snap.entries(&paths).await?;
        let srcinfo = match blobs.get(SRCINFO) {
            Some(oid) => snap.read(std::slice::from_ref(oid)).await?.remove(oid),
            None => None,
        };
        Ok(Remote { blobs, srcinfo })
    }
}

/// What is live of `ours` on the remote (see the module doc).
pub fn judge(ours: &Ours, remote: &Remote) -> Live {
    let mine = Srcinfo::parse(ours.text(SRCINFO));
    let same_bytes = |name: &str| {
        let ours = blob_id(ours.text(name).as_bytes());
        remote.blobs.get(name).is_some_and(|b| *b == ours)
    };
    let Some(text) = &remote.srcinfo else {
        // No .SRCINFO: our PKGBUILD there means only the .SRCINFO was lost.
        return match same_bytes(PKGBUILD) {
            true => Live::of(vec![PKGBUILD.into()], vec![SRCINFO.into()]),
            false => Live::Absent,
        };
    };
    let theirs = Srcinfo::parse(text);
    if theirs.pkgver != mine.pkgver || theirs.epoch != mine.epoch {
        return Live::Absent;
    }
    if theirs.sums != mine.sums {
        return Live::Conflict {
            conflicts: vec![format!(
                "{SRCINFO}: {} is live with other checksums ({}), ours {}",
                theirs.full_version(),
                show(&theirs.sums),
                show(&mine.sums)
            )],
        };
    }
    let rel = |s: &Srcinfo| s.pkgrel.as_deref().and_then(|r| r.parse::<u32>().ok());
    if rel(&theirs).is_none() || rel(&theirs) > rel(&mine) {
        // A later packaging fix of this version is live: never go back.
        return Live::Present;
    }
    let (present, missing) = ours
        .files
        .iter()
        .map(|(n, _)| n.clone())
        .partition(|n| same_bytes(n));
    Live::of(present, missing)
}

/// Refuses to move the package back: the remote at a newer version (or with an `epoch`,
/// which pacman ranks above any pkgver) than ours, unless `allow` (`allow_downgrade: true`).
/// A remote pkgver that maps from no semver version cannot be compared and is not refused.
pub fn refuse_downgrade(ours: &Ours, remote: &Remote, allow: bool) -> Result<()> {
    let Some(text) = remote.srcinfo.as_deref().filter(|_| !allow) else {
        return Ok(());
    };
    let (theirs, mine) = (Srcinfo::parse(text), Srcinfo::parse(ours.text(SRCINFO)));
    let v = |s: &Srcinfo| s.pkgver.as_deref().and_then(super::recipe::semver_of);
    let newer = match (v(&theirs), v(&mine)) {
        _ if theirs.epoch.as_deref().is_some_and(|e| e != "0") => true,
        (Some(t), Some(m)) => t > m,
        _ => false,
    };
    if !newer {
        return Ok(());
    }
    Err(Error::conflict(format!(
        "the AUR has {}, newer than {}; tagship does not move the package back (pacman would \
         not offer it to users who upgraded)",
        theirs.full_version(),
        mine.full_version()
    ))
    .with_hint("nothing to do for a backport release; to replace the package anyway, set platforms.aur.allow_downgrade: true"))
}

fn show(sums: &BTreeMap<String, Vec<String>>) -> String {
    let parts: Vec<String> = sums
        .iter()
        .map(|(k, v)| format!("{k} {}", v.join(",")))
        .collect();
    parts.join("; ")
}

pub async fn check(aur: &Aur, cx: &Cx, packages: &[Artifact]) -> Result<Checked> {
    let ours = Ours::read(cx, packages)?;
    let snap = Snapshot::open(&cx.exec, &aur.spec(cx)).await?;
    let remote = Remote::read(&snap).await?;
    refuse_downgrade(&ours, &remote, aur.cfg.allow_downgrade)?;
    let live = judge(&ours, &remote);
    let handover = match live {
        Live::Present => Handover::urls(vec![aur.page()]),
        _ => Handover::default(),
    };
    Ok(Checked::with(live, handover))
}

/// Phase 0 (no bytes): live when the tip has both files and its `.SRCINFO` says this
/// version's pkgver and our pkgrel, with one `sha256sums_<arch>` per linux target planned,
/// each the sha256 GitHub reports for one of this release's assets (github's probe). Anything
/// else, or a `license_file` (its sum needs the file), takes the normal path.
pub async fn probe(aur: &Aur, cx: &Cx, plan: &Planned) -> Result<Probe> {
    let Some(gh) = cx.deps.get("github") else {
        return Ok(Probe::Unknown);
    };
    if aur.cfg.license_file.is_some() {
        return Ok(Probe::Unknown);
    }
    let arches: Vec<&str> = plan.targets.iter().filter_map(|t| super::recipe::arch_of(*t)).collect();
    let remote = Remote::read(&Snapshot::open(&cx.exec, &aur.spec(cx)).await?).await?;
    let missing = |why: &str| Ok(Probe::Missing(format!("aur: {why}")));
    let (Some(text), true) = (&remote.srcinfo, remote.blobs.contains_key(PKGBUILD)) else {
        return missing("the package has no PKGBUILD and .SRCINFO yet");
    };
    let theirs = Srcinfo::parse(text);
    let ours = super::recipe::pkgver(&cx.release.version);
    if theirs.pkgver.as_deref() != Some(ours.as_str())
        || theirs.pkgrel != Some(aur.cfg.pkgrel.to_string())
        || theirs.epoch.is_some()
    {
        return missing(&format!("the live pkgver is not {ours}-{}", aur.cfg.pkgrel));
    }
    let on_github = |sum: &String| gh.assets.iter().any(|a| a.sha256.eq_ignore_ascii_case(sum));
    let all = arches.iter().all(|a| {
        let sums = theirs.sums.get(&format!("sha256sums_{a}"));
        sums.is_some_and(|s| s.len() == 1 && on_github(&s[0]))
    });
    if !all || theirs.sums.len() != arches.len() {
        return missing("the live sums are not the release's assets");
    }
    Ok(Probe::Live(Handover::urls(vec![aur.page()])))
}

/// The git kit's edit: re-judge the fresh tip, write the files it lacks.
struct PackageEdit<'a> {
    ours: &'a Ours,
    message: String,
    written: Mutex<Vec<String>>,
    downgrade: bool,
}

#[async_trait]
impl Edit for PackageEdit<'_> {
    async fn edits(&self, snap: &Snapshot) -> Result<Option<Edits>> {
        let remote = Remote::read(snap).await?;
        refuse_downgrade(self.ours, &remote, self.downgrade)?;
        let live = judge(self.ours, &remote);
        if let Live::Conflict { conflicts } = &live {
            return Err(Error::conflict(conflicts.join("; "))
                .with_hint("bump the release version; a published pkgver's sources are never replaced"));
        }
        let changes: Vec<Change> = self
            .ours
            .files
            .iter()
            .filter(|(name, _)| live.wants(name))
            .map(|(name, text)| Change {
                path: name.clone(),
                content: Content::Bytes(text.clone().into_bytes()),
            })
            .collect();
        *self.written.lock().unwrap_or_else(|e| e.into_inner()) =
            changes.iter().map(|c| c.path.clone()).collect();
        if changes.is_empty() {
            return Ok(None);
        }
        Ok(Some(Edits {
            changes,
            message: self.message.clone(),
        }))
    }
}

pub async fn publish(aur: &Aur, cx: &Cx, packages: &[Artifact]) -> Result<Published> {
    let ours = Ours::read(cx, packages)?;
    let version = Srcinfo::parse(ours.text(SRCINFO)).full_version();
    let edit = PackageEdit {
        ours: &ours,
        message: format!("{} {version}\n\nPublished by tagship for {}.", aur.pkgname(), cx.release.tag),
        written: Mutex::new(Vec::new()),
        downgrade: aur.cfg.allow_downgrade,
    };
    let done = git::update(&cx.exec, &aur.spec(cx), &edit)
        .await
        .map_err(push_hint)?;
    let uploaded = match done.commit {
        Some(_) => edit.written.into_inner().unwrap_or_else(|e| e.into_inner()),
        None => Vec::new(),
    };
    Ok(Published {
        uploaded,
        handover: Handover::urls(vec![aur.page()]),
        ..Default::default()
    })
}

fn push_hint(e: Error) -> Error {
    match e.kind {
        ErrorKind::Withheld | ErrorKind::Conflict => e,
        ErrorKind::Auth => e.or_hint(format!(
            "the AUR accepts the ssh key registered on the package's maintainer account ({}), and checks the host key against platforms.aur.known_hosts",
            super::KEY_VAR
        )),
        _ => e.or_hint("re-run: tagship re-reads the package and pushes only what is missing"),
    }
}

/// `tagship status`: the pkgver at the tip, as the semver version it was mapped from.
pub async fn latest(aur: &Aur, cx: &Cx) -> Result<Option<Latest>> {
    let snap = Snapshot::open(&cx.exec, &aur.spec(cx)).await?;
    let remote = Remote::read(&snap).await?;
    let pkgver = remote.srcinfo.as_deref().map(Srcinfo::parse).and_then(|s| s.pkgver);
    Ok(pkgver
        .as_deref()
        .and_then(super::recipe::semver_of)
        .map(|version| Latest {
            version,
            published_at: None,
            url: Some(aur.page()),
        }))
}

#[cfg(test)]
mod tests {
    use super::super::pkgbuild::{render_pkgbuild, render_srcinfo, tests::sample, Recipe};
    use super::*;

    fn ours(r: &Recipe) -> Ours {
        Ours {
            files: vec![
                (PKGBUILD.into(), render_pkgbuild(r)),
                (SRCINFO.into(), render_srcinfo(r)),
            ],
        }
    }

    fn remote(r: &Recipe) -> Remote {
        let (p, s) = (render_pkgbuild(r), render_srcinfo(r));
        Remote {
            blobs: [(PKGBUILD, &p), (SRCINFO, &s)]
                .into_iter()
                .map(|(n, t)| (n.to_string(), blob_id(t.as_bytes())))
                .collect(),
            srcinfo: Some(s),
        }
    }

    #[test]
    fn absent_present_conflict() {
        let r = sample();
        assert_eq!(judge(&ours(&r), &Remote::default()), Live::Absent);
        assert_eq!(judge(&ours(&r), &remote(&r)), Live::Present);
        let mut older = r.clone();
        older.pkgver = "1.2.2".into();
        assert_eq!(judge(&ours(&r), &remote(&older)), Live::Absent);
        let mut other = r.clone();
        other.sources[1].sha256 = "c".repeat(64);
        let Live::Conflict { conflicts } = judge(&ours(&r), &remote(&other)) else {
            panic!("other sums under the same pkgver must conflict")
        };
        assert!(conflicts[0].contains(&"c".repeat(64)), "{conflicts:?}");
    }

    #[test]
    fn never_back_to_a_lower_version() {
        let r = sample();
        let mut newer = r.clone();
        newer.pkgver = "2.0.0".into();
        let e = refuse_downgrade(&ours(&r), &remote(&newer), false).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Conflict);
        assert!(e.to_string().contains("2.0.0-2, newer than 1.2.3rc.1-2"), "{e}");
        assert!(e.hint().unwrap_or("").contains("allow_downgrade"), "{e:?}");
        assert!(refuse_downgrade(&ours(&r), &remote(&newer), true).is_ok());
        // Older, the same, none, or a pkgver no semver maps to: not refused.
        let mut older = r.clone();
        older.pkgver = "1.0.0".into();
        let mut odd = r.clone();
        odd.pkgver = "2.0".into();
        for other in [remote(&older), remote(&r), Remote::default(), remote(&odd)] {
            assert!(refuse_downgrade(&ours(&r), &other, false).is_ok(), "{other:?}");
        }
    }

    #[test]
    fn lost_srcinfo_and_pkgrel() {
        let r = sample();
        let mut lost = remote(&r);
        lost.blobs.remove(SRCINFO);
        lost.srcinfo = None;
        assert_eq!(
            judge(&ours(&r), &lost),
            Live::of(vec![PKGBUILD.into()], vec![SRCINFO.into()])
        );
        // Our pkgrel bump is written; a later one that is live is left alone.
        let mut bumped = r.clone();
        bumped.base.pkgrel += 1;
        assert!(judge(&ours(&bumped), &remote(&r)).wants(SRCINFO));
        assert_eq!(judge(&ours(&r), &remote(&bumped)), Live::Present);
    }
}
