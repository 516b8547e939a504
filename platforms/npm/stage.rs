//! npm staged publishing (`platforms.npm.stage: true`, issue 13): each package goes to the
//! registry's stage instead of the live PUT and stays `pending` until a maintainer approves
//! it with 2FA (`npm stage approve <stage-id>`, or the Staged Packages tab on npmjs.com).
//! The wire protocol (sources in README.md, "Staged publishing"):
//! - stage: `POST {registry}-/stage/package/{escapedName}` with the same document as the
//!   publish PUT → `201 {"ok": true, "stageId": "<uuid>"}`;
//! - list: `GET {registry}-/stage?page=N&perPage=100` (authenticated) → `{"items": [{id,
//!   packageName, version, tag, createdAt, actor, actorType, shasum}], "total": N}`;
//! - view `GET -/stage/{id}`, approve `POST -/stage/{id}/approve` (2FA), reject
//!   `DELETE -/stage/{id}`, tarball `GET -/stage/{id}/tarball`: a person's steps, not ours.
//!
//! Staged versions share the version index with published ones: staging a version that is
//! staged or published is refused, so a staged version is `pending` in the check and never
//! sent again. In `mode: binary` the root is staged only once every platform package is
//! approved and installable (a root approved first would install without its binary).

use super::api::Api;
use super::manifest::escaped_name;
use super::publish::Sent;
use super::{Loaded, Npm};
use crate::error::{Error, ErrorKind, Result};
use crate::http::{Body, Request};
use crate::platform::{Digest, Listed, Live};
use serde_json::{json, Value};

/// The version npmjs publishes (publicly) when a package that does not exist yet is staged.
pub const PLACEHOLDER: &str = "0.0.0-stage";
/// Items per page of the stage listing (npm's and pnpm's page size).
const PER_PAGE: usize = 100;
/// Pages read at most (10,000 staged versions): a bound, not an expectation.
const MAX_PAGES: usize = 100;

/// A staged version, as the registry lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedItem {
    pub id: String,
    pub package: String,
    pub version: String,
    pub shasum: Option<String>,
}

/// How a stage request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Staging {
    /// Staged; `predicted` (and no `id`) when the dry-run guard withheld the request.
    Staged { id: Option<String>, predicted: bool },
    /// This version is already staged (409): never staged twice.
    AlreadyStaged,
    /// This version is already published (compare its bytes).
    Published,
}

impl Api {
    /// `POST {registry}-/stage/package/{escapedName}` with the publish document.
    pub async fn stage(&self, name: &str, version: &str, doc: Body) -> Result<Staging> {
        let url = format!("{}-/stage/package/{}", self.base, escaped_name(name));
        let req = self
            .authed(Request::post(&url)?)
            .header("npm-command", "stage")
            // Staging is not idempotent either: after a lost answer the engine re-checks.
            .idempotent(false)
            .body(doc)
            .predict(json!({"ok": true, "stageId": null}));
        let resp = self.http.send(req).await?;
        if resp.ok() {
            let id = resp.json::<Value>().ok().and_then(|v| {
                v["stageId"].as_str().map(String::from)
            });
            return Ok(Staging::Staged {
                id,
                predicted: resp.predicted,
            });
        }
        let body = resp.text().to_ascii_lowercase();
        match resp.status.as_u16() {
            403 if body.contains("cannot publish over") => Ok(Staging::Published),
            409 if body.contains("already present") || body.contains("already published") => {
                Ok(Staging::Published)
            }
            409 => Ok(Staging::AlreadyStaged),
            _ => Err(refused(&resp, name, version, self)),
        }
    }

    /// Every version staged for the token's user (`GET -/stage`, paged). `None` without a
    /// token (the listing needs one; trusted publishing has none before its exchange).
    pub async fn staged(&self) -> Result<Option<Vec<StagedItem>>> {
        if self.token.is_none() {
            return Ok(None);
        }
        let mut out = Vec::new();
        for page in 0..MAX_PAGES {
            let url = format!("{}-/stage?page={page}&perPage={PER_PAGE}", self.base);
            let resp = self.http.send(self.authed(Request::get(&url)?)).await?;
            match resp.status.as_u16() {
                200 => {}
                404 | 405 | 501 => return Err(unsupported(&self.base)),
                _ => return Err(self.hint(resp.error("listing staged packages"))),
            }
            let v: Value = resp.json()?;
            let items = v["items"].as_array().cloned().unwrap_or_default();
            let n = items.len();
            out.extend(items.iter().filter_map(item));
            let total = v["total"].as_u64().unwrap_or(0) as usize;
            if n < PER_PAGE || out.len() >= total {
                break;
            }
        }
        Ok(Some(out))
    }
}

fn item(v: &Value) -> Option<StagedItem> {
    let s = |k: &str| v[k].as_str().map(String::from);
    Some(StagedItem {
        id: s("id")?,
        package: s("packageName")?,
        version: s("version")?,
        shasum: s("shasum"),
    })
}

fn unsupported(base: &str) -> Error {
    Error::new(
        ErrorKind::Unsupported,
        format!("npm: {base} has no staged publishing (`-/stage` is not there)"),
    )
    .with_hint("staged publishing exists on registry.npmjs.org (verdaccio 7+ behind its `stage` flag); remove platforms.npm.stage or point `registry` at one that stages")
}

