//! The `crates` adapter behind the fault proxy (`scripts/servers/fault_proxy.sh` in front of
//! `scripts/servers/crates.sh`, with config.json pointing at the proxy): a 503 on the index
//! and on the upload is retried, a 429 waits for `Retry-After`, a 500 on the (non-idempotent)
//! upload is not re-sent, and a connection reset mid-upload is an unknown outcome that a
//! re-check settles. Evidence: the proxy's log and the registry's index.
//! Fails naming the start scripts when missing, unless TAGSHIP_SKIP_SERVER_TESTS=1.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;
use tagship::exec::Exec;
use tagship::guard::Ledger;
use tagship::http::{Http, HttpOptions, RetryPolicy};
use tagship::plan::Project;
use tagship::platform::{Cx, Live, Platform, Release};
use tagship::platforms::crates;
use tagship::redact::Secret;
use tagship::ErrorKind;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn start(script: &str, args: &[String], env: &[(&str, String)]) -> serde_json::Value {
    let path = repo().join("scripts/servers").join(script);
    assert!(
        path.exists(),
        "{} is missing (see docs/test-servers.md), or set TAGSHIP_SKIP_SERVER_TESTS=1",
        path.display()
    );
    let mut cmd = Command::new("bash");
    cmd.arg(&path)
        .args(args)
        .env("TAGSHIP_WATCH_PID", std::process::id().to_string());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{script} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The registry with the proxy in front; both stopped on drop.
struct Servers {
    dir: tempfile::TempDir,
    reg: serde_json::Value,
    proxy: serde_json::Value,
}

impl Servers {
    fn start() -> Option<Servers> {
        if std::env::var("TAGSHIP_SKIP_SERVER_TESTS").as_deref() == Ok("1") {
            eprintln!("skipped: TAGSHIP_SKIP_SERVER_TESTS=1");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let base = format!("http://127.0.0.1:{port}");
        let d = |s: &str| dir.path().join(s).display().to_string();
        let reg = start("crates.sh", &[d("reg")], &[("CRATES_BASE_URL", base)]);
        let upstream = format!("http://127.0.0.1:{}", reg["port"]);
        let proxy = start(
            "fault_proxy.sh",
            &[upstream, d("proxy"), port.to_string()],
            &[],
        );
        Some(Servers { dir, reg, proxy })
    }
    fn control(&self) -> String {
        self.proxy["control"].as_str().unwrap().to_string()
    }
    async fn inject(&self, method: &str, path_prefix: &str, responses: serde_json::Value) {
        let rule = serde_json::json!({
            "match": {"method": method, "path_prefix": path_prefix},
            "responses": responses,
        });
        let r = reqwest::Client::new()
            .post(format!("{}faults", self.control()))
            .json(&rule)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }
    /// `(status, forwarded)` of the requests with this method, from the proxy's log.
    async fn log(&self, method: &str) -> Vec<(Option<u64>, bool)> {
        let url = format!("{}log", self.control());
        let v: serde_json::Value = reqwest::get(url).await.unwrap().json().await.unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .filter(|r| r["method"] == method)
            .map(|r| {
                (
                    r["status"].as_u64(),
                    r["forwarded"].as_bool().unwrap_or(false),
                )
            })
            .collect()
    }
}

impl Drop for Servers {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(repo().join("scripts/servers/stop.sh"))
            .arg(self.dir.path().join("proxy"))
            .arg(self.dir.path().join("reg"))
            .status();
    }
}

struct Setup {
    _dir: tempfile::TempDir,
    cx: Cx,
    crates: Box<dyn Platform>,
}

fn copy_example(to: &Path) {
    let ex = repo().join("examples/hello-rust");
    for f in ["Cargo.toml", "Cargo.lock", "README.md", "src/main.rs"] {
        std::fs::create_dir_all(to.join(f).parent().unwrap()).unwrap();
        std::fs::copy(ex.join(f), to.join(f)).unwrap();
    }
}

fn setup(s: &Servers) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("hello-rust");
    copy_example(&root);
    let dist = root.join("dist");
    std::fs::create_dir_all(dist.join("crates")).unwrap();
    let ledger = Ledger::default();
    let opts = HttpOptions {
        retry: RetryPolicy {
            attempts: 3,
            base: Duration::from_millis(10),
            max_backoff: Duration::from_millis(50),
            max_wait: Duration::from_secs(3),
        },
        ..Default::default()
    };
    let mut secrets = BTreeMap::new();
    let token = s.reg["token"].as_str().unwrap();
    secrets.insert("CARGO_REGISTRY_TOKEN".to_string(), Secret::new(token));
    let cfg = serde_json::json!({"registry": "local", "index": s.reg["index"]});
    let crates = (crates::FACTORY.build)(&cfg, &Project::default()).unwrap();
    let cx = Cx {
        platform: "crates".into(),
        http: Http::new(opts, ledger.clone())
            .unwrap()
            .for_platform("crates"),
        exec: Exec::new(false, ledger).for_platform("crates"),
        release: Arc::new(Release {
            project: Project::default(),
            version: semver::Version::new(0, 1, 0),
            tag: "v0.1.0".into(),
            commit: None,
            dist,
            artifacts: Vec::new(),
            root,
        }),
        secrets,
        deps: BTreeMap::new(),
    };
    Setup {
        _dir: dir,
        cx,
        crates,
    }
}

