//! `tagship yank`: withdraw the version on every selected platform at once, through the same
//! layers (a dry run withholds the request and says what it would do) and the same reports.
//! The app refuses platforms without the capability before anything runs.

use super::verdict::fail;
use super::{Shared, Unit};
use crate::error::ErrorKind;
use crate::report::{OutcomeKind, PlatformReport};
use std::time::Instant;

pub(super) async fn run(units: Vec<Unit>, shared: &Shared) -> Vec<PlatformReport> {
    futures::future::join_all(units.into_iter().map(|u| one(u, shared))).await
}

async fn one(mut u: Unit, shared: &Shared) -> PlatformReport {
    let how = u.platform.capabilities().withdraw.as_str();
    shared.progress.stage(u.id(), how);
    let t0 = Instant::now();
    let res = shared.within(how, u.platform.withdraw(&u.cx)).await;
    u.timed(how, t0);
    let withheld = u.cx.http.ledger().withheld_for(u.id());
    let version = &u.cx.release.version;
    let r = &mut u.report;
    match res {
        Err(e) if e.kind == ErrorKind::Withheld => would(r, how, version),
        Ok(()) if !withheld.is_empty() => would(r, how, version),
        Ok(()) => {
            r.outcome = OutcomeKind::Withdrawn;
            r.reason = Some(format!("{how}: {version} withdrawn"));
        }
        Err(e) => fail(r, &e, shared.opts.dry_run),
    }
    r.withheld = withheld;
    r.duration_ms = u.started.elapsed().as_millis() as u64;
    shared
        .progress
        .finish(&r.id, r.outcome.as_str(), r.reason.as_deref().unwrap_or(""));
    u.report
}

fn would(r: &mut PlatformReport, how: &str, version: &semver::Version) {
    r.outcome = OutcomeKind::WouldWithdraw;
    r.reason = Some(format!("a real run would {how} {version}"));
}
