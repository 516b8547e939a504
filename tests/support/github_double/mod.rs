//! An in-process, stateful GitHub Releases API double (axum on 127.0.0.1:0) for adapter tests.
//!
//! It serves one repository with the endpoints tagship uses, answering like GitHub does
//! (REST description 2022-11-28 and the docs), never kinder:
//! - drafts are invisible to `GET /releases/tags/{tag}` and to callers without a token; a
//!   draft's pages and asset links live under `untagged-<hex>` until it is published;
//! - releases are listed drafts first, newest first; listings paginate with `Link` and stop
//!   at 1,000 results (a page beyond answers 422);
//! - a public repository answers reads without a token, a private one answers 404;
//! - path segments are percent-decoded (`release%2Fv1` is the tag `release/v1`); asset names
//!   are rewritten as GitHub stores them; a duplicate name is a 422 `already_exists`;
//! - published immutable releases refuse uploads; a release whose target commit changes
//!   `.github/workflows/` needs a token with the workflow scope (else 404 or 403).
//!
//! Uploads live under `/uploads/...` on the same listener and are reachable only through the
//! `upload_url` template. Tests inject faults (including secondary rate limits and uploads
//! that fail leaving an unfinished asset), read the request log, and read every JSON answer
//! (`served`) to check it against the vendored schemas.
#![allow(dead_code)]

mod git;
pub mod harness;
mod meet;
mod pulls;
mod render;
mod routes;

use axum::http::HeaderMap;
use render::EPOCH;
use routes::Reply;
use serde_json::{json, Value};
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
    created: u64,
    published: Option<u64>,
}

#[derive(Clone)]
struct Asset {
    id: u64,
    name: String,
    label: Option<String>,
    state: String,
    content_type: String,
    data: Vec<u8>,
    created: u64,
}

/// One JSON answer, for the schema checks: the operation (REST description `operationId`),
/// the status and the body.
#[derive(Clone, Debug)]
pub struct Served {
    pub op: &'static str,
    pub status: u16,
    pub body: Value,
}

/// Who is calling, judged from `Authorization`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Caller {
    /// The configured token: push access, sees drafts.
    Owner,
    /// No token at all.
    Anonymous,
    /// A token GitHub does not know: 401 "Bad credentials", even on a public repository.
    Bad,
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
    secondary_next: u32,
    secondary_status: u16,
    immutable: bool,
    race_create: bool,
    private: bool,
    workflow_commits: Vec<String>,
    workflow_denial: Option<u16>,
    starter_uploads: u32,
    clock: u64,
    meet: Option<meet::Meet>,
    log: Vec<(String, String)>,
    served: Vec<Served>,
    /// Other repositories, forks and pull requests (the WinGet flow: git.rs, pulls.rs).
    hub: git::Hub,
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
            clock: EPOCH,
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
        s.secondary_next = 0;
        s.starter_uploads = 0;
    }
    /// Answers the next `n` requests with a rate limit that names its wait (403 with
    /// `retry-after: 1` and `x-ratelimit-remaining: 0`).
    pub fn rate_limit_next(&self, n: u32) {
        self.st().rate_limit_next = n;
    }
    /// Answers the next `n` requests with GitHub's secondary rate limit as it often comes:
    /// `status` (403 or 429), the documented message, and neither `retry-after` nor
    /// `x-ratelimit-remaining`.
    pub fn secondary_limit_next(&self, n: u32, status: u16) {
        let mut s = self.st();
        s.secondary_next = n;
        s.secondary_status = status;
    }
    /// A private repository: tokenless requests get 404, as if it did not exist.
    pub fn set_private(&self, on: bool) {
        self.st().private = on;
    }
    /// The commit `sha` changes files under `.github/workflows/`.
    pub fn workflow_change_at(&self, sha: &str) {
        self.st().workflow_commits.push(sha.into());
    }
    /// The token lacks the workflow scope: creating or publishing a release whose target
    /// commit changes workflows answers `status` (404 for tokens, 403 "Resource not accessible
    /// by integration" for GitHub App / Actions tokens).
    pub fn deny_workflow_changes(&self, status: u16) {
        self.st().workflow_denial = Some(status);
    }
    /// The next `n` uploads fail with 502 after storing part of the file: an unfinished
    /// (`state: "open"`) asset keeps the name, as a broken upload does on GitHub.
    pub fn fail_uploads_leaving_starter(&self, n: u32) {
        self.st().starter_uploads = n;
    }
    /// Adds `n` releases tagged `{prefix}{i}` (no request logged).
    pub fn add_releases(&self, prefix: &str, n: usize, draft: bool) {
        let mut s = self.st();
        for i in 0..n {
            s.insert_release(&format!("{prefix}{i}"), draft);
        }
    }
    /// Every JSON answer given so far (faults with 5xx excluded).
    pub fn served(&self) -> Vec<Served> {
        self.st().served.clone()
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
        let now = s.clock;
        let rel = s.rel_by_tag_mut(tag).expect("no release with that tag");
        rel.assets.push(Asset {
            id,
            name: name.into(),
            label: None,
            state: state.into(),
            content_type: "application/octet-stream".into(),
            data: data.to_vec(),
            created: now,
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
        self.clock += 1;
        self.next_id
    }
    fn insert_release(&mut self, tag: &str, draft: bool) -> u64 {
        let id = self.bump();
        let now = self.clock;
        self.releases.push(Rel {
            id,
            tag_name: tag.into(),
            name: tag.into(),
            body: String::new(),
            draft,
            prerelease: false,
            target_commitish: "main".into(),
            assets: Vec::new(),
            created: now,
            published: (!draft).then_some(now),
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
    fn frozen(&self, r: &Rel) -> bool {
        self.immutable && !r.draft
    }

    /// Injected faults, in priority order.
    fn fault(&mut self, line: &str) -> Option<Reply> {
        if self.rate_limit_next > 0 {
            self.rate_limit_next -= 1;
            let body = json!({"message": "API rate limit exceeded for user ID 1.", "documentation_url": DOCS});
            return Some(
                Reply::new(403, "*", body)
                    .header("retry-after", "1")
                    .header("x-ratelimit-remaining", "0"),
            );
        }
        if self.secondary_next > 0 {
            self.secondary_next -= 1;
            let body = json!({"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0AB1:2C3D:4E5F60:7A8B9C:6789ABCD.", "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"});
            return Some(Reply::new(self.secondary_status, "*", body));
        }
        let selected = self.fail_only.as_deref().map_or(true, |n| line.contains(n));
        if self.fail_next > 0 && selected {
            self.fail_next -= 1;
            return Some(Reply::new(
                self.fail_status,
                "*",
                json!({"message": "injected failure"}),
            ));
        }
        self.fail_always
            .map(|s| Reply::new(s, "*", json!({"message": "injected failure"})))
    }

    fn caller(&self, headers: &HeaderMap) -> Caller {
        let Some(got) = headers.get("authorization") else {
            return Caller::Anonymous;
        };
        let got = got.to_str().unwrap_or("");
        if got == format!("Bearer {}", self.token) || got == format!("token {}", self.token) {
            Caller::Owner
        } else {
            Caller::Bad
        }
    }
}
