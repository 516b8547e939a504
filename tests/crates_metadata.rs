//! Metadata fidelity: the same crate published by real `cargo publish` to registry B and by
//! the `crates` adapter to registry A must produce the same index line (deps with renames,
//! optional/default-features/features, target-specific, dev and build deps; features and
//! features2; links; rust_version). Only `cksum` and `pubtime` may differ.
//! Both registries are `scripts/servers/crates.sh`; nothing leaves 127.0.0.1.
//! Fails naming the start script when it is missing.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use support::crates::{cargo_home, Registry};
use tagship::exec::Exec;
use tagship::guard::Ledger;
use tagship::http::{Http, HttpOptions};
use tagship::plan::Project;
use tagship::platform::{Cx, Live, Release};
use tagship::platforms::crates;
use tagship::redact::Secret;

/// The last line of the crate's index file on disk, without `cksum` and `pubtime` and with
/// its dependencies sorted.
fn index_line(reg: &Registry, name: &str) -> serde_json::Value {
    let path = PathBuf::from(reg.get("data"))
        .join("index")
        .join(crates::index_path(name));
    let text = std::fs::read_to_string(&path).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    let o = v.as_object_mut().unwrap();
    o.remove("cksum");
    o.remove("pubtime");
    // Dependency order is not meaningful; compare them sorted.
    let deps = o.get_mut("deps").unwrap().as_array_mut().unwrap();
    deps.sort_by_key(|d| d.to_string());
    v
}

const LIB: &str = r#"[package]
name = "tagship-meta-lib"
version = "0.1.0"
edition = "2021"
description = "fixture"
license = "MIT"

[features]
extra = []

[workspace]
"#;

/// `REG` is replaced by the registry the crate is published to.
const BIN: &str = r#"[package]
name = "tagship-meta-bin"
version = "0.3.1"
edition = "2021"
description = "metadata fidelity fixture"
license = "MIT OR Apache-2.0"
readme = "README.md"
keywords = ["fixture"]
categories = ["development-tools"]
authors = ["Tagship Tests <tests@example.invalid>"]
rust-version = "1.70"
links = "tagshipmeta"
build = "build.rs"

[dependencies]
smokelib = { package = "tagship-meta-lib", version = "0.1", registry = "REG", optional = true, default-features = false, features = ["extra"] }

[target.'cfg(unix)'.dependencies]
tagship-meta-lib = { version = "0.1.0", registry = "REG" }

[dev-dependencies]
tagship-meta-lib = { version = "=0.1.0", registry = "REG" }

[build-dependencies]
tagship-meta-lib = { version = "0.1", registry = "REG" }

[features]
default = []
greet = ["dep:smokelib"]
loud = ["smokelib?/extra"]

[workspace]
"#;

fn write_crate(dir: &Path, manifest: &str, bin: bool) {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    std::fs::write(dir.join("README.md"), "# fixture\n").unwrap();
    if bin {
        std::fs::write(dir.join("src/main.rs"), "fn main() {}\n").unwrap();
        std::fs::write(dir.join("build.rs"), "fn main() {}\n").unwrap();
    } else {
        std::fs::write(dir.join("src/lib.rs"), "").unwrap();
    }
}

fn cargo_publish(dir: &Path, reg: &str, token: &str) {
    let var = format!("CARGO_REGISTRIES_{}_TOKEN", reg.to_ascii_uppercase());
    let out = Command::new("cargo")
        .args(["publish", "--no-verify", "--allow-dirty", "--registry", reg])
        .current_dir(dir)
        .env(var, token)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo publish to {reg} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn server_index_line_matches_cargo_publish() {
    let a = Registry::start();
    let b = Registry::start();
    let t = tempfile::tempdir().unwrap();
    // A scratch CARGO_HOME knows both registries; this test binary runs only this test, so
    // setting it process-wide (the adapter's `cargo package` inherits it) races nothing.
    let home = cargo_home(t.path(), &[("a", &a), ("b", &b)]);
    std::env::set_var("CARGO_HOME", &home);

    let lib = t.path().join("lib");
    write_crate(&lib, LIB, false);
    cargo_publish(&lib, "a", &a.get("token"));
    cargo_publish(&lib, "b", &b.get("token"));

    // Reference: cargo publishes the bin crate to B.
    let by_cargo = t.path().join("bin-b");
    write_crate(&by_cargo, &BIN.replace("REG", "b"), true);
    cargo_publish(&by_cargo, "b", &b.get("token"));

    // tagship publishes the same crate (dependencies on A) to A.
    let ours = t.path().join("bin-a");
    write_crate(&ours, &BIN.replace("REG", "a"), true);
    let cx = crates_cx(&ours, &a);
    let cfg = serde_json::json!({"registry": "a", "index": a.get("index"), "allow_dirty": true});
    let p = (crates::FACTORY.build)(&cfg, &Project::default()).unwrap();
    let pkgs = p.package(&cx).await.unwrap();
    assert_eq!(p.check(&cx, &pkgs).await.unwrap(), Live::Absent);
    p.publish(&cx, &Live::Absent, &pkgs).await.unwrap();

    let (theirs, mine) = (
        index_line(&b, "tagship-meta-bin"),
        index_line(&a, "tagship-meta-bin"),
    );
    assert_eq!(mine, theirs, "tagship's index line differs from cargo's");
    // Guard against comparing two empty lines: the interesting parts are there.
    let deps = mine["deps"].as_array().unwrap();
    assert_eq!(deps.len(), 4, "{mine:#}");
    assert!(
        mine.to_string()
            .contains("\"package\":\"tagship-meta-lib\""),
        "{mine:#}"
    );
    assert_eq!(mine["links"], "tagshipmeta");
}

/// The crates platform's context for releasing the crate at `ours` (0.3.1) to registry `a`.
fn crates_cx(ours: &Path, a: &Registry) -> Cx {
    let dist = ours.join("dist");
    std::fs::create_dir_all(dist.join("crates")).unwrap();
    let ledger = Ledger::default();
    let mut secrets = BTreeMap::new();
    secrets.insert("CARGO_REGISTRY_TOKEN".into(), Secret::new(a.get("token")));
    Cx {
        platform: "crates".into(),
        http: Http::new(HttpOptions::default(), ledger.clone()).unwrap(),
        exec: Exec::new(false, ledger),
        release: Arc::new(Release {
            project: Project::default(),
            version: semver::Version::new(0, 3, 1),
            tag: "v0.3.1".into(),
            commit: None,
            dist,
            artifacts: Vec::new(),
            root: ours.to_path_buf(),
            epoch: 315_532_800,
        }),
        secrets,
        deps: BTreeMap::new(),
    }
}
