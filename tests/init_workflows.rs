//! `tagship init` through the real binary (issue 13): on copies of examples/hello-rust and
//! examples/hello-go (with a GitHub `origin`), it writes a pipeline.yaml that `tagship check`
//! accepts (every credential set: exit 0), and two workflows that real validators accept:
//! actionlint (scripts/setup.d/74-actionlint.sh) and SchemaStore's GitHub workflow schema
//! (vendored in tests/fixtures/github-workflow, checked with Python's `jsonschema`). Files
//! that exist are kept without `--force`; `--dry-run` writes nothing; `--check` notices a
//! hand edit. A missing validator fails the test, naming its setup script.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use support::cli::{Project, Run};

const WORKFLOWS: [&str; 2] = [
    ".github/workflows/release.yml",
    ".github/workflows/tagship-status.yml",
];

/// A copy of examples/NAME without its pipeline.yaml or build output, in a git repository
/// whose `origin` is on GitHub. The Project harness runs the binary there with a canary in
/// every credential the written pipeline declares.
fn example(name: &str) -> (Project, PathBuf) {
    let p = Project::new("# replaced by the example\n");
    let dir = p.path().join(name);
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name);
    copy_dir(&src, &dir);
    std::fs::remove_file(dir.join("pipeline.yaml")).unwrap();
    for args in [
        &["init", "-q"][..],
        &["remote", "add", "origin", "git@github.com:acme/hello.git"],
    ] {
        let ok = Command::new("git")
            .args(args)
            .current_dir(&dir)
            .status()
            .unwrap();
        assert!(ok.success(), "git {args:?}");
    }
    (p, dir)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let name = e.file_name();
        if name == "target" || name == "build" || name == "dist" {
            continue;
        }
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(&name));
        } else {
            std::fs::copy(e.path(), to.join(&name)).unwrap();
        }
    }
}

fn run(p: &Project, dir: &Path, args: &[&str]) -> Run {
    p.run_in(dir, args)
}

#[test]
fn init_writes_a_pipeline_check_accepts_for_rust_and_go() {
    for (name, platforms) in [("hello-rust", "github, crates"), ("hello-go", "github")] {
        let (p, dir) = example(name);
        run(&p, &dir, &["init"]).assert_code(0);
        let pipeline = std::fs::read_to_string(dir.join("pipeline.yaml")).unwrap();
        assert!(pipeline.contains("owner: \"acme\""), "{pipeline}");
        for w in WORKFLOWS {
            assert!(dir.join(w).is_file(), "{name}: {w} not written");
        }
        // The harness sets every credential the pipeline declares: check passes whole.
        let r = run(&p, &dir, &["check"]);
        r.assert_code(0);
        assert!(
            r.stderr.contains(&format!("platforms: {platforms}")),
            "{name}: {}",
            r.stderr
        );
    }
}

#[test]
fn init_keeps_existing_files_unless_forced_and_dry_run_writes_nothing() {
    let (p, dir) = example("hello-rust");
    let r = run(&p, &dir, &["init", "--dry-run"]);
    r.assert_code(0);
    assert!(r
        .stdout
        .contains("==> .github/workflows/release.yml (would write)"));
    assert!(r.stdout.contains("id-token: write"), "{}", r.stdout);
    assert!(
        !dir.join("pipeline.yaml").exists(),
        "--dry-run wrote a file"
    );
    assert!(!dir.join(".github").exists(), "--dry-run wrote a file");

    let mine = "# my own pipeline\n";
    std::fs::write(dir.join("pipeline.yaml"), mine).unwrap();
    let r = run(&p, &dir, &["init"]);
    r.assert_code(0);
    assert!(r.stderr.contains("kept pipeline.yaml"), "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.join("pipeline.yaml")).unwrap(),
        mine
    );
    let r = run(&p, &dir, &["init", "--print"]);
    assert!(
        r.stdout
            .contains("==> pipeline.yaml (exists; would keep it"),
        "{}",
        r.stdout
    );

    run(&p, &dir, &["init", "--force"]).assert_code(0);
    let now = std::fs::read_to_string(dir.join("pipeline.yaml")).unwrap();
    assert!(now.contains("name: \"hello-rust\""), "{now}");
}

