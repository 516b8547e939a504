//! `mode: project` (issue 14) for pypi and pep503: the wheels and sdist a real
//! `python -m build` (flit_core, offline) writes are validated before anything is sent and
//! published as they are. Against the warehouse double: the upload form comes from each
//! file's METADATA, a re-run of a reproducible build is already live, and PyPI's
//! one-sdist-per-release rule is reported by the check with nothing sent (the double enforces
//! the rule too). Bad builds (a version that is not the tag's, a README that does not render as
//! its reStructuredText type says) are refused in `package`. The `server_` test releases
//! examples/hello-python through the CLI to pypiserver and a PEP 503 index in a git branch,
//! installs it with pip from both and runs its console script.

#[path = "oidc_support/mod.rs"]
mod oidc_support;
#[path = "pypi_support/mod.rs"]
mod pypi_support;
mod support;
#[path = "pypi_support/warehouse.rs"]
mod warehouse;
#[path = "pypi_support/warehouse_oidc.rs"]
mod warehouse_oidc;

use pypi_support::project::{python, targets, Targets};
use pypi_support::{cx, pyenv, release, run};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::cli::{Project, CANARY};
use tagship::plan::Artifact;
use tagship::platform::{Cx, Live, Platform};
use tagship::ErrorKind;
use warehouse::{start, TOKEN};

/// A flit project `whdemo` (the name the warehouse double serves) at `version`.
fn whdemo(root: &Path, version: &str, readme: (&str, &str)) {
    std::fs::create_dir_all(root.join("whdemo")).unwrap();
    std::fs::write(root.join("whdemo/__init__.py"), "\"\"\"demo\"\"\"\n").unwrap();
    std::fs::write(root.join(readme.0), readme.1).unwrap();
    std::fs::write(
        root.join("pyproject.toml"),
        format!("[build-system]\nrequires = [\"flit_core >=3.4,<4\"]\nbuild-backend = \"flit_core.buildapi\"\n\n[project]\nname = \"whdemo\"\nversion = \"{version}\"\ndescription = \"A demo\"\nreadme = \"{}\"\n\n[project.urls]\nSource = \"https://example.org/src\"\n", readme.0),
    )
    .unwrap();
}

async fn platform(
    id: &str,
    root: &Path,
    url: &str,
) -> (Cx, tagship::guard::Ledger, Box<dyn Platform>) {
    let py = python().display().to_string();
    let build = json!({"command": [py, "-m", "build", "--no-isolation"], "python": py});
    let r = release(root, "whdemo", "0.9.0-beta.1", &[]);
    let (cx, ledger) = cx(id, r, false, &[("PYPI_TOKEN", TOKEN)]);
    let cfg = json!({"repository_url": format!("{url}legacy/"), "index_url": url, "mode": "project", "build": build, "verify_timeout_secs": 2});
    let p = (tagship::platforms::pypi::FACTORY.build)(&cfg, &cx.release.project).unwrap();
    (cx, ledger, p)
}

/// whdemo 0.9.0b1 built in `root` for the pypi platform against the double at `url`.
async fn built(
    root: &Path,
    url: &str,
) -> (Cx, tagship::guard::Ledger, Box<dyn Platform>, Vec<Artifact>) {
    whdemo(root, "0.9.0b1", ("README.md", "# whdemo\n\n*markdown*\n"));
    let (cx, ledger, p) = platform("pypi", root, url).await;
    let pkgs = p.package(&cx).await.unwrap();
    let names: Vec<&str> = pkgs.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "whdemo-0.9.0b1-py2.py3-none-any.whl",
            "whdemo-0.9.0b1.tar.gz"
        ]
    );
    assert!(cx
        .release
        .path(&pkgs[1])
        .starts_with(root.join("dist/python/pypi")));
    (cx, ledger, p, pkgs)
}

#[tokio::test]
async fn project_files_upload_with_their_metadata_and_a_rebuild_is_live() {
    let tmp = tempfile::tempdir().unwrap();
    let (st, url) = start().await;
    let (cx, ledger, p, pkgs) = built(tmp.path(), &url).await;
    assert_eq!(p.check(&cx, &pkgs).await.unwrap(), Live::Absent);
    let done = p.publish(&cx, &Live::Absent, &pkgs).await.unwrap();
    assert_eq!(done.uploaded, [pkgs[0].name.clone(), pkgs[1].name.clone()]);
    assert_eq!(ledger.mutating_sent(), 2);
    // The form came from METADATA: the double checked filetype/pyversion per file, and the
    // README went with its content type.
    let readme = st.lock().unwrap().readme.clone().unwrap();
    assert_eq!(readme.0.trim_end(), "# whdemo\n\n*markdown*");
    assert_eq!(readme.1, "text/markdown");
    // Rebuilt at the same epoch: the same bytes, already live.
    let again = p.package(&cx).await.unwrap();
    assert_eq!(again, pkgs);
    assert_eq!(p.check(&cx, &again).await.unwrap(), Live::Present);
}

