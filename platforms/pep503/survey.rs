//! What a client downloads, wanted vs listed (issue 6, point 3). For every wheel of ours, pip
//! needs four things from the index: the file itself, its PEP 658 `.metadata` sidecar, its
//! link with `#sha256=` on the project page, and (for tagship and other tools) its
//! `packages.json` entry; the root page must link the project. Each is a *part* with a digest
//! we can compare without trusting anyone's bookkeeping: git blob ids for files (computed
//! locally from our bytes, listed by the tree), sha256 for links and entries.
//! A missing part is missing; the same name with another digest is a conflict, never
//! overwritten.

use super::index::{self, Manifest};
use crate::error::{Error, Result};
use crate::git::{blob_id, file_blob_id};
use crate::plan::Artifact;
use crate::platform::{Cx, Live};
use crate::platforms::pypi::api;
use crate::platforms::wheel;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// One wheel (or, in `mode: project`, sdist: its PKG-INFO is the sidecar) of ours and the
/// digests of what it puts in the index.
#[derive(Debug, Clone)]
pub struct Want {
    pub name: String,
    pub local: PathBuf,
    pub sha256: String,
    pub size: u64,
    /// git blob id of the wheel.
    pub blob: String,
    /// The wheel's METADATA, verbatim (the `.metadata` sidecar).
    pub metadata: String,
    pub metadata_blob: String,
    pub metadata_sha256: String,
}

/// Reads METADATA out of each wheel and hashes both (locally; nothing is downloaded).
pub fn wants(cx: &Cx, wheels: &[&Artifact]) -> Result<Vec<Want>> {
    if wheels.is_empty() {
        return Err(Error::input("no wheels to check or publish"));
    }
    wheels
        .iter()
        .map(|a| {
            let local = cx.release.path(a);
            let metadata = wheel::dists::read_metadata(&local)?;
            Ok(Want {
                name: a.name.clone(),
                blob: file_blob_id(&local)?,
                sha256: a.sha256.to_ascii_lowercase(),
                size: a.size,
                metadata_blob: blob_id(metadata.as_bytes()),
                metadata_sha256: hex::encode(Sha256::digest(metadata.as_bytes())),
                metadata,
                local,
            })
        })
        .collect()
}

/// What the index holds, as read from the branch or the directory. Paths are relative to
/// the index root (below `path:`).
#[derive(Debug, Clone, Default)]
pub struct Seen {
    /// Blob ids of the files asked for (`files/<wheel>`, `files/<wheel>.metadata`).
    pub blobs: BTreeMap<String, String>,
    pub manifest: Manifest,
    /// The manifest's `generated` (none in the shape before issue 14, or no manifest).
    pub generated: Option<String>,
    /// Our project page and the root page, when they exist.
    pub page: Option<String>,
    pub root: Option<String>,
}

/// Files of the index the survey reads: these are fetched, nothing else.
pub fn page_path(norm: &str) -> String {
    format!("simple/{norm}/index.html")
}
pub const ROOT_PAGE: &str = "simple/index.html";

/// Tree paths whose blob ids the survey compares.
pub fn file_paths(wants: &[Want]) -> Vec<String> {
    wants
        .iter()
        .flat_map(|w| [file(&w.name), sidecar(&w.name)])
        .collect()
}

pub fn file(name: &str) -> String {
    format!("files/{name}")
}
pub fn sidecar(name: &str) -> String {
    format!("files/{name}.metadata")
}

/// Which part of the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// `files/<wheel>`
    File,
    /// `files/<wheel>.metadata`
    Sidecar,
    /// The wheel's link on the project page.
    Link,
    /// The wheel's entry in packages.json.
    Entry,
    /// A project's link on the root page: ours, and every package the manifest holds
    /// (the root page lists every package of the index).
    Root,
}

/// One part: its kind, the wheel it belongs to (index into the wants; none for `Root`) and
/// the name the report shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub kind: Kind,
    pub wheel: Option<usize>,
    pub name: String,
}

/// The comparison: which parts are there, which are missing.
#[derive(Debug, Clone, Default)]
pub struct Survey {
    pub present: Vec<Part>,
    pub missing: Vec<Part>,
}

impl Survey {
    /// Absent when no file-level part is there (a root link alone does not make a version
    /// partly live), Present when nothing is missing, else Partial naming the parts.
    pub fn live(&self) -> Live {
        let names = |v: &[Part]| v.iter().map(|p| p.name.clone()).collect::<Vec<_>>();
        if self.missing.is_empty() {
            Live::Present
        } else if self.present.iter().all(|p| p.kind == Kind::Root) {
            Live::Absent
        } else {
            Live::Partial {
                present: names(&self.present),
                missing: names(&self.missing),
            }
        }
    }
    pub fn lacks(&self, kind: Kind) -> bool {
        self.missing.iter().any(|p| p.kind == kind)
    }
    pub fn lacks_for(&self, kind: Kind, wheel: usize) -> bool {
        self.missing
            .iter()
            .any(|p| p.kind == kind && p.wheel == Some(wheel))
    }
}

