//! PyPI trusted publishing (issue 13, acceptance 1) against the warehouse double's
//! `/_/oidc/*` endpoints and a double of GitHub's OIDC issuer that signs real RS256 JWTs,
//! which the exchange verifies (signature, issuer, audience, expiry) before matching the
//! publisher: the happy path (one ID token, one mint, every upload with the minted token),
//! re-minting when the token nears expiry, each documented refusal with its own hint, an
//! index without trusted publishing, a dry run that mints nothing and sends nothing, and no
//! minted token or JWT in any message. Then, through the binary, `auth: oidc` in a job
//! without `id-token: write` is exit 2 before anything is sent.

#[path = "oidc_support/mod.rs"]
mod oidc_support;
#[path = "pypi_support/mod.rs"]
mod pypi_support;
mod support;
#[path = "pypi_support/warehouse.rs"]
mod warehouse;
#[path = "pypi_support/warehouse_oidc.rs"]
mod warehouse_oidc;

use oidc_support::Issuer;
use serde_json::json;
use std::sync::atomic::Ordering;
use tagship::platform::Live;
use tagship::ErrorKind;
use warehouse::{setup_with, start, Shared};
use warehouse_oidc::Oidc;

struct World {
    issuer: Issuer,
    st: Shared,
    url: String,
    tmp: tempfile::TempDir,
}

async fn world(publisher: &str, ttl: i64) -> World {
    let issuer = Issuer::start().await;
    for (k, v) in issuer.env() {
        std::env::set_var(k, v); // nextest runs each test in its own process
    }
    let (st, url) = start().await;
    st.lock().unwrap().oidc = Some(Oidc::new(issuer.verifier(), publisher, ttl));
    World {
        issuer,
        st,
        url,
        tmp: tempfile::tempdir().unwrap(),
    }
}

impl World {
    fn cfg(&self) -> serde_json::Value {
        json!({"repository_url": format!("{}legacy/", self.url), "index_url": self.url,
               "verify_timeout_secs": 2, "auth": "oidc"})
    }
    fn secrets(&self) -> Vec<(&'static str, String)> {
        vec![(tagship::oidc::TOKEN_VAR, self.issuer.request_token.clone())]
    }
    fn minted(&self) -> Vec<String> {
        let s = self.st.lock().unwrap();
        s.oidc
            .as_ref()
            .unwrap()
            .minted
            .iter()
            .map(|m| m.0.clone())
            .collect()
    }
    /// No minted token, JWT or request token inside `text`.
    fn assert_hidden(&self, text: &str) {
        let mut secrets = self.minted();
        secrets.extend(self.issuer.jwts.lock().unwrap().iter().cloned());
        secrets.push(self.issuer.request_token.clone());
        for s in secrets {
            assert!(
                !text.contains(&s[..s.len().min(24)]),
                "a secret shows: {text}"
            );
        }
    }
}

async fn publish(w: &World, dry_run: bool) -> (tagship::Result<usize>, tagship::guard::Ledger) {
    let secrets = w.secrets();
    let secrets: Vec<(&str, &str)> = secrets.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let root = w.tmp.path().join(format!("r{}", fastrand::u32(..)));
    let (cx, ledger, p, pkgs) = setup_with(&root, w.cfg(), &secrets, dry_run, b"A").await;
    let r = p.publish(&cx, &Live::Absent, &pkgs).await;
    (r.map(|p| p.uploaded.len()), ledger)
}

#[tokio::test]
async fn oidc_mints_once_and_uploads_with_the_minted_token() {
    let w = world(oidc_support::REPOSITORY, 900).await;
    let (r, ledger) = publish(&w, false).await;
    assert_eq!(r.unwrap(), 2, "{:?}", w.st.lock().unwrap().log);
    assert_eq!(w.issuer.issued.load(Ordering::SeqCst), 1);
    assert_eq!(w.minted().len(), 1, "one token serves both uploads");
    assert_eq!(w.st.lock().unwrap().files.len(), 2);
    // The mint POST and the two uploads.
    assert_eq!(ledger.mutating_sent(), 3);
}

