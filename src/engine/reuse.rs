//! Package reuse (issue 11): a platform's packages are not rebuilt when their inputs are
//! those of the packages dist/ already holds. The inputs are the release (version, tag,
//! epoch, project, every built file's sha256), the needs' planned hand-over, tagship's
//! version and what the platform itself declares (`Platform::package_inputs`: its settings
//! and any file it reads). A platform that declares nothing is always repackaged.
//!
//! The record is `dist/.tagship/packages/<id>.json` (`{key, packages}`), written after a
//! packaging; a reuse only reads: the record, then every package's bytes, which must still
//! have their recorded sha256 (a file edited or removed in dist/ means repackaging).

use super::Unit;
use crate::plan::Artifact;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

#[derive(Serialize, Deserialize)]
struct Record {
    key: String,
    packages: Vec<Artifact>,
}

/// The reuse key of this platform's packages, or `None` when the platform declares no
/// inputs (then it is always repackaged).
pub(super) fn key(u: &Unit) -> Option<String> {
    let inputs = u.platform.package_inputs(&u.cx)?;
    let r = &u.cx.release;
    let mut h = Sha256::new();
    let mut line = |s: &str| {
        h.update(s.as_bytes());
        h.update(b"\n");
    };
    line(concat!("tagship ", env!("CARGO_PKG_VERSION")));
    line(u.id());
    line(&inputs);
    line(&format!("{} {} {}", r.version, r.tag, r.epoch));
    line(&format!("{:?}", r.project));
    for a in &r.artifacts {
        line(&format!("{:?} {} {} {}", a.kind, a.name, a.sha256, a.size));
    }
    line(&format!("{:?}", u.packaged_with));
    Some(hex::encode(h.finalize()))
}

fn record_path(u: &Unit) -> PathBuf {
    u.cx.release
        .dist
        .join(".tagship")
        .join("packages")
        .join(format!("{}.json", u.id()))
}

/// The packages dist/ holds for `key`, when every one is still there with its sha256.
pub(super) async fn lookup(u: &Unit, key: &str) -> Option<Vec<Artifact>> {
    let (path, dist, key) = (record_path(u), u.cx.release.dist.clone(), key.to_string());
    tokio::task::spawn_blocking(move || {
        let rec: Record = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
        let intact = rec.key == key
            && rec.packages.iter().all(|a| {
                crate::build::hash_file(&dist.join(&a.path))
                    .is_ok_and(|(sha, size)| sha == a.sha256 && size == a.size)
            });
        intact.then_some(rec.packages)
    })
    .await
    .ok()
    .flatten()
}

/// Remembers what `key` produced. Best effort: without the record the next run repackages.
pub(super) fn remember(u: &Unit, key: &str, packages: &[Artifact]) {
    let path = record_path(u);
    let rec = Record {
        key: key.to_string(),
        packages: packages.to_vec(),
    };
    let Ok(json) = serde_json::to_vec_pretty(&rec) else {
        return;
    };
    let tmp = path.with_extension("json.tmp");
    let written = path
        .parent()
        .map(std::fs::create_dir_all)
        .unwrap_or(Ok(()))
        .and_then(|_| std::fs::write(&tmp, json))
        .and_then(|_| std::fs::rename(&tmp, &path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}
