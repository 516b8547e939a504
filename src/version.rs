//! Tag → version. Sources, in order: the CLI argument, the CI ref (`GITHUB_REF` when it is a
//! tag, `CI_COMMIT_TAG`), `git describe --exact-match --tags`, a `VERSION` file. The tag prefix
//! is stripped, the rest must be valid semver, and project files (Cargo.toml, package.json,
//! pyproject.toml) that state a different version make tagship refuse before building.

use crate::config::{PrereleasePolicy, VersionConfig};
use crate::error::{Error, ErrorKind, Result};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

#[path = "version_files.rs"]
mod files;

/// Where the version came from, for the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Argument,
    CiRef(String),
    GitTag,
    VersionFile,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Argument => f.write_str("the command line"),
            Source::CiRef(var) => write!(f, "${var}"),
            Source::GitTag => f.write_str("git describe --exact-match"),
            Source::VersionFile => f.write_str("the VERSION file"),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Resolved {
    pub tag: String,
    pub version: semver::Version,
    pub source: Source,
}

/// Resolves and validates the version.
pub fn resolve(
    arg: Option<&str>,
    cfg: &VersionConfig,
    root: &Path,
    env: &BTreeMap<String, String>,
) -> Result<Resolved> {
    let (tag, source) = find_tag(arg, root, env)?;
    let version = parse_tag(&tag, &cfg.tag_prefix)?;
    if cfg.prerelease == PrereleasePolicy::Deny && !version.pre.is_empty() {
        return Err(Error::input(format!(
            "tag `{tag}` is a prerelease ({version}) and version.prerelease is `deny`"
        ))
        .with_hint(
            "set `version: { prerelease: allow }` in pipeline.yaml or tag a final version",
        ));
    }
    if cfg.check_project_files {
        check_project_files(root, &version)?;
    }
    Ok(Resolved {
        tag,
        version,
        source,
    })
}

fn find_tag(
    arg: Option<&str>,
    root: &Path,
    env: &BTreeMap<String, String>,
) -> Result<(String, Source)> {
    if let Some(a) = arg {
        return Ok((a.trim().to_string(), Source::Argument));
    }
    if let Some(r) = env.get("GITHUB_REF") {
        if let Some(t) = r.strip_prefix("refs/tags/") {
            return Ok((t.to_string(), Source::CiRef("GITHUB_REF".into())));
        }
    }
    if let Some(t) = env.get("CI_COMMIT_TAG").filter(|t| !t.is_empty()) {
        return Ok((t.clone(), Source::CiRef("CI_COMMIT_TAG".into())));
    }
    if let Some(t) = git_exact_tag(root) {
        return Ok((t, Source::GitTag));
    }
    let vf = root.join("VERSION");
    // A VERSION file is one line; a huge one is not read whole.
    let text = crate::kit::confine::read_capped(&vf, 4096).map(String::from_utf8);
    if let Ok(Ok(s)) = text {
        let s = s.trim();
        if !s.is_empty() {
            return Ok((s.to_string(), Source::VersionFile));
        }
    }
    Err(Error::input("no version: no tag argument, no CI tag ref, HEAD is not tagged, and there is no VERSION file")
        .with_hint("pass the tag: `tagship release v1.2.3`, or tag HEAD with `git tag v1.2.3`"))
}

fn git_exact_tag(root: &Path) -> Option<String> {
    let out = std::process::Command::new("git")
        .args(["describe", "--exact-match", "--tags", "HEAD"])
        .current_dir(root)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Strips the prefix (and a plain `v`) and parses semver.
pub fn parse_tag(tag: &str, prefix: &str) -> Result<semver::Version> {
    let bad = |why: String| {
        Error::new(ErrorKind::Input, format!("bad tag `{tag}`: {why}"))
            .with_hint("tags look like v1.2.3 or v1.2.3-rc.1 (semver, optional `v` prefix)")
    };
    if tag.is_empty() {
        return Err(bad("it is empty".into()));
    }
    if tag.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("it contains whitespace or control characters".into()));
    }
    let rest = tag.strip_prefix(prefix).unwrap_or(tag);
    let rest = rest.strip_prefix('v').unwrap_or(rest);
    semver::Version::parse(rest)
        .map_err(|e| bad(format!("`{rest}` is not a valid semver version ({e})")))
}

