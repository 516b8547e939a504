//! `tagship release` of a pipeline with `packages:` (issue 14): one run, one engine.
//!
//! Every chosen package (`--package`) is resolved first — its version (the tag's for
//! `version: shared`, checked against the package's own project files; its files' for
//! `version: own`), its platforms (`--only`/`--skip` apply within each package), their
//! credentials and tools, its build commands — and every problem of every package is
//! reported at once, exit 2, before anything is built. Then each package's builds run
//! (into `dist/<package>/`), and the engine gets one unit per package × platform
//! (`engine::run_packages`): every unit packages before any publishes, so one package that
//! cannot be packaged refuses the whole run with nothing sent anywhere.
//!
//! The version-level probe (phase 0 of a single-project release) is not used here: each
//! run packages and compares content, and a re-run still sends nothing that is live.

use super::output::Out;
use super::{conclude, env_map, layers, parallelism, select, Ended};
use crate::cli::{ReleaseArgs, RunArgs};
use crate::config::{Loaded, PackageConfig, PackageVersion, Pipeline};
use crate::engine::{self, PackageUnit, Selected};
use crate::error::Error;
use crate::platform::Release;
use crate::report::BuildStep;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One package, resolved and preflighted, not built yet.
struct Ready {
    cfg: PackageConfig,
    view: Pipeline,
    release: Release,
    selected: Vec<Selected>,
}

/// The release of every chosen package; the exit code.
pub(super) async fn release(a: ReleaseArgs, l: Loaded, out: &Out) -> i32 {
    let started = Instant::now();
    let args = &a.run;
    let chosen = match choose(&l.pipeline.packages, &a.packages, (&args.only, &args.skip)) {
        Ok(c) => c,
        Err(problems) => return out.fatal(&problems),
    };
    let (ready, top) = match resolve_all(&l, &a, chosen) {
        Ok(r) => r,
        Err(problems) => return out.fatal(&problems),
    };
    let (http, exec, ledger) = match layers(args.dry_run, timeouts(&ready)) {
        Ok(l) => l,
        Err(e) => return out.fatal(&[e]),
    };
    let mut units = Vec::new();
    let mut top = top_release(&l, args, top, &ready);
    for mut r in ready {
        let built = build(&l, &r, args, &exec, out).await;
        match built {
            Ok(artifacts) => r.release.artifacts = artifacts,
            Err(e) => return out.fatal(&[e.context(format!("package `{}`", r.cfg.name))]),
        }
        top.artifacts.extend(in_top_dist(&r));
        let unit = Arc::new(PackageUnit {
            name: r.cfg.name.clone(),
            release: Arc::new(r.release),
            needs: r.cfg.needs.clone(),
        });
        units.extend(r.selected.into_iter().map(|s| (s, unit.clone())));
    }
    let opts = super::engine_options(args, engine::Operation::Release, started);
    let started_at = super::now_rfc3339();
    let result = engine::run_packages(units, http, exec, &opts, out.reporter()).await;
    let ended = Ended {
        result,
        ledger,
        release: Arc::new(top),
        operation: engine::Operation::Release,
        previous: None,
        extra: Vec::new(),
        build: Some(BuildStep::Ran),
        started,
        started_at,
    };
    conclude(ended, args, out)
}

/// The packages `--package` names (all when none), after checking the names and that
/// `--only`/`--skip` name a platform some chosen package publishes to.
pub(super) fn choose(
    all: &[PackageConfig],
    named: &[String],
    (only, skip): (&[String], &[String]),
) -> Result<Vec<PackageConfig>, Vec<Error>> {
    let names: Vec<&str> = all.iter().map(|p| p.name.as_str()).collect();
    let mut problems: Vec<Error> = named
        .iter()
        .filter(|n| !names.contains(&n.as_str()))
        .map(|n| {
            Error::input(format!("unknown package `{n}` (--package)"))
                .with_hint(format!("packages in pipeline.yaml: {}", names.join(", ")))
        })
        .collect();
    let chosen: Vec<PackageConfig> = all
        .iter()
        .filter(|p| named.is_empty() || named.contains(&p.name))
        .cloned()
        .collect();
    let platforms: Vec<String> = chosen
        .iter()
        .flat_map(|p| platforms_of(p).into_keys())
        .collect();
    for id in only.iter().chain(skip) {
        if !platforms.contains(id) {
            problems.push(
                Error::input(format!("no chosen package publishes to platform `{id}`"))
                    .with_hint("--only and --skip name platforms of the packages chosen"),
            );
        }
    }
    match problems.is_empty() {
        true => Ok(chosen),
        false => Err(problems),
    }
}

