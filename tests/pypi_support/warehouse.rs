//! The warehouse double (pypi.org's upload and JSON API) shared by the pypi tests: an
//! in-process axum server that answers the way warehouse does (PROTOCOLS.md §2): it parses the
//! multipart form, checks the fields and that `sha256_digest` matches the uploaded bytes,
//! answers 200 to an identical re-upload and 400 "File already exists" to other bytes, 403 to
//! a bad token, and can serve a stale JSON listing (CDN lag) or redirect the upload URL.
//! Like warehouse it refuses bad *form* fields (forklift/metadata.py: one-line summary of at
//! most 512 characters, http(s) `home_page` and `project_urls`, the per-file size limit) and
//! can answer with warehouse's account-level refusals (read-only mode, no 2FA, unverified
//! email, a name owned by another user, too many new projects, a release older than 14
//! days), all in pyramid's plain-text body shape. Issue #16. It takes wheels and sdists
//! (`mode: project`) and, like warehouse, refuses a second sdist in a release (issue 14).

#![allow(dead_code)]

use crate::pypi_support::{cx, release};
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};
use tagship::plan::Artifact;
use tagship::platform::{Cx, Platform};

pub const TOKEN: &str = "pypi-AgEIcHlwaS5vcmc-good-token";

#[derive(Default)]
pub struct State {
    /// (filename, sha256) stored.
    pub files: Vec<(String, String)>,
    /// The JSON API lags: it lists nothing.
    pub stale: bool,
    pub log: Vec<String>,
    /// Per-file limit (warehouse `upload_limit_size`); 0 = PyPI's default 100 MiB.
    pub max_file: usize,
    /// An account- or project-level refusal answered to every authenticated upload.
    pub refuse: Option<(u16, String)>,
    /// `description` and `description_content_type` of the last accepted upload.
    pub readme: Option<(String, String)>,
    /// Trusted publishing: `None` = the index has none (404 on `/_/oidc/audience`).
    pub oidc: Option<crate::warehouse_oidc::Oidc>,
}

/// A warehouse error body: pyramid's plain-text rendering of an HTTP exception.
pub fn pyramid(status: u16, detail: &str) -> (u16, String) {
    let (title, explanation) = match status {
        400 => ("400 Bad Request", "The server could not comply with the request since it is either malformed or otherwise incorrect."),
        403 => ("403 Forbidden", "Access was denied to this resource."),
        _ => ("429 Too Many Requests", "The server has received too many requests."),
    };
    (status, format!("{title}\n\n{explanation}\n\n{detail}\n\n"))
}

/// warehouse's form checks (metadata.py `_validate_metadata`, packaging's single-line summary).
fn form_rules(
    field: &dyn Fn(&str) -> Option<String>,
    all: &[String],
    size: usize,
    max: usize,
) -> Option<(u16, String)> {
    let core =
        "See https://packaging.python.org/specifications/core-metadata for more information.";
    let summary = field("summary").unwrap_or_default();
    if summary.contains('\n') {
        return Some(pyramid(
            400,
            &format!("'summary' must be a single line. {core}"),
        ));
    }
    if summary.chars().count() > 512 {
        return Some(pyramid(
            400,
            &format!("'summary' field must be 512 characters or less. {core}"),
        ));
    }
    let http = |u: &str| url::Url::parse(u).is_ok_and(|p| matches!(p.scheme(), "http" | "https"));
    if let Some(h) = field("home_page").filter(|h| !http(h)) {
        return Some(pyramid(400, &format!("'{h}' is not a valid url. {core}")));
    }
    for pu in all {
        let url = pu.split_once(", ").map(|x| x.1).unwrap_or("");
        if !http(url) {
            return Some(pyramid(400, &format!("'{url}' is not a valid url. {core}")));
        }
    }
    if size > max {
        return Some(pyramid(400, &format!("File too large. Limit for project 'whdemo' is {} MB. See https://docs.pypi.org/project-management/storage-limits#requesting-a-file-size-limit-increase for more information.", max / (1024 * 1024))));
    }
    None
}

pub type Shared = Arc<Mutex<State>>;

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
    if let Some(r) = auth_refused(st, h) {
        return r;
    }
    let ps = parts(h["content-type"].to_str().unwrap(), body);
    let field = |n: &str| {
        ps.iter()
            .find(|p| p.0 == n)
            .map(|p| String::from_utf8_lossy(&p.3).to_string())
    };
    let kind = match kind_of_upload(&field) {
        Ok(kind) => kind,
        Err(refused) => return refused,
    };
    let Some(content) = ps.iter().find(|p| p.0 == "content") else {
        return (400, "no content".into());
    };
    if let Some(refused) = content_refused(st, &field, &ps, content) {
        return refused;
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
    // forklift/legacy.py: after the duplicate check, one sdist per release (issue 14,
    // pypa/gh-action-pypi-publish#282). Every file here belongs to the one release served.
    let sdist = |f: &str| f.ends_with(".tar.gz") || f.ends_with(".zip");
    if kind.0 == "sdist" && s.files.iter().any(|f| sdist(&f.0)) {
        return pyramid(400, "Only one sdist may be uploaded per release.");
    }
    s.files.push((filename, sha));
    s.readme = field("description").zip(field("description_content_type"));
    (200, String::new())
}

