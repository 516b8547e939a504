//! Version-level state without building (issue 11's probe, and `tagship status`'s latest),
//! read from upstream's default branch through the contents API:
//! - **probe**: the version folder holds the three manifests, and its installer manifest has
//!   exactly one installer per windows target planned, each pointing at a GitHub asset (from
//!   github's probe hand-over) with GitHub's own sha256 → live. Otherwise the release builds
//!   and the check compares content; an open PR for the version is named in the reason (the
//!   contract's probe has no `pending`: the check after the build reports it, no PR added).
//! - **latest**: the newest version folder under the package's folder.

use super::{manifest, Winget};
use crate::kit::pulls::file_text;
use crate::error::Result;
use crate::plan::Os;
use crate::platform::{newest, Cx, Handover, Latest, Live, Planned, Probe};
use serde_json::Value;

/// Entries of a folder listing (`None`: the folder does not exist).
fn entries(listing: Option<&Value>) -> Vec<&Value> {
    listing.and_then(Value::as_array).into_iter().flatten().collect()
}

pub(super) async fn probe(w: &Winget, cx: &Cx, plan: &Planned) -> Result<Probe> {
    let Some(gh) = cx.deps.get("github") else {
        return Ok(Probe::Unknown);
    };
    let windows = plan.targets.iter().filter(|t| t.os == Os::Windows).count();
    if windows == 0 {
        return Ok(Probe::Unknown); // packaging refuses it with the hint
    }
    let (hub, up, folder) = (w.hub(cx), &w.cfg.upstream, w.folder(cx));
    let listing = hub.get(&format!("/repos/{up}/contents/{folder}"), up, "reading the manifest folder").await?;
    let listed = entries(listing.as_ref());
    let id = &w.cfg.identifier;
    let wanted = [format!("{id}.installer.yaml"), format!("{id}.locale.{}.yaml", manifest::LOCALE), format!("{id}.yaml")];
    let has = |n: &str| listed.iter().any(|e| e["name"] == n);
    if !wanted.iter().all(|n| has(n)) {
        let why = match w.pull_for_version(&hub, cx).await? {
            Some(Live::Pending { reason }) => reason,
            _ => format!("{folder} is not complete on {up}"),
        };
        return Ok(Probe::Missing(format!("winget: {why}")));
    }
    let path = format!("/repos/{up}/contents/{folder}/{}", wanted[0]);
    let file = hub.get(&path, up, "reading the installer manifest").await?;
    let live = manifest::installer_downloads(&file_text(file.as_ref()));
    let on_github = |(url, sha): &(String, String)| gh.assets.iter().any(|a| a.url == *url && a.sha256.eq_ignore_ascii_case(sha));
    if live.len() != windows || !live.iter().all(on_github) {
        return Ok(Probe::Missing(format!("winget: {folder}/{} does not point at exactly the release's zips", wanted[0])));
    }
    let page = file.as_ref().and_then(|f| f["html_url"].as_str()).map(String::from);
    Ok(Probe::Live(Handover::urls(page.into_iter().collect())))
}

/// The newest version folder of the package on upstream's default branch.
pub(super) async fn latest(w: &Winget, cx: &Cx) -> Result<Option<Latest>> {
    let (hub, up) = (w.hub(cx), &w.cfg.upstream);
    let package = manifest::package_folder(&w.cfg.identifier);
    let listing = hub.get(&format!("/repos/{up}/contents/{package}"), up, "listing the package's versions").await?;
    let dirs: Vec<&Value> = entries(listing.as_ref()).into_iter().filter(|e| e["type"] == "dir").collect();
    let Some(version) = newest(dirs.iter().filter_map(|e| e["name"].as_str())) else {
        return Ok(None);
    };
    let url = dirs.iter().find(|e| e["name"] == version.to_string().as_str()).and_then(|e| e["html_url"].as_str());
    Ok(Some(Latest {
        url: url.map(String::from),
        version,
        published_at: None,
    }))
}
