//! One function per subcommand: turns args + env + config into a run and an exit code
//! (0 ok, 1 a platform failed, 2 bad input/config/credentials/tool — nothing published).

mod check;
mod dist;
mod finish;
mod login;
mod merge;
mod output;
mod package_runs;
mod packages;
mod part;
mod probe;
mod rollback;
pub mod select;
mod status;
mod watch;

use crate::cli::{Cli, Command, ReleaseArgs, RunArgs};
use crate::config::{self, Loaded};
use crate::engine::{self, EngineOptions};
use crate::error::Error;
use crate::exec::Exec;
use crate::guard::Ledger;
use crate::http::{Http, HttpOptions};
use crate::platform::Release;
use crate::report::{BuildStep, Report};
pub(crate) use dist::dist_dir;
use dist::read_previous;
use finish::{conclude, now_rfc3339, Ended};
use output::Out;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

/// Entry point used by main.rs.
pub fn main(cli: Cli) -> i32 {
    let out = Out::new(cli.quiet, cli.verbose);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tagship: cannot start the async runtime: {e}");
            return 1;
        }
    };
    match cli.command {
        Command::Release(a) => rt.block_on(release(a, &out)),
        Command::Publish(a) if a.merge.is_empty() => rt.block_on(publish(a.run, &a.packages, &out)),
        Command::Publish(a) => rt.block_on(merge::publish_merge(a.run, a.merge, &out)),
        Command::Build(a) => rt.block_on(part::build(a, &out)),
        Command::Rollback(a) => rt.block_on(rollback::rollback(a, &out)),
        Command::Check(a) => check::check(a, &out),
        Command::Status(a) => rt.block_on(status::status(a, &out)),
        Command::Init(a) => crate::init::run(&a),
        Command::Login(a) => login::login(&a, &out),
        Command::Logout(a) => login::logout(&a, &out),
        Command::Schema { report } => {
            let schema = if report {
                serde_json::to_value(Report::schema()).unwrap_or_default()
            } else {
                serde_json::to_value(config::schema()).unwrap_or_default()
            };
            println!(
                "{}",
                serde_json::to_string_pretty(&schema).unwrap_or_default()
            );
            0
        }
        Command::Platforms => {
            for f in crate::platforms::ALL {
                println!("{:<12} {}  (platforms/{}/README.md)", f.id, f.about, f.id);
            }
            0
        }
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "tagship", &mut std::io::stdout());
            0
        }
    }
}

pub(crate) fn env_map() -> BTreeMap<String, String> {
    std::env::vars().collect()
}

pub(crate) fn load(
    path: &std::path::Path,
    profile: Option<&str>,
    out: &Out,
) -> Result<Loaded, i32> {
    config::load(path, profile, &env_map()).map_err(|d| {
        out.diagnostics(&d);
        2
    })
}

fn parallelism(a: &RunArgs) -> usize {
    a.parallelism
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .max(1)
}

/// Shared HTTP and exec layers for a run.
pub(crate) fn layers(
    dry_run: bool,
    platform_timeouts: BTreeMap<String, std::time::Duration>,
) -> Result<(Http, Exec, Ledger), Error> {
    let ledger = Ledger::default();
    let http = Http::new(
        HttpOptions {
            dry_run,
            platform_timeouts,
            ..Default::default()
        },
        ledger.clone(),
    )?;
    Ok((http, Exec::new(dry_run, ledger.clone()), ledger))
}

/// What every subcommand that talks to platforms starts from.
pub(crate) struct Prepared {
    pub l: Loaded,
    pub selected: Vec<engine::Selected>,
    pub layers: (Http, Exec, Ledger),
}

/// Config → `--only`/`--skip` → preflight (credentials, tools, plus `extra` problems) →
/// the shared layers. Every problem is printed at once; the error is the exit code.
pub(crate) fn prepare(
    args: &RunArgs,
    extra: impl FnOnce(&Loaded) -> Vec<Error>,
    out: &Out,
) -> Result<Prepared, i32> {
    let l = load(&args.config, args.profile.as_deref(), out)?;
    let chosen = select::select(&l.pipeline, &args.only, &args.skip).map_err(|p| out.fatal(&p))?;
    let (selected, mut problems) = select::preflight(chosen, args.dry_run);
    if let Err(e) = dist::writable(&l, &args.dist) {
        problems.push(e);
    }
    problems.extend(extra(&l));
    if !problems.is_empty() {
        return Err(out.fatal(&problems));
    }
    let layers =
        layers(args.dry_run, select::timeouts(&l.pipeline)).map_err(|e| out.fatal(&[e]))?;
    Ok(Prepared {
        l,
        selected,
        layers,
    })
}

