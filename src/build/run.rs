//! The build matrix: one job per build × target, each an argv (never a shell) with the
//! placeholders substituted per element, run through the shared exec layer with a bounded
//! number in flight. A finished job's binary is checked against its target and copied to
//! `dist/bin/{target}/{name}`.

use super::binfmt::check_binary_as;
use super::checksums::hash_file;
use super::{substitute, BuildOptions};
use crate::config::model::BuildConfig;
use crate::error::{Error, ErrorKind, Result};
use crate::exec::{Cmd, Effect, Exec};
use crate::plan::{Artifact, ArtifactKind, Target};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// One build command for one target, fully resolved.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    /// Build id for messages (`id`, else the project name).
    pub build: String,
    pub target: Target,
    pub cmd: Cmd,
    /// Where the command is expected to leave the binary (absolute).
    pub output: PathBuf,
    /// `output` relative to the project root when inside it, for messages.
    pub shown: PathBuf,
    /// File name of the binary, e.g. `hello.exe`.
    pub file_name: String,
    /// Destination relative to dist, `bin/{target}/{file_name}`.
    pub dist_rel: PathBuf,
    /// The build's working directory and the project root: a binary resolves inside one.
    pub dir: PathBuf,
    pub root: PathBuf,
}

/// A built, checked and copied binary.
#[derive(Debug, Clone)]
pub(crate) struct Built {
    pub target: Target,
    /// Absolute path of the copy in dist/.
    pub path: PathBuf,
    pub artifact: Artifact,
}

/// Expands every build × target into jobs, sorted by (target id, build). Validates `dir` and
/// `binary`, and refuses two builds producing the same file for the same target.
pub(crate) fn plan(builds: &[BuildConfig], opts: &BuildOptions) -> Result<Vec<Job>> {
    let mut jobs = Vec::new();
    for b in builds {
        let name = b.id.clone().unwrap_or_else(|| opts.project.name.clone());
        let dir = match &b.dir {
            Some(d) => opts.root.join(d),
            None => opts.root.clone(),
        };
        if !dir.is_dir() {
            return Err(Error::input(format!(
                "build `{name}`: dir {} does not exist",
                dir.display()
            ))
            .with_hint("`dir` is relative to the directory of pipeline.yaml"));
        }
        let targets: BTreeSet<Target> = b.targets.iter().copied().collect();
        for target in targets {
            jobs.push(job(b, &name, &dir, target, opts)?);
        }
    }
    jobs.sort_by_cached_key(|j| (j.target.id(), j.build.clone()));
    let mut seen: BTreeMap<(Target, &str), &str> = BTreeMap::new();
    for j in &jobs {
        if let Some(other) = seen.insert((j.target, &j.file_name), &j.build) {
            return Err(Error::config(format!(
                "builds `{other}` and `{}` both produce `{}` for {}",
                j.build, j.file_name, j.target
            ))
            .with_hint("give the binaries different names"));
        }
    }
    Ok(jobs)
}

fn job(b: &BuildConfig, name: &str, dir: &Path, target: Target, o: &BuildOptions) -> Result<Job> {
    let sub = |s: &str| substitute(s, &o.project.name, &o.version, &o.tag, target);
    let argv: Vec<String> = b.command.iter().map(|a| sub(a)).collect();
    let mut cmd = Cmd::argv(&argv, Effect::Local)
        .map_err(|e| e.context(format!("build `{name}`")))?
        .cwd(dir)
        .env("TAGSHIP_VERSION", o.version.to_string())
        .env("TAGSHIP_TAG", o.tag.clone())
        .env("TAGSHIP_TARGET", target.id())
        .env("TAGSHIP_OS", target.os.as_str())
        .env("TAGSHIP_ARCH", target.arch.as_str());
    for (k, v) in &b.env {
        cmd = cmd.env(k.clone(), sub(v));
    }
    let binary = sub(&b.binary);
    let output = dir.join(&binary);
    let file_name = Path::new(&binary)
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .filter(|f| f != "." && f != ".." && !binary.ends_with(['/', '\\']))
        .ok_or_else(|| {
            Error::config(format!(
                "build `{name}`: binary `{}` does not name a file",
                b.binary
            ))
        })?;
    super::check_name_length(&file_name, || {
        format!("build `{name}`: binary `{}`", b.binary)
    })?;
    let shown = output
        .strip_prefix(&o.root)
        .unwrap_or(&output)
        .to_path_buf();
    Ok(Job {
        build: name.to_string(),
        target,
        cmd,
        shown,
        output,
        dist_rel: Path::new("bin").join(target.id()).join(&file_name),
        file_name,
        dir: dir.to_path_buf(),
        root: o.root.clone(),
    })
}