#[tokio::test]
async fn oidc_token_near_expiry_is_minted_again() {
    // warehouse says each token lives 60 s: inside tagship's re-mint margin, so every
    // upload gets a fresh one, and each was accepted (an expired one is refused).
    let w = world(oidc_support::REPOSITORY, 60).await;
    let (r, _) = publish(&w, false).await;
    assert_eq!(r.unwrap(), 2);
    assert_eq!(w.minted().len(), 2);
    assert_eq!(w.issuer.issued.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn oidc_refusals_each_name_their_cause_and_hide_the_tokens() {
    // No publisher for this repository.
    let w = world("someone/else", 900).await;
    let e = publish(&w, false).await.0.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Auth, "{e:?}");
    assert!(e.message().contains("invalid-publisher"), "{e:?}");
    let hint = e.hint().unwrap();
    assert!(hint.contains("repository acme/demo"), "{hint}");
    assert!(hint.contains("release.yml"), "{hint}");
    w.assert_hidden(&format!("{e:?} {e}"));
    assert!(w.st.lock().unwrap().files.is_empty());

    // An expired ID token: the exchange verifies it and says so.
    let w = world(oidc_support::REPOSITORY, 900).await;
    *w.issuer.lifetime.lock().unwrap() = -10;
    let e = publish(&w, false).await.0.unwrap_err();
    assert!(e.message().contains("invalid-token"), "{e:?}");
    assert!(e.hint().unwrap().contains("expired"), "{e:?}");
    w.assert_hidden(&format!("{e:?} {e}"));

    // An index without trusted publishing.
    let w = world(oidc_support::REPOSITORY, 900).await;
    w.st.lock().unwrap().oidc = None;
    let e = publish(&w, false).await.0.unwrap_err();
    assert!(
        e.message().contains("does not offer trusted publishing"),
        "{e:?}"
    );
    assert!(e.hint().unwrap().contains("auth: token"), "{e:?}");
}

#[tokio::test]
async fn oidc_dry_run_mints_nothing_and_sends_nothing() {
    let w = world(oidc_support::REPOSITORY, 900).await;
    let (_, ledger) = publish(&w, true).await;
    assert_eq!(ledger.mutating_sent(), 0);
    assert!(w.minted().is_empty());
    assert!(w.st.lock().unwrap().files.is_empty());
    // It still asked the issuer and the audience: auth is probed.
    assert_eq!(w.issuer.issued.load(Ordering::SeqCst), 1);
}

/// Through the binary: a release with `auth: oidc` mints, uploads with the minted token, and
/// neither the JWT, the minted token nor the request token shows in stdout, stderr, dist/
/// (report.json, report.md) or the step summary — in their raw and derived forms
/// (`assert_never_shows` checks base64 Basic, percent- and JSON-encoded too).
#[tokio::test(flavor = "multi_thread")]
async fn oidc_release_through_the_binary_never_shows_a_token() {
    use support::cli::{assert_never_shows, assert_not_in_file, Project};
    let w = world(oidc_support::REPOSITORY, 900).await;
    let section = format!(
        "  pypi:\n    repository_url: {}legacy/\n    index_url: {}\n    auth: oidc\n    verify_timeout_secs: 5\n",
        w.url, w.url
    );
    let pipeline = support::cli::quick_pipeline(&section).replace("name: demo", "name: whdemo");
    let mut p = Project::new(&pipeline);
    for (k, v) in w.issuer.env() {
        p.env(k, &v);
    }
    let summary = w.tmp.path().join("summary.md");
    p.env("GITHUB_STEP_SUMMARY", summary.to_str().unwrap());
    let r = tokio::task::block_in_place(|| p.run(&["release", "v0.9.0-beta.1"]));
    r.assert_code(0);
    assert_eq!(w.minted().len(), 1, "{}", r.stderr);
    assert_eq!(w.st.lock().unwrap().files.len(), 1);
    let mut secrets = w.minted();
    secrets.extend(w.issuer.jwts.lock().unwrap().iter().cloned());
    secrets.push(w.issuer.request_token.clone());
    for s in &secrets {
        assert_never_shows(&r, &p.dist(), s);
        assert_not_in_file(&summary, s);
    }
}

/// `auth: oidc` where the job has no `id-token: write`: exit 2 naming the fix.
#[test]
fn oidc_without_id_token_variables_is_refused_up_front() {
    use support::cli::{quick_pipeline, Project};
    let section = "  pypi:\n    repository_url: http://127.0.0.1:9/legacy/\n    index_url: http://127.0.0.1:9/\n    auth: oidc\n";
    let p = Project::new(&quick_pipeline(section));
    let r = p.run(&["release", "v1.0.0"]);
    r.assert_code(2);
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(all.contains("id-token: write"), "{all}");
    assert!(all.contains("ACTIONS_ID_TOKEN_REQUEST_URL"), "{all}");
}
