//! PyPI: pypiserver (no overwrite, auth for uploads) behind the fault proxy. Its package
//! directory is what pip downloads; deleting a wheel there is the deletion behind tagship's
//! back. Mutations are the proxy's forwarded uploads.

use crate::common::{dir_files, forwarded_mutations, named, Fixture, Server, Traits};
use crate::support::registries::{Proxy, Server as Script};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub struct Pypi;

impl Fixture for Pypi {
    fn traits(&self) -> Traits {
        Traits::HTTP
    }
    fn start(&self, dir: &Path) -> Box<dyn Server> {
        let password = format!("pw-{}", fastrand::u64(..));
        let pypi = Script::start(
            "pypiserver.sh",
            &[],
            &dir.join("pypi"),
            &[],
            &[("PYPI_PASSWORD", &password)],
        );
        let proxy = Proxy::start(&pypi.s("url"), &dir.join("pypi-proxy"));
        Box::new(Running {
            packages: PathBuf::from(pypi.s("packages")),
            password,
            proxy,
            _pypi: pypi,
        })
    }
}

struct Running {
    packages: PathBuf,
    password: String,
    proxy: Proxy,
    _pypi: Script,
}

impl Server for Running {
    fn section(&self) -> String {
        let url = self.proxy.url();
        format!(
            "  pypi:\n    repository_url: \"{url}\"\n    check_via: simple\n    simple_url: \"{url}simple/\"\n    username: tester\n"
        )
    }
    fn env(&self) -> Vec<(String, String)> {
        vec![("PYPI_TOKEN".into(), self.password.clone())]
    }
    fn credential(&self) -> &'static str {
        "PYPI_TOKEN"
    }
    fn mutations(&self) -> Vec<String> {
        forwarded_mutations(&self.proxy)
    }
    fn files(&self) -> BTreeMap<String, String> {
        dir_files(&self.packages)
    }
    fn files_at(&self, version: &str) -> BTreeMap<String, String> {
        let mut all = dir_files(&self.packages);
        all.retain(|name, _| name.contains(&format!("-{version}-")));
        all
    }
    fn delete_one(&self) -> String {
        let name = named(self.files(), &["aarch64", ".whl"]);
        std::fs::remove_file(self.packages.join(&name)).unwrap();
        name
    }
    fn proxy(&self) -> Option<&Proxy> {
        Some(&self.proxy)
    }
    fn upload_match(&self) -> serde_json::Value {
        serde_json::json!({"method": "POST"})
    }
}
