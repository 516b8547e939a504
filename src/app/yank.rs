//! `tagship yank [TAG] --only crates`: withdraws a version on the named platforms, through the
//! same engine as a release (fan-out, progress, `--json`, report, exit codes). A named platform
//! without the capability is refused up front (exit 2); under `--dry-run` the layers withhold
//! the request and the report lists it. The report goes to dist/yank/report.json.

use super::{dist_dir, env_map, output::Out, prepare, EngineRun};
use crate::cli::ReleaseArgs;
use crate::engine::Operation;
use crate::error::Error;
use crate::platform::{Release, Withdraw};
use std::time::Instant;

pub async fn yank(a: ReleaseArgs, out: &Out) -> i32 {
    let started = Instant::now();
    let args = a.run;
    if args.only.is_empty() {
        let e = Error::input("yank withdraws a published version: name the platforms with --only")
            .with_hint("e.g. `tagship yank v1.2.3 --only crates`; `tagship check` lists what each platform can withdraw");
        return out.fatal(&[e]);
    }
    let mut version = None;
    let p = match prepare(
        &args,
        |l| match crate::version::resolve(
            a.tag.as_deref(),
            &l.pipeline.version,
            &l.root,
            &env_map(),
        ) {
            Ok(v) => {
                version = Some(v);
                Vec::new()
            }
            Err(e) => vec![e],
        },
        out,
    ) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let unable: Vec<Error> = p
        .selected
        .iter()
        .filter(|s| s.platform.capabilities().withdraw == Withdraw::None)
        .map(|s| {
            Error::input(format!(
                "{} cannot withdraw a published version",
                s.platform.id()
            ))
            .with_hint("`tagship check` prints what each platform can do; leave it out of --only")
        })
        .collect();
    if !unable.is_empty() {
        return out.fatal(&unable);
    }
    let v = version.expect("prepare succeeded, so the version resolved");
    let l = &p.l;
    let release = Release {
        project: l.pipeline.project.clone(),
        version: v.version.clone(),
        tag: v.tag.clone(),
        commit: None,
        dist: dist_dir(l, &args.dist),
        artifacts: Vec::new(),
        root: l.root.clone(),
        epoch: crate::build::source_date_epoch(&l.root).unwrap_or(crate::build::DEFAULT_EPOCH),
    };
    let run = EngineRun::new(release, p, started, Operation::Withdraw);
    super::run_engine(run, &args, out).await
}
