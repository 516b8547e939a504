//! The snap adapter's read-only paths through the real `tagship` binary against the Snap
//! Store double: a dry run without `SNAPCRAFT_STORE_CREDENTIALS` reads the store's public
//! channel map (`/v2/snaps/info/<name>`, no auth) and ends in a stated outcome; a dry run
//! lists every arch's upload, push and channel releases as withheld; a re-run of a finished
//! release is answered by the version-level probe, so nothing is built and nothing is sent.

#[path = "snap_support/mod.rs"]
mod snap_support;
mod support;

use serde_json::Value;
use snap_support::project::{hello, require_tools, section, start_store, with_login, Store};
use support::cli::{platform_row, Project};

const BOTH: &str = "linux-amd64, linux-arm64";
const CHANNELS: &str = "    channels: [latest/stable, latest/edge]\n";
const VAR: &str = "SNAPCRAFT_STORE_CREDENTIALS";

fn project(store: &Store) -> Project {
    with_login(hello(&section(&store.url(), CHANNELS), BOTH), store)
}

/// The same project with the credential unset (a laptop without secrets).
fn anonymous(store: &Store) -> Project {
    let mut p = hello(&section(&store.url(), CHANNELS), BOTH);
    p.unset(VAR);
    p
}

/// The withheld requests of a row as `METHOD path-and-body`.
fn withheld(row: &Value) -> Vec<String> {
    row["withheld"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|w| {
            let target = w["target"].as_str().unwrap_or("");
            let path = target.splitn(4, '/').nth(3).unwrap_or(target);
            format!(
                "{} /{path} {}",
                w["method"].as_str().unwrap_or(""),
                w["body"]
            )
        })
        .collect()
}

fn count(list: &[String], needle: &str) -> usize {
    list.iter().filter(|w| w.contains(needle)).count()
}

/// `release v1.0.0 --dry-run` would publish, listing every arch's upload and push and a
/// release per arch and channel; returns the row.
fn would_publish_everything(p: &Project) -> Value {
    let r = p.run(&["release", "v1.0.0", "--dry-run"]);
    r.assert_code(0);
    let row = platform_row(&r.report(&p.dist()), "snap").clone();
    assert_eq!(row["outcome"], "would-publish", "{row:#}\n{}", r.stderr);
    let w = withheld(&row);
    assert_eq!(count(&w, "/storage/unscanned-upload/"), 2, "{w:#?}");
    assert_eq!(count(&w, "hello_1.0.0_amd64.snap"), 1, "{w:#?}");
    assert_eq!(count(&w, "hello_1.0.0_arm64.snap"), 1, "{w:#?}");
    assert_eq!(count(&w, "/dev/api/snap-push/"), 2, "{w:#?}");
    assert_eq!(count(&w, "/dev/api/snap-release/"), 4, "{w:#?}");
    assert_eq!(w.len(), 8, "{w:#?}");
    row
}

#[test]
fn server_snap_dry_run_without_credentials_reads_the_public_channel_map() {
    require_tools();
    let store = start_store("hello");
    // Unknown to the store: the public read answers 404, so everything would be published.
    let p = anonymous(&store);
    let row = would_publish_everything(&p);
    let warnings = row["warnings"].to_string();
    assert!(
        warnings.contains(VAR) && warnings.contains("exit code 2"),
        "{row:#}"
    );
    assert!(warnings.contains("public channel map"), "{row:#}");
    let reqs = store.requests();
    assert!(
        reqs.iter()
            .any(|(m, path)| m == "GET" && path == "/v2/snaps/info/hello"),
        "{reqs:?}"
    );
    assert!(
        !reqs.iter().any(|(_, path)| path.contains("/releases")),
        "{reqs:?}"
    );
    assert_eq!(store.mutations(), Vec::<String>::new());

    // Released by a real run: the anonymous dry run finds it in every channel and for both
    // arches, with our sha3-384 (the build is reproducible), and sends nothing.
    let real = project(&store);
    real.run(&["release", "v1.0.0"]).assert_code(0);
    let before = store.mutations().len();
    let r = p.run(&["release", "v1.0.0", "--dry-run", "--verify-content"]);
    r.assert_code(0);
    let row = platform_row(&r.report(&p.dist()), "snap").clone();
    assert_eq!(row["outcome"], "already-published", "{row:#}\n{}", r.stderr);
    assert_eq!(withheld(&row), Vec::<String>::new());
    assert_eq!(store.mutations().len(), before);
}

#[test]
fn server_snap_dry_run_with_credentials_lists_every_arch() {
    require_tools();
    let store = start_store("hello");
    let p = project(&store);
    would_publish_everything(&p);
    assert_eq!(store.mutations(), Vec::<String>::new());
    // The publisher's revision list was read (auth probed), not the public view.
    let reqs = store.requests();
    assert!(
        reqs.iter()
            .any(|(_, path)| path == "/api/v2/snaps/hello/releases"),
        "{reqs:?}"
    );
}

#[test]
fn server_snap_rerun_of_a_finished_release_builds_nothing() {
    require_tools();
    let store = start_store("hello");
    let p = project(&store);
    p.run(&["release", "v1.0.0"]).assert_code(0);
    let before = store.mutations().len();
    let snap = p.dist().join("snap/amd64/hello_1.0.0_amd64.snap");
    std::fs::remove_file(&snap).unwrap();

    let r = p.run(&["release", "v1.0.0"]);
    r.assert_code(0);
    let report = r.report(&p.dist());
    assert_eq!(
        report["build"]["state"], "skipped",
        "{report:#}\n{}",
        r.stderr
    );
    let row = platform_row(&report, "snap");
    assert_eq!(row["outcome"], "already-published", "{row:#}");
    assert_eq!(store.mutations().len(), before, "{:?}", store.mutations());
    assert!(!snap.exists(), "nothing was packaged again");

    // Without credentials too (the public channel map answers the probe).
    let a = anonymous(&store);
    let r = a.run(&["release", "v1.0.0", "--dry-run"]);
    r.assert_code(0);
    assert_eq!(
        r.report(&a.dist())["build"]["state"],
        "skipped",
        "{}",
        r.stderr
    );

    // One arch missing from one channel: the probe says so and the release builds.
    store.unrelease("latest/edge", "arm64");
    let r = p.run(&["release", "v1.0.0"]);
    r.assert_code(0);
    let report = r.report(&p.dist());
    assert_eq!(report["build"]["state"], "ran", "{report:#}");
    assert_eq!(
        platform_row(&report, "snap")["uploaded"],
        serde_json::json!(["hello_1.0.0_arm64.snap#latest/edge"]),
        "{report:#}"
    );
}
