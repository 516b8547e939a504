//! `tagship init`: inspects a project directory (detect.rs) and writes a starting
//! pipeline.yaml (pipeline.rs) and two GitHub Actions workflows (workflow.rs). Existing files
//! are kept unless `--force`; `--dry-run` (`--print`) shows what would be written and writes
//! nothing; `--check` fails when a workflow on disk is not what init would write now (as
//! `dist generate --check` does), so a hand edit or a stale workflow is noticed in CI.

pub mod builds;
pub mod detect;
pub mod pipeline;
pub mod workflow;

use crate::cli::InitArgs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// One file init writes: its path relative to the project and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub path: &'static str,
    pub text: String,
    /// Whether `--check` compares it (pipeline.yaml is the user's to edit; workflows are not).
    pub checked: bool,
}

/// Every file for `d`, rendered by the pure functions.
pub fn plan(d: &detect::Detected, tagship_version: &str) -> Vec<Planned> {
    vec![
        Planned {
            path: "pipeline.yaml",
            text: pipeline::render(d),
            checked: false,
        },
        Planned {
            path: workflow::RELEASE_PATH,
            text: workflow::release(d, tagship_version),
            checked: true,
        },
        Planned {
            path: workflow::STATUS_PATH,
            text: workflow::status(d, tagship_version),
            checked: true,
        },
    ]
}

/// The subcommand: 0 done (or up to date), 1 `--check` found a difference, 2 bad input.
pub fn run(a: &InitArgs) -> i32 {
    let d = match detect::detect(&a.dir) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {}: {e}", a.dir.display());
            eprintln!("  hint: fix the file, then run `tagship init` again");
            return 2;
        }
    };
    if d.builds.source == builds::PlanSource::InvalidPipelineYaml {
        eprintln!("warning: pipeline.yaml does not load (`tagship check` says why): the workflow's build jobs follow the builds init would write");
    }
    let files = plan(&d, env!("CARGO_PKG_VERSION"));
    if a.check {
        return check(&a.dir, &files);
    }
    let found = d.source.unwrap_or("no project file");
    eprintln!("init: {} ({found})", d.name);
    if d.github.is_none() {
        eprintln!("warning: no github.com `origin` remote: set platforms.github.owner/repo in pipeline.yaml");
    }
    let mut failed = false;
    for f in &files {
        let path = a.dir.join(f.path);
        let exists = path.symlink_metadata().is_ok();
        if a.dry_run {
            let what = match (exists, a.force) {
                (false, _) => "would write",
                (true, true) => "would overwrite",
                (true, false) => "exists; would keep it, --force overwrites",
            };
            println!("==> {} ({what})\n{}", f.path, f.text);
            continue;
        }
        if exists && !a.force {
            eprintln!("kept {} (it exists; --force overwrites it)", f.path);
            continue;
        }
        match inside(&a.dir, &path).and_then(|()| write(&path, &f.text)) {
            Ok(()) => eprintln!("wrote {}", f.path),
            Err(e) => {
                eprintln!("error: cannot write {}: {e}", path.display());
                failed = true;
            }
        }
    }
    if failed {
        return 2;
    }
    if !a.dry_run {
        eprintln!(
            "next: `tagship check`, then `tagship release v1.2.3 --dry-run`; push a tag `v*` to release"
        );
    }
    0
}

/// `--check`: each workflow on disk against what init would write now.
fn check(dir: &Path, files: &[Planned]) -> i32 {
    let mut stale = 0;
    for f in files.iter().filter(|f| f.checked) {
        match std::fs::read_to_string(dir.join(f.path)) {
            Ok(t) if t == f.text => eprintln!("up to date: {}", f.path),
            Ok(t) => {
                stale += 1;
                let line = first_difference(&t, &f.text);
                eprintln!(
                    "differs: {}:{line} is not what `tagship init` writes",
                    f.path
                );
            }
            Err(_) => {
                stale += 1;
                eprintln!("missing: {}", f.path);
            }
        }
    }
    if stale > 0 {
        eprintln!(
            "hint: `tagship init --dry-run` shows what init writes; `tagship init --force` rewrites \
             the workflows and pipeline.yaml too (keep a copy of yours)"
        );
        return 1;
    }
    0
}

/// The 1-based line where `a` and `b` first differ.
fn first_difference(a: &str, b: &str) -> usize {
    let (mut x, mut y) = (a.lines(), b.lines());
    let mut line = 1;
    while let (Some(l), Some(r)) = (x.next(), y.next()) {
        if l != r {
            return line;
        }
        line += 1;
    }
    line
}

/// `path`'s directory is `root` or below it once symlinks are followed: a `.github` that
/// links elsewhere would have init write (and create directories) outside the project.
fn inside(root: &Path, path: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(root)?;
    let base = root.canonicalize()?;
    let dir = path.parent().unwrap_or(root);
    let existing = dir
        .ancestors()
        .find(|a| a.symlink_metadata().is_ok())
        .unwrap_or(root);
    if existing.canonicalize()?.starts_with(&base) {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "{} resolves outside {} through a symlink",
            existing.display(),
            root.display()
        )))
    }
}

/// Writes a new file beside `path` and renames it over: an existing symlink there is
/// replaced, never written through.
fn write(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path.parent().map_or(PathBuf::from("."), Path::to_path_buf);
    std::fs::create_dir_all(&dir)?;
    let name = path
        .file_name()
        .map_or("init".into(), |n| n.to_string_lossy());
    let tmp = dir.join(format!(".{name}.tagship-init.{}", std::process::id()));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)?;
    f.write_all(text.as_bytes())?;
    drop(f);
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

#[cfg(test)]
mod tests;
