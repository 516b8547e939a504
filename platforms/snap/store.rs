//! The Snap Store's publisher API, through the shared HTTP layer (../shared/PROTOCOLS.md §9;
//! snapcraft `store/client.py` and craft-store read as references):
//! - `GET  {store}/api/v2/snaps/{name}/releases`: every revision (version, sha3-384, status)
//!   and the release history, newest first, from which the channel map is read;
//! - `POST {storage}/unscanned-upload/` (multipart field `binary`, no auth) → `upload_id`;
//! - `POST {store}/dev/api/snap-push/` → 202 `status_details_url`, polled (bounded);
//! - `POST {store}/dev/api/snap-release/` one channel at a time;
//! - `GET  {store}/dev/api/account` (the snap-id) and `POST {store}/dev/api/snaps/{id}/close`;
//! - without credentials (a dry run from a laptop), the public channel map instead of the
//!   revision list: `GET {info}/v2/snaps/info/{name}` (`info.rs`).

use super::auth::CREDENTIALS_VAR;
use crate::error::{Error, ErrorKind, Result};
use crate::http::{Auth, Body, Http, Part, Request, Response};
use crate::redact::Secret;
use serde::Deserialize;
use serde_json::json;
use std::path::Path;

/// One store, one snap, one authorization.
pub struct Store<'a> {
    pub http: &'a Http,
    pub store: String,
    pub storage: String,
    /// The public API (`https://api.snapcraft.io`), read without credentials.
    pub info: String,
    pub name: String,
    /// The `Macaroon root=…, discharge=…` header; `None` in a dry run without credentials.
    pub auth: Option<Secret>,
}

/// `GET …/releases`.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct Releases {
    #[serde(default)]
    pub releases: Vec<ReleaseEntry>,
    #[serde(default)]
    pub revisions: Vec<Revision>,
}

/// One line of the release history (newest first). `revision: null` is a closed channel.
#[derive(Debug, Clone, Deserialize)]
pub struct ReleaseEntry {
    pub architecture: String,
    /// `track/risk`.
    pub channel: String,
    pub revision: Option<u64>,
}

/// One uploaded revision.
#[derive(Debug, Clone, Deserialize)]
pub struct Revision {
    pub revision: u64,
    pub version: String,
    #[serde(default)]
    pub architectures: Vec<String>,
    #[serde(rename = "sha3-384")]
    pub sha3_384: String,
    #[serde(default)]
    pub size: u64,
    /// `Published`, `Unpublished`, `NeedsReview`, `Rejected`.
    #[serde(default)]
    pub status: String,
}

impl Releases {
    /// What `channel` holds for `arch` now: the newest history line (closed → `None`).
    pub fn current(&self, channel: &str, arch: &str) -> Option<&Revision> {
        let line = self
            .releases
            .iter()
            .find(|r| r.channel == channel && r.architecture == arch)?;
        self.revision(line.revision?)
    }
    /// What `channel` held for `arch` before its newest line, skipping `not`'s revisions
    /// (rollback's target); `None`: nothing earlier, the channel gets closed.
    pub fn previous(&self, channel: &str, arch: &str, not: &str) -> Option<&Revision> {
        let lines = self.releases.iter().filter(|r| r.channel == channel && r.architecture == arch);
        for line in lines {
            // A closed channel before this version: nothing to go back to.
            let rev = self.revision(line.revision?)?;
            if rev.version != not {
                return Some(rev);
            }
        }
        None
    }
    pub fn revision(&self, n: u64) -> Option<&Revision> {
        self.revisions.iter().find(|r| r.revision == n)
    }
    /// The revisions of `version` for `arch`, newest first.
    pub fn of(&self, version: &str, arch: &str) -> Vec<&Revision> {
        let mut v: Vec<&Revision> = self
            .revisions
            .iter()
            .filter(|r| r.version == version && r.architectures.iter().any(|a| a == arch))
            .collect();
        v.sort_by_key(|r| std::cmp::Reverse(r.revision));
        v
    }
}

/// How a push ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pushed {
    /// The store took it; its processing is followed at this URL.
    Status(String),
    /// Withheld by the dry-run guard: no revision exists to follow.
    Predicted,
}

/// The status URL's answer (`_HUMAN_STATUS` codes in snapcraft).
#[derive(Debug, Clone, Deserialize)]
pub struct Status {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub processed: bool,
    #[serde(default)]
    pub errors: Vec<StatusError>,
    #[serde(default)]
    pub revision: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StatusError {
    #[serde(default)]
    pub message: String,
}

impl Store<'_> {
    fn authed(&self, req: Request) -> Request {
        match &self.auth {
            Some(a) => req.auth(Auth::Raw(a.clone())),
            None => req,
        }
    }

    /// A store error with the store's own messages (`error_list`), and for 401 the hint
    /// snapcraft gives: exported credentials expire.
    fn fail(&self, r: &Response, what: &str) -> Error {
        let e = r.error(what);
        match r.status.as_u16() {
            401 | 403 => e.with_hint(format!(
                "the store refused {CREDENTIALS_VAR} (exported credentials expire, by default after a year): run `snapcraft export-login` again, with package_push and package_release for this snap"
            )),
            404 => e.with_hint(format!(
                "register the name first (`snapcraft register {}`), or check platforms.snap.name",
                self.name
            )),
            _ => e,
        }
    }

