//! Phase 0 of a release (issue 11): the version-level probe, before the build. Every
//! selected platform is asked at once (a dependent after its needs, with their probe
//! hand-over) whether everything it would publish is live, by name. Only when *every*
//! platform answers `Probe::Live` does the release end here, without building: each platform
//! is `already-published`, and the report says content was not re-compared. Any other answer
//! — unknown, missing, an error — means the normal path: build, package, check content.

use super::{cx_for, Layers, Selected};
use crate::platform::{Cx, Handover, Planned, Probe};
use crate::progress::Reporter;
use crate::report::{OutcomeKind, PlatformReport};
use std::collections::BTreeMap;
use std::time::Instant;

/// Why a platform is `already-published` without a build.
pub const PROBED_LIVE: &str = "already live: every file this version needs is listed (probed by name before the build; content not re-compared, `--verify-content` rebuilds and compares it)";

/// `Some(reports)` when every selected platform is completely live; `None` as soon as one
/// is not (or cannot tell), so the caller builds.
pub async fn probe_all(
    selected: &[Selected],
    layers: &Layers,
    plan: &Planned,
    progress: &dyn Reporter,
) -> Option<Vec<PlatformReport>> {
    if selected.is_empty() {
        return None;
    }
    let started = Instant::now();
    let in_run: Vec<&str> = selected.iter().map(|s| s.platform.id()).collect();
    let mut live: BTreeMap<String, (Handover, u64)> = BTreeMap::new();
    while live.len() < selected.len() {
        // A wave: platforms whose needs (in this run) have all probed live.
        let wave: Vec<(&Selected, Cx)> = selected
            .iter()
            .filter(|s| !live.contains_key(s.platform.id()))
            .filter(|s| {
                let needs = s.platform.needs();
                needs
                    .iter()
                    .all(|n| !in_run.contains(&n.as_str()) || live.contains_key(n))
            })
            .map(|s| (s, cx_with_deps(s, layers, &live)))
            .collect();
        if wave.is_empty() {
            return None; // a `needs` cycle: the normal path reports it
        }
        let answers = futures::future::join_all(wave.iter().map(|(s, cx)| async move {
            progress.stage(cx.platform.as_str(), "probe");
            let t0 = Instant::now();
            let answer = s.platform.probe(cx, plan).await;
            (answer, t0.elapsed().as_millis() as u64)
        }))
        .await;
        for ((s, _), (answer, ms)) in wave.iter().zip(answers) {
            let id = s.platform.id();
            match answer {
                Ok(Probe::Live(h)) => {
                    live.insert(id.to_string(), (h, ms));
                }
                Ok(Probe::Missing(why) | Probe::Pending(why)) => {
                    progress.message(&format!("{id}: {why}; building"));
                    return None;
                }
                Ok(Probe::Unknown) | Err(_) => return None,
            }
        }
    }
    Some(reports(selected, live, started, progress))
}

fn cx_with_deps(s: &Selected, layers: &Layers, live: &BTreeMap<String, (Handover, u64)>) -> Cx {
    let mut cx = cx_for(s.platform.id(), s.secrets.clone(), layers);
    for n in s.platform.needs() {
        if let Some((h, _)) = live.get(&n) {
            cx.deps.insert(n, h.clone());
        }
    }
    cx
}

fn reports(
    selected: &[Selected],
    mut live: BTreeMap<String, (Handover, u64)>,
    started: Instant,
    progress: &dyn Reporter,
) -> Vec<PlatformReport> {
    selected
        .iter()
        .map(|s| {
            let id = s.platform.id();
            let (h, ms) = live.remove(id).unwrap_or_default();
            let mut r = PlatformReport::new(id, OutcomeKind::AlreadyPublished).reason(PROBED_LIVE);
            r.urls = h.urls;
            r.assets = h.assets;
            r.warnings = s.warnings.clone();
            r.stages.insert("probe".into(), ms);
            r.duration_ms = started.elapsed().as_millis() as u64;
            progress.finish(id, r.outcome.as_str(), "already live (probed)");
            r
        })
        .collect()
}
