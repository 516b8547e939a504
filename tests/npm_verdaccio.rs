//! The npm adapter driven directly against a real verdaccio 6.8.0 on 127.0.0.1, with a real
//! static Go binary: absent → publish → `npm install -g` and run → present → re-run sends no
//! PUT; dry run sends no PUT and lists them; partial repair; different bytes for a published
//! version are a conflict and never overwrite; prereleases go to `next`; no token is a clear
//! auth error.
//!
//! Needs `scripts/setup.d/30-registries.sh` (installs verdaccio); fails naming it without it.

mod npm_common;

use npm_common::verdaccio::{verdaccio, Verdaccio};
use npm_common::*;
use std::path::Path;
use std::process::Command;
use tagship::guard::Ledger;
use tagship::plan::Target;
use tagship::platform::{Live, Platform};
use tagship::ErrorKind;

/// A release of `name` with one real linux-amd64 binary, in a fresh dist dir under `tmp`.
fn setup(
    v: &Verdaccio,
    tmp: &Path,
    version: &str,
    extra: &str,
    section: serde_json::Value,
) -> (Box<dyn Platform>, tagship::platform::Release) {
    let bdir = tmp.join(format!("bin-{version}{extra}"));
    std::fs::create_dir_all(&bdir).unwrap();
    let bin = go_binary(&bdir, "demo", version, extra);
    let dist = tmp.join(format!("dist-{version}{extra}"));
    let r = release(
        &dist,
        project("demo"),
        version,
        &[(Target::parse("linux-amd64").unwrap(), &bin)],
    );
    let mut s = section;
    s["registry"] = v.url.clone().into();
    (adapter(s, &r.project.clone()), r)
}

/// A plain GET on the registry (not through tagship): status and JSON body.
async fn get(url: &str) -> (u16, serde_json::Value) {
    let r = reqwest::get(url).await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}

async fn get_bytes(url: &str) -> Vec<u8> {
    let r = reqwest::get(url).await.unwrap();
    assert!(r.status().is_success(), "GET {url}: {}", r.status());
    r.bytes().await.unwrap().to_vec()
}

/// `npm install -g --prefix <tmp> <spec>` from the test registry, with no user config.
fn npm_install(registry: &str, prefix: &Path, spec: &str) {
    let out = Command::new("npm")
        .args(["install", "-g", "--no-audit", "--no-fund", "--prefix"])
        .arg(prefix)
        .arg("--cache")
        .arg(prefix.join(".npm-cache"))
        .args(["--registry", registry, spec])
        .env("npm_config_userconfig", prefix.join(".npmrc-none"))
        .env("npm_config_update_notifier", "false")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "npm install {spec} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn server_publish_install_run_then_rerun_and_dry_run_send_no_put() {
    let v = verdaccio();
    let tmp = tempfile::tempdir().unwrap();
    let (npm, r) = setup(
        &v,
        tmp.path(),
        "1.2.3",
        "",
        serde_json::json!({"scope": "@acme"}),
    );
    let ledger = Ledger::default();
    let cx = cx(r, false, Some(&v.token), &ledger);
    let pkgs = npm.package(&cx).await.unwrap();
    assert_eq!(npm.check(&cx, &pkgs).await.unwrap(), Live::Absent);

    let p = npm.publish(&cx, &Live::Absent, &pkgs).await.unwrap();
    assert_eq!(
        p.uploaded,
        ["acme-demo-linux-x64-1.2.3.tgz", "acme-demo-1.2.3.tgz"]
    );
    assert_eq!(ledger.mutating_sent(), 2);
    // What the registry holds is our tarball, byte for byte, under `latest`, public.
    let (code, doc) = get(&format!("{}@acme%2fdemo-linux-x64", v.url)).await;
    assert_eq!(code, 200, "{doc}");
    assert_eq!(doc["dist-tags"]["latest"], "1.2.3");
    let served = get_bytes(
        doc["versions"]["1.2.3"]["dist"]["tarball"]
            .as_str()
            .unwrap(),
    )
    .await;
    assert!(
        served == std::fs::read(cx.release.path(&pkgs[0])).unwrap(),
        "served tarball differs"
    );
    let (_, root) = get(&format!("{}@acme%2fdemo/1.2.3", v.url)).await;
    assert_eq!(
        root["optionalDependencies"]["@acme/demo-linux-x64"],
        "1.2.3"
    );
    assert_eq!(root["bin"]["demo"], "bin/demo.js");

    install_and_run(&v, tmp.path());
    // Re-run: present, and publishing again sends nothing.
    assert_eq!(npm.check(&cx, &pkgs).await.unwrap(), Live::Present);
    let again = npm.publish(&cx, &Live::Present, &pkgs).await.unwrap();
    assert!(again.uploaded.is_empty());
    assert_eq!(ledger.mutating_sent(), 2, "a re-run must not PUT");
    // Even told "absent", the registry's "already present" with the same bytes is success.
    let forced = npm.publish(&cx, &Live::Absent, &pkgs).await.unwrap();
    assert!(forced.uploaded.is_empty(), "{forced:?}");

    dry_run_of_the_next_version(&v, tmp.path()).await;
}

