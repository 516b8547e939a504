//! An in-process, stateful GitHub Releases API double (axum on 127.0.0.1:0) for adapter tests.
//!
//! It serves one repository with the endpoints tagship uses, answering like GitHub does:
//! drafts are invisible to `GET /releases/tags/{tag}`, listings paginate with `Link`, a
//! duplicate asset name is a 422 `already_exists`, published immutable releases refuse
//! uploads. Uploads live under `/uploads/...` on the same listener and are reachable only
//! through the `upload_url` template in the release JSON. Tests inject faults and read the
//! request log. Path segments are not percent-decoded (tags in tests are plain).
#![allow(dead_code)]

pub mod harness;
mod meet;
mod routes;

use axum::http::HeaderMap;
use axum::response::Response;
use routes::gh;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

pub(crate) const DOCS: &str = "https://docs.github.com/rest";

#[derive(Clone)]
struct Rel {
    id: u64,
    tag_name: String,
    name: String,
    body: String,
    draft: bool,
    prerelease: bool,
    target_commitish: String,
    assets: Vec<Asset>,
}

#[derive(Clone)]
struct Asset {
    id: u64,
    name: String,
    label: Option<String>,
    state: String,
    content_type: String,
    data: Vec<u8>,
}

#[derive(Default)]
struct State {
    port: u16,
    owner: String,
    repo: String,
    token: String,
    releases: Vec<Rel>,
    next_id: u64,
    fail_next: u32,
    fail_status: u16,
    fail_only: Option<String>,
    fail_always: Option<u16>,
    rate_limit_next: u32,
    immutable: bool,
    race_create: bool,
    meet: Option<meet::Meet>,
    log: Vec<(String, String)>,
}

type Shared = Arc<Mutex<State>>;

/// The running double. Dropping the test's runtime stops it.
#[derive(Clone)]
pub struct GithubDouble {
    addr: SocketAddr,
    state: Shared,
}

impl GithubDouble {
    /// Starts serving `owner/repo`, accepting `token` (as `Bearer` or `token`).
    pub async fn start(owner: &str, repo: &str, token: &str) -> GithubDouble {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State {
            port: addr.port(),
            owner: owner.into(),
            repo: repo.into(),
            token: token.into(),
            next_id: 1000,
            ..Default::default()
        }));
        let app = axum::Router::new()
            .fallback(routes::handle)
            .with_state(state.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.ok();
        });
        GithubDouble { addr, state }
    }

    fn st(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
    /// REST root to put in `platforms.github.api_url`.
    pub fn api_url(&self) -> String {
        format!("http://{}", self.addr)
    }
    /// Answers the next `n` requests with `status` (before auth and routing).
    pub fn fail_next(&self, n: u32, status: u16) {
        let mut s = self.st();
        s.fail_next = n;
        s.fail_status = status;
        s.fail_only = None;
    }
    /// Like `fail_next`, for requests whose method + path (with query) contain `needle`,
    /// e.g. `"POST /uploads/"`.
    pub fn fail_next_matching(&self, n: u32, status: u16, needle: &str) {
        let mut s = self.st();
        s.fail_next = n;
        s.fail_status = status;
        s.fail_only = Some(needle.into());
    }
    /// Answers every request with `status` until `clear_faults`.
    pub fn fail_always(&self, status: u16) {
        self.st().fail_always = Some(status);
    }
    pub fn clear_faults(&self) {
        let mut s = self.st();
        s.fail_next = 0;
        s.fail_always = None;
        s.rate_limit_next = 0;
    }
    /// Answers the next `n` requests with GitHub's secondary rate limit (403, retry-after: 1).
    pub fn rate_limit_next(&self, n: u32) {
        self.st().rate_limit_next = n;
    }
    /// Published releases refuse uploads and deletions, as with immutable releases on.
    pub fn set_immutable(&self, on: bool) {
        self.st().immutable = on;
    }
    /// The next `POST /releases` finds a published release for its tag created "meanwhile".
    pub fn race_create_next(&self) {
        self.st().race_create = true;
    }
    /// From now on, API requests wait for `GET /__ping/start` and `GET /__ping/wait` waits for
    /// an API request after it, each for at most `timeout` (see `meet.rs`): proves from the log
    /// whether an outside process ran at the same time as the API calls.
    pub fn meet_pings(&self, timeout: std::time::Duration) {
        self.st().meet = Some(meet::Meet::new(timeout));
    }
    /// The listener's port, for a shell command's `/dev/tcp` ping.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }
    /// Adds a release directly (no request logged); returns its id.
    pub fn add_release(&self, tag: &str, draft: bool) -> u64 {
        let mut s = self.st();
        s.insert_release(tag, draft)
    }
    /// Adds an asset to the newest release with `tag` (drafts included).
    pub fn add_asset(&self, tag: &str, name: &str, data: &[u8], state: &str) {
        let mut s = self.st();
        let id = s.bump();
        let rel = s.rel_by_tag_mut(tag).expect("no release with that tag");
        rel.assets.push(Asset {
            id,
            name: name.into(),
            label: None,
            state: state.into(),
            content_type: "application/octet-stream".into(),
            data: data.to_vec(),
        });
    }
    /// Deletes an asset behind the adapter's back.
    pub fn remove_asset(&self, tag: &str, name: &str) {
        let mut s = self.st();
        let rel = s.rel_by_tag_mut(tag).expect("no release with that tag");
        rel.assets.retain(|a| a.name != name);
    }
    /// The newest release with `tag` as GitHub would render it (with `assets`).
    pub fn release(&self, tag: &str) -> Option<Value> {
        let s = self.st();
        let rel = s.releases.iter().rev().find(|r| r.tag_name == tag)?;
        Some(s.rel_json(rel))
    }
    /// How many releases exist (drafts included).
    pub fn release_count(&self) -> usize {
        self.st().releases.len()
    }
    /// The stored bytes of an asset.
    pub fn asset_bytes(&self, tag: &str, name: &str) -> Option<Vec<u8>> {
        let s = self.st();
        let rel = s.releases.iter().rev().find(|r| r.tag_name == tag)?;
        rel.assets
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.data.clone())
    }
    /// Every request received: (method, path with query).
    pub fn requests(&self) -> Vec<(String, String)> {
        self.st().log.clone()
    }
    /// Requests received that were not GET/HEAD.
    pub fn mutating_count(&self) -> usize {
        self.st()
            .log
            .iter()
            .filter(|(m, _)| m != "GET" && m != "HEAD")
            .count()
    }
    pub fn clear_log(&self) {
        self.st().log.clear();
    }
}

