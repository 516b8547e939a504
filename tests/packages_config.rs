//! `packages:` (issue 14) refused before anything runs: a bad `packages:` section is exit 2
//! with every problem at its file:line (unknown package in `needs`, a cycle, a duplicate
//! name, a directory that does not exist, an unknown platform), `--package` names only
//! packages that exist, and the JSON Schemas (`tagship schema`, `--schema --report`)
//! describe `packages:` and the report's package rows (`package: {name, version, tag}`). Acceptance 4: one package whose
//! pyproject.toml disagrees with the tag refuses the whole coordinated release — exit 2
//! naming the package, the file and the line, with nothing built and nothing published.

#[path = "packages_support/mod.rs"]
mod packages_support;
#[path = "pypi_support/mod.rs"]
mod pypi_support;
mod support;

use packages_support::{files_under, monorepo};
use pypi_support::project::{python, BUILD};
use support::cli::Project;

const BAD: &str = "project: { name: mono }
platforms:
  pep503: { dir: index }
packages:
  - name: a
    dir: pa
    needs: [b, nope]
  - name: b
    dir: pb
    needs: [a]
  - name: a
    dir: missing
  - name: c
    dir: pa
    platforms: { pep053: {} }
";

#[test]
fn bad_packages_are_exit_2_with_every_problem_at_its_line() {
    let p = Project::new(BAD);
    std::fs::create_dir_all(p.path().join("pa")).unwrap();
    std::fs::create_dir_all(p.path().join("pb")).unwrap();
    let r = p.run(&["release", "v1.0.0", "--dry-run"]);
    r.assert_code(2);
    for line in [
        "pipeline.yaml:7:16: `packages[0].needs`: unknown package `nope`",
        "pipeline.yaml:11:11: duplicate package name `a`",
        "hint: line 5 already names a package `a`",
        "pipeline.yaml:5:11: packages' `needs` form a cycle: a → b → a",
        "pipeline.yaml:12:10: `packages[2].dir`: the directory `missing` does not exist",
        "pipeline.yaml:15:18: unknown platform `pep053` in `packages[3].platforms`",
        "did you mean `pep503`?",
    ] {
        assert!(r.stderr.contains(line), "{line}\n{}", r.stderr);
    }
    assert!(!p.dist().exists(), "nothing was built");
}

