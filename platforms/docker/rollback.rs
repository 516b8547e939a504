//! `tagship rollback` on docker (capability `delist`). First every floating tag this version
//! holds moves back to the highest other stable version in its range (its index bytes read
//! by tag and PUT again, so the digest is exactly that version's); one without such a
//! version goes with the version. Then the version goes:
//! - on a registry: its index is deleted by digest, `DELETE /v2/<repo>/manifests/<digest>`
//!   (a registry refuses a DELETE by tag), which removes every tag still pointing at it.
//!   Children and blobs stay until the registry's garbage collection. A registry that refuses
//!   deletes (405: distribution without `storage.delete.enabled`) ends `manual`, saying what
//!   to delete and where; the floating tags have moved back by then;
//! - on Docker Hub (whose registry API refuses every DELETE): the version tag, and each
//!   floating tag going with it, is deleted by name through Docker Hub's own API (`hub.rs`).
//!
//! A dry run reads everything and withholds every write.

use super::registry::Session;
use super::{config, floating, hub, media_type, Docker};
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
    // The tags that leave with the version (on Docker Hub each is deleted by name).
    let mut leaving = vec![tag.clone()];
    for f in &d.cfg.floating_tags {
        let name = f.name(v);
        if s.manifest(&name).await?.map(|x| x.digest).as_ref() != Some(&found.digest) {
            continue;
        }
        let Some(prev) = floating::previous(*f, v, &live) else {
            done.push(format!("{name} goes with it: no other stable version in its range"));
            leaving.push(name);
            continue;
        };
        let prev_tag = config::version_tag(&prev)?;
        move_back(&s, &image, &name, &prev_tag).await?;
        done.push(format!("moved {name} back to {prev}"));
    }
    if d.reference.is_docker_hub() {
        return delete_on_hub(d, cx, &s, &leaving, done).await;
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

/// Points the floating tag `name` at the index `prev_tag` holds (its exact bytes).
async fn move_back(s: &Session<'_>, image: &str, name: &str, prev_tag: &str) -> Result<()> {
    let bytes = s.manifest_bytes(prev_tag).await?.ok_or_else(|| {
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
        return Err(s.fail(&resp, &format!("moving {image}:{name} back to {prev_tag}")));
    }
    Ok(())
}

/// Docker Hub: each leaving tag is deleted through its API. A 404 there is "already
/// deleted" only when the registry agrees the tag is gone.
async fn delete_on_hub(
    d: &Docker,
    cx: &Cx,
    s: &Session<'_>,
    leaving: &[String],
    mut done: Vec<String>,
) -> Result<Withdrawn> {
    let api = hub::Hub {
        http: &cx.http,
        base: d.cfg.hub_api(),
        repository: d.reference.repository.clone(),
        creds: Docker::creds(cx),
    };
    let token = api.login().await?;
    let image = d.reference.display();
    for t in leaving {
        match api.delete_tag(&token, t).await? {
            hub::Deleted::Done => done.push(format!("deleted {image}:{t} through Docker Hub's API")),
            hub::Deleted::Unknown(said) => match s.manifest(t).await? {
                None => done.push(format!("{image}:{t} was already deleted")),
                Some(_) => {
                    return Err(hub::unknown_but_served(&api.repository, t, &said, &api.base));
                }
            },
        }
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
    Withdrawn::Manual {
        what: format!(
            "{moved}the registry refuses deletes (HTTP 405): delete {image}:{tag} ({digest}) by hand, e.g. `skopeo delete docker://{image}:{tag}` once the registry allows it (distribution: `storage.delete.enabled: true`)"
        ),
        url: d.cfg.api_base(&d.reference),
    }
}