/// Runs the jobs with at most `parallelism` in flight. Every job runs to completion; when
/// some fail, the first failure in job order is returned (so the error is deterministic)
/// with a note of how many others failed.
pub(crate) async fn run_all(
    jobs: Vec<Job>,
    parallelism: usize,
    dist: &Path,
    exec: &Exec,
) -> Result<Vec<Built>> {
    let sem = Arc::new(Semaphore::new(parallelism.max(1)));
    let mut set = JoinSet::new();
    let total = jobs.len();
    for (i, job) in jobs.into_iter().enumerate() {
        let (sem, exec, dist) = (sem.clone(), exec.clone(), dist.to_path_buf());
        set.spawn(async move {
            let _permit = sem.acquire_owned().await;
            (i, run_one(job, &dist, &exec).await)
        });
    }
    let mut results: Vec<Option<Result<Built>>> = (0..total).map(|_| None).collect();
    while let Some(joined) = set.join_next().await {
        let (i, r) =
            joined.map_err(|e| Error::new(ErrorKind::Other, format!("build task: {e}")))?;
        results[i] = Some(r);
    }
    let mut built = Vec::with_capacity(total);
    let mut errors = Vec::new();
    for r in results.into_iter().flatten() {
        match r {
            Ok(b) => built.push(b),
            Err(e) => errors.push(e),
        }
    }
    let mut errors = errors.into_iter();
    match errors.next() {
        None => Ok(built),
        Some(first) => match errors.len() {
            0 => Err(first),
            n => Err(first.context(format!("{n} other build(s) also failed; first failure"))),
        },
    }
}

/// Runs one job, then checks, copies and hashes its binary.
async fn run_one(job: Job, dist: &Path, exec: &Exec) -> Result<Built> {
    let what = format!("building `{}` for {}", job.build, job.target);
    let out = exec.run(&job.cmd).await.map_err(|e| e.context(&what))?;
    if !out.success() {
        let code = out.code.map_or("a signal".into(), |c| c.to_string());
        return Err(Error::new(
            ErrorKind::Build,
            format!(
                "{what}: `{}` exited with {code}:\n{}",
                job.cmd.display(),
                out.tail()
            ),
        )
        .with_hint(format!(
            "fix the build, then re-run; to reproduce, run the command in {} with the env of `builds:` for {}",
            job.cmd.cwd.as_deref().unwrap_or(Path::new(".")).display(),
            job.target
        )));
    }
    let dist = dist.to_path_buf();
    tokio::task::spawn_blocking(move || finish(job, &dist))
        .await
        .map_err(|e| Error::new(ErrorKind::Other, format!("build task: {e}")))?
}

