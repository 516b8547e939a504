//! Issue 8 (WinGet), through the real `tagship` binary against the GitHub double serving the
//! release repository, `microsoft/winget-pkgs` and the fork (tests/conformance/winget.rs),
//! with PRs left open for review as on winget-pkgs:
//! - a release opens exactly one PR (`New version: Acme.Demo version 1.0.0`, from the fork's
//!   per-version branch, one commit through blobs → tree → commit) whose manifests pass the
//!   official schemas and point at the release's zips with their sha256s → `pending`;
//! - a re-run while it is open: `pending`, 0 PRs, 0 commits, 0 mutations; once merged:
//!   `already-published`, 0 mutations;
//! - a dry run: 0 mutations, the PR shown (withheld request, title in the report);
//! - someone else's open PR for the version → `pending` with its URL, no PR of ours;
//! - our PR closed without merging → reported, nothing re-submitted;
//! - the version folder live with other InstallerSha256s → conflict, no PR;
//! - bad input → exit 2 with nothing sent; rollback → a removal PR.

mod support;
mod winget_support;

#[path = "conformance/mod.rs"]
mod common;
#[path = "conformance/winget.rs"]
mod fixture;

use common::{project, Server};
use fixture::{Running, ID, UPSTREAM};
use serde_json::Value;
use support::cli::{platform_row, Project};

const TITLE: &str = "New version: Acme.Demo version 1.0.0";
const BRANCH: &str = "Acme.Demo-1.0.0";

fn setup(merge_at_once: bool) -> (tempfile::TempDir, Running, Project) {
    common::require_servers();
    let dir = tempfile::tempdir().unwrap();
    let server = fixture::start(dir.path(), merge_at_once);
    let p = project(&server);
    (dir, server, p)
}

/// Runs tagship; returns (exit code, report, winget's row).
fn run(p: &Project, args: &[&str]) -> (i32, Value, Value, String) {
    let r = p.run(args);
    let report = r.report(&p.dist());
    let row = platform_row(&report, "winget").clone();
    (r.code, report, row, r.stderr)
}

fn pulls(s: &Running) -> Vec<Value> {
    s.double.pulls()
}

#[test]
fn server_release_opens_one_pr_and_reruns_send_nothing() {
    let (_d, s, p) = setup(false);
    s.double.fork_warmup(2); // a fresh fork answers 404 for a moment: waited for
    release_opens_one_pr(&s, &p);
    rerun_while_open_then_merged_sends_nothing(&s, &p);
    removed_upstream_is_rerendered_byte_identical(&s, &p);
}

fn release_opens_one_pr(s: &Running, p: &Project) {
    let (code, report, row, err) = run(p, &["release", "v1.0.0"]);
    assert_eq!(
        (code, row["outcome"].as_str()),
        (0, Some("pending")),
        "{row:#}\n{err}"
    );
    assert!(
        row["reason"]
            .as_str()
            .unwrap()
            .contains("pull request #1 is open"),
        "{row:#}"
    );
    let prs = pulls(s);
    assert_eq!(prs.len(), 1, "{prs:#?}");
    assert_eq!(prs[0]["title"], TITLE);
    assert_eq!(prs[0]["head"]["label"], format!("acme:{BRANCH}"));
    assert_eq!(prs[0]["base"]["ref"], "master");
    assert!(
        s.double.has_repo("acme/winget-pkgs"),
        "the fork was created"
    );
    assert_one_commit_of_valid_manifests(s, &report);
}

fn rerun_while_open_then_merged_sends_nothing(s: &Running, p: &Project) {
    // Re-run while the PR is open: pending, nothing sent.
    let before = s.double.mutating_count();
    let (code, report, row, err) = run(p, &["publish"]);
    assert_eq!(
        (code, row["outcome"].as_str()),
        (0, Some("pending")),
        "{row:#}\n{err}"
    );
    assert_eq!(report["requests"]["mutating_sent"], 0, "{report:#}");
    assert_eq!(
        s.double.mutating_count(),
        before,
        "{:?}",
        s.double.requests()
    );
    assert_eq!(pulls(s).len(), 1);
    // Merged by a moderator: present, nothing sent.
    s.double.close_pull(1, true);
    let (code, report, row, err) = run(p, &["publish"]);
    assert_eq!(
        (code, row["outcome"].as_str()),
        (0, Some("already-published")),
        "{row:#}\n{err}"
    );
    assert_eq!(report["requests"]["mutating_sent"], 0, "{report:#}");
    assert_eq!(s.double.mutating_count(), before);
    assert_eq!(s.files().len(), 3);
}

