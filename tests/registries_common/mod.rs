//! What tests/registries_e2e.rs and tests/registries_faults.rs share: the pipeline (a copy of
//! examples/hello-go publishing to verdaccio, pypiserver, a PEP 503 index and the local crates
//! registry), the installs with the real clients, and the mutation counters.

#![allow(dead_code)]

pub use crate::support::cli::{platform_row as outcome, Project, Run};
#[allow(unused_imports)]
pub use crate::support::registries::{http, http_bytes, repo, venv_python, Registries, Server};
#[allow(unused_imports)] // not every test binary that includes this module builds JSON
pub use serde_json::{json, Value};
use sha2::{Digest, Sha256};
pub use std::path::Path;
pub use std::process::Command;

pub const V: &str = "1.0.0";
pub const TAG: &str = "v1.0.0";
/// The linux-amd64 wheel (static Go binary: manylinux and musllinux tags).
pub const WHEEL_AMD64: &str =
    "hello-1.0.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.musllinux_1_2_x86_64.whl";
pub const WHEEL_ARM64: &str =
    "hello-1.0.0-py3-none-manylinux_2_17_aarch64.manylinux2014_aarch64.musllinux_1_2_aarch64.whl";
pub const ALL: [&str; 4] = ["npm", "pypi", "pep503", "crates"];

/// The `builds:` section of examples/hello-go/pipeline.yaml with `targets` replaced.
pub fn go_builds(targets: &[&str]) -> String {
    let y = std::fs::read_to_string(repo().join("examples/hello-go/pipeline.yaml")).unwrap();
    let start = y.find("\nbuilds:\n").expect("builds: in the example") + 1;
    let end = y[start..]
        .find("\narchives:")
        .expect("archives: after builds:")
        + start
        + 1;
    let mut out = String::new();
    let mut in_targets = false;
    for line in y[start..end].lines() {
        if in_targets && line.starts_with("      - ") {
            continue;
        }
        in_targets = false;
        if line == "    targets:" {
            in_targets = true;
            out.push_str(&format!("    targets: [{}]\n", targets.join(", ")));
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    assert!(out.contains("targets: ["), "{out}");
    out
}

pub fn pipeline(r: &Registries, targets: &[&str]) -> String {
    format!(
        r#"project:
  name: hello
  description: A tiny Go program that says hello and knows its version
  license: MIT
  homepage: https://github.com/tagship/tagship/tree/main/examples/hello-go

{builds}
archives:
  files:
    - README.md

platforms:
  npm:
    registry: "{npm}"
  pypi:
    repository_url: "{pypi}"
    check_via: simple
    simple_url: "{pypi}simple/"
    username: tester
  pep503:
    repo: "{bare}"
  crates:
    registry: local
    index: "{index}"
    manifest: rust/Cargo.toml
"#,
        builds = go_builds(targets),
        npm = r.npm_proxy.url(),
        pypi = r.pypi_proxy.url(),
        bare = r.bare.display(),
        index = r.crates.s("index"),
    )
}

pub fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(from, to).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
}

/// The Go example at the root, the Rust example under `rust/` (version set to `V`), and the
/// servers' real credentials (every other credential variable keeps the canary).
pub fn project(r: &Registries, targets: &[&str]) -> Project {
    let mut p = Project::new(&pipeline(r, targets));
    let go = repo().join("examples/hello-go");
    for f in ["main.go", "go.mod", "README.md"] {
        copy(&go.join(f), &p.path().join(f));
    }
    let rust = repo().join("examples/hello-rust");
    for f in ["Cargo.toml", "Cargo.lock", "README.md", "src/main.rs"] {
        copy(&rust.join(f), &p.path().join("rust").join(f));
    }
    for f in ["rust/Cargo.toml", "rust/Cargo.lock"] {
        let path = p.path().join(f);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("version = \"0.1.0\""), "{f}: {text}");
        std::fs::write(
            &path,
            text.replacen("version = \"0.1.0\"", &format!("version = \"{V}\""), 1),
        )
        .unwrap();
    }
    let gocache = std::env::temp_dir().join("tagship-test-go");
    p.env("GOCACHE", gocache.join("cache").to_str().unwrap())
        .env("GOPATH", gocache.join("path").to_str().unwrap())
        .env("NPM_TOKEN", &r.npm.s("token"))
        .env("PYPI_TOKEN", &r.pypi_password)
        .env("CARGO_REGISTRY_TOKEN", &r.crates.s("token"))
        .env("TAGSHIP_HTTP_ATTEMPTS", "4");
    p
}

