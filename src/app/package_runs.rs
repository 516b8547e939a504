//! `tagship publish` and `tagship rollback` of a pipeline with `packages:` (issue 14): the
//! same engine as `release` (`engine::run_packages`), one unit per package × platform with
//! the package's own view of the pipeline, and `--package`/`--only`/`--skip` to narrow it.
//!
//! `publish` republishes what a release left in dist/: each package's version, tag and files
//! come from dist/report.json (its rows' `package`, its artifacts under `<package>/`), the
//! package's adapters package again into `dist/<package>/` and must reproduce the bytes the
//! release recorded; the rows it does not run are kept from the earlier report.
//!
//! `rollback VERSION` takes VERSION back in every chosen package: a `version: shared`
//! package by the pipeline's tag, a `version: own` one by `<name>-v<version>` (or the bare
//! version). Platforms that cannot roll back are `skipped` rows (exit 2 when `--only` names
//! them), as in a single project's rollback.

use super::output::Out;
use super::packages::{choose, select_in, view};
use super::{conclude, dist_dir, layers, rollback, select, Ended};
use crate::cli::RunArgs;
use crate::config::{Loaded, PackageConfig, PackageVersion, Pipeline};
use crate::engine::{self, PackageUnit, Selected};
use crate::error::Error;
use crate::platform::Release;
use crate::report::{PlatformReport, Report};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The units of a run and what its report needs besides.
struct Units {
    units: Vec<(Selected, Arc<PackageUnit>)>,
    timeouts: BTreeMap<String, Duration>,
    /// Rows for platforms the engine does not run (a rollback's that cannot).
    extra: Vec<PlatformReport>,
}

impl Units {
    fn new() -> Self {
        Units {
            units: Vec::new(),
            timeouts: BTreeMap::new(),
            extra: Vec::new(),
        }
    }

    /// Adds one package's selected platforms (of its `view`), on `release`.
    fn add(
        &mut self,
        (cfg, view): (&PackageConfig, &Pipeline),
        release: Release,
        selected: Vec<Selected>,
    ) {
        for (id, t) in select::timeouts(view) {
            self.timeouts.insert(engine::unit_id(&cfg.name, &id), t);
        }
        let unit = Arc::new(PackageUnit {
            name: cfg.name.clone(),
            release: Arc::new(release),
            needs: cfg.needs.clone(),
        });
        self.units
            .extend(selected.into_iter().map(|s| (s, unit.clone())));
    }
}

/// `tagship publish` (from dist/) of a `packages:` pipeline; the exit code.
pub(super) async fn publish(args: RunArgs, named: &[String], l: Loaded, out: &Out) -> i32 {
    let started = Instant::now();
    // The names first: a wrong --package is that, whatever dist/ holds.
    let prepared = choose(&l.pipeline.packages, named, (&args.only, &args.skip))
        .and_then(|chosen| {
            let dist = super::dist::writable(&l, &args.dist).map_err(|e| vec![e])?;
            Ok((chosen, dist))
        })
        .and_then(|(chosen, dist)| {
            let prev = super::dist::read_previous(&dist)?;
            let units = publish_units(&l, &args, chosen, (&dist, &prev))?;
            Ok((units, prev))
        });
    let (units, previous) = match prepared {
        Ok(x) => x,
        Err(problems) => return out.fatal(&problems),
    };
    let top = top_release(&l, &args, &previous);
    run(units, top, Some(previous), (args, started), out).await
}

