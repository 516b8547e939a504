//! Trusted publishing (OIDC), natively (issue 13). In GitHub Actions a job with
//! `permissions: id-token: write` gets two variables; `GET $ACTIONS_ID_TOKEN_REQUEST_URL
//! &audience=…` with `Authorization: Bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN` answers
//! `{"value": "<JWT>"}`, a signed ID token the registry exchanges for a short-lived publish
//! token (PyPI: `/_/oidc/mint-token`, 15 minutes; crates.io:
//! `/api/v1/trusted_publishing/tokens`, 30 minutes; npm: per package). Each platform knows its
//! exchange; this kit holds what they share:
//! - [`AuthMode`]: the `auth: oidc | token | auto` setting and the [`Requirement`]s it implies,
//!   so a job without `id-token: write` is refused up front (exit 2), naming the fix. `auto`
//!   uses OIDC when the ID-token variables exist and the platform's token variable is not set:
//!   a token the user set on purpose is never overridden by a job that merely has
//!   `id-token: write` (for another step, or before the trusted publisher is configured).
//! - [`id_token`]: fetches the JWT through the shared HTTP layer. The request token, the JWT
//!   and every minted token are [`Secret`]s, registered with the redactor.
//! - [`claims`]: what the JWT says (repository, workflow, ref, environment), for messages:
//!   "no trusted publisher matches repository acme/demo, workflow release.yml …".
//! - [`Minter`]: a minted token cached until shortly before it expires, then minted again,
//!   so a long run never sends an expired token; [`Minter::take`] hands it over for revoking.

use crate::error::{Error, ErrorKind, Result};
use crate::http::{Auth, Http, Request};
use crate::platform::Requirement;
use crate::redact::Secret;
use schemars::JsonSchema;
use serde::Deserialize;
use std::future::Future;
use std::time::{Duration, SystemTime};

/// Where GitHub Actions puts the ID-token endpoint (not a secret).
pub const URL_VAR: &str = "ACTIONS_ID_TOKEN_REQUEST_URL";
/// The bearer token for that endpoint (a secret).
pub const TOKEN_VAR: &str = "ACTIONS_ID_TOKEN_REQUEST_TOKEN";
/// A minted token is replaced when it has less than this left.
pub const REMINT_MARGIN: Duration = Duration::from_secs(120);

/// `auth:` in a platform section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    /// The long-lived token from the platform's `token_env`.
    Token,
    /// Trusted publishing: the CI's ID token exchanged for a short-lived one.
    Oidc,
    /// OIDC when the ID-token variables exist (a CI job with `id-token: write`) and the
    /// token variable is not set; else the token.
    #[default]
    Auto,
}

impl AuthMode {
    /// Whether this run publishes with OIDC, reading the environment for `auto`.
    pub fn uses_oidc(self, token_env: &str) -> bool {
        self.uses_oidc_in(token_env, |k| std::env::var(k).ok())
    }
    /// [`uses_oidc`](Self::uses_oidc) with the environment passed in.
    pub fn uses_oidc_in(self, token_env: &str, env: impl Fn(&str) -> Option<String>) -> bool {
        let set = |k: &str| env(k).is_some_and(|v| !v.trim().is_empty());
        match self {
            AuthMode::Token => false,
            AuthMode::Oidc => true,
            AuthMode::Auto => set(URL_VAR) && set(TOKEN_VAR) && !set(token_env),
        }
    }
    /// The credential this mode needs: the ID-token request token, or `token_env`.
    pub fn requirements(self, token_env: &str) -> Vec<Requirement> {
        if self.uses_oidc(token_env) {
            vec![Requirement::Oidc]
        } else {
            vec![Requirement::credential(token_env)]
        }
    }
}

/// Preflight for [`Requirement::Oidc`]: both variables set; returns the request token.
pub fn preflight(platform: &str) -> Result<Secret> {
    let url = std::env::var(URL_VAR).ok().filter(|v| !v.trim().is_empty());
    let token = crate::creds::lookup(TOKEN_VAR, platform);
    match (url, token) {
        (Some(_), Ok(t)) => Ok(t),
        _ => Err(Error::new(
            ErrorKind::Credentials,
            format!(
                "{platform} publishes with trusted publishing (auth: oidc), but {URL_VAR} and \
                 {TOKEN_VAR} are not both set"
            ),
        )
        .with_hint(
            "give the publishing job `permissions: id-token: write` (GitHub Actions sets both \
             variables then), or set `auth: token` in the platform's section and provide its token",
        )),
    }
}

/// Fetches the CI's ID token for `audience` (`pypi`, `crates.io`, `npm:registry.npmjs.org`).
pub async fn id_token(http: &Http, request_token: &Secret, audience: &str) -> Result<Secret> {
    let base = std::env::var(URL_VAR).map_err(|_| preflight_error())?;
    let mut url = url::Url::parse(&base).map_err(|e| {
        Error::config(format!("{URL_VAR} is not a URL ({e})"))
            .with_hint("GitHub Actions sets it; do not set it by hand outside a test")
    })?;
    url.query_pairs_mut().append_pair("audience", audience);
    let req = Request::get(url.as_str())?.auth(Auth::Bearer(request_token.clone()));
    let resp = http.send(req).await?;
    if !resp.status.is_success() {
        return Err(resp
            .error(&format!("fetching the CI's ID token (audience {audience})"))
            .with_hint("the job needs `permissions: id-token: write`; check the workflow"));
    }
    #[derive(Deserialize)]
    struct Answer {
        value: String,
    }
    let a: Answer = resp.json().map_err(|e| e.context("the CI's ID token"))?;
    Ok(Secret::new(a.value))
}

