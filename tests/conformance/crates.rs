//! crates: the local sparse crates registry behind the fault proxy (index and API both go
//! through it), publishing a copy of `examples/hello-rust` at version V. A crate version is
//! one file: its index line plus its `.crate`; removing both on disk is the deletion behind
//! tagship's back. Mutations are counted from the registry's own request log.

use crate::common::{sha256, Fixture, Server, Traits, V};
use crate::support::crates::{copy_hello_rust, HELLO_RUST};
use crate::support::registries::{request_log, Proxy, Server as Script};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tagship::platforms::crates::index_path;

const CRATE: &str = "hello-rust";

pub struct Crates;

impl Fixture for Crates {
    fn traits(&self) -> Traits {
        Traits::HTTP
    }
    fn start(&self, dir: &Path) -> Box<dyn Server> {
        let crates = Script::start("crates.sh", &[], &dir.join("crates"), &[], &[]);
        let proxy = Proxy::start(&crates.s("api"), &dir.join("crates-proxy"));
        Box::new(Running {
            data: PathBuf::from(crates.s("data")),
            proxy,
            crates,
        })
    }
}

struct Running {
    data: PathBuf,
    proxy: Proxy,
    crates: Script,
}

impl Running {
    fn index_file(&self) -> PathBuf {
        self.data.join("index").join(index_path(CRATE))
    }
    fn crate_file(&self) -> PathBuf {
        self.crate_file_at(V)
    }
    fn crate_file_at(&self, version: &str) -> PathBuf {
        self.data
            .join(format!("crates/{CRATE}/{CRATE}-{version}.crate"))
    }
    /// The index lines, and the one for V.
    fn lines(&self) -> (Vec<String>, Option<serde_json::Value>) {
        self.lines_at(V)
    }
    fn lines_at(&self, version: &str) -> (Vec<String>, Option<serde_json::Value>) {
        let text = std::fs::read_to_string(self.index_file()).unwrap_or_default();
        let lines: Vec<String> = text.lines().map(String::from).collect();
        let ours = lines
            .iter()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .find(|l| l["vers"] == version);
        (lines, ours)
    }
}

impl Server for Running {
    fn section(&self) -> String {
        let url = self.proxy.url();
        format!(
            "  crates:\n    registry: local\n    index: \"sparse+{url}index/\"\n    api: \"{}\"\n    manifest: rust/Cargo.toml\n",
            url.trim_end_matches('/')
        )
    }
    fn env(&self) -> Vec<(String, String)> {
        vec![("CARGO_REGISTRY_TOKEN".into(), self.crates.s("token"))]
    }
    fn credential(&self) -> &'static str {
        "CARGO_REGISTRY_TOKEN"
    }
    /// hello-rust under `rust/`, at version V.
    fn prepare(&self, project: &Path) {
        let rust = project.join("rust");
        copy_hello_rust(&rust, HELLO_RUST);
        for f in ["Cargo.toml", "Cargo.lock"] {
            let path = rust.join(f);
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(text.contains("version = \"0.1.0\""), "{f}: {text}");
            let text = text.replacen("version = \"0.1.0\"", &format!("version = \"{V}\""), 1);
            std::fs::write(&path, text).unwrap();
        }
    }
    fn change_bytes(&self, project: &Path) {
        let main = project.join("rust/src/main.rs");
        let mut text = std::fs::read_to_string(&main).unwrap();
        text.push_str("\n// other bytes, same version\n");
        std::fs::write(&main, text).unwrap();
    }
    fn mutations(&self) -> Vec<String> {
        request_log(&self.crates.s("log"))
            .into_iter()
            .filter(|(m, _, _)| m != "GET" && m != "HEAD")
            .map(|(m, p, s)| format!("{m} {p} {s}"))
            .collect()
    }
    fn files(&self) -> BTreeMap<String, String> {
        self.files_at(V)
    }
    /// `<crate>-<version>.crate` → the index's cksum, when the index lists that version and
    /// the file is there.
    fn files_at(&self, version: &str) -> BTreeMap<String, String> {
        let (_, ours) = self.lines_at(version);
        let mut out = BTreeMap::new();
        if let (Some(line), Ok(bytes)) = (ours, std::fs::read(self.crate_file_at(version))) {
            let cksum = line["cksum"].as_str().unwrap().to_string();
            assert_eq!(
                cksum,
                sha256(&bytes),
                "the index describes the stored .crate"
            );
            out.insert(format!("{CRATE}-{version}.crate"), cksum);
        }
        out
    }
    fn delete_one(&self) -> String {
        let (lines, _) = self.lines();
        let keep: Vec<&String> = lines
            .iter()
            .filter(|l| !l.contains(&format!("\"vers\":\"{V}\"")))
            .collect();
        assert_eq!(
            keep.len() + 1,
            lines.len(),
            "one index line for {V}: {lines:?}"
        );
        let text: String = keep.iter().map(|l| format!("{l}\n")).collect();
        std::fs::write(self.index_file(), text).unwrap();
        std::fs::remove_file(self.crate_file()).unwrap();
        format!("{CRATE}-{V}.crate")
    }
    fn proxy(&self) -> Option<&Proxy> {
        Some(&self.proxy)
    }
    fn upload_match(&self) -> serde_json::Value {
        serde_json::json!({"method": "PUT"})
    }
}
