//! Snapshots of everything `tagship init` writes, for one project of each kind, from the pure
//! renderers (the files on disk and their validation are tests/init_workflows.rs).

use super::detect::{Detected, GithubRepo, Kind};
use super::plan;

fn project(kind: Kind, source: &'static str) -> Detected {
    Detected {
        kind,
        source: Some(source),
        name: "demo".into(),
        description: "A demo: it says \"hi\" # not a comment".into(),
        license: Some("MIT OR Apache-2.0".into()),
        homepage: Some("https://example.com/demo".into()),
        binary: "demo".into(),
        github: Some(GithubRepo {
            owner: "acme".into(),
            repo: "demo".into(),
        }),
        files: vec!["README.md".into(), "LICENSE".into()],
        builds: super::builds::defaults(kind),
    }
}

fn snapshot_all(name: &str, d: &Detected) {
    for f in plan(d, "1.2.3") {
        let file = f.path.rsplit('/').next().unwrap();
        insta::assert_snapshot!(format!("{name}-{file}"), f.text);
    }
}

#[test]
fn rust_project() {
    snapshot_all("rust", &project(Kind::Rust, "Cargo.toml"));
}

#[test]
fn go_project() {
    snapshot_all("go", &project(Kind::Go, "go.mod"));
}

/// A Rust project whose pipeline.yaml builds for other systems: a build job per target on
/// its native runner, then one release job that merges the parts.
#[test]
fn rust_project_with_native_targets_gets_a_build_matrix() {
    let mut d = project(Kind::Rust, "Cargo.toml");
    let b: crate::config::model::BuildConfig = serde_json::from_value(serde_json::json!({
        "command": ["cargo", "build", "--release"], "binary": "target/release/demo",
        "targets": ["linux-amd64", "linux-arm64", "darwin-arm64", "windows-amd64"]
    }))
    .unwrap();
    d.builds = super::builds::from_builds(&[b]);
    let release = super::workflow::release(&d, "1.2.3");
    insta::assert_snapshot!("rust-matrix-release.yml", release);
}

#[test]
fn node_project_without_a_github_remote() {
    let mut d = project(Kind::Node, "package.json");
    d.github = None;
    snapshot_all("node", &d);
}

/// Every rendered pipeline is accepted by tagship's own loader (schema, semantics).
#[test]
fn every_kind_renders_a_pipeline_the_loader_accepts() {
    for kind in [Kind::Rust, Kind::Go, Kind::Node, Kind::Python, Kind::Other] {
        let d = project(kind, "x");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pipeline.yaml");
        std::fs::write(&path, super::pipeline::render(&d)).unwrap();
        if let Err(e) = crate::config::load(&path, None, &Default::default()) {
            panic!("{kind:?}: {e}\n{}", super::pipeline::render(&d));
        }
    }
}
