//! Hostile `packages:` (issue 14's monorepo surface, issue 10's classes): package names that
//! would be a path under dist/ (`..`, `.`) or no git tag (spaces, newlines, NUL), `dir`s that
//! leave the project (`..`, absolute, a symlink out), `needs` that cycle (through itself, or
//! a 20k-long chain that would overflow the stack as recursion) or name nothing (10k unknown
//! names), and per-package platform sections whose adapter refuses them (named with
//! file:line). Every case exits 2 under the hostile limits (1 GiB, 30 s), names the problem
//! and its line, sends nothing to the GitHub double and publishes nothing with exec.

mod support;

use std::os::unix::fs::symlink;
use support::cli::Project;
use support::github_double::GithubDouble;

mod hostile_common;
use hostile_common::{case, edit, run_table, Case};

/// Two packages, `a` (lines 10–11) and `b` (lines 12–13), publishing with exec into the
/// project root (exec runs in the package's directory).
fn mono(_: &GithubDouble) -> String {
    MONO.into()
}

const MONO: &str = "project:
  name: demo
  description: A demo tool
  license: MIT
platforms:
  exec:
    check: [sh, -c, 'exit 10']
    publish: [touch, ../published-marker]
packages:
  - name: a
    dir: a
  - name: b
    dir: b
";

/// A directory outside every project, with a subdirectory `x`, for symlinks to point at. Not
/// `/etc`: a build that accepted the link would run exec there, and exec writes `../`.
fn outside() -> std::path::PathBuf {
    let d = std::env::temp_dir().join("tagship-hostile-outside");
    std::fs::create_dir_all(d.join("x")).unwrap();
    d
}

fn dirs(p: &mut Project) {
    std::fs::create_dir_all(p.path().join("a")).unwrap();
    std::fs::create_dir_all(p.path().join("b")).unwrap();
}

/// `b`'s name (line 12) replaced by `to`.
fn name_b(s: String, to: &str) -> Vec<u8> {
    edit(s, "  - name: b\n", &format!("  - name: {to}\n"))
}

/// `b`'s dir (line 13) replaced by `to`.
fn dir_b(s: String, to: &str) -> Vec<u8> {
    edit(s, "    dir: b\n", &format!("    dir: {to}\n"))
}

/// Lines added to package `b` after its dir (from line 14).
fn more_b(s: String, lines: &str) -> Vec<u8> {
    edit(s, "    dir: b\n", &format!("    dir: b\n{lines}"))
}

