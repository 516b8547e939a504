//! `tagship rollback` on a PEP 503 index: the version is taken out of `packages.json` and its
//! links out of the project page, so pip no longer sees it; its files stay under `files/`, so
//! a lock file that pinned a URL with its hash keeps working. Other versions and projects are
//! untouched; a project left with no version leaves the manifest (its `count` drops), its
//! root link stays. Nothing to delist (the version is not in the manifest) makes no commit.

use super::index::{self, Manifest, MANIFEST};
use super::restore::Layout;
use super::store::{seen_in_dir, seen_in_git};
use super::survey::{page_path, Seen};
use crate::error::Result;
use crate::git::{Change, Content, Edit, Edits, Snapshot};
use async_trait::async_trait;

/// The changed manifest and project page without `l.version`; `None` when it is not listed.
pub fn changes(l: &Layout, seen: &Seen) -> Option<Vec<Change>> {
    let mut m: Manifest = seen.manifest.clone();
    let versions = m.get_mut(&l.norm)?;
    versions.remove(&l.version)?;
    let page = index::render_project(&l.norm, versions, l.base_url.as_deref());
    if versions.is_empty() {
        m.remove(&l.norm);
    }
    let generated = index::generated(l.epoch, seen.generated.as_deref());
    Some(vec![
        Change {
            path: MANIFEST.into(),
            content: Content::Bytes(index::render_manifest(&m, &generated).into_bytes()),
        },
        Change {
            path: page_path(&l.norm),
            content: Content::Bytes(page.into_bytes()),
        },
    ])
}

/// The git kit's edit: re-read the manifest at the branch tip, drop the version.
pub struct DelistEdit<'a> {
    pub layout: &'a Layout,
    pub title: String,
}

#[async_trait]
impl Edit for DelistEdit<'_> {
    async fn edits(&self, snap: &Snapshot) -> Result<Option<Edits>> {
        let l = self.layout;
        let seen = seen_in_git(snap, &l.prefix, &l.norm, &[]).await?;
        Ok(changes(l, &seen).map(|c| Edits {
            changes: c
                .into_iter()
                .map(|c| Change {
                    path: format!("{}{}", l.prefix, c.path),
                    content: c.content,
                })
                .collect(),
            message: format!("{}: delist (files kept)", self.title),
        }))
    }
}

/// Dir mode: the same changes, read from the directory `root` (the index root).
pub fn dir_changes(root: &std::path::Path, l: &Layout) -> Result<Option<Vec<Change>>> {
    let seen = seen_in_dir(root, &l.norm, &[])?;
    Ok(changes(l, &seen))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platforms::pep503::index::FileEntry;

    fn layout() -> Layout {
        Layout {
            norm: "demo".into(),
            version: "1.1.0".into(),
            base_url: None,
            requires_python: None,
            prefix: String::new(),
            epoch: 1_700_000_000,
        }
    }

    fn entry(name: &str) -> FileEntry {
        FileEntry {
            filename: name.into(),
            sha256: "ab".into(),
            size: 1,
            core_metadata_sha256: None,
            requires_python: None,
        }
    }

    fn text_of(c: &Change) -> String {
        match &c.content {
            Content::Bytes(b) => String::from_utf8(b.clone()).unwrap(),
            _ => unreachable!("pages are bytes"),
        }
    }

    #[test]
    fn drops_only_the_version_and_its_links() {
        let mut m = Manifest::new();
        for (v, f) in [("1.0.0", "demo-1.0.0-py3-none-any.whl"), ("1.1.0", "demo-1.1.0-py3-none-any.whl")] {
            index::add(&mut m, "demo", v, entry(f)).unwrap();
        }
        index::add(&mut m, "other", "1.1.0", entry("other-1.1.0-py3-none-any.whl")).unwrap();
        let seen = |manifest: Manifest| Seen {
            manifest,
            ..Default::default()
        };
        let c = changes(&layout(), &seen(m)).expect("listed");
        let text = |i: usize| match &c[i].content {
            Content::Bytes(b) => String::from_utf8(b.clone()).unwrap(),
            _ => unreachable!("pages are bytes"),
        };
        let after = index::parse_manifest(Some(&text(0))).unwrap();
        assert!(after["demo"].contains_key("1.0.0") && !after["demo"].contains_key("1.1.0"));
        assert!(after["other"].contains_key("1.1.0"), "other projects untouched");
        assert!(text(1).contains("demo-1.0.0-") && !text(1).contains("demo-1.1.0-"));
        assert!(text(0).contains("\"count\": 2"), "{}", text(0));
        assert!(changes(&layout(), &seen(after.clone())).is_none(), "delisting twice changes nothing");
        // Delisting a project's last version takes it out of the manifest and the count.
        let mut last = layout();
        last.norm = "other".into();
        let c = changes(&last, &seen(after)).expect("listed");
        let m = index::parse_doc(Some(&text_of(&c[0]))).unwrap();
        assert!(!m.packages.contains_key("other"));
        assert!(text_of(&c[0]).contains("\"count\": 1"));
    }
}
