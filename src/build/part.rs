//! Split builds (issue 13): a *dist part* is what one runner of a CI matrix builds — the
//! binaries and archives of one or a few targets, laid out exactly as a full release lays
//! them out in dist/ — plus `part.json`, its manifest: the release's identity (tag, version,
//! commit, epoch, the pipeline.yaml digest, tagship's version) and every file with its sha256
//! and size. `tagship publish --merge` reads parts back with [`read_part`], which trusts
//! nothing in them: each file must be listed, be a plain file (no symlink anywhere on its
//! path) inside the part and have its listed bytes, and nothing unlisted may sit beside them.
//! SHA256SUMS is not part of a part: it covers every target's archive, so the merge writes it.

use super::{build_all, checksums, hash_file, BuildOptions, SUMS_NAME};
use crate::config::model::{ArchiveConfig, BuildConfig};
use crate::error::{Error, Result};
use crate::exec::Exec;
use crate::plan::{Artifact, ArtifactKind, Target};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

/// The manifest's file name inside a part.
pub const PART_FILE: &str = "part.json";
/// `part.json`'s format; a reader refuses any other.
pub const PART_SCHEMA: u32 = 1;
/// A part.json larger than this is refused unread: one lists a few files per target.
const MAX_PART_BYTES: u64 = 16 << 20;
/// Problems of one part named one by one; the rest are counted.
const MAX_SHOWN: usize = 20;

/// `part.json`: who built this part, from what, and every file in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Part {
    pub schema_version: u32,
    /// `tagship X.Y.Z`: a merge refuses parts another tagship built (other bytes).
    pub tool: String,
    pub project: String,
    pub tag: String,
    pub version: String,
    /// HEAD of the checkout that built it (`None` outside git).
    pub commit: Option<String>,
    /// sha256 of pipeline.yaml's bytes.
    pub pipeline_sha256: String,
    /// SOURCE_DATE_EPOCH of the build: every archive mtime.
    pub epoch: u64,
    pub targets: Vec<Target>,
    /// Binaries and archives, paths relative to the part's directory.
    pub files: Vec<Artifact>,
}

/// What identifies the release a part belongs to, besides the build options.
#[derive(Debug, Clone)]
pub struct PartOrigin {
    pub commit: Option<String>,
    pub pipeline_sha256: String,
}

/// `tool` as this binary writes it.
pub fn tool() -> String {
    format!("tagship {}", env!("CARGO_PKG_VERSION"))
}

/// sha256 of pipeline.yaml, for `pipeline_sha256`, with CRLF read as LF: a Windows runner's
/// checkout (`core.autocrlf`) holds the same file with other line ends.
pub fn digest(path: &Path) -> Result<String> {
    use sha2::Digest;
    let bytes =
        std::fs::read(path).map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    let text = String::from_utf8_lossy(&bytes).replace("\r\n", "\n");
    Ok(hex::encode(sha2::Sha256::digest(text.as_bytes())))
}

/// The `builds:` entries narrowed to `targets`. A target no build plans is a config error
/// naming the ones it does plan.
pub fn only_targets(builds: &[BuildConfig], targets: &[Target]) -> Result<Vec<BuildConfig>> {
    let planned: BTreeSet<Target> = builds.iter().flat_map(|b| b.targets.clone()).collect();
    let unknown: Vec<String> = targets
        .iter()
        .filter(|t| !planned.contains(t))
        .map(|t| t.id())
        .collect();
    if !unknown.is_empty() {
        let known: Vec<String> = planned.iter().map(|t| t.id()).collect();
        return Err(Error::config(format!(
            "--target {}: no entry of `builds:` plans it (planned: {})",
            unknown.join(", "),
            known.join(", ")
        ))
        .with_hint(
            "add the target to `targets:` of a build in pipeline.yaml, or build a planned one",
        ));
    }
    Ok(builds
        .iter()
        .filter_map(|b| {
            let mut b = b.clone();
            b.targets.retain(|t| targets.contains(t));
            (!b.targets.is_empty()).then_some(b)
        })
        .collect())
}

/// Builds `targets` into the part directory `opts.dist` (which must be empty or absent) and
/// writes its `part.json`.
pub async fn build_part(
    builds: &[BuildConfig],
    archives: &ArchiveConfig,
    opts: &BuildOptions,
    exec: &Exec,
    (targets, origin): (&[Target], &PartOrigin),
) -> Result<Part> {
    let narrowed = only_targets(builds, targets)?;
    let mut files = build_all(&narrowed, archives, opts, exec).await?;
    // SHA256SUMS covers every target's archive; the merge writes the whole one.
    files.retain(|a| a.kind != ArtifactKind::Checksums);
    let sums = opts.dist.join(SUMS_NAME);
    std::fs::remove_file(&sums)
        .map_err(|e| Error::io(format!("removing {}", sums.display()), e))?;
    let mut targets = targets.to_vec();
    targets.sort();
    targets.dedup();
    let part = Part {
        schema_version: PART_SCHEMA,
        tool: tool(),
        project: opts.project.name.clone(),
        tag: opts.tag.clone(),
        version: opts.version.to_string(),
        commit: origin.commit.clone(),
        pipeline_sha256: origin.pipeline_sha256.clone(),
        epoch: opts.epoch,
        targets,
        files,
    };
    let path = opts.dist.join(PART_FILE);
    let text = serde_json::to_string_pretty(&part).expect("a part serializes");
    std::fs::write(&path, text + "\n")
        .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
    Ok(part)
}