/// The API token (or a token minted by trusted publishing) and the index's own refusal.
fn auth_refused(st: &Shared, h: &HeaderMap) -> Option<(u16, String)> {
    use base64::Engine;
    let want = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("__token__:{TOKEN}"))
    );
    let sent = h.get("authorization").and_then(|v| v.to_str().ok());
    let minted = crate::warehouse_oidc::accepts(st, sent);
    if sent != Some(want.as_str()) && !minted {
        return Some(pyramid(403, "Invalid or non-existent authentication information. See https://pypi.org/help/#invalid-auth for more information."));
    }
    st.lock().unwrap().refuse.clone()
}

/// (filetype, pyversion) of a well-formed upload form, or the refusal of its fixed fields.
fn kind_of_upload(
    field: &dyn Fn(&str) -> Option<String>,
) -> Result<(String, String), (u16, String)> {
    let kind = (
        field("filetype").unwrap_or_default(),
        field("pyversion").unwrap_or_default(),
    );
    if !matches!(
        (kind.0.as_str(), kind.1.as_str()),
        ("bdist_wheel", "py3" | "py2.py3") | ("sdist", "source")
    ) {
        return Err((400, format!("bad filetype/pyversion: {kind:?}")));
    }
    if !matches!(
        field("metadata_version").as_deref(),
        Some("2.1" | "2.2" | "2.3" | "2.4")
    ) {
        return Err((
            400,
            format!("bad metadata_version: {:?}", field("metadata_version")),
        ));
    }
    for (k, v) in [
        (":action", "file_upload"),
        ("protocol_version", "1"),
        ("name", "whdemo"),
        ("version", "0.9.0b1"),
        ("requires_python", ""),
    ] {
        if field(k).as_deref() != Some(v) {
            return Err((400, format!("bad field {k}: {:?}", field(k))));
        }
    }
    Ok(kind)
}

/// warehouse's form rules on the metadata and the file, then the file's content type.
fn content_refused(
    st: &Shared,
    field: &dyn Fn(&str) -> Option<String>,
    ps: &[FormPart],
    content: &FormPart,
) -> Option<(u16, String)> {
    let urls: Vec<String> = ps
        .iter()
        .filter(|p| p.0 == "project_urls")
        .map(|p| String::from_utf8_lossy(&p.3).to_string())
        .collect();
    let max = match st.lock().unwrap().max_file {
        0 => 100 * 1024 * 1024,
        m => m,
    };
    if let Some(refused) = form_rules(field, &urls, content.3.len(), max) {
        return Some(refused);
    }
    if content.2.as_deref() != Some("application/octet-stream") {
        return Some((
            400,
            format!("Invalid distribution file content type {:?}", content.2),
        ));
    }
    None
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

pub async fn start() -> (Shared, String) {
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
                ("GET", "/_/oidc/audience") => {
                    let (c, b) = crate::warehouse_oidc::audience(&st);
                    (c, b, None)
                }
                ("POST", "/_/oidc/mint-token") => {
                    let (c, b) = crate::warehouse_oidc::mint(&st, &b);
                    (c, b, None)
                }
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

pub async fn setup(
    root: &std::path::Path,
    url: &str,
    upload_path: &str,
    token: Option<&str>,
    marker: &[u8],
) -> (Cx, tagship::guard::Ledger, Box<dyn Platform>, Vec<Artifact>) {
    let secrets: Vec<(&str, &str)> = token.map(|t| ("PYPI_TOKEN", t)).into_iter().collect();
    let cfg = json!({"repository_url": format!("{url}{upload_path}"), "index_url": url, "verify_timeout_secs": 2});
    setup_with(root, cfg, &secrets, false, marker).await
}

/// [`setup`] with the platform section, the secrets and the dry-run switch given.
pub async fn setup_with(
    root: &std::path::Path,
    cfg: serde_json::Value,
    secrets: &[(&str, &str)],
    dry_run: bool,
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
    let (cx, ledger) = cx("pypi", r, dry_run, secrets);
    let p = (tagship::platforms::pypi::FACTORY.build)(&cfg, &cx.release.project).unwrap();
    let pkgs = p.package(&cx).await.unwrap();
    (cx, ledger, p, pkgs)
}
