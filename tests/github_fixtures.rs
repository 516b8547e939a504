//! Contract checks of `platforms/github/api.rs` against GitHub responses recorded by
//! `@octokit/fixtures` (replayed by `@octokit/fixtures-server` on 127.0.0.1): the real
//! release JSON and `upload_url` template, a real 201 asset, and the real 422
//! `already_exists` on a duplicate asset name. The replay server answers only the exact next
//! recorded request, so these tests also pin our method, path, query and headers.
//! Needs `scripts/setup.d/20-octokit-fixtures.sh`; fails naming it when it is missing.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use tagship::guard::Ledger;
use tagship::http::{Auth, Http, HttpOptions, RetryPolicy};
use tagship::platforms::github::api::{Api, Upload, Uploaded};
use tagship::redact::Secret;

/// The token and media type the recordings were made with.
const RECORDED_TOKEN: &str = "token 0000000000000000000000000000000000000001";
const RECORDED_ACCEPT: &str = "application/vnd.github.v3+json";

/// The replay server; killed (by its own pid) on drop.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn deps_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(".cache/test-deps/octokit")
}

/// Starts the wrapper; fails naming the setup script when the fixtures are not installed.
fn start() -> Server {
    let deps = deps_dir();
    if !deps
        .join("node_modules/@octokit/fixtures-server/package.json")
        .exists()
    {
        panic!(
            "@octokit/fixtures-server is not installed in {}: run \
             scripts/setup.d/20-octokit-fixtures.sh (scripts/setup.sh runs every setup step)",
            deps.display()
        );
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/octokit/server.mjs");
    let mut child = Command::new("node")
        .arg(script)
        .arg(&deps)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("running node (install nodejs)");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .trim()
        .strip_prefix("listening ")
        .unwrap_or_else(|| panic!("fixtures server did not start: {line:?}"));
    Server {
        base: format!("http://127.0.0.1:{port}"),
        child,
    }
}

/// Loads a recorded scenario; returns its API root.
async fn scenario(server: &Server, name: &str) -> String {
    let resp = reqwest::Client::new()
        .post(format!("{}/fixtures", server.base))
        .json(&serde_json::json!({"scenario": name}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let v: serde_json::Value = resp.json().await.unwrap();
    let url = v["url"].as_str().unwrap().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    url
}

fn api(base: &str, repo: &str) -> Api {
    let opts = HttpOptions {
        retry: RetryPolicy {
            attempts: 1,
            base: std::time::Duration::from_millis(10),
            max_backoff: std::time::Duration::from_millis(10),
            max_wait: std::time::Duration::from_secs(1),
        },
        ..Default::default()
    };
    let http = Http::new(opts, Ledger::default())
        .unwrap()
        .for_platform("github");
    Api::new(http, base, "octokit-fixture-org", repo)
        .auth(Some(Auth::Raw(Secret::new(RECORDED_TOKEN))))
        .accept(RECORDED_ACCEPT, None)
        .per_page(None)
}

/// The file the recordings uploaded, with the name, label and type they expect.
fn upload(dir: &Path) -> Upload {
    let path = dir.join("test-upload.txt");
    std::fs::write(&path, "Hello, world!\n").unwrap();
    Upload {
        name: "test-upload.txt".into(),
        label: Some("test".into()),
        path,
        content_type: "text/plain".into(),
        predicted: serde_json::json!({}),
    }
}

#[tokio::test]
async fn server_release_assets_upload_against_the_recording() {
    let server = start();
    let base = scenario(&server, "release-assets").await;
    let api = api(&base, "release-assets");
    let dir = tempfile::tempdir().unwrap();

    let rel = api
        .release_by_tag("v1.0.0")
        .await
        .unwrap()
        .expect("recorded release");
    assert_eq!(rel.id, 1000);
    assert!(!rel.draft);
    let template = rel.upload_url.clone().unwrap();
    assert!(
        template.ends_with("/releases/1000/assets{?name,label}"),
        "{template}"
    );
    assert!(
        template.starts_with("http://127.0.0.1:"),
        "the replay server rewrote it: {template}"
    );

    let asset = match api
        .upload_asset(&template, &upload(dir.path()))
        .await
        .unwrap()
    {
        Uploaded::Asset(a) => a,
        other => panic!("expected a 201 asset, got {other:?}"),
    };
    assert_eq!(asset.name, "test-upload.txt");
    assert_eq!(asset.label.as_deref(), Some("test"));
    assert_eq!(asset.state, "uploaded");
    assert_eq!(asset.size, 14);
    assert!(asset.browser_download_url.ends_with("/test-upload.txt"));

    let assets = api.list_assets(rel.id).await.unwrap();
    assert_eq!(assets.len(), 1);
    assert_eq!(assets[0].id, asset.id);
}

#[tokio::test]
async fn server_release_assets_conflict_is_recognised_and_resolved() {
    let server = start();
    let base = scenario(&server, "release-assets-conflict").await;
    let api = api(&base, "release-assets-conflict");
    let dir = tempfile::tempdir().unwrap();
    let up = upload(dir.path());

    let rel = api
        .release_by_tag("v1.0.0")
        .await
        .unwrap()
        .expect("recorded release");
    let template = rel.upload_url.clone().unwrap();
    let first = api.upload_asset(&template, &up).await.unwrap();
    assert!(
        matches!(first, Uploaded::AlreadyExists),
        "the recorded 422: {first:?}"
    );

    let existing = api.list_assets(rel.id).await.unwrap();
    let same = existing.iter().find(|a| a.name == up.name).expect("listed");
    assert_eq!(same.id, 1000);
    api.delete_asset(same.id, &same.name).await.unwrap();

    match api.upload_asset(&template, &up).await.unwrap() {
        Uploaded::Asset(a) => assert_eq!((a.id, a.name.as_str()), (1001, "test-upload.txt")),
        other => panic!("expected the re-upload to succeed, got {other:?}"),
    }
}

#[tokio::test]
async fn server_an_unexpected_request_is_refused_by_the_replay_server() {
    // Guards the guard: if the replay server accepted anything, the tests above would prove
    // nothing about our requests.
    let server = start();
    let base = scenario(&server, "release-assets").await;
    let e = api(&base, "release-assets")
        .list_assets(1000)
        .await
        .unwrap_err();
    assert!(e.message().contains("does not match next fixture"), "{e:?}");
}
