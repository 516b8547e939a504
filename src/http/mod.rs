//! The only network path for platform adapters. It owns, once for every platform:
//! timeouts, retry with backoff + jitter (connect errors, resets, 5xx, 429, honouring
//! `Retry-After`), the rule that a non-idempotent request whose outcome is unknown is not
//! retried blindly (it fails with `OutcomeUnknown` and the engine re-checks live state),
//! the dry-run guard (mutating requests are recorded in the ledger, not sent), redaction,
//! and the User-Agent. Adapters build a [`Request`], call [`Http::send`], and read the
//! [`Response`]; they never see the dry-run flag.

mod body;
mod response;
mod retry;

pub use body::{Body, Part};
pub use response::Response;
pub use retry::RetryPolicy;

use crate::error::{Error, ErrorKind, Result};
use crate::guard::{Ledger, Withheld};
use crate::redact::{self, Secret};
use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use std::time::Duration;

/// How a request authenticates. The secret goes on the wire only inside `send`.
#[derive(Clone, Debug)]
pub enum Auth {
    Bearer(Secret),
    Basic(String, Secret),
    /// `Authorization: <token>` with no scheme (crates.io).
    Raw(Secret),
    /// A custom header carrying a secret (e.g. `X-NuGet-ApiKey`).
    Header(&'static str, Secret),
}

/// A request recipe. It can be sent several times (retries), so bodies are re-openable.
pub struct Request {
    pub method: Method,
    pub url: url::Url,
    headers: Vec<(HeaderName, String)>,
    auth: Vec<Auth>,
    body: Body,
    idempotent: Option<bool>,
    predicted: Option<serde_json::Value>,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Request({} {})", self.method, self.display_url())
    }
}

impl Request {
    pub fn new(method: Method, url: &str) -> Result<Self> {
        // The message leaves the URL out: it may carry a credential not yet registered.
        let url = url::Url::parse(url).map_err(|e| Error::config(format!("invalid URL: {e}")))?;
        // A credential written into a URL (https://user:token@host/) is a secret too, and so
        // is the Basic header the client derives from it.
        redact::register_url_credentials(url.as_str());
        Ok(Request {
            method,
            url,
            headers: Vec::new(),
            auth: Vec::new(),
            body: Body::Empty,
            idempotent: None,
            predicted: None,
        })
    }
    pub fn get(url: &str) -> Result<Self> {
        Self::new(Method::GET, url)
    }
    pub fn head(url: &str) -> Result<Self> {
        Self::new(Method::HEAD, url)
    }
    pub fn post(url: &str) -> Result<Self> {
        Self::new(Method::POST, url)
    }
    pub fn put(url: &str) -> Result<Self> {
        Self::new(Method::PUT, url)
    }
    pub fn patch(url: &str) -> Result<Self> {
        Self::new(Method::PATCH, url)
    }
    pub fn delete(url: &str) -> Result<Self> {
        Self::new(Method::DELETE, url)
    }
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers
            .push((HeaderName::from_static(name), value.into()));
        self
    }
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth.push(auth);
        self
    }
    pub fn body(mut self, body: Body) -> Self {
        self.body = body;
        self
    }
    pub fn json(self, v: &serde_json::Value) -> Self {
        self.body(Body::json(v))
    }
    /// Overrides the method's default idempotency (GET/HEAD/PUT/DELETE are idempotent).
    pub fn idempotent(mut self, yes: bool) -> Self {
        self.idempotent = Some(yes);
        self
    }
    /// Under `--dry-run` a mutating request is not sent. If the adapter can say what the
    /// server would answer (e.g. a created release with a placeholder id), the guard
    /// returns that as a 200 so the adapter can go on and the report lists every request
    /// a real run would make. Without a prediction the guard ends the publish with
    /// `ErrorKind::Withheld` after recording the request.
    pub fn predict(mut self, v: serde_json::Value) -> Self {
        self.predicted = Some(v);
        self
    }
    pub fn is_mutating(&self) -> bool {
        !matches!(self.method, Method::GET | Method::HEAD | Method::OPTIONS)
    }
    fn is_idempotent(&self) -> bool {
        self.idempotent.unwrap_or(matches!(
            self.method,
            Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE
        ))
    }
    /// The URL without userinfo, for logs and the report.
    pub fn display_url(&self) -> String {
        display_url(&self.url)
    }
}

fn display_url(u: &url::Url) -> String {
    let mut u = u.clone();
    let _ = u.set_password(None);
    let _ = u.set_username("");
    redact::redact(u.as_str())
}

