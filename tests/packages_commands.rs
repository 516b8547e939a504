//! `packages:` (issue 14) through every command, on a local `exec` registry (a directory per
//! package and version, written by the publish command and read by the check command), so
//! it needs no server. Two packages: `lib` takes the tag's version (`version: shared`), `tool`
//! its own (`version: own`: 2.3.0 from its pyproject.toml, tagged `tool-v2.3.0`) and builds
//! its own binary (`builds:` in the package, run in its directory, archived into
//! `dist/tool/`). One release publishes both, `tool` after `lib`; `status` shows one row per
//! package × platform, each judged at its package's own version, and the drift of the
//! package whose files went missing; `publish --package tool` republishes that package from
//! dist/ alone; a dry-run rollback sends nothing.

mod support;

use serde_json::Value;
use support::cli::{platform_row, Project};

const PIPELINE: &str = r#"project: { name: mono, description: Two packages, license: MIT }
platforms:
  exec:
    check: [sh, -c, 'test -f "registry/$TAGSHIP_NAME-$TAGSHIP_VERSION/done" && exit 0 || exit 10']
    publish: [sh, -c, 'd="registry/$TAGSHIP_NAME-$TAGSHIP_VERSION" && mkdir -p "$d" && for f in $TAGSHIP_ARTIFACTS; do cp "$f" "$d/"; done && echo "$TAGSHIP_TAG" > "$d/done"']
    credentials: [EXEC_REGISTRY_TOKEN]
packages:
  - name: lib
    dir: lib
  - name: tool
    dir: tool
    version: own
    needs: [lib]
    builds:
      - command: [install, -D, -m, "0755", /bin/true, "build/{target}/tool{exe}"]
        binary: "build/{target}/tool{exe}"
        targets: [linux-amd64]
"#;

fn pyproject(name: &str, version: &str) -> String {
    format!("[project]\nname = \"{name}\"\nversion = \"{version}\"\n")
}

fn project() -> Project {
    let mut p = Project::new(PIPELINE);
    p.write("lib/pyproject.toml", &pyproject("lib", "1.0.0"));
    p.write("tool/pyproject.toml", &pyproject("tool", "2.3.0"));
    p.env("EXEC_REGISTRY_TOKEN", "t0ken-for-exec");
    p
}

/// The `done` marker the exec registry holds for a package's version (its tag), if any.
fn published(p: &Project, dir: &str, release: &str) -> Option<String> {
    let f = p
        .path()
        .join(dir)
        .join("registry")
        .join(release)
        .join("done");
    std::fs::read_to_string(f)
        .ok()
        .map(|s| s.trim().to_string())
}

/// `(id, outcome)` of every row, in order.
fn rows(rep: &Value) -> Vec<(String, String)> {
    let rows = rep["platforms"].as_array().unwrap();
    let s = |r: &Value, k: &str| r[k].as_str().unwrap_or_default().to_string();
    rows.iter().map(|r| (s(r, "id"), s(r, "outcome"))).collect()
}

