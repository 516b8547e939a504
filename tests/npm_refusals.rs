//! npmjs's refusals, with the bodies the real registry sends (as npm prints them: `403
//! Forbidden - PUT … - {error}`), each mapped to its own message and hint; transient 409s
//! re-checked and retried, bounded, never "exists with different content"; `access` sent
//! only for a new scoped package; `latest` never moved down implicitly; `+build` dropped;
//! and a dry run saying what it could not prove. Served by a scripted double on 127.0.0.1.

mod npm_common;

use npm_common::double::{npm_error, Answer, Routed};
use npm_common::*;
use tagship::guard::Ledger;
use tagship::platform::{Cx, Live, Platform};
use tagship::platforms::npm::tarball;
use tagship::ErrorKind;

/// What to package: `name@1.0.0` for release `release`, with extra config, maybe dry.
struct Pkg {
    name: &'static str,
    release: &'static str,
    extra: serde_json::Value,
    dry_run: bool,
}

impl Default for Pkg {
    fn default() -> Pkg {
        Pkg {
            name: "otpdemo",
            release: "1.0.0",
            extra: serde_json::json!({}),
            dry_run: false,
        }
    }
}

type Setup = (Box<dyn Platform>, Cx, Vec<tagship::plan::Artifact>, Vec<u8>);

/// A `mode: package_json` package as `p` says, its cx (token `tok-123`), and its tarball.
async fn setup(url: &str, tmp: &std::path::Path, p: Pkg) -> Setup {
    let pj = serde_json::json!({"name": p.name, "version": "1.0.0", "description": "x"});
    std::fs::write(tmp.join("package.json"), pj.to_string()).unwrap();
    let r = release(&tmp.join("dist"), project("otpdemo"), p.release, &[]);
    let r = tagship::platform::Release {
        root: tmp.to_path_buf(),
        epoch: 315_532_800,
        ..r
    };
    let mut section =
        serde_json::json!({"mode": "package_json", "registry": url, "package": p.name});
    for (k, v) in p.extra.as_object().unwrap() {
        section[k] = v.clone();
    }
    let npm = adapter(section, &r.project.clone());
    let cx = cx(r, p.dry_run, Some("tok-123"), &Ledger::default());
    let pkgs = npm.package(&cx).await.unwrap();
    let tgz = std::fs::read(cx.release.path(&pkgs[0])).unwrap();
    (npm, cx, pkgs, tgz)
}

/// `otpdemo@1.0.0` against the double `d`.
async fn plain(d: &Routed, tmp: &std::path::Path) -> Setup {
    setup(&d.url, tmp, Pkg::default()).await
}

fn version_doc(name: &str, tgz: &[u8]) -> String {
    serde_json::json!({"name": name, "version": "1.0.0",
        "dist": {"shasum": tarball::shasum(tgz), "integrity": tarball::integrity(tgz)}})
    .to_string()
}

/// Publishes `otpdemo` against one scripted PUT answer; returns the error and the log.
async fn refused(put: Answer) -> (tagship::Error, Vec<String>) {
    let tmp = tempfile::tempdir().unwrap();
    let d = Routed::start(vec![("PUT /otpdemo", vec![put])]).await;
    let (npm, cx, pkgs, _) = plain(&d, tmp.path()).await;
    let e = npm.publish(&cx, &Live::Absent, &pkgs).await.unwrap_err();
    (e, d.keys())
}

