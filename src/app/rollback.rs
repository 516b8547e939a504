//! `tagship rollback VERSION`: takes a published version back on every configured platform (or
//! those named with `--only`), each as its platform allows (crates: yank; GitHub: demote;
//! PyPI: says where to yank by hand; …), through the same engine as a release: fan-out,
//! progress, `--json`, report, exit codes. `--dry-run` is the plan: the layers withhold every
//! write and the report says what each would do. The report goes to dist/rollback/.
//!
//! The version must be named: a rollback never guesses it from CI or git. A platform named in
//! `--only` that cannot roll back is exit 2 before anything runs; without `--only` such a
//! platform is a `skipped` row that says so. A platform whose rollback is manual needs no
//! credential (nothing is sent).

use super::{dist_dir, env_map, load, output::Out, select, EngineRun, Prepared};
use crate::cli::ReleaseArgs;
use crate::engine::Operation;
use crate::error::Error;
use crate::platform::{Platform, Release, Withdraw};
use crate::report::{OutcomeKind, PlatformReport};
use std::sync::Arc;
use std::time::Instant;

pub async fn rollback(a: ReleaseArgs, out: &Out) -> i32 {
    let started = Instant::now();
    let args = a.run;
    let Some(tag) = a.tag.as_deref() else {
        let e = Error::input("rollback takes back one published version: name it")
            .with_hint("e.g. `tagship rollback v1.2.3 --dry-run` shows the plan; `tagship check` lists what each platform can do");
        return out.fatal(&[e]);
    };
    let l = match load(&args.config, args.profile.as_deref(), out) {
        Ok(l) => l,
        Err(code) => return code,
    };
    if !l.pipeline.packages.is_empty() {
        return super::package_runs::rollback(args, &a.packages, tag, l, out).await;
    }
    if let Err(e) = super::no_packages(&a.packages) {
        return out.fatal(&[e]);
    }
    let v = match crate::version::resolve(Some(tag), &l.pipeline.version, &l.root, &env_map()) {
        Ok(v) => v,
        Err(e) => return out.fatal(&[e]),
    };
    let chosen = match select::select(&l.pipeline, &args.only, &args.skip) {
        Ok(c) => c,
        Err(p) => return out.fatal(&p),
    };
    let (able, skipped) = match split_capable(chosen, !args.only.is_empty()) {
        Ok(x) => x,
        Err(problems) => return out.fatal(&problems),
    };
    let selected = match preflight(able, args.dry_run) {
        Ok(s) => s,
        Err(problems) => return out.fatal(&problems),
    };
    if let Err(e) = super::dist::writable(&l, &args.dist) {
        return out.fatal(&[e]);
    }
    let layers = match super::layers(args.dry_run, select::timeouts(&l.pipeline)) {
        Ok(x) => x,
        Err(e) => return out.fatal(&[e]),
    };
    let release = Release {
        project: l.pipeline.project.clone(),
        version: v.version.clone(),
        tag: v.tag.clone(),
        commit: None,
        dist: dist_dir(&l, &args.dist),
        artifacts: Vec::new(),
        root: l.root.clone(),
        epoch: crate::build::source_date_epoch(&l.root).unwrap_or(crate::build::DEFAULT_EPOCH),
    };
    let p = Prepared {
        l,
        selected,
        layers,
    };
    let mut run = EngineRun::new(release, p, started, Operation::Withdraw);
    run.extra = skipped;
    super::run_engine(run, &args, out).await
}

/// Separates the platforms that can roll back from those that cannot: the latter are exit 2
/// when named with `--only`, else `skipped` rows.
pub(super) type Split = (Vec<Arc<dyn Platform>>, Vec<PlatformReport>);

pub(super) fn split_capable(
    chosen: Vec<Arc<dyn Platform>>,
    named: bool,
) -> Result<Split, Vec<Error>> {
    let (able, unable): (Vec<_>, Vec<_>) = chosen
        .into_iter()
        .partition(|p| p.capabilities().withdraw != Withdraw::None);
    if named && !unable.is_empty() {
        let errors = unable
            .iter()
            .map(|p| {
                Error::input(format!("{} cannot roll back a published version", p.id())).with_hint(
                    "`tagship check` prints what each platform can do; leave it out of --only",
                )
            })
            .collect();
        return Err(errors);
    }
    let rows = unable
        .iter()
        .map(|p| {
            PlatformReport::new(p.id(), OutcomeKind::Skipped)
                .reason(format!("{} has no way to take a version back", p.id()))
        })
        .collect();
    Ok((able, rows))
}

/// Credentials and tools, as for a release, except that a manual rollback sends nothing and so
/// needs none (its missing credentials are not problems).
pub(super) fn preflight(
    able: Vec<Arc<dyn Platform>>,
    dry_run: bool,
) -> Result<Vec<crate::engine::Selected>, Vec<Error>> {
    let (manual, sending): (Vec<_>, Vec<_>) = able
        .into_iter()
        .partition(|p| p.capabilities().withdraw == Withdraw::Manual);
    let (mut selected, problems) = select::preflight(sending, dry_run);
    if !problems.is_empty() {
        return Err(problems);
    }
    let (manual, _) = select::preflight(manual, true);
    selected.extend(manual.into_iter().map(|mut s| {
        s.warnings.clear();
        s
    }));
    Ok(selected)
}
