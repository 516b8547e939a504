//! Crate workspaces (issue 14, acceptance 2) against the local sparse registry
//! (`scripts/servers/crates.sh`, which like crates.io refuses a dependency on a crate it
//! does not know, and logs which crate each upload was), on a copy of
//! `examples/rust-workspace` (a lib, a lib on it, a bin on both, and a `publish = false`
//! helper):
//! - the real `tagship` binary: a dry run sends nothing; a real run publishes the three
//!   crates in dependency order (the registry's log), then a real `cargo install` of the
//!   bin from the registry works and runs; a re-run sends nothing;
//! - a member that breaks crates.io's rules is exit 2 with nothing sent at all;
//! - the adapter with the registry's index lagging behind uploads (`CRATES_INDEX_DELAY`):
//!   a dependent is sent only once the index shows its dependency, and a dependency that
//!   does not show in time stops the run naming what is not published yet.
//!
//! Fails naming the setup script when the registry's start script is missing.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use support::cli::{platform_row, Project};
use support::crates::{cargo_install, copy_example, Registry, RUST_WORKSPACE};
use tagship::exec::Exec;
use tagship::guard::Ledger;
use tagship::http::{Http, HttpOptions};
use tagship::plan::Project as Meta;
use tagship::platform::{Cx, Live, Platform, Release};
use tagship::platforms::crates;
use tagship::redact::Secret;

const ORDER: [&str; 3] = ["wsdemo-core@0.1.0", "wsdemo-greet@0.1.0", "wsdemo@0.1.0"];

/// Copies the example into `dir`, its path dependencies declared as coming from the
/// registry named `local` (as cargo needs for any registry but crates.io: the packaged
/// Cargo.toml names where each dependency comes from).
fn copy_for_local(dir: &Path) {
    copy_example("rust-workspace", dir, RUST_WORKSPACE);
    let root = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&root).unwrap();
    let local = text.replace(
        "version = \"0.1.0\" }",
        "version = \"0.1.0\", registry = \"local\" }",
    );
    assert_eq!(local.matches("registry = \"local\"").count(), 2, "{local}");
    std::fs::write(root, local).unwrap();
}

/// A copy of the example pointed at `reg`, with the registry's real token.
fn project(reg: &Registry) -> Project {
    let pipeline = std::fs::read_to_string(
        support::registries::repo().join("examples/rust-workspace/pipeline.yaml"),
    )
    .unwrap();
    let mut p = Project::new(&pipeline);
    copy_for_local(p.path());
    p.env("TAGSHIP__PLATFORMS__CRATES__REGISTRY", "local")
        .env("TAGSHIP__PLATFORMS__CRATES__INDEX", &reg.get("index"))
        .env("CARGO_REGISTRY_TOKEN", &reg.get("token"));
    p
}

