//! `mode: project` for the pypi and pep503 platforms (issue 14): instead of wrapping the
//! release's binaries, publish the wheels and the sdist the project's own build command
//! writes (`python -m build`, `uv build`, `maturin build`). The command runs through the exec
//! layer in the project directory, with `SOURCE_DATE_EPOCH` set to the release's epoch (so a
//! reproducible backend such as flit_core or hatchling rebuilds the same bytes and a re-run
//! finds them live); the files it wrote into `out_dir` are copied into
//! `dist/python/<platform>/` and validated (`checks`) before anything is published.
//!
//! Which files are "ours": the `*.whl` and `*.tar.gz` in `out_dir` that the command created or
//! rewrote (their modification time changed), so the wheels of an earlier version left in
//! `dist/` are neither published nor refused, and nothing of the user's is deleted.

use super::checks::{self, Limits};
use crate::error::{Error, ErrorKind, Result};
use crate::exec::{Cmd, Effect};
use crate::plan::{Artifact, ArtifactKind};
use crate::platform::{Cx, Requirement};
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// What the pypi and pep503 platforms publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Wheels tagship builds around the release's binaries (one per target).
    #[default]
    Binary,
    /// The wheels and sdist the project's own build command writes (`build:`).
    Project,
}

/// `build:` of `mode: project`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectBuild {
    /// The build command, an argv list (no shell), run in `dir` with `SOURCE_DATE_EPOCH`
    /// set to the release's epoch.
    #[serde(default = "default_command")]
    pub command: Vec<String>,
    /// The Python project's directory, relative to pipeline.yaml.
    #[serde(default = "default_dir")]
    pub dir: String,
    /// Where the command writes its files, relative to `dir`.
    #[serde(default = "default_out_dir")]
    pub out_dir: String,
    /// The Python that checks a reStructuredText README with `readme_renderer` (twine's and
    /// PyPI's renderer); only run when a file's README is reStructuredText.
    #[serde(default = "default_python")]
    pub python: String,
}

fn default_command() -> Vec<String> {
    ["python3", "-m", "build"].map(String::from).to_vec()
}
fn default_dir() -> String {
    ".".into()
}
fn default_out_dir() -> String {
    "dist".into()
}
fn default_python() -> String {
    "python3".into()
}

impl Default for ProjectBuild {
    fn default() -> Self {
        ProjectBuild {
            command: default_command(),
            dir: default_dir(),
            out_dir: default_out_dir(),
            python: default_python(),
        }
    }
}

impl ProjectBuild {
    /// The programs preflight must find: the build command's and the README checker's.
    pub fn requirements(&self) -> Vec<Requirement> {
        let mut r: Vec<Requirement> = self
            .command
            .first()
            .map(Requirement::tool)
            .into_iter()
            .collect();
        if self.command.first() != Some(&self.python) {
            r.push(Requirement::tool(&self.python));
        }
        r
    }
}

/// Only one build runs at a time: pypi and pep503 package concurrently and may share a
/// project directory, and two builds writing the same `out_dir` would mix their files.
static BUILD_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Runs the build, copies what it wrote into `dist/python/<platform>/` and validates it:
/// the package phase of `mode: project` (exit 2 with nothing published on any refusal).
pub async fn package(
    cx: &Cx,
    b: &ProjectBuild,
    limits: &Limits<'_>,
    platform: &str,
) -> Result<Vec<Artifact>> {
    let dir = cx.release.root.join(&b.dir);
    let out = dir.join(&b.out_dir);
    let wrote = {
        let _one = BUILD_LOCK.lock().await;
        let before = listing(&out)?;
        run_build(cx, b, &dir).await?;
        written(&before, &listing(&out)?)
    };
    if wrote.is_empty() {
        return Err(Error::input(format!(
            "`{}` wrote no *.whl or *.tar.gz into {}",
            b.command.join(" "),
            out.display()
        ))
        .with_hint("set platforms.<id>.build.out_dir to where the build command writes (python -m build: dist/)"));
    }
    let artifacts = copy_into_dist(cx, &out, &wrote, platform)?;
    checks::validate(cx, b, limits, &artifacts).await?;
    Ok(artifacts)
}

