//! One deterministic archive writer for tar.gz and zip. Everything that could differ
//! between two runs is pinned by the caller or here: entry order (explicit, or sorted with
//! [`sorted`]), every mtime (the release epoch; zip clamps it to 1980..=2107), owner (uid/gid
//! 0, empty user/group names), modes (per entry), the gzip header (mtime 0, no file name)
//! and the compression level. Content comes from memory or is streamed from disk, so a
//! large binary never sits whole in memory. Every appended entry reports its sha256 and
//! size, which a wheel's RECORD needs and which costs far less than the compression.
//!
//! ```no_run
//! # use tagship::kit::archive::{self, Entry, Options};
//! # fn f(bin: std::path::PathBuf) -> tagship::Result<()> {
//! let entries = [Entry::disk("hello", bin).with_mode(0o755), Entry::file("README.md", "# hi\n")];
//! let sorted = archive::sorted(&entries)?;
//! archive::write_file("dist/hello.tar.gz".as_ref(), &Options::tar_gz(1_700_000_000), |w| {
//!     w.append_all(&sorted)
//! })?;
//! # Ok(()) }
//! ```

use crate::error::{Error, ErrorKind, Result};
use flate2::{write::GzEncoder, Compression, GzBuilder};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{BufWriter, Cursor, Read, Seek, Write};
use std::path::{Path, PathBuf};

/// 1980-01-01T00:00:00Z, the earliest time a zip (DOS) timestamp can hold.
pub const ZIP_MIN_EPOCH: u64 = 315_532_800;
/// 2107-12-31T23:59:59Z, the latest.
const ZIP_MAX_EPOCH: u64 = 4_354_819_199;
/// From this size on a zip entry gets zip64 fields: deflate can grow incompressible data a
/// little, so waiting for exactly 4 GiB would fail on a file just below it.
const ZIP64_FROM: u64 = u32::MAX as u64 / 2;

/// The container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    TarGz,
    Zip,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::TarGz => ".tar.gz",
            Format::Zip => ".zip",
        }
    }
}

/// Which tar header layout to write. GNU stores long names in extra `././@LongLink`
/// records; ustar first splits them into prefix + name (what npm's own tarballs use).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TarHeader {
    Gnu,
    Ustar,
}

/// How to write an archive. Build one with [`Options::tar_gz`] or [`Options::zip`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub format: Format,
    /// Seconds since 1970 stamped on every entry (the release's SOURCE_DATE_EPOCH).
    pub epoch: u64,
    /// Compression level 0–9; `None` is the library default (6).
    pub level: Option<u32>,
    /// tar.gz only.
    pub tar_header: TarHeader,
    /// Put in front of every entry name, e.g. npm's `package/`.
    pub prefix: String,
}

impl Options {
    pub fn tar_gz(epoch: u64) -> Options {
        Options {
            format: Format::TarGz,
            epoch,
            level: None,
            tar_header: TarHeader::Gnu,
            prefix: String::new(),
        }
    }
    pub fn zip(epoch: u64) -> Options {
        Options {
            format: Format::Zip,
            ..Options::tar_gz(epoch)
        }
    }
    pub fn level(self, level: u32) -> Options {
        Options {
            level: Some(level.min(9)),
            ..self
        }
    }
    pub fn tar_header(self, tar_header: TarHeader) -> Options {
        Options { tar_header, ..self }
    }
    pub fn prefix(self, prefix: impl Into<String>) -> Options {
        Options {
            prefix: prefix.into(),
            ..self
        }
    }
}

/// Where an entry's bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Bytes(Vec<u8>),
    /// Streamed from disk when the entry is appended.
    File(PathBuf),
}

/// One regular file inside an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Path inside the archive, `/`-separated; a leading `/` is never stored.
    pub name: String,
    pub mode: u32,
    pub source: Source,
}