/// Every chosen package's units, from what the earlier report says it released.
fn publish_units(
    l: &Loaded,
    args: &RunArgs,
    chosen: Vec<PackageConfig>,
    (dist, prev): (&Path, &Report),
) -> Result<Units, Vec<Error>> {
    let mut problems = Vec::new();
    let mut units = Units::new();
    for cfg in chosen {
        let Some(row) = prev
            .platforms
            .iter()
            .find_map(|r| r.package.as_ref().filter(|p| p.name == cfg.name))
        else {
            problems.push(not_released(&cfg.name, dist));
            continue;
        };
        let v = view(&l.pipeline, &cfg);
        let release = match semver::Version::parse(&row.version) {
            Ok(version) => Release {
                project: v.project.clone(),
                version,
                tag: row.tag.clone(),
                commit: prev.commit.clone(),
                dist: dist.join(&cfg.name),
                artifacts: package_artifacts(prev, &cfg.name),
                root: l.root.join(&cfg.dir),
                epoch: prev.epoch.unwrap_or(crate::build::DEFAULT_EPOCH),
            },
            Err(e) => {
                problems.push(Error::input(format!(
                    "report.json: package `{}` has a bad version `{}`: {e}",
                    cfg.name, row.version
                )));
                continue;
            }
        };
        match select_in(&v, &cfg, (&args.only, &args.skip)) {
            Ok(Some(chosen)) => {
                let (mut selected, mut p) = select::preflight(chosen, args.dry_run);
                problems.append(&mut p);
                for s in &mut selected {
                    let id = engine::unit_id(&cfg.name, s.platform.id());
                    s.expected_packages = prev
                        .platforms
                        .iter()
                        .find(|r| r.id == id && !r.packages.is_empty())
                        .map(|r| r.packages.clone());
                }
                units.add((&cfg, &v), release, selected);
            }
            Ok(None) => {}
            Err(mut p) => problems.append(&mut p),
        }
    }
    match problems.is_empty() {
        true => Ok(units),
        false => Err(problems),
    }
}

fn not_released(name: &str, dist: &Path) -> Error {
    Error::input(format!(
        "package `{name}` is not in {}: the release there did not include it",
        dist.join("report.json").display()
    ))
    .with_hint(format!(
        "run `tagship release --package {name}` first (`publish` republishes what a release \
         built), or name the packages dist/ holds with --package"
    ))
}

/// The package's files as its own release lists them: relative to `dist/<package>/`.
fn package_artifacts(prev: &Report, name: &str) -> Vec<crate::plan::Artifact> {
    prev.artifacts
        .iter()
        .filter_map(|a| {
            let rest = a.path.strip_prefix(name).ok()?;
            let mut a = a.clone();
            a.path = rest.to_path_buf();
            Some(a)
        })
        .collect()
}

/// The report's header: the earlier release's.
fn top_release(l: &Loaded, args: &RunArgs, prev: &Report) -> Release {
    Release {
        project: l.pipeline.project.clone(),
        version: semver::Version::parse(&prev.version).unwrap_or(semver::Version::new(0, 0, 0)),
        tag: prev.tag.clone(),
        commit: prev.commit.clone(),
        dist: dist_dir(l, &args.dist),
        artifacts: prev.artifacts.clone(),
        root: PathBuf::from(&l.root),
        epoch: prev.epoch.unwrap_or(crate::build::DEFAULT_EPOCH),
    }
}

/// `tagship rollback VERSION` of a `packages:` pipeline; the exit code.
pub(super) async fn rollback(
    args: RunArgs,
    named: &[String],
    tag: &str,
    l: Loaded,
    out: &Out,
) -> i32 {
    let started = Instant::now();
    let units = super::dist::writable(&l, &args.dist)
        .map_err(|e| vec![e])
        .and_then(|_| rollback_units(&l, &args, named, tag));
    let units = match units {
        Ok(u) => u,
        Err(problems) => return out.fatal(&problems),
    };
    let version = crate::version::parse_tag(tag, &l.pipeline.version.tag_prefix);
    let top = Release {
        project: l.pipeline.project.clone(),
        version: version.unwrap_or(semver::Version::new(0, 0, 0)),
        tag: tag.to_string(),
        commit: None,
        dist: dist_dir(&l, &args.dist),
        artifacts: Vec::new(),
        root: l.root.clone(),
        epoch: crate::build::DEFAULT_EPOCH,
    };
    run(units, top, None, (args, started), out).await
}

