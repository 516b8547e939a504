//! Recorded-shape checks: every JSON answer the GitHub double gives in a run that touches
//! each operation tagship uses (and each error it maps) validates against the response schema
//! of that operation in GitHub's REST description (vendored in tests/fixtures/github-rest/,
//! validated with Python's `jsonschema`; install: scripts/setup.d/40-python-jsonschema.sh).

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use support::github_double::harness::{setup, Opts, TOKEN};
use support::github_double::{GithubDouble, Served};
use tagship::platform::Live;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/github-rest")
}

/// Runs the validator on `served`; returns (success, output).
fn validate(served: &[Served]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("responses.json");
    let rows: Vec<serde_json::Value> = served
        .iter()
        .map(|s| serde_json::json!({"op": s.op, "status": s.status, "body": s.body}))
        .collect();
    std::fs::write(&file, serde_json::to_vec(&rows).unwrap()).unwrap();
    let out = Command::new("python3")
        .arg(fixtures().join("validate.py"))
        .arg(fixtures().join("schemas.json"))
        .arg(&file)
        .output()
        .expect("python3 is needed (scripts/setup.d/40-python-jsonschema.sh)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !text.contains("No module named 'jsonschema'"),
        "install jsonschema: scripts/setup.d/40-python-jsonschema.sh\n{text}"
    );
    (out.status.success(), text)
}

/// A run through every operation and error the adapter meets.
async fn exercise(d: &GithubDouble) {
    let s = setup(d, Opts::default());
    d.fail_uploads_leaving_starter(1); // upload 502 + unfinished asset + delete
    d.race_create_next(); // create answers 422 already_exists, the release is reused
    s.gh.check(&s.cx, &[]).await.unwrap();
    s.gh.publish(&s.cx, &Live::Absent, &[]).await.unwrap();
    assert_eq!(s.gh.check(&s.cx, &[]).await.unwrap(), Live::Present);
    // A second tag: create 201 (a draft: null archives, `untagged-` links), uploads 201 to
    // the draft, a listing holding another draft, the publishing PATCH, the re-read.
    d.add_release("v3.0.0-rc.1", true);
    let other = setup(
        d,
        Opts {
            tag: "v2.0.0",
            version: "2.0.0",
            ..Default::default()
        },
    );
    other
        .gh
        .publish(&other.cx, &Live::Absent, &[])
        .await
        .unwrap();
    // Errors: bad token (401), a secondary rate limit (403), 404s.
    let bad = setup(
        d,
        Opts {
            token: Some("ghp_wrong"),
            ..Default::default()
        },
    );
    bad.gh.check(&bad.cx, &[]).await.unwrap_err();
    let quick = setup(
        d,
        Opts {
            max_wait: Duration::from_secs(1),
            ..Default::default()
        },
    );
    d.secondary_limit_next(1, 403);
    quick.gh.check(&quick.cx, &[]).await.unwrap();
}

#[tokio::test]
async fn every_answer_of_the_double_matches_githubs_schemas() {
    let d = GithubDouble::start("acme", "demo", TOKEN).await;
    exercise(&d).await;
    let served = d.served();
    let seen: BTreeSet<(&str, u16)> = served.iter().map(|s| (s.op, s.status)).collect();
    for op in [
        ("repos/list-releases", 200),
        ("repos/create-release", 201),
        ("repos/create-release", 422),
        ("repos/get-release-by-tag", 200),
        ("repos/get-release-by-tag", 404),
        ("repos/get-release", 200),
        ("repos/update-release", 200),
        ("repos/list-release-assets", 200),
        ("repos/upload-release-asset", 201),
        ("*", 401),
        ("*", 403),
    ] {
        assert!(seen.contains(&op), "not exercised: {op:?} (seen {seen:?})");
    }
    let (ok, out) = validate(&served);
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!("checked {} responses", served.len())),
        "{out}"
    );
}

#[tokio::test]
async fn the_schema_check_catches_a_wrong_answer() {
    let d = GithubDouble::start("acme", "demo", TOKEN).await;
    let s = setup(&d, Opts::default());
    s.gh.publish(&s.cx, &Live::Absent, &[]).await.unwrap();
    let mut served = d.served();
    let asset = served
        .iter_mut()
        .find(|s| s.op == "repos/upload-release-asset")
        .unwrap();
    asset.body["state"] = "starter".into(); // seen in the wild, not in the description
    let release = served
        .iter_mut()
        .find(|s| s.op == "repos/update-release")
        .unwrap();
    release.body.as_object_mut().unwrap().remove("node_id");
    release.body["published_at"] = "yesterday".into();
    let (ok, out) = validate(&served);
    assert!(!ok, "{out}");
    for needle in [
        "'starter' is not one of",
        "'node_id' is a required property",
        "yesterday",
    ] {
        assert!(out.contains(needle), "{needle}: {out}");
    }
}
