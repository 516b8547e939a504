//! GitHub Releases: the in-process double (GitHub is hosted-only), served on its own tokio
//! runtime so the real `tagship` binary can reach it, behind the fault proxy (API and
//! uploads). Mutations are counted from the double's own request log.

use crate::common::{named, sha256, Fixture, Server, Traits, TAG};
use crate::support::github_double::GithubDouble;
use crate::support::registries::Proxy;
use std::collections::BTreeMap;
use std::path::Path;

const TOKEN: &str = "ghp_conformance_token_51d0c2";

pub struct Github;

impl Fixture for Github {
    fn traits(&self) -> Traits {
        Traits::HTTP
    }
    fn start(&self, dir: &Path) -> Box<dyn Server> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let double = rt.block_on(GithubDouble::start("acme", "demo", TOKEN));
        let proxy = Proxy::start(&double.api_url(), &dir.join("github-proxy"));
        Box::new(Running {
            double,
            proxy,
            _rt: rt,
        })
    }
}

struct Running {
    double: GithubDouble,
    proxy: Proxy,
    // Last: keeps the double serving until the servers above are gone.
    _rt: tokio::runtime::Runtime,
}

impl Server for Running {
    fn section(&self) -> String {
        let url = self.proxy.url();
        format!(
            "  github:\n    owner: acme\n    repo: demo\n    api_url: \"{url}\"\n    upload_url: \"{url}uploads\"\n"
        )
    }
    fn env(&self) -> Vec<(String, String)> {
        vec![("GITHUB_TOKEN".into(), TOKEN.into())]
    }
    fn credential(&self) -> &'static str {
        "GITHUB_TOKEN"
    }
    fn mutations(&self) -> Vec<String> {
        self.double
            .requests()
            .into_iter()
            .filter(|(m, _)| m != "GET" && m != "HEAD")
            .map(|(m, p)| format!("{m} {p}"))
            .collect()
    }
    fn files(&self) -> BTreeMap<String, String> {
        let Some(rel) = self.double.release(TAG) else {
            return BTreeMap::new();
        };
        rel["assets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                let name = a["name"].as_str().unwrap().to_string();
                let bytes = self.double.asset_bytes(TAG, &name).unwrap();
                (name, sha256(&bytes))
            })
            .collect()
    }
    fn delete_one(&self) -> String {
        let name = named(self.files(), &["linux_arm64", ".tar.gz"]);
        self.double.remove_asset(TAG, &name);
        name
    }
    fn proxy(&self) -> Option<&Proxy> {
        Some(&self.proxy)
    }
    fn upload_match(&self) -> serde_json::Value {
        serde_json::json!({"method": "POST", "path_prefix": "/uploads/"})
    }
}
