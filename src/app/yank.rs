//! `tagship yank [TAG] --only crates`: withdraws a version on the platforms that allow it.
//! Platforms without a yank operation are listed as such, never silently skipped. The same
//! layers apply: under `--dry-run` the DELETE is withheld and listed.

use super::{dist_dir, env_map, output::Out, prepare};
use crate::cli::ReleaseArgs;
use crate::error::ErrorKind;
use crate::platform::{Cx, Release};
use std::collections::BTreeMap;
use std::sync::Arc;

pub async fn yank(a: ReleaseArgs, out: &Out) -> i32 {
    let args = a.run;
    if args.only.is_empty() {
        let e = crate::Error::input(
            "yank withdraws a published version: name the platforms with --only",
        )
        .with_hint("e.g. `tagship yank v1.2.3 --only crates`");
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
    let v = version.expect("prepare succeeded, so the version resolved");
    let (l, selected, (http, exec, ledger)) = (p.l, p.selected, p.layers);
    let release = Arc::new(Release {
        project: l.pipeline.project.clone(),
        version: v.version.clone(),
        tag: v.tag.clone(),
        commit: None,
        dist: dist_dir(&l, &args.dist),
        artifacts: Vec::new(),
        root: l.root.clone(),
        epoch: crate::build::source_date_epoch(&l.root).unwrap_or(crate::build::DEFAULT_EPOCH),
    });
    let mut code = 0;
    for s in selected {
        let id = s.platform.id().to_string();
        if !s.platform.capabilities().yank {
            println!("- {id:<10} no yank operation on this platform");
            continue;
        }
        let cx = Cx {
            platform: id.clone(),
            http: http.for_platform(&id),
            exec: exec.for_platform(&id),
            release: release.clone(),
            secrets: s.secrets,
            deps: BTreeMap::new(),
        };
        match s.platform.yank(&cx).await {
            // A predicted DELETE returns Ok under --dry-run: the ledger says what really went out.
            Ok(()) if !ledger.withheld_for(&id).is_empty() => {
                println!("~ {id:<10} would yank {} (dry run)", v.version)
            }
            Ok(()) => println!("✔ {id:<10} yanked {}", v.version),
            Err(e) if e.kind == ErrorKind::Withheld => {
                println!("~ {id:<10} would yank {} ({e})", v.version)
            }
            Err(e) => {
                code = 1;
                println!("✘ {id:<10} {}", e.chain());
                if let Some(h) = e.hint() {
                    println!("  {:<10} hint: {h}", "");
                }
            }
        }
    }
    for w in ledger.withheld() {
        println!("  withheld: {} {} {}", w.platform, w.method, w.target);
    }
    code
}
