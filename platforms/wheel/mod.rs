//! The binary-wheel builder shared by the `pypi` and `pep503` platforms (a plain module, not a
//! platform). One wheel per build target, `{dist}-{ver}-py3-none-{plat}.whl`, holding the
//! target's executables under `{dist}-{ver}.data/scripts/` (installers copy them to `bin/`
//! as they are, keeping +x) and a `.dist-info` with METADATA, WHEEL and RECORD (last).
//! This is the layout maturin's `bindings = "bin"` produces (see PROTOCOLS.md §2 "Format").
//!
//! Output is deterministic: the zip is written by the shared archive writer
//! (`kit::archive`) with sorted scripts, fixed permissions and zip timestamps at the
//! release epoch (clamped to 1980, the earliest a zip can hold), so building twice gives the
//! same bytes and the check can compare sha256 with what is live. The writer goes through a
//! uniquely named temp file and a rename, so two platforms building the same wheel at once
//! never see a half-written file.

pub mod checks;
pub mod dists;
pub mod project;
pub mod record;
pub mod tags;

pub use crate::build::hash_file;
use crate::error::{Error, ErrorKind, Result};
use crate::kit::archive::{self, Entry, Options};
use crate::plan::{Artifact, ArtifactKind, Os, Target};
use crate::platform::Release;
use record::RecordEntry;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use tags::{Linkage, PlatformTags};

/// The WHEEL `Generator:` value.
pub const GENERATOR: &str = concat!("tagship ", env!("CARGO_PKG_VERSION"));
/// The METADATA version we write (every field we use exists in 2.1).
pub const METADATA_VERSION: &str = "2.1";
/// Where wheels go, relative to dist/.
pub const WHEEL_DIR: &str = "wheels";

/// The core metadata of the distribution (PEP 566 fields).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WheelMeta {
    /// The project name as written (`Name:`).
    pub name: String,
    /// PEP 440 version.
    pub version: String,
    pub summary: String,
    pub home_page: Option<String>,
    /// `Project-URL: label, url` entries.
    pub project_urls: Vec<(String, String)>,
    pub license: Option<String>,
    pub requires_python: Option<String>,
}

impl WheelMeta {
    /// Metadata for `name` from the release's project section.
    pub fn from_release(r: &Release, name: &str, requires_python: Option<&str>) -> Result<Self> {
        check_name(name)?;
        let p = &r.project;
        let mut urls = Vec::new();
        if let Some(h) = &p.homepage {
            urls.push(("Homepage".to_string(), h.clone()));
        }
        if let Some(s) = &p.repository {
            urls.push(("Source".to_string(), s.clone()));
        }
        Ok(WheelMeta {
            name: name.to_string(),
            version: pep440(&r.version)?,
            summary: p.description.clone(),
            home_page: p.homepage.clone(),
            project_urls: urls,
            license: p.license.clone(),
            requires_python: requires_python.map(str::to_string),
        })
    }
    /// The `{dist}-{ver}` stem used in file and directory names.
    pub fn stem(&self) -> String {
        format!("{}-{}", dist_name(&self.name), self.version)
    }
    /// The wheel file name for a tag set.
    pub fn filename(&self, tags: &PlatformTags) -> String {
        format!("{}-py3-none-{}.whl", self.stem(), tags.compressed)
    }
}

/// PEP 503 normalized name: lowercase, runs of `-_.` become `-`.
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// The distribution name as it appears in wheel file names: normalized, `-` → `_`.
pub fn dist_name(name: &str) -> String {
    normalize(name).replace('-', "_")
}

/// Rejects names pip would not accept (PEP 508: letters, digits, `-_.`, alphanumeric ends).
pub fn check_name(name: &str) -> Result<()> {
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    let ends = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if ok_chars && ends(name.chars().next()) && ends(name.chars().last()) {
        return Ok(());
    }
    Err(Error::input(format!("`{name}` is not a valid Python package name"))
        .with_hint("use letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit (set `package:` in the platform section)"))
}

/// Maps a semver version to PEP 440: `1.2.0-rc.1` → `1.2.0rc1`, `-alpha.N` → `aN`,
/// `-beta.N` → `bN`. Other prereleases and build metadata have no faithful PEP 440 form.
pub fn pep440(v: &semver::Version) -> Result<String> {
    let base = format!("{}.{}.{}", v.major, v.minor, v.patch);
    let bad = |why: &str| {
        Error::input(format!("version {v} has no PEP 440 form for PyPI: {why}"))
            .with_hint("use a prerelease of the form -alpha.N, -beta.N or -rc.N (→ aN, bN, rcN)")
    };
    if !v.build.is_empty() {
        return Err(bad("build metadata (+...) is not allowed on an index"));
    }
    if v.pre.is_empty() {
        return Ok(base);
    }
    let pre = v.pre.as_str();
    // `rc.1` and `rc1` both map to `rc1`.
    let (label, num) = pre.split_once('.').unwrap_or_else(|| {
        let at = pre.find(|c: char| c.is_ascii_digit()).unwrap_or(pre.len());
        pre.split_at(at)
    });
    let short = match label {
        "alpha" | "a" => "a",
        "beta" | "b" => "b",
        "rc" => "rc",
        _ => return Err(bad(&format!("unknown prerelease label `{label}`"))),
    };
    let n: u64 = num.parse().map_err(|_| {
        bad(&format!(
            "`{num}` after `{label}` is not a number (e.g. -rc.1)"
        ))
    })?;
    Ok(format!("{base}{short}{n}"))
}

