//! The snap adapter through the real `tagship` binary against the Snap Store double
//! (tests/snap_support), with real `.snap` files built by `mksquashfs` from a real Go program:
//! dry run → publish (every channel release its own step, edge before stable) → re-run 0
//! mutations → rollback to the previous revision; manual review → pending, then released once
//! approved; a rejection → failed with the review's message; expired credentials → auth failure
//! naming the variable; a newer version in a channel is never superseded by an older one.

#[path = "snap_support/mod.rs"]
mod snap_support;
mod support;

use serde_json::Value;
use snap_support::project::{hello, require_tools, section, start_store, with_login, Store};
use snap_support::Review;
use support::cli::{platform_row, Project, Run};

const BOTH: &str = "linux-amd64, linux-arm64";
const CHANNELS: &str = "    channels: [latest/stable, latest/edge]\n";

fn project(store: &Store, targets: &str) -> Project {
    with_login(hello(&section(&store.url(), CHANNELS), targets), store)
}

fn run(p: &Project, args: &[&str]) -> (Run, Value) {
    let r = p.run(args);
    let report = r.report(&p.dist());
    let row = platform_row(&report, "snap").clone();
    (r, row)
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str().map(String::from))
        .collect()
}

#[test]
fn server_snap_dry_run_publish_rerun_and_rollback() {
    require_tools();
    let store = start_store("hello");
    let p = project(&store, BOTH);
    // 0.9.0 first, so 1.0.0's rollback has a revision to go back to.
    let (r, row) = run(&p, &["release", "v0.9.0"]);
    r.assert_code(0);
    assert_eq!(row["outcome"], "published", "{row:#}\n{}", r.stderr);
    dry_run_sends_no_mutation(&store, &p);
    published_edge_before_stable(&store, &p);

    let before = store.mutations().len();
    let (r, row) = run(&p, &["publish"]);
    r.assert_code(0);
    assert_eq!(row["outcome"], "already-published", "{row:#}");
    assert_eq!(store.mutations().len(), before, "a re-run sends nothing");
    rolled_back_to_the_previous_revision(&store, &p);
}

fn dry_run_sends_no_mutation(store: &Store, p: &Project) {
    let (r, row) = run(p, &["release", "v1.0.0", "--dry-run"]);
    r.assert_code(0);
    assert_eq!(row["outcome"], "would-publish", "{row:#}");
    let before = store.mutations().len();
    let withheld = row["withheld"].to_string();
    assert!(
        withheld.contains("/storage/unscanned-upload/"),
        "the withheld upload is listed: {row:#}"
    );
    assert_eq!(
        store.mutations().len(),
        before,
        "a dry run sends no mutation"
    );
}

/// Every channel release its own step: the uploads, then edge, then stable.
fn published_edge_before_stable(store: &Store, p: &Project) {
    let (r, row) = run(p, &["release", "v1.0.0"]);
    r.assert_code(0);
    assert_eq!(row["outcome"], "published", "{row:#}\n{}", r.stderr);
    let up = strs(&row["uploaded"]);
    let (amd, arm) = ("hello_1.0.0_amd64.snap", "hello_1.0.0_arm64.snap");
    let want = [amd, arm]
        .map(String::from)
        .into_iter()
        .chain([format!("{amd}#latest/edge"), format!("{arm}#latest/edge")])
        .chain([
            format!("{amd}#latest/stable"),
            format!("{arm}#latest/stable"),
        ]);
    assert_eq!(
        up,
        want.collect::<Vec<_>>(),
        "uploads, then edge, then stable: {row:#}"
    );
    for ch in ["latest/edge", "latest/stable"] {
        for arch in ["amd64", "arm64"] {
            let rev = store.current(ch, arch).expect("released");
            assert_eq!(rev.version, "1.0.0", "{ch} {arch}");
        }
    }
    // Each file in the store is the one tagship built (sha3-384 of dist/snap/...).
    let built = std::fs::read(p.dist().join("snap/amd64").join(amd)).unwrap();
    assert_eq!(
        store.current("latest/stable", "amd64").unwrap().bytes,
        built
    );
}

fn rolled_back_to_the_previous_revision(store: &Store, p: &Project) {
    let (r, row) = run(p, &["rollback", "v1.0.0"]);
    r.assert_code(0);
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(p.dist().join("rollback/report.json")).unwrap(),
    )
    .unwrap();
    let rb = platform_row(&report, "snap");
    assert_eq!(rb["outcome"], "withdrawn", "{rb:#}\n{row:#}");
    assert!(rb["reason"].as_str().unwrap().contains("(0.9.0)"), "{rb:#}");
    for ch in ["latest/edge", "latest/stable"] {
        assert_eq!(
            store.current(ch, "amd64").unwrap().version,
            "0.9.0",
            "{ch} is back on 0.9.0"
        );
    }
}

