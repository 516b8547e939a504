//! Uploading one asset and repairing what a broken upload leaves behind.
//!
//! An upload that fails midway (a 502, a reset) can leave an unfinished asset (`state` other
//! than `uploaded`) that holds the name, so every retry gets 422 `already_exists`. After a
//! failed or refused upload tagship looks at the name: a complete asset with the same content
//! is accepted (the upload landed after all), an unfinished one is deleted and the upload
//! tried again, at most [`UPLOAD_TRIES`] times in all.

use super::api::{Api, GhAsset, GhRelease, Upload, Uploaded};
use super::assets::{download_url, stored_name};
use super::{same_content, Github};
use crate::error::{Error, ErrorKind, Result};
use crate::plan::Artifact;
use crate::platform::Cx;
use serde_json::json;

/// Upload attempts per asset, the first included.
pub const UPLOAD_TRIES: u32 = 3;

impl Github {
    /// Uploads one file; see the module doc for the repairs between attempts.
    pub(super) async fn upload(
        &self,
        cx: &Cx,
        api: &Api,
        release: &GhRelease,
        art: &Artifact,
    ) -> Result<GhAsset> {
        let up = self.upload_spec(cx, art);
        let stored = stored_name(&art.name);
        let mut failure = None;
        for _ in 0..UPLOAD_TRIES {
            match api.upload_asset(&self.upload_target(release), &up).await {
                Ok(Uploaded::Asset(a)) => return Ok(a),
                Ok(Uploaded::AlreadyExists) => {}
                Err(e) if matches!(e.kind, ErrorKind::OutcomeUnknown | ErrorKind::Server) => {
                    failure = Some(e)
                }
                Err(e) => return Err(e),
            }
            let now = api.list_assets(release.id).await?;
            match now.into_iter().find(|a| a.name == stored) {
                Some(a) if a.state == "uploaded" => return same_content(&a, art).map(|_| a),
                Some(a) => api.delete_asset(a.id, &a.name).await?,
                None => {}
            }
        }
        let why = failure.map_or("the name stayed taken".into(), |e| e.message().to_string());
        Err(Error::new(
            ErrorKind::Server,
            format!("uploading {}: gave up after {UPLOAD_TRIES} attempts ({why})", art.name),
        )
        .with_hint("GitHub kept failing the upload; tagship deleted the unfinished asset each time. Re-run later: only what is missing is uploaded"))
    }

    fn upload_spec(&self, cx: &Cx, art: &Artifact) -> Upload {
        Upload {
            name: art.name.clone(),
            label: None,
            path: cx.release.path(art),
            content_type: "application/octet-stream".into(),
            predicted: json!({
                "id": 0, "name": stored_name(&art.name), "size": art.size, "state": "uploaded",
                "digest": format!("sha256:{}", art.sha256),
                "browser_download_url": download_url(&self.cfg, &cx.release.tag, &art.name),
            }),
        }
    }
}
