//! crates.io trusted publishing (issue 13; PROTOCOLS.md §3): the CI's ID token for audience
//! `crates.io` is posted to `{api}/api/v1/trusted_publishing/tokens` as `{"jwt": …}`; the
//! answer's `token` (30 minutes) is used like an API token, and revoked with a `DELETE` of the
//! same path when the publish or yank is done. crates.io cannot create a crate this way: the
//! first version needs a regular token (its refusal is mapped in api.rs).

use crate::error::{Error, ErrorKind, Result};
use crate::http::{Auth, Request, Response};
use crate::oidc::{self, Minted};
use crate::platform::Cx;
use crate::redact::Secret;
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;

pub const AUDIENCE: &str = "crates.io";
/// crates.io's minted-token lifetime.
pub const TTL: Duration = Duration::from_secs(30 * 60);

fn url(root: &str) -> String {
    format!("{root}/api/v1/trusted_publishing/tokens")
}

/// Exchanges the CI's ID token for a publish token.
pub async fn mint(cx: &Cx, root: &str) -> Result<Minted> {
    let request_token = cx.require_secret(oidc::TOKEN_VAR)?;
    let jwt = oidc::id_token(&cx.http, request_token, AUDIENCE).await?;
    let req = Request::post(&url(root))?
        .header("accept", "application/json")
        .json(&json!({"jwt": jwt.expose()}))
        .predict(json!({"token": "dry-run-minted-token"}));
    let resp = cx.http.send(req).await?;
    if !resp.status.is_success() {
        return Err(refused(&resp, &jwt));
    }
    #[derive(Deserialize)]
    struct Answer {
        token: String,
    }
    let a: Answer = resp.json()?;
    Ok(Minted::new(Secret::new(a.token), TTL, None))
}

/// Revokes a minted token (`DELETE`, 204).
pub async fn revoke(cx: &Cx, root: &str, token: &Secret) -> Result<()> {
    let req = Request::delete(&url(root))?
        .auth(Auth::Raw(token.clone()))
        .predict(json!({}));
    let resp = cx.http.send(req).await?;
    if resp.status.is_success() {
        Ok(())
    } else {
        Err(resp.error("revoking the trusted-publishing token"))
    }
}

/// crates.io's refusal (`{"errors": [{"detail": …}]}`), with the claims it compared.
fn refused(resp: &Response, jwt: &Secret) -> Error {
    let detail = super::api::detail_of(&resp.text());
    let lower = detail.to_ascii_lowercase();
    let hint = if lower.contains("no matching trusted publishing config") {
        format!(
            "no trusted publisher on crates.io matches this job ({}); add one in the crate's \
             Settings → Trusted Publishing with exactly this repository, workflow file and \
             environment. A crate's first version cannot be published this way: use a token",
            oidc::describe(jwt)
        )
    } else if lower.contains("expired") || lower.contains("jwt") {
        "the CI's ID token was refused (expired, or for another audience): re-run the job".into()
    } else {
        "see https://crates.io/docs/trusted-publishing".into()
    };
    Error::new(
        ErrorKind::Auth,
        format!(
            "crates.io refused the trusted-publishing exchange (HTTP {}): {detail}",
            resp.status
        ),
    )
    .with_hint(hint)
}
