//! warehouse's trusted-publishing endpoints for the warehouse double (issue 13), as
//! `warehouse/oidc/views.py` answers: `GET /_/oidc/audience` → `{"audience": "pypi"}`;
//! `POST /_/oidc/mint-token` with `{"token": jwt}` → `{"success": true, "token", "expires"}`,
//! or 422 `{"message": "Token request failed", "errors": [{"code", "description"}]}` with
//! `invalid-payload`, `invalid-token` (signature, issuer, audience, expiry: checked for real
//! by `oidc_support::Verifier`) or `invalid-publisher` (no publisher matches the claims).

#![allow(dead_code)]

use crate::oidc_support::{now, Verifier};
use crate::warehouse::Shared;
use serde_json::{json, Value};

/// The project's trusted publisher and what was minted.
pub struct Oidc {
    pub verifier: Verifier,
    /// The publisher configured on the project: repository and workflow file.
    pub repository: String,
    pub workflow: String,
    /// Lifetime of a minted token, in seconds.
    pub ttl: i64,
    /// (token, expires) minted so far.
    pub minted: Vec<(String, i64)>,
}

impl Oidc {
    pub fn new(verifier: Verifier, repository: &str, ttl: i64) -> Oidc {
        Oidc {
            verifier,
            repository: repository.into(),
            workflow: ".github/workflows/release.yml".into(),
            ttl,
            minted: Vec::new(),
        }
    }
}

pub fn audience(st: &Shared) -> (u16, String) {
    match st.lock().unwrap().oidc {
        Some(_) => (200, json!({"audience": "pypi"}).to_string()),
        None => (404, "Not Found".into()),
    }
}

fn invalid(code: &str, description: &str) -> (u16, String) {
    let errors = json!([{"code": code, "description": description}]);
    (
        422,
        json!({"message": "Token request failed", "errors": errors}).to_string(),
    )
}

pub fn mint(st: &Shared, body: &[u8]) -> (u16, String) {
    let mut s = st.lock().unwrap();
    let Some(o) = s.oidc.as_mut() else {
        return (404, "Not Found".into());
    };
    let Some(jwt) = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v["token"].as_str().map(String::from))
    else {
        return invalid("invalid-payload", "1 validation error for TokenPayload");
    };
    let claims = match o.verifier.verify(&jwt, "pypi") {
        Ok(c) => c,
        Err(_) => return invalid("invalid-token", "malformed or invalid token"),
    };
    let workflow_ok = claims["job_workflow_ref"]
        .as_str()
        .is_some_and(|w| w.contains(&format!("/{}@", o.workflow)));
    if claims["repository"] != o.repository.as_str() || !workflow_ok {
        return invalid(
            "invalid-publisher",
            "valid token, but no corresponding publisher (Publisher with matching claims was not found)",
        );
    }
    let token = format!("pypi-minted-{}-{}", o.minted.len(), fastrand::u64(..));
    let expires = now() + o.ttl;
    o.minted.push((token.clone(), expires));
    (
        200,
        json!({"success": true, "token": token, "expires": expires}).to_string(),
    )
}

/// Whether `authorization` is Basic `__token__` with a minted token that has not expired.
pub fn accepts(st: &Shared, authorization: Option<&str>) -> bool {
    use base64::Engine;
    let s = st.lock().unwrap();
    let Some(o) = s.oidc.as_ref() else {
        return false;
    };
    o.minted.iter().any(|(t, exp)| {
        let b = base64::engine::general_purpose::STANDARD.encode(format!("__token__:{t}"));
        *exp > now() && authorization == Some(format!("Basic {b}").as_str())
    })
}
