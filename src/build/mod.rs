//! The build step: run every `builds:` entry for each of its targets (argv only, bounded
//! parallelism, through the shared exec layer so it runs under `--dry-run` too), prove each
//! binary matches its target (`binfmt`), pack one deterministic archive per target
//! (`archive`) and write `SHA256SUMS` (`checksums`).
//!
//! Layout of dist/ afterwards:
//! ```text
//! dist/bin/linux-amd64/hello          (Binary, one per build × target)
//! dist/hello_1.2.3_linux_amd64.tar.gz (Archive, one per target)
//! dist/hello_1.2.3_windows_amd64.zip
//! dist/SHA256SUMS                     (Checksums, covering the archives)
//! ```

mod archive;
mod binfmt;
mod checksums;
pub mod part;
mod run;

pub use crate::kit::archive::Format as ArchiveKind;
pub use binfmt::check_binary;
pub use checksums::{hash_file, SUMS_NAME};

use crate::config::model::{ArchiveConfig, BuildConfig};
use crate::error::{Error, Result};
use crate::exec::Exec;
use crate::kit::archive::Entry;
use crate::plan::{Artifact, ArtifactKind, Project, Target};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Everything the build step needs besides the config sections.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Directory of pipeline.yaml (absolute); `BuildConfig.dir` and archive files resolve
    /// against it.
    pub root: PathBuf,
    /// Absolute output directory.
    pub dist: PathBuf,
    pub project: Project,
    pub version: semver::Version,
    pub tag: String,
    /// Maximum number of build commands running at once.
    pub parallelism: usize,
    /// Timestamp (seconds since 1970) used for every mtime in the archives.
    pub epoch: u64,
}

/// Fallback epoch: 1980-01-01T00:00:00Z, the earliest time a zip can store.
pub const DEFAULT_EPOCH: u64 = crate::kit::archive::ZIP_MIN_EPOCH;

/// SOURCE_DATE_EPOCH if set (invalid value → ErrorKind::Input error), else the commit time
/// (`git -C root log -1 --format=%ct`), else 315532800 (1980-01-01, the zip minimum).
/// An empty SOURCE_DATE_EPOCH counts as unset.
pub fn source_date_epoch(root: &Path) -> Result<u64> {
    if let Some(v) = std::env::var_os("SOURCE_DATE_EPOCH") {
        let s = v.to_string_lossy();
        let s = s.trim();
        if !s.is_empty() {
            return s.parse::<u64>().map_err(|_| {
                Error::input(format!("SOURCE_DATE_EPOCH=`{s}` is not a Unix timestamp")).with_hint(
                    "set it to whole seconds since 1970, e.g. $(git log -1 --format=%ct)",
                )
            });
        }
    }
    Ok(commit_time(root).unwrap_or(DEFAULT_EPOCH))
}

