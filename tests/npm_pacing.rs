//! Issue 16, npm "Rate limits": publish requests of one run are paced
//! (`publish_interval_ms`, 1 s by default on registry.npmjs.org, 0 elsewhere), and a 429
//! whose `Retry-After` is longer than tagship waits ends the platform at once with the wait
//! and a re-run in the hint; the re-run then sends only what is still missing. Served by the
//! scripted double on 127.0.0.1 (the test's HTTP layer waits at most 5 s).

mod npm_common;

use npm_common::double::{npm_error, Answer, Routed};
use npm_common::*;
use std::time::{Duration, Instant};
use tagship::guard::Ledger;
use tagship::plan::Target;
use tagship::platform::{Cx, Live, Platform};
use tagship::ErrorKind;

const PLATS: [&str; 3] = [
    "/@acme%2fdemo-darwin-arm64",
    "/@acme%2fdemo-linux-x64",
    "/@acme%2fdemo-win32-x64",
];
const ROOT: &str = "/@acme%2fdemo";

/// Three platform packages and the root, with `interval_ms` between publish requests.
async fn setup(url: &str, tmp: &std::path::Path, interval_ms: u64) -> (Box<dyn Platform>, Cx) {
    let bin = go_binary(tmp, "demo", "1.2.3", "");
    let targets = ["darwin-arm64", "linux-amd64", "windows-amd64"];
    let bins: Vec<(Target, &std::path::Path)> = targets
        .iter()
        .map(|t| (Target::parse(t).unwrap(), bin.as_path()))
        .collect();
    let r = release(&tmp.join("dist"), project("demo"), "1.2.3", &bins);
    let npm = adapter(
        serde_json::json!({"registry": url, "scope": "@acme", "publish_interval_ms": interval_ms}),
        &r.project.clone(),
    );
    (npm, cx(r, false, Some("tok-123"), &Ledger::default()))
}

fn listing(name: &str) -> Answer {
    let doc = serde_json::json!({"name": name, "dist-tags": {}, "versions": {"1.2.3": {}}});
    (200, doc.to_string())
}

/// Each platform package: new (access look-up 404), then listed for installers.
fn routes(put: Vec<Answer>) -> Vec<(String, Vec<Answer>)> {
    let mut r = Vec::new();
    for p in PLATS {
        let get = vec![(404, npm_error("Not found")), listing(p)];
        r.push((format!("GET {p}"), get));
        r.push((format!("PUT {p}"), vec![(200, "{}".into())]));
    }
    r.push((format!("GET {ROOT}"), vec![(404, npm_error("Not found"))]));
    r.push((format!("PUT {ROOT}"), put));
    r
}

async fn start(routes: Vec<(String, Vec<Answer>)>) -> Routed {
    Routed::start(
        routes
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect(),
    )
    .await
}

fn puts(d: &Routed) -> Vec<String> {
    d.keys()
        .into_iter()
        .filter(|k| k.starts_with("PUT "))
        .collect()
}

#[tokio::test]
async fn publish_requests_are_paced() {
    let tmp = tempfile::tempdir().unwrap();
    let d = start(routes(vec![(200, "{}".into())])).await;
    let (npm, cx) = setup(&d.url, tmp.path(), 300).await;
    let pkgs = npm.package(&cx).await.unwrap();
    let t0 = Instant::now();
    let p = npm.publish(&cx, &Live::Absent, &pkgs).await.unwrap();
    assert_eq!(p.uploaded.len(), 4, "{p:?}");
    assert_eq!(puts(&d).len(), 4);
    // Three gaps of at least 300 ms between four PUTs (a lower bound only).
    assert!(
        t0.elapsed() >= Duration::from_millis(900),
        "{:?}",
        t0.elapsed()
    );
}

#[tokio::test]
async fn a_retry_after_longer_than_tagship_waits_ends_the_platform_and_a_rerun_finishes() {
    let tmp = tempfile::tempdir().unwrap();
    let mut r = routes(vec![(200, "{}".into())]);
    // The second platform package's PUT: rate limited for an hour, then accepted.
    let limited = format!("PUT {}", PLATS[1]);
    let slot = r.iter_mut().find(|(k, _)| *k == limited).unwrap();
    slot.1 = vec![(429, npm_error("Too Many Requests")), (200, "{}".into())];
    let d = start(r).await;
    d.header(&limited, "retry-after", "3600");
    let (npm, cx) = setup(&d.url, tmp.path(), 0).await;
    let pkgs = npm.package(&cx).await.unwrap();
    let t0 = Instant::now();
    let e = npm.publish(&cx, &Live::Absent, &pkgs).await.unwrap_err();
    assert!(
        t0.elapsed() < Duration::from_secs(60),
        "it must not wait an hour"
    );
    assert_eq!(e.kind, ErrorKind::RateLimited, "{e:?}");
    assert!(e.message().contains("429"), "{e:?}");
    let hint = e.hint().unwrap_or_default();
    assert!(hint.contains("3600 s") && hint.contains("re-run"), "{hint}");
    let sent = vec![format!("PUT {}", PLATS[0]), limited.clone()];
    assert_eq!(
        puts(&d),
        sent,
        "nothing after the refusal, the root least of all"
    );

    // The re-run's check finds the first package; only the rest is sent.
    let name = |p: &str| p.trim_start_matches('/').replace("%2f", "/");
    let live = Live::Partial {
        present: vec![name(PLATS[0])],
        missing: vec![name(PLATS[1]), name(PLATS[2]), name(ROOT)],
    };
    let p = npm.publish(&cx, &live, &pkgs).await.unwrap();
    assert_eq!(p.uploaded.len(), 3, "{p:?}");
    let all = puts(&d);
    assert_eq!(
        all[2..],
        [limited, format!("PUT {}", PLATS[2]), format!("PUT {ROOT}")]
    );
}