#[tokio::test]
async fn each_refusal_has_its_own_message_and_hint() {
    let cases: Vec<(u16, &str, ErrorKind, &[&str])> = vec![
        (403, "Package name triggered spam detection; if you believe this is in error, please contact support at https://npmjs.com/support",
            ErrorKind::Conflict, &["spam detection", "not the token", "platforms.npm.scope", "esbuild"]),
        (403, "Package name too similar to existing package otp-demo; try renaming your package to '@acme/otpdemo' and publishing with 'npm publish --access=public' instead",
            ErrorKind::Conflict, &["too similar", "platforms.npm.scope"]),
        (404, "Not found",
            ErrorKind::Auth, &["may not write `otpdemo`", "granular token limited to selected packages", "NPM_TOKEN"]),
        (402, "You must sign up for private packages",
            ErrorKind::Auth, &["access: public", "private"]),
        (413, "Payload Too Large",
            ErrorKind::Other, &["larger than the registry accepts"]),
        (403, "otpdemo cannot be republished until 24 hours have passed.",
            ErrorKind::Conflict, &["unpublished entirely", "24 hours"]),
        (403, "Forbidden",
            ErrorKind::Auth, &["NPM_TOKEN", "revoked in December 2025"]),
    ];
    for (code, msg, kind, hints) in cases {
        let (e, log) = refused((code, npm_error(msg))).await;
        assert_eq!(e.kind, kind, "{code} {msg}: {e:?}");
        assert!(e.message().contains(msg), "the server's words: {e:?}");
        let hint = e.hint().unwrap_or_default();
        for h in hints {
            assert!(hint.contains(h), "{code} {msg}: hint lacks `{h}`: {hint}");
        }
        assert_eq!(log, ["PUT /otpdemo"], "{code}: refused once, not retried");
    }
}

const BUSY: &str = "Failed to save packument. A common cause is if you try to publish a new package before the previous package has been fully processed.";

#[tokio::test]
async fn a_busy_409_is_rechecked_then_retried() {
    let tmp = tempfile::tempdir().unwrap();
    let d = Routed::start(vec![
        (
            "PUT /otpdemo",
            vec![(409, npm_error(BUSY)), (200, "{}".into())],
        ),
        ("GET /otpdemo/1.0.0", vec![(404, npm_error("Not found"))]),
    ])
    .await;
    let (npm, cx, pkgs, _) = plain(&d, tmp.path()).await;
    let p = npm.publish(&cx, &Live::Absent, &pkgs).await.unwrap();
    assert_eq!(p.uploaded, ["otpdemo-1.0.0.tgz"]);
    assert_eq!(
        d.keys(),
        ["PUT /otpdemo", "GET /otpdemo/1.0.0", "PUT /otpdemo"]
    );
}

#[tokio::test]
async fn a_bare_conflict_whose_publish_landed_is_success_without_a_second_put() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, _, _, tgz) = setup("http://127.0.0.1:9/", tmp.path(), Pkg::default()).await;
    let d = Routed::start(vec![
        ("PUT /otpdemo", vec![(409, npm_error("Conflict"))]),
        (
            "GET /otpdemo/1.0.0",
            vec![(200, version_doc("otpdemo", &tgz))],
        ),
    ])
    .await;
    let (npm, cx, pkgs, _) = plain(&d, tmp.path()).await;
    let p = npm.publish(&cx, &Live::Absent, &pkgs).await.unwrap();
    assert!(p.uploaded.is_empty(), "{p:?}");
    assert_eq!(d.keys(), ["PUT /otpdemo", "GET /otpdemo/1.0.0"]);
}

#[tokio::test]
async fn transient_409s_are_bounded_and_never_called_different_content() {
    let tmp = tempfile::tempdir().unwrap();
    let d = Routed::start(vec![
        ("PUT /otpdemo", vec![(409, npm_error(BUSY))]),
        ("GET /otpdemo/1.0.0", vec![(404, npm_error("Not found"))]),
    ])
    .await;
    let (npm, cx, pkgs, _) = plain(&d, tmp.path()).await;
    let e = npm.publish(&cx, &Live::Absent, &pkgs).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Server, "{e:?}");
    assert!(!e.message().contains("different content"), "{e:?}");
    assert!(e.message().contains("Failed to save packument"), "{e:?}");
    assert!(e.hint().unwrap().contains("re-run"), "{e:?}");
    let puts = d.keys().iter().filter(|k| k.starts_with("PUT")).count();
    assert_eq!(puts, 4, "bounded: {:?}", d.keys());
}

