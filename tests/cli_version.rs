//! Where the version comes from, through the real binary: `CI_COMMIT_TAG` (GitLab),
//! `GITHUB_REF` (GitHub Actions, only when it is a tag ref), and `git describe --exact-match
//! --tags` in a real temporary git repository; then their precedence (argument, GITHUB_REF tag,
//! CI_COMMIT_TAG, git tag), shown by `tagship check`, which names the source. Each single
//! source runs a real release with an exec platform, so the version reaches the report and
//! the platform (`registry/<version>/done`).

mod support;

use std::path::Path;
use std::process::Command;
use support::cli::{exec_section, quick_pipeline, Project, Run};

fn project() -> Project {
    Project::new(&quick_pipeline(&exec_section()))
}

/// Asserts a release without a tag argument published `version` (from tag `tag`).
fn assert_released(p: &Project, r: &Run, tag: &str, version: &str) {
    r.assert_code(0);
    let rep = r.report(&p.dist());
    assert_eq!(rep["tag"], tag, "{rep:#}");
    assert_eq!(rep["version"], version, "{rep:#}");
    assert!(
        p.path()
            .join("registry")
            .join(version)
            .join("done")
            .exists(),
        "the exec platform got TAGSHIP_VERSION={version}"
    );
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
        .args(["-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap_or_else(|e| panic!("git: {e} (run scripts/setup.d/10-base.sh)"));
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Makes the project a git repository with one commit, tagged `tag` (lightweight).
fn git_repo_tagged(p: &Project, tag: &str) {
    git(p.path(), &["init", "--quiet", "-b", "main"]);
    git(p.path(), &["add", "pipeline.yaml", "README.md"]);
    git(p.path(), &["commit", "--quiet", "-m", "init"]);
    git(p.path(), &["tag", tag]);
}

/// `tagship ARGS` (a `check`) in `p` prints exactly `want` ("version X (from SOURCE)").
fn assert_version_line(p: &Project, args: &[&str], want: &str) {
    let r = p.run(args);
    r.assert_code(0);
    assert!(
        r.stderr.lines().any(|l| l.ends_with(want)),
        "expected {want:?} in:\n{}",
        r.stderr
    );
}

#[test]
fn ci_commit_tag_is_the_version() {
    let mut p = project();
    p.env("CI_COMMIT_TAG", "v2.3.4");
    let r = p.run(&["release"]);
    assert_released(&p, &r, "v2.3.4", "2.3.4");
}

#[test]
fn github_ref_tag_is_the_version() {
    let mut p = project();
    p.env("GITHUB_REF", "refs/tags/v3.4.5-rc.1");
    let r = p.run(&["release"]);
    assert_released(&p, &r, "v3.4.5-rc.1", "3.4.5-rc.1");
}

#[test]
fn git_describe_exact_match_is_the_version() {
    let p = project();
    git_repo_tagged(&p, "v4.5.6");
    let r = p.run(&["release"]);
    assert_released(&p, &r, "v4.5.6", "4.5.6");
    assert_eq!(
        r.report(&p.dist())["commit"].as_str().map(str::len),
        Some(40)
    );

    // One commit later HEAD is no longer tagged: no version, refused before anything runs.
    std::fs::write(p.path().join("README.md"), "# demo 2\n").unwrap();
    git(p.path(), &["commit", "--quiet", "-am", "next"]);
    let r = p.run(&["release"]);
    r.assert_code(2);
    assert!(r.stderr.contains("no version"), "{}", r.stderr);
    assert!(!p.path().join("registry/4.5.7").exists());
}

#[test]
fn precedence_argument_then_github_ref_then_ci_commit_tag_then_git() {
    let mut p = project();
    git_repo_tagged(&p, "v4.0.0");
    assert_version_line(
        &p,
        &["check"],
        "version 4.0.0 (from git describe --exact-match)",
    );

    p.env("CI_COMMIT_TAG", "v3.0.0");
    assert_version_line(&p, &["check"], "version 3.0.0 (from $CI_COMMIT_TAG)");

    // A branch ref is not a tag: CI_COMMIT_TAG still wins.
    p.env("GITHUB_REF", "refs/heads/main");
    assert_version_line(&p, &["check"], "version 3.0.0 (from $CI_COMMIT_TAG)");

    p.env("GITHUB_REF", "refs/tags/v2.0.0");
    assert_version_line(&p, &["check"], "version 2.0.0 (from $GITHUB_REF)");

    let arg = &["check", "v1.0.0"];
    assert_version_line(&p, arg, "version 1.0.0 (from the command line)");
}
