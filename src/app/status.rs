//! `tagship status [VERSION]`: asks every configured platform, at once and read-only, what it
//! has live (`engine::status`), judges drift and staleness (`crate::status`), and writes
//! dist/status/: status.json, status.md, index.html (the dashboard) and SVG badges
//! (badge.svg overall, badge-<platform>.svg). Credentials are used when present, else the
//! platforms are asked anonymously; the layers run in dry-run mode, so nothing can be sent
//! that changes anything.
//!
//! With `packages:` (issue 14) each chosen package (`--package`) is asked on its own view of
//! the pipeline, as `release` builds it (its name, directory, builds, merged platform
//! settings; its version: the one asked about or the newest tag for `version: shared`, the
//! one its files state for `version: own`), judged on its own, and the rows joined as
//! `<package>/<platform>` (`status::combine`).

use super::{dist::dist_dir, env_map, load, output::Out, packages, select};
use crate::cli::StatusArgs;
use crate::config::{PackageConfig, PackageVersion, Pipeline};
use crate::engine::{self, status as ask};
use crate::error::Error;
use crate::platform::{Latest, Probe, Release};
use crate::status::{self, Answer, Judge, Observed, Presence};
use std::path::PathBuf;
use std::sync::Arc;

pub async fn status(a: StatusArgs, out: &Out) -> i32 {
    let asker = match Asker::new(&a, out) {
        Ok(x) => x,
        Err(code) => return code,
    };
    match &a.watch {
        None => match asker.ask().await {
            Ok(st) => emit(&st, &a, &asker.dist, out, None),
            Err(e) => out.fatal(&[e]),
        },
        Some(every) => super::watch::watch(&asker, &a, out, every.duration).await,
    }
}

/// What one `status` asks, built once (a watch asks again with the same layers).
pub(super) struct Asker {
    l: crate::config::Loaded,
    asked: Option<crate::version::Resolved>,
    /// The whole project, or (with `packages:`) each chosen package.
    groups: Vec<Group>,
    http: crate::http::Http,
    exec: crate::exec::Exec,
    pub(super) dist: std::path::PathBuf,
    stale_after: u64,
}

/// The platforms asked about one release: the project's, or one package's (on the
/// package's view of the pipeline: its name, directory, builds and platform settings).
struct Group {
    package: Option<PackageConfig>,
    view: Pipeline,
    root: PathBuf,
    selected: Vec<engine::Selected>,
}

impl Asker {
    fn new(a: &StatusArgs, out: &Out) -> Result<Asker, i32> {
        let l = load(&a.scope.config, a.scope.profile.as_deref(), out)?;
        let asked = match &a.version {
            Some(v) => {
                let r = crate::version::resolve(Some(v), &l.pipeline.version, &l.root, &env_map());
                Some(r.map_err(|e| out.fatal(&[e]))?)
            }
            None => None,
        };
        let groups = groups(&l, a).map_err(|p| out.fatal(&p))?;
        // Status asks each platform under its own id (engine::status), so a package's own
        // `timeout` for a platform counts as that platform's: the longest one wins.
        let mut timeouts = std::collections::BTreeMap::new();
        for (id, t) in groups.iter().flat_map(|g| select::timeouts(&g.view)) {
            let longest = timeouts
                .get(&id)
                .map_or(t, |&was: &std::time::Duration| was.max(t));
            timeouts.insert(id, longest);
        }
        let (http, exec, _) = super::layers(true, timeouts).map_err(|e| out.fatal(&[e]))?;
        let dist = dist_dir(&l, &a.dist);
        Ok(Asker {
            l,
            asked,
            groups,
            http,
            exec,
            dist,
            stale_after: a.stale_after,
        })
    }

    /// Asks every platform (of every package), at once, and judges the answers: per
    /// package, so drift is a package's platforms disagreeing with each other.
    pub(super) async fn ask(&self) -> crate::Result<status::Status> {
        let asked = futures::future::join_all(self.groups.iter().map(|g| self.ask_group(g)));
        let mut parts = Vec::new();
        for (g, st) in self.groups.iter().zip(asked.await) {
            match &g.package {
                None => return st,
                Some(p) => parts.push((p.name.clone(), st?)),
            }
        }
        Ok(status::combine(&self.l.pipeline.project.name, parts))
    }

