//! The double's HTTP side: routing by method and path, GitHub-shaped answers, pagination.

use super::meet::{self, PING};
use super::{Asset, Shared, State, DOCS};
use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

pub(super) fn gh(status: u16, body: Value) -> Response {
    let code = StatusCode::from_u16(status).unwrap();
    (
        code,
        [("content-type", "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

fn not_found() -> Response {
    gh(
        404,
        json!({"message": "Not Found", "documentation_url": DOCS}),
    )
}

fn validation(resource: &str, field: &str) -> Response {
    gh(
        422,
        json!({"message": "Validation Failed", "documentation_url": DOCS,
               "errors": [{"resource": resource, "code": "already_exists", "field": field}]}),
    )
}

fn immutable() -> Response {
    gh(
        422,
        json!({"message": "Cannot upload assets to an immutable release", "documentation_url": DOCS}),
    )
}

struct Req {
    method: Method,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
}

impl Req {
    fn q(&self, k: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

pub(super) async fn handle(
    AxState(state): AxState<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let lock = || state.lock().unwrap_or_else(|e| e.into_inner());
    let (rx, timeout) = match &lock().meet {
        Some(m) => (m.arrive(uri.path()), m.timeout),
        None => (None, Default::default()),
    };
    meet::wait(rx, timeout).await;
    let mut s = lock();
    let pq = uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/")
        .to_string();
    let line = format!("{method} {pq}");
    s.log.push((method.to_string(), pq));
    if let Some(m) = &s.meet {
        m.logged(uri.path());
    }
    if uri.path().starts_with(PING) {
        return StatusCode::NO_CONTENT.into_response();
    }
    if let Some(r) = s.fault(&line) {
        return r;
    }
    if !s.authorized(&headers) {
        return gh(
            401,
            json!({"message": "Bad credentials", "documentation_url": DOCS}),
        );
    }
    let query = url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    let req = Req {
        method,
        query,
        headers,
        body,
    };
    let mut segs: Vec<&str> = uri.path().trim_matches('/').split('/').collect();
    let upload = segs.first() == Some(&"uploads");
    if upload {
        segs.remove(0);
    }
    match segs.as_slice() {
        ["repos", o, r, rest @ ..] if *o == s.owner && *r == s.repo => {
            route(&mut s, &req, rest, upload)
        }
        _ => not_found(),
    }
}

fn route(s: &mut State, req: &Req, rest: &[&str], upload: bool) -> Response {
    let m = req.method.as_str();
    match (m, rest, upload) {
        ("GET", ["releases"], false) => list_releases(s, req),
        ("POST", ["releases"], false) => create_release(s, req),
        ("GET", ["releases", "tags", tag], false) => {
            let rel = s
                .releases
                .iter()
                .rev()
                .find(|r| r.tag_name == *tag && !r.draft);
            rel.map(|r| gh(200, s.rel_json(r)))
                .unwrap_or_else(not_found)
        }
        ("DELETE", ["releases", "assets", id], false) => delete_asset(s, id),
        ("GET", ["releases", id], false) => {
            match s.releases.iter().find(|r| r.id.to_string() == *id) {
                Some(r) => gh(200, s.rel_json(r)),
                None => not_found(),
            }
        }
        ("PATCH", ["releases", id], false) => update_release(s, req, id),
        ("GET", ["releases", id, "assets"], false) => list_assets(s, req, id),
        ("POST", ["releases", id, "assets"], true) => upload_asset(s, req, id),
        _ => not_found(),
    }
}

/// Slices `items` by `per_page`/`page` and adds GitHub's `Link` header.
fn paginate(s: &State, req: &Req, path: &str, items: Vec<Value>) -> Response {
    let per: usize = req
        .q("per_page")
        .and_then(|v| v.parse().ok())
        .unwrap_or(30)
        .clamp(1, 100);
    let page: usize = req
        .q("page")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1);
    let last = items.len().div_ceil(per).max(1);
    let chunk: Vec<Value> = items.into_iter().skip((page - 1) * per).take(per).collect();
    let mut resp = gh(200, Value::Array(chunk));
    let link = |p: usize, rel: &str| {
        format!(
            "<{}{path}?per_page={per}&page={p}>; rel=\"{rel}\"",
            s.base()
        )
    };
    let mut links = Vec::new();
    if page < last {
        links.push(link(page + 1, "next"));
        links.push(link(last, "last"));
    }
    if page > 1 {
        links.push(link(1, "first"));
        links.push(link(page - 1, "prev"));
    }
    if !links.is_empty() {
        resp.headers_mut()
            .insert("link", links.join(", ").parse().unwrap());
    }
    resp
}

fn list_releases(s: &State, req: &Req) -> Response {
    // Newest first, as GitHub lists them.
    let items = s.releases.iter().rev().map(|r| s.rel_json(r)).collect();
    let path = format!("/repos/{}/{}/releases", s.owner, s.repo);
    paginate(s, req, &path, items)
}

fn list_assets(s: &State, req: &Req, id: &str) -> Response {
    let Some(rel) = s.releases.iter().find(|r| r.id.to_string() == id) else {
        return not_found();
    };
    let items = rel.assets.iter().map(|a| s.asset_json(rel, a)).collect();
    let path = format!("/repos/{}/{}/releases/{id}/assets", s.owner, s.repo);
    paginate(s, req, &path, items)
}

fn create_release(s: &mut State, req: &Req) -> Response {
    let b = req.json();
    let Some(tag) = b.get("tag_name").and_then(|v| v.as_str()).map(String::from) else {
        return gh(
            422,
            json!({"message": "Validation Failed", "errors": [{"resource": "Release", "code": "missing_field", "field": "tag_name"}]}),
        );
    };
    if std::mem::take(&mut s.race_create) {
        s.insert_release(&tag, false);
    }
    // Like GitHub: several drafts may share a tag, a published release may not.
    if s.releases.iter().any(|r| r.tag_name == tag && !r.draft) {
        return validation("Release", "tag_name");
    }
    let id = s.insert_release(&tag, b["draft"].as_bool().unwrap_or(false));
    let rel = s.rel_mut(&id.to_string()).unwrap();
    rel.prerelease = b["prerelease"].as_bool().unwrap_or(false);
    rel.name = b["name"].as_str().unwrap_or(&tag).to_string();
    rel.body = b["body"].as_str().unwrap_or("").to_string();
    if let Some(t) = b["target_commitish"].as_str() {
        rel.target_commitish = t.into();
    }
    let rel = rel.clone();
    gh(201, s.rel_json(&rel))
}

fn update_release(s: &mut State, req: &Req, id: &str) -> Response {
    let b = req.json();
    let Some(rel) = s.rel_mut(id) else {
        return not_found();
    };
    let tag = rel.tag_name.clone();
    let publishing = rel.draft && b["draft"] == json!(false);
    if publishing && s.releases.iter().any(|r| r.tag_name == tag && !r.draft) {
        return validation("Release", "tag_name");
    }
    let rel = s.rel_mut(id).unwrap();
    if let Some(d) = b["draft"].as_bool() {
        rel.draft = d;
    }
    if let Some(p) = b["prerelease"].as_bool() {
        rel.prerelease = p;
    }
    if let Some(n) = b["name"].as_str() {
        rel.name = n.into();
    }
    let rel = rel.clone();
    gh(200, s.rel_json(&rel))
}

fn upload_asset(s: &mut State, req: &Req, id: &str) -> Response {
    let Some(name) = req.q("name").map(String::from) else {
        return gh(
            422,
            json!({"message": "Validation Failed", "errors": [{"resource": "ReleaseAsset", "code": "missing_field", "field": "name"}]}),
        );
    };
    let label = req.q("label").map(String::from);
    let content_type = req
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok());
    let Some(content_type) = content_type.map(String::from) else {
        return gh(400, json!({"message": "Content-Type header required"}));
    };
    let asset_id = s.bump();
    let frozen = match s.releases.iter().find(|r| r.id.to_string() == id) {
        Some(r) => s.frozen(r),
        None => return not_found(),
    };
    if frozen {
        return immutable();
    }
    let rel = s.rel_mut(id).unwrap();
    if rel.assets.iter().any(|a| a.name == name) {
        return validation("ReleaseAsset", "name");
    }
    let asset = Asset {
        id: asset_id,
        name,
        label,
        state: "uploaded".into(),
        content_type,
        data: req.body.to_vec(),
    };
    rel.assets.push(asset.clone());
    let rel = rel.clone();
    gh(201, s.asset_json(&rel, &asset))
}

fn delete_asset(s: &mut State, id: &str) -> Response {
    let Ok(id) = id.parse::<u64>() else {
        return not_found();
    };
    let Some(pos) = s
        .releases
        .iter()
        .position(|r| r.assets.iter().any(|a| a.id == id))
    else {
        return not_found();
    };
    if s.frozen(&s.releases[pos]) {
        return immutable();
    }
    s.releases[pos].assets.retain(|a| a.id != id);
    StatusCode::NO_CONTENT.into_response()
}
