//! crates.io trusted publishing (issue 13, acceptance 1): the crates adapter against the real
//! local crates registry, fronted by a double of crates.io's trusted-publishing endpoints
//! (`/api/v1/trusted_publishing/tokens`: POST `{"jwt"}` → `{"token"}`, DELETE revokes) that
//! verifies the RS256 JWTs of the GitHub OIDC issuer double and forwards everything else to
//! the registry, swapping a live minted token for the registry's own. Proves: a publish mints
//! once, uploads with the minted token and revokes it; an unmatched publisher is refused with
//! crates.io's words and the claims it compared; a dry run mints and sends nothing; no token
//! shows in any message.

#[path = "oidc_support/mod.rs"]
mod oidc_support;
mod support;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use oidc_support::{Issuer, Verifier};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use support::crates::{copy_hello_rust, Registry};
use tagship::exec::Exec;
use tagship::guard::Ledger;
use tagship::http::{Http, HttpOptions};
use tagship::plan::Project;
use tagship::platform::{Cx, Live, Platform, Release};
use tagship::redact::Secret;
use tagship::ErrorKind;

#[derive(Default)]
struct Front {
    /// Tokens minted and not revoked.
    live: Vec<String>,
    minted: Vec<String>,
    revoked: Vec<String>,
}

type Shared = Arc<Mutex<Front>>;

fn errors(status: StatusCode, detail: &str) -> (StatusCode, String) {
    (status, json!({"errors": [{"detail": detail}]}).to_string())
}

/// crates.io's exchange: verify the JWT, match the publisher (repository), mint.
fn exchange(st: &Shared, v: &Verifier, publisher: &str, body: &[u8]) -> (StatusCode, String) {
    let jwt = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|b| b["jwt"].as_str().map(String::from));
    let Some(jwt) = jwt else {
        return errors(
            StatusCode::BAD_REQUEST,
            "Failed to deserialize the JSON body",
        );
    };
    let Ok(claims) = v.verify(&jwt, "crates.io") else {
        return errors(StatusCode::UNAUTHORIZED, "Failed to decode JWT");
    };
    if claims["repository"] != publisher {
        return errors(
            StatusCode::BAD_REQUEST,
            "No matching Trusted Publishing config found",
        );
    }
    let token = format!("cio_tp_{}", fastrand::u64(..));
    let mut s = st.lock().unwrap();
    s.live.push(token.clone());
    s.minted.push(token.clone());
    (StatusCode::OK, json!({"token": token}).to_string())
}

async fn start_front(reg: &Registry, v: Verifier, publisher: &str) -> (String, Shared) {
    let st: Shared = Arc::default();
    let (upstream, real) = (format!("http://127.0.0.1:{}", reg.port()), reg.get("token"));
    let (s2, publisher) = (st.clone(), publisher.to_string());
    let app = axum::Router::new().fallback(move |m: Method, u: Uri, h: HeaderMap, b: Bytes| {
        let (st, v, publisher) = (s2.clone(), v.clone(), publisher.clone());
        let (upstream, real) = (upstream.clone(), real.clone());
        async move {
            let auth = h
                .get("authorization")
                .and_then(|a| a.to_str().ok())
                .unwrap_or("");
            let path = u.path();
            if path == "/api/v1/trusted_publishing/tokens" {
                return match m {
                    Method::POST => exchange(&st, &v, &publisher, &b),
                    _ => {
                        let mut s = st.lock().unwrap();
                        let Some(i) = s.live.iter().position(|t| t == auth) else {
                            return errors(
                                StatusCode::UNAUTHORIZED,
                                "Invalid authentication token",
                            );
                        };
                        let t = s.live.remove(i);
                        s.revoked.push(t);
                        (StatusCode::NO_CONTENT, String::new())
                    }
                };
            }
            let live = st.lock().unwrap().live.iter().any(|t| t == auth);
            let auth = if live { real } else { auth.to_string() };
            let r = reqwest::Client::new()
                .request(m, format!("{upstream}{u}"))
                .header("authorization", auth)
                .body(b.to_vec())
                .send()
                .await
                .unwrap();
            let status = StatusCode::from_u16(r.status().as_u16()).unwrap();
            (status, r.text().await.unwrap())
        }
    });
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (url, st)
}

struct World {
    _dir: tempfile::TempDir,
    issuer: Issuer,
    front: Shared,
    cx: Cx,
    ledger: Ledger,
    crates: Box<dyn Platform>,
    _reg: Registry,
}