/// Blocking tail of a job: the binary exists, is right for the target, gets copied to dist.
fn finish(job: Job, dist: &Path) -> Result<Built> {
    if !job.output.is_file() {
        return Err(Error::new(
            ErrorKind::Build,
            format!(
                "building `{}` for {}: `{}` succeeded but left no binary at {}",
                job.build,
                job.target,
                job.cmd.display(),
                job.output.display()
            ),
        )
        .with_hint("`binary` in pipeline.yaml (relative to the build's dir) must name the file the command writes"));
    }
    contained(&job)?;
    check_binary_as(&job.output, &job.shown, job.target)
        .map_err(|e| e.context(format!("build `{}`", job.build)))?;
    let dest = dist.join(&job.dist_rel);
    copy_executable(&job.output, &dest)?;
    let (sha256, size) = hash_file(&dest)?;
    Ok(Built {
        target: job.target,
        path: dest,
        artifact: Artifact {
            name: job.file_name,
            path: job.dist_rel,
            kind: ArtifactKind::Binary,
            target: Some(job.target),
            sha256,
            size,
        },
    })
}

/// A binary reached through a symlink must stay inside the build's dir or the project (as
/// `archives.files` must): a link to /etc/shadow is not packed and published.
fn contained(job: &Job) -> Result<()> {
    let canon = |p: &Path| p.canonicalize().ok();
    let target = canon(&job.output);
    let inside = target.as_ref().is_some_and(|t| {
        [&job.dir, &job.root]
            .into_iter()
            .filter_map(|d| canon(d))
            .any(|d| t.starts_with(d))
    });
    if inside || !through_symlink(&job.output) {
        return Ok(());
    }
    Err(Error::input(format!(
        "build `{}` for {}: binary `{}` is a symlink that resolves outside the build directory",
        job.build,
        job.target,
        job.shown.display()
    ))
    .with_hint(
        "the build must write the binary itself; tagship does not follow a link out of the project",
    ))
}

/// True when `p` or one of its parent directories is a symlink.
fn through_symlink(p: &Path) -> bool {
    p.ancestors().any(|a| {
        a.symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink())
    })
}

