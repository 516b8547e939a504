//! The registry web API: the framed publish body, yank, and how replies map to errors
//! (each refusal crates.io is known to send gets its own message and hint).
//! Wire format: `rust-lang/cargo:crates/crates-io/lib.rs` (`fn publish`, `fn handle`) and the
//! cargo book's "Registry web API". Refusal texts: `rust-lang/crates.io`
//! `src/controllers/krate/publish.rs`, `src/rate_limiter.rs`, `src/util/errors/json.rs`.

use crate::error::{Error, ErrorKind, Result};
use crate::http::{Auth, Body, Http, Request, Response};
use crate::redact::Secret;

/// The publish body: `u32 LE len(json)` ‖ json ‖ `u32 LE len(crate)` ‖ crate bytes.
pub fn frame(json: &[u8], krate: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + json.len() + krate.len());
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(json);
    out.extend_from_slice(&(krate.len() as u32).to_le_bytes());
    out.extend_from_slice(krate);
    out
}

/// What a publish reply means.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// Accepted; `warnings` as the registry sent them (invalid categories, …).
    Accepted { warnings: Vec<String> },
    /// "already uploaded" / "already exists": compare with the index before calling it a
    /// conflict.
    Duplicate(String),
}

/// The details of a crates.io-style error body, joined, or the body itself.
pub fn detail_of(text: &str) -> String {
    let body: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
    match error_details(&body) {
        d if d.is_empty() => crate::redact::excerpt(text.trim(), 300),
        d => d.join("; "),
    }
}

