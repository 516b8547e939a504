//! The local sparse cargo registry (`scripts/servers/crates.sh`) for the crates tests, on
//! top of `registries::Server` (its JSON line's fields, stopped with `stop.sh` on drop), in
//! a fresh temp dir: its request log, its index over HTTP, plus a copy of
//! `examples/hello-rust` (or `examples/rust-workspace`) and a scratch CARGO_HOME that knows
//! the registry.
//! A missing start script FAILS naming it and the setup (no opt-out inside a test).

#![allow(dead_code)]

use super::registries::{http, repo, request_log, Server, SETUP};
use std::path::{Path, PathBuf};
use tagship::platforms::crates::index_path;

/// Every file of `examples/hello-rust` (what git tracks there).
pub const HELLO_RUST: &[&str] = &[
    "pipeline.yaml",
    "Cargo.toml",
    "Cargo.lock",
    "README.md",
    "src/main.rs",
];

/// Every file of `examples/rust-workspace`.
pub const RUST_WORKSPACE: &[&str] = &[
    "pipeline.yaml",
    "Cargo.toml",
    "Cargo.lock",
    "README.md",
    "crates/wsdemo-core/Cargo.toml",
    "crates/wsdemo-core/src/lib.rs",
    "crates/wsdemo-greet/Cargo.toml",
    "crates/wsdemo-greet/src/lib.rs",
    "crates/wsdemo/Cargo.toml",
    "crates/wsdemo/src/main.rs",
    "crates/wsdemo-xtask/Cargo.toml",
    "crates/wsdemo-xtask/src/main.rs",
];

/// Copies `files` of `examples/hello-rust` into `to`, so tests never write into the repo.
pub fn copy_hello_rust(to: &Path, files: &[&str]) {
    copy_example("hello-rust", to, files);
}

/// Copies `files` of `examples/<name>` into `to`.
pub fn copy_example(name: &str, to: &Path, files: &[&str]) {
    let ex = repo().join("examples").join(name);
    for f in files {
        let dest = to.join(f);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(ex.join(f), dest).unwrap();
    }
}

/// Fails naming `scripts/servers/<script>` (and the setup) when it is missing.
pub fn require_script(script: &str) {
    let path = repo().join("scripts/servers").join(script);
    assert!(
        path.exists(),
        "{} is missing: it starts a local server these tests need (see \
         docs/test-servers.md; scripts/setup.sh installs the test registries, {SETUP})",
        path.display()
    );
}

/// A running crates registry in its own temp dir; stopped (whole process group) on drop.
pub struct Registry {
    pub server: Server,
    // Last: removed after the server has been stopped.
    tmp: tempfile::TempDir,
}

impl Registry {
    /// Starts a fresh registry.
    pub fn start() -> Registry {
        Registry::start_with(&[])
    }

    /// Like `start`, with extra environment for crates.sh (`CRATES_DUPLICATE_STATUS`,
    /// `CRATES_BASE_URL`, `CRATES_TOKEN`).
    pub fn start_with(env: &[(&str, &str)]) -> Registry {
        require_script("crates.sh");
        let tmp = tempfile::tempdir().unwrap();
        let server = Server::start("crates.sh", &[], &tmp.path().join("reg"), &[], env);
        Registry { server, tmp }
    }

    /// The temp dir holding the registry's dir (`reg/`); a test's other servers can go here.
    pub fn root(&self) -> &Path {
        self.tmp.path()
    }

    /// A string field of crates.sh's JSON line (`index`, `token`, `log`, `data`, ...).
    pub fn get(&self, k: &str) -> String {
        self.server.s(k)
    }

    pub fn port(&self) -> u16 {
        self.server.port()
    }

    /// `(method, status)` of every request the registry saw.
    pub fn requests(&self) -> Vec<(String, u64)> {
        request_log(&self.get("log"))
            .into_iter()
            .map(|(method, _, status)| (method, status))
            .collect()
    }

    /// Requests the registry saw with this method.
    pub fn count(&self, method: &str) -> usize {
        self.requests().iter().filter(|(m, _)| m == method).count()
    }

    /// The status of every PUT (upload), in order.
    pub fn puts(&self) -> Vec<u64> {
        self.requests()
            .into_iter()
            .filter(|(m, _)| m == "PUT")
            .map(|(_, s)| s)
            .collect()
    }

    /// Every line of the request log, in order (`method`, `path`, `status`, and `crate`
    /// ("name@vers") on an upload).
    pub fn log(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.get("log"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// The crates the registry accepted ("name@vers"), in upload order.
    pub fn published(&self) -> Vec<String> {
        self.log()
            .iter()
            .filter(|r| r["method"] == "PUT" && r["status"] == 200)
            .filter_map(|r| r["crate"].as_str().map(str::to_string))
            .collect()
    }

    /// The crate's index file as served over HTTP (None unless 200).
    pub fn index_file(&self, name: &str) -> Option<String> {
        let base = self.get("index").trim_start_matches("sparse+").to_string();
        let (status, body) = http("GET", &format!("{base}{}", index_path(name)), None);
        (status == 200).then_some(body)
    }
}

/// Creates `dir/cargo-home` with a config.toml naming each `(name, registry)` pair's index
/// as `[registries.<name>]`; returns its path (for CARGO_HOME).
pub fn cargo_home(dir: &Path, registries: &[(&str, &Registry)]) -> PathBuf {
    let home = dir.join("cargo-home");
    std::fs::create_dir_all(&home).unwrap();
    let config: String = registries
        .iter()
        .map(|(name, reg)| format!("[registries.{name}]\nindex = \"{}\"\n", reg.get("index")))
        .collect();
    std::fs::write(home.join("config.toml"), config).unwrap();
    home
}

/// `cargo install --registry local NAME --version =VERSION` from `reg` into a scratch root,
/// as a user would; returns the temp dir whose `inst/bin/` holds the installed binaries.
pub fn cargo_install(reg: &Registry, name: &str, version: &str) -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    let home = cargo_home(t.path(), &[("local", reg)]);
    let out = std::process::Command::new("cargo")
        .args(["install", "--registry", "local", name, "--version"])
        .arg(format!("={version}"))
        .arg("--root")
        .arg(t.path().join("inst"))
        .env("CARGO_HOME", &home)
        .env("CARGO_TARGET_DIR", t.path().join("build"))
        .env_remove("CARGO_REGISTRY_TOKEN")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo install failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    t
}
