//! Issue 16, npm acceptance 2: the test verdaccio refuses what registry.npmjs.org refuses
//! (scripts/servers/verdaccio-strict, a middleware plugin verdaccio.sh loads), with npmjs's
//! status and body, so the npm tests no longer rest on the scripted double alone. Each rule
//! is sent directly (proving the server refuses it) and through tagship (proving tagship
//! reports it as what it is).
//!
//! Rule: a package unpublished entirely cannot be published again for 24 hours (403
//! "… cannot be republished until 24 hours have passed."); verdaccio 6 allows it at once.

mod npm_common;

use npm_common::verdaccio::{verdaccio, Verdaccio};
use npm_common::*;
use serde_json::json;
use tagship::guard::Ledger;
use tagship::plan::Target;
use tagship::platform::Live;
use tagship::ErrorKind;

async fn send(
    v: &Verdaccio,
    method: reqwest::Method,
    path: &str,
    body: Option<&serde_json::Value>,
) -> (u16, String) {
    let mut r = reqwest::Client::new()
        .request(method, format!("{}{path}", v.url))
        .bearer_auth(&v.token);
    if let Some(b) = body {
        r = r.json(b);
    }
    let resp = r.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// A minimal publish document for `name@1.0.0`, as libnpmpublish builds one.
fn doc(name: &str) -> serde_json::Value {
    let data = b"not a real tarball";
    let file = format!("{name}-1.0.0.tgz");
    json!({"_id": name, "name": name, "dist-tags": {"latest": "1.0.0"},
        "versions": {"1.0.0": {"name": name, "version": "1.0.0",
            "dist": {"shasum": tagship::platforms::npm::tarball::shasum(data), "tarball": format!("http://x/{name}/-/{file}")}}},
        "_attachments": {file: {"content_type": "application/octet-stream",
            "data": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, data), "length": data.len()}}})
}

const REFUSED: &str = "cannot be republished until 24 hours have passed.";

#[tokio::test]
async fn server_a_package_unpublished_entirely_is_refused_for_24_hours() {
    let v = verdaccio();
    // Directly: publish, unpublish entirely (`npm unpublish --force`), publish again.
    let put = reqwest::Method::PUT;
    assert_eq!(
        send(&v, put.clone(), "strictdemo", Some(&doc("strictdemo")))
            .await
            .0,
        201
    );
    let (code, _) = send(&v, reqwest::Method::DELETE, "strictdemo/-rev/1-x", None).await;
    assert!(code < 300, "unpublish: {code}");
    let (code, body) = send(&v, put, "strictdemo", Some(&doc("strictdemo"))).await;
    assert_eq!(code, 403, "{body}");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body, json!({"error": format!("strictdemo {REFUSED}")}));

    // Through tagship: the root was unpublished entirely; its re-publish is that refusal,
    // reported as what it is (not "token rejected"), and nothing else is sent.
    let tmp = tempfile::tempdir().unwrap();
    let bin = go_binary(tmp.path(), "demo", "1.2.3", "");
    let r = release(
        &tmp.path().join("dist"),
        project("demo"),
        "1.2.3",
        &[(Target::parse("linux-amd64").unwrap(), &bin)],
    );
    let npm = adapter(
        json!({"registry": v.url, "scope": "@acme"}),
        &r.project.clone(),
    );
    let cx = cx(r, false, Some(&v.token), &Ledger::default());
    let pkgs = npm.package(&cx).await.unwrap();
    npm.publish(&cx, &Live::Absent, &pkgs).await.unwrap();
    let (code, _) = send(&v, reqwest::Method::DELETE, "@acme%2fdemo/-rev/1-x", None).await;
    assert!(code < 300, "unpublish: {code}");
    let live = npm.check(&cx, &pkgs).await.unwrap().live;
    assert_eq!(
        live,
        Live::Partial {
            present: vec!["@acme/demo-linux-x64".into()],
            missing: vec!["@acme/demo".into()]
        }
    );
    let e = npm.publish(&cx, &live, &pkgs).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Conflict, "{e:?}");
    assert!(e.message().contains(REFUSED), "{e:?}");
    assert!(
        e.hint()
            .unwrap_or_default()
            .contains("unpublished entirely"),
        "{e:?}"
    );
}
