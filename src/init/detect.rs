//! What `tagship init` learns from a project directory, read-only: the project kind and
//! metadata from Cargo.toml, go.mod, package.json or pyproject.toml (the first found, in
//! that order), and the GitHub owner/repo from the `origin` remote. Nothing here writes.

use super::builds::BuildPlan;
use std::path::Path;

/// The language/build system the generated pipeline and workflow are written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Cargo.toml with a `[package]`: a binary built with cargo, published to crates.io.
    Rust,
    /// go.mod: a binary built with `go build` for five targets (pure Go cross-compiles).
    Go,
    /// package.json: the npm package published as it is (`mode: package_json`).
    Node,
    /// pyproject.toml: metadata only; tagship's PyPI adapter ships built binaries as wheels.
    Python,
    /// None of the above: a skeleton with the GitHub release only.
    Other,
}

/// A GitHub repository, from the `origin` remote (or a go module path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GithubRepo {
    pub owner: String,
    pub repo: String,
}

/// Everything `init` renders from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    pub kind: Kind,
    /// The project file it came from (`Cargo.toml`, …), for the generated comments.
    pub source: Option<&'static str>,
    pub name: String,
    pub description: String,
    pub license: Option<String>,
    pub homepage: Option<String>,
    /// The binary's name (Rust: the first `[[bin]]`, else the package name).
    pub binary: String,
    pub github: Option<GithubRepo>,
    /// README and licence files present, packed into the archives.
    pub files: Vec<String>,
    /// The build targets and their runners (pipeline.yaml's, else what init writes).
    pub builds: BuildPlan,
}

/// Inspects `dir`. A project file that cannot be parsed is an error naming it: guessing
/// past it would write a pipeline for the wrong project.
pub fn detect(dir: &Path) -> Result<Detected, String> {
    let fallback = dir
        .canonicalize()
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "project".into());
    let mut d = Detected {
        kind: Kind::Other,
        source: None,
        name: fallback.clone(),
        description: String::new(),
        license: None,
        homepage: None,
        binary: fallback,
        github: None,
        files: Vec::new(),
        builds: super::builds::defaults(Kind::Other),
    };
    if !(rust(dir, &mut d)? || go(dir, &mut d)? || node(dir, &mut d)?) {
        python(dir, &mut d)?;
    }
    d.binary = if d.kind == Kind::Rust {
        d.binary.clone()
    } else {
        d.name.clone()
    };
    d.files = ["README.md", "LICENSE", "LICENSE-MIT", "LICENSE-APACHE"]
        .iter()
        .filter(|f| dir.join(f).is_file())
        .map(|f| f.to_string())
        .collect();
    d.builds = super::builds::read(dir, d.kind);
    if let Some(g) = remote_github(dir) {
        d.github = Some(g);
    }
    Ok(d)
}

fn read(dir: &Path, file: &str) -> Result<Option<String>, String> {
    match std::fs::read_to_string(dir.join(file)) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{file}: cannot be read: {e}")),
    }
}

fn toml_doc(file: &str, text: &str) -> Result<toml::Table, String> {
    text.parse::<toml::Table>()
        .map_err(|e| format!("{file}: is not valid TOML: {}", e.message()))
}

/// A string field of a TOML table (`x.workspace = true` and the like count as absent).
fn tstr(t: Option<&toml::Table>, key: &str) -> Option<String> {
    t?.get(key)?.as_str().map(str::to_string)
}

fn rust(dir: &Path, d: &mut Detected) -> Result<bool, String> {
    let Some(text) = read(dir, "Cargo.toml")? else {
        return Ok(false);
    };
    let doc = toml_doc("Cargo.toml", &text)?;
    let Some(pkg) = doc.get("package").and_then(|p| p.as_table()) else {
        return Ok(false); // a virtual workspace: no package to release from here
    };
    let Some(name) = tstr(Some(pkg), "name") else {
        return Err("Cargo.toml: [package] has no `name`".into());
    };
    let bin = doc
        .get("bin")
        .and_then(|b| b.as_array())
        .and_then(|b| b.first())
        .and_then(|b| tstr(b.as_table(), "name"));
    d.kind = Kind::Rust;
    d.source = Some("Cargo.toml");
    d.binary = bin.unwrap_or_else(|| name.clone());
    d.name = name;
    d.description = tstr(Some(pkg), "description").unwrap_or_default();
    d.license = tstr(Some(pkg), "license");
    d.homepage = tstr(Some(pkg), "homepage").or_else(|| tstr(Some(pkg), "repository"));
    Ok(true)
}