async fn release(a: ReleaseArgs, out: &Out) -> i32 {
    let started = Instant::now();
    let l = match load(&a.run.config, a.run.profile.as_deref(), out) {
        Ok(l) => l,
        Err(code) => return code,
    };
    if !l.pipeline.packages.is_empty() {
        return packages::release(a, l, out).await;
    }
    if let Err(e) = no_packages(&a.packages) {
        return out.fatal(&[e]);
    }
    let (p, mut release, opts) = match release_prepared(&a, out) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let args = &a.run;
    if !a.verify_content {
        let probing = probe::all_live(&p, &release, &opts, out);
        let probed = match deadline(args, started) {
            Some(d) => match tokio::time::timeout_at(d.at, probing).await {
                Ok(x) => x,
                Err(_) => {
                    let run = probe::timed_out(&d, release, p, started);
                    return run_engine(run, args, out).await;
                }
            },
            None => probing.await,
        };
        if let Some(live) = probed {
            return run_engine(live.into_run(release, p, started), args, out).await;
        }
    }
    let built = build(&p.l, &opts, &p.layers.1, out);
    let built = match deadline(args, started) {
        Some(d) => tokio::time::timeout_at(d.at, built)
            .await
            .unwrap_or_else(|_| Err(d.error("building"))),
        None => built.await,
    };
    match built {
        Ok(a) => release.artifacts = a,
        Err(e) => return out.fatal(&[e]),
    }
    let mut run = EngineRun::new(release, p, started, engine::Operation::Release);
    run.build = Some(BuildStep::Ran);
    run_engine(run, args, out).await
}

/// A single project's release, up to building: the config, the selected platforms and
/// their preflight, the build tools, the version and the epoch (every problem at once).
fn release_prepared(
    a: &ReleaseArgs,
    out: &Out,
) -> Result<(Prepared, Release, crate::build::BuildOptions), i32> {
    let args = &a.run;
    let mut version = None;
    let p = prepare(
        args,
        |l| {
            let mut problems = select::build_tools(&l.pipeline, &l.root);
            match crate::version::resolve(
                a.tag.as_deref(),
                &l.pipeline.version,
                &l.root,
                &env_map(),
            ) {
                Ok(v) => version = Some(v),
                Err(e) => problems.insert(0, e),
            }
            problems
        },
        out,
    )?;
    let resolved = version.expect("prepare succeeded, so the version resolved");
    let dist = dist_dir(&p.l, &args.dist);
    let epoch = crate::build::source_date_epoch(&p.l.root).map_err(|e| out.fatal(&[e]))?;
    let opts = probe::build_options(&p.l, &resolved, (&dist, epoch), args);
    let release = Release {
        project: p.l.pipeline.project.clone(),
        version: resolved.version,
        tag: resolved.tag,
        commit: crate::version::head_commit(&p.l.root),
        dist,
        artifacts: Vec::new(),
        root: p.l.root.clone(),
        epoch,
    };
    Ok((p, release, opts))
}

/// `--timeout`, counted from the start of the run.
fn deadline(args: &RunArgs, started: Instant) -> Option<engine::Deadline> {
    args.timeout.as_ref().map(|t| engine::Deadline {
        at: tokio::time::Instant::from_std(started + t.duration),
        shown: t.shown.clone(),
    })
}

/// Runs every build and packs the archives (also under `--dry-run`: it is local).
async fn build(
    l: &Loaded,
    opts: &crate::build::BuildOptions,
    exec: &Exec,
    out: &Out,
) -> crate::Result<Vec<crate::plan::Artifact>> {
    let name = &l.pipeline.project.name;
    out.message(&format!(
        "building {name} {} into {}",
        opts.version,
        opts.dist.display()
    ));
    crate::build::build_all(&l.pipeline.builds, &l.pipeline.archives, opts, exec).await
}