/// Copies `src` to `dest` (replacing it) and sets mode 0755.
fn copy_executable(src: &Path, dest: &Path) -> Result<()> {
    let io = |e| {
        Error::io(
            format!("copying {} to {}", src.display(), dest.display()),
            e,
        )
    };
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    match std::fs::remove_file(dest) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
        _ => {}
    }
    std::fs::copy(src, dest).map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dest, std::fs::Permissions::from_mode(0o755)).map_err(io)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guard::Ledger;
    use crate::plan::Project;

    fn opts(root: &Path) -> BuildOptions {
        BuildOptions {
            root: root.to_path_buf(),
            dist: root.join("dist"),
            project: Project {
                name: "hello".into(),
                ..Project::default()
            },
            version: semver::Version::parse("1.2.3").unwrap(),
            tag: "v1.2.3".into(),
            parallelism: 2,
            epoch: 315_532_800,
        }
    }

    fn build(command: &[&str], binary: &str, targets: &[&str]) -> BuildConfig {
        BuildConfig {
            id: None,
            dir: None,
            command: command.iter().map(|s| s.to_string()).collect(),
            binary: binary.into(),
            targets: targets.iter().map(|t| Target::parse(t).unwrap()).collect(),
            env: [("OUT".to_string(), "{os}/{arch}{exe}".to_string())].into(),
        }
    }

    #[test]
    fn plans_sorted_jobs_with_placeholders() {
        let dir = tempfile::tempdir().unwrap();
        let b = build(
            &[
                "cc",
                "-o",
                "out/{target}/{name}{exe}",
                "--tag={tag}; rm -rf /",
            ],
            "out/{target}/{name}{exe}",
            &["windows-amd64", "linux-arm64", "linux-arm64"],
        );
        let jobs = plan(&[b], &opts(dir.path())).unwrap();
        let ids: Vec<String> = jobs.iter().map(|j| j.target.id()).collect();
        assert_eq!(ids, ["linux-arm64", "windows-amd64"]);
        let w = &jobs[1];
        assert_eq!(w.cmd.args[1], "out/windows-amd64/hello.exe");
        assert_eq!(w.cmd.args[2], "--tag=v1.2.3; rm -rf /");
        assert_eq!(w.file_name, "hello.exe");
        assert_eq!(w.dist_rel, Path::new("bin/windows-amd64/hello.exe"));
        assert_eq!(w.output, dir.path().join("out/windows-amd64/hello.exe"));
        let env: BTreeMap<_, _> = w.cmd.env.iter().cloned().collect();
        assert_eq!(env["OUT"], "windows/amd64.exe");
        assert_eq!(env["TAGSHIP_TARGET"], "windows-amd64");
        assert_eq!(env["TAGSHIP_VERSION"], "1.2.3");
        assert_eq!(env["TAGSHIP_ARCH"], "amd64");
    }

    #[test]
    fn plan_rejects_bad_dir_binary_and_clashes() {
        let dir = tempfile::tempdir().unwrap();
        let mut b = build(&["true"], "x", &["linux-amd64"]);
        b.dir = Some("nope".into());
        assert_eq!(
            plan(&[b], &opts(dir.path())).unwrap_err().kind,
            ErrorKind::Input
        );
        let b = build(&["true"], "out/", &["linux-amd64"]);
        assert_eq!(
            plan(&[b], &opts(dir.path())).unwrap_err().kind,
            ErrorKind::Config
        );
        let b = build(&["true"], "x", &["linux-amd64"]);
        let e = plan(&[b.clone(), b], &opts(dir.path())).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Config);
        let b = build(&[], "x", &["linux-amd64"]);
        assert_eq!(
            plan(&[b], &opts(dir.path())).unwrap_err().kind,
            ErrorKind::Config
        );
    }

    #[tokio::test]
    async fn failures_missing_tools_and_missing_outputs() {
        let dir = tempfile::tempdir().unwrap();
        let o = opts(dir.path());
        let exec = Exec::new(true, Ledger::default());
        let run = |b: BuildConfig| {
            let (o, exec) = (&o, &exec);
            async move { run_all(plan(&[b], o)?, 2, &o.dist, exec).await }
        };
        let fail = build(
            &["sh", "-c", "echo boom >&2; exit 3"],
            "x",
            &["linux-amd64"],
        );
        let e = run(fail).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Build);
        assert!(
            e.message().contains("linux-amd64") && e.message().contains("boom"),
            "{e:?}"
        );
        assert!(e.message().contains("exited with 3") && e.hint().is_some());
        let missing = build(&["no-such-tool-xyz"], "x", &["linux-amd64"]);
        assert_eq!(run(missing).await.unwrap_err().kind, ErrorKind::MissingTool);
        let no_out = build(&["true"], "out/{target}/x", &["linux-amd64", "linux-arm64"]);
        let e = run(no_out).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Build);
        assert!(
            e.message()
                .contains(&format!("{}/out/linux-amd64/x", dir.path().display())),
            "{e:?}"
        );
        assert!(
            e.message().contains("1 other build(s) also failed"),
            "{e:?}"
        );
    }

    #[tokio::test]
    async fn copies_checked_binary_into_dist() {
        let dir = tempfile::tempdir().unwrap();
        let o = opts(dir.path());
        let me = std::env::current_exe().unwrap();
        let host = Target::parse(&format!("linux-{}", std::env::consts::ARCH)).unwrap();
        let b = build(&["cp", me.to_str().unwrap(), "prog"], "prog", &[&host.id()]);
        let exec = Exec::new(false, Ledger::default());
        let built = run_all(plan(&[b], &o).unwrap(), 1, &o.dist, &exec)
            .await
            .unwrap();
        assert_eq!(built.len(), 1);
        let a = &built[0].artifact;
        assert_eq!(a.path, Path::new("bin").join(host.id()).join("prog"));
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(o.dist.join(&a.path))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o755);
        assert_eq!(a.size, std::fs::metadata(&me).unwrap().len());
    }
}