/// Settings for the shared client.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    pub dry_run: bool,
    pub connect_timeout: Duration,
    /// Time allowed for a request without a file body (headers + response).
    pub read_timeout: Duration,
    /// Slowest upload throughput we wait for: a file body gets `read_timeout` plus its size
    /// at this rate, so a large asset on a slow link is not cut off (reqwest's read timeout
    /// would cover the whole upload).
    pub min_upload_bytes_per_sec: u64,
    pub retry: RetryPolicy,
    pub user_agent: String,
    /// A platform's `timeout` setting, replacing `read_timeout` for its requests.
    pub platform_timeouts: std::collections::BTreeMap<String, Duration>,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            dry_run: false,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(120),
            min_upload_bytes_per_sec: 32 * 1024,
            retry: RetryPolicy::from_env(),
            user_agent: format!(
                "tagship/{} (+https://github.com/tagship/tagship)",
                env!("CARGO_PKG_VERSION")
            ),
            platform_timeouts: Default::default(),
        }
    }
}

/// The shared client, tagged with the platform it serves. Cheap to clone.
#[derive(Clone)]
pub struct Http {
    /// Reads: redirects followed.
    client: reqwest::Client,
    /// Writes: redirects are never followed (reqwest would turn a redirected POST/PUT into a
    /// body-less GET whose 200 looks like success); a 3xx comes back as an error.
    writer: reqwest::Client,
    opts: std::sync::Arc<HttpOptions>,
    ledger: Ledger,
    platform: String,
    /// `read_timeout`, or this platform's `timeout` setting.
    read_timeout: Duration,
}