    /// What the store has for the snap: with credentials the publisher's revision list
    /// (every revision, reviews included), without them the public channel map (what is
    /// released); `None` when the store does not know the snap.
    pub async fn read(&self) -> Result<Option<Releases>> {
        match self.auth {
            Some(_) => self.releases().await,
            None => Ok(self.public().await?.map(|i| i.releases())),
        }
    }

    /// The public channel map (`info.rs`), anonymously.
    pub async fn public(&self) -> Result<Option<super::info::Info>> {
        let url = format!("{}/v2/snaps/info/{}?fields={}", self.info, self.name, super::info::FIELDS);
        let r = self.http.send(Request::get(&url)?.header("snap-device-series", "16")).await?;
        match r.status.as_u16() {
            200 => Ok(Some(r.json()?)),
            404 => Ok(None),
            _ => Err(r.error(&format!("reading the public channel map of snap {}", self.name))),
        }
    }

    /// The revisions and release history; `None` when the store does not know the snap.
    pub async fn releases(&self) -> Result<Option<Releases>> {
        if self.auth.is_none() {
            return Err(Error::new(
                ErrorKind::Credentials,
                format!("missing credential {CREDENTIALS_VAR}: the store lists revisions only to their publisher"),
            )
            .with_hint(format!("set {CREDENTIALS_VAR} to the output of `snapcraft export-login`")));
        }
        let url = format!("{}/api/v2/snaps/{}/releases", self.store, self.name);
        let r = self.http.send(self.authed(Request::get(&url)?)).await?;
        match r.status.as_u16() {
            200 => Ok(Some(r.json()?)),
            404 => Ok(None),
            _ => Err(self.fail(&r, &format!("reading the revisions of snap {}", self.name))),
        }
    }

    /// Sends the bytes to the storage endpoint; returns the `upload_id`.
    pub async fn upload(&self, path: &Path, file: &str) -> Result<String> {
        let url = format!("{}/unscanned-upload/", self.storage);
        let part = Part::File {
            name: "binary".into(),
            filename: file.into(),
            path: path.to_path_buf(),
            content_type: "application/octet-stream".into(),
        };
        let req = Request::post(&url)?
            .header("accept", "application/json")
            .body(Body::Multipart(vec![part]))
            .predict(json!({"successful": true, "upload_id": "withheld-in-dry-run"}));
        let r = self.http.send(req).await?;
        let v: serde_json::Value = if r.ok() { r.json()? } else { return Err(self.fail(&r, &format!("uploading {file}"))) };
        match (v["successful"].as_bool(), v["upload_id"].as_str()) {
            (Some(true), Some(id)) => Ok(id.to_string()),
            _ => Err(Error::protocol(format!("uploading {file}: the storage answered {v}"))),
        }
    }

    /// Registers the upload as a revision; returns the status URL to poll.
    pub async fn push(&self, upload_id: &str, size: u64, file: &str) -> Result<Pushed> {
        let url = format!("{}/dev/api/snap-push/", self.store);
        let body = json!({"name": self.name, "series": "16", "updown_id": upload_id,
            "binary_filesize": size, "source_uploaded": false});
        let req = self.authed(Request::post(&url)?.json(&body)).predict(json!({"status_details_url": null}));
        let r = self.http.send(req).await?;
        if r.predicted {
            return Ok(Pushed::Predicted);
        }
        if !r.ok() {
            return Err(self.fail(&r, &format!("pushing {file}")));
        }
        let v: serde_json::Value = r.json()?;
        v["status_details_url"]
            .as_str()
            .map(|u| Pushed::Status(u.to_string()))
            .ok_or_else(|| Error::protocol(format!("pushing {file}: no status_details_url in {v}")))
    }

    /// One read of the status URL.
    pub async fn status(&self, url: &str) -> Result<Status> {
        let r = self.http.send(self.authed(Request::get(url)?)).await?;
        if !r.ok() {
            return Err(self.fail(&r, "reading the upload's status"));
        }
        r.json()
    }

    /// Releases `revision` to one channel (one request, one step in the report).
    pub async fn release(&self, revision: u64, channel: &str) -> Result<()> {
        let url = format!("{}/dev/api/snap-release/", self.store);
        let body = json!({"name": self.name, "revision": revision.to_string(), "channels": [channel]});
        let req = self.authed(Request::post(&url)?.json(&body)).predict(json!({"success": true}));
        let r = self.http.send(req).await?;
        if !r.ok() {
            return Err(self.fail(&r, &format!("releasing revision {revision} to {channel}")));
        }
        Ok(())
    }

    /// Closes `channel` (every architecture): what a rollback does when the channel held
    /// nothing before this version.
    pub async fn close(&self, channel: &str) -> Result<()> {
        let url = format!("{}/dev/api/account", self.store);
        let r = self.http.send(self.authed(Request::get(&url)?)).await?;
        if !r.ok() {
            return Err(self.fail(&r, "reading the account's snaps"));
        }
        let v: serde_json::Value = r.json()?;
        let id = v["snaps"]["16"][&self.name]["snap-id"].as_str().ok_or_else(|| {
            Error::protocol(format!("the account lists no snap-id for {}", self.name))
        })?;
        let url = format!("{}/dev/api/snaps/{id}/close", self.store);
        let req = self.authed(Request::post(&url)?.json(&json!({"channels": [channel]})));
        let r = self.http.send(req.predict(json!({"closed_channels": [channel]}))).await?;
        if !r.ok() {
            return Err(self.fail(&r, &format!("closing {channel}")));
        }
        Ok(())
    }
}
