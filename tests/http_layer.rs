//! The shared HTTP layer proves the promises adapters rely on: retries on 503/429/resets
//! with Retry-After honoured, no blind re-send of a non-idempotent request, the dry-run guard
//! (mutations recorded, never sent), streaming file bodies, and redaction.

use axum::{extract::State, http::StatusCode, response::IntoResponse, routing::any, Router};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tagship::guard::Ledger;
use tagship::http::{Auth, Body, Http, HttpOptions, Request, RetryPolicy};
use tagship::redact::Secret;
use tagship::ErrorKind;

#[derive(Default)]
struct Script {
    /// Statuses to answer, in order; then 200.
    statuses: Vec<u16>,
    retry_after: Option<&'static str>,
    seen: Vec<(String, usize)>,
}

type Shared = Arc<Mutex<Script>>;

async fn handler(State(s): State<Shared>, req: axum::extract::Request) -> impl IntoResponse {
    let method = req.method().to_string();
    let body = axum::body::to_bytes(req.into_body(), usize::MAX)
        .await
        .unwrap();
    let mut s = s.lock().unwrap();
    s.seen.push((method, body.len()));
    let status = if s.statuses.is_empty() {
        200
    } else {
        s.statuses.remove(0)
    };
    let mut resp = (
        StatusCode::from_u16(status).unwrap(),
        format!("{{\"status\":{status}}}"),
    )
        .into_response();
    if (300..400).contains(&status) {
        resp.headers_mut()
            .insert("location", "/elsewhere".parse().unwrap());
    }
    if status != 200 {
        if let Some(ra) = s.retry_after {
            resp.headers_mut()
                .insert("retry-after", ra.parse().unwrap());
        }
    }
    resp
}

async fn server(script: Script) -> (String, Shared) {
    let shared: Shared = Arc::new(Mutex::new(script));
    let app = Router::new()
        .route("/{*p}", any(handler))
        .with_state(shared.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (url, shared)
}

fn http(dry_run: bool) -> (Http, Ledger) {
    let ledger = Ledger::default();
    let opts = HttpOptions {
        dry_run,
        retry: RetryPolicy {
            attempts: 4,
            base: Duration::from_millis(10),
            max_backoff: Duration::from_millis(50),
            max_wait: Duration::from_secs(5),
        },
        ..Default::default()
    };
    (Http::new(opts, ledger.clone()).unwrap(), ledger)
}

#[tokio::test]
async fn retries_503_then_succeeds() {
    let (url, s) = server(Script {
        statuses: vec![503, 503],
        ..Default::default()
    })
    .await;
    let (h, ledger) = http(false);
    let r = h
        .send(
            Request::post(&format!("{url}/x"))
                .unwrap()
                .json(&serde_json::json!({"a":1})),
        )
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 200);
    assert_eq!(s.lock().unwrap().seen.len(), 3);
    assert_eq!(ledger.mutating_sent(), 3);
}

#[tokio::test]
async fn honours_retry_after_on_429() {
    let (url, s) = server(Script {
        statuses: vec![429],
        retry_after: Some("1"),
        ..Default::default()
    })
    .await;
    let (h, _) = http(false);
    let t = Instant::now();
    let r = h
        .send(Request::get(&format!("{url}/x")).unwrap())
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 200);
    assert!(
        t.elapsed() >= Duration::from_millis(950),
        "waited {:?}",
        t.elapsed()
    );
    assert_eq!(s.lock().unwrap().seen.len(), 2);
}

/// A wait long enough to notice is said on the run's reporter, with what was answered
/// (a 429's Retry-After of minutes must not look like a hang).
#[tokio::test]
async fn a_long_retry_after_is_said_before_it_is_waited() {
    let (url, _) = server(Script {
        statuses: vec![429],
        retry_after: Some("2"),
        ..Default::default()
    })
    .await;
    let lines = Arc::new(tagship::progress::Recorder::default());
    tagship::progress::install(lines.clone());
    let (h, _) = http(false);
    let h = h.for_platform("waits");
    let r = h.send(Request::get(&format!("{url}/x")).unwrap()).await;
    assert_eq!(r.unwrap().status.as_u16(), 200);
    let said = lines.lines_of("waits");
    assert_eq!(
        said,
        vec![format!(
            "waits: waiting 2s: GET {url}/x answered HTTP 429; trying again (attempt 2)"
        )]
    );
}

