//! The real Debian docker-registry for the docker platform's tests (tests/docker_registry.rs
//! and the conformance line), with htpasswd Basic auth or `auth: token` (JWTs from
//! scripts/servers/oci_token.py), and what a test reads from the registry's storage: which
//! blobs, manifests and tags the repository links (named as tagship's report names them), and
//! a deletion behind tagship's back (the registry's own DELETE removes exactly that link file).

#![allow(dead_code)]

pub mod base_image;
pub mod hub;
pub mod run;

use crate::support::registries::Server as Script;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where the repository's links live in distribution's filesystem storage.
const V2: &str = "docker/registry/v2";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    Basic,
    Token,
}

/// A running registry (and its token issuer in token mode).
pub struct Registry {
    pub url: String,
    pub user: String,
    pub password: String,
    pub data: PathBuf,
    /// Token issuer's log: one line per issued token (token mode).
    pub tokens: Option<PathBuf>,
    /// The token realm the registry announces (token mode).
    pub realm: Option<String>,
    _servers: Vec<Script>,
}

/// Fails loudly, naming the setup step, when a tool the tests need is missing.
pub fn require_tools() {
    let missing: Vec<&str> = [
        "docker-registry",
        "skopeo",
        "umoci",
        "htpasswd",
        "openssl",
        "curl",
    ]
    .into_iter()
    .filter(|t| tagship::exec::resolve_program(t, None).is_err())
    .collect();
    assert!(
        missing.is_empty(),
        "missing for the OCI registry tests: {missing:?}: run scripts/setup.d/50-oci.sh"
    );
}

impl Registry {
    /// Starts it under `dir`; `relative` makes upload `Location`s relative (behind a proxy).
    pub fn start(dir: &Path, mode: AuthMode, relative: bool) -> Registry {
        Self::launch(dir, mode, relative, true)
    }

    /// Basic auth, with `storage.delete.enabled: false`: a DELETE gets 405, as on Docker Hub.
    pub fn start_without_deletes(dir: &Path) -> Registry {
        Self::launch(dir, AuthMode::Basic, false, false)
    }

    fn launch(dir: &Path, mode: AuthMode, relative: bool, deletes: bool) -> Registry {
        require_tools();
        let password = format!("pw-{}", fastrand::u64(..));
        let rel = if relative { "1" } else { "0" };
        let mut servers = Vec::new();
        let mut env: Vec<(&str, String)> = vec![
            ("OCI_PASSWORD", password.clone()),
            ("OCI_RELATIVE_URLS", rel.into()),
            ("OCI_DELETE", if deletes { "1" } else { "0" }.into()),
        ];
        let (mut tokens, mut realm) = (None, None);
        if mode == AuthMode::Token {
            let pw = [("OCI_PASSWORD", password.as_str())];
            let issuer = Script::start("oci_token.sh", &[], &dir.join("token"), &[], &pw);
            env.push(("OCI_AUTH", "token".into()));
            env.push(("OCI_TOKEN_REALM", issuer.s("url")));
            env.push(("OCI_TOKEN_CERT", issuer.s("cert")));
            tokens = Some(PathBuf::from(issuer.s("tokens")));
            realm = Some(issuer.s("url"));
            servers.push(issuer);
        }
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let reg = Script::start("oci_registry.sh", &[], &dir.join("registry"), &[], &env);
        let r = Registry {
            url: reg.s("url"),
            user: reg.s("user"),
            password,
            data: PathBuf::from(reg.s("data")),
            tokens,
            realm,
            _servers: Vec::new(),
        };
        servers.push(reg);
        Registry {
            _servers: servers,
            ..r
        }
    }

    /// `host:port` for image references.
    pub fn host(&self) -> String {
        self.url.trim_start_matches("http://").to_string()
    }

    fn repo_dir(&self, repo: &str) -> PathBuf {
        self.data.join(V2).join("repositories").join(repo)
    }

    /// What the repository links: `blob sha256:…`, `manifest sha256:…` (every revision,
    /// the index's too) and `tag <t>`, each → its digest hex.
    pub fn files(&self, repo: &str) -> BTreeMap<String, String> {
        let dir = self.repo_dir(repo);
        let mut out = BTreeMap::new();
        for (sub, kind) in [
            ("_layers/sha256", "blob"),
            ("_manifests/revisions/sha256", "manifest"),
        ] {
            for hex in subdirs(&dir.join(sub)) {
                if dir.join(sub).join(&hex).join("link").is_file() {
                    out.insert(format!("{kind} sha256:{hex}"), hex);
                }
            }
        }
        for tag in subdirs(&dir.join("_manifests/tags")) {
            let link = dir.join("_manifests/tags").join(&tag).join("current/link");
            if let Ok(d) = std::fs::read_to_string(link) {
                out.insert(
                    format!("tag {tag}"),
                    d.trim().trim_start_matches("sha256:").to_string(),
                );
            }
        }
        out
    }

    /// The bytes of a stored blob or manifest.
    pub fn blob(&self, hex: &str) -> Vec<u8> {
        let p = self
            .data
            .join(V2)
            .join("blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data");
        std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    /// The digest hex of `tag`'s child manifest for `arch`.
    pub fn child(&self, repo: &str, tag: &str, arch: &str) -> String {
        let idx = self.files(repo)[&format!("tag {tag}")].clone();
        let v: serde_json::Value = serde_json::from_slice(&self.blob(&idx)).unwrap();
        let m = v["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["platform"]["architecture"] == arch);
        let d = m.unwrap_or_else(|| panic!("no {arch} in {v:#}"))["digest"]
            .as_str()
            .unwrap();
        d.trim_start_matches("sha256:").to_string()
    }

    /// The layer digest hex of a child manifest.
    pub fn layer_of(&self, manifest_hex: &str) -> String {
        let v: serde_json::Value = serde_json::from_slice(&self.blob(manifest_hex)).unwrap();
        v["layers"][0]["digest"]
            .as_str()
            .unwrap()
            .trim_start_matches("sha256:")
            .to_string()
    }

    /// Unlinks a manifest revision (`kind` = "manifest") or a blob ("blob") from `repo`, as the
    /// registry's DELETE does; returns the name tagship's report gives it.
    pub fn delete(&self, repo: &str, kind: &str, hex: &str) -> String {
        let sub = if kind == "blob" {
            "_layers/sha256"
        } else {
            "_manifests/revisions/sha256"
        };
        let link = self.repo_dir(repo).join(sub).join(hex).join("link");
        std::fs::remove_file(&link).unwrap_or_else(|e| panic!("{}: {e}", link.display()));
        format!("{kind} sha256:{hex}")
    }

    /// Tokens the issuer handed out so far (token mode).
    pub fn tokens_issued(&self) -> usize {
        let p = self.tokens.as_ref().expect("token mode");
        std::fs::read_to_string(p)
            .unwrap_or_default()
            .lines()
            .count()
    }
}

fn subdirs(p: &Path) -> Vec<String> {
    let Ok(rd) = std::fs::read_dir(p) else {
        return Vec::new();
    };
    rd.flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}
