//! The `crates` adapter behind the fault proxy (`scripts/servers/fault_proxy.sh` in front of
//! `scripts/servers/crates.sh`, with config.json pointing at the proxy): a 503 on the index
//! and on the upload is retried, a 429 waits for `Retry-After`, a 500 on the (non-idempotent)
//! upload is not re-sent, and a connection reset mid-upload is an unknown outcome that a
//! re-check settles. Evidence: the proxy's log and the registry's index.
//! Fails naming the start scripts when missing.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use support::crates::{copy_hello_rust, require_script, Registry};
use support::registries::Server;
use tagship::exec::Exec;
use tagship::guard::Ledger;
use tagship::http::{Http, HttpOptions, RetryPolicy};
use tagship::plan::Project;
use tagship::platform::{Cx, Live, Platform, Release};
use tagship::platforms::crates;
use tagship::redact::Secret;
use tagship::ErrorKind;

/// The registry with the proxy in front; both stopped on drop.
struct Servers {
    // First: the proxy is stopped before the registry (and its temp dir) goes.
    proxy: Server,
    reg: Registry,
}

impl Servers {
    fn start() -> Servers {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let base = format!("http://127.0.0.1:{port}");
        let reg = Registry::start_with(&[("CRATES_BASE_URL", &base)]);
        require_script("fault_proxy.sh");
        let upstream = format!("http://127.0.0.1:{}", reg.port());
        let proxy = Server::start(
            "fault_proxy.sh",
            &[&upstream],
            &reg.root().join("proxy"),
            &[&port.to_string()],
            &[],
        );
        Servers { proxy, reg }
    }
    fn control(&self) -> String {
        self.proxy.s("control")
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

struct Setup {
    _dir: tempfile::TempDir,
    cx: Cx,
    crates: Box<dyn Platform>,
}

fn setup(s: &Servers) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("hello-rust");
    copy_hello_rust(
        &root,
        &["Cargo.toml", "Cargo.lock", "README.md", "src/main.rs"],
    );
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
    let token = s.reg.get("token");
    secrets.insert("CARGO_REGISTRY_TOKEN".to_string(), Secret::new(token));
    let cfg = serde_json::json!({"registry": "local", "index": s.reg.get("index")});
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
            epoch: 315_532_800,
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
async fn server_retries_503_on_index_and_upload() {
    let s = Servers::start();
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
async fn server_waits_for_retry_after_on_429() {
    let s = Servers::start();
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

/// crates.io's daily version limit is a 429 with no Retry-After: one PUT, no blind retry,
/// and the report carries crates.io's own words with a "re-run in 24 hours" hint.
#[tokio::test]
async fn server_a_bare_429_on_upload_is_not_retried() {
    let s = Servers::start();
    let t = setup(&s);
    let pkgs = t.crates.package(&t.cx).await.unwrap();
    let detail = "You have published too many versions of this crate in the last 24 hours";
    let fault = serde_json::json!({"status": 429, "bare": true,
        "body": {"errors": [{"detail": detail}]}});
    s.inject("PUT", NEW, serde_json::json!([fault])).await;
    let e = t
        .crates
        .publish(&t.cx, &Live::Absent, &pkgs)
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::RateLimited, "{e:?}");
    assert!(e.to_string().contains(detail), "{e}");
    assert!(format!("{e:?}").contains("24 hours"), "{e:?}");
    assert_eq!(s.log("PUT").await, [(Some(429), false)]);
}

#[tokio::test]
async fn server_a_500_on_upload_is_not_resent() {
    let s = Servers::start();
    let t = setup(&s);
    let pkgs = t.crates.package(&t.cx).await.unwrap();
    s.inject("PUT", NEW, serde_json::json!([500])).await;
    let e = t
        .crates
        .publish(&t.cx, &Live::Absent, &pkgs)
        .await
        .unwrap_err();
    // The upload may have landed: the layer says "unknown" so the engine re-checks.
    assert_eq!(e.kind, ErrorKind::OutcomeUnknown, "{e:?}");
    assert_eq!(s.log("PUT").await, [(Some(500), false)]);
}

/// The engine's rule for an unknown outcome, played by hand: re-check, then publish the rest.
#[tokio::test]
async fn server_reset_mid_upload_is_unknown_then_settled_by_a_recheck() {
    let s = Servers::start();
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
    let live = t.crates.check(&t.cx, &pkgs).await.unwrap().live;
    assert_eq!(live, Live::Absent);
    t.crates.publish(&t.cx, &live, &pkgs).await.unwrap();
    assert_eq!(t.crates.check(&t.cx, &pkgs).await.unwrap(), Live::Present);
}
