//! Phases 2 and 3: check every platform at once (read-only), then publish what is missing.
//! A dependent publishes after exactly the platforms it needs and receives their real
//! hand-over (from their check when already live, else from their publish). A publish whose
//! outcome is unknown is followed by a fresh check, never by a blind re-send.

use super::verdict::{describe_live, fail, outcome_of_live};
use super::{Shared, Unit};
use crate::error::{Error, ErrorKind};
use crate::platform::{Checked, Handover, Live, Published};
use crate::report::{OutcomeKind, PlatformReport};
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// What dependents see of a platform: `None` while running, then its hand-over or nothing.
type Done = Option<Option<Handover>>;

/// A need being waited for: its unit id, its `Cx::deps` key, and its channel.
type Waiting = (String, Option<String>, watch::Receiver<Done>);

/// Phase 2: every check at once. Checks are network-bound and read-only: not bounded by cores.
pub(super) async fn check_all(
    units: &[Unit],
    shared: &Shared,
) -> Vec<(Result<Checked, Error>, u64)> {
    futures::future::join_all(units.iter().map(|u| async move {
        shared.progress.stage(u.id(), "check");
        let t0 = Instant::now();
        let c = shared
            .within("checking", u.platform.check(&u.cx, &u.packages))
            .await
            .map_err(|e| e.context("checking what is live"));
        (c, t0.elapsed().as_millis() as u64)
    }))
    .await
}

/// Phase 3: one task per platform; returns their reports.
pub(super) async fn publish_all(
    units: Vec<Unit>,
    checked: Vec<(Result<Checked, Error>, u64)>,
    shared: &Shared,
) -> Vec<PlatformReport> {
    let mut txs = BTreeMap::new();
    let mut rxs = BTreeMap::new();
    for u in &units {
        let (tx, rx) = watch::channel::<Done>(None);
        txs.insert(u.id().to_string(), tx);
        rxs.insert(u.id().to_string(), rx);
    }
    let failed_check = |c: &Result<Checked, Error>| match c {
        Err(_) => true,
        Ok(c) => matches!(c.live, Live::Conflict { .. }),
    };
    if shared.opts.fail_fast && checked.iter().any(|(c, _)| failed_check(c)) {
        // A platform already failed in the check phase: with --fail-fast nothing publishes.
        shared.cancelled.store(true, Ordering::SeqCst);
    }
    let mut set = tokio::task::JoinSet::new();
    let mut ids = BTreeMap::new();
    for (mut u, (c, took)) in units.into_iter().zip(checked) {
        u.report.stages.insert("check".into(), took);
        let needs: Vec<Waiting> = u
            .needs
            .iter()
            .filter_map(|n| {
                let rx = rxs.get(&n.unit)?.clone();
                Some((n.unit.clone(), n.key.clone(), rx))
            })
            .collect();
        let tx = txs.remove(u.id()).expect("one sender per platform");
        let id = u.id().to_string();
        let h = set.spawn(task(u, c, needs, tx, shared.clone()));
        ids.insert(h.id(), id);
    }
    let mut reports = Vec::new();
    while let Some(joined) = set.join_next_with_id().await {
        reports.push(match joined {
            Ok((_, r)) => r,
            Err(e) => panicked(ids.get(&e.id()).cloned().unwrap_or_default(), &e, shared),
        });
    }
    reports
}

fn panicked(id: String, e: &tokio::task::JoinError, shared: &Shared) -> PlatformReport {
    let mut r = PlatformReport::new(&id, OutcomeKind::Failed).reason(format!(
        "internal error: {}",
        crate::redact::redact(&e.to_string())
    ));
    r.hint = Some("this is a tagship bug; please report it with the log".into());
    shared
        .progress
        .finish(&id, r.outcome.as_str(), r.reason.as_deref().unwrap_or(""));
    r
}