#[tokio::test]
async fn gives_up_when_retry_after_is_too_long() {
    let (url, s) = server(Script {
        statuses: vec![429],
        retry_after: Some("3600"),
        ..Default::default()
    })
    .await;
    let (h, _) = http(false);
    let r = h
        .send(Request::get(&format!("{url}/x")).unwrap())
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 429);
    let e = r.error("probing");
    assert_eq!(e.kind, ErrorKind::RateLimited);
    let hint = e.hint().unwrap_or_default();
    assert!(
        hint.contains("wait 3600 s") && hint.contains("re-run"),
        "{hint}"
    );
    assert_eq!(s.lock().unwrap().seen.len(), 1);
}

/// A 429 naming no wait is a quota (crates.io's daily version limit, PyPI's new-project
/// limit): a mutation refused so is returned at once; a read is still retried.
#[tokio::test]
async fn a_mutation_refused_by_a_bare_429_is_not_retried_but_a_read_is() {
    for (method, sent) in [("PUT", 1), ("POST", 1), ("GET", 2)] {
        let (url, s) = server(Script {
            statuses: vec![429],
            ..Default::default()
        })
        .await;
        let (h, _) = http(false);
        let u = format!("{url}/x");
        let req = match method {
            "PUT" => Request::put(&u),
            "POST" => Request::post(&u),
            _ => Request::get(&u),
        };
        let body = serde_json::json!({"errors": [{"detail": "too many versions"}]});
        let r = h.send(req.unwrap().json(&body)).await.unwrap();
        assert_eq!(s.lock().unwrap().seen.len(), sent, "{method}");
        let want = if sent == 1 { 429 } else { 200 };
        assert_eq!(r.status.as_u16(), want, "{method}");
    }
}

#[tokio::test]
async fn a_post_that_got_500_is_not_resent() {
    let (url, s) = server(Script {
        statuses: vec![500, 500],
        ..Default::default()
    })
    .await;
    let (h, _) = http(false);
    let e = h
        .send(Request::post(&format!("{url}/x")).unwrap())
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::OutcomeUnknown, "{e:?}");
    assert_eq!(
        s.lock().unwrap().seen.len(),
        1,
        "the POST may have landed: no blind retry"
    );
    // An idempotent GET is retried.
    let r = h
        .send(Request::get(&format!("{url}/x")).unwrap())
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 200);
}

#[tokio::test]
async fn permanent_500_is_a_server_error_with_a_hint() {
    let (url, s) = server(Script {
        statuses: vec![500; 10],
        ..Default::default()
    })
    .await;
    let (h, _) = http(false);
    let r = h
        .send(Request::get(&format!("{url}/x")).unwrap())
        .await
        .unwrap();
    assert_eq!(s.lock().unwrap().seen.len(), 4);
    let e = r.error("listing releases");
    assert_eq!(e.kind, ErrorKind::Server);
    assert!(e.hint().is_some());
}

#[tokio::test]
async fn dry_run_records_mutations_and_sends_none() {
    let (url, s) = server(Script::default()).await;
    let (h, ledger) = http(true);
    let h = h.for_platform("demo");
    let got = h
        .send(Request::get(&format!("{url}/probe")).unwrap())
        .await
        .unwrap();
    assert_eq!(got.status.as_u16(), 200, "reads still go out");
    let predicted = h
        .send(
            Request::post(&format!("{url}/create"))
                .unwrap()
                .predict(serde_json::json!({"id": 0})),
        )
        .await
        .unwrap();
    assert!(predicted.predicted);
    let e = h
        .send(Request::put(&format!("{url}/upload")).unwrap())
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Withheld);
    assert_eq!(
        s.lock().unwrap().seen.len(),
        1,
        "only the GET reached the server"
    );
    let w = ledger.withheld_for("demo");
    assert_eq!(w.len(), 2);
    assert_eq!(
        (w[0].method.as_str(), w[1].method.as_str()),
        ("POST", "PUT")
    );
    assert_eq!(ledger.mutating_sent(), 0);
}