fn pairs(want: &[(&str, &str)]) -> Vec<(String, String)> {
    want.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// `tagship status ARGS --json`: the exit code and the JSON.
fn status(p: &Project, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["status", "--json"];
    all.extend_from_slice(args);
    let r = p.run(&all);
    let json = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {r:?}"));
    (r.code, json)
}

/// `(id, package, version, drift?)` of every status row.
fn status_rows(st: &Value) -> Vec<(String, String, String, bool)> {
    let rows = st["platforms"].as_array().unwrap();
    let s = |r: &Value, k: &str| r[k].as_str().unwrap_or_default().to_string();
    rows.iter()
        .map(|r| {
            (
                s(r, "id"),
                s(r, "package"),
                s(r, "version"),
                !r["drift"].is_null(),
            )
        })
        .collect()
}

fn row(id: &str, pkg: &str, version: &str, drift: bool) -> (String, String, String, bool) {
    (id.into(), pkg.into(), version.into(), drift)
}

#[test]
fn own_versions_and_own_builds_release_together_then_status_publish_and_rollback() {
    let p = project();
    let r = p.run(&["release", "v1.0.0"]);
    r.assert_code(0);
    let rep = r.report(&p.dist());
    let want = [("lib/exec", "published"), ("tool/exec", "published")];
    assert_eq!(rows(&rep), pairs(&want), "{rep:#}");
    let tool = &platform_row(&rep, "tool/exec")["package"];
    assert_eq!(
        tool,
        &serde_json::json!({"name": "tool", "version": "2.3.0", "tag": "tool-v2.3.0"})
    );
    let lib = &platform_row(&rep, "lib/exec")["package"];
    assert_eq!(
        lib,
        &serde_json::json!({"name": "lib", "version": "1.0.0", "tag": "v1.0.0"})
    );
    // tool's own build ran in its directory; its archive went to its registry entry.
    assert!(p.path().join("tool/build/linux-amd64/tool").is_file());
    let archive = "tool_2.3.0_linux_amd64.tar.gz";
    assert!(p.dist().join("tool").join(archive).is_file(), "{rep:#}");
    assert!(p
        .path()
        .join("tool/registry/tool-2.3.0")
        .join(archive)
        .is_file());
    assert_eq!(
        published(&p, "tool", "tool-2.3.0").as_deref(),
        Some("tool-v2.3.0")
    );
    assert_eq!(published(&p, "lib", "lib-1.0.0").as_deref(), Some("v1.0.0"));

    status_shows_each_package_and_its_drift(&p);
    publish_republishes_one_package_from_dist(&p);

    // exec cannot take a version back: every row says so, and nothing is sent.
    let r = p.run(&["rollback", "v1.0.0", "--dry-run"]);
    r.assert_code(0);
    let rep: Value = serde_json::from_str(
        &std::fs::read_to_string(p.dist().join("rollback/report.json")).unwrap(),
    )
    .unwrap();
    let want = [("lib/exec", "skipped"), ("tool/exec", "skipped")];
    assert_eq!(rows(&rep), pairs(&want), "{rep:#}");
    assert_eq!(rep["requests"]["mutating_sent"], 0);
    // A `version: own` package is named by its own tag; one that does not parse is exit 2.
    let r = p.run(&["rollback", "tool-v2.3.0", "--package", "tool", "--dry-run"]);
    r.assert_code(0);
    let r = p.run(&["rollback", "tool-vX", "--package", "tool", "--dry-run"]);
    r.assert_code(2);
    assert!(
        r.stderr.contains("package `tool`") && r.stderr.contains("bad tag `vX`"),
        "{}",
        r.stderr
    );
}

fn status_shows_each_package_and_its_drift(p: &Project) {
    let (code, st) = status(p, &["v1.0.0"]);
    let want = vec![
        row("lib/exec", "lib", "1.0.0", false),
        row("tool/exec", "tool", "2.3.0", false),
    ];
    assert_eq!((code, status_rows(&st)), (0, want), "{st:#}");
    assert_eq!(st["version"], "1.0.0, 2.3.0");
    for badge in ["badge.svg", "badge-lib-exec.svg", "badge-tool-exec.svg"] {
        assert!(p.dist().join("status").join(badge).is_file(), "{badge}");
    }
    // tool's files went missing from the registry: its row drifts, lib's does not.
    let done = p.path().join("tool/registry/tool-2.3.0/done");
    std::fs::remove_file(&done).unwrap();
    let (code, st) = status(p, &["v1.0.0"]);
    let want = vec![
        row("lib/exec", "lib", "1.0.0", false),
        row("tool/exec", "tool", "2.3.0", true),
    ];
    assert_eq!((code, status_rows(&st)), (1, want), "{st:#}");
    let r = p.run(&["status", "v1.0.0"]);
    r.assert_code(1);
    assert!(
        r.stdout.contains("tool/exec") || r.stderr.contains("tool/exec"),
        "{r:?}"
    );
    // --package narrows it to that package's rows.
    let (code, st) = status(p, &["v1.0.0", "--package", "lib"]);
    let want = vec![row("lib/exec", "lib", "1.0.0", false)];
    assert_eq!((code, status_rows(&st)), (0, want), "{st:#}");
}

fn publish_republishes_one_package_from_dist(p: &Project) {
    let r = p.run(&["publish", "--package", "tool", "--dry-run"]);
    r.assert_code(0);
    let rep = r.report(&p.dist());
    assert_eq!(rep["requests"]["mutating_sent"], 0, "{rep:#}");
    assert_eq!(
        published(p, "tool", "tool-2.3.0"),
        None,
        "a dry run sends nothing"
    );
    let r = p.run(&["publish", "--package", "tool"]);
    r.assert_code(0);
    let rep = r.report(&p.dist());
    assert_eq!(rep["operation"], "publish");
    // lib's row is the release's, kept; tool's is this run's.
    let want = [("lib/exec", "published"), ("tool/exec", "published")];
    assert_eq!(rows(&rep), pairs(&want), "{rep:#}");
    let kept = &platform_row(&rep, "lib/exec")["warnings"];
    assert!(kept.to_string().contains("from an earlier run"), "{rep:#}");
    assert_eq!(
        published(p, "tool", "tool-2.3.0").as_deref(),
        Some("tool-v2.3.0")
    );
    let (code, _) = status(p, &["v1.0.0"]);
    assert_eq!(code, 0);
    let r = p.run(&["publish", "--package", "nope"]);
    r.assert_code(2);
    assert!(r.stderr.contains("unknown package `nope`"), "{}", r.stderr);
}
