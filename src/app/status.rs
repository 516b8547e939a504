//! `tagship status [VERSION]`: asks every configured platform, at once and read-only, what it
//! has live (`engine::status`), judges drift and staleness (`crate::status`), and writes
//! dist/status/: status.json, status.md, index.html (the dashboard) and SVG badges
//! (badge.svg overall, badge-<platform>.svg). Credentials are used when present, else the
//! platforms are asked anonymously; the layers run in dry-run mode, so nothing can be sent
//! that changes anything.

use super::{dist::dist_dir, env_map, load, output::Out, select};
use crate::cli::StatusArgs;
use crate::engine::{self, status as ask};
use crate::error::Error;
use crate::platform::{Latest, Probe, Release};
use crate::status::{self, Answer, Judge, Observed, Presence};
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
    selected: Vec<engine::Selected>,
    http: crate::http::Http,
    exec: crate::exec::Exec,
    pub(super) dist: std::path::PathBuf,
    stale_after: u64,
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
        let chosen =
            select::select(&l.pipeline, &a.scope.only, &a.scope.skip).map_err(|p| out.fatal(&p))?;
        let (selected, _) = select::preflight(chosen, true);
        let (http, exec, _) =
            super::layers(true, select::timeouts(&l.pipeline)).map_err(|e| out.fatal(&[e]))?;
        let dist = dist_dir(&l, &a.dist);
        Ok(Asker {
            l,
            asked,
            selected,
            http,
            exec,
            dist,
            stale_after: a.stale_after,
        })
    }

    /// Asks every platform, at once, and judges the answers.
    pub(super) async fn ask(&self) -> crate::Result<status::Status> {
        let (l, asked) = (&self.l, &self.asked);
        let placeholder = semver::Version::new(0, 0, 0);
        let mut release = Release {
            project: l.pipeline.project.clone(),
            version: asked.as_ref().map_or(placeholder, |r| r.version.clone()),
            tag: asked.as_ref().map(|r| r.tag.clone()).unwrap_or_default(),
            commit: None,
            dist: self.dist.clone(),
            artifacts: Vec::new(),
            root: l.root.clone(),
            epoch: crate::build::DEFAULT_EPOCH,
        };
        let latest = ask::latest_all(&self.selected, &self.layers(&release)).await;
        let newest = latest
            .iter()
            .filter_map(|r| r.as_ref().ok()?.as_ref().map(|l| l.version.clone()))
            .max();
        // VERSION defaults to the newest tag here, else the newest version any platform has.
        let tagged = crate::version::newest_tag(&l.root, &l.pipeline.version.tag_prefix);
        let version = (asked.as_ref().map(|r| r.version.clone()))
            .or(tagged.map(|(_, v)| v))
            .or(newest);
        let probes = match &version {
            Some(v) => {
                release.version = v.clone();
                release.tag = format!("{}{v}", l.pipeline.version.tag_prefix);
                self.probes(&release).await?
            }
            None => self.selected.iter().map(|_| Ok(Probe::Unknown)).collect(),
        };
        let observed: Vec<Observed> = self
            .selected
            .iter()
            .zip(latest.into_iter().zip(probes))
            .map(|(s, (lt, pr))| observe(s.platform.id(), lt, pr, version.as_ref()))
            .collect();
        let judge = Judge {
            project: l.pipeline.project.name.clone(),
            version,
            tag_age_secs: tag_age(&l.root, &release.tag),
            stale_after_hours: self.stale_after,
            checked_at: now(),
        };
        Ok(status::assess(&judge, &observed))
    }

    async fn probes(&self, release: &Release) -> crate::Result<Vec<crate::Result<Probe>>> {
        let l = &self.l;
        let opts = crate::build::BuildOptions {
            root: l.root.clone(),
            dist: self.dist.clone(),
            project: l.pipeline.project.clone(),
            version: release.version.clone(),
            tag: release.tag.clone(),
            parallelism: 1,
            epoch: release.epoch,
        };
        let plan = crate::build::planned(&l.pipeline.builds, &l.pipeline.archives, &opts)?;
        Ok(ask::probe_each(&self.selected, &self.layers(release), &plan).await)
    }

    fn layers(&self, release: &Release) -> engine::Layers {
        engine::Layers {
            release: Arc::new(release.clone()),
            http: self.http.clone(),
            exec: self.exec.clone(),
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
        std::fs::write(
            dir.join(format!("badge-{}.svg", r.id)),
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
