//! A double of the Chocolatey community repository (hosted only): the NuGet v2 read API and
//! the gallery's push rules, as documented in PROTOCOLS §5 from the gallery's ApiController and
//! its V2 feed package fields:
//! - `GET /api/v2/Packages(Id='x',Version='y')` → one Atom entry with the moderation fields
//!   (`IsApproved`, `PackageStatus`, `PackageSubmittedStatus`, `PackageReviewer`,
//!   `PackageReviewedDate`, `PackageTestResultStatus`/`Url`, `PackageValidationResultStatus`),
//!   `PackageHash` (SHA512, base64) and `Published`; 404 when unknown.
//! - `PUT /api/v2/package/` with `X-NuGet-ApiKey` and a multipart body: 201 "Package has been
//!   pushed and will show up once moderated and approved." (status Submitted/Pending); the same
//!   version while Submitted replaces it; Approved/Exempted → 409; Rejected → 409; a new version
//!   while another is Submitted and no stable one is approved → 403; a wrong key → 403.
//! - `DELETE /api/v2/package/<id>/<version>` → unlists (Published 1900-01-01), empty 200.
//!
//! Tests move a version through moderation with `set`.

use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha512};
use std::collections::BTreeMap;
use std::io::Read;
use std::sync::{Arc, Mutex};

/// One version as the gallery stores it.
#[derive(Debug, Clone, Default)]
pub struct Version {
    pub bytes: Vec<u8>,
    pub status: String,
    pub submitted: String,
    pub reviewer: Option<String>,
    pub test_failing_url: Option<String>,
    pub unlisted: bool,
}

#[derive(Default)]
struct State {
    key: String,
    id: String,
    versions: BTreeMap<String, Version>,
    log: Vec<String>,
}

type Shared = Arc<Mutex<State>>;

pub struct CommunityDouble {
    pub addr: std::net::SocketAddr,
    state: Shared,
}

impl CommunityDouble {
    pub async fn start(id: &str, key: &str) -> CommunityDouble {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State {
            key: key.into(),
            id: id.into(),
            ..Default::default()
        }));
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.ok() });
        CommunityDouble { addr, state }
    }
    fn st(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
    /// The feed URL (`feed_url`); the push URL is `<feed>package/`.
    pub fn feed(&self) -> String {
        format!("http://{}/api/v2/", self.addr)
    }
    /// Moves `version` to `status` / `submitted` (as the moderators would).
    pub fn set(&self, version: &str, status: &str, submitted: &str, reviewer: Option<&str>) {
        let mut s = self.st();
        let v = s
            .versions
            .get_mut(version)
            .expect("no such version in the double");
        v.status = status.into();
        v.submitted = submitted.into();
        v.reviewer = reviewer.map(String::from);
    }
    pub fn fail_tests(&self, version: &str, url: &str) {
        self.st()
            .versions
            .get_mut(version)
            .unwrap()
            .test_failing_url = Some(url.into());
    }
    pub fn version(&self, version: &str) -> Option<Version> {
        self.st().versions.get(version).cloned()
    }
    /// Every mutating request, as `METHOD path status`.
    pub fn mutations(&self) -> Vec<String> {
        self.st().log.clone()
    }
}

async fn handle(
    AxState(s): AxState<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = percent(uri.path());
    let mut st = s.lock().unwrap_or_else(|e| e.into_inner());
    let (status, ctype, out) = route(
        &mut st,
        &method,
        &path,
        uri.query().unwrap_or(""),
        &headers,
        &body,
    );
    if method != Method::GET && method != Method::HEAD {
        st.log.push(format!("{method} {path} {status}"));
    }
    let code = StatusCode::from_u16(status).unwrap();
    (code, [("content-type", ctype)], out).into_response()
}