/// One platform's phase 3, always ending in one report and one message to its dependents.
async fn task(
    mut u: Unit,
    checked: Result<Checked, Error>,
    needs: Vec<Waiting>,
    done: watch::Sender<Done>,
    shared: Shared,
) -> PlatformReport {
    let settled = shared.within("publishing", settle(&mut u, checked, needs, &shared));
    let handover = match settled.await {
        Ok(h) => h,
        Err(e) => {
            fail(&mut u.report, &e, shared.opts.dry_run);
            None
        }
    };
    if shared.opts.fail_fast && u.report.outcome == OutcomeKind::Failed {
        // Platforms not yet publishing stop before their publish; running publishes
        // finish, so the report never misstates what is live.
        shared.cancelled.store(true, Ordering::SeqCst);
    }
    if let Some(h) = &handover {
        u.report.urls = h.urls.clone();
        u.report.assets = h.assets.clone();
    }
    let _ = done.send(Some(handover));
    u.report.withheld = u.cx.http.ledger().withheld_for(u.id());
    u.report.duration_ms = u.started.elapsed().as_millis() as u64;
    let r = &u.report;
    shared
        .progress
        .finish(&r.id, r.outcome.as_str(), r.reason.as_deref().unwrap_or(""));
    u.report
}

/// Waits for the needs, then publishes what the check found missing. Returns the hand-over
/// for dependents when this platform ends live (or would, in a dry run).
async fn settle(
    u: &mut Unit,
    checked: Result<Checked, Error>,
    needs: Vec<Waiting>,
    shared: &Shared,
) -> Result<Option<Handover>, Error> {
    let mut checked = checked?;
    if let Live::Conflict { .. } = checked.live {
        // Other content under this version is this platform's own failure whatever its
        // needs do (issue 8): reported as the conflict, not as skipped after a failed need.
        u.report.outcome =
            outcome_of_live(&checked.live, &mut u.report).unwrap_or(OutcomeKind::Failed);
        return Ok(None);
    }
    if !wait_for_needs(u, needs, shared).await {
        return Ok(None);
    }
    if u.cx.deps != u.packaged_with {
        // The real hand-over differs from the plan this platform packaged with: package and
        // check again from the real one (still local, then read-only).
        u.report.warnings.push(
            "a needed platform handed over other data than planned; repackaged from it".into(),
        );
        u.packages = u.platform.package(&u.cx).await?;
        u.report.packages = u.packages.clone();
        checked = u.platform.check(&u.cx, &u.packages).await?;
    }
    if let Some(kind) = outcome_of_live(&checked.live, &mut u.report) {
        u.report.outcome = kind;
        let live_now = kind == OutcomeKind::AlreadyPublished;
        return Ok(live_now.then(|| or_planned(checked.handover, &u.planned)));
    }
    if shared.cancelled.load(Ordering::SeqCst) {
        u.report.outcome = OutcomeKind::Skipped;
        u.report.reason = Some("cancelled by --fail-fast before publishing".into());
        return Ok(None);
    }
    let _permit = shared.sem.acquire().await;
    shared.progress.stage(u.id(), "publish");
    let t0 = Instant::now();
    let after = publish_once_more_if_unknown(u, &checked.live, shared).await;
    u.timed("publish", t0);
    finish(u, after?, &checked.live, shared).await
}

/// Waits for every needed platform; false (and a skipped report) when one did not succeed.
async fn wait_for_needs(u: &mut Unit, needs: Vec<Waiting>, shared: &Shared) -> bool {
    for (need, key, mut rx) in needs {
        shared
            .progress
            .stage(u.id(), &format!("waiting for {need}"));
        let got = rx.wait_for(|v| v.is_some()).await.map(|v| v.clone());
        match got {
            Ok(Some(Some(h))) => {
                if let Some(k) = key {
                    u.cx.deps.insert(k, h);
                }
            }
            _ => {
                u.report.outcome = OutcomeKind::Skipped;
                u.report.reason = Some(format!(
                    "{need} did not end live, and this platform needs it"
                ));
                return false;
            }
        }
    }
    true
}

/// How a publish ended once unknown outcomes were settled.
enum After {
    Published(Published),
    /// The re-check found everything live.
    Live(Handover),
    /// The re-check found it pending (review, indexing).
    Pending(String),
    /// Dry run: the layers withheld a mutation.
    Withheld,
}

