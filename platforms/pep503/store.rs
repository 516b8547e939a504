//! Reading the index for the survey, from a git branch (through the git kit: the tip's trees
//! plus three small blobs, never a wheel) or from a plain directory.

use super::index::{self, MANIFEST};
use super::survey::{file_paths, page_path, Seen, Want, ROOT_PAGE};
use crate::error::{Error, Result};
use crate::git::{file_blob_id, Snapshot};
use std::collections::BTreeMap;
use std::path::Path;

/// `prefix` (`""` or `"py/"`) + `rel`.
fn under(prefix: &str, rel: &str) -> String {
    format!("{prefix}{rel}")
}

/// What the branch holds for `wants`: blob ids from the trees, and the manifest and pages
/// downloaded in one fetch.
pub async fn seen_in_git(
    snap: &Snapshot,
    prefix: &str,
    norm: &str,
    wants: &[Want],
) -> Result<Seen> {
    let texts = [MANIFEST.to_string(), page_path(norm), ROOT_PAGE.to_string()];
    let mut paths: Vec<String> = file_paths(wants).iter().map(|p| under(prefix, p)).collect();
    paths.extend(texts.iter().map(|p| under(prefix, p)));
    let ids = snap.entries(&paths).await?;
    let oids: Vec<String> = texts
        .iter()
        .filter_map(|t| ids.get(&under(prefix, t)).cloned())
        .collect();
    let read = snap.read(&oids).await?;
    let text = |rel: &str| {
        ids.get(&under(prefix, rel))
            .and_then(|oid| read.get(oid))
            .cloned()
    };
    let blobs = file_paths(wants)
        .into_iter()
        .filter_map(|p| ids.get(&under(prefix, &p)).map(|o| (p, o.clone())))
        .collect();
    let doc = index::parse_doc(text(MANIFEST).as_deref())?;
    Ok(Seen {
        blobs,
        manifest: doc.packages,
        generated: doc.generated,
        page: text(&page_path(norm)),
        root: text(ROOT_PAGE),
    })
}

/// What the directory `root` (the index root) holds for `wants`.
pub fn seen_in_dir(root: &Path, norm: &str, wants: &[Want]) -> Result<Seen> {
    let mut blobs = BTreeMap::new();
    for p in file_paths(wants) {
        let f = root.join(&p);
        if f.is_file() {
            blobs.insert(p, file_blob_id(&f)?);
        }
    }
    let doc = index::parse_doc(read_opt(&root.join(MANIFEST))?.as_deref())?;
    Ok(Seen {
        blobs,
        manifest: doc.packages,
        generated: doc.generated,
        page: read_opt(&root.join(page_path(norm)))?,
        root: read_opt(&root.join(ROOT_PAGE))?,
    })
}

fn read_opt(p: &Path) -> Result<Option<String>> {
    match std::fs::read_to_string(p) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(format!("reading {}", p.display()), e)),
    }
}
