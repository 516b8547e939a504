//! The version-level probe (issue 11), before anything is built. `mode: binary`: the root
//! package at this version, then the platform package its `optionalDependencies` pin for
//! each target (`{prefix}-{os}-{cpu}`, or its `-musl` twin on Linux: the root says which).
//! Those reads go out without the token first (`Api::version_doc_public_first`): only the
//! token's `whoami`, sent at the same time, makes the registry verify the credential, so the
//! probe costs about one authenticated round trip. Live when the root is there and the
//! package it pins for every target is there too. `mode: package_json`: the one package
//! named by package.json.

use super::config::Mode;
use super::manifest::{npm_cpu, npm_os};
use super::api::Api;
use super::stage::{approve_with, PLACEHOLDER};
use super::Npm;
use crate::error::Result;
use crate::plan::{Os, Target};
use crate::platform::{Cx, Handover, Planned, Probe};
use serde_json::Value;

pub(super) async fn probe(n: &Npm, cx: &Cx, plan: &Planned) -> Result<Probe> {
    let version = cx.release.version.to_string();
    let api = n.api(cx);
    if n.cfg.mode == Mode::PackageJson && n.cfg.workspace {
        return super::package_json::probe(n, cx).await;
    }
    if n.cfg.mode == Mode::PackageJson {
        let Some(name) = package_json_name(n, cx) else {
            return Ok(Probe::Unknown);
        };
        let (_, live) = futures::try_join!(
            api.whoami(),
            api.version_doc_public_first(&name, &version)
        )?;
        return match live {
            Some(_) => Ok(Probe::Live(page(n, &name, &version))),
            None => {
                let missing = format!("npm: {name}@{version} is not published");
                staged_or(n, &api, &version, missing, |p| p == name).await
            }
        };
    }
    let root = n.cfg.root_name(&n.project);
    let (_, probe) = futures::try_join!(
        api.whoami(),
        binary_packages(n, &api, plan, &root, &version)
    )?;
    Ok(probe)
}

/// `mode: binary`: the root at this version, then the one package it pins per target: two
/// anonymous round trips, which the token's `whoami` (the slow one) overlaps.
async fn binary_packages(
    n: &Npm,
    api: &Api,
    plan: &Planned,
    root: &str,
    version: &str,
) -> Result<Probe> {
    let Some(pins) = root_pins(api, root, version).await? else {
        let missing = format!("npm: {root}@{version} is not published");
        let ours = |p: &str| p == root || ours(n, plan, p);
        return staged_or(n, api, version, missing, ours).await;
    };
    let mut pinned = Vec::new();
    for &t in &plan.targets {
        let name = candidates(n, t)
            .into_iter()
            .find(|c| pins.get(c.as_str()).and_then(Value::as_str) == Some(version));
        match name {
            Some(name) => pinned.push((t, name)),
            None => {
                return Ok(Probe::Missing(format!(
                    "npm: {root}@{version} pins no package for {t}"
                )))
            }
        }
    }
    let live = futures::future::try_join_all(
        pinned
            .iter()
            .map(|(_, name)| api.version_doc_public_first(name, version)),
    )
    .await?;
    if let Some(((t, _), _)) = pinned.iter().zip(&live).find(|(_, d)| d.is_none()) {
        return Ok(Probe::Missing(format!(
            "npm: the package for {t} at {version} is not published"
        )));
    }
    Ok(Probe::Live(page(n, root, version)))
}

/// With `stage: true`, a version that is not published may be staged (awaiting approval):
/// `Pending` when any of ours (`ours(name)`) is staged at `version`, else `Missing`.
async fn staged_or(
    n: &Npm,
    api: &Api,
    version: &str,
    missing: String,
    ours: impl Fn(&str) -> bool,
) -> Result<Probe> {
    if !n.cfg.stage {
        return Ok(Probe::Missing(missing));
    }
    let Some(items) = api.staged().await? else {
        return Ok(Probe::Missing(missing));
    };
    let staged: Vec<String> = (items.iter())
        .filter(|it| it.version == version && ours(&it.package))
        .map(|it| {
            let approve = approve_with(Some(&it.id));
            format!("{}@{} ({approve})", it.package, it.version)
        })
        .collect();
    if staged.is_empty() {
        return Ok(Probe::Missing(missing));
    }
    let staged = staged.join(", ");
    Ok(Probe::Pending(format!("npm: staged, awaiting approval: {staged}")))
}

/// Is `name` the platform package of one of the planned targets?
fn ours(n: &Npm, plan: &Planned, name: &str) -> bool {
    (plan.targets.iter()).any(|&t| candidates(n, t).iter().any(|c| c == name))
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
    api: &Api,
    root: &str,
    version: &str,
) -> Result<Option<serde_json::Map<String, Value>>> {
    let doc = api.version_doc_public_first(root, version).await?;
    Ok(doc.map(|v| {
        v["optionalDependencies"]
            .as_object()
            .cloned()
            .unwrap_or_default()
    }))
}

/// `name` of the package.json `mode: package_json` publishes, if it can be read.
fn package_json_name(n: &Npm, cx: &Cx) -> Option<String> {
    let dir = cx.release.root.join(n.cfg.path.as_deref().unwrap_or("."));
    let text = std::fs::read_to_string(dir.join("package.json")).ok()?;
    let pj: Value = serde_json::from_str(&text).ok()?;
    pj["name"].as_str().map(String::from)
}

/// The published package's page, as `publish` hands it over.
pub(super) fn page(n: &Npm, name: &str, version: &str) -> Handover {
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
    // A new package staged on npmjs gets a public `0.0.0-stage` placeholder: not a release.
    let tag = doc["dist-tags"]["latest"]
        .as_str()
        .filter(|t| *t != PLACEHOLDER)
        .unwrap_or_default();
    Ok(crate::platform::newest([tag]).map(|version| {
        let v = version.to_string();
        crate::platform::Latest {
            published_at: doc["time"][&v].as_str().map(String::from),
            url: page(n, &name, &v).urls.into_iter().next(),
            version,
        }
    }))
}
