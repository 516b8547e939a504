//! A stateful double of npmjs with staged publishing, on 127.0.0.1. verdaccio 6 has no
//! staging (7.x has it behind a flag and needs a newer Node), so this follows npm's protocol
//! as platforms/npm/README.md ("Staged publishing") records it, with its sources:
//! `POST /-/stage/package/{name}` takes the publish document and answers `201 {"ok": true,
//! "stageId": uuid}`; `GET /-/stage?page&perPage` lists `{items, total}`; `GET /-/stage/{id}`;
//! `POST /-/stage/{id}/approve` (2FA: `npm-otp`) makes the version live; `DELETE
//! /-/stage/{id}` rejects it. Staged and published versions share one version index, so
//! staging either again is refused. Errors: no 2FA on the account (403), no publish access
//! (403), a published version (403 "cannot publish over"), a staged one (409), and a new
//! package: 404 as npm's CLI docs say ("package must exist"), or, as docs.npmjs.com says
//! now, a public `0.0.0-stage` placeholder (`Knobs::refuse_new`). Plus what the adapter
//! reads around it: whoami, per-version documents and (abbreviated) packuments.

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

/// What the double refuses.
#[derive(Clone, Debug, Default)]
pub struct Knobs {
    /// The account has no 2FA: staging is refused (403).
    pub no_2fa: bool,
    /// Packages the token may not publish (403).
    pub denied: BTreeSet<String>,
    /// A package that does not exist yet cannot be staged (404), as npm's CLI docs say;
    /// otherwise a public `0.0.0-stage` placeholder is published, as docs.npmjs.com says.
    pub refuse_new: bool,
}

#[derive(Default)]
struct State {
    /// name → version → the version's manifest (with `dist`).
    versions: BTreeMap<String, BTreeMap<String, Value>>,
    tags: BTreeMap<String, BTreeMap<String, String>>,
    /// id → (item as listed, the version's manifest).
    staged: BTreeMap<String, (Value, Value)>,
    knobs: Knobs,
    log: Vec<String>,
    next: u64,
}

/// The double.
#[derive(Clone)]
pub struct Stager {
    st: Arc<Mutex<State>>,
    pub url: String,
}

type Answer = (StatusCode, Value);

fn err(code: u16, msg: &str) -> Answer {
    (StatusCode::from_u16(code).unwrap(), json!({ "error": msg }))
}

impl Stager {
    pub async fn start(knobs: Knobs) -> Stager {
        let st = Arc::new(Mutex::new(State {
            knobs,
            ..State::default()
        }));
        let s2 = st.clone();
        let app = axum::Router::new().fallback(move |m: Method, u: Uri, h: HeaderMap, b: Bytes| {
            let st = s2.clone();
            async move {
                let (code, body) = answer(&mut st.lock().unwrap(), &m, &u, &h, &b);
                let mut r = axum::response::Response::new(axum::body::Body::from(body.to_string()));
                *r.status_mut() = code;
                r.headers_mut()
                    .insert("content-type", "application/json".parse().unwrap());
                if code == StatusCode::UNAUTHORIZED {
                    r.headers_mut()
                        .insert("www-authenticate", "OTP".parse().unwrap());
                }
                r
            }
        });
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", l.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        Stager { st, url }
    }

    /// `METHOD path` of every request, in order.
    pub fn log(&self) -> Vec<String> {
        self.st.lock().unwrap().log.clone()
    }
    /// Requests that change something (anything but GET/HEAD).
    pub fn mutations(&self) -> Vec<String> {
        let reads = |k: &&String| k.starts_with("GET ") || k.starts_with("HEAD ");
        self.log().into_iter().filter(|k| !reads(&k)).collect()
    }
    /// The staged items, as `GET /-/stage` lists them.
    pub fn staged(&self) -> Vec<Value> {
        let st = self.st.lock().unwrap();
        st.staged.values().map(|(item, _)| item.clone()).collect()
    }
    /// Versions live for `name`.
    pub fn live(&self, name: &str) -> Vec<String> {
        let st = self.st.lock().unwrap();
        st.versions
            .get(name)
            .map(|v| v.keys().cloned().collect())
            .unwrap_or_default()
    }
    /// A maintainer approves every staged version (with 2FA), as `npm stage approve` does:
    /// through the double's own endpoint.
    pub async fn approve_all(&self) {
        for item in self.staged() {
            let url = format!(
                "{}-/stage/{}/approve",
                self.url,
                item["id"].as_str().unwrap()
            );
            let resp = reqwest::Client::new()
                .post(&url)
                .header("authorization", "Bearer maintainer")
                .header("npm-otp", "123456")
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status().as_u16(), 200, "{url}");
        }
    }
}

