//! The npm registry HTTP API, through `cx.http` only: the per-version document for checks,
//! the abbreviated packument (what installers read), and the single publish PUT. Status codes
//! become results here (404 → absent, 403 "cannot publish over" / 409 "already present" →
//! exists, a transient 409 → re-check); refusals get their own message (`refusals.rs`).

use super::manifest::escaped_name;
use super::refusals::{self, Refusal};
use crate::error::{Error, ErrorKind, Result};
use crate::http::{Auth, Body, Http, Request};
use crate::redact::Secret;
use serde_json::{json, Value};

/// The `dist` of a published version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dist {
    pub shasum: Option<String>,
    pub integrity: Option<String>,
}

impl Dist {
    fn of(v: &Value) -> Dist {
        let s = |k: &str| v["dist"][k].as_str().map(String::from);
        Dist {
            shasum: s("shasum"),
            integrity: s("integrity"),
        }
    }
}

/// How a PUT ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Put {
    /// Accepted; `predicted` when the dry-run guard withheld it (nothing was sent).
    Created { predicted: bool },
    /// The registry already has this version (403 "cannot publish over", 409 "already present").
    Exists,
    /// A 409 that may be transient (the registry still processing a previous write, or a
    /// bare "Conflict" whose publish landed): the server's words.
    Transient(String),
}

/// The Accept header installers send for the abbreviated ("corgi") packument.
pub const ABBREVIATED: &str =
    "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*";

/// A registry client for one platform run.
pub struct Api {
    pub(super) http: Http,
    pub(super) base: String,
    pub(super) token: Option<Secret>,
    pub(super) token_env: String,
    otp: Option<Secret>,
    pub(super) otp_env: String,
}

/// Credentials and their variable names (for hints).
pub struct Creds {
    pub token: Option<Secret>,
    pub token_env: String,
    pub otp: Option<Secret>,
    pub otp_env: String,
}

impl Api {
    pub fn new(http: Http, registry_base: &str, c: Creds) -> Api {
        Api {
            http,
            base: registry_base.to_string(),
            token: c.token,
            token_env: c.token_env,
            otp: c.otp,
            otp_env: c.otp_env,
        }
    }

    /// The same client publishing with `token` (a package's trusted-publishing token).
    pub fn with_token(&self, token: Secret) -> Api {
        Api {
            http: self.http.clone(),
            base: self.base.clone(),
            token: Some(token),
            token_env: self.token_env.clone(),
            otp: None,
            otp_env: self.otp_env.clone(),
        }
    }

    pub(super) fn authed(&self, mut r: Request) -> Request {
        if let Some(t) = &self.token {
            r = r.auth(Auth::Bearer(t.clone()));
        }
        r
    }

    /// `GET {registry}/-/whoami` with the token: proves the credential before anything is
    /// sent (also in a dry run, where reads alone would accept any token on registries that
    /// allow anonymous reads). Without a token there is nothing to probe. A registry without
    /// the endpoint (any status but 401/403) is not an error.
    pub async fn whoami(&self) -> Result<Option<String>> {
        if self.token.is_none() {
            return Ok(None);
        }
        let url = format!("{}-/whoami", self.base);
        let resp = self.http.send(self.authed(Request::get(&url)?)).await?;
        match resp.status.as_u16() {
            // verdaccio answers 200 `{}` to a token it does not know (npmjs: 401); the npm
            // CLI treats a missing username as "not logged in" too.
            200 => match resp
                .json::<Value>()
                .ok()
                .and_then(|v| v["username"].as_str().map(String::from))
            {
                Some(user) => Ok(Some(user)),
                None => Err(self.hint(Error::new(
                    ErrorKind::Auth,
                    format!("{url} does not recognise the token (no username)"),
                ))),
            },
            401 | 403 => Err(self.hint(resp.error("checking the npm token (whoami)"))),
            _ => Ok(None),
        }
    }

    /// `GET {registry}/{escapedName}/{version}`: the version's `dist`, or `None` on 404.
    pub async fn version(&self, name: &str, version: &str) -> Result<Option<Dist>> {
        let doc = self.version_doc(name, version, true).await?;
        Ok(doc.as_ref().map(Dist::of))
    }

    /// The same, asked as an installer asks first (`version_doc_public_first`): a present
    /// public version costs no credential check on the registry; anything else is asked again
    /// with the token, so a stale or restricted answer never reads as absent.
    pub async fn version_public_first(&self, name: &str, version: &str) -> Result<Option<Dist>> {
        let doc = self.version_doc_public_first(name, version).await?;
        Ok(doc.as_ref().map(Dist::of))
    }

    /// The same per-version document, asked first as an installer asks (no token): a public
    /// package answers without the registry verifying a credential (verdaccio runs bcrypt
    /// for every authenticated request, one at a time: ~100 ms each). Only a 401, 403 or
    /// 404 is asked again with the token (a restricted package, or a registry that needs a
    /// login to read). Used where a present answer is all that is needed (the probe).
    pub async fn version_doc_public_first(
        &self,
        name: &str,
        version: &str,
    ) -> Result<Option<Value>> {
        if self.token.is_none() {
            return self.version_doc(name, version, false).await;
        }
        let url = self.version_url(name, version);
        let req = Request::get(&url)?.header("accept", "application/json");
        let resp = self.http.send(req).await?;
        match resp.status.as_u16() {
            200 => Self::version_body(&url, version, resp.json()?).map(Some),
            401 | 403 | 404 => self.version_doc(name, version, true).await,
            _ => Err(self.hint(resp.error(&format!("checking {name}@{version}")))),
        }
    }