#[test]
fn server_snap_manual_review_is_pending_until_approved() {
    require_tools();
    let store = start_store("hello");
    store.review(Review::Manual);
    let p = project(&store, "linux-amd64");
    let (r, row) = run(&p, &["release", "v1.0.0"]);
    r.assert_code(0);
    assert_eq!(row["outcome"], "pending", "{row:#}\n{}", r.stderr);
    let reason = row["reason"].as_str().unwrap();
    assert!(
        reason.contains("manual review") && reason.contains("/dev/api/snap-status/"),
        "{row:#}"
    );
    assert!(
        store.current("latest/edge", "amd64").is_none(),
        "nothing released during review"
    );

    // Still in review: the check says pending and nothing is sent again.
    let before = store.mutations().len();
    let (r, row) = run(&p, &["publish"]);
    r.assert_code(0);
    assert_eq!(row["outcome"], "pending", "{row:#}");
    assert_eq!(store.mutations().len(), before, "{:?}", store.mutations());

    // A person approves: the next run releases that revision, edge first, and uploads nothing.
    let n = store.with(|s| s.revisions[0].revision);
    store.approve(n);
    let (r, row) = run(&p, &["publish"]);
    r.assert_code(0);
    assert_eq!(row["outcome"], "published", "{row:#}");
    let up = strs(&row["uploaded"]);
    assert_eq!(
        up,
        [
            "hello_1.0.0_amd64.snap#latest/edge",
            "hello_1.0.0_amd64.snap#latest/stable"
        ]
    );
    assert_eq!(store.current("latest/stable", "amd64").unwrap().revision, n);
}

#[test]
fn server_snap_rejection_fails_with_the_reviews_reason() {
    require_tools();
    let store = start_store("hello");
    store.review(Review::Reject(
        "lint-snap-v2_snap_schema: invalid summary".into(),
    ));
    let p = project(&store, "linux-amd64");
    let (r, row) = run(&p, &["release", "v1.0.0"]);
    r.assert_code(1);
    assert_eq!(row["outcome"], "failed", "{row:#}");
    assert!(
        row["reason"]
            .as_str()
            .unwrap()
            .contains("lint-snap-v2_snap_schema: invalid summary"),
        "{row:#}"
    );
    assert!(store.current("latest/edge", "amd64").is_none());
    // The rejected revision is named on the next run, which sends nothing.
    let before = store.mutations().len();
    let (r, row) = run(&p, &["publish"]);
    r.assert_code(1);
    assert!(
        row["reason"].as_str().unwrap().contains("rejected"),
        "{row:#}"
    );
    assert_eq!(store.mutations().len(), before);
}

#[test]
fn server_snap_expired_credentials_are_named() {
    require_tools();
    let store = start_store("hello");
    store.expire();
    let p = project(&store, "linux-amd64");
    let (r, row) = run(&p, &["release", "v1.0.0"]);
    r.assert_code(1);
    assert_eq!(row["outcome"], "failed", "{row:#}");
    assert_eq!(row["error_kind"], "auth", "{row:#}");
    assert!(
        row["hint"]
            .as_str()
            .unwrap()
            .contains("SNAPCRAFT_STORE_CREDENTIALS"),
        "{row:#}"
    );
    assert!(
        row["hint"].as_str().unwrap().contains("export-login"),
        "{row:#}"
    );
    assert_eq!(store.mutations(), Vec::<String>::new());
}

#[test]
fn server_snap_an_older_version_never_supersedes_a_newer_one() {
    require_tools();
    let store = start_store("hello");
    let p = project(&store, "linux-amd64");
    run(&p, &["release", "v1.1.0"]).0.assert_code(0);
    let newer = store.current("latest/stable", "amd64").unwrap();
    // A late 1.0.0 (a re-run of an old tag, a slow pipeline): uploaded, but no channel moves.
    let (r, row) = run(&p, &["release", "v1.0.0"]);
    r.assert_code(0);
    assert_eq!(row["outcome"], "published", "{row:#}");
    assert_eq!(
        strs(&row["uploaded"]),
        ["hello_1.0.0_amd64.snap"],
        "{row:#}"
    );
    let warnings = row["warnings"].to_string();
    assert!(
        warnings.contains("held back") && warnings.contains("1.1.0"),
        "{row:#}"
    );
    assert_eq!(
        store.current("latest/stable", "amd64").unwrap().revision,
        newer.revision
    );
    assert_eq!(
        store.current("latest/edge", "amd64").unwrap().revision,
        newer.revision
    );
}
