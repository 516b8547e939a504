//! The static index's content, as pure functions: the `packages.json` manifest (the
//! machine-readable truth the check reads) and the PEP 503 pages rendered from it
//! (PROTOCOLS.md §11). Pages carry the PEP 658/714 metadata attributes and the repository
//! version meta tag; links are relative by default so the index works under any URL prefix.

use crate::error::{Error, Result};
use crate::platforms::pypi::api;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Manifest file name at the index root.
pub const MANIFEST: &str = "packages.json";

/// One file of one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub filename: String,
    pub sha256: String,
    pub size: u64,
    /// sha256 of the PEP 658 `.metadata` sidecar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub core_metadata_sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires_python: Option<String>,
}

/// `{normalized package: {version: [files]}}`.
pub type Manifest = BTreeMap<String, BTreeMap<String, Vec<FileEntry>>>;

/// Parses packages.json (an absent file is an empty manifest).
pub fn parse_manifest(text: Option<&str>) -> Result<Manifest> {
    match text {
        None => Ok(Manifest::new()),
        Some(t) => serde_json::from_str(t).map_err(|e| {
            Error::protocol(format!("{MANIFEST} in the index is not valid: {e}"))
                .with_hint("fix or remove packages.json in the index branch/dir; tagship rebuilds entries it adds")
        }),
    }
}

pub fn render_manifest(m: &Manifest) -> String {
    let mut s = serde_json::to_string_pretty(m).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

/// Looks a file up across all versions of `package`.
pub fn find<'a>(m: &'a Manifest, package: &str, filename: &str) -> Option<&'a FileEntry> {
    m.get(package)?
        .values()
        .flatten()
        .find(|f| f.filename == filename)
}

/// Adds `entry` under `package`/`version`. Returns whether the manifest changed; the same
/// file name with another sha256 is a conflict (index URLs must stay immutable).
pub fn add(m: &mut Manifest, package: &str, version: &str, entry: FileEntry) -> Result<bool> {
    if let Some(old) = find(m, package, &entry.filename) {
        if old.sha256.eq_ignore_ascii_case(&entry.sha256) {
            return Ok(false);
        }
        return Err(Error::conflict(format!(
            "{} is already in the index with different content (sha256 {}, ours {})",
            entry.filename, old.sha256, entry.sha256
        ))
        .with_hint(
            "installers cache by URL and hash: bump the version instead of replacing a file",
        ));
    }
    let files = m
        .entry(package.to_string())
        .or_default()
        .entry(version.to_string())
        .or_default();
    files.push(entry);
    files.sort_by(|a, b| a.filename.cmp(&b.filename));
    Ok(true)
}

/// Escapes text and attribute values.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Project names linked from an existing root page (kept when re-rendering it, so projects
/// added by hand or by other tools stay listed).
pub fn root_projects(html: &str) -> Vec<String> {
    api::parse_simple_html(html, None)
        .into_iter()
        .map(|l| l.filename)
        .filter(|n| !n.is_empty())
        .collect()
}

/// The root page `simple/index.html`: one link per project, sorted.
pub fn render_root(projects: &BTreeSet<String>) -> String {
    let mut s = String::from(
        "<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"1.1\">\n    <title>Simple index</title>\n  </head>\n  <body>\n",
    );
    for p in projects {
        let e = escape(p);
        s.push_str(&format!("    <a href=\"{e}/\">{e}</a><br>\n"));
    }
    s.push_str("  </body>\n</html>\n");
    s
}

/// Where a file is linked from its project page: `../../files/<name>` or `{base_url}/<name>`.
pub fn file_url(base_url: Option<&str>, filename: &str) -> String {
    match base_url {
        Some(b) => format!("{}/{filename}", b.trim_end_matches('/')),
        None => format!("../../files/{filename}"),
    }
}

/// A project page `simple/<normalized>/index.html` for every file of every version.
pub fn render_project(
    name: &str,
    versions: &BTreeMap<String, Vec<FileEntry>>,
    base_url: Option<&str>,
) -> String {
    let mut s = format!(
        "<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"1.1\">\n    <title>Links for {}</title>\n  </head>\n  <body>\n    <h1>Links for {}</h1>\n",
        escape(name),
        escape(name)
    );
    let mut files: Vec<&FileEntry> = versions.values().flatten().collect();
    files.sort_by(|a, b| a.filename.cmp(&b.filename));
    for f in files {
        let mut attrs = format!(
            "href=\"{}#sha256={}\"",
            escape(&file_url(base_url, &f.filename)),
            f.sha256
        );
        if let Some(r) = f.requires_python.as_deref().filter(|r| !r.is_empty()) {
            attrs.push_str(&format!(" data-requires-python=\"{}\"", escape(r)));
        }
        if let Some(m) = &f.core_metadata_sha256 {
            attrs.push_str(&format!(
                " data-dist-info-metadata=\"sha256={m}\" data-core-metadata=\"sha256={m}\""
            ));
        }
        s.push_str(&format!("    <a {attrs}>{}</a><br>\n", escape(&f.filename)));
    }
    s.push_str("  </body>\n</html>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, sha: &str) -> FileEntry {
        FileEntry {
            filename: name.into(),
            sha256: sha.into(),
            size: 1,
            core_metadata_sha256: None,
            requires_python: None,
        }
    }

    #[test]
    fn add_is_idempotent_and_refuses_other_bytes() {
        let mut m = Manifest::new();
        assert!(add(&mut m, "demo", "1.0.0", entry("a.whl", "aa")).unwrap());
        assert!(!add(&mut m, "demo", "1.0.0", entry("a.whl", "AA")).unwrap());
        let e = add(&mut m, "demo", "1.0.0", entry("a.whl", "bb")).unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::Conflict);
        assert!(e.message().contains("a.whl"));
    }

    #[test]
    fn root_round_trips() {
        let set: BTreeSet<String> = ["b-x".to_string(), "a".to_string()].into();
        let html = render_root(&set);
        assert_eq!(root_projects(&html), vec!["a", "b-x"]);
    }
}
