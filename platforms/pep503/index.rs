//! The static index's content, as pure functions: the `packages.json` manifest (the
//! machine-readable truth the check reads, and what a health check reads: `count`,
//! `generated`, `packages`) and the PEP 503 pages rendered from it (PROTOCOLS.md §11). Pages carry the PEP 658/714 metadata attributes and the repository
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

/// packages.json as tagship writes it (issue 14): what a daily health check reads without
/// walking the map. `count` is the number of packages in `packages`; `generated` the RFC
/// 3339 time of the newest release written into it (its SOURCE_DATE_EPOCH, so the same
/// change writes the same bytes).
#[derive(Serialize)]
struct Document<'a> {
    count: usize,
    generated: &'a str,
    packages: &'a Manifest,
}

/// packages.json as read, in either shape.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Doc {
    pub packages: Manifest,
    /// `generated`, when the file has one (the shape before issue 14 had none).
    pub generated: Option<String>,
}

/// Parses packages.json (an absent file is an empty manifest). Both shapes are read: the
/// document (`{"count", "generated", "packages"}`) and the bare map tagship wrote before
/// issue 14, which the next write replaces. They cannot be confused: in the bare map every
/// value is an object of versions, and `count` is a number.
pub fn parse_doc(text: Option<&str>) -> Result<Doc> {
    let Some(t) = text else {
        return Ok(Doc::default());
    };
    let invalid = |e: serde_json::Error| {
        Error::protocol(format!("{MANIFEST} in the index is not valid: {e}"))
            .with_hint("fix or remove packages.json in the index branch/dir; tagship rebuilds entries it adds")
    };
    let v: serde_json::Value = serde_json::from_str(t).map_err(invalid)?;
    let current = v.get("count").is_some_and(|c| c.is_number())
        || v.get("generated").is_some_and(|g| g.is_string());
    if !current {
        return Ok(Doc {
            packages: serde_json::from_value(v).map_err(invalid)?,
            generated: None,
        });
    }
    let packages = match v.get("packages") {
        Some(p) => serde_json::from_value(p.clone()).map_err(invalid)?,
        None => Manifest::new(),
    };
    let generated = v.get("generated").and_then(|g| g.as_str()).map(str::to_string);
    Ok(Doc {
        packages,
        generated,
    })
}

/// The packages map of packages.json, in either shape.
pub fn parse_manifest(text: Option<&str>) -> Result<Manifest> {
    parse_doc(text).map(|d| d.packages)
}

/// packages.json in the current shape.
pub fn render_manifest(m: &Manifest, generated: &str) -> String {
    let doc = Document {
        count: m.len(),
        generated,
        packages: m,
    };
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

/// `generated` for a write by a release stamped `epoch`: the later of that and what the
/// file said, so releases from different repositories, written in any order (a retried
/// push lands after a newer one), leave the same value: the newest release's time.
pub fn generated(epoch: u64, before: Option<&str>) -> String {
    use time::format_description::well_known::Rfc3339;
    let ours = time::OffsetDateTime::from_unix_timestamp(epoch as i64)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let theirs = before.and_then(|b| time::OffsetDateTime::parse(b, &Rfc3339).ok());
    let newest = theirs.map_or(ours, |t| t.max(ours));
    newest
        .to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
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
    fn the_document_carries_count_and_generated_and_reads_the_old_shape() {
        let mut m = Manifest::new();
        add(&mut m, "demo", "1.0.0", entry("demo-1.0.0-py3-none-any.whl", "aa")).unwrap();
        // The shape before issue 14: the bare map, whose values are objects.
        let old = serde_json::to_string(&m).unwrap();
        let doc = parse_doc(Some(&old)).unwrap();
        assert_eq!(doc.packages, m);
        assert_eq!(doc.generated, None);
        add(&mut m, "other", "2.0.0", entry("other-2.0.0-py3-none-any.whl", "bb")).unwrap();
        let text = render_manifest(&m, &generated(1_700_000_000, None));
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["count"], 2);
        assert_eq!(v["generated"], "2023-11-14T22:13:20Z");
        assert_eq!(v["packages"]["other"]["2.0.0"][0]["sha256"], "bb");
        let back = parse_doc(Some(&text)).unwrap();
        assert_eq!(back.packages, m);
        assert_eq!(back.generated.as_deref(), Some("2023-11-14T22:13:20Z"));
        // A package named `packages` or `count` in the old shape is still the old shape.
        let odd = r#"{"count": {"1.0": []}, "packages": {"1.0": []}}"#;
        let doc = parse_doc(Some(odd)).unwrap();
        assert_eq!(doc.packages.len(), 2);
        assert!(parse_doc(Some("[1]")).is_err());
    }

    #[test]
    fn generated_is_the_newest_release_in_any_order() {
        let newer = generated(1_800_000_000, None);
        assert_eq!(newer, "2027-01-15T08:00:00Z");
        assert_eq!(generated(1_700_000_000, Some(&newer)), newer);
        assert_eq!(generated(1_800_000_000, Some("2023-11-14T22:13:20Z")), newer);
        assert_eq!(generated(1_700_000_000, Some("garbage")), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn root_round_trips() {
        let set: BTreeSet<String> = ["b-x".to_string(), "a".to_string()].into();
        let html = render_root(&set);
        assert_eq!(root_projects(&html), vec!["a", "b-x"]);
    }
}