/// Compares `wants` with `seen`. `prefix` is the index's `path:` (`""` or `"py/"`) for the
/// names. A part listed with another digest is a conflict.
pub fn survey(norm: &str, prefix: &str, wants: &[Want], seen: &Seen) -> Result<Survey> {
    let links = seen
        .page
        .as_deref()
        .map(|p| api::parse_simple_html(p, None))
        .unwrap_or_default();
    let page = page_path(norm);
    let mut s = Survey::default();
    let mut put = |kind, wheel, name: String, listed: Option<String>, ours: &str| {
        let part = Part {
            kind,
            wheel,
            name: format!("{prefix}{name}"),
        };
        match listed {
            None => s.missing.push(part),
            Some(l) if l.eq_ignore_ascii_case(ours) => s.present.push(part),
            Some(l) => return Err(conflict(&part.name, &l, ours)),
        }
        Ok(())
    };
    for (i, w) in wants.iter().enumerate() {
        let (f, sc) = (file(&w.name), sidecar(&w.name));
        for (kind, path, ours) in [(Kind::File, f, &w.blob), (Kind::Sidecar, sc, &w.metadata_blob)] {
            let listed = seen.blobs.get(&path).cloned();
            put(kind, Some(i), path, listed, ours)?;
        }
        // A link without `#sha256=` is not enough: pip would not verify it, and we cannot
        // tell it points at our bytes. It is re-rendered.
        let link = links
            .iter()
            .find(|l| l.filename == w.name)
            .and_then(|l| l.sha256.clone());
        put(
            Kind::Link,
            Some(i),
            format!("{page}#{}", w.name),
            link,
            &w.sha256,
        )?;
        let entry = index::find(&seen.manifest, norm, &w.name).map(|e| e.sha256.clone());
        let json = format!("{}#{}", index::MANIFEST, w.name);
        put(Kind::Entry, Some(i), json, entry, &w.sha256)?;
    }
    let linked = linked_projects(seen.root.as_deref());
    let mut held: BTreeSet<&str> = seen.manifest.keys().map(String::as_str).collect();
    held.insert(norm);
    for p in held {
        let name = format!("{ROOT_PAGE}#{p}");
        put(Kind::Root, None, name, linked.get(p).cloned(), p)?;
    }
    Ok(s)
}

/// The projects a root page links, normalized.
pub fn linked_projects(root: Option<&str>) -> BTreeSet<String> {
    root.map(index::root_projects)
        .unwrap_or_default()
        .iter()
        .map(|p| wheel::normalize(p.trim_end_matches('/')))
        .collect()
}

fn conflict(part: &str, listed: &str, ours: &str) -> Error {
    Error::conflict(format!(
        "{part} is already in the index with different content ({listed}, ours {ours})"
    ))
    .with_hint(
        "installers cache by URL and hash: bump the version instead of replacing a published file",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platforms::pep503::index::FileEntry;

    fn want() -> Want {
        Want {
            name: "d-1.0-py3-none-any.whl".into(),
            local: PathBuf::from("/nonexistent"),
            sha256: "aa".into(),
            size: 3,
            blob: "b1".into(),
            metadata: "Name: d\n".into(),
            metadata_blob: "b2".into(),
            metadata_sha256: "cc".into(),
        }
    }

    fn full() -> Seen {
        let w = want();
        let mut m = Manifest::new();
        let e = FileEntry {
            filename: w.name.clone(),
            sha256: "aa".into(),
            size: 3,
            core_metadata_sha256: None,
            requires_python: None,
        };
        index::add(&mut m, "d", "1.0", e).unwrap();
        Seen {
            blobs: [
                (file(&w.name), "b1".into()),
                (sidecar(&w.name), "b2".into()),
            ]
            .into(),
            page: Some(index::render_project("d", &m["d"], None)),
            root: Some(index::render_root(&["d".to_string()].into())),
            manifest: m,
            generated: None,
        }
    }

    #[test]
    fn every_part_is_compared() {
        let w = [want()];
        assert_eq!(survey("d", "", &w, &full()).unwrap().live(), Live::Present);
        assert_eq!(
            survey("d", "", &w, &Seen::default()).unwrap().live(),
            Live::Absent
        );
        let mut s = full();
        s.blobs.remove("files/d-1.0-py3-none-any.whl.metadata");
        s.manifest.clear();
        let got = survey("d", "py/", &w, &s).unwrap();
        let Live::Partial { missing, .. } = got.live() else {
            panic!("{got:?}")
        };
        assert_eq!(
            missing,
            [
                "py/files/d-1.0-py3-none-any.whl.metadata",
                "py/packages.json#d-1.0-py3-none-any.whl"
            ]
        );
        assert!(got.lacks_for(Kind::Entry, 0) && !got.lacks(Kind::File));
    }

    #[test]
    fn the_root_page_must_list_every_package_of_the_manifest() {
        let mut s = full();
        let other = FileEntry {
            filename: "o-1.0-py3-none-any.whl".into(),
            sha256: "ee".into(),
            size: 1,
            core_metadata_sha256: None,
            requires_python: None,
        };
        index::add(&mut s.manifest, "o", "1.0", other).unwrap();
        let got = survey("d", "", &[want()], &s).unwrap();
        let Live::Partial { missing, .. } = got.live() else {
            panic!("{got:?}")
        };
        assert_eq!(missing, ["simple/index.html#o"]);
        s.root = Some(index::render_root(&["d".to_string(), "O".to_string()].into()));
        assert_eq!(survey("d", "", &[want()], &s).unwrap().live(), Live::Present);
    }

    #[test]
    fn other_bytes_are_a_conflict() {
        let mut s = full();
        s.blobs
            .insert(file("d-1.0-py3-none-any.whl"), "other".into());
        let e = survey("d", "", &[want()], &s).unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::Conflict);
        assert!(
            e.message().contains("files/d-1.0-py3-none-any.whl"),
            "{e:?}"
        );
    }
}