fn go(dir: &Path, d: &mut Detected) -> Result<bool, String> {
    let Some(text) = read(dir, "go.mod")? else {
        return Ok(false);
    };
    let module = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("module "))
        .map(|m| m.trim().trim_matches('"').to_string())
        .ok_or("go.mod: no `module` line")?;
    let mut parts: Vec<&str> = module.split('/').collect();
    // `example.com/tool/v2`: the major-version suffix is not the program's name.
    if parts.len() > 1 && is_major_suffix(parts[parts.len() - 1]) {
        parts.pop();
    }
    d.kind = Kind::Go;
    d.source = Some("go.mod");
    d.name = parts.last().copied().unwrap_or("project").to_string();
    if let ["github.com", owner, repo, ..] = parts.as_slice() {
        d.github = Some(GithubRepo {
            owner: owner.to_string(),
            repo: repo.to_string(),
        });
    }
    Ok(true)
}

fn is_major_suffix(s: &str) -> bool {
    s.strip_prefix('v')
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

fn node(dir: &Path, d: &mut Detected) -> Result<bool, String> {
    let Some(text) = read(dir, "package.json")? else {
        return Ok(false);
    };
    let v: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("package.json:{}: is not valid JSON: {e}", e.line()))?;
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    let Some(package) = s("name") else {
        return Err("package.json: no `name`".into());
    };
    d.kind = Kind::Node;
    d.source = Some("package.json");
    d.name = package.rsplit('/').next().unwrap_or(&package).to_string();
    d.description = s("description").unwrap_or_default();
    d.license = s("license");
    d.homepage = s("homepage");
    Ok(true)
}

fn python(dir: &Path, d: &mut Detected) -> Result<bool, String> {
    let Some(text) = read(dir, "pyproject.toml")? else {
        return Ok(false);
    };
    let doc = toml_doc("pyproject.toml", &text)?;
    let project = doc.get("project").and_then(|p| p.as_table());
    let Some(name) = tstr(project, "name") else {
        return Ok(false);
    };
    d.kind = Kind::Python;
    d.source = Some("pyproject.toml");
    d.name = name;
    d.description = tstr(project, "description").unwrap_or_default();
    // PEP 639 `license = "MIT"`; the older `{text = "MIT"}` table too.
    d.license = tstr(project, "license").or_else(|| {
        let t = project?.get("license")?.as_table()?;
        tstr(Some(t), "text")
    });
    Ok(true)
}

/// `origin`'s URL when it points at github.com (https, ssh or scp-like form).
fn remote_github(dir: &Path) -> Option<GithubRepo> {
    // A read of local git config; nothing is fetched.
    let out = std::process::Command::new("git")
        .args(["remote", "get-url", "origin"])
        .current_dir(dir)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    parse_github_url(String::from_utf8_lossy(&out.stdout).trim())
}

/// `https://github.com/o/r(.git)`, `ssh://git@github.com/o/r.git`, `git@github.com:o/r.git`.
pub fn parse_github_url(url: &str) -> Option<GithubRepo> {
    let rest = url
        .strip_prefix("git@github.com:")
        .or_else(|| url.split_once("github.com/").map(|(_, r)| r))?;
    let mut it = rest.trim_end_matches('/').splitn(3, '/');
    let owner = it.next()?.to_string();
    let repo = it.next()?.trim_end_matches(".git").to_string();
    let ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    };
    (ok(&owner) && ok(&repo) && it.next().is_none()).then_some(GithubRepo { owner, repo })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_urls_in_every_form() {
        let want = Some(GithubRepo {
            owner: "acme".into(),
            repo: "tool".into(),
        });
        for u in [
            "https://github.com/acme/tool",
            "https://github.com/acme/tool.git",
            "git@github.com:acme/tool.git",
            "ssh://git@github.com/acme/tool.git",
        ] {
            assert_eq!(parse_github_url(u), want, "{u}");
        }
        assert_eq!(parse_github_url("https://gitlab.com/acme/tool"), None);
        assert_eq!(parse_github_url("https://github.com/acme"), None);
    }

    #[test]
    fn go_module_major_suffix_is_not_the_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("go.mod"),
            "module github.com/acme/tool/v2\n\ngo 1.21\n",
        )
        .unwrap();
        let d = detect(dir.path()).unwrap();
        assert_eq!((d.kind, d.name.as_str()), (Kind::Go, "tool"));
        assert_eq!(d.github.unwrap().owner, "acme");
    }
}
