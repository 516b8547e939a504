//! `tagship rollback` on docker (capability `delist`). First every floating tag this version
//! holds moves back to the highest other stable version in its range (its index bytes read
//! by tag and PUT again, so the digest is exactly that version's); one without such a
//! version goes with the version. Then the version's index is deleted by digest, `DELETE
//! /v2/<repo>/manifests/<digest>` (a registry refuses a DELETE by tag), which removes every
//! tag still pointing at it. Children and blobs stay until the registry's garbage collection.
//! A registry that refuses deletes (405: Docker Hub, or distribution without
//! `storage.delete.enabled`) ends `manual`, saying what to delete and where; the floating
//! tags have moved back by then. A dry run reads everything and withholds every write.

use super::{config, floating, media_type, Docker};
use crate::error::{Error, Result};
use crate::http::{Body, Request};
use crate::platform::{Cx, Withdrawn};
use serde_json::json;

pub(super) async fn withdraw(d: &Docker, cx: &Cx) -> Result<Withdrawn> {
    let s = d.session(cx);
    let v = &cx.release.version;
    let tag = config::version_tag(v)?;
    let image = d.reference.display();
    let Some(found) = s.manifest(&tag).await? else {
        return Ok(Withdrawn::Done(format!(
            "{image}:{tag} is not on the registry: nothing to take back"
        )));
    };
    let live = s.tags().await?;
    let mut done = Vec::new();
    for f in &d.cfg.floating_tags {
        let name = f.name(v);
        if s.manifest(&name).await?.map(|x| x.digest).as_ref() != Some(&found.digest) {
            continue;
        }
        let Some(prev) = floating::previous(*f, v, &live) else {
            done.push(format!("{name} goes with it: no other stable version in its range"));
            continue;
        };
        let prev_tag = config::version_tag(&prev)?;
        let bytes = s.manifest_bytes(&prev_tag).await?.ok_or_else(|| {
            Error::protocol(format!("{image}:{prev_tag} was listed but cannot be read"))
        })?;
        let url = s.url(&format!("manifests/{name}"));
        let ty = media_type(&bytes)?;
        let resp = s
            .send(&|| {
                Ok(Request::put(&url)?
                    .body(Body::bytes(bytes.clone(), &ty))
                    .predict(json!({})))
            })
            .await?;
        if !resp.status.is_success() {
            return Err(s.fail(&resp, &format!("moving {image}:{name} back to {prev}")));
        }
        done.push(format!("moved {name} back to {prev}"));
    }
    let url = s.url(&format!("manifests/{}", found.digest));
    let resp = s
        .send(&|| Ok(Request::delete(&url)?.predict(json!({}))))
        .await?;
    match resp.status.as_u16() {
        200..=299 => done.push(format!("deleted {image}:{tag} ({})", found.digest)),
        404 => done.push(format!("{image}:{tag} was already deleted")),
        405 => return Ok(refused_delete(d, &tag, &found.digest, done)),
        _ => return Err(s.fail(&resp, &format!("deleting {image}:{tag}"))),
    }
    Ok(Withdrawn::Done(done.join("; ")))
}

/// The registry does not delete manifests (405 UNSUPPORTED): what a person must do, where.
fn refused_delete(d: &Docker, tag: &str, digest: &str, done: Vec<String>) -> Withdrawn {
    let image = d.reference.display();
    let moved = match done.is_empty() {
        true => String::new(),
        false => format!("{}; ", done.join("; ")),
    };
    if d.reference.is_docker_hub() {
        let repo = &d.reference.repository;
        let page = match repo.strip_prefix("library/") {
            Some(official) => format!("https://hub.docker.com/_/{official}/tags"),
            None => format!("https://hub.docker.com/r/{repo}/tags"),
        };
        return Withdrawn::Manual {
            what: format!(
                "{moved}Docker Hub refuses deleting {image}:{tag} through the registry API (HTTP 405): delete the tag {tag} on the repository's Tags page, or with Docker Hub's API (`DELETE https://hub.docker.com/v2/repositories/{repo}/tags/{tag}/` with a token from `POST https://hub.docker.com/v2/users/login`)"
            ),
            url: page,
        };
    }
    Withdrawn::Manual {
        what: format!(
            "{moved}the registry refuses deletes (HTTP 405): delete {image}:{tag} ({digest}) by hand, e.g. `skopeo delete docker://{image}:{tag}` once the registry allows it (distribution: `storage.delete.enabled: true`)"
        ),
        url: d.cfg.api_base(&d.reference),
    }
}