fn answer(st: &mut State, m: &Method, u: &Uri, h: &HeaderMap, b: &Bytes) -> Answer {
    let path = u.path().to_string();
    st.log.push(format!("{m} {path}"));
    let authed = h.contains_key("authorization");
    let seg: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .map(|s| s.replace("%2f", "/").replace("%2F", "/"))
        .collect();
    let seg: Vec<&str> = seg.iter().map(String::as_str).collect();
    match (m.as_str(), seg.as_slice()) {
        ("GET", ["-", "whoami"]) if authed => (StatusCode::OK, json!({"username": "ci"})),
        ("GET", ["-", "whoami"]) => err(401, "Unauthorized"),
        ("GET", ["-", "stage"]) if authed => list(st),
        ("GET", ["-", "stage", id]) if authed => match st.staged.get(*id) {
            Some((item, _)) => (StatusCode::OK, item.clone()),
            None => err(404, "Not found"),
        },
        ("POST", ["-", "stage", "package", name]) if authed => stage(st, name, b),
        ("POST", ["-", "stage", id, "approve"]) if h.contains_key("npm-otp") => approve(st, id),
        ("POST", ["-", "stage", _, "approve"]) => {
            err(401, "This operation requires a one-time password")
        }
        ("DELETE", ["-", "stage", id]) if h.contains_key("npm-otp") => {
            match st.staged.remove(*id) {
                Some(_) => (StatusCode::NO_CONTENT, Value::Null),
                None => err(404, "Not found"),
            }
        }
        (_, ["-", ..]) => err(401, "Unauthorized"),
        ("GET", [name, version]) => match st.versions.get(*name).and_then(|v| v.get(*version)) {
            Some(doc) => (StatusCode::OK, doc.clone()),
            None => err(404, "Not found"),
        },
        ("GET", [name]) => match st.versions.get(*name) {
            Some(v) => (
                StatusCode::OK,
                json!({"name": name, "dist-tags": st.tags.get(*name), "versions": v}),
            ),
            None => err(404, "Not found"),
        },
        _ => err(405, "Method not allowed"),
    }
}

fn list(st: &State) -> Answer {
    let items: Vec<Value> = st.staged.values().map(|(i, _)| i.clone()).collect();
    let total = items.len();
    (StatusCode::OK, json!({"items": items, "total": total}))
}

/// `POST /-/stage/package/{name}`: npm's refusals first, then a new stage id.
fn stage(st: &mut State, name: &str, b: &Bytes) -> Answer {
    let Ok(doc) = serde_json::from_slice::<Value>(b) else {
        return err(400, "Invalid JSON");
    };
    let Some((version, manifest)) = doc["versions"]
        .as_object()
        .and_then(|v| v.iter().next())
        .map(|(k, v)| (k.clone(), v.clone()))
    else {
        return err(400, "No version in the publish document");
    };
    if let Some(refused) = refusal(st, name, &version) {
        return refused;
    }
    let exists = st.versions.contains_key(name);
    if !exists {
        let placeholder = json!({"name": name, "version": "0.0.0-stage"});
        st.versions
            .entry(name.into())
            .or_default()
            .insert("0.0.0-stage".into(), placeholder);
        st.tags
            .entry(name.into())
            .or_default()
            .insert("latest".into(), "0.0.0-stage".into());
    }
    st.next += 1;
    let id = format!("{:08x}-5a6e-4000-8000-{:012x}", st.next, st.next);
    let tag = doc["dist-tags"]
        .as_object()
        .and_then(|t| t.keys().next().cloned());
    let item = json!({"id": id, "packageName": name, "version": version, "tag": tag,
        "createdAt": "2026-11-29T09:00:00.000Z", "actor": "ci", "actorType": "user",
        "shasum": manifest["dist"]["shasum"]});
    st.staged.insert(id.clone(), (item, manifest));
    (StatusCode::CREATED, json!({"ok": true, "stageId": id}))
}

/// What npm refuses to stage: no 2FA, no access, a new package (`refuse_new`), a version
/// already published or already staged.
fn refusal(st: &State, name: &str, version: &str) -> Option<Answer> {
    let published = st.versions.get(name);
    let staged =
        (st.staged.values()).any(|(i, _)| i["packageName"] == name && i["version"] == version);
    Some(if st.knobs.no_2fa {
        err(403, "Staged publishing requires two-factor authentication (2FA) to be enabled on your account")
    } else if st.knobs.denied.contains(name) {
        let msg = format!("You do not have permission to publish \"{name}\". Are you logged in as the correct user?");
        err(403, &msg)
    } else if published.is_none() && st.knobs.refuse_new {
        err(
            404,
            &format!("Not found - '{name}' is not in this registry"),
        )
    } else if published.is_some_and(|v| v.contains_key(version)) {
        let msg = format!("You cannot publish over the previously published versions: {version}.");
        err(403, &msg)
    } else if staged {
        err(
            409,
            &format!("Cannot stage {name}@{version}: this version is already staged"),
        )
    } else {
        return None;
    })
}

/// `POST /-/stage/{id}/approve`: the version goes live under its tag.
fn approve(st: &mut State, id: &str) -> Answer {
    let Some((item, manifest)) = st.staged.remove(id) else {
        return err(404, "Not found");
    };
    let name = item["packageName"].as_str().unwrap().to_string();
    let version = item["version"].as_str().unwrap().to_string();
    let tag = item["tag"].as_str().unwrap_or("latest").to_string();
    st.versions
        .entry(name.clone())
        .or_default()
        .insert(version.clone(), manifest);
    st.tags.entry(name).or_default().insert(tag, version);
    (StatusCode::OK, json!({"ok": true}))
}
