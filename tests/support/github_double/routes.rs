//! The double's HTTP side: who may do what, routing by method and (decoded) path,
//! GitHub-shaped answers, pagination with the 1,000-result cap. Every handler returns a
//! [`Reply`] naming its REST operation, so each JSON answer can be checked against the schema.

use super::meet::{self, PING};
use super::render::{stored_name, unseg};
use super::{Asset, Caller, Served, Shared, State, DOCS};
use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

/// GitHub answers listings beyond this many results with 422.
const LISTING_CAP: usize = 1000;

/// An answer before it becomes HTTP.
pub(super) struct Reply {
    status: u16,
    op: &'static str,
    body: Option<Value>,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    pub(super) fn new(status: u16, op: &'static str, body: Value) -> Reply {
        Reply {
            status,
            op,
            body: Some(body),
            headers: Vec::new(),
        }
    }
    fn empty(status: u16, op: &'static str) -> Reply {
        Reply {
            status,
            op,
            body: None,
            headers: Vec::new(),
        }
    }
    pub(super) fn header(mut self, k: &'static str, v: impl Into<String>) -> Reply {
        self.headers.push((k, v.into()));
        self
    }
    fn into_response(self, served: &mut Vec<Served>) -> Response {
        let code = StatusCode::from_u16(self.status).unwrap();
        let mut resp = match &self.body {
            Some(b) => (
                code,
                [("content-type", "application/json; charset=utf-8")],
                b.to_string(),
            )
                .into_response(),
            None => code.into_response(),
        };
        for (k, v) in &self.headers {
            resp.headers_mut().insert(*k, v.parse().unwrap());
        }
        if let (Some(body), true) = (self.body, self.status < 500) {
            served.push(Served {
                op: self.op,
                status: self.status,
                body,
            });
        }
        resp
    }
}

fn not_found(op: &'static str) -> Reply {
    Reply::new(
        404,
        op,
        json!({"message": "Not Found", "documentation_url": DOCS, "status": "404"}),
    )
}

fn validation(op: &'static str, resource: &str, field: &str) -> Reply {
    Reply::new(
        422,
        op,
        json!({"message": "Validation Failed", "documentation_url": DOCS,
               "errors": [{"resource": resource, "code": "already_exists", "field": field}]}),
    )
}

fn immutable(op: &'static str) -> Reply {
    Reply::new(
        422,
        op,
        json!({"message": "Cannot upload assets to an immutable release", "documentation_url": DOCS}),
    )
}

struct Req {
    method: Method,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
    /// The caller has push access (sees drafts, may write).
    owner: bool,
    /// The request path as sent (for `Link` headers).
    path: String,
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
    // `meet_pings`: a request may wait here for another (see meet.rs), outside the lock.
    let (rx, timeout) = match &lock().meet {
        Some(m) => (m.arrive(method.as_str(), uri.path()), m.timeout),
        None => (None, Default::default()),
    };
    meet::wait(rx, timeout).await;
    let mut s = lock();
    let pq = uri.path_and_query().map_or("/", |p| p.as_str()).to_string();
    let line = format!("{method} {pq}");
    s.log.push((method.to_string(), pq));
    if let Some(m) = &s.meet {
        m.logged(uri.path());
    }
    if uri.path().starts_with(PING) {
        return StatusCode::NO_CONTENT.into_response();
    }
    let reply = match s.fault(&line) {
        Some(r) => r,
        None => answer(&mut s, method, &uri, headers, body),
    };
    reply.into_response(&mut s.served)
}

