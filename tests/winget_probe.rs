//! WinGet's version-level state without building (issue 8 with issue 11's probe), through the
//! real `tagship` binary against the GitHub double (tests/conformance/winget.rs):
//! - while our PR is open, a re-run of the release builds (the probe cannot say `pending`)
//!   and ends `pending` with no PR added;
//! - once merged, a re-run of the finished release with winget + github builds nothing
//!   (`build: skipped`), sends nothing and opens 0 PRs;
//! - the folder live with sums that are not GitHub's assets: the probe does not say live, the
//!   release builds and the check reports the conflict;
//! - `tagship status` reads the newest version folder (`latest`) and the probe's presence.

mod support;

#[path = "conformance/mod.rs"]
mod common;
#[path = "conformance/winget.rs"]
mod fixture;

use fixture::{Running, ID, UPSTREAM};
use serde_json::Value;
use support::cli::{platform_row, Project};

fn setup() -> (tempfile::TempDir, Running, Project) {
    common::require_servers();
    let dir = tempfile::tempdir().unwrap();
    let server = fixture::start(dir.path(), false);
    let p = common::project(&server);
    (dir, server, p)
}

/// Runs a release of v1.0.0; returns (report, winget's row).
fn release(p: &Project, code: i32) -> (Value, Value) {
    let r = p.run(&["release", "v1.0.0"]);
    let report = r.report(&p.dist());
    let row = platform_row(&report, "winget").clone();
    assert_eq!(r.code, code, "{row:#}\n{}", r.stderr);
    (report, row)
}

#[test]
fn server_a_rerun_of_a_merged_release_builds_nothing_and_opens_no_pr() {
    let (_d, s, p) = setup();
    let (_, row) = release(&p, 0);
    assert_eq!(row["outcome"], "pending", "{row:#}");
    // Open for review: the probe names the PR, the release builds, the check says pending.
    let before = s.double.mutating_count();
    let (report, row) = release(&p, 0);
    assert_ne!(report["build"]["state"], "skipped", "{report:#}");
    assert_eq!(row["outcome"], "pending", "{row:#}");
    assert_eq!(
        s.double.mutating_count(),
        before,
        "{:?}",
        s.double.requests()
    );
    // Merged: nothing is built, nothing is sent, no PR.
    s.double.close_pull(1, true);
    let (report, row) = release(&p, 0);
    assert_eq!(report["build"]["state"], "skipped", "{report:#}");
    assert_eq!(row["outcome"], "already-published", "{row:#}");
    assert_eq!(
        platform_row(&report, "github")["outcome"],
        "already-published"
    );
    assert_eq!(report["requests"]["mutating_sent"], 0, "{report:#}");
    assert_eq!(s.double.mutating_count(), before);
    assert_eq!(s.double.pulls().len(), 1);
    let page = row["urls"].to_string();
    assert!(
        page.contains(&format!("{}/{ID}.installer.yaml", s.folder())),
        "{row:#}"
    );

    // `status`: the newest version folder, complete.
    let older = "manifests/a/Acme/Demo/0.9.0/Acme.Demo.yaml";
    let newer_pre = "manifests/a/Acme/Demo/1.1.0-rc.1/Acme.Demo.yaml";
    let files = [(older, Some(&b"x"[..])), (newer_pre, Some(&b"x"[..]))];
    s.double.commit_files(UPSTREAM, "master", &files);
    let r = p.run(&["status", "--json", "v1.0.0"]);
    let st: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stderr));
    let w = platform_row(&st, "winget");
    assert_eq!(w["newest"], "1.0.0", "stable beats a prerelease: {st:#}");
    assert_eq!(w["presence"], "complete", "{st:#}");
    assert_eq!(s.double.mutating_count(), before, "status never writes");
}

#[test]
fn server_a_folder_with_other_sums_is_not_probed_live() {
    let (_d, s, p) = setup();
    // github live first, so its probe hands over real assets.
    let r = p.run(&["release", "v1.0.0", "--only", "github"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let folder = s.folder();
    let installer = format!(
        "PackageIdentifier: {ID}\nInstallers:\n- Architecture: x64\n  InstallerUrl: https://x/a.zip\n  InstallerSha256: {}\n",
        "AB".repeat(32)
    );
    let names = [
        format!("{folder}/{ID}.installer.yaml"),
        format!("{folder}/{ID}.locale.en-US.yaml"),
        format!("{folder}/{ID}.yaml"),
    ];
    let files: Vec<(&str, Option<&[u8]>)> = names
        .iter()
        .map(|n| (n.as_str(), Some(installer.as_bytes())))
        .collect();
    s.double.commit_files(UPSTREAM, "master", &files);
    let (report, row) = release(&p, 1);
    assert_ne!(report["build"]["state"], "skipped", "{report:#}");
    assert_eq!(row["error_kind"], "conflict", "{row:#}");
    assert!(s.double.pulls().is_empty());
}