fn c(name: &'static str, pipeline: fn(String) -> Vec<u8>, expect: &'static [&'static str]) -> Case {
    case(name, pipeline, dirs, expect)
}

const NAME: &str = "`packages[1].name`";
const OUTSIDE: &str = "`packages[1].dir`";

fn names() -> Vec<Case> {
    vec![
        c(
            "name ..",
            |s| name_b(s, "'..'"),
            &["pipeline.yaml:12:", NAME, "not usable"],
        ),
        c(
            "name .",
            |s| name_b(s, "'.'"),
            &["pipeline.yaml:12:", NAME, "not usable"],
        ),
        c(
            "name with a space",
            |s| name_b(s, "'a b'"),
            &["pipeline.yaml:12:", NAME],
        ),
        c(
            "name with a newline",
            |s| name_b(s, "\"x\\ny\""),
            &["pipeline.yaml:12:", "x\\ny"],
        ),
        c(
            "name with a NUL",
            |s| name_b(s, "\"x\\0y\""),
            &["pipeline.yaml:12:", "x\\0y"],
        ),
        c(
            "name starting with -",
            |s| name_b(s, "-x"),
            &["pipeline.yaml:12:", NAME],
        ),
        c(
            "name with ..",
            |s| name_b(s, "x..y"),
            &["pipeline.yaml:12:", NAME],
        ),
        c(
            "name with a colon",
            |s| name_b(s, "'x:y'"),
            &["pipeline.yaml:12:", NAME],
        ),
        c(
            "name with a tilde",
            |s| name_b(s, "x~1"),
            &["pipeline.yaml:12:", NAME],
        ),
        c(
            "duplicate name",
            |s| name_b(s, "a"),
            &["pipeline.yaml:12:", "duplicate package name `a`"],
        ),
    ]
}

fn dir_cases() -> Vec<Case> {
    vec![
        c(
            "dir ..",
            |s| dir_b(s, ".."),
            &["pipeline.yaml:13:", OUTSIDE, "outside the project"],
        ),
        c(
            "dir ../x",
            |s| dir_b(s, "../x"),
            &["pipeline.yaml:13:", OUTSIDE, "no `..`"],
        ),
        c(
            "dir absolute",
            |s| dir_b(s, "/etc"),
            &["pipeline.yaml:13:", OUTSIDE, "not absolute"],
        ),
        c(
            "dir b/../..",
            |s| dir_b(s, "b/../.."),
            &["pipeline.yaml:13:", OUTSIDE],
        ),
        c(
            "dir empty",
            |s| dir_b(s, "''"),
            &["pipeline.yaml:13:", OUTSIDE],
        ),
        c(
            "dir with a NUL",
            |s| dir_b(s, "\"b\\0c\""),
            &["pipeline.yaml:13:", OUTSIDE],
        ),
        Case {
            name: "dir a symlink out of the project",
            pipeline: |s| dir_b(s, "evil"),
            setup: |p| {
                dirs(p);
                symlink(outside().join("x"), p.path().join("evil")).unwrap();
            },
            expect: &["pipeline.yaml:13:", OUTSIDE, "through a symlink"],
            reject: &[],
        },
        Case {
            name: "dir under a symlinked parent",
            pipeline: |s| dir_b(s, "up/x"),
            setup: |p| {
                dirs(p);
                symlink(outside(), p.path().join("up")).unwrap();
            },
            expect: &["pipeline.yaml:13:", OUTSIDE, "through a symlink"],
            reject: &[],
        },
        c(
            "dir that is a file",
            |s| dir_b(s, "pipeline.yaml"),
            &["pipeline.yaml:13:", "does not exist"],
        ),
    ]
}

/// 20k packages, each needing the next, the last needing the first.
fn long_cycle(_: String) -> Vec<u8> {
    let mut s = MONO.replace("  - name: a\n    dir: a\n  - name: b\n    dir: b\n", "");
    let n = 20_000;
    for i in 0..n {
        s.push_str(&format!(
            "  - {{name: p{i}, dir: a, needs: [p{}]}}\n",
            (i + 1) % n
        ));
    }
    s.into_bytes()
}

/// `b` needing 10k packages that do not exist.
fn many_unknown(s: String) -> Vec<u8> {
    let list: Vec<String> = (0..10_000).map(|i| format!("zz{i}")).collect();
    more_b(s, &format!("    needs: [{}]\n", list.join(", ")))
}

fn needs() -> Vec<Case> {
    vec![
        c(
            "needs itself",
            |s| more_b(s, "    needs: [b]\n"),
            &["pipeline.yaml:12:", "cycle: b → b"],
        ),
        c(
            "needs each other",
            |s| {
                let s = edit(s, "    dir: a\n", "    dir: a\n    needs: [b]\n");
                more_b(String::from_utf8(s).unwrap(), "    needs: [a]\n")
            },
            &["pipeline.yaml:", "cycle: a → b → a"],
        ),
        c(
            "needs unknown",
            |s| more_b(s, "    needs: [nope]\n"),
            &["pipeline.yaml:14:", "unknown package `nope`"],
        ),
        c(
            "needs a number",
            |s| more_b(s, "    needs: [5]\n"),
            &["pipeline.yaml:14:", "packages[1].needs"],
        ),
        c(
            "needs 10k unknown names",
            many_unknown,
            &["pipeline.yaml:14:", "unknown package `zz0`"],
        ),
        c(
            "needs a 20k-long cycle",
            long_cycle,
            &[
                "pipeline.yaml:",
                "form a cycle: p0 → p1",
                "(20000 packages)",
            ],
        ),
    ]
}

fn platform_sections() -> Vec<Case> {
    vec![
        c(
            "unknown platform in a package",
            |s| more_b(s, "    platforms:\n      nope: {}\n"),
            &["pipeline.yaml:15:", "unknown platform `nope`"],
        ),
        c(
            "package timeout garbage",
            |s| more_b(s, "    platforms:\n      exec: {timeout: banana}\n"),
            &[
                "pipeline.yaml:15:",
                "packages[1].platforms.exec.timeout",
                "not a duration",
            ],
        ),
        c(
            "package timeout zero",
            |s| more_b(s, "    platforms:\n      exec: {timeout: 0s}\n"),
            &[
                "pipeline.yaml:15:",
                "packages[1].platforms.exec.timeout",
                "longer than 0",
            ],
        ),
        c(
            "package docker image refused by the adapter",
            |s| more_b(s, "    platforms:\n      docker: {image: \"Bad/Image\"}\n"),
            &["pipeline.yaml:15:", "platforms.docker.image", "uppercase"],
        ),
        c(
            "package docker wait of 292 billion years",
            |s| {
                more_b(s, "    platforms:\n      docker: {image: acme/x, verify_timeout_secs: 9223372036854775807}\n")
            },
            &[
                "pipeline.yaml:15:",
                "verify_timeout_secs",
                "must be at most 604800",
            ],
        ),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn every_hostile_package_setting_exits_2_names_it_and_publishes_nothing() {
    let all: Vec<Case> = [names(), dir_cases(), needs(), platform_sections()]
        .into_iter()
        .flatten()
        .collect();
    assert!(all.len() >= 30, "{} cases", all.len());
    let rows = all
        .into_iter()
        .map(|c| (c, vec!["release", "v1.0.0"]))
        .collect();
    run_table(rows, mono).await;
}
