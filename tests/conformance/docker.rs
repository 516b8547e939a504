//! docker: Debian's docker-registry (htpasswd Basic auth, relative upload `Location`s so
//! uploads come back through the proxy) behind the fault proxy. What a client pulls is what
//! the repository links in the registry's storage; unlinking the arm64 child manifest is the
//! deletion behind tagship's back. Mutations are the proxy's forwarded POSTs/PUTs.

#[path = "../docker_support/mod.rs"]
mod oci;

use crate::common::{forwarded_mutations, Fixture, Server, Traits, V};
use crate::support::registries::Proxy;
use oci::{AuthMode, Registry};
use std::collections::BTreeMap;
use std::path::Path;

const REPO: &str = "acme/demo";

pub struct Docker;

impl Fixture for Docker {
    fn traits(&self) -> Traits {
        Traits::HTTP
    }
    fn start(&self, dir: &Path) -> Box<dyn Server> {
        let registry = Registry::start(&dir.join("oci"), AuthMode::Basic, true);
        let proxy = Proxy::start(&registry.url, &dir.join("oci-proxy"));
        Box::new(Running { registry, proxy })
    }
}

struct Running {
    registry: Registry,
    proxy: Proxy,
}

impl Server for Running {
    fn section(&self) -> String {
        format!(
            "  docker:\n    image: \"{}/{REPO}\"\n    registry_url: \"{}\"\n",
            self.registry.host(),
            self.proxy.url()
        )
    }
    fn env(&self) -> Vec<(String, String)> {
        vec![
            ("DOCKER_USERNAME".into(), self.registry.user.clone()),
            ("DOCKER_PASSWORD".into(), self.registry.password.clone()),
        ]
    }
    fn credential(&self) -> &'static str {
        "DOCKER_PASSWORD"
    }
    fn mutations(&self) -> Vec<String> {
        forwarded_mutations(&self.proxy)
    }
    fn files(&self) -> BTreeMap<String, String> {
        self.registry.files(REPO)
    }
    fn delete_one(&self) -> String {
        let child = self.registry.child(REPO, V, "arm64");
        self.registry.delete(REPO, "manifest", &child)
    }
    fn proxy(&self) -> Option<&Proxy> {
        Some(&self.proxy)
    }
    fn upload_match(&self) -> serde_json::Value {
        serde_json::json!({"method": "PUT"})
    }
}