const NEW: &str = "/api/v1/crates/new";

#[tokio::test]
async fn retries_503_on_index_and_upload() {
    let Some(s) = Servers::start() else { return };
    let t = setup(&s);
    let pkgs = t.crates.package(&t.cx).await.unwrap();
    s.inject("GET", "/index/he/ll/", serde_json::json!([503]))
        .await;
    assert_eq!(t.crates.check(&t.cx, &pkgs).await.unwrap(), Live::Absent);
    s.inject("PUT", NEW, serde_json::json!([503])).await;
    t.crates.publish(&t.cx, &Live::Absent, &pkgs).await.unwrap();
    // 503 means "not acted on", so even the non-idempotent upload is retried.
    assert_eq!(s.log("PUT").await, [(Some(503), false), (Some(200), true)]);
    assert_eq!(t.crates.check(&t.cx, &pkgs).await.unwrap(), Live::Present);
}

#[tokio::test]
async fn waits_for_retry_after_on_429() {
    let Some(s) = Servers::start() else { return };
    let t = setup(&s);
    let pkgs = t.crates.package(&t.cx).await.unwrap();
    s.inject("PUT", NEW, serde_json::json!([429])).await;
    let t0 = std::time::Instant::now();
    t.crates.publish(&t.cx, &Live::Absent, &pkgs).await.unwrap();
    assert!(
        t0.elapsed() >= Duration::from_millis(900),
        "Retry-After: 1 not honoured"
    );
    assert_eq!(s.log("PUT").await, [(Some(429), false), (Some(200), true)]);
}

#[tokio::test]
async fn a_500_on_upload_is_not_resent() {
    let Some(s) = Servers::start() else { return };
    let t = setup(&s);
    let pkgs = t.crates.package(&t.cx).await.unwrap();
    s.inject("PUT", NEW, serde_json::json!([500])).await;
    let e = t
        .crates
        .publish(&t.cx, &Live::Absent, &pkgs)
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Server, "{e:?}");
    assert_eq!(s.log("PUT").await, [(Some(500), false)]);
}

/// The engine's rule for an unknown outcome, played by hand: re-check, then publish the rest.
#[tokio::test]
async fn reset_mid_upload_is_unknown_then_settled_by_a_recheck() {
    let Some(s) = Servers::start() else { return };
    let t = setup(&s);
    let pkgs = t.crates.package(&t.cx).await.unwrap();
    s.inject("PUT", NEW, serde_json::json!(["reset"])).await;
    let e = t
        .crates
        .publish(&t.cx, &Live::Absent, &pkgs)
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::OutcomeUnknown, "{e:?}");
    assert_eq!(s.log("PUT").await.len(), 1, "not re-sent blindly");
    let live = t.crates.check(&t.cx, &pkgs).await.unwrap();
    assert_eq!(live, Live::Absent);
    t.crates.publish(&t.cx, &live, &pkgs).await.unwrap();
    assert_eq!(t.crates.check(&t.cx, &pkgs).await.unwrap(), Live::Present);
}
