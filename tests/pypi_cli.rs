//! pypi + pep503 through the real `tagship` binary and pipeline.yaml (config schema, engine,
//! report): a release publishes the wheel to pypiserver and to a PEP 503 index in a bare git
//! repo; the re-run is already-published on both with no mutation; a dry run of the next
//! version is would-publish on both, lists the upload and the push, and changes nothing.

#[path = "pypi_support/mod.rs"]
mod pypi_support;
mod support;

use pypi_support::{bare_repo, commits, pypiserver, venv_tool};
use std::path::Path;
use support::cli::{platform_row as outcome, Project, CANARY};

#[test]
fn server_release_rerun_and_dry_run_through_the_cli() {
    venv_tool("pypi-server");
    let tmp = tempfile::tempdir().unwrap();
    // The CLI harness puts a canary value in PYPI_TOKEN and checks it never shows.
    let srv = pypiserver(&tmp.path().join("srv"), CANARY);
    let bare = bare_repo(&tmp.path().join("index.git"));
    let p = Project::new(&pipeline(&srv.s("upload_url"), &srv.s("simple_url"), &bare));
    let pkgdir = std::path::PathBuf::from(srv.s("packages"));
    let wheel = "cli_demo-1.2.3-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl";
    released_to_both(&p, &pkgdir, &bare, wheel);
    rerun_sends_nothing(&p, &bare);
    dry_run_of_the_next_version_changes_nothing(&p, &pkgdir, &bare);
}

/// pypi at pypiserver, pep503 at the bare repository.
fn pipeline(upload: &str, simple: &str, bare: &Path) -> String {
    format!(
        r#"project:
  name: cli-demo
  description: A demo tool
  license: MIT
builds:
  - command: [install, -D, -m, "0755", /bin/true, "build/{{target}}/cli-demo{{exe}}"]
    binary: "build/{{target}}/cli-demo{{exe}}"
    targets: [linux-amd64]
archives:
  files: [README.md]
platforms:
  pypi:
    repository_url: "{upload}"
    check_via: simple
    simple_url: "{simple}"
    username: tester
  pep503:
    repo: "{bare}"
"#,
        bare = bare.display()
    )
}

fn released_to_both(p: &Project, pkgdir: &Path, bare: &Path, wheel: &str) {
    let r = p.run(&["release", "v1.2.3"]);
    r.assert_code(0);
    let rep = r.report(&p.dist());
    for id in ["pypi", "pep503"] {
        let o = outcome(&rep, id);
        assert_eq!(o["outcome"], "published", "{o:#}");
        assert_eq!(o["packages"][0]["name"], wheel, "{o:#}");
    }
    assert!(pkgdir.join(wheel).is_file());
    assert_eq!(commits(bare), "1");
}

fn rerun_sends_nothing(p: &Project, bare: &Path) {
    let r = p.run(&["release", "v1.2.3"]);
    r.assert_code(0);
    let rep = r.report(&p.dist());
    for id in ["pypi", "pep503"] {
        assert_eq!(outcome(&rep, id)["outcome"], "already-published", "{rep:#}");
    }
    assert_eq!(rep["requests"]["mutating_sent"], 0, "{rep:#}");
    assert_eq!(commits(bare), "1");
}

fn dry_run_of_the_next_version_changes_nothing(p: &Project, pkgdir: &Path, bare: &Path) {
    let r = p.run(&["release", "v1.2.4", "--dry-run"]);
    r.assert_code(0);
    let rep = r.report(&p.dist());
    let py = outcome(&rep, "pypi");
    assert_eq!(py["outcome"], "would-publish", "{py:#}");
    assert_eq!(py["withheld"][0]["method"], "POST");
    assert!(py["withheld"][0]["body"]
        .as_str()
        .unwrap()
        .contains("cli_demo-1.2.4-py3"));
    let idx = outcome(&rep, "pep503");
    assert_eq!(idx["outcome"], "would-publish", "{idx:#}");
    assert!(idx["withheld"][0]["target"]
        .as_str()
        .unwrap()
        .contains("push"));
    assert_eq!(rep["requests"]["mutating_sent"], 0);
    assert_eq!(std::fs::read_dir(pkgdir).unwrap().count(), 1);
    assert_eq!(commits(bare), "1");
}
