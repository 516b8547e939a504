//! The version-level probe (issue 11): one read of the crate's sparse index file, before
//! anything is built. The crate name comes from config or the source Cargo.toml; a line for
//! this version (yanked or not: a version can never be reused) means the crate is live.

use super::{Crates, IndexState};
use crate::error::Result;
use crate::platform::{Cx, Probe};

pub(super) async fn probe(c: &Crates, cx: &Cx) -> Result<Probe> {
    let name = c.crate_name(cx)?;
    let version = &cx.release.version;
    Ok(match c.index(cx).state(&name, version, None, false).await? {
        IndexState::Present { .. } => Probe::Live(c.page(cx, &name)),
        IndexState::Absent => Probe::Missing(format!("{name} {version} is not in the index")),
    })
}

/// `tagship status`: the newest version in the index that is not yanked.
pub(super) async fn latest(c: &Crates, cx: &Cx) -> Result<Option<crate::platform::Latest>> {
    let name = c.crate_name(cx)?;
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
