//! End-to-end build step on examples/hello-go with the real Go toolchain: five targets, binary
//! checks (cross-checked with `file`), reproducible archives, SHA256SUMS, and the failure
//! modes (wrong arch, failing command, path traversal in archives.files).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tagship::build::{build_all, check_binary, hash_file, source_date_epoch, BuildOptions};
use tagship::config::model::{ArchiveConfig, BuildConfig, Pipeline};
use tagship::exec::Exec;
use tagship::plan::{Artifact, ArtifactKind, Target};
use tagship::ErrorKind;

const EPOCH: u64 = 1_700_000_000;

fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hello-go")
}

/// A copy of the example in a temp dir (so builds never write into the repository), with
/// its pipeline parsed and GOCACHE/GOPATH pointed under the system temp dir.
fn example() -> (tempfile::TempDir, Pipeline) {
    let dir = tempfile::tempdir().unwrap();
    for f in ["main.go", "go.mod", "README.md", "pipeline.yaml"] {
        std::fs::copy(example_dir().join(f), dir.path().join(f)).unwrap();
    }
    let text = std::fs::read_to_string(dir.path().join("pipeline.yaml")).unwrap();
    let mut p: Pipeline = serde_yaml_ng::from_str(&text).unwrap();
    let go_tmp = std::env::temp_dir().join("tagship-test-go");
    for b in &mut p.builds {
        for (k, sub) in [("GOCACHE", "cache"), ("GOPATH", "path")] {
            let v = go_tmp.join(sub).to_string_lossy().into_owned();
            b.env.insert(k.into(), v);
        }
    }
    (dir, p)
}

fn opts(root: &Path, dist: &Path, p: &Pipeline) -> BuildOptions {
    BuildOptions {
        root: root.canonicalize().unwrap(),
        dist: dist.to_path_buf(),
        project: p.project.clone(),
        version: semver::Version::parse("1.2.3").unwrap(),
        tag: "v1.2.3".into(),
        parallelism: 2,
        epoch: EPOCH,
    }
}

fn exec() -> Exec {
    Exec::new(false, tagship::guard::Ledger::default())
}

async fn build(
    root: &Path,
    dist: &Path,
    p: &Pipeline,
    builds: &[BuildConfig],
    archives: &ArchiveConfig,
) -> tagship::Result<Vec<Artifact>> {
    build_all(builds, archives, &opts(root, dist, p), &exec()).await
}

/// What `file -b` must mention for each target's binary.
fn file_expectation(t: &str) -> [&'static str; 2] {
    match t {
        "linux-amd64" => ["ELF", "x86-64"],
        "linux-arm64" => ["ELF", "aarch64"],
        "darwin-amd64" => ["Mach-O", "x86_64"],
        "darwin-arm64" => ["Mach-O", "arm64"],
        "windows-amd64" => ["PE32+", "x86-64"],
        other => panic!("unexpected target {other}"),
    }
}

fn file_says(path: &Path) -> String {
    let out = std::process::Command::new("file")
        .arg("-b")
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn of_kind(arts: &[Artifact], kind: ArtifactKind) -> Vec<&Artifact> {
    arts.iter().filter(|a| a.kind == kind).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn builds_example_for_five_targets_reproducibly() {
    let (root, p) = example();
    let out = tempfile::tempdir().unwrap();
    let (d1, d2) = (out.path().join("dist1"), out.path().join("dist2"));
    let a1 = build(root.path(), &d1, &p, &p.builds, &p.archives)
        .await
        .unwrap();
    let a2 = build(root.path(), &d2, &p, &p.builds, &p.archives)
        .await
        .unwrap();
    assert_eq!(a1, a2, "artifact lists (with hashes) differ between runs");

    let binaries = of_kind(&a1, ArtifactKind::Binary);
    let archives = of_kind(&a1, ArtifactKind::Archive);
    let sums = of_kind(&a1, ArtifactKind::Checksums);
    assert_eq!((binaries.len(), archives.len(), sums.len()), (5, 5, 1));
    for group in [&binaries, &archives] {
        let ids: Vec<String> = group.iter().map(|a| a.target.unwrap().id()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted, "sorted by target id");
    }

    for b in &binaries {
        let t = b.target.unwrap();
        let path = d1.join(&b.path);
        assert_eq!(
            b.path,
            Path::new("bin")
                .join(t.id())
                .join(format!("hello{}", t.exe_suffix()))
        );
        check_binary(&path, t).unwrap();
        let said = file_says(&path);
        for needle in file_expectation(&t.id()) {
            assert!(said.contains(needle), "{t}: `file` says {said:?}");
        }
        assert_eq!(hash_file(&path).unwrap(), (b.sha256.clone(), b.size));
    }
    for a in &archives {
        assert_eq!(
            std::fs::read(d1.join(&a.path)).unwrap(),
            std::fs::read(d2.join(&a.path)).unwrap(),
            "{} differs between runs",
            a.name
        );
    }
    check_archive_contents(&d1);
    check_sums(&d1, &archives);
    run_host_binary(&d1);
}

fn check_archive_contents(dist: &Path) {
    let tgz = dist.join("hello_1.2.3_linux_arm64.tar.gz");
    let f = std::fs::File::open(tgz).unwrap();
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(f));
    let mut seen = BTreeMap::new();
    for e in ar.entries().unwrap() {
        let e = e.unwrap();
        assert_eq!(e.header().mtime().unwrap(), EPOCH);
        assert_eq!(e.header().uid().unwrap(), 0);
        let name = e.path().unwrap().to_string_lossy().into_owned();
        seen.insert(name, e.header().mode().unwrap());
    }
    let want: BTreeMap<String, u32> = [("README.md".into(), 0o644), ("hello".into(), 0o755)].into();
    assert_eq!(seen, want);

    let zip = std::fs::File::open(dist.join("hello_1.2.3_windows_amd64.zip")).unwrap();
    let mut z = zip::ZipArchive::new(zip).unwrap();
    let names: Vec<&str> = z.file_names().collect();
    assert_eq!(names, ["README.md", "hello.exe"]);
    let exe = z.by_name("hello.exe").unwrap();
    assert_eq!(exe.unix_mode().unwrap() & 0o777, 0o755);
    assert_eq!(exe.last_modified().unwrap().year(), 2023);
}

fn check_sums(dist: &Path, archives: &[&Artifact]) {
    let text = std::fs::read_to_string(dist.join("SHA256SUMS")).unwrap();
    let mut want: Vec<String> = archives
        .iter()
        .map(|a| format!("{}  {}", a.sha256, a.name))
        .collect();
    want.sort_by(|a, b| {
        a.split_once("  ")
            .unwrap()
            .1
            .cmp(b.split_once("  ").unwrap().1)
    });
    assert_eq!(text.lines().collect::<Vec<_>>(), want);
    assert!(text.contains("  hello_1.2.3_windows_amd64.zip\n"));
    assert!(
        !text.contains("bin/"),
        "binaries are not listed, only archives"
    );
}

/// Runs the linux binary when the host can (prints the stamped version).
fn run_host_binary(dist: &Path) {
    if !(cfg!(target_os = "linux") && cfg!(target_arch = "x86_64")) {
        return;
    }
    let bin = dist.join("bin/linux-amd64/hello");
    let out = std::process::Command::new(&bin)
        .arg("--version")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "1.2.3\n");
    let out = std::process::Command::new(&bin).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hello 1.2.3\n");
}

