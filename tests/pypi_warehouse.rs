//! The pypi adapter's default path (pypi.org: warehouse JSON check + forklift upload) against
//! an in-process double that answers the way warehouse does (PROTOCOLS.md §2): it parses the
//! multipart form, checks the fields and that `sha256_digest` matches the uploaded bytes,
//! answers 200 to an identical re-upload and 400 "File already exists" to other bytes, 403 to
//! a bad token, and can serve a stale JSON listing (CDN lag) or redirect the upload URL.

#[path = "pypi_support/mod.rs"]
mod pypi_support;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use pypi_support::*;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};
use tagship::plan::Artifact;
use tagship::platform::{Cx, Live, Platform};
use tagship::ErrorKind;

const TOKEN: &str = "pypi-AgEIcHlwaS5vcmc-good-token";

#[derive(Default)]
struct State {
    /// (filename, sha256) stored.
    files: Vec<(String, String)>,
    /// The JSON API lags: it lists nothing.
    stale: bool,
    log: Vec<String>,
}

type Shared = Arc<Mutex<State>>;

/// Splits a multipart body into (name, filename, content-type, data).
/// A form field: (name, filename, content type, data).
type FormPart = (String, Option<String>, Option<String>, Vec<u8>);

fn parts(ctype: &str, body: &[u8]) -> Vec<FormPart> {
    let boundary = ctype.split("boundary=").nth(1).unwrap().trim_matches('"');
    let delim = format!("--{boundary}");
    let text = body;
    let mut out = Vec::new();
    let find = |hay: &[u8], needle: &[u8], from: usize| {
        hay[from..]
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|p| p + from)
    };
    let mut pos = find(text, delim.as_bytes(), 0).unwrap() + delim.len();
    while let Some(next) = find(text, delim.as_bytes(), pos) {
        let part = &text[pos + 2..next - 2]; // skip \r\n after the delimiter and before the next
        let split = find(part, b"\r\n\r\n", 0).unwrap();
        let head = String::from_utf8_lossy(&part[..split]).to_string();
        let data = part[split + 4..].to_vec();
        let get = |k: &str| {
            head.split(&format!("{k}=\""))
                .nth(1)
                .map(|r| r.split('"').next().unwrap().to_string())
        };
        let ct = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-type:"))
            .map(|l| l[13..].trim().to_string());
        out.push((get(" name").unwrap(), get("filename"), ct, data));
        pos = next + delim.len();
    }
    out
}

fn upload(st: &Shared, h: &HeaderMap, body: &[u8]) -> (u16, String) {
    use base64::Engine;
    let want = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("__token__:{TOKEN}"))
    );
    if h.get("authorization").and_then(|v| v.to_str().ok()) != Some(want.as_str()) {
        return (
            403,
            "Invalid or non-existent authentication information.".into(),
        );
    }
    let ps = parts(h["content-type"].to_str().unwrap(), body);
    let field = |n: &str| {
        ps.iter()
            .find(|p| p.0 == n)
            .map(|p| String::from_utf8_lossy(&p.3).to_string())
    };
    for (k, v) in [
        (":action", "file_upload"),
        ("protocol_version", "1"),
        ("filetype", "bdist_wheel"),
        ("pyversion", "py3"),
        ("metadata_version", "2.1"),
        ("name", "whdemo"),
        ("version", "0.9.0b1"),
        ("requires_python", ""),
    ] {
        if field(k).as_deref() != Some(v) {
            return (400, format!("bad field {k}: {:?}", field(k)));
        }
    }
    let Some(content) = ps.iter().find(|p| p.0 == "content") else {
        return (400, "no content".into());
    };
    if content.2.as_deref() != Some("application/octet-stream") {
        return (
            400,
            format!("Invalid distribution file content type {:?}", content.2),
        );
    }
    let filename = content.1.clone().unwrap();
    let sha = hex::encode(Sha256::digest(&content.3));
    if field("sha256_digest").as_deref() != Some(sha.as_str()) {
        return (
            400,
            "The digest supplied does not match a digest calculated from the uploaded file.".into(),
        );
    }
    let mut s = st.lock().unwrap();
    if let Some((_, old)) = s.files.iter().find(|f| f.0 == filename) {
        if *old == sha {
            return (200, String::new());
        }
        return (400, format!("File already exists ('{filename}', with blake2_256 hash 'x'). See https://pypi.org/help/#file-name-reuse for more information."));
    }
    s.files.push((filename, sha));
    (200, String::new())
}

