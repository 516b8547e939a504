//! The store double's HTTP side: one handler that routes by method and path, as the store's
//! publisher API and upload storage answer (errors as `{"error_list":[{code,message}]}`), and
//! the public info endpoint (`api.snapcraft.io`, errors as `{"error-list":[…]}`).

use super::{Line, Rev, Review, State, Status, Upload};
use axum::body::Bytes;
use axum::extract::State as Ax;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use sha3::Digest;
use std::sync::{Arc, Mutex};

type Shared = Arc<Mutex<State>>;

fn reply(status: u16, body: Value) -> Response {
    (StatusCode::from_u16(status).unwrap(), axum::Json(body)).into_response()
}

fn error(status: u16, code: &str, message: &str) -> Response {
    reply(
        status,
        json!({"error_list": [{"code": code, "message": message}]}),
    )
}

pub async fn handle(
    Ax(st): Ax<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let mut s = st.lock().unwrap();
    s.log.push((method.to_string(), path.clone()));
    if method == Method::POST && path == "/storage/unscanned-upload/" {
        return upload(&mut s, &headers, &body);
    }
    if let Some(name) = path.strip_prefix("/v2/snaps/info/") {
        return info(&s, name, &headers);
    }
    if let Some(refused) = auth_refused(&s, &headers) {
        return refused;
    }
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let releases = format!("/api/v2/snaps/{}/releases", s.name);
    let close = format!("/dev/api/snaps/{}/close", s.snap_id);
    match (method.as_str(), path.as_str()) {
        ("GET", p) if p == releases => reply(200, releases_doc(&s)),
        ("GET", p) if p.starts_with("/api/v2/snaps/") => {
            error(404, "resource-not-found", "Snap not found")
        }
        ("POST", "/dev/api/snap-push/") => push(&mut s, &json),
        ("GET", p) if p.starts_with("/dev/api/snap-status/") => status(&mut s, p),
        ("POST", "/dev/api/snap-release/") => release(&mut s, &json),
        ("POST", p) if p == close => close_channels(&mut s, &json),
        ("GET", "/dev/api/account") => {
            let (name, id) = (s.name.clone(), s.snap_id.clone());
            reply(
                200,
                json!({"snaps": {"16": {name: {"snap-id": id, "status": "Approved"}}}}),
            )
        }
        _ => error(404, "not-found", "Not found"),
    }
}

/// The publisher API's answer to a missing, unbound, wrong or expired macaroon.
fn auth_refused(s: &State, headers: &HeaderMap) -> Option<Response> {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if auth == s.unbound {
        return Some(error(
            401,
            "macaroon-authorization-required",
            "Invalid macaroon: the discharge is not bound to the root",
        ));
    }
    if auth != s.header {
        return Some(error(
            401,
            "macaroon-authorization-required",
            "Authorization Required",
        ));
    }
    if s.expired {
        let mut r = error(
            401,
            "macaroon-needs-refresh",
            "Expired macaroon (needs refresh).",
        );
        r.headers_mut().insert(
            "www-authenticate",
            "Macaroon needs_refresh=1".parse().unwrap(),
        );
        return Some(r);
    }
    None
}

/// The `binary` part of a multipart body, with its file name.
fn binary_part(headers: &HeaderMap, body: &[u8]) -> Option<(String, Vec<u8>)> {
    let ct = headers.get("content-type")?.to_str().ok()?;
    let boundary = format!("--{}", ct.split("boundary=").nth(1)?.trim_matches('"'));
    let text = body;
    let find = |hay: &[u8], needle: &[u8], from: usize| {
        hay[from..]
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|p| p + from)
    };
    let mut at = find(text, boundary.as_bytes(), 0)?;
    loop {
        let head_end = find(text, b"\r\n\r\n", at)?;
        let head = String::from_utf8_lossy(&text[at..head_end]).to_string();
        let next = find(text, format!("\r\n{boundary}").as_bytes(), head_end)?;
        if head.contains("name=\"binary\"") {
            let file = head
                .split("filename=\"")
                .nth(1)?
                .split('"')
                .next()?
                .to_string();
            return Some((file, text[head_end + 4..next].to_vec()));
        }
        at = next + 2;
    }
}

fn upload(s: &mut State, headers: &HeaderMap, body: &[u8]) -> Response {
    let Some((file, bytes)) = binary_part(headers, body) else {
        return reply(
            400,
            json!({"successful": false, "errors": ["no binary field"]}),
        );
    };
    let id = format!("upload-{:04}", s.uploads.len() + 1);
    s.uploads.insert(id.clone(), Upload { file, bytes });
    reply(200, json!({"successful": true, "upload_id": id}))
}

