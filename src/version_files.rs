//! The versions project files claim: Cargo.toml `[package] version` (following
//! `version.workspace = true` to the workspace root's `[workspace.package] version`),
//! pyproject.toml `[project] version` and `[tool.poetry] version`, package.json `"version"`.
//! A file that is present but cannot be read or parsed, or whose version is not a string, is an
//! error naming the file and line: skipping it would let a mismatched release through.

use crate::error::{Error, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// One version a project file states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Claim {
    pub file: PathBuf,
    pub line: usize,
    pub version: String,
}

/// Every claim of the project files in `root` (absent files claim nothing).
pub(crate) fn claims(root: &Path) -> Result<Vec<Claim>> {
    let mut out = Vec::new();
    out.extend(cargo(&root.join("Cargo.toml"))?);
    out.extend(pyproject(&root.join("pyproject.toml"))?);
    out.extend(package_json(&root.join("package.json"))?);
    Ok(out)
}

/// The text of `path`, `None` when it does not exist.
fn read(path: &Path) -> Result<Option<String>> {
    if matches!(path.try_exists(), Ok(false)) {
        return Ok(None);
    }
    // A project file is kilobytes: a huge one is refused, not allocated.
    let bytes = crate::kit::confine::read_capped(path, 8 << 20).map_err(|e| bad(path, 0, e))?;
    match String::from_utf8(bytes) {
        Ok(s) => Ok(Some(s)),
        Err(e) => {
            let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = good.iter().filter(|b| **b == b'\n').count() + 1;
            Err(bad(path, line, "is not valid UTF-8".into()))
        }
    }
}

fn bad(path: &Path, line: usize, what: String) -> Error {
    let at = match line {
        0 => path.display().to_string(),
        n => format!("{}:{n}", path.display()),
    };
    Error::input(format!("{at}: {what}")).with_hint(
        "fix the file (the version check reads it), or set `version: { check_project_files: false }`",
    )
}

fn line_at(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

fn parse_toml<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Result<T> {
    toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(0, |s| line_at(text, s.start));
        let msg = e.message().trim().to_string();
        bad(path, line, format!("is not valid TOML: {msg}"))
    })
}

/// The 1-based line where `table.key` is set (`[table]` + `key =`, a dotted `key.x =`, a
/// root-level `table.key =`, or an inline `table = { key = .. }`); the first line otherwise.
/// toml's spans do not survive dotted keys (`version.workspace = true`), hence the scan.
fn line_of(text: &str, table: &str, key: &str) -> usize {
    let mut current = String::new();
    let starts = |l: &str, k: &str| {
        l.strip_prefix(k)
            .is_some_and(|r| r.trim_start().starts_with(['=', '.']))
    };
    for (i, raw) in text.lines().enumerate() {
        let l = raw.trim();
        if let Some(h) = l.strip_prefix('[').and_then(|h| h.split(']').next()) {
            current = h.trim_matches(['[', ' ']).to_string();
            continue;
        }
        let dotted = format!("{}.{key}", table.rsplit('.').next().unwrap_or(table));
        let parent = table.rsplit_once('.').map_or("", |(p, _)| p);
        let hit = (current == table && starts(l, key))
            || (current == parent && starts(l, &dotted))
            || (current == parent
                && starts(l, table.rsplit('.').next().unwrap_or(table))
                && l.contains(key));
        if hit {
            return i + 1;
        }
    }
    1
}

/// A version value that must be a string (`table.key` names it in the message).
fn string(path: &Path, text: &str, v: &toml::Value, table: &str, key: &str) -> Result<Claim> {
    let line = line_of(text, table, key);
    match v {
        toml::Value::String(s) => Ok(Claim {
            file: path.to_path_buf(),
            line,
            version: s.clone(),
        }),
        other => Err(bad(
            path,
            line,
            format!(
                "`{table}.{key}` must be a string like \"1.2.3\", found a TOML {}",
                other.type_str()
            ),
        )),
    }
}

#[derive(Deserialize)]
struct CargoToml {
    package: Option<CargoPackage>,
    workspace: Option<CargoWorkspace>,
}

#[derive(Deserialize)]
struct CargoPackage {
    version: Option<toml::Value>,
    /// Path of the workspace root, when it is not an ancestor directory.
    workspace: Option<String>,
}

#[derive(Deserialize)]
struct CargoWorkspace {
    package: Option<WorkspacePackage>,
}

#[derive(Deserialize)]
struct WorkspacePackage {
    version: Option<toml::Value>,
}