    /// `GET {registry}/{escapedName}/{version}` (with the token when `authed`): the whole
    /// per-version document, or `None` on 404.
    pub async fn version_doc(
        &self,
        name: &str,
        version: &str,
        authed: bool,
    ) -> Result<Option<Value>> {
        let url = self.version_url(name, version);
        let mut req = Request::get(&url)?.header("accept", "application/json");
        if authed {
            req = self.authed(req);
        }
        let resp = self.http.send(req).await?;
        match resp.status.as_u16() {
            404 => Ok(None),
            200 => Self::version_body(&url, version, resp.json()?).map(Some),
            _ => Err(self.hint(resp.error(&format!("checking {name}@{version}")))),
        }
    }

    fn version_url(&self, name: &str, version: &str) -> String {
        format!("{}{}/{version}", self.base, escaped_name(name))
    }

    /// A 200 must be the version asked for (a registry answering another is a protocol error).
    fn version_body(url: &str, version: &str, v: Value) -> Result<Value> {
        if v.get("version").and_then(Value::as_str) != Some(version) {
            return Err(Error::protocol(format!(
                "{url}: the registry answered with version {} instead of {version}",
                v.get("version").unwrap_or(&Value::Null)
            )));
        }
        Ok(v)
    }

    /// `GET {registry}/{escapedName}` abbreviated (`application/vnd.npm.install-v1+json`, the
    /// document installers read): `None` on 404. `authed: false` asks as an installer does,
    /// which is what the CDN caches (stale, including cached 404s).
    pub async fn packument(&self, name: &str, authed: bool) -> Result<Option<Value>> {
        let url = format!("{}{}", self.base, escaped_name(name));
        let mut req = Request::get(&url)?.header("accept", ABBREVIATED);
        if authed {
            req = self.authed(req);
        }
        let resp = self.http.send(req).await?;
        match resp.status.as_u16() {
            404 => Ok(None),
            200 => Ok(Some(resp.json()?)),
            _ => Err(self.hint(resp.error(&format!("reading the packument of {name}")))),
        }
    }

    /// `GET {registry}/{escapedName}?write=true` with the token: the full document, `_rev`
    /// included, as `npm deprecate` reads it before writing it back. `None` on 404.
    pub async fn full_packument(&self, name: &str) -> Result<Option<Value>> {
        let url = format!("{}{}?write=true", self.base, escaped_name(name));
        let resp = self.http.send(self.authed(Request::get(&url)?)).await?;
        match resp.status.as_u16() {
            404 => Ok(None),
            200 => Ok(Some(resp.json()?)),
            _ => Err(self.hint(resp.error(&format!("reading {name} for writing")))),
        }
    }

    /// `PUT {registry}/{escapedName}` with a changed full document (deprecation).
    pub async fn put_packument(&self, name: &str, doc: &Value) -> Result<()> {
        let url = format!("{}{}", self.base, escaped_name(name));
        let resp = self.http.send(self.authed(Request::put(&url)?.json(doc))).await?;
        if !resp.ok() {
            return Err(self.hint(resp.error(&format!("updating {name}"))));
        }
        Ok(())
    }

    /// `PUT {registry}/-/package/{escapedName}/dist-tags/{tag}` with `"{version}"`.
    pub async fn set_dist_tag(&self, name: &str, tag: &str, version: &str) -> Result<()> {
        let url = format!("{}-/package/{}/dist-tags/{tag}", self.base, escaped_name(name));
        let req = Request::put(&url)?.json(&json!(version));
        let resp = self.http.send(self.authed(req)).await?;
        if !resp.ok() {
            return Err(self.hint(resp.error(&format!("moving {name}@{tag} to {version}"))));
        }
        Ok(())
    }

    /// `PUT {registry}/{escapedName}` with the publish document.
    pub async fn put(&self, name: &str, version: &str, doc: Body) -> Result<Put> {
        let url = format!("{}{}", self.base, escaped_name(name));
        let mut req = self
            .authed(Request::put(&url)?)
            // Publishing a version is not idempotent (a second PUT gets 403): after a reset
            // the engine re-checks instead of re-sending.
            .idempotent(false)
            .body(doc)
            .predict(json!({"ok": true}));
        if let Some(otp) = &self.otp {
            req = req.auth(Auth::Header("npm-otp", otp.clone()));
        }
        let resp = self.http.send(req).await?;
        if resp.ok() {
            return Ok(Put::Created {
                predicted: resp.predicted,
            });
        }
        match refusals::classify(resp.status.as_u16(), &resp.text()) {
            Refusal::Exists => Ok(Put::Exists),
            Refusal::Transient => Ok(Put::Transient(resp.excerpt(200))),
            Refusal::Final => Err(refusals::error(
                &resp,
                &refusals::Ctx {
                    name,
                    version,
                    token_env: &self.token_env,
                    otp_env: &self.otp_env,
                    has_token: self.token.is_some(),
                },
            )),
        }
    }

    pub(super) fn hint(&self, e: Error) -> Error {
        if e.kind == ErrorKind::Auth {
            let why = if self.token.is_some() {
                format!(
                    "the token in {} was rejected or may not publish this package",
                    self.token_env
                )
            } else {
                format!("set {} to an npm token with publish rights", self.token_env)
            };
            e.or_hint(why)
        } else {
            e
        }
    }
}
