//! `tagship publish --merge DIR…` (issue 13): the publishing job of a split build. Every part
//! is verified on its own (`build::part::read_part`: each file listed, plain, unchanged) and
//! against the others and this checkout: the same tagship, pipeline.yaml, commit, tag,
//! version and epoch; each target carried once; every target `builds:` plans carried. Any
//! problem is exit 2 before a platform is asked anything, all problems at once. Then dist/ is
//! assembled from the parts (with the SHA256SUMS of all archives) and the engine runs as a
//! release does after its build: package, check, publish, verify, one report.

use super::{dist_dir, env_map, prepare, run_engine, EngineRun, Out};
use crate::build::part::{self, Part, PART_FILE};
use crate::build::BuildOptions;
use crate::cli::RunArgs;
use crate::config::Loaded;
use crate::engine;
use crate::error::Error;
use crate::plan::Target;
use crate::platform::Release;
use crate::report::BuildStep;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The verified parts and the release they agree on.
struct Merged {
    parts: Vec<(PathBuf, Part)>,
    version: semver::Version,
}

pub(super) async fn publish_merge(args: RunArgs, dirs: Vec<PathBuf>, out: &Out) -> i32 {
    let started = Instant::now();
    let mut merged = None;
    let p = match prepare(
        &args,
        |l| match check_parts(l, &dirs, &dist_dir(l, &args.dist)) {
            Ok(m) => {
                merged = Some(m);
                Vec::new()
            }
            Err(problems) => problems,
        },
        out,
    ) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let m = merged.expect("prepare succeeded, so the parts were verified");
    let dist = dist_dir(&p.l, &args.dist);
    out.message(&format!(
        "merging {} part(s) into {}",
        m.parts.len(),
        dist.display()
    ));
    let artifacts = match part::assemble(&m.parts, &dist) {
        Ok(a) => a,
        Err(e) => return out.fatal(&[e]),
    };
    let first = &m.parts[0].1;
    let release = Release {
        project: p.l.pipeline.project.clone(),
        version: m.version.clone(),
        tag: first.tag.clone(),
        commit: first.commit.clone(),
        dist,
        artifacts,
        root: p.l.root.clone(),
        epoch: first.epoch,
    };
    let mut run = EngineRun::new(release, p, started, engine::Operation::Release);
    run.build = Some(BuildStep::Ran);
    run_engine(run, &args, out).await
}

/// Reads and cross-checks every part; every problem found, or the merge.
fn check_parts(l: &Loaded, dirs: &[PathBuf], dist: &Path) -> Result<Merged, Vec<Error>> {
    let mut problems = Vec::new();
    let mut parts = Vec::new();
    for d in dirs {
        if let Err(e) = apart_from_dist(d, dist) {
            problems.push(e);
        }
        match part::read_part(d) {
            Ok(p) => parts.push((d.clone(), p)),
            Err(mut e) => problems.append(&mut e),
        }
    }
    // With a part unreadable its targets would read as missing: the other checks still run.
    let complete = problems.is_empty();
    if parts.is_empty() {
        return Err(problems);
    }
    problems.extend(same_origin(l, &parts));
    let first = &parts[0].1;
    let version =
        match crate::version::resolve(Some(&first.tag), &l.pipeline.version, &l.root, &env_map()) {
            Ok(v) => v.version,
            Err(e) => {
                problems.push(e.context(format!("part {}", parts[0].0.display())));
                return Err(problems);
            }
        };
    problems.extend(coverage(l, &parts, &version, complete));
    if problems.is_empty() {
        Ok(Merged { parts, version })
    } else {
        Err(problems)
    }
}

/// A part may sit inside dist/ (e.g. dist/parts/linux-amd64) but not be dist/ or hold it:
/// assembling would write into the part being read.
fn apart_from_dist(dir: &Path, dist: &Path) -> Result<(), Error> {
    let (Ok(d), Ok(out)) = (dir.canonicalize(), dist.canonicalize()) else {
        return Ok(()); // a missing part is reported by read_part, naming it
    };
    if out.starts_with(&d) {
        return Err(Error::input(format!(
            "part {}: holds the output directory {} that the merge writes",
            dir.display(),
            dist.display()
        ))
        .with_hint("merge into another --dist (the parts are read, dist/ is written)"));
    }
    Ok(())
}