fn listing(st: &Shared) -> (u16, String) {
    let s = st.lock().unwrap();
    if s.stale || s.files.is_empty() {
        return (404, r#"{"message": "Not Found"}"#.into());
    }
    let urls: Vec<_> = s
        .files
        .iter()
        .map(|(f, sha)| json!({"filename": f, "digests": {"sha256": sha, "md5": "x"}, "url": format!("https://files.example.invalid/{f}"), "packagetype": "bdist_wheel", "yanked": false}))
        .collect();
    (
        200,
        json!({"info": {"name": "whdemo"}, "urls": urls}).to_string(),
    )
}

async fn start() -> (Shared, String) {
    let st: Shared = Arc::default();
    let s2 = st.clone();
    let app = axum::Router::new().fallback(move |m: Method, u: Uri, h: HeaderMap, b: Bytes| {
        let st = s2.clone();
        async move {
            let path = u.path().to_string();
            let (code, body, loc) = match (m.as_str(), path.as_str()) {
                ("GET", "/pypi/whdemo/0.9.0b1/json") => {
                    let (c, b) = listing(&st);
                    (c, b, None)
                }
                ("GET", p) if p.starts_with("/simple/") => (404, "Not Found".into(), None),
                ("POST", "/legacy/") => {
                    let (c, b) = upload(&st, &h, &b);
                    (c, b, None)
                }
                ("POST", "/legacy") => (301, String::new(), Some("/legacy/")),
                _ => (599, "unexpected".into(), None),
            };
            st.lock().unwrap().log.push(format!("{m} {path} {code}"));
            let mut resp = axum::response::Response::new(axum::body::Body::from(body));
            *resp.status_mut() = StatusCode::from_u16(code).unwrap();
            if let Some(l) = loc {
                resp.headers_mut().insert("location", l.parse().unwrap());
            }
            resp
        }
    });
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (st, url)
}

async fn setup(
    root: &std::path::Path,
    url: &str,
    upload_path: &str,
    token: Option<&str>,
    marker: &[u8],
) -> (Cx, tagship::guard::Ledger, Box<dyn Platform>, Vec<Artifact>) {
    let win = root.join("w").join("whdemo.exe");
    let mac = root.join("m").join("whdemo");
    for p in [&win, &mac] {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        let mut data = b"pretend executable ".to_vec();
        data.extend_from_slice(marker);
        std::fs::write(p, data).unwrap();
    }
    let r = release(
        root,
        "whdemo",
        "0.9.0-beta.1",
        &[("windows-amd64", &win), ("darwin-arm64", &mac)],
    );
    let secrets: Vec<(&str, &str)> = token.map(|t| ("PYPI_TOKEN", t)).into_iter().collect();
    let (cx, ledger) = cx("pypi", r, false, &secrets);
    let cfg = json!({"repository_url": format!("{url}{upload_path}"), "index_url": url, "verify_timeout_secs": 2});
    let p = (tagship::platforms::pypi::FACTORY.build)(&cfg, &cx.release.project).unwrap();
    let pkgs = p.package(&cx).await.unwrap();
    (cx, ledger, p, pkgs)
}

#[tokio::test]
async fn warehouse_check_upload_and_conflicts() {
    let tmp = tempfile::tempdir().unwrap();
    let (st, url) = start().await;
    let (cx, ledger, p, pkgs) =
        setup(&tmp.path().join("a"), &url, "legacy/", Some(TOKEN), b"A").await;
    let names: Vec<String> = pkgs.iter().map(|a| a.name.clone()).collect();
    assert_eq!(
        names,
        [
            "whdemo-0.9.0b1-py3-none-macosx_11_0_arm64.whl",
            "whdemo-0.9.0b1-py3-none-win_amd64.whl"
        ]
    );
    assert_eq!(p.check(&cx, &pkgs).await.unwrap(), Live::Absent);
    let pubd = p.publish(&cx, &Live::Absent, &pkgs).await.unwrap();
    assert_eq!(pubd.uploaded, names, "{:?}", st.lock().unwrap().log);
    assert_eq!(
        pubd.handover.urls,
        [format!("{url}project/whdemo/0.9.0b1/")]
    );
    assert_eq!(p.check(&cx, &pkgs).await.unwrap(), Live::Present);
    assert_eq!(ledger.mutating_sent(), 2);
    // Once the JSON API lists the release, the simple API is not asked.
    let log = st.lock().unwrap().log.clone();
    assert!(
        !log.iter()
            .any(|l| l.contains("/simple/") && l.contains("200")),
        "{log:?}"
    );

    // Other bytes, same names: the check reports a conflict naming the file.
    let (cx2, _, p2, pkgs2) =
        setup(&tmp.path().join("b"), &url, "legacy/", Some(TOKEN), b"B").await;
    let c = p2.check(&cx2, &pkgs2).await.unwrap();
    let Live::Conflict { conflicts } = c.live else {
        panic!("expected a conflict, got {c:?}")
    };
    assert!(conflicts[0].contains(&pkgs2[0].name), "{conflicts:?}");
    // With a stale listing the upload gets 400 "File already exists": still a conflict, never ok.
    st.lock().unwrap().stale = true;
    assert_eq!(p2.check(&cx2, &pkgs2).await.unwrap(), Live::Absent);
    let e = p2.publish(&cx2, &Live::Absent, &pkgs2).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Conflict, "{e:?}");
    assert!(e.message().contains("already exist"), "{e:?}");
    // Identical bytes re-sent during the lag: warehouse answers 200, that is fine.
    let again = p.publish(&cx, &Live::Absent, &pkgs).await.unwrap();
    assert_eq!(again.uploaded.len(), 2);
    // The engine's verify re-checks; while the listing lags the check says absent.
    assert_eq!(p.check(&cx, &pkgs).await.unwrap(), Live::Absent);
}

