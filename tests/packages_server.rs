//! Acceptance 1 of issue 14: a coordinated release of examples/python-monorepo — three
//! pure-Python packages, each built by its own `python -m build` (flit_core, offline),
//! mono-text needing mono-core and mono-cli needing mono-text — to pypiserver and to one
//! PEP 503 index in a bare git repository, through the CLI. One run, one report: a row per
//! package × platform. A dry run sends 0 mutations; the release publishes all six, in
//! `needs` order (the index's commits are core, text, cli); a re-run rebuilds the same bytes
//! and sends 0 mutations. Then pip installs mono-cli from each index (pulling mono-text and
//! mono-core as its dependencies), imports the three and runs the command.

#[path = "packages_support/mod.rs"]
mod packages_support;
#[path = "pypi_support/mod.rs"]
mod pypi_support;
mod support;

use packages_support::{monorepo, outcomes, python, BUILD};
use pypi_support::Server;
use pypi_support::{bare_repo, commits, fresh_venv, pip_install, pypiserver, run, venv_tool};
use std::path::{Path, PathBuf};
use std::process::Command;
use support::cli::{Project, CANARY};

const ROWS: [&str; 6] = [
    "mono-core/pypi",
    "mono-core/pep503",
    "mono-text/pypi",
    "mono-text/pep503",
    "mono-cli/pypi",
    "mono-cli/pep503",
];

fn shared_platforms(srv: &Server, bare: &Path) -> String {
    format!(
        "  pypi:\n    repository_url: \"{}\"\n    check_via: simple\n    simple_url: \"{}\"\n    username: tester\n{BUILD}  pep503:\n    repo: \"{}\"\n{BUILD}",
        srv.s("upload_url"),
        srv.s("simple_url"),
        bare.display()
    )
}

/// Runs `args` (exit 0); every row ends in `outcome`, `mutating` requests were sent.
fn release_ends(p: &Project, args: &[&str], outcome: &str, mutating: u64) -> serde_json::Value {
    let r = p.run(args);
    r.assert_code(0);
    let rep = r.report(&p.dist());
    let want: Vec<(String, String)> = ROWS
        .iter()
        .map(|id| (id.to_string(), outcome.to_string()))
        .collect();
    assert_eq!(outcomes(&rep), want, "{rep:#}");
    assert_eq!(rep["requests"]["mutating_sent"], mutating, "{rep:#}");
    assert_eq!(
        (&rep["version"], &rep["tag"]),
        (&"1.0.0".into(), &"v1.0.0".into())
    );
    for pkg in ["mono-core", "mono-text", "mono-cli"] {
        let row = support::cli::platform_row(&rep, &format!("{pkg}/pypi"));
        let want = serde_json::json!({"name": pkg, "version": "1.0.0", "tag": "v1.0.0"});
        assert_eq!(row["package"], want, "{row:#}");
        let stem = pkg.replace('-', "_");
        let names: Vec<&str> = row["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap())
            .collect();
        let wheel = format!("{stem}-1.0.0-py3-none-any.whl");
        let sdist = format!("{stem}-1.0.0.tar.gz");
        assert_eq!(names, [wheel.as_str(), sdist.as_str()], "{row:#}");
    }
    rep
}

/// pip installs mono-cli from `simple` into a fresh venv (its dependencies come from the
/// same index), imports the three packages and runs the command.
fn install_and_run(dir: &Path, simple: &str) -> String {
    let venv = fresh_venv(dir);
    pip_install(&venv, &["--index-url", simple, "mono-cli==1.0.0"]);
    let imported = run(Command::new(venv.join("bin/python")).args([
        "-c",
        "import mono_core, mono_text, mono_cli; print(mono_text.shout('pip'))",
    ]));
    assert_eq!(imported.trim(), "HELLO, PIP!");
    run(Command::new(venv.join("bin/mono-cli")).arg("--version"))
}

/// The index branch's commit subjects, oldest first.
fn subjects(bare: &Path) -> Vec<String> {
    let out = run(Command::new("git").arg("-C").arg(bare).args([
        "log",
        "--reverse",
        "--format=%s",
        "gh-pages",
    ]));
    out.lines().map(String::from).collect()
}

#[test]
fn server_python_monorepo_to_pypiserver_and_pep503_then_pip_install() {
    python();
    venv_tool("pypi-server");
    let tmp = tempfile::tempdir().unwrap();
    let srv = pypiserver(&tmp.path().join("srv"), CANARY);
    let bare = bare_repo(&tmp.path().join("index.git"));
    let p = monorepo(&shared_platforms(&srv, &bare));
    let pkgdir = PathBuf::from(srv.s("packages"));
    let held = || (std::fs::read_dir(&pkgdir).unwrap().count(), commits(&bare));

    release_ends(&p, &["release", "v1.0.0", "--dry-run"], "would-publish", 0);
    assert_eq!(held(), (0, "0".into()), "a dry run publishes nothing");
    // 2 uploads per package to pypiserver, one push per package to the index.
    release_ends(&p, &["release", "v1.0.0"], "published", 9);
    assert_eq!(held(), (6, "3".into()));
    let order = subjects(&bare);
    for (subject, pkg) in order.iter().zip(["mono-core", "mono-text", "mono-cli"]) {
        assert!(subject.starts_with(&format!("{pkg} 1.0.0")), "{order:?}");
    }
    // A re-run rebuilds the same bytes: already published everywhere, 0 mutations.
    release_ends(&p, &["release", "v1.0.0"], "already-published", 0);
    assert_eq!(held(), (6, "3".into()));

    let want = "mono-core 1.0.0 mono-text 1.0.0 mono-cli 1.0.0";
    let printed = install_and_run(&tmp.path().join("from-pypi"), &srv.s("simple_url"));
    assert_eq!(printed.trim(), want);
    let site = tmp.path().join("site");
    run(Command::new("git")
        .args(["clone", "--quiet", "--branch", "gh-pages"])
        .arg(&bare)
        .arg(&site));
    let root = std::fs::read_to_string(site.join("simple/index.html")).unwrap();
    for pkg in ["mono-core", "mono-text", "mono-cli"] {
        assert!(root.contains(&format!("{pkg}/")), "{root}");
    }
    let served = Server::start(
        "pep503.sh",
        &tmp.path().join("static"),
        &[site.to_str().unwrap()],
    );
    let printed = install_and_run(&tmp.path().join("from-pep503"), &served.s("simple_url"));
    assert_eq!(printed.trim(), want);
}
