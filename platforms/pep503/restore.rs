//! What publish writes: exactly the parts the survey found missing, nothing else. A deleted
//! wheel gets its file back, a deleted sidecar its sidecar, a lost manifest entry its entry;
//! pages are re-rendered only when a link on them is missing. Every write also rewrites
//! packages.json in the current shape (`count`, `generated`), which migrates an index
//! written before issue 14 the first time anything is written to it. Pure functions, plus the git
//! kit's `Edit` that re-surveys a fresh snapshot each time the branch moved under a push.

use super::index::{self, FileEntry, MANIFEST};
use super::store;
use super::survey::{
    file, linked_projects, page_path, sidecar, survey, Kind, Seen, Survey, Want, ROOT_PAGE,
};
use crate::error::Result;
use crate::git::{Change, Content, Edit, Edits, Snapshot};
use async_trait::async_trait;
use std::sync::Mutex;

/// How our files are written into the index.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Normalized project name.
    pub norm: String,
    /// PEP 440 version.
    pub version: String,
    pub base_url: Option<String>,
    pub requires_python: Option<String>,
    /// `""` or the index's `path:` with a trailing `/`.
    pub prefix: String,
    /// The release's SOURCE_DATE_EPOCH: packages.json's `generated`.
    pub epoch: u64,
}

fn entry(l: &Layout, w: &Want) -> FileEntry {
    FileEntry {
        filename: w.name.clone(),
        sha256: w.sha256.clone(),
        size: w.size,
        core_metadata_sha256: Some(w.metadata_sha256.clone()),
        requires_python: l.requires_python.clone().filter(|r| !r.is_empty()),
    }
}

/// The files to write (paths relative to the index root) to restore what `s` lacks.
pub fn changes(l: &Layout, wants: &[Want], seen: &Seen, s: &Survey) -> Result<Vec<Change>> {
    let mut out = Vec::new();
    let mut put = |path: String, content| out.push(Change { path, content });
    for (i, w) in wants.iter().enumerate() {
        if s.lacks_for(Kind::File, i) {
            put(file(&w.name), Content::File(w.local.clone()));
        }
        if s.lacks_for(Kind::Sidecar, i) {
            put(
                sidecar(&w.name),
                Content::Bytes(w.metadata.clone().into_bytes()),
            );
        }
    }
    let mut m = seen.manifest.clone();
    for (i, w) in wants.iter().enumerate() {
        if s.lacks_for(Kind::Entry, i) || s.lacks_for(Kind::Link, i) {
            index::add(&mut m, &l.norm, &l.version, entry(l, w))?;
        }
    }
    // Always: `generated` moves with every write, and an old-shape file is migrated. When
    // nothing but the manifest's bytes would stay the same, git sees no change to it.
    let generated = index::generated(l.epoch, seen.generated.as_deref());
    put(
        MANIFEST.into(),
        Content::Bytes(index::render_manifest(&m, &generated).into_bytes()),
    );
    if let Some(versions) = m.get(&l.norm).filter(|_| s.lacks(Kind::Link)) {
        let page = index::render_project(&l.norm, versions, l.base_url.as_deref());
        put(page_path(&l.norm), Content::Bytes(page.into_bytes()));
    }
    if s.lacks(Kind::Root) {
        let mut projects = linked_projects(seen.root.as_deref());
        projects.extend(m.keys().cloned());
        projects.insert(l.norm.clone());
        put(
            ROOT_PAGE.into(),
            Content::Bytes(index::render_root(&projects).into_bytes()),
        );
    }
    Ok(out)
}

/// The commit message: which parts it restores.
pub fn message(title: &str, s: &Survey) -> String {
    let names: Vec<&str> = s.missing.iter().map(|p| p.name.as_str()).collect();
    format!("{title}: add {}", names.join(", "))
}

/// The git kit's edit for the index branch: survey the snapshot, write what is missing.
pub struct IndexEdit<'a> {
    pub layout: &'a Layout,
    pub wants: &'a [Want],
    /// "demo 1.2.3", for the commit message.
    pub title: String,
    /// The part names of the last survey's missing parts (what the pushed commit restores).
    pub restored: Mutex<Vec<String>>,
}

#[async_trait]
impl Edit for IndexEdit<'_> {
    async fn edits(&self, snap: &Snapshot) -> Result<Option<Edits>> {
        let l = self.layout;
        let seen = store::seen_in_git(snap, &l.prefix, &l.norm, self.wants).await?;
        let s = survey(&l.norm, &l.prefix, self.wants, &seen)?;
        *self.restored.lock().unwrap_or_else(|e| e.into_inner()) =
            s.missing.iter().map(|p| p.name.clone()).collect();
        if s.missing.is_empty() {
            return Ok(None);
        }
        let changes = changes(l, self.wants, &seen, &s)?
            .into_iter()
            .map(|c| Change {
                path: format!("{}{}", l.prefix, c.path),
                content: c.content,
            })
            .collect();
        Ok(Some(Edits {
            changes,
            message: message(&self.title, &s),
        }))
    }
}
