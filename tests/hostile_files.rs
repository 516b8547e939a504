//! Hostile files: a report.json edited to point outside dist/, a binary that is a symlink out
//! of the project, dist/ that is a file or cannot be written, file names over 255 bytes
//! (settings: `hostile_settings.rs`). Every case
//! exits 2 under the hostile limits (1 GiB, 30 s), names the problem, sends nothing to the
//! GitHub double and publishes nothing with exec.

mod support;

use serde_json::{json, Value};
use std::os::unix::fs::symlink;
use support::cli::{quick_pipeline, Project};

mod hostile_common;
use hostile_common::{case, edit, github_and_exec, nothing, run_table, same, Case};

const ARCHIVE: &str = "demo_1.0.0_linux_amd64.tar.gz";

/// dist/ holding one archive, and `outside.tar.gz` beside dist/ with the same bytes (so a
/// sha256 check alone cannot tell them apart). Returns the shared sha256.
fn files(p: &Project) -> String {
    p.write(&format!("dist/{ARCHIVE}"), "archive bytes");
    p.write("outside.tar.gz", "archive bytes");
    tagship::build::hash_file(&p.path().join("outside.tar.gz"))
        .unwrap()
        .0
}

/// Writes dist/report.json listing one archive as `name` at `path`, and `packages` for github.
fn report(p: &Project, name: &str, path: &str, packages: Value) {
    let sha = files(p);
    let artifact = |name: &str, path: &str| json!({"name": name, "path": path, "type": "archive", "sha256": sha, "size": 13});
    let r = json!({
        "schema_version": 1, "tool": "tagship test", "operation": "release",
        "project": "demo", "version": "1.0.0", "tag": "v1.0.0", "dry_run": false,
        "started_at": "2026-01-01T00:00:00Z", "duration_ms": 1, "exit_code": 0,
        "artifacts": [artifact(name, path)],
        "platforms": [{"id": "github", "outcome": "published", "duration_ms": 1, "packages": packages}],
        "requests": {"sent": 0, "mutating_sent": 0, "withheld": 0}
    });
    p.write("dist/report.json", &r.to_string());
}

fn package(path: &str) -> Value {
    json!([{"name": "demo-1.0.0.whl", "path": path, "type": "package", "platform": "pypi",
            "sha256": "00", "size": 1}])
}

const INSIDE: &str = "must be a relative path inside dist/";
const VIA_LINK: &str = "resolves outside dist/ through a symlink";
/// A 300-character prerelease: every versioned file name is over 255 bytes.
fn long_tag() -> &'static str {
    Box::leak(format!("v1.0.0-{}", "a".repeat(300)).into_boxed_str())
}

