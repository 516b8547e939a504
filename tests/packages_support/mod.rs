//! The `packages:` tests' fixture: examples/python-monorepo (three flit packages, mono-text
//! depending on mono-core, mono-cli on mono-text) copied into a scratch project whose
//! top-level `platforms:` are replaced by the test's, with the registries venv (build,
//! flit_core, readme_renderer) first on PATH.

#![allow(dead_code)]

use crate::pypi_support::{pyenv, repo};
use crate::support::cli::Project;
use std::path::{Path, PathBuf};

/// The files of examples/python-monorepo, relative to it.
pub const FILES: [&str; 10] = [
    "README.md",
    "packages/core/pyproject.toml",
    "packages/core/README.md",
    "packages/core/mono_core/__init__.py",
    "packages/text/pyproject.toml",
    "packages/text/README.md",
    "packages/text/mono_text/__init__.py",
    "packages/cli/pyproject.toml",
    "packages/cli/README.md",
    "packages/cli/mono_cli/__init__.py",
];

pub fn example() -> PathBuf {
    repo().join("examples/python-monorepo")
}

/// The example's pipeline.yaml with `platforms` (YAML lines, indented under `platforms:`)
/// instead of its own shared settings.
pub fn pipeline(platforms: &str) -> String {
    let yaml = std::fs::read_to_string(example().join("pipeline.yaml")).unwrap();
    let (head, rest) = yaml.split_once("platforms:\n").unwrap();
    let (_, packages) = rest.split_once("packages:\n").unwrap();
    format!("{head}platforms:\n{platforms}\npackages:\n{packages}")
}

/// The example in a scratch project, with `platforms` as its shared settings.
pub fn monorepo(platforms: &str) -> Project {
    let mut p = Project::new(&pipeline(platforms));
    for f in FILES {
        p.write(f, &std::fs::read_to_string(example().join(f)).unwrap());
    }
    let path = std::env::var("PATH").unwrap();
    p.env("PATH", &format!("{}:{path}", pyenv().join("bin").display()));
    p
}

/// Every file under `dir` (none when it does not exist).
pub fn files_under(dir: &Path) -> usize {
    crate::support::cli::walk(dir).len()
}

/// The ids of a report's rows with their outcome.
pub fn outcomes(report: &serde_json::Value) -> Vec<(String, String)> {
    report["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap_or_default().to_string();
            (s("id"), s("outcome"))
        })
        .collect()
}