#[tokio::test]
async fn one_sdist_per_release_is_refused_by_the_check_with_nothing_sent() {
    let tmp = tempfile::tempdir().unwrap();
    let (st, url) = start().await;
    let (cx, ledger, p, pkgs) = built(tmp.path(), &url).await;
    // The release already holds an sdist under another name: the check says so, nothing is sent.
    let other = ("whdemo-0.9.0b1.zip".to_string(), "00".repeat(32));
    st.lock().unwrap().files.push(other);
    let e = p.check(&cx, &pkgs).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Conflict, "{e:?}");
    let m = e.message();
    assert!(
        m.contains("one sdist per release") && m.contains("whdemo-0.9.0b1.zip"),
        "{e:?}"
    );
    assert!(e.hint().unwrap().contains("SOURCE_DATE_EPOCH"), "{e:?}");
    assert_eq!(ledger.mutating_sent(), 0);
    // Sent anyway (no check), the double refuses the sdist as warehouse does, and the
    // refusal is reported with its own hint.
    let e = p.publish(&cx, &Live::Absent, &pkgs).await.unwrap_err();
    assert!(
        e.message()
            .contains("Only one sdist may be uploaded per release"),
        "{e:?}"
    );
    assert!(e.hint().unwrap().contains("#282"), "{e:?}");
    // Our own sdist name, live with other bytes (a rebuild that is not reproducible).
    let live_sha = "ff".repeat(32);
    st.lock().unwrap().files = vec![(pkgs[1].name.clone(), live_sha)];
    let e = p.check(&cx, &pkgs).await.unwrap_err();
    assert!(
        e.message()
            .contains("whdemo-0.9.0b1.tar.gz with other bytes"),
        "{e:?}"
    );
}

#[tokio::test]
async fn bad_builds_are_refused_in_package_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let (_st, url) = start().await;
    // pyproject says 0.9.0, the release is 0.9.0-beta.1 (0.9.0b1).
    let a = tmp.path().join("a");
    whdemo(&a, "0.9.0", ("README.md", "# whdemo\n"));
    let (cx, _, p) = platform("pypi", &a, &url).await;
    let e = p.package(&cx).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Input, "{e:?}");
    for part in [
        "whdemo-0.9.0-py2.py3-none-any.whl: `file name: version`",
        "whdemo-0.9.0.tar.gz: `PKG-INFO: version`",
        "0.9.0b1",
    ] {
        assert!(e.message().contains(part), "{part}: {e:?}");
    }
    assert!(e.hint().unwrap().contains("0.9.0b1"), "{e:?}");

    // A reStructuredText README that does not render (twine check fails): refused.
    let b = tmp.path().join("b");
    whdemo(
        &b,
        "0.9.0b1",
        ("README.rst", "Title\n=====\n\nSome *unclosed emphasis\n"),
    );
    let (cx, _, p) = platform("pypi", &b, &url).await;
    let e = p.package(&cx).await.unwrap_err();
    assert!(
        e.message()
            .contains("`Description (reStructuredText)`: does not render"),
        "{e:?}"
    );
    assert!(
        e.message().contains("whdemo-0.9.0b1-py2.py3-none-any.whl"),
        "{e:?}"
    );
    // Fixed, it renders and packages.
    std::fs::write(b.join("README.rst"), "Title\n=====\n\nSome *emphasis*.\n").unwrap();
    assert_eq!(p.package(&cx).await.unwrap().len(), 2);
}

/// Installs hello-python from `simple` into a fresh venv and runs its console script.
fn install_and_run(t: &Targets, name: &str, simple: &str) -> String {
    let venv = t.pip_from(name, simple, "hello-python==1.0.0");
    run(Command::new(venv.join("bin/hello-python")).arg("--version"))
}

