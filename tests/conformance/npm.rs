//! npm: verdaccio (offline, htpasswd auth) behind the fault proxy. What a client downloads
//! is each package's version document and tarball; a package removed from verdaccio's
//! storage is the deletion behind tagship's back. Mutations are the proxy's forwarded PUTs.

use crate::common::{forwarded_mutations, named, sha256, Fixture, Server, Traits, V};
use crate::support::registries::{http, http_bytes, Proxy, Server as Script};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub struct Npm;

impl Fixture for Npm {
    fn traits(&self) -> Traits {
        Traits::HTTP
    }
    fn start(&self, dir: &Path) -> Box<dyn Server> {
        let npm = Script::start("verdaccio.sh", &[], &dir.join("npm"), &[], &[]);
        let proxy = Proxy::start(&npm.s("url"), &dir.join("npm-proxy"));
        Box::new(Running {
            storage: dir.join("npm/storage"),
            proxy,
            npm,
        })
    }
}

struct Running {
    storage: PathBuf,
    proxy: Proxy,
    npm: Script,
}

impl Running {
    /// Package names verdaccio stores.
    fn packages(&self) -> Vec<String> {
        let Ok(rd) = std::fs::read_dir(&self.storage) else {
            return Vec::new();
        };
        let mut v: Vec<String> = rd
            .flatten()
            .filter(|e| e.path().is_dir() && !e.file_name().to_string_lossy().starts_with('.'))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
}

impl Server for Running {
    fn section(&self) -> String {
        format!("  npm:\n    registry: \"{}\"\n", self.proxy.url())
    }
    fn env(&self) -> Vec<(String, String)> {
        vec![("NPM_TOKEN".into(), self.npm.s("token"))]
    }
    fn credential(&self) -> &'static str {
        "NPM_TOKEN"
    }
    fn mutations(&self) -> Vec<String> {
        forwarded_mutations(&self.proxy)
    }
    fn files(&self) -> BTreeMap<String, String> {
        self.files_at(V)
    }
    /// `<pkg>-<version>.tgz` → sha256 of the tarball verdaccio serves for that version.
    fn files_at(&self, version: &str) -> BTreeMap<String, String> {
        let base = self.npm.s("url");
        let mut out = BTreeMap::new();
        for pkg in self.packages() {
            let (status, body) = http("GET", &format!("{base}{pkg}/{version}"), None);
            if status != 200 {
                continue;
            }
            let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
            let url = doc["dist"]["tarball"].as_str().unwrap().to_string();
            let (status, tgz) = http_bytes("GET", &url, None);
            assert_eq!(status, 200, "GET {url}");
            out.insert(format!("{pkg}-{version}.tgz"), sha256(&tgz));
        }
        out
    }
    fn delete_one(&self) -> String {
        let name = named(self.files(), &["-linux-arm64-"]);
        let pkg = name.trim_end_matches(&format!("-{V}.tgz"));
        std::fs::remove_dir_all(self.storage.join(pkg)).unwrap();
        name
    }
    fn proxy(&self) -> Option<&Proxy> {
        Some(&self.proxy)
    }
    fn upload_match(&self) -> serde_json::Value {
        serde_json::json!({"method": "PUT"})
    }
}
