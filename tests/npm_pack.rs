//! Issue #16, acceptance 5: for every fixture package under tests/fixtures/npm-pack/,
//! `mode: package_json` packs exactly the files the real `npm pack --dry-run --json` lists
//! (npm-packlist: `files` with globs, directories and `!` negations; `main`/`browser`/`bin`
//! always in; root and nested `.npmignore`; the `.gitignore` fallback; default ignores;
//! lockfiles and `.npmrc`). Each fixture is copied to a scratch directory first, `_dot_x`
//! becoming `.x`, so the fixtures' ignore files do not steer git.

mod npm_common;

use npm_common::*;
use std::path::{Path, PathBuf};
use tagship::guard::Ledger;
use tagship::platforms::npm::tarball;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/npm-pack")
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        let name = match name.strip_prefix("_dot_") {
            Some(rest) => format!(".{rest}"),
            None => name,
        };
        if e.file_type().unwrap().is_dir() {
            copy(&e.path(), &to.join(name));
        } else {
            std::fs::copy(e.path(), to.join(name)).unwrap();
        }
    }
}

/// tagship's file list for the package in `pkg` (dist outside it).
async fn ours(root: &Path, pkg: &str) -> Vec<String> {
    let pj: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join(pkg).join("package.json")).unwrap(),
    )
    .unwrap();
    let r = release(&root.join("dist"), project("fixture"), "1.0.0", &[]);
    let r = tagship::platform::Release {
        root: root.to_path_buf(),
        epoch: 315_532_800,
        ..r
    };
    let npm = adapter(
        serde_json::json!({"mode": "package_json", "path": pkg, "package": pj["name"]}),
        &r.project.clone(),
    );
    let cx = cx(r, false, None, &Ledger::default());
    let arts = npm.package(&cx).await.unwrap();
    let tgz = std::fs::read(cx.release.path(&arts[0])).unwrap();
    let mut files: Vec<String> = tarball::list(&tgz)
        .unwrap()
        .into_iter()
        .map(|e| e.path.trim_start_matches("package/").to_string())
        .collect();
    files.sort();
    files
}

#[tokio::test]
async fn tagship_packs_what_npm_pack_packs_for_every_fixture() {
    let mut names: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 5, "fixtures: {names:?}");
    let mut failures = Vec::new();
    for name in &names {
        let tmp = tempfile::tempdir().unwrap();
        copy(&fixtures().join(name), &tmp.path().join("pkg"));
        let theirs: Vec<String> = npm_pack_files(&tmp.path().join("pkg"))
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        let ours = ours(tmp.path(), "pkg").await;
        if ours != theirs {
            failures.push(format!(
                "{name}:\n  npm pack: {theirs:?}\n  tagship:  {ours:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "file lists differ:\n{}",
        failures.join("\n")
    );
}
