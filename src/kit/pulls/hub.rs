//! The GitHub REST client the pull-request flows use, each call one request through the
//! shared HTTP layer. GitHub's error answers are mapped by the github adapter's `Api::fail`,
//! so hints name the token variable the same way.

use crate::error::Result;
use crate::http::{Auth, Http, Request, Response};
use crate::platforms::github::api::{self as gh, Api, ACCEPT, API_VERSION};
use serde_json::Value;

/// A client for the GitHub API as the pull-request flows use it.
#[derive(Clone)]
pub struct Hub {
    http: Http,
    base: String,
    auth: Option<Auth>,
    token_env: String,
}

impl Hub {
    pub fn new(http: Http, base: &str, auth: Option<Auth>, token_env: &str) -> Hub {
        Hub {
            http,
            base: base.trim_end_matches('/').to_string(),
            auth,
            token_env: token_env.into(),
        }
    }

    /// `{base}{path}`, `path` starting with `/`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn prepare(&self, req: Request) -> Request {
        let req = req
            .header("accept", ACCEPT)
            .header("x-github-api-version", API_VERSION);
        match &self.auth {
            Some(a) => req.auth(a.clone()),
            None => req,
        }
    }

    /// Maps an unexpected answer about `repo` (`owner/name`) to an error with a hint.
    pub fn fail(&self, resp: &Response, repo: &str, what: &str) -> crate::error::Error {
        let (o, r) = repo.split_once('/').unwrap_or((repo, ""));
        Api::new(self.http.clone(), &self.base, o, r)
            .auth(self.auth.clone())
            .token_env(&self.token_env)
            .fail(resp, what)
    }

    /// `GET path`: the JSON, or `None` on 404.
    pub async fn get(&self, path: &str, repo: &str, what: &str) -> Result<Option<Value>> {
        let resp = self
            .http
            .send(self.prepare(Request::get(&self.url(path))?))
            .await?;
        match resp.status.as_u16() {
            404 => Ok(None),
            _ if resp.ok() => resp.json().map(Some),
            _ => Err(self.fail(&resp, repo, what)),
        }
    }

    /// A write (`POST`/`PATCH`) with a JSON body; `predicted` is what a dry run pretends
    /// GitHub answered. Non-2xx answers are returned for the caller to judge.
    pub async fn write(&self, req: Request, body: &Value, predicted: Value) -> Result<Response> {
        let req = self.prepare(req.json(body).predict(predicted));
        self.http.send(req).await
    }

    pub fn post(&self, path: &str) -> Result<Request> {
        Request::post(&self.url(path))
    }

    pub fn patch(&self, path: &str) -> Result<Request> {
        Request::patch(&self.url(path))
    }
}

/// GitHub's `message`, or the first `errors[].message` of a 422.
pub fn messages(resp: &Response) -> String {
    let v: Value = serde_json::from_slice(&resp.body).unwrap_or(Value::Null);
    let mut out = vec![v["message"].as_str().unwrap_or("").to_string()];
    for e in v["errors"].as_array().into_iter().flatten() {
        if let Some(m) = e["message"].as_str() {
            out.push(m.to_string());
        }
    }
    out.join("; ")
}

/// The text of a file as the contents API returns it (`content`, base64 with line breaks);
/// empty when there is none.
pub fn file_text(v: Option<&Value>) -> String {
    use base64::Engine;
    let b64: String = v
        .and_then(|v| v["content"].as_str())
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Percent-encodes one path segment or query value.
pub fn encode(s: &str) -> String {
    gh::encode(s)
}

/// The git blob id of `data` (what `POST git/blobs` answers), computed locally.
pub fn blob_sha(data: &[u8]) -> String {
    use sha1::{Digest, Sha1};
    let mut h = Sha1::new();
    h.update(format!("blob {}\0", data.len()).as_bytes());
    h.update(data);
    hex::encode(h.finalize())
}
