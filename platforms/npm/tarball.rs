//! npm tarballs: gzip'd tar with every path under `package/`, written by the shared
//! deterministic writer (`kit::archive`) so two builds of the same release are
//! byte-identical (and the registry's shasum can be compared with ours): entries sorted,
//! every mtime at the release epoch, uid/gid 0, no user/group names, explicit modes (0755
//! for binaries and launchers, 0644 otherwise), ustar headers as npm writes them, gzip
//! level 9 with header mtime 0. Binaries are streamed from disk into the tarball.
//! Also reads a tarball back (package.json, listing) and computes npm's two digests.

use crate::error::{Error, ErrorKind, Result};
use crate::kit::archive::{self, Options, TarHeader};
use base64::Engine;
use sha1::Sha1;
use sha2::{Digest, Sha512};
use std::io::Read;

/// One file to pack; its name is relative to `package/`.
pub use crate::kit::archive::Entry;

/// Builds the .tgz bytes with every mtime at `epoch` (the release's SOURCE_DATE_EPOCH).
/// Entries are sorted by path; duplicates are an input error.
pub fn build(entries: &[Entry], epoch: u64) -> Result<Vec<u8>> {
    let sorted = archive::sorted(entries).map_err(|e| e.context("npm tarball"))?;
    Ok(archive::to_vec(&options(epoch), "npm tarball", |w| w.append_all(&sorted))?.0)
}

/// Writes the .tgz at `path` (atomically: a crash never leaves half a tarball that a later
/// run would publish), streaming binaries from disk: nothing is held in memory.
pub fn write(entries: &[Entry], epoch: u64, path: &std::path::Path) -> Result<()> {
    let sorted = archive::sorted(entries).map_err(|e| e.context("npm tarball"))?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    }
    archive::write_file(path, &options(epoch), |w| w.append_all(&sorted)).map(|_| ())
}

fn options(epoch: u64) -> Options {
    Options::tar_gz(epoch)
        .level(9)
        .tar_header(TarHeader::Ustar)
        .prefix("package/")
}

/// A tarball's fingerprints: npm's two and dist/'s, from one streamed pass over the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digests {
    /// npm's `dist.shasum`.
    pub shasum: String,
    /// npm's `dist.integrity`.
    pub integrity: String,
    /// The artifact's sha256 in report.json.
    pub sha256: String,
    pub size: u64,
}

/// Reads the file at `path` once, in chunks, for its [`Digests`].
pub fn digests(path: &std::path::Path) -> Result<Digests> {
    let err = |e| Error::io(format!("reading {}", path.display()), e);
    let mut f = std::fs::File::open(path).map_err(err)?;
    let (mut s1, mut s512, mut s256) = (Sha1::new(), Sha512::new(), sha2::Sha256::new());
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(err)?;
        if n == 0 {
            break;
        }
        s1.update(&buf[..n]);
        s512.update(&buf[..n]);
        s256.update(&buf[..n]);
        size += n as u64;
    }
    Ok(Digests {
        shasum: hex::encode(s1.finalize()),
        integrity: format!(
            "sha512-{}",
            base64::engine::general_purpose::STANDARD.encode(s512.finalize())
        ),
        sha256: hex::encode(s256.finalize()),
        size,
    })
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
    manifest_from(tgz)
}

/// Reads `package/package.json` out of the tarball at `path`, streaming it.
pub fn read_manifest_file(path: &std::path::Path) -> Result<serde_json::Value> {
    let f = std::fs::File::open(path)
        .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    manifest_from(std::io::BufReader::new(f))
}

fn manifest_from(r: impl Read) -> Result<serde_json::Value> {
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(r));
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

#[cfg(test)]
mod tests {
    use super::*;

    const EPOCH: u64 = 499_162_500;

    #[test]
    fn deterministic_sorted_and_moded() {
        let a = vec![
            Entry::exe("bin/demo", b"\x7fELF...".to_vec()),
            Entry::file("package.json", b"{}".to_vec()),
        ];
        let mut b = a.clone();
        b.reverse();
        let ta = build(&a, EPOCH).unwrap();
        let tb = build(&b, EPOCH).unwrap();
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
            .all(|e| e.mtime == EPOCH && e.uid == 0 && e.gid == 0));
        assert_eq!(read_manifest(&ta).unwrap(), serde_json::json!({}));
        assert!(build(&[a[0].clone(), a[0].clone()], 0).is_err());
    }

    /// The bytes npm tarballs had before the shared kit: a file streamed from disk and the
    /// same bytes from memory give one tarball, and nothing changed.
    #[test]
    fn tarballs_keep_their_bytes() {
        let dir = tempfile::tempdir().unwrap();
        for on_disk in [true, false] {
            let entries = crate::kit::archive::tests::golden_entries(dir.path(), on_disk);
            let tgz = build(&entries, 1_700_000_000).unwrap();
            assert_eq!(
                hex::encode(sha2::Sha256::digest(&tgz)),
                "e882cae3bc108f71ce88dfe9d303555ec5f47d7e7a0669b0393add01c3acf2ab"
            );
        }
    }

    #[test]
    fn digests_match_known_values() {
        // echo -n abc | sha1sum / sha512 | base64
        assert_eq!(shasum(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert!(integrity(b"abc").starts_with("sha512-3a81oZNherrMQXNJriBBMRLm+k6JqX6iCp7u5ktV05"));
    }
}