/// Every chosen package's platforms that can roll back (the others as `skipped` rows).
fn rollback_units(
    l: &Loaded,
    args: &RunArgs,
    named: &[String],
    tag: &str,
) -> Result<Units, Vec<Error>> {
    let chosen = choose(&l.pipeline.packages, named, (&args.only, &args.skip))?;
    let mut problems = Vec::new();
    let mut units = Units::new();
    for cfg in chosen {
        let in_package = |e: Error| e.context(format!("package `{}`", cfg.name));
        let v = view(&l.pipeline, &cfg);
        let (version, tag) = match taken_back(l, &cfg, tag) {
            Ok(v) => v,
            Err(e) => {
                problems.push(in_package(e));
                continue;
            }
        };
        let chosen = match select_in(&v, &cfg, (&args.only, &args.skip)) {
            Ok(Some(c)) => c,
            Ok(None) => continue,
            Err(mut p) => {
                problems.append(&mut p);
                continue;
            }
        };
        let split = rollback::split_capable(chosen, !args.only.is_empty())
            .and_then(|(able, skipped)| Ok((rollback::preflight(able, args.dry_run)?, skipped)));
        let (selected, skipped) = match split {
            Ok(x) => x,
            Err(p) => {
                problems.extend(p.into_iter().map(in_package));
                continue;
            }
        };
        units.extra.extend(skipped.into_iter().map(|mut r| {
            r.id = engine::unit_id(&cfg.name, &r.id);
            r
        }));
        let release = Release {
            project: v.project.clone(),
            version,
            tag,
            commit: None,
            dist: dist_dir(l, &args.dist).join(&cfg.name),
            artifacts: Vec::new(),
            root: l.root.join(&cfg.dir),
            epoch: crate::build::DEFAULT_EPOCH,
        };
        units.add((&cfg, &v), release, selected);
    }
    match problems.is_empty() {
        true => Ok(units),
        false => Err(problems),
    }
}

/// The version (and its tag) `rollback TAG` takes back in `cfg`: the pipeline's tag for a
/// `version: shared` package; for a `version: own` one `<name>-v<version>` or the bare
/// version, tagged `<name>-v<version>`.
fn taken_back(
    l: &Loaded,
    cfg: &PackageConfig,
    tag: &str,
) -> crate::Result<(semver::Version, String)> {
    match cfg.version {
        PackageVersion::Shared => {
            let v = crate::version::parse_tag(tag, &l.pipeline.version.tag_prefix)?;
            Ok((v, tag.to_string()))
        }
        PackageVersion::Own => {
            let own = tag.strip_prefix(&format!("{}-", cfg.name)).unwrap_or(tag);
            let v = crate::version::parse_tag(own, "")?;
            Ok((v.clone(), format!("{}-v{v}", cfg.name)))
        }
    }
}

/// Runs the units through the engine and concludes the report (a rollback's when there is
/// no earlier report, else a publish's).
async fn run(
    u: Units,
    top: Release,
    previous: Option<Report>,
    (args, started): (RunArgs, Instant),
    out: &Out,
) -> i32 {
    let (http, exec, ledger) = match layers(args.dry_run, u.timeouts) {
        Ok(l) => l,
        Err(e) => return out.fatal(&[e]),
    };
    let operation = match previous {
        Some(_) => engine::Operation::Release,
        None => engine::Operation::Withdraw,
    };
    let opts = super::engine_options(&args, operation, started);
    let started_at = super::now_rfc3339();
    let result = engine::run_packages(u.units, http, exec, &opts, out.reporter()).await;
    let ended = Ended {
        result,
        ledger,
        release: Arc::new(top),
        operation,
        previous,
        extra: u.extra,
        build: None,
        started,
        started_at,
    };
    conclude(ended, &args, out)
}
