//! What tests/split_build.rs needs beyond tests/registries_common: the five targets of
//! examples/hello-go, one `tagship build --target` process per target, and every file the
//! local registries hold for the release (fetched back, so "the same bytes" is checked on
//! what the servers serve, not on what tagship thinks it sent).

use crate::common::*;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The example's targets (examples/hello-go/pipeline.yaml).
pub const TARGETS: [&str; 5] = [
    "linux-amd64",
    "linux-arm64",
    "darwin-amd64",
    "darwin-arm64",
    "windows-amd64",
];

/// One `tagship build TAG --target T --dist <under>/T` per target, each its own process
/// and directory (as each runner of a CI matrix would); returns the directories.
pub fn build_parts(p: &Project, tag: &str, under: &str) -> Vec<PathBuf> {
    TARGETS
        .iter()
        .map(|t| {
            let dir = p.path().join(under).join(t);
            let d = dir.to_str().unwrap();
            p.run(&["build", tag, "--target", t, "--dist", d])
                .assert_code(0);
            assert!(dir.join("part.json").is_file(), "{}", dir.display());
            dir
        })
        .collect()
}

/// `publish --merge DIR…` plus `extra` arguments.
pub fn merge(p: &Project, dirs: &[PathBuf], extra: &[&str]) -> Run {
    let mut args: Vec<&str> = vec!["publish", "--merge"];
    args.extend(dirs.iter().map(|d| d.to_str().unwrap()));
    args.extend(extra);
    p.run(&args)
}

/// Copies a part directory tree (to tamper with the copy).
pub fn copy_part(from: &Path, to: &Path) {
    for f in crate::support::cli::walk(from) {
        copy(&f, &to.join(f.strip_prefix(from).unwrap()));
    }
}

/// Every published file, by registry and name: npm's tarballs (the root and each platform
/// package its `optionalDependencies` name), pypiserver's files, the .crate, and every file
/// of the PEP 503 branch.
pub fn published(r: &Registries) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let npm = r.npm.s("url");
    let (st, root) = http("GET", &format!("{npm}hello"), None);
    assert_eq!(st, 200, "{root}");
    let root: Value = serde_json::from_str(&root).unwrap();
    let deps = root["versions"][V]["optionalDependencies"]
        .as_object()
        .expect("platform packages")
        .clone();
    assert_eq!(deps.len(), TARGETS.len(), "{deps:?}");
    for name in std::iter::once("hello").chain(deps.keys().map(String::as_str)) {
        let url = format!("{npm}{name}/-/{name}-{V}.tgz");
        let (st, bytes) = http_bytes("GET", &url, None);
        assert_eq!(st, 200, "{url}");
        out.insert(format!("npm/{name}-{V}.tgz"), bytes);
    }
    for f in r.pypi_files() {
        let bytes = std::fs::read(r.pypi_packages().join(&f)).unwrap();
        out.insert(format!("pypi/{f}"), bytes);
    }
    let url = format!("{}/hello-rust/{V}/download", r.crates.s("dl"));
    let (st, bytes) = http_bytes("GET", &url, None);
    assert_eq!(st, 200, "{url}");
    out.insert(format!("crates/hello-rust-{V}.crate"), bytes);
    let tree = run_ok(Command::new("git").arg("-C").arg(&r.bare).args([
        "ls-tree",
        "-r",
        "--name-only",
        "gh-pages",
    ]));
    for f in tree.lines() {
        out.insert(format!("pep503/{f}"), r.index_file(f));
    }
    out
}

/// Each platform's row as the comparison needs it: outcome, uploaded files and packages
/// (name and sha256), in report order.
pub fn outcomes(rep: &Value) -> Vec<Value> {
    rep["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let packages: Vec<Value> = p["packages"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|x| json!([x["name"], x["sha256"], x["size"]]))
                        .collect()
                })
                .unwrap_or_default();
            json!({"id": p["id"], "outcome": p["outcome"], "uploaded": p["uploaded"],
                   "packages": packages})
        })
        .collect()
}
