//! One platform's life: package → check → publish → verify, mapped to exactly one outcome.
//! A publish whose outcome is unknown (a non-idempotent request that may have landed) is
//! followed by a fresh check, never by a blind re-send.

use crate::error::{Error, ErrorKind};
use crate::plan::Artifact;
use crate::platform::{Cx, Live, Platform, Published};
use crate::progress::Reporter;
use crate::report::{OutcomeKind, PlatformReport};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Drives one platform to its outcome.
/// Per-run settings for one platform's drive.
pub(super) struct DriveOpts<'a> {
    pub dry_run: bool,
    /// `publish` (no rebuild): the packages the release built; repackaging must match them.
    pub expected: Option<&'a [Artifact]>,
    /// Set by `--fail-fast` when another platform failed: stop before publishing.
    pub cancelled: &'a AtomicBool,
}

/// Returns the report and, when something was published, what dependents need of it.
pub(super) async fn drive(
    p: &dyn Platform,
    cx: &Cx,
    o: &DriveOpts<'_>,
    progress: &dyn Reporter,
) -> (PlatformReport, Option<Published>) {
    let dry_run = o.dry_run;
    let t0 = Instant::now();
    let mut r = PlatformReport::new(&cx.platform, OutcomeKind::Failed);
    let mut out = None;
    let res = stages(p, cx, o, progress, &mut r, &mut out).await;
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
    o: &DriveOpts<'_>,
    progress: &dyn Reporter,
    r: &mut PlatformReport,
    out: &mut Option<Published>,
) -> Result<(), Error> {
    let dry_run = o.dry_run;
    progress.stage(&cx.platform, "package");
    let pkgs = match o.expected {
        // `publish`: the packages the release built are still in dist/, byte for byte.
        Some(expected) if intact(cx, expected).await => expected.to_vec(),
        _ => {
            let pkgs = p.package(cx).await.map_err(|e| e.context("packaging"))?;
            if let Some(expected) = o.expected {
                same_packages(&pkgs, expected)?;
            }
            pkgs
        }
    };
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
    if o.cancelled.load(Ordering::SeqCst) {
        r.outcome = OutcomeKind::Skipped;
        r.reason = Some("cancelled by --fail-fast before publishing".into());
        return Ok(());
    }
    progress.stage(&cx.platform, "publish");
    let published = match publish_once_more_if_unknown(p, cx, &live, &pkgs, progress).await {
        Ok(After::Published(pubd)) => pubd,
        Ok(After::Live) => {
            r.outcome = OutcomeKind::Published;
            r.reason = Some("confirmed live after an unknown outcome".into());
            return Ok(());
        }
        Ok(After::Pending(why)) => {
            r.outcome = OutcomeKind::Pending;
            r.reason = Some(format!("after an unknown outcome the platform says: {why}"));
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

/// How a publish ended once unknown outcomes were settled.
enum After {
    Published(Published),
    /// The re-check found everything live.
    Live,
    /// The re-check found it pending (review, indexing).
    Pending(String),
}

/// Publishes; when the outcome is unknown, re-checks live state and publishes the rest once.
async fn publish_once_more_if_unknown(
    p: &dyn Platform,
    cx: &Cx,
    live: &Live,
    pkgs: &[Artifact],
    progress: &dyn Reporter,
) -> Result<After, Error> {
    match p.publish(cx, live, pkgs).await {
        Err(e) if e.kind == ErrorKind::OutcomeUnknown => {
            progress.message(&format!(
                "{}: {e}; re-checking before retrying",
                cx.platform
            ));
            match p.check(cx, pkgs).await? {
                Live::Present => Ok(After::Live),
                Live::Pending { reason } => Ok(After::Pending(reason)),
                other => p.publish(cx, &other, pkgs).await.map(After::Published),
            }
        }
        other => other.map(After::Published),
    }
}

/// True when every expected package is in dist/ with its recorded sha256 (hashed on a
/// blocking thread: artifacts can be large).
async fn intact(cx: &Cx, expected: &[Artifact]) -> bool {
    let files: Vec<_> = expected
        .iter()
        .map(|a| (cx.release.dist.join(&a.path), a.sha256.clone()))
        .collect();
    tokio::task::spawn_blocking(move || {
        files
            .iter()
            .all(|(path, want)| crate::build::hash_file(path).is_ok_and(|(sha, _)| &sha == want))
    })
    .await
    .unwrap_or(false)
}

/// `tagship publish` republishes the exact bytes a release built: a repackaged file whose
/// checksum differs from the report's (sources or config moved on) is refused.
fn same_packages(built: &[Artifact], expected: &[Artifact]) -> Result<(), Error> {
    for b in built {
        if let Some(e) = expected.iter().find(|e| e.name == b.name) {
            if e.sha256 != b.sha256 {
                return Err(Error::input(format!(
                    "{} repackaged with sha256 {}, but the release built {}",
                    b.name, b.sha256, e.sha256
                ))
                .with_hint("sources or config changed since `tagship release`; release a new version instead of republishing different bytes"));
            }
        }
    }
    Ok(())
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
    r.error_kind = serde_json::to_value(e.kind)
        .ok()
        .and_then(|v| v.as_str().map(String::from));
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
