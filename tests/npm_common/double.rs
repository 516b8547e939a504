//! A scripted npm registry double on 127.0.0.1 for answers verdaccio cannot give (npmjs's
//! refusal bodies, a CDN serving a stale packument). Answers are queued per `METHOD path`
//! (the raw path, so `@acme%2fdemo` stays escaped); the last answer of a queue repeats. Every
//! request is recorded with its headers and body.

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

/// One recorded request.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Seen {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// Extra headers of a route's answers: `(name, value)`.
pub type Headers = Vec<(String, String)>;

/// A scripted answer: status and body (JSON content type).
pub type Answer = (u16, String);

/// The double: routes → answer queues, and the log.
#[derive(Clone, Default)]
pub struct Routed {
    routes: Arc<Mutex<BTreeMap<String, VecDeque<Answer>>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
    /// Extra response headers per `METHOD path` (e.g. `Retry-After`).
    headers: Arc<Mutex<BTreeMap<String, Headers>>>,
    pub url: String,
}

impl Routed {
    /// Starts the double; `routes` are `("PUT /name", [answers…])`.
    pub async fn start(routes: Vec<(&str, Vec<Answer>)>) -> Routed {
        let mut d = Routed::default();
        let map = routes
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.into()))
            .collect();
        d.routes = Arc::new(Mutex::new(map));
        let st = d.clone();
        let app = axum::Router::new().fallback(move |m: Method, u: Uri, h: HeaderMap, b: Bytes| {
            let st = st.clone();
            async move { st.answer(m, u, h, b) }
        });
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        d.url = format!("http://{}/", l.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
        d
    }

    fn answer(&self, m: Method, u: Uri, h: HeaderMap, b: Bytes) -> axum::response::Response {
        let seen = Seen {
            method: m.to_string(),
            path: u.path().to_string(),
            headers: h,
            body: b,
        };
        let key = seen.key();
        self.seen.lock().unwrap().push(seen);
        let (code, body) = {
            let mut routes = self.routes.lock().unwrap();
            match routes.get_mut(&key) {
                Some(q) if q.len() > 1 => q.pop_front().unwrap(),
                Some(q) if !q.is_empty() => q[0].clone(),
                _ => (418, format!("unscripted request {key}")),
            }
        };
        let mut resp = axum::response::Response::new(axum::body::Body::from(body));
        *resp.status_mut() = StatusCode::from_u16(code).unwrap();
        resp.headers_mut()
            .insert("content-type", "application/json".parse().unwrap());
        for (k, v) in self.headers.lock().unwrap().get(&key).into_iter().flatten() {
            let name = axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap();
            resp.headers_mut().insert(name, v.parse().unwrap());
        }
        resp
    }

    /// Every answer to `key` (`METHOD path`) carries header `name: value`.
    pub fn header(&self, key: &str, name: &str, value: &str) {
        let mut h = self.headers.lock().unwrap();
        h.entry(key.to_string())
            .or_default()
            .push((name.to_string(), value.to_string()));
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// `METHOD path` of every request, in order.
    pub fn keys(&self) -> Vec<String> {
        self.seen().iter().map(Seen::key).collect()
    }
}

/// `{"error": msg}`, the shape of npmjs's refusal bodies.
pub fn npm_error(msg: &str) -> String {
    serde_json::json!({ "error": msg }).to_string()
}
