//! One function per subcommand: turns args + env + config into a run and an exit code
//! (0 ok, 1 a platform failed, 2 bad input/config/credentials/tool — nothing published).

mod output;
mod select;
mod yank;

use crate::cli::{CheckArgs, Cli, Command, ReleaseArgs, RunArgs};
use crate::config::{self, Loaded};
use crate::engine::{self, EngineOptions};
use crate::error::{Error, ErrorKind};
use crate::exec::Exec;
use crate::guard::Ledger;
use crate::http::{Http, HttpOptions};
use crate::platform::Release;
use crate::report::{Report, Requests};
use output::Out;
use std::collections::BTreeMap;
use std::path::PathBuf;
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
        Command::Publish(a) => rt.block_on(publish(a, &out)),
        Command::Yank(a) => rt.block_on(yank::yank(a, &out)),
        Command::Check(a) => check(a, &out),
        Command::Schema => {
            println!(
                "{}",
                serde_json::to_string_pretty(&config::schema()).unwrap_or_default()
            );
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

pub(crate) fn dist_dir(l: &Loaded, arg: &Option<PathBuf>) -> PathBuf {
    match arg {
        Some(d) if d.is_absolute() => d.clone(),
        Some(d) => std::env::current_dir().unwrap_or_default().join(d),
        None => l.root.join(l.pipeline.dist.as_deref().unwrap_or("dist")),
    }
}

fn parallelism(a: &RunArgs) -> usize {
    a.parallelism
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .max(1)
}

/// Shared HTTP and exec layers for a run.
pub(crate) fn layers(dry_run: bool) -> Result<(Http, Exec, Ledger), Error> {
    let ledger = Ledger::default();
    let http = Http::new(
        HttpOptions {
            dry_run,
            ..Default::default()
        },
        ledger.clone(),
    )?;
    Ok((http, Exec::new(dry_run, ledger.clone()), ledger))
}

async fn release(a: ReleaseArgs, out: &Out) -> i32 {
    let started = Instant::now();
    let args = a.run;
    let l = match load(&args.config, args.profile.as_deref(), out) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let resolved =
        match crate::version::resolve(a.tag.as_deref(), &l.pipeline.version, &l.root, &env_map()) {
            Ok(v) => v,
            Err(e) => return out.fatal(&[e]),
        };
    let chosen = match select::select(&l.pipeline, &args.only, &args.skip) {
        Ok(p) => p,
        Err(problems) => return out.fatal(&problems),
    };
    let (selected, mut problems) = select::preflight(chosen, args.dry_run);
    problems.extend(select::build_tools(&l.pipeline, &l.root));
    if !problems.is_empty() {
        return out.fatal(&problems);
    }
    let (http, exec, ledger) = match layers(args.dry_run) {
        Ok(x) => x,
        Err(e) => return out.fatal(&[e]),
    };
    let dist = dist_dir(&l, &args.dist);
    let epoch = match crate::build::source_date_epoch(&l.root) {
        Ok(e) => e,
        Err(e) => return out.fatal(&[e]),
    };
    out.message(&format!(
        "building {} {} into {}",
        l.pipeline.project.name,
        resolved.version,
        dist.display()
    ));
    let opts = crate::build::BuildOptions {
        root: l.root.clone(),
        dist: dist.clone(),
        project: l.pipeline.project.clone(),
        version: resolved.version.clone(),
        tag: resolved.tag.clone(),
        parallelism: parallelism(&args),
        epoch,
    };
    let artifacts =
        match crate::build::build_all(&l.pipeline.builds, &l.pipeline.archives, &opts, &exec).await
        {
            Ok(a) => a,
            Err(e) => return out.fatal(&[e]),
        };
    let release = Release {
        project: l.pipeline.project.clone(),
        version: resolved.version,
        tag: resolved.tag,
        commit: crate::version::head_commit(&l.root),
        dist,
        artifacts,
        root: l.root.clone(),
    };
    run_engine(
        release,
        selected,
        &args,
        (http, exec, ledger),
        started,
        None,
        out,
    )
    .await
}

async fn publish(args: RunArgs, out: &Out) -> i32 {
    let started = Instant::now();
    let l = match load(&args.config, args.profile.as_deref(), out) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let dist = dist_dir(&l, &args.dist);
    let previous = match Report::read(&dist) {
        Ok(r) => r,
        Err(e) => {
            let err = Error::input(format!(
                "cannot read {}: {e}",
                dist.join("report.json").display()
            ))
            .with_hint("run `tagship release` first; `publish` republishes what a release built");
            return out.fatal(&[err]);
        }
    };
    if let Err(problems) = verify_dist(&dist, &previous) {
        return out.fatal(&problems);
    }
    let version = match semver::Version::parse(&previous.version) {
        Ok(v) => v,
        Err(e) => return out.fatal(&[Error::input(format!("report.json has a bad version: {e}"))]),
    };
    let chosen = match select::select(&l.pipeline, &args.only, &args.skip) {
        Ok(p) => p,
        Err(problems) => return out.fatal(&problems),
    };
    let (mut selected, problems) = select::preflight(chosen, args.dry_run);
    if !problems.is_empty() {
        return out.fatal(&problems);
    }
    for s in &mut selected {
        s.expected_packages = previous
            .platforms
            .iter()
            .find(|p| p.id == s.platform.id() && !p.packages.is_empty())
            .map(|p| p.packages.clone());
    }
    let layers = match layers(args.dry_run) {
        Ok(x) => x,
        Err(e) => return out.fatal(&[e]),
    };
    let release = Release {
        project: l.pipeline.project.clone(),
        version,
        tag: previous.tag.clone(),
        commit: previous.commit.clone(),
        dist,
        artifacts: previous.artifacts.clone(),
        root: l.root.clone(),
    };
    run_engine(
        release,
        selected,
        &args,
        layers,
        started,
        Some(previous),
        out,
    )
    .await
}

/// Refuses when dist/ no longer holds the bytes the report describes.
fn verify_dist(dist: &std::path::Path, r: &Report) -> Result<(), Vec<Error>> {
    let mut problems = Vec::new();
    for a in &r.artifacts {
        let p = dist.join(&a.path);
        match crate::build::hash_file(&p) {
            Ok((sha, _)) if sha == a.sha256 => {}
            Ok((sha, _)) => problems.push(
                Error::input(format!(
                    "{} changed since it was built: sha256 {sha}, report.json says {}",
                    p.display(),
                    a.sha256
                ))
                .with_hint("re-run `tagship release` to rebuild; publish only sends the exact bytes a release built"),
            ),
            Err(e) => problems.push(
                Error::input(format!("{} is missing: {e}", p.display()))
                    .with_hint("re-run `tagship release`; publish only sends the bytes a release built"),
            ),
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

async fn run_engine(
    release: Release,
    selected: Vec<engine::Selected>,
    args: &RunArgs,
    (http, exec, ledger): (Http, Exec, Ledger),
    started: Instant,
    previous: Option<Report>,
    out: &Out,
) -> i32 {
    let started_at = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let release = Arc::new(release);
    let opts = EngineOptions {
        dry_run: args.dry_run,
        fail_fast: args.fail_fast,
        parallelism: parallelism(args),
    };
    let mut platforms =
        engine::run(selected, release.clone(), http, exec, &opts, out.reporter()).await;
    // The exit code speaks for this run only.
    let exit_code = Report::compute_exit_code(&platforms);
    if let Some(prev) = previous {
        // A selective republish keeps the other platforms' earlier outcomes, marked as such.
        let note = "from an earlier run; not part of this publish".to_string();
        let mut merged: Vec<_> = prev
            .platforms
            .into_iter()
            .filter(|p| !platforms.iter().any(|n| n.id == p.id))
            .map(|mut p| {
                if !p.warnings.contains(&note) {
                    p.warnings.push(note.clone());
                }
                p
            })
            .collect();
        merged.append(&mut platforms);
        platforms = merged;
    }
    let report = Report {
        schema_version: crate::report::SCHEMA_VERSION,
        tool: format!("tagship {}", env!("CARGO_PKG_VERSION")),
        project: release.project.name.clone(),
        version: release.version.to_string(),
        tag: release.tag.clone(),
        commit: release.commit.clone(),
        dry_run: args.dry_run,
        started_at,
        duration_ms: started.elapsed().as_millis() as u64,
        exit_code,
        artifacts: release.artifacts.clone(),
        platforms,
        requests: Requests {
            sent: ledger.sent(),
            mutating_sent: ledger.mutating_sent(),
            withheld: ledger.withheld().len() as u64,
        },
    };
    if let Err(e) = report.write(&release.dist) {
        return out.fatal(&[Error::io("writing the report", e)]);
    }
    if let Err(e) = report.write_step_summary() {
        out.message(&format!(
            "warning: could not write GITHUB_STEP_SUMMARY: {e}"
        ));
    }
    out.report(&report, args.json);
    exit_code
}

fn check(a: CheckArgs, out: &Out) -> i32 {
    let l = match load(&a.config, a.profile.as_deref(), out) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let mut problems = Vec::new();
    match crate::version::resolve(a.tag.as_deref(), &l.pipeline.version, &l.root, &env_map()) {
        Ok(v) => out.message(&format!("version {} (from {})", v.version, v.source)),
        Err(e)
            if a.tag.is_some()
                || e.kind != ErrorKind::Input
                || !e.message().starts_with("no version") =>
        {
            problems.push(e)
        }
        Err(e) => out.message(&format!("note: {e}")),
    }
    problems.extend(select::build_tools(&l.pipeline, &l.root));
    match select::select(&l.pipeline, &a.only, &a.skip) {
        Ok(chosen) => {
            let ids: Vec<String> = chosen.iter().map(|p| p.id().to_string()).collect();
            let (_, p) = select::preflight(chosen, false);
            problems.extend(p);
            if problems.is_empty() {
                out.message(&format!(
                    "ok: {} — platforms: {}",
                    l.path.display(),
                    ids.join(", ")
                ));
            }
        }
        Err(p) => problems.extend(p),
    }
    if problems.is_empty() {
        0
    } else {
        out.fatal(&problems)
    }
}
