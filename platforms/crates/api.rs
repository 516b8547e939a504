//! The registry web API: the publish body (metadata JSON built from the normalized Cargo.toml
//! inside the `.crate`, framed as cargo frames it), yank, and how replies map to errors.
//! Wire format: `rust-lang/cargo:crates/crates-io/lib.rs` (`fn publish`, `fn handle`) and the
//! cargo book's "Registry web API".

use super::CrateContents;
use crate::error::{Error, ErrorKind, Result};
use crate::http::{Auth, Body, Http, Request, Response};
use crate::redact::Secret;
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

/// The publish body: `u32 LE len(json)` ‖ json ‖ `u32 LE len(crate)` ‖ crate bytes.
pub fn frame(json: &[u8], krate: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + json.len() + krate.len());
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(json);
    out.extend_from_slice(&(krate.len() as u32).to_le_bytes());
    out.extend_from_slice(krate);
    out
}

/// What a publish reply means.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// Accepted; `warnings` as the registry sent them (invalid categories, …).
    Accepted { warnings: Vec<String> },
    /// "already uploaded" / "already exists": compare with the index before calling it a
    /// conflict.
    Duplicate(String),
}

/// The `detail`s of a crates.io-style `{"errors":[{"detail":…}]}` body.
fn error_details(body: &serde_json::Value) -> Vec<String> {
    body.get("errors")
        .and_then(|e| e.as_array())
        .map(|a| {
            a.iter()
                .map(|e| match e.get("detail").and_then(|d| d.as_str()) {
                    Some(d) => d.to_string(),
                    None => e.to_string(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Maps a web API reply to `Ok(body)` or an error. An `errors` array is a failure even with
/// HTTP 200: that is how older registries (and cargo's own `handle`) report problems.
pub fn check_reply(resp: &Response, what: &str, token_env: &str) -> Result<serde_json::Value> {
    let body: serde_json::Value = serde_json::from_slice(&resp.body).unwrap_or_default();
    let details = error_details(&body);
    if resp.ok() && details.is_empty() {
        return Ok(body);
    }
    if details.is_empty() {
        return Err(resp.error(what));
    }
    let detail = details.join("; ");
    let status = resp.status.as_u16();
    let msg = format!("{what}: the registry answered HTTP {status}: {detail}");
    Err(match status {
        401 | 403 => Error::new(ErrorKind::Auth, msg).with_hint(format!(
            "the registry rejected the token in {token_env}; check its value and that it may publish this crate"
        )),
        429 => Error::new(ErrorKind::RateLimited, msg).with_hint(
            "rate limited; re-run after the time the registry names: tagship only publishes what is missing",
        ),
        404 => Error::new(ErrorKind::NotFound, msg),
        500..=599 => Error::new(ErrorKind::Server, msg),
        _ => Error::new(ErrorKind::Other, msg)
            .with_hint("the registry refused the crate; fix what it names (usually Cargo.toml) and re-run"),
    })
}

/// Interprets a publish reply.
pub fn publish_reply(resp: &Response, token_env: &str) -> Result<Reply> {
    match check_reply(resp, "publishing the crate", token_env) {
        Ok(body) => {
            let mut warnings = Vec::new();
            if let Some(w) = body.get("warnings").and_then(|w| w.as_object()) {
                for (k, v) in w {
                    for x in v.as_array().into_iter().flatten() {
                        let x = x.as_str().map(str::to_string).unwrap_or(x.to_string());
                        warnings.push(format!("{k}: {x}"));
                    }
                }
            }
            Ok(Reply::Accepted { warnings })
        }
        Err(e) if is_duplicate(e.message()) => Ok(Reply::Duplicate(e.message().to_string())),
        Err(e) => Err(e),
    }
}

fn is_duplicate(msg: &str) -> bool {
    let m = msg.to_ascii_lowercase();
    m.contains("already uploaded") || m.contains("already exists")
}

/// A client for one registry's web API.
pub struct Api {
    pub http: Http,
    /// e.g. `https://crates.io` (no trailing slash).
    pub root: String,
    pub token: Option<Secret>,
    pub token_env: String,
}

impl Api {
    fn authed(&self, req: Request) -> Request {
        match &self.token {
            Some(t) => req.auth(Auth::Raw(t.clone())),
            // Only in a dry run (the engine requires the credential otherwise): the request
            // is withheld anyway, and a server would answer 403, mapped to an Auth error.
            None => req,
        }
    }

    /// `PUT {api}/api/v1/crates/new`. Not idempotent for the retry layer: if the outcome is
    /// unknown the engine re-checks the index instead of re-sending.
    pub async fn publish(&self, body: Vec<u8>, size_hint: &str) -> Result<Reply> {
        let url = format!("{}/api/v1/crates/new", self.root);
        let req = Request::put(&url)?
            .header("accept", "application/json")
            .body(Body::bytes(body, "application/octet-stream"))
            .idempotent(false)
            .predict(serde_json::json!({"warnings": {"invalid_categories": [], "invalid_badges": [], "other": []}}));
        let resp = self
            .http
            .send(self.authed(req))
            .await
            .map_err(|e| e.context(size_hint))?;
        publish_reply(&resp, &self.token_env)
    }

    /// `DELETE {api}/api/v1/crates/{name}/{vers}/yank` → `{"ok":true}`.
    pub async fn yank(&self, name: &str, vers: &str) -> Result<()> {
        let url = format!("{}/api/v1/crates/{name}/{vers}/yank", self.root);
        let req = Request::delete(&url)?
            .header("accept", "application/json")
            .predict(serde_json::json!({"ok": true}));
        let resp = self.http.send(self.authed(req)).await?;
        check_reply(&resp, &format!("yanking {name}@{vers}"), &self.token_env).map(|_| ())
    }
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

    #[test]
    fn framing_bytes() {
        let b = frame(b"{}", b"xyz");
        assert_eq!(b, [2, 0, 0, 0, b'{', b'}', 3, 0, 0, 0, b'x', b'y', b'z']);
        let big = frame(&[b' '; 258], b"");
        assert_eq!(&big[..4], &[2, 1, 0, 0]);
        assert_eq!(&big[262..], &[0, 0, 0, 0]);
    }

    fn resp(status: u16, body: &str) -> Response {
        Response {
            status: reqwest::StatusCode::from_u16(status).unwrap(),
            headers: Default::default(),
            body: bytes::Bytes::from(body.to_string()),
            url: "http://r/api/v1/crates/new".into(),
            predicted: false,
        }
    }

    #[test]
    fn replies() {
        let reply = |status, detail: &str| {
            let body = serde_json::json!({"errors": [{"detail": detail}]}).to_string();
            publish_reply(&resp(status, &body), "MY_TOKEN")
        };
        let ok = r#"{"warnings":{"invalid_categories":["x"],"invalid_badges":[],"other":[]}}"#;
        let warnings = vec!["invalid_categories: x".to_string()];
        assert_eq!(
            publish_reply(&resp(200, ok), "T").unwrap(),
            Reply::Accepted { warnings }
        );
        // Legacy style: HTTP 200 with an errors array is a failure (here, a duplicate).
        let dup = reply(200, "the crate, demo v0.1.0, already exists").unwrap();
        assert!(matches!(dup, Reply::Duplicate(_)));
        let dup = reply(400, "crate version `0.1.0` is already uploaded").unwrap();
        assert!(matches!(dup, Reply::Duplicate(_)));
        let e = reply(200, "missing description").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Other);
        assert!(
            e.message().contains("HTTP 200: missing description"),
            "{e:?}"
        );
        let e = reply(400, "invalid semver").unwrap_err();
        assert!(e.message().contains("HTTP 400: invalid semver"), "{e:?}");
        let e = reply(403, "invalid token").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Auth);
        assert!(e.hint().unwrap().contains("MY_TOKEN"), "{e:?}");
        assert_eq!(
            reply(429, "try again after X").unwrap_err().kind,
            ErrorKind::RateLimited
        );
        // No JSON at all: the status decides.
        let e = publish_reply(&resp(502, "<html>bad gateway</html>"), "T").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Server);
    }
}
