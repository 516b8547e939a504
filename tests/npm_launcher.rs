//! The launcher's libc detection, run by real node with `process.report.getReport` replaced
//! by a recorder (preloaded with `node -r`): with only a static package for this platform
//! it never asks which libc this is; with glibc and musl packages it asks with
//! `process.report.excludeNetwork` set, as npm does (otherwise the report resolves network
//! interfaces, which can take seconds).

mod npm_common;

use std::path::Path;
use std::process::Command;
use tagship::plan::Target;
use tagship::platforms::npm::manifest::{self, PlatformPkg};

fn t(s: &str) -> Target {
    Target::parse(s).unwrap()
}

/// Runs the launcher for `pkgs` and returns what the recorder saw ("" if never called).
fn report_calls(dir: &Path, pkgs: &[PlatformPkg]) -> String {
    let js = manifest::launcher("@acme/demo", "1.2.3", "demo", pkgs);
    let launcher = dir.join("demo.js");
    std::fs::write(&launcher, js).unwrap();
    let log = dir.join("calls.txt");
    let _ = std::fs::remove_file(&log);
    let preload = dir.join("record.js");
    std::fs::write(
        &preload,
        format!(
            r#"const fs = require("fs");
process.report.getReport = function () {{
  fs.appendFileSync({log:?}, "excludeNetwork=" + process.report.excludeNetwork + "\n");
  return {{ header: {{ glibcVersionRuntime: "2.36" }} }};
}};
"#,
            log = log.display().to_string()
        ),
    )
    .unwrap();
    let out = Command::new("node")
        .arg("-r")
        .arg(&preload)
        .arg(&launcher)
        .arg("--version")
        .env_remove("DEMO_BINARY_PATH")
        .output()
        .expect("running node");
    // No platform package is installed here: the launcher explains that and exits 1.
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("is not installed"), "{err}");
    std::fs::read_to_string(&log).unwrap_or_default()
}

#[test]
fn libc_is_detected_only_when_it_matters_and_without_the_network() {
    assert_eq!(
        std::env::consts::OS,
        "linux",
        "these runs are for Linux x64"
    );
    let dir = tempfile::tempdir().unwrap();
    let stat = PlatformPkg::new("@acme/demo", "demo", t("linux-amd64"), None);
    let win = PlatformPkg::new("@acme/demo", "demo", t("windows-amd64"), None);
    assert_eq!(
        report_calls(dir.path(), &[stat, win.clone()]),
        "",
        "a static package needs no libc detection"
    );
    let glibc = PlatformPkg::new("@acme/demo", "demo", t("linux-amd64"), Some("glibc"));
    let musl = PlatformPkg::new("@acme/demo", "demo", t("linux-amd64"), Some("musl"));
    assert_eq!(
        report_calls(dir.path(), &[glibc, musl, win]),
        "excludeNetwork=true\n"
    );
}