impl Entry {
    /// In-memory content, mode 0644.
    pub fn file(name: impl Into<String>, data: impl Into<Vec<u8>>) -> Entry {
        Entry {
            name: name.into(),
            mode: 0o644,
            source: Source::Bytes(data.into()),
        }
    }
    /// In-memory content, mode 0755.
    pub fn exe(name: impl Into<String>, data: impl Into<Vec<u8>>) -> Entry {
        Entry::file(name, data).with_mode(0o755)
    }
    /// Content streamed from `path`, mode 0644.
    pub fn disk(name: impl Into<String>, path: impl Into<PathBuf>) -> Entry {
        Entry {
            name: name.into(),
            mode: 0o644,
            source: Source::File(path.into()),
        }
    }
    pub fn with_mode(self, mode: u32) -> Entry {
        Entry { mode, ..self }
    }
    /// The name as stored (before the prefix).
    fn stored(&self) -> &str {
        self.name.trim_start_matches('/')
    }
    fn open(&self) -> Result<(Box<dyn Read + '_>, u64)> {
        match &self.source {
            Source::Bytes(b) => Ok((Box::new(b.as_slice()), b.len() as u64)),
            Source::File(p) => {
                let f =
                    File::open(p).map_err(|e| Error::io(format!("opening {}", p.display()), e))?;
                let len = f
                    .metadata()
                    .map_err(|e| Error::io(format!("reading {}", p.display()), e))?
                    .len();
                Ok((Box::new(f), len))
            }
        }
    }
}

/// What was stored for one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The full name inside the archive (prefix included).
    pub name: String,
    pub sha256: [u8; 32],
    pub size: u64,
}

/// The entries in name order; two entries with one stored name are an input error.
pub fn sorted(entries: &[Entry]) -> Result<Vec<&Entry>> {
    let mut v: Vec<&Entry> = entries.iter().collect();
    v.sort_by(|a, b| a.stored().cmp(b.stored()));
    if let Some(w) = v.windows(2).find(|w| w[0].stored() == w[1].stored()) {
        return Err(Error::input(format!(
            "two files would be stored as `{}` in one archive",
            w[0].stored()
        )));
    }
    Ok(v)
}