fn trust() -> Vec<(Case, Vec<&'static str>)> {
    let publish = vec!["publish"];
    let c = |name, setup: fn(&mut Project), expect: &'static [&'static str]| Case {
        name,
        pipeline: same,
        setup,
        expect,
        reject: &[],
    };
    vec![
        c(
            "artifact path ../",
            |p| report(p, ARCHIVE, "../outside.tar.gz", json!([])),
            &[INSIDE, "../outside.tar.gz"],
        ),
        c(
            "artifact path ../ after a dir",
            |p| report(p, ARCHIVE, "bin/../../outside.tar.gz", json!([])),
            &[INSIDE],
        ),
        c(
            "artifact path absolute",
            |p| {
                let abs = p.path().join("outside.tar.gz");
                report(p, ARCHIVE, abs.to_str().unwrap(), json!([]))
            },
            &[INSIDE, "not absolute"],
        ),
        c(
            "artifact path empty",
            |p| report(p, ARCHIVE, "", json!([])),
            &[INSIDE],
        ),
        c(
            "artifact is a symlink out of dist",
            |p| {
                report(p, ARCHIVE, "link.tar.gz", json!([]));
                symlink(
                    p.path().join("outside.tar.gz"),
                    p.path().join("dist/link.tar.gz"),
                )
                .unwrap();
            },
            &[VIA_LINK, "link.tar.gz"],
        ),
        c(
            "artifact under a symlinked dir",
            |p| {
                report(p, ARCHIVE, "up/outside.tar.gz", json!([]));
                symlink(p.path(), p.path().join("dist/up")).unwrap();
            },
            &[VIA_LINK],
        ),
        c(
            "artifact name with ../",
            |p| report(p, "../../etc/evil", ARCHIVE, json!([])),
            &["not a plain file name"],
        ),
        c(
            "artifact name with a slash",
            |p| report(p, "a/b.tar.gz", ARCHIVE, json!([])),
            &["not a plain file name"],
        ),
        c(
            "package path ../",
            |p| report(p, ARCHIVE, ARCHIVE, package("../outside.whl")),
            &[INSIDE, "demo-1.0.0.whl"],
        ),
        c(
            "package path absolute",
            |p| report(p, ARCHIVE, ARCHIVE, package("/etc/passwd")),
            &[INSIDE, "/etc/passwd"],
        ),
        c(
            "package is a symlink out of dist",
            |p| {
                report(p, ARCHIVE, ARCHIVE, package("pkg.whl"));
                symlink("/etc/passwd", p.path().join("dist/pkg.whl")).unwrap();
            },
            &[VIA_LINK],
        ),
    ]
    .into_iter()
    .map(|c| (c, publish.clone()))
    .collect()
}

const SYMLINK_BIN: &str = "symlink that resolves outside the build directory";
const INSTALL: &str =
    r#"command: [install, -D, -m, "0755", /bin/true, "build/{target}/demo{exe}"]"#;

fn binaries() -> Vec<Case> {
    vec![
        Case {
            name: "binary is a symlink to /bin/true",
            pipeline: |s| {
                edit(s, INSTALL, "command: [sh, -c, 'mkdir -p build/linux-amd64 && ln -sf /bin/true build/linux-amd64/demo']")
            },
            setup: nothing,
            expect: &[SYMLINK_BIN, "build/linux-amd64/demo"],
            reject: &[],
        },
        Case {
            name: "binary inside a symlinked dir",
            pipeline: |s| {
                let s = String::from_utf8(edit(s, INSTALL, "command: [ln, -sfn, /usr/bin, lnk]"))
                    .unwrap();
                edit(
                    s,
                    "binary: \"build/{target}/demo{exe}\"",
                    "binary: lnk/true",
                )
            },
            setup: nothing,
            expect: &[SYMLINK_BIN, "lnk/true"],
            reject: &[],
        },
    ]
}