fn single_target(p: &Pipeline, target: &str) -> BuildConfig {
    let mut b = p.builds[0].clone();
    b.targets = vec![Target::parse(target).unwrap()];
    b
}

#[tokio::test]
async fn wrong_arch_binary_is_rejected() {
    let (root, p) = example();
    let dist = root.path().join("dist");
    let mut b = single_target(&p, "linux-arm64");
    b.env.insert("GOARCH".into(), "amd64".into());
    let e = build(root.path(), &dist, &p, &[b], &p.archives)
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Build, "{e:?}");
    assert!(
        e.message()
            .contains("is ELF x86_64, but target linux-arm64 needs ELF aarch64"),
        "{e:?}"
    );
    assert!(e.hint().unwrap().contains("GOARCH"));
    assert!(!dist.join("SHA256SUMS").exists());
}

#[tokio::test]
async fn failing_command_is_a_build_error() {
    let (root, p) = example();
    let mut b = single_target(&p, "linux-amd64");
    b.command = ["go", "build", "-o", "build/x", "./no-such-package"]
        .map(String::from)
        .to_vec();
    let e = build(
        root.path(),
        &root.path().join("dist"),
        &p,
        &[b],
        &p.archives,
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Build, "{e:?}");
    let m = e.message();
    assert!(
        m.contains("linux-amd64") && m.contains("go build -o build/x ./no-such-package"),
        "{e:?}"
    );
    assert!(
        m.contains("no-such-package"),
        "stderr tail is included: {e:?}"
    );
    assert!(e.hint().is_some());
}

#[tokio::test]
async fn traversal_in_archive_files_is_an_input_error() {
    let (root, p) = example();
    for bad in ["../outside.txt", "/etc/passwd", "missing.md"] {
        let archives = ArchiveConfig {
            files: vec![bad.into()],
            ..p.archives.clone()
        };
        let b = single_target(&p, "linux-amd64");
        let e = build(root.path(), &root.path().join("dist"), &p, &[b], &archives)
            .await
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Input, "{bad}: {e:?}");
        assert!(e.message().contains(bad), "{e:?}");
    }
    // Rejected before anything was built.
    assert!(!root.path().join("build").exists());
}

#[test]
fn source_date_epoch_sources() {
    let dir = tempfile::tempdir().unwrap();
    std::env::set_var("SOURCE_DATE_EPOCH", "1234567890");
    assert_eq!(source_date_epoch(dir.path()).unwrap(), 1_234_567_890);
    std::env::set_var("SOURCE_DATE_EPOCH", "yesterday");
    assert_eq!(
        source_date_epoch(dir.path()).unwrap_err().kind,
        ErrorKind::Input
    );
    std::env::remove_var("SOURCE_DATE_EPOCH");
    // Not a git repository: the zip minimum.
    assert_eq!(source_date_epoch(dir.path()).unwrap(), 315_532_800);
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(dir.path())
            .args(args)
            .env("GIT_COMMITTER_DATE", "1500000000 +0000")
            .env("GIT_AUTHOR_DATE", "1500000000 +0000")
            .output()
            .unwrap()
    };
    git(&["init", "-q"]);
    let out = git(&[
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@e",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "x",
    ]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(source_date_epoch(dir.path()).unwrap(), 1_500_000_000);
}

#[test]
fn example_binary_is_rejected_for_other_targets() {
    // A host-independent check on a real binary: this test executable (ELF on Linux).
    if !cfg!(target_os = "linux") {
        return;
    }
    let me = std::env::current_exe().unwrap();
    let e = check_binary(&me, Target::parse("darwin-arm64").unwrap()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Build);
    assert!(e.message().contains("is ELF"), "{e:?}");
}