/// `cargo install wsdemo` from the registry; the binary's answers to `--version` and
/// `tagship`.
fn install_and_run(reg: &Registry) -> (String, String) {
    let t = cargo_install(reg, "wsdemo", "0.1.0");
    let run = |arg: &str| {
        let out = Command::new(t.path().join("inst/bin/wsdemo"))
            .arg(arg)
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    (run("--version"), run("tagship"))
}

#[test]
fn server_workspace_publishes_in_dependency_order_and_installs() {
    let reg = Registry::start();
    let p = project(&reg);

    // Dry run: every member packaged and checked, each upload withheld, none sent.
    let run = p.run(&["release", "v0.1.0", "--dry-run"]);
    run.assert_code(0);
    let report = run.report(&p.dist());
    let r = platform_row(&report, "crates");
    assert_eq!(r["outcome"], "would-publish", "{r:#}");
    // One .crate per publishable member, in publishing order.
    let crates = [
        "wsdemo-core-0.1.0.crate",
        "wsdemo-greet-0.1.0.crate",
        "wsdemo-0.1.0.crate",
    ];
    let listed = r["packages"].as_array().unwrap().iter();
    assert!(listed.map(|a| &a["name"]).eq(crates.iter()), "{r:#}");
    assert_eq!(r["withheld"].as_array().unwrap().len(), 3, "{r:#}");
    assert!(reg.puts().is_empty());

    // Real run: in dependency order (the registry refuses an unknown dependency, and its
    // log names each upload), the helper never.
    let run = p.run(&["release", "v0.1.0"]);
    run.assert_code(0);
    let report = run.report(&p.dist());
    assert_eq!(platform_row(&report, "crates")["outcome"], "published");
    assert_eq!(reg.published(), ORDER);
    assert!(reg.index_file("wsdemo-xtask").is_none());
    // The dependent's index line requires the released version of its path dependency.
    let greet = reg.index_file("wsdemo-greet").unwrap();
    assert!(
        greet.contains(r#""name":"wsdemo-core","req":"^0.1.0""#),
        "{greet}"
    );

    // A real `cargo install` of the bin resolves both libraries from the registry.
    let (version, greeting) = install_and_run(&reg);
    assert_eq!(version, "wsdemo 0.1.0 (wsdemo-core 0.1.0)");
    assert_eq!(greeting, "hello tagship");

    // Re-run: nothing mutating is sent.
    let run = p.run(&["release", "v0.1.0"]);
    run.assert_code(0);
    let report = run.report(&p.dist());
    assert_eq!(
        platform_row(&report, "crates")["outcome"],
        "already-published"
    );
    assert_eq!(report["requests"]["mutating_sent"], 0, "{report:#}");
    assert_eq!(reg.puts(), [200, 200, 200]);
}

#[test]
fn server_a_member_breaking_the_rules_refuses_the_whole_workspace() {
    let reg = Registry::start();
    let mut p = project(&reg);
    p.env("TAGSHIP__PLATFORMS__CRATES__RULES", "crates-io");
    let greet = p.path().join("crates/wsdemo-greet/Cargo.toml");
    let text = std::fs::read_to_string(&greet).unwrap();
    let broken = text.replace(
        "keywords = [\"example\", \"release\"]",
        "keywords = [\"example\", \"release\", \"a-keyword-far-too-long-for-crates-io\"]",
    );
    assert_ne!(broken, text);
    std::fs::write(&greet, broken).unwrap();

    let run = p.run(&["release", "v0.1.0"]);
    run.assert_code(2);
    let out = format!("{}{}", run.stdout, run.stderr);
    assert!(out.contains("crates/wsdemo-greet/Cargo.toml"), "{out}");
    assert!(out.contains("package.keywords"), "{out}");
    // Not even the members before it in the order were sent.
    assert!(reg.puts().is_empty(), "{:?}", reg.requests());
}

/// The adapter itself on a fresh copy of the example, with `extra` settings over
/// `registry`/`index`/`workspace`.
struct Adapter {
    crates: Box<dyn Platform>,
    cx: Cx,
    _dir: tempfile::TempDir,
}

fn adapter(reg: &Registry, extra: serde_json::Value) -> Adapter {
    let dir = tempfile::tempdir().unwrap();
    copy_for_local(dir.path());
    let root = dir.path();
    let ledger = Ledger::default();
    let mut cfg =
        serde_json::json!({"registry": "local", "index": reg.get("index"), "workspace": true});
    cfg.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let platform = (crates::FACTORY.build)(&cfg, &Meta::default()).unwrap();
    let dist = root.join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    let mut secrets = BTreeMap::new();
    secrets.insert(
        "CARGO_REGISTRY_TOKEN".to_string(),
        Secret::new(reg.get("token")),
    );
    let cx = Cx {
        platform: "crates".into(),
        http: Http::new(HttpOptions::default(), ledger.clone())
            .unwrap()
            .for_platform("crates"),
        exec: Exec::new(false, ledger).for_platform("crates"),
        release: Arc::new(Release {
            project: Meta::default(),
            version: semver::Version::new(0, 1, 0),
            tag: "v0.1.0".into(),
            commit: None,
            dist,
            artifacts: Vec::new(),
            root: root.to_path_buf(),
            epoch: 315_532_800,
        }),
        secrets,
        deps: BTreeMap::new(),
    };
    Adapter {
        crates: platform,
        cx,
        _dir: dir,
    }
}

/// The statuses of the reads of `name`'s index file between the uploads of `after` and
/// `before` (by the log's `crate`).
fn reads_between(reg: &Registry, path: &str, after: &str, before: &str) -> Vec<u64> {
    let log = reg.log();
    let at = |c: &str| log.iter().position(|r| r["crate"] == c).unwrap();
    log[at(after)..at(before)]
        .iter()
        .filter(|r| r["method"] == "GET" && r["path"] == path)
        .map(|r| r["status"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn server_dependents_wait_until_the_index_shows_their_dependency() {
    let reg = Registry::start_with(&[("CRATES_INDEX_DELAY", "1.5")]);
    let settings = serde_json::json!({"index_poll_ms": 200, "index_wait_secs": 30});
    let lines = Arc::new(tagship::progress::Recorder::default());
    tagship::progress::install(lines.clone());
    let Adapter { crates, cx, .. } = &adapter(&reg, settings);
    let pkgs = crates.package(cx).await.unwrap();
    assert_eq!(crates.check(cx, &pkgs).await.unwrap(), Live::Absent);
    let published = crates.publish(cx, &Live::Absent, &pkgs).await.unwrap();
    assert_eq!(reg.published(), ORDER);
    assert_eq!(published.uploaded.len(), 3, "{published:?}");
    // Between wsdemo-core's upload and wsdemo-greet's, tagship read wsdemo-core's index
    // file until it showed the crate: 404s first (the lag), the last one a 200.
    let reads = reads_between(&reg, "/index/ws/de/wsdemo-core", ORDER[0], ORDER[1]);
    assert!(reads.len() >= 2 && reads[0] == 404, "{reads:?}");
    assert_eq!(reads.last(), Some(&200), "{reads:?}");
    let reads = reads_between(&reg, "/index/ws/de/wsdemo-greet", ORDER[1], ORDER[2]);
    assert_eq!(reads.last(), Some(&200), "{reads:?}");
    let noted = published.warnings.join("\n");
    assert!(
        noted.contains("for the index to show wsdemo-core 0.1.0"),
        "{noted}"
    );
    // The wait was said while it happened, once per crate waited for.
    let said = lines.lines_of("crates");
    assert!(
        said.iter().any(|l| l
            == "crates: waiting up to 30s: for the index to show wsdemo-core 0.1.0 (its dependents wait for it)"),
        "{said:?}"
    );
}

#[tokio::test]
async fn server_a_dependency_missing_from_the_index_in_time_stops_its_dependents() {
    let reg = Registry::start_with(&[("CRATES_INDEX_DELAY", "30")]);
    let settings = serde_json::json!({"index_poll_ms": 200, "index_wait_secs": 1});
    let Adapter { crates, cx, .. } = &adapter(&reg, settings);
    let pkgs = crates.package(cx).await.unwrap();
    let e = crates.publish(cx, &Live::Absent, &pkgs).await.unwrap_err();
    assert!(
        e.message()
            .contains("wsdemo-core 0.1.0 was published, but the index did not show it within 1s")
            && e.message()
                .contains("not published yet: wsdemo-greet, wsdemo"),
        "{e:?}"
    );
    assert!(e.hint().unwrap().contains("index_wait_secs"), "{e:?}");
    assert_eq!(reg.published(), ORDER[..1]);
    // Bounded: about one second of reads, not the registry's 30 s lag.
    let reads = reg
        .log()
        .iter()
        .filter(|r| r["path"] == "/index/ws/de/wsdemo-core")
        .count();
    assert!((2..=10).contains(&reads), "{reads}");
}
