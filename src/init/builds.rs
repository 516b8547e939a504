//! Which runners a project's builds need (issue 13), for the release workflow: read from
//! pipeline.yaml's `builds:` when the project has one, else from the builds init writes.
//!
//! The rule: a target builds on the one Linux runner when it is `linux-amd64` or its build
//! is pure Go (`go …` with `CGO_ENABLED: "0"`), which cross-compiles anywhere. When every
//! target does, the release stays one job. Otherwise every target gets its own job on a
//! native runner (`runner`), each uploads its dist part (`tagship build --target`), and one
//! job merges and publishes (`tagship publish --merge`): darwin on macOS, windows on Windows,
//! linux-arm64 on GitHub's arm64 Linux runner.

use super::detect::Kind;
use crate::config::model::BuildConfig;
use crate::plan::{Arch, Os, Target};
use std::path::Path;

/// The build targets of a project and whether they all build on one Linux runner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildPlan {
    /// Every target of `builds:`, sorted, once each.
    pub targets: Vec<Target>,
    /// Every target builds on the one Linux runner: the release is one job.
    pub one_runner: bool,
    pub source: PlanSource,
}

/// Where a [`BuildPlan`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanSource {
    /// The builds init writes for the project's kind (no pipeline.yaml yet).
    Init,
    /// pipeline.yaml's `builds:`.
    PipelineYaml,
    /// pipeline.yaml exists but does not load: init's builds, and init says so.
    InvalidPipelineYaml,
}

/// From `dir/pipeline.yaml` when it loads, else the defaults for `kind`.
pub fn read(dir: &Path, kind: Kind) -> BuildPlan {
    let path = dir.join("pipeline.yaml");
    if path.symlink_metadata().is_err() {
        return defaults(kind);
    }
    match crate::config::load(&path, None, &Default::default()) {
        Ok(l) => from_builds(&l.pipeline.builds),
        Err(_) => BuildPlan {
            source: PlanSource::InvalidPipelineYaml,
            ..defaults(kind)
        },
    }
}

/// The builds `init` writes for `kind` (pipeline.rs): Rust for linux-amd64, pure Go for
/// five targets, nothing to build for the others.
pub fn defaults(kind: Kind) -> BuildPlan {
    let t = |s: &str| Target::parse(s).expect("a known target");
    let targets = match kind {
        Kind::Rust => vec![t("linux-amd64")],
        Kind::Go => ["linux-amd64", "linux-arm64", "darwin-amd64", "darwin-arm64"]
            .into_iter()
            .chain(["windows-amd64"])
            .map(t)
            .collect(),
        Kind::Node | Kind::Python | Kind::Other => Vec::new(),
    };
    BuildPlan {
        targets,
        one_runner: true,
        source: PlanSource::Init,
    }
}

/// The plan of `builds:` as written.
pub fn from_builds(builds: &[BuildConfig]) -> BuildPlan {
    let mut targets: Vec<Target> = builds.iter().flat_map(|b| b.targets.clone()).collect();
    targets.sort();
    targets.dedup();
    let on_linux = |b: &BuildConfig, t: &Target| {
        let pure_go = b.command.first().is_some_and(|c| c == "go")
            && b.env.get("CGO_ENABLED").is_some_and(|v| v == "0");
        pure_go || *t == Target::parse("linux-amd64").expect("a known target")
    };
    let one_runner = builds
        .iter()
        .all(|b| b.targets.iter().all(|t| on_linux(b, t)));
    BuildPlan {
        targets,
        one_runner,
        source: PlanSource::PipelineYaml,
    }
}

/// The GitHub-hosted runner that builds `t` natively.
pub fn runner(t: Target) -> &'static str {
    match (t.os, t.arch) {
        (Os::Darwin, Arch::Amd64) => "macos-15-intel",
        (Os::Darwin, _) => "macos-latest",
        (Os::Windows, Arch::Arm64) => "windows-11-arm",
        (Os::Windows, _) => "windows-latest",
        (Os::Linux, Arch::Arm64) => "ubuntu-24.04-arm",
        _ => "ubuntu-latest",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(cmd: &str, cgo: Option<&str>, targets: &[&str]) -> BuildConfig {
        let mut env = serde_json::Map::new();
        if let Some(v) = cgo {
            env.insert("CGO_ENABLED".into(), v.into());
        }
        serde_json::from_value(serde_json::json!({
            "command": [cmd, "build"], "binary": "x", "env": env, "targets": targets
        }))
        .unwrap()
    }

    #[test]
    fn pure_go_and_linux_amd64_stay_on_one_runner() {
        let all = ["linux-amd64", "darwin-arm64", "windows-amd64"];
        assert!(from_builds(&[build("go", Some("0"), &all)]).one_runner);
        assert!(from_builds(&[build("cargo", None, &["linux-amd64"])]).one_runner);
        assert!(from_builds(&[]).one_runner);
    }

    #[test]
    fn cgo_or_cargo_for_other_targets_needs_a_matrix() {
        let p = from_builds(&[build("go", None, &["linux-amd64", "darwin-arm64"])]);
        assert!(!p.one_runner);
        assert_eq!(p.targets.len(), 2);
        assert!(!from_builds(&[build("cargo", None, &["linux-arm64"])]).one_runner);
    }

    #[test]
    fn runners_are_native() {
        let r = |s: &str| runner(Target::parse(s).unwrap());
        assert_eq!(r("darwin-arm64"), "macos-latest");
        assert_eq!(r("darwin-amd64"), "macos-15-intel");
        assert_eq!(r("windows-amd64"), "windows-latest");
        assert_eq!(r("linux-arm64"), "ubuntu-24.04-arm");
        assert_eq!(r("linux-amd64"), "ubuntu-latest");
    }
}