type Answer = (u16, &'static str, Vec<u8>);

fn text(status: u16, t: &str) -> Answer {
    (status, "text/plain; charset=utf-8", t.as_bytes().to_vec())
}

/// The read API.
fn read(st: &State, rest: &str, query: &str) -> Answer {
    if let Some(args) = rest
        .strip_prefix("Packages(")
        .and_then(|r| r.strip_suffix(')'))
    {
        let (id, version) = parse_args(args);
        return match st
            .versions
            .get(&version)
            .filter(|_| id.eq_ignore_ascii_case(&st.id))
        {
            Some(v) => (
                200,
                "application/atom+xml;type=entry;charset=utf-8",
                entry(&st.id, &version, v).into_bytes(),
            ),
            None => text(404, "Not Found"),
        };
    }
    if rest == "FindPackagesById()" {
        let entries: String = st
            .versions
            .iter()
            .filter(|(_, v)| !v.unlisted && v.status == "Approved" && query.contains(&st.id))
            .map(|(ver, v)| entry(&st.id, ver, v))
            .collect();
        return (
            200,
            "application/atom+xml",
            format!("<feed xmlns=\"http://www.w3.org/2005/Atom\">{entries}</feed>").into_bytes(),
        );
    }
    if let Some(pv) = rest.strip_prefix("package/") {
        let version = pv.rsplit('/').next().unwrap_or("");
        return match st.versions.get(version) {
            Some(v) => (200, "application/zip", v.bytes.clone()),
            None => text(404, "Not Found"),
        };
    }
    text(404, "Not Found")
}

fn route(
    st: &mut State,
    m: &Method,
    path: &str,
    query: &str,
    h: &HeaderMap,
    body: &[u8],
) -> Answer {
    let rest = path.strip_prefix("/api/v2/").unwrap_or("");
    if *m == Method::GET {
        return read(st, rest, query);
    }
    if h.get("x-nuget-apikey").and_then(|v| v.to_str().ok()) != Some(st.key.as_str()) {
        return text(403, "The specified API key is invalid or does not have permission to access the specified package.");
    }
    match (m.as_str(), rest.trim_end_matches('/')) {
        ("PUT", "package") => push(st, h, body),
        ("DELETE", pv) if pv.starts_with("package/") => {
            let version = pv.rsplit('/').next().unwrap_or("").to_string();
            match st.versions.get_mut(&version) {
                Some(v) => {
                    v.unlisted = true;
                    (200, "text/plain", Vec::new())
                }
                None => text(404, "Not Found"),
            }
        }
        _ => text(405, "Method Not Allowed"),
    }
}

/// The gallery's push rules (ApiController, PROTOCOLS §5).
fn push(st: &mut State, h: &HeaderMap, body: &[u8]) -> Answer {
    let Some(pkg) = first_part(h, body) else {
        return text(400, "A nuget package's data was not received.");
    };
    let Some(version) = nuspec_version(&pkg) else {
        return text(400, "The package is invalid: no nuspec was found.");
    };
    if let Some(v) = st.versions.get(&version) {
        match v.status.as_str() {
            "Submitted" => {}
            "Rejected" => return text(409, "This package has been rejected and can no longer be submitted."),
            _ => return text(409, "A package with that id and version already exists and cannot be modified (PackageExistsAndCannotBeModified)."),
        }
    } else {
        let waiting = st.versions.values().any(|v| v.status == "Submitted");
        let stable = st
            .versions
            .iter()
            .any(|(k, v)| v.status == "Approved" && !k.contains('-'));
        if waiting && !stable {
            return text(403, "You have a previous version in a submitted state, and no approved stable releases.");
        }
    }
    st.versions.insert(
        version,
        Version {
            bytes: pkg,
            status: "Submitted".into(),
            submitted: "Pending".into(),
            ..Default::default()
        },
    );
    text(
        201,
        "Package has been pushed and will show up once moderated and approved.",
    )
}

fn parse_args(args: &str) -> (String, String) {
    let mut id = String::new();
    let mut version = String::new();
    for kv in args.split(',') {
        let (k, v) = kv.split_once('=').unwrap_or(("", ""));
        let v = v.trim_matches('\'').to_string();
        match k {
            "Id" => id = v,
            "Version" => version = v,
            _ => {}
        }
    }
    (id, version)
}

fn percent(p: &str) -> String {
    let b = p.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(x) = u8::from_str_radix(&p[i + 1..i + 3], 16) {
                out.push(x);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The first multipart part's bytes (the gallery reads `Request.Files[0]`).
fn first_part(h: &HeaderMap, body: &[u8]) -> Option<Vec<u8>> {
    let ct = h.get("content-type")?.to_str().ok()?;
    let boundary = format!("--{}", ct.split("boundary=").nth(1)?.trim_matches('"'));
    let start = find(body, boundary.as_bytes())? + boundary.len();
    let head_end = find(&body[start..], b"\r\n\r\n")? + start + 4;
    let end = find(&body[head_end..], format!("\r\n{boundary}").as_bytes())? + head_end;
    Some(body[head_end..end].to_vec())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn nuspec_version(pkg: &[u8]) -> Option<String> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(pkg)).ok()?;
    let name = z
        .file_names()
        .find(|n| n.ends_with(".nuspec") && !n.contains('/'))?
        .to_string();
    let mut text = String::new();
    z.by_name(&name).ok()?.read_to_string(&mut text).ok()?;
    let start = text.find("<version>")? + "<version>".len();
    Some(text[start..].split("</version>").next()?.to_string())
}

fn entry(id: &str, version: &str, v: &Version) -> String {
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha512::digest(&v.bytes));
    let null = |o: &Option<String>, name: &str| match o {
        Some(x) => format!("<d:{name}>{x}</d:{name}>"),
        None => format!("<d:{name} m:null=\"true\" />"),
    };
    let (test_status, test_url) = match &v.test_failing_url {
        Some(u) => ("Failing", Some(u.clone())),
        None => ("Passing", None),
    };
    let reviewed = v
        .reviewer
        .as_ref()
        .map(|_| "2026-11-20T10:00:00".to_string());
    let published = if v.unlisted {
        "1900-01-01T00:00:00"
    } else {
        "2026-11-19T09:00:00"
    };
    format!(
        "<entry xmlns=\"http://www.w3.org/2005/Atom\" xmlns:d=\"http://schemas.microsoft.com/ado/2007/08/dataservices\" \
         xmlns:m=\"http://schemas.microsoft.com/ado/2007/08/dataservices/metadata\"><title type=\"text\">{id}</title>\
         <m:properties><d:Id>{id}</d:Id><d:Version>{version}</d:Version>\
         <d:IsApproved m:type=\"Edm.Boolean\">{approved}</d:IsApproved><d:PackageStatus>{status}</d:PackageStatus>\
         <d:PackageSubmittedStatus>{sub}</d:PackageSubmittedStatus>{reviewer}{reviewed}\
         <d:PackageTestResultStatus>{test_status}</d:PackageTestResultStatus>{test_url}\
         <d:PackageValidationResultStatus>Passing</d:PackageValidationResultStatus>\
         <d:PackageHash>{hash}</d:PackageHash><d:PackageHashAlgorithm>SHA512</d:PackageHashAlgorithm>\
         <d:PackageSize m:type=\"Edm.Int64\">{size}</d:PackageSize>\
         <d:Published m:type=\"Edm.DateTime\">{published}</d:Published>\
         <d:GalleryDetailsUrl>https://community.chocolatey.org/packages/{id}/{version}</d:GalleryDetailsUrl>\
         </m:properties></entry>",
        approved = v.status == "Approved",
        status = v.status,
        sub = v.submitted,
        reviewer = null(&v.reviewer, "PackageReviewer"),
        reviewed = null(&reviewed, "PackageReviewedDate"),
        test_url = null(&test_url, "PackageTestResultUrl"),
        size = v.bytes.len(),
    )
}
