//! The `crates` adapter driven directly (no engine) against the local sparse registry
//! (`scripts/servers/crates.sh`), on a copy of `examples/hello-rust`:
//! package → absent → publish → present → real `cargo install` + run; re-run is a no-op;
//! dry run sends no PUT; wrong token; different content; duplicates; yank.
//!
//! The registry needs only python3 and cargo. If its start script is missing the tests fail
//! naming it.

mod support;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;
use support::crates::{cargo_install, copy_hello_rust, Registry, HELLO_RUST};
use support::registries::repo;
use tagship::exec::Exec;
use tagship::guard::Ledger;
use tagship::http::{Http, HttpOptions, RetryPolicy};
use tagship::plan::{Artifact, ArtifactKind, Project};
use tagship::platform::{Cx, Live, Platform, Release};
use tagship::platforms::crates;
use tagship::redact::Secret;
use tagship::ErrorKind;

/// A copy of examples/hello-rust (so tests never write into the repo) with its dist/.
struct Example {
    dir: tempfile::TempDir,
    version: semver::Version,
}

impl Example {
    fn new() -> Example {
        let dir = tempfile::tempdir().unwrap();
        let src = repo().join("examples/hello-rust");
        copy_hello_rust(&dir.path().join("hello-rust"), HELLO_RUST);
        let toml: toml::Table =
            toml::from_str(&std::fs::read_to_string(src.join("Cargo.toml")).unwrap()).unwrap();
        let v = toml["package"]["version"].as_str().unwrap();
        Example {
            dir,
            version: semver::Version::parse(v).unwrap(),
        }
    }
    fn root(&self) -> PathBuf {
        self.dir.path().join("hello-rust")
    }
}

struct Run {
    cx: Cx,
    ledger: Ledger,
    crates: Box<dyn Platform>,
    /// The same adapter as a concrete type, for `index_state`.
    concrete: crates::Crates,
}

fn run(reg: &Registry, p: &Example, dry_run: bool, token: Option<&str>) -> Run {
    let ledger = Ledger::default();
    let opts = HttpOptions {
        dry_run,
        retry: RetryPolicy {
            attempts: 3,
            base: Duration::from_millis(10),
            max_backoff: Duration::from_millis(50),
            max_wait: Duration::from_secs(2),
        },
        ..Default::default()
    };
    let http = Http::new(opts, ledger.clone())
        .unwrap()
        .for_platform("crates");
    let dist = p.root().join("dist");
    std::fs::create_dir_all(dist.join("crates")).unwrap();
    let release = Release {
        project: Project {
            name: "hello-rust".into(),
            ..Default::default()
        },
        version: p.version.clone(),
        tag: format!("v{}", p.version),
        commit: None,
        dist,
        artifacts: Vec::new(),
        root: p.root(),
        epoch: 315_532_800,
    };
    let mut secrets = BTreeMap::new();
    if let Some(t) = token {
        secrets.insert("CARGO_REGISTRY_TOKEN".to_string(), Secret::new(t));
    }
    let cfg = serde_json::json!({"registry": "local", "index": reg.get("index")});
    let crates = (crates::FACTORY.build)(&cfg, &Project::default()).unwrap();
    let concrete = crates::Crates::new(serde_json::from_value(cfg).unwrap());
    let cx = Cx {
        platform: "crates".into(),
        http,
        exec: Exec::new(dry_run, ledger.clone()).for_platform("crates"),
        release: Arc::new(release),
        secrets,
        deps: BTreeMap::new(),
    };
    Run {
        cx,
        ledger,
        crates,
        concrete,
    }
}

impl Run {
    async fn package(&self) -> Vec<Artifact> {
        let pkgs = self.crates.package(&self.cx).await.unwrap();
        assert_eq!(pkgs.len(), 1);
        let a = &pkgs[0];
        assert_eq!(
            a.kind,
            ArtifactKind::Package {
                platform: "crates".into()
            }
        );
        assert_eq!(
            a.name,
            format!("hello-rust-{}.crate", self.cx.release.version)
        );
        assert!(self.cx.release.path(a).is_file());
        pkgs
    }
}

