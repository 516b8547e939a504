//! npm trusted publishing (issue 13, acceptance 1) against the scripted npm double (verdaccio
//! has no OIDC exchange) and the GitHub OIDC issuer double: each package gets its own token
//! from `-/npm/v1/oidc/token/exchange/package/<escaped name>`, exchanged with a real RS256 ID
//! token for audience `npm:<registry host>` (verified here as npm would), and that package's
//! PUT carries exactly that token. A 404 exchange (no trusted publisher, or a package that
//! does not exist yet) stops before any PUT with a hint that names both causes.

mod npm_common;
#[path = "oidc_support/mod.rs"]
mod oidc_support;

use npm_common::double::{npm_error, Routed};
use npm_common::*;
use oidc_support::Issuer;
use std::sync::atomic::Ordering;
use tagship::guard::Ledger;
use tagship::plan::Target;
use tagship::platform::{Cx, Live, Platform};
use tagship::redact::Secret;
use tagship::ErrorKind;

const PLAT: &str = "/@acme%2fdemo-linux-x64";
const ROOT: &str = "/@acme%2fdemo";
const EXCHANGE: &str = "POST /-/npm/v1/oidc/token/exchange/package";

async fn setup(url: &str, tmp: &std::path::Path, issuer: &Issuer) -> (Box<dyn Platform>, Cx) {
    for (k, v) in issuer.env() {
        std::env::set_var(k, v); // nextest runs each test in its own process
    }
    let bin = go_binary(tmp, "demo", "1.2.3", "");
    let r = release(
        &tmp.join("dist"),
        project("demo"),
        "1.2.3",
        &[(Target::parse("linux-amd64").unwrap(), &bin)],
    );
    let npm = adapter(
        serde_json::json!({"registry": url, "scope": "@acme", "auth": "oidc"}),
        &r.project.clone(),
    );
    let mut cx = cx(r, false, None, &Ledger::default());
    cx.secrets.insert(
        tagship::oidc::TOKEN_VAR.into(),
        Secret::new(issuer.request_token.clone()),
    );
    (npm, cx)
}

fn listing() -> (u16, String) {
    let doc = serde_json::json!({"name": "@acme/demo-linux-x64", "dist-tags": {},
        "versions": {"1.2.3": {"version": "1.2.3"}}});
    (200, doc.to_string())
}

#[tokio::test]
async fn oidc_each_package_publishes_with_its_own_exchanged_token() {
    let tmp = tempfile::tempdir().unwrap();
    let issuer = Issuer::start().await;
    let token = |t: &str| (201, serde_json::json!({ "token": t }).to_string());
    let d = Routed::start(vec![
        (&format!("{EXCHANGE}{PLAT}"), vec![token("npm_oidc_plat")]),
        (&format!("{EXCHANGE}{ROOT}"), vec![token("npm_oidc_root")]),
        (
            &format!("GET {PLAT}"),
            vec![(404, npm_error("Not found")), listing()],
        ),
        (&format!("PUT {PLAT}"), vec![(200, "{}".into())]),
        (&format!("GET {ROOT}"), vec![(404, npm_error("Not found"))]),
        (&format!("PUT {ROOT}"), vec![(200, "{}".into())]),
    ])
    .await;
    let (npm, cx) = setup(&d.url, tmp.path(), &issuer).await;
    let pkgs = npm.package(&cx).await.unwrap();
    let p = npm.publish(&cx, &Live::Absent, &pkgs).await.unwrap();
    assert_eq!(p.uploaded.len(), 2, "{p:?}");
    let seen = d.seen();
    let auth = |key: &str| {
        let s = seen
            .iter()
            .find(|s| s.key() == key)
            .unwrap_or_else(|| panic!("{key}"));
        s.headers["authorization"].to_str().unwrap().to_string()
    };
    assert_eq!(auth(&format!("PUT {PLAT}")), "Bearer npm_oidc_plat");
    assert_eq!(auth(&format!("PUT {ROOT}")), "Bearer npm_oidc_root");
    // Each exchange sent a real ID token for npm's audience.
    for pkg in [PLAT, ROOT] {
        let bearer = auth(&format!("{EXCHANGE}{pkg}"));
        let jwt = bearer.strip_prefix("Bearer ").unwrap();
        let claims = issuer.verifier().verify(jwt, "npm:127.0.0.1").unwrap();
        assert_eq!(claims["repository"], oidc_support::REPOSITORY);
    }
    assert_eq!(issuer.issued.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn oidc_exchange_404_stops_before_any_put_and_names_both_causes() {
    let tmp = tempfile::tempdir().unwrap();
    let issuer = Issuer::start().await;
    let nf = r#"{"message":"OIDC token exchange error - package not found"}"#;
    let d = Routed::start(vec![(&format!("{EXCHANGE}{PLAT}"), vec![(404, nf.into())])]).await;
    let (npm, cx) = setup(&d.url, tmp.path(), &issuer).await;
    let pkgs = npm.package(&cx).await.unwrap();
    let e = npm.publish(&cx, &Live::Absent, &pkgs).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Auth, "{e:?}");
    assert!(e.message().contains("package not found"), "{e:?}");
    let hint = e.hint().unwrap();
    assert!(
        hint.contains("does not exist yet") && hint.contains("repository acme/demo"),
        "{hint}"
    );
    assert!(
        !d.keys().iter().any(|k| k.starts_with("PUT")),
        "{:?}",
        d.keys()
    );
    let text = format!("{e:?}");
    for jwt in issuer.jwts.lock().unwrap().iter() {
        assert!(!text.contains(&jwt[40..80]), "the JWT shows: {text}");
    }
}
