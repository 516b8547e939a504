//! The build's archives: a tar.gz (or zip for Windows) of a target's binaries plus the extra
//! files from `archives.files`, written by the shared deterministic writer
//! (`kit::archive`): entries sorted by name, mtimes at the release epoch, uid/gid 0, modes
//! 0755 for binaries and 0644 for files, level 9, content streamed from disk. Rebuilding the
//! same commit therefore yields byte-identical archives, and the same SHA256SUMS. This
//! module adds what is the build's own: resolving `archives.format` and `archives.files`.

use crate::config::model::ArchiveFormat;
use crate::error::{Error, Result};
use crate::kit::archive::{self, Entry, Format, Options};
use crate::plan::Os;
use std::path::{Component, Path};

/// Compression level for both formats (fixed, so output never depends on library defaults).
const LEVEL: u32 = 9;

/// The concrete format for `archives.format` on `os`: `auto` means zip for Windows targets
/// and tar.gz everywhere else.
pub fn resolve(format: ArchiveFormat, os: Os) -> Format {
    match (format, os) {
        (ArchiveFormat::TarGz, _) => Format::TarGz,
        (ArchiveFormat::Zip, _) | (ArchiveFormat::Auto, Os::Windows) => Format::Zip,
        (ArchiveFormat::Auto, _) => Format::TarGz,
    }
}

/// Resolves `archives.files` against `root`: relative paths only, no `..`, nothing that
/// (through symlinks) lands outside `root`, and each must be an existing regular file. The
/// entry keeps the relative path, so `README.md` sits next to the binary at the archive root.
pub fn resolve_files(root: &Path, files: &[String]) -> Result<Vec<Entry>> {
    let canon_root = root
        .canonicalize()
        .map_err(|e| Error::io(format!("resolving {}", root.display()), e))?;
    files.iter().map(|f| resolve_one(&canon_root, f)).collect()
}

fn resolve_one(canon_root: &Path, file: &str) -> Result<Entry> {
    let bad = |why: &str| {
        Error::input(format!("archives.files entry `{file}` {why}"))
            .with_hint("list files relative to the directory of pipeline.yaml, inside it")
    };
    let rel = Path::new(file);
    let mut parts = Vec::new();
    for c in rel.components() {
        match c {
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir => return Err(bad("must not contain `..`")),
            Component::RootDir | Component::Prefix(_) => return Err(bad("must be relative")),
        }
    }
    if parts.is_empty() {
        return Err(bad("names no file"));
    }
    let joined = canon_root.join(rel);
    let canon = joined.canonicalize().map_err(|e| {
        Error::input(format!(
            "archives.files entry `{file}` not found at {}: {e}",
            joined.display()
        ))
    })?;
    if !canon.starts_with(canon_root) {
        return Err(bad("resolves outside the project directory (symlink?)"));
    }
    if !canon.is_file() {
        return Err(bad("is not a regular file"));
    }
    Ok(Entry::disk(parts.join("/"), canon))
}

/// Writes the archive at `path` (via a temporary file renamed into place) with the kit's
/// writer: entries sorted by name, GNU tar headers, level 9. Duplicate names are an input
/// error.
pub fn write_archive(path: &Path, format: Format, entries: &[Entry], epoch: u64) -> Result<()> {
    let sorted = archive::sorted(entries).map_err(|e| {
        e.context(path.display())
            .with_hint("rename one of them or drop it from archives.files")
    })?;
    let opts = match format {
        Format::TarGz => Options::tar_gz(epoch),
        Format::Zip => Options::zip(epoch),
    };
    archive::write_file(path, &opts.level(LEVEL), |w| w.append_all(&sorted)).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::kit::archive::tests::golden_entries;
    use sha2::{Digest, Sha256};

    fn fixture() -> (tempfile::TempDir, Vec<Entry>) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("hello"), b"\x7fELF binary bytes").unwrap();
        std::fs::write(root.join("README.md"), b"# hello\n").unwrap();
        std::fs::create_dir(root.join("docs")).unwrap();
        std::fs::write(root.join("docs/guide.txt"), b"guide").unwrap();
        let mut entries =
            resolve_files(root, &["README.md".into(), "./docs/guide.txt".into()]).unwrap();
        entries.push(Entry::disk("hello", root.join("hello")).with_mode(0o755));
        (dir, entries)
    }

    #[test]
    fn resolves_auto_format() {
        assert_eq!(resolve(ArchiveFormat::Auto, Os::Windows), Format::Zip);
        assert_eq!(resolve(ArchiveFormat::Auto, Os::Linux), Format::TarGz);
        assert_eq!(resolve(ArchiveFormat::TarGz, Os::Windows), Format::TarGz);
        assert_eq!(resolve(ArchiveFormat::Zip, Os::Darwin), Format::Zip);
    }

    /// The bytes build archives had before the shared kit (the kit pins the same hashes
    /// for these options): input order does not matter, and nothing else changed.
    #[test]
    fn archives_keep_their_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let mut entries = golden_entries(dir.path(), true);
        entries.reverse();
        for (format, want) in [
            (
                Format::TarGz,
                "f94e0fd985d0fac9500c047d22cd80b3b9cfd4d0fb6e8124ca3199c8e0e67e72",
            ),
            (
                Format::Zip,
                "ce784785ea63cf8b40ac144357e14b6c35fcc5f457ca77a381fed6ae9b984ae9",
            ),
        ] {
            let out = dir.path().join(format!("a{}", format.extension()));
            write_archive(&out, format, &entries, 1_700_000_000).unwrap();
            let got = hex::encode(Sha256::digest(std::fs::read(&out).unwrap()));
            assert_eq!(got, want, "{format:?}");
        }
    }

    #[test]
    fn resolved_files_keep_relative_names() {
        let (_dir, entries) = fixture();
        let names: Vec<(&str, u32)> = entries.iter().map(|e| (e.name.as_str(), e.mode)).collect();
        assert_eq!(
            names,
            [
                ("README.md", 0o644),
                ("docs/guide.txt", 0o644),
                ("hello", 0o755)
            ]
        );
    }

    #[test]
    fn rejects_bad_paths() {
        let (dir, _) = fixture();
        for (f, needle) in [
            ("../etc/passwd", "`..`"),
            ("docs/../README.md", "`..`"),
            ("/etc/passwd", "relative"),
            ("missing.txt", "not found"),
            ("docs", "not a regular file"),
            (".", "names no file"),
        ] {
            let e = resolve_files(dir.path(), &[f.into()]).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Input, "{f}");
            assert!(e.message().contains(needle), "{f}: {e:?}");
            assert!(e.message().contains(f), "{f}: {e:?}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn rejects_symlink_escape() {
        let (dir, _) = fixture();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), b"x").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), dir.path().join("link")).unwrap();
        let e = resolve_files(dir.path(), &["link".into()]).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Input);
        assert!(e.message().contains("outside"));
    }

    #[test]
    fn rejects_duplicate_names() {
        let (dir, mut entries) = fixture();
        entries.push(entries[0].clone());
        let out = dir.path().join("x.tar.gz");
        let e = write_archive(&out, Format::TarGz, &entries, 0).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Input);
        assert!(e.message().contains("x.tar.gz"), "{e:?}");
        assert!(e.hint().unwrap().contains("archives.files"));
        assert!(!out.exists());
    }
}