/// The `detail`s of a crates.io-style `{"errors":[{"detail":…}]}` body.
fn error_details(body: &serde_json::Value) -> Vec<String> {
    body.get("errors")
        .and_then(|e| e.as_array())
        .map(|a| {
            a.iter()
                .map(|e| match e.get("detail").and_then(|d| d.as_str()) {
                    Some(d) => d.to_string(),
                    None => e.to_string(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Maps a web API reply to `Ok(body)` or an error. An `errors` array is a failure even with
/// HTTP 200: that is how older registries (and cargo's own `handle`) report problems.
pub fn check_reply(resp: &Response, what: &str, token_env: &str) -> Result<serde_json::Value> {
    let body: serde_json::Value = serde_json::from_slice(&resp.body).unwrap_or_default();
    let details = error_details(&body);
    if resp.ok() && details.is_empty() {
        return Ok(body);
    }
    let status = resp.status.as_u16();
    if details.is_empty() && !matches!(status, 401 | 403 | 413 | 429) {
        return Err(resp.error(what));
    }
    let detail = if details.is_empty() {
        resp.text().trim().to_string()
    } else {
        details.join("; ")
    };
    let why = Refused {
        status,
        detail: &detail,
        retry_after: resp.header("retry-after"),
        token_env,
    };
    Err(refusal(&why).context(what))
}

/// A refusal as the registry sent it.
pub struct Refused<'a> {
    pub status: u16,
    /// The `detail`s of `{"errors":[{"detail":…}]}`, joined (or the raw body).
    pub detail: &'a str,
    /// The `Retry-After` header (seconds or an HTTP date), if any.
    pub retry_after: Option<&'a str>,
    pub token_env: &'a str,
}

/// Known crates.io refusals (`publish.rs`, `rate_limiter.rs`): a phrase of the detail → kind
/// and hint. The first match wins, so the specific phrases come first.
const KNOWN: &[(&str, ErrorKind, &str)] = &[
    ("verified email address is required", ErrorKind::Auth,
     "verify your email on crates.io (https://crates.io/settings/profile), then re-run"),
    ("you don't seem to be an owner", ErrorKind::Auth,
     "the token's user does not own this crate: ask an owner to run `cargo owner --add`, or accept the pending invitation on crates.io"),
    ("do not support creating new crates", ErrorKind::Auth,
     "trusted publishing cannot create a crate: publish its first version by hand with a regular token"),
    ("is not valid for crate", ErrorKind::Auth,
     "the trusted-publishing token was minted for another crate: check the trusted publisher configured on crates.io"),
    ("too many versions of this crate in the last 24 hours", ErrorKind::RateLimited,
     "crates.io's daily limit of new versions per crate is reached and it gives no time to retry: re-run in 24 hours (tagship only publishes what is missing)"),
    ("max upload size is", ErrorKind::Input,
     "the .crate is over crates.io's 10 MiB limit: add large files to `exclude` in Cargo.toml (check with `cargo package --list`)"),
    ("category slugs are not currently supported", ErrorKind::Input,
     "use slugs from https://crates.io/category_slugs in `categories`"),
    ("cross-registry dependencies are not permitted", ErrorKind::Input,
     "every dependency of a crates.io crate must come from crates.io"),
    ("wildcard (`*`) dependency constraints", ErrorKind::Input,
     "give every dependency a real version requirement instead of `*`"),
    ("recently deleted", ErrorKind::Conflict,
     "the name was deleted recently; wait until the date crates.io names, or pick another name"),
];

/// Maps one registry refusal to an error whose message carries the registry's own words and
/// whose hint says what to do about that refusal.
pub fn refusal(r: &Refused<'_>) -> Error {
    let msg = format!("the registry answered HTTP {}: {}", r.status, r.detail);
    let lower = r.detail.to_ascii_lowercase();
    if let Some((_, kind, hint)) = KNOWN
        .iter()
        .find(|(needle, ..)| lower.contains(&needle.to_ascii_lowercase()))
    {
        return Error::new(*kind, msg).with_hint(*hint);
    }
    match r.status {
        401 | 403 => Error::new(ErrorKind::Auth, msg).with_hint(format!(
            "the registry rejected the token in {}; check its value and that it may publish this crate",
            r.token_env
        )),
        413 => Error::new(ErrorKind::Input, msg).with_hint(
            "the .crate is larger than the registry accepts: add large files to `exclude` in Cargo.toml",
        ),
        429 => Error::new(ErrorKind::RateLimited, msg).with_hint(match r.retry_after {
            Some(at) => format!("rate limited until {at}; re-run then: tagship only publishes what is missing"),
            None => "rate limited without a time to retry; re-run later: tagship only publishes what is missing".into(),
        }),
        404 => Error::new(ErrorKind::NotFound, msg),
        500..=599 => Error::new(ErrorKind::Server, msg),
        _ => Error::new(ErrorKind::Other, msg).with_hint(
            "the registry refused the crate; fix what it names (usually Cargo.toml) and re-run; `rules: crates-io` checks crates.io's rules before publishing",
        ),
    }
}

/// Interprets a publish reply.
pub fn publish_reply(resp: &Response, token_env: &str) -> Result<Reply> {
    match check_reply(resp, "publishing the crate", token_env) {
        Ok(body) => {
            let mut warnings = Vec::new();
            if let Some(w) = body.get("warnings").and_then(|w| w.as_object()) {
                for (k, v) in w {
                    for x in v.as_array().into_iter().flatten() {
                        let x = x.as_str().map(str::to_string).unwrap_or(x.to_string());
                        warnings.push(format!("{k}: {x}"));
                    }
                }
            }
            Ok(Reply::Accepted { warnings })
        }
        Err(e) if is_duplicate(e.message()) => Ok(Reply::Duplicate(e.message().to_string())),
        Err(e) => Err(e),
    }
}

fn is_duplicate(msg: &str) -> bool {
    let m = msg.to_ascii_lowercase();
    m.contains("already uploaded") || m.contains("already exists")
}

/// A publish reply and whether the registry received the upload at all: `false` when the
/// dry-run layer withheld it and answered for it, so there is nothing to wait for in the
/// index and no rate limit was spent.
#[derive(Debug, Clone, PartialEq)]
pub struct Upload {
    pub reply: Reply,
    pub received: bool,
}

/// A client for one registry's web API.
pub struct Api {
    pub http: Http,
    /// e.g. `https://crates.io` (no trailing slash).
    pub root: String,
    pub token: Option<Secret>,
    pub token_env: String,
}

impl Api {
    fn authed(&self, req: Request) -> Request {
        match &self.token {
            Some(t) => req.auth(Auth::Raw(t.clone())),
            // Only in a dry run (the engine requires the credential otherwise): the request
            // is withheld anyway, and a server would answer 403, mapped to an Auth error.
            None => req,
        }
    }

    /// `PUT {api}/api/v1/crates/new`. Not idempotent for the retry layer: if the outcome is
    /// unknown the engine re-checks the index instead of re-sending.
    pub async fn publish(&self, body: Vec<u8>, size_hint: &str) -> Result<Upload> {
        let url = format!("{}/api/v1/crates/new", self.root);
        let req = Request::put(&url)?
            .header("accept", "application/json")
            .body(Body::bytes(body, "application/octet-stream"))
            .idempotent(false)
            .predict(serde_json::json!({"warnings": {"invalid_categories": [], "invalid_badges": [], "other": []}}));
        let resp = self
            .http
            .send(self.authed(req))
            .await
            .map_err(|e| e.context(size_hint))?;
        Ok(Upload {
            reply: publish_reply(&resp, &self.token_env)?,
            received: !resp.predicted,
        })
    }

    /// `DELETE {api}/api/v1/crates/{name}/{vers}/yank` → `{"ok":true}`.
    pub async fn yank(&self, name: &str, vers: &str) -> Result<()> {
        let url = format!("{}/api/v1/crates/{name}/{vers}/yank", self.root);
        let req = Request::delete(&url)?
            .header("accept", "application/json")
            .predict(serde_json::json!({"ok": true}));
        let resp = self.http.send(self.authed(req)).await?;
        check_reply(&resp, &format!("yanking {name}@{vers}"), &self.token_env).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_bytes() {
        let b = frame(b"{}", b"xyz");
        assert_eq!(b, [2, 0, 0, 0, b'{', b'}', 3, 0, 0, 0, b'x', b'y', b'z']);
        let big = frame(&[b' '; 258], b"");
        assert_eq!(&big[..4], &[2, 1, 0, 0]);
        assert_eq!(&big[262..], &[0, 0, 0, 0]);
    }

    fn resp(status: u16, body: &str) -> Response {
        Response {
            status: reqwest::StatusCode::from_u16(status).unwrap(),
            headers: Default::default(),
            body: bytes::Bytes::from(body.to_string()),
            url: "http://r/api/v1/crates/new".into(),
            predicted: false,
        }
    }

    #[test]
    fn replies() {
        let reply = |status, detail: &str| {
            let body = serde_json::json!({"errors": [{"detail": detail}]}).to_string();
            publish_reply(&resp(status, &body), "MY_TOKEN")
        };
        let ok = r#"{"warnings":{"invalid_categories":["x"],"invalid_badges":[],"other":[]}}"#;
        let warnings = vec!["invalid_categories: x".to_string()];
        assert_eq!(
            publish_reply(&resp(200, ok), "T").unwrap(),
            Reply::Accepted { warnings }
        );
        // Legacy style: HTTP 200 with an errors array is a failure (here, a duplicate).
        let dup = reply(200, "the crate, demo v0.1.0, already exists").unwrap();
        assert!(matches!(dup, Reply::Duplicate(_)));
        let dup = reply(400, "crate version `0.1.0` is already uploaded").unwrap();
        assert!(matches!(dup, Reply::Duplicate(_)));
        let e = reply(200, "missing description").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Other);
        assert!(
            e.message().contains("HTTP 200: missing description"),
            "{e:?}"
        );
        let e = reply(400, "invalid semver").unwrap_err();
        assert!(e.message().contains("HTTP 400: invalid semver"), "{e:?}");
        let e = reply(403, "invalid token").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Auth);
        assert!(e.hint().unwrap().contains("MY_TOKEN"), "{e:?}");
        assert_eq!(
            reply(429, "try again after X").unwrap_err().kind,
            ErrorKind::RateLimited
        );
        // No JSON at all: the status decides.
        let e = publish_reply(&resp(502, "<html>bad gateway</html>"), "T").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Server);
    }

    /// crates.io's real response bodies (publish.rs, rate_limiter.rs, errors/json.rs).
    #[test]
    fn each_crates_io_refusal_has_its_own_hint() {
        let with = |status: u16, detail: &str, retry: Option<&str>| {
            let mut r = resp(
                status,
                &serde_json::json!({"errors": [{"detail": detail}]}).to_string(),
            );
            if let Some(v) = retry {
                r.headers.insert("retry-after", v.parse().unwrap());
            }
            publish_reply(&r, "CARGO_REGISTRY_TOKEN").unwrap_err()
        };
        let cases: [(u16, &str, Option<&str>, ErrorKind, &str); 8] = [
            (400, "A verified email address is required to publish crates to crates.io. Visit https://crates.io/settings/profile to set and verify your email address.", None, ErrorKind::Auth, "verify your email on crates.io"),
            (403, "this crate exists but you don't seem to be an owner. If you believe this is a mistake, perhaps you need to accept an invitation to be an owner before publishing.", None, ErrorKind::Auth, "cargo owner --add"),
            (429, "You have published too many versions of this crate in the last 24 hours", None, ErrorKind::RateLimited, "re-run in 24 hours"),
            (429, "You have published too many new crates in a short period of time. Please try again after Fri, 21 Aug 2026 10:00:00 GMT and see https://crates.io/docs/rate-limits for more details.", Some("Fri, 21 Aug 2026 10:00:00 GMT"), ErrorKind::RateLimited, "rate limited until Fri, 21 Aug 2026 10:00:00 GMT"),
            (413, "max upload size is: 10485760", None, ErrorKind::Input, "10 MiB"),
            (400, "The following category slugs are not currently supported on crates.io: cli\n\nSee https://crates.io/category_slugs for a list of supported slugs.", None, ErrorKind::Input, "category_slugs"),
            (400, "Dependency `inhouse` is hosted on another registry. Cross-registry dependencies are not permitted on crates.io.", None, ErrorKind::Input, "must come from crates.io"),
            (403, "authentication failed", None, ErrorKind::Auth, "CARGO_REGISTRY_TOKEN"),
        ];
        for (status, detail, retry, kind, hint) in cases {
            let e = with(status, detail, retry);
            assert_eq!(e.kind, kind, "{e:?}");
            assert!(
                e.message().contains(&detail[..detail.len().min(30)]),
                "server words kept: {e:?}"
            );
            assert!(e.hint().unwrap().contains(hint), "{e:?}");
        }
        let wild = with(400, "wildcard (`*`) dependency constraints are not allowed on crates.io. Crate with this problem: `serde`", None);
        assert!(wild.hint().unwrap().contains("instead of `*`"), "{wild:?}");
        // A bare 413 from a proxy (no JSON) still gets the size hint.
        let e =
            publish_reply(&resp(413, "<html>Request Entity Too Large</html>"), "T").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Input, "{e:?}");
        assert!(e.hint().unwrap().contains("exclude"), "{e:?}");
    }
}
