//! One platform's life: package → check → publish → verify, mapped to exactly one outcome.
//! A publish whose outcome is unknown (a non-idempotent request that may have landed) is
//! followed by a fresh check, never by a blind re-send.

use crate::error::{Error, ErrorKind};
use crate::platform::{Cx, Live, Platform, Published};
use crate::progress::Reporter;
use crate::report::{OutcomeKind, PlatformReport};
use std::time::Instant;

/// Drives one platform to its outcome.
/// Returns the report and, when something was published, what dependents need of it.
pub(super) async fn drive(
    p: &dyn Platform,
    cx: &Cx,
    dry_run: bool,
    progress: &dyn Reporter,
) -> (PlatformReport, Option<Published>) {
    let t0 = Instant::now();
    let mut r = PlatformReport::new(&cx.platform, OutcomeKind::Failed);
    let mut out = None;
    let res = stages(p, cx, dry_run, progress, &mut r, &mut out).await;
    if let Err(e) = res {
        fail(&mut r, &e, dry_run);
    }
    r.withheld = cx.http.ledger().withheld_for(&cx.platform);
    if dry_run && r.outcome == OutcomeKind::Published {
        r.outcome = OutcomeKind::WouldPublish;
    }
    r.duration_ms = t0.elapsed().as_millis() as u64;
    (r, out)
}

async fn stages(
    p: &dyn Platform,
    cx: &Cx,
    dry_run: bool,
    progress: &dyn Reporter,
    r: &mut PlatformReport,
    out: &mut Option<Published>,
) -> Result<(), Error> {
    progress.stage(&cx.platform, "package");
    let pkgs = p.package(cx).await.map_err(|e| e.context("packaging"))?;
    r.packages = pkgs.clone();
    progress.stage(&cx.platform, "check");
    let live = p
        .check(cx, &pkgs)
        .await
        .map_err(|e| e.context("checking what is live"))?;
    match &live {
        Live::Present => {
            r.outcome = OutcomeKind::AlreadyPublished;
            r.reason = Some(format!("{} is already live", cx.release.version));
            return Ok(());
        }
        Live::Pending { reason } => {
            r.outcome = OutcomeKind::Pending;
            r.reason = Some(reason.clone());
            return Ok(());
        }
        Live::Absent | Live::Partial { .. } => {}
    }
    progress.stage(&cx.platform, "publish");
    let published = match publish_once_more_if_unknown(p, cx, &live, &pkgs, progress).await {
        Ok(Some(pubd)) => pubd,
        Ok(None) => {
            r.outcome = OutcomeKind::Published;
            r.reason = Some("confirmed live after an unknown outcome".into());
            return Ok(());
        }
        Err(e) if e.kind == ErrorKind::Withheld => {
            r.outcome = OutcomeKind::WouldPublish;
            r.reason = Some(describe_live(&live));
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    r.urls = published.urls.clone();
    r.uploaded = published.uploaded.clone();
    *out = Some(published.clone());
    if dry_run {
        r.outcome = OutcomeKind::WouldPublish;
        r.reason = Some(describe_live(&live));
        return Ok(());
    }
    if let Some(why) = &published.pending {
        r.outcome = OutcomeKind::Pending;
        r.reason = Some(why.clone());
        return Ok(());
    }
    progress.stage(&cx.platform, "verify");
    match p.verify(cx, &published).await {
        Ok(()) => r.outcome = OutcomeKind::Published,
        Err(e) => {
            r.outcome = OutcomeKind::Pending;
            r.reason = Some(format!("published, but not visible yet: {}", e.chain()));
        }
    }
    Ok(())
}

/// Publishes; when the outcome is unknown, re-checks live state and publishes the rest once.
/// `Ok(None)` means the re-check found everything live.
async fn publish_once_more_if_unknown(
    p: &dyn Platform,
    cx: &Cx,
    live: &Live,
    pkgs: &[crate::plan::Artifact],
    progress: &dyn Reporter,
) -> Result<Option<Published>, Error> {
    match p.publish(cx, live, pkgs).await {
        Err(e) if e.kind == ErrorKind::OutcomeUnknown => {
            progress.message(&format!(
                "{}: {}; re-checking before retrying",
                cx.platform, e
            ));
            let again = p.check(cx, pkgs).await?;
            match again {
                Live::Present => Ok(None),
                Live::Pending { .. } => Ok(None),
                other => p.publish(cx, &other, pkgs).await.map(Some),
            }
        }
        other => other.map(Some),
    }
}

fn describe_live(live: &Live) -> String {
    match live {
        Live::Absent => "not live yet: a real run would publish it".into(),
        Live::Partial { missing, .. } => format!("a real run would upload {}", missing.join(", ")),
        _ => String::new(),
    }
}

fn fail(r: &mut PlatformReport, e: &Error, dry_run: bool) {
    r.outcome = if dry_run && e.kind == ErrorKind::Unreachable {
        OutcomeKind::Unreachable
    } else {
        OutcomeKind::Failed
    };
    r.reason = Some(e.chain());
    r.error_kind = Some(format!("{:?}", e.kind).to_lowercase());
    r.hint = Some(
        e.hint()
            .map(str::to_string)
            .unwrap_or_else(|| default_hint(e.kind, &r.id)),
    );
}

fn default_hint(kind: ErrorKind, id: &str) -> String {
    match kind {
        ErrorKind::Auth => {
            format!("the credential for {id} was rejected; check its value and scope")
        }
        ErrorKind::Conflict => {
            "the version exists with different content; bump the version instead of overwriting"
                .into()
        }
        ErrorKind::Unreachable => {
            "the platform could not be reached; check its URL and your network".into()
        }
        ErrorKind::Credentials => "set the credential named above".into(),
        _ => {
            format!("re-run `tagship publish --only {id}` once fixed; only missing files are sent")
        }
    }
}

/// What dependents receive from a finished platform.
pub(super) fn published_of(r: &PlatformReport) -> Published {
    Published {
        urls: r.urls.clone(),
        uploaded: r.uploaded.clone(),
        pending: None,
        data: Default::default(),
    }
}