pub fn assert_outcomes(run: &Run, p: &Project, ids: &[&str], want: &str) -> Value {
    let rep = run.report(&p.dist());
    for id in ids {
        assert_eq!(
            outcome(&rep, id)["outcome"],
            want,
            "{id}: {:#}\n--- stderr\n{}",
            outcome(&rep, id),
            run.stderr
        );
    }
    rep
}

pub fn sha256(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

pub fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `npm install -g` from verdaccio into a scratch prefix; `hello --version`.
pub fn npm_install_and_run(r: &Registries, tmp: &Path) -> String {
    std::fs::create_dir_all(tmp).unwrap();
    let prefix = tmp.join("npm-prefix");
    let userconfig = tmp.join("npmrc");
    std::fs::write(&userconfig, "").unwrap();
    run_ok(
        Command::new("npm")
            .args(["install", "-g", "--no-audit", "--no-fund", "--prefix"])
            .arg(&prefix)
            .arg(format!("hello@{V}"))
            .arg("--registry")
            .arg(r.npm.s("url"))
            .arg("--userconfig")
            .arg(&userconfig)
            .arg("--cache")
            .arg(tmp.join("npm-cache")),
    );
    run_ok(Command::new(prefix.join("bin/hello")).arg("--version"))
}

/// `pip install --index-url INDEX hello==V` into a fresh venv; `hello --version`.
pub fn pip_install_and_run(index: &str, tmp: &Path) -> String {
    std::fs::create_dir_all(tmp).unwrap();
    let venv = tmp.join("venv");
    run_ok(
        Command::new("python3")
            .args(["-m", "venv", "--without-pip"])
            .arg(&venv),
    );
    // The registries venv's pip installs into the fresh venv (`--python`): no pip download.
    run_ok(
        Command::new(venv_python())
            .args([
                "-m",
                "pip",
                "--disable-pip-version-check",
                "--no-cache-dir",
                "--python",
            ])
            .arg(venv.join("bin/python"))
            .args(["install", "--no-input", "--index-url", index])
            .arg(format!("hello=={V}"))
            .env("PIP_CONFIG_FILE", "/dev/null")
            .env_remove("PIP_FIND_LINKS")
            .env_remove("PIP_INDEX_URL")
            .env_remove("PIP_EXTRA_INDEX_URL"),
    );
    run_ok(Command::new(venv.join("bin/hello")).arg("--version"))
}

/// `cargo install --registry local hello-rust` with a scratch CARGO_HOME; `hello --version`.
pub fn cargo_install_and_run(r: &Registries, tmp: &Path) -> String {
    let home = tmp.join("cargo-home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(
        home.join("config.toml"),
        format!("[registries.local]\nindex = \"{}\"\n", r.crates.s("index")),
    )
    .unwrap();
    run_ok(
        Command::new("cargo")
            .args(["install", "--registry", "local", "hello-rust", "--version"])
            .arg(format!("={V}"))
            .arg("--root")
            .arg(tmp.join("cargo-root"))
            .env("CARGO_HOME", &home)
            .env("CARGO_TARGET_DIR", tmp.join("cargo-build"))
            .env_remove("CARGO_REGISTRY_TOKEN")
            .env_remove("CARGO_BUILD_TARGET"),
    );
    run_ok(Command::new(tmp.join("cargo-root/bin/hello")).arg("--version"))
}

/// Resets both proxies' logs; returns the crates log length and the index commit count.
pub fn mark(r: &Registries) -> (usize, usize) {
    r.npm_proxy.reset();
    r.pypi_proxy.reset();
    (r.crates_log().len(), r.index_commits())
}

/// No server saw a mutating request since `mark`.
pub fn assert_no_mutations(r: &Registries, since: (usize, usize)) {
    assert_eq!(r.npm_proxy.mutations(), vec![], "verdaccio was mutated");
    assert_eq!(r.pypi_proxy.mutations(), vec![], "pypiserver was mutated");
    let crates: Vec<_> = r.crates_log()[since.0..]
        .iter()
        .filter(|(m, _, _)| m != "GET" && m != "HEAD")
        .cloned()
        .collect();
    assert_eq!(crates, vec![], "the crates registry was mutated");
    assert_eq!(r.index_commits(), since.1, "the PEP 503 branch moved");
}

// ---------------------------------------------------------------------------------------
