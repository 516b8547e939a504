//! `tagship rollback` on npm: the root package's version is deprecated (npm shows the message
//! on install and `npm install` skips it for ranges), and when it is `latest`, `latest` moves
//! back to the newest earlier version that is stable and not deprecated. Nothing is
//! unpublished: unpublishing is refused after 72 hours and burns the version anyway.

use super::Npm;
use crate::error::Result;
use crate::platform::{Cx, Withdrawn};
use serde_json::Value;

/// Deprecates `cx.release.version` of the root package and moves `latest` back.
pub(super) async fn deprecate(n: &Npm, cx: &Cx) -> Result<Withdrawn> {
    let name = n.cfg.root_name(&n.project);
    let v = cx.release.version.to_string();
    let api = n.api(cx);
    let Some(mut doc) = api.full_packument(&name).await? else {
        return Ok(Withdrawn::Done(format!("{name} is not on the registry: nothing to take back")));
    };
    if doc["versions"][&v].is_null() {
        return Ok(Withdrawn::Done(format!("{name}@{v} is not on the registry: nothing to take back")));
    }
    let mut done = Vec::new();
    if doc["versions"][&v]["deprecated"].as_str().unwrap_or("").is_empty() {
        doc["versions"][&v]["deprecated"] =
            Value::from(format!("{v} was withdrawn by its maintainers (tagship rollback)"));
        api.put_packument(&name, &doc).await?;
        done.push(format!("deprecated {name}@{v}"));
    }
    if doc["dist-tags"]["latest"] == v.as_str() {
        match previous(&doc, &cx.release.version) {
            Some(p) => {
                api.set_dist_tag(&name, "latest", &p).await?;
                done.push(format!("moved latest back to {p}"));
            }
            None => done.push("latest stays: no earlier stable version".into()),
        }
    }
    if done.is_empty() {
        done.push(format!("{name}@{v} is already deprecated and not latest"));
    }
    Ok(Withdrawn::Done(done.join("; ")))
}

/// The newest version below `v` that is stable and not deprecated.
fn previous(doc: &Value, v: &semver::Version) -> Option<String> {
    let versions = doc["versions"].as_object()?;
    versions
        .iter()
        .filter(|(_, m)| m["deprecated"].as_str().unwrap_or("").is_empty())
        .filter_map(|(k, _)| semver::Version::parse(k).ok())
        .filter(|x| x < v && x.pre.is_empty())
        .max()
        .map(|x| x.to_string())
}
