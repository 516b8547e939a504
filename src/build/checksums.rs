//! SHA-256 of files (streamed, never read whole) and the `SHA256SUMS` file in the
//! `sha256sum` format: `<hex>  <name>` per line, sorted by name, so `sha256sum -c` verifies a
//! download directory and the file itself is reproducible.

use crate::error::{Error, Result};
use crate::plan::{Artifact, ArtifactKind};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};

/// Name of the checksums file in dist/.
pub const SUMS_NAME: &str = "SHA256SUMS";

/// sha256 hex + size of a file, streamed (never read whole into memory).
pub fn hash_file(path: &Path) -> Result<(String, u64)> {
    let f = File::open(path).map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
    let mut reader = BufReader::with_capacity(64 * 1024, f);
    let mut hasher = Sha256::new();
    let size = std::io::copy(&mut reader, &mut hasher)
        .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    Ok((hex::encode(hasher.finalize()), size))
}

/// The text of a SHA256SUMS file for `(sha256, name)` pairs, sorted by name.
pub fn render(entries: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = entries.iter().collect();
    sorted.sort_by(|a, b| a.1.cmp(&b.1));
    sorted
        .iter()
        .map(|(sha, name)| format!("{sha}  {name}\n"))
        .collect()
}

/// Writes dist/SHA256SUMS covering `files` (artifacts already hashed; names are their file
/// names) and returns it as a `Checksums` artifact.
pub fn write_sums(dist: &Path, files: &[&Artifact]) -> Result<Artifact> {
    let entries: Vec<(String, String)> = files
        .iter()
        .map(|a| (a.sha256.clone(), a.name.clone()))
        .collect();
    let path = dist.join(SUMS_NAME);
    let mut f =
        File::create(&path).map_err(|e| Error::io(format!("creating {}", path.display()), e))?;
    f.write_all(render(&entries).as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
    let (sha256, size) = hash_file(&path)?;
    Ok(Artifact {
        name: SUMS_NAME.into(),
        path: PathBuf::from(SUMS_NAME),
        kind: ArtifactKind::Checksums,
        target: None,
        sha256,
        size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_known_values() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"abc").unwrap();
        let (sha, size) = hash_file(&p).unwrap();
        assert_eq!(
            sha,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(size, 3);
        std::fs::write(&p, b"").unwrap();
        assert_eq!(
            hash_file(&p).unwrap(),
            (
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".into(),
                0
            )
        );
    }

    #[test]
    fn hashes_large_file_streamed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big");
        let chunk = vec![7u8; 1 << 20];
        let mut f = File::create(&p).unwrap();
        for _ in 0..3 {
            f.write_all(&chunk).unwrap();
        }
        drop(f);
        let (sha, size) = hash_file(&p).unwrap();
        assert_eq!(size, 3 << 20);
        let mut h = Sha256::new();
        for _ in 0..3 {
            h.update(&chunk);
        }
        assert_eq!(sha, hex::encode(h.finalize()));
    }

    #[test]
    fn missing_file_is_io_error() {
        let e = hash_file(Path::new("/nonexistent/x")).unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::Io);
    }

    #[test]
    fn renders_sorted_with_two_spaces() {
        let text = render(&[
            ("bb".into(), "z.zip".into()),
            ("aa".into(), "a.tar.gz".into()),
        ]);
        assert_eq!(text, "aa  a.tar.gz\nbb  z.zip\n");
    }

    #[test]
    fn writes_sums_artifact() {
        let dir = tempfile::tempdir().unwrap();
        let art = |name: &str, sha: &str| Artifact {
            name: name.into(),
            path: name.into(),
            kind: ArtifactKind::Archive,
            target: None,
            sha256: sha.into(),
            size: 1,
        };
        let (a, b) = (art("b.zip", "22"), art("a.tar.gz", "11"));
        let sums = write_sums(dir.path(), &[&a, &b]).unwrap();
        let text = std::fs::read_to_string(dir.path().join(SUMS_NAME)).unwrap();
        assert_eq!(text, "11  a.tar.gz\n22  b.zip\n");
        assert_eq!(sums.kind, ArtifactKind::Checksums);
        assert_eq!(sums.size, text.len() as u64);
        assert_eq!(sums.path, PathBuf::from("SHA256SUMS"));
    }
}