/// The DOS timestamp for `epoch` (UTC), clamped to what a zip can store (1980..=2107).
pub fn zip_time(epoch: u64) -> zip::DateTime {
    let secs = epoch.clamp(ZIP_MIN_EPOCH, ZIP_MAX_EPOCH) as i64;
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

enum Inner<W: Write + Seek> {
    Tar(tar::Builder<GzEncoder<W>>),
    Zip(Box<zip::ZipWriter<W>>),
}

/// Appends entries, in the order given, to one archive being written into `W`.
pub struct Writer<W: Write + Seek> {
    inner: Inner<W>,
    opts: Options,
    zip_time: zip::DateTime,
    /// Names the archive in error messages.
    label: String,
}

/// A reader that hashes what passes through it.
struct Hashing<R> {
    inner: R,
    hash: Sha256,
    size: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
}

impl<W: Write + Seek> Writer<W> {
    /// Starts an archive in `sink`; `label` names it in error messages.
    pub fn new(sink: W, opts: &Options, label: impl Into<String>) -> Writer<W> {
        let level = opts.level.map_or(Compression::default(), Compression::new);
        let inner = match opts.format {
            Format::TarGz => Inner::Tar(tar::Builder::new(
                GzBuilder::new().mtime(0).write(sink, level),
            )),
            Format::Zip => Inner::Zip(Box::new(zip::ZipWriter::new(sink))),
        };
        Writer {
            inner,
            zip_time: zip_time(opts.epoch),
            opts: opts.clone(),
            label: label.into(),
        }
    }

    fn io(&self, e: std::io::Error) -> Error {
        Error::io(format!("writing {}", self.label), e)
    }

    /// Appends one entry (streaming a file source) and returns its digest.
    pub fn append(&mut self, e: &Entry) -> Result<Written> {
        let name = format!("{}{}", self.opts.prefix, e.stored());
        let (reader, len) = e.open()?;
        // A tar header states the size up front: never copy more than that.
        let mut src = Hashing {
            inner: reader.take(len),
            hash: Sha256::new(),
            size: 0,
        };
        let res = match &mut self.inner {
            Inner::Tar(tar) => {
                let mut h = match self.opts.tar_header {
                    TarHeader::Gnu => tar::Header::new_gnu(),
                    TarHeader::Ustar => tar::Header::new_ustar(),
                };
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(len);
                h.set_mode(e.mode);
                h.set_mtime(self.opts.epoch);
                h.set_uid(0);
                h.set_gid(0);
                // Streams the reader and writes a GNU long-name record when the name fits
                // neither the header nor (ustar) its prefix field.
                tar.append_data(&mut h, &name, &mut src)
            }
            Inner::Zip(zip) => {
                let o = zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Deflated)
                    .compression_level(self.opts.level.map(i64::from))
                    .last_modified_time(self.zip_time)
                    .unix_permissions(e.mode)
                    .large_file(len >= ZIP64_FROM);
                match zip.start_file(name.as_str(), o) {
                    Ok(()) => std::io::copy(&mut src, zip.as_mut()).map(drop),
                    Err(z) => Err(std::io::Error::other(z)),
                }
            }
        };
        res.map_err(|err| self.io(err).context(format!("adding {name}")))?;
        if src.size != len {
            return Err(Error::new(
                ErrorKind::Io,
                format!("{name} changed size while {} was written", self.label),
            ));
        }
        Ok(Written {
            name,
            sha256: src.hash.finalize().into(),
            size: src.size,
        })
    }

    /// Appends each entry in the order given.
    pub fn append_all(&mut self, entries: &[&Entry]) -> Result<Vec<Written>> {
        entries.iter().map(|e| self.append(e)).collect()
    }

    /// Writes the trailers (tar end blocks + gzip footer, or the zip central directory).
    pub fn finish(self) -> Result<W> {
        let label = self.label;
        let io = |e: std::io::Error| Error::io(format!("finishing {label}"), e);
        match self.inner {
            Inner::Tar(tar) => tar.into_inner().map_err(io)?.finish().map_err(io),
            Inner::Zip(zip) => zip
                .finish()
                .map_err(|e| Error::new(ErrorKind::Io, format!("finishing {label}: {e}"))),
        }
    }
}

/// Builds an archive in memory (npm keeps its tarballs as bytes); `fill` appends entries.
pub fn to_vec<T>(
    opts: &Options,
    label: &str,
    fill: impl FnOnce(&mut Writer<Cursor<Vec<u8>>>) -> Result<T>,
) -> Result<(Vec<u8>, T)> {
    let mut w = Writer::new(Cursor::new(Vec::new()), opts, label);
    let t = fill(&mut w)?;
    Ok((w.finish()?.into_inner(), t))
}

/// Writes an archive at `path`: into a uniquely named temporary file next to it, synced,
/// then renamed into place, so no reader (or a second writer of the same file) ever sees
/// half an archive. The temporary file is removed on any error.
pub fn write_file<T>(
    path: &Path,
    opts: &Options,
    fill: impl FnOnce(&mut Writer<BufWriter<File>>) -> Result<T>,
) -> Result<T> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = path.with_file_name(format!(
        ".{name}.{}.{}.partial",
        std::process::id(),
        fastrand::u64(..)
    ));
    let res = write_to(&tmp, path, opts, fill);
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
        return res;
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(
            format!("moving archive into place at {}", path.display()),
            e,
        )
    })?;
    res
}

fn write_to<T>(
    tmp: &Path,
    path: &Path,
    opts: &Options,
    fill: impl FnOnce(&mut Writer<BufWriter<File>>) -> Result<T>,
) -> Result<T> {
    let io = |e: std::io::Error| Error::io(format!("writing {}", path.display()), e);
    let file = File::create(tmp).map_err(io)?;
    let mut w = Writer::new(BufWriter::new(file), opts, path.display().to_string());
    let t = fill(&mut w)?;
    let file = w.finish()?.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)?;
    Ok(t)
}

#[cfg(test)]
pub(crate) mod tests;
