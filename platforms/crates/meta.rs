//! The publish metadata (`NewCrate`) built from the normalized Cargo.toml inside the
//! `.crate`, as cargo builds it. It is both what the registry receives and what
//! `rules.rs` validates, so the preflight sees exactly what the server will see.

use super::CrateContents;
use crate::error::{Error, Result};
use serde::Serialize;
use std::collections::BTreeMap;
use toml::{Table, Value};

/// The publish metadata, in cargo's field order (`crates-io` crate, `NewCrate`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NewCrate {
    pub name: String,
    pub vers: String,
    pub deps: Vec<NewDep>,
    pub features: BTreeMap<String, Vec<String>>,
    pub authors: Vec<String>,
    pub description: Option<String>,
    pub documentation: Option<String>,
    pub homepage: Option<String>,
    pub readme: Option<String>,
    pub readme_file: Option<String>,
    pub keywords: Vec<String>,
    pub categories: Vec<String>,
    pub license: Option<String>,
    pub license_file: Option<String>,
    pub repository: Option<String>,
    pub badges: BTreeMap<String, BTreeMap<String, String>>,
    pub links: Option<String>,
    pub rust_version: Option<String>,
}

/// One dependency (`NewCrateDependency`). `name` is the package name; the key used in
/// Cargo.toml goes to `explicit_name_in_toml` when the dependency is renamed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NewDep {
    pub optional: bool,
    pub default_features: bool,
    pub name: String,
    pub features: Vec<String>,
    pub version_req: String,
    pub target: Option<String>,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explicit_name_in_toml: Option<String>,
}

fn s(t: &Table, k: &str) -> Option<String> {
    t.get(k).and_then(Value::as_str).map(str::to_string)
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Builds the publish metadata from the `.crate`. `index` is the index we publish to: a
/// dependency from that same registry gets no `registry`, one from elsewhere gets its
/// index URL (crates.io deps carry no `registry-index` in the normalized manifest).
pub fn new_crate(c: &CrateContents, index: &str) -> Result<NewCrate> {
    let m = c.manifest()?;
    let pkg = m
        .get("package")
        .and_then(Value::as_table)
        .ok_or_else(|| Error::input(format!("{}/Cargo.toml has no [package]", c.prefix)))?;
    let name = s(pkg, "name").ok_or_else(|| Error::input("Cargo.toml has no package.name"))?;
    let vers =
        s(pkg, "version").ok_or_else(|| Error::input("Cargo.toml has no package.version"))?;
    let readme_file = s(pkg, "readme");
    let mut deps = Vec::new();
    for (table, kind) in dep_tables(&m) {
        for (key, spec) in table.0 {
            if let Some(d) = new_dep(key, spec, kind, table.1.clone(), index)? {
                deps.push(d);
            }
        }
    }
    // Tables whose shape is already what the API wants; a malformed one is left out.
    fn table<T: serde::de::DeserializeOwned + Default>(m: &Table, k: &str) -> T {
        m.get(k)
            .cloned()
            .and_then(|v| v.try_into().ok())
            .unwrap_or_default()
    }
    let features = table(&m, "features");
    let badges = table(&m, "badges");
    Ok(NewCrate {
        readme: readme_file.as_deref().and_then(|p| c.text(p)),
        readme_file,
        name,
        vers,
        deps,
        features,
        authors: strings(pkg.get("authors")),
        description: s(pkg, "description"),
        documentation: s(pkg, "documentation"),
        homepage: s(pkg, "homepage"),
        keywords: strings(pkg.get("keywords")),
        categories: strings(pkg.get("categories")),
        license: s(pkg, "license"),
        license_file: s(pkg, "license-file"),
        repository: s(pkg, "repository"),
        badges,
        links: s(pkg, "links"),
        rust_version: s(pkg, "rust-version"),
    })
}

type DepTable<'a> = (&'a Table, Option<String>);

/// `[dependencies]`, `[dev-dependencies]`, `[build-dependencies]` and their
/// `[target.'cfg(..)'.*]` forms, with the kind cargo sends for each.
fn dep_tables(m: &Table) -> Vec<(DepTable<'_>, &'static str)> {
    const KINDS: [(&str, &str); 5] = [
        ("dependencies", "normal"),
        ("dev-dependencies", "dev"),
        ("dev_dependencies", "dev"),
        ("build-dependencies", "build"),
        ("build_dependencies", "build"),
    ];
    fn add<'a>(t: &'a Table, target: Option<String>, out: &mut Vec<(DepTable<'a>, &'static str)>) {
        for (k, kind) in KINDS {
            if let Some(d) = t.get(k).and_then(Value::as_table) {
                out.push(((d, target.clone()), kind));
            }
        }
    }
    let mut out = Vec::new();
    add(m, None, &mut out);
    if let Some(targets) = m.get("target").and_then(Value::as_table) {
        for (cfg, t) in targets {
            if let Some(t) = t.as_table() {
                add(t, Some(cfg.clone()), &mut out);
            }
        }
    }
    out
}

