//! npm tarballs: gzip'd tar with every path under `package/`, built deterministically so two
//! builds of the same release are byte-identical (and so the registry's shasum can be
//! compared with ours): entries sorted, fixed mtime, uid/gid 0, no user/group names, explicit
//! modes (0755 for binaries and launchers, 0644 otherwise), gzip header mtime 0.
//! Also reads a tarball back (package.json, listing) and computes npm's two digests.

use crate::error::{Error, ErrorKind, Result};
use base64::Engine;
use sha1::Sha1;
use sha2::{Digest, Sha512};
use std::io::{Read, Write};

/// The timestamp npm itself writes into every tarball entry (1985-10-26T08:15:00Z), used
/// unless the release pins SOURCE_DATE_EPOCH.
pub const NPM_EPOCH: u64 = 499_162_500;

/// One file to pack; `path` is relative to `package/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub path: String,
    pub mode: u32,
    pub data: Vec<u8>,
}

impl Entry {
    pub fn file(path: impl Into<String>, data: impl Into<Vec<u8>>) -> Entry {
        Entry {
            path: path.into(),
            mode: 0o644,
            data: data.into(),
        }
    }
    pub fn exe(path: impl Into<String>, data: impl Into<Vec<u8>>) -> Entry {
        Entry {
            mode: 0o755,
            ..Entry::file(path, data)
        }
    }
}

/// The mtime to stamp: SOURCE_DATE_EPOCH when set and valid, else npm's fixed date.
pub fn mtime() -> u64 {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(NPM_EPOCH)
}

/// Builds the .tgz bytes. Entries are sorted by path; duplicates are an input error.
pub fn build(entries: &[Entry], mtime: u64) -> Result<Vec<u8>> {
    let mut sorted: Vec<&Entry> = entries.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    if let Some(w) = sorted.windows(2).find(|w| w[0].path == w[1].path) {
        return Err(Error::input(format!(
            "npm tarball: `{}` listed twice",
            w[0].path
        )));
    }
    let gz = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::best());
    let mut tar = tar::Builder::new(gz);
    tar.mode(tar::HeaderMode::Deterministic);
    for e in sorted {
        let path = format!("package/{}", e.path.trim_start_matches('/'));
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_size(e.data.len() as u64);
        h.set_mode(e.mode);
        h.set_mtime(mtime);
        h.set_uid(0);
        h.set_gid(0);
        tar.append_data(&mut h, &path, e.data.as_slice())
            .map_err(|err| Error::io(format!("npm tarball: adding {path}"), err))?;
    }
    let gz = tar
        .into_inner()
        .map_err(|e| Error::io("npm tarball: finishing tar", e))?;
    gz.finish()
        .map_err(|e| Error::io("npm tarball: finishing gzip", e))
}

/// npm's `dist.shasum`: SHA-1 hex of the .tgz bytes.
pub fn shasum(tgz: &[u8]) -> String {
    hex::encode(Sha1::digest(tgz))
}

/// npm's `dist.integrity`: SSRI `sha512-<base64>` of the .tgz bytes.
pub fn integrity(tgz: &[u8]) -> String {
    format!(
        "sha512-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha512::digest(tgz))
    )
}

/// One entry as read back from a tarball.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Full path inside the archive (`package/...`).
    pub path: String,
    pub mode: u32,
    pub size: u64,
    pub mtime: u64,
    pub uid: u64,
    pub gid: u64,
}

fn bad(what: &str, e: std::io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("reading npm tarball: {what}: {e}"))
}

/// Lists a tarball's entries in archive order.
pub fn list(tgz: &[u8]) -> Result<Vec<Listed>> {
    let mut out = Vec::new();
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(tgz));
    for e in ar.entries().map_err(|e| bad("entries", e))? {
        let e = e.map_err(|e| bad("entry", e))?;
        let h = e.header();
        out.push(Listed {
            path: e.path().map_err(|e| bad("path", e))?.display().to_string(),
            mode: h.mode().map_err(|e| bad("mode", e))?,
            size: h.size().map_err(|e| bad("size", e))?,
            mtime: h.mtime().map_err(|e| bad("mtime", e))?,
            uid: h.uid().map_err(|e| bad("uid", e))?,
            gid: h.gid().map_err(|e| bad("gid", e))?,
        });
    }
    Ok(out)
}

/// Reads `package/package.json` out of a tarball.
pub fn read_manifest(tgz: &[u8]) -> Result<serde_json::Value> {
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(tgz));
    for e in ar.entries().map_err(|e| bad("entries", e))? {
        let mut e = e.map_err(|e| bad("entry", e))?;
        let path = e.path().map_err(|e| bad("path", e))?.display().to_string();
        if path == "package/package.json" {
            let mut s = String::new();
            e.read_to_string(&mut s)
                .map_err(|e| bad("package.json", e))?;
            return serde_json::from_str(&s).map_err(|e| {
                Error::input(format!(
                    "npm tarball: package/package.json is not JSON: {e}"
                ))
            });
        }
    }
    Err(Error::input("npm tarball has no package/package.json"))
}

/// Writes `data` to `path` atomically (temp file + rename) so a crash never leaves half a
/// tarball that a later run would publish.
pub fn write_atomic(path: &std::path::Path, data: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(std::path::Path::new("."));
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    let tmp = path.with_extension("tgz.partial");
    let mut f = std::fs::File::create(&tmp)
        .map_err(|e| Error::io(format!("creating {}", tmp.display()), e))?;
    f.write_all(data)
        .and_then(|_| f.sync_all())
        .map_err(|e| Error::io(format!("writing {}", tmp.display()), e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io(format!("renaming to {}", path.display()), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_sorted_and_moded() {
        let a = vec![
            Entry::exe("bin/demo", b"\x7fELF...".to_vec()),
            Entry::file("package.json", b"{}".to_vec()),
        ];
        let mut b = a.clone();
        b.reverse();
        let ta = build(&a, NPM_EPOCH).unwrap();
        let tb = build(&b, NPM_EPOCH).unwrap();
        assert_eq!(ta, tb, "entry order must not matter");
        // gzip header: magic, CM, FLG, MTIME (4 bytes, zero)
        assert_eq!(&ta[..2], &[0x1f, 0x8b]);
        assert_eq!(&ta[4..8], &[0, 0, 0, 0]);
        let l = list(&ta).unwrap();
        assert_eq!(l[0].path, "package/bin/demo");
        assert_eq!(l[0].mode, 0o755);
        assert_eq!(l[1].path, "package/package.json");
        assert_eq!(l[1].mode, 0o644);
        assert!(l
            .iter()
            .all(|e| e.mtime == NPM_EPOCH && e.uid == 0 && e.gid == 0));
        assert_eq!(read_manifest(&ta).unwrap(), serde_json::json!({}));
        assert!(build(&[a[0].clone(), a[0].clone()], 0).is_err());
    }

    #[test]
    fn digests_match_known_values() {
        // echo -n abc | sha1sum / sha512 | base64
        assert_eq!(shasum(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert!(integrity(b"abc").starts_with("sha512-3a81oZNherrMQXNJriBBMRLm+k6JqX6iCp7u5ktV05"));
    }
}
