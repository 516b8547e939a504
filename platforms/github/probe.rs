//! The version-level probe (issue 11), before anything is built: the release for the tag
//! (published, or a draft when `draft: true` is what we want) and its assets, compared by
//! the names the archive template predicts. The hand-over is the same one a check of a
//! live release gives (final tag-based URLs), with GitHub's own digest and size: without
//! a `digest` (older API versions) there is nothing to hand over, and the probe says
//! `Unknown` so the normal path compares content.

use super::assets::{download_url, release_page, stored_name};
use super::Github;
use crate::error::Result;
use crate::platform::{Asset, Cx, Handover, Planned, Probe};

pub(super) async fn probe(g: &Github, cx: &Cx, plan: &Planned) -> Result<Probe> {
    if plan.uploadables.is_empty() {
        return Ok(Probe::Unknown);
    }
    let api = g.api(cx);
    let tag = &cx.release.tag;
    let Some(release) = api.find_release(tag).await? else {
        return Ok(Probe::Missing(format!("github: no release for {tag}")));
    };
    if release.draft && !g.cfg.draft {
        return Ok(Probe::Missing(format!("github: the release for {tag} is a draft")));
    }
    let remote = api.list_assets(release.id).await?;
    let mut assets = Vec::new();
    for name in &plan.uploadables {
        let stored = stored_name(name);
        let Some(a) = remote
            .iter()
            .find(|a| a.name == stored && a.state == "uploaded")
        else {
            return Ok(Probe::Missing(format!("github: {name} is not on {tag}")));
        };
        let Some(sha256) = a.digest.as_deref().and_then(|d| d.strip_prefix("sha256:")) else {
            return Ok(Probe::Unknown);
        };
        assets.push(Asset {
            name: name.clone(),
            url: download_url(&g.cfg, tag, name),
            sha256: sha256.to_ascii_lowercase(),
            size: a.size,
        });
    }
    Ok(Probe::Live(Handover {
        urls: vec![release_page(&g.cfg, tag)],
        assets,
    }))
}

/// `tagship status`: GitHub's latest release (newest full release), its tag as the version.
pub(super) async fn latest(g: &Github, cx: &Cx) -> Result<Option<crate::platform::Latest>> {
    let Some(r) = g.api(cx).latest_release().await? else {
        return Ok(None);
    };
    Ok(
        crate::platform::newest([r.tag_name.as_str()]).map(|version| crate::platform::Latest {
            version,
            published_at: r.published_at,
            url: Some(r.html_url).filter(|u| !u.is_empty()),
        }),
    )
}
