//! Phase 1: every platform packages (and so validates) before any platform publishes.
//! Platforms are packaged in `needs` order, each wave concurrently; a dependent packages from
//! its needs' planned hand-over. One error anywhere refuses the run (exit 2): at this point
//! nothing has been sent to any platform.

use super::{Shared, Unit};
use crate::error::{Error, ErrorKind};
use crate::plan::Artifact;
use crate::platform::Handover;
use crate::progress::Reporter;
use crate::report::{OutcomeKind, PlatformReport};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

/// Packages every unit, in waves; the errors by platform id when any failed.
pub(super) async fn package_all(
    units: &mut [Unit],
    shared: &Shared,
) -> Result<(), BTreeMap<String, Error>> {
    let in_run: BTreeSet<String> = units.iter().map(|u| u.id().to_string()).collect();
    for u in units.iter_mut() {
        for n in u.needs.iter().map(|n| n.unit.clone()) {
            if !in_run.contains(&n) {
                u.report.warnings.push(format!(
                    "needs {n}, which is not part of this run; going on without its hand-over"
                ));
            }
        }
    }
    let mut done: BTreeMap<String, Handover> = BTreeMap::new();
    let mut errors = BTreeMap::new();
    loop {
        let ready = ready_wave(units, &done, &in_run, &errors);
        if ready.is_empty() {
            break;
        }
        for i in &ready {
            let u = &mut units[*i];
            u.packaged_with = needs_of(u, &done);
            u.cx.deps = u.packaged_with.clone();
        }
        let results =
            futures::future::join_all(ready.iter().map(|&i| package_one(&units[i], shared))).await;
        for (&i, res) in ready.iter().zip(results) {
            let u = &mut units[i];
            match res {
                Ok((pkgs, took)) => {
                    u.report.stages.insert("package".into(), took);
                    u.planned = u.platform.planned_handover(&u.cx, &pkgs);
                    u.report.packages = pkgs.clone();
                    u.packages = pkgs;
                    done.insert(u.id().to_string(), u.planned.clone());
                }
                Err(e) => {
                    errors.insert(u.id().to_string(), e);
                }
            }
        }
    }
    for u in units.iter() {
        if !done.contains_key(u.id()) && !errors.contains_key(u.id()) {
            errors.insert(u.id().to_string(), blocked(u, &errors));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Units not yet packaged whose needs (in this run) are all packaged.
fn ready_wave(
    units: &[Unit],
    done: &BTreeMap<String, Handover>,
    in_run: &BTreeSet<String>,
    errors: &BTreeMap<String, Error>,
) -> Vec<usize> {
    units
        .iter()
        .enumerate()
        .filter(|(_, u)| !done.contains_key(u.id()) && !errors.contains_key(u.id()))
        .filter(|(_, u)| {
            u.needs
                .iter()
                .all(|n| !in_run.contains(&n.unit) || done.contains_key(&n.unit))
        })
        .map(|(i, _)| i)
        .collect()
}

fn needs_of(u: &Unit, done: &BTreeMap<String, Handover>) -> BTreeMap<String, Handover> {
    u.needs
        .iter()
        .filter_map(|n| Some((n.key.clone()?, done.get(&n.unit)?.clone())))
        .collect()
}

/// Why a unit never became ready: a need failed to package, or the needs form a cycle.
fn blocked(u: &Unit, errors: &BTreeMap<String, Error>) -> Error {
    let needs: Vec<String> = u.needs.iter().map(|n| n.unit.clone()).collect();
    let failed: Vec<String> = needs
        .iter()
        .filter(|n| errors.contains_key(*n))
        .cloned()
        .collect();
    if failed.is_empty() {
        Error::config(format!(
            "platforms.{}: its `needs` ({}) form a cycle",
            u.id(),
            needs.join(", ")
        ))
        .with_hint("a platform cannot wait for itself, directly or through others")
    } else {
        Error::input(format!(
            "not packaged: it needs {}, which failed to package",
            failed.join(", ")
        ))
    }
}

/// Packages one platform, or reuses the exact packages `tagship release` built.
/// Bounded by the run's `--timeout` like every other phase: past it the platform fails
/// (exit 1, not a refusal: the input was not at fault) and nothing is published anywhere.
async fn package_one(u: &Unit, shared: &Shared) -> Result<(Vec<Artifact>, u64), Error> {
    let _permit = shared.sem.acquire().await;
    shared.progress.stage(u.id(), "package");
    let t0 = Instant::now();
    let pkgs = shared
        .within("packaging", async {
            match &u.expected {
                Some(expected) if intact(u, expected).await => Ok(expected.clone()),
                Some(expected) => {
                    let pkgs = u.platform.package(&u.cx).await?;
                    same_packages(&pkgs, expected)?;
                    Ok(pkgs)
                }
                None => package_or_reuse(u).await,
            }
        })
        .await?;
    Ok((pkgs, t0.elapsed().as_millis() as u64))
}

/// The packages dist/ already holds for the same inputs (`reuse`), else fresh ones.
async fn package_or_reuse(u: &Unit) -> Result<Vec<Artifact>, Error> {
    let key = super::reuse::key(u);
    if let Some(k) = &key {
        if let Some(pkgs) = super::reuse::lookup(u, k).await {
            return Ok(pkgs);
        }
    }
    let pkgs = u.platform.package(&u.cx).await?;
    if let Some(k) = &key {
        super::reuse::remember(u, k, &pkgs);
    }
    Ok(pkgs)
}

/// The reports of a refused run: the platforms that failed to package say why; the others
/// say that nothing was published because of them.
pub(super) fn refused(
    units: Vec<Unit>,
    mut errors: BTreeMap<String, Error>,
    progress: &dyn Reporter,
) -> Vec<PlatformReport> {
    let culprits: Vec<String> = errors.keys().cloned().collect();
    let why = format!(
        "nothing was published: packaging failed for {}",
        culprits.join(", ")
    );
    units
        .into_iter()
        .map(|u| {
            let mut r = u.report;
            match errors.remove(&r.id) {
                Some(e) => {
                    let keep = matches!(e.kind, ErrorKind::Config | ErrorKind::Deadline);
                    super::verdict::fail(&mut r, &e.context("packaging"), false);
                    if !keep {
                        r.error_kind = Some("input".into());
                    }
                }
                None => {
                    r.outcome = OutcomeKind::Skipped;
                    r.reason = Some(why.clone());
                }
            }
            r.duration_ms = u.started.elapsed().as_millis() as u64;
            progress.finish(&r.id, r.outcome.as_str(), r.reason.as_deref().unwrap_or(""));
            r
        })
        .collect()
}

/// True when every expected package is in dist/ with its recorded sha256 (hashed on a
/// blocking thread: artifacts can be large).
async fn intact(u: &Unit, expected: &[Artifact]) -> bool {
    let files: Vec<_> = expected
        .iter()
        .map(|a| (u.cx.release.dist.join(&a.path), a.sha256.clone()))
        .collect();
    tokio::task::spawn_blocking(move || {
        files
            .iter()
            .all(|(path, want)| crate::build::hash_file(path).is_ok_and(|(sha, _)| &sha == want))
    })
    .await
    .unwrap_or(false)
}

/// `tagship publish` republishes the exact bytes a release built: a repackaged file whose
/// checksum differs from the report's (sources or config moved on) is refused.
fn same_packages(built: &[Artifact], expected: &[Artifact]) -> Result<(), Error> {
    for b in built {
        if let Some(e) = expected.iter().find(|e| e.name == b.name) {
            if e.sha256 != b.sha256 {
                return Err(Error::input(format!(
                    "{} repackaged with sha256 {}, but the release built {}",
                    b.name, b.sha256, e.sha256
                ))
                .with_hint("sources or config changed since `tagship release`; release a new version instead of republishing different bytes"));
            }
        }
    }
    Ok(())
}
