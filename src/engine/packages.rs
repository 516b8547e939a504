//! `packages:` (issue 14): one run of the one engine over every package × platform. Each
//! pair is a unit with the id `<package>/<platform>` whose context carries that package's
//! own `Release` (its directory as root, its version and tag, its `dist/<package>/`), so an
//! adapter sees exactly what it would see releasing that package alone. A platform's own
//! `needs` stay within its package; a package's `needs` become unit needs (every unit of B
//! waits for every unit of A, packaging and publishing), with no hand-over between them.
//! Phase 1 packages every unit of every package before any unit checks or publishes, so a
//! package that cannot be built refuses the whole run (exit 2, nothing sent anywhere).
//! Packages publishing to one platform run concurrently (bounded by `--parallelism`), as
//! platforms do: a shared target copes with that itself (pep503 re-fetches and retries a
//! push another package won).

use super::{unit_named, EngineOptions, Layers, Need, RunResult, Selected, Unit};
use crate::exec::Exec;
use crate::http::Http;
use crate::platform::Release;
use crate::progress::Reporter;
use crate::report::PackageRelease;
use std::sync::Arc;

/// The package a selected platform releases, in a `packages:` run.
pub struct PackageUnit {
    /// `packages[].name`.
    pub name: String,
    /// The package's release: its directory as `root`, its version, `dist/<name>/`.
    pub release: Arc<Release>,
    /// The packages it needs (`packages[].needs`).
    pub needs: Vec<String>,
}

/// Runs the operation on every package × platform; one report row each, in input order.
pub async fn run_packages(
    selected: Vec<(Selected, Arc<PackageUnit>)>,
    http: Http,
    exec: Exec,
    opts: &EngineOptions,
    progress: Arc<dyn Reporter>,
) -> RunResult {
    let ids: Vec<(String, String)> = selected
        .iter()
        .map(|(s, p)| (p.name.clone(), unit_id(&p.name, s.platform.id())))
        .collect();
    let units = selected
        .into_iter()
        .map(|(s, p)| {
            let layers = Layers {
                release: p.release.clone(),
                http: http.clone(),
                exec: exec.clone(),
            };
            let platform = s.platform.id().to_string();
            let mut u = unit_named(unit_id(&p.name, &platform), s, &layers);
            u.needs = needs(&u, &p, &ids);
            u.report.package = Some(PackageRelease {
                name: p.name.clone(),
                version: p.release.version.to_string(),
                tag: p.release.tag.clone(),
            });
            u
        })
        .collect();
    super::run_units(units, opts, progress).await
}

/// `<package>/<platform>`: the unit's id in progress, the report and the request counts.
pub fn unit_id(package: &str, platform: &str) -> String {
    format!("{package}/{platform}")
}

/// The platform's own needs (within the package) and every unit of each needed package.
fn needs(u: &Unit, p: &PackageUnit, ids: &[(String, String)]) -> Vec<Need> {
    let mut out: Vec<Need> = u
        .platform
        .needs()
        .iter()
        .map(|n| Need::platform(unit_id(&p.name, n), n))
        .collect();
    for need in &p.needs {
        let units: Vec<Need> = ids
            .iter()
            .filter(|(pkg, _)| pkg == need)
            .map(|(_, id)| Need {
                unit: id.clone(),
                key: None,
            })
            .collect();
        if units.is_empty() {
            continue;
        }
        out.extend(units);
    }
    out
}
