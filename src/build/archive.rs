//! Deterministic archives: tar.gz (or zip for Windows) of a target's binary plus the extra
//! files from `archives.files`. Everything that could vary between two runs is pinned: entry
//! order (sorted by name), mtimes (the source date epoch), owner (uid/gid 0, no user/group
//! names), modes (0755 binaries, 0644 files), the gzip header (mtime 0, no file name) and the
//! compression level. File contents are streamed, never read whole into memory. Rebuilding
//! the same commit therefore yields byte-identical archives, and the same SHA256SUMS.

use crate::config::model::ArchiveFormat;
use crate::error::{Error, ErrorKind, Result};
use crate::plan::Os;
use flate2::{Compression, GzBuilder};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Component, Path, PathBuf};

/// Compression level for both formats (fixed, so output never depends on library defaults).
const LEVEL: u32 = 9;
/// 1980-01-01T00:00:00Z, the earliest time a zip (DOS) timestamp can hold.
pub const ZIP_MIN_EPOCH: u64 = 315_532_800;

/// A concrete archive format (`auto` resolved).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    TarGz,
    Zip,
}

impl Kind {
    /// `auto` means zip for Windows targets and tar.gz everywhere else.
    pub fn resolve(format: ArchiveFormat, os: Os) -> Kind {
        match (format, os) {
            (ArchiveFormat::TarGz, _) => Kind::TarGz,
            (ArchiveFormat::Zip, _) | (ArchiveFormat::Auto, Os::Windows) => Kind::Zip,
            (ArchiveFormat::Auto, _) => Kind::TarGz,
        }
    }
    pub fn extension(self) -> &'static str {
        match self {
            Kind::TarGz => ".tar.gz",
            Kind::Zip => ".zip",
        }
    }
}

/// One file inside an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Path inside the archive, `/`-separated.
    pub name: String,
    /// Where the content comes from.
    pub source: PathBuf,
    pub mode: u32,
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
    Ok(Entry {
        name: parts.join("/"),
        source: canon,
        mode: 0o644,
    })
}

/// Writes the archive at `path` (via a temporary file renamed into place). Entries are
/// sorted by name; duplicate names are an input error.
pub fn write_archive(path: &Path, kind: Kind, entries: &[Entry], epoch: u64) -> Result<()> {
    let mut sorted: Vec<&Entry> = entries.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    if let Some(w) = sorted.windows(2).find(|w| w[0].name == w[1].name) {
        return Err(Error::input(format!(
            "two files would be stored as `{}` in {}",
            w[0].name,
            path.display()
        ))
        .with_hint("rename one of them or drop it from archives.files"));
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".partial");
    let tmp = PathBuf::from(tmp);
    let res = match kind {
        Kind::TarGz => write_tar_gz(&tmp, &sorted, epoch),
        Kind::Zip => write_zip(&tmp, &sorted, epoch),
    };
    if let Err(e) = res {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        Error::io(
            format!("moving archive into place at {}", path.display()),
            e,
        )
    })
}

fn open_source(e: &Entry) -> Result<(File, u64)> {
    let f = File::open(&e.source)
        .map_err(|err| Error::io(format!("opening {}", e.source.display()), err))?;
    let len = f
        .metadata()
        .map_err(|err| Error::io(format!("reading {}", e.source.display()), err))?
        .len();
    Ok((f, len))
}

fn write_tar_gz(path: &Path, entries: &[&Entry], epoch: u64) -> Result<()> {
    let io = |e: std::io::Error| Error::io(format!("writing {}", path.display()), e);
    let file = File::create(path).map_err(io)?;
    let gz = GzBuilder::new()
        .mtime(0)
        .write(BufWriter::new(file), Compression::new(LEVEL));
    let mut tar = tar::Builder::new(gz);
    for e in entries {
        let (src, len) = open_source(e)?;
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_size(len);
        h.set_mode(e.mode);
        h.set_mtime(epoch);
        h.set_uid(0);
        h.set_gid(0);
        // append_data streams the reader into the archive and writes GNU long-name records
        // when a name does not fit the header.
        tar.append_data(&mut h, &e.name, src).map_err(io)?;
    }
    let gz = tar.into_inner().map_err(io)?;
    let buf = gz.finish().map_err(io)?;
    let file = buf.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)
}

/// The DOS timestamp for `epoch` (UTC), clamped to what a zip can store (1980..=2107).
pub fn zip_time(epoch: u64) -> zip::DateTime {
    let max = 4_354_819_199; // 2107-12-31T23:59:59Z
    let secs = epoch.clamp(ZIP_MIN_EPOCH, max) as i64;
    let t =
        time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    zip::DateTime::from_date_and_time(
        t.year() as u16,
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
    )
    .unwrap_or_default()
}

