//! The version-level probe (issue 11), before anything is built: one listing of the index
//! (the same read `check` makes), compared by file name only. Every target needs one wheel;
//! a Linux wheel's tags depend on how the binary is linked (not yet built), so either
//! spelling counts (`wheel::tags::platform_tags` with both linkages). `mode: project` has no
//! probe: its names are known only once the project's build ran.

use super::Pypi;
use crate::error::Result;
use crate::plan::{Os, Target};
use crate::platform::{Cx, Handover, Planned, Probe};
use crate::platforms::wheel::tags::{platform_tags, Linkage};
use crate::platforms::wheel::WheelMeta;

pub(super) async fn probe(p: &Pypi, cx: &Cx, plan: &Planned) -> Result<Probe> {
    // `mode: project`: the file names come from the project's build, which has not run.
    if p.cfg.mode == super::Mode::Project {
        return Ok(Probe::Unknown);
    }
    let meta = p.meta(cx)?;
    let listed = p.listed(cx, &meta.version).await?;
    for &t in &plan.targets {
        let names = wheel_candidates(&meta, t)?;
        if !listed.iter().any(|l| names.contains(&l.filename)) {
            return Ok(Probe::Missing(format!(
                "pypi: no wheel of {} {} for {t}",
                meta.name, meta.version
            )));
        }
    }
    if plan.targets.is_empty() {
        return Ok(Probe::Unknown);
    }
    Ok(Probe::Live(Handover::urls(vec![
        p.project_url(&meta.version)
    ])))
}

/// Every name the wheel for `t` can have (shared with pep503's probe).
pub fn wheel_candidates(meta: &WheelMeta, t: Target) -> Result<Vec<String>> {
    let linkages: &[Linkage] = match t.os {
        Os::Linux => &[Linkage::Dynamic, Linkage::Static],
        _ => &[Linkage::Dynamic],
    };
    linkages
        .iter()
        .map(|&l| platform_tags(t, l).map(|tags| meta.filename(&tags)))
        .collect()
}

/// `tagship status`: the newest version among the files the simple API lists for the project
/// (the version is the second `-` field of every wheel and sdist name).
pub(super) async fn latest(p: &Pypi, cx: &Cx) -> Result<Option<crate::platform::Latest>> {
    let listed =
        super::api::list_simple(&cx.http, &p.cfg.simple_root(), &p.name).await?;
    let versions: Vec<String> = listed
        .iter()
        .filter_map(|l| l.filename.split('-').nth(1).map(|v| v.trim_end_matches(".tar.gz").to_string()))
        .collect();
    Ok(
        crate::platform::newest(versions.iter().map(String::as_str)).map(|version| {
            crate::platform::Latest {
                url: Some(p.project_url(&version.to_string())),
                version,
                published_at: None,
            }
        }),
    )
}
