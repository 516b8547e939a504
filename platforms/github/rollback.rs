//! `tagship rollback` on GitHub: the release is demoted, never deleted. `rollback: prerelease`
//! (default) marks it a prerelease, so it stops being "latest" and GitHub's latest moves back
//! to the newest full release; `rollback: draft` turns it back into a draft. Assets stay: a
//! user who already downloaded one can still verify it, and an immutable release's assets
//! cannot be removed anyway.

use super::api::{Api, GhRelease};
use super::config::RollbackMode;
use crate::error::Result;
use crate::platform::Withdrawn;
use serde_json::json;

/// Demotes the release for `tag` (one PATCH), or says there is nothing to do.
pub async fn demote(api: &Api, tag: &str, mode: RollbackMode) -> Result<Withdrawn> {
    let Some(release) = api.find_release(tag).await? else {
        return Ok(Withdrawn::Done(format!(
            "no release for {tag}: nothing to take back"
        )));
    };
    if let Some(done) = already(&release, mode) {
        return Ok(Withdrawn::Done(format!("the release for {tag} is {done}")));
    }
    let (body, what) = match mode {
        RollbackMode::Prerelease => (json!({"prerelease": true}), "marked a prerelease"),
        RollbackMode::Draft => (json!({"draft": true}), "turned back into a draft"),
    };
    let mut predicted = serde_json::to_value(&release).unwrap_or_default();
    if let (Some(p), Some(b)) = (predicted.as_object_mut(), body.as_object()) {
        p.extend(b.clone());
    }
    api.update_release(release.id, &body, predicted).await?;
    Ok(Withdrawn::Done(format!(
        "the release for {tag} was {what}; its assets stay"
    )))
}

/// What the release already is, when that is what the rollback asks for.
fn already(r: &GhRelease, mode: RollbackMode) -> Option<&'static str> {
    match mode {
        RollbackMode::Prerelease if r.prerelease || r.draft => Some("already not latest"),
        RollbackMode::Draft if r.draft => Some("already a draft"),
        _ => None,
    }
}
