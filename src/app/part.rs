//! `tagship build --target T…`: one runner's share of a split build (issue 13). It validates
//! what `release` validates before building (config, the tag, the build tools, the output
//! directory), builds only the named targets into a dist part and writes its `part.json`
//! (`build::part`). No platform is contacted; `tagship publish --merge` does the rest.

use super::{dist, env_map, load, Out};
use crate::build::part::{self, PartOrigin};
use crate::build::BuildOptions;
use crate::cli::BuildArgs;

/// What `build` checked before building anything.
struct Ready {
    resolved: crate::version::Resolved,
    epoch: u64,
    digest: String,
    dir: std::path::PathBuf,
}

/// Config, tag, tools, the target list and the part directory: every problem at once; the
/// directory is created only once everything else is right.
fn validate(l: &crate::config::Loaded, a: &BuildArgs) -> Result<Ready, Vec<crate::Error>> {
    let mut problems = super::select::build_tools(&l.pipeline, &l.root);
    let resolved =
        crate::version::resolve(a.tag.as_deref(), &l.pipeline.version, &l.root, &env_map())
            .map_err(|e| problems.insert(0, e))
            .ok();
    if let Err(e) = part::only_targets(&l.pipeline.builds, &a.targets) {
        problems.push(e);
    }
    let epoch = crate::build::source_date_epoch(&l.root).map_err(|e| problems.push(e));
    let digest = part::digest(&l.path).map_err(|e| problems.push(e));
    let dir = dist::dist_dir(l, &a.dist);
    if let Err(e) = part::fresh_dir(&dir, "the part directory") {
        problems.push(e);
    } else if problems.is_empty() {
        if let Err(e) = dist::writable(l, &a.dist) {
            problems.push(e);
        }
    }
    match (resolved, epoch, digest, problems.is_empty()) {
        (Some(resolved), Ok(epoch), Ok(digest), true) => Ok(Ready {
            resolved,
            epoch,
            digest,
            dir,
        }),
        _ => Err(problems),
    }
}

/// `--parallelism`, else the machine's cores.
fn parallelism(a: &BuildArgs) -> usize {
    a.parallelism
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
}

/// Exit 0 with the part written; 2 on bad input or a failed build (nothing to publish).
pub(super) async fn build(a: BuildArgs, out: &Out) -> i32 {
    let l = match load(&a.config, a.profile.as_deref(), out) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let Ready {
        resolved: v,
        epoch,
        digest,
        dir,
    } = match validate(&l, &a) {
        Ok(r) => r,
        Err(problems) => return out.fatal(&problems),
    };
    let opts = BuildOptions {
        root: l.root.clone(),
        dist: dir.clone(),
        project: l.pipeline.project.clone(),
        version: v.version,
        tag: v.tag,
        parallelism: parallelism(&a),
        epoch,
    };
    let origin = PartOrigin {
        commit: crate::version::head_commit(&l.root),
        pipeline_sha256: digest,
    };
    let exec = match super::layers(false, Default::default()) {
        Ok((_, exec, _)) => exec,
        Err(e) => return out.fatal(&[e]),
    };
    let ids: Vec<String> = a.targets.iter().map(|t| t.id()).collect();
    out.message(&format!(
        "building {} {} for {} into {}",
        opts.project.name,
        opts.version,
        ids.join(", "),
        dir.display()
    ));
    let built = part::build_part(
        &l.pipeline.builds,
        &l.pipeline.archives,
        &opts,
        &exec,
        (&a.targets, &origin),
    )
    .await;
    match built {
        Ok(p) => {
            out.message(&format!(
                "wrote {} ({} files); merge the parts with `tagship publish --merge DIR…`",
                dir.join(part::PART_FILE).display(),
                p.files.len()
            ));
            0
        }
        Err(e) => out.fatal(&[e]),
    }
}