fn local() -> Vec<(Case, Vec<&'static str>)> {
    let rel = || vec!["release", "v1.0.0"];
    let c = case;
    let dist_file: fn(&mut Project) = |p| p.write("dist", "a file, not a directory\n");
    let long_archive: fn(String) -> Vec<u8> = |s| {
        let name = format!("  name: \"{}_{{os}}_{{arch}}\"\n", "x".repeat(300));
        edit(s, "archives:\n", &format!("archives:\n{name}"))
    };
    let long_binary: fn(String) -> Vec<u8> =
        |s| s.replace("demo{exe}", "demo-{version}{exe}").into_bytes();
    vec![
        (
            c(
                "dist is a file",
                same,
                dist_file,
                &[
                    "output directory (default `dist`)",
                    "is a file, not a directory",
                ],
            ),
            rel(),
        ),
        (
            c(
                "dist: setting is a file",
                |s| (s + "dist: out\n").into_bytes(),
                |p| p.write("out", "x"),
                &["`dist:` in", "is a file, not a directory"],
            ),
            rel(),
        ),
        (
            c(
                "--dist is a file",
                same,
                nothing,
                &["--dist", "README.md is a file, not a directory"],
            ),
            vec!["release", "v1.0.0", "--dist", "README.md"],
        ),
        (
            c(
                "--dist below a file",
                same,
                nothing,
                &["--dist", "README.md/out", "Not a directory"],
            ),
            vec!["release", "v1.0.0", "--dist", "README.md/out"],
        ),
        (
            c(
                "--dist not writable",
                same,
                nothing,
                &["--dist", "/sys is not writable"],
            ),
            vec!["release", "v1.0.0", "--dist", "/sys"],
        ),
        (
            c(
                "dist: setting below a file",
                |s| (s + "dist: README.md/out\n").into_bytes(),
                nothing,
                &["`dist:` in", "Not a directory"],
            ),
            rel(),
        ),
        (
            c(
                "publish with --dist a file",
                same,
                nothing,
                &["--dist", "is a file, not a directory"],
            ),
            vec!["publish", "--dist", "README.md"],
        ),
        (
            c(
                "dry run with dist a file",
                same,
                dist_file,
                &["is a file, not a directory"],
            ),
            vec!["release", "v1.0.0", "--dry-run"],
        ),
        (
            c(
                "archive name from a 300-char prerelease",
                same,
                nothing,
                &["archives.name", "bytes", "allow 255"],
            ),
            vec!["release", long_tag()],
        ),
        (
            c(
                "binary name from a 300-char prerelease",
                long_binary,
                nothing,
                &["binary `build/{target}/demo-{version}{exe}`", "allow 255"],
            ),
            vec!["release", long_tag()],
        ),
        (
            c(
                "archives.name over 255 bytes",
                long_archive,
                nothing,
                &["archives.name `xxx", "allow 255"],
            ),
            rel(),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn every_hostile_file_exits_2_names_it_and_sends_nothing() {
    let rel = vec!["release", "v1.0.0"];
    let mut all = trust();
    all.extend(binaries().into_iter().map(|c| (c, rel.clone())));
    all.extend(local());
    assert!(all.len() >= 24, "{} cases", all.len());
    run_table(all, github_and_exec).await;
}

/// The control for the report.json cases: the same synthetic report with a path inside dist/
/// is accepted, so the cases above are refused for their path and nothing else.
#[test]
fn a_report_pointing_inside_dist_is_published() {
    let p = Project::new(&quick_pipeline(
        "  exec:\n    check: [sh, -c, 'test -f published-marker || exit 10']\n    publish: [touch, published-marker]\n",
    ));
    report(&p, ARCHIVE, ARCHIVE, json!([]));
    let r = p.run(&["publish"]);
    r.assert_code(0);
    assert!(p.path().join("published-marker").exists(), "{}", r.stderr);
}

/// report.json and report.md that are symlinks (planted in dist/ by anyone who can write it)
/// are replaced by the run, never written through to their targets.
#[test]
fn report_files_that_are_symlinks_are_replaced_not_followed() {
    let p = Project::new(&quick_pipeline(
        "  exec:\n    check: [sh, -c, 'test -f published-marker || exit 10']\n    publish: [touch, published-marker]\n",
    ));
    p.write("victim.json", "precious\n");
    p.write("victim.md", "precious\n");
    std::fs::create_dir_all(p.dist()).unwrap();
    symlink(p.path().join("victim.json"), p.dist().join("report.json")).unwrap();
    symlink(p.path().join("victim.md"), p.dist().join("report.md")).unwrap();
    p.run(&["release", "v1.0.0"]).assert_code(0);
    for (link, victim) in [("report.json", "victim.json"), ("report.md", "victim.md")] {
        let meta = std::fs::symlink_metadata(p.dist().join(link)).unwrap();
        assert!(meta.is_file(), "{link} is still a symlink");
        let kept = std::fs::read_to_string(p.path().join(victim)).unwrap();
        assert_eq!(kept, "precious\n", "{victim} was written through {link}");
    }
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(p.dist().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(report["platforms"][0]["outcome"], "published");
}
