//! `tagship release`'s first step (issue 11): probe every selected platform by name before
//! building. When all are completely live the run ends without a build command or any
//! packaging; `--verify-content` skips the probe and always builds and compares content.

use super::{parallelism, EngineRun, Prepared};
use crate::build::BuildOptions;
use crate::cli::RunArgs;
use crate::config::Loaded;
use crate::engine;
use crate::platform::Release;
use crate::report::{BuildStep, PlatformReport, Report};
use crate::version::Resolved;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// The build settings of this release (shared by the probe's plan and the build itself).
pub(super) fn build_options(
    l: &Loaded,
    v: &Resolved,
    (dist, epoch): (&Path, u64),
    args: &RunArgs,
) -> BuildOptions {
    BuildOptions {
        root: l.root.clone(),
        dist: dist.to_path_buf(),
        project: l.pipeline.project.clone(),
        version: v.version.clone(),
        tag: v.tag.clone(),
        parallelism: parallelism(args),
        epoch,
    }
}

/// What a release that skipped its build reports: one `already-published` per platform.
pub(super) struct AllLive {
    pub reports: Vec<PlatformReport>,
    pub build: BuildStep,
}

/// Probes every platform of `p` for `release` (which has no artifacts yet). `None`: build.
pub(super) async fn all_live(
    p: &Prepared,
    release: &Release,
    opts: &BuildOptions,
    out: &super::Out,
) -> Option<AllLive> {
    // A config the build would refuse is refused by the build, with its own message.
    let plan = crate::build::planned(&p.l.pipeline.builds, &p.l.pipeline.archives, opts).ok()?;
    let layers = engine::Layers {
        release: Arc::new(release.clone()),
        http: p.layers.0.clone(),
        exec: p.layers.1.clone(),
    };
    let reporter = out.reporter();
    let reports = engine::probe_all(&p.selected, &layers, &plan, &*reporter).await?;
    out.message("every platform is live: nothing to build (`--verify-content` rebuilds and compares content)");
    Some(AllLive {
        reports,
        build: BuildStep::Skipped {
            reason: "everything live".into(),
        },
    })
}

impl AllLive {
    /// The run that writes the report: no engine, the probe's outcomes, and what the release
    /// that built this version recorded in dist/report.json — the artifacts and each
    /// platform's packages — so that `tagship publish` still republishes exactly those bytes.
    pub(super) fn into_run(self, mut release: Release, p: Prepared, started: Instant) -> EngineRun {
        let mut reports = self.reports;
        if let Ok(prev) = Report::read(&release.dist) {
            if prev.version == release.version.to_string() && prev.tag == release.tag {
                for r in reports.iter_mut() {
                    if let Some(old) = prev.platforms.iter().find(|o| o.id == r.id) {
                        r.packages = old.packages.clone();
                    }
                }
                release.artifacts = prev.artifacts;
            }
        }
        let mut run = EngineRun::new(release, p, started, engine::Operation::Release);
        run.build = Some(self.build);
        run.probed = Some(reports);
        run
    }
}

/// The run when `--timeout` passed while probing: every platform failed with the deadline's
/// reason, nothing built, and the report written.
pub(super) fn timed_out(
    d: &engine::Deadline,
    release: Release,
    p: Prepared,
    started: Instant,
) -> EngineRun {
    let e = d.error("probing what is live");
    let dry_run = p.layers.1.dry_run();
    let reports = p
        .selected
        .iter()
        .map(|s| engine::failed(s.platform.id(), &e, dry_run))
        .collect();
    let mut run = EngineRun::new(release, p, started, engine::Operation::Release);
    run.build = Some(BuildStep::Skipped {
        reason: "the --timeout deadline passed before the build".into(),
    });
    run.probed = Some(reports);
    run
}