    async fn ask_group(&self, g: &Group) -> crate::Result<status::Status> {
        let l = &self.l;
        let mut release = g.release(&self.dist, self.asked.as_ref());
        let latest = ask::latest_all(&g.selected, &self.layers(&release)).await;
        let newest = latest
            .iter()
            .filter_map(|r| r.as_ref().ok()?.as_ref().map(|l| l.version.clone()))
            .max();
        let version = match g.own_version()? {
            Some(own) => Some(own),
            // VERSION defaults to the newest tag here, else the newest version any platform has.
            None => {
                let tagged = crate::version::newest_tag(&l.root, &l.pipeline.version.tag_prefix);
                let asked = self.asked.as_ref().map(|r| r.version.clone());
                asked.or(tagged.map(|(_, v)| v)).or(newest)
            }
        };
        let probes = match &version {
            Some(v) => {
                release.version = v.clone();
                release.tag = g.tag(&l.pipeline.version.tag_prefix, v);
                self.probes(g, &release).await?
            }
            None => g.selected.iter().map(|_| Ok(Probe::Unknown)).collect(),
        };
        let observed: Vec<Observed> = g
            .selected
            .iter()
            .zip(latest.into_iter().zip(probes))
            .map(|(s, (lt, pr))| observe(s.platform.id(), lt, pr, version.as_ref()))
            .collect();
        let judge = Judge {
            project: g.view.project.name.clone(),
            version,
            tag_age_secs: tag_age(&l.root, &release.tag),
            stale_after_hours: self.stale_after,
            checked_at: now(),
        };
        Ok(status::assess(&judge, &observed))
    }

    async fn probes(
        &self,
        g: &Group,
        release: &Release,
    ) -> crate::Result<Vec<crate::Result<Probe>>> {
        let opts = crate::build::BuildOptions {
            root: release.root.clone(),
            dist: release.dist.clone(),
            project: g.view.project.clone(),
            version: release.version.clone(),
            tag: release.tag.clone(),
            parallelism: 1,
            epoch: release.epoch,
        };
        let plan = crate::build::planned(&g.view.builds, &self.l.pipeline.archives, &opts)?;
        Ok(ask::probe_each(&g.selected, &self.layers(release), &plan).await)
    }

    fn layers(&self, release: &Release) -> engine::Layers {
        engine::Layers {
            release: Arc::new(release.clone()),
            http: self.http.clone(),
            exec: self.exec.clone(),
        }
    }
}

/// The project as one group, or each package `--package` chooses (all when none), with
/// `--only`/`--skip` applied within each; every problem at once.
fn groups(l: &crate::config::Loaded, a: &StatusArgs) -> Result<Vec<Group>, Vec<Error>> {
    let (only, skip) = (&a.scope.only, &a.scope.skip);
    if l.pipeline.packages.is_empty() {
        super::no_packages(&a.packages).map_err(|e| vec![e])?;
        let chosen = select::select(&l.pipeline, only, skip)?;
        let view = l.pipeline.clone();
        return Ok(vec![Group::new(None, view, l.root.clone(), chosen)]);
    }
    let chosen = packages::choose(&l.pipeline.packages, &a.packages, (only, skip))?;
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for cfg in chosen {
        let view = packages::view(&l.pipeline, &cfg);
        match packages::select_in(&view, &cfg, (only, skip)) {
            Ok(Some(c)) => out.push(Group::new(
                Some(cfg.clone()),
                view,
                l.root.join(&cfg.dir),
                c,
            )),
            Ok(None) => {}
            Err(mut p) => problems.append(&mut p),
        }
    }
    match problems.is_empty() {
        true => Ok(out),
        false => Err(problems),
    }
}

impl Group {
    fn new(
        package: Option<PackageConfig>,
        view: Pipeline,
        root: PathBuf,
        chosen: Vec<Arc<dyn crate::platform::Platform>>,
    ) -> Group {
        let (selected, _) = select::preflight(chosen, true);
        Group {
            package,
            view,
            root,
            selected,
        }
    }

    /// The release asked about before its version is known (the package's directory as
    /// root and `dist/<package>/`, as `release` has it).
    fn release(&self, dist: &std::path::Path, asked: Option<&crate::version::Resolved>) -> Release {
        let dist = match &self.package {
            Some(p) => dist.join(&p.name),
            None => dist.to_path_buf(),
        };
        Release {
            project: self.view.project.clone(),
            version: asked.map_or(semver::Version::new(0, 0, 0), |r| r.version.clone()),
            tag: asked.map(|r| r.tag.clone()).unwrap_or_default(),
            commit: None,
            dist,
            artifacts: Vec::new(),
            root: self.root.clone(),
            epoch: crate::build::DEFAULT_EPOCH,
        }
    }

