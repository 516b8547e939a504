//! Acceptance 1 of issue 14: a coordinated release of examples/python-monorepo — three
//! pure-Python packages, each built by its own `python -m build` (flit_core, offline),
//! mono-text needing mono-core and mono-cli needing mono-text — to pypiserver and to one
//! PEP 503 index in a bare git repository, through the CLI. One run, one report: a row per
//! package × platform. A dry run sends 0 mutations; the release publishes all six, in
//! `needs` order (the index's commits are core, text, cli); a re-run rebuilds the same bytes
//! and sends 0 mutations. Then pip installs mono-cli from each index (pulling mono-text and
//! mono-core as its dependencies), imports the three and runs the command.
//!
//! Then the monorepo's daily health check: `tagship status` shows every package × platform
//! in sync (exit 0); a package's files deleted from pypiserver are its drift (exit 1, the
//! row naming it); dry runs of `publish --package` and `rollback` send nothing; and the
//! selective republish from dist/ puts the files back.

#[path = "packages_support/mod.rs"]
mod packages_support;
#[path = "pypi_support/mod.rs"]
mod pypi_support;
mod support;

use packages_support::{monorepo, outcomes};
use pypi_support::project::{subjects, targets, Targets};
use pypi_support::run;
use serde_json::Value;
use std::path::Path;
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
fn install_and_run(t: &Targets, name: &str, simple: &str) -> String {
    let venv = t.pip_from(name, simple, "mono-cli==1.0.0");
    let imported = run(Command::new(venv.join("bin/python")).args([
        "-c",
        "import mono_core, mono_text, mono_cli; print(mono_text.shout('pip'))",
    ]));
    assert_eq!(imported.trim(), "HELLO, PIP!");
    run(Command::new(venv.join("bin/mono-cli")).arg("--version"))
}

#[test]
fn server_python_monorepo_to_pypiserver_and_pep503_then_pip_install() {
    let t = targets(CANARY);
    let p = monorepo(&t.platforms());

    release_ends(&p, &["release", "v1.0.0", "--dry-run"], "would-publish", 0);
    assert_eq!(t.held(), (0, "0".into()), "a dry run publishes nothing");
    // 2 uploads per package to pypiserver, one push per package to the index.
    release_ends(&p, &["release", "v1.0.0"], "published", 9);
    assert_eq!(t.held(), (6, "3".into()));
    let order = subjects(&t.bare);
    for (subject, pkg) in order.iter().zip(["mono-core", "mono-text", "mono-cli"]) {
        assert!(subject.starts_with(&format!("{pkg} 1.0.0")), "{order:?}");
    }
    // A re-run rebuilds the same bytes: already published everywhere, 0 mutations.
    release_ends(&p, &["release", "v1.0.0"], "already-published", 0);
    assert_eq!(t.held(), (6, "3".into()));

    let want = "mono-core 1.0.0 mono-text 1.0.0 mono-cli 1.0.0";
    let printed = install_and_run(&t, "from-pypi", &t.simple());
    assert_eq!(printed.trim(), want);
    let served = t.serve_index();
    let root = std::fs::read_to_string(t.site().join("simple/index.html")).unwrap();
    for pkg in ["mono-core", "mono-text", "mono-cli"] {
        assert!(root.contains(&format!("{pkg}/")), "{root}");
    }
    let printed = install_and_run(&t, "from-pep503", &served.s("simple_url"));
    assert_eq!(printed.trim(), want);
}

/// `tagship status --json ARGS`: its exit code and every row's id with whether it drifted.
fn status(p: &Project, args: &[&str]) -> (i32, Vec<(String, bool)>, Value) {
    let mut all = vec!["status", "--json"];
    all.extend_from_slice(args);
    let r = p.run(&all);
    let st: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {r:?}"));
    let rows = st["platforms"].as_array().unwrap();
    let rows = rows
        .iter()
        .map(|r| (r["id"].as_str().unwrap().to_string(), !r["drift"].is_null()))
        .collect();
    (r.code, rows, st)
}

/// Every row of ROWS, drifted only where `id == drifted`.
fn expect(drifted: &str) -> Vec<(String, bool)> {
    ROWS.iter()
        .map(|id| (id.to_string(), *id == drifted))
        .collect()
}

