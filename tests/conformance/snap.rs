//! snap: the Snap Store double (the store is hosted only; tests/snap_support) on its own tokio
//! runtime behind the fault proxy, storage and publisher API on one listener. What a client
//! gets is the channel map: `<file>` for each revision of the version and `<file>#<channel>`
//! for each channel holding it. The deletion behind tagship's back takes the arm64 revision
//! out of the channel (as a publisher could on the dashboard), so the re-publish is one
//! release request. Mutations are the double's own log of non-GET requests.

#[path = "../snap_support/mod.rs"]
mod store;

use crate::common::{Fixture, Server, Traits, V};
use crate::support::registries::Proxy;
use std::collections::BTreeMap;
use std::path::Path;
use store::project::{require_tools, section, start_store, Store};

const CHANNEL: &str = "latest/stable";

pub struct Snap;

impl Fixture for Snap {
    fn traits(&self) -> Traits {
        Traits::HTTP
    }
    fn start(&self, dir: &Path) -> Box<dyn Server> {
        require_tools();
        let store = start_store("demo");
        let proxy = Proxy::start(&store.url(), &dir.join("snap-proxy"));
        store.set_public(&proxy.url());
        Box::new(Running { proxy, store })
    }
}

struct Running {
    proxy: Proxy,
    // Last: keeps the double serving until the proxy is gone.
    store: Store,
}

impl Server for Running {
    fn section(&self) -> String {
        section(&self.proxy.url(), &format!("    channels: [{CHANNEL}]\n"))
    }
    fn env(&self) -> Vec<(String, String)> {
        vec![("SNAPCRAFT_STORE_CREDENTIALS".into(), self.store.login.exported.clone())]
    }
    fn credential(&self) -> &'static str {
        "SNAPCRAFT_STORE_CREDENTIALS"
    }
    fn mutations(&self) -> Vec<String> {
        self.store.mutations()
    }
    fn files(&self) -> BTreeMap<String, String> {
        self.store.files_of(V)
    }
    fn delete_one(&self) -> String {
        self.store.unrelease(CHANNEL, "arm64")
    }
    fn proxy(&self) -> Option<&Proxy> {
        Some(&self.proxy)
    }
    fn upload_match(&self) -> serde_json::Value {
        serde_json::json!({"method": "POST", "path_prefix": "/dev/api/snap-release/"})
    }
}
