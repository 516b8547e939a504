//! Registry answers verdaccio cannot give, from a scripted in-process double on 127.0.0.1:
//! npmjs.org's 403 "cannot publish over" (same bytes → success, unpublished → conflict), a
//! 401 asking for an OTP, the `npm-otp` and bearer headers on the PUT, and a 503 retried.

mod npm_common;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use npm_common::*;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tagship::guard::Ledger;
use tagship::platform::{Cx, Live, Platform};
use tagship::platforms::npm::tarball;
use tagship::redact::Secret;
use tagship::ErrorKind;

/// One recorded request.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

/// A scripted answer: status, headers, body.
type Answer = (u16, Vec<(&'static str, &'static str)>, String);

/// Answers requests with a script, in order, and records them.
#[derive(Clone, Default)]
struct Double {
    script: Arc<Mutex<VecDeque<Answer>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Double {
    async fn start(script: Vec<Answer>) -> (Double, String) {
        let d = Double {
            script: Arc::new(Mutex::new(script.into())),
            ..Default::default()
        };
        let st = d.clone();
        let app = axum::Router::new().fallback(move |m: Method, u: Uri, h: HeaderMap, b: Bytes| {
            let st = st.clone();
            async move {
                st.seen.lock().unwrap().push(Seen {
                    method: m.to_string(),
                    path: u.path().to_string(),
                    headers: h,
                    body: b,
                });
                let (code, hdrs, body) = st.script.lock().unwrap().pop_front().unwrap_or((
                    599,
                    vec![],
                    "unscripted request".into(),
                ));
                let mut resp = axum::response::Response::new(axum::body::Body::from(body));
                *resp.status_mut() = StatusCode::from_u16(code).unwrap();
                for (k, v) in hdrs {
                    resp.headers_mut().insert(k, v.parse().unwrap());
                }
                resp
            }
        });
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", l.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        (d, url)
    }
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// A `mode: package_json` package `otpdemo@1.0.0`, its cx (token + OTP), and its tarball.
async fn setup(
    url: &str,
    tmp: &std::path::Path,
) -> (Box<dyn Platform>, Cx, Vec<tagship::plan::Artifact>, Vec<u8>) {
    std::fs::write(
        tmp.join("package.json"),
        r#"{"name":"otpdemo","version":"1.0.0","description":"x"}"#,
    )
    .unwrap();
    let r = release(&tmp.join("dist"), project("otpdemo"), "1.0.0", &[]);
    let r = tagship::platform::Release {
        root: tmp.to_path_buf(),
        epoch: 315_532_800,
        ..r
    };
    let npm = adapter(
        serde_json::json!({"mode": "package_json", "registry": url}),
        &r.project.clone(),
    );
    let mut cx = cx(r, false, Some("tok-123"), &Ledger::default());
    cx.secrets.insert("NPM_OTP".into(), Secret::new("654321"));
    let pkgs = npm.package(&cx).await.unwrap();
    let tgz = std::fs::read(cx.release.path(&pkgs[0])).unwrap();
    (npm, cx, pkgs, tgz)
}

fn version_doc(tgz: &[u8]) -> String {
    serde_json::json!({"name": "otpdemo", "version": "1.0.0",
        "dist": {"shasum": tarball::shasum(tgz), "integrity": tarball::integrity(tgz)}})
    .to_string()
}

const OVER: &str =
    r#"{"error":"You cannot publish over the previously published versions: 1.0.0."}"#;

#[tokio::test]
async fn cannot_publish_over_with_same_bytes_is_success_and_headers_are_sent() {
    let tmp = tempfile::tempdir().unwrap();
    // The script needs the tarball's shasum, which needs the package: build it first.
    let (_, _, _, tgz) = setup("http://127.0.0.1:9/", tmp.path()).await;
    let (d, url) = Double::start(vec![
        (503, vec![], "busy".into()),
        (403, vec![], OVER.into()),
        (200, vec![], version_doc(&tgz)),
    ])
    .await;
    let (npm, cx, pkgs, tgz2) = setup(&url, tmp.path()).await;
    assert_eq!(tgz, tgz2, "deterministic");
    let p = npm.publish(&cx, &Live::Absent, &pkgs).await.unwrap();
    assert!(p.uploaded.is_empty(), "{p:?}");
    let seen = d.seen();
    let m: Vec<(&str, &str)> = seen
        .iter()
        .map(|s| (s.method.as_str(), s.path.as_str()))
        .collect();
    assert_eq!(
        m,
        [
            ("PUT", "/otpdemo"),
            ("PUT", "/otpdemo"),
            ("GET", "/otpdemo/1.0.0")
        ]
    );
    let put = &seen[1];
    assert_eq!(put.headers["npm-otp"], "654321");
    assert_eq!(put.headers["authorization"], "Bearer tok-123");
    assert_eq!(put.headers["content-type"], "application/json");
    let doc: serde_json::Value = serde_json::from_slice(&put.body).unwrap();
    assert_eq!(doc["dist-tags"]["latest"], "1.0.0");
    assert_eq!(doc["access"], serde_json::Value::Null);
    assert_eq!(doc["versions"]["1.0.0"]["_id"], "otpdemo@1.0.0");
    assert!(doc["_attachments"]["otpdemo-1.0.0.tgz"]["data"].is_string());
}

#[tokio::test]
async fn an_unpublished_version_and_an_otp_challenge_are_clear_failures() {
    let tmp = tempfile::tempdir().unwrap();
    let (d, url) = Double::start(vec![
        (403, vec![], OVER.into()),
        (404, vec![], r#"{"error":"not found"}"#.into()),
        (
            401,
            vec![("www-authenticate", "OTP")],
            r#"{"error":"otp required"}"#.into(),
        ),
    ])
    .await;
    let (npm, cx, pkgs, _) = setup(&url, tmp.path()).await;
    let e = npm.publish(&cx, &Live::Absent, &pkgs).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Conflict, "{e:?}");
    assert!(e.message().contains("can never be reused"), "{e:?}");
    let e = npm.publish(&cx, &Live::Absent, &pkgs).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Auth, "{e:?}");
    assert!(e.hint().unwrap().contains("NPM_OTP"), "{e:?}");
    assert_eq!(d.seen().len(), 3);
}