#[tokio::test]
async fn auth_and_redirect_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let (_st, url) = start().await;
    let (cx, _, p, pkgs) = setup(
        &tmp.path().join("a"),
        &url,
        "legacy/",
        Some("pypi-wrong"),
        b"A",
    )
    .await;
    let e = p.publish(&cx, &Live::Absent, &pkgs).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Auth, "{e:?}");
    assert!(
        e.hint()
            .unwrap()
            .contains(&format!("PYPI_TOKEN was rejected by {url}legacy/")),
        "{e:?}"
    );
    let (cx, _, p, pkgs) = setup(&tmp.path().join("b"), &url, "legacy/", None, b"A").await;
    let e = p.publish(&cx, &Live::Absent, &pkgs).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Auth, "{e:?}");
    assert!(e.hint().unwrap().contains("PYPI_TOKEN is not set"), "{e:?}");
    // A redirected upload is not followed (a POST would turn into a GET) and is never taken
    // for success: the 301 is reported with a hint naming the redirect.
    let (cx, _, p, pkgs) = setup(&tmp.path().join("c"), &url, "legacy", Some(TOKEN), b"A").await;
    let e = p.publish(&cx, &Live::Absent, &pkgs).await.unwrap_err();
    assert!(e.message().contains("301"), "{e:?}");
    assert!(
        e.hint().unwrap().contains("redirected a write to /legacy/"),
        "{e:?}"
    );
}