/// Authentication as GitHub applies it, then routing.
fn answer(s: &mut State, method: Method, uri: &Uri, headers: HeaderMap, body: Bytes) -> Reply {
    let caller = s.caller(&headers);
    if caller == Caller::Bad {
        return Reply::new(
            401,
            "*",
            json!({"message": "Bad credentials", "documentation_url": DOCS, "status": "401"}),
        );
    }
    let anonymous = caller == Caller::Anonymous;
    if anonymous && s.private {
        return not_found("*");
    }
    if anonymous && method != Method::GET {
        return Reply::new(
            401,
            "*",
            json!({"message": "Requires authentication", "documentation_url": DOCS, "status": "401"}),
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
        owner: !anonymous,
        path: uri.path().to_string(),
    };
    // Split first, then decode each segment: `%2F` stays inside its segment, as on GitHub.
    let mut segs: Vec<String> = uri.path().trim_matches('/').split('/').map(unseg).collect();
    let upload = segs.first().map(String::as_str) == Some("uploads");
    if upload {
        segs.remove(0);
    }
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    match segs.as_slice() {
        ["repos", o, r, rest @ ..] if *o == s.owner && *r == s.repo => route(s, &req, rest, upload),
        _ => super::pulls::route(s, req.method.as_str(), &segs, &req.query, &req.json()),
    }
}

fn route(s: &mut State, req: &Req, rest: &[&str], upload: bool) -> Reply {
    let m = req.method.as_str();
    match (m, rest, upload) {
        ("GET", ["releases"], false) => list_releases(s, req),
        ("POST", ["releases"], false) => create_release(s, req),
        ("GET", ["releases", "tags", tag], false) => {
            let op = "repos/get-release-by-tag";
            let rel = s
                .releases
                .iter()
                .rev()
                .find(|r| r.tag_name == *tag && !r.draft);
            rel.map(|r| Reply::new(200, op, s.rel_json(r)))
                .unwrap_or_else(|| not_found(op))
        }
        ("GET", ["releases", "latest"], false) => {
            // The most recent non-prerelease, non-draft release, by creation.
            let op = "repos/get-latest-release";
            let rel = s
                .releases
                .iter()
                .filter(|r| !r.draft && !r.prerelease)
                .max_by_key(|r| r.created);
            rel.map(|r| Reply::new(200, op, s.rel_json(r)))
                .unwrap_or_else(|| not_found(op))
        }
        ("DELETE", ["releases", "assets", id], false) => delete_asset(s, id),
        ("GET", ["releases", id], false) => {
            let op = "repos/get-release";
            match visible(s, req, id) {
                Some(r) => Reply::new(200, op, s.rel_json(r)),
                None => not_found(op),
            }
        }
        ("PATCH", ["releases", id], false) => update_release(s, req, id),
        ("GET", ["releases", id, "assets"], false) => list_assets(s, req, id),
        ("POST", ["releases", id, "assets"], true) => upload_asset(s, req, id),
        _ => not_found("*"),
    }
}

/// A release the caller may see: drafts only with push access.
fn visible<'a>(s: &'a State, req: &Req, id: &str) -> Option<&'a super::Rel> {
    s.releases
        .iter()
        .find(|r| r.id.to_string() == id && (req.owner || !r.draft))
}

