//! PyPI trusted publishing (issue 13; PROTOCOLS.md §2): `GET {index}_/oidc/audience` names
//! the audience (a 404 means the index has no trusted publishing), the CI's ID token for it
//! is posted to `{index}_/oidc/mint-token` as `{"token": jwt}`, and the answer's `token` (15
//! minutes; `expires` when warehouse says) is the upload password for `__token__`. A refusal
//! is `{"message": …, "errors": [{"code", "description"}]}`; each code gets its own hint, and
//! an unmatched publisher names the claims PyPI compared.

use crate::error::{Error, ErrorKind, Result};
use crate::http::{Request, Response};
use crate::oidc::{self, Minted};
use crate::platform::Cx;
use crate::redact::Secret;
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;

/// warehouse's minted-token lifetime when the answer names none.
pub const TTL: Duration = Duration::from_secs(15 * 60);

/// Mints an upload token from the CI's ID token.
pub async fn mint(cx: &Cx, index_url: &str) -> Result<Minted> {
    let base = format!("{}/", index_url.trim_end_matches('/'));
    let resp = cx
        .http
        .send(Request::get(&format!("{base}_/oidc/audience"))?)
        .await?;
    if resp.status.as_u16() == 404 {
        return Err(Error::new(
            ErrorKind::Auth,
            format!("{base} does not offer trusted publishing (404 on _/oidc/audience)"),
        )
        .with_hint("set `auth: token` in platforms.pypi and provide the index's token"));
    }
    if !resp.status.is_success() {
        return Err(resp.error("reading the trusted-publishing audience"));
    }
    #[derive(Deserialize)]
    struct Audience {
        audience: String,
    }
    let aud: Audience = resp.json()?;
    let request_token = cx.require_secret(oidc::TOKEN_VAR)?;
    let jwt = oidc::id_token(&cx.http, request_token, &aud.audience).await?;
    let req = Request::post(&format!("{base}_/oidc/mint-token"))?
        .json(&json!({"token": jwt.expose()}))
        .predict(json!({"success": true, "token": "dry-run-minted-token"}));
    let resp = cx.http.send(req).await?;
    if !resp.status.is_success() {
        return Err(refused(&resp, &jwt));
    }
    #[derive(Deserialize)]
    struct Answer {
        token: String,
        expires: Option<u64>,
    }
    let a: Answer = resp.json()?;
    Ok(Minted::new(Secret::new(a.token), TTL, a.expires))
}

/// warehouse's refusal, by code.
fn refused(resp: &Response, jwt: &Secret) -> Error {
    #[derive(Deserialize, Default)]
    struct Body {
        #[serde(default)]
        errors: Vec<Item>,
    }
    #[derive(Deserialize)]
    struct Item {
        code: String,
        #[serde(default)]
        description: String,
    }
    let body: Body = serde_json::from_slice(&resp.body).unwrap_or_default();
    let Some(first) = body.errors.first() else {
        return resp.error("exchanging the CI's ID token for a PyPI token");
    };
    let said: Vec<String> = body
        .errors
        .iter()
        .map(|e| format!("{}: {}", e.code, e.description))
        .collect();
    let hint = match first.code.as_str() {
        "invalid-publisher" => format!(
            "no trusted publisher on the index matches this job ({}); add one in the project's \
             Publishing settings (a pending publisher for a new project) with exactly this \
             workflow file and environment",
            oidc::describe(jwt)
        ),
        "invalid-token" | "expired-token" => {
            "the CI's ID token was refused (expired, or for another audience); re-run the job".into()
        }
        "not-enabled" => "the index has trusted publishing turned off; set `auth: token`".into(),
        _ => "see https://docs.pypi.org/trusted-publishers/troubleshooting/".into(),
    };
    Error::new(
        ErrorKind::Auth,
        format!(
            "the index refused the trusted-publishing exchange (HTTP {}): {}",
            resp.status,
            said.join("; ")
        ),
    )
    .with_hint(hint)
}