/// `--package` given for a pipeline without `packages:`.
pub(crate) fn no_packages(named: &[String]) -> Result<(), Error> {
    match named.is_empty() {
        true => Ok(()),
        false => Err(Error::input(
            "--package selects packages, and pipeline.yaml has no `packages:`",
        )
        .with_hint("drop --package, or list the packages under `packages:`")),
    }
}

async fn publish(args: RunArgs, packages: &[String], out: &Out) -> i32 {
    let started = Instant::now();
    let l = match load(&args.config, args.profile.as_deref(), out) {
        Ok(l) => l,
        Err(code) => return code,
    };
    if !l.pipeline.packages.is_empty() {
        return package_runs::publish(args, packages, l, out).await;
    }
    if let Err(e) = no_packages(packages) {
        return out.fatal(&[e]);
    }
    let mut previous = None;
    let p = match prepare(
        &args,
        |l| match read_previous(&dist_dir(l, &args.dist)) {
            Ok(r) => {
                previous = Some(r);
                Vec::new()
            }
            Err(problems) => problems,
        },
        out,
    ) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let previous = previous.expect("prepare succeeded, so the report was read");
    let mut selected = p.selected;
    for s in &mut selected {
        s.expected_packages = previous
            .platforms
            .iter()
            .find(|r| r.id == s.platform.id() && !r.packages.is_empty())
            .map(|r| r.packages.clone());
    }
    let release = Release {
        project: p.l.pipeline.project.clone(),
        version: semver::Version::parse(&previous.version).expect("checked by read_previous"),
        tag: previous.tag.clone(),
        commit: previous.commit.clone(),
        dist: dist_dir(&p.l, &args.dist),
        artifacts: previous.artifacts.clone(),
        root: p.l.root.clone(),
        epoch: previous.epoch.unwrap_or(crate::build::DEFAULT_EPOCH),
    };
    let run = EngineRun {
        release,
        selected,
        layers: p.layers,
        started,
        previous: Some(previous),
        operation: engine::Operation::Release,
        extra: Vec::new(),
        build: None,
        probed: None,
    };
    run_engine(run, &args, out).await
}

/// One run of the engine, from a resolved release to the written report and exit code.
pub(crate) struct EngineRun {
    pub release: Release,
    pub selected: Vec<engine::Selected>,
    pub layers: (Http, Exec, Ledger),
    pub started: Instant,
    /// `publish`: the earlier report whose other platforms are kept.
    pub previous: Option<Report>,
    pub operation: engine::Operation,
    /// Rows for platforms the engine does not run (e.g. a rollback's platforms that cannot).
    pub extra: Vec<crate::report::PlatformReport>,
    /// `release`: whether it built (the report's `build`).
    pub build: Option<BuildStep>,
    /// `release`: every platform probed live before the build, so the engine does not run.
    pub probed: Option<Vec<crate::report::PlatformReport>>,
}

impl EngineRun {
    /// A run of `operation` over what `prepare` selected.
    pub(crate) fn new(
        release: Release,
        p: Prepared,
        started: Instant,
        operation: engine::Operation,
    ) -> Self {
        EngineRun {
            release,
            selected: p.selected,
            layers: p.layers,
            started,
            previous: None,
            operation,
            extra: Vec::new(),
            build: None,
            probed: None,
        }
    }
}

pub(crate) async fn run_engine(run: EngineRun, args: &RunArgs, out: &Out) -> i32 {
    let started_at = now_rfc3339();
    let (http, exec, ledger) = run.layers;
    let release = Arc::new(run.release);
    let opts = engine_options(args, run.operation, run.started);
    let layers = engine::Layers {
        release: release.clone(),
        http,
        exec,
    };
    let result = match run.probed {
        Some(platforms) => engine::RunResult {
            platforms,
            refused: false,
        },
        None => engine::run(run.selected, layers, &opts, out.reporter()).await,
    };
    let ended = Ended {
        result,
        ledger,
        release,
        operation: run.operation,
        previous: run.previous,
        extra: run.extra,
        build: run.build,
        started: run.started,
        started_at,
    };
    conclude(ended, args, out)
}

pub(crate) fn engine_options(
    args: &RunArgs,
    operation: engine::Operation,
    started: Instant,
) -> EngineOptions {
    EngineOptions {
        dry_run: args.dry_run,
        fail_fast: args.fail_fast,
        parallelism: parallelism(args),
        operation,
        deadline: deadline(args, started),
    }
}