    /// A `version: own` package's version: the one its own files state.
    fn own_version(&self) -> crate::Result<Option<semver::Version>> {
        match &self.package {
            Some(p) if p.version == PackageVersion::Own => crate::version::stated(&self.root)
                .map(|v| Some(v.clone()))
                .map_err(|e| e.context(format!("package `{}`", p.name))),
            _ => Ok(None),
        }
    }

    /// The tag of `v`: `<name>-v<version>` for a `version: own` package.
    fn tag(&self, prefix: &str, v: &semver::Version) -> String {
        match &self.package {
            Some(p) if p.version == PackageVersion::Own => format!("{}-v{v}", p.name),
            _ => format!("{prefix}{v}"),
        }
    }
}

/// Writes dist/status/ (and the metrics file), then prints the table or the JSON; `changes`
/// (a watch's later rounds) prints those lines instead of the table. The status's exit code.
pub(super) fn emit(
    st: &status::Status,
    a: &StatusArgs,
    dist: &std::path::Path,
    out: &Out,
    changes: Option<&[String]>,
) -> i32 {
    if let Err(e) = write(st, &dist.join("status")) {
        return out.fatal(&[Error::io("writing dist/status/", e)]);
    }
    if let Some(path) = &a.metrics {
        let text = crate::redact::redact(&status::prometheus(st));
        if let Err(e) = std::fs::write(path, text) {
            return out.fatal(&[Error::io(format!("writing {}", path.display()), e)]);
        }
    }
    match changes {
        Some(lines) => lines.iter().for_each(|l| out.message(l)),
        None if a.json => println!("{}", serde_json::to_string_pretty(st).unwrap_or_default()),
        None => out.message(&status::terminal_table(st)),
    }
    st.exit_code
}

/// One platform's answer from its `latest` and its probe.
fn observe(
    id: &str,
    latest: crate::Result<Option<Latest>>,
    probe: crate::Result<Probe>,
    version: Option<&semver::Version>,
) -> Observed {
    let latest = match latest {
        Ok(l) => l,
        Err(e) => {
            return Observed {
                id: id.into(),
                answer: Err(e.chain()),
            }
        }
    };
    let newest = latest.as_ref().map(|l| l.version.clone());
    let presence = match probe {
        Ok(Probe::Live(_)) => Some(Presence::Complete),
        Ok(Probe::Pending(_)) => Some(Presence::Pending),
        Ok(Probe::Missing(_)) if newest.is_some() && newest.as_ref() == version => {
            Some(Presence::Partial)
        }
        Ok(Probe::Missing(_)) => Some(Presence::Absent),
        Ok(Probe::Unknown) | Err(_) => None,
    };
    Observed {
        id: id.into(),
        answer: Ok(Answer {
            newest,
            published_at: latest.as_ref().and_then(|l| l.published_at.clone()),
            presence,
            url: latest.and_then(|l| l.url),
        }),
    }
}

/// Seconds since `tag` was made, from the local git repository (when it has the tag).
fn tag_age(root: &std::path::Path, tag: &str) -> Option<u64> {
    let out = std::process::Command::new("git")
        .args([
            "log",
            "-1",
            "--format=%ct",
            &format!("refs/tags/{tag}"),
            "--",
        ])
        .current_dir(root)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let made: u64 = String::from_utf8_lossy(&out.stdout).trim().parse().ok()?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp() as u64;
    Some(now.saturating_sub(made))
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// status.json, status.md, index.html and the badges, each written whole.
fn write(st: &status::Status, dir: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let json = serde_json::to_string_pretty(st).map_err(std::io::Error::other)?;
    let redact = |s: &str| crate::redact::redact(s);
    std::fs::write(dir.join("status.json"), redact(&json) + "\n")?;
    std::fs::write(dir.join("status.md"), redact(&status::markdown(st)))?;
    std::fs::write(dir.join("index.html"), redact(&status::dashboard(st)))?;
    std::fs::write(dir.join("badge.svg"), redact(&status::overall_badge(st)))?;
    for r in &st.platforms {
        // A package's row `<package>/<platform>` gets badge-<package>-<platform>.svg.
        std::fs::write(
            dir.join(format!("badge-{}.svg", r.id.replace('/', "-"))),
            redact(&status::badge(r)),
        )?;
    }
    if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY") {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        f.write_all(redact(&status::markdown(st)).as_bytes())?;
    }
    Ok(())
}
