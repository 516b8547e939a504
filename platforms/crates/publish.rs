//! `publish`: every crate the check found missing, in dependency order, one
//! `PUT {api}/api/v1/crates/new` each (the token minted once for them all). Between a crate
//! and the members that depend on it, the index must show the crate first, or the registry
//! (and cargo's resolution on the user's side) would not find it: the wait is bounded
//! (`index_wait_secs`, reads every `index_poll_ms`) and goes through `kit::poll`, each read
//! through the HTTP layer. Uploads are paced to the registry's publish limits (`pace.rs`).
//! Both waits are traced (`-v`) while they last and noted in the report afterwards. Only
//! uploads the registry received are waited for and counted: a dry run's withheld upload is
//! answered by the layer, and the index can never show it.

use super::api::{self, Api, Reply};
use super::index::IndexState;
use super::pace::{Pacer, Upload};
use super::workspace::Unit;
use super::{frame, new_crate, CrateContents, Crates};
use crate::error::{Error, ErrorKind, Result};
use crate::kit::poll::{self, Step};
use crate::plan::Artifact;
use crate::platform::{Cx, Handover, Live, Published};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// What one `publish` works with.
struct Job<'a> {
    c: &'a Crates,
    cx: &'a Cx,
    api: &'a Api,
    /// Every crate of the release, in publishing order.
    units: &'a [Unit],
    packages: &'a [Artifact],
}

/// What one run of `publish` has done so far.
struct Run {
    pacer: Pacer,
    paced: bool,
    /// Crates the registry received in this run: the ones a dependent waits for.
    received: BTreeSet<String>,
    out: Published,
}

pub async fn publish(c: &Crates, cx: &Cx, live: &Live, packages: &[Artifact]) -> Result<Published> {
    let units = c.units(cx).await?;
    let pace = c.cfg.pace();
    let mut run = Run {
        paced: pace.new_crates.is_some() || pace.new_versions.is_some(),
        pacer: Pacer::new(&pace, Instant::now()),
        received: BTreeSet::new(),
        out: Published::default(),
    };
    run.out.handover = pages(c, cx, units);
    let api = c.api(cx).await?;
    let job = Job {
        c,
        cx,
        api: &api,
        units,
        packages,
    };
    let sent = send_all(&job, live, &mut run).await;
    let revoked = c.revoke(cx, &api.root).await;
    sent?;
    run.out.warnings.extend(revoked);
    Ok(run.out)
}

async fn send_all(job: &Job<'_>, live: &Live, run: &mut Run) -> Result<()> {
    let (units, cx) = (job.units, job.cx);
    for (i, u) in units.iter().enumerate() {
        let file = Crates::file_name(&u.name, cx);
        if !live.wants(&file) {
            continue;
        }
        let waiting: Vec<&String> = u.needs.iter().filter(|n| run.received.contains(*n)).collect();
        for need in waiting {
            let later: Vec<&str> = units[i..].iter().map(|u| u.name.as_str()).collect();
            wait_for_index(job, need, &later, run).await?;
        }
        let kind = pace_before(job, u, run).await?;
        let up = send_one(job, u).await?;
        if up.received {
            run.pacer.sent(kind, Instant::now());
            run.received.insert(u.name.clone());
        }
        match up.reply {
            Reply::Accepted { warnings } => {
                run.out.uploaded.push(file);
                run.out.warnings.extend(warnings);
            }
            Reply::Duplicate(msg) => settle_duplicate(job, u, &msg).await?,
        }
    }
    Ok(())
}

/// Frames and sends one crate.
async fn send_one(job: &Job<'_>, u: &Unit) -> Result<api::Upload> {
    let (c, cx) = (job.c, job.cx);
    let path = c.our_crate(cx, &u.name, job.packages);
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
    let meta = new_crate(&CrateContents::read(&bytes)?, &c.cfg.index_url())?;
    let json = serde_json::to_vec(&meta).map_err(|e| Error::new(ErrorKind::Other, e.to_string()))?;
    let file = Crates::file_name(&u.name, cx);
    job.api
        .publish(frame(&json, &bytes), &format!("uploading {file}"))
        .await
}

