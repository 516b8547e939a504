//! What GitHub makes of asset names, and what tagship hands to dependents.
//!
//! GitHub stores an uploaded file under a rewritten name: characters other than letters,
//! digits and `-_.+` (spaces, `~`, `:`, parentheses, …) become periods, runs of periods fold
//! into one, periods at either end go. tagship predicts that name before it checks or uploads,
//! or a re-run would see a "missing" asset forever.
//!
//! A draft's assets live at `…/releases/download/untagged-<hex>/NAME`, links that die when the
//! release is published. Dependents (Homebrew, WinGet, Scoop, …) must get the URLs that stay:
//! [`final_assets`] re-reads the release after the publishing PATCH and, where GitHub still
//! shows a draft link (a dry run, `draft: true`), derives the link the asset has once the
//! release is published.

use super::api::{self, Api, GhRelease};
use super::config::GithubConfig;
use crate::error::{Error, Result};
use crate::plan::Artifact;
use std::collections::BTreeMap;

/// Where GitHub serves a draft's pages and files until it is published.
const UNTAGGED: &str = "/untagged-";

/// The name GitHub will store for a file uploaded as `name`.
pub fn stored_name(name: &str) -> String {
    let mapped: String = name
        .chars()
        .map(|c| match c.is_ascii_alphanumeric() || "-_+.".contains(c) {
            true => c,
            false => '.',
        })
        .collect();
    let parts: Vec<&str> = mapped.split('.').filter(|p| !p.is_empty()).collect();
    match parts.is_empty() {
        true => "default".into(),
        false => parts.join("."),
    }
}

/// Refuses two local files that GitHub would store under one name.
pub fn distinct_stored_names(local: &[&Artifact]) -> Result<()> {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for a in local {
        if let Some(first) = seen.insert(stored_name(&a.name), &a.name) {
            return Err(Error::config(format!(
                "GitHub would store both `{first}` and `{}` as `{}`",
                a.name,
                stored_name(&a.name)
            ))
            .with_hint("rename one of the archives (use letters, digits and `-_.+` only)"));
        }
    }
    Ok(())
}

/// The permanent download URL of `name` in the release for `tag`.
pub fn download_url(cfg: &GithubConfig, tag: &str, name: &str) -> String {
    format!(
        "{}/{}/{}/releases/download/{}/{}",
        cfg.web_base(),
        cfg.owner,
        cfg.repo,
        api::encode(tag),
        api::encode(&stored_name(name))
    )
}

/// The permanent release page for `tag`.
pub fn release_page(cfg: &GithubConfig, tag: &str) -> String {
    let c = cfg;
    format!(
        "{}/{}/{}/releases/tag/{}",
        c.web_base(),
        c.owner,
        c.repo,
        api::encode(tag)
    )
}

/// One asset as dependents receive it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinalAsset {
    /// The local file name (the key dependents look up).
    pub name: String,
    /// The URL that keeps working after publication (never an `untagged-` link).
    pub url: String,
    pub sha256: String,
    pub size: u64,
}

/// The release page and assets, as handed over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Final {
    pub html_url: String,
    pub assets: Vec<FinalAsset>,
}

/// What [`final_assets`] needs.
pub struct Handover<'a> {
    pub api: &'a Api,
    pub cfg: &'a GithubConfig,
    pub tag: &'a str,
    /// The release after the publishing PATCH (id 0: predicted by a dry run).
    pub release: &'a GhRelease,
    /// The uploadables, in release order.
    pub local: &'a [&'a Artifact],
}

/// Re-reads the release (one GET) and returns its page and every local uploadable's URL as
/// GitHub serves them once published.
pub async fn final_assets(h: Handover<'_>) -> Result<Final> {
    let fresh = match h.release.id {
        0 => None, // a dry run's predicted release: nothing to read
        id => Some(h.api.get_release(id).await?),
    };
    let html_url = fresh
        .as_ref()
        .map(|r| r.html_url.clone())
        .filter(|u| !u.is_empty() && !u.contains(UNTAGGED))
        .unwrap_or_else(|| release_page(h.cfg, h.tag));
    let remote = fresh.map(|r| r.assets).unwrap_or_default();
    let assets = h
        .local
        .iter()
        .map(|a| {
            let stored = stored_name(&a.name);
            let url = remote
                .iter()
                .find(|r| r.name == stored)
                .map(|r| r.browser_download_url.clone())
                .filter(|u| !u.is_empty() && !u.contains(UNTAGGED))
                .unwrap_or_else(|| download_url(h.cfg, h.tag, &a.name));
            FinalAsset {
                name: a.name.clone(),
                url,
                sha256: a.sha256.clone(),
                size: a.size,
            }
        })
        .collect();
    Ok(Final { html_url, assets })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicts_githubs_asset_names() {
        assert_eq!(
            stored_name("demo 1.2 (linux).tar.gz"),
            "demo.1.2.linux.tar.gz"
        );
        assert_eq!(stored_name("tool~v1:x86.zip"), "tool.v1.x86.zip");
        assert_eq!(stored_name(".hidden."), "hidden");
        assert_eq!(
            stored_name("demo_1.2.3+b1-linux.tar.gz"),
            "demo_1.2.3+b1-linux.tar.gz"
        );
        assert_eq!(stored_name("()"), "default");
    }
}
