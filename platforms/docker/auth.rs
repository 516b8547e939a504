//! Registry authentication, as docker clients do it: send, and on a 401 read the
//! `WWW-Authenticate` challenge. `Basic` → retry with the user name and password. `Bearer
//! realm=…,service=…,scope=…` → fetch a token from the realm (with Basic credentials when we
//! have them, anonymously otherwise: enough to read public repositories in a dry run) and
//! retry with it. A 401 later in the push (an expired token) fetches a fresh one once.

use crate::error::{Error, ErrorKind, Result};
use crate::http::{Auth, Http, Request};
use crate::redact::Secret;

pub const USER_VAR: &str = "DOCKER_USERNAME";
pub const PASSWORD_VAR: &str = "DOCKER_PASSWORD";

/// A parsed `WWW-Authenticate` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
}

/// Parses `Basic realm="x"` or `Bearer realm="…",service="…",scope="…"`.
pub fn parse_challenge(h: &str) -> Option<Challenge> {
    let (scheme, rest) = h.trim().split_once(' ').unwrap_or((h.trim(), ""));
    if scheme.eq_ignore_ascii_case("basic") {
        return Some(Challenge::Basic);
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let params = params(rest);
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    Some(Challenge::Bearer {
        realm: get("realm")?,
        service: get("service"),
        scope: get("scope"),
    })
}

/// `k="v",k2=v2`: values may be quoted and quoted values may hold commas
/// (`scope="repository:a/b:pull,push"`).
fn params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = s.trim();
    while let Some((k, after)) = rest.split_once('=') {
        let key = k.trim().trim_start_matches(',').trim().to_ascii_lowercase();
        let (value, tail) = match after.strip_prefix('"') {
            Some(q) => match q.find('"') {
                Some(end) => (q[..end].to_string(), &q[end + 1..]),
                None => (q.to_string(), ""),
            },
            None => match after.find(',') {
                Some(end) => (after[..end].trim().to_string(), &after[end..]),
                None => (after.trim().to_string(), ""),
            },
        };
        out.push((key, value));
        rest = tail.trim_start_matches(',').trim();
    }
    out
}

/// The user name and password, when both are set.
pub type Creds = Option<(String, Secret)>;

/// The auth to retry with after a 401 carrying `challenge`, or `None` when retrying cannot
/// help (Basic refused, or no challenge we understand).
pub async fn answer(
    http: &Http,
    challenge: Option<&str>,
    creds: &Creds,
    scope: &str,
    had: Option<&Auth>,
) -> Result<Option<Auth>> {
    match challenge.and_then(parse_challenge) {
        Some(Challenge::Basic) => match (creds, had) {
            (Some((u, p)), None | Some(Auth::Bearer(_))) => Ok(Some(Auth::Basic(u.clone(), p.clone()))),
            _ => Ok(None),
        },
        Some(Challenge::Bearer {
            realm,
            service,
            scope: asked,
        }) => {
            let t = token(http, &realm, service.as_deref(), asked.as_deref(), scope, creds).await?;
            Ok(Some(Auth::Bearer(t)))
        }
        None => Ok(None),
    }
}

/// Fetches a token from the realm (distribution's token spec).
async fn token(
    http: &Http,
    realm: &str,
    service: Option<&str>,
    asked: Option<&str>,
    ours: &str,
    creds: &Creds,
) -> Result<Secret> {
    let mut url = url::Url::parse(realm)
        .map_err(|e| Error::protocol(format!("the registry's token realm `{realm}`: {e}")))?;
    {
        let mut q = url.query_pairs_mut();
        if let Some(s) = service {
            q.append_pair("service", s);
        }
        q.append_pair("scope", ours);
        // A challenge may name several scopes at once, space-separated (a cross-repository
        // mount asks for `pull` on the source too): one `scope=` each, as Docker Hub takes them.
        for a in asked.unwrap_or_default().split_whitespace().filter(|a| *a != ours) {
            q.append_pair("scope", a);
        }
    }
    let mut req = Request::get(url.as_str())?;
    if let Some((u, p)) = creds {
        req = req.auth(Auth::Basic(u.clone(), p.clone()));
    }
    let resp = http.send(req).await?;
    if matches!(resp.status.as_u16(), 401 | 403) {
        return Err(refused(&format!("the token endpoint {realm} refused the credentials (HTTP {})", resp.status), creds));
    }
    if !resp.ok() {
        return Err(resp.error("fetching a registry token"));
    }
    #[derive(serde::Deserialize)]
    struct Reply {
        token: Option<String>,
        access_token: Option<String>,
    }
    let r: Reply = resp.json()?;
    r.token
        .filter(|t| !t.is_empty())
        .or(r.access_token)
        .map(Secret::new)
        .ok_or_else(|| Error::protocol(format!("the token endpoint {realm} returned no token")))
}

/// An auth error whose hint names the credential variables.
pub fn refused(what: &str, creds: &Creds) -> Error {
    let hint = match creds {
        Some(_) => format!(
            "check {USER_VAR} and {PASSWORD_VAR} (on Docker Hub a personal access token with Read & Write scope) and that the account may push to this repository"
        ),
        None => format!("set {USER_VAR} and {PASSWORD_VAR} (on Docker Hub a personal access token)"),
    };
    Error::new(ErrorKind::Auth, what.to_string()).with_hint(hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges() {
        assert_eq!(parse_challenge(r#"Basic realm="basic-realm""#), Some(Challenge::Basic));
        let hub = r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:acme/x:pull,push""#;
        assert_eq!(
            parse_challenge(hub),
            Some(Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into()),
                scope: Some("repository:acme/x:pull,push".into()),
            })
        );
        let bare = "bearer realm=http://127.0.0.1:9/t, service=reg";
        assert_eq!(
            parse_challenge(bare),
            Some(Challenge::Bearer {
                realm: "http://127.0.0.1:9/t".into(),
                service: Some("reg".into()),
                scope: None,
            })
        );
        assert_eq!(parse_challenge("Negotiate abc"), None);
        assert_eq!(parse_challenge("Bearer service=x"), None, "no realm");
    }
}
