//! `tagship rollback`: take the version back on every selected platform at once, through the
//! same layers (a dry run withholds the writes and says what they would do) and the same
//! reports. Where no API can do it the platform says what a person must do, and where: that
//! is `manual`, and the run is not a success until it is done.

use super::verdict::fail;
use super::{Shared, Unit};
use crate::error::ErrorKind;
use crate::platform::Withdrawn;
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
    let version = u.cx.release.version.clone();
    let r = &mut u.report;
    match res {
        Err(e) if e.kind == ErrorKind::Withheld => would(r, &format!("{how} {version}")),
        Ok(Withdrawn::Done(what)) if !withheld.is_empty() => would(r, &format!("{how}: {what}")),
        Ok(Withdrawn::Done(what)) => {
            r.outcome = OutcomeKind::Withdrawn;
            r.reason = Some(what);
        }
        Ok(Withdrawn::Manual { what, url }) => {
            r.outcome = OutcomeKind::Manual;
            r.reason = Some(what);
            r.hint = Some(format!("do it at {url}"));
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

fn would(r: &mut PlatformReport, what: &str) {
    r.outcome = OutcomeKind::WouldWithdraw;
    r.reason = Some(format!("a real run would {what}"));
}
