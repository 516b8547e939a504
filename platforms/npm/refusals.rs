//! What a refused publish PUT means, read from the status and the body the npm registry
//! really sends (npm-registry-fetch prints `{status} {text} - PUT {url} - {body.error}`).
//! Each cause gets its own message and hint instead of one generic "token rejected":
//! - 403 "cannot publish over the previously published versions" → the version exists;
//! - 409 "Failed to save packument… previous package has been fully processed" or a bare
//!   "Conflict" → transient (npm/cli#7376: the publish often landed): re-check, then retry;
//! - 403 "Package name triggered spam detection" / "Package name too similar" → the name;
//! - 403 "… cannot be republished until 24 hours have passed." → an unpublished package;
//! - 404 on a PUT → the token may not write this package (npmjs masks permission as 404);
//! - 402 "You must sign up for private packages" → a scoped package without `access: public`;
//! - 413 → the document (base64 tarball) is too large;
//! - 401 asking for an OTP → `npm-otp`.

use crate::error::{Error, ErrorKind};
use crate::http::Response;

/// How the registry refused a PUT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The version is already there (compare its bytes).
    Exists,
    /// A 409 that is not about the version: the registry was still busy (re-check, retry).
    Transient,
    /// Anything else: a final error.
    Final,
}

/// Classifies a refused PUT by status and body.
pub fn classify(code: u16, body: &str) -> Refusal {
    let b = body.to_ascii_lowercase();
    match code {
        403 if b.contains("cannot publish over") => Refusal::Exists,
        409 if b.contains("already present") || b.contains("already exist") => Refusal::Exists,
        409 if b.contains("failed to save packument") || !b.contains("exist") => {
            Refusal::Transient
        }
        409 => Refusal::Exists,
        _ => Refusal::Final,
    }
}

/// Names of the settings a hint refers to.
pub struct Ctx<'a> {
    pub name: &'a str,
    pub version: &'a str,
    pub token_env: &'a str,
    pub otp_env: &'a str,
    pub has_token: bool,
}

/// The error for a final refusal: the server's own words plus a hint for its real cause.
/// (The kinds are never "input"/"config": other packages may already be published, so the
/// exit code must not claim nothing was.)
pub fn error(resp: &Response, c: &Ctx) -> Error {
    let b = resp.text().to_ascii_lowercase();
    let e = resp.error(&format!("publishing {}@{}", c.name, c.version));
    match refused_package(resp.status.as_u16(), &b, c).or_else(|| refused_auth(resp, &b, c)) {
        Some((kind, hint)) => Error::new(kind, e.message().to_string()).with_hint(hint),
        None => e,
    }
}

/// Refusals of the package or its name, not of the credential.
fn refused_package(code: u16, b: &str, c: &Ctx) -> Option<(ErrorKind, String)> {
    Some(match code {
        403 if b.contains("spam detection") || b.contains("too similar") => (
            ErrorKind::Conflict,
            format!(
                "npmjs refused the name `{}` itself (spam detection / too similar to an existing name), not the token. \
                 Unscoped platform names like `tool-linux-x64` trigger it; esbuild, biome and turbo moved theirs to a scope: \
                 set platforms.npm.scope (e.g. \"@yourorg\") or ask npm support to release the name",
                c.name
            ),
        ),
        403 if b.contains("cannot be republished until") => (
            ErrorKind::Conflict,
            format!(
                "`{}` was unpublished entirely; npm refuses any publish of that name for 24 hours. Re-run after that: \
                 tagship publishes only what is missing",
                c.name
            ),
        ),
        404 => (
            ErrorKind::Auth,
            format!(
                "a 404 on publish means the token in {} may not write `{}` (npmjs answers 404, not 403): \
                 a granular token limited to selected packages cannot create new names such as new platform packages; \
                 give it read-write on the scope (or all packages), or check the scope/org exists and you are a member",
                c.token_env, c.name
            ),
        ),
        402 => (
            ErrorKind::Auth,
            format!(
                "npm publishes a new scoped package as private (a paid feature) unless access is public: \
                 set platforms.npm.access: public for `{}` (or pay for private packages)",
                c.name
            ),
        ),
        413 => (
            ErrorKind::Other,
            format!(
                "the publish document for `{}` (its tarball, base64) is larger than the registry accepts: \
                 ship a smaller binary (strip symbols, `-s -w`, LTO) or fewer files",
                c.name
            ),
        ),
        _ => return None,
    })
}

/// Refusals of the credential: an OTP asked for, or a token rejected.
fn refused_auth(resp: &Response, b: &str, c: &Ctx) -> Option<(ErrorKind, String)> {
    let hint = match resp.status.as_u16() {
        401 if otp_asked(resp, b) => format!(
            "the registry wants a one-time password: set {} (or use a granular token with \"bypass 2FA\", or trusted publishing)",
            c.otp_env
        ),
        401 | 403 if c.has_token => format!(
            "the token in {} was rejected or may not publish `{}` (classic and automation tokens were revoked in December 2025: \
             use a granular token with read-write access, or trusted publishing)",
            c.token_env, c.name
        ),
        401 | 403 => format!("set {} to an npm token with publish rights", c.token_env),
        _ => return None,
    };
    Some((ErrorKind::Auth, hint))
}

fn otp_asked(resp: &Response, lower_body: &str) -> bool {
    resp.header("www-authenticate")
        .is_some_and(|h| h.to_ascii_lowercase().contains("otp"))
        || lower_body.contains("one-time pass")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflicts_are_told_apart() {
        let over = r#"{"error":"You cannot publish over the previously published versions: 1.0.0."}"#;
        assert_eq!(classify(403, over), Refusal::Exists);
        let busy = r#"{"error":"Failed to save packument. A common cause is if you try to publish a new package before the previous package has been fully processed."}"#;
        assert_eq!(classify(409, busy), Refusal::Transient);
        assert_eq!(classify(409, r#"{"error":"Conflict"}"#), Refusal::Transient);
        assert_eq!(
            classify(409, r#"{"error":"this package is already present"}"#),
            Refusal::Exists
        );
        assert_eq!(classify(403, r#"{"error":"Forbidden"}"#), Refusal::Final);
    }
}
