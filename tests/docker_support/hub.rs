//! A double of Docker Hub's own API (hosted only, so a double), for rollback's tag delete. It
//! follows the published OpenAPI spec (docker/docs `content/reference/api/hub/latest.yaml`),
//! errors included, and hub-tool's tag path for the DELETE the spec leaves out:
//! - `POST /v2/auth/token` `{"identifier", "secret"}` → 200 `{"access_token"}`; a wrong user
//!   name or PAT → 401 `{"detail", "message"}` (`components/responses/unauthorized`); a body
//!   without both fields → 400.
//! - `DELETE /v2/repositories/<ns>/<repo>/tags/<tag>/` with `Authorization: Bearer
//!   <access_token>` → 204; no or an unknown bearer → 401; a PAT without the `repo:admin`
//!   scope ("Read, Write & Delete") → 403; a tag Hub does not know → 404 (all `{"detail",
//!   "message"}`).
//!
//! The tags are the real registry's: a tag exists when the registry's storage links it, and a
//! delete unlinks it there (`_manifests/tags/<tag>`), which is what deleting a tag on Docker
//! Hub does, the image itself staying. `hide` makes Hub's API forget a tag the registry keeps
//! (the two disagreeing). Every request is logged.

use super::Registry;
use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

struct State {
    user: String,
    pat: String,
    /// The PAT's scopes, e.g. `repo:admin` (Read, Write & Delete) or `repo:write`.
    scopes: Vec<String>,
    issued: Vec<String>,
    /// The registry's `repositories` directory.
    storage: PathBuf,
    hidden: BTreeSet<String>,
    log: Vec<String>,
    deleted: Vec<String>,
}

type Shared = Arc<Mutex<State>>;

pub struct HubDouble {
    pub url: String,
    state: Shared,
    _rt: tokio::runtime::Runtime,
}

impl HubDouble {
    /// Docker Hub for the user and password of `r`, whose PAT has `scope`.
    pub fn start(r: &Registry, scope: &str) -> HubDouble {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let state = Arc::new(Mutex::new(State {
            user: r.user.clone(),
            pat: r.password.clone(),
            scopes: vec![scope.to_string()],
            issued: Vec::new(),
            storage: r.data.join(super::V2).join("repositories"),
            hidden: BTreeSet::new(),
            log: Vec::new(),
            deleted: Vec::new(),
        }));
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(state.clone());
        let listener =
            rt.block_on(async { tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap() });
        let addr = listener.local_addr().unwrap();
        rt.spawn(async move { axum::serve(listener, app).await.ok() });
        HubDouble {
            url: format!("http://{addr}"),
            state,
            _rt: rt,
        }
    }
    fn st(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
    /// The PAT Hub accepts from now on (tagship keeps sending the registry's password).
    pub fn set_pat(&self, pat: &str) {
        self.st().pat = pat.into();
    }
    pub fn set_scope(&self, scope: &str) {
        self.st().scopes = vec![scope.into()];
    }
    /// Hub's API forgets `repo:tag` while the registry keeps serving it.
    pub fn hide(&self, repo: &str, tag: &str) {
        self.st().hidden.insert(format!("{repo}:{tag}"));
    }
    pub fn unhide_all(&self) {
        self.st().hidden.clear();
    }
    /// Every request, as `METHOD path status`.
    pub fn requests(&self) -> Vec<String> {
        self.st().log.clone()
    }
    /// The tags deleted, as `ns/repo:tag`.
    pub fn deleted(&self) -> Vec<String> {
        self.st().deleted.clone()
    }
    /// The access tokens handed out.
    pub fn issued(&self) -> Vec<String> {
        self.st().issued.clone()
    }
}

async fn handle(
    AxState(s): AxState<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let mut st = s.lock().unwrap_or_else(|e| e.into_inner());
    let (status, out) = match (method.as_str(), path.as_str()) {
        ("POST", "/v2/auth/token") => login(&mut st, &body),
        ("DELETE", p) if p.starts_with("/v2/repositories/") => delete(&mut st, p, &headers),
        _ => error(404, "Not Found", "no such route"),
    };
    st.log.push(format!("{method} {path} {status}"));
    let code = StatusCode::from_u16(status).unwrap();
    if status == 204 {
        return code.into_response();
    }
    (
        code,
        [("content-type", "application/json")],
        out.to_string(),
    )
        .into_response()
}

type Answer = (u16, Value);

/// The spec's `error` schema.
fn error(status: u16, detail: &str, message: &str) -> Answer {
    (status, json!({"detail": detail, "message": message}))
}

fn login(st: &mut State, body: &[u8]) -> Answer {
    let v: Value = serde_json::from_slice(body).unwrap_or_default();
    let (Some(id), Some(secret)) = (v["identifier"].as_str(), v["secret"].as_str()) else {
        return error(400, "identifier and secret are required", "bad request");
    };
    if id != st.user || secret != st.pat {
        return error(401, "Incorrect authentication credentials", "unauthorized");
    }
    let token = format!("hub-access-{}", fastrand::u64(..));
    st.issued.push(token.clone());
    (200, json!({"access_token": token}))
}

fn delete(st: &mut State, path: &str, headers: &HeaderMap) -> Answer {
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if !bearer.is_some_and(|b| st.issued.iter().any(|t| t == b)) {
        return error(
            401,
            "Authentication credentials were not provided or are invalid",
            "unauthorized",
        );
    }
    // /v2/repositories/<ns>/<repo>/tags/<tag>/
    let parts: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let ["", "v2", "repositories", ns, repo, "tags", tag] = parts.as_slice() else {
        return error(404, "Not Found", "no such route");
    };
    if !st.scopes.iter().any(|s| s == "repo:admin") {
        return error(
            403,
            "insufficient scope: deleting a tag needs repo:admin",
            "forbidden",
        );
    }
    let name = format!("{ns}/{repo}:{tag}");
    let dir = st
        .storage
        .join(ns)
        .join(repo)
        .join("_manifests/tags")
        .join(tag);
    if st.hidden.contains(&name) || !dir.join("current/link").is_file() {
        return error(404, "Not Found", &format!("tag {tag} not found"));
    }
    std::fs::remove_dir_all(&dir).unwrap();
    st.deleted.push(name);
    (204, Value::Null)
}
