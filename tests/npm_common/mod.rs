//! Helpers for the npm tests: a real static Go binary, a hand-built `Release`/`Cx`, and
//! tarball extraction. No network: the HTTP client is only used against 127.0.0.1.

#![allow(dead_code)]

pub mod double;
pub mod stage;
pub mod verdaccio;

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;
use tagship::exec::Exec;
use tagship::guard::Ledger;
use tagship::http::{Http, HttpOptions, RetryPolicy};
use tagship::plan::{Artifact, ArtifactKind, Project, Target};
use tagship::platform::{Cx, Platform, Release};
use tagship::redact::Secret;

pub fn project(name: &str) -> Project {
    Project {
        name: name.into(),
        description: "A demo tool".into(),
        homepage: Some("https://example.invalid/demo".into()),
        license: Some("MIT".into()),
        authors: vec!["Demo Team <demo@example.invalid>".into()],
        repository: Some("https://github.com/acme/demo".into()),
    }
}

/// Compiles a static Go program that prints `<name> <version>` for `--version` and echoes
/// its other arguments, with `extra` baked in (to make different bytes for one version).
pub fn go_binary(dir: &Path, name: &str, version: &str, extra: &str) -> PathBuf {
    let src = dir.join("main.go");
    std::fs::write(
        &src,
        r#"package main

import (
	"fmt"
	"os"
	"strings"
)

var version = "dev"
var extra = ""

func main() {
	if len(os.Args) > 1 && os.Args[1] == "--version" {
		fmt.Println(os.Args[0][strings.LastIndex(os.Args[0], "/")+1:] + " " + version + extra)
		return
	}
	fmt.Println(strings.Join(os.Args[1:], " "))
	if len(os.Args) > 1 && os.Args[1] == "fail" {
		os.Exit(7)
	}
}
"#,
    )
    .unwrap();
    let out = dir.join(name);
    let st = Command::new("go")
        .args(["build", "-trimpath", "-o"])
        .arg(&out)
        .arg("-ldflags")
        .arg(format!(
            "-s -w -X main.version={version} -X main.extra={extra}"
        ))
        .arg(&src)
        .env("CGO_ENABLED", "0")
        .env("GOOS", "linux")
        .env("GOARCH", "amd64")
        .env("GO111MODULE", "off")
        .env("GOFLAGS", "")
        .current_dir(dir)
        .status()
        .expect("running go (install golang-go)");
    assert!(st.success(), "go build failed");
    out
}

/// A release in `dist` with the given binaries copied in as `Binary` artifacts.
pub fn release(dist: &Path, project: Project, version: &str, bins: &[(Target, &Path)]) -> Release {
    std::fs::create_dir_all(dist).unwrap();
    let mut artifacts = Vec::new();
    for (t, src) in bins {
        let rel = PathBuf::from(format!(
            "build/{}/{}",
            t.id(),
            src.file_name().unwrap().to_string_lossy()
        ));
        let dst = dist.join(&rel);
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        std::fs::copy(src, &dst).unwrap();
        let data = std::fs::read(&dst).unwrap();
        artifacts.push(Artifact {
            name: rel.file_name().unwrap().to_string_lossy().into_owned(),
            path: rel,
            kind: ArtifactKind::Binary,
            target: Some(*t),
            sha256: hex::encode(Sha256::digest(&data)),
            size: data.len() as u64,
        });
    }
    Release {
        project,
        version: semver::Version::parse(version).unwrap(),
        tag: format!("v{version}"),
        commit: None,
        dist: dist.to_path_buf(),
        artifacts,
        root: dist.to_path_buf(),
        epoch: 315_532_800,
    }
}

pub fn cx(release: Release, dry_run: bool, token: Option<&str>, ledger: &Ledger) -> Cx {
    let opts = HttpOptions {
        dry_run,
        retry: RetryPolicy {
            attempts: 3,
            base: Duration::from_millis(10),
            max_backoff: Duration::from_millis(50),
            max_wait: Duration::from_secs(5),
        },
        ..Default::default()
    };
    let http = Http::new(opts, ledger.clone()).unwrap().for_platform("npm");
    let mut secrets = BTreeMap::new();
    if let Some(t) = token {
        secrets.insert("NPM_TOKEN".to_string(), Secret::new(t));
    }
    Cx {
        platform: "npm".into(),
        http,
        exec: Exec::new(dry_run, ledger.clone()).for_platform("npm"),
        release: Arc::new(release),
        secrets,
        deps: BTreeMap::new(),
    }
}

pub fn adapter(section: serde_json::Value, project: &Project) -> Box<dyn Platform> {
    (tagship::platforms::npm::FACTORY.build)(&section, project).unwrap()
}

/// Extracts a .tgz into `dir` (giving `dir/package/...`) with the system `tar`.
pub fn extract(tgz: &Path, dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let st = Command::new("tar")
        .arg("-xzf")
        .arg(tgz)
        .arg("-C")
        .arg(dir)
        .status()
        .unwrap();
    assert!(st.success());
    dir.join("package")
}

/// Runs `npm pack --dry-run --json` in `dir` and returns `[(path, mode)]` sorted, offline.
pub fn npm_pack_files(dir: &Path) -> Vec<(String, u32)> {
    let out = Command::new("npm")
        .args([
            "pack",
            "--dry-run",
            "--json",
            "--ignore-scripts",
            "--offline",
        ])
        .current_dir(dir)
        .env("npm_config_userconfig", dir.join(".no-npmrc"))
        .env("npm_config_update_notifier", "false")
        .output()
        .expect("running npm");
    assert!(
        out.status.success(),
        "npm pack failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut files: Vec<(String, u32)> = v[0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["mode"].as_u64().unwrap() as u32,
            )
        })
        .collect();
    files.sort();
    files
}