impl State {
    fn bump(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
    fn insert_release(&mut self, tag: &str, draft: bool) -> u64 {
        let id = self.bump();
        self.releases.push(Rel {
            id,
            tag_name: tag.into(),
            name: tag.into(),
            body: String::new(),
            draft,
            prerelease: false,
            target_commitish: "main".into(),
            assets: Vec::new(),
        });
        id
    }
    fn rel_by_tag_mut(&mut self, tag: &str) -> Option<&mut Rel> {
        self.releases.iter_mut().rev().find(|r| r.tag_name == tag)
    }
    fn rel_mut(&mut self, id: &str) -> Option<&mut Rel> {
        let id: u64 = id.parse().ok()?;
        self.releases.iter_mut().find(|r| r.id == id)
    }
    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
    fn frozen(&self, r: &Rel) -> bool {
        self.immutable && !r.draft
    }
    fn rel_json(&self, r: &Rel) -> Value {
        let (o, p, b) = (&self.owner, &self.repo, self.base());
        let page = if r.draft {
            format!("untagged-{}", r.id)
        } else {
            r.tag_name.clone()
        };
        let assets: Vec<Value> = r.assets.iter().map(|a| self.asset_json(r, a)).collect();
        json!({
            "id": r.id, "tag_name": r.tag_name, "name": r.name, "body": r.body,
            "draft": r.draft, "prerelease": r.prerelease, "target_commitish": r.target_commitish,
            "immutable": self.frozen(r),
            "url": format!("{b}/repos/{o}/{p}/releases/{}", r.id),
            "html_url": format!("{b}/{o}/{p}/releases/tag/{page}"),
            "upload_url": format!("{b}/uploads/repos/{o}/{p}/releases/{}/assets{{?name,label}}", r.id),
            "assets": assets,
        })
    }
    fn asset_json(&self, r: &Rel, a: &Asset) -> Value {
        let (o, p, b) = (&self.owner, &self.repo, self.base());
        json!({
            "id": a.id, "name": a.name, "label": a.label, "state": a.state,
            "size": a.data.len(), "content_type": a.content_type,
            "digest": format!("sha256:{}", hex::encode(Sha256::digest(&a.data))),
            "browser_download_url": format!("{b}/{o}/{p}/releases/download/{}/{}", r.tag_name, a.name),
        })
    }

    /// Injected faults, in priority order.
    fn fault(&mut self, line: &str) -> Option<Response> {
        if self.rate_limit_next > 0 {
            self.rate_limit_next -= 1;
            let body = json!({"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.", "documentation_url": DOCS});
            let mut r = gh(403, body);
            r.headers_mut().insert("retry-after", "1".parse().unwrap());
            r.headers_mut()
                .insert("x-ratelimit-remaining", "0".parse().unwrap());
            return Some(r);
        }
        let selected = self.fail_only.as_deref().map_or(true, |n| line.contains(n));
        if self.fail_next > 0 && selected {
            self.fail_next -= 1;
            return Some(gh(self.fail_status, json!({"message": "injected failure"})));
        }
        self.fail_always
            .map(|s| gh(s, json!({"message": "injected failure"})))
    }

    fn authorized(&self, headers: &HeaderMap) -> bool {
        let got = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        got == format!("Bearer {}", self.token) || got == format!("token {}", self.token)
    }
}
