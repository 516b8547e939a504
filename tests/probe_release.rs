//! The no-build path (issue 11, acceptance 2), through the real binary against pypiserver and
//! an `exec` registry: a re-run of a finished release probes every platform by name and
//! ends without running the build command (it counts its runs in a marker file) or any
//! packaging, and the report says so; with one wheel deleted on the server it builds and
//! re-sends only that; `--verify-content` builds and compares although everything is live.

#[path = "pypi_support/mod.rs"]
mod pypi_support;
mod support;

use pypi_support::{venv_tool, Server};
use std::path::Path;
use support::cli::{exec_section, platform_row as outcome, quick_pipeline, Project, CANARY};

/// How many times the build command ran.
fn builds(p: &Project) -> usize {
    std::fs::read_to_string(p.path().join("built.log"))
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

/// `quick_pipeline` with pypi and exec, whose build command also counts its runs.
fn pipeline(srv: &Server) -> String {
    let pypi = format!(
        "  pypi:\n    repository_url: \"{}\"\n    check_via: simple\n    simple_url: \"{}\"\n    username: tester\n",
        srv.s("upload_url"),
        srv.s("simple_url"),
    );
    let quick = quick_pipeline(&format!("{pypi}{}", exec_section()));
    let install = r#"[install, -D, -m, "0755", /bin/true, "build/{target}/demo{exe}"]"#;
    let counted = r#"[sh, -c, 'echo built >> built.log && install -D -m 0755 /bin/true "build/{target}/demo{exe}"']"#;
    assert!(quick.contains(install), "quick_pipeline changed: {quick}");
    quick.replace(install, counted)
}

#[test]
fn server_a_finished_release_reruns_without_building() {
    venv_tool("pypi-server");
    let tmp = tempfile::tempdir().unwrap();
    let srv = Server::start_env(
        "pypiserver.sh",
        &tmp.path().join("srv"),
        &[],
        &[("PYPI_PASSWORD", CANARY)],
    );
    let mut p = Project::new(&pipeline(&srv));
    p.env("EXEC_REGISTRY_TOKEN", "exec-token");
    let wheel = "demo-1.0.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl";
    let pkgdir = std::path::PathBuf::from(srv.s("packages"));

    p.run(&["release", "v1.0.0"]).assert_code(0);
    assert_eq!(builds(&p), 1);
    assert!(pkgdir.join(wheel).is_file());
    rerun_neither_builds_nor_packages(&p, wheel);
    verify_content_builds_and_compares(&p);
    lost_wheel_is_built_and_sent_alone(&p, &pkgdir, wheel);
}

/// Everything is live: no build command, no packaging, and the report says so.
fn rerun_neither_builds_nor_packages(p: &Project, wheel: &str) {
    let wheel_in_dist = p.dist().join("wheels").join(wheel);
    let before = std::fs::metadata(&wheel_in_dist)
        .unwrap()
        .modified()
        .unwrap();
    let r = p.run(&["release", "v1.0.0"]);
    r.assert_code(0);
    let rep = r.report(&p.dist());
    assert_eq!(builds(p), 1, "the build ran although everything is live");
    assert_eq!(rep["build"]["state"], "skipped", "{rep:#}");
    assert_eq!(rep["build"]["reason"], "everything live", "{rep:#}");
    for id in ["pypi", "exec"] {
        let o = outcome(&rep, id);
        assert_eq!(o["outcome"], "already-published", "{o:#}");
        assert!(o["reason"]
            .as_str()
            .unwrap()
            .contains("content not re-compared"));
        assert!(o["stages"]["probe"].is_u64(), "{o:#}");
        assert!(o["stages"].get("package").is_none(), "{o:#}");
    }
    assert_eq!(rep["requests"]["mutating_sent"], 0, "{rep:#}");
    // The skipped release keeps the built release's artifacts, so `publish` still works.
    assert_eq!(rep["artifacts"].as_array().unwrap().len(), 3, "{rep:#}");
    let after = std::fs::metadata(&wheel_in_dist)
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(before, after, "packaging rewrote dist/");
    assert!(r.stdout.contains("build: skipped"), "{}", r.stdout);
}

/// `--verify-content` builds and compares content although everything is live.
fn verify_content_builds_and_compares(p: &Project) {
    let r = p.run(&["release", "v1.0.0", "--verify-content"]);
    r.assert_code(0);
    let rep = r.report(&p.dist());
    assert_eq!(builds(p), 2);
    assert_eq!(rep["build"]["state"], "ran", "{rep:#}");
    for id in ["pypi", "exec"] {
        let o = outcome(&rep, id);
        assert_eq!(o["outcome"], "already-published", "{o:#}");
        assert_eq!(o["reason"], "already live", "{o:#}");
    }
}

/// One file gone on one server: build, and re-send exactly that file.
fn lost_wheel_is_built_and_sent_alone(p: &Project, pkgdir: &Path, wheel: &str) {
    std::fs::remove_file(pkgdir.join(wheel)).unwrap();
    let r = p.run(&["release", "v1.0.0"]);
    r.assert_code(0);
    let rep = r.report(&p.dist());
    assert_eq!(builds(p), 3);
    assert_eq!(rep["build"]["state"], "ran", "{rep:#}");
    let py = outcome(&rep, "pypi");
    assert_eq!(py["outcome"], "published", "{py:#}");
    assert_eq!(py["uploaded"], serde_json::json!([wheel]), "{py:#}");
    assert_eq!(outcome(&rep, "exec")["outcome"], "already-published");
    assert_eq!(rep["requests"]["mutating_sent"], 1, "{rep:#}");
    assert!(pkgdir.join(wheel).is_file());
}