fn preflight_error() -> Error {
    Error::new(ErrorKind::Credentials, format!("{URL_VAR} is not set"))
        .with_hint("give the publishing job `permissions: id-token: write`")
}

/// The claims of a JWT (its payload, not verified: for messages only).
pub fn claims(jwt: &Secret) -> Option<serde_json::Value> {
    use base64::Engine;
    let payload = jwt.expose().split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// "repository acme/demo, workflow …/release.yml@refs/tags/v1.0.0, environment release": the
/// claims a trusted-publisher configuration must match.
pub fn describe(jwt: &Secret) -> String {
    let Some(c) = claims(jwt) else {
        return "the ID token's claims could not be read".into();
    };
    let get = |k: &str| {
        c.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("(none)")
            .to_string()
    };
    format!(
        "repository {}, workflow {}, ref {}, environment {}",
        get("repository"),
        get("job_workflow_ref"),
        get("ref"),
        get("environment")
    )
}

/// A token minted from the ID token, and when it stops working.
#[derive(Debug, Clone)]
pub struct Minted {
    pub token: Secret,
    pub expires: SystemTime,
}

impl Minted {
    /// A token valid for `ttl` from now (the registry's documented lifetime when its answer
    /// names none), or until `expires_unix` when it does.
    pub fn new(token: Secret, ttl: Duration, expires_unix: Option<u64>) -> Minted {
        let expires = expires_unix.map_or_else(
            || SystemTime::now() + ttl,
            |s| SystemTime::UNIX_EPOCH + Duration::from_secs(s),
        );
        Minted { token, expires }
    }
}

/// One platform's minted token, reused until [`REMINT_MARGIN`] before it expires.
#[derive(Default)]
pub struct Minter {
    slot: tokio::sync::Mutex<Option<Minted>>,
}

impl Minter {
    /// The current token, minting one with `mint` when there is none or it is about to expire.
    pub async fn get<F, Fut>(&self, mint: F) -> Result<Secret>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Minted>>,
    {
        let mut slot = self.slot.lock().await;
        if let Some(m) = slot.as_ref() {
            if SystemTime::now() + REMINT_MARGIN < m.expires {
                return Ok(m.token.clone());
            }
        }
        let m = mint().await?;
        let token = m.token.clone();
        *slot = Some(m);
        Ok(token)
    }
    /// The minted token, if any, leaving none (to revoke it at the end of the publish).
    pub async fn take(&self) -> Option<Minted> {
        self.slot.lock().await.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_means_oidc_only_with_both_variables() {
        let ci = |k: &str| (k != "PYPI_TOKEN").then(|| format!("{k}-value"));
        let ci_and_token = |k: &str| Some(format!("{k}-value"));
        let url_only = |k: &str| (k == URL_VAR).then(|| "http://x".to_string());
        assert!(AuthMode::Auto.uses_oidc_in("PYPI_TOKEN", ci));
        assert!(!AuthMode::Auto.uses_oidc_in("PYPI_TOKEN", ci_and_token));
        assert!(!AuthMode::Auto.uses_oidc_in("PYPI_TOKEN", url_only));
        assert!(!AuthMode::Token.uses_oidc_in("PYPI_TOKEN", ci));
        assert!(AuthMode::Oidc.uses_oidc_in("PYPI_TOKEN", |_| None));
    }

    #[test]
    fn claims_are_read_for_messages() {
        use base64::Engine;
        let enc = |v: serde_json::Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
        };
        let jwt = format!(
            "{}.{}.sig",
            enc(serde_json::json!({"alg": "RS256"})),
            enc(serde_json::json!({"repository": "acme/demo", "ref": "refs/tags/v1.0.0"}))
        );
        let d = describe(&Secret::new(jwt));
        assert!(d.contains("repository acme/demo"), "{d}");
        assert!(d.contains("ref refs/tags/v1.0.0"), "{d}");
        assert!(d.contains("environment (none)"), "{d}");
    }

    #[tokio::test]
    async fn a_token_is_reused_until_it_nears_expiry_then_minted_again() {
        let m = Minter::default();
        let mint = |n: &str, secs: u64| {
            let t = Secret::new(format!("minted-{n}"));
            async move { Ok(Minted::new(t, Duration::from_secs(secs), None)) }
        };
        let a = m.get(|| mint("a", 900)).await.unwrap();
        let again = m.get(|| mint("b", 900)).await.unwrap();
        assert_eq!(a.expose(), again.expose(), "a fresh token is reused");
        // One that expires within the margin is replaced.
        *m.slot.lock().await = Some(Minted::new(a, Duration::from_secs(30), None));
        let c = m.get(|| mint("c", 900)).await.unwrap();
        assert_eq!(c.expose(), "minted-c");
        assert_eq!(m.take().await.unwrap().token.expose(), "minted-c");
        assert!(m.take().await.is_none());
    }
}
