//! Homebrew's `mode: pull_request` (issue 8) through the real `tagship` binary: the release
//! and the tap `acme/homebrew-tap` both on the GitHub double, the formula proposed through the
//! pull-request kit shared with WinGet. Proves: a dry run sends no write to the tap and shows
//! the withheld PR; a release makes one commit (blob → tree → commit) on the tap's branch
//! `tagship/demo-1.0.0` holding exactly the packaged formula and opens one PR to `main` →
//! `pending`; a re-run while it is open sends nothing and opens no PR; once merged, a re-run of
//! the release builds nothing and sends nothing.

mod support;

#[path = "conformance/mod.rs"]
mod common;

use common::Server;
use serde_json::Value;
use std::collections::BTreeMap;
use support::cli::{platform_row, Project};
use support::github_double::GithubDouble;

const TOKEN: &str = "ghp_homebrew_pulls_5c2e";
const TAP: &str = "acme/homebrew-tap";
const BRANCH: &str = "tagship/demo-1.0.0";

struct PrTap {
    double: GithubDouble,
    _rt: tokio::runtime::Runtime,
}

impl PrTap {
    fn start() -> PrTap {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let double = rt.block_on(GithubDouble::start("acme", "demo", TOKEN));
        double.add_repo(TAP, "main");
        PrTap { double, _rt: rt }
    }
    /// Writes sent to the tap's repository, as `METHOD path`.
    fn tap_writes(&self) -> Vec<String> {
        let prefix = format!("/repos/{TAP}/");
        let log = self.double.requests().into_iter();
        log.filter(|(m, p)| m != "GET" && m != "HEAD" && p.starts_with(&prefix))
            .map(|(m, p)| format!("{m} {p}"))
            .collect()
    }
}

impl Server for PrTap {
    fn section(&self) -> String {
        let api = self.double.api_url();
        format!(
            "  github:\n    owner: acme\n    repo: demo\n    api_url: \"{api}\"\n    upload_url: \"{api}/uploads\"\n  homebrew:\n    repo: https://github.com/{TAP}.git\n    mode: pull_request\n    api_url: \"{api}\"\n"
        )
    }
    fn env(&self) -> Vec<(String, String)> {
        vec![
            ("GITHUB_TOKEN".into(), TOKEN.into()),
            ("HOMEBREW_TAP_TOKEN".into(), TOKEN.into()),
        ]
    }
    fn credential(&self) -> &'static str {
        "HOMEBREW_TAP_TOKEN"
    }
    fn targets(&self) -> &'static [&'static str] {
        &["darwin-amd64", "darwin-arm64"]
    }
    fn mutations(&self) -> Vec<String> {
        self.tap_writes()
    }
    fn files(&self) -> BTreeMap<String, String> {
        let files = self.double.files_in(TAP, "main", "Formula");
        files
            .into_iter()
            .map(|(n, b)| (n, common::sha256(&b)))
            .collect()
    }
    fn delete_one(&self) -> String {
        unimplemented!("not used by this test")
    }
}

fn run(p: &Project, args: &[&str], code: i32) -> (Value, Value) {
    let r = p.run(args);
    let report = r.report(&p.dist());
    let row = platform_row(&report, "homebrew").clone();
    assert_eq!(r.code, code, "{row:#}\n{}", r.stderr);
    (report, row)
}

/// One PR `demo 1.0.0` from the tap's version branch to `main`, made of one blob, one tree
/// and one commit, holding exactly the packaged formula; `main` untouched until merged.
fn assert_one_pr_with_the_packaged_formula(tap: &PrTap, p: &Project) {
    let pulls = tap.double.pulls();
    assert_eq!(pulls.len(), 1, "{pulls:#?}");
    assert_eq!(pulls[0]["title"], "demo 1.0.0");
    assert_eq!(pulls[0]["head"]["label"], format!("acme:{BRANCH}"));
    assert_eq!(pulls[0]["base"]["ref"], "main");
    let writes = tap.tap_writes();
    let posts = |what: &str| writes.iter().filter(|w| w.contains(what)).count();
    assert_eq!(
        (
            posts("/git/blobs"),
            posts("/git/trees"),
            posts("/git/commits")
        ),
        (1, 1, 1),
        "{writes:?}"
    );
    let proposed = tap.double.files_in(TAP, BRANCH, "Formula");
    let packaged = std::fs::read(p.dist().join("homebrew/demo.rb")).unwrap();
    assert_eq!(
        proposed.get("demo.rb"),
        Some(&packaged),
        "the PR holds the packaged formula"
    );
    assert!(tap.files().is_empty(), "nothing on main before the merge");
}

#[test]
fn server_homebrew_pull_request_mode_opens_one_pr_and_reruns_send_nothing() {
    common::require_servers();
    let tap = PrTap::start();
    let p = common::project(&tap);

    let (_, row) = run(&p, &["release", "v1.0.0", "--dry-run"], 0);
    assert_eq!(row["outcome"], "would-publish", "{row:#}");
    let withheld = row["withheld"].to_string();
    assert!(withheld.contains(&format!("/repos/{TAP}/pulls")), "{row:#}");
    assert!(tap.tap_writes().is_empty(), "{:?}", tap.tap_writes());

    let (_, row) = run(&p, &["release", "v1.0.0"], 0);
    assert_eq!(row["outcome"], "pending", "{row:#}");
    assert!(
        row["reason"]
            .to_string()
            .contains("pull request #1 is open"),
        "{row:#}"
    );
    assert_one_pr_with_the_packaged_formula(&tap, &p);

    // Open for review: pending again, nothing sent, no second PR.
    let before = tap.double.mutating_count();
    let (report, row) = run(&p, &["publish"], 0);
    assert_eq!(row["outcome"], "pending", "{row:#}");
    assert_eq!(report["requests"]["mutating_sent"], 0, "{report:#}");
    assert_eq!(tap.double.mutating_count(), before);
    assert_eq!(tap.double.pulls().len(), 1);

    // Merged: the formula is on main; a re-run of the release builds and sends nothing.
    tap.double.close_pull(1, true);
    assert_eq!(tap.files().len(), 1);
    let (report, row) = run(&p, &["release", "v1.0.0"], 0);
    assert_eq!(report["build"]["state"], "skipped", "{report:#}");
    assert_eq!(row["outcome"], "already-published", "{row:#}");
    assert_eq!(tap.double.mutating_count(), before);
    assert_eq!(tap.double.pulls().len(), 1);
}