fn cargo(path: &Path) -> Result<Option<Claim>> {
    let Some(text) = read(path)? else {
        return Ok(None);
    };
    let doc: CargoToml = parse_toml(path, &text)?;
    let Some(pkg) = doc.package else {
        return Ok(None);
    };
    let Some(v) = &pkg.version else {
        return Ok(None);
    };
    let inherits = match v {
        toml::Value::Table(t) => t.get("workspace").and_then(toml::Value::as_bool) == Some(true),
        _ => false,
    };
    if !inherits {
        return string(path, &text, v, "package", "version").map(Some);
    }
    let line = line_of(&text, "package", "version");
    let dir = path.parent().unwrap_or(Path::new("."));
    let root = match &pkg.workspace {
        Some(rel) => Some(dir.join(rel).join("Cargo.toml")),
        None => workspace_root(path, doc.workspace.is_some())?,
    };
    let Some(root) = root else {
        let what =
            "has `version.workspace = true`, but no parent directory holds a workspace Cargo.toml";
        return Err(bad(path, line, what.into()));
    };
    workspace_version(&root, path, line).map(Some)
}

/// The nearest Cargo.toml with a `[workspace]` table, from the package's own file upwards.
fn workspace_root(manifest: &Path, is_root: bool) -> Result<Option<PathBuf>> {
    if is_root {
        return Ok(Some(manifest.to_path_buf()));
    }
    let start = std::fs::canonicalize(manifest).unwrap_or_else(|_| manifest.to_path_buf());
    for dir in start.ancestors().skip(2) {
        let candidate = dir.join("Cargo.toml");
        let Some(text) = read(&candidate)? else {
            continue;
        };
        let doc: CargoToml = parse_toml(&candidate, &text)?;
        if doc.workspace.is_some() {
            return Ok(Some(candidate));
        }
    }
    Ok(None)
}

fn workspace_version(root: &Path, member: &Path, line: usize) -> Result<Claim> {
    let missing = || {
        let what = format!(
            "has `version.workspace = true`, but {} has no `[workspace.package] version`",
            root.display()
        );
        bad(member, line, what)
    };
    let text = read(root)?.ok_or_else(missing)?;
    let doc: CargoToml = parse_toml(root, &text)?;
    let v = doc
        .workspace
        .and_then(|w| w.package)
        .and_then(|p| p.version)
        .ok_or_else(missing)?;
    string(root, &text, &v, "workspace.package", "version")
}

#[derive(Deserialize)]
struct PyProject {
    project: Option<PyProjectTable>,
    tool: Option<PyTool>,
}

#[derive(Deserialize)]
struct PyProjectTable {
    version: Option<toml::Value>,
}

#[derive(Deserialize)]
struct PyTool {
    poetry: Option<Poetry>,
}

#[derive(Deserialize)]
struct Poetry {
    version: Option<toml::Value>,
}

fn pyproject(path: &Path) -> Result<Vec<Claim>> {
    let Some(text) = read(path)? else {
        return Ok(Vec::new());
    };
    let doc: PyProject = parse_toml(path, &text)?;
    let mut out = Vec::new();
    // A version listed in `project.dynamic` is computed at build time: no claim to check.
    if let Some(v) = doc.project.and_then(|p| p.version) {
        out.push(string(path, &text, &v, "project", "version")?);
    }
    if let Some(v) = doc.tool.and_then(|t| t.poetry).and_then(|p| p.version) {
        out.push(string(path, &text, &v, "tool.poetry", "version")?);
    }
    Ok(out)
}

fn package_json(path: &Path) -> Result<Option<Claim>> {
    let Some(text) = read(path)? else {
        return Ok(None);
    };
    let v: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| bad(path, e.line(), format!("is not valid JSON: {e}")))?;
    let Some(obj) = v.as_object() else {
        return Err(bad(path, 1, "must be a JSON object".into()));
    };
    let Some(ver) = obj.get("version") else {
        return Ok(None);
    };
    let line = text
        .lines()
        .position(|l| l.contains("\"version\""))
        .map_or(1, |i| i + 1);
    match ver.as_str() {
        Some(s) => Ok(Some(Claim {
            file: path.to_path_buf(),
            line,
            version: s.to_string(),
        })),
        None => Err(bad(
            path,
            line,
            format!("`version` must be a string like \"1.2.3\", found {ver}"),
        )),
    }
}

#[cfg(test)]
#[path = "version_files_tests.rs"]
mod tests;