#[tokio::test]
async fn access_is_public_only_for_a_new_scoped_package() {
    for (exists, expect) in [
        (false, serde_json::json!("public")),
        (true, serde_json::Value::Null),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let packument = if exists {
            (
                200,
                r#"{"name":"@acme/lib","dist-tags":{"latest":"0.9.0"},"versions":{"0.9.0":{}}}"#
                    .into(),
            )
        } else {
            (404, npm_error("Not found"))
        };
        let d = Routed::start(vec![
            ("GET /@acme%2flib", vec![packument]),
            ("PUT /@acme%2flib", vec![(200, "{}".into())]),
        ])
        .await;
        let (npm, cx, pkgs, _) = setup(
            &d.url,
            tmp.path(),
            Pkg {
                name: "@acme/lib",
                ..Pkg::default()
            },
        )
        .await;
        npm.publish(&cx, &Live::Absent, &pkgs).await.unwrap();
        let seen = d.seen();
        assert_eq!(d.keys(), ["GET /@acme%2flib", "PUT /@acme%2flib"]);
        assert_eq!(
            seen[0].headers["authorization"], "Bearer tok-123",
            "a restricted package needs the token to be seen"
        );
        assert_eq!(seen[1].json()["access"], expect, "exists: {exists}");
    }
    // Configured access is sent as it is, with no look-up.
    let tmp = tempfile::tempdir().unwrap();
    let d = Routed::start(vec![("PUT /@acme%2flib", vec![(200, "{}".into())])]).await;
    let (npm, cx, pkgs, _) = setup(
        &d.url,
        tmp.path(),
        Pkg {
            name: "@acme/lib",
            extra: serde_json::json!({"access": "restricted"}),
            ..Pkg::default()
        },
    )
    .await;
    npm.publish(&cx, &Live::Absent, &pkgs).await.unwrap();
    assert_eq!(d.seen()[0].json()["access"], "restricted");
}

#[tokio::test]
async fn latest_is_never_moved_down_implicitly() {
    let tmp = tempfile::tempdir().unwrap();
    let routes = || {
        vec![
            ("GET /-/whoami", vec![(200, r#"{"username":"me"}"#.into())]),
            ("GET /otpdemo/1.0.0", vec![(404, npm_error("Not found"))]),
            (
                "GET /otpdemo",
                vec![(
                    200,
                    r#"{"name":"otpdemo","dist-tags":{"latest":"2.0.0"},"versions":{"2.0.0":{}}}"#
                        .into(),
                )],
            ),
        ]
    };
    let d = Routed::start(routes()).await;
    let (npm, cx, pkgs, _) = plain(&d, tmp.path()).await;
    let e = npm.check(&cx, &pkgs).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Conflict, "{e:?}");
    assert!(
        e.message().contains("`latest` dist-tag down from 2.0.0"),
        "{e:?}"
    );
    assert!(e.hint().unwrap().contains("platforms.npm.tag"), "{e:?}");
    // With a tag for the backport line it is simply missing.
    let d = Routed::start(routes()).await;
    let (npm, cx, pkgs, _) = setup(
        &d.url,
        tmp.path(),
        Pkg {
            extra: serde_json::json!({"tag": "legacy"}),
            ..Pkg::default()
        },
    )
    .await;
    assert_eq!(npm.check(&cx, &pkgs).await.unwrap(), Live::Absent);
    assert!(!d.keys().contains(&"GET /otpdemo".to_string()));
}

#[tokio::test]
async fn build_metadata_is_dropped_and_a_dry_run_says_what_it_could_not_prove() {
    let tmp = tempfile::tempdir().unwrap();
    let d = Routed::start(vec![]).await;
    let (npm, cx, pkgs, _) = setup(
        &d.url,
        tmp.path(),
        Pkg {
            release: "1.0.0+build.7",
            dry_run: true,
            ..Pkg::default()
        },
    )
    .await;
    assert_eq!(pkgs[0].name, "otpdemo-1.0.0.tgz", "npm drops +build");
    let p = npm.publish(&cx, &Live::Absent, &pkgs).await.unwrap();
    assert!(
        d.keys().is_empty(),
        "a dry run sends no PUT: {:?}",
        d.keys()
    );
    let w = p.warnings.join("\n");
    assert!(w.contains("token in NPM_TOKEN is valid (whoami)"), "{w}");
    assert!(
        w.contains("could not prove that the token may write"),
        "{w}"
    );
    let withheld = cx.http.ledger().withheld();
    assert_eq!(withheld.len(), 1, "{withheld:?}");
}