/// Acceptance 3: the folder removed upstream behind tagship's back, dist/ gone, a re-run
/// with github already live renders byte-identical manifests into a new PR.
fn removed_upstream_is_rerendered_byte_identical(s: &Running, p: &Project) {
    let upstream = "microsoft/winget-pkgs";
    let merged = s.double.files_in(upstream, "master", &s.folder());
    let gone: Vec<String> = merged
        .keys()
        .map(|n| format!("{}/{n}", s.folder()))
        .collect();
    let gone: Vec<(&str, Option<&[u8]>)> = gone.iter().map(|p| (p.as_str(), None)).collect();
    s.double.commit_files(upstream, "master", &gone);
    std::fs::remove_dir_all(p.dist()).unwrap();
    let (code, _, row, err) = run(p, &["release", "v1.0.0"]);
    assert_eq!(
        (code, row["outcome"].as_str()),
        (0, Some("pending")),
        "{row:#}\n{err}"
    );
    assert_eq!(pulls(s).len(), 2);
    let again = s.double.files_in("acme/winget-pkgs", BRANCH, &s.folder());
    assert_eq!(
        again, merged,
        "the re-rendered manifests differ from the first ones"
    );
}

/// One commit through the Git Data API, three blobs in it, and the manifests on the PR
/// branch valid and pointing at the release's zips.
fn assert_one_commit_of_valid_manifests(s: &Running, report: &Value) {
    // One commit through the Git Data API, three blobs in it.
    let count = |needle: &str| {
        s.double
            .requests()
            .iter()
            .filter(|(m, q)| m == "POST" && q.contains(needle))
            .count()
    };
    assert_eq!(
        (
            count("/git/blobs"),
            count("/git/trees"),
            count("/git/commits")
        ),
        (3, 1, 1)
    );
    // The manifests on the PR branch: valid, and pointing at the release's zips.
    let files = s.double.files_in("acme/winget-pkgs", BRANCH, &s.folder());
    assert_eq!(files.len(), 3, "{:?}", files.keys());
    let yaml: Vec<(String, String)> = files
        .iter()
        .map(|(n, b)| (n.clone(), String::from_utf8(b.clone()).unwrap()))
        .collect();
    winget_support::validate(&yaml);
    let installer = &yaml
        .iter()
        .find(|(n, _)| n.ends_with(".installer.yaml"))
        .unwrap()
        .1;
    let github = platform_row(report, "github");
    for a in github["assets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["name"].as_str().unwrap().ends_with(".zip"))
    {
        assert!(
            installer.contains(&a["sha256"].as_str().unwrap().to_uppercase()),
            "{installer}"
        );
        assert!(
            installer.contains(a["url"].as_str().unwrap()),
            "{installer}"
        );
    }
    assert!(
        installer.contains("Architecture: x64") && installer.contains("Architecture: arm64"),
        "{installer}"
    );
}

#[test]
fn server_dry_run_sends_nothing_and_shows_the_pr() {
    let (_d, s, p) = setup(false);
    let (code, report, row, err) = run(&p, &["release", "v1.0.0", "--dry-run"]);
    assert_eq!(
        (code, row["outcome"].as_str()),
        (0, Some("would-publish")),
        "{row:#}\n{err}"
    );
    assert_eq!(report["requests"]["mutating_sent"], 0, "{report:#}");
    assert_eq!(s.double.mutating_count(), 0, "{:?}", s.double.requests());
    let withheld: Vec<String> = row["withheld"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            format!(
                "{} {}",
                w["method"].as_str().unwrap(),
                w["target"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        withheld
            .iter()
            .any(|w| w.starts_with("POST ") && w.ends_with(&format!("/repos/{UPSTREAM}/pulls"))),
        "{withheld:#?}"
    );
    assert!(
        withheld
            .iter()
            .any(|w| w.ends_with(&format!("/repos/{UPSTREAM}/forks"))),
        "{withheld:#?}"
    );
    let notes = row["warnings"].to_string();
    assert!(
        notes.contains(TITLE) && notes.contains(&format!("acme:{BRANCH}")),
        "{row:#}"
    );
    assert!(pulls(&s).is_empty());
}

#[test]
fn server_an_open_pr_for_the_version_is_pending_and_no_pr_is_added() {
    let (_d, s, p) = setup(false);
    // Someone else's PR for the version, and one for a longer version that must not match.
    s.double.add_pull(
        UPSTREAM,
        "someone:Acme.Demo-1.0.0-beta",
        "New version: Acme.Demo version 1.0.0-beta",
    );
    let theirs = s.double.add_pull(UPSTREAM, "someone:winget-demo", TITLE);
    let (code, _, row, err) = run(&p, &["release", "v1.0.0"]);
    assert_eq!(
        (code, row["outcome"].as_str()),
        (0, Some("pending")),
        "{row:#}\n{err}"
    );
    let reason = row["reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!("pull request #{theirs} is open"))
            && reason.contains(&format!("/pull/{theirs}")),
        "{row:#}"
    );
    assert_eq!(pulls(&s).len(), 2, "no PR of ours");
    assert!(s.upstream_writes().is_empty(), "{:?}", s.upstream_writes());
}

#[test]
fn server_a_closed_unmerged_pr_is_reported_not_resubmitted() {
    let (_d, s, p) = setup(false);
    let (code, _, row, err) = run(&p, &["release", "v1.0.0"]);
    assert_eq!(
        (code, row["outcome"].as_str()),
        (0, Some("pending")),
        "{row:#}\n{err}"
    );
    s.double.close_pull(1, false);
    let before = s.double.mutating_count();
    let (code, _, row, err) = run(&p, &["publish"]);
    assert_eq!(
        (code, row["outcome"].as_str()),
        (1, Some("failed")),
        "{row:#}\n{err}"
    );
    assert!(
        row["reason"]
            .as_str()
            .unwrap()
            .contains("closed without merging"),
        "{row:#}"
    );
    assert!(
        row["hint"].as_str().unwrap().contains("resubmit"),
        "{row:#}"
    );
    assert_eq!(s.double.mutating_count(), before);
    assert_eq!(pulls(&s).len(), 1);
}

#[test]
fn server_a_live_manifest_with_other_sha256s_is_a_conflict() {
    let (_d, s, p) = setup(false);
    let other = format!(
        "PackageIdentifier: {ID}\nInstallers:\n- Architecture: x64\n  InstallerSha256: {}\n",
        "AB".repeat(32)
    );
    let path = format!("{}/{ID}.installer.yaml", s.folder());
    s.double.commit_files(
        UPSTREAM,
        "master",
        &[(path.as_str(), Some(other.as_bytes()))],
    );
    let (code, _, row, err) = run(&p, &["release", "v1.0.0"]);
    assert_eq!(
        (code, row["outcome"].as_str()),
        (1, Some("failed")),
        "{row:#}\n{err}"
    );
    assert_eq!(row["error_kind"], "conflict", "{row:#}");
    assert!(
        row["reason"].as_str().unwrap().contains("InstallerSha256"),
        "{row:#}"
    );
    assert!(pulls(&s).is_empty());
    assert!(s.upstream_writes().is_empty());
}

#[test]
fn server_bad_input_is_refused_before_anything_is_sent() {
    let (_d, s, mut p) = setup(false);
    // Missing token.
    p.unset("WINGET_TOKEN");
    let r = p.run(&["release", "v1.0.0"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("WINGET_TOKEN"), "{}", r.stderr);
    // No windows target.
    let linux = Project::new(&common::pipeline(&s.section()));
    let mut linux = linux;
    linux.write(
        "mkelf.py",
        &std::fs::read_to_string(p.path().join("mkelf.py")).unwrap(),
    );
    linux.write("variant.txt", "first build\n");
    for (k, v) in s.env() {
        linux.env(&k, &v);
    }
    let r = linux.run(&["release", "v1.0.0"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("windows"), "{}", r.stderr);
    // An identifier WinGet would reject.
    let bad = common::pipeline_for(
        &s.section()
            .replace("identifier: Acme.Demo", "identifier: AcmeDemo"),
        &["windows-amd64"],
    );
    std::fs::write(p.path().join("pipeline.yaml"), bad).unwrap();
    p.env("WINGET_TOKEN", fixture::TOKEN);
    let r = p.run(&["release", "v1.0.0"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("PackageIdentifier"), "{}", r.stderr);
    assert_eq!(s.double.mutating_count(), 0, "{:?}", s.double.requests());
}

#[test]
fn server_rollback_opens_a_removal_pr() {
    let (_d, s, p) = setup(true);
    let (code, _, row, err) = run(&p, &["release", "v1.0.0"]);
    assert_eq!(
        (code, row["outcome"].as_str()),
        (0, Some("published")),
        "{row:#}\n{err}"
    );
    s.double.auto_merge(false);
    let r = p.run(&["rollback", "v1.0.0", "--only", "winget"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let prs = pulls(&s);
    assert_eq!(prs.len(), 2, "{prs:#?}");
    assert_eq!(prs[1]["title"], "Remove version: Acme.Demo version 1.0.0");
    assert!(s
        .double
        .files_in("acme/winget-pkgs", "Acme.Demo-1.0.0-remove", &s.folder())
        .is_empty());
    s.double.close_pull(2, true);
    assert!(
        s.files().is_empty(),
        "the version folder is gone once merged"
    );
}