impl Http {
    pub fn new(opts: HttpOptions, ledger: Ledger) -> Result<Self> {
        let build = |policy| {
            reqwest::Client::builder()
                .connect_timeout(opts.connect_timeout)
                .user_agent(opts.user_agent.clone())
                .redirect(policy)
                .build()
                .map_err(|e| {
                    Error::new(ErrorKind::Other, "building the HTTP client").with_source(e)
                })
        };
        Ok(Http {
            client: build(reqwest::redirect::Policy::limited(5))?,
            writer: build(reqwest::redirect::Policy::none())?,
            read_timeout: opts.read_timeout,
            opts: std::sync::Arc::new(opts),
            ledger,
            platform: String::new(),
        })
    }
    /// A handle whose ledger entries are attributed to `platform`.
    pub fn for_platform(&self, platform: &str) -> Http {
        let mut h = self.clone();
        h.platform = platform.to_string();
        if let Some(t) = self.opts.platform_timeouts.get(platform) {
            h.read_timeout = *t;
        }
        h
    }
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// Sends a request through the guard and the retry loop.
    pub async fn send(&self, req: Request) -> Result<Response> {
        if self.opts.dry_run && req.is_mutating() {
            return self.withhold(req);
        }
        req.body.preflight()?;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let t0 = std::time::Instant::now();
            let outcome = self.send_once(&req).await;
            crate::progress::trace(|| {
                let status = match &outcome {
                    Ok(r) => r.status.as_u16().to_string(),
                    Err(e) => format!("error: {}", innermost(e)),
                };
                format!(
                    "{} {} {} → {status} ({} ms, attempt {attempt})",
                    self.platform,
                    req.method,
                    req.display_url(),
                    t0.elapsed().as_millis()
                )
            });
            let decision = self.opts.retry.decide(&req, &outcome, attempt);
            match decision {
                retry::Decision::Done => {
                    return outcome.map_err(|e| self.transport_error(&req, e, false));
                }
                retry::Decision::Unknown => {
                    return outcome.map_err(|e| self.transport_error(&req, e, true));
                }
                retry::Decision::GiveUp(resp)
                    if !req.is_idempotent() && resp.status.is_server_error() =>
                {
                    // A POST/PATCH that got 500/502/504 may have been acted on: say so, so the
                    // engine re-checks live state instead of trusting or repeating it.
                    return Err(Error::new(
                        ErrorKind::OutcomeUnknown,
                        format!(
                            "{} {}: HTTP {} (the request may have been acted on)",
                            req.method,
                            req.display_url(),
                            resp.status
                        ),
                    )
                    .with_hint("tagship re-checks the platform before sending anything again"));
                }
                retry::Decision::GiveUp(resp) => return Ok(resp),
                retry::Decision::RetryAfter(wait) => {
                    self.ledger.note_retry(&self.platform);
                    self.wait_to_retry(&req, &outcome, attempt, wait).await
                }
            }
        }
    }

    /// Waits before attempt `attempt + 1`, saying so when the wait is long enough to notice.
    async fn wait_to_retry(
        &self,
        req: &Request,
        outcome: &std::result::Result<Response, reqwest::Error>,
        attempt: u32,
        wait: Duration,
    ) {
        let answer = match outcome {
            Ok(r) => format!("HTTP {}", r.status.as_u16()),
            Err(e) => innermost(e),
        };
        let why = format!(
            "{} {} answered {answer}; trying again (attempt {})",
            req.method,
            req.display_url(),
            attempt + 1
        );
        crate::progress::pause(&self.platform, wait, &why).await
    }

    fn withhold(&self, req: Request) -> Result<Response> {
        crate::progress::trace(|| {
            format!(
                "{} {} {} withheld (dry run)",
                self.platform,
                req.method,
                req.display_url()
            )
        });
        self.ledger.withhold(Withheld {
            platform: self.platform.clone(),
            method: req.method.to_string(),
            target: req.display_url(),
            body: req.body.summary(),
        });
        match &req.predicted {
            Some(v) => Ok(Response {
                status: StatusCode::OK,
                headers: HeaderMap::new(),
                body: Bytes::from(serde_json::to_vec(v).unwrap_or_default()),
                url: req.display_url(),
                predicted: true,
            }),
            None => Err(Error::new(
                ErrorKind::Withheld,
                format!("dry run: withheld {} {}", req.method, req.display_url()),
            )),
        }
    }

    async fn send_once(&self, req: &Request) -> std::result::Result<Response, reqwest::Error> {
        let client = if req.is_mutating() {
            &self.writer
        } else {
            &self.client
        };
        let timeout = self.read_timeout
            + Duration::from_secs(
                req.body.file_bytes() / self.opts.min_upload_bytes_per_sec.max(1),
            );
        let mut rb = client
            .request(req.method.clone(), req.url.clone())
            .timeout(timeout);
        for (k, v) in &req.headers {
            if let Ok(v) = HeaderValue::from_str(v) {
                rb = rb.header(k.clone(), v);
            }
        }
        for a in &req.auth {
            rb = match a {
                Auth::Bearer(s) => rb.bearer_auth(s.expose()),
                Auth::Basic(u, s) => {
                    // The encoded form is a secret as well.
                    let enc = redact::register_basic(u, s.expose());
                    rb.header(reqwest::header::AUTHORIZATION, format!("Basic {enc}"))
                }
                Auth::Raw(s) => rb.header(reqwest::header::AUTHORIZATION, s.expose()),
                Auth::Header(n, s) => rb.header(*n, s.expose()),
            };
        }
        rb = req.body.apply(rb).await;
        self.ledger
            .note_sent(&self.platform, req.is_mutating(), req.body.len());
        let resp = rb.send().await?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let url = display_url(resp.url());
        let body = resp.bytes().await?;
        Ok(Response {
            status,
            headers,
            body,
            url,
            predicted: false,
        })
    }

    fn transport_error(&self, req: &Request, e: reqwest::Error, unknown: bool) -> Error {
        let what = format!("{} {}", req.method, req.display_url());
        let detail = innermost(&e);
        if unknown {
            return Error::new(
                ErrorKind::OutcomeUnknown,
                format!("{what}: outcome unknown ({detail})"),
            )
            .with_hint(
                "the request may have landed; tagship re-checks the platform before trying again",
            );
        }
        if e.is_connect() {
            // A connect timeout is also `is_timeout`: name the limit that was hit.
            let how = if e.is_timeout() {
                format!(
                    "no connection within {}s",
                    self.opts.connect_timeout.as_secs_f32()
                )
            } else {
                detail
            };
            Error::new(
                ErrorKind::Unreachable,
                format!("{what}: unreachable ({how})"),
            )
            .with_hint("check the URL in pipeline.yaml and your network; nothing was published")
        } else if e.is_timeout() {
            Error::new(
                ErrorKind::Server,
                format!(
                    "{what}: timed out: no answer within {}s ({detail})",
                    self.read_timeout.as_secs_f32()
                ),
            )
            .with_hint(format!(
                "the server did not answer in time; re-run later, or raise `platforms.{}.timeout`",
                self.platform
            ))
        } else {
            Error::new(ErrorKind::Server, format!("{what}: {detail}"))
        }
    }
}

/// The innermost cause of a transport error. reqwest's own Display repeats the full URL
/// (userinfo and query included), which must never reach output.
fn innermost(e: &reqwest::Error) -> String {
    let mut detail = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() {
        "request or response body failed"
    } else {
        "request failed"
    }
    .to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        detail = s.to_string();
        src = s.source();
    }
    redact::redact(&detail)
}
