//! Package reuse (issue 11, acceptance 3), through the real binary: a second run whose
//! package inputs (binaries' sha256, the platform's settings, tagship's version) are those
//! of the packages dist/ holds reads them and writes nothing — same inode (every package is
//! written through a temp file and a rename, so a rewrite is a new inode), same mtime, same
//! reuse record. Changing a platform setting repackages that platform only.
//! Dry runs against closed ports: packaging happens before any network and needs no server.

mod support;

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use support::cli::{quick_pipeline, Project};

/// (inode, mtime in ns) of a file.
fn stamp(path: &Path) -> (u64, i128) {
    let m = std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (
        m.ino(),
        m.mtime() as i128 * 1_000_000_000 + m.mtime_nsec() as i128,
    )
}

fn platforms(requires_python: &str) -> String {
    format!(
        r#"  pypi:
    repository_url: "http://127.0.0.1:9/"
    index_url: "http://127.0.0.1:9/"
    requires_python: "{requires_python}"
  npm:
    registry: "http://127.0.0.1:9/"
"#
    )
}

fn package_files(dist: &Path) -> Vec<std::path::PathBuf> {
    let wheel = dist
        .join("wheels")
        .join("demo-1.0.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl");
    let npm_dir = dist.join("npm");
    let mut files: Vec<_> = std::fs::read_dir(&npm_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 2, "a platform package and the root: {files:?}");
    files.push(wheel);
    files
}

#[test]
fn a_second_run_reuses_packages_and_writes_nothing_in_dist() {
    let p = Project::new(&quick_pipeline(&platforms(">=3.8")));
    p.run(&["release", "v1.0.0", "--dry-run"]).assert_code(0);
    let dist = p.dist();
    let files = package_files(&dist);
    let records = [
        dist.join(".tagship/packages/pypi.json"),
        dist.join(".tagship/packages/npm.json"),
    ];
    let before: Vec<_> = files.iter().chain(&records).map(|f| stamp(f)).collect();

    let r = p.run(&["release", "v1.0.0", "--dry-run"]);
    r.assert_code(0);
    let rep = r.report(&dist);
    assert_eq!(rep["build"]["state"], "ran", "{rep:#}");
    let after: Vec<_> = files.iter().chain(&records).map(|f| stamp(f)).collect();
    assert_eq!(before, after, "the second package step wrote into dist/");
    for p in rep["platforms"].as_array().unwrap() {
        assert!(!p["packages"].as_array().unwrap().is_empty(), "{p:#}");
    }

    // Another setting for pypi: its wheel is rebuilt; npm's tarballs are still reused.
    std::fs::write(
        p.path().join("pipeline.yaml"),
        quick_pipeline(&platforms(">=3.9")),
    )
    .unwrap();
    p.run(&["release", "v1.0.0", "--dry-run"]).assert_code(0);
    let again: Vec<_> = files.iter().map(|f| stamp(f)).collect();
    assert_eq!(again[..2], before[..2], "npm was repackaged");
    assert_ne!(
        again[2], before[2],
        "pypi's settings changed but its wheel was reused"
    );
}