/// Slices `items` by `per_page`/`page`, adds GitHub's `Link` header, and answers 422 for a
/// page beyond the first 1,000 results.
fn paginate(s: &State, req: &Req, op: &'static str, items: Vec<Value>) -> Reply {
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
    if (page - 1) * per >= LISTING_CAP {
        return Reply::new(
            422,
            op,
            json!({"message": "Only the first 1000 results are available.", "documentation_url": DOCS}),
        );
    }
    let last = items.len().min(LISTING_CAP).div_ceil(per).max(1);
    let chunk: Vec<Value> = items.into_iter().skip((page - 1) * per).take(per).collect();
    let link = |p: usize, rel: &str| {
        format!(
            "<{}{}?per_page={per}&page={p}>; rel=\"{rel}\"",
            s.base(),
            req.path
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
    let reply = Reply::new(200, op, Value::Array(chunk));
    match links.is_empty() {
        true => reply,
        false => reply.header("link", links.join(", ")),
    }
}

fn list_releases(s: &State, req: &Req) -> Reply {
    // Drafts first, then published releases; newest first within each.
    let mut rels: Vec<&super::Rel> = s
        .releases
        .iter()
        .rev()
        .filter(|r| req.owner || !r.draft)
        .collect();
    rels.sort_by_key(|r| !r.draft);
    let items = rels.into_iter().map(|r| s.rel_json(r)).collect();
    paginate(s, req, "repos/list-releases", items)
}

fn list_assets(s: &State, req: &Req, id: &str) -> Reply {
    let op = "repos/list-release-assets";
    let Some(rel) = visible(s, req, id) else {
        return not_found(op);
    };
    let items = rel.assets.iter().map(|a| s.asset_json(rel, a)).collect();
    paginate(s, req, op, items)
}

/// 404 or 403 when the target commit changes workflows and the token lacks that scope.
fn workflow_denied(s: &State, op: &'static str, target: &str) -> Option<Reply> {
    let status = s.workflow_denial?;
    if !s.workflow_commits.iter().any(|c| c == target) {
        return None;
    }
    Some(match status {
        404 => not_found(op),
        _ => Reply::new(
            status,
            op,
            json!({"message": "Resource not accessible by integration", "documentation_url": DOCS, "status": status.to_string()}),
        ),
    })
}

fn create_release(s: &mut State, req: &Req) -> Reply {
    let op = "repos/create-release";
    let b = req.json();
    let Some(tag) = b.get("tag_name").and_then(|v| v.as_str()).map(String::from) else {
        return Reply::new(
            422,
            op,
            json!({"message": "Validation Failed", "documentation_url": DOCS, "errors": [{"resource": "Release", "code": "missing_field", "field": "tag_name"}]}),
        );
    };
    let target = b["target_commitish"].as_str().unwrap_or("main").to_string();
    if let Some(r) = workflow_denied(s, op, &target) {
        return r;
    }
    if std::mem::take(&mut s.race_create) {
        s.insert_release(&tag, false);
    }
    // Like GitHub: several drafts may share a tag, a published release may not.
    if s.releases.iter().any(|r| r.tag_name == tag && !r.draft) {
        return validation(op, "Release", "tag_name");
    }
    let id = s.insert_release(&tag, b["draft"].as_bool().unwrap_or(false));
    let rel = s.rel_mut(&id.to_string()).unwrap();
    rel.prerelease = b["prerelease"].as_bool().unwrap_or(false);
    rel.name = b["name"].as_str().unwrap_or(&tag).to_string();
    rel.body = b["body"].as_str().unwrap_or("").to_string();
    rel.target_commitish = target;
    let rel = rel.clone();
    Reply::new(201, op, s.rel_json(&rel))
}

fn update_release(s: &mut State, req: &Req, id: &str) -> Reply {
    let op = "repos/update-release";
    let b = req.json();
    let Some(rel) = s.rel_mut(id) else {
        return not_found(op);
    };
    let (tag, target) = (rel.tag_name.clone(), rel.target_commitish.clone());
    if let Some(r) = workflow_denied(s, op, &target) {
        return r;
    }
    let publishing = s.rel_mut(id).unwrap().draft && b["draft"] == json!(false);
    if publishing && s.releases.iter().any(|r| r.tag_name == tag && !r.draft) {
        return validation(op, "Release", "tag_name");
    }
    s.clock += 1;
    let now = s.clock;
    let rel = s.rel_mut(id).unwrap();
    if let Some(d) = b["draft"].as_bool() {
        rel.draft = d;
        rel.published = (!d).then_some(rel.published.unwrap_or(now));
    }
    if let Some(p) = b["prerelease"].as_bool() {
        rel.prerelease = p;
    }
    if let Some(n) = b["name"].as_str() {
        rel.name = n.into();
    }
    let rel = rel.clone();
    Reply::new(200, op, s.rel_json(&rel))
}

fn upload_asset(s: &mut State, req: &Req, id: &str) -> Reply {
    let op = "repos/upload-release-asset";
    let Some(name) = req.q("name").map(stored_name) else {
        return Reply::new(
            422,
            op,
            json!({"message": "Validation Failed", "documentation_url": DOCS, "errors": [{"resource": "ReleaseAsset", "code": "missing_field", "field": "name"}]}),
        );
    };
    let Some(content_type) = req
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
    else {
        return Reply::new(400, op, json!({"message": "Content-Type header required"}));
    };
    let content_type = content_type.to_string();
    let asset_id = s.bump();
    let now = s.clock;
    let frozen = match s.releases.iter().find(|r| r.id.to_string() == id) {
        Some(r) => s.frozen(r),
        None => return not_found(op),
    };
    if frozen {
        return immutable(op);
    }
    let broken = s.starter_uploads > 0;
    s.starter_uploads = s.starter_uploads.saturating_sub(1);
    let rel = s.rel_mut(id).unwrap();
    if rel.assets.iter().any(|a| a.name == name) {
        return validation(op, "ReleaseAsset", "name");
    }
    let data = req.body.to_vec();
    let asset = Asset {
        id: asset_id,
        name,
        label: req.q("label").map(String::from),
        state: if broken { "open" } else { "uploaded" }.into(),
        content_type,
        data: if broken {
            data[..data.len() / 2].to_vec()
        } else {
            data
        },
        created: now,
    };
    rel.assets.push(asset.clone());
    if broken {
        return Reply::new(502, op, json!({"message": "Server Error"}));
    }
    let rel = rel.clone();
    Reply::new(201, op, s.asset_json(&rel, &asset))
}

fn delete_asset(s: &mut State, id: &str) -> Reply {
    let op = "repos/delete-release-asset";
    let Ok(id) = id.parse::<u64>() else {
        return not_found(op);
    };
    let Some(pos) = s
        .releases
        .iter()
        .position(|r| r.assets.iter().any(|a| a.id == id))
    else {
        return not_found(op);
    };
    if s.frozen(&s.releases[pos]) {
        return immutable(op);
    }
    s.releases[pos].assets.retain(|a| a.id != id);
    Reply::empty(204, op)
}