#[test]
fn init_check_notices_a_hand_edit_and_a_missing_workflow() {
    let (p, dir) = example("hello-go");
    run(&p, &dir, &["init", "--check"]).assert_code(1);
    run(&p, &dir, &["init"]).assert_code(0);
    run(&p, &dir, &["init", "--check"]).assert_code(0);
    let release = dir.join(WORKFLOWS[0]);
    let text = std::fs::read_to_string(&release).unwrap();
    std::fs::write(&release, text.replace("fetch-depth: 0", "fetch-depth: 1")).unwrap();
    assert_release_differs(&p, &dir);
    std::fs::remove_file(dir.join(WORKFLOWS[1])).unwrap();
    let r = run(&p, &dir, &["init", "--check"]);
    assert!(r
        .stderr
        .contains("missing: .github/workflows/tagship-status.yml"));
}

/// A scratch Node or Python project (no example ships one): just its project file.
fn scratch(file: &str, text: &str) -> (Project, PathBuf) {
    let p = Project::new("# replaced by init\n");
    std::fs::remove_file(p.path().join("pipeline.yaml")).unwrap();
    std::fs::write(p.path().join(file), text).unwrap();
    let dir = p.path().to_path_buf();
    (p, dir)
}

/// The workflows init wrote for both examples and for a Node and a Python project (each
/// kind has its own version step in the dry-run job).
fn written_workflows() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let projects = [
        ("hello-rust", example("hello-rust")),
        ("hello-go", example("hello-go")),
        (
            "node",
            scratch(
                "package.json",
                r#"{"name": "@acme/tool", "version": "1.0.0"}"#,
            ),
        ),
        (
            "python",
            scratch(
                "pyproject.toml",
                "[project]\nname = \"tool\"\nversion = \"1.0.0\"\n",
            ),
        ),
    ];
    for (name, (p, dir)) in projects
        .into_iter()
        .chain([("rust-matrix", native_targets())])
    {
        run(&p, &dir, &["init"]).assert_code(0);
        for w in WORKFLOWS {
            let text = std::fs::read_to_string(dir.join(w)).unwrap();
            let file = w.rsplit('/').next().unwrap();
            out.push((format!("{name}-{file}"), text));
        }
    }
    out
}

const WIDE: &str = "targets: [linux-amd64, linux-arm64, darwin-amd64, darwin-arm64, windows-amd64]";

/// examples/hello-rust with a pipeline.yaml that builds for macOS, Windows and arm64 Linux:
/// init keeps it and writes the build matrix with the merging release job.
fn native_targets() -> (Project, PathBuf) {
    let (p, dir) = example("hello-rust");
    run(&p, &dir, &["init"]).assert_code(0);
    let pipeline = dir.join("pipeline.yaml");
    let text = std::fs::read_to_string(&pipeline).unwrap();
    let wide = text.replace("targets: [linux-amd64]", WIDE);
    assert_ne!(
        text, wide,
        "the Rust pipeline init writes names its targets"
    );
    std::fs::write(&pipeline, wide).unwrap();
    for w in WORKFLOWS {
        std::fs::remove_file(dir.join(w)).unwrap();
    }
    (p, dir)
}

/// Issue 13: targets that need their own runners give a build job per target and one
/// release job (the only one with `id-token: write`) that merges the parts; `--check`
/// notices when pipeline.yaml's targets call for another workflow.
#[test]
fn native_targets_get_a_build_matrix_and_check_follows_pipeline_yaml() {
    let (p, dir) = example("hello-rust");
    run(&p, &dir, &["init"]).assert_code(0);
    let one_job = std::fs::read_to_string(dir.join(WORKFLOWS[0])).unwrap();
    assert!(!one_job.contains("matrix"), "{one_job}");
    let (p, dir) = native_targets();
    run(&p, &dir, &["init"]).assert_code(0);
    let matrix = std::fs::read_to_string(dir.join(WORKFLOWS[0])).unwrap();
    for want in [
        "          - target: darwin-arm64\n            runner: macos-latest\n",
        "          - target: windows-amd64\n            runner: windows-latest\n",
        "run: tagship build \"$TAG\" --target \"$TARGET\" --dist part",
        "    needs: build\n",
        "tagship publish --merge parts/*",
    ] {
        assert!(matrix.contains(want), "{want:?} in:\n{matrix}");
    }
    assert_eq!(matrix.matches("id-token: write").count(), 1, "{matrix}");
    run(&p, &dir, &["init", "--check"]).assert_code(0);
    // Back to linux-amd64 only: the matrix workflow is stale.
    let pipeline = dir.join("pipeline.yaml");
    let text = std::fs::read_to_string(&pipeline).unwrap();
    let narrow = text.replace(WIDE, "targets: [linux-amd64]");
    std::fs::write(&pipeline, narrow).unwrap();
    assert_release_differs(&p, &dir);
}