/// `cargo install` from the registry into a scratch root, then `hello --version`.
fn install_and_run(reg: &Registry, version: &semver::Version) -> String {
    let t = cargo_install(reg, "hello-rust", &version.to_string());
    let out = Command::new(t.path().join("inst/bin/hello"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn server_publish_install_rerun_and_yank() {
    let reg = Registry::start_with(&[("CRATES_DUPLICATE_STATUS", "400")]);
    let p = Example::new();
    let token = reg.get("token");
    let r = run(&reg, &p, false, Some(&token));
    let pkgs = r.package().await;
    assert_eq!(r.crates.check(&r.cx, &pkgs).await.unwrap(), Live::Absent);
    let published = r.crates.publish(&r.cx, &Live::Absent, &pkgs).await.unwrap();
    assert_eq!(published.uploaded, [pkgs[0].name.clone()]);
    assert_eq!(r.crates.check(&r.cx, &pkgs).await.unwrap(), Live::Present);
    assert_eq!(reg.count("PUT"), 1);

    // The index line carries our checksum, and real cargo installs and runs the crate.
    let line = reg.index_file("hello-rust").unwrap();
    assert!(line.contains(&pkgs[0].sha256), "{line}");
    assert_eq!(
        install_and_run(&reg, &p.version).trim(),
        p.version.to_string()
    );

    // Re-run: packaging again gives the same bytes, the check says present, nothing is sent.
    let again = run(&reg, &p, false, Some(&token));
    let pkgs2 = again.package().await;
    assert_eq!(
        pkgs2[0].sha256, pkgs[0].sha256,
        "cargo package is reproducible"
    );
    assert_eq!(
        again.crates.check(&again.cx, &pkgs2).await.unwrap(),
        Live::Present
    );
    assert_eq!(again.ledger.mutating_sent(), 0);
    assert_eq!(reg.count("PUT"), 1);

    // Yank: the index shows it, and the version still counts as present (never reusable).
    again.crates.withdraw(&again.cx).await.unwrap();
    let line = reg.index_file("hello-rust").unwrap();
    assert!(line.contains("\"yanked\":true"), "{line}");
    match again
        .concrete
        .index_state(&again.cx, &pkgs2, true)
        .await
        .unwrap()
    {
        crates::IndexState::Present { same, yanked, .. } => {
            assert_eq!(same, Some(true));
            assert!(yanked);
        }
        s => panic!("{s:?}"),
    }
    assert_eq!(
        again.crates.check(&again.cx, &pkgs2).await.unwrap(),
        Live::Present
    );
    assert_eq!(reg.count("DELETE"), 1);
}

#[tokio::test]
async fn server_dry_run_sends_no_put_and_lists_it() {
    let reg = Registry::start_with(&[("CRATES_DUPLICATE_STATUS", "400")]);
    let p = Example::new();
    // No token at all: a dry run must still get through, the request is only recorded.
    let r = run(&reg, &p, true, None);
    let pkgs = r.package().await;
    assert_eq!(r.crates.check(&r.cx, &pkgs).await.unwrap(), Live::Absent);
    r.crates.publish(&r.cx, &Live::Absent, &pkgs).await.unwrap();
    assert_eq!(reg.count("PUT"), 0);
    assert_eq!(r.ledger.mutating_sent(), 0);
    let w = r.ledger.withheld_for("crates");
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].method, "PUT");
    assert!(w[0].target.ends_with("/api/v1/crates/new"), "{w:?}");
    assert!(
        w[0].body
            .as_deref()
            .unwrap()
            .starts_with("application/octet-stream"),
        "{w:?}"
    );
    assert!(reg.index_file("hello-rust").is_none());
}

#[tokio::test]
async fn server_wrong_token_is_an_auth_error_naming_the_variable() {
    let reg = Registry::start_with(&[("CRATES_DUPLICATE_STATUS", "400")]);
    let p = Example::new();
    let r = run(&reg, &p, false, Some("not-the-registry-token-1234"));
    let pkgs = r.package().await;
    let e = r
        .crates
        .publish(&r.cx, &Live::Absent, &pkgs)
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Auth, "{e:?}");
    assert!(e.hint().unwrap().contains("CARGO_REGISTRY_TOKEN"), "{e:?}");
    assert!(!format!("{e:?}").contains("not-the-registry-token-1234"));
    assert!(reg.index_file("hello-rust").is_none());
}

/// A duplicate PUT (bypassing the check, as after a lost reply) is settled by the index:
/// same checksum → published; both the 400 and the legacy "200 + errors" styles.
#[tokio::test]
async fn server_duplicate_upload_is_resolved_through_the_index() {
    for status in ["400", "200"] {
        let reg = Registry::start_with(&[("CRATES_DUPLICATE_STATUS", status)]);
        let p = Example::new();
        let r = run(&reg, &p, false, Some(&reg.get("token")));
        let pkgs = r.package().await;
        r.crates.publish(&r.cx, &Live::Absent, &pkgs).await.unwrap();
        let second = r.crates.publish(&r.cx, &Live::Absent, &pkgs).await.unwrap();
        assert!(second.uploaded.is_empty(), "{status}: {second:?}");
        assert_eq!(reg.count("PUT"), 2, "{status}");
    }
}

#[tokio::test]
async fn server_same_version_with_different_content_is_a_conflict() {
    let reg = Registry::start_with(&[("CRATES_DUPLICATE_STATUS", "400")]);
    let p = Example::new();
    let r = run(&reg, &p, false, Some(&reg.get("token")));
    let pkgs = r.package().await;
    r.crates.publish(&r.cx, &Live::Absent, &pkgs).await.unwrap();
    let main = p.root().join("src/main.rs");
    let src = std::fs::read_to_string(&main).unwrap();
    std::fs::write(&main, format!("{src}\n// changed\n")).unwrap();
    let changed = r.package().await;
    assert_ne!(changed[0].sha256, pkgs[0].sha256);
    let c = r.crates.check(&r.cx, &changed).await.unwrap();
    let Live::Conflict { conflicts } = &c.live else {
        panic!("expected a conflict: {c:?}")
    };
    assert!(conflicts[0].contains(&changed[0].sha256), "{c:?}");
    // Publishing anyway is refused by the registry and reported as the same conflict.
    let e = r
        .crates
        .publish(&r.cx, &Live::Absent, &changed)
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Conflict, "{e:?}");
}

#[tokio::test]
async fn version_must_match_cargo_toml() {
    let p = Example::new();
    let ledger = Ledger::default();
    let crates = (crates::FACTORY.build)(&serde_json::json!({}), &Project::default()).unwrap();
    let dist = p.root().join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    let cx = Cx {
        platform: "crates".into(),
        http: Http::new(HttpOptions::default(), ledger.clone()).unwrap(),
        exec: Exec::new(false, ledger),
        release: Arc::new(Release {
            project: Project::default(),
            version: semver::Version::new(9, 9, 9),
            tag: "v9.9.9".into(),
            commit: None,
            dist,
            artifacts: Vec::new(),
            root: p.root(),
            epoch: 315_532_800,
        }),
        secrets: BTreeMap::new(),
        deps: BTreeMap::new(),
    };
    let e = crates.package(&cx).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Input, "{e:?}");
    assert!(e.message().contains("Cargo.toml"), "{e:?}");
    assert!(e.message().contains("9.9.9"), "{e:?}");
}