/// Publishes; when the outcome is unknown, re-checks live state and publishes the rest once.
async fn publish_once_more_if_unknown(
    u: &Unit,
    live: &Live,
    shared: &Shared,
) -> Result<After, Error> {
    let (p, cx) = (&u.platform, &u.cx);
    let first = match p.publish(cx, live, &u.packages).await {
        Err(e) if e.kind == ErrorKind::OutcomeUnknown => e,
        Err(e) if e.kind == ErrorKind::Withheld => return Ok(After::Withheld),
        other => return other.map(After::Published),
    };
    shared.progress.message(&format!(
        "{}: {first}; re-checking before retrying",
        cx.platform
    ));
    let again = p.check(cx, &u.packages).await?;
    match again.live {
        Live::Present => Ok(After::Live(again.handover)),
        Live::Pending { reason } => Ok(After::Pending(reason)),
        Live::Conflict { conflicts } => Err(super::verdict::conflict(&conflicts)),
        other => p
            .publish(cx, &other, &u.packages)
            .await
            .map(After::Published),
    }
}

/// Turns a publish into the outcome; re-checks until live where the platform asks for it.
async fn finish(
    u: &mut Unit,
    after: After,
    live: &Live,
    shared: &Shared,
) -> Result<Option<Handover>, Error> {
    let r = &mut u.report;
    let published = match after {
        After::Withheld => {
            r.outcome = OutcomeKind::WouldPublish;
            r.reason = Some(describe_live(live));
            return Ok(Some(u.planned.clone()));
        }
        After::Live(h) => {
            r.outcome = OutcomeKind::Published;
            r.reason = Some("confirmed live after an unknown outcome".into());
            return Ok(Some(or_planned(h, &u.planned)));
        }
        After::Pending(why) => {
            r.outcome = OutcomeKind::Pending;
            r.reason = Some(format!("after an unknown outcome the platform says: {why}"));
            return Ok(None);
        }
        After::Published(p) => p,
    };
    r.uploaded = published.uploaded.clone();
    r.warnings.extend(published.warnings.iter().cloned());
    let handover = or_planned(published.handover, &u.planned);
    if shared.opts.dry_run {
        r.outcome = OutcomeKind::WouldPublish;
        r.reason = Some(describe_live(live));
        return Ok(Some(handover));
    }
    if let Some(why) = published.pending {
        r.outcome = OutcomeKind::Pending;
        r.reason = Some(why);
        return Ok(None);
    }
    verify(u, shared).await?;
    Ok((u.report.outcome == OutcomeKind::Published).then_some(handover))
}

/// Re-checks with backoff until the version is live, within the platform's window.
async fn verify(u: &mut Unit, shared: &Shared) -> Result<(), Error> {
    let Some(window) = u.platform.capabilities().verify_within else {
        u.report.outcome = OutcomeKind::Published;
        return Ok(());
    };
    shared.progress.stage(u.id(), "verify");
    let t0 = Instant::now();
    let mut wait = Duration::from_millis(250);
    let last = loop {
        let c = u.platform.check(&u.cx, &u.packages).await?;
        match c.live {
            Live::Present => break None,
            Live::Conflict { conflicts } => return Err(super::verdict::conflict(&conflicts)),
            other if t0.elapsed() + wait > window => break Some(other),
            _ => {}
        }
        let why = "for the platform to show what was published (verify)";
        crate::progress::pause(u.id(), wait, why).await;
        wait = (wait * 2).min(Duration::from_secs(5));
    };
    u.timed("verify", t0);
    let r = &mut u.report;
    match last {
        None => r.outcome = OutcomeKind::Published,
        Some(live) => {
            r.outcome = OutcomeKind::Pending;
            r.reason = Some(format!(
                "published, but not visible after {}s: {}",
                window.as_secs(),
                super::verdict::summary(&live)
            ));
            r.hint = Some(format!(
                "re-run `tagship publish --only {}` later: it checks again and sends only what is missing",
                r.id
            ));
        }
    }
    Ok(())
}

/// A platform that hands nothing over in its check/publish answer hands over its plan.
fn or_planned(h: Handover, planned: &Handover) -> Handover {
    if h == Handover::default() {
        planned.clone()
    } else {
        h
    }
}
