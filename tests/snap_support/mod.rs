//! An in-process, stateful double of the Snap Store (hosted only), answering as the store's
//! publisher API does (../shared/PROTOCOLS.md §9; snapcraft `store/client.py` and craft-store
//! read as references), never kinder:
//! - storage: `POST /storage/unscanned-upload/` (multipart field `binary`) → `upload_id`;
//! - `POST /dev/api/snap-push/` → 202 with `status_details_url`; the upload is read like the
//!   store does, from its `meta/snap.yaml` (with the real `unsquashfs`), and processed over two
//!   polls (`being_processed`, then the outcome): `ready_to_release`, `need_manual_review`, a
//!   rejection with the review's message, or the `binary_sha3_384` error for a re-upload of
//!   identical bytes;
//! - `POST /dev/api/snap-release/` (refused for a revision in review or rejected),
//!   `POST /dev/api/snaps/{id}/close`, `GET /api/v2/snaps/{name}/releases`, `GET /dev/api/account`;
//! - the public `GET /v2/snaps/info/{name}` (api.snapcraft.io) without credentials, with
//!   `Snap-Device-Series: 16`: the channel map (channel, revision, version, download sha3-384);
//! - every publisher call needs the bound macaroon header (`creds.rs`); after `expire()` it
//!   answers 401 as the store does for an expired discharge.
#![allow(dead_code)]

pub mod creds;
pub mod project;
mod routes;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// What the store's review does with the next push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Review {
    /// Automated review passes: `ready_to_release`.
    Pass,
    /// `need_manual_review`: the revision waits for a person (`approve`).
    Manual,
    /// Rejected with this message.
    Reject(String),
}

#[derive(Debug, Clone)]
pub struct Rev {
    pub revision: u64,
    pub version: String,
    pub arch: String,
    pub sha3: String,
    pub size: u64,
    /// `Unpublished`, `Published`, `NeedsReview`, `Rejected`.
    pub status: String,
    pub file: String,
    pub bytes: Vec<u8>,
}

/// One line of the release history; `revision: None` closed the channel.
#[derive(Debug, Clone)]
pub struct Line {
    pub arch: String,
    pub channel: String,
    pub revision: Option<u64>,
}

#[derive(Debug, Clone)]
struct Upload {
    file: String,
    bytes: Vec<u8>,
}

#[derive(Debug, Clone)]
struct Status {
    polls: u32,
    code: String,
    revision: Option<u64>,
    errors: Vec<String>,
}

#[derive(Default)]
pub struct State {
    pub name: String,
    pub snap_id: String,
    header: String,
    unbound: String,
    expired: bool,
    next_review: Vec<Review>,
    uploads: BTreeMap<String, Upload>,
    statuses: BTreeMap<String, Status>,
    pub revisions: Vec<Rev>,
    /// Newest first.
    pub history: Vec<Line>,
    pub log: Vec<(String, String)>,
    /// The base URL clients see (the fault proxy's, when one is in front).
    public: String,
}

/// The running double.
pub struct StoreDouble {
    pub addr: SocketAddr,
    pub login: creds::Login,
    state: Arc<Mutex<State>>,
}

impl StoreDouble {
    /// Serves snap `name` for one exported login on 127.0.0.1:0 (call inside a tokio runtime).
    pub async fn start(name: &str) -> StoreDouble {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let login = creds::issue(&format!("{name}-{}", addr.port()));
        let state = Arc::new(Mutex::new(State {
            name: name.into(),
            snap_id: format!("{name}-snap-id-0001"),
            header: login.header.clone(),
            unbound: login.unbound_header.clone(),
            public: format!("http://{addr}"),
            ..State::default()
        }));
        let app = axum::Router::new()
            .fallback(routes::handle)
            .with_state(state.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.ok();
        });
        StoreDouble { addr, login, state }
    }

    /// `http://127.0.0.1:PORT/` (the dashboard API; storage is under `storage/`).
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
    /// Status URLs are built on this base (the fault proxy's URL, when one is in front).
    pub fn set_public(&self, base: &str) {
        self.state.lock().unwrap().public = base.trim_end_matches('/').to_string();
    }
    pub fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap())
    }
    /// The next pushes get these reviews, in order; then `Pass`.
    pub fn review(&self, r: Review) {
        self.with(|s| s.next_review.push(r));
    }
    /// From now on every publisher call is 401 (the exported login expired).
    pub fn expire(&self) {
        self.with(|s| s.expired = true);
    }
    /// A person approved revision `n` after manual review.
    pub fn approve(&self, n: u64) {
        self.with(|s| {
            for r in s.revisions.iter_mut().filter(|r| r.revision == n) {
                r.status = "Unpublished".into();
            }
        });
    }
    /// Every request, as `(METHOD, path)`.
    pub fn requests(&self) -> Vec<(String, String)> {
        self.with(|s| s.log.clone())
    }
    pub fn mutations(&self) -> Vec<String> {
        self.requests()
            .into_iter()
            .filter(|(m, _)| m != "GET" && m != "HEAD")
            .map(|(m, p)| format!("{m} {p}"))
            .collect()
    }
    /// What `channel` holds for `arch` now.
    pub fn current(&self, channel: &str, arch: &str) -> Option<Rev> {
        self.with(|s| {
            let line = s
                .history
                .iter()
                .find(|l| l.channel == channel && l.arch == arch)?;
            let n = line.revision?;
            s.revisions.iter().find(|r| r.revision == n).cloned()
        })
    }
    /// What a client installs of `version`: `<file>` for every revision of it, and
    /// `<file>#<channel>` for every channel that holds it, with the sha3-384.
    pub fn files_of(&self, version: &str) -> BTreeMap<String, String> {
        let (revs, lines) = self.with(|s| (s.revisions.clone(), s.history.clone()));
        let mut out = BTreeMap::new();
        let mut seen = Vec::new();
        for l in &lines {
            if seen.contains(&(l.channel.clone(), l.arch.clone())) {
                continue;
            }
            seen.push((l.channel.clone(), l.arch.clone()));
            let Some(r) = l
                .revision
                .and_then(|n| revs.iter().find(|r| r.revision == n))
            else {
                continue;
            };
            if r.version == version {
                out.insert(format!("{}#{}", r.file, l.channel), r.sha3.clone());
            }
        }
        for r in revs.iter().filter(|r| r.version == version) {
            out.insert(r.file.clone(), r.sha3.clone());
        }
        out
    }
    /// Takes `arch`'s revision out of `channel` behind tagship's back (as a publisher on the
    /// dashboard would, releasing nothing there): returns the report's step name.
    pub fn unrelease(&self, channel: &str, arch: &str) -> String {
        let rev = self
            .current(channel, arch)
            .expect("the channel holds a revision");
        self.with(|s| {
            s.history.insert(
                0,
                Line {
                    arch: arch.into(),
                    channel: channel.into(),
                    revision: None,
                },
            )
        });
        format!("{}#{channel}", rev.file)
    }
}