/// `init --check` exits 1 naming release.yml.
fn assert_release_differs(p: &Project, dir: &Path) {
    let r = run(p, dir, &["init", "--check"]);
    r.assert_code(1);
    let said = "differs: .github/workflows/release.yml:";
    assert!(r.stderr.contains(said), "{}", r.stderr);
}

fn actionlint() -> PathBuf {
    let deps = std::env::var_os("TAGSHIP_TEST_DEPS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join(".cache/test-deps"),
        PathBuf::from,
    );
    let bin = deps.join("pyenv/bin/actionlint");
    assert!(
        bin.is_file(),
        "actionlint is missing at {}: run scripts/setup.d/74-actionlint.sh",
        bin.display()
    );
    bin
}

/// Runs actionlint on `files` (name, text) in a scratch `.github/workflows`.
fn lint(files: &[(String, String)]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let wf = dir.path().join(".github/workflows");
    std::fs::create_dir_all(&wf).unwrap();
    let mut paths = Vec::new();
    for (name, text) in files {
        std::fs::write(wf.join(name), text).unwrap();
        paths.push(wf.join(name));
    }
    Command::new(actionlint())
        .args(["-no-color", "-oneline"])
        .args(&paths)
        .current_dir(dir.path())
        .output()
        .expect("running actionlint")
}

#[test]
fn server_actionlint_accepts_the_generated_workflows_and_refuses_a_broken_one() {
    let files = written_workflows();
    let out = lint(&files);
    let said =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "actionlint refuses:\n{said}");
    // Control: the same checker refuses a job without `runs-on` and a bad expression.
    let broken = files[0].1.replacen("    runs-on: ubuntu-latest\n", "", 1);
    let broken = broken.replace("github.ref_name", "github.no_such_field(");
    let out = lint(&[("broken.yml".into(), broken)]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        !out.status.success(),
        "actionlint accepted a broken workflow"
    );
    assert!(said.contains("runs-on"), "{said}");
}

const SCHEMA_CHECK: &str = r#"
import json, sys, pathlib, yaml, jsonschema
schema = json.loads(pathlib.Path(sys.argv[1]).read_text())
jsonschema.Draft7Validator.check_schema(schema)
bad = 0
for f in sys.argv[2:]:
    doc = yaml.safe_load(pathlib.Path(f).read_text(encoding="utf-8"))
    # PyYAML reads YAML 1.1, where a bare `on` key is the boolean true; GitHub reads it as
    # the string "on". Give the schema the key GitHub sees.
    if True in doc:
        doc["on"] = doc.pop(True)
    for e in sorted(jsonschema.Draft7Validator(schema).iter_errors(doc), key=str):
        bad += 1
        print(f"{pathlib.Path(f).name}: {list(e.path)}: {e.message}")
    print(f"checked {pathlib.Path(f).name}")
sys.exit(1 if bad else 0)
"#;

/// Checks `files` against SchemaStore's workflow schema; returns (passed, output).
fn schema_check(files: &[(String, String)]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let schema = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/github-workflow/github-workflow.json");
    let mut cmd = Command::new("python3");
    cmd.arg("-c").arg(SCHEMA_CHECK).arg(schema);
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
        cmd.arg(dir.path().join(name));
    }
    let out = cmd
        .output()
        .expect("python3 is needed (scripts/setup.d/40-python-jsonschema.sh)");
    let said =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        !said.contains("No module named"),
        "install the validator: scripts/setup.d/40-python-jsonschema.sh and scripts/setup.d/41-python-yaml.sh\n{said}"
    );
    assert_eq!(said.matches("checked ").count(), files.len(), "{said}");
    (out.status.success(), said)
}

#[test]
fn server_github_workflow_schema_accepts_the_generated_workflows_and_refuses_a_broken_one() {
    let files = written_workflows();
    let (ok, said) = schema_check(&files);
    assert!(ok, "the workflow schema refuses:\n{said}");
    // Control: `permissions: id-token: maybe` is not a permission level.
    let broken = files[0].1.replace("id-token: write", "id-token: maybe");
    let (ok, said) = schema_check(&[("broken.yml".into(), broken)]);
    assert!(!ok, "the schema accepted a broken workflow:\n{said}");
}
