//! The `mode: project` end-to-end fixture that pypi_project.rs (examples/hello-python) and
//! the `packages:` tests (examples/python-monorepo) share: pypiserver and a PEP 503 index in a
//! bare git repository as the `pypi`/`pep503` sections (each building with
//! `python -m build`), what both hold, the index served from a clone of its branch, and pip
//! installing from either into a fresh venv.
#![allow(dead_code)]

use super::{bare_repo, commits, fresh_venv, pip_install, pypiserver, run, venv_tool, Server};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The setup step that installs `build`, `flit_core` and `readme_renderer`.
pub const SETUP: &str = "scripts/setup.d/42-python-build.sh";

/// The build command every `mode: project` section uses (offline: no build isolation).
pub const BUILD: &str =
    "    mode: project\n    build:\n      command: [python3, -m, build, --no-isolation]\n";

/// The registries venv's python, with `build`, `flit_core` and `readme_renderer` (else the
/// test fails, naming the setup script).
pub fn python() -> PathBuf {
    let py = venv_tool("python");
    let ok = Command::new(&py)
        .args([
            "-c",
            "import build, flit_core.buildapi, readme_renderer.rst",
        ])
        .status()
        .unwrap();
    if !ok.success() {
        super::missing(
            "`build`, `flit_core` or `readme_renderer` in the registries venv",
            SETUP,
        );
    }
    py
}

/// pypiserver and a bare repository for the PEP 503 index, under one scratch directory.
pub struct Targets {
    pub tmp: tempfile::TempDir,
    pub srv: Server,
    pub bare: PathBuf,
    /// pypiserver's packages directory (one file per uploaded wheel or sdist).
    pub packages: PathBuf,
}

/// Starts pypiserver (user `tester`, `password`) and makes the index's bare repository,
/// after checking that python can build and pypiserver is installed.
pub fn targets(password: &str) -> Targets {
    python();
    venv_tool("pypi-server");
    let tmp = tempfile::tempdir().unwrap();
    let srv = pypiserver(&tmp.path().join("srv"), password);
    let bare = bare_repo(&tmp.path().join("index.git"));
    let packages = PathBuf::from(srv.s("packages"));
    Targets {
        tmp,
        srv,
        bare,
        packages,
    }
}

impl Targets {
    /// `pypi` and `pep503` sections (YAML lines under `platforms:`) pointing at both.
    pub fn platforms(&self) -> String {
        format!(
            "  pypi:\n    repository_url: \"{}\"\n    check_via: simple\n    simple_url: \"{}\"\n    username: tester\n{BUILD}  pep503:\n    repo: \"{}\"\n{BUILD}",
            self.srv.s("upload_url"),
            self.srv.s("simple_url"),
            self.bare.display()
        )
    }

    /// What both hold: pypiserver's files and the index repository's commits.
    pub fn held(&self) -> (usize, String) {
        let files = std::fs::read_dir(&self.packages).unwrap().count();
        (files, commits(&self.bare))
    }

    /// pypiserver's simple index.
    pub fn simple(&self) -> String {
        self.srv.s("simple_url")
    }

    /// Where `serve_index` clones the index branch.
    pub fn site(&self) -> PathBuf {
        self.tmp.path().join("site")
    }

    /// A clone of the index branch (at `site()`), served over HTTP
    /// (`scripts/servers/pep503.sh`).
    pub fn serve_index(&self) -> Server {
        let site = self.site();
        run(Command::new("git")
            .args(["clone", "--quiet", "--branch", "gh-pages"])
            .arg(&self.bare)
            .arg(&site));
        Server::start(
            "pep503.sh",
            &self.tmp.path().join("static"),
            &[site.to_str().unwrap()],
        )
    }

    /// pip installs `requirement` from `simple` into a fresh venv named `name`; the venv.
    pub fn pip_from(&self, name: &str, simple: &str, requirement: &str) -> PathBuf {
        let venv = fresh_venv(&self.tmp.path().join(name));
        pip_install(&venv, &["--index-url", simple, requirement]);
        venv
    }
}

/// The index branch's commit subjects, oldest first.
pub fn subjects(bare: &Path) -> Vec<String> {
    let out = run(Command::new("git").arg("-C").arg(bare).args([
        "log",
        "--reverse",
        "--format=%s",
        "gh-pages",
    ]));
    out.lines().map(String::from).collect()
}