/// A user installs the root package from the registry and runs the command.
fn install_and_run(v: &Verdaccio, tmp: &Path) {
    let prefix = tmp.join("global");
    npm_install(&v.url, &prefix, "@acme/demo@1.2.3");
    let out = Command::new(prefix.join("bin/demo"))
        .arg("--version")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "demo 1.2.3\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success());
}

/// Dry run of the next version: real GETs, no PUT, every PUT listed in order.
async fn dry_run_of_the_next_version(v: &Verdaccio, tmp: &Path) {
    let (npm2, r2) = setup(v, tmp, "1.2.4", "", serde_json::json!({"scope": "@acme"}));
    let dry = Ledger::default();
    let cx2 = npm_common::cx(r2, true, Some(&v.token), &dry);
    let pkgs2 = npm2.package(&cx2).await.unwrap();
    assert_eq!(npm2.check(&cx2, &pkgs2).await.unwrap(), Live::Absent);
    let p2 = npm2.publish(&cx2, &Live::Absent, &pkgs2).await.unwrap();
    assert_eq!(p2.uploaded.len(), 2);
    assert_eq!(dry.mutating_sent(), 0, "a dry run must not PUT");
    let w = dry.withheld_for("npm");
    let targets: Vec<(&str, &str)> = w
        .iter()
        .map(|w| (w.method.as_str(), w.target.as_str()))
        .collect();
    assert_eq!(
        targets,
        [
            ("PUT", format!("{}@acme%2fdemo-linux-x64", v.url).as_str()),
            ("PUT", format!("{}@acme%2fdemo", v.url).as_str()),
        ]
    );
    assert_eq!(get(&format!("{}@acme%2fdemo/1.2.4", v.url)).await.0, 404);

    // The dry run probes auth, not only existence: a wrong token fails the check (whoami),
    // although verdaccio would serve the anonymous reads.
    let (npm3, r3) = setup(v, tmp, "1.2.5", "", serde_json::json!({"scope": "@acme"}));
    let cx3 = npm_common::cx(r3, true, Some("wrong-token-value"), &Ledger::default());
    let pkgs3 = npm3.package(&cx3).await.unwrap();
    let e = npm3.check(&cx3, &pkgs3).await.unwrap_err();
    assert_eq!(e.kind, tagship::ErrorKind::Auth, "{e:?}");
    assert!(e.hint().unwrap().contains("NPM_TOKEN"), "{e:?}");
}

#[tokio::test]
async fn server_different_bytes_for_a_published_version_are_a_conflict() {
    let v = verdaccio();
    let tmp = tempfile::tempdir().unwrap();
    let (npm, r) = setup(&v, tmp.path(), "1.0.0", "", serde_json::json!({}));
    let cx1 = cx(r, false, Some(&v.token), &Ledger::default());
    let pkgs = npm.package(&cx1).await.unwrap();
    npm.publish(&cx1, &Live::Absent, &pkgs).await.unwrap();
    let (_, before) = get(&format!("{}demo-linux-x64/1.0.0", v.url)).await;

    // Same version, rebuilt with different bytes.
    let (npm, r) = setup(&v, tmp.path(), "1.0.0", "-patched", serde_json::json!({}));
    let ledger = Ledger::default();
    let cx2 = cx(r, false, Some(&v.token), &ledger);
    let pkgs2 = npm.package(&cx2).await.unwrap();
    let c = npm.check(&cx2, &pkgs2).await.unwrap();
    let Live::Conflict { conflicts } = &c.live else {
        panic!("expected a conflict: {c:?}")
    };
    assert!(
        conflicts
            .iter()
            .any(|c| c.starts_with("demo-linux-x64: live sha1")),
        "{c:?}"
    );
    // Forcing a publish is refused by the registry and reported as the same conflict.
    let e = npm.publish(&cx2, &Live::Absent, &pkgs2).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Conflict, "{e:?}");
    let (_, after) = get(&format!("{}demo-linux-x64/1.0.0", v.url)).await;
    assert_eq!(
        before["dist"], after["dist"],
        "the published version must not change"
    );
}

