//! The check: one `GET {registry}/{name}/{version}` per package, all at once, compared with
//! our tarball's shasum and integrity (same → present, different → a conflict: npm versions
//! never change). With `stage: true` the stage listing is read in the same round trip, and a
//! staged version is `pending`, never absent (stage.rs). A backport that would move `latest`
//! down is refused here too (`Npm::guard_latest`).

use super::{api, stage, Loaded, Npm};
use crate::error::{Error, Result};
use crate::platform::{compare, Checked, Cx, Digest, Handover, Listed, Live, Wanted};

pub(super) async fn check(n: &Npm, cx: &Cx, loaded: &[Loaded]) -> Result<Checked> {
    let api = n.api(cx);
    // One GET per package, all at once and asked as installers ask (a present public version
    // costs the registry no credential check), beside the one authenticated `whoami` that
    // proves the token.
    let versions = futures::future::try_join_all(
        loaded
            .iter()
            .map(|l| api.version_public_first(&l.name, &l.version)),
    );
    let staged = async {
        match n.cfg.stage {
            true => api.staged().await,
            false => Ok(None),
        }
    };
    // One round trip: the versions and the stage listing at once.
    let (_, live, staged) = futures::try_join!(api.whoami(), versions, staged)?;
    let wanted: Vec<Wanted> = loaded.iter().map(fingerprint).collect();
    let mut listed: Vec<Listed> = Vec::new();
    for (l, d) in loaded.iter().zip(live) {
        match (d, &staged) {
            (Some(d), _) => listed.push(self::listed(&l.name, &d)),
            (None, Some(items)) => listed.extend(
                items
                    .iter()
                    .find(|it| it.package == l.name && it.version == l.version)
                    .map(|it| stage::listed(n, l, it)),
            ),
            (None, None) => {}
        }
    }
    let mut live = compare(&wanted, &listed);
    if n.cfg.stage {
        live = stage::hold_root(live, loaded, &listed);
    }
    n.guard_latest(cx, &api, &live, loaded).await?;
    let handover = match live {
        Live::Present => n.page(cx, loaded),
        _ => Handover::default(),
    };
    Ok(Checked::with(live, handover))
}

impl Npm {
    /// Compares the registry's `dist` with our bytes; different content is a conflict.
    pub(super) fn same(&self, l: &Loaded, d: &api::Dist) -> Result<()> {
        if d.shasum.is_none() && d.integrity.is_none() {
            return Err(Error::protocol(format!(
                "npm: {}@{} has no dist.shasum or dist.integrity to compare",
                l.name, l.version
            )));
        }
        let ours = &l.digests.shasum;
        let shasum_ok = d.shasum.as_ref().map_or(true, |s| s == ours);
        let integ_ok = d.integrity.as_ref().map_or(true, |i| {
            !i.starts_with("sha512-") || *i == l.digests.integrity
        });
        if shasum_ok && integ_ok {
            return Ok(());
        }
        Err(Error::conflict(format!(
            "npm: {}@{}: version exists with different content (registry shasum {}, ours {ours})",
            l.name,
            l.version,
            d.shasum.as_deref().unwrap_or("?")
        ))
        .with_hint("an npm version can never be changed or reused: bump the version to publish these bytes"))
    }
}

/// Our tarball's fingerprints, as npm lists them.
fn fingerprint(l: &Loaded) -> Wanted {
    Wanted::new(
        &l.name,
        vec![
            Digest::Sha1(l.digests.shasum.clone()),
            Digest::Sri(l.digests.integrity.clone()),
        ],
    )
}

/// The registry's `dist` for a version (only sha512 SRI strings are comparable with ours).
fn listed(name: &str, d: &api::Dist) -> Listed {
    let mut digests: Vec<Digest> = d.shasum.iter().cloned().map(Digest::Sha1).collect();
    digests.extend(
        d.integrity
            .iter()
            .filter(|i| i.starts_with("sha512-"))
            .cloned()
            .map(Digest::Sri),
    );
    Listed::new(name, digests)
}