fn new_dep(
    key: &str,
    spec: &Value,
    kind: &str,
    target: Option<String>,
    index: &str,
) -> Result<Option<NewDep>> {
    let empty = Table::new();
    let (t, version) = match spec {
        Value::String(v) => (&empty, Some(v.clone())),
        Value::Table(t) => (t, s(t, "version")),
        _ => {
            return Err(Error::input(format!(
                "dependency `{key}` is neither a string nor a table"
            )))
        }
    };
    // Cargo drops dev-dependencies without a version (path-only) when publishing.
    if kind == "dev" && version.is_none() {
        return Ok(None);
    }
    let version_req = match &version {
        // Cargo sends the parsed requirement: `1.0` goes out as `^1.0`.
        Some(v) => semver::VersionReq::parse(v)
            .map(|r| r.to_string())
            .unwrap_or_else(|_| v.clone()),
        None => "*".into(),
    };
    let dep_index =
        s(t, "registry-index").unwrap_or_else(|| super::config::CRATES_IO_GIT_INDEX.into());
    // Cargo sends the dependency's registry as its source URL, `sparse+` prefix included.
    let registry = (!super::config::same_index(&dep_index, index)).then_some(dep_index);
    let package = s(t, "package");
    let bool_or = |a: &str, b: &str, d: bool| {
        t.get(a)
            .or_else(|| t.get(b))
            .and_then(Value::as_bool)
            .unwrap_or(d)
    };
    Ok(Some(NewDep {
        optional: bool_or("optional", "optional", false),
        default_features: bool_or("default-features", "default_features", true),
        name: package.clone().unwrap_or_else(|| key.to_string()),
        features: strings(t.get("features")),
        version_req,
        target,
        kind: kind.to_string(),
        registry,
        explicit_name_in_toml: package.map(|_| key.to_string()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = r#"
[package]
edition = "2021"
rust-version = "1.70"
name = "demo-crate"
version = "1.2.3"
authors = ["A <a@example.invalid>"]
description = "demo"
readme = "README.md"
keywords = ["demo"]
license = "MIT"
repository = "https://example.invalid/demo"

[features]
default = ["fast"]
fast = ["dep:rayon", "serde?/std"]

[dependencies]
serde = { version = "1.0", features = ["derive"], optional = true, default-features = false }
json = { version = "=1.0.100", package = "serde_json" }
inhouse = { version = "0.3", registry-index = "sparse+https://other.invalid/index/" }
sibling = { version = "^2", registry-index = "sparse+http://127.0.0.1:9/index/" }

[dev-dependencies]
tempfile = { version = "3" }
local-only = {}

[build-dependencies]
cc = "1.0.90"

[target."cfg(unix)".dependencies]
libc = { version = "0.2" }
"#;

    fn contents() -> CrateContents {
        let mut files = BTreeMap::new();
        files.insert("Cargo.toml".into(), MANIFEST.as_bytes().to_vec());
        files.insert("README.md".into(), b"# demo\n".to_vec());
        CrateContents {
            prefix: "demo-crate-1.2.3".into(),
            files,
        }
    }

    #[test]
    fn metadata_from_normalized_manifest() {
        let meta = new_crate(&contents(), "http://127.0.0.1:9/index/").unwrap();
        // One line per top-level field and per dependency keeps the snapshot reviewable.
        let v = serde_json::to_value(&meta).unwrap();
        let mut lines = Vec::new();
        for (k, x) in v.as_object().unwrap() {
            match x.as_array().filter(|_| k == "deps") {
                Some(deps) => lines.extend(deps.iter().map(|d| format!("dep {d}"))),
                None => lines.push(format!("{k}: {x}")),
            }
        }
        insta::assert_snapshot!(lines.join("\n"), @r##"
        name: "demo-crate"
        vers: "1.2.3"
        dep {"optional":false,"default_features":true,"name":"inhouse","features":[],"version_req":"^0.3","target":null,"kind":"normal","registry":"sparse+https://other.invalid/index/"}
        dep {"optional":false,"default_features":true,"name":"serde_json","features":[],"version_req":"=1.0.100","target":null,"kind":"normal","registry":"https://github.com/rust-lang/crates.io-index","explicit_name_in_toml":"json"}
        dep {"optional":true,"default_features":false,"name":"serde","features":["derive"],"version_req":"^1.0","target":null,"kind":"normal","registry":"https://github.com/rust-lang/crates.io-index"}
        dep {"optional":false,"default_features":true,"name":"sibling","features":[],"version_req":"^2","target":null,"kind":"normal"}
        dep {"optional":false,"default_features":true,"name":"tempfile","features":[],"version_req":"^3","target":null,"kind":"dev","registry":"https://github.com/rust-lang/crates.io-index"}
        dep {"optional":false,"default_features":true,"name":"cc","features":[],"version_req":"^1.0.90","target":null,"kind":"build","registry":"https://github.com/rust-lang/crates.io-index"}
        dep {"optional":false,"default_features":true,"name":"libc","features":[],"version_req":"^0.2","target":"cfg(unix)","kind":"normal","registry":"https://github.com/rust-lang/crates.io-index"}
        features: {"default":["fast"],"fast":["dep:rayon","serde?/std"]}
        authors: ["A <a@example.invalid>"]
        description: "demo"
        documentation: null
        homepage: null
        readme: "# demo\n"
        readme_file: "README.md"
        keywords: ["demo"]
        categories: []
        license: "MIT"
        license_file: null
        repository: "https://example.invalid/demo"
        badges: {}
        links: null
        rust_version: "1.70"
        "##);
    }

    #[test]
    fn crates_io_deps_carry_no_registry_on_crates_io() {
        // Order: inhouse, json (serde_json), serde, sibling, tempfile, cc, libc.
        let meta = new_crate(&contents(), "https://index.crates.io/").unwrap();
        let reg: Vec<_> = meta.deps.iter().map(|d| d.registry.as_deref()).collect();
        assert_eq!(
            reg,
            [
                Some("sparse+https://other.invalid/index/"),
                None,
                None,
                Some("sparse+http://127.0.0.1:9/index/"),
                None,
                None,
                None
            ]
        );
    }
}