/// Someone (or an earlier run whose reply was lost) got there first: the index decides
/// whether it is our crate.
async fn settle_duplicate(job: &Job<'_>, u: &Unit, msg: &str) -> Result<()> {
    let cx = job.cx;
    match job.c.unit_state(cx, &u.name, job.packages, true).await? {
        IndexState::Present { same: Some(true), .. } => Ok(()),
        IndexState::Present { line, .. } => Err(Crates::conflict(&u.name, &line)),
        IndexState::Absent => Err(Error::conflict(format!(
            "{msg}, but the index has no {} {} yet",
            u.name, cx.release.version
        ))
        .with_hint("re-run once the index shows it: tagship then compares checksums")),
    }
}

/// Waits until the index shows `need` at this version (bounded); `later` are the crates
/// not yet published, for the message when it does not.
async fn wait_for_index(job: &Job<'_>, need: &str, later: &[&str], run: &mut Run) -> Result<()> {
    let (c, cx) = (job.c, job.cx);
    let version = &cx.release.version;
    let bounds = poll::Bounds {
        every: Duration::from_millis(c.cfg.index_poll_ms),
        within: Duration::from_secs(c.cfg.index_wait_secs),
    };
    let index = c.index(cx);
    let started = Instant::now();
    let said = std::sync::atomic::AtomicBool::new(false);
    let shown = poll::until(bounds, || {
        let (index, said) = (&index, &said);
        async move {
            Ok(match index.state(need, version, None, true).await? {
                IndexState::Present { .. } => Step::Done(()),
                IndexState::Absent => {
                    if !said.swap(true, std::sync::atomic::Ordering::Relaxed) {
                        let why = format!("for the index to show {need} {version} (its dependents wait for it)");
                        crate::progress::waiting_up_to(&cx.platform, bounds.within, &why);
                    }
                    Step::Again
                }
            })
        }
    })
    .await?;
    let waited = started.elapsed();
    if shown.is_none() {
        return Err(Error::new(
            ErrorKind::Other,
            format!(
                "{need} {version} was published, but the index did not show it within {}s; not published yet: {}",
                c.cfg.index_wait_secs,
                later.join(", ")
            ),
        )
        .with_hint("re-run later (tagship publishes only what is missing), or raise platforms.crates.index_wait_secs"));
    }
    if waited >= Duration::from_millis(c.cfg.index_poll_ms) {
        run.out.warnings.push(format!(
            "waited {:.1}s for the index to show {need} {version} before publishing the crates that depend on it",
            waited.as_secs_f64()
        ));
    }
    Ok(())
}

/// Sleeps as long as the registry's publish limits ask before uploading `u`; returns which
/// limit the upload counts against.
async fn pace_before(job: &Job<'_>, u: &Unit, run: &mut Run) -> Result<Upload> {
    let (c, cx) = (job.c, job.cx);
    if !run.paced {
        return Ok(Upload::NewVersion);
    }
    let kind = match c.index(cx).file(&u.name, false).await? {
        None => Upload::NewCrate,
        Some(_) => Upload::NewVersion,
    };
    let wait = run.pacer.wait(kind, Instant::now());
    if !wait.is_zero() {
        let what = match kind {
            Upload::NewCrate => "new crates",
            Upload::NewVersion => "new versions",
        };
        let why = format!("pacing {} (the registry's publish limit on {what})", u.name);
        crate::progress::pause(&cx.platform, wait, &why).await;
        run.out.warnings.push(format!(
            "paced: waited {}s before uploading {} (the registry's publish limit on {what})",
            wait.as_secs(),
            u.name
        ));
    }
    Ok(kind)
}

/// The hand-over of every crate of the release.
pub fn pages(c: &Crates, cx: &Cx, units: &[Unit]) -> Handover {
    Handover::urls(units.iter().flat_map(|u| c.page(cx, &u.name).urls).collect())
}