/// The highest semver tag in the checkout at `root` (tags that do not parse under `prefix`
/// are ignored), with the tag as written: `tagship status`'s default version.
pub fn newest_tag(root: &Path, prefix: &str) -> Option<(String, semver::Version)> {
    let out = std::process::Command::new("git")
        .args(["tag", "--list"])
        .current_dir(root)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|t| t.starts_with(prefix))
        .filter_map(|t| Some((t.to_string(), parse_tag(t, prefix).ok()?)))
        .max_by(|a, b| a.1.cmp(&b.1))
}

/// The commit HEAD points at, if this is a git checkout.
pub fn head_commit(root: &Path) -> Option<String> {
    let out = std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(root)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The version the project files in `root` state (`packages[].version: own`): the first
/// of Cargo.toml, pyproject.toml, package.json; every other claim there must agree.
pub fn stated(root: &Path) -> Result<semver::Version> {
    let claims = files::claims(root)?;
    let Some(first) = claims.first() else {
        return Err(Error::input(format!(
            "no Cargo.toml, pyproject.toml or package.json in {} states a version",
            root.display()
        ))
        .with_hint("state the version there, or use `version: shared` to take the tag's"));
    };
    let v = semver::Version::parse(&first.version).map_err(|e| {
        Error::input(format!(
            "{}:{}: version `{}` is not a semantic version: {e}",
            first.file.display(),
            first.line,
            first.version
        ))
    })?;
    check_project_files(root, &v)?;
    Ok(v)
}

/// Refuses when a project file states a version other than the tag's. Every claim is checked
/// (a pyproject.toml may carry both `[project]` and `[tool.poetry]`).
fn check_project_files(root: &Path, v: &semver::Version) -> Result<()> {
    for c in files::claims(root)? {
        if c.version != v.to_string() {
            let file = c.file.file_name().map_or_else(
                || c.file.display().to_string(),
                |f| f.to_string_lossy().into_owned(),
            );
            return Err(Error::input(format!(
                "{}:{}: version `{}` does not match the tag's version `{v}`",
                c.file.display(),
                c.line,
                c.version
            ))
            .with_hint(format!(
                "bump {file} to {v} and re-tag, or tag v{}",
                c.version
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn tags() {
        assert_eq!(parse_tag("v1.4.0", "v").unwrap().to_string(), "1.4.0");
        assert_eq!(
            parse_tag("1.4.0-rc.1", "v").unwrap().to_string(),
            "1.4.0-rc.1"
        );
        assert_eq!(
            parse_tag("release-2.0.0", "release-").unwrap().to_string(),
            "2.0.0"
        );
        for bad in ["v1.4", "", "v1.4.0; rm -rf /", "latest", "v01.2.3"] {
            let e = parse_tag(bad, "v").unwrap_err();
            assert_eq!(e.kind, ErrorKind::Input, "{bad}");
        }
    }
    #[test]
    fn project_file_mismatch() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("Cargo.toml"),
            "[package]\nname = \"x\"\nversion = \"0.9.0\" # bumped by CI\n",
        )
        .unwrap();
        let cfg = VersionConfig::default();
        let e = resolve(Some("v1.0.0"), &cfg, d.path(), &BTreeMap::new()).unwrap_err();
        assert!(e.message().contains("Cargo.toml:3"), "{}", e.message());
        assert!(resolve(Some("v0.9.0"), &cfg, d.path(), &BTreeMap::new()).is_ok());
    }
    #[test]
    fn ci_ref_wins_over_version_file() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("VERSION"), "0.1.0\n").unwrap();
        let mut env = BTreeMap::new();
        let cfg = VersionConfig {
            check_project_files: false,
            ..Default::default()
        };
        assert_eq!(
            resolve(None, &cfg, d.path(), &env).unwrap().source,
            Source::VersionFile
        );
        env.insert("GITHUB_REF".into(), "refs/tags/v2.0.0".into());
        let r = resolve(None, &cfg, d.path(), &env).unwrap();
        assert_eq!(
            (r.version.to_string(), r.source),
            ("2.0.0".into(), Source::CiRef("GITHUB_REF".into()))
        );
    }
}
