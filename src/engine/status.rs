//! `tagship status`'s questions to the platforms, all at once and read-only (the layers run in
//! dry-run mode, so a mutation could not leave even by mistake): each platform's newest live
//! version, then whether the version asked about is there (the version-level probe).

use super::{cx_for, Layers, Selected};
use crate::error::Result;
use crate::platform::{Latest, Planned, Probe};

/// Every platform's newest live version, in `selected` order.
pub async fn latest_all(selected: &[Selected], layers: &Layers) -> Vec<Result<Option<Latest>>> {
    futures::future::join_all(selected.iter().map(|s| async move {
        let cx = cx_for(s.platform.id(), s.secrets.clone(), layers);
        s.platform.latest(&cx).await
    }))
    .await
}

/// Every platform's probe of `layers.release`'s version, in `selected` order. A platform
/// that needs another gets no hand-over here: its probe may answer `Unknown`.
pub async fn probe_each(
    selected: &[Selected],
    layers: &Layers,
    plan: &Planned,
) -> Vec<Result<Probe>> {
    futures::future::join_all(selected.iter().map(|s| async move {
        let cx = cx_for(s.platform.id(), s.secrets.clone(), layers);
        s.platform.probe(&cx, plan).await
    }))
    .await
}
