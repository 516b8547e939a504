//! read_part trusts nothing in a part: a changed, unlisted, symlinked or escaping file is
//! refused naming the part and the file.

use super::*;

fn t(s: &str) -> Target {
    Target::parse(s).unwrap()
}

/// A part with one archive `a.tar.gz` and one binary `bin/linux-amd64/hello`.
fn part_dir() -> (tempfile::TempDir, Part) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("bin/linux-amd64")).unwrap();
    std::fs::write(dir.path().join("bin/linux-amd64/hello"), b"binary").unwrap();
    std::fs::write(dir.path().join("a.tar.gz"), b"archive").unwrap();
    let file = |path: &str, kind| {
        let (sha256, size) = hash_file(&dir.path().join(path)).unwrap();
        Artifact {
            name: Path::new(path)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into(),
            path: path.into(),
            kind,
            target: Some(t("linux-amd64")),
            sha256,
            size,
        }
    };
    let part = Part {
        schema_version: PART_SCHEMA,
        tool: tool(),
        project: "hello".into(),
        tag: "v1.0.0".into(),
        version: "1.0.0".into(),
        commit: None,
        pipeline_sha256: "0".repeat(64),
        epoch: 1,
        targets: vec![t("linux-amd64")],
        files: vec![
            file("bin/linux-amd64/hello", ArtifactKind::Binary),
            file("a.tar.gz", ArtifactKind::Archive),
        ],
    };
    write(dir.path(), &part);
    (dir, part)
}

fn write(dir: &Path, part: &Part) {
    std::fs::write(dir.join(PART_FILE), serde_json::to_string(part).unwrap()).unwrap();
}

fn refused(dir: &Path) -> String {
    let e = read_part(dir).expect_err("refused");
    e.iter().map(|e| e.chain()).collect::<Vec<_>>().join("\n")
}

#[test]
fn an_intact_part_reads_back() {
    let (dir, part) = part_dir();
    assert_eq!(read_part(dir.path()).unwrap(), part);
}

#[test]
fn a_changed_file_is_refused_naming_part_and_file() {
    let (dir, _) = part_dir();
    std::fs::write(dir.path().join("a.tar.gz"), b"archivE").unwrap();
    let e = refused(dir.path());
    assert!(e.contains(&format!("part {}", dir.path().display())), "{e}");
    assert!(e.contains("a.tar.gz: was changed"), "{e}");
}

#[test]
fn an_unlisted_file_is_refused() {
    let (dir, _) = part_dir();
    std::fs::write(dir.path().join("bin/extra"), b"x").unwrap();
    let e = refused(dir.path());
    assert!(e.contains("bin/extra: not listed in part.json"), "{e}");
}

#[test]
fn a_symlink_or_escaping_path_is_refused() {
    let (dir, mut part) = part_dir();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("hello"), b"binary").unwrap();
    std::fs::remove_dir_all(dir.path().join("bin/linux-amd64")).unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("bin/linux-amd64")).unwrap();
    let e = refused(dir.path());
    assert!(e.contains("is a symlink"), "{e}");

    std::fs::remove_file(dir.path().join("bin/linux-amd64")).unwrap();
    part.files[0].path = "../hello".into();
    write(dir.path(), &part);
    let e = refused(dir.path());
    assert!(e.contains("must be a relative path inside the part"), "{e}");
}

#[test]
fn a_file_of_another_target_or_kind_is_refused() {
    let (dir, mut part) = part_dir();
    part.files[1].target = Some(t("linux-arm64"));
    write(dir.path(), &part);
    assert!(refused(dir.path()).contains("not one of the part's `targets`"));
    part.files[1].target = Some(t("linux-amd64"));
    part.files[1].kind = ArtifactKind::Checksums;
    write(dir.path(), &part);
    assert!(refused(dir.path()).contains("binaries and archives only"));
}

#[test]
fn only_targets_narrows_and_refuses_unplanned() {
    let b: BuildConfig = serde_json::from_value(serde_json::json!({
        "command": ["true"], "binary": "x", "targets": ["linux-amd64", "linux-arm64"]
    }))
    .unwrap();
    let n = only_targets(std::slice::from_ref(&b), &[t("linux-arm64")]).unwrap();
    assert_eq!(n[0].targets, [t("linux-arm64")]);
    let e = only_targets(&[b], &[t("darwin-arm64")]).unwrap_err();
    assert!(e.message().contains("--target darwin-arm64"), "{e:?}");
    assert!(
        e.message().contains("planned: linux-amd64, linux-arm64"),
        "{e:?}"
    );
}
