//! WinGet: the GitHub double (GitHub is hosted-only) serving `microsoft/winget-pkgs`, the
//! fork and the releases repository, on its own tokio runtime, with the fault proxy in front
//! of the WinGet side (github talks to the double directly). The double merges every new PR at
//! once (a moderator who approves instantly) so that "published" means "in winget-pkgs".
//! Mutations are counted where the suite's story happens — on upstream: its fork requests and
//! its pull requests (the fork's blobs/trees/commits/refs are the contributor's own scratch
//! space; the report's `mutating_sent` still counts every one of them).

use crate::common::{sha256, Fixture, Server, Traits, NAME, V};
use crate::support::github_double::GithubDouble;
use crate::support::registries::Proxy;
use std::collections::BTreeMap;
use std::path::Path;

pub const TOKEN: &str = "ghp_winget_conformance_8d1e";
pub const UPSTREAM: &str = "microsoft/winget-pkgs";
pub const ID: &str = "Acme.Demo";

pub struct Winget;

impl Fixture for Winget {
    fn traits(&self) -> Traits {
        Traits::HTTP
    }
    fn start(&self, dir: &Path) -> Box<dyn Server> {
        Box::new(start(dir, true))
    }
}

/// Starts the double (fork owner `acme`, upstream with a README on `master`); `merge_at_once`
/// merges every new PR.
pub fn start(dir: &Path, merge_at_once: bool) -> Running {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let double = rt.block_on(GithubDouble::start("acme", NAME, TOKEN));
    double.add_repo(UPSTREAM, "master");
    double.auto_merge(merge_at_once);
    let proxy = Proxy::start(&double.api_url(), &dir.join("winget-proxy"));
    Running {
        double,
        proxy,
        _rt: rt,
    }
}

pub struct Running {
    pub double: GithubDouble,
    pub proxy: Proxy,
    // Last: keeps the double serving until the servers above are gone.
    _rt: tokio::runtime::Runtime,
}

impl Running {
    /// The version folder on upstream.
    pub fn folder(&self) -> String {
        format!("manifests/a/Acme/Demo/{V}")
    }
    /// The upstream mutations (fork creation, pull requests) as `METHOD path`.
    pub fn upstream_writes(&self) -> Vec<String> {
        let prefix = format!("/repos/{UPSTREAM}/");
        self.double
            .requests()
            .into_iter()
            .filter(|(m, p)| m != "GET" && m != "HEAD" && p.starts_with(&prefix))
            .map(|(m, p)| format!("{m} {p}"))
            .collect()
    }
}

impl Server for Running {
    fn section(&self) -> String {
        let (api, url) = (self.double.api_url(), self.proxy.url());
        format!(
            "  github:\n    owner: acme\n    repo: {NAME}\n    api_url: \"{api}\"\n    upload_url: \"{api}/uploads\"\n  winget:\n    identifier: {ID}\n    publisher: Acme\n    moniker: {NAME}\n    fork_owner: acme\n    api_url: \"{url}\"\n"
        )
    }
    fn env(&self) -> Vec<(String, String)> {
        vec![
            ("GITHUB_TOKEN".into(), TOKEN.into()),
            ("WINGET_TOKEN".into(), TOKEN.into()),
        ]
    }
    fn credential(&self) -> &'static str {
        "WINGET_TOKEN"
    }
    fn targets(&self) -> &'static [&'static str] {
        &["windows-amd64", "windows-arm64"]
    }
    fn mutations(&self) -> Vec<String> {
        self.upstream_writes()
    }
    fn files(&self) -> BTreeMap<String, String> {
        self.double
            .files_in(UPSTREAM, "master", &self.folder())
            .into_iter()
            .map(|(n, b)| (n, sha256(&b)))
            .collect()
    }
    fn delete_one(&self) -> String {
        let name = format!("{ID}.locale.en-US.yaml");
        let path = format!("{}/{name}", self.folder());
        self.double
            .commit_files(UPSTREAM, "master", &[(path.as_str(), None)]);
        name
    }
    fn proxy(&self) -> Option<&Proxy> {
        Some(&self.proxy)
    }
    fn upload_match(&self) -> serde_json::Value {
        serde_json::json!({"method": "POST", "path_prefix": format!("/repos/{UPSTREAM}/pulls")})
    }
}