/// The exit code and `(id, outcome)` rows of `args`, with the mutations it sent.
fn ran(p: &Project, args: &[&str], report: &Path) -> (i32, Vec<(String, String)>, Value) {
    let r = p.run(args);
    let text = std::fs::read_to_string(report.join("report.json"))
        .unwrap_or_else(|e| panic!("{e}: {r:?}"));
    let rep: Value = serde_json::from_str(&text).unwrap();
    (
        r.code,
        outcomes(&rep),
        rep["requests"]["mutating_sent"].clone(),
    )
}

/// After the coordinated release, status shows every package × platform in sync; a
/// package's files deleted from pypiserver are that package's drift (exit 1, naming it); a
/// dry-run publish of that package and a dry-run rollback send nothing; `publish --package
/// mono-text --only pypi` puts the files back from dist/, and status is in sync again.
#[test]
fn server_python_monorepo_status_then_drift_then_republish_one_package() {
    let t = targets(CANARY);
    let p = monorepo(&t.platforms());
    release_ends(&p, &["release", "v1.0.0"], "published", 9);
    let (code, rows, st) = status(&p, &[]);
    assert_eq!((code, rows), (0, expect("")), "{st:#}");
    assert_eq!(st["version"], "1.0.0");

    // `mode: project` has no version-level probe (its file names come from a build), so
    // status judges pypi by the newest version it lists: take all of mono-text's files.
    let files = ["mono_text-1.0.0-py3-none-any.whl", "mono_text-1.0.0.tar.gz"];
    let files = files.map(|f| t.packages.join(f));
    files.iter().for_each(|f| std::fs::remove_file(f).unwrap());
    let (code, rows, st) = status(&p, &[]);
    assert_eq!((code, rows), (1, expect("mono-text/pypi")), "{st:#}");
    let r = p.run(&["status"]);
    r.assert_code(1);
    let line = r
        .stdout
        .lines()
        .chain(r.stderr.lines())
        .find(|l| l.contains("mono-text/pypi"));
    assert!(
        line.is_some_and(|l| l.contains("1.0.0 is missing")),
        "{r:?}"
    );

    let held = t.held();
    let one = ["publish", "--package", "mono-text", "--only", "pypi"];
    let (code, rows, sent) = ran(&p, &[&one[..], &["--dry-run"]].concat(), &p.dist());
    let row = rows.iter().find(|(id, _)| id == "mono-text/pypi").unwrap();
    assert_eq!(
        (code, row.1.as_str(), sent),
        (0, "would-publish", 0.into()),
        "{rows:?}"
    );
    assert_eq!(t.held(), held, "a dry run sends nothing");

    let (code, rows, sent) = ran(&p, &one, &p.dist());
    let row = rows.iter().find(|(id, _)| id == "mono-text/pypi").unwrap();
    assert_eq!(
        (code, row.1.as_str(), sent),
        (0, "published", 2.into()),
        "{rows:?}"
    );
    assert!(files.iter().all(|f| f.is_file()));
    let (code, rows, st) = status(&p, &["--package", "mono-text"]);
    let want = vec![
        ("mono-text/pypi".into(), false),
        ("mono-text/pep503".into(), false),
    ];
    assert_eq!((code, rows), (0, want), "{st:#}");
    rollback_dry_run_sends_nothing(&p, &t);
}

/// A dry-run rollback of the release: pep503 would delist each package's version, PyPI's is
/// a yank by hand; nothing is sent.
fn rollback_dry_run_sends_nothing(p: &Project, t: &Targets) {
    let held = t.held();
    let args = ["rollback", "v1.0.0", "--dry-run"];
    let (code, mut rows, sent) = ran(p, &args, &p.dist().join("rollback"));
    rows.sort();
    let mut want: Vec<(String, String)> = ROWS
        .iter()
        .map(|id| {
            let how = if id.ends_with("/pypi") {
                "manual"
            } else {
                "would-withdraw"
            };
            (id.to_string(), how.to_string())
        })
        .collect();
    want.sort();
    assert_eq!((rows, sent), (want, 0.into()), "exit {code}");
    assert_eq!(t.held(), held, "a dry run sends nothing");
}
