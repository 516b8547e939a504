//! One engine for every operation (issue 6). A release runs in phases, all platforms at once
//! within each phase:
//! 1. **package** every platform (local; in `needs` order, dependents from their needs'
//!    *planned* hand-over). Any error here — on any platform — refuses the whole run: exit 2,
//!    nothing was sent anywhere, because no platform has reached phase 3;
//! 2. **check** every platform (read-only; a failure fails that platform alone);
//! 3. **publish** what is missing, a dependent after exactly the platforms it needs, then
//!    re-check until live (`Capabilities::verify_within`).
//!
//! `withdraw` (`tagship yank`) runs through the same fan-out, reports and exit codes.
//! Each platform ends in exactly one `PlatformReport`.
//!
//! Before all of this, and before the build, `probe_all` asks every platform by name whether
//! the version is completely live; when all say so, a release ends without building.

mod package;
mod packages;
mod probe;
mod publish;
mod reuse;
pub mod status;
mod verdict;
mod withdraw;

use crate::error::{Error, ErrorKind};
use crate::exec::Exec;
use crate::http::Http;
use crate::plan::Artifact;
use crate::platform::{Cx, Handover, Platform, Release};
use crate::progress::Reporter;
use crate::redact::Secret;
use crate::report::{OutcomeKind, PlatformReport};
use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::Semaphore;

pub use packages::{run_packages, unit_id, PackageUnit};
pub use probe::{probe_all, PROBED_LIVE};

/// A platform's report marked failed with `e`, for a run stopped before the engine ran (the
/// deadline passed while probing).
pub fn failed(id: &str, e: &Error, dry_run: bool) -> PlatformReport {
    let mut r = PlatformReport::new(id, OutcomeKind::Failed);
    verdict::fail(&mut r, e, dry_run);
    r
}

/// What the engine is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `release` and `publish`: package → check → publish → verify.
    Release,
    /// `yank`: withdraw the version where the platform can.
    Withdraw,
}

/// Engine settings.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    pub dry_run: bool,
    pub fail_fast: bool,
    /// Bound on CPU-heavy work (packaging) and on concurrent publishes.
    pub parallelism: usize,
    pub operation: Operation,
    /// `--timeout`: every platform still running at this instant ends failed.
    pub deadline: Option<Deadline>,
}

/// When the whole run must end (`--timeout`, counted from the start), and how it was written.
#[derive(Debug, Clone)]
pub struct Deadline {
    pub at: tokio::time::Instant,
    /// The flag as the user gave it, for the reason in the report (e.g. `30m`).
    pub shown: String,
}

impl Deadline {
    /// The error of a platform stopped by the deadline while `doing` something.
    pub fn error(&self, doing: &str) -> Error {
        Error::new(
            ErrorKind::Deadline,
            format!(
                "the run's time limit (--timeout {}) passed while {doing}",
                self.shown
            ),
        )
        .with_hint(
            "re-run later or raise --timeout: the next run checks what is live and sends only \
             what is missing",
        )
    }
}

/// A platform selected for this run, with its resolved credentials.
pub struct Selected {
    pub platform: Arc<dyn Platform>,
    pub secrets: BTreeMap<String, Secret>,
    /// Preflight notes (a dry run with a missing credential, ...), copied into the report.
    pub warnings: Vec<String>,
    /// `tagship publish`: the packages the release built for this platform (from report.json).
    pub expected_packages: Option<Vec<Artifact>>,
}

/// How a run ended.
#[derive(Debug)]
pub struct RunResult {
    /// One report per selected platform, in the input order.
    pub platforms: Vec<PlatformReport>,
    /// Packaging/validation failed somewhere: nothing was published (exit code 2).
    pub refused: bool,
}

/// Everything the phases know about one platform.
pub(crate) struct Unit {
    pub platform: Arc<dyn Platform>,
    pub cx: Cx,
    pub report: PlatformReport,
    pub expected: Option<Vec<Artifact>>,
    pub packages: Vec<Artifact>,
    /// What this platform plans to hand over (computed after packaging).
    pub planned: Handover,
    /// What each need planned, as used when packaging this platform.
    pub packaged_with: BTreeMap<String, Handover>,
    pub started: Instant,
    /// The units this one waits for (packaging and publishing).
    pub needs: Vec<Need>,
}

/// A unit this one waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Need {
    /// The unit's id (`github`, or `core/pypi` in a `packages:` run).
    pub unit: String,
    /// The key its hand-over gets in `Cx::deps` (the platform id adapters look up), or
    /// `None` for a package's `needs`, which order the run and hand nothing over.
    pub key: Option<String>,
}

impl Need {
    /// A platform's own `needs` entry, within the same package (or run).
    pub fn platform(unit: String, id: &str) -> Need {
        Need {
            unit,
            key: Some(id.to_string()),
        }
    }
}

