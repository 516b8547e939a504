//! `mode: package_json`: which files of an existing npm package directory go into its
//! tarball. A subset of npm-packlist's rules: package.json, README* and LICENSE*/LICENCE* are
//! always in; with a `files` field only the listed paths/globs (a directory means everything
//! under it), otherwise everything; never `.git`, `node_modules`, `.npmrc`, lockfiles or
//! editor litter. tagship does not interpret `.npmignore`/`.gitignore`, so a package relying
//! on them without `files` is refused rather than packed differently from `npm pack`.

use super::tarball::Entry;
use crate::error::{Error, Result};
use std::path::Path;

/// Names excluded at any depth.
const NEVER: &[&str] = &[
    ".git",
    ".svn",
    ".hg",
    "CVS",
    "node_modules",
    ".npmrc",
    ".DS_Store",
    "npm-debug.log",
    ".npmignore",
    ".gitignore",
];
/// Names excluded at the package root.
const NEVER_AT_ROOT: &[&str] = &["package-lock.json", "yarn.lock", "pnpm-lock.yaml"];

fn always_included(rel: &str) -> bool {
    if rel.contains('/') {
        return false;
    }
    let up = rel.to_ascii_uppercase();
    rel == "package.json"
        || up.starts_with("README")
        || up.starts_with("LICENSE")
        || up.starts_with("LICENCE")
}

/// Matches one glob segment (`*`, `?`) against one path segment.
fn seg_match(p: &[u8], s: &[u8]) -> bool {
    match (p.first(), s.first()) {
        (None, None) => true,
        (Some(b'*'), _) => seg_match(&p[1..], s) || (!s.is_empty() && seg_match(p, &s[1..])),
        (Some(b'?'), Some(_)) => seg_match(&p[1..], &s[1..]),
        (Some(a), Some(b)) if a == b => seg_match(&p[1..], &s[1..]),
        _ => false,
    }
}

/// Matches `pattern` against `path` or any of its parent directories (`files: ["lib"]`
/// includes `lib/a/b.js`). `**` spans any number of segments.
pub fn files_match(pattern: &str, path: &str) -> bool {
    let pat: Vec<&str> = pattern
        .trim_start_matches("./")
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let segs: Vec<&str> = path.split('/').collect();
    (1..=segs.len()).any(|n| glob(&pat, &segs[..n]))
}

fn glob(p: &[&str], s: &[&str]) -> bool {
    match p.first() {
        None => s.is_empty(),
        Some(&"**") => (0..=s.len()).any(|i| glob(&p[1..], &s[i..])),
        Some(seg) => {
            !s.is_empty() && seg_match(seg.as_bytes(), s[0].as_bytes()) && glob(&p[1..], &s[1..])
        }
    }
}

/// Walks `dir`, skipping excluded names and the `skip` directory (tagship's dist/, which
/// would otherwise pack the previous run's tarballs).
fn walk(
    root: &Path,
    dir: &Path,
    skip: &Path,
    out: &mut Vec<(String, std::fs::Metadata)>,
) -> Result<()> {
    let rd =
        std::fs::read_dir(dir).map_err(|e| Error::io(format!("reading {}", dir.display()), e))?;
    for ent in rd {
        let ent = ent.map_err(|e| Error::io(format!("reading {}", dir.display()), e))?;
        let name = ent.file_name().to_string_lossy().into_owned();
        let path = ent.path();
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        if NEVER.contains(&name.as_str()) || (dir == root && NEVER_AT_ROOT.contains(&name.as_str()))
        {
            continue;
        }
        // Follow symlinks as npm does; the stat is of the target.
        let meta = std::fs::metadata(&path)
            .map_err(|e| Error::io(format!("stat {}", path.display()), e))?;
        if meta.is_dir() {
            if path != skip {
                walk(root, &path, skip, out)?;
            }
        } else if meta.is_file() {
            out.push((rel, meta));
        }
    }
    Ok(())
}

/// Collects the tarball entries of the package in `dir`, whose parsed package.json is `pj`,
/// leaving out the directory `dist` (absolute) if it lies inside.
pub fn collect(dir: &Path, pj: &serde_json::Value, dist: &Path) -> Result<Vec<Entry>> {
    let files: Option<Vec<String>> = pj.get("files").and_then(|f| f.as_array()).map(|a| {
        a.iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect()
    });
    if files.is_none() {
        for ignore in [".npmignore", ".gitignore"] {
            if dir.join(ignore).exists() {
                return Err(Error::config(format!(
                    "platforms.npm: {} has a {ignore} but no `files` field; tagship does not read ignore files",
                    dir.display()
                ))
                .with_hint("list what to publish in package.json's `files` field"));
            }
        }
    }
    let bins: Vec<String> = match pj.get("bin") {
        Some(serde_json::Value::String(s)) => vec![s.clone()],
        Some(serde_json::Value::Object(m)) => m
            .values()
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    };
    let norm = |s: &str| s.trim_start_matches("./").to_string();
    let bins: Vec<String> = bins.iter().map(|b| norm(b)).collect();
    let mut all = Vec::new();
    let dir = &dir
        .canonicalize()
        .map_err(|e| Error::io(format!("resolving {}", dir.display()), e))?;
    let skip = dist.canonicalize().unwrap_or_else(|_| dist.to_path_buf());
    walk(dir, dir, &skip, &mut all)?;
    let mut out = Vec::new();
    for (rel, meta) in all {
        let keep = always_included(&rel)
            || match &files {
                None => true,
                Some(f) => f.iter().any(|p| files_match(p, &rel)),
            };
        if !keep {
            continue;
        }
        use std::os::unix::fs::PermissionsExt;
        let exec = meta.permissions().mode() & 0o111 != 0 || bins.contains(&rel);
        // Streamed from disk when the tarball is written, never held here.
        let source = dir.join(&rel);
        out.push(Entry::disk(rel, source).with_mode(if exec { 0o755 } else { 0o644 }));
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(files_match("lib", "lib/a/b.js"));
        assert!(files_match("./lib/", "lib/x.js"));
        assert!(!files_match("lib", "libx/a.js"));
        assert!(files_match("*.js", "cli.js"));
        assert!(!files_match("*.js", "lib/cli.js"));
        assert!(files_match("**/*.d.ts", "types/a/b.d.ts"));
        assert!(files_match("dist/*.js", "dist/a.js"));
        assert!(!files_match("dist/*.js", "dist/a.map"));
    }
}
