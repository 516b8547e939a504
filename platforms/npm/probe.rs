//! The version-level probe (issue 11), before anything is built. `mode: binary`: the root
//! package at this version, whose `optionalDependencies` pin one platform package per
//! target, and every candidate platform package (`{prefix}-{os}-{cpu}`, and its `-musl`
//! twin on Linux: which one a target gets depends on the binary, not yet built), all asked
//! at once, with the token's `whoami`: one round trip. Live when the root is there and the
//! package it pins for every target is there too. `mode: package_json`: the one package
//! named by package.json.

use super::config::Mode;
use super::manifest::{escaped_name, npm_cpu, npm_os};
use super::Npm;
use crate::error::Result;
use crate::http::{Auth, Request};
use crate::plan::{Os, Target};
use crate::platform::{Cx, Handover, Planned, Probe};
use serde_json::Value;

pub(super) async fn probe(n: &Npm, cx: &Cx, plan: &Planned) -> Result<Probe> {
    let version = cx.release.version.to_string();
    let api = n.api(cx);
    if n.cfg.mode == Mode::PackageJson {
        let Some(name) = package_json_name(n, cx) else {
            return Ok(Probe::Unknown);
        };
        let (_, live) = futures::try_join!(api.whoami(), api.version(&name, &version))?;
        return Ok(match live {
            Some(_) => Probe::Live(page(n, &name, &version)),
            None => Probe::Missing(format!("npm: {name}@{version} is not published")),
        });
    }
    let root = n.cfg.root_name(&n.project);
    let names: Vec<(Target, Vec<String>)> = plan
        .targets
        .iter()
        .map(|&t| (t, candidates(n, t)))
        .collect();
    let flat: Vec<&String> = names.iter().flat_map(|(_, c)| c).collect();
    let (_, pins, live) = futures::try_join!(
        api.whoami(),
        root_pins(n, cx, &root, &version),
        futures::future::try_join_all(flat.iter().map(|name| api.version(name, &version))),
    )?;
    let Some(pins) = pins else {
        return Ok(Probe::Missing(format!(
            "npm: {root}@{version} is not published"
        )));
    };
    let is_live = |name: &str| {
        flat.iter()
            .zip(&live)
            .any(|(n, d)| n.as_str() == name && d.is_some())
    };
    for (t, cands) in &names {
        let pinned = cands
            .iter()
            .find(|c| pins.get(c.as_str()).and_then(Value::as_str) == Some(version.as_str()));
        match pinned {
            Some(name) if is_live(name) => {}
            _ => {
                return Ok(Probe::Missing(format!(
                    "npm: the package for {t} at {version} is not published"
                )))
            }
        }
    }
    Ok(Probe::Live(page(n, &root, &version)))
}

/// The names a target's platform package may have (`-musl` only for a musl-linked binary).
fn candidates(n: &Npm, t: Target) -> Vec<String> {
    let base = format!(
        "{}-{}-{}",
        n.cfg.platform_prefix(&n.project),
        npm_os(t.os),
        npm_cpu(t.arch)
    );
    match t.os {
        Os::Linux => vec![format!("{base}-musl"), base],
        _ => vec![base],
    }
}

/// The root's `optionalDependencies` at `version`; `None` when that version is not there.
async fn root_pins(
    n: &Npm,
    cx: &Cx,
    root: &str,
    version: &str,
) -> Result<Option<serde_json::Map<String, Value>>> {
    let url = format!("{}{}/{version}", n.cfg.registry_base(), escaped_name(root));
    let mut req = Request::get(&url)?.header("accept", "application/json");
    if let Some(t) = cx.secret(&n.cfg.token_env) {
        req = req.auth(Auth::Bearer(t.clone()));
    }
    let resp = cx.http.send(req).await?;
    match resp.status.as_u16() {
        404 => Ok(None),
        200 => {
            let v: Value = resp.json()?;
            if v["version"].as_str() != Some(version) {
                return Ok(None);
            }
            Ok(Some(
                v["optionalDependencies"]
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            ))
        }
        _ => Err(resp.error(&format!("checking {root}@{version}"))),
    }
}

/// `name` of the package.json `mode: package_json` publishes, if it can be read.
fn package_json_name(n: &Npm, cx: &Cx) -> Option<String> {
    let dir = cx.release.root.join(n.cfg.path.as_deref().unwrap_or("."));
    let text = std::fs::read_to_string(dir.join("package.json")).ok()?;
    let pj: Value = serde_json::from_str(&text).ok()?;
    pj["name"].as_str().map(String::from)
}

/// The published package's page, as `publish` hands it over.
fn page(n: &Npm, name: &str, version: &str) -> Handover {
    let base = n.cfg.registry_base();
    Handover::urls(vec![if base.contains("registry.npmjs.org") {
        format!("https://www.npmjs.com/package/{name}/v/{version}")
    } else {
        format!("{base}{name}/{version}")
    }])
}

/// `tagship status`: the root package's `latest` dist-tag, as installers read it.
pub(super) async fn latest(n: &Npm, cx: &Cx) -> Result<Option<crate::platform::Latest>> {
    let name = match n.cfg.mode {
        Mode::PackageJson => match package_json_name(n, cx) {
            Some(name) => name,
            None => return Ok(None),
        },
        _ => n.cfg.root_name(&n.project),
    };
    let Some(doc) = n.api(cx).packument(&name, true).await? else {
        return Ok(None);
    };
    let tag = doc["dist-tags"]["latest"].as_str().unwrap_or_default();
    Ok(crate::platform::newest([tag]).map(|version| {
        let v = version.to_string();
        crate::platform::Latest {
            published_at: doc["time"][&v].as_str().map(String::from),
            url: page(n, &name, &v).urls.into_iter().next(),
            version,
        }
    }))
}