async fn run_build(cx: &Cx, b: &ProjectBuild, dir: &Path) -> Result<()> {
    let cmd = Cmd::argv(&b.command, Effect::Local)?
        .cwd(dir)
        .env("SOURCE_DATE_EPOCH", cx.release.epoch.to_string());
    let o = cx.exec.run(&cmd).await?;
    if o.success() {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::Build,
        format!(
            "the build command `{}` (in {}) exited with {}: {}",
            cmd.display(),
            dir.display(),
            o.code.map_or("a signal".into(), |c| c.to_string()),
            o.tail()
        ),
    )
    .with_hint("run the command yourself in that directory; nothing was published"))
}

/// `*.whl` / `*.tar.gz` in `dir` by name, with their modification time (empty when the
/// directory does not exist yet).
fn listing(dir: &Path) -> Result<BTreeMap<String, Option<SystemTime>>> {
    let mut out = BTreeMap::new();
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(Error::io(format!("listing {}", dir.display()), e)),
    };
    for e in rd {
        let e = e.map_err(|e| Error::io(format!("listing {}", dir.display()), e))?;
        let name = e.file_name().to_string_lossy().into_owned();
        let dist = name.ends_with(".whl") || name.ends_with(".tar.gz");
        if dist && e.file_type().is_ok_and(|t| t.is_file()) {
            out.insert(name, e.metadata().ok().and_then(|m| m.modified().ok()));
        }
    }
    Ok(out)
}

/// The files that are new in `after` or were rewritten since `before`.
fn written(
    before: &BTreeMap<String, Option<SystemTime>>,
    after: &BTreeMap<String, Option<SystemTime>>,
) -> Vec<String> {
    after
        .iter()
        .filter(|(name, t)| before.get(*name) != Some(*t))
        .map(|(name, _)| name.clone())
        .collect()
}

/// Copies the build's files into `dist/python/<platform>/` (dist/ is what `tagship publish`
/// reads later) and hashes them.
fn copy_into_dist(cx: &Cx, out: &Path, names: &[String], platform: &str) -> Result<Vec<Artifact>> {
    let rel = PathBuf::from("python").join(platform);
    let dest_dir = cx.release.dist.join(&rel);
    std::fs::create_dir_all(&dest_dir)
        .map_err(|e| Error::io(format!("creating {}", dest_dir.display()), e))?;
    names
        .iter()
        .map(|name| {
            let dest = dest_dir.join(name);
            std::fs::copy(out.join(name), &dest)
                .map_err(|e| Error::io(format!("copying {name} into {}", dest_dir.display()), e))?;
            let (sha256, size) = crate::build::hash_file(&dest)?;
            Ok(Artifact {
                name: name.clone(),
                path: rel.join(name),
                kind: ArtifactKind::Package {
                    platform: platform.to_string(),
                },
                target: None,
                sha256,
                size,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn only_new_or_rewritten_files_are_ours() {
        let t0 = Some(SystemTime::UNIX_EPOCH);
        let t1 = Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1));
        let before = BTreeMap::from([("old.whl".to_string(), t0), ("same.tar.gz".to_string(), t0)]);
        let after = BTreeMap::from([
            ("old.whl".to_string(), t0),
            ("same.tar.gz".to_string(), t1),
            ("new.whl".to_string(), t1),
        ]);
        assert_eq!(written(&before, &after), ["new.whl", "same.tar.gz"]);
    }

    #[test]
    fn defaults() {
        let b: ProjectBuild = serde_json::from_value(serde_json::json!({})).unwrap();
        assert_eq!(b, ProjectBuild::default());
        assert_eq!(b.command, ["python3", "-m", "build"]);
        assert_eq!(b.requirements(), [Requirement::tool("python3")]);
        assert!(serde_json::from_value::<ProjectBuild>(serde_json::json!({"cmd": []})).is_err());
    }
}