/// Every part against the first (tag, version, epoch, project) and against this checkout
/// (tagship's version, pipeline.yaml's digest, HEAD, the CI tag ref).
fn same_origin(l: &Loaded, parts: &[(PathBuf, Part)]) -> Vec<Error> {
    let (first_dir, first) = &parts[0];
    let digest = part::digest(&l.path).ok();
    let head = crate::version::head_commit(&l.root);
    let ci_tag = env_map()
        .get("GITHUB_REF")
        .and_then(|r| r.strip_prefix("refs/tags/").map(str::to_string));
    let mut problems = Vec::new();
    for (dir, p) in parts {
        let mut differs = |what: &str, theirs: String, ours: String, whose: &str| {
            problems.push(
                Error::input(format!(
                    "part {}: {PART_FILE} says {what} {theirs}, {whose} {ours}",
                    dir.display()
                ))
                .with_hint("merge only the parts one tag's build matrix wrote: rebuild this part from the same commit, tag and pipeline.yaml"),
            );
        };
        let first_is = format!("part {} says", first_dir.display());
        if p.tool != part::tool() {
            differs("it was built by", p.tool.clone(), part::tool(), "this is");
        }
        if Some(&p.pipeline_sha256) != digest.as_ref() {
            let here = format!("{} has sha256", l.path.display());
            differs(
                "pipeline.yaml sha256",
                p.pipeline_sha256.clone(),
                digest.clone().unwrap_or_default(),
                &here,
            );
        }
        if p.commit != head {
            let shown = |c: &Option<String>| c.clone().unwrap_or_else(|| "(no git commit)".into());
            differs(
                "commit",
                shown(&p.commit),
                shown(&head),
                "this checkout is at",
            );
        }
        if let Some(t) = ci_tag.as_ref().filter(|t| **t != p.tag) {
            differs("tag", p.tag.clone(), t.clone(), "GITHUB_REF names");
        }
        if (&p.tag, &p.version, &p.project) != (&first.tag, &first.version, &first.project) {
            let theirs = format!("{} {} ({})", p.project, p.version, p.tag);
            let ours = format!("{} {} ({})", first.project, first.version, first.tag);
            differs("version", theirs, ours, &first_is);
        }
        if p.epoch != first.epoch {
            differs(
                "epoch",
                p.epoch.to_string(),
                first.epoch.to_string(),
                &first_is,
            );
        }
    }
    problems
}

/// Each target in exactly one part, and exactly the targets `builds:` plans (missing ones
/// only when every part could be read).
fn coverage(
    l: &Loaded,
    parts: &[(PathBuf, Part)],
    version: &semver::Version,
    complete: bool,
) -> Vec<Error> {
    let first = &parts[0].1;
    let opts = BuildOptions {
        root: l.root.clone(),
        dist: PathBuf::new(),
        project: l.pipeline.project.clone(),
        version: version.clone(),
        tag: first.tag.clone(),
        parallelism: 1,
        epoch: first.epoch,
    };
    let planned = match crate::build::planned(&l.pipeline.builds, &l.pipeline.archives, &opts) {
        Ok(p) => p.targets,
        Err(e) => return vec![e],
    };
    let mut problems = Vec::new();
    let mut carried: BTreeMap<Target, &Path> = BTreeMap::new();
    for (dir, p) in parts {
        problems.extend(unplanned(l, (dir, p), &opts));
        for t in &p.targets {
            if let Some(other) = carried.insert(*t, dir) {
                problems.push(
                    Error::input(format!(
                        "part {}: {PART_FILE} carries {t}, which part {} carries too",
                        dir.display(),
                        other.display()
                    ))
                    .with_hint("merge each target's part once"),
                );
            }
            if !planned.contains(t) {
                problems.push(Error::input(format!(
                    "part {}: {PART_FILE} carries {t}, which `builds:` in {} does not plan",
                    dir.display(),
                    l.path.display()
                )));
            }
        }
    }
    let missing = planned
        .iter()
        .filter(|t| complete && !carried.contains_key(*t));
    for t in missing {
        problems.push(
            Error::input(format!(
                "no part carries {t}, which `builds:` in {} plans",
                l.path.display()
            ))
            .with_hint(format!(
                "build it (`tagship build --target {t}`) and pass its directory to --merge"
            )),
        );
    }
    problems
}

/// A part's files against what the builds of its targets write (`part::against_plan`):
/// one problem per file listed that no build writes, and per file a build writes that is
/// not listed.
fn unplanned(l: &Loaded, (dir, p): (&Path, &Part), opts: &BuildOptions) -> Vec<Error> {
    let config = (&l.pipeline.builds[..], &l.pipeline.archives);
    let gaps = match part::against_plan(p, config, opts) {
        Ok(g) => g,
        Err(e) => return vec![e],
    };
    let refuse = |what: String| {
        Error::input(format!("part {}: {PART_FILE} {what}", dir.display())).with_hint(
            "rebuild the part with `tagship build --target`; a merge publishes only the files a part's build wrote",
        )
    };
    let config = l.path.display();
    let odd = gaps.unplanned.into_iter().map(|f| {
        let t = f.target.map(|t| t.id()).unwrap_or_default();
        refuse(format!(
            "lists {} for {t}, a file `builds:` in {config} does not write for that target",
            f.path.display()
        ))
    });
    let missing = gaps.missing.into_iter().map(|(t, path)| {
        refuse(format!(
            "does not list {} for {t}, which `builds:` in {config} writes",
            path.display()
        ))
    });
    odd.chain(missing).collect()
}