/// One-line value for a metadata header (no header injection through newlines).
fn one_line(s: &str) -> String {
    s.split(['\r', '\n'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Renders `.dist-info/METADATA` (pure).
pub fn render_metadata(m: &WheelMeta) -> String {
    let mut out = format!(
        "Metadata-Version: {METADATA_VERSION}\nName: {}\nVersion: {}\n",
        one_line(&m.name),
        one_line(&m.version)
    );
    let summary = one_line(&m.summary);
    if !summary.is_empty() {
        out.push_str(&format!("Summary: {summary}\n"));
    }
    if let Some(h) = &m.home_page {
        out.push_str(&format!("Home-page: {}\n", one_line(h)));
    }
    if let Some(l) = &m.license {
        out.push_str(&format!("License: {}\n", one_line(l)));
    }
    for (label, url) in &m.project_urls {
        out.push_str(&format!(
            "Project-URL: {}, {}\n",
            one_line(label),
            one_line(url)
        ));
    }
    if let Some(r) = m.requires_python.as_deref().map(one_line) {
        if !r.is_empty() {
            out.push_str(&format!("Requires-Python: {r}\n"));
        }
    }
    out
}

/// Renders `.dist-info/WHEEL` (pure): one `Tag:` line per expanded tag.
pub fn render_wheel(tags: &PlatformTags) -> String {
    let mut out = format!("Wheel-Version: 1.0\nGenerator: {GENERATOR}\nRoot-Is-Purelib: false\n");
    for t in tags.expanded() {
        out.push_str(&format!("Tag: {t}\n"));
    }
    out
}

/// A wheel written to dist/wheels/.
#[derive(Debug, Clone)]
pub struct BuiltWheel {
    pub filename: String,
    /// Absolute path.
    pub path: PathBuf,
    pub target: Target,
    pub tags: PlatformTags,
    pub sha256: String,
    pub size: u64,
    /// The METADATA text (also the PEP 658 `.metadata` sidecar).
    pub metadata: String,
}

impl BuiltWheel {
    /// As a dist artifact for `platform`.
    pub fn artifact(&self, platform: &str) -> Artifact {
        Artifact {
            name: self.filename.clone(),
            path: Path::new(WHEEL_DIR).join(&self.filename),
            kind: ArtifactKind::Package {
                platform: platform.to_string(),
            },
            target: Some(self.target),
            sha256: self.sha256.clone(),
            size: self.size,
        }
    }
}

/// Builds one wheel per target from the release's binaries into `dist/wheels/`, stamped
/// with the release epoch.
pub fn build_all(r: &Release, meta: &WheelMeta) -> Result<Vec<BuiltWheel>> {
    let mut by_target: BTreeMap<Target, Vec<&Artifact>> = BTreeMap::new();
    for a in &r.artifacts {
        if let (ArtifactKind::Binary, Some(t)) = (&a.kind, a.target) {
            by_target.entry(t).or_default().push(a);
        }
    }
    if by_target.is_empty() {
        return Err(Error::input("no built binaries to put into wheels")
            .with_hint("add a `builds:` entry with targets; wheels carry the built executables"));
    }
    let out = r.dist.join(WHEEL_DIR);
    std::fs::create_dir_all(&out)
        .map_err(|e| Error::io(format!("creating {}", out.display()), e))?;
    let epoch = r.epoch;
    by_target
        .into_iter()
        .map(|(target, bins)| {
            let files: Vec<PathBuf> = bins.iter().map(|a| r.path(a)).collect();
            write_wheel(&out, meta, target, &files, epoch)
        })
        .collect()
}

/// The script name inside the wheel: the binary's file name, `.exe` on Windows.
fn script_name(path: &Path, target: Target) -> Result<String> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| Error::input(format!("binary path {} has no file name", path.display())))?;
    let stem = name.strip_suffix(".exe").unwrap_or(&name);
    Ok(format!("{stem}{}", target.exe_suffix()))
}

/// Writes one wheel for `target` holding `binaries` into `out_dir`; returns it.
pub fn write_wheel(
    out_dir: &Path,
    meta: &WheelMeta,
    target: Target,
    binaries: &[PathBuf],
    epoch: u64,
) -> Result<BuiltWheel> {
    let mut linkage = Linkage::Static;
    if target.os == Os::Linux {
        for b in binaries {
            if tags::elf_linkage(b)? == Linkage::Dynamic {
                linkage = Linkage::Dynamic;
            }
        }
    }
    let tags = tags::platform_tags(target, linkage)?;
    let filename = meta.filename(&tags);
    let stem = meta.stem();
    let mut scripts: BTreeMap<String, &PathBuf> = BTreeMap::new();
    for b in binaries {
        let s = script_name(b, target)?;
        if scripts.insert(s.clone(), b).is_some() {
            return Err(Error::input(format!(
                "two binaries for {target} are both named `{s}`; a wheel's scripts need unique names"
            )));
        }
    }
    let metadata = render_metadata(meta);
    let wheel = render_wheel(&tags);
    let dest = out_dir.join(&filename);
    write_zip(&dest, &stem, &scripts, (&metadata, &wheel), epoch)?;
    let (sha256, size) = hash_file(&dest)?;
    Ok(BuiltWheel {
        filename,
        path: dest,
        target,
        tags,
        sha256,
        size,
        metadata,
    })
}

/// Writes the wheel: the scripts (streamed, in name order), METADATA, WHEEL, and RECORD
/// last, listing the digest of every entry before it.
fn write_zip(
    path: &Path,
    stem: &str,
    scripts: &BTreeMap<String, &PathBuf>,
    (metadata, wheel): (&str, &str),
    epoch: u64,
) -> Result<()> {
    archive::write_file(path, &Options::zip(epoch), |w| {
        let info = format!("{stem}.dist-info");
        let scripts = scripts.iter().map(|(name, src)| {
            Entry::disk(format!("{stem}.data/scripts/{name}"), *src).with_mode(0o755)
        });
        let texts = [("METADATA", metadata), ("WHEEL", wheel)]
            .map(|(name, text)| Entry::file(format!("{info}/{name}"), text));
        let mut record = Vec::new();
        for e in scripts.chain(texts) {
            let d = w.append(&e)?;
            record.push(RecordEntry::from_digest(&d.name, &d.sha256, d.size));
        }
        let record_path = format!("{info}/RECORD");
        let rec = record::render(&record, &record_path);
        w.append(&Entry::file(record_path, rec)).map(drop)
    })
}

/// Reads `.dist-info/METADATA` back from a wheel (for PEP 658 sidecars: verbatim bytes).
pub fn read_metadata(path: &Path) -> Result<String> {
    let zerr = |e: zip::result::ZipError| {
        Error::new(ErrorKind::Io, format!("reading {}: {e}", path.display()))
    };
    let f = File::open(path).map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
    let mut z = zip::ZipArchive::new(f).map_err(zerr)?;
    let name = z
        .file_names()
        .map(str::to_string)
        .find(|n| n.ends_with(".dist-info/METADATA") && n.matches('/').count() == 1)
        .ok_or_else(|| Error::input(format!("{} has no .dist-info/METADATA", path.display())))?;
    let mut s = String::new();
    z.by_name(&name)
        .map_err(zerr)?
        .read_to_string(&mut s)
        .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> semver::Version {
        semver::Version::parse(s).unwrap()
    }

    #[test]
    fn versions() {
        assert_eq!(pep440(&v("1.2.0")).unwrap(), "1.2.0");
        assert_eq!(pep440(&v("1.2.0-rc.1")).unwrap(), "1.2.0rc1");
        assert_eq!(pep440(&v("1.2.0-alpha.3")).unwrap(), "1.2.0a3");
        assert_eq!(pep440(&v("1.2.0-beta.0")).unwrap(), "1.2.0b0");
        assert_eq!(pep440(&v("1.2.0-rc2")).unwrap(), "1.2.0rc2");
        for bad in [
            "1.2.0-dev",
            "1.2.0-rc",
            "1.2.0-nightly.1",
            "1.2.0-rc.x",
            "1.2.0+build5",
        ] {
            let e = pep440(&v(bad)).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Input, "{bad}");
            assert!(e.hint().unwrap().contains("rc.N"), "{bad}");
        }
    }

    #[test]
    fn names() {
        assert_eq!(normalize("My_Tool.cli"), "my-tool-cli");
        assert_eq!(normalize("a--__b"), "a-b");
        assert_eq!(dist_name("My-Tool"), "my_tool");
        assert!(check_name("ok-name_2").is_ok());
        assert!(check_name("-bad").is_err());
        assert!(check_name("bad name").is_err());
    }

    #[test]
    fn metadata_has_no_injected_headers() {
        let m = WheelMeta {
            name: "x".into(),
            version: "1.0.0".into(),
            summary: "line one\nVersion: 666".into(),
            home_page: None,
            project_urls: vec![],
            license: None,
            requires_python: Some(String::new()),
        };
        let s = render_metadata(&m);
        assert_eq!(s.lines().filter(|l| l.starts_with("Version:")).count(), 1);
        assert!(!s.contains("Requires-Python"));
    }
}