/// How a part's list differs from what the builds of its targets write.
#[derive(Debug, Default)]
pub struct Gaps<'p> {
    /// Listed, but no build of its target writes it (an amd64 archive listed as arm64).
    pub unplanned: Vec<&'p Artifact>,
    /// Written by a build of one of its targets, but not listed.
    pub missing: Vec<(Target, PathBuf)>,
}

/// Compares `part`'s files with the plan: for each of its targets, the archive named by
/// `archives.name` (at the top of the part) and each build's binary at
/// `bin/<target>/<file name>`, nothing else. So a part cannot pass off another target's
/// bytes, leave a target's binary out, or (targets being unique) write a path of dist/
/// another part writes.
pub fn against_plan<'p>(
    part: &'p Part,
    (builds, archives): (&[BuildConfig], &ArchiveConfig),
    opts: &BuildOptions,
) -> Result<Gaps<'p>> {
    let names = super::archive_names(archives, opts, &part.targets)?;
    let mut expected: BTreeSet<(Target, PathBuf)> = super::run::plan(builds, opts)?
        .into_iter()
        .filter(|j| part.targets.contains(&j.target))
        .map(|j| (j.target, j.dist_rel))
        .collect();
    expected.extend(names.iter().map(|(t, (n, _))| (*t, PathBuf::from(n))));
    let mut gaps = Gaps::default();
    for f in &part.files {
        let Some(t) = f.target else { continue }; // refused by read_part
        let named = f.kind != ArtifactKind::Archive || f.path == Path::new(&f.name);
        if !(named && expected.remove(&(t, f.path.clone()))) {
            gaps.unplanned.push(f);
        }
    }
    gaps.missing = expected.into_iter().collect();
    Ok(gaps)
}

/// Refuses a part directory that already holds files: a part is exactly what one build wrote.
pub fn fresh_dir(dir: &Path, named: &str) -> Result<()> {
    if std::fs::read_dir(dir).is_ok_and(|mut e| e.next().is_some()) {
        return Err(Error::input(format!(
            "{named}: {} is not empty; a part directory holds one build's files only",
            dir.display()
        ))
        .with_hint("remove it, or pass another --dist"));
    }
    Ok(())
}

/// A part's manifest, after proving every file in `dir` is listed, plain and unchanged.
pub fn read_part(dir: &Path) -> std::result::Result<Part, Vec<Error>> {
    let shown = dir.display().to_string();
    let refuse = |what: String| {
        Error::input(format!("part {shown}: {what}"))
            .with_hint("rebuild the part with `tagship build --target`; a merge publishes only the bytes a part's build wrote")
    };
    let manifest = dir.join(PART_FILE);
    let part = match std::fs::symlink_metadata(&manifest) {
        Ok(m) if m.is_file() => crate::kit::confine::read_capped(&manifest, MAX_PART_BYTES)
            .and_then(|t| serde_json::from_slice::<Part>(&t).map_err(|e| e.to_string())),
        Ok(_) => Err("is not a plain file".into()),
        Err(e) => Err(e.to_string()),
    }
    .map_err(|e| vec![refuse(format!("{PART_FILE}: {e}"))])?;
    if part.schema_version != PART_SCHEMA {
        return Err(vec![refuse(format!(
            "{PART_FILE}: schema_version {} (this tagship reads {PART_SCHEMA})",
            part.schema_version
        ))]);
    }
    let mut problems: Vec<Error> = Vec::new();
    let mut listed = BTreeSet::new();
    for f in &part.files {
        if let Err(why) = check_file(dir, &part, f) {
            problems.push(refuse(format!("{}: {why}", f.path.display())));
        }
        if !listed.insert(f.path.clone()) {
            problems.push(refuse(format!(
                "{}: listed twice in {PART_FILE}",
                f.path.display()
            )));
        }
    }
    let mut found = Vec::new();
    if let Err(e) = walk(dir, Path::new(""), &mut found) {
        problems.push(refuse(e));
    }
    for extra in found.iter().filter(|p| !listed.contains(*p)) {
        if extra != Path::new(PART_FILE) {
            problems.push(refuse(format!(
                "{}: not listed in {PART_FILE}",
                extra.display()
            )));
        }
    }
    // 100k bad entries are one problem to fix, not 100k lines to read.
    if problems.len() > MAX_SHOWN {
        let more = problems.len() - MAX_SHOWN;
        problems.truncate(MAX_SHOWN);
        problems.push(refuse(format!("{more} more problems like these")));
    }
    if problems.is_empty() {
        Ok(part)
    } else {
        Err(problems)
    }
}

