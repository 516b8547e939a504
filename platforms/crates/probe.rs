//! The version-level probe (issue 11): one read of each crate's sparse index file (all at
//! once), before anything is built. The crate names come from config, the source Cargo.toml
//! or, for a workspace, `cargo metadata`; a line for this version (yanked or not: a version
//! can never be reused) for every crate means the release is live.

use super::{Crates, IndexState};
use crate::error::Result;
use crate::platform::{Cx, Probe};

pub(super) async fn probe(c: &Crates, cx: &Cx) -> Result<Probe> {
    let units = c.units(cx).await?;
    let version = &cx.release.version;
    let index = c.index(cx);
    let reads = units
        .iter()
        .map(|u| index.state(&u.name, version, None, false));
    let states = futures::future::try_join_all(reads).await?;
    let missing: Vec<&str> = units
        .iter()
        .zip(&states)
        .filter(|(_, s)| **s == IndexState::Absent)
        .map(|(u, _)| u.name.as_str())
        .collect();
    Ok(match missing.is_empty() {
        true => Probe::Live(super::publish::pages(c, cx, units)),
        false => Probe::Missing(format!(
            "{} {version} is not in the index",
            missing.join(", ")
        )),
    })
}

/// `tagship status`: the newest version in the index that is not yanked, of the release's
/// last crate (a workspace's top crate, published after everything it depends on).
pub(super) async fn latest(c: &Crates, cx: &Cx) -> Result<Option<crate::platform::Latest>> {
    let units = c.units(cx).await?;
    let name = units[units.len() - 1].name.clone();
    let Some(body) = c.index(cx).file(&name, true).await? else {
        return Ok(None);
    };
    let lines = super::index::parse_lines(&body);
    let live = lines.iter().filter(|l| !l.yanked).map(|l| l.vers.as_str());
    Ok(crate::platform::newest(live).map(|version| crate::platform::Latest {
        url: c.page(cx, &name).urls.into_iter().next(),
        version,
        published_at: None,
    }))
}