/// The committer time of HEAD, if `root` is in a git work tree with at least one commit.
fn commit_time(root: &Path) -> Option<u64> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["log", "-1", "--format=%ct"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

/// Replaces `{name} {version} {tag} {target} {os} {arch} {exe}` in one string. Plain text
/// replacement: the result is used as a single argv element or env value, never parsed.
pub fn substitute(
    template: &str,
    name: &str,
    version: &semver::Version,
    tag: &str,
    target: Target,
) -> String {
    if !template.contains('{') {
        return template.to_string();
    }
    // Replace {tag} last so that tag text containing placeholders is not expanded again.
    template
        .replace("{name}", name)
        .replace("{version}", &version.to_string())
        .replace("{target}", &target.id())
        .replace("{os}", target.os.as_str())
        .replace("{arch}", target.arch.as_str())
        .replace("{exe}", target.exe_suffix())
        .replace("{tag}", tag)
}

/// Runs every build × target (bounded by parallelism), checks each binary's format/arch,
/// packs archives, writes SHA256SUMS. Returns all artifacts: Binary (one per build × target,
/// path relative to dist, e.g. `bin/linux-amd64/hello`), Archive (one per target), Checksums
/// (one), in that order, each group sorted by target id. No builds → no artifacts.
pub async fn build_all(
    builds: &[BuildConfig],
    archives: &ArchiveConfig,
    opts: &BuildOptions,
    exec: &Exec,
) -> Result<Vec<Artifact>> {
    if builds.is_empty() {
        return Ok(Vec::new());
    }
    // Validate everything cheap before the (slow) builds start.
    let jobs = run::plan(builds, opts)?;
    let extra = archive::resolve_files(&opts.root, &archives.files)?;
    let mut targets: Vec<Target> = jobs.iter().map(|j| j.target).collect();
    targets.dedup();
    let names = archive_names(archives, opts, &targets)?;
    std::fs::create_dir_all(&opts.dist)
        .map_err(|e| Error::io(format!("creating {}", opts.dist.display()), e))?;

    let built = run::run_all(jobs, opts.parallelism, &opts.dist, exec).await?;

    let dist = opts.dist.clone();
    let epoch = opts.epoch;
    let binaries: Vec<Artifact> = built.iter().map(|b| b.artifact.clone()).collect();
    let packed = tokio::task::spawn_blocking(move || pack(&dist, built, &extra, names, epoch))
        .await
        .map_err(|e| Error::new(crate::ErrorKind::Other, format!("archive task: {e}")))??;
    let mut out = binaries;
    out.extend(packed);
    Ok(out)
}

/// What `build_all` will produce, from config alone (nothing runs, nothing is written): the
/// targets and the release page's file names, for the version-level probe. Same
/// validation as the build, so a bad config fails here with the same error.
pub fn planned(
    builds: &[BuildConfig],
    archives: &ArchiveConfig,
    opts: &BuildOptions,
) -> Result<crate::platform::Planned> {
    if builds.is_empty() {
        return Ok(crate::platform::Planned::default());
    }
    let mut targets: Vec<Target> = run::plan(builds, opts)?.iter().map(|j| j.target).collect();
    targets.sort();
    targets.dedup();
    let mut uploadables: Vec<String> = archive_names(archives, opts, &targets)?
        .into_values()
        .map(|(name, _)| name)
        .collect();
    uploadables.push(SUMS_NAME.to_string());
    Ok(crate::platform::Planned {
        targets,
        uploadables,
    })
}

/// The archive file name for each target (template + extension), checked to be a plain,
/// unique file name.
fn archive_names(
    cfg: &ArchiveConfig,
    opts: &BuildOptions,
    targets: &[Target],
) -> Result<BTreeMap<Target, (String, ArchiveKind)>> {
    let mut names = BTreeMap::new();
    let mut seen = BTreeMap::new();
    for &t in targets {
        let kind = archive::resolve(cfg.format, t.os);
        let base = substitute(&cfg.name, &opts.project.name, &opts.version, &opts.tag, t);
        let name = format!("{base}{}", kind.extension());
        if base.is_empty() || base.starts_with('.') || base.contains(['/', '\\']) {
            return Err(Error::config(format!(
                "archives.name `{}` gives `{name}` for {t}, which is not a plain file name",
                cfg.name
            )));
        }
        check_name_length(&name, || format!("archives.name `{}` for {t}", cfg.name))?;
        if name == SUMS_NAME {
            return Err(Error::config(format!("archive name `{name}` is reserved")));
        }
        if let Some(other) = seen.insert(name.clone(), t) {
            return Err(Error::config(format!(
                "archives.name `{}` gives `{name}` for both {other} and {t}",
                cfg.name
            ))
            .with_hint("include {os} and {arch} (or {target}) in archives.name"));
        }
        names.insert(t, (name, kind));
    }
    Ok(names)
}

/// Longest file name (in bytes) the common file systems (ext4, APFS, NTFS) accept.
pub const MAX_FILE_NAME: usize = 255;

/// Refuses a file name longer than [`MAX_FILE_NAME`] before anything is built or sent (a long
/// prerelease in the tag is the usual cause); `from` names the setting that produced it.
pub fn check_name_length(name: &str, from: impl FnOnce() -> String) -> Result<()> {
    if name.len() <= MAX_FILE_NAME {
        return Ok(());
    }
    let start: String = name.chars().take(40).collect();
    Err(Error::input(format!(
        "{} gives a file name of {} bytes (`{start}…`); file systems allow {MAX_FILE_NAME}",
        from(),
        name.len()
    ))
    .with_hint("shorten the tag's prerelease part, or leave {version}/{tag} out of the name"))
}

/// Packs one archive per target (its binaries + the extra files), then SHA256SUMS.
fn pack(
    dist: &Path,
    built: Vec<run::Built>,
    extra: &[Entry],
    names: BTreeMap<Target, (String, ArchiveKind)>,
    epoch: u64,
) -> Result<Vec<Artifact>> {
    // Keyed by target id: the documented order (`darwin-*` < `linux-*` < `windows-*`).
    let mut per_target: BTreeMap<String, (Target, Vec<Entry>)> = BTreeMap::new();
    for b in built {
        let slot = per_target
            .entry(b.target.id())
            .or_insert((b.target, Vec::new()));
        slot.1
            .push(Entry::disk(b.artifact.name.clone(), b.path).with_mode(0o755));
    }
    let mut out = Vec::new();
    for (_, (target, mut entries)) in per_target {
        let Some((name, kind)) = names.get(&target) else {
            continue;
        };
        entries.extend(extra.iter().cloned());
        let path = dist.join(name);
        archive::write_archive(&path, *kind, &entries, epoch)?;
        let (sha256, size) = hash_file(&path)?;
        out.push(Artifact {
            name: name.clone(),
            path: PathBuf::from(name),
            kind: ArtifactKind::Archive,
            target: Some(target),
            sha256,
            size,
        });
    }
    let sums = checksums::write_sums(dist, &out.iter().collect::<Vec<_>>())?;
    out.push(sums);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Target {
        Target::parse(s).unwrap()
    }

    #[test]
    fn substitutes_every_placeholder() {
        let v = semver::Version::parse("1.2.3-rc.1").unwrap();
        let s = substitute(
            "{name}_{version}_{tag}_{target}_{os}_{arch}{exe}",
            "hello",
            &v,
            "v1.2.3-rc.1",
            t("windows-arm64"),
        );
        assert_eq!(
            s,
            "hello_1.2.3-rc.1_v1.2.3-rc.1_windows-arm64_windows_arm64.exe"
        );
        // Tag text is inserted verbatim and never re-expanded.
        let s = substitute("{tag}", "n", &v, "$(rm -rf /){os}", t("linux-amd64"));
        assert_eq!(s, "$(rm -rf /){os}");
        assert_eq!(substitute("{exe}", "n", &v, "x", t("linux-amd64")), "");
    }

    fn opts() -> BuildOptions {
        BuildOptions {
            root: PathBuf::from("/tmp"),
            dist: PathBuf::from("/tmp/dist"),
            project: Project {
                name: "hello".into(),
                ..Project::default()
            },
            version: semver::Version::new(1, 0, 0),
            tag: "v1.0.0".into(),
            parallelism: 1,
            epoch: 0,
        }
    }

    #[test]
    fn archive_names_default_and_invalid() {
        let cfg = ArchiveConfig::default();
        let names = archive_names(&cfg, &opts(), &[t("linux-amd64"), t("windows-amd64")]).unwrap();
        assert_eq!(names[&t("linux-amd64")].0, "hello_1.0.0_linux_amd64.tar.gz");
        assert_eq!(
            names[&t("windows-amd64")].0,
            "hello_1.0.0_windows_amd64.zip"
        );
        for bad in ["{os}/x", "", "../{target}", ".hidden-{target}"] {
            let cfg = ArchiveConfig {
                name: bad.into(),
                ..ArchiveConfig::default()
            };
            let e = archive_names(&cfg, &opts(), &[t("linux-amd64")]).unwrap_err();
            assert_eq!(e.kind, crate::ErrorKind::Config, "{bad}");
        }
        let cfg = ArchiveConfig {
            name: "{name}".into(),
            ..ArchiveConfig::default()
        };
        let e = archive_names(&cfg, &opts(), &[t("linux-amd64"), t("linux-arm64")]).unwrap_err();
        assert!(e.message().contains("for both"), "{e:?}");
    }

    #[test]
    fn epoch_from_commit_or_default() {
        // SOURCE_DATE_EPOCH handling is covered by the integration test (it mutates the
        // process environment); here only the fallbacks that do not depend on it.
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(commit_time(dir.path()), None);
        let here = Path::new(env!("CARGO_MANIFEST_DIR"));
        if let Some(ct) = commit_time(here) {
            assert!(ct > DEFAULT_EPOCH);
        }
    }
}
