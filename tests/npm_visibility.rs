//! Issue #16, acceptance 3: the npm root package is published only after the abbreviated
//! packument (what installers read, `Accept: application/vnd.npm.install-v1+json`) lists
//! every platform package, read without credentials as an installer reads it. The double
//! serves what npmjs's CDN does right after a publish: a cached 404, then a stale document
//! without the new version, then the fresh one. When it never lists it within
//! `visibility_timeout`, the root is not published at all.

mod npm_common;

use npm_common::double::{npm_error, Routed};
use npm_common::*;
use tagship::guard::Ledger;
use tagship::plan::Target;
use tagship::platform::{Cx, Live, Platform};
use tagship::ErrorKind;

const PLAT: &str = "/@acme%2fdemo-linux-x64";
const ROOT: &str = "/@acme%2fdemo";

async fn setup(url: &str, tmp: &std::path::Path, timeout: u64) -> (Box<dyn Platform>, Cx) {
    let bin = go_binary(tmp, "demo", "1.2.3", "");
    let r = release(
        &tmp.join("dist"),
        project("demo"),
        "1.2.3",
        &[(Target::parse("linux-amd64").unwrap(), &bin)],
    );
    let npm = adapter(
        serde_json::json!({"registry": url, "scope": "@acme", "visibility_timeout": timeout}),
        &r.project.clone(),
    );
    (npm, cx(r, false, Some("tok-123"), &Ledger::default()))
}

fn listing(versions: &[&str]) -> (u16, String) {
    let v: serde_json::Map<String, serde_json::Value> = versions
        .iter()
        .map(|v| (v.to_string(), serde_json::json!({"version": v})))
        .collect();
    (
        200,
        serde_json::json!({"name": "@acme/demo-linux-x64", "dist-tags": {}, "versions": v})
            .to_string(),
    )
}

#[tokio::test]
async fn the_root_waits_until_installers_see_every_platform_package() {
    let tmp = tempfile::tempdir().unwrap();
    let d = Routed::start(vec![
        (
            &format!("GET {PLAT}"),
            vec![
                // access look-up (authenticated): a new package.
                (404, npm_error("Not found")),
                // the CDN: a cached 404, a stale document, then the version.
                (404, npm_error("Not found")),
                listing(&["1.2.2"]),
                listing(&["1.2.2", "1.2.3"]),
            ],
        ),
        (&format!("PUT {PLAT}"), vec![(200, "{}".into())]),
        (&format!("GET {ROOT}"), vec![(404, npm_error("Not found"))]),
        (&format!("PUT {ROOT}"), vec![(200, "{}".into())]),
    ])
    .await;
    let (npm, cx) = setup(&d.url, tmp.path(), 30).await;
    let pkgs = npm.package(&cx).await.unwrap();
    let p = npm.publish(&cx, &Live::Absent, &pkgs).await.unwrap();
    assert_eq!(p.uploaded.len(), 2, "{p:?}");
    let g = format!("GET {PLAT}");
    assert_eq!(
        d.keys(),
        [
            g.clone(),
            format!("PUT {PLAT}"),
            g.clone(),
            g.clone(),
            g,
            format!("GET {ROOT}"),
            format!("PUT {ROOT}")
        ]
    );
    let seen = d.seen();
    for s in &seen[2..5] {
        assert!(
            s.headers.get("authorization").is_none(),
            "installers read it anonymously"
        );
        assert!(
            s.headers["accept"]
                .to_str()
                .unwrap()
                .starts_with("application/vnd.npm.install-v1+json"),
            "the abbreviated document: {:?}",
            s.headers["accept"]
        );
    }
    assert_eq!(seen[1].json()["access"], "public", "a new scoped package");
    let root = seen[6].json();
    assert_eq!(
        root["versions"]["1.2.3"]["optionalDependencies"]["@acme/demo-linux-x64"],
        "1.2.3"
    );
}

#[tokio::test]
async fn a_platform_package_installers_never_see_keeps_the_root_unpublished() {
    let tmp = tempfile::tempdir().unwrap();
    let d = Routed::start(vec![
        (&format!("GET {PLAT}"), vec![listing(&["1.2.2"])]),
        (&format!("PUT {PLAT}"), vec![(200, "{}".into())]),
    ])
    .await;
    let (npm, cx) = setup(&d.url, tmp.path(), 1).await;
    let pkgs = npm.package(&cx).await.unwrap();
    let e = npm.publish(&cx, &Live::Absent, &pkgs).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Server, "{e:?}");
    assert!(e.message().contains("@acme/demo-linux-x64@1.2.3"), "{e:?}");
    assert!(
        e.message().contains("root package was not published"),
        "{e:?}"
    );
    assert!(!d.keys().contains(&format!("PUT {ROOT}")), "{:?}", d.keys());
    // Bounded: a handful of polls within the one-second window, not a spin.
    let polls = d.keys().iter().filter(|k| k.starts_with("GET")).count();
    assert!((2..=6).contains(&polls), "{:?}", d.keys());
}
