//! chocolatey: the real NuGet v2 feed minchoc (scripts/servers/nuget.sh) behind the fault
//! proxy. The suite runs `mode: embed` (the binary inside the .nupkg): it needs no second
//! platform, so every mutation the suite counts is the feed's. `mode: download` (which needs
//! github) is covered with the GitHub double in tests/chocolatey_feed.rs, which reuses this
//! fixture (`ChocolateyDownload`). Mutations are the proxy's forwarded PUTs/DELETEs; deleting
//! the version behind tagship's back goes to the feed directly (the site's admin purge: a
//! NuGet DELETE only unlists there, as on the gallery).

#[path = "../chocolatey_support/mod.rs"]
mod choco;

use crate::common::{forwarded_mutations, sha256, Fixture, Server, Traits, NAME, V};
use crate::support::registries::Proxy;
use choco::Feed;
use std::collections::BTreeMap;
use std::path::Path;

#[allow(unused_imports)] // used by tests/chocolatey_feed.rs, which includes this file
pub use choco::{feed_entry, feed_search, nuget_install, unzip};

/// `mode: embed`, the conformance line.
pub struct Chocolatey;
/// `mode: download`, for a pipeline that also has github.
pub struct ChocolateyDownload;

fn start(dir: &Path, mode: &'static str) -> Box<dyn Server> {
    let feed = Feed::start(&dir.join("nuget"));
    let upstream = feed.url.trim_end_matches("api/v2/").to_string();
    let proxy = Proxy::start(&upstream, &dir.join("nuget-proxy"));
    Box::new(Running { feed, proxy, mode })
}

impl Fixture for Chocolatey {
    fn traits(&self) -> Traits {
        Traits::HTTP
    }
    fn start(&self, dir: &Path) -> Box<dyn Server> {
        start(dir, "embed")
    }
}

impl Fixture for ChocolateyDownload {
    fn traits(&self) -> Traits {
        Traits::HTTP
    }
    fn start(&self, dir: &Path) -> Box<dyn Server> {
        start(dir, "download")
    }
}

pub struct Running {
    pub feed: Feed,
    pub proxy: Proxy,
    mode: &'static str,
}

impl Running {
    pub fn package(&self) -> Option<Vec<u8>> {
        self.feed.package(NAME, V)
    }
}

impl Server for Running {
    fn section(&self) -> String {
        format!(
            "  chocolatey:\n    mode: {}\n    feed_url: \"{}api/v2/\"\n    project_url: https://github.com/acme/demo\n    tags: [demo, cli]\n",
            self.mode,
            self.proxy.url()
        )
    }
    fn env(&self) -> Vec<(String, String)> {
        vec![("CHOCOLATEY_API_KEY".into(), self.feed.key.clone())]
    }
    fn credential(&self) -> &'static str {
        "CHOCOLATEY_API_KEY"
    }
    fn targets(&self) -> &'static [&'static str] {
        &["windows-amd64"]
    }
    fn prepare(&self, project: &Path) {
        std::fs::write(
            project.join("LICENSE"),
            "MIT License\n\nCopyright (c) 2026 acme\n",
        )
        .unwrap();
    }
    fn mutations(&self) -> Vec<String> {
        forwarded_mutations(&self.proxy)
    }
    fn files(&self) -> BTreeMap<String, String> {
        self.package()
            .map(|b| BTreeMap::from([(format!("{NAME}.{V}.nupkg"), sha256(&b))]))
            .unwrap_or_default()
    }
    fn delete_one(&self) -> String {
        self.feed.delete(NAME, V);
        format!("{NAME}.{V}.nupkg")
    }
    fn proxy(&self) -> Option<&Proxy> {
        Some(&self.proxy)
    }
    fn upload_match(&self) -> serde_json::Value {
        serde_json::json!({"method": "PUT"})
    }
}