#[tokio::test]
async fn streams_files_and_keeps_secrets_out_of_errors() {
    let (url, s) = server(Script {
        statuses: vec![401],
        ..Default::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("big.bin");
    std::fs::write(&f, vec![7u8; 3 * 1024 * 1024]).unwrap();
    let (h, _) = http(false);
    let secret = Secret::new("s3cr3t-token-value-xyz");
    let r = h
        .send(
            Request::post(&format!("{url}/up?token=s3cr3t-token-value-xyz"))
                .unwrap()
                .auth(Auth::Bearer(secret))
                .body(Body::file(&f, "application/octet-stream")),
        )
        .await
        .unwrap();
    assert_eq!(s.lock().unwrap().seen[0].1, 3 * 1024 * 1024);
    let e = r.error("uploading");
    assert_eq!(e.kind, ErrorKind::Auth);
    assert!(!format!("{e} {e:?} {}", e.chain()).contains("s3cr3t-token-value-xyz"));
}

#[tokio::test]
async fn unreachable_is_its_own_kind() {
    let (h, _) = http(false);
    // Port 9 on loopback: nothing listens, the connection is refused at once.
    let e = h
        .send(Request::get("http://127.0.0.1:9/").unwrap())
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Unreachable, "{e:?}");
    assert!(e.hint().is_some());
}

#[tokio::test]
async fn a_redirected_write_is_not_followed() {
    // reqwest would turn a redirected POST into a body-less GET whose 200 looks like success.
    let (url, s) = server(Script {
        statuses: vec![302],
        ..Default::default()
    })
    .await;
    let (h, _) = http(false);
    let r = h
        .send(
            Request::post(&format!("{url}/upload"))
                .unwrap()
                .json(&serde_json::json!({})),
        )
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 302);
    assert_eq!(
        s.lock().unwrap().seen.len(),
        1,
        "the redirect was not followed"
    );
    assert!(r.error("uploading").hint().unwrap().contains("redirect"));
    // Reads do follow redirects.
    let (url, s) = server(Script {
        statuses: vec![302],
        ..Default::default()
    })
    .await;
    let r = h
        .send(Request::get(&format!("{url}/x")).unwrap())
        .await
        .unwrap();
    assert_eq!(r.status.as_u16(), 200);
    assert_eq!(s.lock().unwrap().seen.len(), 2);
}

#[tokio::test]
async fn a_missing_file_fails_before_anything_is_sent() {
    let (url, s) = server(Script::default()).await;
    let (h, ledger) = http(false);
    let e = h
        .send(
            Request::post(&format!("{url}/up"))
                .unwrap()
                .body(Body::file(
                    "/nonexistent/asset.tgz",
                    "application/octet-stream",
                )),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Io, "{e:?}");
    assert!(s.lock().unwrap().seen.is_empty());
    assert_eq!(ledger.sent(), 0);
}

#[tokio::test]
async fn a_password_in_a_url_never_shows() {
    let (h, _) = http(false);
    // Nothing listens on port 9: the error names the request, never the password.
    let e = h
        .send(Request::get("http://user:url-pass-Zq81x@127.0.0.1:9/simple/").unwrap())
        .await
        .unwrap_err();
    let all = format!("{e} {e:?} {}", e.chain());
    assert!(!all.contains("url-pass-Zq81x"), "{all}");
    assert!(!tagship::redact::redact("x url-pass-Zq81x y").contains("url-pass-Zq81x"));
}

/// A listener whose accept queue is full: the kernel drops further SYNs, so a connect hangs
/// (as to a host that does not answer) without leaving loopback. The held connections are
/// returned so that the queue stays full.
fn full_backlog() -> (
    std::net::SocketAddr,
    tokio::net::TcpListener,
    Vec<std::net::TcpStream>,
) {
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = sock.listen(0).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut held = Vec::new();
    for _ in 0..16 {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
            Ok(c) => held.push(c),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return (addr, listener, held),
            Err(e) => panic!("filling the accept queue: {e}"),
        }
    }
    panic!("the accept queue never filled: connects do not hang here, so this test proves nothing");
}

#[tokio::test]
async fn a_connect_that_hangs_ends_at_the_connect_timeout_and_names_it() {
    let (addr, _listener, _held) = full_backlog();
    let ledger = Ledger::default();
    let opts = HttpOptions {
        connect_timeout: Duration::from_millis(400),
        retry: RetryPolicy {
            attempts: 2,
            base: Duration::from_millis(10),
            max_backoff: Duration::from_millis(20),
            max_wait: Duration::from_secs(1),
        },
        ..Default::default()
    };
    let h = Http::new(opts, ledger).unwrap();
    let t0 = Instant::now();
    // A PUT: never connected means never sent, so it is retried, then reported unreachable
    // (not "outcome unknown").
    let e = h
        .send(
            Request::put(&format!("http://{addr}/upload"))
                .unwrap()
                .json(&serde_json::json!({})),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Unreachable, "{e:?}");
    assert!(e.to_string().contains("no connection within 0.4s"), "{e}");
    // Bounded by the connect timeout (2 attempts), far below the 120 s read timeout.
    assert!(t0.elapsed() < Duration::from_secs(30), "{:?}", t0.elapsed());
}