fn write_zip(path: &Path, entries: &[&Entry], epoch: u64) -> Result<()> {
    let io = |e: std::io::Error| Error::io(format!("writing {}", path.display()), e);
    let zerr = |e: zip::result::ZipError| {
        Error::new(ErrorKind::Io, format!("writing {}: {e}", path.display()))
    };
    let file = File::create(path).map_err(io)?;
    let mut zip = zip::ZipWriter::new(BufWriter::new(file));
    let base = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(i64::from(LEVEL)))
        .last_modified_time(zip_time(epoch));
    for e in entries {
        let (mut src, len) = open_source(e)?;
        let opts = base
            .unix_permissions(e.mode)
            .large_file(len >= u64::from(u32::MAX) / 2);
        zip.start_file(e.name.as_str(), opts).map_err(zerr)?;
        std::io::copy(&mut src, &mut zip).map_err(io)?;
    }
    let mut buf = zip.finish().map_err(zerr)?;
    buf.flush().map_err(io)?;
    let file = buf.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn fixture() -> (tempfile::TempDir, Vec<Entry>) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("hello"), b"\x7fELF binary bytes").unwrap();
        std::fs::write(root.join("README.md"), b"# hello\n").unwrap();
        std::fs::create_dir(root.join("docs")).unwrap();
        std::fs::write(root.join("docs/guide.txt"), b"guide").unwrap();
        let mut entries =
            resolve_files(root, &["README.md".into(), "./docs/guide.txt".into()]).unwrap();
        entries.push(Entry {
            name: "hello".into(),
            source: root.join("hello"),
            mode: 0o755,
        });
        (dir, entries)
    }

    #[test]
    fn resolves_auto_format() {
        assert_eq!(Kind::resolve(ArchiveFormat::Auto, Os::Windows), Kind::Zip);
        assert_eq!(Kind::resolve(ArchiveFormat::Auto, Os::Linux), Kind::TarGz);
        assert_eq!(
            Kind::resolve(ArchiveFormat::TarGz, Os::Windows),
            Kind::TarGz
        );
        assert_eq!(Kind::resolve(ArchiveFormat::Zip, Os::Darwin), Kind::Zip);
    }

    #[test]
    fn tar_gz_is_deterministic_and_normalized() {
        let (dir, entries) = fixture();
        let (a, b) = (dir.path().join("a.tar.gz"), dir.path().join("b.tar.gz"));
        write_archive(&a, Kind::TarGz, &entries, 1_700_000_000).unwrap();
        // Different input order and a touched source file must not change the bytes.
        let mut rev = entries.clone();
        rev.reverse();
        std::fs::write(dir.path().join("README.md"), b"# hello\n").unwrap();
        write_archive(&b, Kind::TarGz, &rev, 1_700_000_000).unwrap();
        let bytes = std::fs::read(&a).unwrap();
        assert_eq!(bytes, std::fs::read(&b).unwrap());
        // gzip header: mtime 0 (bytes 4..8), no FNAME flag (bit 3 of byte 3).
        assert_eq!(&bytes[4..8], &[0, 0, 0, 0]);
        assert_eq!(bytes[3] & 0x08, 0);
        let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(&bytes[..]));
        let mut seen = Vec::new();
        for e in ar.entries().unwrap() {
            let e = e.unwrap();
            let h = e.header();
            assert_eq!(h.mtime().unwrap(), 1_700_000_000);
            assert_eq!((h.uid().unwrap(), h.gid().unwrap()), (0, 0));
            assert_eq!(h.username().unwrap(), Some(""));
            let name = e.path().unwrap().to_string_lossy().into_owned();
            seen.push((name, h.mode().unwrap()));
        }
        assert_eq!(
            seen,
            [
                ("README.md".to_string(), 0o644),
                ("docs/guide.txt".to_string(), 0o644),
                ("hello".to_string(), 0o755)
            ]
        );
    }

    #[test]
    fn zip_is_deterministic_with_modes_and_time() {
        let (dir, entries) = fixture();
        let (a, b) = (dir.path().join("a.zip"), dir.path().join("b.zip"));
        write_archive(&a, Kind::Zip, &entries, 1_700_000_000).unwrap();
        write_archive(&b, Kind::Zip, &entries, 1_700_000_000).unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
        let mut z = zip::ZipArchive::new(File::open(&a).unwrap()).unwrap();
        let names: Vec<String> = z.file_names().map(String::from).collect();
        assert_eq!(names, ["README.md", "docs/guide.txt", "hello"]);
        let mut f = z.by_name("hello").unwrap();
        assert_eq!(f.unix_mode().unwrap() & 0o777, 0o755);
        // 2023-11-14T22:13:20Z
        let t = f.last_modified().unwrap();
        assert_eq!((t.year(), t.month(), t.day()), (2023, 11, 14));
        assert_eq!((t.hour(), t.minute(), t.second()), (22, 13, 20));
        let mut s = String::new();
        f.read_to_string(&mut s).unwrap();
        assert_eq!(s, "\x7fELF binary bytes");
        drop(f);
        assert_eq!(
            z.by_name("README.md").unwrap().unix_mode().unwrap() & 0o777,
            0o644
        );
    }

    #[test]
    fn zip_time_clamps() {
        let t = zip_time(0);
        assert_eq!((t.year(), t.month(), t.day()), (1980, 1, 1));
        assert_eq!(zip_time(u64::MAX).year(), 2107);
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
        let e = write_archive(&dir.path().join("x.tar.gz"), Kind::TarGz, &entries, 0).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Input);
        assert!(!dir.path().join("x.tar.gz.partial").exists());
        assert!(!dir.path().join("x.tar.gz").exists());
    }
}