async fn world(publisher: &str, dry_run: bool) -> World {
    let issuer = Issuer::start().await;
    for (k, v) in issuer.env() {
        std::env::set_var(k, v); // nextest runs each test in its own process
    }
    let reg = Registry::start();
    let (api, front) = start_front(&reg, issuer.verifier(), publisher).await;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("hello-rust");
    copy_hello_rust(
        &root,
        &["Cargo.toml", "Cargo.lock", "README.md", "src/main.rs"],
    );
    std::fs::create_dir_all(root.join("dist/crates")).unwrap();
    let ledger = Ledger::default();
    let opts = HttpOptions {
        dry_run,
        ..Default::default()
    };
    let secrets = BTreeMap::from([(
        tagship::oidc::TOKEN_VAR.to_string(),
        Secret::new(issuer.request_token.clone()),
    )]);
    let cfg = json!({"registry": "local", "index": reg.get("index"), "api": api, "auth": "oidc"});
    let crates = (tagship::platforms::crates::FACTORY.build)(&cfg, &Project::default()).unwrap();
    let cx = Cx {
        platform: "crates".into(),
        http: Http::new(opts, ledger.clone())
            .unwrap()
            .for_platform("crates"),
        exec: Exec::new(false, ledger.clone()).for_platform("crates"),
        release: Arc::new(Release {
            project: Project::default(),
            version: semver::Version::new(0, 1, 0),
            tag: "v0.1.0".into(),
            commit: None,
            dist: root.join("dist"),
            artifacts: Vec::new(),
            root,
            epoch: 315_532_800,
        }),
        secrets,
        deps: BTreeMap::new(),
    };
    World {
        _dir: dir,
        issuer,
        front,
        cx,
        ledger,
        crates,
        _reg: reg,
    }
}

#[tokio::test]
async fn server_oidc_publish_mints_uploads_and_revokes() {
    let w = world(oidc_support::REPOSITORY, false).await;
    let pkgs = w.crates.package(&w.cx).await.unwrap();
    assert_eq!(w.crates.check(&w.cx, &pkgs).await.unwrap(), Live::Absent);
    let p = w.crates.publish(&w.cx, &Live::Absent, &pkgs).await.unwrap();
    assert_eq!(p.uploaded.len(), 1, "{p:?}");
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    {
        let f = w.front.lock().unwrap();
        assert_eq!(f.minted.len(), 1);
        assert_eq!(f.revoked, f.minted, "the minted token is revoked when done");
        assert!(f.live.is_empty());
    }
    assert_eq!(w.issuer.issued.load(Ordering::SeqCst), 1);
    // mint, upload, revoke.
    assert_eq!(w.ledger.mutating_sent(), 3);
    assert_eq!(w.crates.check(&w.cx, &pkgs).await.unwrap(), Live::Present);
}

#[tokio::test]
async fn server_oidc_unmatched_publisher_is_refused_with_the_claims() {
    let w = world("someone/else", false).await;
    let pkgs = w.crates.package(&w.cx).await.unwrap();
    let e = w
        .crates
        .publish(&w.cx, &Live::Absent, &pkgs)
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Auth, "{e:?}");
    assert!(
        e.message()
            .contains("No matching Trusted Publishing config found"),
        "{e:?}"
    );
    let hint = e.hint().unwrap();
    assert!(
        hint.contains("repository acme/demo") && hint.contains("release.yml"),
        "{hint}"
    );
    let text = format!("{e:?} {e}");
    for jwt in w.issuer.jwts.lock().unwrap().iter() {
        assert!(!text.contains(&jwt[40..80]), "the JWT shows: {text}");
    }
    assert!(!text.contains(&w.issuer.request_token), "{text}");
    assert_eq!(w.crates.check(&w.cx, &pkgs).await.unwrap(), Live::Absent);
}

#[tokio::test]
async fn server_oidc_dry_run_mints_and_sends_nothing() {
    let w = world(oidc_support::REPOSITORY, true).await;
    let pkgs = w.crates.package(&w.cx).await.unwrap();
    let _ = w.crates.publish(&w.cx, &Live::Absent, &pkgs).await;
    assert_eq!(w.ledger.mutating_sent(), 0);
    assert!(w.front.lock().unwrap().minted.is_empty());
    assert_eq!(
        w.issuer.issued.load(Ordering::SeqCst),
        1,
        "auth is still probed"
    );
    assert_eq!(w.crates.check(&w.cx, &pkgs).await.unwrap(), Live::Absent);
}