#[tokio::test]
async fn server_partial_repair_prerelease_tag_and_missing_token() {
    let v = verdaccio();
    let tmp = tempfile::tempdir().unwrap();
    let (npm, r) = setup(&v, tmp.path(), "1.0.0", "", serde_json::json!({}));
    let ledger = Ledger::default();
    let cx1 = cx(r, false, Some(&v.token), &ledger);
    let pkgs = npm.package(&cx1).await.unwrap();
    // Only the platform package landed (an interrupted run).
    npm.publish(&cx1, &Live::Absent, &pkgs[..1]).await.unwrap();
    let live = npm.check(&cx1, &pkgs).await.unwrap().live;
    assert_eq!(
        live,
        Live::Partial {
            present: vec!["demo-linux-x64".into()],
            missing: vec!["demo".into()]
        }
    );
    let p = npm.publish(&cx1, &live, &pkgs).await.unwrap();
    assert_eq!(p.uploaded, ["demo-1.0.0.tgz"]);
    assert_eq!(ledger.mutating_sent(), 2);
    assert_eq!(npm.check(&cx1, &pkgs).await.unwrap(), Live::Present);

    // A prerelease goes to `next`; `latest` stays on the stable version.
    let (npm, r) = setup(&v, tmp.path(), "1.1.0-rc.1", "", serde_json::json!({}));
    let cx2 = cx(r, false, Some(&v.token), &Ledger::default());
    let pkgs = npm.package(&cx2).await.unwrap();
    npm.publish(&cx2, &Live::Absent, &pkgs).await.unwrap();
    for name in ["demo", "demo-linux-x64"] {
        let (_, doc) = get(&format!("{}{name}", v.url)).await;
        assert_eq!(
            doc["dist-tags"]["latest"], "1.0.0",
            "{name}: {}",
            doc["dist-tags"]
        );
        assert_eq!(
            doc["dist-tags"]["next"], "1.1.0-rc.1",
            "{name}: {}",
            doc["dist-tags"]
        );
    }

    // Without a token the registry's 401 is an auth error that names the variable.
    let (npm, r) = setup(&v, tmp.path(), "1.2.0", "", serde_json::json!({}));
    let cx3 = cx(r, false, None, &Ledger::default());
    let pkgs = npm.package(&cx3).await.unwrap();
    let e = npm.publish(&cx3, &Live::Absent, &pkgs).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Auth, "{e:?}");
    assert!(e.hint().unwrap_or_default().contains("NPM_TOKEN"), "{e:?}");
}

/// `tagship rollback` on npm (issue 12): the version is deprecated and `latest` moves back to
/// the previous version, on the real verdaccio; the dry run sends nothing; twice is a no-op.
#[tokio::test]
async fn server_rollback_deprecates_and_moves_latest_back() {
    let v = verdaccio();
    let tmp = tempfile::tempdir().unwrap();
    let section = serde_json::json!({"scope": "@acme"});
    let ledger = Ledger::default();
    for version in ["1.0.0", "1.1.0"] {
        let (npm, r) = setup(&v, tmp.path(), version, "", section.clone());
        let cx = cx(r, false, Some(&v.token), &ledger);
        let pkgs = npm.package(&cx).await.unwrap();
        npm.publish(&cx, &Live::Absent, &pkgs).await.unwrap();
    }
    let root = format!("{}@acme%2fdemo", v.url);
    assert_eq!(get(&root).await.1["dist-tags"]["latest"], "1.1.0");
    let (npm, r) = setup(&v, tmp.path(), "1.1.0", "-rb", section);

    let dry = Ledger::default();
    let e = npm
        .withdraw(&cx(r.clone(), true, Some(&v.token), &dry))
        .await
        .unwrap_err();
    assert_eq!(e.kind, tagship::ErrorKind::Withheld, "{e:?}");
    assert_eq!(dry.mutating_sent(), 0);
    assert_eq!(get(&root).await.1["dist-tags"]["latest"], "1.1.0");

    let real = Ledger::default();
    let done = npm
        .withdraw(&cx(r.clone(), false, Some(&v.token), &real))
        .await
        .unwrap();
    let tagship::platform::Withdrawn::Done(what) = done else {
        panic!("{done:?}")
    };
    assert!(what.contains("moved latest back to 1.0.0"), "{what}");
    let (_, doc) = get(&root).await;
    assert_eq!(doc["dist-tags"]["latest"], "1.0.0", "{doc}");
    assert!(
        doc["versions"]["1.1.0"]["deprecated"]
            .as_str()
            .is_some_and(|d| d.contains("withdrawn")),
        "{doc}"
    );
    assert_eq!(
        real.mutating_sent(),
        2,
        "one PUT of the document, one dist-tag"
    );

    let again = Ledger::default();
    npm.withdraw(&cx(r, false, Some(&v.token), &again))
        .await
        .unwrap();
    assert_eq!(again.mutating_sent(), 0, "nothing left to do");
}