/// snap.yaml's name, version and first architecture, read from the squashfs like the store.
fn read_meta(bytes: &[u8]) -> Result<(String, String, String), String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.snap");
    std::fs::write(&path, bytes).unwrap();
    let out = std::process::Command::new("unsquashfs")
        .args(["-cat", path.to_str().unwrap(), "meta/snap.yaml"])
        .output()
        .map_err(|e| format!("unsquashfs: {e} (run scripts/setup.d/73-snap.sh)"))?;
    if !out.status.success() {
        return Err(format!(
            "not a squashfs snap: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let y: serde_yaml_ng::Value =
        serde_yaml_ng::from_slice(&out.stdout).map_err(|e| e.to_string())?;
    let get = |k: &str| {
        y[k].as_str()
            .map(str::to_string)
            .ok_or(format!("snap.yaml has no {k}"))
    };
    let arch = y["architectures"][0].as_str().unwrap_or("all").to_string();
    Ok((get("name")?, get("version")?, arch))
}

fn push(s: &mut State, j: &Value) -> Response {
    let (Some(name), Some(id)) = (j["name"].as_str(), j["updown_id"].as_str()) else {
        return error(400, "invalid-field", "name and updown_id are required");
    };
    if name != s.name {
        return error(
            404,
            "resource-not-found",
            "Snap not found for the given snap name",
        );
    }
    let Some(up) = s.uploads.get(id).cloned() else {
        return error(400, "invalid-field", "unknown updown_id");
    };
    if j["binary_filesize"].as_u64() != Some(up.bytes.len() as u64) {
        return error(
            400,
            "invalid-field",
            "binary_filesize does not match the upload",
        );
    }
    let sid = format!("{:04}", s.statuses.len() + 1);
    let st = process(s, &up);
    s.statuses.insert(sid.clone(), st);
    let url = format!("{}/dev/api/snap-status/{sid}", s.public);
    reply(202, json!({"status_details_url": url, "status_url": url}))
}

/// What the review makes of one upload (revealed to the poller on its second read).
fn process(s: &mut State, up: &Upload) -> Status {
    let sha3 = hex::encode(sha3::Sha3_384::digest(&up.bytes));
    let st = |code: &str, revision, errors: Vec<String>| Status {
        polls: 0,
        code: code.into(),
        revision,
        errors,
    };
    if s.revisions.iter().any(|r| r.sha3 == sha3) {
        let msg = "binary_sha3_384: A file with this exact same content has already been uploaded";
        return st("processing_error", None, vec![msg.into()]);
    }
    let (name, version, arch) = match read_meta(&up.bytes) {
        Ok(m) => m,
        Err(e) => return st("processing_error", None, vec![e]),
    };
    if name != s.name {
        return st(
            "processing_error",
            None,
            vec![format!("snap name {name} does not match {}", s.name)],
        );
    }
    let review = if s.next_review.is_empty() {
        Review::Pass
    } else {
        s.next_review.remove(0)
    };
    let n = s.revisions.iter().map(|r| r.revision).max().unwrap_or(0) + 1;
    let (status, code, errors) = match &review {
        Review::Pass => ("Unpublished", "ready_to_release", vec![]),
        Review::Manual => ("NeedsReview", "need_manual_review", vec![]),
        Review::Reject(m) => ("Rejected", "processing_error", vec![m.clone()]),
    };
    s.revisions.push(Rev {
        revision: n,
        version,
        arch,
        sha3,
        size: up.bytes.len() as u64,
        status: status.into(),
        file: up.file.clone(),
        bytes: up.bytes.clone(),
    });
    st(code, Some(n), errors)
}

fn status(s: &mut State, path: &str) -> Response {
    let id = path.rsplit('/').next().unwrap_or("");
    let Some(st) = s.statuses.get_mut(id) else {
        return error(404, "not-found", "no such upload");
    };
    st.polls += 1;
    if st.polls == 1 {
        return reply(
            200,
            json!({"code": "being_processed", "processed": false, "errors": [], "can_release": false}),
        );
    }
    let errors: Vec<Value> = st.errors.iter().map(|m| json!({"message": m})).collect();
    reply(
        200,
        json!({"code": st.code, "processed": true, "errors": errors,
        "revision": st.revision, "can_release": st.code == "ready_to_release"}),
    )
}

fn release(s: &mut State, j: &Value) -> Response {
    let n: Option<u64> = j["revision"].as_str().and_then(|r| r.parse().ok());
    let Some(rev) = n.and_then(|n| s.revisions.iter_mut().find(|r| r.revision == n)) else {
        return error(400, "invalid-field", "revision not found");
    };
    if rev.status == "NeedsReview" || rev.status == "Rejected" {
        return error(
            400,
            "invalid-revision",
            &format!(
                "revision {} cannot be released: {}",
                rev.revision, rev.status
            ),
        );
    }
    rev.status = "Published".into();
    let (arch, n) = (rev.arch.clone(), rev.revision);
    let channels: Vec<String> = j["channels"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c.as_str())
        .map(|c| {
            if c.contains('/') {
                c.to_string()
            } else {
                format!("latest/{c}")
            }
        })
        .collect();
    for c in &channels {
        s.history.insert(
            0,
            Line {
                arch: arch.clone(),
                channel: c.clone(),
                revision: Some(n),
            },
        );
    }
    reply(200, json!({"success": true, "opened_channels": channels}))
}

fn close_channels(s: &mut State, j: &Value) -> Response {
    let mut arches: Vec<String> = s.revisions.iter().map(|r| r.arch.clone()).collect();
    arches.dedup();
    let channels: Vec<String> = j["channels"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c.as_str().map(str::to_string))
        .collect();
    for c in &channels {
        for a in &arches {
            s.history.insert(
                0,
                Line {
                    arch: a.clone(),
                    channel: c.clone(),
                    revision: None,
                },
            );
        }
    }
    reply(200, json!({"closed_channels": channels}))
}

/// The public, unauthenticated `GET /v2/snaps/info/<name>` (api.snapcraft.io): one
/// channel-map entry per channel and architecture that holds a revision, in snapd's
/// `storeInfoChannelSnap` shape; 404 with `error-list` for an unknown snap or one with
/// nothing released (snapd treats both as not found). Without `Snap-Device-Series` the
/// store refuses the request.
fn info(s: &State, name: &str, headers: &HeaderMap) -> Response {
    let series = headers
        .get("snap-device-series")
        .and_then(|v| v.to_str().ok());
    if series != Some("16") {
        return reply(
            400,
            json!({"error-list": [{"code": "missing-header", "message": "Missing Snap-Device-Series header"}]}),
        );
    }
    let mut seen = Vec::new();
    let mut map = Vec::new();
    for l in &s.history {
        if seen.contains(&(&l.channel, &l.arch)) {
            continue;
        }
        seen.push((&l.channel, &l.arch));
        let Some(r) = l
            .revision
            .and_then(|n| s.revisions.iter().find(|r| r.revision == n))
        else {
            continue;
        };
        let (track, risk) = l.channel.split_once('/').unwrap_or(("latest", &l.channel));
        let shown = if track == "latest" {
            risk.to_string()
        } else {
            l.channel.clone()
        };
        map.push(json!({
            "channel": {"architecture": l.arch, "name": shown, "track": track, "risk": risk,
                "released-at": "2026-01-01T00:00:00.000000+00:00"},
            "revision": r.revision, "version": r.version, "type": "app",
            "download": {"deltas": [], "sha3-384": r.sha3, "size": r.size,
                "url": format!("{}/api/v1/snaps/download/{}_{}.snap", s.public, s.snap_id, r.revision)}
        }));
    }
    if name != s.name || map.is_empty() {
        let msg = format!("No snap named '{name}' found in series '16'.");
        return reply(
            404,
            json!({"error-list": [{"code": "resource-not-found", "message": msg}]}),
        );
    }
    reply(
        200,
        json!({"channel-map": map, "name": s.name, "snap-id": s.snap_id,
            "snap": {"name": s.name, "snap-id": s.snap_id, "publisher": {"username": "tagship-test"}}}),
    )
}

fn releases_doc(s: &State) -> Value {
    let releases: Vec<Value> = s.history.iter().map(|l| {
        let (track, risk) = l.channel.split_once('/').unwrap_or(("latest", &l.channel));
        json!({"architecture": l.arch, "branch": null, "channel": l.channel, "revision": l.revision,
            "track": track, "risk": risk, "expiration-date": null, "progressive": {"paused": null, "percentage": null}})
    }).collect();
    let revisions: Vec<Value> = s
        .revisions
        .iter()
        .rev()
        .map(|r| {
            json!({
        "revision": r.revision, "version": r.version, "architectures": [r.arch], "sha3-384": r.sha3,
        "size": r.size, "status": r.status, "confinement": "strict", "grade": "stable"})
        })
        .collect();
    json!({"releases": releases, "revisions": revisions})
}
