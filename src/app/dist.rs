//! dist/: where it is, that it is a writable directory (checked before anything runs, exit 2
//! naming the setting), and — for `tagship publish` — that report.json still describes it:
//! every path it lists resolves inside dist/ (no `..`, not absolute, no symlink leading out)
//! and every file still has its recorded sha256. report.json can be edited by anyone with
//! access to dist/, so nothing in it is trusted to point elsewhere.

use crate::config::Loaded;
use crate::error::Error;
use crate::plan::Artifact;
use crate::report::Report;
use std::path::{Component, Path, PathBuf};

/// The output directory: `--dist` (relative to the working directory), else `dist:` in
/// pipeline.yaml, else `dist` next to it.
pub(crate) fn dist_dir(l: &Loaded, arg: &Option<PathBuf>) -> PathBuf {
    match arg {
        Some(d) if d.is_absolute() => d.clone(),
        Some(d) => std::env::current_dir().unwrap_or_default().join(d),
        None => l.root.join(l.pipeline.dist.as_deref().unwrap_or("dist")),
    }
}

/// Which setting chose dist/, for messages.
fn setting(l: &Loaded, arg: &Option<PathBuf>) -> String {
    match (arg, &l.pipeline.dist) {
        (Some(_), _) => "--dist".into(),
        (None, Some(_)) => format!("`dist:` in {}", l.path.display()),
        (None, None) => "the output directory (default `dist`)".into(),
    }
}

/// Creates dist/ if needed and proves a file can be created in it. A file in its place, a
/// path through a file, or a read-only location is exit 2 before anything is built or sent.
pub(crate) fn writable(l: &Loaded, arg: &Option<PathBuf>) -> Result<PathBuf, Error> {
    let dir = dist_dir(l, arg);
    let named = setting(l, arg);
    let bad = |why: String| {
        Error::input(format!("{named}: {} {why}", dir.display())).with_hint(
            "point --dist (or `dist:` in pipeline.yaml) at a directory tagship may write",
        )
    };
    match std::fs::metadata(&dir) {
        Ok(m) if !m.is_dir() => return Err(bad("is a file, not a directory".into())),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(bad(format!("cannot be used: {e}"))),
    }
    std::fs::create_dir_all(&dir).map_err(|e| bad(format!("cannot be created: {e}")))?;
    let probe = dir.join(format!(".tagship-probe-{}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .map_err(|e| bad(format!("is not writable: {e}")))?;
    let _ = std::fs::remove_file(&probe);
    Ok(dir)
}

/// The previous release's report, with dist/ still holding exactly its bytes.
pub(crate) fn read_previous(dist: &Path) -> Result<Report, Vec<Error>> {
    let r = Report::read(dist).map_err(|e| {
        vec![Error::input(format!(
            "cannot read {}: {e}",
            dist.join("report.json").display()
        ))
        .with_hint("run `tagship release` first; `publish` republishes what a release built")]
    })?;
    if let Err(e) = semver::Version::parse(&r.version) {
        return Err(vec![Error::input(format!(
            "report.json has a bad version: {e}"
        ))]);
    }
    verify_dist(dist, &r)?;
    Ok(r)
}

/// Refuses when report.json points outside dist/ or dist/ no longer holds its bytes.
fn verify_dist(dist: &Path, r: &Report) -> Result<(), Vec<Error>> {
    let canon = dist.canonicalize().map_err(|e| {
        vec![Error::input(format!(
            "cannot resolve {}: {e}",
            dist.display()
        ))]
    })?;
    let mut problems = Vec::new();
    for a in &r.artifacts {
        if let Err(e) = contained(dist, &canon, a, true).and_then(|p| unchanged(&p, a)) {
            problems.push(e);
        }
    }
    // A platform package that is missing or changed is rebuilt (and must match), so only
    // where it points is checked here.
    for a in r.platforms.iter().flat_map(|p| &p.packages) {
        if let Err(e) = contained(dist, &canon, a, false) {
            problems.push(e);
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// The artifact's file, when its name is a plain file name and its path stays inside dist/
/// (a file that is missing is an error only when it `must_exist`).
fn contained(dist: &Path, canon: &Path, a: &Artifact, must_exist: bool) -> Result<PathBuf, Error> {
    let refuse = |why: &str| {
        Error::input(format!(
            "{}: artifact `{}` (path `{}`) {why}",
            dist.join("report.json").display(),
            a.name.escape_debug(),
            a.path.display()
        ))
        .with_hint(
            "report.json is written by `tagship release`; do not edit it: re-run `tagship release`",
        )
    };
    let plain = |s: &str| !s.is_empty() && s != "." && s != ".." && !s.contains(['/', '\\', '\0']);
    if !plain(&a.name) {
        return Err(refuse("has a name that is not a plain file name"));
    }
    let normal = a
        .path
        .components()
        .all(|c| matches!(c, Component::Normal(_)));
    if !normal || a.path.as_os_str().is_empty() {
        return Err(refuse(
            "must be a relative path inside dist/ (no `..`, not absolute)",
        ));
    }
    let p = dist.join(&a.path);
    match p.canonicalize() {
        Ok(c) if c.starts_with(canon) => Ok(p),
        Ok(_) => Err(refuse("resolves outside dist/ through a symlink")),
        Err(_) if !must_exist && p.symlink_metadata().is_err() => Ok(p),
        Err(e) => Err(Error::input(format!("{} is missing: {e}", p.display()))
            .with_hint("re-run `tagship release`; publish only sends the bytes a release built")),
    }
}

/// The file still has the sha256 the report recorded.
fn unchanged(p: &Path, a: &Artifact) -> Result<(), Error> {
    match crate::build::hash_file(p) {
        Ok((sha, _)) if sha == a.sha256 => Ok(()),
        Ok((sha, _)) => Err(Error::input(format!(
            "{} changed since it was built: sha256 {sha}, report.json says {}",
            p.display(),
            a.sha256
        ))
        .with_hint("re-run `tagship release` to rebuild; publish only sends the exact bytes a release built")),
        Err(e) => Err(Error::input(format!("{} is missing: {e}", p.display()))
            .with_hint("re-run `tagship release`; publish only sends the bytes a release built")),
    }
}