impl Npm {
    /// Stages one package (publish.rs sends it here instead of the PUT). A version already
    /// staged is found in the listing, never staged twice; one already published is
    /// compared by its bytes, as after a refused PUT.
    pub(super) async fn stage_one(&self, api: &Api, l: &Loaded, doc: Body) -> Result<Sent> {
        match api.stage(&l.name, &l.version, doc).await? {
            Staging::Staged { id, predicted } => Ok(Sent::Staged {
                id,
                now: true,
                predicted,
            }),
            Staging::Published => match api.version(&l.name, &l.version).await? {
                Some(d) => self.same(l, &d).map(|_| Sent::AlreadyThere),
                None => Err(Error::conflict(format!(
                    "npm: {}@{} was published before (perhaps unpublished) and can never be reused",
                    l.name, l.version
                ))
                .with_hint("bump the version")),
            },
            Staging::AlreadyStaged => {
                let items = api.staged().await?.unwrap_or_default();
                let it = items
                    .into_iter()
                    .find(|it| it.package == l.name && it.version == l.version);
                if let Some(theirs) = it.as_ref().and_then(|it| it.shasum.as_ref()) {
                    if *theirs != l.digests.shasum {
                        return Err(staged_otherwise(l, theirs));
                    }
                }
                Ok(Sent::Staged {
                    id: it.map(|it| it.id),
                    now: false,
                    predicted: false,
                })
            }
        }
    }
}

/// A version staged with other bytes than ours: never staged again, never overwritten.
fn staged_otherwise(l: &Loaded, theirs: &str) -> Error {
    let ours = &l.digests.shasum;
    Error::conflict(format!(
        "npm: {}@{} is staged with different content (staged shasum {theirs}, ours {ours})",
        l.name, l.version
    ))
    .with_hint("reject the staged version (`npm stage reject <stage-id>`) or bump the version")
}

/// How a person approves `id`, and where the package is.
pub fn approve_with(id: Option<&str>) -> String {
    match id {
        Some(id) => format!("approve with `npm stage approve {id}`"),
        None => "approve it with `npm stage approve <stage-id>` (`npm stage list` shows the id)"
            .into(),
    }
}

/// `name@version` as staged, for the check: pending, with the approval step and the page.
pub(super) fn listed(n: &Npm, l: &Loaded, it: &StagedItem) -> Listed {
    let digests = it.shasum.iter().cloned().map(Digest::Sha1).collect();
    let mut out = Listed::new(&l.name, digests);
    out.pending = Some(format!(
        "staged (stage id {}), awaiting approval; {} ({})",
        it.id,
        approve_with(Some(&it.id)),
        n.package_page(&l.name)
    ));
    out
}

/// `mode: binary`: the root waits for its platform packages. When the root is the only
/// package missing and some platform package is staged, nothing can be sent yet: pending.
pub(super) fn hold_root(live: Live, loaded: &[Loaded], listed: &[Listed]) -> Live {
    let Some(root) = loaded
        .iter()
        .find(|l| l.manifest.get("optionalDependencies").is_some())
    else {
        return live;
    };
    let staged: Vec<String> = listed
        .iter()
        .filter(|l| l.name != root.name)
        .filter_map(|l| l.pending.as_ref().map(|why| format!("{}: {why}", l.name)))
        .collect();
    let only_root = match &live {
        Live::Partial { missing, .. } => *missing == [root.name.clone()],
        _ => false,
    };
    if !only_root || staged.is_empty() {
        return live;
    }
    Live::Pending {
        reason: format!("{}; {}", staged.join("; "), held(&root.name)),
    }
}

/// Why the root was not staged.
pub(super) fn held(root: &str) -> String {
    format!(
        "{root} is staged only once these platform packages are approved and installable \
         (a root approved first would install without its binary): re-run tagship after approving them"
    )
}

/// A refused stage request: the server's words, with a hint for its cause.
fn refused(resp: &crate::http::Response, name: &str, version: &str, api: &Api) -> Error {
    let b = resp.text().to_ascii_lowercase();
    let e = resp.error(&format!("staging {name}@{version}"));
    let hint = match resp.status.as_u16() {
        403 if b.contains("two-factor") || b.contains("2fa") => format!(
            "npm stages only for accounts with two-factor authentication enabled (approving needs it): \
             enable 2FA on the npm account that owns the token in {}",
            api.token_env
        ),
        403 if b.contains("permission") => format!(
            "the credential may not publish `{name}`: give the token in {} read-write on the package, \
             or allow `npm stage publish` in the package's trusted publisher settings",
            api.token_env
        ),
        404 => format!(
            "`{name}` may not exist yet (npm's stage docs: the package must already exist) or the token in {} \
             may not write it: publish its first version without `stage`, or check the token's packages",
            api.token_env
        ),
        _ => {
            let c = super::refusals::Ctx {
                name,
                version,
                token_env: &api.token_env,
                otp_env: &api.otp_env,
                has_token: api.token.is_some(),
            };
            return super::refusals::error(resp, &c);
        }
    };
    Error::new(ErrorKind::Auth, e.message().to_string()).with_hint(hint)
}