/// The package's platform sections: loading merged them over the shared ones (and filled
/// them in when the package names none), so they are complete here.
fn platforms_of(p: &PackageConfig) -> BTreeMap<String, serde_json::Value> {
    p.platforms.clone().unwrap_or_default()
}

/// Resolves every package (all problems at once) and the run's shared tag.
fn resolve_all(
    l: &Loaded,
    a: &ReleaseArgs,
    chosen: Vec<PackageConfig>,
) -> Result<(Vec<Ready>, Top), Vec<Error>> {
    let env = env_map();
    let mut problems = Vec::new();
    let shared = chosen.iter().any(|p| p.version == PackageVersion::Shared);
    let tag = if shared {
        match crate::version::resolve(a.tag.as_deref(), &l.pipeline.version, &l.root, &env) {
            Ok(v) => Some(v),
            Err(e) => return Err(vec![e]),
        }
    } else {
        None
    };
    let epoch = crate::build::source_date_epoch(&l.root).map_err(|e| vec![e])?;
    let dist = super::dist::writable(l, &a.run.dist).map_err(|e| vec![e])?;
    let mut ready = Vec::new();
    for cfg in chosen {
        let at = Where {
            dist: &dist,
            epoch,
            tag: tag.as_ref().map(|t| t.tag.as_str()),
        };
        match resolve_one(l, &a.run, cfg, &at, &env) {
            Ok(Some(r)) => ready.push(r),
            Ok(None) => {}
            Err(mut p) => problems.append(&mut p),
        }
    }
    let top = Top {
        shared: tag.map(|t| (t.tag, t.version)),
        epoch,
    };
    match problems.is_empty() {
        true => Ok((ready, top)),
        false => Err(problems),
    }
}

/// What the report's header says: the run's tag and version (when a package shares it).
struct Top {
    shared: Option<(String, semver::Version)>,
    epoch: u64,
}

/// What every package of a run shares.
struct Where<'a> {
    dist: &'a std::path::Path,
    epoch: u64,
    /// The run's tag, when a package takes the shared version.
    tag: Option<&'a str>,
}

/// One package: version, platforms, preflight, build tools. `None`: `--only`/`--skip`
/// leave it no platform.
fn resolve_one(
    l: &Loaded,
    args: &RunArgs,
    cfg: PackageConfig,
    at: &Where,
    env: &BTreeMap<String, String>,
) -> Result<Option<Ready>, Vec<Error>> {
    let in_package = |e: Error| e.context(format!("package `{}`", cfg.name));
    let view = view(&l.pipeline, &cfg);
    let root = l.root.join(&cfg.dir);
    let Some(chosen) = select_in(&view, &cfg, (&args.only, &args.skip))? else {
        return Ok(None);
    };
    let (selected, mut problems) = select::preflight(chosen, args.dry_run);
    problems.extend(select::build_tools(&view, &root));
    let version = version_of(l, &cfg, at.tag, env);
    let release = match version {
        Ok((version, tag)) => Release {
            project: view.project.clone(),
            version,
            tag,
            commit: crate::version::head_commit(&l.root),
            dist: at.dist.join(&cfg.name),
            artifacts: Vec::new(),
            root,
            epoch: at.epoch,
        },
        Err(e) => {
            problems.insert(0, e);
            return Err(problems.into_iter().map(in_package).collect());
        }
    };
    if !problems.is_empty() {
        return Err(problems.into_iter().map(in_package).collect());
    }
    Ok(Some(Ready {
        cfg,
        view,
        release,
        selected,
    }))
}

/// The package's version and tag: the run's tag for `version: shared` (its project files
/// must agree), else the version its own files state, tagged `<name>-v<version>`.
pub(super) fn version_of(
    l: &Loaded,
    cfg: &PackageConfig,
    tag: Option<&str>,
    env: &BTreeMap<String, String>,
) -> crate::Result<(semver::Version, String)> {
    let root = l.root.join(&cfg.dir);
    match (cfg.version, tag) {
        (PackageVersion::Shared, Some(tag)) => {
            crate::version::resolve(Some(tag), &l.pipeline.version, &root, env)
                .map(|r| (r.version, r.tag))
        }
        _ => crate::version::stated(&root).map(|v| (v.clone(), format!("{}-v{v}", cfg.name))),
    }
}