#[test]
fn package_flag_names_known_packages_only() {
    let p = Project::new(
        "project: { name: mono }\nplatforms:\n  pep503: { dir: index }\npackages:\n  - { name: a, dir: pa }\n",
    );
    std::fs::create_dir_all(p.path().join("pa")).unwrap();
    let r = p.run(&["release", "v1.0.0", "--dry-run", "--package", "a,zz"]);
    r.assert_code(2);
    assert!(
        r.stderr.contains("unknown package `zz` (--package)"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("packages in pipeline.yaml: a"),
        "{}",
        r.stderr
    );
    let r = p.run(&["release", "v1.0.0", "--dry-run", "--only", "pypi"]);
    r.assert_code(2);
    assert!(
        r.stderr
            .contains("no chosen package publishes to platform `pypi`"),
        "{}",
        r.stderr
    );
    // `check` preflights every package, naming each platform `<package>/<platform>`.
    let r = p.run(&["check", "--json"]);
    r.assert_code(0);
    let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(j["platforms"], serde_json::json!(["a/pep503"]), "{j:#}");
    let r = p.run(&["check", "--only", "pypi"]);
    r.assert_code(2);
    let no = "no chosen package publishes to platform `pypi`";
    assert!(r.stderr.contains(no), "{}", r.stderr);
    // `login` finds the platform in the packages (a local pep503 index takes no token).
    let r = p.run(&["logout", "pep503"]);
    r.assert_code(2);
    let none = "pep503 needs no token here";
    assert!(r.stderr.contains(none), "{}", r.stderr);
    // publish, status and rollback take --package as release does.
    let runs: [&[&str]; 3] = [
        &["publish", "--dry-run", "--package", "zz"],
        &["status", "--package", "zz"],
        &["rollback", "1.0.0", "--dry-run", "--package", "zz"],
    ];
    each_refused(&p, &runs, "unknown package `zz` (--package)");
    // Without `packages:`, --package is a usage error, not silently ignored.
    let plain = Project::new("project: { name: one }\nplatforms:\n  pep503: { dir: index }\n");
    let runs: [&[&str]; 4] = [
        &["release", "v1.0.0", "--dry-run", "--package", "a"],
        &["publish", "--dry-run", "--package", "a"],
        &["status", "--package", "a"],
        &["rollback", "1.0.0", "--dry-run", "--package", "a"],
    ];
    each_refused(&plain, &runs, "has no `packages:`");
}

/// Each of `runs` is exit 2 saying `says`.
fn each_refused(p: &Project, runs: &[&[&str]], says: &str) {
    for args in runs {
        let r = p.run(args);
        r.assert_code(2);
        assert!(r.stderr.contains(says), "{args:?}: {}", r.stderr);
    }
}

#[test]
fn schemas_describe_packages_and_their_rows() {
    let p = Project::new("project: { name: mono }\n");
    let r = p.run(&["schema"]);
    r.assert_code(0);
    let s: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let pkg = &s["$defs"]["PackageConfig"];
    for key in ["name", "dir", "version", "builds", "platforms", "needs"] {
        assert!(pkg["properties"][key].is_object(), "{key}: {pkg:#}");
    }
    assert_eq!(pkg["required"], serde_json::json!(["name", "dir"]));
    let sections = &pkg["properties"]["platforms"];
    assert!(sections["properties"]["pypi"].is_object(), "{sections:#}");
    assert_eq!(sections["additionalProperties"], false);
    let r = p.run(&["schema", "--report"]);
    r.assert_code(0);
    let s: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let text = s.to_string();
    assert!(text.contains("PackageRelease"), "{s:#}");
    let row = &s["$defs"]["PlatformReport"]["properties"];
    assert!(row["package"].is_object(), "{row:#}");
    let pkg = &s["$defs"]["PackageRelease"];
    assert_eq!(
        pkg["required"],
        serde_json::json!(["name", "version", "tag"]),
        "{pkg:#}"
    );
}

/// Acceptance 4: mono-text says 1.0.1, the tag v1.0.0. The coordinated release (and `check`)
/// refuses to start, naming the package, the file and the line; no build ran, the index (a local
/// directory) is untouched, no report claims anything was sent.
#[test]
fn a_version_mismatch_in_one_package_refuses_the_whole_release() {
    python();
    let p = monorepo(&format!("  pep503:\n    dir: ../../index\n{BUILD}"));
    std::fs::create_dir_all(p.path().join("index")).unwrap();
    let toml = std::fs::read_to_string(p.path().join("packages/text/pyproject.toml")).unwrap();
    p.write(
        "packages/text/pyproject.toml",
        &toml.replace("version = \"1.0.0\"", "version = \"1.0.1\""),
    );
    for args in [
        &["release", "v1.0.0"][..],
        &["release", "v1.0.0", "--dry-run"],
        &["check", "v1.0.0"],
    ] {
        let r = p.run(args);
        r.assert_code(2);
        let want = "package `mono-text`: ";
        assert!(r.stderr.contains(want), "{}", r.stderr);
        let at = "packages/text/pyproject.toml:7: version `1.0.1` does not match the tag's version `1.0.0`";
        assert!(r.stderr.contains(at), "{}", r.stderr);
        assert!(!r.stderr.contains("mono-core`: "), "{}", r.stderr);
        assert_eq!(files_under(&p.path().join("index")), 0, "nothing published");
        assert!(!p.dist().join("report.json").exists(), "nothing ran");
        for pkg in ["core", "text", "cli"] {
            let built = p.path().join(format!("packages/{pkg}/dist"));
            assert!(!built.exists(), "no build ran in {pkg}");
        }
    }
}
