//! npm trusted publishing (issue 13; PROTOCOLS.md §1, npm/cli `lib/utils/oidc.js`): the CI's
//! ID token for audience `npm:<registry host>` is exchanged **per package** at
//! `POST {registry}/-/npm/v1/oidc/token/exchange/package/{escapedName}` (`Authorization:
//! Bearer <id token>`; 201 `{"token"}`), and that short-lived token publishes that package
//! only. It is minted right before the package's PUT, so it cannot expire on a long run. A
//! 404 means no trusted publisher is configured for the package, or the package does not
//! exist yet: npm cannot create a package this way, so its first version needs a token.

use super::manifest::escaped_name;
use crate::error::{Error, ErrorKind, Result};
use crate::http::{Auth, Request};
use crate::oidc;
use crate::platform::Cx;
use crate::redact::Secret;
use serde::Deserialize;
use serde_json::json;

/// `npm:registry.npmjs.org` for `https://registry.npmjs.org/`.
pub fn audience(registry_base: &str) -> String {
    let host = url::Url::parse(registry_base)
        .ok()
        .and_then(|u| u.host_str().map(String::from))
        .unwrap_or_default();
    format!("npm:{host}")
}

/// A publish token for `name`, from the CI's ID token.
pub async fn exchange(cx: &Cx, registry_base: &str, name: &str) -> Result<Secret> {
    let request_token = cx.require_secret(oidc::TOKEN_VAR)?;
    let jwt = oidc::id_token(&cx.http, request_token, &audience(registry_base)).await?;
    let url = format!(
        "{registry_base}-/npm/v1/oidc/token/exchange/package/{}",
        escaped_name(name)
    );
    let req = Request::post(&url)?
        .auth(Auth::Bearer(jwt.clone()))
        .predict(json!({"token": "dry-run-minted-token"}));
    let resp = cx.http.send(req).await?;
    if resp.status.as_u16() == 404 {
        return Err(Error::new(
            ErrorKind::Auth,
            format!(
                "npm refused the trusted-publishing exchange for {name} (HTTP 404): {}",
                resp.excerpt(200).trim()
            ),
        )
        .with_hint(format!(
            "either no trusted publisher is configured for {name} on npm (its Settings → \
             Trusted Publisher must name {}), or {name} does not exist yet: npm cannot create \
             a package through trusted publishing, so publish its first version with a token \
             (`auth: token`)",
            oidc::describe(&jwt)
        )));
    }
    if !resp.status.is_success() {
        return Err(resp
            .error(&format!("exchanging the CI's ID token for an npm token for {name}"))
            .with_hint("the registry refused the ID token: check the trusted publisher configured for the package"));
    }
    #[derive(Deserialize)]
    struct Answer {
        token: String,
    }
    let a: Answer = resp.json()?;
    Ok(Secret::new(a.token))
}

#[cfg(test)]
mod tests {
    #[test]
    fn audience_is_the_registry_host() {
        assert_eq!(
            super::audience("https://registry.npmjs.org/"),
            "npm:registry.npmjs.org"
        );
        assert_eq!(super::audience("http://127.0.0.1:4873/"), "npm:127.0.0.1");
    }
}
