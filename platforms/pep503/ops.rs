//! The adapter's operations, called one line each from `impl Platform for Pep503`: check
//! surveys the index, publish restores what the survey finds missing (git: through the git
//! kit's fetch → edit → commit → push loop; dir: one side-effecting `cp -R` of a staged tree).
//! The engine verifies by checking again.

use super::delist;
use super::restore::{changes, IndexEdit, Layout};
use super::store::{seen_in_dir, seen_in_git};
use super::survey::{survey, wants, Survey, Want};
use super::Pep503;
use crate::error::{Error, ErrorKind, Result};
use crate::exec::{Cmd, Effect};
use crate::git::{self, Change, Content, Scratch, Snapshot};
use crate::plan::Artifact;
use crate::platform::{Checked, Cx, Handover, Live, Published, Withdrawn};
use crate::platforms::pypi::dists;
use crate::platforms::wheel;
use std::path::Path;

fn layout(p: &Pep503, cx: &Cx) -> Result<Layout> {
    Ok(Layout {
        norm: wheel::normalize(&p.name),
        version: wheel::pep440(&cx.release.version)?,
        base_url: p.cfg.base_url.clone().filter(|b| !b.is_empty()),
        requires_python: p.cfg.requires_python.clone(),
        prefix: p.prefix(),
        epoch: cx.release.epoch,
    })
}

/// Surveys the index as it is now.
async fn survey_now(p: &Pep503, cx: &Cx, l: &Layout, wants: &[Want]) -> Result<Survey> {
    let seen = match &p.cfg.dir {
        Some(d) => seen_in_dir(&cx.release.root.join(d).join(p.sub()), &l.norm, wants)?,
        None => {
            let snap = Snapshot::open(&cx.exec, &p.spec(cx)?).await?;
            seen_in_git(&snap, &l.prefix, &l.norm, wants).await?
        }
    };
    survey(&l.norm, &l.prefix, wants, &seen)
}

pub async fn check(p: &Pep503, cx: &Cx, packages: &[Artifact]) -> Result<Checked> {
    let wants = wants(cx, &dists(packages))?;
    let live = survey_now(p, cx, &layout(p, cx)?, &wants).await?.live();
    let handover = match live {
        Live::Present => Handover::urls(vec![p.location(cx)]),
        _ => Handover::default(),
    };
    Ok(Checked::with(live, handover))
}

pub async fn publish(p: &Pep503, cx: &Cx, packages: &[Artifact]) -> Result<Published> {
    let wants = wants(cx, &dists(packages))?;
    let l = layout(p, cx)?;
    let uploaded = match &p.cfg.dir {
        Some(d) => publish_dir(cx, &cx.release.root.join(d), &l, &wants).await?,
        None => {
            let edit = IndexEdit {
                layout: &l,
                wants: &wants,
                title: format!("{} {}", p.name, l.version),
                restored: Default::default(),
            };
            let done = git::update(&cx.exec, &p.spec(cx)?, &edit)
                .await
                .map_err(push_hint)?;
            match done.commit {
                Some(_) => edit
                    .restored
                    .into_inner()
                    .unwrap_or_else(|e| e.into_inner()),
                None => Vec::new(),
            }
        }
    };
    Ok(Published {
        handover: Handover::urls(vec![p.location(cx)]),
        uploaded,
        ..Default::default()
    })
}

fn push_hint(e: Error) -> Error {
    if e.kind == ErrorKind::Withheld {
        return e;
    }
    e.or_hint("re-run: tagship re-reads the index and adds only what is missing")
}

/// Dir mode: stage the missing parts in a scratch tree, then copy it over `target` with one
/// side-effecting `cp -R` (withheld in a dry run).
async fn publish_dir(cx: &Cx, target: &Path, l: &Layout, wants: &[Want]) -> Result<Vec<String>> {
    let root = target.join(l.prefix.trim_end_matches('/'));
    let seen = seen_in_dir(&root, &l.norm, wants)?;
    let s = survey(&l.norm, &l.prefix, wants, &seen)?;
    if s.missing.is_empty() {
        return Ok(Vec::new());
    }
    write_dir(cx, target, &l.prefix, changes(l, wants, &seen, &s)?).await?;
    Ok(s.missing.into_iter().map(|p| p.name).collect())
}

/// Stages `changes` (paths below `prefix`) in a scratch tree and copies it over `target` with
/// one side-effecting `cp -R`.
async fn write_dir(cx: &Cx, target: &Path, prefix: &str, changes: Vec<Change>) -> Result<()> {
    let scratch = Scratch::new("tagship-pep503")?;
    let stage = scratch.path().join("stage");
    for c in changes {
        let dest = stage.join(prefix).join(&c.path);
        let err = |e| Error::io(format!("writing {}", dest.display()), e);
        if let Some(d) = dest.parent() {
            std::fs::create_dir_all(d).map_err(err)?;
        }
        match c.content {
            Content::File(src) => std::fs::copy(src, &dest).map(drop).map_err(err)?,
            Content::Bytes(b) => std::fs::write(&dest, b).map_err(err)?,
            // The index never removes a file; a staged copy could not express it.
            Content::Removed => continue,
        }
    }
    let cp = Cmd::new("cp", Effect::SideEffect)
        .arg("-R")
        .arg(format!("{}/.", stage.display()))
        .arg(target.display().to_string());
    cx.exec.run_ok(&cp).await.map(drop)
}

/// `tagship rollback`: takes the version out of the manifest and the project page; files stay.
pub async fn delist(p: &Pep503, cx: &Cx) -> Result<Withdrawn> {
    let l = layout(p, cx)?;
    let done = |changed: bool| match changed {
        true => format!("{} {} delisted from the index; its files stay", p.name, l.version),
        false => format!("{} {} is not in the index: nothing to take back", p.name, l.version),
    };
    match &p.cfg.dir {
        Some(d) => {
            let target = cx.release.root.join(d);
            let root = target.join(l.prefix.trim_end_matches('/'));
            let Some(changes) = delist::dir_changes(&root, &l)? else {
                return Ok(Withdrawn::Done(done(false)));
            };
            write_dir(cx, &target, &l.prefix, changes).await?;
            Ok(Withdrawn::Done(done(true)))
        }
        None => {
            let edit = delist::DelistEdit {
                layout: &l,
                title: format!("{} {}", p.name, l.version),
            };
            let up = git::update(&cx.exec, &p.spec(cx)?, &edit).await?;
            Ok(Withdrawn::Done(done(up.commit.is_some())))
        }
    }
}

/// `tagship status`: the newest version `packages.json` lists for the project.
pub async fn latest(p: &Pep503, cx: &Cx) -> Result<Option<crate::platform::Latest>> {
    let norm = wheel::normalize(&p.name);
    let seen = match &p.cfg.dir {
        Some(d) => seen_in_dir(&cx.release.root.join(d).join(p.sub()), &norm, &[])?,
        None => {
            let snap = Snapshot::open(&cx.exec, &p.spec(cx)?).await?;
            seen_in_git(&snap, &p.prefix(), &norm, &[]).await?
        }
    };
    let versions = seen.manifest.get(&norm).map(|v| v.keys().cloned().collect::<Vec<_>>());
    let versions = versions.unwrap_or_default();
    Ok(
        crate::platform::newest(versions.iter().map(String::as_str)).map(|version| {
            crate::platform::Latest {
                version,
                published_at: None,
                url: Some(p.location(cx)),
            }
        }),
    )
}