impl Unit {
    pub fn id(&self) -> &str {
        &self.cx.platform
    }
    /// Records how long a stage took, in the report's `stages`.
    pub fn timed(&mut self, stage: &str, since: Instant) {
        let ms = since.elapsed().as_millis() as u64;
        *self.report.stages.entry(stage.to_string()).or_default() += ms;
    }
}

/// What every phase of one run shares.
#[derive(Clone)]
pub(crate) struct Shared {
    pub opts: EngineOptions,
    pub progress: Arc<dyn Reporter>,
    /// Bounds CPU-heavy work and concurrent publishes (`--parallelism`).
    pub sem: Arc<Semaphore>,
    /// Set by `--fail-fast` once a platform failed: others stop before publishing.
    pub cancelled: Arc<AtomicBool>,
}

impl Shared {
    /// Runs `work` until the run's deadline; past it, a `Deadline` error naming `doing`
    /// (`work` is dropped, which cancels its requests and commands).
    pub async fn within<T>(
        &self,
        doing: &str,
        work: impl std::future::Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        match &self.opts.deadline {
            None => work.await,
            Some(d) => tokio::time::timeout_at(d.at, work)
                .await
                .unwrap_or_else(|_| Err(d.error(doing))),
        }
    }
}

/// The shared layers and the release every platform of a run sees.
pub struct Layers {
    pub release: Arc<Release>,
    pub http: Http,
    pub exec: Exec,
}

/// Runs `opts.operation` on every selected platform.
pub async fn run(
    selected: Vec<Selected>,
    layers: Layers,
    opts: &EngineOptions,
    progress: Arc<dyn Reporter>,
) -> RunResult {
    let units: Vec<Unit> = selected.into_iter().map(|s| unit(s, &layers)).collect();
    run_units(units, opts, progress).await
}

/// Runs `opts.operation` on prepared units; the reports come back in the units' order.
pub(crate) async fn run_units(
    units: Vec<Unit>,
    opts: &EngineOptions,
    progress: Arc<dyn Reporter>,
) -> RunResult {
    let order: Vec<String> = units.iter().map(|u| u.id().to_string()).collect();
    let shared = Shared {
        opts: opts.clone(),
        progress,
        sem: Arc::new(Semaphore::new(opts.parallelism.max(1))),
        cancelled: Arc::new(AtomicBool::new(false)),
    };
    let (reports, refused) = match opts.operation {
        Operation::Release => release(units, &shared).await,
        Operation::Withdraw => (withdraw::run(units, &shared).await, false),
    };
    let mut by_id: BTreeMap<String, PlatformReport> =
        reports.into_iter().map(|r| (r.id.clone(), r)).collect();
    let platforms = order
        .iter()
        .map(|id| {
            by_id.remove(id).unwrap_or_else(|| {
                PlatformReport::new(id, OutcomeKind::Failed).reason("no outcome was recorded")
            })
        })
        .collect();
    RunResult { platforms, refused }
}

fn unit(s: Selected, layers: &Layers) -> Unit {
    let id = s.platform.id().to_string();
    unit_named(id, s, layers)
}

/// A unit reported, counted and shown as `id` (the platform id, or `<package>/<platform>`).
fn unit_named(id: String, s: Selected, layers: &Layers) -> Unit {
    let mut report = PlatformReport::new(&id, OutcomeKind::Failed);
    report.warnings = s.warnings;
    let needs = s
        .platform
        .needs()
        .iter()
        .map(|n| Need::platform(n.clone(), n))
        .collect();
    Unit {
        cx: cx_for(&id, s.secrets, layers),
        needs,
        platform: s.platform,
        report,
        expected: s.expected_packages,
        packages: Vec::new(),
        planned: Handover::default(),
        packaged_with: BTreeMap::new(),
        started: Instant::now(),
    }
}

/// A platform's context on the run's layers, with no hand-over yet.
fn cx_for(id: &str, secrets: BTreeMap<String, Secret>, layers: &Layers) -> Cx {
    Cx {
        platform: id.to_string(),
        http: layers.http.for_platform(id),
        exec: layers.exec.for_platform(id),
        release: layers.release.clone(),
        secrets,
        deps: BTreeMap::new(),
    }
}

/// Phases 1–3. Returns the reports and whether the run was refused in phase 1.
async fn release(mut units: Vec<Unit>, shared: &Shared) -> (Vec<PlatformReport>, bool) {
    if let Err(refusals) = package::package_all(&mut units, shared).await {
        // Only the run's time limit is no refusal: the input was fine, the clock ran out.
        let refused = refusals.values().any(|e| e.kind != ErrorKind::Deadline);
        return (
            package::refused(units, refusals, &*shared.progress),
            refused,
        );
    }
    let checked = publish::check_all(&units, shared).await;
    (publish::publish_all(units, checked, shared).await, false)
}

#[cfg(test)]
mod probe_tests;
#[cfg(test)]
mod tests;