/// The package's adapters, selected by `--only`/`--skip` as far as they name its platforms;
/// `None` when `--only` names none of them (the package takes no part in the run).
pub(super) fn select_in(
    view: &Pipeline,
    cfg: &PackageConfig,
    (only, skip): (&[String], &[String]),
) -> Result<Option<Vec<Arc<dyn crate::platform::Platform>>>, Vec<Error>> {
    let ids: Vec<&String> = view.platforms.keys().collect();
    let within = |list: &[String]| -> Vec<String> {
        list.iter().filter(|o| ids.contains(o)).cloned().collect()
    };
    let (mine, skipped) = (within(only), within(skip));
    if !only.is_empty() && mine.is_empty() {
        return Ok(None);
    }
    select::select(view, &mine, &skipped)
        .map(Some)
        .map_err(|p| {
            p.into_iter()
                .map(|e| e.context(format!("package `{}`", cfg.name)))
                .collect()
        })
}

/// The pipeline as this package alone would have it: its name, builds and platforms.
pub(super) fn view(p: &Pipeline, cfg: &PackageConfig) -> Pipeline {
    // Field by field: cloning `p` whole would copy every package for each package
    // (quadratic in a workspace of thousands).
    let mut project = p.project.clone();
    project.name = cfg.name.clone();
    Pipeline {
        project,
        version: p.version.clone(),
        builds: cfg.builds.clone(),
        archives: p.archives.clone(),
        dist: p.dist.clone(),
        platforms: platforms_of(cfg),
        profiles: BTreeMap::new(),
        packages: Vec::new(),
    }
}

/// Each unit's `timeout` setting, by its unit id.
fn timeouts(ready: &[Ready]) -> BTreeMap<String, Duration> {
    ready
        .iter()
        .flat_map(|r| {
            select::timeouts(&r.view)
                .into_iter()
                .map(|(id, t)| (engine::unit_id(&r.cfg.name, &id), t))
        })
        .collect()
}

/// Runs the package's builds (if any) into `dist/<package>/`.
async fn build(
    l: &Loaded,
    r: &Ready,
    args: &RunArgs,
    exec: &crate::exec::Exec,
    out: &Out,
) -> crate::Result<Vec<crate::plan::Artifact>> {
    if r.view.builds.is_empty() {
        return Ok(Vec::new());
    }
    out.message(&format!(
        "building {} {} into {}",
        r.cfg.name,
        r.release.version,
        r.release.dist.display()
    ));
    let opts = crate::build::BuildOptions {
        root: r.release.root.clone(),
        dist: r.release.dist.clone(),
        project: r.view.project.clone(),
        version: r.release.version.clone(),
        tag: r.release.tag.clone(),
        parallelism: parallelism(args),
        epoch: r.release.epoch,
    };
    crate::build::build_all(&r.view.builds, &l.pipeline.archives, &opts, exec).await
}

/// The package's built files as the report lists them: relative to the run's dist/.
fn in_top_dist(r: &Ready) -> Vec<crate::plan::Artifact> {
    let mut out = r.release.artifacts.clone();
    for a in &mut out {
        a.path = PathBuf::from(&r.cfg.name).join(&a.path);
    }
    out
}

/// The release the report's header speaks for: the run's tag, or (every package on its
/// own version) the first package's.
fn top_release(l: &Loaded, args: &RunArgs, top: Top, ready: &[Ready]) -> Release {
    let first = ready
        .first()
        .map(|r| (r.release.tag.clone(), r.release.version.clone()));
    let (tag, version) = top
        .shared
        .or(first)
        .unwrap_or_else(|| (String::new(), semver::Version::new(0, 0, 0)));
    Release {
        project: l.pipeline.project.clone(),
        version,
        tag,
        commit: crate::version::head_commit(&l.root),
        dist: super::dist_dir(l, &args.dist),
        artifacts: Vec::new(),
        root: PathBuf::from(&l.root),
        epoch: top.epoch,
    }
}