/// One listed file: a plain relative path, a target of this part, no symlink on the way, and
/// the listed sha256 and size.
fn check_file(dir: &Path, part: &Part, f: &Artifact) -> std::result::Result<(), String> {
    let plain = !f.name.is_empty() && !f.name.contains(['/', '\\', '\0']) && f.name != "..";
    let normal = !f.path.as_os_str().is_empty()
        && f.path
            .components()
            .all(|c| matches!(c, Component::Normal(_)));
    if !plain || !normal || f.path.file_name() != Some(f.name.as_ref()) {
        return Err("must be a relative path inside the part (no `..`, not absolute)".into());
    }
    if !matches!(f.kind, ArtifactKind::Binary | ArtifactKind::Archive) {
        return Err("a part holds binaries and archives only".into());
    }
    match f.target {
        Some(t) if part.targets.contains(&t) => {}
        _ => return Err("its target is not one of the part's `targets`".into()),
    }
    let mut at = dir.to_path_buf();
    for c in f.path.components() {
        at.push(c);
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(format!("{} is a symlink", at.display()))
            }
            Ok(_) => {}
            Err(e) => return Err(format!("is missing: {e}")),
        }
    }
    // The size first: a listed file grown to terabytes is refused without reading it.
    let size = std::fs::metadata(&at).map_err(|e| e.to_string())?.len();
    if size != f.size {
        return Err(format!(
            "was changed: {size} bytes, {PART_FILE} says {} bytes",
            f.size
        ));
    }
    match hash_file(&at) {
        Ok((sha, size)) if sha == f.sha256 && size == f.size => Ok(()),
        Ok((sha, size)) => Err(format!(
            "was changed: sha256 {sha} and {size} bytes, {PART_FILE} says {} and {} bytes",
            f.sha256, f.size
        )),
        Err(e) => Err(e.to_string()),
    }
}

/// Every file under `dir` (relative paths), never following a symlink: one is an error.
fn walk(root: &Path, rel: &Path, out: &mut Vec<PathBuf>) -> std::result::Result<(), String> {
    let entries =
        std::fs::read_dir(root.join(rel)).map_err(|e| format!("{}: {e}", rel.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| e.to_string())?;
        let path = rel.join(entry.file_name());
        let kind = entry.file_type().map_err(|e| e.to_string())?;
        if kind.is_symlink() {
            return Err(format!("{}: is a symlink", path.display()));
        } else if kind.is_dir() {
            walk(root, &path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// Copies every part's files into `dist` (each to a new file renamed into place, so a
/// symlink planted in dist/ is replaced, never written through; directories must resolve
/// inside dist/) and writes SHA256SUMS over all archives. Returns the artifacts in the order
/// `build_all` gives them: binaries, then archives, each by target id, then SHA256SUMS.
pub fn assemble(parts: &[(PathBuf, Part)], dist: &Path) -> Result<Vec<Artifact>> {
    let canon = dist
        .canonicalize()
        .map_err(|e| Error::io(format!("resolving {}", dist.display()), e))?;
    let mut by_kind: BTreeMap<(u8, String), Vec<Artifact>> = BTreeMap::new();
    for (dir, part) in parts {
        for f in &part.files {
            copy_in(&dir.join(&f.path), &dist.join(&f.path), &canon)?;
            let kind = u8::from(f.kind != ArtifactKind::Binary);
            let target = f.target.map(|t| t.id()).unwrap_or_default();
            by_kind.entry((kind, target)).or_default().push(f.clone());
        }
    }
    let mut out: Vec<Artifact> = by_kind.into_values().flatten().collect();
    let archives: Vec<&Artifact> = out
        .iter()
        .filter(|a| a.kind == ArtifactKind::Archive)
        .collect();
    let sums = checksums::write_sums(dist, &archives)?;
    out.push(sums);
    Ok(out)
}

fn copy_in(from: &Path, to: &Path, canon: &Path) -> Result<()> {
    let parent = to.parent().unwrap_or(canon);
    std::fs::create_dir_all(parent)
        .map_err(|e| Error::io(format!("creating {}", parent.display()), e))?;
    let resolved = parent
        .canonicalize()
        .map_err(|e| Error::io(format!("resolving {}", parent.display()), e))?;
    if !resolved.starts_with(canon) {
        return Err(Error::input(format!(
            "{} resolves outside dist/ through a symlink",
            parent.display()
        ))
        .with_hint("remove the symlink from dist/ (or merge into an empty --dist)"));
    }
    let tmp = to.with_file_name(format!(
        ".{}.merge-{}",
        to.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id()
    ));
    let _ = std::fs::remove_file(&tmp);
    std::fs::copy(from, &tmp)
        .and_then(|_| std::fs::rename(&tmp, to))
        .map_err(|e| Error::io(format!("copying {} to {}", from.display(), to.display()), e))?;
    Ok(())
}

#[cfg(test)]
#[path = "part_tests.rs"]
mod tests;