/// examples/hello-python in a scratch project whose pipeline.yaml points pypi and pep503 at
/// `t`, both in `mode: project`, with the registries venv (build, flit_core,
/// readme_renderer) first on PATH.
fn hello_python(t: &Targets) -> Project {
    let mut p = Project::new("");
    let example = example();
    for f in ["pyproject.toml", "README.md", "hello_python/__init__.py"] {
        p.write(f, &std::fs::read_to_string(example.join(f)).unwrap());
    }
    let yaml = std::fs::read_to_string(example.join("pipeline.yaml")).unwrap();
    let (head, _) = yaml.split_once("platforms:").unwrap();
    p.write(
        "pipeline.yaml",
        &format!("{head}platforms:\n{}", t.platforms()),
    );
    let path = std::env::var("PATH").unwrap();
    p.env("PATH", &format!("{}:{path}", pyenv().join("bin").display()));
    p
}

fn example() -> PathBuf {
    pypi_support::repo().join("examples/hello-python")
}

/// The project says 0.9.0, the tag v1.0.0: exit 2 naming the file. A static version is caught
/// up front (pyproject.toml:7); a dynamic one (flit reads `__version__`) only in what the
/// build wrote, by mode: project's validation. The project is restored afterwards.
fn refuses_other_versions(p: &Project) {
    let good = std::fs::read_to_string(example().join("pyproject.toml")).unwrap();
    let code = std::fs::read_to_string(example().join("hello_python/__init__.py")).unwrap();
    let static_090 = good.replace("version = \"1.0.0\"", "version = \"0.9.0\"");
    p.write("pyproject.toml", &static_090);
    let r = p.run(&["release", "v1.0.0"]);
    r.assert_code(2);
    assert!(r.stderr.contains("pyproject.toml:7"), "{}", r.stderr);
    let dynamic = good.replace("version = \"1.0.0\"", "dynamic = [\"version\"]");
    p.write("pyproject.toml", &dynamic);
    p.write(
        "hello_python/__init__.py",
        &format!("{code}\n__version__ = \"0.9.0\"\n"),
    );
    let r = p.run(&["release", "v1.0.0"]);
    r.assert_code(2);
    for part in [
        "hello_python-0.9.0-py3-none-any.whl: `METADATA: version`",
        "hello_python-0.9.0.tar.gz",
        "nothing was published",
    ] {
        assert!(r.stderr.contains(part), "{part}: {}", r.stderr);
    }
    p.write("pyproject.toml", &good);
    p.write("hello_python/__init__.py", &code);
}

/// Runs `args` (exit 0) and asserts both platforms end in `outcome` with `mutating` sent.
fn release_ends(p: &Project, args: &[&str], outcome: &str, mutating: u64) -> serde_json::Value {
    let r = p.run(args);
    r.assert_code(0);
    let rep = r.report(&p.dist());
    for id in ["pypi", "pep503"] {
        let row = support::cli::platform_row(&rep, id);
        assert_eq!(row["outcome"], outcome, "{rep:#}");
        let names: Vec<&str> = row["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "hello_python-1.0.0-py3-none-any.whl",
                "hello_python-1.0.0.tar.gz"
            ],
            "{row:#}"
        );
    }
    assert_eq!(rep["requests"]["mutating_sent"], mutating, "{rep:#}");
    rep
}

#[test]
fn server_hello_python_to_pypiserver_and_pep503_then_pip_install() {
    let t = targets(CANARY);
    let p = hello_python(&t);

    refuses_other_versions(&p);
    assert_eq!(t.held(), (0, "0".into()), "nothing published anywhere");
    // A dry run builds and validates, and sends nothing.
    release_ends(&p, &["release", "v1.0.0", "--dry-run"], "would-publish", 0);
    assert_eq!(t.held(), (0, "0".into()));
    release_ends(&p, &["release", "v1.0.0"], "published", 3);
    assert_eq!(t.held(), (2, "1".into()));
    // A re-run rebuilds the same bytes: already published, 0 mutations.
    release_ends(&p, &["release", "v1.0.0"], "already-published", 0);
    assert_eq!(t.held(), (2, "1".into()));

    // pip installs from both and the console script prints the version.
    let printed = install_and_run(&t, "from-pypi", &t.simple());
    assert_eq!(printed.trim(), "hello-python 1.0.0");
    let served = t.serve_index();
    let printed = install_and_run(&t, "from-pep503", &served.s("simple_url"));
    assert_eq!(printed.trim(), "hello-python 1.0.0");
}
